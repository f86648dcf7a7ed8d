#pragma once
// The contract ABI (Solidity's abi-spec): what a call's data and a call's answer look like.
// Encoding: the 4-byte function selector (first bytes of keccak256 of the canonical signature,
// e.g. "transfer(address,uint256)" -> a9059cbb), then the arguments in 32-byte words: static ones
// (uint256, address, bool, bytes32 / bytesN) in place, dynamic ones (bytes, string, address[] such
// as the Router's swap path, uint256[]) as an offset into a tail. Decoding: uint256 / address / bool
// words, dynamic uint256[] (getAmountsOut), bytes and string from eth_call answers, and the revert
// reason of a failed call or estimate: Error(string) (08c379a0), Panic(uint256) (4e487b71), custom
// errors by selector. Decoders are strict (length, offsets, clean address and bool words) and throw
// EvmError; describeRevert never throws.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm::abi {

using Selector = std::array<std::uint8_t, 4>;
using Word = std::array<std::uint8_t, 32>;

// keccak256(signature)[0..4]. The signature must be canonical (no spaces, uint256 not uint).
Selector selector(std::string_view signature);

// One argument of a call.
class Value {
 public:
  static Value uint256(const U256& v);
  static Value address(const Address& a);
  static Value boolean(bool b);
  static Value bytes32(const Hash32& h);
  // bytesN for N = 1..32: left-aligned, zero-padded on the right. Throws EvmError for other sizes.
  static Value fixedBytes(ByteView b);
  static Value bytes(Bytes b);
  static Value string(std::string_view s);
  static Value addressArray(const std::vector<Address>& addresses);
  static Value uint256Array(const std::vector<U256>& values);

  bool isDynamic() const { return kind_ != Kind::Static; }

 private:
  enum class Kind { Static, Bytes, WordArray };
  friend Bytes encodeArguments(const std::vector<Value>& args);
  Kind kind_ = Kind::Static;
  Word word_{};
  Bytes bytes_;
  std::vector<Word> words_;
};

// The arguments' encoding (heads then tails), without a selector.
Bytes encodeArguments(const std::vector<Value>& args);
// selector(signature) + encodeArguments(args).
Bytes encodeCall(std::string_view signature, const std::vector<Value>& args);
Bytes encodeCall(const Selector& sel, const std::vector<Value>& args);

// Word `index` (0-based) of return data as each type. Throws EvmError when the data is too short,
// an address word has non-zero upper bytes, or a bool word is not 0 or 1.
U256 decodeUint256(ByteView data, std::size_t index = 0);
Address decodeAddress(ByteView data, std::size_t index = 0);
bool decodeBool(ByteView data, std::size_t index = 0);
// Dynamic values whose head (offset) is word `index`.
std::vector<U256> decodeUint256Array(ByteView data, std::size_t index = 0);
Bytes decodeBytes(ByteView data, std::size_t index = 0);
std::string decodeString(ByteView data, std::size_t index = 0);

struct RevertReason {
  enum class Kind { Empty, Error, Panic, Custom };
  Kind kind = Kind::Empty;
  std::string message;  // Error(string)'s text
  U256 panicCode = 0;   // Panic(uint256)'s code (0x11 overflow, 0x12 division by zero, ...)
  Selector selector{};  // a custom error's selector
};
// Reads revert data (eth_call / eth_estimateGas error data). Throws EvmError when the data starts
// with Error(string)'s or Panic(uint256)'s selector but is malformed.
RevertReason decodeRevert(ByteView data);
// A one-line text for logs and order rejections: the Error(string) message itself
// ("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"), "panic 0x11 (arithmetic overflow)", "custom error
// 0x…", "reverted without a reason", or "malformed revert data (…)". Never throws.
std::string describeRevert(ByteView data) noexcept;

inline constexpr Selector kErrorSelector{0x08, 0xc3, 0x79, 0xa0};  // Error(string)
inline constexpr Selector kPanicSelector{0x4e, 0x48, 0x7b, 0x71};  // Panic(uint256)

}  // namespace kappa::evm::abi
