#include "pricing/InverseOption.hpp"

namespace kappa::pricing {

InverseGreeks inverseOptionGreeks(CallPut type, double f, double k, double t, double sigma, double r) {
  InverseGreeks g;
  g.usd = black76Greeks(type, f, k, t, r, sigma);
  g.priceCoin = g.usd.price / f;
  g.deltaCoin = g.usd.delta - g.priceCoin;
  g.gammaCoin = g.usd.gamma - g.deltaCoin / f;
  g.vegaCoin = g.usd.vega / f;
  g.thetaCoin = g.usd.theta / f;
  return g;
}

}  // namespace kappa::pricing
