#include "risk/PreTradeLimits.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "analytics/MarketAnalytics.hpp"
#include "book/MarketData.hpp"
#include "oms/OrderManager.hpp"
#include "pricing/ImpliedVol.hpp"

namespace kappa {
namespace {

constexpr Nanos kNanosPerDay = 86'400'000'000'000;

std::string num(double v) { return formatRiskNumber(v); }

const char* kindKey(InstrumentKind k) {
  switch (k) {
    case InstrumentKind::Index: return "@index";
    case InstrumentKind::Perpetual: return "@perpetual";
    case InstrumentKind::Future: return "@future";
    case InstrumentKind::Option: return "@option";
    case InstrumentKind::Spot: return "@spot";
  }
  return "@?";
}

// 0 = kind, 1 = pattern, 2 = exact name: a more specific instrument entry overrides a wider one.
int specificity(const std::string& key, const Instrument& inst) {
  if (key == kindKey(inst.kind)) return 0;
  if (key.find('*') != std::string::npos && matchesPattern(key, inst.name)) return 1;
  if (key == inst.name) return 2;
  return -1;
}

// The settings `from` sets replace those of `into`; unset ones defer to it.
void overlay(LimitSet& into, const LimitSet& from) {
  for (std::size_t i = 0; i < kLimitCount; ++i)
    if (from[i].set()) into[i] = from[i];
}

std::string tooMany(Limit l, const std::string& scope, double have, double limit) {
  return std::string(nameOf(l)) + " (" + scope + "): " + num(have) + " " + infoOf(l).unit + ", limit " + num(limit);
}

}  // namespace

PreTradeLimits::PreTradeLimits(const InstrumentRegistry& instruments) : instruments_(instruments) {
  config_ = RiskConfig::unlimited();
}

void PreTradeLimits::ensureSized() {
  // The registry may be filled after the gate is built (the engine lists the venue's instruments
  // in its constructor body): size the per-instrument state on first use. It also grows while
  // running (instruments listed by the venue): the new ids get their state and the counters of
  // the known ones (open orders, rate windows, daily counts) are kept, never reset.
  const std::size_t n = instruments_.size();
  const std::size_t from = resolved_.size();
  if (from >= n) return;
  resolved_.resize(n);
  instrumentCounted_.resize(n);
  instrumentScopeLabel_.resize(n);
  instrumentScopeKey_.resize(n);
  perInstrument_.resize(n);
  underlyingOf_.resize(n, 0);
  unit_.resize(n);
  if (from == 0) {
    underlyings_.clear();
    indexOf_.clear();
  }
  for (InstrumentId id = InstrumentId(from); id < n; ++id) {
    const Instrument& inst = instruments_[id];
    auto it = std::find(underlyings_.begin(), underlyings_.end(), inst.baseCurrency);
    if (it == underlyings_.end()) {
      underlyings_.push_back(inst.baseCurrency);
      indexOf_.push_back(kNoInstrument);
      it = underlyings_.end() - 1;
    }
    underlyingOf_[inst.id] = std::size_t(it - underlyings_.begin());
    // One underlying per coin across venues, valued at the first index listed for it (Deribit's
    // btc_usd before Binance's BTCUSDT index), as the engine's underlyings are.
    if (inst.kind == InstrumentKind::Index && indexOf_[underlyingOf_[inst.id]] == kNoInstrument)
      indexOf_[underlyingOf_[inst.id]] = inst.id;
  }
  net_.resize(underlyings_.size());
  underlyingLimits_.resize(underlyings_.size());
  configure(RiskConfig(config_));
}

void PreTradeLimits::setVenueNames(std::vector<std::string> names) {
  venueNames_ = std::move(names);
  perVenue_.resize(venueNames_.size());
  venueCounted_.resize(venueNames_.size());
  configure(RiskConfig(config_));
}

PreTradeLimits::Counted& PreTradeLimits::venueCounter(InstrumentId id) {
  const VenueId v = instruments_[id].venue;
  if (v >= perVenue_.size()) {  // venues not named (tests, benchmarks): counted, never limited
    perVenue_.resize(std::size_t(v) + 1);
    venueCounted_.resize(std::size_t(v) + 1);
  }
  return perVenue_[v];
}

void PreTradeLimits::applyCountedLimits(Counted& c, const LimitSet& limits) {
  auto rate = [](const LimitSetting& s) { return s.active() ? std::size_t(std::ceil(s.value)) : std::size_t(0); };
  c.submits.setLimit(rate(limits[std::size_t(Limit::MaxSubmitRate)]));
  c.cancels.setLimit(rate(limits[std::size_t(Limit::MaxCancelRate)]));
}

void PreTradeLimits::configure(const RiskConfig& config) {
  config_ = config;
  if (resolved_.size() != instruments_.size()) return ensureSized();  // which configures again
  // The instrument entries sorted once by how they can match — patterns (in their order), the
  // rest (kinds and exact names) by key — so that each instrument costs a lookup or two and the
  // patterns, not a comparison with every entry (300,000 entries x 230 instruments took seconds).
  std::vector<const ScopedLimits*> patterns;
  std::unordered_map<std::string_view, const ScopedLimits*> byKey;
  for (const ScopedLimits& e : config.instruments) {
    if (e.key.find('*') != std::string::npos) patterns.push_back(&e);
    else byKey.emplace(e.key, &e);
  }
  // A venue's entry: its order limits sit between the account and the instrument scopes; its
  // counted limits count that venue's orders.
  std::vector<const ScopedLimits*> venueEntry(venueNames_.size(), nullptr);
  for (std::size_t v = 0; v < venueNames_.size(); ++v) {
    venueCounted_[v] = LimitSet{};
    for (const ScopedLimits& e : config.venues)
      if (e.key == venueNames_[v]) {
        venueEntry[v] = &e;
        for (std::size_t i = 0; i < kLimitCount; ++i)
          if (infoOf(Limit(i)).counted && e.limits[i].set()) venueCounted_[v][i] = e.limits[i];
      }
    applyCountedLimits(perVenue_[v], venueCounted_[v]);
  }
  // To the size the tables have (the registry may have grown since, on a venue's thread).
  for (InstrumentId id = 0; id < resolved_.size(); ++id) {
    const Instrument& inst = instruments_[id];
    LimitSet& order = resolved_[inst.id];
    LimitSet& counted = instrumentCounted_[inst.id];
    order = config.account;
    if (inst.venue < venueEntry.size() && venueEntry[inst.venue])
      for (std::size_t i = 0; i < kLimitCount; ++i)
        if (!infoOf(Limit(i)).counted && venueEntry[inst.venue]->limits[i].set()) order[i] = venueEntry[inst.venue]->limits[i];
    counted = LimitSet{};
    instrumentScopeLabel_[inst.id].clear();
    int bestLabel = -1;
    auto apply = [&](const ScopedLimits& e, int level) {
      for (std::size_t i = 0; i < kLimitCount; ++i) {
        if (!e.limits[i].set()) continue;
        if (infoOf(Limit(i)).counted) {
          counted[i] = e.limits[i];
          if (level >= bestLabel) {
            bestLabel = level;
            instrumentScopeLabel_[inst.id] = level == 2 ? inst.name : e.key + " " + inst.name;
            instrumentScopeKey_[inst.id] = e.key;
          }
        } else {
          order[i] = e.limits[i];
        }
      }
    };
    // Widest first, as specificity() orders them: kind, patterns, exact name.
    if (const auto it = byKey.find(kindKey(inst.kind)); it != byKey.end()) apply(*it->second, 0);
    for (const ScopedLimits* e : patterns)
      if (specificity(e->key, inst) == 1) apply(*e, 1);
    if (const auto it = byKey.find(inst.name); it != byKey.end() && specificity(it->second->key, inst) == 2)
      apply(*it->second, 2);
    // "venue:name" is the exact name on that venue (two venues may list the same name).
    if (inst.venue < venueNames_.size())
      if (const auto it = byKey.find(venueNames_[inst.venue] + ":" + inst.name); it != byKey.end()) apply(*it->second, 2);
    applyCountedLimits(perInstrument_[inst.id], counted);
  }
  applyCountedLimits(account_, config.account);
  for (std::size_t u = 0; u < underlyings_.size(); ++u) {
    underlyingLimits_[u] = config.account;
    for (const ScopedLimits& e : config.underlyings)
      if (e.key == underlyings_[u]) overlay(underlyingLimits_[u], e.limits);
  }
  // Strategy scopes already counting keep their counters and take the new limits.
  for (auto& [id, s] : strategies_) resolveStrategy(s, strategyKeyOf_ ? strategyKeyOf_(id) : std::string());
}

void PreTradeLimits::resolveStrategy(StrategyScope& s, const std::string& key) {
  s.limits = LimitSet{};
  s.configKey.clear();
  for (const std::string& wanted : {std::string("*"), key})  // the exact id over "*"
    for (const ScopedLimits& e : config_.strategies)
      if (e.key == wanted) {
        s.configKey = e.key;
        overlay(s.limits, e.limits);
      }
  applyCountedLimits(s.counted, s.limits);
}

PreTradeLimits::StrategyScope* PreTradeLimits::strategyScope(std::uint32_t instance) {
  if (instance == 0) return nullptr;
  auto it = strategies_.find(instance);
  if (it != strategies_.end()) return &it->second;
  StrategyScope& s = strategies_[instance];
  const std::string key = strategyKeyOf_ ? strategyKeyOf_(instance) : std::string();
  s.label = "strategy #" + std::to_string(instance) + (key.empty() ? "" : " " + key);
  resolveStrategy(s, key);
  return &s;
}

const LimitSetting& PreTradeLimits::orderLimit(Limit l, InstrumentId id, const StrategyScope* s) const {
  if (s && s->limits[std::size_t(l)].set()) return s->limits[std::size_t(l)];
  return resolved_[id][std::size_t(l)];
}

void PreTradeLimits::rollDay(Nanos now) {
  const std::int64_t day = now / kNanosPerDay;
  if (day <= day_) return;  // forward only: a fill stamped just before midnight must not reset today
  day_ = day;
  auto reset = [](Counted& c) { c.dayOrders = c.dayCancels = c.dayFills = 0; };
  reset(account_);
  for (Counted& c : perInstrument_) reset(c);
  for (Counted& c : perVenue_) reset(c);
  for (auto& [id, s] : strategies_) reset(s.counted);
}

double PreTradeLimits::referencePrice(InstrumentId id) const {
  return market_ ? toDouble(market_->markPrice(id)) : 0.0;
}

double PreTradeLimits::notionalUsd(const Instrument& inst, double qty, double price) const {
  if (inst.isOption()) {
    const InstrumentId index = indexOf_[underlyingOf_[inst.id]];
    const double spot = index != kNoInstrument && market_ ? toDouble(market_->stats(index).last) : 0.0;
    return qty * inst.contractSize * spot;
  }
  if (inst.settlement == Settlement::Inverse) return qty;  // the amount is in USD
  return qty * price;
}

PreTradeLimits::UnitGreeks PreTradeLimits::unitGreeks(InstrumentId id) const {
  if (unit_[id].known) return unit_[id];
  const Instrument& inst = instruments_[id];
  UnitGreeks g;
  if (inst.kind == InstrumentKind::Index) {
    g.known = true;
  } else if (!inst.isOption()) {
    const double f = referencePrice(id);
    if (f > 0) {
      // Q USD of an inverse contract: Q/F BTC of exposure that shrinks as F rises.
      g.delta = inst.settlement == Settlement::Inverse ? 1.0 / f : 1.0;
      g.gamma = inst.settlement == Settlement::Inverse ? -0.01 / f : 0.0;
      g.known = true;
    }
  }
  return g;
}

void PreTradeLimits::onAnalytics(const std::vector<Position>& positions) {
  ensureSized();
  const analytics::MarketAnalytics* m = analytics_ && *analytics_ ? analytics_->get() : nullptr;
  if (m) {
    for (const auto& a : m->chains) {  // each option's Greeks in its own coin, gamma per 1 % of its own index
      for (const analytics::OptionAnalytics& o : a->options) {
        if (o.instrument >= unit_.size()) continue;
        UnitGreeks& g = unit_[o.instrument];
        g.delta = o.deltaCoin;
        g.gamma = o.gammaCoin * a->index * 0.01;
        g.vega = o.vegaCoin / 100.0;
        g.known = true;
      }
    }
  }
  std::fill(net_.begin(), net_.end(), NetGreeks{});
  for (const Position& p : positions) {
    if (p.qty == 0) continue;
    const UnitGreeks g = unitGreeks(p.instrument);
    NetGreeks& n = net_[underlyingOf_[p.instrument]];
    n.delta += p.qty * g.delta;
    n.gamma += p.qty * g.gamma;
    n.vega += p.qty * g.vega;
  }
}

double PreTradeLimits::greekLimit(std::size_t u, Limit which) const {
  const LimitSetting& s = underlyingLimits_[u][std::size_t(which)];
  return s.active() ? s.value : std::nan("");
}

std::string PreTradeLimits::checkGreeks(const OrderRequest& r, double signedQty, Limit* hit) const {
  const std::size_t u = underlyingOf_[r.instrument];
  const LimitSet& limits = underlyingLimits_[u];
  const bool any = limits[std::size_t(Limit::MaxNetDelta)].active() || limits[std::size_t(Limit::MaxNetGamma)].active() ||
                   limits[std::size_t(Limit::MaxNetVega)].active();
  if (!any || signedQty == 0) return {};
  const UnitGreeks g = unitGreeks(r.instrument);
  if (!g.known) {
    *hit = Limit::MaxNetDelta;
    return "Greek limits (" + underlyings_[u] + "): no Greeks for " + instruments_[r.instrument].name +
           " yet (no analytics or mark): cannot check the order";
  }
  const NetGreeks& n = net_[u];
  const struct {
    Limit limit;
    double now, unit;
  } greeks[] = {{Limit::MaxNetDelta, n.delta, g.delta}, {Limit::MaxNetGamma, n.gamma, g.gamma},
                {Limit::MaxNetVega, n.vega, g.vega}};
  for (const auto& x : greeks) {
    const LimitSetting& s = limits[std::size_t(x.limit)];
    if (!s.active()) continue;
    const double after = x.now + signedQty * x.unit;
    // Only an order that grows the exposure beyond the limit is refused: reducing always passes.
    if (std::abs(after) > s.value && std::abs(after) > std::abs(x.now) + 1e-12) {
      *hit = x.limit;
      // In the underlying's own coin: "BTC", "ETH per 1 %", "BTC per vol point".
      const std::string unit = underlyings_[u] + (x.limit == Limit::MaxNetGamma ? " per 1 %"
                                                  : x.limit == Limit::MaxNetVega ? " per vol point" : "");
      return std::string(nameOf(x.limit)) + " (" + underlyings_[u] + "): net " + num(x.now) + " -> " + num(after) +
             " " + unit + ", limit " + num(s.value);
    }
  }
  return {};
}

std::string PreTradeLimits::checkBand(const OrderRequest& r, const Instrument& inst, const StrategyScope* s,
                                      Limit* hit) const {
  if (r.type != OrderType::Limit) return {};
  const double price = toDouble(r.price);
  const LimitSetting& iv = orderLimit(Limit::IvBand, inst.id, s);
  if (inst.isOption() && iv.active()) {
    const analytics::MarketAnalytics* m = analytics_ && *analytics_ ? analytics_->get() : nullptr;
    const analytics::ChainAnalytics* a = nullptr;
    const analytics::OptionAnalytics* o = m ? m->find(inst.id, &a) : nullptr;
    double mark = o ? o->markIv : 0.0;
    if (o && !(mark > 0)) mark = a->expiries[o->expiryIndex].atmVol;
    *hit = Limit::IvBand;
    if (!(mark > 0)) return "iv_band (" + inst.name + "): no mark IV for the option yet: cannot check the price";
    const double f = a->expiries[o->expiryIndex].forward;
    const pricing::ImpliedVol v = pricing::impliedVolBlack76(o->isCall, f, o->strike, o->t, 0.0, price * f, mark);
    if (v.status == pricing::IvStatus::BelowIntrinsic || v.status == pricing::IvStatus::NoTimeValue) {
      if (r.side == Side::Sell) return "iv_band (" + inst.name + "): selling at " + num(price) + " is at or below intrinsic value";
    } else if (v.status == pricing::IvStatus::AboveMaximum) {
      if (r.side == Side::Buy) return "iv_band (" + inst.name + "): buying at " + num(price) + " is above the option's maximum value";
    } else if (v.ok() && std::abs(v.vol - mark) * 100.0 > iv.value) {
      return "iv_band (" + inst.name + "): price " + num(price) + " is IV " + num(v.vol * 100) + " vs mark " +
             num(mark * 100) + ": " + num(std::abs(v.vol - mark) * 100) + " vol points, limit " + num(iv.value);
    }
    *hit = Limit::Count;
  }
  const LimitSetting& band = orderLimit(Limit::PriceBand, inst.id, s);
  if (band.active()) {
    const double ref = referencePrice(inst.id);
    if (!(ref > 0)) {
      *hit = Limit::PriceBand;
      return "price_band (" + inst.name + "): no mid or mark price to check " + num(price) + " against";
    }
    const double off = std::abs(price / ref - 1.0);
    if (off > band.value + 1e-12) {
      *hit = Limit::PriceBand;
      return "price_band (" + inst.name + "): " + num(price) + " is " + num(off * 100) + " % from the reference " +
             num(ref) + ", limit " + num(band.value * 100) + " %";
    }
  }
  return {};
}

void PreTradeLimits::setVenueSlippage(VenueId v, double bps) {
  if (venueSlippageBps_.size() <= v) venueSlippageBps_.resize(std::size_t(v) + 1, std::nan(""));
  venueSlippageBps_[v] = bps;
}

double PreTradeLimits::venueLimitValue(Limit l, VenueId v) const {
  LimitSetting s = config_.account[std::size_t(l)];
  if (v < venueNames_.size())
    for (const ScopedLimits& e : config_.venues)
      if (e.key == venueNames_[v] && e.limits[std::size_t(l)].set()) s = e.limits[std::size_t(l)];
  return s.active() ? s.value : std::nan("");
}

// An on-chain swap is signed with the venue's slippage tolerance (its amountOutMin): the gate
// refuses it when that tolerance is wider than max_slippage_bps. Venues without one pass.
std::string PreTradeLimits::checkSlippage(const Instrument& inst, const StrategyScope* s, Limit* hit) const {
  const LimitSetting& l = orderLimit(Limit::MaxSlippageBps, inst.id, s);
  if (!l.active() || inst.venue >= venueSlippageBps_.size() || std::isnan(venueSlippageBps_[inst.venue])) return {};
  const double bps = venueSlippageBps_[inst.venue];
  if (bps <= l.value + 1e-9) return {};
  *hit = Limit::MaxSlippageBps;
  const std::string venue = inst.venue < venueNames_.size() ? venueNames_[inst.venue] : inst.name;
  return "max_slippage_bps (" + venue + "): swaps are signed with a slippage tolerance of " + num(bps) + " bps, limit " +
         num(l.value) + " bps";
}

std::string PreTradeLimits::checkCounted(const Counted& c, const LimitSet& limits, const std::string& scope, Nanos now,
                                         bool submit, Limit* hit) const {
  auto over = [&](Limit l, double have) -> std::string {
    const LimitSetting& s = limits[std::size_t(l)];
    if (!s.active() || have <= s.value) return {};
    *hit = l;
    return tooMany(l, scope, have, s.value);
  };
  std::string why;
  if (submit) {
    if (!(why = over(Limit::MaxOpenOrders, double(c.open + 1))).empty()) return why;
    if (!c.submits.fits(now)) {
      *hit = Limit::MaxSubmitRate;
      return tooMany(Limit::MaxSubmitRate, scope, double(c.submits.inLastSecond(now) + 1),
                     limits[std::size_t(Limit::MaxSubmitRate)].value);
    }
    if (!(why = over(Limit::MaxDailyOrders, double(c.dayOrders + 1))).empty()) return why;
    const LimitSetting& fills = limits[std::size_t(Limit::MaxDailyFills)];
    if (fills.active() && double(c.dayFills) >= fills.value) {
      *hit = Limit::MaxDailyFills;
      return tooMany(Limit::MaxDailyFills, scope, double(c.dayFills), fills.value) + ": no new orders today";
    }
    return {};
  }
  if (!c.cancels.fits(now)) {
    *hit = Limit::MaxCancelRate;
    return tooMany(Limit::MaxCancelRate, scope, double(c.cancels.inLastSecond(now) + 1),
                   limits[std::size_t(Limit::MaxCancelRate)].value);
  }
  return over(Limit::MaxDailyCancels, double(c.dayCancels + 1));
}

std::string PreTradeLimits::check(const OrderRequest& r, Nanos now, const OrderManager& oms, OrderId replacing,
                                  Limit* hit) {
  ensureSized();
  rollDay(now);
  const Instrument& inst = instruments_[r.instrument];
  StrategyScope* s = strategyScope(r.strategy);
  const double qty = toDouble(r.qty);
  const Order* old = replacing ? oms.find(replacing) : nullptr;
  auto refuse = [&](Limit l, std::string why) {
    *hit = l;
    return why;
  };

  if (const LimitSetting& l = orderLimit(Limit::MaxOrderQty, inst.id, s); l.active() && qty > l.value + 1e-12)
    return refuse(Limit::MaxOrderQty, "max_order_qty (" + inst.name + "): " + num(qty) + ", limit " + num(l.value));
  if (const LimitSetting& l = orderLimit(Limit::MaxOrderNotional, inst.id, s); l.active()) {
    const double price = r.type == OrderType::Limit ? toDouble(r.price) : referencePrice(inst.id);
    const double notional = notionalUsd(inst, qty, price);
    if (!(price > 0) || !(notional > 0))
      return refuse(Limit::MaxOrderNotional, "max_order_notional (" + inst.name + "): no price to value the order");
    if (notional > l.value + 1e-9)
      return refuse(Limit::MaxOrderNotional, "max_order_notional (" + inst.name + "): " + num(notional) +
                                                 " USD, limit " + num(l.value) + " USD");
  }
  if (std::string why = checkBand(r, inst, s, hit); !why.empty()) return why;
  if (std::string why = checkSlippage(inst, s, hit); !why.empty()) return why;

  const double sign = r.side == Side::Buy ? 1.0 : -1.0;
  const double position = oms.positions()[inst.id].qty;
  if (const LimitSetting& l = orderLimit(Limit::MaxPosition, inst.id, s); l.active()) {
    const double working = oms.openQty(inst.id, r.side, replacing);
    const double after = position + sign * (working + qty);
    if (std::abs(after) > l.value + 1e-12 && std::abs(after) > std::abs(position))
      return refuse(Limit::MaxPosition, "max_position (" + inst.name + "): " + num(position) + " with " + num(working) +
                                            " working -> " + num(after) + ", limit " + num(l.value));
  }
  const double added = old ? qty - toDouble(old->request.qty) : qty;
  if (std::string why = checkGreeks(r, sign * added, hit); !why.empty()) return why;

  if (const LimitSetting& l = orderLimit(Limit::SelfTrade, inst.id, s); l.active()) {
    for (OrderId id : oms.working()) {
      const Order* o = oms.find(id);
      // An order being cancelled is on its way out (FLATTEN cancels, then sends at once).
      if (id == replacing || o->cancelRequested || o->request.instrument != inst.id || o->request.side == r.side ||
          o->request.type != OrderType::Limit)
        continue;
      const bool crosses = r.type == OrderType::Market ||
                           (r.side == Side::Buy ? r.price >= o->request.price : r.price <= o->request.price);
      if (crosses)
        return refuse(Limit::SelfTrade, "self_trade (" + inst.name + "): would trade against our own " +
                                            nameOf(o->request.side) + " #" + std::to_string(id) + " at " +
                                            num(toDouble(o->request.price)));
    }
  }

  // FLATTEN's (System) orders are deliberate repeats of the same size: not duplicates.
  if (!replacing && r.origin != OrderOrigin::System) {
    if (const LimitSetting& l = orderLimit(Limit::DuplicateWindowMs, inst.id, s); l.active()) {
      const Nanos window = Nanos(l.value * 1e6);
      for (std::size_t i = 1; i <= recent_.size(); ++i) {
        const RecentOrder& p = recent_[(recentNext_ + recent_.size() - i) % recent_.size()];
        if (p.ts == 0 || now - p.ts >= window) break;  // newest first: the rest are older still
        if (p.instrument == r.instrument && p.side == r.side && p.type == r.type && p.price == r.price &&
            p.qty == r.qty && p.strategy == r.strategy && p.origin == r.origin)
          return refuse(Limit::DuplicateWindowMs, "duplicate_window_ms (" + inst.name + "): the same " +
                                                      nameOf(r.side) + " " + num(qty) + " @ " + num(toDouble(r.price)) +
                                                      " was sent " + num(double(now - p.ts) / 1e6) + " ms ago");
      }
    }
  }
  // FLATTEN's orders (System) reduce risk by construction (the REDUCING check passed them): the
  // counted limits — open orders still being cancelled, rates, daily counts — must not hold them back.
  if (r.origin == OrderOrigin::System) return {};
  const bool submit = !replacing;
  if (std::string why = checkCounted(account_, config_.account, "account", now, submit, hit); !why.empty()) return why;
  if (std::string why = checkVenue(inst.id, now, submit, hit); !why.empty()) return why;
  if (std::string why = checkCounted(perInstrument_[inst.id], instrumentCounted_[inst.id],
                                     instrumentScopeLabel_[inst.id], now, submit, hit);
      !why.empty())
    return why;
  if (s) {
    if (std::string why = checkCounted(s->counted, s->limits, s->label, now, submit, hit); !why.empty()) return why;
  }
  return {};
}

std::string PreTradeLimits::checkVenue(InstrumentId id, Nanos now, bool submit, Limit* hit) {
  const VenueId v = instruments_[id].venue;
  if (v >= venueNames_.size()) return {};
  return checkCounted(venueCounter(id), venueCounted_[v], "venue " + venueNames_[v], now, submit, hit);
}

std::string PreTradeLimits::checkCancel(const Order& o, Nanos now, Limit* hit) {
  ensureSized();
  rollDay(now);
  StrategyScope* s = strategyScope(o.request.strategy);
  if (std::string why = checkCounted(account_, config_.account, "account", now, false, hit); !why.empty()) return why;
  const InstrumentId id = o.request.instrument;
  if (std::string why = checkVenue(id, now, false, hit); !why.empty()) return why;
  if (std::string why = checkCounted(perInstrument_[id], instrumentCounted_[id], instrumentScopeLabel_[id], now, false, hit);
      !why.empty())
    return why;
  if (s) return checkCounted(s->counted, s->limits, s->label, now, false, hit);
  return {};
}

void PreTradeLimits::onAccepted(const Order& o, Nanos now) {
  auto count = [&](Counted& c) {
    ++c.open;
    c.submits.add(now);
    ++c.dayOrders;
  };
  count(account_);
  count(venueCounter(o.request.instrument));
  count(perInstrument_[o.request.instrument]);
  if (StrategyScope* s = strategyScope(o.request.strategy)) count(s->counted);
  recent_[recentNext_] = {now, o.request.instrument, o.request.side, o.request.type, o.request.price, o.request.qty,
                          o.request.strategy, o.request.origin};
  recentNext_ = (recentNext_ + 1) % recent_.size();
}

void PreTradeLimits::onCancelSent(const Order& o, Nanos now) {
  auto count = [&](Counted& c) {
    c.cancels.add(now);
    ++c.dayCancels;
  };
  count(account_);
  count(venueCounter(o.request.instrument));
  count(perInstrument_[o.request.instrument]);
  if (StrategyScope* s = strategyScope(o.request.strategy)) count(s->counted);
}

void PreTradeLimits::onModifySent(const Order& o, Nanos now) { onCancelSent(o, now); }

void PreTradeLimits::onClosed(const Order& o) {
  auto close = [](Counted& c) {
    if (c.open) --c.open;
  };
  close(account_);
  close(venueCounter(o.request.instrument));
  close(perInstrument_[o.request.instrument]);
  if (StrategyScope* s = strategyScope(o.request.strategy)) close(s->counted);
}

void PreTradeLimits::onFill(const Order& o, double qty, Nanos now) {
  rollDay(now);
  ++account_.dayFills;
  ++venueCounter(o.request.instrument).dayFills;
  ++perInstrument_[o.request.instrument].dayFills;
  if (StrategyScope* s = strategyScope(o.request.strategy)) ++s->counted.dayFills;
  const UnitGreeks g = unitGreeks(o.request.instrument);
  const double signedQty = o.request.side == Side::Buy ? qty : -qty;
  NetGreeks& n = net_[underlyingOf_[o.request.instrument]];
  n.delta += signedQty * g.delta;
  n.gamma += signedQty * g.gamma;
  n.vega += signedQty * g.vega;
}

void PreTradeLimits::usage(Nanos now, const OrderManager& oms, std::vector<LimitUse>* out) {
  ensureSized();
  rollDay(now);
  out->clear();
  std::string path;  // of the rows being added
  auto row = [&](Limit l, const std::string& scope, double use, const LimitSetting& s) {
    if (s.set()) out->push_back({l, scope, use, s.value, s.enabled, path});
  };
  auto counted = [&](const Counted& c, const LimitSet& limits, const std::string& scope) {
    row(Limit::MaxOpenOrders, scope, double(c.open), limits[std::size_t(Limit::MaxOpenOrders)]);
    row(Limit::MaxSubmitRate, scope, double(c.submits.inLastSecond(now)), limits[std::size_t(Limit::MaxSubmitRate)]);
    row(Limit::MaxCancelRate, scope, double(c.cancels.inLastSecond(now)), limits[std::size_t(Limit::MaxCancelRate)]);
    row(Limit::MaxDailyOrders, scope, double(c.dayOrders), limits[std::size_t(Limit::MaxDailyOrders)]);
    row(Limit::MaxDailyCancels, scope, double(c.dayCancels), limits[std::size_t(Limit::MaxDailyCancels)]);
    row(Limit::MaxDailyFills, scope, double(c.dayFills), limits[std::size_t(Limit::MaxDailyFills)]);
  };
  path = "account";
  counted(account_, config_.account, "account");
  // Order limits are per order: listed with their value, nothing accumulates (use = NaN).
  const double perOrder = std::nan("");
  auto orderLimits = [&](const LimitSet& limits, const std::string& scope) {
    for (Limit l : {Limit::MaxOrderQty, Limit::MaxOrderNotional, Limit::PriceBand, Limit::IvBand,
                    Limit::DuplicateWindowMs, Limit::SelfTrade, Limit::MaxSlippageBps, Limit::MaxGasPriceGwei,
                    Limit::MaxGasPerDay})
      row(l, scope, perOrder, limits[std::size_t(l)]);
  };
  orderLimits(config_.account, "account");
  for (std::size_t v = 0; v < venueNames_.size(); ++v) {
    const bool own = std::any_of(config_.venues.begin(), config_.venues.end(),
                                 [&](const ScopedLimits& e) { return e.key == venueNames_[v]; });
    if (!own) continue;
    path = "venues/" + venueNames_[v];
    counted(perVenue_[v], venueCounted_[v], "venue " + venueNames_[v]);
    for (const ScopedLimits& e : config_.venues)
      if (e.key == venueNames_[v]) orderLimits(e.limits, "venue " + venueNames_[v]);
  }
  for (const ScopedLimits& e : config_.instruments) {
    path = "instruments/" + e.key;
    orderLimits(e.limits, e.key);
  }
  for (const ScopedLimits& e : config_.strategies) {
    path = "strategies/" + e.key;
    orderLimits(e.limits, "strategies " + e.key);
  }
  for (std::size_t u = 0; u < underlyings_.size(); ++u) {
    const LimitSet& l = underlyingLimits_[u];
    const bool own = std::any_of(config_.underlyings.begin(), config_.underlyings.end(),
                                 [&](const ScopedLimits& e) { return e.key == underlyings_[u]; });
    path = own ? "underlyings/" + underlyings_[u] : "account";
    row(Limit::MaxNetDelta, underlyings_[u], net_[u].delta, l[std::size_t(Limit::MaxNetDelta)]);
    row(Limit::MaxNetGamma, underlyings_[u], net_[u].gamma, l[std::size_t(Limit::MaxNetGamma)]);
    row(Limit::MaxNetVega, underlyings_[u], net_[u].vega, l[std::size_t(Limit::MaxNetVega)]);
  }
  // Positions against their instrument's limit: every non-flat one (resolved over scopes).
  path.clear();
  for (const Position& p : oms.positions()) {
    if (p.qty == 0) continue;
    row(Limit::MaxPosition, instruments_[p.instrument].name, p.qty, resolved_[p.instrument][std::size_t(Limit::MaxPosition)]);
  }
  for (InstrumentId id = 0; id < perInstrument_.size(); ++id) {
    const Instrument& inst = instruments_[id];
    const Counted& c = perInstrument_[inst.id];
    if (c.open == 0 && c.dayOrders == 0) continue;  // only instruments this session traded
    path = instrumentScopeKey_[inst.id].empty() ? std::string() : "instruments/" + instrumentScopeKey_[inst.id];
    counted(c, instrumentCounted_[inst.id], instrumentScopeLabel_[inst.id]);
  }
  for (auto it = strategies_.begin(); it != strategies_.end();) {
    // An instance that was removed, with no order left working, has nothing left to count.
    if (strategyKeyOf_ && strategyKeyOf_(it->first).empty() && it->second.counted.open == 0) {
      it = strategies_.erase(it);
      continue;
    }
    path = it->second.configKey.empty() ? std::string() : "strategies/" + it->second.configKey;
    counted(it->second.counted, it->second.limits, it->second.label);
    ++it;
  }
}

}  // namespace kappa
