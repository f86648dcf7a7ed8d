#include "sim/SimExchange.hpp"

#include <algorithm>
#include <array>
#include <cctype>
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

// Strike spacing by days to expiry, as a fraction of spot close to Deribit's (BTC at 67,000:
// 500 / 1,000 / 2,500 / 5,000; ETH at 3,500: 25 / 50 / 100 / 200), rounded to a "nice" number.
double strikeStepFor(double daysToExpiry, double spot) {
  const double fraction = daysToExpiry <= 2 ? 0.0075 : daysToExpiry <= 14 ? 0.015 : daysToExpiry <= 45 ? 0.0373 : 0.0746;
  const double raw = spot * fraction;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  double best = decade;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (std::abs(m * decade - raw) < std::abs(best - raw)) best = m * decade;
  return best;
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

struct SimExchange::Underlying {
  SimUnderlying config;
  std::string indexName;            // btc_usd
  InstrumentId indexId = kNoInstrument;
  InstrumentId perpId = kNoInstrument;
  InstrumentId linearPerpId = kNoInstrument;  // <CUR>USDT, SimConfig::linearPerpetuals only
  std::size_t firstOption = 0, optionCount = 0, expiries = 0;  // its range of options_
  double index = 0, index0 = 0;
  double perpBasis = 0.0002;
  double volLevel = 0.0;            // OU shock to its whole surface
};

struct SimExchange::OptionQuotes {
  InstrumentId instrument = kNoInstrument;
  int owner = 0;
  std::array<Price, 3> bidPx{}, askPx{};
  std::array<std::uint64_t, 3> bidId{}, askId{};
};

SimUnderlying SimUnderlying::btc() { return SimUnderlying{}; }

SimUnderlying SimUnderlying::eth() {
  SimUnderlying u;
  u.currency = "ETH";
  u.spot = 3500.0;
  u.volatility = 0.70;
  u.atmVol = 0.62;
  u.shortTermPremium = 0.14;
  u.skew = -0.025;
  u.curvature = 0.03;
  u.spotVolBeta = 0.5;
  u.sizeScale = 0.5;        // USD notional of ETH-PERPETUAL makers and takers: about half BTC's
  u.optionSizeScale = 10;   // 1 ETH minimum: layers of 60 / 200 / 500 ETH
  return u;
}

SimUnderlying SimUnderlying::forCurrency(const std::string& currency) {
  if (currency == "ETH") return eth();
  SimUnderlying u = btc();
  u.currency = currency;
  return u;
}

SimExchange::SimExchange(const SimConfig& config) : config_(config), rng_(config.seed) {
  if (config_.startTime == 0) config_.startTime = 1'790'000'000'000'000'000;  // fixed default for tests
  if (config_.currencies.empty()) config_.currencies.push_back(SimUnderlying::btc());
  if (config_.currencies.size() > 255) config_.currencies.resize(255);
  config_.correlation = std::clamp(config_.correlation, -1.0, 1.0);
  config_.commonJumpShare = std::clamp(config_.commonJumpShare, 0.0, 1.0);
  now_ = config_.startTime;
  buildInstruments();
}

SimExchange::~SimExchange() = default;

SimExchange::Underlying& SimExchange::underlyingOf(InstrumentId id) { return underlyings_[underlyingOf_[id]]; }
const SimExchange::Underlying& SimExchange::underlyingOf(InstrumentId id) const {
  return underlyings_[underlyingOf_[id]];
}

double SimExchange::indexPrice() const { return underlyings_.empty() ? 0.0 : underlyings_.front().index; }

double SimExchange::indexPrice(std::string_view key) const {
  for (const Underlying& u : underlyings_)
    if (u.config.currency == key || u.indexName == key) return u.index;
  return 0.0;
}

std::vector<std::string> SimExchange::currencies() const {
  std::vector<std::string> out;
  for (const Underlying& u : underlyings_) out.push_back(u.config.currency);
  return out;
}

void SimExchange::buildInstruments() {
  for (std::size_t u = 0; u < config_.currencies.size(); ++u) buildUnderlying(u);
  if (config_.linearPerpetuals)
    for (std::size_t u = 0; u < underlyings_.size(); ++u) buildLinearPerpetual(u);

  markets_.resize(instruments_.size());
  for (const Instrument& inst : instruments_.all())
    if (inst.tradable) markets_[inst.id] = std::make_unique<Market>(static_cast<MatchSink&>(*this));

  struct MakerSpec { double hs; int levels; int spacing; double size; double requote; };
  const MakerSpec perpMakers[] = {{0.3, 30, 1, 4000, 0.5}, {1.5, 25, 2, 20000, 0.2}, {4, 20, 5, 90000, 0.05}};
  const MakerSpec futMakers[] = {{0.4, 20, 1, 3000, 0.3}, {2, 15, 3, 15000, 0.1}};
  int owner = 1;
  for (InstrumentId id : ladderInstruments_) {
    const Underlying& u = underlyingOf(id);
    const bool isPerp = id == u.perpId || id == u.linearPerpId;
    // Makers' sizes are USD notional; a linear perpetual's size is in coin.
    const double sizeUnit = id == u.linearPerpId ? 1.0 / u.config.spot : 1.0;
    for (const MakerSpec& s : isPerp ? std::span<const MakerSpec>(perpMakers) : std::span<const MakerSpec>(futMakers)) {
      LadderMaker m;
      m.owner = owner++;
      m.instrument = id;
      m.halfSpreadTicks = s.hs;
      m.levels = s.levels;
      m.spacingTicks = s.spacing;
      m.meanSize = s.size * u.config.sizeScale * sizeUnit;
      m.requoteProbability = s.requote;
      ladderMakers_.push_back(std::move(m));
    }
  }
}

// One underlying's instruments, with Deribit's specifications for that coin (public/get_instruments,
// ../shared/refdata): BTC-PERPETUAL tick 0.5 USD, amount in USD multiples of 10; ETH-PERPETUAL tick
// 0.05, multiples of 1; options inverse, tick 0.0005 coin, minimum 0.1 BTC / 1 ETH, fee 0.03 %.
void SimExchange::buildUnderlying(std::size_t ui) {
  using namespace std::chrono;
  const SimUnderlying& cfg = config_.currencies[ui];
  const bool eth = cfg.currency == "ETH";
  Underlying u;
  u.config = cfg;
  u.index = u.index0 = cfg.spot;
  u.indexName = cfg.currency;
  std::transform(u.indexName.begin(), u.indexName.end(), u.indexName.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  u.indexName += "_usd";
  auto add = [&](Instrument inst) {
    const InstrumentId id = instruments_.add(std::move(inst));
    underlyingOf_.resize(instruments_.size(), 0);
    underlyingOf_[id] = std::uint8_t(ui);
    return id;
  };

  Instrument index;
  index.name = u.indexName;
  index.kind = InstrumentKind::Index;
  index.settlement = Settlement::Linear;
  index.baseCurrency = index.settleCurrency = cfg.currency;
  index.tickSize = toFixed(0.01);
  index.minQty = toFixed(1);
  index.tradable = false;
  index.priceDecimals = 2;
  u.indexId = add(index);

  Instrument perp;
  perp.name = cfg.currency + "-PERPETUAL";
  perp.kind = InstrumentKind::Perpetual;
  perp.settlement = Settlement::Inverse;
  perp.baseCurrency = perp.settleCurrency = cfg.currency;
  perp.underlyingId = u.indexId;
  perp.contractSize = eth ? 1 : 10;
  perp.tickSize = toFixed(eth ? 0.05 : 0.5);
  perp.minQty = toFixed(eth ? 1 : 10);
  perp.maxQty = toFixed(10'000'000);
  perp.makerFee = 0.0;
  perp.takerFee = 0.0005;
  perp.priceDecimals = decimalsFor(perp.tickSize);
  perp.qtyDecimals = 0;
  u.perpId = add(perp);
  ladderInstruments_.push_back(u.perpId);

  const sys_days today = floor<days>(sys_time<nanoseconds>(nanoseconds(config_.startTime)));
  const auto at0800 = [](sys_days d) {
    return duration_cast<nanoseconds>((d + hours(8)).time_since_epoch()).count();
  };
  const std::vector<sys_days> optionDays = optionExpiryDays(today);
  for (sys_days d : optionDays) {
    if (d - today < days(60)) continue;  // the quarterlies
    Instrument fut = perp;
    fut.kind = InstrumentKind::Future;
    fut.expiry = at0800(d);
    fut.name = cfg.currency + "-" + deribitExpiryCode(fut.expiry);
    fut.tickSize = toFixed(eth ? 0.05 : 2.5);
    fut.priceDecimals = decimalsFor(fut.tickSize);
    ladderInstruments_.push_back(add(fut));
  }

  u.firstOption = options_.size();
  for (sys_days day : optionDays) {
    const Nanos expiry = at0800(day);
    const double step = strikeStepFor(double((day - today).count()), cfg.spot);
    const double atm = std::round(cfg.spot / step) * step;
    for (int s = 0; s < kStrikesPerExpiry; ++s) {
      const double strike = atm + (s - kStrikesPerExpiry / 2) * step;
      for (OptionType type : {OptionType::Call, OptionType::Put}) {
        Instrument opt;
        opt.kind = InstrumentKind::Option;
        opt.settlement = Settlement::Inverse;
        opt.optionType = type;
        opt.baseCurrency = opt.quoteCurrency = opt.settleCurrency = cfg.currency;
        opt.underlyingId = u.indexId;
        opt.strike = toFixed(strike);
        opt.expiry = expiry;
        opt.contractSize = 1.0;
        opt.tickSize = toFixed(0.0005);
        opt.minQty = toFixed(eth ? 1 : 0.1);
        opt.maxQty = toFixed(eth ? 100'000 : 10'000);
        opt.makerFee = opt.takerFee = 0.0003;
        opt.priceDecimals = 4;
        opt.qtyDecimals = eth ? 0 : 1;
        opt.name = cfg.currency + "-" + deribitExpiryCode(expiry) + "-" + formatTrimmed(opt.strike) +
                   (type == OptionType::Call ? "-C" : "-P");
        OptionQuotes q;
        q.instrument = add(opt);
        q.owner = 100 + int(options_.size() % 2);
        options_.push_back(q);
      }
    }
  }
  u.optionCount = options_.size() - u.firstOption;
  u.expiries = optionDays.size();
  underlyings_.push_back(std::move(u));
}

// Binance USD-M's linear perpetual on the same index (exchangeInfo, ../shared/CONNECTORS.md):
// BTCUSDT tick 0.1 USDT, ETHUSDT 0.01, both step and minimum 0.001 coin; maker 0.02 %, taker
// 0.05 % of the USDT notional.
void SimExchange::buildLinearPerpetual(std::size_t ui) {
  Underlying& u = underlyings_[ui];
  const std::string& cur = u.config.currency;
  Instrument perp;
  perp.name = cur + "USDT";
  perp.kind = InstrumentKind::Perpetual;
  perp.settlement = Settlement::Linear;
  perp.baseCurrency = cur;
  perp.quoteCurrency = perp.settleCurrency = "USDT";
  perp.underlyingId = u.indexId;
  perp.contractSize = 1;
  perp.tickSize = toFixed(cur == "BTC" ? 0.1 : 0.01);
  perp.minQty = toFixed(0.001);
  perp.maxQty = toFixed(cur == "BTC" ? 1000 : 10000);
  perp.makerFee = 0.0002;
  perp.takerFee = 0.0005;
  perp.priceDecimals = decimalsFor(perp.tickSize);
  perp.qtyDecimals = 3;
  u.linearPerpId = instruments_.add(std::move(perp));
  underlyingOf_.resize(instruments_.size(), 0);
  underlyingOf_[u.linearPerpId] = std::uint8_t(ui);
  ladderInstruments_.push_back(u.linearPerpId);
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
  for (const Underlying& u : underlyings_) emitIndex(u, true);
  for (InstrumentId id = 0; id < markets_.size(); ++id)
    if (markets_[id]) emitSnapshot(id);
}

void SimExchange::emitIndex(const Underlying& u, bool exact) {
  MdEvent idx;
  idx.type = MdType::IndexPrice;
  idx.instrument = u.indexId;
  idx.price = exact ? toFixed(u.index) : roundToTick(u.index, instruments_[u.indexId].tickSize, 0);
  idx.ts = now_;
  out_.md.push_back(idx);
}

// Correlated diffusions: the first underlying's shock z0, each other's rho*z0 + sqrt(1-rho^2)*e.
// Jump events: a share of them move every underlying (the same number of jump sigmas, scaled by
// each one's volatility relative to the first), the rest one underlying picked at random.
void SimExchange::advancePrices() {
  const double dtSec = double(config_.step) * 1e-9;
  const double dtYears = double(config_.step) / kNanosPerYear;
  const double rho = config_.correlation;
  const double idio = std::sqrt(std::max(0.0, 1.0 - rho * rho));
  const double z0 = rng_.normal();
  const double sigma0 = underlyings_.front().config.volatility;
  for (std::size_t i = 0; i < underlyings_.size(); ++i) {
    Underlying& u = underlyings_[i];
    const double z = i == 0 ? z0 : rho * z0 + idio * rng_.normal();
    const double sigma = u.config.volatility;
    u.index *= std::exp(-0.5 * sigma * sigma * dtYears + sigma * std::sqrt(dtYears) * z);
  }
  if (rng_.chance(config_.jumpsPerHour * dtSec / 3600.0)) {
    const double j = config_.jumpSigma * rng_.normal();
    const bool common = underlyings_.size() == 1 || rng_.chance(config_.commonJumpShare);
    const std::size_t only = common ? 0 : rng_.below(underlyings_.size());
    for (std::size_t i = 0; i < underlyings_.size(); ++i)
      if (common || i == only)
        underlyings_[i].index *= std::exp(j * underlyings_[i].config.volatility / std::max(sigma0, 1e-9));
  }
  for (Underlying& u : underlyings_) {
    u.perpBasis += (M_LN2 / 60.0) * (0.0002 - u.perpBasis) * dtSec + 0.0001 * std::sqrt(dtSec / 60.0) * rng_.normal();
    u.volLevel += (M_LN2 / 300.0) * (0.0 - u.volLevel) * dtSec + 0.02 * std::sqrt(dtSec / 300.0) * rng_.normal();
  }
}

double SimExchange::fairPrice(InstrumentId id) const {
  const Underlying& u = underlyingOf(id);
  if (id == u.perpId || id == u.linearPerpId) return u.index * (1.0 + u.perpBasis);
  if (id == u.indexId) return u.index;
  const double t = std::max(0.0, double(instruments_[id].expiry - now_) / kNanosPerYear);
  return u.index * std::exp(kCarry * t);
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
  const Underlying& u = underlyingOf(id);
  const double sizeUnit = id == u.linearPerpId ? 1.0 / u.config.spot : 1.0;  // USD -> coin
  const bool perp = id == u.perpId || id == u.linearPerpId;
  const double mean = (perp ? 3000.0 : 1500.0) * u.config.sizeScale * sizeUnit * (rng_.chance(0.05) ? 15.0 : 1.0);
  begin(id);
  market.book.add({kTakerOwner, 0, side, 0, randomQty(inst, mean), true, true, false});
}

double SimExchange::smileVol(const Underlying& u, double k, double t) const {
  const SimUnderlying& c = u.config;
  double atm = c.atmVol + c.shortTermPremium * std::exp(-t * 8.0) + u.volLevel - c.spotVolBeta * std::log(u.index / u.index0);
  atm = std::clamp(atm, 0.15, 2.5);
  const double z = std::clamp(k / (atm * std::sqrt(std::max(t, 1e-6))), -4.0, 4.0);
  return atm * (1.0 + c.skew * z + c.curvature * z * z);
}

void SimExchange::requoteOption(std::size_t i) {
  OptionQuotes& q = options_[i];
  const Instrument& inst = instruments_[q.instrument];
  Market& market = *markets_[q.instrument];
  begin(q.instrument);
  const double t = double(inst.expiry - now_) / kNanosPerYear;
  if (t <= 0 || expired(q.instrument)) {  // expired: the makers walk away
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
  const Underlying& u = underlyingOf(q.instrument);
  const double f = u.index * std::exp(kCarry * t);
  const double strike = toDouble(inst.strike);
  const pricing::CallPut cp = inst.optionType == OptionType::Call ? pricing::CallPut::Call : pricing::CallPut::Put;
  const double sigma = smileVol(u, std::log(strike / f), t);
  const double sizeScale = u.config.optionSizeScale;
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
      const auto r = market.book.add({q.owner, 0, side, px, randomQty(inst, kLayerSize[l] * sizeScale), false, false, true});
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
  market.book.modify(id, o->price, randomQty(instruments_[q.instrument], kLayerSize[l] * underlyingOf(q.instrument).config.optionSizeScale), &r);
  id = r.id;
}

void SimExchange::optionTaker(const Underlying& u) {
  if (u.expiries == 0) return;
  const std::size_t expiry = rng_.below(u.expiries);
  const int strike = std::clamp(kStrikesPerExpiry / 2 + int(std::lround(rng_.normal() * 3.0)), 0, kStrikesPerExpiry - 1);
  const std::size_t i = u.firstOption + (expiry * kStrikesPerExpiry + std::size_t(strike)) * 2 + rng_.below(2);
  const InstrumentId id = options_[i].instrument;
  if (expired(id)) return;
  Market& market = *markets_[id];
  const Side side = rng_.chance(0.5) ? Side::Buy : Side::Sell;
  const Price px = side == Side::Buy ? market.book.bestAsk() : market.book.bestBid();
  if (px == 0) return;
  begin(id);
  market.book.add({kTakerOwner, 0, side, px, randomQty(instruments_[id], 2.0 * u.config.optionSizeScale), false, true, false});
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
    for (std::uint32_t n = rng_.poisson((id == underlyingOf(id).perpId || id == underlyingOf(id).linearPerpId ? 8.0 : 1.0) * dt);
         n > 0; --n)
      ladderTaker(id);

  // Every option is requoted every 50 ms, whichever underlying it belongs to.
  if (!options_.empty()) {
    const std::size_t perStep = std::max<std::size_t>(1, options_.size() / 50);
    for (std::size_t k = 0; k < perStep; ++k) {
      requoteOption(optionCursor_);
      optionCursor_ = (optionCursor_ + 1) % options_.size();
    }
    for (std::uint32_t n = rng_.poisson(0.45 * ups * dt); n > 0; --n) optionNoise();
    for (const Underlying& u : underlyings_)
      for (std::uint32_t n = rng_.poisson(1.5 * dt); n > 0; --n) optionTaker(u);
  }
  flush();
  current_ = kNoInstrument;

  if (steps_ % 100 == 0)
    for (const Underlying& u : underlyings_) emitIndex(u, false);
}

// ---- the user's orders -------------------------------------------------------------------

double SimExchange::fee(const Instrument& inst, Price price, Qty qty, bool maker) const {
  if (inst.isOption())  // 0.03% of the underlying per contract, capped at 12.5% of the premium
    return std::min(inst.takerFee * inst.contractSize, 0.125 * toDouble(price)) * toDouble(qty);
  const double rate = maker ? inst.makerFee : inst.takerFee;
  if (inst.settlement == Settlement::Linear) return rate * toDouble(qty) * toDouble(price);  // USDT notional
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
  if (expired(req.instrument)) return userExec(ExecType::Reject, id, 0, 0, 0, "instrument expired");
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
  if (id >= instruments_.size() || instruments_[id].isOption()) return bars;
  const Underlying& u = underlyingOf(id);
  const std::size_t ui = underlyingOf_[id];
  constexpr int kBars = 360;
  constexpr int kSub = 10;
  const Nanos interval = CandleSeries::kInterval;
  Rng rng(config_.seed * 7919 + 17 + ui * 104729);  // same path for an underlying's index, perpetual and futures
  const double scale = id == u.indexId ? 1.0 : fairPrice(id) / u.index;
  const double subSigma = u.config.volatility * std::sqrt(double(interval / kSub) / kNanosPerYear);
  // Walk backwards from the current index so the history joins the live market.
  std::vector<double> path(kBars * kSub + 1);
  path.back() = u.index;
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
    const double lot = toDouble(instruments_[id].minQty);
    c.volume = id == u.indexId ? 0.0 : std::round(rng.exponential(40000.0 * u.config.sizeScale) / lot) * lot;
    bars.push_back(c);
  }
  return bars;
}

// ---- listing and settlement while running ------------------------------------------------

InstrumentId SimExchange::listOption(const std::string& currency, Nanos expiry, Price strike, OptionType type,
                                     std::string* why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return kNoInstrument;
  };
  std::size_t ui = underlyings_.size();
  for (std::size_t i = 0; i < underlyings_.size(); ++i)
    if (underlyings_[i].config.currency == currency) ui = i;
  if (ui == underlyings_.size()) return fail("currency " + currency + " is not listed");
  if (expiry <= now_) return fail("expiry is not in the future");
  if (strike <= 0) return fail("strike must be positive");
  if (type != OptionType::Call && type != OptionType::Put) return fail("option type must be call or put");
  // The template: an option of the same underlying from the initial chain (specifications per coin).
  const Underlying& u = underlyings_[ui];
  if (u.optionCount == 0) return fail(currency + " lists no options");
  Instrument opt = instruments_[options_[u.firstOption].instrument];
  opt.expiry = expiry;
  opt.strike = strike;
  opt.optionType = type;
  opt.name = currency + "-" + deribitExpiryCode(expiry) + "-" + formatTrimmed(strike) +
             (type == OptionType::Call ? "-C" : "-P");
  if (strike % toFixed(1) != 0) return fail("strike must be a whole number of USD");
  if (instruments_.find(opt.name)) return fail(opt.name + " is already listed");
  const InstrumentId id = instruments_.add(std::move(opt));
  underlyingOf_.resize(instruments_.size(), 0);
  underlyingOf_[id] = std::uint8_t(ui);
  markets_.resize(instruments_.size());
  markets_[id] = std::make_unique<Market>(static_cast<MatchSink&>(*this));
  expired_.resize(instruments_.size(), 0);
  OptionQuotes q;
  q.instrument = id;
  q.owner = 100 + int(options_.size() % 2);
  options_.push_back(q);
  emitSnapshot(id);  // the empty book: subscribers get their first message at once
  requoteOption(options_.size() - 1);
  flush();
  current_ = kNoInstrument;
  return id;
}

bool SimExchange::expire(InstrumentId id, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  if (id >= instruments_.size() || !markets_[id]) return fail("not a tradable instrument");
  if (!instruments_[id].isOption()) return fail(instruments_[id].name + " is not an option");
  if (expired(id)) return fail(instruments_[id].name + " has already expired");
  expired_.resize(instruments_.size(), 0);
  expired_[id] = 1;
  // The makers walk away (requoteOption sees the flag), then every user order is cancelled.
  for (std::size_t i = 0; i < options_.size(); ++i)
    if (options_[i].instrument == id) requoteOption(i);
  std::vector<OrderId> users;
  for (const auto& [order, inst] : userInstrument_)
    if (inst == id) users.push_back(order);
  std::sort(users.begin(), users.end());  // deterministic report order
  begin(id);
  for (OrderId order : users) {
    markets_[id]->book.cancel(userOrders_[order]);
    userExec(ExecType::Cancelled, order, 0, 0, 0, "instrument expired");
    userOrders_.erase(order);
    userInstrument_.erase(order);
    userPostOnly_.erase(order);
  }
  flush();
  current_ = kNoInstrument;
  return true;
}

}  // namespace kappa::sim
