// The simulated exchange: deterministic for a seed, realistic in shape (option chain, rates,
// consistent books, a smile-shaped chain without obvious arbitrage), and the user's orders rest in
// and trade against the same books.
#include <QCryptographicHash>
#include <QtTest>
#include <chrono>
#include <set>

#include "book/MarketData.hpp"
#include "pricing/BlackScholes.hpp"
#include "sim/SimExchange.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;
using namespace kappa::sim;

namespace {
QByteArray runHash(std::uint64_t seed, int steps) {
  SimConfig cfg;
  cfg.seed = seed;
  SimExchange ex(cfg);
  ex.start();
  QCryptographicHash h(QCryptographicHash::Sha256);
  for (int i = 0; i <= steps; ++i) {
    for (const MdEvent& e : ex.output().md) {
      const std::int64_t fields[] = {std::int64_t(e.type), std::int64_t(e.side), std::int64_t(e.action),
                                     std::int64_t(e.isSnapshot), std::int64_t(e.instrument), e.price, e.qty,
                                     std::int64_t(e.changeId), std::int64_t(e.prevChangeId), e.ts};
      h.addData(QByteArrayView(reinterpret_cast<const char*>(fields), sizeof fields));
    }
    ex.output().clear();
    ex.step();
  }
  return h.result().toHex();
}

struct Counted {
  std::size_t levelUpdates = 0, trades = 0, buys = 0;
};
Counted runFor(SimExchange& ex, MarketData& md, int steps) {
  Counted c;
  for (int i = 0; i < steps; ++i) {
    ex.step();
    for (const MdEvent& e : ex.output().md) {
      if (e.type == MdType::BookLevel) ++c.levelUpdates;
      if (e.type == MdType::Trade) {
        ++c.trades;
        c.buys += e.side == Side::Buy ? 1 : 0;
      }
    }
    md.apply(ex.output().md.data(), ex.output().md.size());
    ex.output().clear();
  }
  return c;
}
}  // namespace

class TestSimulator : public QObject {
  Q_OBJECT
 private slots:
  // A starved exchange thread catches up at most 250 steps at once and lets the rest pass empty:
  // its clock stays on the wall clock (it used to stay behind by every stall, for good).
  void starvedMarketKeepsItsClock() {
    QCOMPARE(sim::paceSteps(10, 7, 250).run, 3u);
    QCOMPARE(sim::paceSteps(10, 7, 250).skip, 0u);
    QCOMPARE(sim::paceSteps(5, 7, 250).run, 0u);  // ahead of the clock: wait
    sim::SimConfig cfg;
    cfg.seed = 3;
    sim::SimExchange ex(cfg);
    ex.start();
    const Nanos start = ex.now();
    std::uint64_t due = 0;
    for (int stall : {1, 1, 2000, 1, 700, 1}) {  // ms since the last tick
      due += std::uint64_t(stall);
      const sim::PaceDecision p = sim::paceSteps(due, ex.steps(), 250);
      QCOMPARE(p.run + p.skip, due - (due - stall));
      ex.skip(p.skip);
      for (std::uint64_t n = 0; n < p.run; ++n) ex.step();
      QCOMPARE(ex.now(), start + Nanos(due) * cfg.step);
      QCOMPARE(ex.steps(), due);
    }
  }

  void sameSeedSameEventsDifferentSeedsDiffer() {
    const QByteArray a = runHash(7, 3000);
    QCOMPARE(runHash(7, 3000), a);
    QVERIFY(runHash(8, 3000) != a);
  }

  void optionChainHasDeribitShape() {
    SimConfig cfg;
    cfg.startTime = expiryAt0800Utc(2026, 11, 23) + 3'600'000'000'000;  // 09:00 UTC
    SimExchange ex(cfg);
    std::map<Nanos, std::set<Price>> strikesByExpiry;
    int calls = 0, puts = 0;
    for (const Instrument& i : ex.instruments().all()) {
      if (!i.isOption()) continue;
      strikesByExpiry[i.expiry].insert(i.strike);
      (i.optionType == OptionType::Call ? calls : puts)++;
      QCOMPARE(i.tickSize, toFixed(0.0005));
      QCOMPARE(i.settlement, Settlement::Inverse);
      QCOMPARE(i.quoteCurrency, i.baseCurrency);  // premium in the coin: BTC for BTC options, ETH for ETH's
      QCOMPARE(i.expiry % (86400LL * 1'000'000'000), 8LL * 3600 * 1'000'000'000);  // 08:00 UTC
      QVERIFY(QString::fromStdString(i.name).contains(QRegularExpression("^(BTC|ETH)-\\d{1,2}[A-Z]{3}\\d{2}-\\d+-[CP]$")));
      QVERIFY(QString::fromStdString(i.name).startsWith(QString::fromStdString(i.baseCurrency + "-")));
    }
    QVERIFY(strikesByExpiry.size() >= 6);
    for (const auto& [expiry, strikes] : strikesByExpiry) QVERIFY(strikes.size() >= 15);
    QCOMPARE(calls, puts);
    const double firstDays = double(strikesByExpiry.begin()->first - cfg.startTime) / 86400e9;
    const double lastDays = double(strikesByExpiry.rbegin()->first - cfg.startTime) / 86400e9;
    QVERIFY(firstDays <= 1.0);
    QVERIFY(lastDays >= 180.0);
    // Beyond the two dailies, expiries fall on Fridays, as on Deribit (weeklies, monthly, quarterlies).
    for (const auto& [expiry, strikes] : strikesByExpiry) {
      if (expiry - cfg.startTime <= 2 * 86400LL * 1'000'000'000) continue;
      const std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(
          std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(expiry)));
      QCOMPARE(std::chrono::weekday{day}, std::chrono::Friday);
    }
    QVERIFY(ex.instruments().find("BTC-PERPETUAL"));
    QVERIFY(ex.instruments().find("btc_usd"));
    int futures = 0;
    for (const Instrument& i : ex.instruments().all()) futures += i.kind == InstrumentKind::Future;
    QVERIFY(futures >= 1);
  }

  void defaultFlowIsRealisticAndBooksStayConsistent() {
    SimExchange ex(SimConfig{});
    MarketData md(ex.instruments());
    int requests = 0;
    md.onSnapshotNeeded([&](InstrumentId) { ++requests; });
    ex.start();
    md.apply(ex.output().md.data(), ex.output().md.size());
    ex.output().clear();
    const Counted c = runFor(ex, md, 20000);  // 20 s of market time
    QCOMPARE(requests, 0);
    QCOMPARE(md.staleEpisodes(), std::uint64_t(0));
    const double perSecond = double(c.levelUpdates) / 20.0;
    QVERIFY2(perSecond >= 2000, qPrintable(QString("default rate %1 updates/s").arg(perSecond)));
    QVERIFY(c.trades > 100);
    const double buyShare = double(c.buys) / double(c.trades);
    QVERIFY2(buyShare > 0.3 && buyShare < 0.7, qPrintable(QString::number(buyShare)));
    const InstrumentId perp = ex.instruments().find("BTC-PERPETUAL")->id;
    const OrderBook& b = md.book(perp);
    QVERIFY(b.live());
    QVERIFY(b.depth(Side::Buy) >= 20 && b.depth(Side::Sell) >= 20);
    const double mid = toDouble(md.markPrice(perp));
    QVERIFY(std::abs(mid / ex.indexPrice() - 1.0) < 0.01);
    for (InstrumentId id = 0; id < ex.instruments().size(); ++id)
      if (ex.instruments()[id].tradable) QVERIFY2(md.book(id).live(), ex.instruments()[id].name.c_str());
  }

  void stressRateReaches200k() {
    SimConfig cfg;
    cfg.updatesPerSecond = 200000;
    SimExchange ex(cfg);
    MarketData md(ex.instruments());
    ex.start();
    md.apply(ex.output().md.data(), ex.output().md.size());
    ex.output().clear();
    const Counted c = runFor(ex, md, 2000);  // 2 s of market time
    QVERIFY2(double(c.levelUpdates) / 2.0 >= 200000, qPrintable(QString::number(double(c.levelUpdates) / 2.0)));
    QCOMPARE(md.staleEpisodes(), std::uint64_t(0));
  }

  void optionQuotesFollowAnArbitrageFreeShape() {
    SimExchange ex(SimConfig{});
    MarketData md(ex.instruments());
    ex.start();
    md.apply(ex.output().md.data(), ex.output().md.size());
    ex.output().clear();
    runFor(ex, md, 500);
    // Within an expiry, call mids fall and put mids rise with the strike (where both sides quote).
    std::map<std::tuple<std::string, Nanos, int>, std::vector<std::pair<Price, double>>> byExpiry;
    for (const Instrument& i : ex.instruments().all()) {
      if (!i.isOption()) continue;
      const OrderBook& b = md.book(i.id);
      if (!b.bestBid() || !b.bestAsk()) continue;
      QVERIFY(b.bestAsk()->price > b.bestBid()->price);
      byExpiry[{i.baseCurrency, i.expiry, int(i.optionType)}].emplace_back(i.strike, toDouble(b.bestBid()->price + b.bestAsk()->price) / 2);
    }
    QVERIFY(byExpiry.size() >= 24);  // BTC's and ETH's expiries, calls and puts
    for (auto& [key, pts] : byExpiry) {
      std::sort(pts.begin(), pts.end());
      for (std::size_t k = 1; k < pts.size(); ++k) {
        const double tol = 0.0011;  // two ticks of rounding
        const QByteArray where = QString("%1 %2 expiry %3 strike %4: %5 then %6").arg(QString::fromStdString(std::get<0>(key)))
                                     .arg(std::get<2>(key)).arg(std::get<1>(key))
                                     .arg(toDouble(pts[k].first)).arg(pts[k - 1].second).arg(pts[k].second).toUtf8();
        if (std::get<2>(key) == int(OptionType::Call)) QVERIFY2(pts[k].second <= pts[k - 1].second + tol, where.constData());
        else QVERIFY2(pts[k].second >= pts[k - 1].second - tol, where.constData());
      }
    }
  }

  void userOrderRestsAndGetsFilledAsMaker() {
    SimExchange ex(SimConfig{});
    MarketData md(ex.instruments());
    ex.start();
    md.apply(ex.output().md.data(), ex.output().md.size());
    ex.output().clear();
    const Instrument& perp = *ex.instruments().find("BTC-PERPETUAL");
    const OrderBook& b = md.book(perp.id);
    OrderRequest r;
    r.instrument = perp.id;
    r.side = Side::Buy;
    r.price = b.bestBid()->price;  // join the best bid: it trades when takers sell into it
    r.qty = toFixed(100);
    ex.submit(77, r);
    bool acked = false, filledAsMaker = false;
    for (int i = 0; i < 60000 && !filledAsMaker; ++i) {
      for (const ExecReport& e : ex.output().exec) {
        if (e.orderId != 77) continue;
        acked |= e.type == ExecType::Ack;
        filledAsMaker |= e.type == ExecType::Fill && e.maker;
      }
      md.apply(ex.output().md.data(), ex.output().md.size());
      ex.output().clear();
      ex.step();
    }
    QVERIFY(acked);
    QVERIFY(filledAsMaker);
  }

  void historyJoinsTheLiveMarket() {
    SimExchange ex(SimConfig{});
    const InstrumentId perp = ex.instruments().find("BTC-PERPETUAL")->id;
    const auto bars = ex.history(perp);
    QVERIFY(bars.size() >= 300);
    QCOMPARE(bars.back().start + CandleSeries::kInterval, ex.now() - ex.now() % CandleSeries::kInterval);
    QVERIFY(std::abs(bars.back().close / ex.indexPrice() - 1.0) < 0.01);
    for (const Candle& c : bars) QVERIFY(c.low <= c.open && c.open <= c.high && c.low <= c.close && c.close <= c.high);
  }
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "tst_simulator.moc"
