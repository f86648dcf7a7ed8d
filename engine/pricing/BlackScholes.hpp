#pragma once
// Closed-form European options: generalized Black-Scholes-Merton with cost of carry b = r - q
// (b = r: stock, b = r - q: dividend yield / coin yield, b = 0: Black-76 on a future/forward).
//
// Units (all Greeks are per unit of the underlying's quantity, in the price's currency):
//   delta   dV/dS
//   gamma   d2V/dS2
//   vega    dV/dsigma per 1.00 of volatility (divide by 100 for "per vol point")
//   theta   dV/dt as calendar time passes, per year (divide by 365 for "per day")
//   rho     dV/dr per 1.00 of rate (with b moving with r for BSM; b fixed at 0 for Black-76)
//   dividendRho  dV/dq per 1.00 (BSM only)
//   vanna   d2V/dS dsigma;  volga  d2V/dsigma2;  charm  d(delta)/dt as time passes, per year
// Times in years, rates and volatility annualised, continuous compounding.
namespace kappa::pricing {

enum class CallPut : signed char { Put = -1, Call = 1 };

struct Greeks {
  double price = 0;
  double delta = 0, gamma = 0, vega = 0, theta = 0, rho = 0;
  double dividendRho = 0, vanna = 0, volga = 0, charm = 0;
  double vegaPerPoint() const { return vega / 100.0; }
  double thetaPerDay() const { return theta / 365.0; }
};

// Generalized BSM on spot S with rate r and carry yield q (b = r - q).
double bsmPrice(CallPut type, double spot, double strike, double t, double r, double q, double sigma);
Greeks bsmGreeks(CallPut type, double spot, double strike, double t, double r, double q, double sigma);

// Black-76 on forward F, discounted at r.
double black76Price(CallPut type, double forward, double strike, double t, double r, double sigma);
Greeks black76Greeks(CallPut type, double forward, double strike, double t, double r, double sigma);

// The kernel is compiled twice: portable x86-64 and x86-64-v3 (AVX2 + FMA), chosen once by the
// CPU it runs on. Results differ in the last bits only (a fused multiply-add rounds once).
enum class PricingKernel { Portable, Fma };
PricingKernel activePricingKernel();
const char* pricingKernelName(PricingKernel kernel);
// bsmGreeks through a given kernel, for tests that compare them (Fma falls back to Portable on a
// CPU without it).
Greeks bsmGreeksOn(PricingKernel kernel, CallPut type, double spot, double strike, double t, double r, double q,
                   double sigma);

}  // namespace kappa::pricing
