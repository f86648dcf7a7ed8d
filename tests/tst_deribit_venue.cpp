// DeribitVenue against a real kappa-exchange process over loopback: instruments listed, books equal
// to the exchange's own get_order_book, an order rests, is edited, cancelled, a fill arrives once,
// cancel_all_by_currency, a change_id gap resyncs, a dropped connection reconnects and
// reconciles (cancel-on-disconnect's cancels reach the engine). The exchange's own view is read
// over its HTTP API (a path independent of the connector's WebSocket code).
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <deque>
#include <functional>
#include <map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "DeribitVenueHarness.hpp"
#include "ExchangeProcess.hpp"
#include "TestCa.hpp"
#include "book/MarketData.hpp"
#include "orchestrator/Engine.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitConnectionTest.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {

const char* kClientId = "tst-venue";
const char* kSecret = "tst-venue-secret-9f3a";
const char* kOtherId = "tst-other";  // a second account: the counterparty while we are away
const char* kOtherSecret = "tst-other-secret-51c2";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

// The engine side of the venue (tests/DeribitVenueHarness.hpp): callbacks run on `io` (this test's
// "engine thread", the main thread polling it), applied to a real MarketData.
struct Listener : kappa::test::VenueSide {
  using VenueSide::VenueSide;
  std::vector<ExecReport> reportsFor(OrderId id) const {
    std::vector<ExecReport> out;
    for (const ExecReport& r : exec)
      if (r.orderId == id) out.push_back(r);
    return out;
  }
};

}  // namespace

class TestDeribitVenue : public QObject {
  Q_OBJECT
 private:
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;
  QString token_;
  QString errFile_;  // the exchange's stderr, shown if it ends during the test

  // One HTTP request to the exchange's /api/v2 (Deribit's REST form of the same methods).
  QJsonObject http(const QString& method, const QUrlQuery& query, bool priv = false, const QString& token = {}) {
    return kappa::test::exchangeGet(port_, method, query, priv ? (token.isEmpty() ? token_ : token) : QString());
  }
  QJsonValue result(const QString& method, const QUrlQuery& q, bool priv = false) {
    return http(method, q, priv).value("result");
  }
  void login() {
    QUrlQuery q;
    q.addQueryItem("grant_type", "client_credentials");
    q.addQueryItem("client_id", kClientId);
    q.addQueryItem("client_secret", kSecret);
    token_ = result("public/auth", q).toObject().value("access_token").toString();
  }
  QJsonArray openOrders() {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    return result("private/get_open_orders_by_currency", q, true).toArray();
  }
  QJsonObject orderByLabel(OrderId id) {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    q.addQueryItem("label", QString::number(id));
    const QJsonArray a = result("private/get_order_state_by_label", q, true).toArray();
    return a.isEmpty() ? QJsonObject() : a.first().toObject();
  }

  // Runs the "engine thread" until `done` or the timeout (sleeping, not spinning: runUntil).
  bool waitFor(boost::asio::io_context& io, const std::function<bool()>& done, int ms = 10000) {
    return kappa::test::runUntil(io, done, ms);
  }

  DeribitVenueConfig config() const {
    DeribitVenueConfig c;
    std::string error;
    parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port_), c.endpoint, error);
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC"};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(15000);
    c.backoffInitial = std::chrono::milliseconds(300);
    return c;
  }

 private slots:
  // A fresh exchange for every test function: one test's faults never leak into the next.
  void init() {
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    port_ = 0;
    token_.clear();
    QStringList args{"--seed", "1", "--account", QString(kClientId) + ":" + kSecret,
                     "--account", QString(kOtherId) + ":" + kOtherSecret};
    if (QByteArray(QTest::currentTestFunction()).startsWith("engine"))  // a thousand orders: no credit limits
      args << "--me-limit" << "0/0" << "--non-me-limit" << "0/0";
    errFile_ = QDir::temp().filePath(QString("tst_deribit_venue-exchange-%1.err").arg(QCoreApplication::applicationPid()));
    const QString failed = exchange_.start(bin, args, errFile_);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
    login();
    QVERIFY2(!token_.isEmpty(), "HTTP public/auth failed");
  }

  void cleanup() {
    QProcess& exchange = exchange_.process();
    exchange.waitForFinished(0);  // updates the state without an event loop
    if (exchange.state() == QProcess::NotRunning && port_ > 0) {  // it ended on its own: say how
      QFile err(errFile_);
      err.open(QIODevice::ReadOnly);
      qWarning("kappa-exchange ended during the test (exit %d, %s); its stderr ends:\n%s", exchange.exitCode(),
               exchange.exitStatus() == QProcess::CrashExit ? "crashed" : "exited", err.readAll().right(3000).constData());
    }
    exchange_.stop();
    QFile::remove(errFile_);
  }

  // The whole engine over the connector: 1,000 resting orders, then HALT ALL. Every order ends
  // cancelled at the exchange (its own open-order list, read over HTTP, is empty) and in the OMS,
  // through one cancel_all_by_currency, not a thousand cancels.
  void engineHaltCancelsAThousandOrdersWithOneRequestPerCurrency() {
    DeribitVenueConfig c = config();
    c.limits.matchingCapacity = 1e6;  // the exchange runs without credit limits in this test
    c.limits.matchingRefillPerS = 1e6;
    auto venue = std::make_unique<DeribitVenue>(c);
    DeribitVenue* v = venue.get();
    Engine engine(std::move(venue));
    const Instrument* perp = engine.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    engine.start();
    for (const char* a : {"max_open_orders=off", "max_submit_rate=off", "instruments/@perpetual/max_submit_rate=off",
                          "max_daily_orders=off", "max_position=1000000000", "instruments/@perpetual/max_position=1000000000",
                          "price_band=0.5", "duplicate_window_ms=0"})
      engine.changeRiskLimit(a, "test");
    const auto bestBid = [&] {
      return engine.call([&]() -> Price {
        const OrderBook& b = engine.marketData().book(perp->id);
        return b.live() && b.bestBid() ? b.bestBid()->price : 0;
      });
    };
    QElapsedTimer t;
    t.start();
    while (bestBid() == 0 && t.elapsed() < 20000) QTest::qWait(50);
    const Price bid = bestBid();
    QVERIFY2(bid > 0, "no live BTC-PERPETUAL book through the engine");
    constexpr int kOrders = 1000;
    for (int k = 0; k < kOrders; ++k) {  // each at its own price, 400 to 1,399 ticks under the bid: they rest
      OrderRequest r;
      r.instrument = perp->id;
      r.side = Side::Buy;
      r.price = bid - (400 + k) * perp->tickSize;
      r.qty = perp->minQty;
      engine.submit(r);
    }
    const auto countState = [&](OrderState s) {
      return engine.call([&] {
        std::size_t n = 0;
        for (const Order& o : engine.orders().orders()) n += o.state == s;
        return n;
      });
    };
    t.restart();
    while (countState(OrderState::Open) < std::size_t(kOrders) && t.elapsed() < 60000) QTest::qWait(100);
    const auto summary = [&] {
      return engine.call([&] {
        std::map<std::string, int> byState;
        for (const Order& o : engine.orders().orders()) ++byState[std::string(nameOf(o.state)) + " " + o.reason];
        std::string out;
        for (const auto& [k, n] : byState) out += std::to_string(n) + " " + k + "; ";
        return out;
      });
    };
    QVERIFY2(countState(OrderState::Open) == std::size_t(kOrders), summary().c_str());
    QCOMPARE(openOrders().size(), qsizetype(kOrders));  // the exchange's own view

    const std::uint64_t confirmedBefore = v->counters().cancelAllConfirmed;
    engine.haltAll("test: HALT ALL with 1,000 working orders");
    QVERIFY(engine.halted());
    t.restart();
    while (countState(OrderState::Cancelled) < std::size_t(kOrders) && t.elapsed() < 30000) QTest::qWait(100);
    QVERIFY2(countState(OrderState::Cancelled) == std::size_t(kOrders), summary().c_str());
    QCOMPARE(openOrders().size(), qsizetype(0));
    // One request per configured currency (BTC here) confirmed by the exchange, not one per order.
    QCOMPARE(v->counters().cancelAllConfirmed - confirmedBefore, std::uint64_t(1));
    engine.stop();
  }

  void connectionTest() {
    DeribitEndpoint ep;
    std::string error;
    parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port_), ep, error);
    const ConnectionTestResult ok = testDeribitConnection(ep, {kClientId, kSecret}, std::chrono::seconds(10));
    QVERIFY2(ok.ok, ok.message.c_str());
    QVERIFY(ok.roundTripMs > 0);
    QVERIFY(ok.message.find(kSecret) == std::string::npos);
    const ConnectionTestResult bad = testDeribitConnection(ep, {kClientId, "wrong-secret"}, std::chrono::seconds(10));
    QVERIFY(!bad.ok);
    QVERIFY2(bad.message.find("invalid API key or secret") != std::string::npos, bad.message.c_str());
    QVERIFY(bad.message.find("wrong-secret") == std::string::npos);
  }

  void tradesThroughTheVenue() {
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(config());
    venue->listInstruments(reg);
    QVERIFY2(venue->listError().empty(), venue->listError().c_str());
    const Instrument* index = reg.find("btc_usd");
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(index && perp);
    QCOMPARE(index->kind, InstrumentKind::Index);
    QCOMPARE(perp->kind, InstrumentKind::Perpetual);
    QCOMPARE(perp->underlyingId, index->id);
    int options = 0, futures = 0;
    for (const Instrument& i : reg.all()) {
      options += i.isOption();
      futures += i.kind == InstrumentKind::Future;
      QVERIFY(i.name.find("-FS-") == std::string::npos);
    }
    QVERIFY(options > 10);
    QVERIFY(futures >= 1);
    QVERIFY(reg.find("eth_usd") == nullptr);  // only the configured currency

    boost::asio::io_context engine;
    Listener l(reg);
    l.watched.insert(perp->id);
    std::vector<InstrumentId> watchedOptions;
    for (const Instrument& i : reg.all())
      if (i.isOption() && watchedOptions.size() < 3) {
        watchedOptions.push_back(i.id);
        l.watched.insert(i.id);
      }
    venue->connect(l, engine.get_executor());
    QVERIFY2(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000),
             "no live BTC-PERPETUAL book");

    // Books equal the exchange's own (top 10 levels) at the same change_id.
    for (InstrumentId id : l.watched) {
      int matched = 0;
      for (int attempt = 0; attempt < 40 && matched < 2; ++attempt) {
        QUrlQuery q;
        q.addQueryItem("instrument_name", QString::fromStdString(reg[id].name));
        q.addQueryItem("depth", "10");
        const QJsonObject ob = result("public/get_order_book", q).toObject();
        const std::uint64_t changeId = std::uint64_t(ob.value("change_id").toDouble());
        QString theirs;
        for (const QJsonValue& v : ob.value("bids").toArray())
          theirs += QString("b%1@%2 ").arg(v.toArray()[1].toDouble(), 0, 'g', 12).arg(v.toArray()[0].toDouble(), 0, 'g', 12);
        for (const QJsonValue& v : ob.value("asks").toArray())
          theirs += QString("a%1@%2 ").arg(v.toArray()[1].toDouble(), 0, 'g', 12).arg(v.toArray()[0].toDouble(), 0, 'g', 12);
        // let our feed reach that change_id, then find our book as it was there
        waitFor(engine, [&] { return l.md.book(id).changeId() >= changeId; }, 3000);
        for (const auto& [cid, ours] : l.history[id])
          if (cid == changeId) {
            QCOMPARE(ours, theirs);
            ++matched;
          }
      }
      QVERIFY2(matched >= 1, qPrintable("never caught " + QString::fromStdString(reg[id].name) + " at the exchange's change_id"));
    }

    // An order rests…
    const Price bid = l.md.book(perp->id).bestBid()->price;
    const Price ask = l.md.book(perp->id).bestAsk()->price;
    VenueOrder o;
    o.orderId = 9001;
    o.request.instrument = perp->id;
    o.request.side = Side::Buy;
    o.request.price = bid - 200 * perp->tickSize;
    o.request.qty = toFixed(20);
    o.request.postOnly = true;
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9001, ExecType::Ack) == 1; }));
    QJsonObject theirs = orderByLabel(9001);
    QCOMPARE(theirs.value("order_state").toString(), QString("open"));
    QCOMPARE(theirs.value("price").toDouble(), toDouble(o.request.price));
    QCOMPARE(theirs.value("amount").toDouble(), 20.0);
    QVERIFY(theirs.value("post_only").toBool());
    // …is edited…
    venue->replace(9001, o.request.price - 10 * perp->tickSize, toFixed(30));
    QVERIFY(waitFor(engine, [&] { return l.count(9001, ExecType::Replaced) == 1; }));
    const ExecReport rep = l.reportsFor(9001).back();
    QCOMPARE(rep.price, o.request.price - 10 * perp->tickSize);
    QCOMPARE(rep.leaves, toFixed(30));
    theirs = orderByLabel(9001);
    QCOMPARE(theirs.value("price").toDouble(), toDouble(o.request.price - 10 * perp->tickSize));
    QCOMPARE(theirs.value("amount").toDouble(), 30.0);
    // …and cancelled.
    venue->cancel(9001);
    QVERIFY(waitFor(engine, [&] { return l.count(9001, ExecType::Cancelled) == 1; }));
    QCOMPARE(orderByLabel(9001).value("order_state").toString(), QString("cancelled"));

    // A fill arrives once: an IOC buy through the ask.
    VenueOrder take;
    take.orderId = 9002;
    take.request.instrument = perp->id;
    take.request.side = Side::Buy;
    take.request.tif = TimeInForce::ImmediateOrCancel;
    take.request.price = ask + 50 * perp->tickSize;
    take.request.qty = toFixed(10);
    venue->submit(take);
    QVERIFY(waitFor(engine, [&] {
      for (const ExecReport& r : l.reportsFor(9002))
        if ((r.type == ExecType::Fill && r.leaves == 0) || r.type == ExecType::Cancelled || r.type == ExecType::Reject) return true;
      return false;
    }));
    waitFor(engine, [] { return false; }, 1500);  // any duplicate would have arrived by now
    Qty filled = 0;
    int fills = 0;
    for (const ExecReport& r : l.reportsFor(9002))
      if (r.type == ExecType::Fill) {
        filled += r.qty;
        ++fills;
        QVERIFY(r.fee >= 0);
        QVERIFY(!r.maker);
      }
    QCOMPARE(filled, toFixed(10));
    QCOMPARE(l.count(9002, ExecType::Ack), 1);
    QUrlQuery tq;
    tq.addQueryItem("currency", "BTC");
    tq.addQueryItem("count", "100");
    int theirFills = 0;
    for (const QJsonValue& t : result("private/get_user_trades_by_currency", tq, true).toObject().value("trades").toArray())
      theirFills += t.toObject().value("label").toString() == "9002";
    QCOMPARE(fills, theirFills);

    // reduce_only reaches the exchange: a sell of the 10 just bought, resting above the market.
    VenueOrder reduce = o;
    reduce.orderId = 9003;
    reduce.request.side = Side::Sell;
    reduce.request.price = ask + 200 * perp->tickSize;
    reduce.request.qty = toFixed(10);
    reduce.request.reduceOnly = true;
    venue->submit(reduce);
    QVERIFY(waitFor(engine, [&] { return l.count(9003, ExecType::Ack) == 1; }));
    QVERIFY(orderByLabel(9003).value("reduce_only").toBool());
    venue->cancel(9003);
    QVERIFY(waitFor(engine, [&] { return l.count(9003, ExecType::Cancelled) == 1; }));

    // cancel_all_by_currency: three resting orders, one request, all cancelled at the exchange.
    for (OrderId id : {9101, 9102, 9103}) {
      VenueOrder r = o;
      r.orderId = id;
      r.request.price = bid - Price(300 + id % 10) * perp->tickSize;
      venue->submit(r);
    }
    QVERIFY(waitFor(engine, [&] { return l.count(9101, ExecType::Ack) + l.count(9102, ExecType::Ack) + l.count(9103, ExecType::Ack) == 3; }));
    QCOMPARE(openOrders().size(), 3);
    QVERIFY(venue->cancelAllOrders());
    QVERIFY(waitFor(engine, [&] {
      return l.count(9101, ExecType::Cancelled) + l.count(9102, ExecType::Cancelled) + l.count(9103, ExecType::Cancelled) == 3;
    }));
    QVERIFY(waitFor(engine, [&] { return venue->counters().cancelAllConfirmed == 1; }));
    QCOMPARE(openOrders().size(), 0);
    QVERIFY(waitFor(engine, [&] {  // the confirmation reaches the engine as the venue's state detail
      for (const auto& [s, d] : l.states)
        if (d.find("the exchange confirmed 3 orders cancelled") != std::string::npos) return true;
      return false;
    }));

    // A change_id gap (the exchange skips one): the book goes stale, is resubscribed and live again.
    const std::uint64_t resyncsBefore = venue->counters().resyncs;
    {
      QUrlQuery q;
      q.addQueryItem("action", "skip_change_id");
      q.addQueryItem("instrument_name", "BTC-PERPETUAL");
      QVERIFY(!http("kappa/fault", q).contains("error"));
    }
    QVERIFY2(waitFor(engine, [&] { return venue->counters().gaps >= 1; }, 15000), "no gap detected");
    QVERIFY(waitFor(engine, [&] { return venue->counters().resyncs > resyncsBefore; }));
    QVERIFY(waitFor(engine, [&] { return l.md.book(perp->id).live(); }, 10000));

    // Dropped connection: Disconnected with the next retry, back, books live, and the resting order
    // that cancel-on-disconnect removed at the exchange reaches the engine as Cancelled.
    VenueOrder rest = o;
    rest.orderId = 9201;
    venue->submit(rest);
    QVERIFY(waitFor(engine, [&] { return l.count(9201, ExecType::Ack) == 1; }));
    {
      QUrlQuery q;
      q.addQueryItem("action", "drop");
      QVERIFY(!http("kappa/fault", q).contains("error"));
    }
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Disconnected; }));
    QVERIFY(l.states.back().second.find("next retry in") != std::string::npos);
    QVERIFY(!l.md.book(perp->id).live());
    QVERIFY2(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 20000),
             "did not come back");
    QCOMPARE(venue->counters().reconnects, 1u);
    QVERIFY(waitFor(engine, [&] { return l.count(9201, ExecType::Cancelled) == 1; }));
    QVERIFY(QString::fromStdString(l.reportsFor(9201).back().reason).contains("cancel-on-disconnect"));
    QCOMPARE(orderByLabel(9201).value("order_state").toString(), QString("cancelled"));

    // Positions: the exchange's account view (the IOC buy above made one).
    venue->queryPositions();
    QVERIFY(waitFor(engine, [&] { return l.positionAnswers >= 1; }));
    bool perpPosition = false;
    for (const VenuePosition& p : l.positions) perpPosition |= p.instrument == perp->id && p.qty == 10.0;
    QVERIFY(perpPosition);
    QVERIFY(waitFor(engine, [&] { return l.accounts.count("BTC") == 1; }));
    QVERIFY(l.accounts["BTC"].equity > 0);

    // Every fill exactly once over the whole session, reconnect included.
    QCOMPARE(l.count(9002, ExecType::Fill), fills);
    venue->disconnect();
    QVERIFY(venue->counters().rateLimited == 0);
  }

  // The exchange's faults: a 10028 ends the session (one reconnect, no storm), answers slower than
  // our timeout are resolved by label (never a second order), a platform lock refuses orders.
  void faultsAreSurvived() {
    // Shared with the sink, which must not outlive this test even when a check fails early.
    struct SinkReset {
      ~SinkReset() { log::setSink(nullptr); }
    } sinkReset;
    std::mutex logMutex;
    std::vector<std::string> logLines;
    log::setSink([&](log::Level, std::string_view c, std::string_view m) {
      std::lock_guard lock(logMutex);
      logLines.push_back(std::string(c) + ": " + std::string(m));
      std::fprintf(stderr, "%s: %.*s\n", std::string(c).c_str(), int(m.size()), m.data());
    });
    auto logged = [&](const std::string& what) {
      std::lock_guard lock(logMutex);
      for (const std::string& l : logLines)
        if (l.find(what) != std::string::npos) return true;
      return false;
    };
    auto fault = [&](QList<QPair<QString, QString>> items) {
      QUrlQuery q;
      q.setQueryItems(items);
      return !http("kappa/fault", q).contains("error");
    };
    InstrumentRegistry reg;
    DeribitVenueConfig c = config();
    c.requestTimeout = std::chrono::milliseconds(1000);
    auto venue = std::make_unique<DeribitVenue>(c);
    venue->listInstruments(reg);
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    VenueOrder o;
    o.request.instrument = perp->id;
    o.request.side = Side::Buy;
    o.request.price = l.md.book(perp->id).bestBid()->price - 400 * perp->tickSize;
    o.request.qty = toFixed(10);

    // (a) too_many_requests on an order: rejected with the reason, the session ends, one reconnect.
    QVERIFY(fault({{"action", "error"}, {"method", "private/buy"}, {"code", "10028"}, {"count", "1"}}));
    const std::uint64_t sessions = venue->counters().sessions;
    o.orderId = 9301;
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9301, ExecType::Reject) == 1; }));
    QVERIFY2(QString::fromStdString(l.reportsFor(9301).back().reason).contains("rate limit"),
             l.reportsFor(9301).back().reason.c_str());
    QVERIFY(waitFor(engine, [&] { return venue->counters().sessions == sessions + 1 && l.state == VenueState::Connected; }, 15000));
    waitFor(engine, [] { return false; }, 3000);
    QCOMPARE(venue->counters().sessions, sessions + 1);  // no retry storm
    QCOMPARE(venue->counters().tooManyRequests, 1u);
    QVERIFY(waitFor(engine, [&] { return l.md.book(perp->id).live(); }, 10000));
    o.orderId = 9302;
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9302, ExecType::Ack) == 1; }));
    venue->cancel(9302);
    QVERIFY(waitFor(engine, [&] { return l.count(9302, ExecType::Cancelled) == 1; }));

    // (b) answers 1.5 s late against our 1 s timeout: resolved by label, one order at the exchange.
    QVERIFY(fault({{"action", "delay"}, {"ms", "1500"}}));
    o.orderId = 9303;
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9303, ExecType::Ack) == 1 && logged("order 9303: private/buy: no answer"); }, 15000));
    waitFor(engine, [] { return false; }, 3500);  // the late answers all arrive
    QVERIFY(fault({{"action", "clear"}}));
    QCOMPARE(l.count(9303, ExecType::Ack), 1);
    QCOMPARE(l.count(9303, ExecType::Reject), 0);
    {
      QUrlQuery q;
      q.addQueryItem("currency", "BTC");
      q.addQueryItem("label", "9303");
      QCOMPARE(result("private/get_order_state_by_label", q, true).toArray().size(), 1);  // never a duplicate
    }
    venue->cancel(9303);
    QVERIFY(waitFor(engine, [&] { return l.count(9303, ExecType::Cancelled) == 1; }));

    // (c) platform locked: Degraded, orders refused with the reason; unlocked: books back.
    QVERIFY(fault({{"action", "lock"}}));
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Degraded && !l.md.book(perp->id).live(); }));
    o.orderId = 9304;
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9304, ExecType::Reject) == 1; }));
    QVERIFY(QString::fromStdString(l.reportsFor(9304).back().reason).contains("locked"));
    QVERIFY(fault({{"action", "unlock"}}));
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    venue->disconnect();
    std::lock_guard lock(logMutex);
    QVERIFY(logLines.size() > 5);
    for (const std::string& line : logLines) QVERIFY2(line.find(kSecret) == std::string::npos, line.c_str());
  }

  // wss: a CA and a server certificate for 127.0.0.1 made here with OpenSSL; a second exchange
  // serves TLS with it. Trusting that CA connects (client_signature login, the secret never sent);
  // the system store alone refuses the certificate.
  void tlsWithATestCa() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    kappa::test::TestCa ca;
    const QString caFailed = kappa::test::makeTestCa(dir.path(), ca);
    QVERIFY2(caFailed.isEmpty(), qPrintable(caFailed));
    QProcess tls;
    tls.setProgram(exchangeBinary());
    tls.setArguments({"--listen", "127.0.0.1:0", "--seed", "2", "--tls-cert", ca.certFile, "--tls-key", ca.keyFile,
                      "--account", QString(kClientId) + ":" + kSecret});
    tls.setStandardErrorFile(dir.filePath("exchange.err"));
    tls.start();
    QVERIFY(tls.waitForStarted(10000));
    QElapsedTimer t;
    t.start();
    while (!tls.canReadLine() && t.elapsed() < 15000) tls.waitForReadyRead(200);
    const QString first = QString::fromUtf8(tls.readLine()).trimmed();
    const QRegularExpressionMatch m = QRegularExpression(R"(:(\d+)/)").match(first);
    QVERIFY2(first.contains("wss://") && m.hasMatch(), qPrintable(first));
    const std::string url = "wss://127.0.0.1:" + m.captured(1).toStdString() + "/ws/api/v2";
    auto stop = qScopeGuard([&] {
      tls.terminate();
      if (!tls.waitForFinished(5000)) tls.kill();
      tls.waitForFinished(5000);
    });

    DeribitEndpoint ep;
    std::string error;
    QVERIFY(parseDeribitEndpoint(url, ep, error));
    const ConnectionTestResult untrusted = testDeribitConnection(ep, {kClientId, kSecret}, std::chrono::seconds(10));
    QVERIFY(!untrusted.ok);
    QVERIFY2(untrusted.message.find("TLS handshake") != std::string::npos, untrusted.message.c_str());
    ep.caFile = ca.caFile.toStdString();
    const ConnectionTestResult trusted = testDeribitConnection(ep, {kClientId, kSecret}, std::chrono::seconds(10));
    QVERIFY2(trusted.ok, trusted.message.c_str());

    DeribitVenueConfig c = config();
    c.endpoint = ep;
    c.signatureAuth = true;
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(c);
    venue->listInstruments(reg);
    QVERIFY2(venue->listError().empty(), venue->listError().c_str());
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    QVERIFY(l.states.back().second.find("logged in") != std::string::npos);
    venue->disconnect();
  }

  // An order filled while we were away (cancel-on-disconnect off): after the reconnect the
  // reconciliation finds the trade and the engine gets the fill, once.
  void fillWhileAwayIsReconciled() {
    QUrlQuery auth;
    auth.addQueryItem("grant_type", "client_credentials");
    auth.addQueryItem("client_id", kOtherId);
    auth.addQueryItem("client_secret", kOtherSecret);
    const QString otherToken = result("public/auth", auth).toObject().value("access_token").toString();
    QVERIFY(!otherToken.isEmpty());
    DeribitVenueConfig c = config();
    c.cancelOnDisconnect = false;
    c.backoffInitial = std::chrono::milliseconds(3000);
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(c);
    venue->listInstruments(reg);
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    const Price price = l.md.book(perp->id).bestAsk()->price;
    VenueOrder o;
    o.orderId = 9401;
    o.request.instrument = perp->id;
    o.request.side = Side::Sell;
    o.request.price = price;
    o.request.qty = toFixed(10);
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9401, ExecType::Ack) == 1; }));
    QVERIFY(waitFor(engine, [&] { return l.md.book(perp->id).qtyAt(Side::Sell, price) >= toFixed(10); }));
    const double level = toDouble(l.md.book(perp->id).qtyAt(Side::Sell, price));
    {
      QUrlQuery q;
      q.addQueryItem("action", "drop");
      QVERIFY(!http("kappa/fault", q).contains("error"));
    }
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Disconnected; }));
    // The other account takes everything at that price and below while we are away.
    QUrlQuery buy;
    buy.addQueryItem("instrument_name", "BTC-PERPETUAL");
    // Everything offered at our price or below, as the exchange has it now, twice over.
    double offered = level;
    {
      QUrlQuery q;
      q.addQueryItem("instrument_name", "BTC-PERPETUAL");
      q.addQueryItem("depth", "100");
      for (const QJsonValue& a : result("public/get_order_book", q).toObject().value("asks").toArray())
        if (a.toArray()[0].toDouble() <= toDouble(price) + 1e-9) offered += a.toArray()[1].toDouble();
    }
    buy.addQueryItem("amount", QString::number(std::ceil((offered * 2 + 100) / 10) * 10, 'f', 0));
    buy.addQueryItem("type", "limit");
    buy.addQueryItem("price", QString::number(toDouble(price), 'f', 1));
    buy.addQueryItem("time_in_force", "immediate_or_cancel");
    const QJsonObject bought = http("private/buy", buy, true, otherToken);
    QVERIFY2(!bought.contains("error"), QJsonDocument(bought).toJson().constData());
    QCOMPARE(orderByLabel(9401).value("order_state").toString(), QString("filled"));
    QCOMPARE(l.count(9401, ExecType::Fill), 0);  // not seen yet: we are away
    QVERIFY2(waitFor(engine, [&] { return l.count(9401, ExecType::Fill) >= 1; }, 20000), "the fill was not reconciled");
    waitFor(engine, [] { return false; }, 1500);
    QCOMPARE(l.count(9401, ExecType::Fill), 1);
    const ExecReport fill = l.reportsFor(9401).back();
    QCOMPARE(fill.type, ExecType::Fill);
    QCOMPARE(fill.qty, toFixed(10));
    QCOMPARE(fill.leaves, Qty(0));
    QCOMPARE(fill.price, price);
    QVERIFY(fill.maker);
    QVERIFY(venue->counters().reconciledFills >= 1);
    venue->disconnect();
  }

  // A burst of orders beyond the matching-engine credits: ours refuses the excess with the reason
  // instead of letting the exchange answer 10028 and end the session.
  void rateLimitRefusesInsteadOf10028() {
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(config());
    venue->listInstruments(reg);
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    const Price bid = l.md.book(perp->id).bestBid()->price;
    for (OrderId id = 9500; id < 9540; ++id) {
      VenueOrder o;
      o.orderId = id;
      o.request.instrument = perp->id;
      o.request.side = Side::Buy;
      o.request.price = bid - Price(500 + id % 40) * perp->tickSize;
      o.request.qty = toFixed(10);
      venue->submit(o);
    }
    int acked = 0, refused = 0;
    QVERIFY(waitFor(engine, [&] {
      acked = refused = 0;
      for (OrderId id = 9500; id < 9540; ++id) {
        acked += l.count(id, ExecType::Ack);
        refused += l.count(id, ExecType::Reject);
      }
      return acked + refused == 40;
    }));
    QVERIFY2(acked >= 15 && refused >= 15, qPrintable(QString("%1 acked, %2 refused").arg(acked).arg(refused)));
    QVERIFY(QString::fromStdString(l.reportsFor(9539).back().reason).contains("rate limiter"));
    QCOMPARE(venue->counters().rateLimited, std::uint64_t(refused));
    QCOMPARE(venue->counters().tooManyRequests, 0u);
    QCOMPARE(openOrders().size(), acked);
    QCOMPARE(l.state, VenueState::Connected);  // the session lives on
    QCOMPARE(venue->counters().sessions, 1u);
    QVERIFY(venue->cancelAllOrders());  // waits its turn for credits, then one request
    QVERIFY(waitFor(engine, [&] { return venue->counters().cancelAllConfirmed == 1; }));
    QVERIFY(waitFor(engine, [&] {
      int cancelled = 0;
      for (OrderId id = 9500; id < 9540; ++id) cancelled += l.count(id, ExecType::Cancelled);
      return cancelled == acked;
    }));
    QCOMPARE(openOrders().size(), 0);  // (asked once: HTTP requests spend the same account's credits)
    venue->disconnect();
  }

  // A short-lived token (the exchange's --token-lifetime) is refreshed before it expires and the
  // session keeps trading past the first token's end.
  void tokenIsRefreshed() {
    cleanup();  // this test wants its own exchange
    QProcess x;
    x.setProgram(exchangeBinary());
    x.setArguments({"--listen", "127.0.0.1:0", "--seed", "3", "--token-lifetime", "4", "--account",
                    QString(kClientId) + ":" + kSecret});
    x.start();
    QVERIFY(x.waitForStarted(10000));
    auto stop = qScopeGuard([&] {
      x.terminate();
      if (!x.waitForFinished(5000)) x.kill();
      x.waitForFinished(5000);
    });
    QElapsedTimer t;
    t.start();
    while (!x.canReadLine() && t.elapsed() < 15000) x.waitForReadyRead(200);
    const QRegularExpressionMatch m = QRegularExpression(R"(:(\d+)/)").match(QString::fromUtf8(x.readLine()));
    QVERIFY(m.hasMatch());
    port_ = m.captured(1).toInt();
    struct SinkReset {
      ~SinkReset() { log::setSink(nullptr); }
    } sinkReset;
    std::mutex logMutex;
    int refreshed = 0;
    log::setSink([&](log::Level, std::string_view, std::string_view msg) {
      std::lock_guard lock(logMutex);
      refreshed += msg.find("access token refreshed") != std::string_view::npos;
    });
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(config());
    venue->listInstruments(reg);
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected && l.md.book(perp->id).live(); }, 15000));
    QVERIFY(waitFor(engine, [&] {
      std::lock_guard lock(logMutex);
      return refreshed >= 2;
    }, 12000));
    VenueOrder o;
    o.orderId = 9601;
    o.request.instrument = perp->id;
    o.request.side = Side::Buy;
    o.request.price = l.md.book(perp->id).bestBid()->price - 300 * perp->tickSize;
    o.request.qty = toFixed(10);
    venue->submit(o);
    QVERIFY(waitFor(engine, [&] { return l.count(9601, ExecType::Ack) == 1; }));
    QCOMPARE(venue->counters().sessions, 1u);
    venue->disconnect();
    port_ = 0;
  }

  void unknownOrderQueriesAreAnswered() {
    InstrumentRegistry reg;
    auto venue = std::make_unique<DeribitVenue>(config());
    venue->listInstruments(reg);
    boost::asio::io_context engine;
    Listener l(reg);
    venue->connect(l, engine.get_executor());
    QVERIFY(waitFor(engine, [&] { return l.state == VenueState::Connected; }, 15000));
    venue->queryOrders({9201, 777777});  // one cancelled at the exchange earlier, one it never saw
    QVERIFY(waitFor(engine, [&] { return l.count(9201, ExecType::Cancelled) == 1 && l.count(777777, ExecType::Cancelled) == 1; }));
    QVERIFY(QString::fromStdString(l.reportsFor(777777).back().reason).contains("no order"));
    venue->disconnect();
  }
};

QTEST_GUILESS_MAIN(TestDeribitVenue)
#include "tst_deribit_venue.moc"
