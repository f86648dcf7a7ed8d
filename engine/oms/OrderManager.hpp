#pragma once
// Order management on the engine thread: every order passes the RiskGate, gets a client id and a
// state machine, goes to the venue, and is updated from execution reports; fills update positions.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <memory_resource>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "journal/JournalRecord.hpp"
#include "oms/Order.hpp"
#include "oms/Position.hpp"
#include "oms/RiskGate.hpp"

namespace kappa {

// A cancel unanswered this long (engine time) may be sent again; before that, asking again for
// the same order sends nothing (one request per order).
constexpr Nanos kCancelResendAfter = 2'000'000'000;
// A cancel of `o` is on its way and not yet due to be sent again.
inline bool cancelInFlight(const Order& o, Nanos now) {
  return o.cancelRequested && now - o.cancelSentAt < kCancelResendAfter;
}

class Venue;
class Journal;
struct VenuePosition;

struct Fill {
  std::uint64_t seq = 0;
  OrderId orderId = 0;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  Price price = 0;
  Qty qty = 0;
  double fee = 0.0;
  bool maker = false;
  Nanos ts = 0;
};

// Appends one fact about an order to the journal (its id, instrument, strategy and side from the
// order; the rest as given). False if it could not be queued.
bool journalOrderFact(Journal& journal, JournalKind kind, const Order& o, Nanos ts, Price price, Qty qty, double value,
                      std::string text);

class OrderManager {
 public:
  // Called on the engine thread after every order change (new, refused, state change, fill) with
  // the order as it now is, and the fill when the change was one.
  using Listener = std::function<void(const Order&, const Fill*)>;

  // `reserveOrders`: how many orders' storage to reserve and touch up front (see orders_).
  OrderManager(const InstrumentRegistry& instruments, RiskGate& gate, std::size_t reserveOrders = 65536);
  // Where orders go: venues[v] for an instrument whose Instrument::venue is v (the engine's list).
  void setVenues(std::vector<Venue*> venues) { venues_ = std::move(venues); }
  void setVenue(Venue* venue) { venues_.assign(1, venue); }
  void setListener(Listener listener) { listener_ = std::move(listener); }
  // Every order fact goes to the journal; an order whose intent cannot be journaled is refused
  // (never trade unrecorded). Engine thread; null = no journal.
  void setJournal(Journal* journal) { journal_ = journal; }
  // Restart: a fill from an earlier session goes into the position (no order, no venue), and order
  // ids continue after the journal's last one. Before the engine starts.
  void restoreFill(const Instrument& inst, Side side, Qty qty, Price price, double fee) {
    positions_[inst.id].applyFill(inst, side, toDouble(qty), toDouble(price), fee);
  }
  // Restart: a fee paid without a fill in an earlier session (an on-chain revert's or cancel's gas).
  void restoreFee(const Instrument& inst, double fee) { positions_[inst.id].applyFee(fee); }
  // Ids are stored by the journal (and by SQLite) as signed 64-bit integers: kMaxOrderId is the
  // last one. Past it there is no id left that was never used, and ids never repeat: every submit
  // is then refused (with no order made) and idsExhausted() says so.
  static constexpr OrderId kMaxOrderId = OrderId(INT64_MAX);
  void continueIdsAfter(OrderId last) {
    nextId_ = last >= kMaxOrderId ? kMaxOrderId + 1 : std::max(nextId_, last + 1);
    firstId_ = nextId_;
  }
  bool idsExhausted() const { return nextId_ > kMaxOrderId; }

  // Returns the new order's id; a refused order is recorded as Rejected with the gate's reason.
  // Returns 0 (no order; lastReject() says why) once the ids are exhausted.
  OrderId submit(const OrderRequest& request, Nanos now);
  // Returns false with a reason if the order is unknown or no longer working, or (`limited`: a
  // user's or a strategy's request) if the cancel rate limits refuse it. The halt's, FLATTEN's and
  // cancel-all's cancels are not limited and not counted: reducing risk must never wait.
  bool cancel(OrderId id, Nanos now, std::string* whyNot = nullptr, bool limited = false);
  bool replace(OrderId id, Price newPrice, Qty newQty, Nanos now, std::string* whyNot = nullptr);
  // Cancels every working order (of one instrument, or all). Returns how many cancels were sent.
  std::size_t cancelAll(Nanos now, InstrumentId only = kNoInstrument);
  // HALT ALL and FLATTEN: every working order, with the venue's bulk request when it has one
  // (Deribit: one cancel_all_by_currency per currency, not one request per order). Orders the
  // venue has not acknowledged yet are also cancelled one by one: a bulk cancel cannot reach an
  // order the exchange has not seen. Without a bulk request, the same as cancelAll(now).
  std::size_t cancelEverything(Nanos now);
  void onExecution(const ExecReport& report);

  const Order* find(OrderId id) const;
  const std::pmr::deque<Order>& orders() const { return orders_; }  // this session's, orders_[id - first id]
  const std::vector<OrderId>& working() const { return working_; }
  const std::vector<Position>& positions() const { return positions_; }
  // The registry grew (an instrument listed while running): a flat position for each new id below
  // `n` (the engine's count: venues add to the registry on their own threads before it knows).
  void grow(std::size_t n) {
    for (InstrumentId i = InstrumentId(positions_.size()); i < n; ++i) positions_.emplace_back().instrument = i;
  }
  // An on-chain venue's fills not yet confirmed, per instrument (its whole set: the venue's other
  // instruments have none). Display only: the fills are booked already.
  void setUnconfirmed(VenueId venue, const std::vector<VenuePosition>& unconfirmed);
  const std::deque<Fill>& recentFills() const { return fills_; }
  std::uint64_t ordersTotal() const { return ordersTotal_; }
  std::uint64_t sentTotal() const { return sentTotal_; }  // orders that passed the gate and left
  std::uint64_t fillsTotal() const { return fillsTotal_; }
  std::uint64_t rejectsTotal() const { return rejectsTotal_; }
  std::uint64_t refusedTransitions() const { return refusedTransitions_; }
  // Fills that arrived in an unexpected state or overfilled an order (booked, and flagged).
  std::uint64_t fillAnomalies() const { return fillAnomalies_; }
  std::uint64_t version() const { return version_; }  // bumps on every change
  const std::string& lastReject() const { return lastReject_; }
  // Quantity still working on one side of an instrument (instrument units), without `except` and
  // without orders whose cancel was requested.
  double openQty(InstrumentId instrument, Side side, OrderId except) const;

 private:
  Order* lookup(OrderId id);
  void changed(Order& order, Nanos now);
  void removeWorking(const Order& order);
  void bookFeeWithoutFill(Order& order, double fee);

  const InstrumentRegistry& instruments_;
  RiskGate& gate_;
  std::vector<Venue*> venues_;
  Venue* venueOf(InstrumentId id) const {
    const VenueId v = instruments_[id].venue;
    return v < venues_.size() ? venues_[v] : nullptr;
  }
  Listener listener_;
  Journal* journal_ = nullptr;
  // Appends one fact about `o` to the journal; false if it could not be queued.
  bool record(int kind, const Order& o, Nanos ts, Price price, Qty qty, double value, const std::string& text);
  // Every order of the session, in id order. Their storage comes from an arena reserved and
  // touched (pre-faulted) at start: a fresh page costs ~10 us to fault in on a VM, and without the
  // arena one order in every dozen or so paid it on the engine thread (BM_TickToOrder's p99).
  std::unique_ptr<std::byte[]> arena_;
  std::pmr::monotonic_buffer_resource arenaResource_;
  std::pmr::deque<Order> orders_;
  std::vector<OrderId> working_;
  std::vector<Position> positions_;
  std::deque<Fill> fills_;
  OrderId nextId_ = 1;
  OrderId firstId_ = 1;  // this session's first id (after a restart: the journal's last + 1)
  std::uint64_t ordersTotal_ = 0, fillsTotal_ = 0, rejectsTotal_ = 0, refusedTransitions_ = 0, version_ = 0;
  std::uint64_t fillAnomalies_ = 0;
  std::uint64_t sentTotal_ = 0;
  std::string lastReject_;
};

}  // namespace kappa
