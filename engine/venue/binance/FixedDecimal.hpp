#pragma once
// Binance's decimal texts ("67000.10", "0.003", "-0.00038167") to the engine's fixed point
// (int64 * 1e8), straight from the JSON text: the depth stream carries two of them per level, so
// this sits on the decoder's hot path and is written for it (one pass, no locale, no double).
//
// Accepted: an optional sign, digits, an optional '.' and digits, at least one digit in all
// ("5", "5.", ".5", "007.50"). Digits past the eighth decimal are dropped (truncation: fixed point
// holds no more). Refused: exponents ("1e-3": Binance never sends them for prices or quantities),
// any other character, and values beyond what int64 * 1e8 holds (|v| > 92233720368.54775807).
#include <cstdint>
#include <string_view>

#include "core/Fixed.hpp"

namespace kappa::binance {

// Reads the decimal starting at `p` (not past `end`) into `out`; returns where it stopped (the
// first character not part of it), or nullptr if there is no digit or the value overflows. The
// caller checks what follows (the end of the text, the closing quote of a JSON string).
inline const char* scanFixed(const char* p, const char* end, std::int64_t& out) {
  static_assert(kFixedScale == 100'000'000, "eight decimals");
  bool negative = false;
  if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  const char* const start = p;
  std::uint64_t whole = 0;
  while (p < end && unsigned(*p - '0') < 10) whole = whole * 10 + unsigned(*p++ - '0');
  if (p - start > 19) {  // more digits than uint64 holds (leading zeros, or too large): one by one
    whole = 0;
    for (const char* q = start; q < p; ++q)
      if ((whole = whole * 10 + unsigned(*q - '0')) > 92'233'720'368ull) return nullptr;
  }
  if (whole > 92'233'720'368ull) return nullptr;  // INT64_MAX / 1e8: more cannot be held
  std::uint64_t frac = 0;
  bool digits = p != start;
  if (p < end && *p == '.') {
    ++p;
    const char* const fracStart = p;
    const char* const fracEnd = end - p > 8 ? p + 8 : end;
    while (p < fracEnd && unsigned(*p - '0') < 10) frac = frac * 10 + unsigned(*p++ - '0');
    static constexpr std::uint64_t kScaleUp[9] = {100'000'000, 10'000'000, 1'000'000, 100'000, 10'000, 1'000, 100, 10, 1};
    frac *= kScaleUp[p - fracStart];
    while (p < end && unsigned(*p - '0') < 10) ++p;  // beyond the eighth decimal: dropped
    digits = digits || p != fracStart;
  }
  if (!digits) return nullptr;
  const std::uint64_t v = whole * std::uint64_t(kFixedScale) + frac;
  if (v > std::uint64_t(INT64_MAX)) return nullptr;
  out = negative ? -std::int64_t(v) : std::int64_t(v);
  return p;
}

// The whole text must be one decimal. False on anything else (`out` then unchanged).
inline bool parseFixed(std::string_view text, std::int64_t& out) {
  const char* end = text.data() + text.size();
  std::int64_t v = 0;
  const char* stop = scanFixed(text.data(), end, v);
  if (stop == nullptr || stop != end) return false;
  out = v;
  return true;
}

}  // namespace kappa::binance
