// EIP-1559 transaction encoding, signing and decoding (see Eip1559Transaction.hpp).
#include "venue/evm/Eip1559Transaction.hpp"

#include <string>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"
#include "venue/evm/Rlp.hpp"

namespace kappa::evm {
namespace {

// The first nine fields' encodings, back to back (a list payload without its header).
void appendUnsignedFields(Bytes& out, const Eip1559Transaction& tx) {
  rlp::appendUint(out, tx.chainId);
  rlp::appendUint(out, tx.nonce);
  rlp::appendUint(out, tx.maxPriorityFeePerGas);
  rlp::appendUint(out, tx.maxFeePerGas);
  rlp::appendUint(out, tx.gasLimit);
  if (tx.to) rlp::appendString(out, *tx.to);
  else rlp::appendString(out, ByteView());
  rlp::appendUint(out, tx.value);
  rlp::appendString(out, tx.data);
  Bytes entries;
  for (const AccessListEntry& entry : tx.accessList) {
    Bytes fields;
    rlp::appendString(fields, entry.address);
    Bytes keys;
    for (const Hash32& key : entry.storageKeys) rlp::appendString(keys, key);
    rlp::appendList(fields, keys);
    rlp::appendList(entries, fields);
  }
  rlp::appendList(out, entries);
}

Bytes typedEnvelope(const Bytes& payload) {
  Bytes out;
  out.reserve(payload.size() + 10);
  out.push_back(Eip1559Transaction::kType);
  rlp::appendList(out, payload);
  return out;
}

const RecoverableSignature& requireSignature(const Eip1559Transaction& tx) {
  if (!tx.signature) throw EvmError("the transaction is not signed");
  return *tx.signature;
}
}  // namespace

Bytes Eip1559Transaction::signingPayload() const {
  Bytes fields;
  fields.reserve(128 + data.size());
  appendUnsignedFields(fields, *this);
  return typedEnvelope(fields);
}

Hash32 Eip1559Transaction::signingHash() const { return keccak256(signingPayload()); }

void Eip1559Transaction::sign(const Secp256k1Signer& signer) { signature = signer.sign(signingHash()); }

Bytes Eip1559Transaction::encodeSigned() const {
  const RecoverableSignature& sig = requireSignature(*this);
  Bytes fields;
  fields.reserve(200 + data.size());
  appendUnsignedFields(fields, *this);
  rlp::appendUint(fields, std::uint64_t(sig.yParity));
  rlp::appendUint(fields, sig.r);
  rlp::appendUint(fields, sig.s);
  return typedEnvelope(fields);
}

Hash32 Eip1559Transaction::transactionHash() const { return keccak256(encodeSigned()); }

Address Eip1559Transaction::recoverSender() const { return recoverAddress(signingHash(), requireSignature(*this)); }

Eip1559Transaction Eip1559Transaction::decode(ByteView raw) {
  if (raw.empty()) throw EvmError("raw transaction is empty");
  if (raw[0] != kType) {
    throw EvmError(raw[0] >= 0xc0 ? std::string("raw transaction is a legacy (untyped) transaction, not type 2")
                                  : "raw transaction is of type " + std::to_string(raw[0]) + ", not 2");
  }
  const rlp::Item root = rlp::decode(raw.subspan(1));
  const auto& f = root.asList("the transaction");
  if (f.size() != 12) throw EvmError("a signed type-2 transaction has 12 fields, not " + std::to_string(f.size()));
  Eip1559Transaction tx;
  tx.chainId = f[0].asUint("chainId");
  tx.nonce = f[1].asUint64("nonce");
  tx.maxPriorityFeePerGas = f[2].asUint("maxPriorityFeePerGas");
  tx.maxFeePerGas = f[3].asUint("maxFeePerGas");
  tx.gasLimit = f[4].asUint64("gasLimit");
  const Bytes& to = f[5].asBytes("to");
  if (to.size() == 20) tx.to = addressFromBytes(to);
  else if (!to.empty()) throw EvmError("'to' is " + std::to_string(to.size()) + " bytes, not 20 (or empty for a creation)");
  tx.value = f[6].asUint("value");
  tx.data = f[7].asBytes("data");
  for (const rlp::Item& entry : f[8].asList("accessList")) {
    const auto& pair = entry.asList("an accessList entry");
    if (pair.size() != 2) throw EvmError("an accessList entry has 2 fields, not " + std::to_string(pair.size()));
    AccessListEntry e;
    e.address = addressFromBytes(pair[0].asBytes("an accessList address"));
    for (const rlp::Item& key : pair[1].asList("accessList storage keys")) {
      const Bytes& k = key.asBytes("an accessList storage key");
      if (k.size() != 32) throw EvmError("an accessList storage key is " + std::to_string(k.size()) + " bytes, not 32");
      Hash32 h;
      std::copy(k.begin(), k.end(), h.begin());
      e.storageKeys.push_back(h);
    }
    tx.accessList.push_back(std::move(e));
  }
  const U256 yParity = f[9].asUint("yParity");
  if (yParity > 1) throw EvmError("yParity is " + yParity.str() + ", not 0 or 1");
  RecoverableSignature sig;
  sig.yParity = std::uint8_t(yParity);
  sig.r = f[10].asUint("r");
  sig.s = f[11].asUint("s");
  tx.signature = sig;
  return tx;
}

}  // namespace kappa::evm
