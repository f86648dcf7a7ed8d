#pragma once
// The automatic triggers (post-trade monitors): each watches one thing on the events that change
// it — equity on every fill and mark move, Greeks on every fill and analytics refresh, staleness
// and lag on the engine's 10 ms beat, rejects on every venue reject, faults as they happen — and
// fires once (HALTED or REDUCING, as configured) with a reason, until trading is resumed.
// Engine thread only.
#include <array>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "risk/PreTradeLimits.hpp"
#include "risk/RiskLimits.hpp"

namespace kappa {

struct TriggerFiring {
  Trigger trigger = Trigger::DailyLoss;
  TriggerAction action = TriggerAction::Halt;
  std::string reason;
};

class RiskMonitor {
 public:
  static constexpr Nanos kRejectWindow = 10'000'000'000;  // reject rate over the last 10 s
  static constexpr std::uint64_t kRejectMinOrders = 20;   // and only once this many were sent

  void configure(const std::array<TriggerSetting, kTriggerCount>& triggers) { triggers_ = triggers; }
  const std::array<TriggerSetting, kTriggerCount>& triggers() const { return triggers_; }
  // After RESUME every trigger may fire again.
  void rearm() { fired_.fill(false); }

  // Equity (settlement currency: realized + unrealized - fees over all positions) at `now`
  // (market time, for the UTC day). The first equity of a day is its start; a restart may seed it.
  std::optional<TriggerFiring> onEquity(double equity, Nanos now);
  void seedDayStart(std::int64_t utcDay, double equity) { day_ = utcDay, dayStart_ = equity_ = peak_ = equity; }
  std::optional<TriggerFiring> onGreeks(const std::string& underlying, const NetGreeks& net, double deltaLimit,
                                        double gammaLimit, double vegaLimit);
  // The instruments that have working orders and a book that is not live, at monotonic time `mono`
  // (any instrument not listed is no longer a concern).
  std::optional<TriggerFiring> onStaleBooks(const std::vector<std::string>& staleWithOrders, Nanos mono);
  std::optional<TriggerFiring> onVenueReject(Nanos mono, std::uint64_t sentTotal);
  void onBeat(Nanos mono, std::uint64_t sentTotal);  // samples the sent count for the reject rate
  std::optional<TriggerFiring> onStrategyFault(const std::string& instance, const std::string& why);
  std::optional<TriggerFiring> onLag(double engineLagMs, double feedLagMs);

  // For the risk panel's bars: each trigger's current value against its threshold.
  double dayPnl() const { return equity_ - dayStart_; }
  std::int64_t day() const { return day_; }
  double dayStart() const { return dayStart_; }
  double drawdown() const { return peak_ - equity_; }
  double rejectRate() const { return rejectRate_; }
  double lagMs() const { return lagMs_; }
  double staleMs(Nanos mono) const;
  bool fired(Trigger t) const { return fired_[std::size_t(t)]; }
  const TriggerSetting& setting(Trigger t) const { return triggers_[std::size_t(t)]; }

 private:
  std::optional<TriggerFiring> fire(Trigger t, std::string reason);
  bool armed(Trigger t) const { return setting(t).action != TriggerAction::Off && !fired_[std::size_t(t)]; }

  std::array<TriggerSetting, kTriggerCount> triggers_{};
  std::array<bool, kTriggerCount> fired_{};
  std::int64_t day_ = -1;
  double dayStart_ = 0, peak_ = 0, equity_ = 0;
  std::unordered_map<std::string, Nanos> staleSince_;  // instrument -> since (monotonic)
  std::deque<Nanos> rejects_;                           // venue rejects of the last 10 s
  std::deque<std::pair<Nanos, std::uint64_t>> sentSamples_;  // (mono, orders sent so far), ~1 per second
  double rejectRate_ = 0, lagMs_ = 0;
};

}  // namespace kappa
