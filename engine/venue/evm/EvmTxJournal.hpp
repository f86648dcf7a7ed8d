#pragma once
// What the EVM venue journals of each transaction id it signs for, and what the run report shows.
//
// One entry per tracker id (a swap's engine order id, or an approval's 2^62+n): the order's side
// (what was asked, what the engine was told: acked, fill sent) and the TxTracker's record (the
// nonce, every signed attempt — the original, replacements, the cancel — with its raw bytes, and
// where it was included). The venue sends the whole entry again at every change of it (a
// VenueJournalEntry keyed by the id, body = toJournalBody), so the newest body per key is all a
// restart needs:
//   - the tracker's record goes back to TxTracker::restore (the raw bytes resend a dropped
//     transaction with the same hash: nothing is ever signed twice for one order), and its nonce
//     to the NonceAllocator;
//   - acked / fillSent say what the engine already heard, so a transaction included while kappa
//     was away sends its Fill exactly once.
// The raw bytes are signed transactions (public once sent), never the key. Amounts in wei are
// decimal strings (exact); nonces, blocks and gas are JSON integers.
//
// The report shows one row per signed transaction (transactionViews): its hash, nonce, kind
// (swap / approval / cancel), state, confirmations, and for the included one gas used, effective
// gas price and fee.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Fixed.hpp"
#include "core/Types.hpp"
#include "venue/evm/TxTracker.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct EvmTxEntry {
  std::uint64_t id = 0;      // the tracker's id: the journal key
  bool approval = false;     // approve(Router, max) of `token`
  std::string token;         // approval: the token (checksummed)
  std::string pool;          // swap: the instrument's name ("WETH/USDC")
  Side side = Side::Buy;
  Qty qty = 0;               // the order's base quantity (fixed point)
  U256 amountIn = 0, amountOutMin = 0, expectedOut = 0;  // as signed
  U256 baseWei = 0, quoteWei = 0;                        // from the Swap log once included
  bool acked = false;        // the engine was sent the Ack
  bool fillSent = false;     // ... the Fill
  bool terminal = false;     // ... a final report (Fill, Cancelled, Reject)
  bool cancelSent = false;   // our cancel (self-transfer) is among the attempts
  // "pending", "included", "confirmed", "final", "rejected" (reverted, or refused: notSent),
  // "cancelled", "dropped", "reorged".
  std::string state = "pending";
  bool notSent = false;      // rejected before reaching the chain
  std::string reason;        // the last reason said (revert, stuck, dropped, reorg)
  std::uint64_t gasUsed = 0;           // the included transaction's receipt (0 before)
  U256 effectiveGasPrice = 0, feeWei = 0;
  Nanos feePaidAt = 0;       // wall time the receipt was read (0: none): the day's gas after a restart
  TxRecord tx;               // the tracker's record (attempts with their raw bytes)
};

// The entry as the journal's body (JSON) and back. Throws EvmError on a body it cannot read
// (untrusted input: a damaged or hand-edited journal).
std::string toJournalBody(const EvmTxEntry& entry);
EvmTxEntry evmTxEntryFromJournal(std::uint64_t key, const std::string& body);

// One signed transaction, for the report.
struct EvmTxView {
  std::string hash;
  std::uint64_t nonce = 0;
  std::string kind;          // "swap", "approval", "cancel"
  std::uint64_t id = 0;      // the tracker id
  OrderId orderId = 0;       // the swap's order (also for its cancel); 0 for an approval
  // "pending", "included", "confirmed", "final", "reverted", "replaced" (another attempt at its
  // nonce took over or was included), "dropped", "not_sent".
  std::string state;
  std::string replacedBy;    // "replaced": the hash that took its place
  std::string reason;
  std::uint64_t block = 0;   // included in (0: not included)
  std::string blockHash;
  std::uint64_t confirmations = 0;  // head - block + 1 when included
  bool hasReceipt = false;   // gasUsed, effectiveGasPrice, feeWei are the receipt's
  std::uint64_t gasUsed = 0;
  U256 effectiveGasPrice = 0, feeWei = 0;
};

// Every attempt of the entry, oldest first, as seen at `head` (the node's newest block).
std::vector<EvmTxView> transactionViews(const EvmTxEntry& entry, std::uint64_t head);

}  // namespace kappa::evm
