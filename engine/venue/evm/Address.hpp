#pragma once
// A 20-byte account or contract address and its text forms: EIP-55 mixed-case checksum (what
// wallets show and what a trader pastes) and lower-case hex. Parsing checks the checksum when the
// text is mixed-case, so a mistyped address is refused instead of sending funds into the void.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "venue/evm/Bytes.hpp"

namespace kappa::evm {

using Address = std::array<std::uint8_t, 20>;

// "0x" + 40 hex digits. All-lower or all-upper case is accepted as is; mixed case must be the
// EIP-55 checksum. Throws EvmError (length, non-hex, "EIP-55 checksum mismatch").
Address parseAddress(std::string_view text);
// EIP-55: hex digit i is upper-case when nibble i of keccak256(lower-case hex) is >= 8.
std::string toChecksumAddress(const Address& address);
// "0x" + 40 lower-case digits.
std::string toLowerHexAddress(const Address& address);
// The address from bytes (exactly 20); throws EvmError otherwise.
Address addressFromBytes(ByteView bytes);

}  // namespace kappa::evm
