// RLP encoder and strict decoder (see Rlp.hpp).
#include "venue/evm/Rlp.hpp"

#include <limits>
#include <string>

#include "venue/evm/EvmError.hpp"

namespace kappa::evm::rlp {
namespace {
constexpr int kMaxDepth = 256;

// Short form: offset + length (length <= 55); long form: offset + 55 + the length's byte count,
// then the length big-endian without leading zeros.
void appendHeader(Bytes& out, std::uint8_t offset, std::size_t length) {
  if (length <= 55) {
    out.push_back(std::uint8_t(offset + length));
    return;
  }
  std::uint8_t lengthBytes[8];
  int n = 0;
  for (std::size_t v = length; v != 0; v >>= 8) lengthBytes[n++] = std::uint8_t(v & 0xff);
  out.push_back(std::uint8_t(offset + 55 + n));
  while (n > 0) out.push_back(lengthBytes[--n]);
}

std::string at(std::size_t offset) { return " at byte " + std::to_string(offset); }

class Reader {
 public:
  explicit Reader(ByteView input) : in_(input) {}

  // Decodes the item starting at `pos`, which must end at or before `end`; advances `pos`.
  Item read(std::size_t& pos, std::size_t end, int depth) {
    if (depth > kMaxDepth) throw EvmError("RLP nesting deeper than " + std::to_string(kMaxDepth) + at(pos));
    if (pos >= end) throw EvmError("RLP input ends where an item should start" + at(pos));
    const std::size_t start = pos;
    const std::uint8_t prefix = in_[pos++];
    Item item;
    if (prefix < 0x80) {  // a single byte is its own encoding
      item.bytes.push_back(prefix);
      return item;
    }
    std::size_t length = 0;
    if (prefix <= 0xb7) {
      length = prefix - 0x80u;
      need(pos, length, end, start);
      if (length == 1 && in_[pos] < 0x80)
        throw EvmError("RLP non-canonical: a single byte below 0x80 must not carry a header" + at(start));
    } else if (prefix <= 0xbf) {
      length = longLength(pos, prefix - 0xb7u, end, start);
    } else if (prefix <= 0xf7) {
      item.isList = true;
      length = prefix - 0xc0u;
      need(pos, length, end, start);
    } else {
      item.isList = true;
      length = longLength(pos, prefix - 0xf7u, end, start);
    }
    if (!item.isList) {
      item.bytes.assign(in_.begin() + std::ptrdiff_t(pos), in_.begin() + std::ptrdiff_t(pos + length));
      pos += length;
      return item;
    }
    const std::size_t listEnd = pos + length;
    while (pos < listEnd) item.items.push_back(read(pos, listEnd, depth + 1));
    return item;
  }

 private:
  void need(std::size_t pos, std::size_t length, std::size_t end, std::size_t start) const {
    if (length > end - pos)
      throw EvmError("RLP item declares " + std::to_string(length) + " bytes but only " + std::to_string(end - pos) +
                     " remain" + at(start));
  }

  std::size_t longLength(std::size_t& pos, unsigned lengthOfLength, std::size_t end, std::size_t start) {
    need(pos, lengthOfLength, end, start);
    if (lengthOfLength > sizeof(std::size_t) - 1)
      throw EvmError("RLP length of " + std::to_string(lengthOfLength) + " bytes is too large" + at(start));
    if (in_[pos] == 0) throw EvmError("RLP non-canonical: long-form length with a leading zero" + at(start));
    std::size_t length = 0;
    for (unsigned i = 0; i < lengthOfLength; ++i) length = (length << 8) | in_[pos++];
    if (length <= 55) throw EvmError("RLP non-canonical: long form for a length of " + std::to_string(length) + at(start));
    need(pos, length, end, start);
    return length;
  }

  ByteView in_;
};
}  // namespace

void appendString(Bytes& out, ByteView bytes) {
  if (bytes.size() == 1 && bytes[0] < 0x80) {
    out.push_back(bytes[0]);
    return;
  }
  appendHeader(out, 0x80, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void appendUint(Bytes& out, const U256& value) {
  if (value <= std::numeric_limits<std::uint64_t>::max()) {
    appendUint(out, static_cast<std::uint64_t>(value));
    return;
  }
  const auto full = u256ToBigEndian32(value);
  std::size_t first = 0;
  while (full[first] == 0) ++first;
  appendString(out, ByteView(full.data() + first, full.size() - first));
}

void appendUint(Bytes& out, std::uint64_t value) {
  std::uint8_t buf[8];
  int n = 0;
  for (std::uint64_t v = value; v != 0; v >>= 8) buf[7 - n++] = std::uint8_t(v & 0xff);
  appendString(out, ByteView(buf + 8 - n, std::size_t(n)));
}

void appendListHeader(Bytes& out, std::size_t payloadLength) { appendHeader(out, 0xc0, payloadLength); }

void appendList(Bytes& out, ByteView payload) {
  appendListHeader(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

Bytes encodeString(ByteView bytes) {
  Bytes out;
  appendString(out, bytes);
  return out;
}

Bytes encodeUint(const U256& value) {
  Bytes out;
  appendUint(out, value);
  return out;
}

Bytes encodeList(const std::vector<Bytes>& encodedItems) {
  std::size_t payload = 0;
  for (const Bytes& item : encodedItems) payload += item.size();
  Bytes out;
  out.reserve(payload + 9);
  appendListHeader(out, payload);
  for (const Bytes& item : encodedItems) out.insert(out.end(), item.begin(), item.end());
  return out;
}

const Bytes& Item::asBytes(const char* what) const {
  if (isList) throw EvmError(std::string(what) + " is an RLP list where a string was expected");
  return bytes;
}

const std::vector<Item>& Item::asList(const char* what) const {
  if (!isList) throw EvmError(std::string(what) + " is an RLP string where a list was expected");
  return items;
}

U256 Item::asUint(const char* what) const {
  const Bytes& b = asBytes(what);
  if (b.size() > 32) throw EvmError(std::string(what) + " is wider than 256 bits (" + std::to_string(b.size()) + " bytes)");
  if (!b.empty() && b[0] == 0) throw EvmError(std::string(what) + " is a non-canonical RLP integer (leading zero byte)");
  return u256FromBigEndian(b);
}

std::uint64_t Item::asUint64(const char* what) const { return u256ToUint64(asUint(what), what); }

Item decode(ByteView encoded) {
  Reader reader(encoded);
  std::size_t pos = 0;
  Item item = reader.read(pos, encoded.size(), 0);
  if (pos != encoded.size())
    throw EvmError("RLP input has " + std::to_string(encoded.size() - pos) + " trailing bytes after the item" + at(pos));
  return item;
}

}  // namespace kappa::evm::rlp
