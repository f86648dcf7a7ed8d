#include "onchain/SwapQuote.hpp"

#include "venue/evm/TokenAmount.hpp"
#include "venue/evm/UniswapV2Math.hpp"

namespace kappa::ui::onchain {

SwapQuote quoteSwap(const evm::EvmPoolView& pool, Side side, Qty qty, unsigned slippageBps, const evm::EvmChainView& chain,
                    std::optional<double> nativeUsd) {
  SwapQuote q;
  const bool buy = side == Side::Buy;
  q.inSymbol = buy ? pool.quoteSymbol : pool.baseSymbol;
  q.outSymbol = buy ? pool.baseSymbol : pool.quoteSymbol;
  q.inDecimals = buy ? pool.quoteDecimals : pool.baseDecimals;
  q.outDecimals = buy ? pool.baseDecimals : pool.quoteDecimals;
  if (qty <= 0) {
    q.error = "enter a quantity";
    return q;
  }
  if (pool.baseReserve == 0 || pool.quoteReserve == 0) {
    q.error = "no reserves yet";
    return q;
  }
  try {
    // qty is base in fixed point (1e-8): base wei = qty * 10^decimals / 1e8 (floor), as the venue.
    const evm::U256 baseWei = evm::U256(std::uint64_t(qty)) * evm::pow10U256(pool.baseDecimals) / evm::U256(100'000'000u);
    if (baseWei == 0) {
      q.error = "quantity below the token's unit";
      return q;
    }
    const evm::U256& reserveIn = buy ? pool.quoteReserve : pool.baseReserve;
    const evm::U256& reserveOut = buy ? pool.baseReserve : pool.quoteReserve;
    q.amountIn = buy ? evm::getAmountIn(baseWei, pool.quoteReserve, pool.baseReserve) : baseWei;
    q.expectedOut = evm::getAmountOut(q.amountIn, reserveIn, reserveOut);
    q.impact = evm::priceImpact(q.amountIn, q.expectedOut, reserveIn, reserveOut);
    q.minOut = evm::amountOutMinimum(q.expectedOut, slippageBps);
    q.averagePrice = buy ? evm::tokenPrice(q.amountIn, pool.quoteDecimals, q.expectedOut, pool.baseDecimals)
                         : evm::tokenPrice(q.expectedOut, pool.quoteDecimals, q.amountIn, pool.baseDecimals);
  } catch (const std::exception& e) {
    q.error = e.what();
    return q;
  }
  q.gas = chain.typicalSwapGas;
  q.gasPriceWei = chain.nextBaseFee + chain.suggestedTip;
  q.gasFeeWei = evm::U256(q.gas) * q.gasPriceWei;
  if (nativeUsd) q.gasFeeUsd = evm::tokenAmountToDouble(q.gasFeeWei, 18) * *nativeUsd;
  return q;
}

}  // namespace kappa::ui::onchain
