#include "BinanceVenue.hpp"

namespace kappa::exchange::binance {

Venue::Venue(const BinanceConfig& config, MarketState& market, const std::vector<AccountSpec>& accounts)
    : config_(config),
      market_(market),
      accounts_(market, kFirstSimId),
      limits_(RateLimitConfig{int(config.weightLimit), int(config.orderLimit10s), int(config.orderLimit1m),
                              int(config.banSeconds)}),
      trading_(market_, accounts_),
      streams_(market_, trading_, faults_, int(config.listenKeyValiditySeconds)),
      rest_(market_, trading_, streams_, limits_, faults_) {
  accounts_.setListener(this);
  for (const AccountSpec& a : accounts) {
    auto usdt = a.balances.find("USDT");
    accounts_.add(a.clientId, a.secret, {{"USDT", usdt == a.balances.end() ? kDefaultUsdt : usdt->second}});
  }
  faults_.skipEverySeconds = config.faultSkipEvery;
  faults_.puBreakEverySeconds = config.faultPuBreakEvery;
  faults_.dropEverySeconds = config.faultDropEvery;
  faults_.staleSnapshots = int(config.faultStaleSnapshots);
}

WsOptions Venue::wsOptions() const {
  WsOptions o;
  o.pingInterval = std::chrono::seconds(std::max<long long>(1, (long long)config_.pingIntervalSeconds));
  o.maxLifetime = std::chrono::seconds(std::max<long long>(1, (long long)config_.maxConnectionSeconds));
  return o;
}

void Venue::tick1s() {
  market_.keepSnapshots();
  streams_.tick1s();
  // The timed faults: each fires every N seconds (the first time N seconds after it was set).
  const std::int64_t now = market_.nowMs();
  auto due = [now](double every, std::int64_t& last) {
    if (every <= 0) {
      last = 0;
      return false;
    }
    if (last == 0) {
      last = now;
      return false;
    }
    if (now - last < std::int64_t(every * 1000)) return false;
    last = now;
    return true;
  };
  if (due(faults_.skipEverySeconds, lastSkip_)) faults_.skipUpdateIds = 1;
  if (due(faults_.puBreakEverySeconds, lastBreak_)) faults_.puBreaks = 1;
  if (due(faults_.dropEverySeconds, lastDrop_)) streams_.dropAll();
}

}  // namespace kappa::exchange::binance
