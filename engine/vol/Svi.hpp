#pragma once
// Raw SVI (Gatheral 2004): one expiry's total implied variance as a function of log-moneyness.
//
//   w(k) = a + b * (rho * (k - m) + sqrt((k - m)^2 + sigma^2)),   k = ln(K / F),   w = iv^2 * t
//
// Total variance rather than implied vol is the natural coordinate: it is additive in time, so a
// calendar check is a comparison of w across slices, and the density of the terminal price
// (Durrleman's g below) is a closed-form expression in w and its first two k-derivatives.
// All functions are pure, allocation-free and never throw.
namespace kappa::vol {

struct SviParams {
  double a = 0;        // vertical level: w at the minimum is a + b*sigma*sqrt(1 - rho^2)
  double b = 0;        // wing slope scale (>= 0); asymptotic slopes are b(1 + rho) and b(1 - rho)
  double rho = 0;      // skew, in (-1, 1)
  double m = 0;        // horizontal shift of the smile's vertex
  double sigma = 0.1;  // curvature at the vertex (> 0); small sigma = sharp vertex
};

// One fitted expiry: SVI parameters in total-variance units plus the expiry in years.
struct SviSlice {
  double t = 0;
  SviParams params;
};

// w, w' = dw/dk and w'' = d2w/dk2 at one k, sharing the square root.
struct SviValue {
  double w = 0;
  double dw = 0;
  double d2w = 0;
};

double sviTotalVariance(const SviParams& p, double k);
double sviFirstDerivative(const SviParams& p, double k);
double sviSecondDerivative(const SviParams& p, double k);
SviValue sviEvaluate(const SviParams& p, double k);

// sqrt(w / t). Returns 0 where w <= 0 or t <= 0: such a slice is invalid there, and a vol of 0 is
// safer downstream than NaN; checkButterfly() and sviParamsValid() are where that gets reported.
double sviImpliedVol(const SviParams& p, double k, double t);

// Durrleman's condition: the risk-neutral density of ln(S_T/F) is
//   p(k) = g(k) / sqrt(2 pi w) * exp(-d2(k)^2 / 2),
//   g(k) = (1 - k w' / (2 w))^2 - (w'^2 / 4) (1 / w + 1 / 4) + w'' / 2,
// so the slice is free of butterfly arbitrage iff g >= 0 everywhere (and w > 0).
// Where w <= 0 there is no density at all: returns -infinity so any "g < 0" test catches it.
double sviDurrlemanG(const SviParams& p, double k);
double sviDurrlemanG(const SviValue& v, double k);

// Minimum of w over k: a + b sigma sqrt(1 - rho^2), attained at k = m - rho sigma / sqrt(1 - rho^2).
double sviMinTotalVariance(const SviParams& p);

// Parameter domain of raw SVI: finite, b >= 0, |rho| < 1, sigma > 0, minimum total variance >= 0.
bool sviParamsValid(const SviParams& p);

}  // namespace kappa::vol
