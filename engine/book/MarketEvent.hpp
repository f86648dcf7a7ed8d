#pragma once
// The flat, allocation-free market-data event every venue adapter (simulator, exchange connector,
// replay file) hands to the engine. A book message is BookBegin, its BookLevel rows, BookEnd —
// the same shape as Deribit's `book.<instrument>.raw` snapshots and changes.
#include <cstdint>

#include "book/OrderBook.hpp"
#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

enum class MdType : std::uint8_t {
  BookBegin,   // snapshot (isSnapshot) or change: changeId / prevChangeId
  BookLevel,   // side, action, price, qty
  BookEnd,     // commit: the book is consistent again
  Trade,       // price, qty, side = aggressor
  IndexPrice,  // price of an index instrument
  BookStale,   // the venue says this book is unusable (disconnect); staleReason
  VenueMark,   // the venue's own valuation: price = its mark price, qty = its mark IV as a
               // fraction in fixed point (options; 0 = none). Shown beside ours, never traded on.
  Funding,     // a perpetual's funding: price = the current funding rate (per funding period) in
               // fixed point (rate * 1e8), changeId = the next funding time (ms since the epoch).
};

struct MdEvent {
  MdType type = MdType::BookLevel;
  Side side = Side::Buy;
  LevelAction action = LevelAction::New;
  bool isSnapshot = false;
  InstrumentId instrument = kNoInstrument;
  Price price = 0;
  Qty qty = 0;
  std::uint64_t changeId = 0;      // BookBegin; trade id for Trade
  std::uint64_t prevChangeId = 0;  // BookBegin (changes only)
  Nanos ts = 0;                    // venue timestamp
};

}  // namespace kappa
