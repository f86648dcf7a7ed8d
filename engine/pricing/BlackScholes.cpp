#include "pricing/BlackScholes.hpp"

#include <algorithm>
#include <cmath>

#include "pricing/Normal.hpp"

namespace kappa::pricing {
namespace {

// The generalized formula with carry b; `rhoCarries` says whether b moves with r (BSM: b = r - q)
// or stays fixed (Black-76: b = 0), which changes rho.
Greeks generalized(CallPut type, double s, double k, double t, double r, double b, double sigma, bool rhoCarries) {
  Greeks g;
  const double w = double(type);  // +1 call, -1 put
  const double carryDf = std::exp((b - r) * t);
  const double df = std::exp(-r * t);
  if (t <= 0 || sigma <= 0) {  // expired or no volatility: discounted intrinsic on the forward
    const double fwd = s * std::exp(b * std::max(t, 0.0));
    const double intrinsic = std::max(w * (fwd - k), 0.0);
    g.price = std::max(t, 0.0) > 0 ? df * intrinsic : std::max(w * (s - k), 0.0);
    g.delta = intrinsic > 0 ? w * carryDf : 0.0;
    if (t > 0 && intrinsic > 0) {
      // V = e^{-rT} w (S e^{bT} - K): deterministic, but it still decays and moves with rates.
      const double sTerm = s * carryDf;  // S e^{(b-r)T}
      g.theta = r * g.price - w * b * sTerm;
      g.rho = rhoCarries ? t * (w * sTerm - g.price) : -t * g.price;
      g.dividendRho = -w * t * sTerm;
    }
    return g;
  }
  const double sqrtT = std::sqrt(t);
  const double sd = sigma * sqrtT;
  const double d1 = (std::log(s / k) + (b + 0.5 * sigma * sigma) * t) / sd;
  const double d2 = d1 - sd;
  const double nd1 = normPdf(d1);
  const double Nd1 = normCdf(w * d1);  // N(d1) for a call, N(-d1) for a put
  const double Nd2 = normCdf(w * d2);
  const double sTerm = s * carryDf;
  const double kTerm = k * df;
  g.price = w * (sTerm * Nd1 - kTerm * Nd2);
  g.delta = w * carryDf * Nd1;
  g.gamma = carryDf * nd1 / (s * sd);
  g.vega = sTerm * nd1 * sqrtT;
  g.theta = -sTerm * nd1 * sigma / (2 * sqrtT) - w * (b - r) * sTerm * Nd1 - w * r * kTerm * Nd2;
  g.rho = rhoCarries ? w * t * kTerm * Nd2 : -t * g.price;
  g.dividendRho = -w * t * sTerm * Nd1;
  g.vanna = -carryDf * nd1 * d2 / sigma;
  g.volga = g.vega * d1 * d2 / sigma;
  // d(delta)/dt as time passes = -d(delta)/dT.
  g.charm = -carryDf * (nd1 * (b / sd - d2 / (2 * t)) + w * (b - r) * Nd1);
  return g;
}

}  // namespace

double bsmPrice(CallPut type, double s, double k, double t, double r, double q, double sigma) {
  return generalized(type, s, k, t, r, r - q, sigma, true).price;
}

Greeks bsmGreeks(CallPut type, double s, double k, double t, double r, double q, double sigma) {
  return generalized(type, s, k, t, r, r - q, sigma, true);
}

double black76Price(CallPut type, double f, double k, double t, double r, double sigma) {
  return generalized(type, f, k, t, r, 0.0, sigma, false).price;
}

Greeks black76Greeks(CallPut type, double f, double k, double t, double r, double sigma) {
  Greeks g = generalized(type, f, k, t, r, 0.0, sigma, false);
  g.dividendRho = 0;
  return g;
}

}  // namespace kappa::pricing
