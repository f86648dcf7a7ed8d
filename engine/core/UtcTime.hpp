#pragma once
// Wall times as a trader reads them in a message ("lost since 14:03:07 UTC").
#include <ctime>
#include <string>

#include "core/Types.hpp"

namespace kappa {

// "14:03:07 UTC": a wall time of today in a message to a trader (a halt's, a lost link's).
inline std::string utcClockTime(Nanos wall) {
  const std::time_t t = std::time_t(wall / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace kappa
