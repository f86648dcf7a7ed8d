#pragma once
// A WebSocket client of the exchange (/ws/api/v2), over plain TCP or TLS (Stream is
// beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>: one code path for both). Reads one
// JSON-RPC message at a time and hands it to the dispatcher; writes queued messages in order.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <iostream>
#include <memory>

#include "ClientSession.hpp"
#include "RpcDispatcher.hpp"
#include "WireLog.hpp"

namespace kappa::exchange {

template <class Stream>
class WsSession : public ClientSession, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, RpcDispatcher& dispatcher, std::uint64_t sessionId, bool loopback)
      : ws_(std::move(stream)), dispatcher_(dispatcher), loopback_(loopback) {
    id = sessionId;
  }

  template <class Request>
  void start(Request&& request) {
    namespace websocket = boost::beast::websocket;
    ws_.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    ws_.read_message_max(1 << 20);
    ws_.async_accept(request, [self = this->shared_from_this()](boost::beast::error_code ec) {
      if (ec) return;
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
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().close(ec);
  }

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  static constexpr std::size_t kMaxQueuedBytes = 64u << 20;
  std::deque<std::string> queue_;
  std::size_t queuedBytes_ = 0;
  RpcDispatcher& dispatcher_;
  bool loopback_ = false;
  bool writing_ = false, closeSent_ = false, finished_ = false, opened_ = false;
};

}  // namespace kappa::exchange
