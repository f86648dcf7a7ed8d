#include "venue/binance/BinanceOrderTracker.hpp"

#include <algorithm>
#include <set>

#include "core/Clock.hpp"
#include "venue/binance/BinanceRestAnswers.hpp"

namespace kappa::binance {

void BinanceOrderTracker::add(OrderId id, const OrderRequest& request, const std::string& symbol) {
  Tracked& t = orders_[id];
  t.id = id;
  t.request = request;
  t.symbol = symbol;
  t.price = request.price;
  t.amount = request.qty;
}

void BinanceOrderTracker::adopt(OrderId id) {
  Tracked& t = orders_[id];
  t.id = id;
  t.adopted = true;
}

BinanceOrderTracker::Tracked* BinanceOrderTracker::find(OrderId id) {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

void BinanceOrderTracker::finish(Tracked& o, ExecType type, const std::string& reason, Nanos ts, std::vector<ExecReport>& out) {
  if (o.terminal) return;
  o.terminal = true;
  ExecReport r;
  r.orderId = o.id;
  r.venueOrderId = o.exchangeOrderId;
  r.type = type;
  r.ts = ts;
  r.reason = reason;
  out.push_back(r);
}

namespace {
// The order as the update states it (price, quantity, what is left of it): an Ack or a Replaced.
ExecReport orderReport(OrderId id, const BinanceOrderUpdate& u, ExecType type, Qty filled) {
  ExecReport r;
  r.orderId = id;
  r.venueOrderId = u.exchangeOrderId;
  r.type = type;
  r.price = u.price;
  r.qty = u.origQty;
  r.leaves = std::max<Qty>(0, u.origQty - filled);
  r.ts = u.ts;
  return r;
}
}  // namespace

void BinanceOrderTracker::onOrder(const BinanceOrderUpdate& u, std::vector<ExecReport>& out, Nanos now) {
  const OrderId id = orderIdFromClientId(u.clientOrderId);
  Tracked* o = id ? find(id) : nullptr;
  if (!o || o->terminal) return;
  if (o->symbol.empty()) o->symbol = u.symbol;
  if (u.status == "REJECTED") return finish(*o, ExecType::Reject, "rejected by Binance", u.ts, out);
  o->exchangeOrderId = u.exchangeOrderId;
  if (!o->acked) {
    o->acked = true;
    if (o->adopted) {  // learn what the earlier session sent
      o->request.side = u.side;
      o->price = u.price;
      o->amount = u.origQty;
    }
    out.push_back(orderReport(id, u, ExecType::Ack, u.cumQty));
  }
  // Fills, by the cumulative quantity: a trade from the stream is booked with its price and fee;
  // a cumulative figure without a trade (a REST answer) is held for the stream to bring it.
  if (u.isTrade && u.cumQty > o->filled) {
    ExecReport r;
    r.orderId = id;
    r.venueOrderId = u.exchangeOrderId;
    r.type = ExecType::Fill;
    r.ts = u.ts;
    r.qty = std::min(u.lastQty, u.cumQty - o->filled);
    r.price = u.lastPrice;
    // Commission in USDT is the settlement currency; in another asset (BNB) it is not ours to convert.
    r.fee = u.commissionAsset.empty() || u.commissionAsset == "USDT" ? u.commission : 0.0;
    r.maker = u.maker;
    if (r.qty > 0) {
      o->filled += r.qty;
      o->filledNotional += toDouble(r.price) * toDouble(r.qty);
      r.leaves = std::max<Qty>(0, u.origQty - o->filled);
      out.push_back(r);
    }
  } else if (!u.isTrade && u.cumQty > o->filled && u.cumQty > o->restCum) {
    o->restCum = u.cumQty;
    o->restAvg = u.avgPrice;
    if (o->adopted) {
      // An earlier session's order: what it filled before this session's stream opened, the stream
      // will never bring. Booked now, right after its Ack: the engine asks the venue's positions
      // once it has the order's fills, and a fill held back past that would be counted twice
      // (once in the position's difference, again when it came).
      bookRestFills(*o, u.ts ? u.ts : wallNow(), out);
    } else if (o->restSince == 0) {
      o->restSince = now ? now : monoNow();
    }
  }
  if (o->filled >= o->restCum) o->restSince = 0;  // the stream caught up
  // A modify took effect.
  if (u.origQty > 0 && (u.price != o->price || u.origQty != o->amount) && u.status != "FILLED" && u.status != "CANCELED" &&
      u.status != "EXPIRED" && u.status != "EXPIRED_IN_MATCH") {
    o->price = u.price;
    o->amount = u.origQty;
    out.push_back(orderReport(id, u, ExecType::Replaced, o->filled));
  }
  std::string why;
  if (u.status == "CANCELED") why = "cancelled";
  else if (u.status == "EXPIRED" || u.status == "EXPIRED_IN_MATCH") {
    why = "expired";
    if (u.timeInForce == "GTX") why = "post-only order cancelled: it would have taken liquidity";
    else if (u.timeInForce == "IOC" || u.timeInForce == "FOK") why = "immediate-or-cancel: the rest found no match";
    else if (u.status == "EXPIRED_IN_MATCH") why = "cancelled by self-trade prevention";
  }
  if (!why.empty()) {
    if (o->restCum > o->filled) {  // its fills first
      o->terminalHeld = true;
      o->heldReason = why;
      o->heldTs = u.ts;
    } else {
      finish(*o, ExecType::Cancelled, why, u.ts, out);
    }
  }
  if (o->terminalHeld && o->filled >= o->restCum) finish(*o, ExecType::Cancelled, o->heldReason, o->heldTs, out);
  if (o->filled > 0 && o->amount > 0 && o->filled >= o->amount) o->terminal = true;  // the last fill said it
}

void BinanceOrderTracker::bookRestFills(Tracked& o, Nanos ts, std::vector<ExecReport>& out) {
  if (o.restCum <= o.filled) return;
  ExecReport r;
  r.orderId = o.id;
  r.venueOrderId = o.exchangeOrderId;
  r.type = ExecType::Fill;
  r.ts = ts;
  r.qty = o.restCum - o.filled;
  // The difference at the price that makes the average come out right (no fee: REST does not say).
  const double total = toDouble(o.restAvg) * toDouble(o.restCum);
  const double px = (total - o.filledNotional) / toDouble(r.qty);
  r.price = px > 0 ? toFixed(px) : o.restAvg;
  o.filled += r.qty;
  o.filledNotional += toDouble(r.price) * toDouble(r.qty);
  r.leaves = std::max<Qty>(0, o.amount - o.filled);
  out.push_back(r);
  o.restSince = 0;
}

void BinanceOrderTracker::releaseHeld(Nanos now, Nanos grace, std::vector<ExecReport>& out) {
  for (auto& [id, o] : orders_) {
    if (o.terminal || o.restSince == 0 || now - o.restSince < grace) continue;
    bookRestFills(o, wallNow(), out);
    if (o.terminalHeld) finish(o, ExecType::Cancelled, o.heldReason, o.heldTs, out);
    else if (o.amount > 0 && o.filled >= o.amount) o.terminal = true;
  }
}

void BinanceOrderTracker::reject(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out,
                                 bool notSent) {
  Tracked* o = find(id);
  if (!o) {
    add(id, {}, {});
    o = find(id);
  }
  const std::size_t before = out.size();
  finish(*o, ExecType::Reject, reason, ts, out);
  if (out.size() > before) out.back().notSent = notSent;
}

void BinanceOrderTracker::notFound(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out) {
  Tracked* o = find(id);
  if (!o) return;
  finish(*o, o->acked || o->adopted ? ExecType::Cancelled : ExecType::Reject, reason, ts, out);
}

bool BinanceOrderTracker::holdsRestFills(const std::string& symbol) const {
  for (const auto& [id, o] : orders_)
    if (!o.terminal && o.restSince != 0 && (symbol.empty() || o.symbol == symbol)) return true;
  return false;
}

std::vector<OrderId> BinanceOrderTracker::workingOrders() const {
  std::vector<OrderId> ids;
  for (const auto& [id, o] : orders_)
    if (!o.terminal) ids.push_back(id);
  return ids;
}

std::vector<std::string> BinanceOrderTracker::workingSymbols() const {
  std::set<std::string> s;
  for (const auto& [id, o] : orders_)
    if (!o.terminal && !o.symbol.empty()) s.insert(o.symbol);
  return {s.begin(), s.end()};
}

}  // namespace kappa::binance
