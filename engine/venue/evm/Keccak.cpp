// Keccak-256 through Crypto++ (see Keccak.hpp).
#include "venue/evm/Keccak.hpp"

#include <crypto++/keccak.h>

namespace kappa::evm {

Hash32 keccak256(ByteView bytes) {
  CryptoPP::Keccak_256 hash;
  hash.Update(bytes.data(), bytes.size());
  Hash32 out;
  hash.Final(out.data());
  return out;
}

}  // namespace kappa::evm
