#pragma once
// Order-by-order book with price-time priority for the simulated exchange: limit, market, IOC and
// post-only orders, cancel and modify (a price change or size increase loses time priority, a size
// decrease keeps it), partial fills. Reports every fill and every change of an aggregated level to
// a sink, from which the simulator builds its L2 feed and executions.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "book/OrderBook.hpp"
#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa::sim {

inline constexpr int kUserOwner = -1;

struct SimOrder {
  std::uint64_t id = 0;        // exchange order id
  int owner = 0;               // participant index, kUserOwner for the terminal's user
  OrderId clientId = 0;        // the user's client order id
  Side side = Side::Buy;
  Price price = 0;
  Qty qty = 0;                 // remaining
  SimOrder* prev = nullptr;
  SimOrder* next = nullptr;
};

struct MatchSink {
  virtual ~MatchSink() = default;
  // A resting maker order traded with an incoming taker order at the maker's price.
  virtual void onFill(const SimOrder& maker, const SimOrder& taker, Price price, Qty qty) = 0;
  // The aggregated quantity at a price changed (0 = level gone).
  // created: the level did not exist before this change.
  virtual void onLevel(Side side, Price price, Qty total, bool created) = 0;
};

enum class AddOutcome : std::uint8_t { Rested, Filled, PartiallyFilledRested, RemainderCancelled, PostOnlyRejected, NoLiquidity };

class MatchingBook {
 public:
  explicit MatchingBook(MatchSink& sink) : sink_(sink) {}
  MatchingBook(const MatchingBook&) = delete;
  MatchingBook& operator=(const MatchingBook&) = delete;

  struct NewOrder {
    int owner = 0;
    OrderId clientId = 0;
    Side side = Side::Buy;
    Price price = 0;       // ignored for market orders
    Qty qty = 0;
    bool market = false;
    bool ioc = false;
    bool postOnly = false;
  };
  struct Result {
    AddOutcome outcome = AddOutcome::Rested;
    std::uint64_t id = 0;  // exchange id if anything rests
    Qty filled = 0;
    Qty remaining = 0;     // resting (Rested*) or cancelled (RemainderCancelled)
  };
  Result add(const NewOrder& order);
  // Returns false if the order is unknown (already filled or cancelled).
  bool cancel(std::uint64_t id, SimOrder* removedOut = nullptr);
  // New price and remaining quantity. Returns false if unknown; the result of re-matching in out.
  bool modify(std::uint64_t id, Price newPrice, Qty newQty, Result* out = nullptr);

  const SimOrder* find(std::uint64_t id) const;
  Price bestBid() const { return bids_.empty() ? 0 : bids_.begin()->first; }
  Price bestAsk() const { return asks_.empty() ? 0 : asks_.begin()->first; }
  Qty levelQty(Side side, Price price) const;
  // Aggregated levels, best first.
  void levels(Side side, std::vector<Level>& out) const;
  std::size_t orderCount() const { return byId_.size(); }
  // The exchange id the next accepted order will get (for acknowledging before matching).
  std::uint64_t nextId() const { return nextId_; }
  // Would an order on `side` at `price` trade immediately?
  bool crosses(Side side, Price price) const {
    return side == Side::Buy ? (!asks_.empty() && price >= asks_.begin()->first)
                             : (!bids_.empty() && price <= bids_.begin()->first);
  }

 private:
  struct Queue {
    Qty total = 0;
    SimOrder* head = nullptr;
    SimOrder* tail = nullptr;
  };
  using Bids = std::map<Price, Queue, std::greater<Price>>;
  using Asks = std::map<Price, Queue, std::less<Price>>;

  template <class Book>
  Qty matchAgainst(Book& book, SimOrder& taker, bool market);
  template <class Book>
  void rest(Book& book, SimOrder* order);
  SimOrder* allocate();
  void release(SimOrder* order);
  void unlink(SimOrder* order);

  MatchSink& sink_;
  Bids bids_;
  Asks asks_;
  std::unordered_map<std::uint64_t, SimOrder*> byId_;
  std::deque<SimOrder> pool_;
  std::vector<SimOrder*> free_;
  std::uint64_t nextId_ = 1;
};

}  // namespace kappa::sim
