// Live option analytics: from a simulated Deribit-style chain, forwards from put-call parity, a fitted
// surface whose marks sit inside the market, consistent Greeks, and the book's Greeks, scenarios and
// PnL curves by full revaluation; and the engine delivering it off its market-data thread.
#include <QtTest>
#include <cmath>

#include "analytics/MarketAnalytics.hpp"
#include "book/MarketData.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "pricing/InverseOption.hpp"
#include "sim/SimExchange.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;
using namespace kappa::analytics;

namespace {
struct Market {
  sim::SimExchange ex{sim::SimConfig{}};
  MarketData md{ex.instruments()};
  Market() {
    ex.start();
    for (int i = 0; i < 3000; ++i) {
      md.apply(ex.output().md.data(), ex.output().md.size());
      ex.output().clear();
      ex.step();
    }
  }
  // One underlying's chain (BTC unless named), as the engine samples it.
  ChainInput input(std::vector<PositionInput> positions = {}, const std::string& underlying = "BTC") const {
    ChainInput in;
    in.instruments = &ex.instruments();
    in.underlying = underlying;
    in.now = ex.now();
    in.index = ex.indexPrice(underlying);
    for (const Instrument& inst : ex.instruments().all()) {
      if (inst.baseCurrency != underlying) continue;
      const OrderBook& b = md.book(inst.id);
      if (inst.isOption())
        in.options.push_back({inst.id, b.bestBid() ? b.bestBid()->price : 0, b.bestAsk() ? b.bestAsk()->price : 0, 0});
      else if (inst.kind != InstrumentKind::Index)
        in.futuresMid.emplace_back(inst.id, toDouble(md.markPrice(inst.id)));
    }
    in.positions = std::move(positions);
    return in;
  }
};
}  // namespace

class TestAnalytics : public QObject {
  Q_OBJECT
 private slots:
  void chainFromSimulatedMarket() {
    Market m;
    const auto a = computeChainAnalytics(m.input(), nullptr);
    QVERIFY(a->expiries.size() >= 6);
    int fitted = 0, okFits = 0, inside = 0, twoSided = 0;
    for (const ExpiryAnalytics& e : a->expiries) {
      // The simulator prices options off index * e^{0.05 t}: parity must find that forward.
      QVERIFY(e.forwardFromParity);
      const double expected = m.ex.indexPrice() * std::exp(0.05 * e.t);
      QVERIFY2(std::abs(e.forward / expected - 1) < 0.003, qPrintable(QString("t=%1 F=%2 vs %3").arg(e.t).arg(e.forward).arg(expected)));
      // Usable fits: Ok, or NotConverged (the simplex ended against its search box — the simulator's
      // smile is a parabola in moneyness, which SVI reaches only with a very wide sigma) that the
      // analytics still mark from; either way close to the market.
      const bool usable = e.fit.ok() || e.fit.status == vol::SviFitStatus::NotConverged;
      okFits += e.fit.ok() ? 1 : 0;
      if (usable) {
        ++fitted;
        // A 0.0005 BTC tick is several vol points on a one-day option: allow 3 points there.
        QVERIFY2(e.fit.rmse < (e.t < 2 / 365.0 ? 0.03 : 0.01), qPrintable(QString("t=%1 rmse %2").arg(e.t).arg(e.fit.rmse)));
        QVERIFY(e.atmVol > 0.3 && e.atmVol < 1.2);
      }
      qInfo("expiry t=%.4f F=%.1f fit %s rmse %.4f quotes %d atm %.3f butterfly %s evals %d gMin %.4f m %.4f sigma %.4f rho %.3f", e.t, e.forward,
            vol::nameOf(e.fit.status), e.fit.rmse, e.fit.quotesUsed, e.atmVol, e.butterfly.arbitrage ? "yes" : "no",
            e.fit.evaluations, e.fit.gMin, e.fit.params.m, e.fit.params.sigma, e.fit.params.rho);
      for (std::size_t i : e.options) {
        const OptionAnalytics& o = a->options[i];
        if (o.bidIv > 0 && o.askIv > 0) {
          ++twoSided;
          QVERIFY(o.bidIv <= o.askIv + 1e-12);
          if (o.markIv >= o.bidIv - 1e-9 && o.markIv <= o.askIv + 1e-9) ++inside;
        }
        if (o.markIv > 0) {
          // Greeks as documented: coin delta = USD delta - premium in coin.
          QVERIFY(std::abs(o.deltaCoin - (o.deltaUsd - o.theo)) < 1e-12);
          QVERIFY(o.isCall ? (o.deltaUsd > 0 && o.deltaUsd < 1) : (o.deltaUsd < 0 && o.deltaUsd > -1));
          QVERIFY(o.vegaUsd > 0 && o.thetaUsd < 0);
        }
      }
    }
    QVERIFY(fitted >= 6);
    QVERIFY2(okFits >= 4, qPrintable(QString("%1 Ok fits").arg(okFits)));
    qInfo("%d of %d two-sided options have the surface mark inside their bid/ask IV; computed in %.0f us",
          inside, twoSided, a->computeMicros);
    QVERIFY(twoSided > 100);
    QVERIFY(inside >= twoSided * 9 / 10);
    QVERIFY(!a->calendar.badInput);
  }

  // ETH's chain on its own: forwards from ETH's index, implied vols from ETH premiums (in ETH),
  // fitted smiles at ETH's higher level, marks inside the market.
  void ethChainHasItsOwnIvsAndSmile() {
    Market m;
    const auto a = computeChainAnalytics(m.input({}, "ETH"), nullptr);
    QCOMPARE(a->underlying, std::string("ETH"));
    QVERIFY(a->expiries.size() >= 6);
    int fitted = 0, okFits = 0, inside = 0, twoSided = 0;
    for (const ExpiryAnalytics& e : a->expiries) {
      QVERIFY(e.forwardFromParity);
      const double expected = m.ex.indexPrice("ETH") * std::exp(0.05 * e.t);
      QVERIFY2(std::abs(e.forward / expected - 1) < 0.003, qPrintable(QString("t=%1 F=%2 vs %3").arg(e.t).arg(e.forward).arg(expected)));
      qInfo("ETH expiry t=%.4f F=%.2f fit %s rmse %.4f quotes %d atm %.3f", e.t, e.forward, vol::nameOf(e.fit.status),
            e.fit.rmse, e.fit.quotesUsed, e.atmVol);
      okFits += e.fit.ok() ? 1 : 0;
      if (e.fit.ok() || e.fit.status == vol::SviFitStatus::NotConverged) {  // usable, as for BTC above
        ++fitted;
        QVERIFY2(e.fit.rmse < (e.t < 2 / 365.0 ? 0.04 : 0.015), qPrintable(QString("t=%1 rmse %2").arg(e.t).arg(e.fit.rmse)));
        // The simulator's ETH smile: ATM 62 % + 14 % e^{-8t} around today's spot (BTC's is 48 % + 12 %).
        const double model = 0.62 + 0.14 * std::exp(-8 * e.t);
        QVERIFY2(std::abs(e.atmVol - model) < 0.08, qPrintable(QString("t=%1 atm %2 vs %3").arg(e.t).arg(e.atmVol).arg(model)));
      }
      for (std::size_t i : e.options) {
        const OptionAnalytics& o = a->options[i];
        QCOMPARE(m.ex.instruments()[o.instrument].baseCurrency, std::string("ETH"));
        if (o.bidIv > 0 && o.askIv > 0) {
          ++twoSided;
          if (o.markIv >= o.bidIv - 1e-9 && o.markIv <= o.askIv + 1e-9) ++inside;
        }
      }
    }
    QVERIFY(fitted >= 6);
    QVERIFY2(okFits >= 4, qPrintable(QString("%1 Ok fits").arg(okFits)));
    QVERIFY(twoSided > 100);
    QVERIFY2(inside >= twoSided * 9 / 10, qPrintable(QString("%1 of %2 inside").arg(inside).arg(twoSided)));
    // The BTC chain computed beside it is BTC's: its strikes sit ~20 times higher.
    const auto both = computeMarketAnalytics({m.input({}, "BTC"), m.input({}, "ETH")}, nullptr);
    QCOMPARE(both->chains.size(), std::size_t(2));
    QVERIFY(both->chain("BTC")->options.front().strike > 10 * both->chain("ETH")->options.front().strike);
  }

  // Positions in both coins: each chain's Greeks in its own coin, the USD totals summed.
  void usdTotalsOverUnderlyings() {
    Market m;
    const InstrumentId btcPerp = m.ex.instruments().find("BTC-PERPETUAL")->id;
    const InstrumentId ethPerp = m.ex.instruments().find("ETH-PERPETUAL")->id;
    const auto a = computeMarketAnalytics({m.input({{btcPerp, 10000, 0}}, "BTC"), m.input({{ethPerp, -4000, 0}}, "ETH")}, nullptr);
    const ChainAnalytics& btc = *a->chain("BTC");
    const ChainAnalytics& eth = *a->chain("ETH");
    QCOMPARE(btc.positions.size(), std::size_t(1));
    QCOMPARE(eth.positions.size(), std::size_t(1));
    // Long 10,000 USD of BTC-PERPETUAL is ~0.15 BTC of delta; short 4,000 USD of ETH's ~ -1.1 ETH.
    QVERIFY(std::abs(btc.total.deltaCoin - 10000 / btc.index) < 0.01 * 10000 / btc.index);
    QVERIFY(std::abs(eth.total.deltaCoin + 4000 / eth.index) < 0.01 * 4000 / eth.index);
    // In USD the two add up: +10,000 - 4,000 of dollar delta.
    QVERIFY2(std::abs(a->usdTotal.deltaUsd - 6000) < 100, qPrintable(QString::number(a->usdTotal.deltaUsd)));
    QCOMPARE(a->usd.size(), std::size_t(2));
    QVERIFY(std::abs(a->usdTotal.deltaUsd - (a->usd[0].deltaUsd + a->usd[1].deltaUsd)) < 1e-9);
    // The total grid: both moved +10 %, the USD PnLs add.
    QCOMPARE(a->scenariosUsdTotal.size(), btc.scenarios.size());
    for (std::size_t i = 0; i < btc.scenarios.size(); ++i)
      QVERIFY(std::abs(a->scenariosUsdTotal[i].pnlUsd - (btc.scenarios[i].pnlUsd + eth.scenarios[i].pnlUsd)) < 1e-6);
  }

  void bookGreeksScenariosAndCurves() {
    Market m;
    const auto bare = computeChainAnalytics(m.input(), nullptr);
    // Long 10 near-the-money calls of a ~1-week expiry, short 20,000 USD of the perpetual.
    const ExpiryAnalytics* week = nullptr;
    for (const ExpiryAnalytics& e : bare->expiries)
      if (e.t > 5 / 365.0 && !week) week = &e;
    QVERIFY(week);
    const OptionAnalytics* call = nullptr;
    for (std::size_t i : week->options) {
      const OptionAnalytics& o = bare->options[i];
      if (o.isCall && o.markIv > 0 && (!call || std::abs(o.k) < std::abs(call->k))) call = &o;
    }
    QVERIFY(call);
    const InstrumentId perp = m.ex.instruments().find("BTC-PERPETUAL")->id;
    const auto a = computeChainAnalytics(m.input({{call->instrument, 10, 0}, {perp, -20000, 0}}), bare.get());
    QCOMPARE(a->positions.size(), std::size_t(2));
    const OptionAnalytics& c = *a->find(call->instrument);
    double perpMark = 0;
    for (const auto& [id, mid] : m.input().futuresMid)
      if (id == perp) perpMark = mid;
    QVERIFY(std::abs(a->total.deltaCoin - (10 * c.deltaCoin - 20000 / perpMark)) < 1e-9);
    QVERIFY(std::abs(a->total.vegaUsd - 10 * c.vegaUsd) < 1e-9);
    QVERIFY(a->total.thetaUsd < 0);
    QCOMPARE(a->byExpiry.size(), std::size_t(2));  // the perpetual (no expiry) and the week
    // Scenario grid: nothing moves -> no PnL; more vol helps a long option; a week costs theta.
    QCOMPARE(a->scenarios.size(), a->scenarioDays.size() * a->scenarioVolShifts.size() * a->scenarioSpotShifts.size());
    const std::size_t flat = 5, zeroVol = 3;
    QCOMPARE(a->scenarioSpotShifts[flat], 0.0);
    QCOMPARE(a->scenarioVolShifts[zeroVol], 0.0);
    QVERIFY(std::abs(a->scenario(0, zeroVol, flat).pnlUsd) < 1e-6);
    QVERIFY(a->scenario(0, zeroVol + 1, flat).pnlUsd > 0);
    QVERIFY(a->scenario(2, zeroVol, flat).pnlUsd < 0);
    // Full revaluation agrees with the Greeks for a small move x = dF/F. The coin delta is F dV/dF,
    // so dV ~ delta_coin x + 1/2 (gamma_coin F - delta_coin) x^2 (coin).
    const double x = 0.02;
    const double small = a->scenario(0, zeroVol, flat + 1).pnlCoin;  // +2 %
    const double fromGreeks = a->total.deltaCoin * x + 0.5 * (a->total.gammaCoin * a->index - a->total.deltaCoin) * x * x;
    QVERIFY2(std::abs(small - fromGreeks) < 0.05 * std::abs(small) + 0.002, qPrintable(QString("%1 vs %2").arg(small).arg(fromGreeks)));
    // PnL curves: the "expiry" curve is the payoff.
    QCOMPARE(a->pnlCurves.size(), std::size_t(3));
    const PnlCurve& atExpiry = a->pnlCurves[2];
    QCOMPARE(atExpiry.label, std::string("expiry"));
    const std::size_t top = atExpiry.spot.size() - 1;  // +30 %
    const double f1 = week->forward * 1.3, s1 = atExpiry.spot[top];
    // Hand calculation: 10 calls pay (F - K)/F coin each; -20,000 USD of the inverse perpetual gains
    // q (1/F0 - 1/F1) coin, i.e. -20,000 * (1/F0 - 1/(1.3 F0)).
    const double payoffCoin = 10 * std::max(f1 - c.strike, 0.0) / f1 + (-20000) * (1.0 / perpMark - 1.0 / (perpMark * 1.3));
    double baseCoin = 0;
    for (const PositionRisk& p : a->positions) baseCoin += p.valueCoin;
    QVERIFY(std::abs(atExpiry.pnlUsd[top] - (payoffCoin * s1 - baseCoin * a->index)) < 1e-6 * std::abs(atExpiry.pnlUsd[top]) + 1e-6);
  }

  void forwardFallsBackToTheFuturesCarry() {
    Market m;
    ChainInput in = m.input();
    for (OptionQuote& q : in.options)  // no put quotes: no put-call parity anywhere
      if (m.ex.instruments()[q.instrument].optionType == OptionType::Put) q.bid = q.ask = 0;
    const auto a = computeChainAnalytics(in, nullptr);
    for (const ExpiryAnalytics& e : a->expiries) {
      QVERIFY(!e.forwardFromParity);
      // The simulator's futures trade at index * e^{0.05 t}: the carry found from them gives the forward.
      const double expected = m.ex.indexPrice() * std::exp(0.05 * e.t);
      QVERIFY2(std::abs(e.forward / expected - 1) < 0.003, qPrintable(QString("t=%1 F=%2 vs %3").arg(e.t).arg(e.forward).arg(expected)));
    }
  }

  void warmStartReusesThePreviousSurface() {
    Market m;
    const auto first = computeChainAnalytics(m.input(), nullptr);
    const auto second = computeChainAnalytics(m.input(), first.get());
    QCOMPARE(second->seq, first->seq + 1);
    int fewer = 0, compared = 0;
    for (std::size_t i = 0; i < first->expiries.size(); ++i) {
      if (!first->expiries[i].fit.ok()) continue;
      ++compared;
      fewer += second->expiries[i].fit.evaluations < first->expiries[i].fit.evaluations;
      QVERIFY(std::abs(second->expiries[i].atmVol - first->expiries[i].atmVol) < 1e-3);
    }
    QVERIFY(compared > 0 && fewer >= compared / 2);
  }

  // A refresh whose fit fails (here: the expiry's quotes vanish, too few to fit) keeps the last
  // good surface for marks and strategies, in implied vol, until a good fit replaces it; it was
  // this gap that made the example market maker pull and re-place its quotes on every refresh.
  void aFailedFitKeepsTheNewestGoodSurface() {
    Market m;
    const auto good = computeChainAnalytics(m.input(), nullptr);
    std::size_t x = good->expiries.size();
    for (std::size_t i = 0; i < good->expiries.size() && x == good->expiries.size(); ++i)
      if (good->expiries[i].fit.ok()) x = i;
    QVERIFY(x < good->expiries.size());
    const ExpiryAnalytics& g = good->expiries[x];
    QVERIFY(g.hasSurface && !g.surfaceHeld());
    QCOMPARE(g.surfaceFittedAt, good->computedAt);

    ChainInput in = m.input();
    in.now += 2'000'000'000;  // two seconds later
    for (OptionQuote& q : in.options)
      if (m.ex.instruments()[q.instrument].expiry == g.expiry) q.bid = q.ask = 0;
    const auto gap = computeChainAnalytics(in, good.get());
    const ExpiryAnalytics& h = gap->expiries[x];
    QCOMPARE(h.expiry, g.expiry);
    QVERIFY(!h.fit.ok());
    QVERIFY(h.hasSurface && h.surfaceHeld());
    QCOMPARE(h.surfaceFittedAt, good->computedAt);
    // Same implied vols at the same log-moneyness although t moved on.
    for (double k : {-0.1, 0.0, 0.1})
      QVERIFY2(std::abs(vol::sviImpliedVol(h.surface, k, h.t) - vol::sviImpliedVol(g.fit.params, k, g.t)) < 1e-12,
               qPrintable(QString("k=%1").arg(k)));
    for (std::size_t i : h.options) QVERIFY(gap->options[i].markIv > 0 && gap->options[i].theo > 0);
    // Held again through a second failed refresh, then replaced by the next good fit.
    in.now += 2'000'000'000;
    const auto still = computeChainAnalytics(in, gap.get());
    QVERIFY(still->expiries[x].surfaceHeld());
    QCOMPARE(still->expiries[x].surfaceFittedAt, good->computedAt);
    ChainInput back = m.input();
    back.now = in.now + 1'000'000'000;
    const auto fresh = computeChainAnalytics(back, still.get());
    if (fresh->expiries[x].fit.ok()) {
      QVERIFY(!fresh->expiries[x].surfaceHeld());
      QCOMPARE(fresh->expiries[x].surfaceFittedAt, back.now);
    }
    // An expiry never fitted has no surface to hold.
    ChainInput none = m.input();
    for (OptionQuote& q : none.options)
      if (m.ex.instruments()[q.instrument].expiry == g.expiry) q.bid = q.ask = 0;
    QVERIFY(!computeChainAnalytics(none, nullptr)->expiries[x].hasSurface);
  }

  void marketClockFollowsASimulatorStartedInThePast() {
    // --sim-start ten hours ago: times to expiry, order times and the venue lag must use the
    // simulated market's clock, not the wall clock (which once made the 1-day ATM vol read ~108 %).
    sim::SimConfig cfg;
    cfg.startTime = (wallNow() - 10 * 3600'000'000'000LL) / 1'000'000 * 1'000'000;
    Engine e(std::make_unique<sim::SimVenue>(cfg));
    e.start();
    QTRY_VERIFY_WITH_TIMEOUT((e.takeSnapshot(), e.snapshot().analytics && e.snapshot().analytics->chain("BTC") &&
                              e.snapshot().analytics->chain("BTC")->expiries.size() >= 6), 5000);
    const Nanos lag = e.now() - cfg.startTime;
    QVERIFY2(lag >= 0 && lag < 10'000'000'000LL, qPrintable(QString::number(lag / 1e9)));  // seconds into the market, not hours
    QVERIFY(e.snapshot().venueLagMs < 1000);
    for (const ExpiryAnalytics& x : e.snapshot().analytics->chain("BTC")->expiries)
      if (x.fit.ok()) QVERIFY2(x.atmVol > 0.3 && x.atmVol < 1.0, qPrintable(QString("t=%1 atm=%2").arg(x.t).arg(x.atmVol)));
    e.stop();
  }

  void engineDeliversAnalyticsOffItsThread() {
    sim::SimConfig cfg;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    Engine e(std::make_unique<sim::SimVenue>(cfg));
    e.start();
    QTRY_VERIFY_WITH_TIMEOUT((e.takeSnapshot(), e.snapshot().analytics && e.snapshot().analytics->chain("BTC") &&
                              e.snapshot().analytics->chain("BTC")->expiries.size() >= 6), 5000);
    const std::uint64_t seq = e.snapshot().analytics->seq;
    QTRY_VERIFY_WITH_TIMEOUT((e.takeSnapshot(), e.snapshot().analytics->seq > seq + 2), 3000);  // ~10 Hz refresh
    const auto& live = *e.snapshot().analytics;
    qInfo("live analytics: %.0f us per refresh, %zu BTC + %zu ETH options", live.computeMicros,
          live.chain("BTC")->options.size(), live.chain("ETH") ? live.chain("ETH")->options.size() : 0);
    QVERIFY(live.computeMicros > 0);
    // One chain per underlying, each with its own index and coin.
    QCOMPARE(live.underlyings(), (std::vector<std::string>{"BTC", "ETH"}));
    QVERIFY(live.chain("ETH")->expiries.size() >= 6);
    QVERIFY(live.chain("ETH")->index > 1000 && live.chain("ETH")->index < 10000);
    QVERIFY(live.chain("BTC")->index > 20000);
    const Instrument& ethOption = e.instruments()[live.chain("ETH")->options.front().instrument];
    QCOMPARE(ethOption.baseCurrency, std::string("ETH"));
    const ChainAnalytics* owner = nullptr;
    QVERIFY(live.find(ethOption.id, &owner));
    QCOMPARE(owner, live.chain("ETH"));
    e.stop();
  }
};

QTEST_GUILESS_MAIN(TestAnalytics)
#include "tst_analytics.moc"
