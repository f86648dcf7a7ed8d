#include "venue/binance/BinanceHttp.hpp"

#include <openssl/hmac.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kappa::binance {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool parseHttpBase(const std::string& base, HttpTarget& out, std::string& error) {
  std::string rest;
  if (base.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = base.substr(8);
  } else if (base.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = base.substr(7);
  } else {
    error = "not an http:// or https:// URL: " + base;
    return false;
  }
  rest = rest.substr(0, rest.find('/'));
  const std::size_t colon = rest.rfind(':');
  out.host = rest.substr(0, colon);
  out.port = colon == std::string::npos ? (out.tls ? "443" : "80") : rest.substr(colon + 1);
  if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    error = "bad host or port in " + base;
    return false;
  }
  return true;
}

std::string hmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  return out;
}

namespace {

long headerLong(const http::response<http::string_body>& res, const char* name) {
  auto it = res.find(name);
  if (it == res.end()) return -1;
  try {
    return std::stol(std::string(it->value()));
  } catch (...) {
    return -1;
  }
}

template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  Exchange(asio::io_context& io, const HttpTarget& target, ssl::context* ctx, http::request<http::string_body> req,
           std::chrono::milliseconds timeout, std::function<void(HttpResponse)> done)
      : target_(target), resolver_(io), stream_(makeStream(io, ctx)), req_(std::move(req)), timeout_(timeout),
        done_(std::move(done)) {}

  void start() {
    auto self = this->shared_from_this();
    resolver_.async_resolve(target_.host, target_.port, [self](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->finish("cannot resolve " + self->target_.host + ": " + ec.message());
      auto& layer = beast::get_lowest_layer(self->stream_);
      layer.expires_after(self->timeout_);
      layer.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
        if (ec) return self->finish("cannot connect to " + self->target_.host + ":" + self->target_.port + ": " + ec.message());
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().set_option(tcp::no_delay(true), ignored);
        self->secure();
      });
    });
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>;
  static Stream makeStream(asio::io_context& io, ssl::context* ctx) {
    if constexpr (kTls)
      return Stream(io, *ctx);
    else
      return Stream(io);
  }
  void secure() {
    if constexpr (kTls) {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), target_.host.c_str())) return finish("TLS: cannot set the server name");
      stream_.set_verify_mode(ssl::verify_peer);
      stream_.set_verify_callback(ssl::host_name_verification(target_.host));
      auto self = this->shared_from_this();
      stream_.async_handshake(ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec) return self->finish("TLS handshake with " + self->target_.host + " failed: " + ec.message());
        self->write();
      });
    } else {
      write();
    }
  }
  void write() {
    auto self = this->shared_from_this();
    sent_ = true;
    http::async_write(stream_, req_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->finish("write failed: " + ec.message());
      http::async_read(self->stream_, self->buffer_, self->res_, [self](beast::error_code ec, std::size_t) {
        if (ec) return self->finish(ec == beast::error::timeout ? "no answer within the timeout" : "read failed: " + ec.message());
        HttpResponse r;
        r.status = int(self->res_.result_int());
        r.body = std::move(self->res_.body());
        r.sent = true;
        r.usedWeight1m = headerLong(self->res_, "X-MBX-USED-WEIGHT-1M");
        r.orderCount10s = headerLong(self->res_, "X-MBX-ORDER-COUNT-10S");
        r.orderCount1m = headerLong(self->res_, "X-MBX-ORDER-COUNT-1M");
        r.retryAfterS = headerLong(self->res_, "Retry-After");
        self->deliver(std::move(r));
      });
    });
  }
  void finish(std::string error) {
    HttpResponse r;
    r.error = std::move(error);
    r.sent = sent_;
    deliver(std::move(r));
  }
  void deliver(HttpResponse r) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
    done(std::move(r));
  }

  HttpTarget target_;
  tcp::resolver resolver_;
  Stream stream_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  std::function<void(HttpResponse)> done_;
  bool sent_ = false;
};

}  // namespace

struct HttpClient::Impl {
  std::shared_ptr<ssl::context> ctx;
  std::string ctxError;
};

HttpClient::HttpClient(asio::io_context& io, HttpTarget target, std::string caFile)
    : io_(io), target_(std::move(target)), impl_(std::make_shared<Impl>()) {
  if (!target_.tls) return;
  impl_->ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  impl_->ctx->set_default_verify_paths(ec);
  if (ec) impl_->ctxError = "TLS: cannot load the system CA store: " + ec.message();
  if (!caFile.empty()) {
    impl_->ctx->load_verify_file(caFile, ec);
    if (ec) impl_->ctxError = "TLS: cannot load CA file " + caFile + ": " + ec.message();
  }
  impl_->ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
}

HttpClient::~HttpClient() = default;

void HttpClient::request(const std::string& method, const std::string& target, const std::string& apiKey,
                         std::chrono::milliseconds timeout, std::function<void(HttpResponse)> done) {
  if (!impl_->ctxError.empty()) {
    HttpResponse r;
    r.error = impl_->ctxError;
    asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    return;
  }
  http::request<http::string_body> req;
  req.method(http::string_to_verb(method));
  req.target(target);
  req.version(11);
  const bool defaultPort = target_.port == (target_.tls ? "443" : "80");
  req.set(http::field::host, defaultPort ? target_.host : target_.host + ":" + target_.port);
  req.set(http::field::user_agent, "kappa");
  req.set(http::field::connection, "close");
  if (!apiKey.empty()) req.set("X-MBX-APIKEY", apiKey);
  if (method != "GET") req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.prepare_payload();
  if (target_.tls) {
    auto x = std::make_shared<Exchange<beast::ssl_stream<beast::tcp_stream>>>(io_, target_, impl_->ctx.get(), std::move(req),
                                                                               timeout, std::move(done));
    x->start();
  } else {
    auto x = std::make_shared<Exchange<beast::tcp_stream>>(io_, target_, nullptr, std::move(req), timeout, std::move(done));
    x->start();
  }
}

}  // namespace kappa::binance
