#pragma once
// Standard normal distribution. The CDF goes through erfc so that both tails keep full relative
// precision (1 - Phi(x) computed as Phi(-x)), which the deep wings of an option chain need.
#include <cmath>

namespace kappa::pricing {

inline double normPdf(double x) { return 0.39894228040143267794 * std::exp(-0.5 * x * x); }
inline double normCdf(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752440); }
// Inverse CDF (quantile), |relative error| < 1e-15 after one Halley refinement; p in (0, 1).
double normQuantile(double p);
// The same without the refinement (~1e-9 relative): for starting guesses that are refined anyway.
double normQuantileFast(double p);

}  // namespace kappa::pricing
