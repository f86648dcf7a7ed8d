#pragma once
// Byte strings and their hex text, as Ethereum's JSON-RPC writes DATA ("0x" + two digits a byte).
// Every other file of the EVM ground speaks in these types.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kappa::evm {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using Hash32 = std::array<std::uint8_t, 32>;

// One hex digit's value (either case), -1 for any other character.
inline int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "0x" + lower-case hex of every byte ("0x" for no bytes).
std::string toHex(ByteView bytes);
// Hex without the "0x" prefix.
std::string toHexNoPrefix(ByteView bytes);
// Strict: an optional "0x"/"0X" prefix, then an even number of hex digits (either case).
// Throws EvmError naming the problem (odd length, the first bad character's position).
Bytes fromHex(std::string_view text);
// As fromHex, and the result must be exactly 32 bytes.
Hash32 hash32FromHex(std::string_view text);

inline ByteView asBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace kappa::evm
