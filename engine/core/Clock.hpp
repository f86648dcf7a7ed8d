#pragma once
#include <chrono>

#include "core/Types.hpp"

namespace kappa {

// Wall clock (UTC) for timestamps shown to the user and written to reports.
inline Nanos wallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}
// Monotonic clock for latencies and rates.
inline Nanos monoNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace kappa
