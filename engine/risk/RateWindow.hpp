#pragma once
// "At most N in any rolling second", exactly: the times of the last N accepted events in a ring.
// A new event fits if fewer than N are held or the oldest held is a second old. O(1), and no
// allocation after set-up, because it runs on the engine thread for every order.
#include <cstddef>
#include <vector>

#include "core/Types.hpp"

namespace kappa {

class RateWindow {
 public:
  static constexpr Nanos kSpan = 1'000'000'000;

  // Capacity = the limit (events per second); 0 = unlimited (never full).
  // A new limit keeps the newest events it has room for: lowering a limit mid-second must not let
  // a fresh burst through.
  void setLimit(std::size_t limit) {
    if (limit == ring_.size()) return;
    std::vector<Nanos> kept;
    for (std::size_t i = count_ > limit ? count_ - limit : 0; i < count_; ++i) kept.push_back(ring_[(head_ + i) % ring_.size()]);
    ring_.assign(limit, 0);
    head_ = 0;
    count_ = kept.size();
    for (std::size_t i = 0; i < count_; ++i) ring_[i] = kept[i];
  }
  bool fits(Nanos now) const { return ring_.empty() || count_ < ring_.size() || now - ring_[head_] >= kSpan; }
  void add(Nanos now) {
    if (ring_.empty()) return;
    if (count_ < ring_.size()) {
      ring_[(head_ + count_++) % ring_.size()] = now;
    } else {  // full: the oldest makes room
      ring_[head_] = now;
      head_ = (head_ + 1) % ring_.size();
    }
  }
  // Events within the last second (for the risk panel's bars).
  std::size_t inLastSecond(Nanos now) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i)
      if (now - ring_[(head_ + i) % ring_.size()] < kSpan) ++n;
    return n;
  }

 private:
  std::vector<Nanos> ring_;
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace kappa
