#pragma once
// American options through QuantLib: Barone-Adesi-Whaley, Bjerksund-Stensland and finite
// differences (Crank-Nicolson on the Black-Scholes PDE). QuantLib stays inside AmericanPricer.cpp.
// Greeks are central bump-and-revalue with the same engine (units as in BlackScholes.hpp).
// QuantLib keeps one global evaluation date: call these from one thread only.
#include "pricing/BlackScholes.hpp"

namespace kappa::pricing {

enum class AmericanMethod { BaroneAdesiWhaley, BjerksundStensland, FiniteDifference };

struct AmericanResult {
  Greeks greeks;
  bool ok = false;
  const char* error = "";  // set when !ok
};

AmericanResult americanGreeks(AmericanMethod method, CallPut type, double spot, double strike, double t, double r,
                              double q, double sigma);
double americanPrice(AmericanMethod method, CallPut type, double spot, double strike, double t, double r, double q,
                     double sigma, bool* ok = nullptr);

}  // namespace kappa::pricing
