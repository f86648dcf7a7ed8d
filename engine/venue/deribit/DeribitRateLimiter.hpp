#pragma once
// Client-side mirror of Deribit's credit-based rate limits, so that we never run the account out of
// credits ourselves: at Deribit that answers too_many_requests (10028) AND ends the session.
//
// Two pools, as Deribit keeps them: matching-engine requests (orders: buy, sell, edit, cancel…)
// and everything else. Each is a bucket of credits refilled continuously; a request costs a fixed
// amount. Defaults are Deribit's documented defaults for the lowest tier (../shared/CONNECTORS.md:
// non-matching 500 credits per request from 50,000 refilling 10,000/s; matching engine 5 requests/s
// with a burst of 20), used at 90 % so that our clock and the exchange's never disagree into a 10028.
// Not thread-safe: the connector's I/O thread owns it.
#include <cstdint>
#include <string_view>

#include "core/Types.hpp"

namespace kappa::deribit {

enum class CreditPool : std::uint8_t { MatchingEngine, NonMatching };

// Which pool a JSON-RPC method draws from.
CreditPool poolOf(std::string_view method);

struct RateLimits {
  double nonMatchingCapacity = 50'000, nonMatchingRefillPerS = 10'000, nonMatchingCost = 500;
  double matchingCapacity = 20, matchingRefillPerS = 5, matchingCost = 1;  // in requests
  double safety = 0.9;  // the share of the exchange's budget we allow ourselves
};

class DeribitRateLimiter {
 public:
  explicit DeribitRateLimiter(RateLimits limits = {}, Nanos now = 0);
  // Takes one request's credits if the pool has them.
  bool tryAcquire(CreditPool pool, Nanos now);
  // Nanoseconds until one request of the pool fits (0 = now).
  Nanos waitFor(CreditPool pool, Nanos now);
  double available(CreditPool pool, Nanos now);
  const RateLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    double capacity = 0, refillPerNs = 0, cost = 0, credits = 0;
    Nanos last = 0;
    void refill(Nanos now);
  };
  Bucket& bucket(CreditPool pool) { return pool == CreditPool::MatchingEngine ? matching_ : nonMatching_; }
  RateLimits limits_;
  Bucket matching_, nonMatching_;
};

}  // namespace kappa::deribit
