#pragma once
// exp and log written inline for the Black-Scholes kernel.
//
// Why our own: bsmGreeks needs three exponentials and two logarithms. Calling glibc's costs little
// by itself, but every call clobbers all vector registers (the SysV ABI saves none of them), so
// the compiler spills and reloads the dozen live doubles of the Greeks around every one of the
// calls and cannot interleave the independent exponentials. Inline, they are ~20 instructions
// each that the compiler schedules with the rest.
//
// Accuracy (tst_pricing checks both against long double on a million arguments): within 1.4 ulp
// for exp where the result is a normal double and within 2.2 ulp for log on every positive double
// (glibc: 0.5 and 0.52; a pricing formula's own roundings are tens of ulp). Neither calls the
// library for any argument: exp overflows to inf and underflows through the subnormals to 0,
// log(0) = -inf, log of a negative number or NaN is NaN, log(inf) = inf.
//
// Both are table-driven with tables built at compile time (no guard, no start-up cost):
//   exp:  x = (k + j/64) ln2 + r, |r| <= ln2/128;  e^x = 2^k 2^(j/64) e^r, e^r by Taylor to r^5
//   log:  x = 2^e z, z in [0.709, 1.418) split in 128 intervals with a centre c each;
//         log x = e ln2 + log c + log1p((z - c)/c), log1p by Taylor to r^8 (|r| <= 1/128)
// z - c is exact (Sterbenz: z and c are within a factor 2) and the division is a multiplication
// by 1/c, so r carries one rounding relative to itself; 1 is the centre of its interval, so log
// stays relatively accurate near 1 (log(S/K) at the money).
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kappa::pricing {
namespace detail {

// Compile-time reference values in long double (x87 80-bit: 11 bits beyond double).
consteval long double expSeries(long double x) {  // |x| <= 1
  long double term = 1, sum = 1;
  for (int n = 1; n < 40; ++n) {
    term *= x / n;
    sum += term;
  }
  return sum;
}

consteval long double logSeries(long double y) {  // y in [0.5, 2]: 2 atanh((y - 1)/(y + 1))
  const long double s = (y - 1) / (y + 1), s2 = s * s;
  long double power = s, sum = 0;
  for (int n = 0; n < 60; ++n) {
    sum += power / (2 * n + 1);
    power *= s2;
  }
  return 2 * sum;
}

inline constexpr long double kLn2Long = 0.693147180559945309417232121458176568L;
// ln 2 split so that n * kLn2Hi is exact for |n| < 2^17 (its low 17 bits are zero).
inline constexpr double kLn2Hi = 0x1.62e42fefa0000p-1;
inline constexpr double kLn2Lo = double(kLn2Long - (long double)kLn2Hi);

struct ExpTable {
  static constexpr int kBits = 6, kSize = 1 << kBits;
  double pow2[kSize];  // 2^(j/64)
  consteval ExpTable() : pow2{} {
    for (int j = 0; j < kSize; ++j) pow2[j] = double(expSeries(j * kLn2Long / kSize));
  }
};
inline constexpr ExpTable kExpTable{};

struct LogTable {
  static constexpr int kBits = 7, kSize = 1 << kBits;
  // Intervals of equal width in the bits from ~0.709 to ~1.418, placed so that 1 is the centre of
  // one of them (the 75th): |log x| near 1 then comes from the polynomial alone, exact to 1 ulp.
  static constexpr std::uint64_t kOffset = 0x3ff0000000000000ULL - (std::uint64_t(149) << (51 - kBits));
  double centre[kSize], invCentre[kSize], logCentre[kSize];
  consteval LogTable() : centre{}, invCentre{}, logCentre{} {
    for (int i = 0; i < kSize; ++i) {
      const std::uint64_t lo = kOffset + (std::uint64_t(i) << (52 - kBits));
      // The centre, cut to a short mantissa so that 1/c and log c round close to their exact values.
      const double mid = std::bit_cast<double>(lo + (std::uint64_t(1) << (51 - kBits)));
      const double c = double((long long)(mid * 4096.0)) / 4096.0;
      centre[i] = c;
      invCentre[i] = 1.0 / c;
      logCentre[i] = double(logSeries(c));
    }
  }
};
inline constexpr LogTable kLogTable{};

}  // namespace detail

// factor * e^x, with the factor applied to the power of two while the polynomial is evaluated
// (the density's 1/sqrt(2 pi) costs no latency that way).
inline double inlineExpTimes(double x, double factor) {
  // Beyond these the result is 0 or +inf anyway; a NaN passes both comparisons and stays NaN.
  x = x < -746.0 ? -746.0 : x;
  x = x > 710.0 ? 710.0 : x;
  using T = detail::ExpTable;
  constexpr double kInvStep = T::kSize / 0.693147180559945309417232121458176568;
  // Round x / step to an integer n with the 1.5 * 2^52 trick: n lands in the low mantissa bits.
  constexpr double kShift = 0x1.8p52;
  const double kd = x * kInvStep + kShift;
  const std::int64_t n = std::int64_t(std::bit_cast<std::uint64_t>(kd) << 13) >> 13;  // sign-extend 51 bits
  const double nd = kd - kShift;
  // r = x - n ln2/64 in two parts; the low part's product runs beside the high part's.
  const double r = (x - nd * (detail::kLn2Hi / T::kSize)) - nd * (detail::kLn2Lo / T::kSize);
  // 2^(n/64) = 2^(j/64) 2^k, and 2^k = 2^(k/2) 2^(k - k/2): both factors stay normal doubles over
  // the whole clamped range, so overflow, underflow and subnormal results come out of the same
  // arithmetic (no special case, no library call: a call would make the caller spill its
  // registers).
  const std::int64_t k = n >> T::kBits, kHalf = k >> 1;
  const double scale = std::bit_cast<double>(std::bit_cast<std::uint64_t>(detail::kExpTable.pow2[n & (T::kSize - 1)]) +
                                             (std::uint64_t(kHalf) << 52)) *
                       (std::bit_cast<double>(std::uint64_t(1023 + (k - kHalf)) << 52) * factor);
  // e^r - 1 = r + r^2/2 + ... + r^5/120 (truncation below 4e-17 for |r| <= ln2/128), Estrin.
  const double r2 = r * r;
  const double a = 0.5 + r * (1.0 / 6), b = (1.0 / 24) + r * (1.0 / 120);
  const double em1 = r + r2 * (a + r2 * b);
  // Exact while the result is normal and factor is 1; a subnormal result is rounded once more.
  return scale + scale * em1;
}

inline double inlineExp(double x) { return inlineExpTimes(x, 1.0); }

// log x as head + tail, tail being the polynomial part that is ready last: callers that add
// more terms add the head first.
struct LogParts {
  double head, tail;
};

inline LogParts inlineLogParts(double x) {
  using T = detail::LogTable;
  std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  double eAdjust = 0;
  constexpr std::uint64_t kMinNormal = 0x0010000000000000ULL, kInf = 0x7ff0000000000000ULL;
  if (bits - kMinNormal >= kInf - kMinNormal) [[unlikely]] {  // not a positive normal double
    if (x != x) return {x, 0.0};
    if (x < 0) return {std::numeric_limits<double>::quiet_NaN(), 0.0};
    if (x == 0) return {-std::numeric_limits<double>::infinity(), 0.0};
    if (bits == kInf) return {x, 0.0};
    bits = std::bit_cast<std::uint64_t>(x * 0x1p52);  // subnormal: scale into the normal range
    eAdjust = -52;
  }
  const std::uint64_t tmp = bits - T::kOffset;
  const int i = int((tmp >> (52 - T::kBits)) % T::kSize);
  const std::int64_t e = std::int64_t(tmp) >> 52;
  const double z = std::bit_cast<double>(bits - (std::uint64_t(e) << 52));
  const double r = (z - detail::kLogTable.centre[i]) * detail::kLogTable.invCentre[i];
  // log1p(r) = r + r^2 (-1/2 + r/3) + r^4 (-1/4 + r/5) + r^6 (-1/6 + r/7) - r^8/8, as a tree
  // of fused multiply-adds; the table part and r are summed while the tail is still computed.
  const double r2 = r * r, r4 = r2 * r2;
  const double c2 = -0.5 + r * (1.0 / 3), c4 = -0.25 + r * 0.2, c6 = (-1.0 / 6) + r * (1.0 / 7);
  const double tail = (r2 * c2 + r4 * c4) + r4 * r2 * (c6 - r2 * 0.125);
  const double ed = double(e) + eAdjust;
  const double head = (ed * detail::kLn2Hi + detail::kLogTable.logCentre[i]) + r;
  return {head + ed * detail::kLn2Lo, tail};
}

inline double inlineLog(double x) {
  const LogParts parts = inlineLogParts(x);
  return parts.head + parts.tail;
}

}  // namespace kappa::pricing
