#include "oms/OrderManager.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/Log.hpp"
#include "journal/Journal.hpp"
#include "venue/Venue.hpp"

namespace kappa {
namespace {
constexpr std::size_t kMaxRecentFills = 1000;
}

namespace {
// Bytes per order in a deque of Orders, with room for the deque's block map and headers.
constexpr std::size_t kArenaBytesPerOrder = 2 * sizeof(Order);

std::unique_ptr<std::byte[]> touchedArena(std::size_t bytes) {
  std::unique_ptr<std::byte[]> a(new std::byte[bytes]);
  std::memset(a.get(), 0, bytes);  // fault every page in now, not on the engine thread later
  return a;
}
}  // namespace

OrderManager::OrderManager(const InstrumentRegistry& instruments, RiskGate& gate, std::size_t reserveOrders)
    : instruments_(instruments),
      gate_(gate),
      arena_(touchedArena(std::max<std::size_t>(reserveOrders, 16) * kArenaBytesPerOrder)),
      arenaResource_(arena_.get(), std::max<std::size_t>(reserveOrders, 16) * kArenaBytesPerOrder),
      orders_(&arenaResource_),
      positions_(instruments.size()) {
  for (InstrumentId i = 0; i < positions_.size(); ++i) positions_[i].instrument = i;
}

Order* OrderManager::lookup(OrderId id) {
  if (id < firstId_ || id >= nextId_) return nullptr;
  return &orders_[id - firstId_];
}

const Order* OrderManager::find(OrderId id) const {
  if (id < firstId_ || id >= nextId_) return nullptr;
  return &orders_[id - firstId_];
}

void OrderManager::changed(Order& order, Nanos now) {
  order.updated = now;
  ++version_;
}

void OrderManager::removeWorking(const Order& order) {
  auto it = std::find(working_.begin(), working_.end(), order.id);
  if (it != working_.end()) {
    *it = working_.back();
    working_.pop_back();
    gate_.limits().onClosed(order);
  }
}

bool journalOrderFact(Journal& journal, JournalKind kind, const Order& o, Nanos ts, Price price, Qty qty, double value,
                      std::string text) {
  JournalRecord r;
  r.kind = kind;
  r.ts = ts;
  r.order = o.id;
  r.instrument = o.request.instrument;
  r.strategy = o.request.strategy;
  r.side = o.request.side;
  r.price = price;
  r.qty = qty;
  r.value = value;
  r.text = std::move(text);
  return journal.append(std::move(r));
}

bool OrderManager::record(int kind, const Order& o, Nanos ts, Price price, Qty qty, double value, const std::string& text) {
  return !journal_ || journalOrderFact(*journal_, JournalKind(kind), o, ts, price, qty, value, text);
}

double OrderManager::openQty(InstrumentId instrument, Side side, OrderId except) const {
  double open = 0;
  for (OrderId id : working_) {
    const Order* o = find(id);
    // An order being cancelled is on its way out: it no longer counts (FLATTEN cancels, then sends).
    if (id != except && !o->cancelRequested && o->request.instrument == instrument && o->request.side == side)
      open += toDouble(o->leaves);
  }
  return open;
}

OrderId OrderManager::submit(const OrderRequest& request, Nanos now) {
  if (idsExhausted()) {  // no order can be made without an id that was never used
    lastReject_ = "order ids exhausted: the last id, " + std::to_string(kMaxOrderId) +
                  ", is taken (ids never repeat; start with a new data directory)";
    ++rejectsTotal_;
    ++version_;
    return 0;
  }
  Order& o = orders_.emplace_back();
  o.id = nextId_++;
  o.request = request;
  o.leaves = request.qty;
  o.created = now;
  ++ordersTotal_;
  RiskDecision d = gate_.check(request, now, *this);
  // The intent is journaled before the order leaves; if it cannot be, the order does not leave.
  if (d.accepted() && journal_ &&
      !record(int(JournalKind::OrderIntent), o, now, request.price, request.qty, 0,
              std::string(nameOf(request.type)) + " " + nameOf(request.tif) + (request.postOnly ? " post-only" : "") +
                  " " + nameOf(request.origin) + (request.tag.empty() ? "" : " " + request.tag)))
    d = {RejectCode::JournalDown, "the journal cannot be written: " + journal_->failure()};
  if (!d.accepted()) {
    // Refused before it left: journaled too, so the audit shows every order of every origin.
    if (d.code != RejectCode::JournalDown)
      record(int(JournalKind::OrderReject), o, now, request.price, request.qty, 0, "refused by the risk gate: " + d.reason);
    o.transition(OrderState::Rejected);
    o.leaves = 0;
    o.reason = d.reason;
    lastReject_ = d.reason;
    ++rejectsTotal_;
    changed(o, now);
    if (listener_) listener_(o, nullptr);
    return o.id;
  }
  working_.push_back(o.id);
  ++sentTotal_;
  gate_.limits().onAccepted(o, now);
  changed(o, now);
  if (Venue* venue = venueOf(request.instrument)) venue->submit(VenueOrder{o.id, request});
  if (listener_) listener_(orders_[o.id - firstId_], nullptr);  // the venue may have answered synchronously
  return o.id;
}

bool OrderManager::cancel(OrderId id, Nanos now, std::string* whyNot, bool limited) {
  Order* o = lookup(id);
  if (!o || !isWorking(o->state)) {
    if (whyNot) *whyNot = o ? std::string("order is ") + nameOf(o->state) : "unknown order";
    return false;
  }
  // One request per order: HALT stops the strategies (which cancel their orders), then cancels
  // everything, and a trader may click as well — all in the same millisecond. While a cancel is
  // on its way the order is as good as asked for; only a cancel unanswered for a while is sent again.
  if (cancelInFlight(*o, now)) return true;
  if (limited) {  // a user's or a strategy's request: the rate limits apply (halted or not)
    const RiskDecision d = gate_.checkCancel(*o, now);
    if (!d.accepted()) {
      if (whyNot) *whyNot = d.reason;
      lastReject_ = d.reason;
      return false;
    }
    gate_.limits().onCancelSent(*o, now);
  }
  o->cancelRequested = true;  // cancels pass halted or not
  o->cancelSentAt = now;
  // "limited": a user's or strategy's request, counted against the daily cancels (also at restart).
  record(int(JournalKind::CancelRequest), *o, now, 0, 0, 0, limited ? "limited" : "");
  changed(*o, now);
  if (Venue* venue = venueOf(o->request.instrument)) venue->cancel(id);
  return true;
}

bool OrderManager::replace(OrderId id, Price newPrice, Qty newQty, Nanos now, std::string* whyNot) {
  Order* o = lookup(id);
  if (!o || !isWorking(o->state) || o->state == OrderState::PendingNew) {
    if (whyNot) *whyNot = o ? std::string("cannot replace an order that is ") + nameOf(o->state) : "unknown order";
    return false;
  }
  if (newQty <= o->filled) {  // nothing would be left to work: that is a cancel, not a modify
    if (whyNot) *whyNot = "new quantity " + formatTrimmed(newQty) + " is not above the " + formatTrimmed(o->filled) + " filled";
    return false;
  }
  OrderRequest modified = o->request;
  modified.price = newPrice;
  modified.qty = newQty;
  // A replace is a new risk decision, in which the order's own quantity is not "already working".
  const RiskDecision d = gate_.check(modified, now, *this, id);
  if (!d.accepted()) {
    if (whyNot) *whyNot = d.reason;
    lastReject_ = d.reason;
    ++rejectsTotal_;
    return false;
  }
  record(int(JournalKind::Replace), *o, now, newPrice, newQty, 0, "requested");
  gate_.limits().onModifySent(*o, now);
  // The OMS speaks in totals (as Deribit's edit does); the venue adapter in what remains open.
  if (Venue* venue = venueOf(o->request.instrument)) venue->replace(id, newPrice, newQty - o->filled);
  return true;
}

std::size_t OrderManager::cancelAll(Nanos now, InstrumentId only) {
  std::size_t sent = 0;
  const std::vector<OrderId> ids = working_;
  for (OrderId id : ids) {
    const Order* o = find(id);
    if (only != kNoInstrument && o->request.instrument != only) continue;
    if (cancelInFlight(*o, now)) continue;  // already asked
    if (cancel(id, now)) ++sent;
  }
  return sent;
}

std::size_t OrderManager::cancelEverything(Nanos now) {
  // Every venue at once, each with its own bulk request; a venue without one (the simulator)
  // gets one cancel per order.
  std::vector<bool> bulk(venues_.size(), false);
  for (std::size_t v = 0; v < venues_.size(); ++v) bulk[v] = venues_[v] && venues_[v]->cancelAllOrders();
  std::size_t asked = 0;
  const std::vector<OrderId> ids = working_;
  for (OrderId id : ids) {
    Order* o = lookup(id);
    if (cancelInFlight(*o, now)) continue;
    const VenueId v = instruments_[o->request.instrument].venue;
    if (v >= bulk.size() || !bulk[v] || o->state == OrderState::PendingNew) {  // by its own request
      // (an order still PendingNew is not at the exchange yet: a bulk cancel could pass it)
      if (cancel(id, now)) ++asked;
      continue;
    }
    o->cancelRequested = true;  // the bulk request covers it; unanswered, a later cancel resends
    o->cancelSentAt = now;
    record(int(JournalKind::CancelRequest), *o, now, 0, 0, 0, "bulk");
    changed(*o, now);
    ++asked;
  }
  return asked;
}

// A fee the venue charged with no fill (an on-chain swap's gas when it reverted, a cancel's
// self-transfer, an approval sent for the order): on the order and on its instrument's position,
// whose PnL (realized + unrealized - fees) then includes it. Booked whatever the order's state
// (a fee is a fact at the venue, like a fill).
void OrderManager::bookFeeWithoutFill(Order& o, double fee) {
  if (fee == 0.0 || !std::isfinite(fee)) return;
  o.fees += fee;
  positions_[o.request.instrument].applyFee(fee);
}

void OrderManager::setUnconfirmed(VenueId venue, const std::vector<VenuePosition>& unconfirmed) {
  for (Position& p : positions_)
    if (p.instrument < instruments_.size() && instruments_[p.instrument].venue == venue) p.unconfirmedQty = 0.0;
  for (const VenuePosition& u : unconfirmed)
    if (u.instrument < positions_.size() && instruments_[u.instrument].venue == venue && std::isfinite(u.qty))
      positions_[u.instrument].unconfirmedQty = u.qty;
  ++version_;
}

void OrderManager::onExecution(const ExecReport& r) {
  Order* o = lookup(r.orderId);
  if (!o) {
    log::warn("oms", "execution report for unknown order " + std::to_string(r.orderId));
    return;
  }
  auto move = [&](OrderState to) {
    if (!o->transition(to)) {
      ++refusedTransitions_;
      log::warn("oms", "order " + std::to_string(o->id) + ": refused transition " + nameOf(o->state) + " -> " +
                           nameOf(to));
      return false;
    }
    return true;
  };
  switch (r.type) {
    case ExecType::Ack:
      o->venueOrderId = r.venueOrderId;
      move(OrderState::Open);
      record(int(JournalKind::OrderAck), *o, r.ts, o->request.price, o->request.qty, 0, {});
      break;
    case ExecType::Reject:
      // value: a fee paid without a fill (an on-chain swap's gas when it reverted in its block).
      record(int(JournalKind::OrderReject), *o, r.ts, o->request.price, o->request.qty, r.fee, r.reason);
      if (move(OrderState::Rejected)) {
        o->reason = r.reason;
        o->leaves = 0;
        lastReject_ = r.reason;
        ++rejectsTotal_;
        removeWorking(*o);
      }
      bookFeeWithoutFill(*o, r.fee);
      break;
    case ExecType::Fill: {
      // A fill is a fact at the venue: it is booked into the position even when it arrives in a
      // state that does not expect it (say, after our cancel was confirmed); that is flagged.
      const bool expected = move(r.leaves == 0 ? OrderState::Filled : OrderState::PartiallyFilled);
      const double prevFilled = toDouble(o->filled);
      o->filled += r.qty;
      o->leaves = r.leaves;
      o->avgFillPrice = (o->avgFillPrice * prevFilled + toDouble(r.price) * toDouble(r.qty)) / toDouble(o->filled);
      o->fees += r.fee;
      if (o->filled > o->request.qty) {
        ++fillAnomalies_;
        log::error("oms", "order " + std::to_string(o->id) + " overfilled: " + formatTrimmed(o->filled) + " of " +
                              formatTrimmed(o->request.qty));
      }
      if (!expected) {
        ++fillAnomalies_;
        o->reason = "fill received while " + std::string(nameOf(o->state)) + ": booked";
      }
      const Instrument& inst = instruments_[o->request.instrument];
      positions_[inst.id].applyFill(inst, o->request.side, toDouble(r.qty), toDouble(r.price), r.fee);
      gate_.limits().onFill(*o, toDouble(r.qty), r.ts);
      const Fill fill{++fillsTotal_, o->id, inst.id, o->request.side, r.price, r.qty, r.fee, r.maker, r.ts};
      record(int(JournalKind::Fill), *o, r.ts, r.price, r.qty, r.fee, r.maker ? "maker" : "taker");
      fills_.push_back(fill);
      if (fills_.size() > kMaxRecentFills) fills_.pop_front();
      if (o->state == OrderState::Filled) removeWorking(*o);
      changed(*o, r.ts);
      if (listener_) listener_(*o, &fill);
      return;
    }
    case ExecType::Cancelled:
      record(int(JournalKind::Cancelled), *o, r.ts, 0, o->filled, r.fee, r.reason);
      if (move(OrderState::Cancelled)) {
        o->reason = r.reason;
        o->leaves = 0;
        removeWorking(*o);
      }
      bookFeeWithoutFill(*o, r.fee);  // an on-chain cancel's self-transfer pays gas
      break;
    case ExecType::Replaced:
      record(int(JournalKind::Replace), *o, r.ts, r.price, o->filled + r.leaves, 0, "confirmed");
      if (move(o->state)) {
        o->request.price = r.price;
        o->leaves = r.leaves;
        o->request.qty = o->filled + r.leaves;
      }
      break;
    case ExecType::CancelReject:
      o->cancelRequested = false;
      o->reason = r.reason;
      break;
  }
  changed(*o, r.ts);
  if (listener_) listener_(*o, nullptr);
}

}  // namespace kappa
