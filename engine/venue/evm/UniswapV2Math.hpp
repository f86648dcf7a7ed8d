#pragma once
// Uniswap V2's swap arithmetic, integer for integer as UniswapV2Library (v2-periphery) computes it,
// so a quote here is exactly what the Router pays or asks:
//   getAmountOut = amountIn*997*reserveOut / (reserveIn*1000 + amountIn*997)   (floor)
//   getAmountIn  = reserveIn*amountOut*1000 / ((reserveOut - amountOut)*997) + 1
// The fee is a parameter in basis points (default 30 = 997/1000, the only fee of Uniswap V2; other
// values serve V2 forks). The fraction (10000 - fee)/10000 is reduced first, so fee 30 multiplies by
// 997 and 1000 exactly like the contract and overflows (SafeMath's ds-math-*) where it does.
// Where the library reverts, these throw EvmError with the library's own require message.
#include <cstdint>
#include <vector>

#include "venue/evm/U256.hpp"

namespace kappa::evm {

inline constexpr unsigned kUniswapV2FeeBps = 30;

// Out for an exact input. Throws EvmError: "UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT" (amountIn
// 0), "UniswapV2Library: INSUFFICIENT_LIQUIDITY" (a reserve 0), "ds-math-mul-overflow" /
// "ds-math-add-overflow" (the 256-bit products overflow, as SafeMath reverts), or an invalid fee.
U256 getAmountOut(const U256& amountIn, const U256& reserveIn, const U256& reserveOut,
                  unsigned feeBps = kUniswapV2FeeBps);

// getAmountOut always in 256-bit arithmetic (getAmountOut takes a 128-bit shortcut when every
// product fits, with the same result; tests compare the two).
U256 getAmountOutWide(const U256& amountIn, const U256& reserveIn, const U256& reserveOut,
                      unsigned feeBps = kUniswapV2FeeBps);

// In for an exact output (rounded up: the +1). Throws as getAmountOut, with
// "UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT" for amountOut 0, and a clear error when amountOut
// is not below reserveOut (the contract fails there: ds-math-sub-underflow or a division by zero).
U256 getAmountIn(const U256& amountOut, const U256& reserveIn, const U256& reserveOut,
                 unsigned feeBps = kUniswapV2FeeBps);

// A multi-hop quote as UniswapV2Library.getAmountsOut: amounts[0] = amountIn, then each hop's out.
// `reserves` holds (reserveIn, reserveOut) per hop, in path order.
struct HopReserves {
  U256 reserveIn, reserveOut;
};
std::vector<U256> getAmountsOut(const U256& amountIn, const std::vector<HopReserves>& reserves,
                                unsigned feeBps = kUniswapV2FeeBps);

// Price impact of a swap as a fraction (0.0031 = 0.31 %): how far the execution price
// amountOut/amountIn falls below the mid price reserveOut/reserveIn, fee included:
//   1 - amountOut*reserveIn / (amountIn*reserveOut)   (computed exactly, then rounded to double).
// Throws EvmError for a zero amountIn or reserve.
double priceImpact(const U256& amountIn, const U256& amountOut, const U256& reserveIn, const U256& reserveOut);

// The least output to accept for a slippage tolerance in basis points:
// floor(amountOut * (10000 - slippageBps) / 10000). (Uniswap's SDK divides by 1 + tolerance instead,
// which is a little stricter.) Throws EvmError for a tolerance above 10000 bps.
U256 amountOutMinimum(const U256& amountOut, unsigned slippageBps);
// The most input to allow for an exact-output swap: ceil(amountIn * (10000 + slippageBps) / 10000).
U256 amountInMaximum(const U256& amountIn, unsigned slippageBps);

// uint112, the width of a pair's reserves (reserves above it cannot exist on chain).
U256 uint112Max();

}  // namespace kappa::evm
