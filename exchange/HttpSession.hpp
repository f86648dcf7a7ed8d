#pragma once
// An HTTP connection to the exchange: Deribit's REST form of the API (GET /api/v2/{method}?params,
// POST JSON-RPC), Binance's REST API (/fapi/...), keep-alive, and the door to the WebSocket APIs:
// an upgrade request for /ws/api/v2 hands the stream over to a WsSession on Deribit's JSON-RPC,
// one for /ws/... or /stream to a WsSession on Binance's streams. Plain or TLS (the handshake
// happens here).
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <type_traits>

#include "ClientSession.hpp"
#include "FaultInjector.hpp"
#include "RpcDispatcher.hpp"
#include "WsSession.hpp"
#include "BinanceVenue.hpp"

namespace kappa::exchange {

template <class Stream>
class HttpSession : public ClientSession, public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, boost::beast::tcp_stream>;

 public:
  using IdSource = std::function<std::uint64_t()>;
  template <class... Args>
  HttpSession(RpcDispatcher& dispatcher, binance::Venue* binance, const FaultInjector& faults, IdSource ids,
              bool loopback, Args&&... streamArgs)
      : stream_(std::forward<Args>(streamArgs)...), dispatcher_(dispatcher), binance_(binance), faults_(faults),
        ids_(std::move(ids)), loopback_(loopback), timer_(stream_.get_executor()) {
    id = ids_();
  }

  void start() {
    if constexpr (kTls) {
      boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::beast::error_code ec) {
                                if (ec) return self->finish();
                                self->open();
                              });
    } else {
      open();
    }
  }

  void send(std::string) override {}  // HTTP has no notifications
  void closeAfterSend() override { closing = true; }
  void dropNow() override {
    closing = true;
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(stream_).socket().close(ec);
  }
  bool isWebSocket() const override { return false; }
  bool isLoopback() const override { return loopback_; }

 private:
  void open() {
    dispatcher_.onOpen(*this);
    opened_ = true;
    read();
  }
  void read() {
    request_ = {};
    boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(120));
    boost::beast::http::async_read(stream_, buffer_, request_,
                                   [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                                     if (ec) return self->finish();
                                     self->handle();
                                   });
  }
  void handle() {
    namespace http = boost::beast::http;
    const std::string target(request_.target());
    const std::string path = target.substr(0, target.find('?'));
    if (boost::beast::websocket::is_upgrade(request_)) {
      const bool binanceStreams = binance_ && path != "/ws/api/v2" && binance::Venue::isStreamPath(path);
      if (path != "/ws/api/v2" && !binanceStreams)
        return respond(404, R"({"error":"WebSocket API is at /ws/api/v2; Binance streams at /ws/... and /stream"})", true);
      finish();  // this connection is a WebSocket session from now on
      boost::beast::get_lowest_layer(stream_).expires_never();
      auto ws = binanceStreams
                    ? std::make_shared<WsSession<Stream>>(std::move(stream_), binance_->streams(), ids_(), loopback_,
                                                          binance_->wsOptions())
                    : std::make_shared<WsSession<Stream>>(std::move(stream_), dispatcher_, ids_(), loopback_);
      ws->remoteIp = remoteIp;
      ws->start(std::move(request_));
      return;
    }
    const std::string verb(request_.method_string());
    if (binance_ && binance::RestApi::handles(path)) {
      if (!binance::RestApi::isControl(path)) {
        if (!countedForBinance_) binance_->rest().noteConnection();
        countedForBinance_ = true;
        if (binance_->rest().takeCloseOnRequest()) {  // fault: closed as the request arrives, unanswered
          dropNow();
          return finish();
        }
      }
      // Binance order fault "slow": the request reaches the matching engine only after a while.
      if (const int deferMs = binance_->rest().deferMs(verb, path); deferMs > 0) {
        timer_.expires_after(std::chrono::milliseconds(deferMs));
        timer_.async_wait([self = this->shared_from_this(), verb, target](boost::beast::error_code) { self->answerBinance(verb, target); });
        return;
      }
      return answerBinance(verb, target);
    }
    if (verb != "GET" && verb != "POST") return respond(405, R"({"error":"GET or POST"})", false);
    const std::string auth(request_[http::field::authorization]);
    const RpcDispatcher::HttpAnswer answer = dispatcher_.onHttp(*this, verb, target, auth, request_.body());
    const bool close = answer.close || closing || !request_.keep_alive();
    if (faults_.delayMs > 0 && !answer.control) {
      timer_.expires_after(std::chrono::milliseconds(faults_.delayMs));
      timer_.async_wait([self = this->shared_from_this(), answer, close](boost::beast::error_code) {
        self->respond(answer.status, answer.body, close);
      });
    } else {
      respond(answer.status, answer.body, close);
    }
  }
  void answerBinance(const std::string& verb, const std::string& target) {
    const std::string apiKey(request_["X-MBX-APIKEY"]);
    RpcDispatcher::HttpAnswer answer = binance_->rest().handle(verb, target, apiKey, request_.body(), remoteIp, loopback_);
    const bool close = closing || !request_.keep_alive();
    if (answer.drop) {  // processed, never answered (Binance order fault)
      dropNow();
      return finish();
    }
    const int holdMs = answer.holdMs + (answer.control ? 0 : faults_.delayMs);
    if (holdMs > 0) {
      timer_.expires_after(std::chrono::milliseconds(holdMs));
      timer_.async_wait([self = this->shared_from_this(), answer, close](boost::beast::error_code) {
        self->respond(answer.status, answer.body, close, answer.headers);
      });
    } else {
      respond(answer.status, std::move(answer.body), close, answer.headers);
    }
  }
  void respond(int status, std::string body, bool close,
               const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    namespace http = boost::beast::http;
    auto res = std::make_shared<http::response<http::string_body>>(http::status(status), request_.version());
    res->set(http::field::server, "kappa-exchange");
    res->set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) res->set(name, value);
    res->keep_alive(!close);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, close](boost::beast::error_code ec, std::size_t) {
      if (ec || close) {
        boost::beast::error_code ignored;
        boost::beast::get_lowest_layer(self->stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
        return self->finish();
      }
      self->read();
    });
  }
  void finish() {
    if (finished_) return;
    finished_ = true;
    if (opened_) dispatcher_.onClosed(*this);
  }

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  RpcDispatcher& dispatcher_;
  binance::Venue* binance_;  // null with --no-binance
  const FaultInjector& faults_;
  IdSource ids_;
  bool loopback_ = false;
  boost::asio::steady_timer timer_;
  bool opened_ = false, finished_ = false;
  bool countedForBinance_ = false;  // this connection counted in the Binance REST connections
};

}  // namespace kappa::exchange
