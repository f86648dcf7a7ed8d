#pragma once
// Deribit's credit-based rate limits: each (sub)account — or, before auth, each connection — has
// two pools, one for matching-engine requests (orders, edits, cancels) and one for the rest. A
// request spends credits; pools refill continuously up to their size. A request that finds its pool
// empty is answered with 10028 too_many_requests and the session is closed, as Deribit does.
// Defaults are those seen in NautilusTrader's adapter (../shared/CONNECTORS.md): non-matching
// 500 credits a request from 50,000 refilling 10,000/s (20 requests/s, burst 100); matching
// engine 5 requests/s with a burst of 20.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/Types.hpp"

namespace kappa::exchange {

struct RateLimit {
  double perSecond = 0;  // requests per second; 0 = unlimited
  double burst = 0;      // requests
};

class CreditLimiter {
 public:
  CreditLimiter(RateLimit matching, RateLimit other) : matching_(matching), other_(other) {}
  // Spends one request's credits from `key`'s pool; false when the pool is empty.
  bool spend(const std::string& key, bool matchingEngine, Nanos monoNow);
  void forget(const std::string& key) { pools_.erase(key); }
  RateLimit matching() const { return matching_; }
  RateLimit other() const { return other_; }

 private:
  struct Bucket {
    double level = -1;  // requests available; -1 = not yet used (full)
    Nanos last = 0;
  };
  bool take(Bucket& b, const RateLimit& limit, Nanos now);
  RateLimit matching_, other_;
  std::unordered_map<std::string, std::pair<Bucket, Bucket>> pools_;
};

}  // namespace kappa::exchange
