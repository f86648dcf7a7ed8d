#pragma once
// Standard normal distribution. Both tails keep full relative precision: the CDF is computed on
// the tail side, Phi(x) = phi(x) sqrt(pi/2) erfcx(|x|/sqrt 2) for x < 0 and 1 minus that for x > 0,
// which the deep wings of an option chain need. Callers that already hold phi(x) use normCdfWithPdf
// and skip the exponential.
#include <algorithm>
#include <cmath>

#include "pricing/Erfcx.hpp"
#include "pricing/InlineExpLog.hpp"

namespace kappa::pricing {

// Beyond |x| = 38.6 the density underflows to 0, which inlineExp reaches without a branch.
inline double normPdf(double x) { return inlineExpTimes(-0.5 * x * x, 0.39894228040143267794); }

// Phi(sign x) for sign = +-1, given pdf = phi(x): the option formulas' N(w d), with |w d| taken
// as |d| so that the table lookup does not wait for the multiplication by w.
inline double normCdfSignedWithPdf(double sign, double x, double pdf) {
  // Where erfcx would need its asymptotic series (|x| / sqrt2 >= 31.5) pdf is already 0: clamp the
  // argument so that the tail stays on the table's fast path with the same result, 0.
  const double arg = std::min(std::abs(x) * 0.70710678118654752440, 31.5);
  // sign x < 0 ? tail : 1 - tail without a jump: across a chain the sign of d1 and d2 is a coin
  // flip, and GCC compiles the select to a jump whose misses cost 15-20 cycles each (on repeated
  // inputs the predictor may learn the pattern, and a benchmark then swings between runs).
  // m = -sign(sign x) is two bit operations; (0.5 - 0.5 m) and the products by m are exact.
  const double m = std::copysign(1.0, -(sign * x));
  const double mScale = m * (pdf * 1.25331413731550025121);
  return (0.5 - 0.5 * m) + mScale * erfcxTableRange(arg);
}

inline double normCdfWithPdf(double x, double pdf) { return normCdfSignedWithPdf(1.0, x, pdf); }

inline double normCdf(double x) { return normCdfWithPdf(x, normPdf(x)); }

// Inverse CDF (quantile), |relative error| < 1e-15 after one Halley refinement; p in (0, 1).
double normQuantile(double p);
// The same without the refinement (~1e-9 relative): for starting guesses that are refined anyway.
double normQuantileFast(double p);

}  // namespace kappa::pricing
