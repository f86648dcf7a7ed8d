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
inline constexpr double toDouble(std::int64_t v) { return double(v) / double(kFixedScale); }

}  // namespace kappa
