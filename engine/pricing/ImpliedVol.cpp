#include "pricing/ImpliedVol.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pricing/Normal.hpp"

namespace kappa::pricing {

const char* nameOf(IvStatus s) {
  switch (s) {
    case IvStatus::Ok: return "ok";
    case IvStatus::BelowIntrinsic: return "below_intrinsic";
    case IvStatus::AboveMaximum: return "above_maximum";
    case IvStatus::NoTimeValue: return "no_time_value";
    case IvStatus::InvalidInput: return "invalid_input";
    case IvStatus::NotConverged: return "not_converged";
  }
  return "?";
}

namespace {
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;

// The out-of-the-money call at x <= 0, b = e^{x/2} Phi(h + t) - e^{-x/2} Phi(h - t) with h = x/s and
// t = s/2, written on erfcx. Because h t = x/2, both terms carry the same factor
// E = exp(-(h^2 + t^2)/2), which is also vega / phi(0):
//   lower branch (h + t <= 0): b = E/2 [erfcx(-(h+t)/sqrt2) - erfcx((t-h)/sqrt2)]
//   upper branch (h + t > 0):  b = e^{x/2} - E/2 [erfcx((h+t)/sqrt2) + erfcx((t-h)/sqrt2)]
// All erfcx arguments are >= 0. On the lower branch ln b and vega/b need no exponential at all and
// never underflow, however deep in the wing; the difference of the two erfcx loses bits when s is
// tiny, but exactly where vega/b is large, so the implied s it determines keeps ~1 ulp.
struct OtmCall {
  double lnE = 0;      // ln E = -(h^2 + t^2)/2
  double diff = 0;     // lower branch: erfcx(-(h+t)/sqrt2) - erfcx((t-h)/sqrt2), > 0
  double b = 0;        // upper branch: the price
  bool lower = false;  // which form was used
};

inline OtmCall otmCall(double x, double s, double ex2) {
  const double h = x / s, t = 0.5 * s;
  OtmCall c;
  c.lnE = -0.5 * (h * h + t * t);
  const double far = erfcx((t - h) * kInvSqrt2);
  if (h + t <= 0) {
    c.lower = true;
    c.diff = erfcx(-(h + t) * kInvSqrt2) - far;
  } else {
    c.b = ex2 - 0.5 * std::exp(c.lnE) * (erfcx((h + t) * kInvSqrt2) + far);
  }
  return c;
}

inline double otmCallPrice(double x, double s, double ex2) {
  const OtmCall c = otmCall(x, s, ex2);
  return c.lower ? 0.5 * std::exp(c.lnE) * c.diff : c.b;
}
}  // namespace

double normalisedVega(double x, double s) {
  const double h = x / s;
  return kInvSqrt2Pi * std::exp(-0.5 * h * h - 0.125 * s * s);
}

double normalisedBlack(double x, double s, bool isCall) {
  const double ex2 = std::exp(0.5 * x), emx2 = 1.0 / ex2;
  const double intrinsic = std::max(isCall ? ex2 - emx2 : emx2 - ex2, 0.0);
  // The time value of any option equals that of the OTM call at -|x| (put-call parity + symmetry).
  const double ax = -std::abs(x);
  return intrinsic + otmCallPrice(ax, s, std::exp(0.5 * ax));
}

ImpliedVol normalisedImpliedVol(bool isCall, double x, double beta, double guessS) {
  ImpliedVol r;
  if (!std::isfinite(x) || !std::isfinite(beta)) return r;  // NaN or infinite input
  const double ex2 = std::exp(0.5 * x), emx2 = 1.0 / ex2;
  const double intrinsic = std::max(isCall ? ex2 - emx2 : emx2 - ex2, 0.0);
  const double upper = isCall ? ex2 : emx2;
  if (beta >= upper) return {std::numeric_limits<double>::infinity(), IvStatus::AboveMaximum, 0};
  // Within a few ulps of intrinsic the time value is rounding noise: no volatility is defined.
  const double noise = 4 * std::numeric_limits<double>::epsilon() * std::max(intrinsic, 1e-300);
  if (beta < 0 || beta < intrinsic - noise) return {0, IvStatus::BelowIntrinsic, 0};
  const double tv = beta - intrinsic;  // time value = price of the OTM call at -|x|
  if (tv <= noise) return {0, IvStatus::NoTimeValue, 0};

  const double ax = -std::abs(x);
  const double ea = std::exp(0.5 * ax), ema = 1.0 / ea;
  const double bmax = ea;  // an OTM call is worth at most e^{x/2} (sigma -> infinity)
  if (tv >= bmax) return {std::numeric_limits<double>::infinity(), IvStatus::AboveMaximum, 0};

  r.status = IvStatus::Ok;
  const double x2 = ax * ax;
  const double sc = std::sqrt(2.0 * std::abs(ax));  // inflection point of b(s)
  const bool warm = guessS > 0 && std::isfinite(guessS);
  // At s_c, h + t = 0 exactly and E = e^{x/2}: b_c = e^{x/2} (1 - erfcx(s_c/sqrt2)) / 2.
  // A warm start skips it: the branch follows from which side of s_c the guess lies.
  const double bc = (ax == 0 || warm) ? 0.0 : 0.5 * ea * (1.0 - erfcx(sc * kInvSqrt2));
  const bool lower = warm ? (ax != 0 && guessS < sc) : tv < bc;
  double s = sc;
  if (warm) {
    s = guessS;
  } else if (ax == 0) {
    // At the money b = 1 - 2 Phi(-s/2): closed form, polished below (1 - tv loses bits for tiny tv).
    s = -2.0 * normQuantileFast(0.5 * (1.0 - tv));
  } else if (lower) {
    // Small s: b ~ phi(x/s) s^3 / x^2 (tails of Phi), i.e. ln b ~ -x^2/(2 s^2) + 3 ln s + c.
    // Match that at the inflection point and solve in u = 1/s^2 with a few cheap Newton steps.
    // f(u) = -x^2 u / 2 - 1.5 ln u;  solve f(u) = f(u_c) + ln(tv / b_c).
    const double uc = 1.0 / (sc * sc);
    const double target = -0.5 * x2 * uc - 1.5 * std::log(uc) + std::log(tv / bc);
    // f is convex and decreasing in u and the root lies right of u_c (s < s_c): Newton from u_c
    // approaches it monotonically from the left, never overshooting into u <= 0.
    double u = uc;
    for (int k = 0; k < 3; ++k) {
      const double g = -0.5 * x2 * u - 1.5 * std::log(u) - target;
      u -= g / (-0.5 * x2 - 1.5 / u);
    }
    s = 1.0 / std::sqrt(u);
  } else {
    // For large s, e^{x/2} - b ~ (e^{x/2} + e^{-x/2}) Phi(-s/2).
    s = -2.0 * normQuantileFast((bmax - tv) / (ea + ema));
    s = std::max(s, sc);
  }
  const double lnTv = std::log(tv);
  double lastGood = lower ? sc : s;  // last s where the objective was finite
  for (int i = 0; i < 40; ++i) {
    const OtmCall c = otmCall(ax, s, ea);
    const double h2b = x2 / (s * s * s) - 0.25 * s;                    // b''/b'
    const double h3b = h2b * h2b - 3.0 * x2 / (s * s * s * s) - 0.25;  // b'''/b'
    double nu, h2, h3;  // Newton step and f''/f', f'''/f' of the objective f
    if (lower) {        // f = ln b - ln tv
      double lnB, q;    // ln b and f' = b'/b
      if (c.lower) {
        if (!(c.diff > 0)) {  // s so small that the difference vanished: back towards the last good s
          s = 0.5 * (s + lastGood);
          continue;
        }
        lnB = c.lnE + std::log(0.5 * c.diff);
        q = kSqrt2OverPi / c.diff;
      } else {
        lnB = std::log(c.b);
        q = kInvSqrt2Pi * std::exp(c.lnE) / c.b;
      }
      lastGood = s;
      nu = -(lnB - lnTv) / q;
      h2 = h2b - q;  // (b''/b - q^2) / q
      h3 = h3b - 3.0 * h2b * q + 2.0 * q * q;
    } else {  // f = b - tv
      const double e = std::exp(c.lnE);
      const double b = c.lower ? 0.5 * e * c.diff : c.b;
      nu = -(b - tv) / (kInvSqrt2Pi * e);
      h2 = h2b;
      h3 = h3b;
    }
    // Fourth-order Householder step.
    double ds = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
    if (!std::isfinite(ds) || s + ds <= 0) ds = nu;          // fall back to Newton
    if (s + ds <= 0) ds = -0.5 * s;                          // never leave s > 0
    s += ds;
    r.iterations = i + 1;
    // Fourth-order convergence: once a step is below 1e-4 relative, the error left (~1e-16) is at
    // the last bit, and further steps only chase rounding noise.
    if (std::abs(ds) <= 1e-4 * s) break;
    // A time value in the subnormal range carries a few bits at most: the first iterations already
    // give all the volatility it determines.
    if (tv < 1e-300 && i >= 6) break;
    if (warm && i == 7) return normalisedImpliedVol(isCall, x, beta, 0.0);  // a poor guess: start cold
    if (i == 39) r.status = IvStatus::NotConverged;
  }
  r.vol = s;
  return r;
}

ImpliedVol impliedVolBlack76(bool isCall, double f, double k, double t, double rate, double price, double guessVol) {
  if (!(f > 0 && k > 0 && t > 0) || !std::isfinite(rate)) return {};
  const double undiscounted = rate == 0.0 ? price : price * std::exp(rate * t);
  const double sqrtT = std::sqrt(t);
  ImpliedVol r = normalisedImpliedVol(isCall, std::log(f / k), undiscounted / std::sqrt(f * k),
                                      guessVol > 0 ? guessVol * sqrtT : 0.0);
  if (r.status == IvStatus::Ok) r.vol /= sqrtT;
  return r;
}

ImpliedVol impliedVolBsm(bool isCall, double spot, double k, double t, double rate, double q, double price) {
  if (!(spot > 0 && k > 0 && t > 0) || !std::isfinite(rate) || !std::isfinite(q)) return {};
  return impliedVolBlack76(isCall, spot * std::exp((rate - q) * t), k, t, rate, price);
}

}  // namespace kappa::pricing
