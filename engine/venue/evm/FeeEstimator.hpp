#pragma once
// EIP-1559 fees and the gas limit for a transaction we are about to sign.
//
//   priority  = the `rewardPercentile` reward of the last `historyBlocks` blocks (eth_feeHistory),
//               their median over blocks that paid any, else eth_maxPriorityFeePerGas (a fresh
//               chain's blocks carry no rewards), never below `minPriorityFee`;
//   maxFee    = baseFee(next block) * baseFeeMultiplier + priority (the next block's base fee is
//               the last entry of feeHistory's baseFeePerGas; x2 survives six full blocks of +12.5 %);
//   gas limit = eth_estimateGas * gasMargin (anvil's estimate ran out of gas for swaps: the pair
//               writes its price accumulators only in a later second).
// A transaction whose estimate reverts is refused with its decoded revert reason before anything
// is signed. checkFeeCap() is the risk gate's question: does this maxFee stay under the cap.
// Replacement fees (bumpFees) raise BOTH fees by at least `replacementBumpPermille` (geth's pool
// wants +10 %; 12.5 % leaves room for rounding) and never below a fresh quote.
//
// Multipliers are integers per mille so that wei arithmetic stays exact (no double on U256).
// The pure parts (feesFromHistory, gasWithMargin, bumpFees, checkFeeCap) take the node's answers
// as JSON; FeeEstimator does the calls. Blocking RPC: the venue's I/O thread only.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct FeeConfig {
  unsigned historyBlocks = 5;             // eth_feeHistory's blockCount
  double rewardPercentile = 50;           // eth_feeHistory's reward percentile (0..100)
  unsigned baseFeeMultiplierPermille = 2000;  // maxFee = baseFee(next) * this / 1000 + priority
  unsigned gasMarginPermille = 1250;      // gas limit = estimate * this / 1000 (rounded up)
  unsigned replacementBumpPermille = 1125;  // a replacement's fees >= old * this / 1000 (rounded up)
  U256 minPriorityFee = 0;                // floor for the tip (wei)
  U256 maxFeeCap = 0;                     // the largest maxFeePerGas we ever sign (wei); 0: no cap
};

struct FeeQuote {
  U256 baseFeeNext = 0;           // the next block's base fee (wei per gas)
  U256 maxPriorityFeePerGas = 0;
  U256 maxFeePerGas = 0;
  bool operator==(const FeeQuote&) const = default;
};

// From an eth_feeHistory result ({baseFeePerGas: [...n+1], reward: [[p], ...n]}); `fallbackPriority`
// when no block paid a reward. Throws EvmError when the answer is malformed.
FeeQuote feesFromHistory(const nlohmann::json& feeHistory, const FeeConfig& config, const U256& fallbackPriority);
// For a node without eth_feeHistory: the latest block's base fee raised by the most one block can
// add (+12.5 %) as the next one's, and `priority` (eth_maxPriorityFeePerGas), floored by minPriorityFee.
FeeQuote feesFromLatestBlock(const U256& latestBaseFee, const U256& priority, const FeeConfig& config);
// ceil(estimate * marginPermille / 1000), at least the estimate.
std::uint64_t gasWithMargin(std::uint64_t estimate, unsigned marginPermille);
// New fees for a replacement of a transaction sent with `old`: each of the two fees
// max(ceil(old * bump / 1000), old + 1, fresh's), and maxFee >= priority.
FeeQuote bumpFees(const FeeQuote& old, const FeeQuote& fresh, unsigned bumpPermille);
// "" when maxFeePerGas <= cap (or cap is 0), else why not: "maxFeePerGas 250 gwei above the cap 200 gwei".
std::string checkFeeCap(const U256& maxFeePerGas, const U256& cap);
// "12.5 gwei": for messages.
std::string formatGwei(const U256& wei);

// What eth_estimateGas said about a call.
struct GasEstimate {
  std::uint64_t estimate = 0;  // the node's figure
  std::uint64_t gasLimit = 0;  // with the margin
  std::string revertReason;    // non-empty: the call reverts (describeRevert of its data)
  std::string error;           // non-empty: no estimate (transport, node error other than a revert)
  bool ok() const { return revertReason.empty() && error.empty(); }
};

class FeeEstimator {
 public:
  FeeEstimator(EthRpc& rpc, FeeConfig config = {}) : rpc_(rpc), config_(config) {}

  const FeeConfig& config() const { return config_; }
  void setConfig(const FeeConfig& config) {
    config_ = config;
    cachedHead_ = 0;
  }

  // eth_feeHistory (+ eth_maxPriorityFeePerGas when no block paid a tip); a node that refuses
  // eth_feeHistory: the latest block's base fee and eth_maxPriorityFeePerGas (feesFromLatestBlock).
  // nullopt with `error` on failure.
  std::optional<FeeQuote> quote(std::string& error);
  // The same, asked once per head: while the caller's newest block is still `head`, the quote
  // given for it is given again (fee history only changes with a block: two round trips saved per
  // order). The maxFee's base-fee multiplier covers a block the caller has not seen yet.
  std::optional<FeeQuote> quoteAt(std::uint64_t head, std::string& error);
  // eth_estimateGas for {from, to, value, data} at "pending"; a revert gives revertReason.
  GasEstimate estimateGas(const Address& from, const std::optional<Address>& to, const U256& value, const Bytes& data);
  // The cap check with this estimator's cap.
  std::string checkCap(const U256& maxFeePerGas) const { return checkFeeCap(maxFeePerGas, config_.maxFeeCap); }

 private:
  EthRpc& rpc_;
  FeeConfig config_;
  std::uint64_t cachedHead_ = 0;
  FeeQuote cached_;
};

}  // namespace kappa::evm
