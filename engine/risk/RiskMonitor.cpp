#include "risk/RiskMonitor.hpp"

#include <algorithm>
#include <cmath>

namespace kappa {
namespace {
constexpr Nanos kNanosPerDay = 86'400'000'000'000;
std::string num(double v) { return formatRiskNumber(v); }
}  // namespace

std::optional<TriggerFiring> RiskMonitor::fire(Trigger t, std::string reason) {
  fired_[std::size_t(t)] = true;
  return TriggerFiring{t, setting(t).action, std::string(nameOf(t)) + ": " + std::move(reason)};
}

std::optional<TriggerFiring> RiskMonitor::onEquity(double equity, Nanos now) {
  const std::int64_t day = now / kNanosPerDay;
  if (day != day_) {  // a new UTC day: its first equity is its start and its first peak
    day_ = day;
    dayStart_ = peak_ = equity;
  }
  equity_ = equity;
  peak_ = std::max(peak_, equity);
  if (armed(Trigger::DailyLoss) && dayStart_ - equity > setting(Trigger::DailyLoss).threshold)
    return fire(Trigger::DailyLoss, "today's PnL " + num(equity - dayStart_) + " BTC is beyond the limit -" +
                                        num(setting(Trigger::DailyLoss).threshold) + " BTC");
  if (armed(Trigger::Drawdown) && peak_ - equity > setting(Trigger::Drawdown).threshold)
    return fire(Trigger::Drawdown, "equity " + num(equity) + " BTC is " + num(peak_ - equity) +
                                       " BTC below today's peak " + num(peak_) + ", limit " +
                                       num(setting(Trigger::Drawdown).threshold) + " BTC");
  return std::nullopt;
}

std::optional<TriggerFiring> RiskMonitor::onGreeks(const std::string& underlying, const NetGreeks& net,
                                                   double deltaLimit, double gammaLimit, double vegaLimit) {
  if (!armed(Trigger::GreekBreach)) return std::nullopt;
  const double factor = setting(Trigger::GreekBreach).threshold;
  const struct {
    const char* name;
    double value, limit;
    std::string unit;
  } greeks[] = {{"delta", net.delta, deltaLimit, underlying},  // in the underlying's own coin
                {"gamma", net.gamma, gammaLimit, underlying + " per 1 %"},
                {"vega", net.vega, vegaLimit, underlying + " per vol point"}};
  for (const auto& g : greeks) {
    if (std::isnan(g.limit)) continue;  // that limit is off
    if (std::abs(g.value) > factor * g.limit)
      return fire(Trigger::GreekBreach, "net " + std::string(g.name) + " of " + underlying + " " + num(g.value) + " " +
                                            g.unit + " is beyond " + num(factor) + " x the limit " + num(g.limit));
  }
  return std::nullopt;
}

std::optional<TriggerFiring> RiskMonitor::onStaleBooks(const std::vector<std::string>& staleWithOrders, Nanos mono) {
  for (auto it = staleSince_.begin(); it != staleSince_.end();) {
    if (std::find(staleWithOrders.begin(), staleWithOrders.end(), it->first) == staleWithOrders.end()) it = staleSince_.erase(it);
    else ++it;
  }
  for (const std::string& name : staleWithOrders) staleSince_.emplace(name, mono);
  if (!armed(Trigger::StaleData)) return std::nullopt;
  for (const auto& [name, since] : staleSince_) {
    const double ms = double(mono - since) / 1e6;
    if (ms > setting(Trigger::StaleData).threshold)
      return fire(Trigger::StaleData, name + " has working orders and stale market data for " + num(std::round(ms)) +
                                          " ms, limit " + num(setting(Trigger::StaleData).threshold) + " ms");
  }
  return std::nullopt;
}

double RiskMonitor::staleMs(Nanos mono) const {
  Nanos oldest = mono;
  for (const auto& [name, since] : staleSince_) oldest = std::min(oldest, since);
  return double(mono - oldest) / 1e6;
}

void RiskMonitor::onBeat(Nanos mono, std::uint64_t sentTotal) {
  if (sentSamples_.empty() || mono - sentSamples_.back().first >= 1'000'000'000) sentSamples_.emplace_back(mono, sentTotal);
  while (sentSamples_.size() > 2 && mono - sentSamples_[1].first >= kRejectWindow) sentSamples_.pop_front();
  while (!rejects_.empty() && mono - rejects_.front() >= kRejectWindow) rejects_.pop_front();
  const std::uint64_t sent = sentSamples_.empty() ? 0 : sentTotal - sentSamples_.front().second;
  rejectRate_ = sent ? double(rejects_.size()) / double(sent) : 0.0;
}

std::optional<TriggerFiring> RiskMonitor::onVenueReject(Nanos mono, std::uint64_t sentTotal) {
  rejects_.push_back(mono);
  onBeat(mono, sentTotal);
  const std::uint64_t sent = sentSamples_.empty() ? 0 : sentTotal - sentSamples_.front().second;
  if (armed(Trigger::RejectRate) && sent >= kRejectMinOrders && rejectRate_ > setting(Trigger::RejectRate).threshold)
    return fire(Trigger::RejectRate, std::to_string(rejects_.size()) + " venue rejects among " + std::to_string(sent) +
                                         " orders in the last 10 s (" + num(rejectRate_ * 100) + " %), limit " +
                                         num(setting(Trigger::RejectRate).threshold * 100) + " %");
  return std::nullopt;
}

std::optional<TriggerFiring> RiskMonitor::onStrategyFault(const std::string& instance, const std::string& why) {
  if (!armed(Trigger::StrategyFault)) return std::nullopt;
  return fire(Trigger::StrategyFault, instance + " faulted: " + why);
}

std::optional<TriggerFiring> RiskMonitor::onLag(double engineLagMs, double feedLagMs) {
  lagMs_ = std::max(engineLagMs, feedLagMs);
  if (armed(Trigger::EngineLag) && lagMs_ > setting(Trigger::EngineLag).threshold)
    return fire(Trigger::EngineLag, (engineLagMs >= feedLagMs ? "the engine loop ran " : "market data arrived ") +
                                        num(std::round(lagMs_)) + " ms late, limit " +
                                        num(setting(Trigger::EngineLag).threshold) + " ms");
  return std::nullopt;
}

}  // namespace kappa
