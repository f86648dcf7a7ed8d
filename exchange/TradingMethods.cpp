// The private trading and account methods of RpcDispatcher: order entry, edits, cancels, order and
// trade queries, positions, the account summary and cancel-on-disconnect.
#include <algorithm>
#include <cmath>
#include <set>

#include "RpcDispatcher.hpp"
#include "core/Clock.hpp"

namespace kappa::exchange {
namespace {
std::string fixedText(std::int64_t v) { return formatTrimmed(v); }
}  // namespace

void RpcDispatcher::checkNotLocked() const {
  if (faults_.locked) throw RpcError(deribit::kTemporarilyUnavailable, {{"reason", "platform_locked"}});
}

Qty RpcDispatcher::amountParam(Call& c, const Instrument& inst) const {
  double amount = 0;
  if (c.p.has("amount") && c.p.has("contracts") &&
      std::abs(c.p.num("contracts") * inst.contractSize - c.p.num("amount")) > 1e-9)
    throw invalidParam("contracts", "amount and contracts disagree");
  if (c.p.has("amount"))
    amount = c.p.num("amount");
  else if (c.p.has("contracts"))
    amount = c.p.num("contracts") * inst.contractSize;
  else
    throw RpcError(deribit::kInvalidParams, {{"param", "amount"}, {"reason", "missing"}});
  if (!std::isfinite(amount) || amount <= 0) throw invalidParam("amount", "must be positive");
  const Qty qty = toFixed(amount);
  if (qty < inst.minQty)
    throw RpcError(deribit::kQtyTooLow, {{"param", "amount"}, {"reason", "minimum is " + fixedText(inst.minQty)}});
  if (qty % inst.minQty != 0)
    throw RpcError(deribit::kInvalidAmount,
                   {{"param", "amount"}, {"reason", "must be a multiple of " + fixedText(inst.minQty)}});
  if (inst.maxQty && qty > inst.maxQty)
    throw RpcError(deribit::kInvalidAmount, {{"param", "amount"}, {"reason", "maximum is " + fixedText(inst.maxQty)}});
  return qty;
}

Price RpcDispatcher::priceParam(Call& c, const Instrument& inst) const {
  const double price = c.p.num("price");
  if (!std::isfinite(price) || price <= 0) throw RpcError(deribit::kInvalidPrice, {{"param", "price"}, {"reason", "must be positive"}});
  const Price p = toFixed(price);
  if (p % inst.tickSize != 0)
    throw RpcError(deribit::kPriceWrongTick,
                   {{"param", "price"}, {"reason", "must be a multiple of the tick size " + fixedText(inst.tickSize)}});
  return p;
}

nlohmann::json RpcDispatcher::orderResult(const OrderRecord& o, std::size_t firstTrade) {
  nlohmann::json trades = nlohmann::json::array();
  const Account& a = accounts_.get(o.account);
  const auto& idx = accounts_.tradesOfOrder(o.simId);
  for (std::size_t i = firstTrade; i < idx.size(); ++i) trades.push_back(accounts_.tradeJson(a, a.trades[idx[i]]));
  return {{"order", accounts_.orderJson(o)}, {"trades", std::move(trades)}};
}

nlohmann::json RpcDispatcher::place(Call& c, Side side) {
  checkNotLocked();
  const Instrument& inst = instrumentParam(c);
  Qty qty = amountParam(c, inst);
  const std::string type = c.p.strOr("type", "limit");
  if (type != "limit" && type != "market")
    throw RpcError(deribit::kNotImplemented, {{"param", "type"}, {"reason", "only limit and market orders are supported"}});
  const bool market = type == "market";
  Price price = market ? 0 : priceParam(c, inst);
  // good_til_day rests like good_til_cancelled: the simulated market has no trading sessions.
  const std::string tif = c.p.strOr("time_in_force", "good_til_cancelled");
  if (tif != "good_til_cancelled" && tif != "good_til_day" && tif != "immediate_or_cancel" && tif != "fill_or_kill")
    throw invalidParam("time_in_force", "must be good_til_cancelled, good_til_day, immediate_or_cancel or fill_or_kill");
  const bool resting = tif == "good_til_cancelled" || tif == "good_til_day";
  const bool postOnly = c.p.flag("post_only");
  const bool rejectPostOnly = c.p.flag("reject_post_only");
  const bool reduceOnly = c.p.flag("reduce_only");
  if ((postOnly || rejectPostOnly) && (market || !resting))
    throw invalidParam("post_only", "only for good_til_cancelled limit orders");
  const std::string label = c.p.strOr("label", "");
  if (label.size() > 64) throw invalidParam("label", "at most 64 characters");

  Account& acct = account(c);
  if (reduceOnly) {
    // Reduce-only never opens or adds: it is cut to the position it reduces (Deribit does the same).
    const auto it = acct.positions.find(inst.id);
    const Qty pos = it == acct.positions.end() ? 0 : it->second.size;
    const bool reduces = side == Side::Buy ? pos < 0 : pos > 0;
    if (!reduces)
      throw RpcError(deribit::kOtherReject, {{"param", "reduce_only"}, {"reason", "reduce_only order would increase the position"}});
    qty = std::min(qty, std::abs(pos) / inst.minQty * inst.minQty);
    if (qty <= 0) throw RpcError(deribit::kQtyTooLow, {{"param", "amount"}, {"reason", "position smaller than the minimum"}});
  }

  const OrderBook& book = market_.book(inst.id);
  const Level* opp = side == Side::Buy ? book.bestAsk() : book.bestBid();
  if (market && !opp) throw RpcError(deribit::kOtherReject, {{"reason", "no liquidity for a market order"}});
  if (postOnly && opp && (side == Side::Buy ? price >= opp->price : price <= opp->price)) {
    if (rejectPostOnly) throw RpcError(deribit::kPostOnlyReject, {{"reason", "post_only order would take liquidity"}});
    // Deribit moves a crossing post-only order to one tick inside the other side.
    price = side == Side::Buy ? opp->price - inst.tickSize : opp->price + inst.tickSize;
    if (price <= 0) throw RpcError(deribit::kPostOnlyReject, {{"reason", "post_only order would take liquidity"}});
  }

  OrderRecord probe;
  probe.account = acct.id;
  probe.instrument = inst.id;
  probe.side = side;
  probe.market = market;
  probe.price = market ? (opp ? opp->price : 0) : price;
  probe.amount = qty;
  if (!reduceOnly) {
    const MarginFigures m = accounts_.margin(acct, inst.settleCurrency, &probe);
    if (m.available() < 0)
      throw RpcError(deribit::kNotEnoughFunds, {{"reason", "initial margin would exceed equity"},
                                                 {"available_funds", m.available()}});
  }

  OrderRecord& o = accounts_.create(acct.id, inst.id);
  o.session = c.s.id;
  o.label = label;
  o.side = side;
  o.market = market;
  o.timeInForce = market && resting ? "immediate_or_cancel" : tif;
  o.postOnly = postOnly;
  o.rejectPostOnly = rejectPostOnly;
  o.reduceOnly = reduceOnly;
  o.price = price;
  o.amount = qty;

  if (tif == "fill_or_kill" && market_.liquidity(inst.id, side, price, market) < qty) {
    // Not fillable at once in full: killed without touching the book.
    o.state = OrdState::Cancelled;
    hub_.onOrderUpdate(o, nullptr);
    return orderResult(o, 0);
  }

  OrderRequest req;
  req.instrument = inst.id;
  req.side = side;
  req.type = market ? OrderType::Market : OrderType::Limit;
  req.tif = resting && !market ? TimeInForce::GoodTillCancel : TimeInForce::ImmediateOrCancel;
  req.postOnly = postOnly;
  req.price = price;
  req.qty = qty;
  req.tag = label;
  const OrderId simId = o.simId;
  market_.submit(simId, req);
  OrderRecord* done = accounts_.bySim(simId);
  if (done->state == OrdState::Rejected)
    throw RpcError(deribit::kOtherReject, {{"reason", done->rejectReason}});
  if (market && done->filled > 0) done->price = Price(std::llround(done->filledValue / toDouble(done->filled) * 1e8));
  return orderResult(*done, 0);
}

nlohmann::json RpcDispatcher::editOrder(Call& c, OrderRecord& o) {
  checkNotLocked();
  if (!o.open()) throw RpcError(deribit::kNotOpenOrder);
  const Instrument& inst = market_.instruments()[o.instrument];
  const Qty amount = amountParam(c, inst);
  if (amount <= o.filled)
    throw RpcError(deribit::kInvalidAmount, {{"param", "amount"}, {"reason", "must exceed the filled amount"}});
  Price price = c.p.has("price") && !o.market ? priceParam(c, inst) : o.price;
  const bool postOnly = c.p.flag("post_only", o.postOnly);
  const bool rejectPostOnly = c.p.flag("reject_post_only", o.rejectPostOnly);
  const OrderBook& book = market_.book(inst.id);
  const Level* opp = o.side == Side::Buy ? book.bestAsk() : book.bestBid();
  if (postOnly && opp && (o.side == Side::Buy ? price >= opp->price : price <= opp->price)) {
    if (rejectPostOnly) throw RpcError(deribit::kPostOnlyReject, {{"reason", "post_only order would take liquidity"}});
    price = o.side == Side::Buy ? opp->price - inst.tickSize : opp->price + inst.tickSize;
  }
  const std::size_t firstTrade = accounts_.tradesOfOrder(o.simId).size();
  const OrderId simId = o.simId;
  o.rejectReason.clear();
  market_.replace(simId, price, amount - o.filled);
  OrderRecord* done = accounts_.bySim(simId);
  // Only the simulator's CancelReject sets the reason during a replace: nothing was changed.
  if (!done->rejectReason.empty()) throw RpcError(deribit::kOtherReject, {{"reason", done->rejectReason}});
  return orderResult(*done, firstTrade);
}

nlohmann::json RpcDispatcher::edit(Call& c) {
  OrderRecord* o = accounts_.find(c.account, c.p.str("order_id"));
  if (!o) throw RpcError(deribit::kOrderNotFound);
  return editOrder(c, *o);
}

nlohmann::json RpcDispatcher::editByLabel(Call& c) {
  const std::string label = c.p.str("label");
  const Instrument& inst = instrumentParam(c);
  std::vector<OrderRecord*> hits;
  for (OrderRecord* o : accounts_.openOrdersOf(c.account))
    if (o->label == label && o->instrument == inst.id) hits.push_back(o);
  if (hits.empty()) throw RpcError(deribit::kOrderNotFound);
  if (hits.size() > 1) throw invalidParam("label", "more than one open order has this label");
  return editOrder(c, *hits.front());
}

std::size_t RpcDispatcher::cancelWhere(int account, const std::function<bool(const OrderRecord&)>& pick,
                                       const char* reason) {
  std::vector<OrderId> ids;
  for (OrderRecord* o : accounts_.openOrdersOf(account))
    if (pick(*o)) ids.push_back(o->simId);
  std::size_t n = 0;
  for (OrderId id : ids) {
    OrderRecord* o = accounts_.bySim(id);
    if (!o || !o->open()) continue;
    o->pendingCancelReason = reason;
    market_.cancel(id);
    if (!accounts_.bySim(id)->open()) ++n;
  }
  return n;
}

nlohmann::json RpcDispatcher::cancel(Call& c) {
  OrderRecord* o = accounts_.find(c.account, c.p.str("order_id"));
  if (!o) throw RpcError(deribit::kOrderNotFound);
  if (!o->open()) throw RpcError(deribit::kNotOpenOrder);
  const OrderId simId = o->simId;
  o->pendingCancelReason = "user_request";
  market_.cancel(simId);
  OrderRecord* done = accounts_.bySim(simId);
  if (done->open()) throw RpcError(deribit::kOtherReject, {{"reason", done->rejectReason}});
  return accounts_.orderJson(*done);
}

nlohmann::json RpcDispatcher::cancelAll(Call& c) {
  return cancelWhere(c.account, [](const OrderRecord&) { return true; }, "user_request");
}

nlohmann::json RpcDispatcher::cancelAllByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  return cancelWhere(c.account,
                     [&](const OrderRecord& o) {
                       const Instrument& inst = market_.instruments()[o.instrument];
                       return inst.baseCurrency == cur && kindMatches(inst, kind);
                     },
                     "user_request");
}

nlohmann::json RpcDispatcher::cancelAllByInstrument(Call& c) {
  const InstrumentId id = instrumentParam(c).id;
  return cancelWhere(c.account, [id](const OrderRecord& o) { return o.instrument == id; }, "user_request");
}

nlohmann::json RpcDispatcher::cancelByLabel(Call& c) {
  const std::string label = c.p.str("label");
  const std::string cur = c.p.has("currency") ? currencyParam(c, false) : "";
  return cancelWhere(c.account,
                     [&](const OrderRecord& o) {
                       return o.label == label && (cur.empty() || market_.instruments()[o.instrument].baseCurrency == cur);
                     },
                     "user_request");
}

namespace {
// A parameter that is one name or a list of names ("any" or absent = everything).
std::set<std::string> nameSet(const Params& p, const char* key, bool upperCase) {
  std::set<std::string> out;
  if (!p.has(key)) return out;
  const nlohmann::json& v = p.raw()[key];
  const auto add = [&](const nlohmann::json& item) {
    if (!item.is_string()) throw invalidParam(key, "must be a name or a list of names");
    std::string s = item.get<std::string>();
    if (upperCase)
      for (auto& ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    out.insert(s);
  };
  if (v.is_array())
    for (const auto& item : v) add(item);
  else
    add(v);
  if (out.count("any") || out.count("ANY")) out.clear();
  return out;
}
}  // namespace

nlohmann::json RpcDispatcher::cancelAllByKindOrType(Call& c) {
  const std::set<std::string> currencies = nameSet(c.p, "currency", true);
  const std::set<std::string> kinds = nameSet(c.p, "kind", false);
  return cancelWhere(c.account,
                     [&](const OrderRecord& o) {
                       const Instrument& inst = market_.instruments()[o.instrument];
                       return (currencies.empty() || currencies.count(inst.baseCurrency)) &&
                              (kinds.empty() || kinds.count(MarketState::kindName(inst)));
                     },
                     "user_request");
}

nlohmann::json RpcDispatcher::closePosition(Call& c) {
  // A reduce-only order for the whole position, on the other side.
  const Instrument& inst = instrumentParam(c);
  const Account& a = account(c);
  const auto it = a.positions.find(inst.id);
  const Qty size = it == a.positions.end() ? 0 : it->second.size;
  if (size == 0) throw RpcError(deribit::kOtherReject, {{"reason", "no position to close"}});
  nlohmann::json params = c.p.raw();
  params["amount"] = toDouble(std::abs(size));
  params["reduce_only"] = true;
  params.erase("contracts");
  Call inner{c.s, c.method, Params(params), c.http, c.account, false, false, {}};
  return place(inner, size > 0 ? Side::Sell : Side::Buy);
}

nlohmann::json RpcDispatcher::getOpenOrdersByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  nlohmann::json out = nlohmann::json::array();
  for (OrderRecord* o : accounts_.openOrdersOf(c.account)) {
    const Instrument& inst = market_.instruments()[o->instrument];
    if (inst.baseCurrency == cur && kindMatches(inst, kind)) out.push_back(accounts_.orderJson(*o));
  }
  return out;
}

nlohmann::json RpcDispatcher::getOpenOrdersByInstrument(Call& c) {
  const InstrumentId id = instrumentParam(c).id;
  nlohmann::json out = nlohmann::json::array();
  for (OrderRecord* o : accounts_.openOrdersOf(c.account))
    if (o->instrument == id) out.push_back(accounts_.orderJson(*o));
  return out;
}

nlohmann::json RpcDispatcher::getOrderState(Call& c) {
  OrderRecord* o = accounts_.find(c.account, c.p.str("order_id"));
  if (!o) throw RpcError(deribit::kOrderNotFound);
  return accounts_.orderJson(*o);
}

nlohmann::json RpcDispatcher::getOrderStateByLabel(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string label = c.p.str("label");
  nlohmann::json out = nlohmann::json::array();
  for (OrderRecord* o : accounts_.ordersOf(c.account))
    if (o->label == label && market_.instruments()[o->instrument].baseCurrency == cur) out.push_back(accounts_.orderJson(*o));
  return out;
}

nlohmann::json RpcDispatcher::orderHistory(Call& c, const std::function<bool(const Instrument&)>& pick) {
  // Closed orders, newest first; fully unfilled ones only with include_unfilled (as Deribit).
  const double count = c.p.numOr("count", 20);
  const double offset = c.p.numOr("offset", 0);
  if (count < 1 || count > 1000 || offset < 0) throw invalidParam("count", "count must be 1 to 1000, offset not negative");
  const bool unfilled = c.p.flag("include_unfilled");
  std::vector<OrderRecord*> orders = accounts_.ordersOf(c.account);
  std::reverse(orders.begin(), orders.end());
  nlohmann::json out = nlohmann::json::array();
  std::size_t skipped = 0;
  for (OrderRecord* o : orders) {
    if (o->open() || (!unfilled && o->filled == 0) || !pick(market_.instruments()[o->instrument])) continue;
    if (skipped++ < std::size_t(offset)) continue;
    out.push_back(accounts_.orderJson(*o));
    if (out.size() >= std::size_t(count)) break;
  }
  return out;
}

nlohmann::json RpcDispatcher::getOrderHistoryByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  return orderHistory(c, [&](const Instrument& inst) { return inst.baseCurrency == cur && kindMatches(inst, kind); });
}

nlohmann::json RpcDispatcher::getOrderHistoryByInstrument(Call& c) {
  const InstrumentId id = instrumentParam(c).id;
  return orderHistory(c, [id](const Instrument& inst) { return inst.id == id; });
}

namespace {
// Deribit's trade ids are "123" (BTC) or "ETH-123": the number is what orders them.
std::uint64_t tradeNumber(const std::string& id) {
  const auto dash = id.rfind('-');
  try {
    return std::stoull(dash == std::string::npos ? id : id.substr(dash + 1));
  } catch (...) {
    throw invalidParam("start_id", "not a trade id");
  }
}
}  // namespace

nlohmann::json RpcDispatcher::getUserTradesByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  const std::uint64_t startId = c.p.has("start_id") ? tradeNumber(c.p.str("start_id")) : 0;
  const std::uint64_t endId = c.p.has("end_id") ? tradeNumber(c.p.str("end_id")) : UINT64_MAX;
  const double count = c.p.numOr("count", 10);
  if (count < 1 || count > 1000) throw invalidParam("count", "must be 1 to 1000");
  const std::string sorting = c.p.strOr("sorting", "default");
  if (sorting != "default" && sorting != "asc" && sorting != "desc") throw invalidParam("sorting", "must be asc, desc or default");
  // With start_id the natural reading is forwards from it; otherwise the newest first.
  const bool ascending = sorting == "asc" || (sorting == "default" && (c.p.has("start_id") || c.p.has("start_timestamp")));
  const std::int64_t startTs = std::int64_t(c.p.numOr("start_timestamp", 0));
  const std::int64_t endTs = c.p.has("end_timestamp") ? std::int64_t(c.p.num("end_timestamp")) : INT64_MAX;
  const Account& a = account(c);
  std::vector<const UserTrade*> picked;
  for (const UserTrade& t : a.trades) {
    const Instrument& inst = market_.instruments()[t.instrument];
    if (inst.baseCurrency != cur || !kindMatches(inst, kind)) continue;
    if (t.seq < startId || t.seq > endId || t.ts < startTs || t.ts > endTs) continue;
    picked.push_back(&t);
  }
  std::sort(picked.begin(), picked.end(), [ascending](auto* x, auto* y) { return ascending ? x->seq < y->seq : x->seq > y->seq; });
  const std::size_t n = std::min(picked.size(), std::size_t(count));
  nlohmann::json trades = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) trades.push_back(accounts_.tradeJson(a, *picked[i]));
  return {{"trades", std::move(trades)}, {"has_more", picked.size() > n}};
}

nlohmann::json RpcDispatcher::getUserTradesByInstrument(Call& c) {
  const InstrumentId id = instrumentParam(c).id;
  const double count = c.p.numOr("count", 10);
  if (count < 1 || count > 1000) throw invalidParam("count", "must be 1 to 1000");
  const std::uint64_t startSeq = std::uint64_t(c.p.numOr("start_seq", 0));
  const std::uint64_t endSeq = c.p.has("end_seq") ? std::uint64_t(c.p.num("end_seq")) : UINT64_MAX;
  const std::string sorting = c.p.strOr("sorting", "default");
  const bool ascending = sorting == "asc" || (sorting == "default" && (c.p.has("start_seq") || c.p.has("start_timestamp")));
  const Account& a = account(c);
  std::vector<const UserTrade*> picked;
  const std::int64_t startTs = std::int64_t(c.p.numOr("start_timestamp", 0));
  const std::int64_t endTs = c.p.has("end_timestamp") ? std::int64_t(c.p.num("end_timestamp")) : INT64_MAX;
  for (const UserTrade& t : a.trades)
    if (t.instrument == id && t.instrumentSeq >= startSeq && t.instrumentSeq <= endSeq && t.ts >= startTs && t.ts <= endTs)
      picked.push_back(&t);
  std::sort(picked.begin(), picked.end(), [ascending](auto* x, auto* y) { return ascending ? x->seq < y->seq : x->seq > y->seq; });
  const std::size_t n = std::min(picked.size(), std::size_t(count));
  nlohmann::json trades = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) trades.push_back(accounts_.tradeJson(a, *picked[i]));
  return {{"trades", std::move(trades)}, {"has_more", picked.size() > n}};
}

nlohmann::json RpcDispatcher::getUserTradesByOrder(Call& c) {
  OrderRecord* o = accounts_.find(c.account, c.p.str("order_id"));
  if (!o) throw RpcError(deribit::kOrderNotFound);
  const Account& a = account(c);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i : accounts_.tradesOfOrder(o->simId)) out.push_back(accounts_.tradeJson(a, a.trades[i]));
  if (c.p.strOr("sorting", "default") == "desc") std::reverse(out.begin(), out.end());
  return out;
}

nlohmann::json RpcDispatcher::getPositions(Call& c) {
  const std::string cur = c.p.has("currency") ? currencyParam(c) : "ANY";
  const std::string kind = c.p.strOr("kind", "");
  const Account& a = account(c);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, p] : a.positions) {
    const Instrument& inst = market_.instruments()[id];
    if ((cur == "ANY" || inst.baseCurrency == cur) && kindMatches(inst, kind)) out.push_back(accounts_.positionJson(a, id));
  }
  return out;
}

nlohmann::json RpcDispatcher::getPosition(Call& c) { return accounts_.positionJson(account(c), instrumentParam(c).id); }

nlohmann::json RpcDispatcher::limitsJson() const {
  const RateLimit me = limiter_.matching(), other = limiter_.other();
  return {{"limits_per_currency", false},
          {"non_matching_engine", {{"rate", other.perSecond}, {"burst", other.burst}}},
          {"matching_engine", {{"trading", {{"total", {{"rate", me.perSecond}, {"burst", me.burst}}}}}}}};
}

nlohmann::json RpcDispatcher::getAccountSummary(Call& c) {
  const std::string cur = currencyParam(c, false);
  nlohmann::json j = accounts_.summaryJson(account(c), cur);
  j["limits"] = limitsJson();
  return j;
}

nlohmann::json RpcDispatcher::getAccountSummaries(Call& c) {
  const Account& a = account(c);
  nlohmann::json summaries = nlohmann::json::array();
  for (const std::string& cur : market_.currencies()) {
    nlohmann::json j = accounts_.summaryJson(a, cur);
    j["limits"] = limitsJson();
    summaries.push_back(std::move(j));
  }
  return {{"id", a.id}, {"username", a.clientId}, {"system_name", a.clientId}, {"type", "main"},
          {"summaries", std::move(summaries)}};
}

// private/enable_ and disable_cancel_on_disconnect: the same switch, on or off.
nlohmann::json RpcDispatcher::setCod(Call& c, bool on) {
  const std::string scope = c.p.strOr("scope", "connection");
  if (scope == "account") {
    account(c).cancelOnDisconnectAccount = on;
  } else if (scope == "connection") {
    if (c.http) throw RpcError(deribit::kMustBeWebsocketRequest);
    c.s.cancelOnDisconnect = on;
  } else {
    throw invalidParam("scope", "must be connection or account");
  }
  return "ok";
}

nlohmann::json RpcDispatcher::getCod(Call& c) {
  const std::string scope = c.p.strOr("scope", "connection");
  if (scope != "connection" && scope != "account") throw invalidParam("scope", "must be connection or account");
  const bool enabled = scope == "account" ? account(c).cancelOnDisconnectAccount : c.s.cancelOnDisconnect;
  return {{"scope", scope}, {"enabled", enabled}};
}

}  // namespace kappa::exchange
