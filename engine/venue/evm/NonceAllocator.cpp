#include "venue/evm/NonceAllocator.hpp"

#include <algorithm>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/RpcQuantity.hpp"

namespace kappa::evm {

const char* toString(NonceState state) {
  switch (state) {
    case NonceState::Reserved: return "reserved";
    case NonceState::Sent: return "sent";
    case NonceState::Included: return "included";
  }
  return "?";
}

void NonceAllocator::restore(const std::vector<NonceRecord>& records) {
  inFlight_.clear();
  next_ = 0;
  for (const NonceRecord& r : records) {
    next_ = std::max(next_, r.nonce + 1);
    // Reserved and never sent: nothing is at that nonce. It becomes a gap the next allocate()
    // fills (unless the tracker restores a signed transaction there: it claims it with markSent).
    if (r.state == NonceState::Reserved) continue;
    inFlight_[r.nonce] = r;
  }
  // The counts decide the rest; until then nothing is handed out.
  synced_ = false;
}

NonceReconciliation NonceAllocator::reconcile(std::uint64_t latest, std::uint64_t pending) {
  NonceReconciliation out;
  out.latest = latest;
  // A node answers pending >= latest; a lagging load balancer might not: trust the larger.
  pending = std::max(pending, latest);
  out.pending = pending;
  std::uint64_t highestOurs = 0;
  bool any = false;
  for (auto& [nonce, record] : inFlight_) {
    if (nonce < latest) {
      if (record.state != NonceState::Included) {
        record.state = NonceState::Included;
        out.nowIncluded.push_back(nonce);
      }
    } else {
      if (record.state == NonceState::Included) {
        // The chain's count went back below it: a reorganisation took its block away.
        record.state = NonceState::Sent;
        out.reverted.push_back(nonce);
      }
      if (record.state == NonceState::Sent && nonce >= pending) out.unknownToNode.push_back(nonce);
    }
    highestOurs = std::max(highestOurs, nonce);
    any = true;
  }
  const std::uint64_t oursNext = any ? std::max(next_, highestOurs + 1) : next_;
  if (pending > oursNext && synced_) out.externalNonces = pending - oursNext;
  // Never hand out a nonce the chain used, nor one the pool holds for someone else; never go back
  // below one we hold (those are resent, not reissued).
  next_ = std::max({oursNext, latest, pending});
  latest_ = latest;
  pending_ = pending;
  synced_ = true;
  out.gaps = gaps();
  return out;
}

std::optional<NonceReconciliation> NonceAllocator::refresh(EthRpc& rpc, std::string& error) {
  const std::string who = toLowerHexAddress(account_);
  std::uint64_t counts[2] = {0, 0};
  const char* tags[2] = {"latest", "pending"};
  for (int i = 0; i < 2; ++i) {
    RpcReply reply = rpc.call("eth_getTransactionCount", nlohmann::json::array({who, tags[i]}));
    if (!reply.ok()) {
      error = reply.error.describe("eth_getTransactionCount");
      return std::nullopt;
    }
    try {
      counts[i] = quantityU64(reply.result, "eth_getTransactionCount");
    } catch (const EvmError& e) {
      error = e.what();
      return std::nullopt;
    }
  }
  return reconcile(counts[0], counts[1]);
}

// Free nonces the chain has not used and the node's pool does not hold for anyone (below `pending`
// the pool has a transaction at every nonce: one we do not hold is someone else's).
std::vector<std::uint64_t> NonceAllocator::gaps() const {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n = std::max(latest_, pending_); n < next_; ++n)
    if (!inFlight_.count(n)) out.push_back(n);
  return out;
}

std::optional<std::uint64_t> NonceAllocator::allocate() {
  if (!synced_) return std::nullopt;
  std::uint64_t nonce = next_;
  if (const std::vector<std::uint64_t> free = gaps(); !free.empty()) nonce = free.front();
  inFlight_[nonce] = NonceRecord{nonce, {}, NonceState::Reserved};
  next_ = std::max(next_, nonce + 1);
  return nonce;
}

void NonceAllocator::markSent(std::uint64_t nonce, const std::string& hash) {
  NonceRecord& r = inFlight_[nonce];
  r.nonce = nonce;
  r.hash = hash;
  if (r.state == NonceState::Reserved) r.state = NonceState::Sent;
  next_ = std::max(next_, nonce + 1);
}

void NonceAllocator::release(std::uint64_t nonce) {
  inFlight_.erase(nonce);
  // The highest one released: the next allocation may take it again directly.
  const std::uint64_t floor = std::max(latest_, pending_);
  if (nonce + 1 == next_ && nonce >= floor) {
    next_ = nonce;
    while (next_ > floor && !inFlight_.count(next_ - 1)) --next_;
  }
}

void NonceAllocator::forget(std::uint64_t nonce) { inFlight_.erase(nonce); }

std::vector<NonceRecord> NonceAllocator::inFlight() const {
  std::vector<NonceRecord> out;
  for (const auto& [n, r] : inFlight_) out.push_back(r);
  return out;
}

std::optional<NonceRecord> NonceAllocator::find(std::uint64_t nonce) const {
  auto it = inFlight_.find(nonce);
  if (it == inFlight_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kappa::evm
