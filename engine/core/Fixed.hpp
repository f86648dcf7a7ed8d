#pragma once
// Prices and quantities in the hot path are fixed-point integers with 8 decimals (like satoshis):
// exact tick arithmetic and comparisons, no rounding drift. Doubles appear only at the edges
// (display, analytics, fees).
#include <cmath>
#include <cstdint>

namespace kappa {

using Price = std::int64_t;  // value * 1e8
using Qty = std::int64_t;    // value * 1e8

inline constexpr std::int64_t kFixedScale = 100'000'000;

inline std::int64_t toFixed(double v) { return std::llround(v * double(kFixedScale)); }
// A finite double that fixed point can hold (a price or amount off the wire): false for NaN,
// infinities and magnitudes like 1e300 that would overflow.
inline bool toFixedChecked(double v, std::int64_t& out) {
  if (!std::isfinite(v) || std::abs(v) > 9.0e10) return false;
  out = toFixed(v);
  return true;
}
inline constexpr double toDouble(std::int64_t v) { return double(v) / double(kFixedScale); }

}  // namespace kappa
