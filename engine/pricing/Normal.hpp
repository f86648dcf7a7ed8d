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

// Beyond |x| = 38.6 the density underflows to 0 anyway; answering 0 directly skips exp's slow
// underflow path (it sets errno), which deep-wing options otherwise take on every call.
inline double normPdf(double x) {
  const double half = 0.5 * x * x;
  return half < 745.5 ? 0.39894228040143267794 * inlineExp(-half) : 0.0;
}

inline double normCdfWithPdf(double x, double pdf) {
  // Where erfcx would need its asymptotic series (|x| / sqrt2 >= 32) pdf is already 0: clamp the
  // argument so that the tail stays on the table's fast path with the same result, 0.
  const double arg = std::min(std::abs(x) * 0.70710678118654752440, 31.5);
  const double tail = pdf * 1.25331413731550025121 * erfcxTableRange(arg);
  // x < 0 ? tail : 1 - tail without a jump: across a chain the sign of d1 and d2 is a coin flip,
  // and GCC compiles the select to a jump whose misses cost 15-20 cycles each (on repeated
  // inputs the predictor may learn the pattern, and a benchmark then swings between runs).
  // m = -sign(x) is two bit operations; (0.5 - 0.5 m) and m * tail are exact (0 or 1, +-tail).
  const double m = std::copysign(1.0, -x);
  return (0.5 - 0.5 * m) + m * tail;
}

inline double normCdf(double x) { return normCdfWithPdf(x, normPdf(x)); }

// Inverse CDF (quantile), |relative error| < 1e-15 after one Halley refinement; p in (0, 1).
double normQuantile(double p);
// The same without the refinement (~1e-9 relative): for starting guesses that are refined anyway.
double normQuantileFast(double p);

}  // namespace kappa::pricing
