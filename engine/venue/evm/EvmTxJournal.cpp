#include "venue/evm/EvmTxJournal.hpp"

#include <nlohmann/json.hpp>

#include "venue/evm/EvmError.hpp"

namespace kappa::evm {
namespace {
using json = nlohmann::json;

const char* const kTxStates[] = {"signed", "pending", "included", "confirmed", "final", "rejected", "dropped"};

TxState txStateFrom(const std::string& s) {
  for (int i = 0; i < int(std::size(kTxStates)); ++i)
    if (s == kTxStates[i]) return TxState(i);
  throw EvmError("evm journal: unknown transaction state '" + s + "'");
}

// Members read strictly: a body kappa did not write is refused, never guessed.
const json& member(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw EvmError(std::string("evm journal: no '") + key + "'");
  return *it;
}
std::string text(const json& j, const char* key) {
  const json& m = member(j, key);
  if (!m.is_string()) throw EvmError(std::string("evm journal: '") + key + "' is not a string");
  return m.get<std::string>();
}
std::uint64_t count(const json& j, const char* key) {
  const json& m = member(j, key);
  if (!m.is_number_unsigned() && !(m.is_number_integer() && m.get<std::int64_t>() >= 0))
    throw EvmError(std::string("evm journal: '") + key + "' is not a count");
  return m.get<std::uint64_t>();
}
bool flag(const json& j, const char* key) {
  const json& m = member(j, key);
  if (!m.is_boolean()) throw EvmError(std::string("evm journal: '") + key + "' is not a boolean");
  return m.get<bool>();
}
U256 wei(const json& j, const char* key) {
  try {
    return u256FromDecimal(text(j, key));
  } catch (const EvmError&) {
    throw;
  } catch (const std::exception& e) {
    throw EvmError(std::string("evm journal: '") + key + "': " + e.what());
  }
}
}  // namespace

std::string toJournalBody(const EvmTxEntry& e) {
  json attempts = json::array();
  for (const TxAttempt& a : e.tx.attempts)
    attempts.push_back({{"raw", a.raw}, {"hash", a.hash}, {"cancel", a.cancel}, {"sent_block", a.sentBlock}});
  json j = {
      {"kind", e.approval ? "approval" : "swap"},
      {"token", e.token},
      {"pool", e.pool},
      {"side", e.side == Side::Buy ? "buy" : "sell"},
      {"qty", e.qty},
      {"amount_in", u256ToDecimal(e.amountIn)},
      {"amount_out_min", u256ToDecimal(e.amountOutMin)},
      {"expected_out", u256ToDecimal(e.expectedOut)},
      {"base_wei", u256ToDecimal(e.baseWei)},
      {"quote_wei", u256ToDecimal(e.quoteWei)},
      {"acked", e.acked},
      {"fill_sent", e.fillSent},
      {"terminal", e.terminal},
      {"cancel_sent", e.cancelSent},
      {"state", e.state},
      {"not_sent", e.notSent},
      {"reason", e.reason},
      {"gas_used", e.gasUsed},
      {"effective_gas_price_wei", u256ToDecimal(e.effectiveGasPrice)},
      {"fee_wei", u256ToDecimal(e.feeWei)},
      {"fee_paid_at_ns", e.feePaidAt},
      {"tx",
       {{"nonce", e.tx.nonce},
        {"state", toString(e.tx.state)},
        {"attempts", attempts},
        {"included_block", e.tx.includedBlock},
        {"included_block_hash", e.tx.includedBlockHash},
        {"included_hash", e.tx.includedHash}}},
  };
  return j.dump();
}

EvmTxEntry evmTxEntryFromJournal(std::uint64_t key, const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const std::exception& e) {
    throw EvmError(std::string("evm journal: not JSON: ") + e.what());
  }
  if (!j.is_object()) throw EvmError("evm journal: not an object");
  EvmTxEntry e;
  e.id = key;
  const std::string kind = text(j, "kind");
  if (kind != "swap" && kind != "approval") throw EvmError("evm journal: unknown kind '" + kind + "'");
  e.approval = kind == "approval";
  e.token = text(j, "token");
  e.pool = text(j, "pool");
  const std::string side = text(j, "side");
  if (side != "buy" && side != "sell") throw EvmError("evm journal: side '" + side + "'");
  e.side = side == "buy" ? Side::Buy : Side::Sell;
  const std::uint64_t qty = count(j, "qty");
  if (qty > std::uint64_t(INT64_MAX)) throw EvmError("evm journal: qty out of range");
  e.qty = Qty(qty);
  e.amountIn = wei(j, "amount_in");
  e.amountOutMin = wei(j, "amount_out_min");
  e.expectedOut = wei(j, "expected_out");
  e.baseWei = wei(j, "base_wei");
  e.quoteWei = wei(j, "quote_wei");
  e.acked = flag(j, "acked");
  e.fillSent = flag(j, "fill_sent");
  e.terminal = flag(j, "terminal");
  e.cancelSent = flag(j, "cancel_sent");
  e.state = text(j, "state");
  e.notSent = flag(j, "not_sent");
  e.reason = text(j, "reason");
  e.gasUsed = count(j, "gas_used");
  e.effectiveGasPrice = wei(j, "effective_gas_price_wei");
  e.feeWei = wei(j, "fee_wei");
  // Journals written before the field existed have none: their fees count for no day.
  if (j.contains("fee_paid_at_ns")) e.feePaidAt = Nanos(count(j, "fee_paid_at_ns"));
  const json& tx = member(j, "tx");
  if (!tx.is_object()) throw EvmError("evm journal: 'tx' is not an object");
  e.tx.orderId = key;
  e.tx.nonce = count(tx, "nonce");
  e.tx.state = txStateFrom(text(tx, "state"));
  const json& attempts = member(tx, "attempts");
  if (!attempts.is_array()) throw EvmError("evm journal: 'attempts' is not an array");
  for (const json& a : attempts) {
    if (!a.is_object()) throw EvmError("evm journal: an attempt is not an object");
    TxAttempt t;
    t.raw = text(a, "raw");
    t.hash = text(a, "hash");
    t.cancel = flag(a, "cancel");
    t.sentBlock = count(a, "sent_block");
    e.tx.attempts.push_back(std::move(t));
  }
  e.tx.includedBlock = count(tx, "included_block");
  e.tx.includedBlockHash = text(tx, "included_block_hash");
  e.tx.includedHash = text(tx, "included_hash");
  return e;
}

std::vector<EvmTxView> transactionViews(const EvmTxEntry& e, std::uint64_t head) {
  std::vector<EvmTxView> out;
  const std::vector<TxAttempt>& attempts = e.tx.attempts;
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const TxAttempt& a = attempts[i];
    EvmTxView v;
    v.hash = a.hash;
    v.nonce = e.tx.nonce;
    v.kind = a.cancel ? "cancel" : e.approval ? "approval" : "swap";
    v.id = e.id;
    v.orderId = e.approval ? 0 : e.id;
    const bool included = !e.tx.includedHash.empty() && a.hash == e.tx.includedHash && e.tx.includedBlock != 0;
    if (included) {
      v.block = e.tx.includedBlock;
      v.blockHash = e.tx.includedBlockHash;
      v.confirmations = head >= v.block ? head - v.block + 1 : 0;
      if (e.state == "rejected") v.state = "reverted";
      else if (e.tx.state == TxState::Confirmed || e.tx.state == TxState::Final) v.state = toString(e.tx.state);
      else v.state = "included";
      v.hasReceipt = true;
      v.gasUsed = e.gasUsed;
      v.effectiveGasPrice = e.effectiveGasPrice;
      v.feeWei = e.feeWei;
      v.reason = e.state == "rejected" ? e.reason : std::string();
    } else if (!e.tx.includedHash.empty()) {
      v.state = "replaced";  // another attempt at the nonce was included
      v.replacedBy = e.tx.includedHash;
    } else if (i + 1 < attempts.size()) {
      v.state = "replaced";
      v.replacedBy = attempts[i + 1].hash;
    } else if (e.notSent) {
      v.state = "not_sent";
      v.reason = e.reason;
    } else if (e.tx.state == TxState::Dropped || e.state == "dropped") {
      v.state = "dropped";
      v.reason = e.reason;
    } else {
      v.state = "pending";
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace kappa::evm
