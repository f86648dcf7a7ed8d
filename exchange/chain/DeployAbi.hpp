#pragma once
// A minimal contract-ABI encoder and decoder for the chain demo's own calls (deployment, pool
// set-up, the background trader): static words (uint256, address) and one kind of dynamic
// argument (address[]), and reading words back. Selectors are precomputed constants, each named by
// its signature (the first 4 bytes of keccak-256 of it).
//
// Temporary: venue/evm/AbiCodec (the venue's full codec, with keccak to compute selectors) replaces
// this file when the two branches meet; the call sites are UniswapDeployment.cpp and
// BackgroundTrader.cpp.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "venue/evm/EthRpc.hpp"

namespace kappa::exchange::chain::abi {

using evm::U256;

// keccak-256("signature")[0:4], hex.
namespace sel {
inline constexpr const char* transfer = "a9059cbb";      // transfer(address,uint256)
inline constexpr const char* approve = "095ea7b3";       // approve(address,uint256)
inline constexpr const char* balanceOf = "70a08231";     // balanceOf(address)
inline constexpr const char* deposit = "d0e30db0";       // deposit()  (WETH9)
inline constexpr const char* getPair = "e6a43905";       // getPair(address,address)  (Factory)
inline constexpr const char* token0 = "0dfe1681";        // token0()  (Pair)
inline constexpr const char* token1 = "d21220a7";        // token1()  (Pair)
inline constexpr const char* getReserves = "0902f1ac";   // getReserves()  (Pair: uint112, uint112, uint32)
inline constexpr const char* factory = "c45a0155";       // factory()  (Router02)
inline constexpr const char* weth = "ad5c4648";          // WETH()  (Router02)
// addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)  (Router02)
inline constexpr const char* addLiquidity = "e8e33700";
// swapExactTokensForTokens(uint256,uint256,address[],address,uint256)  (Router02)
inline constexpr const char* swapExactTokensForTokens = "38ed1739";
inline constexpr const char* getAmountsOut = "d06ca61f";  // getAmountsOut(uint256,address[])  (Router02)
}  // namespace sel

// One 32-byte word, hex without prefix.
inline std::string word(const U256& v) { return evm::toHexNoPrefix(evm::u256ToBigEndian32(v)); }
// An address ("0x" + 40 hex) as a word: left-padded with zeros.
inline std::string addressWord(std::string_view address) {
  if (address.size() != 42 || address.substr(0, 2) != "0x")
    throw std::invalid_argument("not an address: '" + std::string(address) + "'");
  std::string w(24, '0');
  for (char c : address.substr(2)) w += char(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  return w;
}

// Arguments of one call, in order; dynamic address[] arrays go to the tail with their offset in
// the head (the standard head/tail layout).
class Args {
 public:
  Args& uint(const U256& v) { return push(word(v)); }
  Args& address(std::string_view a) { return push(addressWord(a)); }
  Args& addresses(const std::vector<std::string>& list) {
    std::string tail = word(list.size());
    for (const auto& a : list) tail += addressWord(a);
    items_.push_back({std::string(), std::move(tail)});
    return *this;
  }
  // The encoded arguments (hex, no prefix).
  std::string encode() const {
    std::string head, tail;
    const std::size_t headBytes = items_.size() * 32;
    for (const auto& [staticWord, dynamicTail] : items_) {
      if (dynamicTail.empty()) {
        head += staticWord;
      } else {
        head += word(headBytes + tail.size() / 2);
        tail += dynamicTail;
      }
    }
    return head + tail;
  }

 private:
  Args& push(std::string w) {
    items_.push_back({std::move(w), std::string()});
    return *this;
  }
  std::vector<std::pair<std::string, std::string>> items_;  // (static word, or dynamic tail)
};

// "0x" + selector + arguments: a call's data.
inline std::string callData(const char* selector, const Args& args = {}) { return "0x" + std::string(selector) + args.encode(); }

// Reading an eth_call's answer (hex "0x…"): word i as a number or an address.
class Words {
 public:
  explicit Words(const std::string& hex) : hex_(hex.rfind("0x", 0) == 0 ? hex.substr(2) : hex) {}
  std::size_t count() const { return hex_.size() / 64; }
  U256 uint(std::size_t i) const {
    if (i >= count())
      throw std::runtime_error("ABI answer has no word " + std::to_string(i) + " (" + std::to_string(count()) + " words)");
    return evm::u256FromBigEndian(evm::fromHex(hex_.substr(i * 64, 64)));
  }
  std::string address(std::size_t i) const {
    if (i >= count()) throw std::runtime_error("ABI answer has no word " + std::to_string(i));
    return "0x" + hex_.substr(i * 64 + 24, 40);
  }
  // A uint256[] returned alone (getAmountsOut): offset word, length, items.
  std::vector<U256> uintArray() const {
    const U256 offset = uint(0) / 32;
    if (offset >= count()) throw std::runtime_error("ABI answer: array offset out of range");
    const std::size_t at = std::size_t(offset);
    const U256 length = uint(at);
    if (length > count() - at - 1) throw std::runtime_error("ABI answer: array longer than the answer");
    const std::size_t n = std::size_t(length);
    std::vector<U256> out;
    for (std::size_t k = 0; k < n; ++k) out.push_back(uint(at + 1 + k));
    return out;
  }

 private:
  std::string hex_;
};

}  // namespace kappa::exchange::chain::abi
