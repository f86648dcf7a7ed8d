#include "venue/deribit/WsTransport.hpp"

#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace kappa::deribit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool parseWsUrl(const std::string& url, WsUrl& out, std::string& error) {
  std::string rest;
  if (url.rfind("wss://", 0) == 0) {
    out.tls = true;
    rest = url.substr(6);
  } else if (url.rfind("ws://", 0) == 0) {
    out.tls = false;
    rest = url.substr(5);
  } else {
    error = "not a ws:// or wss:// URL: " + url;
    return false;
  }
  const std::size_t slash = rest.find('/');
  std::string hostPort = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  out.port = out.tls ? "443" : "80";
  if (!hostPort.empty() && hostPort.front() == '[') {  // [::1]:8080
    const std::size_t close = hostPort.find(']');
    if (close == std::string::npos) {
      error = "bad IPv6 host in " + url;
      return false;
    }
    out.host = hostPort.substr(1, close - 1);
    if (close + 1 < hostPort.size() && hostPort[close + 1] == ':') out.port = hostPort.substr(close + 2);
  } else {
    const std::size_t colon = hostPort.rfind(':');
    out.host = hostPort.substr(0, colon);
    if (colon != std::string::npos) out.port = hostPort.substr(colon + 1);
  }
  if (out.host.empty() || out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) {
    error = "bad host or port in " + url;
    return false;
  }
  return true;
}

namespace {

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Stream>
class Connection final : public WsTransport, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(asio::io_context& io, WsUrl url, WsOptions options, Handlers handlers, std::shared_ptr<ssl::context> ctx)
      : io_(io), url_(std::move(url)), options_(std::move(options)), handlers_(std::move(handlers)),
        ctx_(std::move(ctx)), resolver_(io), ws_(makeStream(io, ctx_.get())) {}

  void start() override {
    auto self = this->shared_from_this();
    resolver_.async_resolve(url_.host, url_.port, [self](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) return self->fail("cannot resolve " + self->url_.host + ": " + ec.message());
      auto& layer = beast::get_lowest_layer(self->ws_);
      layer.expires_after(self->options_.connectTimeout);
      layer.async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
        if (ec) return self->fail("cannot connect to " + self->url_.host + ":" + self->url_.port + ": " + ec.message());
        // No Nagle: an order written while the previous one is still unacknowledged would wait for
        // the exchange's ACK (a whole round trip to Deribit) before leaving.
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
        self->secure();
      });
    });
  }

  void send(std::string text) override {
    if (closed_) return;
    writes_.push_back(std::move(text));
    if (open_ && writes_.size() == 1) writeNext();
  }

  void close() override {
    if (closed_) return;
    if (!open_) {  // still connecting: stop where it is
      beast::get_lowest_layer(ws_).cancel();
      resolver_.cancel();
      return fail("closed by us");
    }
    closing_ = true;
    auto self = this->shared_from_this();
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      self->fail("closed by us");
    });
  }

  bool isOpen() const override { return open_ && !closed_; }
  std::size_t queuedWrites() const override { return writes_.size(); }

 private:
  static Stream makeStream(asio::io_context& io, ssl::context* ctx) {
    if constexpr (kTls)
      return Stream(io, *ctx);
    else
      return Stream(io);
  }

  void secure() {
    auto self = this->shared_from_this();
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      // SNI: a server behind a shared address picks its certificate by the name.
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str()))
        return fail("TLS: cannot set the server name");
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_verify_callback(ssl::host_name_verification(url_.host));
      tls.async_handshake(ssl::stream_base::client, [self](beast::error_code ec) {
        if (ec) return self->fail("TLS handshake with " + self->url_.host + " failed: " + ec.message());
        self->upgrade();
      });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = options_.connectTimeout;
    t.idle_timeout = options_.idleTimeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(64u << 20);  // instrument lists run to megabytes
    ws_.text(true);
    const bool defaultPort = url_.port == (kTls ? "443" : "80");
    const std::string host = defaultPort ? url_.host : url_.host + ":" + url_.port;
    auto self = this->shared_from_this();
    ws_.async_handshake(host, url_.target, [self](beast::error_code ec) {
      if (ec) return self->fail("WebSocket handshake failed: " + ec.message());
      self->open_ = true;
      if (self->handlers_.onOpen) self->handlers_.onOpen();
      if (self->closed_) return;
      self->read();
      if (!self->writes_.empty()) self->writeNext();
    });
  }

  void read() {
    auto self = this->shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, std::size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          const auto& reason = self->ws_.reason();
          return self->fail("the server closed the connection" +
                            (reason.reason.empty() ? std::string() : ": " + std::string(reason.reason.c_str())));
        }
        if (self->closing_) return self->fail("closed by us");
        // End of file / reset: the TCP connection ended without a WebSocket goodbye, as when the
        // exchange or the network drops it. Said in words; the system's own text kept after it.
        const bool dropped = ec == asio::error::eof || ec == asio::error::connection_reset || ec == beast::error::timeout;
        return self->fail(std::string("connection lost: ") +
                          (ec == beast::error::timeout ? "no data from the exchange for too long (" + ec.message() + ")"
                           : dropped                   ? "dropped by the exchange or the network (" + ec.message() + ")"
                                                       : ec.message()));
      }
      self->buffer_.prepare(kReadPadding);  // readable slack after the message (may reallocate: read cdata() after)
      const auto data = self->buffer_.cdata();
      if (self->handlers_.onMessage)
        self->handlers_.onMessage(std::string_view(static_cast<const char*>(data.data()), data.size()));
      self->buffer_.consume(self->buffer_.size());
      if (!self->closed_) self->read();
    });
  }

  void writeNext() {
    auto self = this->shared_from_this();
    ws_.async_write(asio::buffer(writes_.front()), [self](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("write failed: " + ec.message());
      self->writes_.pop_front();
      if (!self->writes_.empty() && !self->closed_) self->writeNext();
    });
  }

  void fail(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    open_ = false;
    writes_.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (handlers_.onClose) {
      // Moved out first: the handler may drop the last owner of this connection. (onMessage
      // stays: fail() may run inside it; closed_ keeps it from being called again.)
      auto onClose = std::move(handlers_.onClose);
      handlers_.onClose = nullptr;
      onClose(reason);
    }
  }

  asio::io_context& io_;
  WsUrl url_;
  WsOptions options_;
  Handlers handlers_;
  std::shared_ptr<ssl::context> ctx_;
  tcp::resolver resolver_;
  Stream ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> writes_;
  bool open_ = false, closing_ = false, closed_ = false;
};

}  // namespace

std::shared_ptr<WsTransport> makeWsTransport(asio::io_context& io, const std::string& url, const WsOptions& options,
                                             WsTransport::Handlers handlers, std::string& error) {
  WsUrl parsed;
  if (!parseWsUrl(url, parsed, error)) return nullptr;
  if (!parsed.tls) return std::make_shared<Connection<PlainStream>>(io, parsed, options, std::move(handlers), nullptr);
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) {
    error = "TLS: cannot load the system CA store: " + ec.message();
    return nullptr;
  }
  if (!options.caFile.empty()) {
    ctx->load_verify_file(options.caFile, ec);
    if (ec) {
      error = "TLS: cannot load CA file " + options.caFile + ": " + ec.message();
      return nullptr;
    }
  }
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  return std::make_shared<Connection<TlsStream>>(io, parsed, options, std::move(handlers), std::move(ctx));
}

}  // namespace kappa::deribit
