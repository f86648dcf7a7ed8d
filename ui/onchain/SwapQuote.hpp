#pragma once
// The order ticket's on-chain preview of a swap, computed exactly as the venue sends it
// (EvmVenue::handleSubmit) and the Router pays it (UniswapV2Math, integer for integer), on the pool
// reserves the venue last showed:
//   Sell qty base: amountIn = qty base, expected out = getAmountOut(qty, baseReserve, quoteReserve);
//   Buy qty base:  amountIn = getAmountIn(qty, quoteReserve, baseReserve) quote, expected out =
//                  getAmountOut(amountIn, quoteReserve, baseReserve) base (>= qty);
//   price impact = UniswapV2Math::priceImpact (fee included), minimum out = amountOutMinimum with
//   the venue's slippage; gas = the typical swap's gas x (next base fee + suggested tip), in the
//   native coin and in USD at the pools' mids.
#include <optional>
#include <string>

#include "core/Types.hpp"
#include "venue/evm/EvmVenueViews.hpp"

namespace kappa::ui::onchain {

struct SwapQuote {
  evm::U256 amountIn = 0, expectedOut = 0, minOut = 0;
  std::string inSymbol, outSymbol;
  unsigned inDecimals = 18, outDecimals = 18;
  double averagePrice = 0;  // quote per base
  double impact = 0;        // fraction (0.0031 = 0.31 %)
  std::uint64_t gas = 0;
  evm::U256 gasPriceWei = 0;  // next base fee + tip
  evm::U256 gasFeeWei = 0;
  std::optional<double> gasFeeUsd;
  std::string error;  // non-empty: no quote (why)
};

SwapQuote quoteSwap(const evm::EvmPoolView& pool, Side side, Qty qty, unsigned slippageBps, const evm::EvmChainView& chain,
                    std::optional<double> nativeUsd);

}  // namespace kappa::ui::onchain
