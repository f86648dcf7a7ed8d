// The simulated exchange: deterministic for a seed, realistic in shape (option chain, rates,
// consistent books, a smile-shaped chain without obvious arbitrage), and the user's orders rest in
// and trade against the same books.
#include <QCryptographicHash>
#include <QtTest>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

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

  // BTC and ETH side by side, with Deribit's names and contract specifications for each coin
  // (public/get_instruments, 2021 recording in shared/refdata: BTC-PERPETUAL tick 0.5 and amounts
  // in multiples of 10 USD, ETH-PERPETUAL tick 0.05 and multiples of 1 USD; options tick 0.0005 in
  // the coin, minimum 0.1 BTC / 1 ETH, fee 0.03 %).
  void listsBtcAndEthWithDeribitSpecs() {
    SimExchange ex(SimConfig{});
    QCOMPARE(ex.currencies(), (std::vector<std::string>{"BTC", "ETH"}));
    const InstrumentRegistry& reg = ex.instruments();
    for (const char* name : {"btc_usd", "eth_usd", "BTC-PERPETUAL", "ETH-PERPETUAL"}) QVERIFY2(reg.find(name), name);
    const Instrument& btcPerp = *reg.find("BTC-PERPETUAL");
    const Instrument& ethPerp = *reg.find("ETH-PERPETUAL");
    QCOMPARE(btcPerp.tickSize, toFixed(0.5));
    QCOMPARE(btcPerp.minQty, toFixed(10));
    QCOMPARE(ethPerp.tickSize, toFixed(0.05));
    QCOMPARE(ethPerp.minQty, toFixed(1));
    QCOMPARE(ethPerp.settleCurrency, std::string("ETH"));
    QCOMPARE(ethPerp.takerFee, 0.0005);
    QCOMPARE(reg[ethPerp.underlyingId].name, std::string("eth_usd"));
    QCOMPARE(reg[btcPerp.underlyingId].name, std::string("btc_usd"));
    QVERIFY(std::abs(ex.indexPrice("ETH") - 3500.0) < 1e-9);
    QCOMPARE(ex.indexPrice("eth_usd"), ex.indexPrice("ETH"));
    QCOMPARE(ex.indexPrice("BTC"), ex.indexPrice());
    QCOMPARE(ex.indexPrice("DOGE"), 0.0);
    std::map<std::string, int> options, futures;
    for (const Instrument& i : reg.all()) {
      if (i.kind == InstrumentKind::Future) {
        ++futures[i.baseCurrency];
        QVERIFY(QString::fromStdString(i.name).contains(QRegularExpression("^(BTC|ETH)-\\d{1,2}[A-Z]{3}\\d{2}$")));
        QCOMPARE(i.tickSize, toFixed(i.baseCurrency == "ETH" ? 0.05 : 2.5));
      }
      if (!i.isOption()) continue;
      ++options[i.baseCurrency];
      QCOMPARE(i.settleCurrency, i.baseCurrency);
      QCOMPARE(reg[i.underlyingId].baseCurrency, i.baseCurrency);
      QCOMPARE(i.tickSize, toFixed(0.0005));
      QCOMPARE(i.minQty, toFixed(i.baseCurrency == "ETH" ? 1.0 : 0.1));
      QCOMPARE(i.takerFee, 0.0003);
      QCOMPARE(i.contractSize, 1.0);
    }
    QCOMPARE(options["ETH"], options["BTC"]);
    QVERIFY(options["ETH"] >= 200);
    QCOMPARE(futures["ETH"], futures["BTC"]);
    QVERIFY(futures["ETH"] >= 1);
    // ETH strikes on ETH's grid around 3,500 (25 for the dailies), not BTC's.
    const Instrument* firstEth = nullptr;
    std::set<Price> ethDaily;
    for (const Instrument& i : reg.all())
      if (i.isOption() && i.baseCurrency == "ETH" && (!firstEth || i.expiry <= firstEth->expiry)) {
        if (firstEth && i.expiry < firstEth->expiry) ethDaily.clear();
        firstEth = &i;
        ethDaily.insert(i.strike);
      }
    QVERIFY(firstEth);
    QCOMPARE(*std::next(ethDaily.begin()) - *ethDaily.begin(), toFixed(25));
    QVERIFY(ethDaily.count(toFixed(3500)));
    // Both chains trade: the user can buy ETH options in whole ETH and is refused a fraction.
    ex.start();
    ex.output().clear();
    OrderRequest r;
    r.instrument = firstEth->id;
    r.side = Side::Buy;
    r.price = toFixed(0.0005);
    r.qty = toFixed(0.5);
    ex.submit(1, r);
    QCOMPARE(ex.output().exec.back().type, ExecType::Reject);
    r.qty = toFixed(2);
    ex.submit(2, r);
    QCOMPARE(ex.output().exec.back().type, ExecType::Ack);
  }

  // The calendar, checked date by date for a Monday at 09:00 UTC (23 Nov 2026): the two dailies,
  // the Friday weeklies, the monthly (last Friday of December) and the quarterlies (last Fridays of
  // March and June) half a year out, every one at 08:00 UTC, the same for both underlyings.
  void expiriesAreDeribitDates() {
    SimConfig cfg;
    cfg.startTime = expiryAt0800Utc(2026, 11, 23) + 3'600'000'000'000;
    SimExchange ex(cfg);
    std::map<std::string, std::set<std::string>> codes;  // currency -> expiry codes
    std::map<std::string, std::set<std::string>> futures;
    for (const Instrument& i : ex.instruments().all()) {
      if (i.isOption()) codes[i.baseCurrency].insert(deribitExpiryCode(i.expiry));
      if (i.kind == InstrumentKind::Future) futures[i.baseCurrency].insert(i.name);
      if (i.expiry) QCOMPARE(i.expiry % (86400LL * 1'000'000'000), 8LL * 3600 * 1'000'000'000);
    }
    const std::set<std::string> expected = {"24NOV26", "25NOV26", "27NOV26", "4DEC26", "25DEC26", "26MAR27", "25JUN27"};
    QCOMPARE(codes["BTC"], expected);
    QCOMPARE(codes["ETH"], expected);
    QCOMPARE(futures["BTC"], (std::set<std::string>{"BTC-26MAR27", "BTC-25JUN27"}));
    QCOMPARE(futures["ETH"], (std::set<std::string>{"ETH-26MAR27", "ETH-25JUN27"}));
    QVERIFY(ex.instruments().find("ETH-25DEC26-3500-C"));
    QVERIFY(ex.instruments().find("BTC-24NOV26-67000-P"));
    QCOMPARE(ex.instruments().find("ETH-26MAR27")->expiry, expiryAt0800Utc(2027, 3, 26));
  }

  // The two indices move together: the correlation of their 10 ms log returns over five minutes of
  // market is the configured 0.8 (diffusion only), and with jumps on, most jumps move both.
  void indexReturnsAreCorrelated() {
    auto measure = [](double correlation, double jumpsPerHour, int steps) {
      SimConfig cfg;
      cfg.seed = 3;
      cfg.correlation = correlation;
      cfg.jumpsPerHour = jumpsPerHour;
      cfg.updatesPerSecond = 100;  // the books matter little here: a light market runs faster
      SimExchange ex(cfg);
      ex.start();
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      int n = 0;
      double lastB = ex.indexPrice("BTC"), lastE = ex.indexPrice("ETH");
      for (int i = 1; i <= steps; ++i) {
        ex.step();
        ex.output().clear();
        if (i % 10) continue;
        const double b = ex.indexPrice("BTC"), e = ex.indexPrice("ETH");
        const double x = std::log(b / lastB), y = std::log(e / lastE);
        lastB = b;
        lastE = e;
        sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
        ++n;
      }
      const double cov = sxy / n - sx / n * sy / n;
      return std::pair{cov / std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n)),
                       std::sqrt(syy / n) / std::sqrt(sxx / n)};
    };
    const auto [rho, volRatio] = measure(0.8, 0.0, 300'000);
    QVERIFY2(std::abs(rho - 0.8) < 0.05, qPrintable(QString("measured correlation %1").arg(rho)));
    // ETH's index is the more volatile one (70 % vs 55 % a year).
    QVERIFY2(std::abs(volRatio - 0.70 / 0.55) < 0.1, qPrintable(QString("vol ratio %1").arg(volRatio)));
    const auto [independent, ignored] = measure(0.0, 0.0, 100'000);
    QVERIFY2(std::abs(independent) < 0.06, qPrintable(QString("measured correlation %1").arg(independent)));
    // Frequent jumps, 3 in 4 of them common: the correlation stays high, well above zero.
    const auto [withJumps, ignored2] = measure(0.8, 600.0, 100'000);
    QVERIFY2(withJumps > 0.5, qPrintable(QString("measured correlation with jumps %1").arg(withJumps)));
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
