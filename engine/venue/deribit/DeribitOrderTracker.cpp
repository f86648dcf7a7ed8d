#include "venue/deribit/DeribitOrderTracker.hpp"

#include <algorithm>
#include <charconv>

#include "core/Clock.hpp"
#include "core/Log.hpp"

namespace kappa::deribit {
namespace {

// "ETH-584864807" -> 584864807: the engine keeps the venue's order id as a number.
std::uint64_t numericId(const std::string& s) {
  std::size_t i = s.size();
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;
  std::uint64_t v = 0;
  std::from_chars(s.data() + i, s.data() + s.size(), v);
  return v;
}

// Deribit's cancel_reason in words a trader reads.
std::string cancelReasonText(const std::string& r) {
  if (r.empty() || r == "user_request") return "cancelled";
  if (r == "cancel_on_disconnect") return "cancelled by the exchange: cancel-on-disconnect (our connection dropped)";
  if (r == "autoliquidation") return "cancelled by the exchange: liquidation";
  if (r == "settlement") return "cancelled by the exchange: settlement";
  if (r == "account_locked") return "cancelled by the exchange: the account is locked";
  if (r == "mmp_trigger") return "cancelled by the exchange: market maker protection triggered";
  if (r == "edit_post_only_reject") return "cancelled by the exchange: the edit would have traded a post-only order";
  if (r == "reject_post_only" || r == "post_only_reject") return "post-only order would have traded at once";
  if (r == "immediate_or_cancel" || r == "ioc") return "the rest of an immediate-or-cancel order was cancelled";
  return "cancelled by the exchange: " + r;
}

Nanos tsOr(Nanos ts) { return ts ? ts : wallNow(); }

}  // namespace

OrderId DeribitOrderTracker::idFromLabel(const std::string& label) {
  if (label.empty() || label.size() > 20) return 0;
  OrderId v = 0;
  const auto [p, ec] = std::from_chars(label.data(), label.data() + label.size(), v);
  return ec == std::errc() && p == label.data() + label.size() ? v : 0;
}

void DeribitOrderTracker::add(OrderId id, const OrderRequest& request) {
  Tracked t;
  t.id = id;
  t.request = request;
  t.price = request.price;
  t.amount = request.qty;
  orders_[id] = std::move(t);
}

void DeribitOrderTracker::adopt(OrderId id) {
  if (orders_.count(id)) return;
  Tracked t;
  t.id = id;
  t.adopted = true;
  orders_[id] = std::move(t);
}

DeribitOrderTracker::Tracked* DeribitOrderTracker::find(OrderId id) {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

DeribitOrderTracker::Tracked* DeribitOrderTracker::findByExchangeId(const std::string& exchangeOrderId) {
  auto it = byExchangeId_.find(exchangeOrderId);
  return it == byExchangeId_.end() ? nullptr : find(it->second);
}

DeribitOrderTracker::Tracked* DeribitOrderTracker::resolve(const std::string& exchangeOrderId, const std::string& label) {
  if (Tracked* t = findByExchangeId(exchangeOrderId)) return t;
  const OrderId id = idFromLabel(label);
  Tracked* t = id ? find(id) : nullptr;
  // A label of ours on an order we already know under another exchange id is someone else's
  // (labels are not unique at Deribit): only the first exchange id counts.
  if (t && !t->exchangeOrderId.empty() && t->exchangeOrderId != exchangeOrderId) return nullptr;
  return t;
}

std::vector<OrderId> DeribitOrderTracker::workingOrders() const {
  std::vector<OrderId> ids;
  for (const auto& [id, t] : orders_)
    if (!t.terminal && !t.adopted) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void DeribitOrderTracker::ack(Tracked& o, const std::string& exchangeOrderId, Nanos ts, std::vector<ExecReport>& out) {
  if (o.exchangeOrderId.empty() && !exchangeOrderId.empty()) {
    o.exchangeOrderId = exchangeOrderId;
    byExchangeId_[exchangeOrderId] = o.id;
  }
  if (o.acked) return;
  o.acked = true;
  ExecReport r;
  r.orderId = o.id;
  r.venueOrderId = numericId(o.exchangeOrderId);
  r.type = ExecType::Ack;
  r.price = o.price;
  r.qty = o.amount;
  r.leaves = std::max<Qty>(0, o.amount - o.filled);
  r.ts = tsOr(ts);
  out.push_back(r);
}

void DeribitOrderTracker::finish(Tracked& o, ExecType type, const std::string& reason, Nanos ts,
                                 std::vector<ExecReport>& out) {
  if (o.terminal) return;
  o.terminal = true;
  o.pendingCancel = false;
  ExecReport r;
  r.orderId = o.id;
  r.venueOrderId = numericId(o.exchangeOrderId);
  r.type = type;
  r.leaves = 0;
  r.ts = tsOr(ts);
  r.reason = reason;
  out.push_back(r);
}

void DeribitOrderTracker::reject(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out,
                                 bool notSent) {
  Tracked* o = find(id);
  if (!o || o->terminal) return;
  finish(*o, o->acked ? ExecType::Cancelled : ExecType::Reject, reason, ts, out);
  if (out.back().type == ExecType::Reject) out.back().notSent = notSent;
}

void DeribitOrderTracker::onOrder(const DeribitOrderUpdate& u, std::vector<ExecReport>& out) {
  Tracked* o = resolve(u.exchangeOrderId, u.label);
  if (!o || o->terminal) return;
  const Nanos ts = tsOr(u.ts);
  if (o->adopted) {  // an earlier session's order: its state, with its fills as one aggregate
    o->amount = u.amount;
    if (u.state == DeribitOrderState::Rejected) return finish(*o, ExecType::Reject, cancelReasonText(u.reason), ts, out);
    ack(*o, u.exchangeOrderId, ts, out);
    if (u.filledAmount > o->filled) {
      ExecReport f;
      f.orderId = o->id;
      f.venueOrderId = numericId(u.exchangeOrderId);
      f.type = ExecType::Fill;
      f.price = u.averagePrice;
      f.qty = u.filledAmount - o->filled;
      f.leaves = std::max<Qty>(0, u.amount - u.filledAmount);
      f.ts = ts;
      o->filled = u.filledAmount;
      out.push_back(f);
      if (f.leaves == 0) o->terminal = true;
    }
    if (u.state == DeribitOrderState::Cancelled) finish(*o, ExecType::Cancelled, cancelReasonText(u.reason), ts, out);
    if (u.state == DeribitOrderState::Filled) o->terminal = true;
    return;
  }
  switch (u.state) {
    case DeribitOrderState::Rejected:
      if (!o->acked) return finish(*o, ExecType::Reject, cancelReasonText(u.reason), ts, out);
      return finish(*o, ExecType::Cancelled, cancelReasonText(u.reason), ts, out);
    case DeribitOrderState::Open:
    case DeribitOrderState::Untriggered:
      ack(*o, u.exchangeOrderId, ts, out);
      if ((u.price > 0 && u.price != o->price) || u.amount != o->amount) {
        o->price = u.price > 0 ? u.price : o->price;
        o->amount = u.amount;
        ExecReport r;
        r.orderId = o->id;
        r.venueOrderId = numericId(o->exchangeOrderId);
        r.type = ExecType::Replaced;
        r.price = o->price;
        r.qty = o->amount;
        r.leaves = std::max<Qty>(0, o->amount - o->filled);
        r.ts = ts;
        out.push_back(r);
      }
      return;
    case DeribitOrderState::Filled:
    case DeribitOrderState::Cancelled: {
      ack(*o, u.exchangeOrderId, ts, out);
      if (u.filledAmount > o->filled) {  // its trades are still on their way: they come first
        o->pendingCancel = u.state == DeribitOrderState::Cancelled;
        o->pendingFilledAmount = u.filledAmount;
        o->pendingReason = cancelReasonText(u.reason);
        if (o->pendingSince == 0) o->pendingSince = monoNow();
        if (u.state == DeribitOrderState::Filled) o->amount = std::max(o->amount, u.amount);
        return;
      }
      if (u.state == DeribitOrderState::Cancelled) return finish(*o, ExecType::Cancelled, cancelReasonText(u.reason), ts, out);
      // Filled with every fill already reported: the last fill closed it, unless an edit changed
      // the amount without our knowing; then the order is over all the same.
      if (o->filled < o->amount)
        finish(*o, ExecType::Cancelled, "the exchange closed the order as filled at " + formatTrimmed(u.filledAmount), ts, out);
      o->terminal = true;
      return;
    }
    case DeribitOrderState::Unknown:
      return;
  }
}

void DeribitOrderTracker::onTrade(const DeribitUserTrade& t, std::vector<ExecReport>& out) {
  if (!seenTrades_.insert(t.tradeId).second) return;  // booked already: never twice
  lastTradeTs_ = std::max(lastTradeTs_, t.ts);
  Tracked* o = resolve(t.exchangeOrderId, t.label);
  if (!o) {
    // Another session of the account traded (the exchange's web page, another program): not
    // Kappa's position to book, but the trader must know the account moved under it.
    log::warn("deribit", "a trade on the account that Kappa did not place: " + std::string(t.side == Side::Buy ? "bought " : "sold ") +
                             formatTrimmed(t.amount) + " " + t.instrumentName + " at " + formatTrimmed(t.price) +
                             " (order " + t.exchangeOrderId + ")");
    return;
  }
  if (o->adopted) return;  // an earlier session's (booked from its order state)
  ack(*o, t.exchangeOrderId, t.ts, out);
  o->filled += t.amount;
  ExecReport r;
  r.orderId = o->id;
  r.venueOrderId = numericId(o->exchangeOrderId);
  r.type = ExecType::Fill;
  r.price = t.price;
  r.qty = t.amount;
  r.leaves = std::max<Qty>(0, o->amount - o->filled);
  r.fee = t.fee;
  r.maker = t.maker;
  r.ts = tsOr(t.ts);
  out.push_back(r);
  if (r.leaves == 0) {
    o->terminal = true;
    o->pendingCancel = false;
  } else if (o->pendingCancel && o->filled >= o->pendingFilledAmount) {
    finish(*o, ExecType::Cancelled, o->pendingReason, r.ts, out);
  }
}

void DeribitOrderTracker::releaseStale(Nanos now, Nanos olderThan, std::vector<ExecReport>& out) {
  for (auto& [id, o] : orders_) {
    if (o.terminal || o.pendingSince == 0 || now - o.pendingSince < olderThan) continue;
    log::warn("deribit", "order " + std::to_string(id) + ": the exchange counted " + formatTrimmed(o.pendingFilledAmount) +
                             " filled but only " + formatTrimmed(o.filled) + " arrived as trades; closing it");
    finish(o, ExecType::Cancelled, o.pendingCancel ? o.pendingReason : "filled at the exchange (trades missing)", wallNow(),
           out);
  }
}

}  // namespace kappa::deribit
