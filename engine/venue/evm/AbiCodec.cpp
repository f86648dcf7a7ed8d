// Contract ABI encoding and decoding (see AbiCodec.hpp).
#include "venue/evm/AbiCodec.hpp"

#include <algorithm>
#include <cstring>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"

namespace kappa::evm::abi {
namespace {

Word wordOf(const U256& v) { return u256ToBigEndian32(v); }

void appendWord(Bytes& out, const Word& w) { out.insert(out.end(), w.begin(), w.end()); }

// Bytes padded with zeros on the right to a multiple of 32.
void appendPadded(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
  out.resize(out.size() + (32 - b.size() % 32) % 32, 0);
}

ByteView wordAt(ByteView data, std::size_t index) {
  if (index > data.size() / 32 || data.size() - index * 32 < 32)
    throw EvmError("ABI data of " + std::to_string(data.size()) + " bytes has no word " + std::to_string(index));
  return data.subspan(index * 32, 32);
}

// A word used as an offset or a length: must fit the data it points into.
std::size_t sizeWord(ByteView data, std::size_t index, const char* what) {
  const U256 v = u256FromBigEndian(wordAt(data, index));
  if (v > data.size()) throw EvmError(std::string("ABI ") + what + " " + v.str() + " points beyond the " + std::to_string(data.size()) + "-byte data");
  return std::size_t(v);
}

// The tail of the dynamic value whose head is word `index`: its length word and what follows.
ByteView tailOf(ByteView data, std::size_t index, std::size_t& length, std::size_t elementSize) {
  const std::size_t offset = sizeWord(data, index, "offset");
  if (data.size() - offset < 32) throw EvmError("ABI offset " + std::to_string(offset) + " leaves no room for a length");
  const ByteView tail = data.subspan(offset);
  length = sizeWord(tail, 0, "length");
  if ((tail.size() - 32) / elementSize < length)
    throw EvmError("ABI length " + std::to_string(length) + " runs beyond the data");
  return tail.subspan(32);
}

std::string hexOfSelector(const Selector& s) { return toHex(s); }

const char* panicMeaning(const U256& code) {
  switch (static_cast<unsigned>(code > 0xff ? 0xffff : unsigned(code))) {
    case 0x01: return "assertion failed";
    case 0x11: return "arithmetic overflow";
    case 0x12: return "division by zero";
    case 0x21: return "invalid enum value";
    case 0x22: return "invalid storage byte array";
    case 0x31: return "pop on empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "out of memory";
    case 0x51: return "call to an uninitialised function";
    default: return "unknown panic code";
  }
}
}  // namespace

Selector selector(std::string_view signature) {
  const Hash32 h = keccak256(signature);
  return {h[0], h[1], h[2], h[3]};
}

Value Value::uint256(const U256& v) {
  Value x;
  x.word_ = wordOf(v);
  return x;
}

Value Value::address(const Address& a) {
  Value x;
  std::copy(a.begin(), a.end(), x.word_.begin() + 12);
  return x;
}

Value Value::boolean(bool b) {
  Value x;
  x.word_[31] = b ? 1 : 0;
  return x;
}

Value Value::bytes32(const Hash32& h) {
  Value x;
  x.word_ = h;
  return x;
}

Value Value::fixedBytes(ByteView b) {
  if (b.empty() || b.size() > 32) throw EvmError("bytesN needs 1 to 32 bytes, not " + std::to_string(b.size()));
  Value x;
  std::copy(b.begin(), b.end(), x.word_.begin());
  return x;
}

Value Value::bytes(Bytes b) {
  Value x;
  x.kind_ = Kind::Bytes;
  x.bytes_ = std::move(b);
  return x;
}

Value Value::string(std::string_view s) {
  const ByteView b = asBytes(s);
  return bytes(Bytes(b.begin(), b.end()));
}

Value Value::addressArray(const std::vector<Address>& addresses) {
  Value x;
  x.kind_ = Kind::WordArray;
  for (const Address& a : addresses) x.words_.push_back(address(a).word_);
  return x;
}

Value Value::uint256Array(const std::vector<U256>& values) {
  Value x;
  x.kind_ = Kind::WordArray;
  for (const U256& v : values) x.words_.push_back(wordOf(v));
  return x;
}

Bytes encodeArguments(const std::vector<Value>& args) {
  Bytes head, tail;
  head.reserve(args.size() * 32);
  const std::size_t headSize = args.size() * 32;
  for (const Value& v : args) {
    if (v.kind_ == Value::Kind::Static) {
      appendWord(head, v.word_);
      continue;
    }
    appendWord(head, wordOf(U256(headSize + tail.size())));  // offset from the start of the arguments
    if (v.kind_ == Value::Kind::Bytes) {
      appendWord(tail, wordOf(U256(v.bytes_.size())));
      appendPadded(tail, v.bytes_);
    } else {
      appendWord(tail, wordOf(U256(v.words_.size())));
      for (const Word& w : v.words_) appendWord(tail, w);
    }
  }
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Bytes encodeCall(const Selector& sel, const std::vector<Value>& args) {
  Bytes out(sel.begin(), sel.end());
  const Bytes encoded = encodeArguments(args);
  out.insert(out.end(), encoded.begin(), encoded.end());
  return out;
}

Bytes encodeCall(std::string_view signature, const std::vector<Value>& args) { return encodeCall(selector(signature), args); }

U256 decodeUint256(ByteView data, std::size_t index) { return u256FromBigEndian(wordAt(data, index)); }

Address decodeAddress(ByteView data, std::size_t index) {
  const ByteView w = wordAt(data, index);
  if (std::any_of(w.begin(), w.begin() + 12, [](std::uint8_t b) { return b != 0; }))
    throw EvmError("ABI address word " + std::to_string(index) + " has non-zero upper bytes");
  return addressFromBytes(w.subspan(12));
}

bool decodeBool(ByteView data, std::size_t index) {
  const U256 v = decodeUint256(data, index);
  if (v > 1) throw EvmError("ABI bool word " + std::to_string(index) + " is " + v.str() + ", not 0 or 1");
  return v == 1;
}

std::vector<U256> decodeUint256Array(ByteView data, std::size_t index) {
  std::size_t length = 0;
  const ByteView elements = tailOf(data, index, length, 32);
  std::vector<U256> out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out.push_back(u256FromBigEndian(elements.subspan(i * 32, 32)));
  return out;
}

Bytes decodeBytes(ByteView data, std::size_t index) {
  std::size_t length = 0;
  const ByteView content = tailOf(data, index, length, 1);
  return Bytes(content.begin(), content.begin() + std::ptrdiff_t(length));
}

std::string decodeString(ByteView data, std::size_t index) {
  const Bytes b = decodeBytes(data, index);
  return std::string(b.begin(), b.end());
}

RevertReason decodeRevert(ByteView data) {
  RevertReason r;
  if (data.empty()) return r;
  if (data.size() < 4) throw EvmError("revert data of " + std::to_string(data.size()) + " bytes is shorter than a selector");
  std::memcpy(r.selector.data(), data.data(), 4);
  const ByteView args = data.subspan(4);
  if (r.selector == kErrorSelector) {
    r.kind = RevertReason::Kind::Error;
    r.message = decodeString(args, 0);
  } else if (r.selector == kPanicSelector) {
    r.kind = RevertReason::Kind::Panic;
    r.panicCode = decodeUint256(args, 0);
  } else {
    r.kind = RevertReason::Kind::Custom;
  }
  return r;
}

std::string describeRevert(ByteView data) noexcept {
  try {
    const RevertReason r = decodeRevert(data);
    switch (r.kind) {
      case RevertReason::Kind::Empty: return "reverted without a reason";
      case RevertReason::Kind::Error: return r.message;
      case RevertReason::Kind::Panic: return "panic " + u256ToQuantity(r.panicCode) + " (" + panicMeaning(r.panicCode) + ")";
      case RevertReason::Kind::Custom: return "custom error " + hexOfSelector(r.selector);
    }
    return "reverted";
  } catch (const std::exception& e) {
    try {
      return std::string("malformed revert data (") + e.what() + ")";
    } catch (...) {
      return "malformed revert data";
    }
  }
}

}  // namespace kappa::evm::abi
