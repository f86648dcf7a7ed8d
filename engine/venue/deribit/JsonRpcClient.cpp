#include "venue/deribit/JsonRpcClient.hpp"

#include <algorithm>
#include <cstdio>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitErrors.hpp"

namespace kappa::deribit {

namespace {
constexpr std::chrono::milliseconds kMaxQueueWait{30'000};
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

JsonRpcClient::JsonRpcClient(boost::asio::io_context& io, DeribitRateLimiter& limiter)
    : io_(io), limiter_(limiter), sweepTimer_(io), queueTimer_(io) {}

JsonRpcClient::~JsonRpcClient() {
  sweepTimer_.cancel();
  queueTimer_.cancel();
}

void JsonRpcClient::attach(Sender sender) {
  sender_ = std::move(sender);
  drainQueue();
}

void JsonRpcClient::detach(const std::string& reason) {
  sender_ = nullptr;
  // Callbacks may start new requests; take the lists first.
  auto flying = std::move(inFlight_);
  inFlight_.clear();
  auto waiting = std::move(queued_);
  queued_.clear();
  for (auto& [id, r] : flying) {
    RpcReply reply;
    reply.status = RpcReply::Status::ConnectionLost;
    reply.reason = "connection lost before the exchange answered (" + reason + ")";
    finish(r, reply);
  }
  for (Request& r : waiting) {
    RpcReply reply;
    reply.status = RpcReply::Status::ConnectionLost;
    reply.reason = "not sent: no connection (" + reason + ")";
    reply.code = -1;  // never left us: the exchange certainly did nothing
    finish(r, reply);
  }
}

std::uint64_t JsonRpcClient::call(std::string_view method, std::string paramsJson, Callback callback, CallOptions options) {
  Request r;
  r.id = nextId_++;
  r.method = std::string(method);
  r.callback = std::move(callback);
  r.options = options;
  r.text.reserve(paramsJson.size() + method.size() + 48);
  r.text += "{\"jsonrpc\":\"2.0\",\"id\":";
  r.text += std::to_string(r.id);
  r.text += ",\"method\":";
  appendJsonString(r.text, method);
  r.text += ",\"params\":";
  r.text += paramsJson.empty() ? "{}" : paramsJson;
  r.text += '}';
  const std::uint64_t id = r.id;
  const CreditPool pool = poolOf(method);
  if (sender_ && queued_.empty() && limiter_.tryAcquire(pool, monoNow())) {
    transmit(std::move(r));
  } else if (options.refuseWhenLimited && sender_ && limiter_.waitFor(pool, monoNow()) > 0) {
    ++refused_;
    RpcReply reply;
    reply.status = RpcReply::Status::RateLimited;
    reply.reason = std::string("refused by our rate limiter: the exchange's ") +
                   (pool == CreditPool::MatchingEngine ? "order" : "request") +
                   " credits are spent (sending anyway would end the session with too_many_requests)";
    finish(r, reply);
  } else {
    // Waiting for credits or a connection is bounded apart from the answer's timeout: a
    // resubscription may wait out a burst; the answer, once sent, still gets its own timeout.
    r.deadline = std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(options.timeout, kMaxQueueWait);
    queued_.push_back(std::move(r));
    armSweep();
    drainQueue();
  }
  return id;
}

void JsonRpcClient::transmit(Request r) {
  r.deadline = std::chrono::steady_clock::now() + r.options.timeout;
  sender_(r.text);
  r.text.clear();
  r.text.shrink_to_fit();
  inFlight_.emplace(r.id, std::move(r));
  armSweep();
}

void JsonRpcClient::drainQueue() {
  while (sender_ && !queued_.empty()) {
    const CreditPool pool = poolOf(queued_.front().method);
    const Nanos wait = limiter_.waitFor(pool, monoNow());
    if (wait > 0) {
      if (!queueArmed_) {
        queueArmed_ = true;
        queueTimer_.expires_after(std::chrono::nanoseconds(wait));
        queueTimer_.async_wait([this](const boost::system::error_code& ec) {
          queueArmed_ = false;
          if (!ec) drainQueue();
        });
      }
      return;
    }
    limiter_.tryAcquire(pool, monoNow());
    Request r = std::move(queued_.front());
    queued_.pop_front();
    transmit(std::move(r));
  }
}

void JsonRpcClient::armSweep() {
  if (sweepArmed_) return;
  sweepArmed_ = true;
  sweepTimer_.expires_after(std::chrono::milliseconds(100));
  sweepTimer_.async_wait([this](const boost::system::error_code& ec) {
    sweepArmed_ = false;
    if (ec) return;
    sweep();
  });
}

void JsonRpcClient::sweep() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Request> expired;
  for (auto it = inFlight_.begin(); it != inFlight_.end();) {
    if (it->second.deadline <= now) {
      expired.push_back(std::move(it->second));
      it = inFlight_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = queued_.begin(); it != queued_.end();) {
    if (it->deadline <= now) {
      RpcReply reply;
      reply.status = RpcReply::Status::RateLimited;
      reply.code = -1;
      reply.reason = "not sent within " + std::to_string(std::max(it->options.timeout, kMaxQueueWait).count()) +
                     " ms (waiting for rate-limit credits or a connection)";
      Request r = std::move(*it);
      it = queued_.erase(it);
      finish(r, reply);
    } else {
      ++it;
    }
  }
  for (Request& r : expired) {
    RpcReply reply;
    reply.status = RpcReply::Status::TimedOut;
    reply.reason = r.method + ": no answer within " + std::to_string(r.options.timeout.count()) + " ms";
    finish(r, reply);
  }
  if (!inFlight_.empty() || !queued_.empty()) armSweep();
}

void JsonRpcClient::finish(Request& r, RpcReply& reply) {
  if (reply.status == RpcReply::Status::Error && errorObserver_) errorObserver_(reply.code, r.method);
  if (r.callback) r.callback(reply);
}

void JsonRpcClient::onResponse(std::string_view message) {
  simdjson::dom::element doc;
  if (auto e = parser_.parse(message.data(), message.size()).get(doc)) {
    log::warn("deribit", std::string("unreadable response skipped: ") + simdjson::error_message(e));
    return;
  }
  std::uint64_t id = 0;
  if (doc["id"].get_uint64().get(id)) {
    log::warn("deribit", "response without a numeric id skipped");
    return;
  }
  auto it = inFlight_.find(id);
  if (it == inFlight_.end()) return;  // timed out already: its callback has been told
  Request r = std::move(it->second);
  inFlight_.erase(it);
  RpcReply reply;
  simdjson::dom::element error;
  if (doc["error"].get(error) == simdjson::SUCCESS) {
    reply.status = RpcReply::Status::Error;
    std::int64_t code = 0;
    std::string_view msg;
    if (error["code"].get_int64().get(code) != simdjson::SUCCESS) code = kError;
    if (error["message"].get_string().get(msg) == simdjson::SUCCESS) reply.message = std::string(msg);
    reply.code = int(code);
    reply.reason = errorReason(reply.code, reply.message);
    // invalid_params and friends name the parameter in data.param / data.reason
    std::string_view param;
    if (error["data"]["param"].get_string().get(param) == simdjson::SUCCESS) reply.reason += " (" + std::string(param) + ")";
  } else if (doc["result"].get(reply.result) != simdjson::SUCCESS) {
    reply.status = RpcReply::Status::Error;
    reply.code = kInvalidRequest;
    reply.reason = "the exchange's answer has neither result nor error";
  }
  finish(r, reply);
}

}  // namespace kappa::deribit
