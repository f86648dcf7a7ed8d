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

inline OtmCall otmCall(double h, double s, double ex2) {  // h = x / s
  const double t = 0.5 * s;
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
  const OtmCall c = otmCall(x / s, s, ex2);
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

namespace {

// The OTM call curve b(s) at one x = ax <= 0 and the constants every step needs.
struct Curve {
  double ax, x2, ea, ema;
  double sc;        // inflection point sqrt(2|x|): b is convex below, concave above
  double lnBc = 0;  // ln b(s_c), filled in when a lower-branch start needs it
  Curve(double x, double expHalfX, double expMinusHalfX)
      : ax(x), x2(x * x), ea(expHalfX), ema(expMinusHalfX), sc(std::sqrt(-2.0 * x)) {}
  explicit Curve(double x) : Curve(x, std::exp(0.5 * x), std::exp(-0.5 * x)) {}
};

// At s_c, h + t = 0 exactly and E = e^{x/2}: b_c = e^{x/2} (1 - erfcx(s_c/sqrt2)) / 2.
double lnBc(const Curve& c) {
  if (c.ax == 0) return -std::numeric_limits<double>::infinity();
  return 0.5 * c.ax + std::log(0.5 * (1.0 - erfcx(std::sqrt(-c.ax))));
}

// For large s, e^{x/2} - b ~ (e^{x/2} + e^{-x/2}) Phi(-s/2); never below the inflection point.
double upperAsymptote(const Curve& c, double tv) {
  return std::max(c.sc, -2.0 * normQuantileFast((c.ea - tv) / (c.ea + c.ema)));
}

struct Iterated {
  double s;
  int iterations;
  bool converged;
};

// Fourth-order Householder steps from s, on ln b - ln tv (lower branch: ln b is nearly linear in
// 1/s^2 there) or on b - tv (upper branch). Only the lower objective needs tv as a logarithm, so a
// time value too small to be a double can still be inverted from lnTv (the guess table uses that).
Iterated householder(const Curve& c, double tv, double lnTv, bool lower, double s, int maxIterations) {
  double lastGood = lower ? c.sc : s;  // last s where the objective was finite
  for (int i = 0; i < maxIterations; ++i) {
    const double invS = 1.0 / s;
    const OtmCall o = otmCall(c.ax * invS, s, c.ea);
    const double x2s3 = c.x2 * invS * invS * invS;
    const double h2b = x2s3 - 0.25 * s;                           // b''/b'
    const double h3b = h2b * h2b - 3.0 * x2s3 * invS - 0.25;  // b'''/b'
    double nu, h2, h3;  // Newton step and f''/f', f'''/f' of the objective f
    if (lower) {        // f = ln b - ln tv
      double lnB, q;    // ln b and f' = b'/b
      if (o.lower) {
        if (!(o.diff > 0)) {  // s so small that the difference vanished: back towards the last good s
          s = 0.5 * (s + lastGood);
          continue;
        }
        lnB = o.lnE + std::log(0.5 * o.diff);
        q = kSqrt2OverPi / o.diff;
        nu = -(lnB - lnTv) * o.diff * (1.0 / kSqrt2OverPi);
      } else {
        lnB = std::log(o.b);
        q = kInvSqrt2Pi * std::exp(o.lnE) / o.b;
        nu = -(lnB - lnTv) / q;
      }
      lastGood = s;
      h2 = h2b - q;  // (b''/b - q^2) / q
      h3 = h3b - 3.0 * h2b * q + 2.0 * q * q;
    } else {  // f = b - tv
      const double e = std::exp(o.lnE);
      const double b = o.lower ? 0.5 * e * o.diff : o.b;
      nu = -(b - tv) / (kInvSqrt2Pi * e);
      h2 = h2b;
      h3 = h3b;
    }
    double ds = nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0));
    if (!std::isfinite(ds) || s + ds <= 0) ds = nu;  // fall back to Newton
    if (s + ds <= 0) ds = -0.5 * s;                  // never leave s > 0
    s += ds;
    // Fourth-order convergence: once a step is below 1e-4 relative, the error left (~1e-16) is at
    // the last bit, and further steps only chase rounding noise.
    if (std::abs(ds) <= 1e-4 * s) return {s, i + 1, true};
    // A time value in the subnormal range carries a few bits at most: the first iterations already
    // give all the volatility it determines.
    if (lnTv < -690.0 && i >= 6) return {s, i + 1, true};
  }
  return {s, maxIterations, false};
}

// Closed-form starting points from the asymptotics of b; good to a few per cent, which the
// fourth-order steps turn into full precision in two or three iterations.
double asymptoticGuess(const Curve& c, double tv, double lnTv, bool lower) {
  if (c.ax == 0) {
    // At the money b = 1 - 2 Phi(-s/2): closed form, polished later (1 - tv loses bits for tiny tv).
    return -2.0 * normQuantileFast(0.5 * (1.0 - tv));
  }
  if (lower) {
    // Small s: b ~ phi(x/s) s^3 / x^2 (tails of Phi), i.e. ln b ~ -x^2/(2 s^2) + 3 ln s + c.
    // Match that at the inflection point and solve in u = 1/s^2 with a few cheap Newton steps.
    // f(u) = -x^2 u / 2 - 1.5 ln u;  solve f(u) = f(u_c) + ln(tv / b_c).
    const double uc = 1.0 / (c.sc * c.sc);
    const double target = -0.5 * c.x2 * uc - 1.5 * std::log(uc) + (lnTv - c.lnBc);
    // f is convex and decreasing in u and the root lies right of u_c (s < s_c): Newton from u_c
    // approaches it monotonically from the left, never overshooting into u <= 0.
    double u = uc;
    for (int k = 0; k < 3; ++k) {
      const double g = -0.5 * c.x2 * u - 1.5 * std::log(u) - target;
      u -= g / (-0.5 * c.x2 - 1.5 / u);
    }
    return 1.0 / std::sqrt(u);
  }
  return upperAsymptote(c, tv);
}

// Starting points good to ~1e-5 (median 1e-7) over the whole grid, so that one fourth-order step
// lands on the last bit: for each x, the implied s is a smooth function of a price coordinate
// that maps the branch onto [0, 1], tabulated once at first use by the iterative solver itself
// and read with 4 x 4-point Lagrange cubics.
//   lower branch: z = sqrt(k / (k - ln(tv / b_c))) with k = 2, value s / s_c. Near the money b is
//     self-similar (s / s_c depends on tv / b_c alone), and deep in the wing s ~ |x| / sqrt(-2 ln tv)
//     ~ z: both ends stay smooth in z, where sqrt(ln b_c / ln tv) bunched every near-the-money
//     point at z = 1.
//   upper branch: z = s_c / s_a with s_a the asymptote above, value s / s_a (-> 1 as tv -> e^{x/2})
// across xi = sqrt|x| / (1 + sqrt|x|) in [1e-4, 0.81], i.e. |x| from 1e-8 (a strike a hair off the
// forward, common on short expiries) to 18; outside it (exactly at the money or absurdly far out)
// the asymptotic guesses take over. 16 KB of floats: a guess needs no more.
class GuessTable {
 public:
  static constexpr double kXiMin = 1e-4, kXiMax = 0.81, kLowerK = 2.0;

  GuessTable() {
    for (int i = 0; i < kLowerXi; ++i) {
      const Curve c = curveAt(i, kLowerXi);
      for (int j = 0; j < kLowerZ; ++j) {
        const double z = double(j) / (kLowerZ - 1);
        if (j == 0) {
          lower_[i][j] = 0.0f;  // tv -> 0: s -> 0
          continue;
        }
        const double lnTv = c.lnBc + kLowerK * (1.0 - 1.0 / (z * z));  // may be below the smallest double
        const double s0 = asymptoticGuess(c, 0.0, lnTv, true);
        lower_[i][j] = float(householder(c, 0.0, lnTv, true, s0, 60).s / c.sc);
      }
    }
    for (int i = 0; i < kUpperXi; ++i) {
      const Curve c = curveAt(i, kUpperXi);
      for (int j = 0; j < kUpperZ; ++j) {
        upper_[i][j] = 1.0f;  // z -> 0 (s -> infinity): the asymptote is exact
        const double z = double(j) / (kUpperZ - 1);
        if (j == 0) continue;
        const double sa = c.sc / z;
        const double tv = c.ea - (c.ea + c.ema) * normCdf(-0.5 * sa);
        if (!(tv > 0 && tv < c.ea)) continue;
        const double lnTv = std::log(tv);
        const bool lower = lnTv < c.lnBc;
        const double s0 = asymptoticGuess(c, tv, lnTv, lower);
        upper_[i][j] = float(householder(c, tv, lnTv, lower, s0, 60).s / upperAsymptote(c, tv));
      }
    }
  }

  // NaN outside the table.
  double guess(const Curve& c, double tv, double lnTv, bool lower) const {
    const double r = std::sqrt(-c.ax), xi = r / (1.0 + r);
    if (!(xi >= kXiMin && xi <= kXiMax)) return std::numeric_limits<double>::quiet_NaN();
    const double u = (xi - kXiMin) * (1.0 / (kXiMax - kXiMin));
    if (lower) {
      const double z = std::sqrt(kLowerK / (kLowerK - (lnTv - c.lnBc)));
      return c.sc * interpolate(&lower_[0][0], kLowerXi, kLowerZ, u, z);
    }
    const double sa = upperAsymptote(c, tv);
    return sa * interpolate(&upper_[0][0], kUpperXi, kUpperZ, u, c.sc / sa);
  }

 private:
  static constexpr int kLowerXi = 64, kLowerZ = 48, kUpperXi = 32, kUpperZ = 32;

  static Curve curveAt(int i, int n) {
    const double xi = kXiMin + (kXiMax - kXiMin) * i / (n - 1), r = xi / (1.0 - xi);
    Curve c(-r * r);
    c.lnBc = lnBc(c);
    return c;
  }

  // Cubic Lagrange through the 4 x 4 nodes around (u, v) in [0, 1]^2 (one-sided at the edges).
  static double interpolate(const float* table, int nu, int nv, double u, double v) {
    const double fu = u * (nu - 1), fv = v * (nv - 1);
    const int i = std::clamp(int(fu) - 1, 0, nu - 4), j = std::clamp(int(fv) - 1, 0, nv - 4);
    double wu[4], wv[4];
    lagrangeWeights(fu - i, wu);
    lagrangeWeights(fv - j, wv);
    double sum = 0;
    for (int a = 0; a < 4; ++a) {
      const float* row = table + (i + a) * nv + j;
      sum += wu[a] * (wv[0] * row[0] + wv[1] * row[1] + wv[2] * row[2] + wv[3] * row[3]);
    }
    return sum;
  }

  static void lagrangeWeights(double f, double w[4]) {  // nodes at 0, 1, 2, 3
    const double f0 = f, f1 = f - 1, f2 = f - 2, f3 = f - 3;
    w[0] = -f1 * f2 * f3 * (1.0 / 6);
    w[1] = f0 * f2 * f3 * 0.5;
    w[2] = -f0 * f1 * f3 * 0.5;
    w[3] = f0 * f1 * f2 * (1.0 / 6);
  }

  float lower_[kLowerXi][kLowerZ];
  float upper_[kUpperXi][kUpperZ];
};

const GuessTable& guessTable() {
  static const GuessTable table;
  return table;
}

}  // namespace

void prepareImpliedVolTables() { guessTable(); }

ImpliedVol normalisedImpliedVol(bool isCall, double x, double beta, double guessS) {
  if (!std::isfinite(x) || !std::isfinite(beta)) return {};  // NaN or infinite input
  const double ex2 = std::exp(0.5 * x), emx2 = 1.0 / ex2;
  const double intrinsic = std::max(isCall ? ex2 - emx2 : emx2 - ex2, 0.0);
  const double upper = isCall ? ex2 : emx2;
  if (beta >= upper) return {std::numeric_limits<double>::infinity(), IvStatus::AboveMaximum, 0};
  // Within a few ulps of intrinsic the time value is rounding noise: no volatility is defined.
  const double noise = 4 * std::numeric_limits<double>::epsilon() * std::max(intrinsic, 1e-300);
  if (beta < 0 || beta < intrinsic - noise) return {0, IvStatus::BelowIntrinsic, 0};
  const double tv = beta - intrinsic;  // time value = price of the OTM call at -|x|
  if (tv <= noise) return {0, IvStatus::NoTimeValue, 0};

  Curve c(-std::abs(x), std::min(ex2, emx2), std::max(ex2, emx2));
  // An OTM call is worth at most e^{x/2} (sigma -> infinity).
  if (tv >= c.ea) return {std::numeric_limits<double>::infinity(), IvStatus::AboveMaximum, 0};
  if (guessS > 0 && std::isfinite(guessS)) {
    // Warm start: the branch follows from which side of s_c the guess lies. A guess that does not
    // converge within a few steps was a poor one: start cold.
    const bool lower = c.ax != 0 && guessS < c.sc;
    const Iterated w = householder(c, tv, lower ? std::log(tv) : 0.0, lower, guessS, 8);
    if (w.converged) return {w.s, IvStatus::Ok, w.iterations};
  }
  // The branch from b_c itself; only the lower branch needs logarithms (its objective and its
  // table coordinate), so the upper one takes none.
  const double bc = c.ax == 0 ? 0.0 : 0.5 * c.ea * (1.0 - erfcx(std::sqrt(-c.ax)));
  const bool lower = tv < bc;
  double lnTv = 0;
  if (lower) {
    lnTv = std::log(tv);
    c.lnBc = std::log(bc);
  }
  double s = guessTable().guess(c, tv, lnTv, lower);
  if (!(s > 0 && std::isfinite(s))) s = asymptoticGuess(c, tv, lnTv, lower);
  const Iterated it = householder(c, tv, lnTv, lower, s, 40);
  return {it.s, it.converged ? IvStatus::Ok : IvStatus::NotConverged, it.iterations};
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
