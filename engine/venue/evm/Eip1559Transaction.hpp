#pragma once
// The EIP-1559 (type 2, EIP-2718 envelope) transaction: what the venue signs and sends with
// eth_sendRawTransaction, and what it reads back (journal, tests) to learn the sender and hash.
//   signing hash     = keccak256(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
//                                             gasLimit, to, value, data, accessList]))
//   raw transaction  = 0x02 || rlp([...those 9..., yParity, r, s])
//   transaction hash = keccak256(raw transaction)
// `to` empty means contract creation. The access list is [[address, [storageKey, ...]], ...].
#include <cstdint>
#include <optional>
#include <vector>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/Secp256k1Signer.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct AccessListEntry {
  Address address{};
  std::vector<Hash32> storageKeys;
  bool operator==(const AccessListEntry&) const = default;
};

struct Eip1559Transaction {
  static constexpr std::uint8_t kType = 0x02;

  U256 chainId = 1;
  std::uint64_t nonce = 0;
  U256 maxPriorityFeePerGas = 0;
  U256 maxFeePerGas = 0;
  std::uint64_t gasLimit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  U256 value = 0;
  Bytes data;
  std::vector<AccessListEntry> accessList;
  std::optional<RecoverableSignature> signature;  // set by sign() or decode()

  bool operator==(const Eip1559Transaction&) const = default;

  // 0x02 || rlp(first 9 fields): the bytes whose keccak is signed.
  Bytes signingPayload() const;
  Hash32 signingHash() const;
  // Signs the signing hash with `signer`, storing yParity, r, s.
  void sign(const Secp256k1Signer& signer);
  // 0x02 || rlp(all 12 fields). Throws EvmError when unsigned.
  Bytes encodeSigned() const;
  // keccak256(encodeSigned()). Throws EvmError when unsigned.
  Hash32 transactionHash() const;
  // The sender recovered from the signature. Throws EvmError when unsigned or the signature is invalid.
  Address recoverSender() const;

  // Reads a raw signed type-2 transaction back. Strict: the type byte, exactly 12 canonical fields,
  // a 0- or 20-byte `to`, a well-formed access list (20-byte addresses, 32-byte keys), yParity 0/1,
  // nonce and gas limit within 64 bits, no trailing bytes. Throws EvmError naming the field.
  static Eip1559Transaction decode(ByteView raw);
};

}  // namespace kappa::evm
