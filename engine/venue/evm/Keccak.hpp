#pragma once
// Keccak-256, Ethereum's hash (transaction hashes, addresses, function selectors, EIP-55). It is the
// original Keccak padding (0x01), NOT the standardised SHA3-256 (0x06): the two differ on every
// input. Crypto++'s Keccak_256 is Ethereum's; OpenSSL 3.0 (Debian 12) only has SHA3.
#include <string_view>

#include "venue/evm/Bytes.hpp"

namespace kappa::evm {

Hash32 keccak256(ByteView bytes);
inline Hash32 keccak256(std::string_view text) { return keccak256(asBytes(text)); }

}  // namespace kappa::evm
