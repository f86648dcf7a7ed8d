#pragma once
// Black-76 on a forward: undiscounted price (r = 0), the convention Deribit's inverse options use
// with the forward as underlying. The full pricing library (BSM with carry, Greeks, implied vol)
// extends this file's namespace.
namespace kappa::pricing {

double normCdf(double x);
double normPdf(double x);
// Price of a call (isCall) or put on forward F, strike K, time t in years, volatility sigma.
double black76(bool isCall, double forward, double strike, double t, double sigma);
// dPrice/dSigma (per 1.00 of volatility).
double black76Vega(double forward, double strike, double t, double sigma);

}  // namespace kappa::pricing
