#pragma once
// Implied volatility to full double precision, without exceptions.
//
// Works on Black's normalised price (Jaeckel's formulation): x = ln(F/K), s = sigma*sqrt(T),
// beta = undiscounted price / sqrt(F*K). Any option is reduced to the time value of the
// out-of-the-money call at x <= 0, so intrinsic value never swamps the number being inverted.
// The inflection point s_c = sqrt(2|x|) splits the curve into a convex lower branch (solved on
// ln b, where b behaves like -x^2/(2 s^2)) and a concave upper branch (solved on b itself); each
// starts from an asymptotic closed-form guess and converges with fourth-order Householder steps,
// typically in two or three iterations. At the money the answer is in closed form.
namespace kappa::pricing {

enum class IvStatus : unsigned char {
  Ok,
  BelowIntrinsic,  // price < intrinsic value: no volatility reproduces it
  AboveMaximum,    // price >= the upper bound (forward for a call, strike for a put, discounted)
  NoTimeValue,     // price == intrinsic (to the last bit): volatility 0 (or undetermined)
  InvalidInput,    // non-positive forward/strike/time, negative or NaN price
  NotConverged,    // should not happen; reported rather than thrown
};
const char* nameOf(IvStatus status);

struct ImpliedVol {
  double vol = 0;
  IvStatus status = IvStatus::InvalidInput;
  int iterations = 0;
  bool ok() const { return status == IvStatus::Ok; }
};

// Black-76: `price` is discounted at r. `guessVol` > 0 (e.g. the previous refresh's vol) replaces
// the cold starting guess: a live chain that barely moved then converges in one iteration.
ImpliedVol impliedVolBlack76(bool isCall, double forward, double strike, double t, double r, double price,
                             double guessVol = 0.0);
// Generalized BSM: forward = spot * exp((r - q) t).
ImpliedVol impliedVolBsm(bool isCall, double spot, double strike, double t, double r, double q, double price);
// Normalised solver: beta = undiscounted price / sqrt(F K), x = ln(F/K). Returns s = sigma sqrt(T).
ImpliedVol normalisedImpliedVol(bool isCall, double x, double beta, double guessS = 0.0);

// Builds the solver's table of starting points (~4 ms) now instead of on the first solve. Optional:
// any solve builds it on first use, thread-safely. (The erfcx table is built at program start.)
void prepareImpliedVolTables();

// Normalised Black price b(x, s) of a call (theta = +1) or put (theta = -1), and its vega db/ds.
double normalisedBlack(double x, double s, bool isCall);
double normalisedVega(double x, double s);

}  // namespace kappa::pricing
