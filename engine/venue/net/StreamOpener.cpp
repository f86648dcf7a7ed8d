#include "venue/net/StreamOpener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace kappa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Resolve and connect the lowest layer; `next` runs on success.
void connectTcp(tcp::resolver& resolver, beast::tcp_stream& tcpStream, const Endpoint& endpoint,
                std::chrono::milliseconds timeout, OpenHandler done, std::function<void(OpenHandler)> next) {
  resolver.async_resolve(
      endpoint.host, endpoint.port,
      [&tcpStream, endpoint, timeout, done = std::move(done), next = std::move(next)](
          beast::error_code ec, tcp::resolver::results_type results) mutable {
        if (ec) return done("cannot resolve " + endpoint.host + ": " + ec.message());
        tcpStream.expires_after(timeout);
        tcpStream.async_connect(results, [&tcpStream, endpoint, done = std::move(done), next = std::move(next)](
                                             beast::error_code ec, const tcp::endpoint&) mutable {
          if (ec) return done("cannot connect to " + endpoint.host + ":" + endpoint.port + ": " + ec.message());
          // No Nagle: a request written while the previous one is still unacknowledged would wait
          // for the server's ACK (a whole round trip to the exchange) before leaving.
          beast::error_code ignored;
          tcpStream.socket().set_option(tcp::no_delay(true), ignored);
          next(std::move(done));
        });
      });
}

bool isIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

void asyncOpen(tcp::resolver& resolver, beast::tcp_stream& stream, const Endpoint& endpoint,
               std::chrono::milliseconds timeout, OpenHandler done) {
  connectTcp(resolver, stream, endpoint, timeout, std::move(done), [](OpenHandler done) { done({}); });
}

void asyncOpen(tcp::resolver& resolver, TlsStream& stream, const Endpoint& endpoint, std::chrono::milliseconds timeout,
               OpenHandler done) {
  connectTcp(resolver, beast::get_lowest_layer(stream), endpoint, timeout, std::move(done),
             [&stream, endpoint](OpenHandler done) {
               // SNI: a server behind a shared address picks its certificate by the name (a name
               // only: RFC 6066 leaves IP addresses out of it).
               if (!isIpLiteral(endpoint.host) && !SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str()))
                 return done("TLS: cannot set the server name");
               stream.set_verify_mode(ssl::verify_peer);
               stream.set_verify_callback(ssl::host_name_verification(endpoint.host));
               stream.async_handshake(ssl::stream_base::client, [endpoint, done = std::move(done)](beast::error_code ec) {
                 if (ec) return done("TLS handshake with " + endpoint.host + " failed: " + ec.message());
                 done({});
               });
             });
}

}  // namespace kappa::net
