#include "analytics/MarketAnalytics.hpp"

#include <chrono>

namespace kappa::analytics {

UsdGreeks usdGreeksOf(const ChainAnalytics& c) {
  UsdGreeks g;
  const double s = c.index;
  if (!(s > 0)) return g;
  for (const PositionRisk& p : c.positions) g.valueUsd += p.valueCoin * s;
  g.deltaUsd = c.total.deltaUsd * s;
  g.gammaUsd = c.total.gammaUsd * s * s / 100.0;
  g.vegaUsd = c.total.vegaUsd / 100.0;
  g.thetaUsd = c.total.thetaUsd / 365.0;
  return g;
}

const ChainAnalytics* MarketAnalytics::chain(std::string_view underlying) const {
  for (const auto& c : chains)
    if (c && c->underlying == underlying) return c.get();
  return nullptr;
}

const OptionAnalytics* MarketAnalytics::find(InstrumentId id, const ChainAnalytics** chainOut) const {
  for (const auto& c : chains) {
    if (!c) continue;
    if (const OptionAnalytics* o = c->find(id)) {
      if (chainOut) *chainOut = c.get();
      return o;
    }
  }
  if (chainOut) *chainOut = nullptr;
  return nullptr;
}

std::vector<std::string> MarketAnalytics::underlyings() const {
  std::vector<std::string> out;
  for (const auto& c : chains)
    if (c) out.push_back(c->underlying);
  return out;
}

std::shared_ptr<const MarketAnalytics> computeMarketAnalytics(const std::vector<ChainInput>& inputs,
                                                              const MarketAnalytics* previous) {
  const auto started = std::chrono::steady_clock::now();
  auto out = std::make_shared<MarketAnalytics>();
  out->seq = previous ? previous->seq + 1 : 1;
  for (const ChainInput& in : inputs) {
    const ChainAnalytics* before = previous ? previous->chain(in.underlying) : nullptr;
    auto chain = computeChainAnalytics(in, before);
    out->computedAt = std::max(out->computedAt, in.now);
    out->sampledAt = out->sampledAt ? std::min(out->sampledAt, in.sampledAt) : in.sampledAt;
    const UsdGreeks g = usdGreeksOf(*chain);
    out->usd.push_back(g);
    out->usdTotal.valueUsd += g.valueUsd;
    out->usdTotal.deltaUsd += g.deltaUsd;
    out->usdTotal.gammaUsd += g.gammaUsd;
    out->usdTotal.vegaUsd += g.vegaUsd;
    out->usdTotal.thetaUsd += g.thetaUsd;
    if (out->scenariosUsdTotal.empty()) {
      out->scenariosUsdTotal = chain->scenarios;
      for (Scenario& s : out->scenariosUsdTotal) s.pnlCoin = 0;  // coins of different underlyings do not add
    } else if (chain->scenarios.size() == out->scenariosUsdTotal.size()) {
      for (std::size_t i = 0; i < chain->scenarios.size(); ++i) out->scenariosUsdTotal[i].pnlUsd += chain->scenarios[i].pnlUsd;
    }
    out->chains.push_back(std::move(chain));
  }
  out->computeMicros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace kappa::analytics
