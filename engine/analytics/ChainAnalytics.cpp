#include "analytics/ChainAnalytics.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "pricing/BlackScholes.hpp"
#include "pricing/InverseOption.hpp"
#include "vol/Svi.hpp"

namespace kappa::analytics {
namespace {
constexpr double kNanosPerYear = 365.0 * 86400e9;  // ACT/365, as the per-day figures and scenario days

double mid(Price bid, Price ask) { return bid && ask ? toDouble(bid + ask) / 2.0 : 0.0; }

// Coin price of an inverse option on forward f (Deribit: r = 0, USD value / forward); at or past
// expiry the coin payoff max(+-(F - K), 0) / F.
double coinPrice(bool isCall, double f, double k, double t, double vol) {
  if (t <= 0) return std::max(isCall ? f - k : k - f, 0.0) / f;
  return pricing::black76Price(isCall ? pricing::CallPut::Call : pricing::CallPut::Put, f, k, t, 0.0, vol) / f;
}

// Implied vol of a coin price: the USD value is price * F (undiscounted Black-76 on the forward).
// `guess` is the previous refresh's vol for the same quote (0: none): a warm start.
pricing::ImpliedVol coinIv(bool isCall, double f, double k, double t, Price price, double guess) {
  if (!price) return {0, pricing::IvStatus::InvalidInput, 0};
  return pricing::impliedVolBlack76(isCall, f, k, t, 0.0, toDouble(price) * f, guess);
}

// Forward from put-call parity on inverse options: C - P = (F - K) / F in coin, so
// F = K / (1 - (C - P)). Median over the strikes nearest the guess that have two-sided quotes.
std::optional<double> parityForward(const std::vector<std::pair<const Instrument*, const OptionQuote*>>& legs,
                                    double guess) {
  std::map<Price, std::pair<double, double>> byStrike;  // strike -> (call mid, put mid)
  for (const auto& [inst, q] : legs) {
    const double m = mid(q->bid, q->ask);
    if (m <= 0) continue;
    auto& slot = byStrike[inst->strike];
    (inst->optionType == OptionType::Call ? slot.first : slot.second) = m;
  }
  std::vector<std::pair<double, double>> candidates;  // (distance to guess, forward)
  for (const auto& [strike, cp] : byStrike) {
    if (cp.first <= 0 || cp.second <= 0) continue;
    const double k = toDouble(strike);
    const double denom = 1.0 - (cp.first - cp.second);
    if (denom <= 0) continue;
    const double f = k / denom;
    if (f > 0.5 * guess && f < 2.0 * guess) candidates.emplace_back(std::abs(k - guess), f);
  }
  if (candidates.empty()) return std::nullopt;
  std::sort(candidates.begin(), candidates.end());
  candidates.resize(std::min<std::size_t>(3, candidates.size()));
  std::vector<double> fs;
  for (const auto& c : candidates) fs.push_back(c.second);
  std::sort(fs.begin(), fs.end());
  return fs[fs.size() / 2];
}

void addGreeks(GreekTotals& to, const GreekTotals& g) {
  to.deltaCoin += g.deltaCoin;
  to.gammaCoin += g.gammaCoin;
  to.vegaCoin += g.vegaCoin;
  to.thetaCoin += g.thetaCoin;
  to.deltaUsd += g.deltaUsd;
  to.gammaUsd += g.gammaUsd;
  to.vegaUsd += g.vegaUsd;
  to.thetaUsd += g.thetaUsd;
}
}  // namespace

const OptionAnalytics* ChainAnalytics::find(InstrumentId id) const {
  for (const OptionAnalytics& o : options)
    if (o.instrument == id) return &o;
  return nullptr;
}

std::shared_ptr<const ChainAnalytics> computeChainAnalytics(const ChainInput& in, const ChainAnalytics* previous) {
  const auto started = std::chrono::steady_clock::now();
  auto out = std::make_shared<ChainAnalytics>();
  out->underlying = in.underlying;
  out->indexId = in.indexId;
  out->seq = previous ? previous->seq + 1 : 1;
  out->computedAt = in.now;
  out->sampledAt = in.sampledAt;
  out->index = in.index;
  const InstrumentRegistry& reg = *in.instruments;
  if (in.index <= 0) return out;

  // ---- group the chain by expiry ----
  std::map<Nanos, std::vector<std::pair<const Instrument*, const OptionQuote*>>> byExpiry;
  for (const OptionQuote& q : in.options) {
    const Instrument& inst = reg[q.instrument];
    if (!inst.isOption() || inst.expiry <= in.now) continue;
    byExpiry[inst.expiry].emplace_back(&inst, &q);
  }
  // The previous refresh's vols by instrument, to warm-start this one's solves.
  std::vector<const OptionAnalytics*> before(reg.size(), nullptr);
  if (previous)
    for (const OptionAnalytics& o : previous->options)
      if (o.instrument < before.size()) before[o.instrument] = &o;
  // Carry implied by the listed futures (median of ln(F/S)/t): the forward of an expiry whose quotes
  // give no put-call parity is index * e^{carry t}, not the bare index.
  double carry = 0;
  {
    std::vector<double> carries;
    for (const auto& [id, mid] : in.futuresMid) {
      const Instrument& inst = reg[id];
      if (inst.kind != InstrumentKind::Future || inst.expiry <= in.now || mid <= 0) continue;
      carries.push_back(std::log(mid / in.index) / (double(inst.expiry - in.now) / kNanosPerYear));
    }
    if (!carries.empty()) {
      std::sort(carries.begin(), carries.end());
      carry = carries[carries.size() / 2];
    }
  }
  vol::SviFitter fitter;
  std::vector<vol::SviSlice> slices;
  for (auto& [expiry, legs] : byExpiry) {
    std::sort(legs.begin(), legs.end(), [](const auto& a, const auto& b) {
      return a.first->strike != b.first->strike ? a.first->strike < b.first->strike
                                                : a.first->optionType < b.first->optionType;
    });
    ExpiryAnalytics e;
    e.expiry = expiry;
    e.t = double(expiry - in.now) / kNanosPerYear;
    const std::optional<double> parity = parityForward(legs, in.index);
    e.forward = parity.value_or(in.index * std::exp(carry * e.t));
    e.forwardFromParity = parity.has_value();

    std::vector<vol::SviQuote> quotes;
    for (const auto& [inst, q] : legs) {
      OptionAnalytics o;
      o.instrument = inst->id;
      o.expiryIndex = out->expiries.size();
      o.strike = toDouble(inst->strike);
      o.t = e.t;
      o.k = std::log(o.strike / e.forward);
      o.isCall = inst->optionType == OptionType::Call;
      const OptionAnalytics* prev = before[inst->id];
      const pricing::ImpliedVol b = coinIv(o.isCall, e.forward, o.strike, e.t, q->bid, prev ? prev->bidIv : 0.0);
      const pricing::ImpliedVol a = coinIv(o.isCall, e.forward, o.strike, e.t, q->ask, prev ? prev->askIv : 0.0);
      o.bidStatus = b.status;
      o.askStatus = a.status;
      o.bidIv = b.ok() ? b.vol : 0;
      o.askIv = a.ok() ? a.vol : 0;
      if (q->bid && q->ask) {
        const pricing::ImpliedVol m =
            coinIv(o.isCall, e.forward, o.strike, e.t, (q->bid + q->ask) / 2, prev ? prev->midIv : 0.0);
        o.midIv = m.ok() ? m.vol : 0;
      }
      // The smile is fitted to out-of-the-money options, where the market's information is.
      const bool otm = o.isCall ? o.strike >= e.forward : o.strike < e.forward;
      if (otm && (o.bidIv > 0 || o.askIv > 0)) quotes.push_back({o.k, o.bidIv, o.askIv, 0});
      e.options.push_back(out->options.size());
      out->options.push_back(o);
    }
    // The previous refresh's surface for this expiry (its last good fit), rescaled to this
    // refresh's t so that it keeps its implied vols: the warm start, and what is held if this
    // refresh's fit is not good.
    std::optional<vol::SviParams> held;
    Nanos heldAt = 0;
    if (previous)
      for (const ExpiryAnalytics& p : previous->expiries)
        if (p.expiry == expiry && p.hasSurface && p.t > 0 && e.t > 0) {
          held = p.surface;
          held->a *= e.t / p.t;
          held->b *= e.t / p.t;
          heldAt = p.surfaceFittedAt;
        }
    e.fit = fitter.fit(e.t, quotes, held);
    const bool fitted = e.fit.status == vol::SviFitStatus::Ok || e.fit.status == vol::SviFitStatus::NotConverged;
    if (e.fit.ok()) {
      e.hasSurface = true;
      e.surface = e.fit.params;
      e.surfaceFittedAt = in.now;
    } else if (held && vol::sviParamsValid(*held)) {
      e.hasSurface = true;
      e.surface = *held;
      e.surfaceFittedAt = heldAt;
    }
    if (!quotes.empty()) {
      e.quotedKMin = e.quotedKMax = quotes.front().k;
      for (const vol::SviQuote& q : quotes) {
        e.quotedKMin = std::min(e.quotedKMin, q.k);
        e.quotedKMax = std::max(e.quotedKMax, q.k);
      }
    }
    if (fitted) {
      vol::ArbitrageScanOptions scan;
      const double half = 0.5 * std::max(e.quotedKMax - e.quotedKMin, 0.02);
      scan.kMin = e.quotedKMin - half;
      scan.kMax = e.quotedKMax + half;
      e.butterfly = vol::checkButterfly(e.fit.params, scan);
      e.atmVol = vol::sviImpliedVol(e.fit.params, 0.0, e.t);
      slices.push_back({e.t, e.fit.params});
      out->fittedExpiries.push_back(out->expiries.size());
    } else {
      // No surface for this expiry: the nearest-the-money market mid stands in.
      double best = 1e9;
      for (std::size_t i : e.options) {
        const OptionAnalytics& o = out->options[i];
        if (o.midIv > 0 && std::abs(o.k) < best) {
          best = std::abs(o.k);
          e.atmVol = o.midIv;
        }
      }
    }
    // Marks, theo, edge and Greeks.
    for (std::size_t i : e.options) {
      OptionAnalytics& o = out->options[i];
      const OptionQuote& q = *legs[i - e.options.front()].second;
      o.venueMarkIv = q.venueMarkIv;
      o.markIv = e.hasSurface ? vol::sviImpliedVol(e.surface, o.k, e.t)
                 : fitted       ? vol::sviImpliedVol(e.fit.params, o.k, e.t)
                                : (o.midIv > 0 ? o.midIv : e.atmVol);
      if (!(o.markIv > 0)) continue;
      const pricing::InverseGreeks g = pricing::inverseOptionGreeks(
          o.isCall ? pricing::CallPut::Call : pricing::CallPut::Put, e.forward, o.strike, e.t, o.markIv);
      o.theo = g.priceCoin;
      if (q.bid) o.edgeBid = o.theo - toDouble(q.bid);
      if (q.ask) o.edgeAsk = toDouble(q.ask) - o.theo;
      o.deltaCoin = g.deltaCoin;
      o.gammaCoin = g.gammaCoin;
      o.vegaCoin = g.vegaCoin;
      o.thetaCoin = g.thetaCoin;
      o.deltaUsd = g.usd.delta;
      o.gammaUsd = g.usd.gamma;
      o.vegaUsd = g.usd.vega;
      o.thetaUsd = g.usd.theta;
    }
    out->expiries.push_back(std::move(e));
  }
  // Calendar: each consecutive pair of fitted slices on the overlap of their widened quoted ranges.
  for (std::size_t j = 1; j < out->fittedExpiries.size(); ++j) {
    const ExpiryAnalytics& e1 = out->expiries[out->fittedExpiries[j - 1]];
    const ExpiryAnalytics& e2 = out->expiries[out->fittedExpiries[j]];
    auto widened = [](const ExpiryAnalytics& e, bool lo) {
      const double half = 0.5 * std::max(e.quotedKMax - e.quotedKMin, 0.02);
      return lo ? e.quotedKMin - half : e.quotedKMax + half;
    };
    vol::ArbitrageScanOptions scan;
    scan.kMin = std::max(widened(e1, true), widened(e2, true));
    scan.kMax = std::min(widened(e1, false), widened(e2, false));
    if (!(scan.kMax > scan.kMin)) continue;
    const vol::SviSlice pair[] = {slices[j - 1], slices[j]};
    const vol::CalendarReport r = vol::checkCalendar(pair, scan);
    out->calendar.badInput |= r.badInput;
    for (vol::CalendarViolation v : r.violations) {
      v.earlier = j - 1;
      v.later = j;
      out->calendar.violations.push_back(std::move(v));
      out->calendar.arbitrage = true;
    }
  }

  // ---- the book ----
  auto forwardFor = [&](const Instrument& inst) -> double {
    for (const ExpiryAnalytics& e : out->expiries)
      if (e.expiry == inst.expiry) return e.forward;
    for (const auto& [id, m] : in.futuresMid)
      if (id == inst.id && m > 0) return m;
    return in.index;
  };
  // Coin value of a position under a scenario (spot factor, vol shift, days later).
  auto valueCoin = [&](const PositionInput& p, double spotFactor, double volShift, double days, bool atExpiry) {
    const Instrument& inst = reg[p.instrument];
    if (inst.isOption()) {
      const OptionAnalytics* o = out->find(inst.id);
      const double f = forwardFor(inst) * spotFactor;
      const double t = atExpiry ? 0.0 : (o ? o->t : double(inst.expiry - in.now) / kNanosPerYear) - days / 365.0;
      double mark = o && o->markIv > 0 ? o->markIv : 0.0;
      if (!(mark > 0) && o) mark = out->expiries[o->expiryIndex].atmVol;
      if (!(mark > 0)) return 0.0;  // no vol anywhere on this expiry: left out rather than guessed
      const double vol = std::max(0.01, mark + volShift);
      return p.qty * coinPrice(inst.optionType == OptionType::Call, f, toDouble(inst.strike), t, vol);
    }
    // Perpetuals and futures: coin value relative to today's mark, PnL-like. Inverse ones settle in
    // the coin; linear ones (Binance's USDT-margined) in USDT, worth 1/F coin each at the moved price.
    const double f0 = forwardFor(inst);
    const double pnl = p.qty * (inst.unitValue(f0 * spotFactor) - inst.unitValue(f0));
    if (inst.settlement == Settlement::Linear) return f0 * spotFactor > 0 ? pnl / (f0 * spotFactor) : 0.0;
    return pnl;
  };
  for (const PositionInput& p : in.positions) {
    if (p.qty == 0) continue;
    const Instrument& inst = reg[p.instrument];
    PositionRisk r;
    r.instrument = p.instrument;
    r.qty = p.qty;
    r.valueCoin = valueCoin(p, 1.0, 0.0, 0.0, false);
    if (inst.isOption()) {
      if (const OptionAnalytics* o = out->find(inst.id)) {
        r.greeks = {p.qty * o->deltaCoin, p.qty * o->gammaCoin, p.qty * o->vegaCoin, p.qty * o->thetaCoin,
                    p.qty * o->deltaUsd,  p.qty * o->gammaUsd,  p.qty * o->vegaUsd,  p.qty * o->thetaUsd};
      }
    } else if (inst.settlement == Settlement::Inverse) {
      // Q USD of an inverse contract: coin exposure Q/F, and it shrinks as F rises (gamma -Q/F^2).
      const double f = forwardFor(inst);
      r.greeks.deltaCoin = r.greeks.deltaUsd = p.qty / f;
      r.greeks.gammaCoin = -p.qty / (f * f);
    } else {
      // q coin of a linear contract: q coin of exposure in USD terms; its USDT PnL is worth less
      // coin as F rises (coin value q(F-F0)/F: F·d/dF = q at F0, and that falls as -q/F).
      const double f = forwardFor(inst);
      r.greeks.deltaCoin = r.greeks.deltaUsd = p.qty;
      r.greeks.gammaCoin = f > 0 ? -p.qty / f : 0.0;
    }
    addGreeks(out->total, r.greeks);
    auto it = std::find_if(out->byExpiry.begin(), out->byExpiry.end(), [&](const auto& e) { return e.first == inst.expiry; });
    if (it == out->byExpiry.end()) {
      out->byExpiry.emplace_back(inst.expiry, GreekTotals{});
      it = out->byExpiry.end() - 1;
    }
    addGreeks(it->second, r.greeks);
    out->positions.push_back(r);
  }
  std::sort(out->byExpiry.begin(), out->byExpiry.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  // ---- scenarios by full revaluation ----
  out->scenarioSpotShifts = {-0.30, -0.20, -0.10, -0.05, -0.02, 0.0, 0.02, 0.05, 0.10, 0.20, 0.30};
  out->scenarioVolShifts = {-0.20, -0.10, -0.05, 0.0, 0.05, 0.10, 0.20};
  out->scenarioDays = {0.0, 1.0, 7.0};
  double base = 0;
  for (const PositionInput& p : in.positions)
    if (p.qty != 0) base += valueCoin(p, 1.0, 0.0, 0.0, false);
  const double baseUsd = base * in.index;
  for (double days : out->scenarioDays)
    for (double dv : out->scenarioVolShifts)
      for (double ds : out->scenarioSpotShifts) {
        double v = 0;
        for (const PositionInput& p : in.positions)
          if (p.qty != 0) v += valueCoin(p, 1.0 + ds, dv, days, false);
        out->scenarios.push_back({ds, dv, days, v - base, v * in.index * (1.0 + ds) - baseUsd});
      }
  struct CurveSpec { const char* label; double days; bool atExpiry; };
  for (const CurveSpec c : {CurveSpec{"now", 0, false}, CurveSpec{"+7d", 7, false}, CurveSpec{"expiry", 0, true}}) {
    PnlCurve curve;
    curve.label = c.label;
    for (int i = 0; i <= 60; ++i) {
      const double ds = -0.30 + 0.01 * i;
      double v = 0;
      for (const PositionInput& p : in.positions)
        if (p.qty != 0) v += valueCoin(p, 1.0 + ds, 0.0, c.days, c.atExpiry);
      curve.spot.push_back(in.index * (1.0 + ds));
      curve.pnlUsd.push_back(v * in.index * (1.0 + ds) - baseUsd);
    }
    out->pnlCurves.push_back(std::move(curve));
  }
  out->computeMicros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace kappa::analytics
