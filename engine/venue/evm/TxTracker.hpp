#pragma once
// The life of our on-chain transactions, from signing to finality, for the EVM venue's orders.
//
//   submit()  signs at a nonce from the NonceAllocator and sends  -> Pending (or Rejected, notSent)
//   onBlock() per new head: receipts, canonical checks, confirmations, stuck and dropped detection
//     Pending   -> Included   receipt status 1: gasUsed, effectiveGasPrice, fee = their product, logs
//               -> Rejected   receipt status 0: the revert reason (eth_call replay at the receipt's
//                             block, else "reverted without a reason"); the fee is still charged
//               -> Cancelled  our cancel (a zero-value self-transfer at the nonce) was included
//               -> Stuck      not included within `stuckBlocks`, or maxFee below the next base fee:
//                             replaced with both fees raised (autoReplace), else reported
//               -> Dropped    unknown to the node and its nonce not used: resent as it was (same
//                             hash), or re-priced when the node refuses the old fees (resendDropped)
//     Included  -> Confirmed  after `confirmations` blocks (the including block counts as 1)
//               -> Final      after `finalConfirmations`: the nonce leaves the allocator
//     Included/Confirmed -> Reorged -> Pending  the receipt's block hash is no longer canonical;
//                             followed again (re-included under a new hash, or dropped and resent)
//   replace() / cancel()     same nonce, both fees raised by >= FeeConfig::replacementBumpPermille
//                             (12.5 %); the node's -32003 "replacement transaction underpriced"
//                             raises again, up to `maxReplacementTries`, never above the fee cap.
// Every attempt's hash stays followed: whichever of them the chain includes is the outcome.
//
// Events go to one callback (TxEvent: close to an ExecReport; the venue maps them). Records for the
// journal come from records(); restore() takes them back after a restart: nothing is sent at
// restore, onBlock() then finds each transaction's fate (included while we were away, still in the
// pool, or unknown: resent with the same hash), so no order is ever sent twice at two nonces.
//
// Blocking RPC on the venue's I/O thread; single-threaded (no locks); the callback runs inside
// submit()/onBlock()/poll()/replace()/cancel() on that thread.
//
// Wiring into a venue (one account): NonceAllocator n(signer.address()); n.refresh(rpc) once;
// FeeEstimator f(rpc, feeConfig); TxTracker t(rpc, signer, chainId, n, f, cfg, callback). Per order:
// f.estimateGas(...) (a revert -> ExecReport Reject, notSent, with revertReason), f.quote(), then
// t.submit({orderId, router, 0, calldata, gas.gasLimit, quote}). Per head: t.poll() (or onBlock).
// A cancel request: t.cancel(orderId). Journal: n.inFlight() and t.records() after every event;
// at start-up n.restore(), t.restore(), n.refresh(), t.poll(true).
// Events -> ExecReport: Pending -> Ack; Included -> Fill (amounts from the pair's Swap log, fee =
// feeWei in ETH); Rejected -> Reject (notSent: our own refusal, no fee; else the revert reason and
// the gas paid); Cancelled -> Cancelled (feeWei paid); cancel() false -> CancelReject (the swap was
// already included: its Included follows at the next head); Replaced/Stuck/Dropped/Confirmed/
// Final: status only; Reorged: a Fill reported earlier is not certain any more (it comes again,
// under a new block hash, or the transaction is resent and followed as pending).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/Eip1559Transaction.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/FeeEstimator.hpp"
#include "venue/evm/NonceAllocator.hpp"
#include "venue/evm/Secp256k1Signer.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct TxTrackerConfig {
  std::uint64_t confirmations = 2;        // Included -> Confirmed
  std::uint64_t finalConfirmations = 12;  // -> Final (at least `confirmations`)
  std::uint64_t stuckBlocks = 3;          // pending this many blocks after sending: stuck
  bool autoReplace = true;                // replace stuck transactions by itself
  bool resendDropped = true;              // resend dropped ones by itself
  unsigned maxReplacementTries = 4;       // underpriced answers before giving up a replacement
};

enum class TxState { Signed, Pending, Included, Confirmed, Final, Rejected, Dropped };
const char* toString(TxState state);

enum class TxEventType {
  Pending,    // the node accepted it (also after a resend)
  Included,   // status 1 in a block: gas, fee, logs
  Rejected,   // refused before sending (notSent), or status 0 in a block (reason, fee charged)
  Confirmed,  // `confirmations` blocks deep
  Final,      // `finalConfirmations` deep: done
  Replaced,   // a replacement (or cancel: `cancel`) was accepted at the same nonce: hash, previousHash
  Cancelled,  // the cancel transaction was included: the order's call never ran
  Stuck,      // not included in time / below the base fee; `reason` says why and what was done
  Dropped,    // unknown to the node, nonce unused; `reason` says whether it was resent
  Reorged,    // its block left the canonical chain: pending again
};
const char* toString(TxEventType type);

struct TxLog {
  Address address{};
  std::vector<Hash32> topics;
  Bytes data;
};

struct TxEvent {
  TxEventType type = TxEventType::Pending;
  std::uint64_t orderId = 0;
  std::uint64_t nonce = 0;
  std::string hash;          // the transaction concerned (the included one for Included/Rejected/Cancelled)
  std::string previousHash;  // Replaced: the one it replaces
  bool cancel = false;       // Replaced: the new transaction is our cancel
  bool notSent = false;      // Rejected: refused before reaching the chain (no fee)
  bool ended = false;        // Dropped: given up (its nonce used by another, or not resent): no event follows
  std::string reason;        // Rejected / Stuck / Dropped / Reorged: why
  std::uint64_t blockNumber = 0;
  std::string blockHash;
  std::uint64_t confirmations = 0;
  std::uint64_t gasUsed = 0;
  U256 effectiveGasPrice = 0;
  U256 feeWei = 0;  // gasUsed * effectiveGasPrice
  U256 maxFeePerGas = 0, maxPriorityFeePerGas = 0;  // Pending / Replaced: the fees sent
  std::vector<TxLog> logs;  // Included: the receipt's logs (the venue reads its swap amounts there)
};

// What the venue asks for: a call (to, value, data) with its gas limit and fees already estimated.
struct TxRequest {
  std::uint64_t orderId = 0;
  std::optional<Address> to;
  U256 value = 0;
  Bytes data;
  std::uint64_t gasLimit = 0;
  FeeQuote fees;
};

// One transaction sent at an order's nonce.
struct TxAttempt {
  std::string raw;   // 0x02... signed, as sent
  std::string hash;  // keccak of raw
  bool cancel = false;
  std::uint64_t sentBlock = 0;  // the head when sent
};

// The journal's record of one order's transaction (TxTracker::records / restore).
struct TxRecord {
  std::uint64_t orderId = 0;
  std::uint64_t nonce = 0;
  TxState state = TxState::Pending;
  std::vector<TxAttempt> attempts;  // oldest first; the last is the current one
  std::uint64_t includedBlock = 0;  // Included/Confirmed: where
  std::string includedBlockHash;
  std::string includedHash;
};

class TxTracker {
 public:
  using Callback = std::function<void(const TxEvent&)>;

  TxTracker(EthRpc& rpc, const Secp256k1Signer& signer, U256 chainId, NonceAllocator& nonces, FeeEstimator& fees,
            TxTrackerConfig config = {}, Callback onEvent = {});

  void setCallback(Callback onEvent) { onEvent_ = std::move(onEvent); }
  const TxTrackerConfig& config() const { return config_; }

  // Signs and sends. Returns the nonce used, or nullopt when refused (a Rejected event with
  // notSent says why: nonces not synced, fee cap, duplicate order id, the node's refusal).
  std::optional<std::uint64_t> submit(const TxRequest& request);
  // A new head (call once per block; calling again with the same head re-checks, e.g. after the
  // base fee moved). Reads receipts, the allocator's counts and the fee history as needed.
  void onBlock(std::uint64_t number, const std::string& hash);
  // eth_getBlockByNumber(latest) and onBlock() when the head changed (or `force`). false with
  // `error` when the node did not answer.
  bool poll(std::string& error, bool force = false);

  // Same nonce, fees raised; false with `reason` when not possible (not pending, cap, refused).
  bool replace(std::uint64_t orderId, std::string& reason);
  // A zero-value self-transfer at the order's nonce with raised fees.
  bool cancel(std::uint64_t orderId, std::string& reason);

  std::optional<TxRecord> find(std::uint64_t orderId) const;
  // Every transaction not yet final (for the journal); restore() takes the same list back.
  std::vector<TxRecord> records() const;
  // After a restart; transactions already tracked are kept. Throws EvmError on a malformed raw.
  void restore(const std::vector<TxRecord>& records);
  std::uint64_t head() const { return head_; }
  // The risk limit on the price of gas (max_gas_price_gwei, wei; 0 = none) for replacements that
  // speed a transaction up (replace(), stuck ones replaced by themselves): one above it is not
  // sent. A cancel's self-transfer is exempt: reducing risk never waits on a gas limit.
  void setSpeedUpFeeLimit(const U256& maxFeePerGas, std::string limitName) {
    speedUpLimit_ = maxFeePerGas;
    speedUpLimitName_ = std::move(limitName);
  }

 private:
  struct Tracked {
    TxRecord record;
    Eip1559Transaction base;  // the order's call (to, value, data, gas), for replacements
    bool confirmedSent = false;
    // The head at which its nonce was first seen used by none of our hashes (0: not seen). It ends
    // only once that held for `confirmations` heads: a node behind a load balancer, or a receipt not
    // served yet, must not end a swap that in fact landed.
    std::uint64_t nonceTakenAt = 0;
  };
  enum class SendOutcome { Accepted, MaybeSent, Underpriced, FeeTooLow, NonceUsed, Refused, NotSent };
  SendOutcome sendRaw(const std::string& raw, std::string& reason);
  bool sendReplacement(Tracked& t, bool cancel, std::string& reason);
  void checkPending(Tracked& t, const std::optional<FeeQuote>& quote, std::uint64_t latestCount);
  // Applied: a receipt was found and applied. InLaterBlock: one exists, in a block newer than the
  // head being handled (mined meanwhile): that head will apply it. None: no receipt for any attempt.
  enum class Receipt { Applied, InLaterBlock, None };
  Receipt lookForReceipt(Tracked& t);
  void applyReceipt(Tracked& t, const TxAttempt& attempt, const nlohmann::json& receipt);
  void checkIncluded(Tracked& t);
  void resendDropped(Tracked& t);
  std::string replayRevert(const Tracked& t, const TxAttempt& attempt, std::uint64_t block, std::uint64_t gasUsed);
  TxEvent eventFor(const Tracked& t, TxEventType type) const;
  void publish(const TxEvent& e) const;
  Tracked* byOrder(std::uint64_t orderId);
  static FeeQuote feesOf(const TxAttempt& attempt);

  EthRpc& rpc_;
  const Secp256k1Signer& signer_;
  U256 chainId_;
  NonceAllocator& nonces_;
  FeeEstimator& fees_;
  TxTrackerConfig config_;
  Callback onEvent_;
  U256 speedUpLimit_ = 0;
  std::string speedUpLimitName_;
  std::map<std::uint64_t, Tracked> byNonce_;  // active transactions (not final, not rejected)
  std::uint64_t head_ = 0;
  std::string headHash_;
};

}  // namespace kappa::evm
