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
  // df = e^{-rT}, growth = e^{bT} = F/S, carryDf = e^{(b-r)T}. Black-76 (b = 0) and crypto chains
  // (r = 0) need one exponential or none.
  const double df = r == 0 ? 1.0 : std::exp(-r * t);
  const double growth = b == 0 ? 1.0 : std::exp(b * t);
  const double carryDf = b == 0 ? df : b == r ? 1.0 : growth * df;
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
  // Two divisions (S/K and 1/(S sd)): the others are rewritten on them, e.g. 1/sd = S/(S sd),
  // 1/sigma = sqrt(T)/sd, 1/T = sigma^2/sd^2, because a division costs as much as the rest of a Greek.
  const double sqrtT = std::sqrt(t);
  const double sd = sigma * sqrtT;
  const double moneyness = s / k;
  const double invSSd = 1.0 / (s * sd);
  const double invSd = s * invSSd;
  const double d1 = (std::log(moneyness) + (b + 0.5 * sigma * sigma) * t) * invSd;
  const double d2 = d1 - sd;
  const double sTerm = s * carryDf;
  const double kTerm = k * df;
  // phi(d2) = phi(d1) F/K (because d1^2 - d2^2 = 2 ln(F/K)): one exponential for both densities,
  // unless phi(d1) is so far in the tail that it lost its precision (then phi(d2) on its own).
  const double nd1 = normPdf(d1);
  const double nd2 = nd1 > 1e-280 ? nd1 * (moneyness * growth) : normPdf(d2);
  const double Nd1 = normCdfWithPdf(w * d1, nd1);  // N(d1) for a call, N(-d1) for a put
  const double Nd2 = normCdfWithPdf(w * d2, nd2);
  const double invSigma = sqrtT * invSd;
  const double halfInvT = 0.5 * sigma * sigma * invSd * invSd;
  g.price = w * (sTerm * Nd1 - kTerm * Nd2);
  g.delta = w * carryDf * Nd1;
  g.gamma = carryDf * nd1 * invSSd;
  g.vega = sTerm * nd1 * sqrtT;
  g.theta = -sTerm * nd1 * sigma * sigma * invSd * 0.5 - w * (b - r) * sTerm * Nd1 - w * r * kTerm * Nd2;
  g.rho = rhoCarries ? w * t * kTerm * Nd2 : -t * g.price;
  g.dividendRho = -w * t * sTerm * Nd1;
  g.vanna = -carryDf * nd1 * d2 * invSigma;
  g.volga = g.vega * d1 * d2 * invSigma;
  // d(delta)/dt as time passes = -d(delta)/dT.
  g.charm = -carryDf * (nd1 * (b * invSd - d2 * halfInvT) + w * (b - r) * Nd1);
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
