#include "sim/SimExchange.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <span>

#include "pricing/BlackScholes.hpp"

namespace kappa::sim {
namespace {
constexpr double kNanosPerYear = 365.25 * 86400.0 * 1e9;
constexpr int kTakerOwner = 1000;
constexpr double kCarry = 0.05;  // annual carry of futures and option forwards over the index
constexpr int kStrikesPerExpiry = 17;

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

sys_days lastFridayOf(std::chrono::year_month ym) {
  const sys_days last{ym / std::chrono::last};
  return last - (std::chrono::weekday{last} - std::chrono::Friday);
}

// Deribit's calendar: two dailies, Friday weeklies, the monthly (last Friday) and quarterlies
// (last Friday of Mar/Jun/Sep/Dec) out to about half a year; all at 08:00 UTC.
std::vector<sys_days> optionExpiryDays(sys_days today) {
  std::vector<sys_days> out = {today + days(1), today + days(2)};
  sys_days friday = today + days(3) + (std::chrono::Friday - std::chrono::weekday{today + days(3)});
  out.push_back(friday);
  out.push_back(friday + days(7));
  const year_month_day ymd{today};
  const std::chrono::year_month ym{ymd.year(), ymd.month()};
  out.push_back(lastFridayOf(ym + std::chrono::months(1)));
  for (int m = 1; m <= 8; ++m) {
    const std::chrono::year_month q = ym + std::chrono::months(m);
    if (unsigned(q.month()) % 3 != 0) continue;
    const sys_days d = lastFridayOf(q);
    if (d - today >= days(60) && d - today <= days(240)) out.push_back(d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double strikeStepFor(double daysToExpiry) {
  if (daysToExpiry <= 2) return 500;
  if (daysToExpiry <= 14) return 1000;
  if (daysToExpiry <= 45) return 2500;
  return 5000;
}
constexpr std::array<double, 3> kLayerVolOffset = {0.010, 0.022, 0.040};
constexpr std::array<double, 3> kLayerSize = {6.0, 20.0, 50.0};
}  // namespace

struct SimExchange::Market {
  explicit Market(MatchSink& sink) : book(sink) {}
  struct Pending {
    Side side;
    Price price;
    Qty total;
    bool created;
  };
  MatchingBook book;
  std::uint64_t changeId = 1000;
  std::vector<Pending> pending;
};

struct SimExchange::LadderMaker {
  int owner = 0;
  InstrumentId instrument = kNoInstrument;
  double halfSpreadTicks = 0.3;
  int levels = 20;
  int spacingTicks = 1;
  double meanSize = 5000;
  double requoteProbability = 0.3;  // per step once the fair price has moved
  double lastFair = 0;
  std::map<Price, std::uint64_t> bids, asks;  // price -> exchange order id
};

struct SimExchange::OptionQuotes {
  InstrumentId instrument = kNoInstrument;
  int owner = 0;
  std::array<Price, 3> bidPx{}, askPx{};
  std::array<std::uint64_t, 3> bidId{}, askId{};
};

SimExchange::SimExchange(const SimConfig& config) : config_(config), rng_(config.seed) {
  if (config_.startTime == 0) config_.startTime = 1'790'000'000'000'000'000;  // fixed default for tests
  now_ = config_.startTime;
  index_ = index0_ = config_.spot;
  buildInstruments();
}

SimExchange::~SimExchange() = default;

void SimExchange::buildInstruments() {
  using namespace std::chrono;
  Instrument index;
  index.name = "btc_usd";
  index.kind = InstrumentKind::Index;
  index.settlement = Settlement::Linear;
  index.tickSize = toFixed(0.01);
  index.minQty = toFixed(1);
  index.tradable = false;
  index.priceDecimals = 2;
  indexId_ = instruments_.add(index);

  Instrument perp;
  perp.name = "BTC-PERPETUAL";
  perp.kind = InstrumentKind::Perpetual;
  perp.settlement = Settlement::Inverse;
  perp.underlyingId = indexId_;
  perp.contractSize = 10;
  perp.tickSize = toFixed(0.5);
  perp.minQty = toFixed(10);
  perp.maxQty = toFixed(10'000'000);
  perp.makerFee = 0.0;
  perp.takerFee = 0.0005;
  perp.priceDecimals = 1;
  perp.qtyDecimals = 0;
  perpId_ = instruments_.add(perp);
  ladderInstruments_.push_back(perpId_);

  const sys_days startDay = floor<days>(sys_time<nanoseconds>(nanoseconds(config_.startTime)));
  const sys_days today = startDay;
  const auto at0800 = [](sys_days d) {
    return duration_cast<nanoseconds>((d + hours(8)).time_since_epoch()).count();
  };
  const std::vector<sys_days> optionDays = optionExpiryDays(today);
  std::vector<sys_days> quarterlies;
  for (sys_days d : optionDays)
    if (d - today >= days(60)) quarterlies.push_back(d);
  for (sys_days d : quarterlies) {
    Instrument fut = perp;
    fut.kind = InstrumentKind::Future;
    fut.expiry = at0800(d);
    fut.name = "BTC-" + deribitExpiryCode(fut.expiry);
    fut.tickSize = toFixed(2.5);
    ladderInstruments_.push_back(instruments_.add(fut));
  }

  for (sys_days day : optionDays) {
    const Nanos expiry = at0800(day);
    const double step = strikeStepFor(double((day - today).count()));
    const double atm = std::round(config_.spot / step) * step;
    for (int s = 0; s < kStrikesPerExpiry; ++s) {
      const double strike = atm + (s - kStrikesPerExpiry / 2) * step;
      for (OptionType type : {OptionType::Call, OptionType::Put}) {
        Instrument opt;
        opt.kind = InstrumentKind::Option;
        opt.settlement = Settlement::Inverse;
        opt.optionType = type;
        opt.quoteCurrency = "BTC";
        opt.underlyingId = indexId_;
        opt.strike = toFixed(strike);
        opt.expiry = expiry;
        opt.contractSize = 1.0;
        opt.tickSize = toFixed(0.0005);
        opt.minQty = toFixed(0.1);
        opt.maxQty = toFixed(10'000);
        opt.makerFee = opt.takerFee = 0.0003;
        opt.priceDecimals = 4;
        opt.qtyDecimals = 1;
        opt.name = "BTC-" + deribitExpiryCode(expiry) + "-" + std::to_string(std::int64_t(strike)) +
                   (type == OptionType::Call ? "-C" : "-P");
        OptionQuotes q;
        q.instrument = instruments_.add(opt);
        q.owner = 100 + int(options_.size() % 2);
        options_.push_back(q);
      }
    }
  }

  markets_.resize(instruments_.size());
  for (const Instrument& inst : instruments_.all())
    if (inst.tradable) markets_[inst.id] = std::make_unique<Market>(static_cast<MatchSink&>(*this));

  struct MakerSpec { double hs; int levels; int spacing; double size; double requote; };
  const MakerSpec perpMakers[] = {{0.3, 30, 1, 4000, 0.5}, {1.5, 25, 2, 20000, 0.2}, {4, 20, 5, 90000, 0.05}};
  const MakerSpec futMakers[] = {{0.4, 20, 1, 3000, 0.3}, {2, 15, 3, 15000, 0.1}};
  int owner = 1;
  for (InstrumentId id : ladderInstruments_) {
    const bool isPerp = id == perpId_;
    for (const MakerSpec& s : isPerp ? std::span<const MakerSpec>(perpMakers) : std::span<const MakerSpec>(futMakers)) {
      LadderMaker m;
      m.owner = owner++;
      m.instrument = id;
      m.halfSpreadTicks = s.hs;
      m.levels = s.levels;
      m.spacingTicks = s.spacing;
      m.meanSize = s.size;
      m.requoteProbability = s.requote;
      ladderMakers_.push_back(std::move(m));
    }
  }
}

// ---- feed construction -------------------------------------------------------------------

void SimExchange::begin(InstrumentId id) {
  if (current_ != id) flush();
  current_ = id;
}

void SimExchange::onLevel(Side side, Price price, Qty total, bool created) {
  auto& pending = markets_[current_]->pending;
  for (auto& p : pending) {
    if (p.side == side && p.price == price) {
      p.total = total;
      return;
    }
  }
  pending.push_back({side, price, total, created});
}

void SimExchange::flush() {
  if (current_ == kNoInstrument) return;
  Market& m = *markets_[current_];
  if (m.pending.empty() || feedMuted_) {
    m.pending.clear();
    return;
  }
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.instrument = current_;
  begin.prevChangeId = m.changeId;
  begin.changeId = ++m.changeId;
  begin.ts = now_;
  const std::size_t mark = out_.md.size();
  out_.md.push_back(begin);
  for (const auto& p : m.pending) {
    if (p.total == 0 && p.created) continue;  // appeared and vanished within this message
    MdEvent lv;
    lv.type = MdType::BookLevel;
    lv.instrument = current_;
    lv.side = p.side;
    lv.price = p.price;
    lv.qty = p.total;
    lv.action = p.total == 0 ? LevelAction::Delete : (p.created ? LevelAction::New : LevelAction::Change);
    lv.ts = now_;
    out_.md.push_back(lv);
  }
  m.pending.clear();
  if (out_.md.size() == mark + 1) {  // nothing visible changed: take the message back
    out_.md.pop_back();
    --m.changeId;
    return;
  }
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = current_;
  end.ts = now_;
  out_.md.push_back(end);
}

void SimExchange::emitSnapshot(InstrumentId id) {
  flush();
  current_ = kNoInstrument;
  Market& m = *markets_[id];
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.isSnapshot = true;
  begin.instrument = id;
  begin.changeId = m.changeId;
  begin.ts = now_;
  out_.md.push_back(begin);
  for (Side side : {Side::Buy, Side::Sell}) {
    m.book.levels(side, scratch_);
    for (const Level& l : scratch_) {
      MdEvent lv;
      lv.type = MdType::BookLevel;
      lv.instrument = id;
      lv.side = side;
      lv.action = LevelAction::New;
      lv.price = l.price;
      lv.qty = l.qty;
      lv.ts = now_;
      out_.md.push_back(lv);
    }
  }
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = id;
  end.ts = now_;
  out_.md.push_back(end);
}

void SimExchange::onFill(const SimOrder& maker, const SimOrder& taker, Price price, Qty qty) {
  MdEvent t;
  t.type = MdType::Trade;
  t.instrument = current_;
  t.side = taker.side;
  t.price = price;
  t.qty = qty;
  t.changeId = ++tradeId_;
  t.ts = now_;
  out_.md.push_back(t);
  const Instrument& inst = instruments_[current_];
  if (maker.owner == kUserOwner) {
    userExec(ExecType::Fill, maker.clientId, price, qty, maker.qty, {}, fee(inst, price, qty, true), true);
    if (maker.qty == 0) {
      userOrders_.erase(maker.clientId);
      userInstrument_.erase(maker.clientId);
      userPostOnly_.erase(maker.clientId);
    }
  }
  if (taker.owner == kUserOwner)
    userExec(ExecType::Fill, taker.clientId, price, qty, taker.qty, {}, fee(inst, price, qty, false), false);
}

// ---- participants ------------------------------------------------------------------------

void SimExchange::start() {
  feedMuted_ = true;
  for (auto& m : ladderMakers_) requoteLadder(m);
  for (std::size_t i = 0; i < options_.size(); ++i) requoteOption(i);
  flush();
  feedMuted_ = false;
  current_ = kNoInstrument;
  MdEvent idx;
  idx.type = MdType::IndexPrice;
  idx.instrument = indexId_;
  idx.price = toFixed(index_);
  idx.ts = now_;
  out_.md.push_back(idx);
  for (InstrumentId id = 0; id < markets_.size(); ++id)
    if (markets_[id]) emitSnapshot(id);
}

void SimExchange::advancePrices() {
  const double dtSec = double(config_.step) * 1e-9;
  const double dtYears = double(config_.step) / kNanosPerYear;
  const double sigma = config_.volatility;
  index_ *= std::exp(-0.5 * sigma * sigma * dtYears + sigma * std::sqrt(dtYears) * rng_.normal());
  if (rng_.chance(config_.jumpsPerHour * dtSec / 3600.0)) index_ *= std::exp(config_.jumpSigma * rng_.normal());
  perpBasis_ += (M_LN2 / 60.0) * (0.0002 - perpBasis_) * dtSec + 0.0001 * std::sqrt(dtSec / 60.0) * rng_.normal();
  volLevel_ += (M_LN2 / 300.0) * (0.0 - volLevel_) * dtSec + 0.02 * std::sqrt(dtSec / 300.0) * rng_.normal();
}

double SimExchange::fairPrice(InstrumentId id) const {
  if (id == perpId_) return index_ * (1.0 + perpBasis_);
  const double t = std::max(0.0, double(instruments_[id].expiry - now_) / kNanosPerYear);
  return index_ * std::exp(kCarry * t);
}

Price SimExchange::roundToTick(double price, Price tick, int direction) const {
  const double ticks = price / toDouble(tick);
  const double n = direction < 0 ? std::floor(ticks + 1e-9) : direction > 0 ? std::ceil(ticks - 1e-9) : std::round(ticks);
  return Price(n) * tick;
}

Qty SimExchange::randomQty(const Instrument& inst, double mean) {
  const double x = mean * std::exp(0.8 * rng_.normal() - 0.32);
  const double step = toDouble(inst.minQty);
  return std::max<Qty>(inst.minQty, Qty(std::llround(x / step)) * inst.minQty);
}

void SimExchange::requoteLadder(LadderMaker& m) {
  const Instrument& inst = instruments_[m.instrument];
  Market& market = *markets_[m.instrument];
  const double fair = fairPrice(m.instrument);
  m.lastFair = fair;
  const double fairTicks = fair / toDouble(inst.tickSize);
  const std::int64_t bidTop = std::int64_t(std::floor(fairTicks - m.halfSpreadTicks));
  const std::int64_t askTop = std::int64_t(std::ceil(fairTicks + m.halfSpreadTicks));
  begin(m.instrument);
  auto sync = [&](std::map<Price, std::uint64_t>& resting, Side side, std::int64_t top, int dir) {
    std::vector<Price> desired;
    desired.reserve(std::size_t(m.levels));
    // Best level at `top`, deeper levels on a fixed grid of spacing multiples, so that a one-tick
    // move of the fair price changes a couple of levels rather than rewriting the whole ladder.
    desired.push_back(Price(top) * inst.tickSize);
    const std::int64_t sp = m.spacingTicks;
    std::int64_t grid = dir < 0 ? (top / sp) * sp : ((top + sp - 1) / sp) * sp;
    if (grid == top) grid += dir * sp;
    for (int j = 1; j < m.levels; ++j, grid += dir * sp) desired.push_back(Price(grid) * inst.tickSize);
    for (auto it = resting.begin(); it != resting.end();) {
      if (std::find(desired.begin(), desired.end(), it->first) == desired.end()) {
        market.book.cancel(it->second);
        it = resting.erase(it);
      } else if (!market.book.find(it->second)) {
        it = resting.erase(it);  // filled since the last requote: quote it again below
      } else {
        ++it;
      }
    }
    for (Price p : desired) {
      if (p <= 0 || resting.count(p)) continue;
      MatchingBook::NewOrder o{m.owner, 0, side, p, randomQty(inst, m.meanSize), false, false, true};
      const auto r = market.book.add(o);
      if (r.outcome == AddOutcome::Rested) resting.emplace(p, r.id);
    }
  };
  sync(m.bids, Side::Buy, bidTop, -1);
  sync(m.asks, Side::Sell, askTop, +1);
}

void SimExchange::ladderNoise() {
  LadderMaker& m = ladderMakers_[rng_.below(ladderMakers_.size())];
  auto& side = rng_.chance(0.5) ? m.bids : m.asks;
  if (side.empty()) return;
  auto it = side.begin();
  std::advance(it, std::ptrdiff_t(rng_.below(side.size())));
  Market& market = *markets_[m.instrument];
  begin(m.instrument);
  MatchingBook::Result r;
  if (!market.book.modify(it->second, it->first, randomQty(instruments_[m.instrument], m.meanSize), &r)) {
    side.erase(it);
    return;
  }
  it->second = r.id;
}

void SimExchange::ladderTaker(InstrumentId id) {
  Market& market = *markets_[id];
  const Price bb = market.book.bestBid(), ba = market.book.bestAsk();
  if (bb == 0 || ba == 0) return;
  const Instrument& inst = instruments_[id];
  const double mid = toDouble(bb + ba) / 2.0;
  const double pull = std::clamp((fairPrice(id) - mid) / (toDouble(inst.tickSize) * 6.0), -0.35, 0.35);
  const Side side = rng_.chance(0.5 + pull) ? Side::Buy : Side::Sell;
  const double mean = (id == perpId_ ? 3000.0 : 1500.0) * (rng_.chance(0.05) ? 15.0 : 1.0);
  begin(id);
  market.book.add({kTakerOwner, 0, side, 0, randomQty(inst, mean), true, true, false});
}

double SimExchange::smileVol(double k, double t) const {
  double atm = 0.48 + 0.12 * std::exp(-t * 8.0) + volLevel_ - 0.6 * std::log(index_ / index0_);
  atm = std::clamp(atm, 0.15, 2.5);
  const double z = std::clamp(k / (atm * std::sqrt(std::max(t, 1e-6))), -4.0, 4.0);
  return atm * (1.0 - 0.04 * z + 0.025 * z * z);
}

void SimExchange::requoteOption(std::size_t i) {
  OptionQuotes& q = options_[i];
  const Instrument& inst = instruments_[q.instrument];
  Market& market = *markets_[q.instrument];
  begin(q.instrument);
  const double t = double(inst.expiry - now_) / kNanosPerYear;
  if (t <= 0) {  // expired: the makers walk away
    for (int l = 0; l < 3; ++l) {
      if (q.bidId[std::size_t(l)]) market.book.cancel(q.bidId[std::size_t(l)]);
      if (q.askId[std::size_t(l)]) market.book.cancel(q.askId[std::size_t(l)]);
    }
    q.bidId = {};
    q.askId = {};
    q.bidPx = {};
    q.askPx = {};
    return;
  }
  const double f = index_ * std::exp(kCarry * t);
  const double strike = toDouble(inst.strike);
  const pricing::CallPut cp = inst.optionType == OptionType::Call ? pricing::CallPut::Call : pricing::CallPut::Put;
  const double sigma = smileVol(std::log(strike / f), t);
  const Price tick = inst.tickSize;
  for (std::size_t l = 0; l < 3; ++l) {
    const double wing = 1.0 + 0.15 * std::abs(std::log(strike / f)) / (sigma * std::sqrt(t));
    const double offset = kLayerVolOffset[l] * wing;
    Price bid = roundToTick(pricing::black76Price(cp, f, strike, t, 0.0, std::max(0.05, sigma - offset)) / f, tick, -1);
    Price ask = roundToTick(pricing::black76Price(cp, f, strike, t, 0.0, sigma + offset) / f, tick, +1);
    if (bid > 0 && l > 0) bid = std::max<Price>(0, bid - Price(l) * tick);
    if (ask < tick) ask = tick;
    if (ask <= bid) ask = bid + tick;
    if (bid < tick) bid = 0;
    auto place = [&](Side side, Price px, Price& curPx, std::uint64_t& curId) {
      if (px == curPx && curId && market.book.find(curId)) return;
      if (curId) market.book.cancel(curId);
      curId = 0;
      curPx = px;
      if (px <= 0) return;
      const auto r = market.book.add({q.owner, 0, side, px, randomQty(inst, kLayerSize[l]), false, false, true});
      if (r.outcome == AddOutcome::Rested) curId = r.id;
    };
    place(Side::Buy, bid, q.bidPx[l], q.bidId[l]);
    place(Side::Sell, ask, q.askPx[l], q.askId[l]);
  }
}

void SimExchange::optionNoise() {
  OptionQuotes& q = options_[rng_.below(options_.size())];
  const std::size_t l = rng_.below(3);
  const bool bid = rng_.chance(0.5);
  std::uint64_t& id = bid ? q.bidId[l] : q.askId[l];
  if (!id) return;
  Market& market = *markets_[q.instrument];
  const SimOrder* o = market.book.find(id);
  if (!o) {
    id = 0;
    return;
  }
  begin(q.instrument);
  MatchingBook::Result r;
  market.book.modify(id, o->price, randomQty(instruments_[q.instrument], kLayerSize[l]), &r);
  id = r.id;
}

void SimExchange::optionTaker() {
  const std::size_t expiry = rng_.below(options_.size() / (2 * kStrikesPerExpiry));
  const int strike = std::clamp(kStrikesPerExpiry / 2 + int(std::lround(rng_.normal() * 3.0)), 0, kStrikesPerExpiry - 1);
  const std::size_t i = (expiry * kStrikesPerExpiry + std::size_t(strike)) * 2 + rng_.below(2);
  const InstrumentId id = options_[i].instrument;
  Market& market = *markets_[id];
  const Side side = rng_.chance(0.5) ? Side::Buy : Side::Sell;
  const Price px = side == Side::Buy ? market.book.bestAsk() : market.book.bestBid();
  if (px == 0) return;
  begin(id);
  market.book.add({kTakerOwner, 0, side, px, randomQty(instruments_[id], 2.0), false, true, false});
}

void SimExchange::skip(std::uint64_t steps) {
  now_ += Nanos(steps) * config_.step;
  steps_ += steps;
}

void SimExchange::step() {
  now_ += config_.step;
  ++steps_;
  const double dt = double(config_.step) * 1e-9;
  advancePrices();

  for (auto& m : ladderMakers_) {
    const double tick = toDouble(instruments_[m.instrument].tickSize);
    if (std::abs(fairPrice(m.instrument) - m.lastFair) >= tick && rng_.chance(m.requoteProbability))
      requoteLadder(m);
  }
  const double ups = config_.updatesPerSecond;
  for (std::uint32_t n = rng_.poisson(0.65 * ups * dt); n > 0; --n) ladderNoise();
  for (InstrumentId id : ladderInstruments_)
    for (std::uint32_t n = rng_.poisson((id == perpId_ ? 8.0 : 1.0) * dt); n > 0; --n) ladderTaker(id);

  const std::size_t perStep = std::max<std::size_t>(1, options_.size() / 50);
  for (std::size_t k = 0; k < perStep; ++k) {
    requoteOption(optionCursor_);
    optionCursor_ = (optionCursor_ + 1) % options_.size();
  }
  for (std::uint32_t n = rng_.poisson(0.45 * ups * dt); n > 0; --n) optionNoise();
  for (std::uint32_t n = rng_.poisson(1.5 * dt); n > 0; --n) optionTaker();
  flush();
  current_ = kNoInstrument;

  if (steps_ % 100 == 0) {
    MdEvent idx;
    idx.type = MdType::IndexPrice;
    idx.instrument = indexId_;
    idx.price = roundToTick(index_, instruments_[indexId_].tickSize, 0);
    idx.ts = now_;
    out_.md.push_back(idx);
  }
}

// ---- the user's orders -------------------------------------------------------------------

double SimExchange::fee(const Instrument& inst, Price price, Qty qty, bool maker) const {
  if (inst.isOption())  // 0.03% of the underlying per contract, capped at 12.5% of the premium
    return std::min(inst.takerFee * inst.contractSize, 0.125 * toDouble(price)) * toDouble(qty);
  const double rate = maker ? inst.makerFee : inst.takerFee;
  return rate * toDouble(qty) / toDouble(price);  // inverse: USD notional / price = coin
}

void SimExchange::userExec(ExecType type, OrderId id, Price price, Qty qty, Qty leaves, const std::string& reason,
                           double fee, bool maker) {
  ExecReport r;
  r.orderId = id;
  r.venueOrderId = userOrders_.count(id) ? userOrders_[id] : 0;
  r.type = type;
  r.price = price;
  r.qty = qty;
  r.leaves = leaves;
  r.fee = fee;
  r.maker = maker;
  r.ts = now_;
  r.reason = reason;
  out_.exec.push_back(std::move(r));
}

void SimExchange::submit(OrderId id, const OrderRequest& req) {
  if (req.instrument >= markets_.size() || !markets_[req.instrument])
    return userExec(ExecType::Reject, id, 0, 0, 0, "instrument not tradable");
  const Instrument& inst = instruments_[req.instrument];
  if (req.qty <= 0 || req.qty % inst.minQty != 0)
    return userExec(ExecType::Reject, id, 0, 0, 0, "amount must be a positive multiple of " + formatFixed(inst.minQty, inst.qtyDecimals));
  const bool market = req.type == OrderType::Market;
  if (!market && (req.price <= 0 || req.price % inst.tickSize != 0))
    return userExec(ExecType::Reject, id, 0, 0, 0, "price not on tick " + formatFixed(inst.tickSize, inst.priceDecimals));
  Market& m = *markets_[req.instrument];
  const Price opposite = req.side == Side::Buy ? m.book.bestAsk() : m.book.bestBid();
  if (market && opposite == 0) return userExec(ExecType::Reject, id, 0, 0, 0, "no liquidity");
  if (req.postOnly && opposite != 0 && (req.side == Side::Buy ? req.price >= opposite : req.price <= opposite))
    return userExec(ExecType::Reject, id, 0, 0, 0, "post-only order would take liquidity");

  userExec(ExecType::Ack, id, req.price, req.qty, req.qty, {});
  out_.exec.back().venueOrderId = m.book.nextId();
  begin(req.instrument);
  const auto r = m.book.add({kUserOwner, id, req.side, req.price, req.qty, market,
                             req.tif == TimeInForce::ImmediateOrCancel, req.postOnly});
  flush();
  current_ = kNoInstrument;
  if (r.outcome == AddOutcome::Rested || r.outcome == AddOutcome::PartiallyFilledRested) {
    userOrders_[id] = r.id;
    userInstrument_[id] = req.instrument;
    if (req.postOnly) userPostOnly_.insert(id);
  } else if (r.outcome == AddOutcome::RemainderCancelled || r.outcome == AddOutcome::NoLiquidity) {
    userExec(ExecType::Cancelled, id, 0, 0, 0, market ? "market order remainder cancelled" : "IOC remainder cancelled");
  }
}

void SimExchange::cancel(OrderId id) {
  auto it = userOrders_.find(id);
  if (it == userOrders_.end()) return userExec(ExecType::CancelReject, id, 0, 0, 0, "order is not open");
  const InstrumentId inst = userInstrument_[id];
  begin(inst);
  markets_[inst]->book.cancel(it->second);
  flush();
  current_ = kNoInstrument;
  userExec(ExecType::Cancelled, id, 0, 0, 0, "cancelled");
  userOrders_.erase(it);
  userInstrument_.erase(id);
  userPostOnly_.erase(id);
}

void SimExchange::replace(OrderId id, Price newPrice, Qty newQty) {
  auto it = userOrders_.find(id);
  if (it == userOrders_.end()) return userExec(ExecType::CancelReject, id, 0, 0, 0, "replace: order is not open");
  const InstrumentId instId = userInstrument_[id];
  const Instrument& inst = instruments_[instId];
  if (newQty <= 0 || newQty % inst.minQty != 0 || newPrice <= 0 || newPrice % inst.tickSize != 0)
    return userExec(ExecType::CancelReject, id, 0, 0, 0, "replace: price or amount invalid");
  const SimOrder* resting = markets_[instId]->book.find(it->second);
  if (userPostOnly_.count(id) && resting && newPrice != resting->price &&
      markets_[instId]->book.crosses(resting->side, newPrice))
    return userExec(ExecType::CancelReject, id, 0, 0, 0, "replace: post-only order would take liquidity");
  userExec(ExecType::Replaced, id, newPrice, newQty, newQty, {});
  begin(instId);
  MatchingBook::Result r;
  markets_[instId]->book.modify(it->second, newPrice, newQty, &r);
  flush();
  current_ = kNoInstrument;
  if (r.outcome == AddOutcome::Filled) {
    userOrders_.erase(id);
    userInstrument_.erase(id);
    userPostOnly_.erase(id);
  } else {
    userOrders_[id] = r.id;
  }
}

void SimExchange::requestSnapshot(InstrumentId id) {
  if (id < markets_.size() && markets_[id]) emitSnapshot(id);
}

std::vector<Candle> SimExchange::history(InstrumentId id) const {
  std::vector<Candle> bars;
  if (id != indexId_ && std::find(ladderInstruments_.begin(), ladderInstruments_.end(), id) == ladderInstruments_.end())
    return bars;
  constexpr int kBars = 360;
  constexpr int kSub = 10;
  const Nanos interval = CandleSeries::kInterval;
  Rng rng(config_.seed * 7919 + 17);  // same path for index, perpetual and futures
  const double scale = id == indexId_ ? 1.0 : fairPrice(id) / index_;
  const double subSigma = config_.volatility * std::sqrt(double(interval / kSub) / kNanosPerYear);
  // Walk backwards from the current index so the history joins the live market.
  std::vector<double> path(kBars * kSub + 1);
  path.back() = index_;
  for (std::size_t i = path.size() - 1; i > 0; --i) path[i - 1] = path[i] * std::exp(subSigma * rng.normal());
  const Nanos firstStart = (now_ - now_ % interval) - interval * kBars;
  for (int b = 0; b < kBars; ++b) {
    Candle c;
    c.start = firstStart + interval * b;
    c.open = c.high = c.low = path[std::size_t(b * kSub)] * scale;
    for (int s = 1; s <= kSub; ++s) {
      const double p = path[std::size_t(b * kSub + s)] * scale;
      c.high = std::max(c.high, p);
      c.low = std::min(c.low, p);
      c.close = p;
    }
    c.volume = id == indexId_ ? 0.0 : std::round(rng.exponential(40000.0) / 10.0) * 10.0;
    bars.push_back(c);
  }
  return bars;
}

}  // namespace kappa::sim
