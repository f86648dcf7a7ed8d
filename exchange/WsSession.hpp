#pragma once
// A WebSocket client of the exchange (Deribit's /ws/api/v2 or Binance's /ws/..., /stream?...), over
// plain TCP or TLS (Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>: one code
// path for both). Reads one message at a time and hands it to its handler; writes queued messages
// in order. Options: server pings every pingInterval (the client must pong: Beast's keep-alive
// pings close a connection silent for twice the interval) and a maximum connection lifetime after
// which the server closes it (Binance's 24 h).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <iostream>
#include <memory>

#include "ClientSession.hpp"
#include "WsHandler.hpp"
#include "WireLog.hpp"

namespace kappa::exchange {

struct WsOptions {
  std::chrono::seconds pingInterval{0};  // 0: Beast's suggested server timeouts
  std::chrono::seconds maxLifetime{0};   // 0: no limit
};

template <class Stream>
class WsSession : public ClientSession, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, WsHandler& dispatcher, std::uint64_t sessionId, bool loopback, WsOptions options = {})
      : ws_(std::move(stream)), dispatcher_(dispatcher), loopback_(loopback), options_(options),
        lifetime_(ws_.get_executor()) {
    id = sessionId;
  }

  template <class Request>
  void start(Request&& request) {
    namespace websocket = boost::beast::websocket;
    if (options_.pingInterval.count() > 0) {
      websocket::stream_base::timeout t{};
      t.handshake_timeout = std::chrono::seconds(30);
      t.idle_timeout = 2 * options_.pingInterval;  // a ping at half of it, closed when no pong by the end
      t.keep_alive_pings = true;
      ws_.set_option(t);
    } else {
      ws_.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    }
    ws_.read_message_max(1 << 20);
    target = std::string(request.target());
    ws_.async_accept(request, [self = this->shared_from_this()](boost::beast::error_code ec) {
      if (ec) return;
      if (self->options_.maxLifetime.count() > 0) {
        self->lifetime_.expires_after(self->options_.maxLifetime);
        self->lifetime_.async_wait([weak = std::weak_ptr<WsSession>(self)](boost::beast::error_code ec) {
          if (auto s = weak.lock(); s && !ec) s->closeAfterSend();
        });
      }
      self->dispatcher_.onOpen(*self);
      self->opened_ = true;
      self->read();
    });
  }

  void send(std::string text) override {
    if (finished_ || closing) return;
    // A client that stops reading would make the queue grow without end: past the limit the
    // connection is dropped (and cancel-on-disconnect acts), as a real exchange would.
    queuedBytes_ += text.size();
    if (queuedBytes_ > kMaxQueuedBytes) {
      std::cerr << "kappa-exchange: session " << id << " is not reading (" << queuedBytes_ / (1 << 20)
                << " MiB queued): dropping it\n";
      // Not inline: send() runs inside the hub's loops over subscribers, which closing would change.
      closing = true;
      boost::asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->dropNow(); });
      return;
    }
    queue_.push_back(std::move(text));
    if (!writing_) write();
  }
  void closeAfterSend() override {
    if (finished_ || closing) return;
    closing = true;
    if (!writing_ && queue_.empty()) close();
  }
  void dropNow() override {
    closing = true;
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    boost::beast::get_lowest_layer(ws_).socket().close(ec);
    finish();
  }
  bool isWebSocket() const override { return true; }
  bool isLoopback() const override { return loopback_; }

 private:
  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      std::string text = boost::beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (!self->closing) self->dispatcher_.onWsMessage(*self, text);
      if (!self->finished_) self->read();
    });
  }
  void write() {
    writing_ = true;
    ws_.text(true);
    // --wire-log: stamped just before the write (asio tries the send() at once, inside
    // async_write), recorded after it, so the record keeping never delays the message.
    WireLog* wireLog = WireLog::active();
    const std::int64_t wireNs = wireLog ? WireLog::nowNs() : 0;
    ws_.async_write(boost::asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec || self->finished_) {  // finish() left the queue to us: the write used its front
                        self->queue_.clear();
                        return self->finish();
                      }
                      self->queuedBytes_ -= self->queue_.front().size();
                      self->queue_.pop_front();
                      if (!self->queue_.empty())
                        self->write();
                      else if (self->closing)
                        self->close();
                    });
    if (wireLog) wireLog->record(wireNs, id, queue_.front());
  }
  void close() {
    if (closeSent_ || finished_) return;
    closeSent_ = true;
    ws_.async_close(boost::beast::websocket::close_code::normal,
                    [self = this->shared_from_this()](boost::beast::error_code) { self->finish(); });
  }
  void finish() {
    if (finished_) return;
    finished_ = true;
    // A write in flight still reads queue_.front(): freeing it here was a use-after-free (heap
    // corruption when cancel-on-disconnect notified a session that a fault then dropped). The
    // write's completion clears the queue instead.
    if (!writing_) queue_.clear();
    if (opened_) dispatcher_.onClosed(*this);
    lifetime_.cancel();
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().close(ec);
  }

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  static constexpr std::size_t kMaxQueuedBytes = 64u << 20;
  std::deque<std::string> queue_;
  std::size_t queuedBytes_ = 0;
  WsHandler& dispatcher_;
  bool loopback_ = false;
  WsOptions options_;
  boost::asio::steady_timer lifetime_;
  bool writing_ = false, closeSent_ = false, finished_ = false, opened_ = false;
};

}  // namespace kappa::exchange
