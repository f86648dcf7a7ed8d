#pragma once
// L2 (price-aggregated) order book for one instrument, maintained from a venue's snapshot and
// incremental level updates (Deribit `book.*.raw`: new/change/delete with change_id chaining).
//
// Levels live in two sorted vectors with the best price at the back: best bid/ask is O(1), and the
// updates that dominate real feeds (near the top) touch only the last few elements, so an update is
// a short scan plus at most a small memmove — no allocation, no pointer chasing.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

struct Level {
  Price price = 0;
  Qty qty = 0;
  bool operator==(const Level&) const = default;
};

// New adds a level (or sets the quantity of one the book already holds); Change sets the quantity
// of a held level; Delete removes a held level. Change or Delete of a level the book does not hold
// means the book has diverged from the venue's (Deribit: corruption, the book goes stale).
// DeleteIfPresent removes the level if held and is a no-op otherwise: for venues whose deletes
// name levels the client may never have seen as a matter of course (Binance's quantity 0 for
// levels beyond the snapshot's depth, or already gone), where an absent level proves nothing.
enum class LevelAction : std::uint8_t { New, Change, Delete, DeleteIfPresent };

enum class BookStatus : std::uint8_t { Empty, Live, Stale };
enum class StaleReason : std::uint8_t {
  None,
  SequenceGap,      // prev_change_id did not match the last change_id
  Crossed,          // best bid >= best ask after an update
  BadLevel,         // negative/zero price or quantity, change/delete of an unknown level
  NoSnapshot,       // an incremental update arrived before any snapshot
  VenueDown,        // the venue connection dropped
  Incomplete,       // a message in progress, or one whose end never came
  Retired,          // the instrument expired/settled (or was delisted): its book is gone for good
};
const char* nameOf(StaleReason reason);
const char* nameOf(BookStatus status);

class OrderBook {
 public:
  OrderBook() { bids_.reserve(64); asks_.reserve(64); }

  void clear();
  // A book is live only between messages, after commit() checked it: from the begin of a
  // snapshot or update to its end it is stale (Incomplete), so a message whose end never comes
  // leaves it stale, never live with whatever its levels made of it (crossed, half a snapshot).
  //
  // Snapshot: replaces the book. Sequence checking restarts from changeId.
  void beginSnapshot(std::uint64_t changeId);
  // Incremental update: returns false (and marks the book stale) if prevChangeId does not chain,
  // or if the previous message never ended.
  bool beginUpdate(std::uint64_t prevChangeId, std::uint64_t changeId);
  // One level of the current snapshot/update. Ignored outside a message or once it failed.
  void applyLevel(Side side, LevelAction action, Price price, Qty qty);
  // Ends a snapshot or update: checks for a crossed book and makes it live. Returns the book's
  // liveness (an end without a message changes nothing).
  bool commit();
  bool inMessage() const { return open_ != Message::None; }

  void markStale(StaleReason reason);

  BookStatus status() const { return status_; }
  StaleReason staleReason() const { return reason_; }
  std::uint64_t changeId() const { return changeId_; }
  bool live() const { return status_ == BookStatus::Live; }

  const Level* bestBid() const { return bids_.empty() ? nullptr : &bids_.back(); }
  const Level* bestAsk() const { return asks_.empty() ? nullptr : &asks_.back(); }
  std::size_t depth(Side side) const { return side == Side::Buy ? bids_.size() : asks_.size(); }
  // Copies up to n best levels of a side, best first. Returns the number copied.
  std::size_t topN(Side side, std::size_t n, Level* out) const;
  Qty qtyAt(Side side, Price price) const;

 private:
  std::vector<Level> bids_;  // ascending price: best bid at back()
  std::vector<Level> asks_;  // descending price: best ask at back()
  std::uint64_t changeId_ = 0;
  BookStatus status_ = BookStatus::Empty;
  StaleReason reason_ = StaleReason::NoSnapshot;
  enum class Message : std::uint8_t { None, Snapshot, Update };
  Message open_ = Message::None;  // the message being applied
};

}  // namespace kappa
