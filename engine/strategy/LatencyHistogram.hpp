#pragma once
// Latency distribution in log-spaced buckets (8 per octave, 32 ns .. ~68 s): constant memory,
// a few instructions per sample, percentiles accurate to one bucket (~9 %).
#include <array>
#include <cstdint>

#include "core/Types.hpp"

namespace kappa {

class LatencyHistogram {
 public:
  static constexpr int kSubBuckets = 8;
  static constexpr int kOctaves = 31;  // 2^5 .. 2^36 ns

  void add(Nanos ns);
  std::uint64_t count() const { return count_; }
  Nanos max() const { return max_; }
  double mean() const { return count_ ? double(sum_) / double(count_) : 0.0; }
  // Upper edge of the bucket holding the q-quantile (q in [0, 1]); 0 when empty.
  Nanos percentile(double q) const;
  void clear() { *this = LatencyHistogram(); }

 private:
  static int bucketOf(Nanos ns);
  static Nanos upperEdge(int bucket);
  std::array<std::uint64_t, kOctaves * kSubBuckets + 1> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  Nanos max_ = 0;
};

}  // namespace kappa
