#include "venue/net/WsTransport.hpp"

#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "venue/net/Endpoint.hpp"
#include "venue/net/StreamOpener.hpp"
#include "venue/net/TlsContext.hpp"

namespace kappa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;

namespace {

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<TlsStream>;

template <class Stream>
class Connection final : public WsTransport, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsWs>;

  Connection(asio::io_context& io, Endpoint url, WsOptions options, Handlers handlers, std::shared_ptr<ssl::context> ctx)
      : io_(io), url_(std::move(url)), options_(std::move(options)), handlers_(std::move(handlers)),
        ctx_(std::move(ctx)), resolver_(io), ws_(makeStream(io, ctx_.get())) {}

  void start() override {
    auto self = this->shared_from_this();
    asyncOpen(resolver_, ws_.next_layer(), url_, options_.connectTimeout, [self](std::string error) {
      if (self->closed_) return;  // close() while connecting has said why already
      if (!error.empty()) return self->fail(error);
      self->upgrade();
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

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = options_.connectTimeout;
    t.idle_timeout = options_.idleTimeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(64u << 20);  // instrument lists run to megabytes
    ws_.text(true);
    auto self = this->shared_from_this();
    ws_.async_handshake(hostHeader(url_), url_.target, [self](beast::error_code ec) {
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
  Endpoint url_;
  WsOptions options_;
  Handlers handlers_;
  std::shared_ptr<ssl::context> ctx_;
  asio::ip::tcp::resolver resolver_;
  Stream ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> writes_;
  bool open_ = false, closing_ = false, closed_ = false;
};

}  // namespace

std::shared_ptr<WsTransport> makeWsTransport(asio::io_context& io, const std::string& url, const WsOptions& options,
                                             WsTransport::Handlers handlers, std::string& error) {
  Endpoint parsed;
  if (!parseEndpoint(url, Scheme::WebSocket, parsed, error)) return nullptr;
  if (!parsed.tls) return std::make_shared<Connection<PlainWs>>(io, parsed, options, std::move(handlers), nullptr);
  auto ctx = makeTlsClientContext(options.caFile, error);
  if (!ctx) return nullptr;
  return std::make_shared<Connection<TlsWs>>(io, parsed, options, std::move(handlers), std::move(ctx));
}

}  // namespace kappa::net
