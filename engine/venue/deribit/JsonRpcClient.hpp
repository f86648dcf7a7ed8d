#pragma once
// JSON-RPC 2.0 requests over the connector's WebSocket: request ids, the requests in flight, each
// with its own timeout, and the answer (result or error object) handed to the caller's callback.
// An error object becomes the trader's reason through DeribitErrors.
//
// Every request passes the client-side rate limiter first. A request that finds its pool empty
// waits its turn (queued, sent when credits refill), except when the caller asks to be refused
// instead (new orders: an order sent late is worse than an order refused now). I/O thread only.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <simdjson.h>

#include "venue/deribit/DeribitRateLimiter.hpp"

namespace kappa::deribit {

struct RpcReply {
  enum class Status : std::uint8_t { Ok, Error, TimedOut, ConnectionLost, RateLimited };
  Status status = Status::Ok;
  int code = 0;             // Deribit's error code (Error)
  std::string message;      // Deribit's message (Error)
  std::string reason;       // what it means for the trader (every status but Ok)
  simdjson::dom::element result;  // Ok: valid during the callback only
  bool ok() const { return status == Status::Ok; }
  // TimedOut / ConnectionLost: the request may or may not have reached the exchange.
  bool outcomeUnknown() const { return status == Status::TimedOut || status == Status::ConnectionLost; }
};

struct CallOptions {
  std::chrono::milliseconds timeout{10'000};
  bool refuseWhenLimited = false;
};

// Appends `s` to `out` as a JSON string literal (quotes and escapes included).
void appendJsonString(std::string& out, std::string_view s);

class JsonRpcClient {
 public:
  using Callback = std::function<void(const RpcReply&)>;
  using Sender = std::function<void(std::string)>;

  JsonRpcClient(boost::asio::io_context& io, DeribitRateLimiter& limiter);
  ~JsonRpcClient();

  // A connection to send on (null: none; requests then wait for one).
  void attach(Sender sender);
  // The connection is gone: every request in flight ends ConnectionLost, queued ones too.
  void detach(const std::string& reason);

  // Sends `method` with `paramsJson` (a JSON object, "{}" if none). Returns the request id.
  std::uint64_t call(std::string_view method, std::string paramsJson, Callback callback, CallOptions options = {});
  // A response (a message with an id) from the server.
  void onResponse(std::string_view message);

  // Sees every error answer (code, method) before the caller's callback: for errors about the
  // session rather than the request (13009 unauthorized: log in again).
  void onErrorAnswer(std::function<void(int code, const std::string& method)> f) { errorObserver_ = std::move(f); }

  std::size_t inFlight() const { return inFlight_.size(); }
  std::size_t queued() const { return queued_.size(); }
  std::uint64_t refusedByRateLimit() const { return refused_; }

 private:
  struct Request {
    std::uint64_t id = 0;
    std::string method;
    std::string text;
    Callback callback;
    CallOptions options;
    std::chrono::steady_clock::time_point deadline;
  };
  void transmit(Request r);
  void drainQueue();
  void armSweep();
  void sweep();
  void finish(Request& r, RpcReply& reply);

  boost::asio::io_context& io_;
  DeribitRateLimiter& limiter_;
  Sender sender_;
  std::uint64_t nextId_ = 1;
  std::map<std::uint64_t, Request> inFlight_;
  std::deque<Request> queued_;  // waiting for credits or a connection
  boost::asio::steady_timer sweepTimer_, queueTimer_;
  bool sweepArmed_ = false, queueArmed_ = false;
  simdjson::dom::parser parser_;
  std::uint64_t refused_ = 0;
  std::function<void(int, const std::string&)> errorObserver_;
};

}  // namespace kappa::deribit
