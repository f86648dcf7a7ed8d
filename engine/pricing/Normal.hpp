#pragma once
// Standard normal distribution. Both tails keep full relative precision: the CDF is computed on
// the tail side, Phi(x) = phi(x) sqrt(pi/2) erfcx(|x|/sqrt 2) for x < 0 and 1 minus that for x > 0,
// which the deep wings of an option chain need. Callers that already hold phi(x) use the two
// halves below (normTailSign, normCdfSignedFromScaledPdf) and skip the exponential.
#include <algorithm>
#include <cmath>

#include "pricing/Erfcx.hpp"
#include "pricing/InlineExpLog.hpp"

namespace kappa::pricing {

// Beyond |x| = 38.6 the density underflows to 0, which inlineExp reaches without a branch.
inline double normPdf(double x) { return inlineExpTimes(-0.5 * x * x, 0.39894228040143267794); }

// The option formulas' N(w d) for w = +-1, in two halves so that a caller can fold constants
// into the density's multiplier before the density arrives (the kernel's latency is the chain
// d -> phi(d) -> N(d)):
//   m = normTailSign(w, d) = -sign(w d), exact +-1, available as soon as d is;
//   N(w d) = normCdfSignedFromScaledPdf(d, m, m sqrt(pi/2) phi(d)).
// The select "w d < 0 ? tail : 1 - tail" is arithmetic rather than a jump: across a chain the
// sign of d1 and d2 is a coin flip, and a mispredicted jump costs as much as the erfcx. The
// products by m and (0.5 - 0.5 m) are exact.
inline double normTailSign(double w, double d) { return std::copysign(1.0, -(w * d)); }

inline constexpr double kSqrtHalfPi = 1.25331413731550025121;

inline double normCdfSignedFromScaledPdf(double d, double m, double mScaledPdf) {
  // Where erfcx would need its asymptotic series (|d| / sqrt2 >= 31.5) phi is already 0: clamp
  // so that the lookup stays in the table with the same result, 0. The row index comes from |d|
  // directly (erfcxTableRange's factor), not after the multiplication by 1/sqrt 2.
  const double ad = std::min(std::abs(d), 44.5);  // 31.5 sqrt 2; a NaN stays NaN (masked row)
  return (0.5 - 0.5 * m) + mScaledPdf * erfcxTableRange(ad, 0.70710678118654752440);
}

inline double normCdf(double x) {
  const double m = normTailSign(1.0, x);
  return normCdfSignedFromScaledPdf(x, m, (m * kSqrtHalfPi) * normPdf(x));
}

// Inverse CDF (quantile), |relative error| < 1e-15 after one Halley refinement; p in (0, 1).
double normQuantile(double p);
// The same without the refinement (~1e-9 relative): for starting guesses that are refined anyway.
double normQuantileFast(double p);

}  // namespace kappa::pricing
