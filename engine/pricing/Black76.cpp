#include "pricing/Black76.hpp"

#include <algorithm>
#include <cmath>

namespace kappa::pricing {

double normCdf(double x) { return 0.5 * std::erfc(-x * M_SQRT1_2); }
double normPdf(double x) { return 0.3989422804014327 * std::exp(-0.5 * x * x); }

double black76(bool isCall, double f, double k, double t, double sigma) {
  if (t <= 0 || sigma <= 0) return std::max(isCall ? f - k : k - f, 0.0);
  const double sd = sigma * std::sqrt(t);
  const double d1 = (std::log(f / k) + 0.5 * sd * sd) / sd;
  const double d2 = d1 - sd;
  return isCall ? f * normCdf(d1) - k * normCdf(d2) : k * normCdf(-d2) - f * normCdf(-d1);
}

double black76Vega(double f, double k, double t, double sigma) {
  if (t <= 0 || sigma <= 0) return 0.0;
  const double sd = sigma * std::sqrt(t);
  const double d1 = (std::log(f / k) + 0.5 * sd * sd) / sd;
  return f * normPdf(d1) * std::sqrt(t);
}

}  // namespace kappa::pricing
