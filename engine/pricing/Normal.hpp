#pragma once
// Standard normal distribution. Both tails keep full relative precision: the CDF is computed on
// the tail side, Phi(x) = phi(x) sqrt(pi/2) erfcx(|x|/sqrt 2) for x < 0 and 1 minus that for x > 0,
// which the deep wings of an option chain need. Callers that already hold phi(x) use normCdfWithPdf
// and skip the exponential.
#include <cmath>

#include "pricing/Erfcx.hpp"

namespace kappa::pricing {

inline double normPdf(double x) { return 0.39894228040143267794 * std::exp(-0.5 * x * x); }

inline double normCdfWithPdf(double x, double pdf) {
  const double tail = pdf * 1.25331413731550025121 * erfcx(std::abs(x) * 0.70710678118654752440);
  return x < 0 ? tail : 1.0 - tail;
}

inline double normCdf(double x) { return normCdfWithPdf(x, normPdf(x)); }

// Inverse CDF (quantile), |relative error| < 1e-15 after one Halley refinement; p in (0, 1).
double normQuantile(double p);
// The same without the refinement (~1e-9 relative): for starting guesses that are refined anyway.
double normQuantileFast(double p);

}  // namespace kappa::pricing
