// secp256k1 keys, signatures and recovery through libsecp256k1 (see Secp256k1Signer.hpp).
#include "venue/evm/Secp256k1Signer.hpp"

#include <cstring>
#include <random>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>  // explicit_bzero

#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"

namespace kappa::evm {
namespace {

// One context for the process, created and randomised (side-channel blinding) on first use.
// Signing, verification and recovery only read it, which libsecp256k1 allows from any thread.
const secp256k1_context* context() {
  static secp256k1_context* const ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::random_device rd;
    std::array<unsigned char, 32> seed;
    for (auto& b : seed) b = static_cast<unsigned char>(rd());
    if (!secp256k1_context_randomize(c, seed.data())) throw EvmError("secp256k1 context randomisation failed");
    explicit_bzero(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

Address addressOfPublicKey(const secp256k1_pubkey& pubkey) {
  unsigned char uncompressed[65];
  std::size_t length = sizeof uncompressed;
  secp256k1_ec_pubkey_serialize(context(), uncompressed, &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  const Hash32 hash = keccak256(ByteView(uncompressed + 1, 64));  // without the 0x04 prefix
  Address address;
  std::copy(hash.begin() + 12, hash.end(), address.begin());
  return address;
}
}  // namespace

const U256& secp256k1Order() {
  static const U256 n = u256FromQuantity("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  return n;
}
const U256& secp256k1HalfOrder() {
  static const U256 half = secp256k1Order() >> 1;
  return half;
}

PrivateKey PrivateKey::fromHex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.size() != 64) throw EvmError("a private key is 64 hex digits (got " + std::to_string(text.size()) + ")");
  PrivateKey key;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hexDigitValue(text[2 * i]), lo = hexDigitValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) throw EvmError("the private key has a non-hex character");  // key wiped by ~PrivateKey
    key.bytes_[i] = std::uint8_t(hi << 4 | lo);
  }
  if (!secp256k1_ec_seckey_verify(context(), key.bytes_.data()))
    throw EvmError("the private key is zero or not below the secp256k1 order");
  return key;
}

PrivateKey PrivateKey::fromBytes(ByteView bytes) {
  if (bytes.size() != 32) throw EvmError("a private key is 32 bytes (got " + std::to_string(bytes.size()) + ")");
  PrivateKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  if (!secp256k1_ec_seckey_verify(context(), key.bytes_.data()))
    throw EvmError("the private key is zero or not below the secp256k1 order");
  return key;
}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : bytes_(other.bytes_) { other.wipe(); }

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    other.wipe();
  }
  return *this;
}

PrivateKey::~PrivateKey() { wipe(); }

void PrivateKey::wipe() noexcept { explicit_bzero(bytes_.data(), bytes_.size()); }

Secp256k1Signer::Secp256k1Signer(PrivateKey key) : key_(std::move(key)) {
  secp256k1_pubkey pubkey;
  if (!secp256k1_ec_pubkey_create(context(), &pubkey, key_.bytes_.data()))
    throw EvmError("the private key is zero or not below the secp256k1 order");
  address_ = addressOfPublicKey(pubkey);
}

RecoverableSignature Secp256k1Signer::sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // NULL nonce function: RFC 6979 deterministic nonces (the same signature as other wallets give).
  if (!secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), key_.bytes_.data(), nullptr, nullptr))
    throw EvmError("secp256k1 signing failed");
  unsigned char compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &sig);
  RecoverableSignature out;
  out.r = u256FromBigEndian(ByteView(compact, 32));
  out.s = u256FromBigEndian(ByteView(compact + 32, 32));
  out.yParity = std::uint8_t(recid);
  return out;
}

Address recoverAddress(const Hash32& digest, const RecoverableSignature& signature) {
  if (signature.yParity > 1) throw EvmError("signature yParity must be 0 or 1, not " + std::to_string(signature.yParity));
  if (signature.r == 0 || signature.r >= secp256k1Order()) throw EvmError("signature r is zero or not below the curve order");
  if (signature.s == 0 || signature.s >= secp256k1Order()) throw EvmError("signature s is zero or not below the curve order");
  if (signature.s > secp256k1HalfOrder()) throw EvmError("signature s is in the upper half of the curve order (EIP-2 forbids it)");
  unsigned char compact[64];
  const auto r = u256ToBigEndian32(signature.r), s = u256ToBigEndian32(signature.s);
  std::memcpy(compact, r.data(), 32);
  std::memcpy(compact + 32, s.data(), 32);
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, compact, signature.yParity))
    throw EvmError("signature cannot be parsed");
  secp256k1_pubkey pubkey;
  if (!secp256k1_ecdsa_recover(context(), &pubkey, &sig, digest.data()))
    throw EvmError("no public key can be recovered from the signature");
  return addressOfPublicKey(pubkey);
}

}  // namespace kappa::evm
