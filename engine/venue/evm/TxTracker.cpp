#include "venue/evm/TxTracker.hpp"

#include <algorithm>
#include <cctype>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/RpcQuantity.hpp"

namespace kappa::evm {

using json = nlohmann::json;

const char* toString(TxState state) {
  switch (state) {
    case TxState::Signed: return "signed";
    case TxState::Pending: return "pending";
    case TxState::Included: return "included";
    case TxState::Confirmed: return "confirmed";
    case TxState::Final: return "final";
    case TxState::Rejected: return "rejected";
    case TxState::Dropped: return "dropped";
  }
  return "?";
}

const char* toString(TxEventType type) {
  switch (type) {
    case TxEventType::Pending: return "pending";
    case TxEventType::Included: return "included";
    case TxEventType::Rejected: return "rejected";
    case TxEventType::Confirmed: return "confirmed";
    case TxEventType::Final: return "final";
    case TxEventType::Replaced: return "replaced";
    case TxEventType::Cancelled: return "cancelled";
    case TxEventType::Stuck: return "stuck";
    case TxEventType::Dropped: return "dropped";
    case TxEventType::Reorged: return "reorged";
  }
  return "?";
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

std::string quantity(std::uint64_t v) { return u256ToQuantity(U256(v)); }

}  // namespace

TxTracker::TxTracker(EthRpc& rpc, const Secp256k1Signer& signer, U256 chainId, NonceAllocator& nonces, FeeEstimator& fees,
                     TxTrackerConfig config, Callback onEvent)
    : rpc_(rpc), signer_(signer), chainId_(chainId), nonces_(nonces), fees_(fees), config_(config), onEvent_(std::move(onEvent)) {
  config_.finalConfirmations = std::max(config_.finalConfirmations, config_.confirmations);
  config_.confirmations = std::max<std::uint64_t>(config_.confirmations, 1);
  config_.stuckBlocks = std::max<std::uint64_t>(config_.stuckBlocks, 1);
}

void TxTracker::publish(const TxEvent& e) const {
  if (onEvent_) onEvent_(e);
}

FeeQuote TxTracker::feesOf(const TxAttempt& attempt) {
  const Eip1559Transaction tx = Eip1559Transaction::decode(fromHex(attempt.raw));
  FeeQuote q;
  q.maxFeePerGas = tx.maxFeePerGas;
  q.maxPriorityFeePerGas = tx.maxPriorityFeePerGas;
  return q;
}

TxEvent TxTracker::eventFor(const Tracked& t, TxEventType type) const {
  TxEvent e;
  e.type = type;
  e.orderId = t.record.orderId;
  e.nonce = t.record.nonce;
  if (!t.record.attempts.empty()) {
    const TxAttempt& current = t.record.attempts.back();
    e.hash = current.hash;
    try {
      const FeeQuote q = feesOf(current);
      e.maxFeePerGas = q.maxFeePerGas;
      e.maxPriorityFeePerGas = q.maxPriorityFeePerGas;
    } catch (const EvmError&) {
    }
  }
  e.blockNumber = t.record.includedBlock;
  e.blockHash = t.record.includedBlockHash;
  return e;
}

TxTracker::Tracked* TxTracker::byOrder(std::uint64_t orderId) {
  for (auto& [n, t] : byNonce_)
    if (t.record.orderId == orderId) return &t;
  return nullptr;
}

TxTracker::SendOutcome TxTracker::sendRaw(const std::string& raw, std::string& reason) {
  RpcReply reply = rpc_.call("eth_sendRawTransaction", json::array({raw}));
  if (reply.ok()) return SendOutcome::Accepted;
  reason = reply.error.describe("eth_sendRawTransaction");
  // No answer, but the request may have arrived: followed as sent (the hash tells later; unknown
  // to the node it is sent again, the same bytes, so it can never be at two nonces).
  if (reply.error.kind == RpcError::Kind::Transport) return reply.error.maybeSent ? SendOutcome::MaybeSent : SendOutcome::NotSent;
  if (reply.error.kind != RpcError::Kind::Rpc) return SendOutcome::Refused;
  const std::string m = lower(reply.error.message);
  // The same bytes again: the node has it (geth "already known", anvil "already imported").
  if (contains(m, "already known") || contains(m, "already imported")) return SendOutcome::Accepted;
  if (contains(m, "underpriced")) return SendOutcome::Underpriced;
  if (contains(m, "less than block base fee") || contains(m, "max fee per gas less than")) return SendOutcome::FeeTooLow;
  if (contains(m, "nonce too low")) return SendOutcome::NonceUsed;
  return SendOutcome::Refused;
}

std::optional<std::uint64_t> TxTracker::submit(const TxRequest& request) {
  TxEvent refused;
  refused.type = TxEventType::Rejected;
  refused.orderId = request.orderId;
  refused.notSent = true;
  if (byOrder(request.orderId)) {
    refused.reason = "order " + std::to_string(request.orderId) + " already has a transaction in flight";
    publish(refused);
    return std::nullopt;
  }
  if (const std::string cap = fees_.checkCap(request.fees.maxFeePerGas); !cap.empty()) {
    refused.reason = cap;
    publish(refused);
    return std::nullopt;
  }
  if (request.fees.maxPriorityFeePerGas > request.fees.maxFeePerGas || request.gasLimit == 0) {
    refused.reason = request.gasLimit == 0 ? "no gas limit" : "maxPriorityFeePerGas above maxFeePerGas";
    publish(refused);
    return std::nullopt;
  }
  const std::optional<std::uint64_t> nonce = nonces_.allocate();
  if (!nonce) {
    refused.reason = "the account's nonce has not been read from the node yet";
    publish(refused);
    return std::nullopt;
  }
  refused.nonce = *nonce;

  Tracked t;
  t.base.chainId = chainId_;
  t.base.nonce = *nonce;
  t.base.to = request.to;
  t.base.value = request.value;
  t.base.data = request.data;
  t.base.gasLimit = request.gasLimit;
  t.base.maxFeePerGas = request.fees.maxFeePerGas;
  t.base.maxPriorityFeePerGas = request.fees.maxPriorityFeePerGas;
  Eip1559Transaction signedTx = t.base;
  try {
    signedTx.sign(signer_);
  } catch (const EvmError& e) {
    nonces_.release(*nonce);
    refused.reason = std::string("signing failed: ") + e.what();
    publish(refused);
    return std::nullopt;
  }
  TxAttempt attempt{toHex(signedTx.encodeSigned()), toHex(signedTx.transactionHash()), false, head_};
  t.record.orderId = request.orderId;
  t.record.nonce = *nonce;
  t.record.state = TxState::Signed;
  t.record.attempts.push_back(attempt);
  refused.hash = attempt.hash;

  std::string why;
  const SendOutcome outcome = sendRaw(attempt.raw, why);
  switch (outcome) {
    case SendOutcome::Accepted:
    case SendOutcome::MaybeSent: {
      t.record.state = TxState::Pending;
      nonces_.markSent(*nonce, attempt.hash);
      Tracked& stored = byNonce_[*nonce] = std::move(t);
      TxEvent e = eventFor(stored, TxEventType::Pending);
      if (outcome == SendOutcome::MaybeSent) e.reason = "may have been sent: " + why;
      publish(e);
      return nonce;
    }
    case SendOutcome::NonceUsed:
      // Someone else used it: forget ours and read the counts again, the order can be retried.
      nonces_.forget(*nonce);
      if (std::string err; !nonces_.refresh(rpc_, err)) why += "; and reading the nonce again failed: " + err;
      break;
    default:
      nonces_.release(*nonce);
      break;
  }
  refused.reason = why;
  publish(refused);
  return std::nullopt;
}

bool TxTracker::poll(std::string& error, bool force) {
  RpcReply reply = rpc_.call("eth_getBlockByNumber", json::array({"latest", false}));
  if (!reply.ok()) {
    error = reply.error.describe("eth_getBlockByNumber");
    return false;
  }
  try {
    const std::uint64_t number = quantityU64(jsonMember(reply.result, "number"), "block number");
    const json& hash = jsonMember(reply.result, "hash");
    if (!hash.is_string()) throw EvmError("block hash: not a string");
    if (force || number != head_ || hash.get<std::string>() != headHash_) onBlock(number, hash.get<std::string>());
  } catch (const EvmError& e) {
    error = e.what();
    return false;
  }
  return true;
}

void TxTracker::onBlock(std::uint64_t number, const std::string& hash) {
  head_ = number;
  headHash_ = hash;
  if (byNonce_.empty()) return;

  std::string error;
  const auto counts = nonces_.refresh(rpc_, error);
  const std::uint64_t latest = counts ? counts->latest : ~std::uint64_t{0};  // unknown: no "nonce used" verdicts
  std::optional<FeeQuote> quote;
  if (std::any_of(byNonce_.begin(), byNonce_.end(), [](const auto& p) { return p.second.record.state == TxState::Pending; }))
    quote = fees_.quote(error);

  std::vector<std::uint64_t> order;
  for (const auto& [n, t] : byNonce_) order.push_back(n);
  for (std::uint64_t n : order) {
    auto it = byNonce_.find(n);
    if (it == byNonce_.end()) continue;
    Tracked& t = it->second;
    try {
      if (t.record.state == TxState::Included || t.record.state == TxState::Confirmed) checkIncluded(t);
      if (t.record.state == TxState::Pending || t.record.state == TxState::Signed) checkPending(t, quote, latest);
    } catch (const std::exception& ex) {
      // A node answer this code could not read: said, and tried again at the next head; the other
      // transactions are still followed.
      TxEvent e = eventFor(t, TxEventType::Stuck);
      e.reason = std::string("could not check it: ") + ex.what();
      publish(e);
      continue;
    }
    if (t.record.state == TxState::Included || t.record.state == TxState::Confirmed) {
      // A receipt found just now: count its confirmations at this head at once.
      const std::uint64_t depth = head_ >= t.record.includedBlock ? head_ - t.record.includedBlock + 1 : 0;
      if (!t.confirmedSent && depth >= config_.confirmations) {
        t.confirmedSent = true;
        t.record.state = TxState::Confirmed;
        TxEvent e = eventFor(t, TxEventType::Confirmed);
        e.hash = t.record.includedHash;
        e.confirmations = depth;
        publish(e);
      }
      if (depth >= config_.finalConfirmations) {
        t.record.state = TxState::Final;
        TxEvent e = eventFor(t, TxEventType::Final);
        e.hash = t.record.includedHash;
        e.confirmations = depth;
        publish(e);
      }
    }
    if (t.record.state == TxState::Final || t.record.state == TxState::Rejected || t.record.state == TxState::Dropped) {
      if (t.record.state == TxState::Final) nonces_.forget(n);
      byNonce_.erase(n);
    }
  }
}

void TxTracker::checkIncluded(Tracked& t) {
  RpcReply block = rpc_.call("eth_getBlockByNumber", json::array({quantity(t.record.includedBlock), false}));
  if (!block.ok()) return;  // next block
  std::string canonical;
  if (block.result.is_object() && block.result.contains("hash") && block.result["hash"].is_string())
    canonical = block.result["hash"].get<std::string>();
  if (lower(canonical) == lower(t.record.includedBlockHash)) return;
  TxEvent e = eventFor(t, TxEventType::Reorged);
  e.hash = t.record.includedHash;
  e.reason = "block " + std::to_string(t.record.includedBlock) + " " + t.record.includedBlockHash + " is no longer canonical" +
             (canonical.empty() ? std::string(" (the chain is shorter now)") : " (now " + canonical + ")");
  t.record.state = TxState::Pending;
  t.record.includedBlock = 0;
  t.record.includedBlockHash.clear();
  t.record.includedHash.clear();
  t.confirmedSent = false;
  // Its attempt goes back to "sent now": not stuck merely because it was sent long ago.
  for (TxAttempt& a : t.record.attempts) a.sentBlock = head_;
  publish(e);
}

TxTracker::Receipt TxTracker::lookForReceipt(Tracked& t) {
  for (auto a = t.record.attempts.rbegin(); a != t.record.attempts.rend(); ++a) {
    RpcReply reply = rpc_.call("eth_getTransactionReceipt", json::array({a->hash}));
    if (!reply.ok() || !reply.result.is_object()) continue;
    try {
      // A receipt in a block newer than the head being handled waits for that head: a block
      // mined while this head's transactions are looked at would otherwise show a later nonce
      // included (the swap) before an earlier one (its approval), whose receipt was asked first.
      if (quantityU64(jsonMember(reply.result, "blockNumber"), "receipt blockNumber") > head_) return Receipt::InLaterBlock;
      applyReceipt(t, *a, reply.result);
      return Receipt::Applied;
    } catch (const std::exception&) {
      continue;  // a malformed receipt (a bad quantity, a log field of the wrong type): asked again at the next block
    }
  }
  return Receipt::None;
}

void TxTracker::applyReceipt(Tracked& t, const TxAttempt& attempt, const json& receipt) {
  const std::uint64_t status = quantityU64(jsonMember(receipt, "status"), "receipt status");
  const std::uint64_t blockNumber = quantityU64(jsonMember(receipt, "blockNumber"), "receipt blockNumber");
  const json& blockHash = jsonMember(receipt, "blockHash");
  if (!blockHash.is_string()) throw EvmError("receipt blockHash: not a string");
  const std::uint64_t gasUsed = quantityU64(jsonMember(receipt, "gasUsed"), "receipt gasUsed");
  const U256 price = quantityU256(jsonMember(receipt, "effectiveGasPrice"), "receipt effectiveGasPrice");
  std::vector<TxLog> logs;
  if (auto l = receipt.find("logs"); l != receipt.end() && l->is_array()) {
    for (const json& entry : *l) {
      TxLog log;
      log.address = parseAddress(jsonMember(entry, "address").get<std::string>());
      for (const json& topic : jsonMember(entry, "topics")) log.topics.push_back(hash32FromHex(topic.get<std::string>()));
      log.data = fromHex(jsonMember(entry, "data").get<std::string>());
      logs.push_back(std::move(log));
    }
  }

  t.record.state = TxState::Included;
  t.record.includedBlock = blockNumber;
  t.record.includedBlockHash = blockHash.get<std::string>();
  t.record.includedHash = attempt.hash;
  t.confirmedSent = false;

  TxEventType type = TxEventType::Included;
  if (attempt.cancel)
    type = status == 1 ? TxEventType::Cancelled : TxEventType::Rejected;
  else if (status != 1)
    type = TxEventType::Rejected;
  TxEvent e = eventFor(t, type);
  e.hash = attempt.hash;
  e.gasUsed = gasUsed;
  e.effectiveGasPrice = price;
  e.feeWei = U256(CheckedU256(gasUsed) * CheckedU256(price));
  e.confirmations = head_ >= blockNumber ? head_ - blockNumber + 1 : 1;
  if (type == TxEventType::Rejected) {
    e.reason = attempt.cancel ? "the cancel transaction failed" : replayRevert(t, attempt, blockNumber, gasUsed);
  }
  if (type == TxEventType::Included) e.logs = std::move(logs);
  publish(e);
}

std::string TxTracker::replayRevert(const Tracked& t, const TxAttempt& attempt, std::uint64_t block, std::uint64_t gasUsed) {
  Eip1559Transaction tx;
  try {
    tx = Eip1559Transaction::decode(fromHex(attempt.raw));
  } catch (const EvmError& e) {
    return std::string("reverted (the sent transaction cannot be read back: ") + e.what() + ")";
  }
  if (gasUsed >= tx.gasLimit) return "out of gas (used all " + std::to_string(tx.gasLimit) + ")";
  json call{{"from", toLowerHexAddress(signer_.address())}, {"value", u256ToQuantity(tx.value)}, {"data", toHex(tx.data)},
            {"gas", quantity(tx.gasLimit)}};
  if (tx.to) call["to"] = toLowerHexAddress(*tx.to);
  (void)t;
  // The state after the block: the transactions before ours in it (what made ours fail) are in.
  RpcReply reply = rpc_.call("eth_call", json::array({call, quantity(block)}));
  if (reply.ok()) return "reverted (the replay at block " + std::to_string(block) + " succeeds: the reason is gone)";
  if (!reply.error.isRevert()) return "reverted (the replay failed: " + reply.error.describe("eth_call") + ")";
  try {
    const std::string reason = abi::describeRevert(fromHex(reply.error.data));
    return reason.empty() ? reply.error.message : reason;
  } catch (const EvmError&) {
    return reply.error.message;
  }
}

void TxTracker::checkPending(Tracked& t, const std::optional<FeeQuote>& quote, std::uint64_t latest) {
  // A receipt in a block mined after this head was read is no verdict yet: the nonce count below is
  // read later still ("latest"), so it counts that block, and "used by someone else" would drop a
  // transaction that in fact landed (seen: an approval and its swap dropped, the swap filled on chain).
  if (lookForReceipt(t) != Receipt::None) return;
  if (latest != ~std::uint64_t{0} && t.record.nonce < latest) {
    // The nonce is used, by none of our hashes (a block may have landed between the two reads:
    // look once more before saying so).
    if (lookForReceipt(t) != Receipt::None) return;
    TxEvent e = eventFor(t, TxEventType::Dropped);
    e.reason = "nonce " + std::to_string(t.record.nonce) + " was used by a transaction this tracker did not send";
    if (t.nonceTakenAt == 0) {
      t.nonceTakenAt = head_;
      e.reason += ": ended if still so in " + std::to_string(config_.confirmations) + " block(s)";
      publish(e);
      return;
    }
    if (head_ < t.nonceTakenAt + config_.confirmations) return;
    e.ended = true;
    t.record.state = TxState::Dropped;
    nonces_.forget(t.record.nonce);
    publish(e);
    return;
  }
  TxAttempt& current = t.record.attempts.back();
  // Sent before any head was seen, or restored without one: the clock starts now.
  if (current.sentBlock == 0) current.sentBlock = head_;
  RpcReply known = rpc_.call("eth_getTransactionByHash", json::array({current.hash}));
  if (!known.ok()) return;  // no verdict without an answer
  if (known.result.is_null()) {
    resendDropped(t);
    return;
  }
  std::string why;
  FeeQuote sent;
  try {
    sent = feesOf(current);
  } catch (const EvmError&) {
  }
  if (quote && sent.maxFeePerGas < quote->baseFeeNext)
    why = "maxFeePerGas " + formatGwei(sent.maxFeePerGas) + " below the next block's base fee " + formatGwei(quote->baseFeeNext);
  else if (head_ >= current.sentBlock + config_.stuckBlocks)
    why = "not included within " + std::to_string(config_.stuckBlocks) + " blocks";
  if (why.empty()) return;
  TxEvent e = eventFor(t, TxEventType::Stuck);
  e.reason = why + (config_.autoReplace ? ": replacing it with higher fees" : "");
  publish(e);
  if (!config_.autoReplace) return;
  std::string reason;
  if (!sendReplacement(t, current.cancel, reason)) {
    TxEvent f = eventFor(t, TxEventType::Stuck);
    f.reason = why + ": not replaced: " + reason;
    publish(f);
  }
}

void TxTracker::resendDropped(Tracked& t) {
  TxEvent e = eventFor(t, TxEventType::Dropped);
  const std::string what = "unknown to the node and nonce " + std::to_string(t.record.nonce) + " unused";
  if (!config_.resendDropped) {
    e.reason = what + ": not resent";
    e.ended = true;
    t.record.state = TxState::Dropped;
    nonces_.release(t.record.nonce);
    publish(e);
    return;
  }
  TxAttempt& current = t.record.attempts.back();
  std::string why;
  switch (sendRaw(current.raw, why)) {
    case SendOutcome::Accepted:
    case SendOutcome::MaybeSent: {
      e.reason = what + ": resent as it was";
      publish(e);
      current.sentBlock = head_;
      nonces_.markSent(t.record.nonce, current.hash);
      publish(eventFor(t, TxEventType::Pending));
      return;
    }
    case SendOutcome::FeeTooLow:
    case SendOutcome::Underpriced: {
      e.reason = what + ": its fees are too low now (" + why + "), re-priced";
      publish(e);
      std::string reason;
      if (sendReplacement(t, current.cancel, reason)) return;
      why = reason;
      break;
    }
    case SendOutcome::NotSent:
    case SendOutcome::NonceUsed:
      return;  // the next block decides
    case SendOutcome::Refused:
      break;
  }
  TxEvent r = eventFor(t, TxEventType::Rejected);
  r.notSent = true;  // never included: no fee
  r.reason = "dropped and not resent: " + why;
  t.record.state = TxState::Rejected;
  nonces_.release(t.record.nonce);
  publish(r);
}

bool TxTracker::sendReplacement(Tracked& t, bool cancel, std::string& reason) {
  if (t.record.state != TxState::Pending) {
    reason = std::string("not pending (") + toString(t.record.state) + ")";
    return false;
  }
  std::string error;
  const std::optional<FeeQuote> fresh = fees_.quote(error);
  if (!fresh) {
    reason = error;
    return false;
  }
  FeeQuote previous;
  try {
    previous = feesOf(t.record.attempts.back());
  } catch (const EvmError& e) {
    reason = e.what();
    return false;
  }
  const std::string previousHash = t.record.attempts.back().hash;
  for (unsigned attempt = 0; attempt < std::max(config_.maxReplacementTries, 1u); ++attempt) {
    const FeeQuote next = bumpFees(previous, *fresh, fees_.config().replacementBumpPermille);
    if (const std::string cap = fees_.checkCap(next.maxFeePerGas); !cap.empty()) {
      reason = "replacement " + cap;
      return false;
    }
    if (!cancel && speedUpLimit_ > 0 && next.maxFeePerGas > speedUpLimit_) {
      reason = speedUpLimitName_ + ": the replacement's fee would be up to " + formatGwei(next.maxFeePerGas) +
               " per gas, limit " + formatGwei(speedUpLimit_);
      return false;
    }
    Eip1559Transaction tx = t.base;
    tx.nonce = t.record.nonce;
    tx.chainId = chainId_;
    tx.maxFeePerGas = next.maxFeePerGas;
    tx.maxPriorityFeePerGas = next.maxPriorityFeePerGas;
    if (cancel) {
      tx.to = signer_.address();
      tx.value = 0;
      tx.data.clear();
      tx.accessList.clear();
      tx.gasLimit = 21000;
    }
    tx.signature.reset();
    tx.sign(signer_);
    TxAttempt a{toHex(tx.encodeSigned()), toHex(tx.transactionHash()), cancel, head_};
    std::string why;
    switch (sendRaw(a.raw, why)) {
      case SendOutcome::Accepted:
      case SendOutcome::MaybeSent: {
        t.record.attempts.push_back(a);
        nonces_.markSent(t.record.nonce, a.hash);
        TxEvent e = eventFor(t, TxEventType::Replaced);
        e.previousHash = previousHash;
        e.cancel = cancel;
        publish(e);
        return true;
      }
      case SendOutcome::Underpriced:
      case SendOutcome::FeeTooLow:
        previous = next;  // raise again from what was just refused
        reason = why;
        continue;
      case SendOutcome::NonceUsed:
        reason = "nonce " + std::to_string(t.record.nonce) + " already used: a transaction at it was included";
        return false;
      default:
        reason = why;
        return false;
    }
  }
  reason = "still refused after " + std::to_string(config_.maxReplacementTries) + " raises: " + reason;
  return false;
}

bool TxTracker::replace(std::uint64_t orderId, std::string& reason) {
  Tracked* t = byOrder(orderId);
  if (!t) {
    reason = "no transaction in flight for order " + std::to_string(orderId);
    return false;
  }
  try {
    return sendReplacement(*t, t->record.attempts.back().cancel, reason);
  } catch (const std::exception& e) {  // fees beyond 2^256 and the like: refused, never thrown at the venue
    reason = e.what();
    return false;
  }
}

bool TxTracker::cancel(std::uint64_t orderId, std::string& reason) {
  Tracked* t = byOrder(orderId);
  if (!t) {
    reason = "no transaction in flight for order " + std::to_string(orderId);
    return false;
  }
  try {
    return sendReplacement(*t, true, reason);
  } catch (const std::exception& e) {
    reason = e.what();
    return false;
  }
}

std::optional<TxRecord> TxTracker::find(std::uint64_t orderId) const {
  for (const auto& [n, t] : byNonce_)
    if (t.record.orderId == orderId) return t.record;
  return std::nullopt;
}

std::vector<TxRecord> TxTracker::records() const {
  std::vector<TxRecord> out;
  for (const auto& [n, t] : byNonce_) out.push_back(t.record);
  return out;
}

void TxTracker::restore(const std::vector<TxRecord>& records) {
  // Every record is read first: a bad one refuses the whole list, nothing half-restored.
  std::vector<Tracked> restored;
  for (const TxRecord& r : records) {
    if (byNonce_.count(r.nonce)) continue;
    if (r.state == TxState::Final || r.state == TxState::Rejected || r.state == TxState::Dropped) continue;
    if (r.attempts.empty()) throw EvmError("tx record of order " + std::to_string(r.orderId) + " has no transaction");
    Tracked t;
    t.record = r;
    // Signed but perhaps never sent: followed as pending; unknown to the node, it is sent then.
    if (t.record.state == TxState::Signed) t.record.state = TxState::Pending;
    auto original = std::find_if(r.attempts.begin(), r.attempts.end(), [](const TxAttempt& a) { return !a.cancel; });
    t.base = Eip1559Transaction::decode(fromHex((original != r.attempts.end() ? *original : r.attempts.front()).raw));
    if (t.base.nonce != r.nonce) throw EvmError("tx record of order " + std::to_string(r.orderId) + ": nonce differs from its transaction's");
    t.base.signature.reset();
    for (const TxAttempt& a : r.attempts) {
      const Eip1559Transaction tx = Eip1559Transaction::decode(fromHex(a.raw));
      if (tx.nonce != r.nonce) throw EvmError("tx record of order " + std::to_string(r.orderId) + ": an attempt at another nonce");
      if (lower(toHex(tx.transactionHash())) != lower(a.hash))
        throw EvmError("tx record of order " + std::to_string(r.orderId) + ": hash " + a.hash + " is not its transaction's");
    }
    t.confirmedSent = r.state == TxState::Confirmed;
    restored.push_back(std::move(t));
  }
  for (Tracked& t : restored) {
    // The allocator must not hand this nonce out again: a transaction exists for it.
    nonces_.markSent(t.record.nonce, t.record.attempts.back().hash);
    const std::uint64_t n = t.record.nonce;
    byNonce_[n] = std::move(t);
  }
}

}  // namespace kappa::evm
