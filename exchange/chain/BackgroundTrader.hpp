#pragma once
// The demo chain's background trader: another dev account (the deployment's trader, unlocked, so
// eth_sendTransaction needs no key) making small random swaps through Router02 so the pools'
// prices move while a venue watches them.
//
// Every 1-3 periods (random; the period is the block time on an interval-mining chain) it picks a
// pool and a direction and swaps 0.05-0.3 % of the input side's reserve with
// swapExactTokensForTokens (amountOutMin 0: it takes whatever the pool gives). The direction leans
// towards the pool's starting price (the further the price has moved, the likelier the swap that
// moves it back), so a demo left running for hours stays near 3,000 and 60,000 USDC rather than
// drifting away. At most one of its transactions is in flight: it waits for the previous one's
// receipt before the next (on a chain that does not mine by itself, it sends one and waits).
// Deterministic for a seed (its choices, not the blocks they land in). One line per swap on stderr.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "chain/UniswapDeployment.hpp"

namespace kappa::exchange::chain {

class BackgroundTrader {
 public:
  BackgroundTrader(std::string rpcUrl, ChainDeployment deployment, std::chrono::milliseconds period, std::uint64_t seed);
  ~BackgroundTrader() { stop(); }
  void start();
  void stop();  // returns once its thread has ended (an RPC call in progress is bounded by its timeout)
  std::uint64_t swapsSent() const { return sent_.load(); }

 private:
  void run();
  bool sleepFor(std::chrono::milliseconds d);  // false when stopped meanwhile
  std::string url_;
  ChainDeployment d_;
  std::chrono::milliseconds period_;
  std::uint64_t seed_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> sent_{0};
};

}  // namespace kappa::exchange::chain
