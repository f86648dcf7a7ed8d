#pragma once
// Ethereum's 256-bit unsigned integer: balances and amounts in wei, reserves, fees, chain ids,
// signature scalars. Boost.Multiprecision's fixed-width uint256_t (no allocation); arithmetic
// wraps modulo 2^256 like the EVM's unchecked ops, so code that must not overflow (swap math,
// fee totals) uses CheckedU256, which throws std::overflow_error instead of wrapping.
// Text: JSON-RPC QUANTITY hex ("0x" + digits without leading zeros, "0x0" for zero) and decimal;
// bytes: big-endian, 32 bytes (ABI words) or minimal (RLP). Parsers are strict and throw EvmError.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/multiprecision/cpp_int.hpp>

#include "venue/evm/Bytes.hpp"

namespace kappa::evm {

using U256 = boost::multiprecision::uint256_t;
using CheckedU256 = boost::multiprecision::checked_uint256_t;

// 2^256 - 1, the largest value.
U256 u256Max();

// JSON-RPC QUANTITY: "0x" then 1-64 hex digits, no leading zeros except "0x0" itself (as geth
// reads them). Throws EvmError ("empty", "leading zero", "not hex", "above 2^256-1").
U256 u256FromQuantity(std::string_view text);
// "0x0", "0x1a", ... the canonical QUANTITY text.
std::string u256ToQuantity(const U256& value);

// Decimal digits only (no sign, spaces, exponent or separators); leading zeros allowed.
// Throws EvmError on anything else or above 2^256-1.
U256 u256FromDecimal(std::string_view text);
std::string u256ToDecimal(const U256& value);

// Decimal, or QUANTITY-like hex when it starts with "0x" (leading zeros allowed there: user text).
U256 u256FromText(std::string_view text);

// 32-byte big-endian (an ABI word, a signature scalar).
std::array<std::uint8_t, 32> u256ToBigEndian32(const U256& value);
// Big-endian bytes of any length up to 32 (leading zeros allowed); throws EvmError above 32.
U256 u256FromBigEndian(ByteView bytes);
// Minimal big-endian: no leading zero bytes, empty for zero (RLP's integer form).
Bytes u256ToMinimalBigEndian(const U256& value);

// The value as uint64 when it fits; throws EvmError naming `what` when it does not.
std::uint64_t u256ToUint64(const U256& value, const char* what);

}  // namespace kappa::evm
