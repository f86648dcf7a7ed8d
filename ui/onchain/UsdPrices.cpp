#include "onchain/UsdPrices.hpp"

namespace kappa::ui::onchain {

namespace {
bool isUsdStable(const std::string& s) { return s == "USDC" || s == "USDT" || s == "DAI" || s == "USD"; }
}  // namespace

UsdPrices::UsdPrices(const std::vector<evm::EvmPoolView>& pools) {
  for (const evm::EvmPoolView& p : pools) {
    if (isUsdStable(p.baseSymbol)) prices_[p.baseSymbol] = 1.0;
    if (isUsdStable(p.quoteSymbol)) prices_[p.quoteSymbol] = 1.0;
  }
  // Spread along the pools until nothing new is priced (a pool prices one side from the other).
  for (bool grew = true; grew;) {
    grew = false;
    for (const evm::EvmPoolView& p : pools) {
      if (p.mid <= 0) continue;
      const auto b = prices_.find(p.baseSymbol), q = prices_.find(p.quoteSymbol);
      if (b == prices_.end() && q != prices_.end()) {
        prices_[p.baseSymbol] = p.mid * q->second;
        grew = true;
      } else if (q == prices_.end() && b != prices_.end()) {
        prices_[p.quoteSymbol] = b->second / p.mid;
        grew = true;
      }
    }
  }
}

std::optional<double> UsdPrices::of(const std::string& symbol) const {
  const auto it = prices_.find(symbol);
  if (it == prices_.end()) return std::nullopt;
  return it->second;
}

std::optional<double> UsdPrices::native(const std::string& nativeSymbol) const { return of("W" + nativeSymbol); }

}  // namespace kappa::ui::onchain
