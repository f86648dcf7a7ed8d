#pragma once
// Deterministic random numbers for the simulator. Hand-written (xoshiro256** seeded by splitmix64,
// Box-Muller normals) because std:: distributions are not specified bit-for-bit across standard
// libraries, and the same --seed must give the same market everywhere.
#include <cmath>
#include <cstdint>

namespace kappa::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    if (hasSpare_) { hasSpare_ = false; return spare_; }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    hasSpare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  // Number of events of a Poisson process with the given mean (Knuth for small means, normal
  // approximation above 30).
  std::uint32_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const double x = mean + std::sqrt(mean) * normal() + 0.5;
      return x < 0 ? 0 : std::uint32_t(x);
    }
    const double limit = std::exp(-mean);
    double p = uniform();
    std::uint32_t k = 0;
    while (p > limit) { ++k; p *= uniform(); }
    return k;
  }
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0;
  bool hasSpare_ = false;
};

}  // namespace kappa::sim
