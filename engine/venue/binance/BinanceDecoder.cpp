#include "venue/binance/BinanceDecoder.hpp"

#include <cmath>
#include <cstring>

#include <simdjson.h>

#include "venue/binance/CompactDepth.hpp"

namespace kappa::binance {

namespace od = simdjson::ondemand;

namespace {

Nanos msToNanos(std::uint64_t ms) { return Nanos(ms) * 1'000'000; }

// A JSON string field parsed as fixed point; false if absent or not a decimal.
template <class Obj>
bool fixedField(Obj& obj, std::string_view key, std::int64_t& out) {
  std::string_view s;
  if (obj.find_field_unordered(key).get_string().get(s) != simdjson::SUCCESS) return false;
  return parseFixed(s, out);
}
template <class Obj>
std::uint64_t u64Field(Obj& obj, std::string_view key) {
  std::uint64_t v = 0;
  if (obj.find_field_unordered(key).get_uint64().get(v) != simdjson::SUCCESS) return 0;
  return v;
}
template <class Obj>
std::string strField(Obj& obj, std::string_view key) {
  std::string_view s;
  if (obj.find_field_unordered(key).get_string().get(s) != simdjson::SUCCESS) return {};
  return std::string(s);
}
template <class Obj>
double numText(Obj& obj, std::string_view key) {  // "123.45" (Binance sends numbers as strings)
  std::int64_t v = 0;
  return fixedField(obj, key, v) ? toDouble(v) : 0.0;
}

}  // namespace

struct BinanceDecoder::Impl {
  od::parser parser;
  // On-Demand reads only what it is asked for, and simdjson 3.0's unordered field search can read
  // out of bounds in a document whose structure is broken (a dropped ':' crashed the decoder:
  // tst_binance_decoder's mutations). Every message the compact depth reader does not take is
  // validated whole by the DOM parser first; depth updates, the bulk of the traffic, never get here.
  simdjson::dom::parser validator;
  bool valid(const char* text, std::size_t size) {
    simdjson::dom::element unused;
    return validator.parse(text, size, false).get(unused) == simdjson::SUCCESS;
  }
  const char* end = nullptr;  // the end of the message being decoded (its closing quotes lie before)

  // A decimal inside a JSON string whose text starts at `p`: it must run to the closing quote.
  bool quotedFixed(const char* p, std::int64_t& out) const {
    const char* stop = scanFixed(p, end, out);
    return stop != nullptr && stop < end && *stop == '"';
  }
  std::string padded;  // decode()'s copy
  std::vector<MdEvent> levels;  // one depth event's levels
  std::vector<MdEvent> asks;    // the compact reader's asks, before they join `levels`

  // Reads [["price","qty"],...] into `levels` with `side`. False on a malformed level.
  bool readLevels(od::object& obj, std::string_view key, Side side) {
    od::array arr;
    auto err = obj.find_field_unordered(key).get_array().get(arr);
    if (err == simdjson::NO_SUCH_FIELD) return true;
    if (err) return false;
    for (auto item : arr) {
      od::array pair;
      if (item.get_array().get(pair)) return false;
      // The raw JSON strings, parsed in place: no unescaping copy (a decimal has nothing to escape;
      // an escape in one is refused like any other non-digit).
      od::raw_json_string ps, qs;
      auto it = pair.begin();
      if (it == pair.end() || (*it).get_raw_json_string().get(ps)) return false;
      ++it;
      if (it == pair.end() || (*it).get_raw_json_string().get(qs)) return false;
      MdEvent e;
      e.type = MdType::BookLevel;
      e.side = side;
      if (!quotedFixed(ps.raw(), e.price) || !quotedFixed(qs.raw(), e.qty) || e.price <= 0 || e.qty < 0) return false;
      levels.push_back(e);  // the action (New, or DeleteIfPresent for quantity 0) is the sync's to set
    }
    return true;
  }

  DecodeResult decodeEvent(BinanceDecoder& d, od::object& obj, std::string_view type, DecodedBatch& out);
  DecodeResult depth(BinanceDecoder& d, od::object& obj, DecodedBatch& out);
  // A depth event read (its levels in `levels`): to its book's sync.
  DecodeResult applyDepth(BinanceDecoder& d, InstrumentId id, const DepthUpdateIds& ids, DecodedBatch& out);
  DecodeResult orderUpdate(od::object& obj, DecodedBatch& out);
  DecodeResult accountUpdate(od::object& obj, DecodedBatch& out);
};

BinanceDecoder::BinanceDecoder(SyncRule rule) : sync_(rule), impl_(std::make_unique<Impl>()) {
  impl_->levels.reserve(256);
}
BinanceDecoder::~BinanceDecoder() = default;

void BinanceDecoder::addSymbol(const std::string& symbol, InstrumentId id, InstrumentId index) {
  bySymbol_[symbol] = id;
  lastSymbolId_ = kNoInstrument;
  if (indexOf_.size() <= id) indexOf_.resize(std::size_t(id) + 1, kNoInstrument);
  indexOf_[id] = index;
  sync_.resize(std::size_t(id) + 1);
}

void BinanceDecoder::forget(InstrumentId id) {
  for (auto it = bySymbol_.begin(); it != bySymbol_.end(); ++it)
    if (it->second == id) {
      bySymbol_.erase(it);
      break;
    }
  lastSymbolId_ = kNoInstrument;
  sync_.stop(id);
}

InstrumentId BinanceDecoder::find(std::string_view symbol) const {
  auto it = bySymbol_.find(symbol);
  return it == bySymbol_.end() ? kNoInstrument : it->second;
}

InstrumentId BinanceDecoder::findFromStream(std::string_view symbol) {
  if (lastSymbolId_ != kNoInstrument && symbol == lastSymbol_) return lastSymbolId_;
  const InstrumentId id = find(symbol);
  if (id != kNoInstrument) {
    lastSymbol_.assign(symbol);  // no allocation once it has held the longest name
    lastSymbolId_ = id;
  }
  return id;
}

DecodeResult BinanceDecoder::decode(std::string_view message, DecodedBatch& out) {
  impl_->padded.assign(message);
  impl_->padded.append(kPadding, ' ');
  return decodePadded(std::string_view(impl_->padded.data(), message.size()), out);
}

DecodeResult BinanceDecoder::decodePadded(std::string_view message, DecodedBatch& out) {
  auto fail = [&](std::string why) {
    ++malformed_;
    return DecodeResult{MessageKind::Malformed, std::move(why)};
  };
  // Most messages are depth updates in Binance's compact form: read those in one pass (CompactDepth.hpp);
  // anything else, or anything unusual in one, goes through simdjson below.
  CompactDepth compact;
  if (compactDepth_ && readCompactDepth(message, compact, impl_->levels, impl_->asks)) {
    ++compactDepths_;
    const InstrumentId id = findFromStream(compact.symbol);
    if (id == kNoInstrument) return {MessageKind::MarketData, {}};
    return impl_->applyDepth(*this, id, compact.ids, out);
  }
  od::document doc;
  if (!impl_->valid(message.data(), message.size()) ||
      impl_->parser.iterate(message.data(), message.size(), message.size() + kPadding).get(doc))
    return fail("not JSON");
  impl_->end = message.data() + message.size();
  od::object root;
  if (doc.get_object().get(root)) return fail("not a JSON object");
  // Combined stream: {"stream":"btcusdt@depth@100ms","data":{...}}; raw: the event itself.
  // A field that is absent or of another type lets us look again from the start (rewind); any other
  // error means the text is broken where the search went, and a document in error must not be
  // rewound (simdjson 3.0 dereferences a released iterator: found by tst_binance_decoder's mutations).
  auto lookAgain = [](simdjson::error_code e) { return e == simdjson::NO_SUCH_FIELD || e == simdjson::INCORRECT_TYPE; };
  od::object data;
  const simdjson::error_code dataErr = root.find_field_unordered("data").get_object().get(data);
  if (dataErr == simdjson::SUCCESS) {
    std::string_view type;
    if (data.find_field_unordered("e").get_string().get(type)) {
      // Spot's bookTicker has no "e"; nothing else we use lacks it.
      return {MessageKind::Ignored, {}};
    }
    return impl_->decodeEvent(*this, data, type, out);
  }
  if (!lookAgain(dataErr)) return fail(std::string("not JSON: ") + simdjson::error_message(dataErr));
  doc.rewind();
  if (doc.get_object().get(root)) return fail("not a JSON object");
  std::string_view type;
  const simdjson::error_code typeErr = root.find_field_unordered("e").get_string().get(type);
  if (typeErr == simdjson::SUCCESS) return impl_->decodeEvent(*this, root, type, out);
  if (!lookAgain(typeErr)) return fail(std::string("not JSON: ") + simdjson::error_message(typeErr));
  doc.rewind();
  if (doc.get_object().get(root)) return fail("not a JSON object");
  od::value id;
  if (root.find_field_unordered("id").get(id) == simdjson::SUCCESS) return {MessageKind::Response, {}};
  return {MessageKind::Ignored, {}};
}

DecodeResult BinanceDecoder::Impl::decodeEvent(BinanceDecoder& d, od::object& obj, std::string_view type, DecodedBatch& out) {
  if (type == "depthUpdate") return depth(d, obj, out);
  if (type == "aggTrade") {
    std::string_view sym;
    if (obj.find_field_unordered("s").get_string().get(sym)) return {MessageKind::Malformed, "aggTrade without s"};
    const InstrumentId id = d.findFromStream(sym);
    if (id == kNoInstrument) return {MessageKind::MarketData, {}};
    MdEvent e;
    e.type = MdType::Trade;
    e.instrument = id;
    e.changeId = u64Field(obj, "a");
    if (!fixedField(obj, "p", e.price) || !fixedField(obj, "q", e.qty)) {
      ++d.malformed_;
      return {MessageKind::Malformed, "aggTrade without price or quantity"};
    }
    e.ts = msToNanos(u64Field(obj, "T"));
    bool buyerMaker = false;
    if (obj.find_field_unordered("m").get_bool().get(buyerMaker)) buyerMaker = false;
    e.side = buyerMaker ? Side::Sell : Side::Buy;  // the aggressor
    out.md.push_back(e);
    return {MessageKind::MarketData, {}};
  }
  if (type == "markPriceUpdate") {
    const Nanos ts = msToNanos(u64Field(obj, "E"));
    std::string_view sym;
    if (obj.find_field_unordered("s").get_string().get(sym)) return {MessageKind::Malformed, "markPriceUpdate without s"};
    const InstrumentId id = d.findFromStream(sym);
    if (id == kNoInstrument) return {MessageKind::MarketData, {}};
    MdEvent mark;
    mark.type = MdType::VenueMark;
    mark.instrument = id;
    mark.ts = ts;
    if (fixedField(obj, "p", mark.price) && mark.price > 0) out.md.push_back(mark);  // qty 0: no IV on a future
    MdEvent index;
    index.type = MdType::IndexPrice;
    index.instrument = id < d.indexOf_.size() ? d.indexOf_[id] : kNoInstrument;
    index.ts = ts;
    if (index.instrument != kNoInstrument && fixedField(obj, "i", index.price) && index.price > 0) out.md.push_back(index);
    MdEvent funding;
    funding.type = MdType::Funding;
    funding.instrument = id;
    funding.ts = ts;
    // Quarterlies send an empty rate and T 0: no funding.
    if (fixedField(obj, "r", funding.price)) {
      funding.changeId = u64Field(obj, "T");
      if (funding.changeId > 0) out.md.push_back(funding);
    }
    return {MessageKind::MarketData, {}};
  }
  if (type == "bookTicker") {
    std::string_view sym;
    if (obj.find_field_unordered("s").get_string().get(sym)) return {MessageKind::Malformed, "bookTicker without s"};
    BinanceTicker t;
    t.instrument = d.findFromStream(sym);
    if (t.instrument == kNoInstrument) return {MessageKind::MarketData, {}};
    fixedField(obj, "b", t.bid);
    fixedField(obj, "B", t.bidQty);
    fixedField(obj, "a", t.ask);
    fixedField(obj, "A", t.askQty);
    t.ts = msToNanos(u64Field(obj, "T"));
    out.tickers.push_back(t);
    return {MessageKind::MarketData, {}};
  }
  if (type == "ORDER_TRADE_UPDATE") return orderUpdate(obj, out);
  if (type == "ACCOUNT_UPDATE") return accountUpdate(obj, out);
  if (type == "listenKeyExpired") {
    out.listenKeyExpired = true;
    return {MessageKind::UserData, {}};
  }
  return {MessageKind::Ignored, {}};
}

DecodeResult BinanceDecoder::Impl::depth(BinanceDecoder& d, od::object& obj, DecodedBatch& out) {
  DepthUpdateIds ids;
  ids.ts = msToNanos(u64Field(obj, "E"));
  const std::uint64_t txTime = u64Field(obj, "T");
  if (txTime) ids.ts = msToNanos(txTime);
  std::string_view sym;
  if (obj.find_field_unordered("s").get_string().get(sym)) {
    ++d.malformed_;
    return {MessageKind::Malformed, "depthUpdate without s"};
  }
  const InstrumentId id = d.findFromStream(sym);
  if (id == kNoInstrument) return {MessageKind::MarketData, {}};
  if (obj.find_field_unordered("U").get_uint64().get(ids.first) || obj.find_field_unordered("u").get_uint64().get(ids.last)) {
    ++d.malformed_;
    return {MessageKind::Malformed, "depthUpdate without U/u"};
  }
  if (obj.find_field_unordered("pu").get_uint64().get(ids.prevLast)) ids.prevLast = 0;  // spot: none
  levels.clear();
  if (!readLevels(obj, "b", Side::Buy) || !readLevels(obj, "a", Side::Sell)) {
    // Half a message cannot be applied: the book's sync starts again.
    ++d.malformed_;
    levels.clear();
    d.sync_.start(id, "malformed depth update", out.md, out.snapshotRequests);
    return {MessageKind::Malformed, "malformed depth levels"};
  }
  return applyDepth(d, id, ids, out);
}

DecodeResult BinanceDecoder::Impl::applyDepth(BinanceDecoder& d, InstrumentId id, const DepthUpdateIds& ids,
                                              DecodedBatch& out) {
  d.sync_.onDiff(id, ids, levels.data(), levels.size(), out.md, out.snapshotRequests);
  return {MessageKind::MarketData, {}};
}

DecodeResult BinanceDecoder::Impl::orderUpdate(od::object& event, DecodedBatch& out) {
  BinanceOrderUpdate u;
  const std::uint64_t eventTime = u64Field(event, "E");
  od::object o;
  if (event.find_field_unordered("o").get_object().get(o)) return {MessageKind::Malformed, "ORDER_TRADE_UPDATE without o"};
  u.symbol = strField(o, "s");
  u.clientOrderId = strField(o, "c");
  u.side = strField(o, "S") == "SELL" ? Side::Sell : Side::Buy;
  u.timeInForce = strField(o, "f");
  fixedField(o, "q", u.origQty);
  fixedField(o, "p", u.price);
  fixedField(o, "ap", u.avgPrice);
  u.execType = strField(o, "x");
  u.status = strField(o, "X");
  u.exchangeOrderId = u64Field(o, "i");
  fixedField(o, "l", u.lastQty);
  fixedField(o, "z", u.cumQty);
  fixedField(o, "L", u.lastPrice);
  u.commissionAsset = strField(o, "N");
  u.commission = numText(o, "n");
  u.ts = msToNanos(u64Field(o, "T"));
  if (u.ts == 0) u.ts = msToNanos(eventTime);
  u.tradeId = u64Field(o, "t");
  bool maker = false;
  if (o.find_field_unordered("m").get_bool().get(maker) == simdjson::SUCCESS) u.maker = maker;
  u.isTrade = u.execType == "TRADE" && u.lastQty > 0;
  if (u.clientOrderId.empty() || u.exchangeOrderId == 0) return {MessageKind::Malformed, "ORDER_TRADE_UPDATE without c or i"};
  out.orders.push_back(std::move(u));
  return {MessageKind::UserData, {}};
}

DecodeResult BinanceDecoder::Impl::accountUpdate(od::object& event, DecodedBatch& out) {
  BinanceAccountUpdate a;
  a.ts = msToNanos(u64Field(event, "E"));
  // The transaction time, as ORDER_TRADE_UPDATE's: a position is matched to the trades behind it.
  if (const std::uint64_t txTime = u64Field(event, "T")) a.ts = msToNanos(txTime);
  od::object acc;
  if (event.find_field_unordered("a").get_object().get(acc)) return {MessageKind::Malformed, "ACCOUNT_UPDATE without a"};
  a.reason = strField(acc, "m");
  od::array balances;
  if (acc.find_field_unordered("B").get_array().get(balances) == simdjson::SUCCESS)
    for (auto item : balances) {
      od::object b;
      if (item.get_object().get(b)) continue;
      BinanceBalance bal;
      bal.asset = strField(b, "a");
      bal.walletBalance = numText(b, "wb");
      bal.crossWalletBalance = numText(b, "cw");
      if (!bal.asset.empty()) a.balances.push_back(std::move(bal));
    }
  od::array positions;
  if (acc.find_field_unordered("P").get_array().get(positions) == simdjson::SUCCESS)
    for (auto item : positions) {
      od::object p;
      if (item.get_object().get(p)) continue;
      BinancePositionUpdate pos;
      pos.symbol = strField(p, "s");
      pos.amount = numText(p, "pa");
      pos.entryPrice = numText(p, "ep");
      if (!pos.symbol.empty()) a.positions.push_back(std::move(pos));
    }
  out.accounts.push_back(std::move(a));
  return {MessageKind::UserData, {}};
}

DecodeResult BinanceDecoder::decodeStandby(std::string_view message, std::vector<InstrumentId>& caughtUp) {
  impl_->padded.assign(message);
  impl_->padded.append(kPadding, ' ');
  od::document doc;
  if (!impl_->valid(impl_->padded.data(), message.size()) ||
      impl_->parser.iterate(impl_->padded.data(), message.size(), impl_->padded.size()).get(doc))
    return {MessageKind::Malformed, "not JSON"};
  od::object root, data;
  if (doc.get_object().get(root) || root.find_field_unordered("data").get_object().get(data))
    return {MessageKind::Ignored, {}};
  std::string_view type, sym;
  if (data.find_field_unordered("e").get_string().get(type) || type != "depthUpdate") return {MessageKind::Ignored, {}};
  if (data.find_field_unordered("s").get_string().get(sym)) return {MessageKind::Malformed, "depthUpdate without s"};
  const InstrumentId id = find(sym);
  std::uint64_t last = 0;
  if (id == kNoInstrument || data.find_field_unordered("u").get_uint64().get(last)) return {MessageKind::Ignored, {}};
  if (sync_.state(id) == DepthSync::State::Live && last <= sync_.lastApplied(id)) caughtUp.push_back(id);
  return {MessageKind::MarketData, {}};
}

}  // namespace kappa::binance
