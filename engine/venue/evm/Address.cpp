// Address text and EIP-55 checksums (see Address.hpp).
#include "venue/evm/Address.hpp"

#include <algorithm>
#include <cctype>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"

namespace kappa::evm {

std::string toLowerHexAddress(const Address& address) { return toHex(address); }

std::string toChecksumAddress(const Address& address) {
  const std::string lower = toHexNoPrefix(address);
  const Hash32 hash = keccak256(std::string_view(lower));
  std::string out = "0x" + lower;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const unsigned nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0f);
    if (nibble >= 8) out[i + 2] = char(std::toupper(static_cast<unsigned char>(lower[i])));
  }
  return out;
}

Address addressFromBytes(ByteView bytes) {
  if (bytes.size() != 20) throw EvmError("an address is 20 bytes, not " + std::to_string(bytes.size()));
  Address out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

Address parseAddress(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    throw EvmError("an address is 0x followed by 40 hex digits (got " + std::to_string(text.size()) + " characters)");
  const Address address = addressFromBytes(fromHex(text));
  const std::string_view digits = text.substr(2);
  const bool hasLower = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  const bool hasUpper = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (hasLower && hasUpper && toChecksumAddress(address).substr(2) != digits)
    throw EvmError("address " + std::string(text) + " fails its EIP-55 checksum (mistyped?)");
  return address;
}

}  // namespace kappa::evm
