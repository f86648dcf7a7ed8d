#pragma once
// New blocks pushed by the node: eth_subscribe("newHeads") over a WebSocket (venue/net's
// WsTransport), so the EVM venue reads a block the moment the node has it instead of at its next
// poll. It only says "a new head": the venue's poll does the reading (blocks, logs, receipts), so a
// missed or duplicated notification costs nothing but latency, and polling stays the fallback:
// a node without WebSocket or eth_subscribe (many HTTP-only providers) is simply polled.
//
// Runs on the venue's I/O thread (every method and callback there). Reconnects by itself every
// `retry` after the connection closes or the subscription is refused.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace kappa::net {
class WsTransport;
}

namespace kappa::evm {

class NewHeadsFeed {
 public:
  struct Callbacks {
    std::function<void(std::uint64_t block)> onHead;  // a new head's number
    std::function<void(bool live, const std::string& why)> onStatus;  // subscribed, or not any more (why)
  };

  // `url`: ws:// or wss://. Nothing happens before start().
  NewHeadsFeed(boost::asio::io_context& io, std::string url, std::string caFile, std::chrono::milliseconds retry,
               Callbacks callbacks);
  ~NewHeadsFeed();
  NewHeadsFeed(const NewHeadsFeed&) = delete;
  NewHeadsFeed& operator=(const NewHeadsFeed&) = delete;

  void start();
  void stop();
  bool live() const { return live_; }
  std::uint64_t notifications() const { return notifications_; }

  // The WebSocket URL of an HTTP JSON-RPC URL (http -> ws, https -> wss; the same host, port and
  // path: nodes such as geth and anvil serve both on one port). "" for anything else.
  static std::string wsUrlFor(const std::string& rpcUrl);

 private:
  void open();
  void onMessage(std::string_view text);
  void closed(const std::string& why);

  boost::asio::io_context& io_;
  std::string url_, caFile_;
  std::chrono::milliseconds retry_;
  Callbacks callbacks_;
  std::shared_ptr<net::WsTransport> ws_;
  boost::asio::steady_timer retryTimer_;
  std::uint64_t generation_ = 0;  // handlers of an older connection are ignored
  bool running_ = false, live_ = false, downReported_ = false;
  std::string subscription_;  // the node's subscription id
  std::uint64_t notifications_ = 0;
};

}  // namespace kappa::evm
