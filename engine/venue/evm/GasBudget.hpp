#pragma once
// The on-chain venue's own risk checks, made at signing with the limits the engine hands it
// (VenueRiskLimits, Venue::setRiskLimits): only the venue knows then what the fee estimate says,
// what its transactions already paid today, and what its wallet holds in the native coin.
//
// GasBudget keeps the gas our transactions paid since UTC midnight — swaps, reverted swaps, cancels'
// self-transfers, approvals: every receipt's gasUsed * effectiveGasPrice — keyed by the tracker's
// id so that a transaction re-included after a reorganisation counts once, and the worst case
// (gasLimit * maxFeePerGas) of those still in flight, which the wallet must be able to pay too.
// After a restart the venue gives back, through paid(), the fees its transaction journal says were
// paid today.
// I/O thread only (no locks).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/Types.hpp"
#include "venue/VenueTypes.hpp"
#include "venue/evm/FeeEstimator.hpp"  // formatGwei
#include "venue/evm/U256.hpp"

namespace kappa::evm {

class GasBudget {
 public:
  // Starts a new UTC day at `now` (wall time) when it changed: what was paid before is forgotten.
  void rollTo(Nanos now);
  // A transaction sent (or replaced with higher fees): its worst case until it is paid or released.
  void reserve(std::uint64_t txId, const U256& worstWei);
  // Its receipt: `feeWei` paid (replacing an amount counted before for the same id).
  void paid(std::uint64_t txId, const U256& feeWei, Nanos now);
  // Restart: a fee the journal says was paid at `paidAt`, counted (by its id) only when that was
  // today (UTC) as of `now`.
  void restorePaid(std::uint64_t txId, const U256& feeWei, Nanos paidAt, Nanos now);
  // Never reached the chain (refused before sending): nothing reserved any more.
  void release(std::uint64_t txId);
  U256 paidToday(Nanos now);
  U256 reservedInFlight() const;
  std::int64_t day() const { return day_; }

 private:
  std::int64_t day_ = -1;
  std::map<std::uint64_t, U256> paid_;          // today, by tracker id
  std::map<std::uint64_t, U256> reserved_;      // in flight, by tracker id
};

// One refusal: the risk key it falls under ("max_gas_price_gwei", "max_gas_per_day", or
// "gas_balance" for a wallet that cannot pay) and the reason a trader reads.
struct GasRefusal {
  std::string limit;
  std::string reason;
  explicit operator bool() const { return !reason.empty(); }
};

// max_gas_price_gwei in wei (floored), 0 when the limit is off.
U256 gasPriceLimitWei(const VenueRiskLimits& limits);

// What a transaction costs at most: gasLimit * maxFeePerGas (wei).
U256 worstGasCost(std::uint64_t gasLimit, const U256& maxFeePerGas);

// The checks before signing `what` ("the swap", "the approval and the swap") that may use up to
// `gasLimit` gas at `maxFeePerGas`: the gas price limit, the day's budget (paid + in flight + this),
// and, when `nativeBalance` is known, whether the wallet can pay it (with what is in flight).
// `scope` names the venue in the reason ("max_gas_price_gwei (evm): ...").
GasRefusal checkGasRisk(const VenueRiskLimits& limits, const std::string& scope, const std::string& what,
                        const U256& maxFeePerGas, std::uint64_t gasLimit, const U256& paidToday, const U256& inFlight,
                        const std::optional<U256>& nativeBalance, const std::string& coin = "ETH");

// "0.0031 ETH" (up to 6 significant digits, never in exponent form). Gwei: FeeEstimator's formatGwei.
std::string formatNative(const U256& wei, const std::string& coin = "ETH");

}  // namespace kappa::evm
