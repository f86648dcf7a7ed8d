#include "strategy/LatencyHistogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kappa {

int LatencyHistogram::bucketOf(Nanos ns) {
  if (ns < 32) return 0;
  const int octave = std::bit_width(std::uint64_t(ns)) - 1;  // 2^octave <= ns
  if (octave - 5 >= kOctaves) return int(kOctaves * kSubBuckets);
  const int sub = int((std::uint64_t(ns) >> (octave - 3)) & 7);  // next three bits
  return (octave - 5) * kSubBuckets + sub + 1;
}

Nanos LatencyHistogram::upperEdge(int bucket) {
  if (bucket == 0) return 32;
  const int octave = (bucket - 1) / kSubBuckets + 5, sub = (bucket - 1) % kSubBuckets;
  return Nanos((std::uint64_t(8 + sub + 1)) << (octave - 3));
}

void LatencyHistogram::add(Nanos ns) {
  ns = std::max<Nanos>(ns, 0);
  ++buckets_[std::size_t(bucketOf(ns))];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
}

Nanos LatencyHistogram::percentile(double q) const {
  if (!count_) return 0;
  const std::uint64_t rank = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(q * double(count_))));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) return std::min(upperEdge(int(b)), max_);
  }
  return max_;
}

}  // namespace kappa
