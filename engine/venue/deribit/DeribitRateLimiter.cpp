#include "venue/deribit/DeribitRateLimiter.hpp"

#include <algorithm>
#include <cmath>

namespace kappa::deribit {

CreditPool poolOf(std::string_view method) {
  // Deribit's matching-engine methods: order entry and cancellation.
  constexpr std::string_view kMatching[] = {"private/buy",          "private/sell",        "private/edit",
                                            "private/edit_by_label", "private/cancel",      "private/cancel_all",
                                            "private/cancel_all_by_currency", "private/cancel_all_by_instrument",
                                            "private/cancel_all_by_kind_or_type", "private/cancel_by_label",
                                            "private/close_position", "private/mass_quote", "private/cancel_quotes"};
  for (std::string_view m : kMatching)
    if (method == m) return CreditPool::MatchingEngine;
  return CreditPool::NonMatching;
}

void DeribitRateLimiter::Bucket::refill(Nanos now) {
  if (now > last) credits = std::min(capacity, credits + double(now - last) * refillPerNs);
  last = std::max(last, now);
}

DeribitRateLimiter::DeribitRateLimiter(RateLimits limits, Nanos now) : limits_(limits) {
  const double s = std::clamp(limits.safety, 0.1, 1.0);
  nonMatching_ = {limits.nonMatchingCapacity * s, limits.nonMatchingRefillPerS * s / 1e9, limits.nonMatchingCost,
                  limits.nonMatchingCapacity * s, now};
  matching_ = {limits.matchingCapacity * s, limits.matchingRefillPerS * s / 1e9, limits.matchingCost,
               limits.matchingCapacity * s, now};
}

bool DeribitRateLimiter::tryAcquire(CreditPool pool, Nanos now) {
  Bucket& b = bucket(pool);
  b.refill(now);
  if (b.credits < b.cost) return false;
  b.credits -= b.cost;
  return true;
}

Nanos DeribitRateLimiter::waitFor(CreditPool pool, Nanos now) {
  Bucket& b = bucket(pool);
  b.refill(now);
  if (b.credits >= b.cost) return 0;
  return Nanos(std::ceil((b.cost - b.credits) / b.refillPerNs));
}

double DeribitRateLimiter::available(CreditPool pool, Nanos now) {
  Bucket& b = bucket(pool);
  b.refill(now);
  return b.credits;
}

}  // namespace kappa::deribit
