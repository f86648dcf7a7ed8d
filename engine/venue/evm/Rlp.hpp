#pragma once
// RLP (Recursive Length Prefix, the yellow paper's appendix B): how Ethereum serialises a
// transaction before it is hashed and signed. Three shapes: a byte string, an integer (its
// minimal big-endian bytes as a string: zero is the empty string) and a list of items.
// The encoder appends to a caller's buffer (no intermediate allocations per field); the decoder
// reads a whole item tree back (raw transactions, tests) and is strict the way geth is: it refuses
// non-canonical forms (a single byte below 0x80 wrapped in a header, long-form lengths below 56 or
// with leading zeros, integers with leading zero bytes), truncated or trailing input, and nesting
// deeper than 256, throwing EvmError with the offset.
#include <cstdint>
#include <vector>

#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm::rlp {

// --- encoding ---
void appendString(Bytes& out, ByteView bytes);
void appendUint(Bytes& out, const U256& value);
void appendUint(Bytes& out, std::uint64_t value);
// The header of a list whose items' encodings, concatenated, are `payloadLength` bytes.
void appendListHeader(Bytes& out, std::size_t payloadLength);
// Header + payload for a list whose items are already encoded back to back in `payload`.
void appendList(Bytes& out, ByteView payload);

Bytes encodeString(ByteView bytes);
Bytes encodeUint(const U256& value);
// A list of already encoded items.
Bytes encodeList(const std::vector<Bytes>& encodedItems);

// --- decoding ---
struct Item {
  bool isList = false;
  Bytes bytes;              // a string's content
  std::vector<Item> items;  // a list's items

  // The string's content; throws EvmError when the item is a list.
  const Bytes& asBytes(const char* what = "item") const;
  // The list's items; throws EvmError when the item is a string.
  const std::vector<Item>& asList(const char* what = "item") const;
  // A canonical integer: at most 32 bytes, no leading zero byte. Throws EvmError otherwise.
  U256 asUint(const char* what = "integer") const;
  std::uint64_t asUint64(const char* what = "integer") const;
};

// Exactly one item filling all of `encoded`. Throws EvmError on any malformed input.
Item decode(ByteView encoded);

}  // namespace kappa::evm::rlp
