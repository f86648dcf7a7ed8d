#pragma once
// The option analytics of every listed underlying (BTC, ETH, ...): one ChainAnalytics per
// underlying, computed together on the analytics thread from one sample of the engine's books,
// plus the totals that make sense across coins, in USD. Coin amounts of different underlyings
// are never added: 1 BTC of delta and 1 ETH of delta are different risks.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/ChainAnalytics.hpp"

namespace kappa::analytics {

// A book's Greeks and value in USD, which can be summed over underlyings.
struct UsdGreeks {
  double valueUsd = 0;     // mark-to-model value of the positions (coin value x index)
  double deltaUsd = 0;     // dollar delta: Black-76 delta x index (a +1 % move gains 1 % of it)
  double gammaUsd = 0;     // change of the dollar delta for a +1 % move: gamma x index^2 / 100
  double vegaUsd = 0;      // USD per vol point
  double thetaUsd = 0;     // USD per calendar day
};

// The USD Greeks of one underlying's book (its totals, its index).
UsdGreeks usdGreeksOf(const ChainAnalytics& chain);

struct MarketAnalytics {
  std::uint64_t seq = 0;
  Nanos computedAt = 0;
  Nanos sampledAt = 0;         // when the engine's books were sampled (wall clock)
  double computeMicros = 0;    // all chains
  std::vector<std::shared_ptr<const ChainAnalytics>> chains;  // one per underlying, in the order of the inputs
  std::vector<UsdGreeks> usd;  // per chain
  UsdGreeks usdTotal;          // summed over the underlyings
  // The scenario grid summed over the underlyings in USD, every underlying moved by the same
  // fraction and vol shift (a perfect-correlation view): same axes as each chain's grid.
  std::vector<Scenario> scenariosUsdTotal;

  const ChainAnalytics* chain(std::string_view underlying) const;
  // The option's analytics and, if `chain` is given, the chain it belongs to (nullptr if unknown).
  const OptionAnalytics* find(InstrumentId id, const ChainAnalytics** chain = nullptr) const;
  std::vector<std::string> underlyings() const;
};

// One input per underlying; `previous` warm-starts each chain from its own previous result.
std::shared_ptr<const MarketAnalytics> computeMarketAnalytics(const std::vector<ChainInput>& inputs,
                                                              const MarketAnalytics* previous);

}  // namespace kappa::analytics
