#include "CreditLimiter.hpp"

#include <algorithm>

namespace kappa::exchange {

bool CreditLimiter::take(Bucket& b, const RateLimit& limit, Nanos now) {
  if (limit.perSecond <= 0) return true;
  if (b.level < 0) {
    b.level = limit.burst;
    b.last = now;
  }
  b.level = std::min(limit.burst, b.level + double(now - b.last) * 1e-9 * limit.perSecond);
  b.last = now;
  if (b.level < 1.0) return false;
  b.level -= 1.0;
  return true;
}

bool CreditLimiter::spend(const std::string& key, bool matchingEngine, Nanos now) {
  auto& pools = pools_[key];
  return matchingEngine ? take(pools.first, matching_, now) : take(pools.second, other_, now);
}

}  // namespace kappa::exchange
