#include "venue/evm/GasBudget.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "venue/evm/TokenAmount.hpp"

namespace kappa::evm {
namespace {

constexpr Nanos kNanosPerDay = 86'400'000'000'000;

std::int64_t utcDay(Nanos now) { return now / kNanosPerDay; }

// Up to 6 significant digits, fixed notation, trailing zeros trimmed.
std::string plain(double v) {
  char buf[64];
  if (v == 0) return "0";
  const int digits = std::max(0, 5 - int(std::floor(std::log10(std::abs(v)))));
  std::snprintf(buf, sizeof buf, "%.*f", std::min(digits, 18), v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// The limits arrive in decimal units (gwei, ETH): in wei, floored (a limit is never rounded up).
U256 weiOf(double amount, unsigned decimals) {
  if (!(amount > 0)) return 0;
  // Exact enough: 1e-9 of a unit is far below any limit a trader sets; U256 keeps the large end.
  const double scaled = std::floor(amount * 1e9);
  U256 v = U256(static_cast<std::uint64_t>(std::min(scaled, 1.8e19)));
  return decimals >= 9 ? v * pow10U256(decimals - 9) : v / pow10U256(9 - decimals);
}

}  // namespace

U256 gasPriceLimitWei(const VenueRiskLimits& limits) {
  return std::isfinite(limits.maxGasPriceGwei) ? weiOf(limits.maxGasPriceGwei, 9) : U256(0);
}

void GasBudget::rollTo(Nanos now) {
  const std::int64_t d = utcDay(now);
  if (d <= day_) return;  // forward only
  day_ = d;
  paid_.clear();
}

void GasBudget::reserve(std::uint64_t txId, const U256& worstWei) { reserved_[txId] = worstWei; }

void GasBudget::paid(std::uint64_t txId, const U256& feeWei, Nanos now) {
  rollTo(now);
  reserved_.erase(txId);
  paid_[txId] = feeWei;
}

void GasBudget::restorePaid(std::uint64_t txId, const U256& feeWei, Nanos paidAt, Nanos now) {
  rollTo(now);
  if (paidAt > 0 && utcDay(paidAt) == day_) paid_[txId] = feeWei;
}

void GasBudget::release(std::uint64_t txId) { reserved_.erase(txId); }

U256 GasBudget::paidToday(Nanos now) {
  rollTo(now);
  U256 sum = 0;
  for (const auto& [id, wei] : paid_) sum += wei;
  return sum;
}

U256 GasBudget::reservedInFlight() const {
  U256 sum = 0;
  for (const auto& [id, wei] : reserved_) sum += wei;
  return sum;
}

U256 worstGasCost(std::uint64_t gasLimit, const U256& maxFeePerGas) { return U256(gasLimit) * maxFeePerGas; }

std::string formatNative(const U256& wei, const std::string& coin) { return plain(tokenAmountToDouble(wei, 18)) + " " + coin; }

GasRefusal checkGasRisk(const VenueRiskLimits& limits, const std::string& scope, const std::string& what,
                        const U256& maxFeePerGas, std::uint64_t gasLimit, const U256& paidToday, const U256& inFlight,
                        const std::optional<U256>& nativeBalance, const std::string& coin) {
  const U256 worst = worstGasCost(gasLimit, maxFeePerGas);
  if (std::isfinite(limits.maxGasPriceGwei)) {
    const U256 cap = weiOf(limits.maxGasPriceGwei, 9);
    if (maxFeePerGas > cap)
      return {"max_gas_price_gwei", "max_gas_price_gwei (" + scope + "): the fee would be up to " + formatGwei(maxFeePerGas) +
                                        " per gas, limit " + plain(limits.maxGasPriceGwei) + " gwei"};
  }
  if (std::isfinite(limits.maxGasPerDay)) {
    const U256 budget = weiOf(limits.maxGasPerDay, 18);
    const U256 after = paidToday + inFlight + worst;
    if (after > budget)
      return {"max_gas_per_day", "max_gas_per_day (" + scope + "): " + formatNative(paidToday, coin) + " of gas paid today (UTC)" +
                                     (inFlight > 0 ? " + " + formatNative(inFlight, coin) + " in flight" : std::string()) +
                                     " + up to " + formatNative(worst, coin) + " for " + what + " would pass the limit " +
                                     plain(limits.maxGasPerDay) + " " + coin};
  }
  if (nativeBalance && *nativeBalance < worst + inFlight)
    return {"gas_balance", "gas_balance (" + scope + "): the wallet holds " + formatNative(*nativeBalance, coin) + ", " + what +
                               " may cost up to " + formatNative(worst, coin) + " in gas" +
                               (inFlight > 0 ? " (and " + formatNative(inFlight, coin) + " is reserved for transactions in flight)"
                                             : std::string())};
  return {};
}

}  // namespace kappa::evm
