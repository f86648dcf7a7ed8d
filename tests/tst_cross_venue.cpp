// Two exchanges in one engine, both real protocols against one kappa-exchange process: Deribit
// (JSON-RPC over WebSocket) and Binance USD-M futures (REST + streams). A BTC option bought on
// Deribit is hedged with Binance's linear BTCUSDT perpetual by the delta hedger plugin until the
// account's net BTC delta is inside the band; the aggregated Greeks are the sum of each venue's
// part; HALT ALL cancels the working orders on both venues, checked in the exchange's own lists.
#include <QtTest>

#include <QJsonArray>
#include <QTemporaryDir>
#include <future>

#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"
#include "orchestrator/Engine.hpp"
#include "strategy/StrategyParams.hpp"
#include "venue/binance/BinanceConnectionTest.hpp"
#include "venue/binance/BinanceVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;

namespace {
const char* kId = "tst-cross";
const char* kSecret = "tst-cross-secret-7d2e";
constexpr VenueId kDeribit = 0, kBinance = 1;
}  // namespace

class TestCrossVenue : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  InstrumentId option_ = kNoInstrument, btcusdt_ = kNoInstrument, deribitPerp_ = kNoInstrument;
  QString token_;

  const EngineSnapshot& snap() { return test::latestSnapshot(*engine_); }
  double position(InstrumentId id) { return engine_->call([&] { return engine_->orders().positions()[id].qty; }); }
  // The BTC chain's net coin delta and its parts per venue, from the latest analytics.
  struct Deltas {
    bool known = false;
    double total = 0, byVenue[2] = {0, 0};
  };
  Deltas deltas() {
    Deltas d;
    const auto& a = snap().analytics;
    const analytics::ChainAnalytics* btc = a ? a->chain("BTC") : nullptr;
    if (!btc) return d;
    d.known = true;
    d.total = btc->total.deltaCoin;
    for (const analytics::PositionRisk& p : btc->positions) d.byVenue[engine_->instruments()[p.instrument].venue] += p.greeks.deltaCoin;
    return d;
  }
  OrderId submitAndFind(const OrderRequest& r) { return test::submitAndFind(*engine_, r); }
  OrderState stateOf(OrderId id) { return test::stateOf(*engine_, id); }
  std::string reasonOf(OrderId id) {
    return engine_->call([&] { return engine_->orders().find(id)->reason; });
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "21", "--account", QString(kId) + ":" + kSecret,
                                                                   "--me-limit", "0/0", "--non-me-limit", "0/0"});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    token_ = exchange_.login(kId, kSecret);
    QVERIFY(!token_.isEmpty());

    std::string error;
    deribit::DeribitVenueConfig d;
    QVERIFY(deribit::parseDeribitEndpoint(exchange_.url().toStdString(), d.endpoint, error));
    d.credentials = {kId, kSecret};
    d.currencies = {"BTC"};
    binance::BinanceVenueConfig b;
    QVERIFY2(binance::parseBinanceEndpoint("http://127.0.0.1:" + std::to_string(exchange_.port()), b.endpoint, error),
             error.c_str());
    b.credentials = {kId, kSecret};
    b.baseAssets = {"BTC"};
    std::vector<std::unique_ptr<Venue>> venues;
    venues.push_back(std::make_unique<deribit::DeribitVenue>(d));
    venues.push_back(std::make_unique<binance::BinanceVenue>(b));
    engine_ = std::make_unique<Engine>(std::move(venues));
    engine_->setDataDir(dir_.filePath("data").toStdString());
    engine_->start();
    // The retry loop below may send the same IOC buy again within milliseconds; the duplicate guard
    // (tested in tst_risk) would refuse it, which is not what this test is about.
    for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5",
                          "max_order_notional=1000000000", "max_net_delta=off", "max_net_gamma=off", "max_net_vega=off",
                          "instruments/@option/iv_band=off", "duplicate_window_ms=0"})
      engine_->changeRiskLimit(a, "test");
  }
  void cleanupTestCase() {
    if (engine_) engine_->stop();
    engine_.reset();
    exchange_.stop();
  }

  // The Connections dialog's "Test connection" for a Binance key: the right key connects, a wrong
  // secret is refused with Binance's reason, and the secret is in no message.
  void binanceConnectionTest() {
    binance::BinanceEndpoint endpoint;
    std::string error;
    QVERIFY(binance::parseBinanceEndpoint("http://127.0.0.1:" + std::to_string(exchange_.port()), endpoint, error));
    const auto good = binance::testBinanceConnection(endpoint, {kId, kSecret}, std::chrono::milliseconds(5000));
    QVERIFY2(good.ok, good.message.c_str());
    QVERIFY(good.roundTripMs > 0);
    const std::string wrongSecret = "not-the-secret-4411";
    const auto bad = binance::testBinanceConnection(endpoint, {kId, wrongSecret}, std::chrono::milliseconds(5000));
    QVERIFY(!bad.ok);
    QVERIFY2(QString::fromStdString(bad.message).contains("refused the key"), bad.message.c_str());
    for (const std::string& m : {good.message, bad.message})
      QVERIFY(m.find(kSecret) == std::string::npos && m.find(wrongSecret) == std::string::npos);
  }

  // Both venues list their own BTC instruments; one BTC underlying across them.
  void bothVenuesLive() {
    Engine& e = *engine_;
    QCOMPARE(QString::fromStdString(e.venueName(kBinance)), QString("binance-futures"));
    const Instrument* usdt = e.findInstrument("binance-futures:BTCUSDT");
    const Instrument* perp = e.findInstrument("deribit:BTC-PERPETUAL");
    QVERIFY(usdt && perp);
    QCOMPARE(usdt->venue, kBinance);
    QVERIFY(usdt->settlement == Settlement::Linear);
    btcusdt_ = usdt->id;
    deribitPerp_ = perp->id;
    QTRY_VERIFY_WITH_TIMEOUT(e.call([&] { return e.marketData().book(btcusdt_).live() && e.marketData().book(deribitPerp_).live(); }),
                             30000);
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues.size() == 2 && snap().venues[kDeribit].state == VenueState::Connected &&
                                 snap().venues[kBinance].state == VenueState::Connected,
                             20000);
    QStringList underlyings;
    for (const UnderlyingRow& u : snap().underlyings) underlyings << QString::fromStdString(u.currency);
    QCOMPARE(underlyings, QStringList({"BTC"}));
    // The ATM call of the first expiry more than a day away, with a live two-sided book.
    const Nanos now = e.now();
    const double index = toDouble(e.call([&] { return e.marketData().markPrice(deribitPerp_); }));
    double best = 1e18;
    for (const Instrument& inst : e.instruments().all()) {
      if (!inst.isOption() || inst.venue != kDeribit || inst.optionType != OptionType::Call ||
          inst.expiry < now + 86'400'000'000'000LL)
        continue;
      const double score = double(inst.expiry - now) / 1e12 + std::abs(toDouble(inst.strike) - index);
      if (score < best) {
        best = score;
        option_ = inst.id;
      }
    }
    QVERIFY(option_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(e.call([&] {
      const OrderBook& b = e.marketData().book(option_);
      return b.live() && b.bestAsk() && b.bestBid();
    }), 20000);
  }

  // Long calls on Deribit, hedged on Binance: the account's BTC delta ends inside the band, with the
  // hedge short on BTCUSDT; the chain's total delta is the two venues' parts added.
  void deribitOptionsHedgedOnBinance() {
    QVERIFY(option_ != kNoInstrument);
    Engine& e = *engine_;
    // Buy calls at the ask until we hold some (the makers' size at the touch may be small).
    for (int attempt = 0; attempt < 10 && position(option_) < 1.0; ++attempt) {
      OrderRequest r;
      r.instrument = option_;
      r.side = Side::Buy;
      r.type = OrderType::Limit;
      r.tif = TimeInForce::ImmediateOrCancel;
      r.price = e.call([&] { return e.marketData().book(option_).bestAsk()->price; });
      r.qty = toFixed(2.0);
      const OrderId id = submitAndFind(r);
      QVERIFY(id);
      QTRY_VERIFY_WITH_TIMEOUT(isTerminal(stateOf(id)), 10000);
      QVERIFY2(stateOf(id) != OrderState::Rejected, reasonOf(id).c_str());
    }
    QVERIFY2(position(option_) >= 1.0, "no calls bought");
    // The calls' delta is seen by the analytics (positive, unhedged).
    QTRY_VERIFY_WITH_TIMEOUT(deltas().known && deltas().total > 0.3, 20000);

    Engine::StrategyLaunch l;
    l.path = QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-delta-hedger.so").toStdString();
    std::string error;
    QVERIFY(parseParamAssignments("hedge_instrument=binance-futures:BTCUSDT,band_up_btc=0.05,band_down_btc=0.05,"
                                  "hedge_ratio=1,min_interval_ms=0,check_ms=200,max_order_usd=10000000",
                                  &l.params, &error));
    auto done = std::make_shared<std::promise<std::string>>();
    auto launched = done->get_future();
    e.launchStrategy(l, [done](std::string why) { done->set_value(std::move(why)); });
    QCOMPARE(launched.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    QCOMPARE(QString::fromStdString(launched.get()), QString());

    // The hedge is a short BTCUSDT position on Binance; the net delta comes inside the band (a little
    // more for the market moving between the hedge and the check).
    QTRY_VERIFY_WITH_TIMEOUT(position(btcusdt_) < 0, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(deltas().known && std::abs(deltas().total) <= 0.08, 30000);
    const Deltas d = deltas();
    QVERIFY2(d.byVenue[kDeribit] > 0.3 && d.byVenue[kBinance] < -0.3,
             qPrintable(QString("deribit %1, binance %2").arg(d.byVenue[kDeribit]).arg(d.byVenue[kBinance])));
    QVERIFY2(std::abs(d.total - (d.byVenue[kDeribit] + d.byVenue[kBinance])) < 1e-9,
             qPrintable(QString("total %1 vs parts %2").arg(d.total).arg(d.byVenue[kDeribit] + d.byVenue[kBinance])));
    // A linear contract's delta is its quantity in BTC.
    const analytics::ChainAnalytics* btc = snap().analytics->chain("BTC");
    for (const analytics::PositionRisk& p : btc->positions)
      if (p.instrument == btcusdt_) QCOMPARE(p.greeks.deltaCoin, p.qty);
    // The exchange agrees: our account is short BTCUSDT there.
    const QJsonArray risk = test::binanceSigned(exchange_.port(), "GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT", kId, kSecret).array();
    QCOMPARE(risk.size(), qsizetype(1));
    QCOMPARE(risk[0].toObject()["positionAmt"].toString().toDouble(), position(btcusdt_));
  }

  // HALT ALL: every working order on both venues cancelled, each venue through its own bulk cancel,
  // and neither exchange list holds one afterwards.
  void haltCancelsOnBothVenues() {
    QVERIFY(btcusdt_ != kNoInstrument);
    Engine& e = *engine_;
    OrderRequest onBinance;
    onBinance.instrument = btcusdt_;
    onBinance.side = Side::Buy;
    onBinance.type = OrderType::Limit;
    const Instrument& usdt = e.instruments()[btcusdt_];
    onBinance.price = e.call([&] { return e.marketData().markPrice(btcusdt_); }) * 8 / 10 / usdt.tickSize * usdt.tickSize;
    onBinance.qty = usdt.minQty * 10;
    OrderRequest onDeribit;
    onDeribit.instrument = deribitPerp_;
    onDeribit.side = Side::Buy;
    onDeribit.type = OrderType::Limit;
    const Instrument& perp = e.instruments()[deribitPerp_];
    onDeribit.price = e.call([&] { return e.marketData().markPrice(deribitPerp_); }) * 8 / 10 / perp.tickSize * perp.tickSize;
    onDeribit.qty = perp.minQty * 10;
    const OrderId b = submitAndFind(onBinance);
    const OrderId d = submitAndFind(onDeribit);
    QVERIFY(b && d);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(b), OrderState::Open, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(d), OrderState::Open, 10000);
    auto binanceOpen = [&] {
      return test::binanceSigned(exchange_.port(), "GET", "/fapi/v1/openOrders", "", kId, kSecret).array().size();
    };
    auto deribitOpen = [&] {
      QUrlQuery q;
      q.addQueryItem("currency", "BTC");
      return exchange_.get("private/get_open_orders_by_currency", q, token_)["result"].toArray().size();
    };
    QTRY_COMPARE_WITH_TIMEOUT(binanceOpen(), qsizetype(1), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(deribitOpen(), qsizetype(1), 10000);

    e.haltAll("cross-venue test");
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(b), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(d), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(binanceOpen(), qsizetype(0), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(deribitOpen(), qsizetype(0), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[kDeribit].workingOrders == 0 && snap().venues[kBinance].workingOrders == 0, 5000);
    // The strategies stopped with the halt: nothing re-hedges behind the trader's back.
    const std::vector<StrategyRow> rows = e.call([&] {
      std::vector<StrategyRow> r;
      e.strategies().rows(nullptr, &r);
      return r;
    });
    for (const StrategyRow& r : rows) QVERIFY(r.state != InstanceState::Running);
  }
};

QTEST_GUILESS_MAIN(TestCrossVenue)
#include "tst_cross_venue.moc"
