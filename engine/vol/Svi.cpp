#include "vol/Svi.hpp"

#include <cmath>
#include <limits>

namespace kappa::vol {

double sviTotalVariance(const SviParams& p, double k) {
  const double x = k - p.m;
  return p.a + p.b * (p.rho * x + std::sqrt(x * x + p.sigma * p.sigma));
}

double sviFirstDerivative(const SviParams& p, double k) {
  const double x = k - p.m;
  return p.b * (p.rho + x / std::sqrt(x * x + p.sigma * p.sigma));
}

double sviSecondDerivative(const SviParams& p, double k) {
  const double x = k - p.m;
  const double r2 = x * x + p.sigma * p.sigma;
  return p.b * p.sigma * p.sigma / (r2 * std::sqrt(r2));
}

SviValue sviEvaluate(const SviParams& p, double k) {
  const double x = k - p.m;
  const double s2 = p.sigma * p.sigma;
  const double r2 = x * x + s2;
  const double r = std::sqrt(r2);
  SviValue v;
  v.w = p.a + p.b * (p.rho * x + r);
  v.dw = p.b * (p.rho + x / r);
  v.d2w = p.b * s2 / (r2 * r);
  return v;
}

double sviImpliedVol(const SviParams& p, double k, double t) {
  if (!(t > 0)) return 0;
  const double w = sviTotalVariance(p, k);
  return w > 0 ? std::sqrt(w / t) : 0;
}

double sviDurrlemanG(const SviValue& v, double k) {
  if (!(v.w > 0)) return -std::numeric_limits<double>::infinity();
  const double first = 1.0 - k * v.dw / (2.0 * v.w);
  return first * first - 0.25 * v.dw * v.dw * (1.0 / v.w + 0.25) + 0.5 * v.d2w;
}

double sviDurrlemanG(const SviParams& p, double k) { return sviDurrlemanG(sviEvaluate(p, k), k); }

double sviMinTotalVariance(const SviParams& p) {
  const double oneMinusRho2 = 1.0 - p.rho * p.rho;
  return p.a + p.b * p.sigma * std::sqrt(oneMinusRho2 > 0 ? oneMinusRho2 : 0.0);
}

bool sviParamsValid(const SviParams& p) {
  const bool finite = std::isfinite(p.a) && std::isfinite(p.b) && std::isfinite(p.rho) && std::isfinite(p.m) &&
                      std::isfinite(p.sigma);
  return finite && p.b >= 0 && std::abs(p.rho) < 1 && p.sigma > 0 && sviMinTotalVariance(p) >= 0;
}

}  // namespace kappa::vol
