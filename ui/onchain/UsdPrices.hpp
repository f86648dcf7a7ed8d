#pragma once
// USD values of on-chain tokens at the listed pools' mids: a USD stablecoin (USDC, USDT, DAI) counts
// as $1, and every pool against a token already priced prices its other token (WETH/USDC's mid
// prices WETH, then WBTC/WETH would price WBTC). The chain's native coin is valued as its wrapped
// token (ETH as WETH). A display estimate, not a risk figure: a depegged stablecoin is still $1 here.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "venue/evm/EvmVenueViews.hpp"

namespace kappa::ui::onchain {

class UsdPrices {
 public:
  explicit UsdPrices(const std::vector<evm::EvmPoolView>& pools);
  // USD per whole token; nullopt when no pool path reaches a stablecoin.
  std::optional<double> of(const std::string& symbol) const;
  std::optional<double> native(const std::string& nativeSymbol = "ETH") const;

 private:
  std::map<std::string, double> prices_;
};

}  // namespace kappa::ui::onchain
