#pragma once
// Inverse (coin-settled) options as Deribit lists them: the payoff is paid in the coin,
//   call: max(S_T - K, 0) / S_T,   put: max(K - S_T, 0) / S_T   [BTC per contract of 1 BTC],
// and the premium is quoted in the coin. Its USD value is the ordinary Black-76 value V(F) on the
// forward F, so the premium in coin is P = V / F (Deribit's convention: r = 0, forward as
// underlying, USD value converted at the forward).
//
// Coin Greeks are derivatives of P, expressed the way a coin-margined trader reads them:
//   deltaCoin = F * dP/dF = delta - P        BTC exposure: the linear delta less the premium held in coin
//   gammaCoin = d(deltaCoin)/dF = gamma - (delta - P)/F        per USD of F
//   vegaCoin  = dP/dsigma = vega / F         per 1.00 of volatility (BTC)
//   thetaCoin = dP/dt = theta / F            per year (BTC), F held fixed
// USD Greeks are the Black-76 ones (delta in BTC per contract, gamma per USD, vega/theta in USD).
#include "pricing/BlackScholes.hpp"

namespace kappa::pricing {

struct InverseGreeks {
  double priceCoin = 0, deltaCoin = 0, gammaCoin = 0, vegaCoin = 0, thetaCoin = 0;
  Greeks usd;  // Black-76 on the forward, in USD
};

InverseGreeks inverseOptionGreeks(CallPut type, double forward, double strike, double t, double sigma, double r = 0.0);

}  // namespace kappa::pricing
