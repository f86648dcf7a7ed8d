#include "sim/MatchingBook.hpp"

namespace kappa::sim {

SimOrder* MatchingBook::allocate() {
  if (!free_.empty()) {
    SimOrder* o = free_.back();
    free_.pop_back();
    *o = SimOrder{};
    return o;
  }
  pool_.emplace_back();
  return &pool_.back();
}

void MatchingBook::release(SimOrder* order) {
  byId_.erase(order->id);
  free_.push_back(order);
}

template <class Book>
Qty MatchingBook::matchAgainst(Book& book, SimOrder& taker, bool market) {
  Qty filled = 0;
  while (taker.qty > 0 && !book.empty()) {
    auto it = book.begin();
    const Price levelPrice = it->first;
    const bool crosses = market || (taker.side == Side::Buy ? levelPrice <= taker.price : levelPrice >= taker.price);
    if (!crosses) break;
    Queue& q = it->second;
    while (taker.qty > 0 && q.head) {
      SimOrder* maker = q.head;
      const Qty traded = maker->qty < taker.qty ? maker->qty : taker.qty;
      maker->qty -= traded;
      taker.qty -= traded;
      q.total -= traded;
      filled += traded;
      sink_.onFill(*maker, taker, levelPrice, traded);
      if (maker->qty == 0) {
        q.head = maker->next;
        if (q.head) q.head->prev = nullptr; else q.tail = nullptr;
        release(maker);
      }
    }
    sink_.onLevel(opposite(taker.side), levelPrice, q.total, false);
    if (!q.head) book.erase(it);
  }
  return filled;
}

template <class Book>
void MatchingBook::rest(Book& book, SimOrder* order) {
  Queue& q = book[order->price];
  order->prev = q.tail;
  order->next = nullptr;
  if (q.tail) q.tail->next = order; else q.head = order;
  q.tail = order;
  q.total += order->qty;
  byId_[order->id] = order;
  sink_.onLevel(order->side, order->price, q.total, q.head == order);
}

MatchingBook::Result MatchingBook::add(const NewOrder& in) {
  Result r;
  const bool crosses = in.side == Side::Buy ? (!asks_.empty() && (in.market || in.price >= asks_.begin()->first))
                                            : (!bids_.empty() && (in.market || in.price <= bids_.begin()->first));
  if (in.postOnly && crosses) {
    r.outcome = AddOutcome::PostOnlyRejected;
    r.remaining = in.qty;
    return r;
  }
  SimOrder taker;
  taker.id = nextId_++;
  taker.owner = in.owner;
  taker.clientId = in.clientId;
  taker.side = in.side;
  taker.price = in.price;
  taker.qty = in.qty;
  r.id = taker.id;
  if (crosses) r.filled = in.side == Side::Buy ? matchAgainst(asks_, taker, in.market) : matchAgainst(bids_, taker, in.market);
  r.remaining = taker.qty;
  if (taker.qty == 0) {
    r.outcome = AddOutcome::Filled;
    return r;
  }
  if (in.market || in.ioc) {
    r.outcome = r.filled == 0 && in.market ? AddOutcome::NoLiquidity : AddOutcome::RemainderCancelled;
    return r;
  }
  SimOrder* o = allocate();
  *o = taker;
  if (o->side == Side::Buy) rest(bids_, o); else rest(asks_, o);
  r.outcome = r.filled > 0 ? AddOutcome::PartiallyFilledRested : AddOutcome::Rested;
  return r;
}

void MatchingBook::unlink(SimOrder* o) {
  auto unlinkFrom = [&](auto& book) {
    auto it = book.find(o->price);
    Queue& q = it->second;
    if (o->prev) o->prev->next = o->next; else q.head = o->next;
    if (o->next) o->next->prev = o->prev; else q.tail = o->prev;
    q.total -= o->qty;
    sink_.onLevel(o->side, o->price, q.total, false);
    if (!q.head) book.erase(it);
  };
  if (o->side == Side::Buy) unlinkFrom(bids_); else unlinkFrom(asks_);
}

bool MatchingBook::cancel(std::uint64_t id, SimOrder* removedOut) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  SimOrder* o = it->second;
  unlink(o);
  if (removedOut) *removedOut = *o;
  release(o);
  return true;
}

bool MatchingBook::modify(std::uint64_t id, Price newPrice, Qty newQty, Result* out) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  SimOrder* o = it->second;
  if (newPrice == o->price && newQty <= o->qty && newQty > 0) {
    // Size decrease at the same price keeps time priority.
    const Qty delta = o->qty - newQty;
    o->qty = newQty;
    auto adjust = [&](auto& book) {
      Queue& q = book.find(o->price)->second;
      q.total -= delta;
      sink_.onLevel(o->side, o->price, q.total, false);
    };
    if (o->side == Side::Buy) adjust(bids_); else adjust(asks_);
    if (out) *out = Result{AddOutcome::Rested, id, 0, newQty};
    return true;
  }
  const SimOrder old = *o;
  unlink(o);
  release(o);
  NewOrder again{old.owner, old.clientId, old.side, newPrice, newQty, false, false, false};
  const Result r = add(again);
  if (out) *out = r;
  return true;
}

const SimOrder* MatchingBook::find(std::uint64_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : it->second;
}

Qty MatchingBook::levelQty(Side side, Price price) const {
  if (side == Side::Buy) {
    auto it = bids_.find(price);
    return it == bids_.end() ? 0 : it->second.total;
  }
  auto it = asks_.find(price);
  return it == asks_.end() ? 0 : it->second.total;
}

void MatchingBook::levels(Side side, std::vector<Level>& out) const {
  out.clear();
  if (side == Side::Buy) {
    for (const auto& [p, q] : bids_) out.push_back({p, q.total});
  } else {
    for (const auto& [p, q] : asks_) out.push_back({p, q.total});
  }
}

}  // namespace kappa::sim
