#include "BinanceMarket.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "BinanceErrors.hpp"

namespace kappa::exchange::binance {
namespace {
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::size_t kMaxKlines = 1500;
constexpr std::size_t kKeptSnapshots = 10;
constexpr std::size_t kSnapshotLevels = 1000;  // the deepest /fapi/v1/depth limit

std::vector<Level> side(const OrderBook& book, Side s, std::size_t n) {
  std::vector<Level> out(std::min(n, book.depth(s)));
  out.resize(book.topN(s, out.size(), out.data()));
  return out;
}
}  // namespace

Market::Market(MarketState& market) : market_(market) {
  for (const Instrument& inst : market_.instruments().all())
    if (MarketState::onBinance(inst) && inst.tradable) symbols_.push_back(inst.id);
  data_.resize(symbols_.size());
}

std::size_t Market::slot(InstrumentId id) const {
  return std::size_t(std::find(symbols_.begin(), symbols_.end(), id) - symbols_.begin());
}
bool Market::isSymbol(InstrumentId id) const { return slot(id) < symbols_.size(); }

const Instrument& Market::symbol(const std::string& name) const {
  const Instrument* inst = market_.findBinance(name);
  if (!inst || !listed(inst->id)) throw invalidSymbol();
  return *inst;
}

bool Market::listed(InstrumentId id) const {
  const std::size_t i = slot(id);
  return i < symbols_.size() && data_[i].listed;
}
const std::string& Market::status(InstrumentId id) const {
  static const std::string none;
  const std::size_t i = slot(id);
  return i < symbols_.size() && data_[i].listed ? data_[i].status : none;
}
void Market::setListing(InstrumentId id, bool listed, std::string status) {
  const std::size_t i = slot(id);
  if (i >= symbols_.size()) return;
  data_[i].listed = listed;
  data_[i].status = listed ? std::move(status) : std::string();
}

std::string Market::decimal(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
std::string Market::price(const Instrument&, Price p) { return formatFixed(p, kPricePrecision); }
std::string Market::qty(const Instrument&, Qty q) { return formatFixed(q, kQtyPrecision); }
std::string Market::minNotional(const Instrument& inst) { return inst.baseCurrency == "BTC" ? "100" : "20"; }
Qty Market::marketMaxQty(const Instrument& inst) { return toFixed(inst.baseCurrency == "BTC" ? 120 : 2000); }

BookSnapshot Market::snapshot(InstrumentId id, std::size_t limit) const {
  const OrderBook& book = market_.book(id);
  BookSnapshot s;
  s.lastUpdateId = book.changeId();
  s.timeMs = nowMs();
  s.bids = side(book, Side::Buy, limit);
  s.asks = side(book, Side::Sell, limit);
  return s;
}

const BookSnapshot* Market::oldSnapshot(InstrumentId id, std::int64_t ageMs) const {
  const Symbol& d = data_[slot(id)];
  const std::int64_t cutoff = nowMs() - ageMs;
  for (auto it = d.kept.rbegin(); it != d.kept.rend(); ++it)
    if (it->timeMs <= cutoff) return &*it;
  return d.kept.empty() ? nullptr : &d.kept.front();
}

void Market::keepSnapshots() {
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    data_[i].kept.push_back(snapshot(symbols_[i], kSnapshotLevels));
    if (data_[i].kept.size() > kKeptSnapshots) data_[i].kept.pop_front();
  }
}

void Market::onPublicTrade(const PublicTrade& t) {
  const std::size_t i = slot(t.instrument);
  if (i >= symbols_.size()) return;
  auto& ks = data_[i].klines;
  const std::int64_t ms = t.ts / 1'000'000;
  const std::int64_t minute = ms - ms % kMinuteMs;
  if (ks.empty() || ks.back().openTime != minute) {
    Kline k;
    k.openTime = minute;
    k.open = k.high = k.low = t.price;
    k.firstTrade = t.instrumentSeq;
    ks.push_back(k);
    if (ks.size() > kMaxKlines) ks.pop_front();
  }
  Kline& k = ks.back();
  k.high = std::max(k.high, t.price);
  k.low = std::min(k.low, t.price);
  k.close = t.price;
  const double q = toDouble(t.qty), quote = q * toDouble(t.price);
  k.volume += q;
  k.quoteVolume += quote;
  if (t.takerSide == Side::Buy) {
    k.takerBuyVolume += q;
    k.takerBuyQuote += quote;
  }
  k.lastTrade = t.instrumentSeq;
  ++k.trades;
}

Kline Market::currentKline(InstrumentId id) const {
  const auto& ks = data_[slot(id)].klines;
  const std::int64_t now = nowMs();
  const std::int64_t minute = now - now % kMinuteMs;
  if (!ks.empty() && ks.back().openTime == minute) return ks.back();
  Kline k;
  k.openTime = minute;
  const Price last = ks.empty() ? market_.lastPrice(id) : ks.back().close;
  k.open = k.high = k.low = k.close = last;
  return k;
}

double Market::markPrice(InstrumentId id) const { return market_.markPrice(id); }
double Market::indexPrice(InstrumentId id) const { return market_.indexFor(market_.instruments()[id]); }

// Binance's formula: funding = premium + clamp(interest - premium, -0.05 %, +0.05 %), interest
// 0.01 % per 8 h, here with the current premium of mark over index instead of its 8 h average.
double Market::fundingRate(InstrumentId id) const {
  const double index = indexPrice(id);
  if (index <= 0) return 0.0001;
  const double premium = (markPrice(id) - index) / index;
  const double rate = premium + std::clamp(0.0001 - premium, -0.0005, 0.0005);
  return std::clamp(rate, -0.0075, 0.0075);
}

std::int64_t Market::nextFundingTimeMs(std::int64_t nowMs) {
  constexpr std::int64_t k8h = 8 * 3600'000;
  return (nowMs / k8h + 1) * k8h;
}

std::int64_t Market::intervalMs(const std::string& i) {
  static const std::pair<const char*, std::int64_t> table[] = {
      {"1m", 1}, {"3m", 3}, {"5m", 5}, {"15m", 15}, {"30m", 30}, {"1h", 60}, {"2h", 120}, {"4h", 240},
      {"6h", 360}, {"8h", 480}, {"12h", 720}, {"1d", 1440}, {"3d", 4320}, {"1w", 10080}};
  for (const auto& [name, minutes] : table)
    if (i == name) return minutes * kMinuteMs;
  return 0;
}

nlohmann::json Market::exchangeInfo(const nlohmann::json& rateLimits) const {
  nlohmann::json symbols = nlohmann::json::array();
  for (InstrumentId id : symbols_) {
    if (!listed(id)) continue;
    const Instrument& inst = market_.instruments()[id];
    symbols.push_back({
        {"symbol", inst.name},
        {"pair", inst.name},
        {"contractType", "PERPETUAL"},
        {"deliveryDate", 4133404800000LL},
        {"onboardDate", 1569398400000LL},
        {"status", status(id)},
        {"maintMarginPercent", "2.5000"},
        {"requiredMarginPercent", "5.0000"},
        {"baseAsset", inst.baseCurrency},
        {"quoteAsset", "USDT"},
        {"marginAsset", "USDT"},
        {"pricePrecision", kPricePrecision},
        {"quantityPrecision", kQtyPrecision},
        {"baseAssetPrecision", 8},
        {"quotePrecision", 8},
        {"underlyingType", "COIN"},
        {"underlyingSubType", nlohmann::json::array()},
        {"settlePlan", 0},
        {"triggerProtect", "0.0500"},
        {"liquidationFee", "0.012500"},
        {"marketTakeBound", "0.05"},
        {"maxMoveOrderLimit", 10000},
        {"filters",
         {{{"filterType", "PRICE_FILTER"}, {"minPrice", formatTrimmed(inst.tickSize)}, {"maxPrice", "4529764"},
           {"tickSize", formatTrimmed(inst.tickSize)}},
          {{"filterType", "LOT_SIZE"}, {"minQty", formatTrimmed(inst.minQty)}, {"maxQty", formatTrimmed(inst.maxQty)},
           {"stepSize", formatTrimmed(inst.minQty)}},
          {{"filterType", "MARKET_LOT_SIZE"}, {"minQty", formatTrimmed(inst.minQty)},
           {"maxQty", formatTrimmed(marketMaxQty(inst))}, {"stepSize", formatTrimmed(inst.minQty)}},
          {{"filterType", "MAX_NUM_ORDERS"}, {"limit", 200}},
          {{"filterType", "MIN_NOTIONAL"}, {"notional", minNotional(inst)}}}},
        {"orderTypes", {"LIMIT", "MARKET"}},
        {"timeInForce", {"GTC", "IOC", "FOK", "GTX"}},
    });
  }
  return {{"timezone", "UTC"},
          {"serverTime", nowMs()},
          {"futuresType", "U_MARGINED"},
          {"rateLimits", rateLimits},
          {"exchangeFilters", nlohmann::json::array()},
          {"assets", {{{"asset", "USDT"}, {"marginAvailable", true}, {"autoAssetExchange", "-10000"}}}},
          {"symbols", symbols}};
}

nlohmann::json Market::depth(const BookSnapshot& s) const {
  const Instrument& inst = market_.instruments()[symbols_.front()];
  auto levels = [&](const std::vector<Level>& ls) {
    nlohmann::json out = nlohmann::json::array();
    for (const Level& l : ls) out.push_back({price(inst, l.price), qty(inst, l.qty)});
    return out;
  };
  return {{"lastUpdateId", s.lastUpdateId}, {"E", nowMs()}, {"T", s.timeMs}, {"bids", levels(s.bids)}, {"asks", levels(s.asks)}};
}

nlohmann::json Market::trades(InstrumentId id, std::size_t limit) const {
  const Instrument& inst = market_.instruments()[id];
  const auto& recent = market_.recentTrades(id);
  nlohmann::json out = nlohmann::json::array();
  const std::size_t first = recent.size() > limit ? recent.size() - limit : 0;
  for (std::size_t i = first; i < recent.size(); ++i) {
    const PublicTrade& t = recent[i];
    out.push_back({{"id", t.instrumentSeq},
                   {"price", price(inst, t.price)},
                   {"qty", qty(inst, t.qty)},
                   {"quoteQty", decimal(toDouble(t.price) * toDouble(t.qty), 5)},
                   {"time", t.ts / 1'000'000},
                   {"isBuyerMaker", t.takerSide == Side::Sell}});
  }
  return out;
}

nlohmann::json Market::aggTradeJson(const Instrument& inst, const PublicTrade& t) const {
  // One aggregate trade per simulator trade (a taker's fills at one price are one trade here).
  return {{"a", t.instrumentSeq}, {"p", price(inst, t.price)}, {"q", qty(inst, t.qty)}, {"f", t.instrumentSeq},
          {"l", t.instrumentSeq}, {"T", t.ts / 1'000'000}, {"m", t.takerSide == Side::Sell}};
}

nlohmann::json Market::aggTrades(InstrumentId id, std::size_t limit, std::int64_t fromId, std::int64_t startMs,
                                 std::int64_t endMs) const {
  const Instrument& inst = market_.instruments()[id];
  std::vector<const PublicTrade*> picked;
  for (const PublicTrade& t : market_.recentTrades(id)) {
    const std::int64_t ms = t.ts / 1'000'000;
    if (fromId >= 0 && std::int64_t(t.instrumentSeq) < fromId) continue;
    if (startMs >= 0 && ms < startMs) continue;
    if (endMs >= 0 && ms > endMs) continue;
    picked.push_back(&t);
  }
  // fromId / startTime page forwards from there; otherwise the latest.
  std::size_t first = 0, last = picked.size();
  if (picked.size() > limit) {
    if (fromId >= 0 || startMs >= 0)
      last = limit;
    else
      first = picked.size() - limit;
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = first; i < last; ++i) out.push_back(aggTradeJson(inst, *picked[i]));
  return out;
}

nlohmann::json Market::klineJson(const Instrument& inst, const Kline& k, std::int64_t intervalMs, bool closed) const {
  return {{"t", k.openTime},
          {"T", k.openTime + intervalMs - 1},
          {"s", inst.name},
          {"i", "1m"},
          {"f", k.trades ? std::int64_t(k.firstTrade) : -1},
          {"L", k.trades ? std::int64_t(k.lastTrade) : -1},
          {"o", price(inst, k.open)},
          {"c", price(inst, k.close)},
          {"h", price(inst, k.high)},
          {"l", price(inst, k.low)},
          {"v", decimal(k.volume, kQtyPrecision)},
          {"n", k.trades},
          {"x", closed},
          {"q", decimal(k.quoteVolume, 4)},
          {"V", decimal(k.takerBuyVolume, kQtyPrecision)},
          {"Q", decimal(k.takerBuyQuote, 4)},
          {"B", "0"}};
}

nlohmann::json Market::klines(InstrumentId id, std::int64_t interval, std::size_t limit, std::int64_t startMs,
                              std::int64_t endMs) const {
  const Instrument& inst = market_.instruments()[id];
  // The 1-minute klines folded into the interval's buckets.
  std::vector<Kline> buckets;
  auto fold = [&](const Kline& k) {
    if (k.open == 0) return;
    const std::int64_t start = k.openTime - k.openTime % interval;
    if (buckets.empty() || buckets.back().openTime != start) {
      Kline b = k;
      b.openTime = start;
      buckets.push_back(b);
      return;
    }
    Kline& b = buckets.back();
    b.high = std::max(b.high, k.high);
    b.low = std::min(b.low, k.low);
    b.close = k.close;
    b.volume += k.volume;
    b.quoteVolume += k.quoteVolume;
    b.takerBuyVolume += k.takerBuyVolume;
    b.takerBuyQuote += k.takerBuyQuote;
    if (k.trades) {
      if (!b.trades) b.firstTrade = k.firstTrade;
      b.lastTrade = k.lastTrade;
    }
    b.trades += k.trades;
  };
  const auto& ks = data_[slot(id)].klines;
  for (const Kline& k : ks) fold(k);
  const Kline current = currentKline(id);
  if (ks.empty() || ks.back().openTime != current.openTime) fold(current);
  std::vector<Kline> picked;
  for (const Kline& b : buckets)
    if ((startMs < 0 || b.openTime + interval > startMs) && (endMs < 0 || b.openTime <= endMs)) picked.push_back(b);
  std::size_t first = 0, last = picked.size();
  if (picked.size() > limit) {
    if (startMs >= 0)
      last = limit;
    else
      first = picked.size() - limit;
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = first; i < last; ++i) {
    const Kline& b = picked[i];
    out.push_back({b.openTime, price(inst, b.open), price(inst, b.high), price(inst, b.low), price(inst, b.close),
                   decimal(b.volume, kQtyPrecision), b.openTime + interval - 1, decimal(b.quoteVolume, 4), b.trades,
                   decimal(b.takerBuyVolume, kQtyPrecision), decimal(b.takerBuyQuote, 4), "0"});
  }
  return out;
}

nlohmann::json Market::premiumIndex(InstrumentId id) const {
  const Instrument& inst = market_.instruments()[id];
  const std::int64_t now = nowMs();
  return {{"symbol", inst.name},
          {"markPrice", decimal(markPrice(id), 8)},
          {"indexPrice", decimal(indexPrice(id), 8)},
          {"estimatedSettlePrice", decimal(indexPrice(id), 8)},
          {"lastFundingRate", decimal(fundingRate(id), 8)},
          {"interestRate", "0.00010000"},
          {"nextFundingTime", nextFundingTimeMs(now)},
          {"time", now}};
}

nlohmann::json Market::bookTicker(InstrumentId id) const {
  const Instrument& inst = market_.instruments()[id];
  const OrderBook& b = market_.book(id);
  const Level* bid = b.bestBid();
  const Level* ask = b.bestAsk();
  return {{"symbol", inst.name},
          {"bidPrice", price(inst, bid ? bid->price : 0)},
          {"bidQty", qty(inst, bid ? bid->qty : 0)},
          {"askPrice", price(inst, ask ? ask->price : 0)},
          {"askQty", qty(inst, ask ? ask->qty : 0)},
          {"time", nowMs()},
          {"lastUpdateId", b.changeId()}};
}

nlohmann::json Market::ticker24h(InstrumentId id) const {
  const Instrument& inst = market_.instruments()[id];
  const std::int64_t now = nowMs();
  const std::int64_t from = now - 24 * 3600'000;
  Price open = 0, high = 0, low = 0, last = 0;
  double volume = 0, quote = 0;
  std::uint64_t firstId = 0, lastId = 0, count = 0;
  for (const Kline& k : data_[slot(id)].klines) {
    if (k.openTime < from - kMinuteMs || !k.trades) continue;
    if (!open) open = k.open, low = k.low, firstId = k.firstTrade;
    high = std::max(high, k.high);
    low = std::min(low, k.low);
    last = k.close;
    lastId = k.lastTrade;
    volume += k.volume;
    quote += k.quoteVolume;
    count += k.trades;
  }
  if (!last) last = open = high = low = market_.lastPrice(id);
  const double change = toDouble(last - open);
  const auto& recent = market_.recentTrades(id);
  return {{"symbol", inst.name},
          {"priceChange", decimal(change, kPricePrecision)},
          {"priceChangePercent", decimal(open ? 100.0 * change / toDouble(open) : 0.0, 3)},
          {"weightedAvgPrice", decimal(volume > 0 ? quote / volume : toDouble(last), kPricePrecision)},
          {"lastPrice", price(inst, last)},
          {"lastQty", qty(inst, recent.empty() ? 0 : recent.back().qty)},
          {"openPrice", price(inst, open)},
          {"highPrice", price(inst, high)},
          {"lowPrice", price(inst, low)},
          {"volume", decimal(volume, kQtyPrecision)},
          {"quoteVolume", decimal(quote, 2)},
          {"openTime", from},
          {"closeTime", now},
          {"firstId", firstId},
          {"lastId", lastId},
          {"count", count}};
}

}  // namespace kappa::exchange::binance
