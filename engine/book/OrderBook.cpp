#include "book/OrderBook.hpp"

#include <algorithm>

namespace kappa {

const char* nameOf(StaleReason reason) {
  switch (reason) {
    case StaleReason::None: return "";
    case StaleReason::SequenceGap: return "sequence gap (change_id)";
    case StaleReason::Crossed: return "crossed book";
    case StaleReason::BadLevel: return "malformed level update";
    case StaleReason::NoSnapshot: return "waiting for snapshot";
    case StaleReason::VenueDown: return "venue disconnected";
    case StaleReason::Incomplete: return "book message without its end";
    case StaleReason::Retired: return "expired/settled";
  }
  return "?";
}

const char* nameOf(BookStatus status) {
  switch (status) {
    case BookStatus::Empty: return "empty";
    case BookStatus::Live: return "live";
    case BookStatus::Stale: return "stale";
  }
  return "?";
}

void OrderBook::clear() {
  bids_.clear();
  asks_.clear();
  changeId_ = 0;
  status_ = BookStatus::Empty;
  reason_ = StaleReason::NoSnapshot;
  open_ = Message::None;
}

void OrderBook::markStale(StaleReason reason) {
  status_ = BookStatus::Stale;
  reason_ = reason;
  open_ = Message::None;  // the rest of a message in progress is ignored
}

void OrderBook::beginSnapshot(std::uint64_t changeId) {
  // A snapshot replaces everything, an unfinished earlier message included.
  bids_.clear();
  asks_.clear();
  changeId_ = changeId;
  status_ = BookStatus::Stale;
  reason_ = StaleReason::Incomplete;  // until commit() finds it consistent
  open_ = Message::Snapshot;
}

bool OrderBook::beginUpdate(std::uint64_t prevChangeId, std::uint64_t changeId) {
  if (open_ != Message::None) {  // the previous message never ended: its book is not known
    markStale(StaleReason::Incomplete);
    return false;
  }
  if (status_ != BookStatus::Live) {
    if (status_ == BookStatus::Empty) markStale(StaleReason::NoSnapshot);
    return false;
  }
  if (prevChangeId != changeId_) {
    markStale(StaleReason::SequenceGap);
    return false;
  }
  changeId_ = changeId;
  status_ = BookStatus::Stale;
  reason_ = StaleReason::Incomplete;  // until commit()
  open_ = Message::Update;
  return true;
}

namespace {
// Position of `price` in a side sorted worst-to-best (best at the back); `better(a, b)` is true
// when a is a strictly better price than b. Returns the index of the level with that price
// (found = true) or where it must be inserted. The 64 levels nearest the best price, where nearly
// all updates land, are scanned linearly from the back (measured: 32 ns per update against 42 ns
// with an 8-level scan plus binary search, BM_BookApplyLevelUpdate); deeper levels use binary search.
template <class Better>
std::size_t findPos(const std::vector<Level>& v, Price price, Better better, bool& found) {
  std::size_t i = v.size();
  const std::size_t scanLimit = i > 64 ? i - 64 : 0;
  while (i > scanLimit && better(v[i - 1].price, price)) --i;
  if (i > scanLimit || i == 0) {
    found = i > 0 && v[i - 1].price == price;
    return found ? i - 1 : i;
  }
  // Everything from i on is better than price: search the worse part [0, i).
  auto it = std::partition_point(v.begin(), v.begin() + std::ptrdiff_t(i),
                                 [&](const Level& l) { return better(price, l.price); });
  const std::size_t pos = std::size_t(it - v.begin());
  found = pos < i && v[pos].price == price;
  return pos;
}
}  // namespace

void OrderBook::applyLevel(Side side, LevelAction action, Price price, Qty qty) {
  if (open_ == Message::None) return;
  const bool inSnapshot = open_ == Message::Snapshot;
  if (price <= 0 || qty < 0 || (action == LevelAction::New && qty == 0)) {
    markStale(StaleReason::BadLevel);
    return;
  }
  std::vector<Level>& v = side == Side::Buy ? bids_ : asks_;
  bool found = false;
  std::size_t pos;
  if (side == Side::Buy)
    pos = findPos(v, price, [](Price a, Price b) { return a > b; }, found);
  else
    pos = findPos(v, price, [](Price a, Price b) { return a < b; }, found);

  if (action == LevelAction::Delete || action == LevelAction::DeleteIfPresent || qty == 0) {
    if (found) {
      v.erase(v.begin() + std::ptrdiff_t(pos));
    } else if (!inSnapshot && action != LevelAction::DeleteIfPresent) {
      markStale(StaleReason::BadLevel);
    }
    return;
  }
  if (found) {
    v[pos].qty = qty;
  } else if (action == LevelAction::Change && !inSnapshot) {
    markStale(StaleReason::BadLevel);  // change of a level we never saw: our book has diverged
  } else {
    v.insert(v.begin() + std::ptrdiff_t(pos), Level{price, qty});
  }
}

bool OrderBook::commit() {
  if (open_ == Message::None) return live();
  open_ = Message::None;
  if (!bids_.empty() && !asks_.empty() && bids_.back().price >= asks_.back().price) {
    markStale(StaleReason::Crossed);
    return false;
  }
  status_ = BookStatus::Live;
  reason_ = StaleReason::None;
  return true;
}

std::size_t OrderBook::topN(Side side, std::size_t n, Level* out) const {
  const std::vector<Level>& v = side == Side::Buy ? bids_ : asks_;
  const std::size_t count = std::min(n, v.size());
  for (std::size_t k = 0; k < count; ++k) out[k] = v[v.size() - 1 - k];
  return count;
}

Qty OrderBook::qtyAt(Side side, Price price) const {
  const std::vector<Level>& v = side == Side::Buy ? bids_ : asks_;
  for (auto it = v.rbegin(); it != v.rend(); ++it)
    if (it->price == price) return it->qty;
  return 0;
}

}  // namespace kappa
