#include "venue/binance/BinanceRestAnswers.hpp"

#include <algorithm>
#include <charconv>

#include <simdjson.h>

namespace kappa::binance {

using simdjson::dom::element;

namespace {

constexpr std::string_view kClientIdPrefix = "kappa-";

std::string str(element e, const char* key) {
  std::string_view v;
  return e[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}
// Binance sends most numbers as strings; some (orderId, times) as numbers.
std::int64_t fixedOf(element e, const char* key) {
  std::string_view v;
  std::int64_t out = 0;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return parseFixed(v, out) ? out : 0;
  double d;
  if (e[key].get_double().get(d) == simdjson::SUCCESS) return toFixed(d);
  return 0;
}
double numOf(element e, const char* key) { return toDouble(fixedOf(e, key)); }
std::uint64_t u64(element e, const char* key) {
  std::uint64_t v;
  if (e[key].get_uint64().get(v) == simdjson::SUCCESS) return v;
  std::string_view s;
  if (e[key].get_string().get(s) == simdjson::SUCCESS &&
      std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc())
    return v;
  return 0;
}

bool parse(simdjson::dom::parser& p, std::string_view body, element& out, std::string& error) {
  if (p.parse(body.data(), body.size()).get(out) != simdjson::SUCCESS) {
    error = "not JSON: " + std::string(body.substr(0, 120));
    return false;
  }
  return true;
}

bool orderFrom(element e, BinanceOrderUpdate& o) {
  o.symbol = str(e, "symbol");
  o.clientOrderId = str(e, "clientOrderId");
  o.exchangeOrderId = u64(e, "orderId");
  if (o.exchangeOrderId == 0) return false;
  o.side = str(e, "side") == "SELL" ? Side::Sell : Side::Buy;
  o.status = str(e, "status");
  o.timeInForce = str(e, "timeInForce");
  o.price = fixedOf(e, "price");
  o.origQty = fixedOf(e, "origQty");
  o.cumQty = fixedOf(e, "executedQty");
  o.avgPrice = fixedOf(e, "avgPrice");
  o.ts = Nanos(u64(e, "updateTime")) * 1'000'000;
  if (o.ts == 0) o.ts = Nanos(u64(e, "time")) * 1'000'000;
  return true;
}

}  // namespace

bool parseApiError(std::string_view body, ApiError& out) {
  simdjson::dom::parser p;
  element e;
  std::string ignored;
  if (!parse(p, body, e, ignored)) return false;
  std::int64_t code;
  if (e["code"].get_int64().get(code) != simdjson::SUCCESS) return false;
  out.code = int(code);
  out.msg = str(e, "msg");
  return true;
}

bool parseServerTime(std::string_view body, std::uint64_t& serverTimeMs, std::string& error) {
  simdjson::dom::parser p;
  element e;
  if (!parse(p, body, e, error)) return false;
  serverTimeMs = u64(e, "serverTime");
  if (serverTimeMs == 0) error = "no serverTime in the answer";
  return serverTimeMs != 0;
}

bool isDelistedStatus(std::string_view status) {
  return status == "CLOSE" || status == "SETTLING" || status == "DELIVERING" || status == "DELIVERED";
}

Instrument indexInstrument(const std::string& pair, const std::string& baseAsset, Price tickSize) {
  Instrument i;
  i.name = pair + "-INDEX";
  i.kind = InstrumentKind::Index;
  i.settlement = Settlement::Linear;
  i.baseCurrency = baseAsset;
  i.quoteCurrency = "USDT";
  i.settleCurrency = "USDT";
  i.tradable = false;
  i.tickSize = tickSize > 0 ? tickSize : 1'000'000;
  i.priceDecimals = decimalsFor(i.tickSize);
  i.minQty = 0;
  return i;
}

bool parseExchangeInfo(std::string_view body, const std::vector<std::string>& baseAssets, std::vector<SymbolInfo>& out,
                       std::size_t& skipped, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  simdjson::dom::array symbols;
  if (root["symbols"].get_array().get(symbols) != simdjson::SUCCESS) {
    error = "exchangeInfo without a symbols list";
    return false;
  }
  for (element s : symbols) {
    SymbolInfo info;
    const std::string base = str(s, "baseAsset");
    info.contractType = str(s, "contractType");
    const bool wanted = std::find(baseAssets.begin(), baseAssets.end(), base) != baseAssets.end() &&
                        str(s, "quoteAsset") == "USDT" && str(s, "marginAsset") == "USDT" &&
                        (info.contractType == "PERPETUAL" || info.contractType == "CURRENT_QUARTER" ||
                         info.contractType == "NEXT_QUARTER");
    Instrument& i = info.instrument;
    i.name = str(s, "symbol");
    if (!wanted || i.name.empty()) {
      ++skipped;
      continue;
    }
    info.pair = str(s, "pair");
    if (info.pair.empty()) info.pair = base + "USDT";
    info.status = str(s, "status");
    i.kind = info.contractType == "PERPETUAL" ? InstrumentKind::Perpetual : InstrumentKind::Future;
    i.settlement = Settlement::Linear;
    i.baseCurrency = base;
    i.quoteCurrency = "USDT";
    i.settleCurrency = "USDT";
    i.contractSize = 1.0;
    if (i.kind == InstrumentKind::Future) i.expiry = Nanos(u64(s, "deliveryDate")) * 1'000'000;
    i.tradable = info.status == "TRADING";
    // Binance's default (VIP 0) USD-M rates; the account's own come with its trades' commissions.
    i.makerFee = 0.0002;
    i.takerFee = 0.0005;
    simdjson::dom::array filters;
    if (s["filters"].get_array().get(filters) == simdjson::SUCCESS)
      for (element f : filters) {
        const std::string type = str(f, "filterType");
        if (type == "PRICE_FILTER") {
          i.tickSize = fixedOf(f, "tickSize");
        } else if (type == "LOT_SIZE") {
          i.minQty = fixedOf(f, "stepSize");
          i.maxQty = fixedOf(f, "maxQty");
          info.lotMinQty = fixedOf(f, "minQty");
        } else if (type == "MIN_NOTIONAL") {
          info.minNotional = numOf(f, "notional");
          if (info.minNotional == 0) info.minNotional = numOf(f, "minNotional");
        }
      }
    if (i.tickSize <= 0 || i.minQty <= 0) {  // cannot price or size orders: not listed
      ++skipped;
      continue;
    }
    i.priceDecimals = decimalsFor(i.tickSize);
    i.qtyDecimals = decimalsFor(i.minQty);
    out.push_back(std::move(info));
  }
  return true;
}

bool parseDepthSnapshot(std::string_view body, std::uint64_t& lastUpdateId, std::vector<MdEvent>& levels, Nanos& ts,
                        std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  if (root["lastUpdateId"].get_uint64().get(lastUpdateId) != simdjson::SUCCESS) {
    error = "depth snapshot without lastUpdateId";
    return false;
  }
  ts = Nanos(u64(root, "T")) * 1'000'000;
  if (ts == 0) ts = Nanos(u64(root, "E")) * 1'000'000;
  for (auto [key, side] : {std::pair{"bids", Side::Buy}, std::pair{"asks", Side::Sell}}) {
    simdjson::dom::array arr;
    if (root[key].get_array().get(arr) != simdjson::SUCCESS) {
      error = std::string("depth snapshot without ") + key;
      return false;
    }
    for (element lvl : arr) {
      simdjson::dom::array pair;
      std::string_view ps, qs;
      if (lvl.get_array().get(pair) != simdjson::SUCCESS || pair.size() < 2 || pair.at(0).get_string().get(ps) ||
          pair.at(1).get_string().get(qs)) {
        error = "malformed level in the depth snapshot";
        return false;
      }
      MdEvent e;
      e.type = MdType::BookLevel;
      e.side = side;
      e.action = LevelAction::New;
      if (!parseFixed(ps, e.price) || !parseFixed(qs, e.qty)) {
        error = "malformed level in the depth snapshot";
        return false;
      }
      levels.push_back(e);
    }
  }
  return true;
}

bool parseOrder(std::string_view body, BinanceOrderUpdate& out, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  if (!orderFrom(root, out)) {
    error = "not an order: " + std::string(body.substr(0, 120));
    return false;
  }
  return true;
}

bool parseOrders(std::string_view body, std::vector<BinanceOrderUpdate>& out, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  simdjson::dom::array arr;
  if (root.get_array().get(arr) != simdjson::SUCCESS) {
    error = "not a list of orders";
    return false;
  }
  for (element e : arr) {
    BinanceOrderUpdate o;
    if (orderFrom(e, o)) out.push_back(std::move(o));
  }
  return true;
}

bool parsePositionRisk(std::string_view body, std::vector<BinancePositionUpdate>& out, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  simdjson::dom::array arr;
  if (root.get_array().get(arr) != simdjson::SUCCESS) {
    error = "positionRisk is not a list";
    return false;
  }
  for (element e : arr) {
    BinancePositionUpdate pos;
    pos.symbol = str(e, "symbol");
    pos.amount = numOf(e, "positionAmt");
    pos.entryPrice = numOf(e, "entryPrice");
    if (!pos.symbol.empty()) out.push_back(std::move(pos));
  }
  return true;
}

bool parseAccount(std::string_view body, const std::string& asset, VenueAccount& out, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  simdjson::dom::array assets;
  if (root["assets"].get_array().get(assets) != simdjson::SUCCESS) {
    error = "account without assets";
    return false;
  }
  for (element a : assets) {
    if (str(a, "asset") != asset) continue;
    out.currency = asset;
    out.balance = numOf(a, "walletBalance");
    out.equity = numOf(a, "marginBalance");
    out.initialMargin = numOf(a, "initialMargin");
    out.maintenanceMargin = numOf(a, "maintMargin");
    out.availableFunds = numOf(a, "availableBalance");
    out.ts = Nanos(u64(a, "updateTime")) * 1'000'000;
    return true;
  }
  error = "the account has no " + asset + " asset";
  return false;
}

bool parseListenKey(std::string_view body, std::string& listenKey, std::string& error) {
  simdjson::dom::parser p;
  element root;
  if (!parse(p, body, root, error)) return false;
  listenKey = str(root, "listenKey");
  if (listenKey.empty()) error = "no listenKey in the answer";
  return !listenKey.empty();
}

std::string describeOrderError(const ApiError& e) {
  std::string plain;
  switch (e.code) {
    case -2019: plain = "not enough margin"; break;
    case -2021: plain = "the order would trigger immediately"; break;
    case -2022: plain = "reduce-only order refused: it would not reduce the position"; break;
    case -5022: plain = "post-only order refused: it would have taken liquidity"; break;
    case -4164: plain = "order value below Binance's minimum notional"; break;
    case -1111: plain = "quantity or price has more decimals than the symbol allows"; break;
    case -4003: plain = "quantity too small"; break;
    case -4014: plain = "price not a multiple of the tick size"; break;
    case -4016: case -4024: plain = "price outside the band Binance accepts now"; break;
    case -2010: plain = "refused by the matching engine"; break;
    case -2011: plain = "Binance has no such open order"; break;
    case -2013: plain = "Binance has no such order"; break;
    case -1021: plain = "our clock is out of Binance's receive window"; break;
    case -2014: case -2015: plain = "API key refused (wrong key, IP not allowed, or no futures permission)"; break;
    case -1022: plain = "signature refused (wrong API secret)"; break;
    case -1003: plain = "too many requests"; break;
    default: break;
  }
  std::string out = plain.empty() ? e.msg : plain + " (" + e.msg + ")";
  return out + " [Binance " + std::to_string(e.code) + "]";
}

std::string clientOrderIdOf(OrderId id) { return std::string(kClientIdPrefix) + std::to_string(id); }

OrderId orderIdFromClientId(std::string_view clientOrderId) {
  if (clientOrderId.substr(0, kClientIdPrefix.size()) != kClientIdPrefix) return 0;
  const std::string_view digits = clientOrderId.substr(kClientIdPrefix.size());
  OrderId id = 0;
  if (digits.empty() || std::from_chars(digits.data(), digits.data() + digits.size(), id).ec != std::errc() ||
      std::to_string(id) != digits)
    return 0;
  return id;
}

}  // namespace kappa::binance
