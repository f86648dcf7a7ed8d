#include "BinanceTrading.hpp"

#include <algorithm>
#include <cmath>

#include "BinanceErrors.hpp"
#include "Crypto.hpp"

namespace kappa::exchange::binance {
namespace {
constexpr int kDefaultLeverage = 20;
constexpr double kMaintenanceRate = 0.004;

double px(std::int64_t v) { return toDouble(v); }
std::string dec(double v, int d) { return Market::decimal(v, d); }

// A decimal string ("67000.1", "0.001") as fixed point; -1100 for anything else, -1111 past 8 places.
std::int64_t parseDecimal(const std::string& text, const char* name) {
  std::int64_t whole = 0, frac = 0;
  int fracDigits = 0;
  bool dot = false, any = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') throw illegalChars(name);
    any = true;
    if (dot) {
      if (++fracDigits > 8) {
        if (c != '0') throw badPrecision(name);
        continue;
      }
      frac = frac * 10 + (c - '0');
    } else {
      if (whole > 100'000'000'000LL) throw illegalChars(name);
      whole = whole * 10 + (c - '0');
    }
  }
  if (!any) throw illegalChars(name);
  for (int i = std::min(fracDigits, 8); i < 8; ++i) frac *= 10;
  return whole * kFixedScale + frac;
}

Side sideParam(const Request& r) {
  const std::string& s = r.required("side");
  if (s == "BUY") return Side::Buy;
  if (s == "SELL") return Side::Sell;
  throw invalidSide();
}
}  // namespace

Account& Trading::byApiKey(const std::string& key) {
  Account* a = accounts_.byClientId(key);
  if (!a) throw rejectedApiKey();
  return *a;
}

int Trading::leverage(const Account& a, InstrumentId id) const {
  auto it = leverage_.find({a.id, id});
  return it == leverage_.end() ? kDefaultLeverage : it->second;
}

double Trading::orderInitial(const OrderRecord& o) const {
  if (!o.open()) return 0;
  double price = px(o.price);
  if (price <= 0) price = market_.markPrice(o.instrument);
  const Account& a = accounts_.get(o.account);
  return px(o.amount - o.filled) * price / leverage(a, o.instrument);
}

Trading::Figures Trading::figures(const Account& a, const OrderRecord* extra) const {
  Figures f;
  auto bal = a.balance.find("USDT");
  f.wallet = bal == a.balance.end() ? 0.0 : bal->second;
  for (const auto& [id, p] : a.positions) {
    if (p.size == 0 || !market_.isSymbol(id)) continue;
    const double mark = market_.markPrice(id), size = px(p.size);
    f.unrealized += size * (mark - p.avgPrice);
    f.positionInitial += std::abs(size) * mark / leverage(a, id);
    f.maintenance += std::abs(size) * mark * kMaintenanceRate;
  }
  for (const OrderRecord* o : accounts_.openOrdersOf(a.id)) f.orderInitial += orderInitial(*o);
  if (extra) f.orderInitial += orderInitial(*extra);
  return f;
}

const char* Trading::statusOf(const OrderRecord& o) {
  switch (o.state) {
    case OrdState::Open:
      return o.filled > 0 ? "PARTIALLY_FILLED" : "NEW";
    case OrdState::Filled:
      return "FILLED";
    case OrdState::Rejected:
      return "REJECTED";
    case OrdState::Cancelled:
      // A remainder the order's own terms ended (IOC, FOK, a market order's) expired; a cancel
      // someone asked for is CANCELED.
      return o.cancelReason.empty() && (o.market || o.timeInForce != "GTC") ? "EXPIRED" : "CANCELED";
  }
  return "NEW";
}

nlohmann::json Trading::orderJson(const OrderRecord& o) const {
  const Instrument& inst = market_.state().instruments()[o.instrument];
  const double avg = o.filled ? o.filledValue / px(o.filled) : 0.0;
  const char* type = o.market ? "MARKET" : "LIMIT";
  return {{"orderId", o.simId},
          {"symbol", inst.name},
          {"status", statusOf(o)},
          {"clientOrderId", o.label},
          {"price", Market::price(inst, o.market ? 0 : o.price)},
          {"avgPrice", dec(avg, 8)},
          {"origQty", Market::qty(inst, o.amount)},
          {"executedQty", Market::qty(inst, o.filled)},
          {"cumQty", Market::qty(inst, o.filled)},
          {"cumQuote", dec(o.filledValue, 5)},
          {"timeInForce", o.timeInForce},
          {"type", type},
          {"reduceOnly", o.reduceOnly},
          {"closePosition", false},
          {"side", o.side == Side::Buy ? "BUY" : "SELL"},
          {"positionSide", "BOTH"},
          {"stopPrice", "0.00"},
          {"workingType", "CONTRACT_PRICE"},
          {"priceProtect", false},
          {"origType", type},
          {"priceMatch", "NONE"},
          {"selfTradePreventionMode", "EXPIRE_MAKER"},
          {"goodTillDate", 0},
          {"time", o.created},
          {"updateTime", o.updated}};
}

nlohmann::json Trading::newOrder(Account& a, const Request& r) {
  const Instrument& inst = market_.symbol(r.required("symbol"));
  const Side side = sideParam(r);
  const std::string& type = r.required("type");
  if (type != "LIMIT" && type != "MARKET") throw invalidOrderType();
  const bool market = type == "MARKET";
  std::string tif = market ? "GTC" : r.required("timeInForce");
  if (tif != "GTC" && tif != "IOC" && tif != "FOK" && tif != "GTX") throw invalidTif();
  if (r.getOr("positionSide", "BOTH") != "BOTH") throw ApiError(400, -4061, "Order's position side does not match user's setting.");
  const bool reduceOnly = r.getOr("reduceOnly", "false") == "true";
  // A symbol that is no longer TRADING (delist fault: SETTLING, CLOSE, ...) takes no order that
  // opens or grows a position, as Binance refuses with -4140; reduce-only ones still go through.
  if (market_.status(inst.id) != "TRADING" && !reduceOnly) throw invalidOpeningPositionStatus();

  const Qty qty = parseDecimal(r.required("quantity"), "quantity");
  if (qty <= 0) throw quantityTooSmall();
  if (qty % inst.minQty != 0) throw filterFailure("LOT_SIZE");
  if (qty < inst.minQty) throw filterFailure("LOT_SIZE");
  if (qty > (market ? Market::marketMaxQty(inst) : inst.maxQty)) throw filterFailure(market ? "MARKET_LOT_SIZE" : "LOT_SIZE");
  Price price = 0;
  if (!market) {
    price = parseDecimal(r.required("price"), "price");
    if (price <= 0) throw priceLessThanZero();
    if (price % inst.tickSize != 0) throw priceNotIncreasedByTick();
  } else if (r.has("price")) {
    throw ApiError(400, -1106, "Parameter 'price' sent when not required.");
  }

  std::string clientId = r.getOr("newClientOrderId", "");
  if (clientId.empty()) clientId = "kx" + randomToken(10);
  if (clientId.size() > 36) throw illegalParam("newClientOrderId");
  if (auto it = byClientId_.find({a.id, clientId}); it != byClientId_.end()) {
    const OrderRecord* prev = accounts_.bySim(it->second);
    if (prev && prev->open()) throw duplicateClientOrderId();
  }

  const OrderBook& book = market_.state().book(inst.id);
  const Level* opp = side == Side::Buy ? book.bestAsk() : book.bestBid();
  const double refPrice = market ? (opp ? px(opp->price) : market_.markPrice(inst.id)) : px(price);
  const Position* pos = nullptr;
  if (auto it = a.positions.find(inst.id); it != a.positions.end()) pos = &it->second;
  const Qty posSize = pos ? pos->size : 0;
  if (reduceOnly) {
    // May only shrink the position: the side must be against it and not larger than it.
    if (posSize == 0 || (side == Side::Buy) == (posSize > 0) || qty > std::abs(posSize)) throw reduceOnlyRejected();
  } else if (px(qty) * refPrice < std::stod(Market::minNotional(inst))) {
    throw minNotional(Market::minNotional(inst));
  }
  if (tif == "GTX" && opp && (side == Side::Buy ? price >= opp->price : price <= opp->price)) throw gtxRejected();

  OrderRecord probe;
  probe.account = a.id;
  probe.instrument = inst.id;
  probe.side = side;
  probe.market = market;
  probe.price = market ? (opp ? opp->price : 0) : price;
  probe.amount = qty;
  if (!reduceOnly && figures(a, &probe).available() < 0) throw marginInsufficient();
  if (tif == "FOK" && market_.state().liquidity(inst.id, side, price, market) < qty) throw fokRejected();
  if (market && !opp) throw ApiError(400, -2020, "Unable to fill.");

  OrderRecord& o = accounts_.create(a.id, inst.id);
  o.label = clientId;
  o.side = side;
  o.market = market;
  o.timeInForce = tif;
  o.postOnly = tif == "GTX";
  o.reduceOnly = reduceOnly;
  o.price = price;
  o.amount = qty;
  byClientId_[{a.id, clientId}] = o.simId;

  OrderRequest req;
  req.instrument = inst.id;
  req.side = side;
  req.type = market ? OrderType::Market : OrderType::Limit;
  req.tif = tif == "GTC" || tif == "GTX" ? TimeInForce::GoodTillCancel : TimeInForce::ImmediateOrCancel;
  req.postOnly = tif == "GTX";
  req.reduceOnly = reduceOnly;
  req.price = price;
  req.qty = qty;
  req.tag = clientId;
  const OrderId simId = o.simId;
  market_.state().submit(simId, req);
  OrderRecord* done = accounts_.bySim(simId);
  if (done->state == OrdState::Rejected) {
    if (done->rejectReason.find("post-only") != std::string::npos) throw gtxRejected();
    throw ApiError(400, -1000, done->rejectReason);
  }
  return orderJson(*done);
}

OrderRecord& Trading::findOrder(Account& a, const Request& r) {
  market_.symbol(r.required("symbol"));
  OrderRecord* o = nullptr;
  if (r.has("orderId")) {
    const long long id = r.integer("orderId");
    o = id > 0 ? accounts_.bySim(OrderId(id)) : nullptr;
  } else if (auto cid = r.get("origClientOrderId")) {
    auto it = byClientId_.find({a.id, *cid});
    if (it != byClientId_.end()) o = accounts_.bySim(it->second);
  } else {
    throw ApiError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  }
  if (!o || o->account != a.id || !market_.isSymbol(o->instrument) ||
      market_.state().instruments()[o->instrument].name != r.required("symbol"))
    throw unknownOrder();
  return *o;
}

nlohmann::json Trading::queryOrder(Account& a, const Request& r) { return orderJson(findOrder(a, r)); }

nlohmann::json Trading::cancelOrder(Account& a, const Request& r) {
  OrderRecord& o = findOrder(a, r);
  if (!o.open()) throw unknownOrder();
  const OrderId simId = o.simId;
  o.pendingCancelReason = "user_request";
  market_.state().cancel(simId);
  OrderRecord* done = accounts_.bySim(simId);
  if (done->open()) throw cancelRejected();
  return orderJson(*done);
}

nlohmann::json Trading::modifyOrder(Account& a, const Request& r) {
  OrderRecord& o = findOrder(a, r);
  const Instrument& inst = market_.state().instruments()[o.instrument];
  if (!o.open() || o.market) throw ApiError(400, -2013, "Order does not exist.");
  if (sideParam(r) != o.side) throw ApiError(400, -4029, "Tick size precision is invalid.");
  const Qty qty = parseDecimal(r.required("quantity"), "quantity");
  const Price price = parseDecimal(r.required("price"), "price");
  if (qty <= 0) throw quantityTooSmall();
  if (qty % inst.minQty != 0 || qty > inst.maxQty) throw filterFailure("LOT_SIZE");
  if (price <= 0) throw priceLessThanZero();
  if (price % inst.tickSize != 0) throw priceNotIncreasedByTick();
  if (qty <= o.filled) throw ApiError(400, -4003, "Quantity less than or equal to zero.");
  if (qty == o.amount && price == o.price) throw orderNotModifiable();
  const OrderBook& book = market_.state().book(inst.id);
  const Level* opp = o.side == Side::Buy ? book.bestAsk() : book.bestBid();
  if (o.postOnly && opp && (o.side == Side::Buy ? price >= opp->price : price <= opp->price)) throw gtxRejected();
  const OrderId simId = o.simId;
  o.rejectReason.clear();
  market_.state().replace(simId, price, qty - o.filled);
  OrderRecord* done = accounts_.bySim(simId);
  if (!done->rejectReason.empty()) throw ApiError(400, -1000, done->rejectReason);
  return orderJson(*done);
}

nlohmann::json Trading::openOrders(Account& a, const Request& r) {
  InstrumentId only = kNoInstrument;
  if (auto s = r.get("symbol")) only = market_.symbol(*s).id;
  nlohmann::json out = nlohmann::json::array();
  for (const OrderRecord* o : accounts_.openOrdersOf(a.id))
    if (only == kNoInstrument || o->instrument == only) out.push_back(orderJson(*o));
  return out;
}

nlohmann::json Trading::cancelAll(Account& a, const Request& r) {
  const InstrumentId id = market_.symbol(r.required("symbol")).id;
  std::vector<OrderId> ids;
  for (const OrderRecord* o : accounts_.openOrdersOf(a.id))
    if (o->instrument == id) ids.push_back(o->simId);
  for (OrderId sim : ids) {
    OrderRecord* o = accounts_.bySim(sim);
    if (!o || !o->open()) continue;
    o->pendingCancelReason = "user_request";
    market_.state().cancel(sim);
  }
  return {{"code", 200}, {"msg", "The operation of cancel all open order is done."}};
}

int Trading::cancelEveryOrderOn(InstrumentId id) {
  std::vector<OrderId> ids;
  for (std::size_t account = 1; account <= accounts_.size(); ++account)
    for (const OrderRecord* o : accounts_.openOrdersOf(int(account)))
      if (o->instrument == id) ids.push_back(o->simId);
  for (OrderId sim : ids) {
    OrderRecord* o = accounts_.bySim(sim);
    if (!o || !o->open()) continue;
    o->pendingCancelReason = "symbol closed";
    market_.state().cancel(sim);
  }
  return int(ids.size());
}

nlohmann::json Trading::userTrades(Account& a, const Request& r) {
  const Instrument& inst = market_.symbol(r.required("symbol"));
  const std::size_t limit = std::size_t(std::clamp<long long>(r.integerOr("limit", 500), 1, 1000));
  nlohmann::json out = nlohmann::json::array();
  std::vector<const UserTrade*> picked;
  for (const UserTrade& t : a.trades)
    if (t.instrument == inst.id) picked.push_back(&t);
  const std::size_t first = picked.size() > limit ? picked.size() - limit : 0;
  for (std::size_t i = first; i < picked.size(); ++i) {
    const UserTrade& t = *picked[i];
    const OrderRecord* o = accounts_.bySim(t.simId);
    const double realized = 0.0;
    out.push_back({{"buyer", t.side == Side::Buy},
                   {"commission", dec(t.fee, 8)},
                   {"commissionAsset", "USDT"},
                   {"id", t.instrumentSeq},
                   {"maker", t.maker},
                   {"orderId", t.simId},
                   {"price", Market::price(inst, t.price)},
                   {"qty", Market::qty(inst, t.qty)},
                   {"quoteQty", dec(px(t.price) * px(t.qty), 5)},
                   {"realizedPnl", dec(realized, 8)},
                   {"side", t.side == Side::Buy ? "BUY" : "SELL"},
                   {"positionSide", "BOTH"},
                   {"symbol", inst.name},
                   {"time", t.ts}});
    (void)o;
  }
  return out;
}

nlohmann::json Trading::account(const Account& a, int version) const {
  const Figures f = figures(a);
  const std::int64_t now = market_.nowMs();
  const std::string wallet = dec(f.wallet, 8), upl = dec(f.unrealized, 8), mb = dec(f.marginBalance(), 8),
                    avail = dec(f.available(), 8), im = dec(f.positionInitial + f.orderInitial, 8),
                    mm = dec(f.maintenance, 8), pim = dec(f.positionInitial, 8), oim = dec(f.orderInitial, 8),
                    maxw = dec(std::max(0.0, std::min(f.wallet, f.available())), 8);
  nlohmann::json asset = {{"asset", "USDT"},          {"walletBalance", wallet},      {"unrealizedProfit", upl},
                          {"marginBalance", mb},      {"maintMargin", mm},            {"initialMargin", im},
                          {"positionInitialMargin", pim}, {"openOrderInitialMargin", oim}, {"crossWalletBalance", wallet},
                          {"crossUnPnl", upl},        {"availableBalance", avail},    {"maxWithdrawAmount", maxw},
                          {"marginAvailable", true},  {"updateTime", now}};
  nlohmann::json positions = nlohmann::json::array();
  for (InstrumentId id : market_.symbols()) {
    auto it = a.positions.find(id);
    const Qty size = it == a.positions.end() ? 0 : it->second.size;
    const double entry = it == a.positions.end() ? 0.0 : it->second.avgPrice;
    double orders = 0;
    for (const OrderRecord* o : accounts_.openOrdersOf(a.id))
      if (o->instrument == id) orders += orderInitial(*o);
    if (version >= 3 && size == 0 && orders == 0) continue;  // v3 lists only what is held or working
    const double mark = market_.markPrice(id), s = px(size);
    const double posIm = std::abs(s) * mark / leverage(a, id);
    nlohmann::json p = {{"symbol", market_.state().instruments()[id].name},
                        {"positionSide", "BOTH"},
                        {"positionAmt", Market::qty(market_.state().instruments()[id], size)},
                        {"unrealizedProfit", dec(s * (mark - entry), 8)},
                        {"isolatedMargin", "0"},
                        {"notional", dec(s * mark, 8)},
                        {"isolatedWallet", "0"},
                        {"initialMargin", dec(posIm + orders, 8)},
                        {"maintMargin", dec(std::abs(s) * mark * kMaintenanceRate, 8)},
                        {"updateTime", now}};
    if (version < 3) {
      p["positionInitialMargin"] = dec(posIm, 8);
      p["openOrderInitialMargin"] = dec(orders, 8);
      p["leverage"] = std::to_string(leverage(a, id));
      p["isolated"] = false;
      p["entryPrice"] = dec(entry, 8);
      p["breakEvenPrice"] = dec(entry, 8);
      p["maxNotional"] = "1000000";
      p["bidNotional"] = "0";
      p["askNotional"] = "0";
    }
    positions.push_back(p);
  }
  nlohmann::json out = {{"totalInitialMargin", im},          {"totalMaintMargin", mm},
                        {"totalWalletBalance", wallet},       {"totalUnrealizedProfit", upl},
                        {"totalMarginBalance", mb},           {"totalPositionInitialMargin", pim},
                        {"totalOpenOrderInitialMargin", oim}, {"totalCrossWalletBalance", wallet},
                        {"totalCrossUnPnl", upl},             {"availableBalance", avail},
                        {"maxWithdrawAmount", maxw},          {"assets", {asset}},
                        {"positions", positions}};
  if (version < 3) {
    out["feeTier"] = 0;
    out["canTrade"] = true;
    out["canDeposit"] = true;
    out["canWithdraw"] = true;
    out["updateTime"] = 0;
    out["multiAssetsMargin"] = false;
    out["tradeGroupId"] = -1;
  }
  return out;
}

nlohmann::json Trading::balance(const Account& a) const {
  const Figures f = figures(a);
  return nlohmann::json::array({{{"accountAlias", "kappa"},
                                 {"asset", "USDT"},
                                 {"balance", dec(f.wallet, 8)},
                                 {"crossWalletBalance", dec(f.wallet, 8)},
                                 {"crossUnPnl", dec(f.unrealized, 8)},
                                 {"availableBalance", dec(f.available(), 8)},
                                 {"maxWithdrawAmount", dec(std::max(0.0, std::min(f.wallet, f.available())), 8)},
                                 {"marginAvailable", true},
                                 {"updateTime", market_.nowMs()}}});
}

nlohmann::json Trading::positionRiskRow(const Account& a, InstrumentId id, int version) const {
  const Instrument& inst = market_.state().instruments()[id];
  auto it = a.positions.find(id);
  const Qty size = it == a.positions.end() ? 0 : it->second.size;
  const double entry = it == a.positions.end() ? 0.0 : it->second.avgPrice;
  const double mark = market_.markPrice(id), s = px(size);
  const Figures f = figures(a);
  // Cross margin, one position: the price where the margin balance meets maintenance.
  double liq = 0;
  if (s != 0) {
    const double denom = s - std::abs(s) * kMaintenanceRate;
    liq = std::max(0.0, (s * entry - f.wallet) / denom);
  }
  nlohmann::json row = {{"symbol", inst.name},
                        {"positionSide", "BOTH"},
                        {"positionAmt", Market::qty(inst, size)},
                        {"entryPrice", dec(entry, 8)},
                        {"breakEvenPrice", dec(entry, 8)},
                        {"markPrice", dec(mark, 8)},
                        {"unRealizedProfit", dec(s * (mark - entry), 8)},
                        {"liquidationPrice", dec(liq, 8)},
                        {"isolatedMargin", "0"},
                        {"notional", dec(s * mark, 8)},
                        {"isolatedWallet", "0"},
                        {"updateTime", market_.nowMs()}};
  if (version >= 3) {
    row["marginAsset"] = "USDT";
    row["initialMargin"] = dec(std::abs(s) * mark / leverage(a, id), 8);
    row["maintMargin"] = dec(std::abs(s) * mark * kMaintenanceRate, 8);
    row["positionInitialMargin"] = row["initialMargin"];
    row["openOrderInitialMargin"] = "0";
    row["adl"] = 0;
    row["bidNotional"] = "0";
    row["askNotional"] = "0";
  } else {
    row["leverage"] = std::to_string(leverage(a, id));
    row["maxNotionalValue"] = "1000000";
    row["marginType"] = "cross";
    row["isAutoAddMargin"] = "false";
  }
  return row;
}

nlohmann::json Trading::positionRisk(const Account& a, const Request& r, int version) const {
  nlohmann::json out = nlohmann::json::array();
  if (auto s = r.get("symbol")) return nlohmann::json::array({positionRiskRow(a, market_.symbol(*s).id, version)});
  for (InstrumentId id : market_.symbols()) {
    auto it = a.positions.find(id);
    // v3 lists held positions only; v2 every symbol.
    if (version >= 3 && (it == a.positions.end() || it->second.size == 0)) continue;
    out.push_back(positionRiskRow(a, id, version));
  }
  return out;
}

nlohmann::json Trading::leverageBracket(const Request& r) const {
  nlohmann::json out = nlohmann::json::array();
  for (InstrumentId id : market_.symbols()) {
    const Instrument& inst = market_.state().instruments()[id];
    if (auto s = r.get("symbol"); s && *s != inst.name) continue;
    // One bracket: up to 125x and 0.4 % maintenance up to the notional cap (a simple schedule).
    out.push_back({{"symbol", inst.name},
                   {"notionalCoef", 1.0},
                   {"brackets",
                    {{{"bracket", 1},
                      {"initialLeverage", 125},
                      {"notionalCap", 1000000},
                      {"notionalFloor", 0},
                      {"maintMarginRatio", kMaintenanceRate},
                      {"cum", 0.0}}}}});
  }
  if (r.has("symbol") && out.empty()) throw invalidSymbol();
  if (r.has("symbol")) return out.front();
  return out;
}

nlohmann::json Trading::setLeverage(Account& a, const Request& r) {
  const Instrument& inst = market_.symbol(r.required("symbol"));
  const long long lev = r.integer("leverage");
  if (lev < 1 || lev > 125) throw ApiError(400, -4028, "Leverage " + std::to_string(lev) + " is not valid");
  leverage_[{a.id, inst.id}] = int(lev);
  return {{"leverage", lev}, {"maxNotionalValue", "1000000"}, {"symbol", inst.name}};
}

nlohmann::json Trading::accountUpdate(const Account& a, InstrumentId id, const char* reason) const {
  const Instrument& inst = market_.state().instruments()[id];
  const Figures f = figures(a);
  auto it = a.positions.find(id);
  const Qty size = it == a.positions.end() ? 0 : it->second.size;
  const double entry = it == a.positions.end() ? 0.0 : it->second.avgPrice;
  const double realized = it == a.positions.end() ? 0.0 : it->second.realized;
  const double mark = market_.markPrice(id);
  return {{"m", reason},
          {"B", {{{"a", "USDT"}, {"wb", dec(f.wallet, 8)}, {"cw", dec(f.wallet, 8)}, {"bc", "0"}}}},
          {"P",
           {{{"s", inst.name},
             {"pa", Market::qty(inst, size)},
             {"ep", dec(entry, 8)},
             {"bep", dec(entry, 8)},
             {"cr", dec(realized, 8)},
             {"up", dec(px(size) * (mark - entry), 8)},
             {"mt", "cross"},
             {"iw", "0"},
             {"ps", "BOTH"}}}}};
}

}  // namespace kappa::exchange::binance
