#include "venue/evm/TokenAmount.hpp"

#include <limits>
#include <string>

#include "venue/evm/EvmError.hpp"

namespace kappa::evm {

namespace {
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
}

U256 pow10U256(unsigned decimals) {
  if (decimals > kMaxTokenDecimals)
    throw EvmError("token decimals " + std::to_string(decimals) + " above the supported " + std::to_string(kMaxTokenDecimals));
  U256 v = 1;
  for (unsigned i = 0; i < decimals; ++i) v *= 10;
  return v;
}

std::int64_t tokenAmountToFixedSaturating(const U256& amount, unsigned decimals) {
  const U512 v = U512(amount) * U512(kFixedScale) / U512(pow10U256(decimals));
  return v > U512(kInt64Max) ? kInt64Max : std::int64_t(v);
}

std::int64_t tokenAmountToFixedFloor(const U256& amount, unsigned decimals) {
  const U512 v = U512(amount) * U512(kFixedScale) / U512(pow10U256(decimals));
  if (v > U512(kInt64Max)) throw EvmError("token amount " + u256ToDecimal(amount) + " too large for the engine's fixed point");
  return std::int64_t(v);
}

Price tokenPriceToFixed(const U256& quoteAmount, unsigned quoteDecimals, const U256& baseAmount, unsigned baseDecimals) {
  if (baseAmount == 0) return 0;
  const U512 num = U512(quoteAmount) * U512(pow10U256(baseDecimals)) * U512(kFixedScale);
  const U512 den = U512(baseAmount) * U512(pow10U256(quoteDecimals));
  const U512 v = (num + den / 2) / den;
  return v > U512(kInt64Max) ? kInt64Max : Price(v);
}

double tokenAmountToDouble(const U256& amount, unsigned decimals) {
  return amount.convert_to<double>() / pow10U256(decimals).convert_to<double>();
}

double tokenPrice(const U256& quoteAmount, unsigned quoteDecimals, const U256& baseAmount, unsigned baseDecimals) {
  if (baseAmount == 0) return 0;
  return tokenAmountToDouble(quoteAmount, quoteDecimals) / tokenAmountToDouble(baseAmount, baseDecimals);
}

}  // namespace kappa::evm
