#include "risk/RiskLimits.hpp"

#include <algorithm>
#include <cstdio>

namespace kappa {
namespace {

constexpr std::uint8_t kAcc = 1 << int(LimitScopeKind::Account);
constexpr std::uint8_t kIns = 1 << int(LimitScopeKind::Instrument);
constexpr std::uint8_t kStr = 1 << int(LimitScopeKind::Strategy);
constexpr std::uint8_t kUnd = 1 << int(LimitScopeKind::Underlying);
constexpr std::uint8_t kVen = 1 << int(LimitScopeKind::Venue);

// Indexed by Limit.
constexpr LimitInfo kLimits[kLimitCount] = {
    {"max_order_qty", "units", "largest quantity of one order", false, false, kAcc | kVen | kIns | kStr},
    {"max_order_notional", "USD", "largest notional of one order", false, false, kAcc | kVen | kIns | kStr},
    {"price_band", "fraction", "how far a limit price may be from the mid (or mark)", false, false, kAcc | kVen | kIns | kStr},
    {"iv_band", "vol points", "how far an option order's implied vol may be from its mark IV", false, false,
     kAcc | kVen | kIns | kStr},
    {"max_position", "units", "largest position per instrument, counting working orders", false, false,
     kAcc | kVen | kIns | kStr},
    {"max_net_delta", "coin", "largest net coin delta per underlying (BTC for BTC, ETH for ETH)", false, false, kAcc | kUnd},
    {"max_net_gamma", "coin per 1 %", "largest net gamma per underlying (delta change for a 1 % move)", false, false,
     kAcc | kUnd},
    {"max_net_vega", "coin per vol point", "largest net vega per underlying", false, false, kAcc | kUnd},
    {"max_open_orders", "orders", "working orders at once", true, false, kAcc | kVen | kIns | kStr},
    {"max_submit_rate", "orders/s", "new orders in any rolling second", true, false, kAcc | kVen | kIns | kStr, 10'000},
    {"max_cancel_rate", "requests/s", "cancels and modifies in any rolling second", true, false, kAcc | kVen | kIns | kStr,
     10'000},
    {"duplicate_window_ms", "ms", "refuse an order identical to one accepted this recently", false, false,
     kAcc | kVen | kIns | kStr, 86'400'000},
    {"self_trade", "on/off", "refuse an order that would trade against our own resting order", false, true,
     kAcc | kVen | kIns | kStr},
    {"max_daily_orders", "orders", "orders accepted per UTC day", true, false, kAcc | kVen | kStr},
    {"max_daily_cancels", "requests", "cancels and modifies per UTC day", true, false, kAcc | kVen | kStr},
    {"max_daily_fills", "fills", "fills per UTC day (beyond it new orders are refused)", true, false, kAcc | kVen | kStr},
    {"max_slippage_bps", "bps", "widest slippage tolerance an on-chain swap may be signed with", false, false, kAcc | kVen,
     10'000},
    {"max_gas_price_gwei", "gwei", "highest gas price (maxFeePerGas) an on-chain transaction may be signed with", false, false,
     kAcc | kVen},
    {"max_gas_per_day", "ETH", "gas paid on chain per UTC day, counting the worst case of the swap asked for", false, false,
     kAcc | kVen},
};

struct TriggerInfo {
  const char* key;
  const char* unit;
  const char* what;
};
constexpr TriggerInfo kTriggers[kTriggerCount] = {
    {"daily_loss", "BTC", "realized + unrealized - fees since the UTC day began falls below -threshold"},
    {"drawdown", "BTC", "equity falls this far below its intraday peak"},
    {"greek_breach", "x limit", "net delta, gamma or vega beyond threshold x its max_net_* limit"},
    {"stale_data", "ms", "an instrument with working orders has stale market data for longer"},
    {"reject_rate", "fraction", "venue rejects among the orders sent in the last 10 s (at least 20 orders)"},
    {"strategy_fault", "-", "a strategy instance faulted (error, exception, flood, overruns)"},
    {"engine_lag", "ms", "the engine loop or the market-data feed runs this late"},
};

}  // namespace

const LimitInfo& infoOf(Limit limit) { return kLimits[std::size_t(limit)]; }
const char* nameOf(Limit limit) { return limit < Limit::Count ? kLimits[std::size_t(limit)].key : "?"; }

std::optional<Limit> limitByKey(std::string_view key) {
  for (std::size_t i = 0; i < kLimitCount; ++i)
    if (key == kLimits[i].key) return Limit(i);
  return std::nullopt;
}

const char* nameOf(Trigger t) { return t < Trigger::Count ? kTriggers[std::size_t(t)].key : "?"; }
const char* unitOf(Trigger t) { return t < Trigger::Count ? kTriggers[std::size_t(t)].unit : "?"; }
const char* describe(Trigger t) { return t < Trigger::Count ? kTriggers[std::size_t(t)].what : "?"; }

const char* nameOf(TriggerAction a) {
  switch (a) {
    case TriggerAction::Off: return "off";
    case TriggerAction::Reduce: return "reduce";
    case TriggerAction::Halt: return "halt";
  }
  return "?";
}

std::optional<Trigger> triggerByKey(std::string_view key) {
  for (std::size_t i = 0; i < kTriggerCount; ++i)
    if (key == kTriggers[i].key) return Trigger(i);
  return std::nullopt;
}

std::optional<TriggerAction> triggerActionByName(std::string_view name) {
  for (TriggerAction a : {TriggerAction::Off, TriggerAction::Reduce, TriggerAction::Halt})
    if (name == nameOf(a)) return a;
  return std::nullopt;
}

LimitSet& RiskConfig::entry(std::vector<ScopedLimits>& list, const std::string& key) {
  for (ScopedLimits& s : list)
    if (s.key == key) return s.limits;
  list.push_back({key, {}});
  return list.back().limits;
}

RiskConfig RiskConfig::defaults() {
  RiskConfig c;
  auto set = [](LimitSet& s, Limit l, double v) { s[std::size_t(l)].value = v; };
  set(c.account, Limit::MaxOrderNotional, 1'000'000);
  set(c.account, Limit::PriceBand, 0.05);
  set(c.account, Limit::IvBand, 15);
  set(c.account, Limit::MaxNetDelta, 50);
  set(c.account, Limit::MaxNetGamma, 5);
  set(c.account, Limit::MaxNetVega, 2);
  set(c.account, Limit::MaxOpenOrders, 50);       // as vn.py
  set(c.account, Limit::MaxSubmitRate, 100);      // as NautilusTrader
  set(c.account, Limit::MaxCancelRate, 100);
  set(c.account, Limit::DuplicateWindowMs, 100);
  set(c.account, Limit::SelfTrade, 1);
  set(c.account, Limit::MaxDailyOrders, 100'000);
  set(c.account, Limit::MaxDailyCancels, 100'000);
  set(c.account, Limit::MaxDailyFills, 50'000);
  for (const char* kind : {"@perpetual", "@future"}) {
    LimitSet& s = entry(c.instruments, kind);
    set(s, Limit::MaxOrderQty, 1'000'000);  // USD
    set(s, Limit::MaxPosition, 5'000'000);
    set(s, Limit::MaxSubmitRate, 50);
  }
  LimitSet& options = entry(c.instruments, "@option");
  set(options, Limit::MaxOrderQty, 100);  // contracts of 1 BTC
  set(options, Limit::MaxPosition, 500);
  set(options, Limit::MaxSubmitRate, 20);
  // A relative price band means nothing for an option worth a few ticks: options use the IV band.
  options[std::size_t(Limit::PriceBand)] = {0.05, false};
  c.triggers[std::size_t(Trigger::DailyLoss)] = {1.0, TriggerAction::Halt};
  c.triggers[std::size_t(Trigger::Drawdown)] = {0.5, TriggerAction::Halt};
  c.triggers[std::size_t(Trigger::GreekBreach)] = {1.2, TriggerAction::Reduce};
  c.triggers[std::size_t(Trigger::StaleData)] = {5000, TriggerAction::Halt};
  c.triggers[std::size_t(Trigger::RejectRate)] = {0.5, TriggerAction::Halt};
  c.triggers[std::size_t(Trigger::StrategyFault)] = {0, TriggerAction::Reduce};
  c.triggers[std::size_t(Trigger::EngineLag)] = {2000, TriggerAction::Halt};
  return c;
}

RiskConfig RiskConfig::unlimited() {
  RiskConfig c;
  for (TriggerSetting& t : c.triggers) t.action = TriggerAction::Off;
  return c;
}

std::string formatRiskNumber(double v) {
  char buf[48];
  if (std::abs(v) >= 1000 && std::abs(v - std::round(v)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

bool matchesPattern(std::string_view pattern, std::string_view name) {
  // Iterative glob with one backtrack point: linear for the patterns risk.json holds.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p, ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kappa
