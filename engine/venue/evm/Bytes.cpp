// Hex text of byte strings (see Bytes.hpp).
#include "venue/evm/Bytes.hpp"

#include <algorithm>

#include "venue/evm/EvmError.hpp"

namespace kappa::evm {
namespace {
constexpr char kDigits[] = "0123456789abcdef";
}  // namespace

std::string toHexNoPrefix(ByteView bytes) {
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::string toHex(ByteView bytes) { return "0x" + toHexNoPrefix(bytes); }

Bytes fromHex(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
  if (digits.size() % 2 != 0) throw EvmError("hex data has an odd number of digits (" + std::to_string(digits.size()) + ")");
  Bytes out(digits.size() / 2);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const int hi = hexDigitValue(digits[i]), lo = hexDigitValue(digits[i + 1]);
    if (hi < 0 || lo < 0) {
      const std::size_t bad = (hi < 0 ? i : i + 1) + (text.size() - digits.size());
      throw EvmError("hex data has a non-hex character at position " + std::to_string(bad));
    }
    out[i / 2] = std::uint8_t(hi << 4 | lo);
  }
  return out;
}

Hash32 hash32FromHex(std::string_view text) {
  const Bytes bytes = fromHex(text);
  if (bytes.size() != 32) throw EvmError("expected 32 bytes of hex, got " + std::to_string(bytes.size()));
  Hash32 out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace kappa::evm
