#include "BinanceRateLimits.hpp"

#include <algorithm>

namespace kappa::exchange::binance {

RateLimits::Verdict RateLimits::spendWeight(const std::string& ip, int weight, std::int64_t nowMs) {
  Ip& s = ips_[ip];
  Verdict v;
  const std::int64_t window = nowMs / 60'000;
  if (window != s.window) {
    s.window = window;
    s.weight = 0;
    s.limitedAnswers = 0;
  }
  if (s.bannedUntilMs > nowMs) {
    v.status = 418;
    v.bannedUntilMs = s.bannedUntilMs;
    v.retryAfterS = (s.bannedUntilMs - nowMs + 999) / 1000;
    v.usedWeight = s.weight;
    return v;
  }
  const bool forced = forced429_ > 0;
  if (forced) --forced429_;
  if (forced || s.weight + weight > config_.weightPerMinute) {
    v.usedWeight = s.weight;
    if (++s.limitedAnswers > kRepeatsBeforeBan && !forced) {
      // Kept sending after 429s: banned, 2 minutes doubling (Binance: "from 2 minutes to 3 days").
      s.bannedUntilMs = nowMs + std::int64_t(config_.banSeconds) * 1000 * (std::int64_t(1) << std::min(s.bans, 11));
      ++s.bans;
      v.status = 418;
      v.bannedUntilMs = s.bannedUntilMs;
      v.retryAfterS = (s.bannedUntilMs - nowMs + 999) / 1000;
      return v;
    }
    v.status = 429;
    v.retryAfterS = std::max<std::int64_t>(1, ((window + 1) * 60'000 - nowMs + 999) / 1000);
    return v;
  }
  s.weight += weight;
  v.usedWeight = s.weight;
  return v;
}

RateLimits::Verdict RateLimits::spendOrder(int account, std::int64_t nowMs, int& count10s, int& count1m) {
  Orders& o = orders_[account];
  if (nowMs / 10'000 != o.window10s) o.window10s = nowMs / 10'000, o.n10s = 0;
  if (nowMs / 60'000 != o.window1m) o.window1m = nowMs / 60'000, o.n1m = 0;
  Verdict v;
  if (o.n10s + 1 > config_.ordersPer10s) {
    v.status = 429;
    v.retryAfterS = std::max<std::int64_t>(1, ((o.window10s + 1) * 10'000 - nowMs + 999) / 1000);
  } else if (o.n1m + 1 > config_.ordersPerMinute) {
    v.status = 429;
    v.retryAfterS = std::max<std::int64_t>(1, ((o.window1m + 1) * 60'000 - nowMs + 999) / 1000);
  } else {
    ++o.n10s;
    ++o.n1m;
  }
  count10s = o.n10s;
  count1m = o.n1m;
  return v;
}

int RateLimits::usedWeight(const std::string& ip, std::int64_t nowMs) const {
  auto it = ips_.find(ip);
  return it == ips_.end() || it->second.window != nowMs / 60'000 ? 0 : it->second.weight;
}

}  // namespace kappa::exchange::binance
