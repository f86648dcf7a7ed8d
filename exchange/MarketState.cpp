#include "MarketState.hpp"

#include <iostream>
#include <limits>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "pricing/BlackScholes.hpp"
#include "pricing/ImpliedVol.hpp"

namespace kappa::exchange {
namespace {
constexpr std::uint64_t kMaxStepsPerTick = 250;
constexpr double kNanosPerYear = 365.25 * 86400.0 * 1e9;
// The simulator prices futures and option forwards at this annual carry over the index
// (engine/sim/SimExchange.cpp, kCarry); the ticker's underlying_price is that forward.
constexpr double kCarry = 0.05;
constexpr std::int64_t kPerpetualExpiryMs = 32503708800000;  // what Deribit lists for perpetuals

double px(Price p) { return toDouble(p); }
double round8(double v) { return std::round(v * 1e8) / 1e8; }
double round2(double v) { return std::round(v * 100) / 100; }
double round5(double v) { return std::round(v * 1e5) / 1e5; }

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

MarketState::MarketState(const sim::SimConfig& config) : sim_(config) {
  const auto& all = instruments().all();
  books_.resize(all.size());
  stats_.resize(all.size());
  index_.assign(all.size(), 0.0);
  recent_.resize(all.size());
  std::set<std::string> seen;
  for (const Instrument& inst : all) {
    if (!inst.tradable) continue;
    if (seen.insert(inst.baseCurrency).second) currencies_.push_back(inst.baseCurrency);
  }
  creationMs_ = sim_.now() / 1'000'000;
}

std::string MarketState::currencyOfIndex(const Instrument& index) {
  std::string c;
  for (char ch : index.name) {
    if (ch == '_') break;
    c += char(std::toupper(static_cast<unsigned char>(ch)));
  }
  return c;
}

bool MarketState::hasCurrency(const std::string& c) const {
  return std::find(currencies_.begin(), currencies_.end(), c) != currencies_.end();
}

InstrumentId MarketState::indexOf(const std::string& currency) const {
  for (const Instrument& inst : instruments().all())
    if (inst.kind == InstrumentKind::Index && currencyOfIndex(inst) == currency) return inst.id;
  return kNoInstrument;
}

std::string MarketState::indexName(const std::string& currency) const {
  const InstrumentId id = indexOf(currency);
  return id == kNoInstrument ? lower(currency) + "_usd" : instruments()[id].name;
}

void MarketState::start() {
  sim_.start();
  drain();
  origin_ = std::chrono::steady_clock::now();
}

void MarketState::pace() {
  const auto elapsed = std::chrono::steady_clock::now() - origin_;
  const auto due = std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count() /
                                 sim_.config().step);
  const std::uint64_t done = sim_.steps();
  std::uint64_t behind = due > done ? due - done : 0;
  if (behind > kMaxStepsPerTick) {
    sim_.skip(behind - kMaxStepsPerTick);
    behind = kMaxStepsPerTick;
  }
  for (; behind > 0; --behind) sim_.step();
  drain();
  settleDue();
}

// ---- instruments that come and go ----------------------------------------------------------

InstrumentId MarketState::listOption(const std::string& currency, Nanos expiry, Price strike, OptionType type,
                                     std::string* why) {
  const InstrumentId id = sim_.listOption(currency, expiry, strike, type, why);
  if (id == kNoInstrument) return id;
  createdMs_.resize(instruments().size(), 0);
  createdMs_[id] = nowMs();
  nextExpiry_ = 0;
  // The state notifications first, so a client that acts on them finds the book's snapshot next.
  if (listener_) {
    listener_->onInstrumentState(instruments()[id], "created", now());
    listener_->onInstrumentState(instruments()[id], "started", now());
  }
  drain();
  return id;
}

bool MarketState::expire(InstrumentId id, std::string* why) {
  if (!sim_.expire(id, why)) return false;
  drain();  // the makers' cancels and the users' cancelled orders go out before the state changes
  nextExpiry_ = 0;
  if (listener_) {
    listener_->onInstrumentState(instruments()[id], "settled", now());
    listener_->onInstrumentState(instruments()[id], "terminated", now());
  }
  return true;
}

void MarketState::settleDue() {
  // Deribit's options expire at 08:00 UTC; a process that runs through that moment settles them.
  // Checked cheaply: only when the clock passes the earliest live expiry (recomputed after a change).
  const Nanos t = now();
  if (nextExpiry_ != 0 && t < nextExpiry_) return;
  Nanos next = std::numeric_limits<Nanos>::max();
  for (const Instrument& inst : instruments().all()) {
    if (!inst.isOption() || expired(inst.id)) continue;
    if (inst.expiry <= t) {
      std::string why;
      if (expire(inst.id, &why))
        std::cerr << "kappa-exchange: " << inst.name << " expired at " << inst.expiry / 1'000'000 << " ms\n";
      continue;
    }
    next = std::min(next, inst.expiry);
  }
  nextExpiry_ = next;
}

void MarketState::submit(OrderId id, const OrderRequest& request) {
  sim_.submit(id, request);
  drain();
}
void MarketState::cancel(OrderId id) {
  sim_.cancel(id);
  drain();
}
void MarketState::replace(OrderId id, Price price, Qty qty) {
  sim_.replace(id, price, qty);
  drain();
}

void MarketState::drain() {
  if (instruments().size() > books_.size()) {  // listed while running: its book and statistics
    const std::size_t n = instruments().size();
    books_.resize(n);
    stats_.resize(n);
    index_.resize(n, 0.0);
    recent_.resize(n);
  }
  sim::SimOutput& out = sim_.output();
  trades_.clear();
  for (const MdEvent& e : out.md) applyMd(e);
  if (listener_ && !out.exec.empty()) listener_->onExecutions(out.exec, trades_);
  out.clear();
}

void MarketState::applyMd(const MdEvent& e) {
  if (e.instrument >= books_.size()) return;
  OrderBook& book = books_[e.instrument];
  switch (e.type) {
    case MdType::BookBegin:
      if (e.isSnapshot) {
        book.beginSnapshot(e.changeId);
        inSnapshot_ = true;
      } else {
        book.beginUpdate(e.prevChangeId, e.changeId);
        inSnapshot_ = false;
        pending_.instrument = e.instrument;
        pending_.changeId = e.changeId;
        pending_.prevChangeId = e.prevChangeId;
        pending_.ts = e.ts;
        pending_.levels.clear();
      }
      break;
    case MdType::BookLevel:
      book.applyLevel(e.side, e.action, e.price, e.qty);
      if (!inSnapshot_) pending_.levels.push_back({e.side, e.action, e.price, e.qty});
      break;
    case MdType::BookEnd:
      book.commit();
      if (!inSnapshot_ && listener_) listener_->onBookChange(pending_);
      inSnapshot_ = false;
      break;
    case MdType::Trade: {
      Stats& s = stats_[e.instrument];
      PublicTrade t;
      t.instrument = e.instrument;
      t.tradeSeq = e.changeId;
      t.instrumentSeq = ++s.tradeCount;
      t.takerSide = e.side;
      t.price = e.price;
      t.qty = e.qty;
      t.ts = e.ts;
      t.tickDirection = s.last == 0 || e.price > s.last ? 0 : (e.price < s.last ? 2 : 1);
      const Instrument& inst = instruments()[e.instrument];
      s.last = e.price;
      if (s.open == 0) s.open = e.price;
      s.high = std::max(s.high, e.price);
      s.low = s.low == 0 ? e.price : std::min(s.low, e.price);
      s.volume += inst.isOption() ? px(e.qty) : px(e.qty) / px(e.price);
      t.indexPrice = indexFor(inst);
      t.markPrice = markPrice(e.instrument);
      trades_.push_back(t);
      recent_[e.instrument].push_back(t);
      if (recent_[e.instrument].size() > kRecentTrades) recent_[e.instrument].pop_front();
      if (listener_) listener_->onPublicTrade(trades_.back());
      break;
    }
    case MdType::IndexPrice:
      index_[e.instrument] = px(e.price);
      if (listener_) listener_->onIndexPrice(e.instrument, px(e.price), e.ts);
      break;
    case MdType::BookStale:
    case MdType::VenueMark:
    case MdType::Funding:  // venues' own figures: the simulator never emits them
      break;
  }
}

double MarketState::markPrice(InstrumentId id) const {
  const OrderBook& b = books_[id];
  const Level* bid = b.bestBid();
  const Level* ask = b.bestAsk();
  const Instrument& inst = instruments()[id];
  if (bid && ask) {
    // Mid rounded to a tenth of a tick keeps the number readable, as Deribit's mark is.
    const double mid = 0.5 * (px(bid->price) + px(ask->price));
    return inst.isOption() ? round8(mid) : round2(mid);
  }
  if (stats_[id].last) return px(stats_[id].last);
  if (bid) return px(bid->price);
  if (ask) return px(ask->price);
  return inst.isOption() ? 0.0 : forward(inst);
}

double MarketState::forward(const Instrument& inst) const {
  const double s = indexFor(inst);
  if (inst.expiry == 0) return s;
  const double t = std::max(0.0, double(inst.expiry - now()) / kNanosPerYear);
  return s * std::exp(kCarry * t);
}

OptionMetrics MarketState::optionMetrics(const Instrument& inst) const {
  OptionMetrics m;
  m.underlying = forward(inst);
  const double t = double(inst.expiry - now()) / kNanosPerYear;
  const double k = px(inst.strike);
  if (!inst.isOption() || t <= 0 || m.underlying <= 0) return m;
  const bool call = inst.optionType == OptionType::Call;
  // Inverse options: the coin premium times the forward is the USD price Black-76 inverts.
  const auto iv = [&](double coinPrice) {
    if (coinPrice <= 0) return 0.0;
    const pricing::ImpliedVol v = pricing::impliedVolBlack76(call, m.underlying, k, t, 0.0, coinPrice * m.underlying);
    return v.ok() ? round2(v.vol * 100.0) : 0.0;
  };
  const OrderBook& b = books_[inst.id];
  m.markIv = iv(markPrice(inst.id));
  m.bidIv = b.bestBid() ? iv(px(b.bestBid()->price)) : 0.0;
  m.askIv = b.bestAsk() ? iv(px(b.bestAsk()->price)) : 0.0;
  if (m.markIv > 0) {
    const pricing::Greeks g = pricing::black76Greeks(call ? pricing::CallPut::Call : pricing::CallPut::Put,
                                                     m.underlying, k, t, 0.0, m.markIv / 100.0);
    m.delta = round5(g.delta);
    m.gamma = round5(g.gamma);
    m.vega = round5(g.vegaPerPoint());
    m.theta = round5(g.thetaPerDay());
    m.rho = round5(g.rho / 100.0);
  }
  return m;
}

Qty MarketState::liquidity(InstrumentId id, Side takerSide, Price limit, bool market) const {
  const OrderBook& b = books_[id];
  const Side book = opposite(takerSide);
  std::vector<Level> levels(b.depth(book));
  b.topN(book, levels.size(), levels.data());
  Qty total = 0;
  for (const Level& l : levels) {
    if (!market && (takerSide == Side::Buy ? l.price > limit : l.price < limit)) break;
    total += l.qty;
  }
  return total;
}

const char* MarketState::kindName(const Instrument& inst) { return inst.isOption() ? "option" : "future"; }

std::string MarketState::tradeIdString(const Instrument& inst, std::uint64_t seq) {
  // Deribit numbers BTC trades plainly and prefixes the others' with their currency.
  return inst.baseCurrency == "BTC" ? std::to_string(seq) : inst.baseCurrency + "-" + std::to_string(seq);
}

nlohmann::json MarketState::instrumentJson(const Instrument& inst) const {
  using nlohmann::json;
  json j;
  const bool option = inst.isOption();
  j["instrument_name"] = inst.name;
  j["instrument_id"] = inst.id;
  j["kind"] = kindName(inst);
  j["base_currency"] = inst.baseCurrency;
  j["quote_currency"] = inst.quoteCurrency;
  j["counter_currency"] = "USD";
  j["settlement_currency"] = inst.settleCurrency;
  j["price_index"] = indexName(inst.baseCurrency);
  j["tick_size"] = px(inst.tickSize);
  j["tick_size_steps"] = json::array();
  j["min_trade_amount"] = px(inst.minQty);
  j["contract_size"] = inst.contractSize;
  j["maker_commission"] = inst.makerFee;
  j["taker_commission"] = inst.takerFee;
  j["block_trade_commission"] = option ? 0.00015 : 0.00025;
  j["block_trade_min_trade_amount"] = option ? 25 : 200000;
  j["block_trade_tick_size"] = option ? 0.0001 : 0.01;
  const bool live = !expired(inst.id);
  j["is_active"] = live;
  j["state"] = live ? "open" : "settled";
  j["creation_timestamp"] = inst.id < createdMs_.size() && createdMs_[inst.id] ? createdMs_[inst.id] : creationMs_;
  j["instrument_type"] = inst.settlement == Settlement::Inverse ? "reversed" : "linear";
  j["rfq"] = false;
  if (inst.kind == InstrumentKind::Perpetual) {
    j["settlement_period"] = "perpetual";
    j["expiration_timestamp"] = kPerpetualExpiryMs;
  } else {
    j["expiration_timestamp"] = inst.expiry / 1'000'000;
    // Deribit's periods: the monthly (and quarterly) expiries are the month's last Friday.
    using namespace std::chrono;
    const sys_days d = floor<days>(sys_time<nanoseconds>(nanoseconds(inst.expiry)));
    const bool friday = weekday{d} == Friday;
    const bool lastFriday = friday && year_month_day{d + days(7)}.month() != year_month_day{d}.month();
    j["settlement_period"] = lastFriday ? "month" : (friday ? "week" : "day");
  }
  if (option) {
    j["option_type"] = inst.optionType == OptionType::Call ? "call" : "put";
    j["strike"] = px(inst.strike);
  } else {
    j["future_type"] = j["instrument_type"];  // the older name, still read by clients (ccxt)
    j["max_leverage"] = 50;
    j["max_liquidation_commission"] = 0.0075;
  }
  return j;
}

nlohmann::json MarketState::tickerJson(const Instrument& inst) const {
  using nlohmann::json;
  json j;
  const OrderBook& b = books_[inst.id];
  const double mark = markPrice(inst.id);
  const double index = indexFor(inst);
  const Stats& s = stats_[inst.id];
  j["timestamp"] = nowMs();
  j["state"] = "open";
  j["instrument_name"] = inst.name;
  j["best_bid_price"] = b.bestBid() ? px(b.bestBid()->price) : 0.0;
  j["best_bid_amount"] = b.bestBid() ? px(b.bestBid()->qty) : 0.0;
  j["best_ask_price"] = b.bestAsk() ? px(b.bestAsk()->price) : 0.0;
  j["best_ask_amount"] = b.bestAsk() ? px(b.bestAsk()->qty) : 0.0;
  j["last_price"] = s.last ? json(px(s.last)) : json(nullptr);
  j["mark_price"] = mark;
  j["index_price"] = index;
  j["estimated_delivery_price"] = index;
  j["settlement_price"] = mark;
  j["open_interest"] = 0.0;
  j["stats"] = {{"volume", round8(s.volume)},
                {"price_change", s.open ? round5((px(s.last) / px(s.open) - 1.0) * 100.0) : 0.0},
                {"low", s.low ? json(px(s.low)) : json(nullptr)},
                {"high", s.high ? json(px(s.high)) : json(nullptr)}};
  if (inst.isOption()) {
    const OptionMetrics m = optionMetrics(inst);
    j["underlying_price"] = round2(m.underlying);
    j["underlying_index"] = "SYN." + inst.baseCurrency + "-" + deribitExpiryCode(inst.expiry);
    j["interest_rate"] = 0.0;
    j["mark_iv"] = m.markIv;
    j["bid_iv"] = m.bidIv;
    j["ask_iv"] = m.askIv;
    j["greeks"] = {{"delta", m.delta}, {"gamma", m.gamma}, {"vega", m.vega}, {"theta", m.theta}, {"rho", m.rho}};
    j["min_price"] = px(inst.tickSize);
    j["max_price"] = round8(std::max(mark * 2.0, mark + 0.05));
  } else {
    j["min_price"] = round2(mark * 0.975);
    j["max_price"] = round2(mark * 1.025);
    if (inst.kind == InstrumentKind::Perpetual) {
      j["current_funding"] = 0.0;
      j["funding_8h"] = 0.0;
      j["interest_value"] = 0.0;
    }
  }
  return j;
}

nlohmann::json MarketState::orderBookJson(const Instrument& inst, std::size_t depth) const {
  nlohmann::json j = tickerJson(inst);
  const OrderBook& b = books_[inst.id];
  j["change_id"] = b.changeId();
  for (Side side : {Side::Buy, Side::Sell}) {
    std::vector<Level> levels(std::min(depth, b.depth(side)));
    b.topN(side, levels.size(), levels.data());
    nlohmann::json arr = nlohmann::json::array();
    for (const Level& l : levels) arr.push_back({px(l.price), px(l.qty)});
    j[side == Side::Buy ? "bids" : "asks"] = std::move(arr);
  }
  return j;
}

nlohmann::json MarketState::bookSnapshotJson(const Instrument& inst) const {
  nlohmann::json j;
  const OrderBook& b = books_[inst.id];
  j["type"] = "snapshot";
  j["timestamp"] = nowMs();
  j["instrument_name"] = inst.name;
  j["change_id"] = b.changeId();
  for (Side side : {Side::Buy, Side::Sell}) {
    std::vector<Level> levels(b.depth(side));
    b.topN(side, levels.size(), levels.data());
    nlohmann::json arr = nlohmann::json::array();
    for (const Level& l : levels) arr.push_back({"new", px(l.price), px(l.qty)});
    j[side == Side::Buy ? "bids" : "asks"] = std::move(arr);
  }
  return j;
}

nlohmann::json MarketState::tradeJson(const PublicTrade& t) const {
  const Instrument& inst = instruments()[t.instrument];
  nlohmann::json j = {{"trade_id", tradeIdString(inst, t.tradeSeq)},
                      {"trade_seq", t.instrumentSeq},
                      {"timestamp", t.ts / 1'000'000},
                      {"tick_direction", t.tickDirection},
                      {"price", px(t.price)},
                      {"mark_price", t.markPrice},
                      {"index_price", t.indexPrice},
                      {"instrument_name", inst.name},
                      {"direction", nameOf(t.takerSide)},
                      {"amount", px(t.qty)},
                      {"contracts", px(t.qty) / inst.contractSize}};
  if (inst.isOption()) j["iv"] = optionMetrics(inst).markIv;
  return j;
}

}  // namespace kappa::exchange
