#pragma once
// A wallet's signing key and what is derived from it: the address (last 20 bytes of keccak-256 of
// the uncompressed public key without its 0x04 prefix) and recoverable ECDSA signatures over
// secp256k1 (libsecp256k1: deterministic RFC 6979 nonces, low-s as EIP-2 requires; the recovery id
// is a type-2 transaction's yParity). Also the reverse: the signer's address from a signature.
// The key is a secret: PrivateKey cannot be printed or streamed (operator<< is deleted), has no
// accessor for its bytes outside the signer, parse errors never echo it, and its memory is wiped
// when it is destroyed.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

class PrivateKey {
 public:
  // 64 hex digits, with or without 0x; throws EvmError (without the text) when malformed, zero or
  // not below the curve order.
  static PrivateKey fromHex(std::string_view text);
  // Exactly 32 bytes; same checks.
  static PrivateKey fromBytes(ByteView bytes);

  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  friend std::ostream& operator<<(std::ostream&, const PrivateKey&) = delete;

 private:
  PrivateKey() = default;
  void wipe() noexcept;
  std::array<std::uint8_t, 32> bytes_{};
  friend class Secp256k1Signer;
};

struct RecoverableSignature {
  U256 r, s;
  std::uint8_t yParity = 0;  // the recovery id: 0 or 1 (the parity of the nonce point's y)
  bool operator==(const RecoverableSignature&) const = default;
};

class Secp256k1Signer {
 public:
  explicit Secp256k1Signer(PrivateKey key);

  const Address& address() const { return address_; }
  std::string checksumAddress() const { return toChecksumAddress(address_); }
  // Signs a 32-byte digest (a transaction's signing hash). Deterministic: the same key and digest
  // always give the same signature; s is always in the lower half of the curve order.
  RecoverableSignature sign(const Hash32& digest) const;

  friend std::ostream& operator<<(std::ostream&, const Secp256k1Signer&) = delete;

 private:
  PrivateKey key_;
  Address address_{};
};

// The address that produced `signature` over `digest`. Throws EvmError for an invalid signature:
// r or s zero or not below the curve order, s in the upper half (EIP-2), yParity not 0/1, or no
// public key recoverable.
Address recoverAddress(const Hash32& digest, const RecoverableSignature& signature);

// The order n of secp256k1's group and n/2 (the low-s bound).
const U256& secp256k1Order();
const U256& secp256k1HalfOrder();

}  // namespace kappa::evm
