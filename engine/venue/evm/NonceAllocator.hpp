#pragma once
// The nonces of our one sending account: which one the next transaction takes, which ones are in
// flight, and what the node's two counters say about them.
//
// The node gives two numbers for an address: eth_getTransactionCount(latest), the nonces already
// used by mined transactions, and (pending), that plus the transactions its pool holds in a row.
// The allocator keeps its own in-flight set (reserved -> sent -> included -> forgotten when the
// tracker says the transaction is final) and reconciles it with those counts:
//   - a nonce below `latest` is used on chain: an in-flight one becomes Included;
//   - a nonce we sent that is at or above `pending` is unknown to the node (dropped, or the node
//     restarted): it is reported so its transaction is resent AT THE SAME NONCE (never skipped);
//   - a nonce below our next one that nothing holds and the chain has not used (a reservation
//     released after a failed send) is a gap: reported, and allocate() fills gaps first, so later
//     transactions are never stuck behind a hole;
//   - `pending` above everything we know means another sender of the same key used nonces: our
//     next nonce moves past them (reported as `externalNonces`).
// Restored after a restart from the journal's (nonce, hash, state) list, then reconciled.
//
// Pure bookkeeping plus one RPC step (refresh); not thread-safe: it lives on the venue's I/O
// thread beside the TxTracker.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "venue/evm/Address.hpp"
#include "venue/evm/EthRpc.hpp"

namespace kappa::evm {

enum class NonceState {
  Reserved,  // allocated to a transaction being built/signed; not sent yet
  Sent,      // handed to the node (eth_sendRawTransaction answered, or may have)
  Included,  // the chain's latest count is past it
};
const char* toString(NonceState state);

struct NonceRecord {
  std::uint64_t nonce = 0;
  std::string hash;  // the last transaction hash sent at this nonce ("" while Reserved)
  NonceState state = NonceState::Reserved;
  bool operator==(const NonceRecord&) const = default;
};

struct NonceReconciliation {
  std::uint64_t latest = 0;   // the node's eth_getTransactionCount(latest)
  std::uint64_t pending = 0;  // ... (pending)
  std::vector<std::uint64_t> nowIncluded;    // in-flight nonces the chain used since the last look
  // Sent nonces >= pending: lost by the node (resend at the same nonce), or queued behind a gap
  // (the counts cannot tell the two apart: the tracker asks by hash before resending).
  std::vector<std::uint64_t> unknownToNode;
  std::vector<std::uint64_t> gaps;           // free nonces in [max(latest, pending), next): allocate() reuses them
  std::vector<std::uint64_t> reverted;       // Included nonces now >= latest again (a reorg): followed again
  std::uint64_t externalNonces = 0;          // nonces used by someone else with our key
};

class NonceAllocator {
 public:
  explicit NonceAllocator(Address account) : account_(account) {}

  const Address& account() const { return account_; }

  // After a restart: the journal's in-flight list. Replaces the set; Reserved entries (never sent)
  // become gaps to reuse. Then TxTracker::restore (claims the nonces it holds transactions for), then
  // reconcile/refresh.
  void restore(const std::vector<NonceRecord>& records);

  // The node's counts, pure. Also sets the next nonce when nothing is known yet (first start).
  NonceReconciliation reconcile(std::uint64_t latest, std::uint64_t pending);
  // eth_getTransactionCount(latest) and (pending) for our account, then reconcile(). nullopt with
  // `error` set when either call fails or answers something that is not a count.
  std::optional<NonceReconciliation> refresh(EthRpc& rpc, std::string& error);

  // True once the counts have been read at least once (allocate() refuses before).
  bool synced() const { return synced_; }
  // The lowest gap, else the next new nonce; marked Reserved. nullopt before the first reconcile.
  std::optional<std::uint64_t> allocate();
  // The transaction at `nonce` was sent (or may have been) as `hash`; a replacement calls it again.
  void markSent(std::uint64_t nonce, const std::string& hash);
  // Never sent (signing failed, the node refused it outright): the nonce is free again (a gap
  // when a later one is in flight, else simply the next one again).
  void release(std::uint64_t nonce);
  // The tracker is done with it (final, or its cancel is final): out of the in-flight set.
  void forget(std::uint64_t nonce);

  // The journal's list: every nonce in flight, lowest first.
  std::vector<NonceRecord> inFlight() const;
  std::optional<NonceRecord> find(std::uint64_t nonce) const;
  // The nonce allocate() would hand out when there is no gap.
  std::uint64_t nextNew() const { return next_; }
  std::uint64_t latest() const { return latest_; }

 private:
  std::vector<std::uint64_t> gaps() const;

  Address account_;
  std::map<std::uint64_t, NonceRecord> inFlight_;
  std::uint64_t next_ = 0;    // one past the highest nonce we hold or the node reported
  std::uint64_t latest_ = 0;   // the chain's count at the last reconcile
  std::uint64_t pending_ = 0;  // the node's pending count then
  bool synced_ = false;
};

}  // namespace kappa::evm
