#pragma once
// The risk panel's breach history: every limit that refused orders and every trigger that fired,
// aggregated per (what, scope) so that a strategy hammering one limit makes one line with a count,
// not ten thousand. Engine thread.
#include <algorithm>
#include <string>
#include <vector>

#include "risk/PreTradeLimits.hpp"

namespace kappa {

class BreachLog {
 public:
  static constexpr std::size_t kCapacity = 200;

  void record(Nanos ts, const std::string& what, const std::string& scope, std::string detail, bool trigger,
              const char* action) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Breach& b) {
      return b.what == what && b.scope == scope && b.trigger == trigger;
    });
    if (it == entries_.end()) {
      if (entries_.size() == kCapacity) entries_.erase(entries_.begin());
      entries_.push_back({ts, ts, what, scope, {}, 0, trigger, action});
      it = entries_.end() - 1;
    }
    it->last = ts;
    it->detail = std::move(detail);
    it->action = action;
    ++it->count;
    std::rotate(it, it + 1, entries_.end());  // the latest at the back
    ++version_;
  }
  const std::vector<Breach>& entries() const { return entries_; }  // oldest first
  std::uint64_t version() const { return version_; }

 private:
  std::vector<Breach> entries_;
  std::uint64_t version_ = 0;
};

}  // namespace kappa
