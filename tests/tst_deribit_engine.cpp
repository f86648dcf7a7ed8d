// The whole Engine over the Deribit connector, against a real kappa-exchange process: after a
// reconnect within the run, the venue's positions are compared with ours. With only our own
// trading they agree; a trade made on the same account by another session (the exchange's web
// page, another program) is not ours, so after the next reconnect the engine names the instrument
// that differs (logged, journaled, counted) — and leaves the live position alone.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <mutex>

#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"
#include "TestVenues.hpp"
#include "orchestrator/Engine.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {
const char* kClientId = "tst-engine";
const char* kSecret = "tst-engine-secret-0b93";
}  // namespace

class TestDeribitEngine : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;

  QJsonObject fault(const QString& action) {
    QUrlQuery q;
    q.addQueryItem("action", action);
    return exchange_.get("kappa/fault", q);
  }
  // The exchange's own position in `instrument` for our account (0 when flat).
  double exchangePosition(const QString& token, const QString& instrument) {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    for (const QJsonValue& p : exchange_.get("private/get_positions", q, token)["result"].toArray())
      if (p["instrument_name"].toString() == instrument) return p["size"].toDouble();
    return 0;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "7", "--account", QString(kClientId) + ":" + kSecret,
                                                                   "--me-limit", "0/0", "--non-me-limit", "0/0"});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
  }
  void cleanupTestCase() { exchange_.stop(); }

  void positionsAreComparedAfterEachReconnect() {
    std::mutex logMutex;
    std::vector<std::string> errors, warnings;
    struct SinkReset {
      ~SinkReset() { log::setSink(nullptr); }
    } sinkReset;
    log::setSink([&](log::Level level, std::string_view, std::string_view m) {
      std::lock_guard lock(logMutex);
      if (level == log::Level::Error) errors.emplace_back(m);
      if (level == log::Level::Warn) warnings.emplace_back(m);
    });
    DeribitVenueConfig c;
    QVERIFY(test::deribitOn(exchange_, kClientId, kSecret, c));
    Engine engine(std::make_unique<DeribitVenue>(c));
    engine.setDataDir(dir_.filePath("data").toStdString());
    engine.start();
    for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5"})
      engine.changeRiskLimit(a, "test");
    const Instrument* perp = engine.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    const InstrumentId perpId = perp->id;
    QTRY_VERIFY_WITH_TIMEOUT(engine.call([&] { return engine.marketData().book(perpId).live(); }), 20000);
    auto ours = [&] { return engine.call([&] { return engine.orders().positions()[perpId].qty; }); };

    // Our own trade, then a dropped connection: the positions agree after the reconnect.
    OrderRequest buy;
    buy.instrument = perpId;
    buy.side = Side::Buy;
    buy.type = OrderType::Market;
    buy.qty = toFixed(100);
    engine.submit(buy);
    QTRY_COMPARE_WITH_TIMEOUT(ours(), 100.0, 10000);
    const QString token = exchange_.login(kClientId, kSecret);
    QVERIFY(!token.isEmpty());
    QCOMPARE(exchangePosition(token, "BTC-PERPETUAL"), 100.0);
    QVERIFY(!fault("drop").contains("error"));
    QTRY_VERIFY_WITH_TIMEOUT(engine.call([&] { return engine.positionChecks(); }) >= 1, 20000);
    QCOMPARE(engine.call([&] { return engine.positionMismatches(); }), std::uint64_t(0));

    // Another session of the same account buys 50 more: not our order, not our fill.
    QUrlQuery q;
    q.addQueryItem("instrument_name", "BTC-PERPETUAL");
    q.addQueryItem("amount", "50");
    q.addQueryItem("type", "market");
    const QJsonObject foreign = exchange_.get("private/buy", q, token);
    QVERIFY2(foreign["result"]["order"]["order_state"].toString() == "filled", QJsonDocument(foreign).toJson().constData());
    QCOMPARE(exchangePosition(token, "BTC-PERPETUAL"), 150.0);
    // The connector says so as the trade comes in on user.trades.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                               std::lock_guard lock(logMutex);
                               for (const std::string& w : warnings)
                                 if (w.find("a trade on the account that Kappa did not place: bought 50 BTC-PERPETUAL") != std::string::npos)
                                   return true;
                               return false;
                             }()),
                             10000);
    QCOMPARE(ours(), 100.0);

    // The next reconnect finds the difference and names it; our position is left as it is.
    const std::uint64_t checks = engine.call([&] { return engine.positionChecks(); });
    QVERIFY(!fault("drop").contains("error"));
    QTRY_VERIFY_WITH_TIMEOUT(engine.call([&] { return engine.positionChecks(); }) > checks, 20000);
    QCOMPARE(engine.call([&] { return engine.positionMismatches(); }), std::uint64_t(1));
    QCOMPARE(ours(), 100.0);
    {
      std::lock_guard lock(logMutex);
      bool named = false;
      for (const std::string& e : errors)
        named |= e.find("position differs from the venue's after reconnecting: BTC-PERPETUAL: ours 100") != std::string::npos &&
                 e.find("venue 150") != std::string::npos;
      QVERIFY2(named, errors.empty() ? "no error logged" : errors.back().c_str());
    }
    engine.stop();
  }

  // Orders our own connector refuses without sending them (here: no API key, market data only) are
  // not venue rejects: 25 of them in a row do not trip the reject_rate trigger (more than half of at
  // least 20 orders rejected by the venue in 10 s), which would halt every venue for a refusal the
  // exchange never made. Each order still ends Rejected with the connector's reason.
  void ownRefusalsAreNotVenueRejects() {
    DeribitVenueConfig c;
    std::string error;
    QVERIFY(parseDeribitEndpoint(exchange_.url().toStdString(), c.endpoint, error));
    c.currencies = {"BTC"};  // no credentials
    QTemporaryDir data;
    Engine engine(std::make_unique<DeribitVenue>(c));
    engine.setDataDir(data.path().toStdString());
    engine.start();
    for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5",
                          "max_submit_rate=1000", "max_order_notional=1000000000"})
      engine.changeRiskLimit(a, "test");
    const InstrumentId perp = engine.instruments().find("BTC-PERPETUAL")->id;
    QTRY_VERIFY_WITH_TIMEOUT(engine.call([&] { return engine.marketData().book(perp).live(); }), 20000);
    std::vector<OrderId> ids;
    for (int i = 0; i < 25; ++i) {
      const OrderId id = test::submitAndFind(engine, test::restingBuyRequest(engine, perp, i, "refused"));
      QVERIFY(id);
      ids.push_back(id);
    }
    for (OrderId id : ids) QTRY_COMPARE_WITH_TIMEOUT(test::stateOf(engine, id), OrderState::Rejected, 5000);
    const std::string reason = engine.call([&] { return engine.orders().find(ids.back())->reason; });
    QVERIFY2(reason.find("not logged in") != std::string::npos, reason.c_str());
    QVERIFY(engine.call([&] { return !engine.halted() && engine.tradingState() == TradingState::Active; }));
    engine.stop();
  }
};

QTEST_GUILESS_MAIN(TestDeribitEngine)
#include "tst_deribit_engine.moc"
