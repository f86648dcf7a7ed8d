#pragma once
// One running copy of a plugin's strategy with its own parameters, subscriptions, timers, orders
// and positions. Owned by the StrategyHost; lives on the engine thread.
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oms/Position.hpp"
#include "strategy/PluginModule.hpp"
#include "strategy/StrategyParams.hpp"
#include "strategy/StrategyRows.hpp"

namespace kappa {

class StrategyHost;

struct StrategyInstance {
  std::uint32_t id = 0;
  std::string name;  // "<short id>#<n>", unique for the session
  std::shared_ptr<PluginModule> module;
  const StrategyInfo* info = nullptr;  // inside module
  std::vector<ParamValue> params;      // aligned with info->params
  InstanceState state = InstanceState::Configured;
  const kappa_strategy* strategy = nullptr;
  kappa_host host{};  // host_data points back here
  StrategyHost* owner = nullptr;

  bool wantsChain = false;
  std::vector<InstrumentId> bookSubscriptions, tradeSubscriptions;
  std::map<std::uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers;
  std::uint64_t nextTimer = 1;

  std::vector<OrderId> working;
  std::unordered_map<InstrumentId, Position> positions;
  std::uint64_t ordersSent = 0, ordersRefused = 0, fills = 0, faults = 0, overruns = 0;
  std::string lastError, lastLoggedError;

  // Order-rate limit: a token bucket refilled at the configured rate, burst of one second's worth.
  double tokens = 0;
  Nanos tokensAt = 0;
  std::uint64_t rateRefusals = 0;
  Nanos rateWindowStart = 0;

  bool running() const { return state == InstanceState::Running; }
};

}  // namespace kappa
