#pragma once
// A pool's swap volume over a rolling window (24 h) by block time: the pair keeps no volume on
// chain, so the venue adds every Swap it reads (and, at the start, the Swap logs of the blocks of
// the last day) and drops those older than the window. `coveredFrom` says from when the venue has
// read the logs: a younger chain, or a backfill the node refused, covers less than the window, and
// the panel then says "since HH:MM" instead of "24 h".
#include <cstdint>
#include <deque>

#include "core/Types.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

class RollingVolume {
 public:
  static constexpr Nanos kDay = 86'400'000'000'000;
  RollingVolume() = default;
  explicit RollingVolume(Nanos window) : window_(window) {}

  void add(Nanos ts, const U256& base, const U256& quote) {
    swaps_.push_back({ts, base, quote});
    base_ += base;
    quote_ += quote;
  }
  // Drops the swaps older than `now` - window.
  void trimTo(Nanos now) {
    while (!swaps_.empty() && swaps_.front().ts < now - window_) {
      base_ -= swaps_.front().base;
      quote_ -= swaps_.front().quote;
      swaps_.pop_front();
    }
  }
  void setCoveredFrom(Nanos ts) { coveredFrom_ = ts; }
  void clear() {
    swaps_.clear();
    base_ = quote_ = 0;
    coveredFrom_ = 0;
  }

  const U256& base() const { return base_; }
  const U256& quote() const { return quote_; }
  std::uint64_t swaps() const { return swaps_.size(); }
  Nanos window() const { return window_; }
  // The block time from which swaps were read (0: not yet).
  Nanos coveredFrom() const { return coveredFrom_; }

 private:
  struct Swap {
    Nanos ts;
    U256 base, quote;
  };
  Nanos window_ = kDay;
  std::deque<Swap> swaps_;  // oldest first (added in chain order)
  U256 base_ = 0, quote_ = 0;
  Nanos coveredFrom_ = 0;
};

}  // namespace kappa::evm
