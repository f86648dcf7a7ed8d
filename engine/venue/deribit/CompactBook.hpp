#pragma once
// A book.*.* notification in the compact form Deribit (and kappa-exchange) send — no whitespace, no
// escapes — read in one pass, without the generic JSON parser. Book changes are most of a Deribit
// connection's traffic, and validating each message with simdjson's DOM before reading it On-Demand
// (which simdjson 3.0 needs to be safe on broken input) halved the decoder's speed (docs/BENCHMARKS.md).
//
// It accepts a strict subset of JSON:
//   {"jsonrpc":"…","method":"subscription","params":{"channel":"book.NAME.…","data":{BOOK}}}
// where BOOK holds "type" ("snapshot" or "change"), "change_id", "bids", "asks", optionally
// "timestamp", "prev_change_id" (required for a change) and "instrument_name", each once, in any
// order; a level is ["new"|"change"|"delete",price,amount] with JSON numbers fixed point can hold.
// Anything else is "not this shape" (false) and the caller decodes the message with simdjson as
// before: that path stays the reference, and tst_deribit_decoder checks the two agree on every kind
// of message and on thousands of mutated ones.
#include <cstdint>
#include <string_view>
#include <vector>

#include "book/MarketEvent.hpp"

namespace kappa::deribit {

// What a book message says besides its levels (both decoding paths fill it).
struct BookHeader {
  bool snapshot = false;
  std::uint64_t changeId = 0, prevChangeId = 0, timestampMs = 0;
};

struct CompactBook {
  std::string_view instrument;  // NAME from the channel, pointing into the message
  BookHeader header;
};

// A level's action as Deribit writes it ("new", "change", "delete"); false for anything else.
bool levelActionFrom(std::string_view text, LevelAction& out);

// On true: `out` is filled and `levels` holds the book's levels as BookLevel events (side, action,
// price, qty) in the order the message lists them; their instrument is the caller's to set.
// On false, `levels` holds scratch.
bool readCompactBook(std::string_view message, CompactBook& out, std::vector<MdEvent>& levels);

}  // namespace kappa::deribit
