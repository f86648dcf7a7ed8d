// Uniswap V2 swap math (see UniswapV2Math.hpp). Checked 256-bit arithmetic stands in for the
// contract's SafeMath: the same operations in the same order, so the same overflows.
#include "venue/evm/UniswapV2Math.hpp"

#include <numeric>
#include <string>

#include "venue/evm/EvmError.hpp"

namespace kappa::evm {
namespace {
struct FeeFraction {
  unsigned keep, scale;  // amountIn * keep / scale is what the pool credits (997/1000 for 30 bps)
};

FeeFraction feeFraction(unsigned feeBps) {
  if (feeBps >= 10000) throw EvmError("swap fee of " + std::to_string(feeBps) + " bps is not below 10000 bps");
  const unsigned keep = 10000 - feeBps;
  const unsigned g = std::gcd(keep, 10000u);
  return {keep / g, 10000 / g};
}

// SafeMath's mul/add/sub with its revert messages.
U256 mul(const U256& a, const U256& b) {
  if (a == 0 || b == 0) return 0;
  // a < 2^(msb(a)+1), so the product fits when the bit widths add up to at most 256; only the rare
  // wide case pays for a division.
  if (boost::multiprecision::msb(a) + boost::multiprecision::msb(b) + 2 > 256 && a > u256Max() / b)
    throw EvmError("ds-math-mul-overflow");
  return a * b;
}
// The common case, amounts and reserves whose products fit in 128 bits (a WETH/USDC pool and a
// trade of a few ETH do), in native 128-bit integers: the same floor division, no 256-bit
// arithmetic. Returns false when anything would not fit; the caller then takes the 256-bit path.
using U128 = unsigned __int128;
bool toU128(const U256& v, U128& out) {
  const auto& b = v.backend();
  if (b.size() > 2) return false;
  out = b.size() == 2 ? (U128(b.limbs()[1]) << 64 | b.limbs()[0]) : U128(b.limbs()[0]);
  return true;
}
U256 fromU128(U128 v) { return U256(std::uint64_t(v >> 64)) << 64 | U256(std::uint64_t(v)); }

bool amountOut128(const U256& amountIn, const U256& reserveIn, const U256& reserveOut, const FeeFraction& fee, U256& out) {
  U128 in, rIn, rOut, withFee, numerator, scaled, denominator;
  if (!toU128(amountIn, in) || !toU128(reserveIn, rIn) || !toU128(reserveOut, rOut)) return false;
  if (__builtin_mul_overflow(in, U128(fee.keep), &withFee) || __builtin_mul_overflow(withFee, rOut, &numerator) ||
      __builtin_mul_overflow(rIn, U128(fee.scale), &scaled) || __builtin_add_overflow(scaled, withFee, &denominator))
    return false;
  out = fromU128(numerator / denominator);
  return true;
}

U256 add(const U256& a, const U256& b) {
  if (a > u256Max() - b) throw EvmError("ds-math-add-overflow");
  return a + b;
}
}  // namespace

U256 uint112Max() { return (U256(1) << 112) - 1; }

U256 getAmountOut(const U256& amountIn, const U256& reserveIn, const U256& reserveOut, unsigned feeBps) {
  const FeeFraction fee = feeFraction(feeBps);
  if (amountIn == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT");
  if (reserveIn == 0 || reserveOut == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_LIQUIDITY");
  if (U256 fast; amountOut128(amountIn, reserveIn, reserveOut, fee, fast)) return fast;
  return getAmountOutWide(amountIn, reserveIn, reserveOut, feeBps);
}

U256 getAmountOutWide(const U256& amountIn, const U256& reserveIn, const U256& reserveOut, unsigned feeBps) {
  const FeeFraction fee = feeFraction(feeBps);
  if (amountIn == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT");
  if (reserveIn == 0 || reserveOut == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_LIQUIDITY");
  const U256 amountInWithFee = mul(amountIn, fee.keep);
  const U256 numerator = mul(amountInWithFee, reserveOut);
  const U256 denominator = add(mul(reserveIn, fee.scale), amountInWithFee);
  return numerator / denominator;
}

U256 getAmountIn(const U256& amountOut, const U256& reserveIn, const U256& reserveOut, unsigned feeBps) {
  const FeeFraction fee = feeFraction(feeBps);
  if (amountOut == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT");
  if (reserveIn == 0 || reserveOut == 0) throw EvmError("UniswapV2Library: INSUFFICIENT_LIQUIDITY");
  if (amountOut >= reserveOut)
    throw EvmError("amount out " + amountOut.str() + " is not below the reserve " + reserveOut.str() +
                   " (the pair cannot pay it; the contract fails with " +
                   (amountOut > reserveOut ? "ds-math-sub-underflow)" : "a division by zero)"));
  const U256 numerator = mul(mul(reserveIn, amountOut), fee.scale);
  const U256 denominator = mul(reserveOut - amountOut, fee.keep);
  return add(numerator / denominator, 1);
}

std::vector<U256> getAmountsOut(const U256& amountIn, const std::vector<HopReserves>& reserves, unsigned feeBps) {
  if (reserves.empty()) throw EvmError("UniswapV2Library: INVALID_PATH");
  std::vector<U256> amounts;
  amounts.reserve(reserves.size() + 1);
  amounts.push_back(amountIn);
  for (const HopReserves& hop : reserves) amounts.push_back(getAmountOut(amounts.back(), hop.reserveIn, hop.reserveOut, feeBps));
  return amounts;
}

double priceImpact(const U256& amountIn, const U256& amountOut, const U256& reserveIn, const U256& reserveOut) {
  if (amountIn == 0 || reserveIn == 0 || reserveOut == 0) throw EvmError("price impact needs a non-zero input and reserves");
  using boost::multiprecision::cpp_int;
  // Exact: (amountIn*reserveOut - amountOut*reserveIn) / (amountIn*reserveOut), in 512 bits.
  const cpp_int quoted = cpp_int(amountIn) * cpp_int(reserveOut);
  const cpp_int actual = cpp_int(amountOut) * cpp_int(reserveIn);
  const cpp_int shortfall = quoted - actual;  // negative only for an output above the mid price
  // Scale to 1e18 before converting so the double keeps its precision.
  static const cpp_int kScale = cpp_int(1000000000000000000ull);
  const cpp_int scaled = shortfall * kScale / quoted;
  return scaled.convert_to<double>() / 1e18;
}

U256 amountOutMinimum(const U256& amountOut, unsigned slippageBps) {
  if (slippageBps > 10000) throw EvmError("slippage tolerance of " + std::to_string(slippageBps) + " bps is above 10000 bps");
  using boost::multiprecision::cpp_int;
  return U256(cpp_int(amountOut) * (10000 - slippageBps) / 10000);
}

U256 amountInMaximum(const U256& amountIn, unsigned slippageBps) {
  using boost::multiprecision::cpp_int;
  const cpp_int v = (cpp_int(amountIn) * (10000 + cpp_int(slippageBps)) + 9999) / 10000;
  if (v > cpp_int(u256Max())) throw EvmError("maximum input is above 2^256-1");
  return U256(v);
}

}  // namespace kappa::evm
