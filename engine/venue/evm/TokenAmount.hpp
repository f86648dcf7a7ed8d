#pragma once
// Token amounts (integers in the token's smallest unit, "wei", with `decimals` places) against the
// engine's fixed point (int64 * 1e8, core/Fixed.hpp). Chain state stays exact (U256); these
// conversions are where the engine's view (book sizes, trade prints) is made, rounding stated at
// each call. A token with more than kMaxTokenDecimals places is refused (EvmError): every exact
// comparison below fits in 512 bits up to there.
#include <cstdint>

#include <boost/multiprecision/cpp_int.hpp>

#include "core/Fixed.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

using U512 = boost::multiprecision::uint512_t;

inline constexpr unsigned kMaxTokenDecimals = 36;

// 10^decimals; throws EvmError above kMaxTokenDecimals.
U256 pow10U256(unsigned decimals);

// amount / 10^decimals in fixed point (1e-8 units), rounded down. Throws EvmError when it does not
// fit an int64 (above ~9.2e10 whole tokens).
std::int64_t tokenAmountToFixedFloor(const U256& amount, unsigned decimals);
// The same, saturating at INT64_MAX instead of throwing.
std::int64_t tokenAmountToFixedSaturating(const U256& amount, unsigned decimals);

// The price quote/base in quote tokens per whole base token, fixed point, rounded to nearest:
// (quoteAmount / 10^quoteDecimals) / (baseAmount / 10^baseDecimals). 0 when baseAmount is 0;
// saturates at INT64_MAX.
Price tokenPriceToFixed(const U256& quoteAmount, unsigned quoteDecimals, const U256& baseAmount, unsigned baseDecimals);

// The same as a double (display, tick choice); 0 when baseAmount is 0.
double tokenPrice(const U256& quoteAmount, unsigned quoteDecimals, const U256& baseAmount, unsigned baseDecimals);

// amount / 10^decimals as a double (display only).
double tokenAmountToDouble(const U256& amount, unsigned decimals);

}  // namespace kappa::evm
