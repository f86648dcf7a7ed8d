// 256-bit integer text and byte conversions (see U256.hpp).
#include "venue/evm/U256.hpp"

#include <limits>

#include "venue/evm/Bytes.hpp"
#include "venue/evm/EvmError.hpp"

namespace kappa::evm {
namespace {

bool hasHexPrefix(std::string_view t) { return t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'); }

U256 parseHexDigits(std::string_view digits, std::string_view original) {
  if (digits.empty()) throw EvmError("hex quantity '" + std::string(original.substr(0, 80)) + "' has no digits");
  std::size_t first = 0;
  while (first + 1 < digits.size() && digits[first] == '0') ++first;  // value-neutral zeros (caller decides)
  if (digits.size() - first > 64) throw EvmError("hex quantity is above 2^256-1 (" + std::to_string(digits.size()) + " digits)");
  U256 value = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const int d = hexDigitValue(digits[i]);
    if (d < 0) throw EvmError("hex quantity has a non-hex character at position " + std::to_string(i + 2));
    value = (value << 4) | unsigned(d);
  }
  return value;
}
}  // namespace

U256 u256Max() { return ~U256(0); }

U256 u256FromQuantity(std::string_view text) {
  if (!hasHexPrefix(text)) throw EvmError("hex quantity '" + std::string(text.substr(0, 80)) + "' lacks the 0x prefix");
  const std::string_view digits = text.substr(2);
  if (digits.size() > 1 && digits[0] == '0') throw EvmError("hex quantity '" + std::string(text.substr(0, 80)) + "' has a leading zero");
  return parseHexDigits(digits, text);
}

std::string u256ToQuantity(const U256& value) {
  if (value == 0) return "0x0";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  U256 v = value;
  while (v != 0) {
    digits.push_back(kDigits[unsigned(v & 0xf)]);
    v >>= 4;
  }
  return "0x" + std::string(digits.rbegin(), digits.rend());
}

U256 u256FromDecimal(std::string_view text) {
  if (text.empty()) throw EvmError("decimal integer is empty");
  CheckedU256 value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9')
      throw EvmError("decimal integer '" + std::string(text.substr(0, 80)) + "' has a non-digit at position " + std::to_string(i));
    try {
      value = value * 10 + unsigned(c - '0');
    } catch (const std::overflow_error&) {
      throw EvmError("decimal integer '" + std::string(text.substr(0, 80)) + "' is above 2^256-1");
    }
  }
  return U256(value);
}

std::string u256ToDecimal(const U256& value) { return value.str(); }

U256 u256FromText(std::string_view text) {
  if (hasHexPrefix(text)) return parseHexDigits(text.substr(2), text);
  return u256FromDecimal(text);
}

std::array<std::uint8_t, 32> u256ToBigEndian32(const U256& value) {
  std::array<std::uint8_t, 32> out{};
  U256 v = value;
  for (int i = 31; i >= 0 && v != 0; --i) {
    out[std::size_t(i)] = std::uint8_t(unsigned(v & 0xff));
    v >>= 8;
  }
  return out;
}

U256 u256FromBigEndian(ByteView bytes) {
  if (bytes.size() > 32) throw EvmError("integer of " + std::to_string(bytes.size()) + " bytes is wider than 256 bits");
  U256 value = 0;
  for (std::uint8_t b : bytes) value = (value << 8) | b;
  return value;
}

Bytes u256ToMinimalBigEndian(const U256& value) {
  const auto full = u256ToBigEndian32(value);
  std::size_t first = 0;
  while (first < full.size() && full[first] == 0) ++first;
  return Bytes(full.begin() + std::ptrdiff_t(first), full.end());
}

std::uint64_t u256ToUint64(const U256& value, const char* what) {
  if (value > std::numeric_limits<std::uint64_t>::max())
    throw EvmError(std::string(what) + " " + value.str() + " does not fit in 64 bits");
  return static_cast<std::uint64_t>(value);
}

}  // namespace kappa::evm
