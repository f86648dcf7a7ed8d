// Restart with working orders on two venues at once: the embedded simulator and Deribit on a real
// kappa-exchange, both listing BTC-PERPETUAL. A first engine leaves resting orders on both and
// ends without cancelling them (as a crash does: the journal has no end for them, and Deribit's
// cancel-on-disconnect is off so they stay at the exchange). Meanwhile one Deribit order is
// cancelled at the exchange through its own API. A new engine on the same data directory:
//  - finds each order's instrument by venue + name (the journal's venue column), not the first
//    venue listing the name;
//  - asks each venue only about its own orders (every queryOrders() is recorded);
//  - the Deribit order still open there is reported working, "placed by an earlier session"; the
//    one cancelled there meanwhile is closed as cancelled; the simulator (it starts empty every
//    run) answers it has no such order, and that one is closed too — each journaled with its venue.
// A Deribit position (a market buy in the first session) comes back on Deribit's BTC-PERPETUAL, not
// the simulator's. A third run configures the simulator only: that position and the Deribit order
// still open are listed as held on a venue not configured in this run, not booked or shown as the
// simulator's BTC-PERPETUAL.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <mutex>
#include <sqlite3.h>

#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"
#include "TestVenues.hpp"
#include "SqliteQuery.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using kappa::test::query;
using namespace kappa::deribit;

namespace {
const char* kClientId = "tst-mvr";
const char* kSecret = "tst-mvr-secret-90e1";
constexpr VenueId kSim = 0, kDeribit = 1;

// A real venue with a record of what the engine asked it at restart: every call goes to the venue
// itself; queryOrders() also notes the ids.
class RecordingVenue final : public Venue {
 public:
  explicit RecordingVenue(std::unique_ptr<Venue> inner) : inner_(std::move(inner)) {}
  std::vector<OrderId> asked() const {
    std::lock_guard lock(mutex_);
    return asked_;
  }
  std::string name() const override { return inner_->name(); }
  void listInstruments(InstrumentRegistry& r) override {
    inner_->setId(id());  // the engine set ours: the venue's instruments carry it
    inner_->listInstruments(r);
  }
  std::vector<Candle> history(InstrumentId id) override { return inner_->history(id); }
  void connect(VenueListener& l, boost::asio::any_io_executor e) override { inner_->connect(l, e); }
  void disconnect() override { inner_->disconnect(); }
  void submit(const VenueOrder& o) override { inner_->submit(o); }
  void cancel(OrderId id) override { inner_->cancel(id); }
  bool cancelAllOrders() override { return inner_->cancelAllOrders(); }
  VenueSummary summary() const override { return inner_->summary(); }
  void replace(OrderId id, Price p, Qty q) override { inner_->replace(id, p, q); }
  void requestSnapshot(InstrumentId id) override { inner_->requestSnapshot(id); }
  void queryOrders(const std::vector<OrderId>& ids) override {
    {
      std::lock_guard lock(mutex_);
      asked_.insert(asked_.end(), ids.begin(), ids.end());
    }
    inner_->queryOrders(ids);
  }
  bool reportsPositions() const override { return inner_->reportsPositions(); }
  void queryPositions() override { inner_->queryPositions(); }

 private:
  std::unique_ptr<Venue> inner_;
  mutable std::mutex mutex_;
  std::vector<OrderId> asked_;
};

}  // namespace

class TestMultiVenueRestart : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;
  QString token_;
  std::unique_ptr<Engine> engine_;
  RecordingVenue* sim_ = nullptr;
  RecordingVenue* deribit_ = nullptr;

  QString data() const { return dir_.filePath("data"); }
  QString journalFile() const { return data() + "/journal.sqlite"; }

  // The exchange's own open orders for our account (BTC).
  QJsonArray exchangeOpenOrders() {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    return exchange_.get("private/get_open_orders_by_currency", q, token_)["result"].toArray();
  }
  QString exchangeIdOf(OrderId label) {
    for (const QJsonValue& o : exchangeOpenOrders())
      if (o["label"].toString() == QString::number(label)) return o["order_id"].toString();
    return {};
  }

  // An engine over the simulator and Deribit on the data directory. Deribit's cancel-on-disconnect
  // is off: orders outlive the session at the exchange, as they do when the link is not closed
  // cleanly by the exchange noticing (and as a trader may configure).
  void startEngine(const QString& dataDir = {}) {
    const sim::SimConfig sim = test::simNow();
    DeribitVenueConfig c;
    QVERIFY(test::deribitOn(exchange_, kClientId, kSecret, c));
    c.cancelOnDisconnect = false;
    auto s = std::make_unique<RecordingVenue>(std::make_unique<sim::SimVenue>(sim));
    auto d = std::make_unique<RecordingVenue>(std::make_unique<DeribitVenue>(c));
    sim_ = s.get();
    deribit_ = d.get();
    std::vector<std::unique_ptr<Venue>> venues;
    venues.push_back(std::move(s));
    venues.push_back(std::move(d));
    engine_ = std::make_unique<Engine>(std::move(venues));
    engine_->setDataDir((dataDir.isEmpty() ? data() : dataDir).toStdString());
  }
  void riskLimits() {
    for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5",
                          "max_order_notional=1000000000"})
      engine_->changeRiskLimit(a, "test");
  }
  // The engine ends without cancelling anything: the journal holds no end for the working orders.
  void endWithoutCancelling() {
    engine_->journal()->flush();
    engine_->stop();
    engine_.reset();
    sim_ = deribit_ = nullptr;
  }
  // Submits a resting buy well under the market and returns its id once the OMS holds it.
  OrderId restingBuy(InstrumentId id, int ticksDown) {
    return test::submitAndFind(*engine_, test::restingBuyRequest(*engine_, id, ticksDown, "restart-test"));
  }
  OrderState stateOf(OrderId id) { return test::stateOf(*engine_, id); }
  // The unresolved order `id` of the running engine (a copy), or one with id 0 if it is not there.
  Order unresolved(OrderId id) {
    return engine_->call([&] {
      for (const Order& o : engine_->unresolvedOrders())
        if (o.id == id) return o;
      return Order{};
    });
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "13", "--account", QString(kClientId) + ":" + kSecret,
                                                                   "--me-limit", "0/0", "--non-me-limit", "0/0"});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    token_ = exchange_.login(kClientId, kSecret);
    QVERIFY(!token_.isEmpty());
  }
  void cleanupTestCase() {
    if (engine_) engine_->stop();
    engine_.reset();
    exchange_.stop();
  }

  void workingOrdersOnBothVenuesAreReconciledEachWithItsVenue() {
    // ---- session 1: resting orders on both venues, then an end without cancelling ----
    startEngine();
    QVERIFY(engine_);
    engine_->start();
    riskLimits();
    const Instrument* s = engine_->instruments().find(kSim, "BTC-PERPETUAL");
    const Instrument* d = engine_->instruments().find(kDeribit, "BTC-PERPETUAL");
    QVERIFY(s && d && s->id != d->id);
    const InstrumentId simPerp = s->id, deribitPerp = d->id;
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
                               return engine_->marketData().book(simPerp).live() && engine_->marketData().book(deribitPerp).live();
                             }),
                             20000);
    // A position on Deribit's BTC-PERPETUAL (the simulator's stays flat): bought at the market.
    const Qty bought = engine_->instruments()[deribitPerp].minQty * 10;
    {
      OrderRequest buy;
      buy.instrument = deribitPerp;
      buy.side = Side::Buy;
      buy.type = OrderType::Market;
      buy.qty = bought;
      engine_->submit(buy);
    }
    QTRY_COMPARE_WITH_TIMEOUT(engine_->call([&] { return engine_->orders().positions()[deribitPerp].qty; }), toDouble(bought),
                              10000);
    const OrderId onSim = restingBuy(simPerp, 0);
    const OrderId keptAtDeribit = restingBuy(deribitPerp, 0);
    const OrderId cancelledAtDeribit = restingBuy(deribitPerp, 5);
    QVERIFY(onSim && keptAtDeribit && cancelledAtDeribit);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Open, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(keptAtDeribit), OrderState::Open, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(cancelledAtDeribit), OrderState::Open, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(exchangeOpenOrders().size(), qsizetype(2), 10000);
    endWithoutCancelling();
    // The journal names each order's venue beside its instrument (both are BTC-PERPETUAL).
    QCOMPARE(query(journalFile(), "SELECT venue || ':' || instrument FROM journal WHERE kind = 'fill'"),
             QStringList{"deribit:BTC-PERPETUAL"});
    QCOMPARE(query(journalFile(), QString("SELECT order_id || ' ' || venue || ':' || instrument FROM journal"
                                          " WHERE kind = 'order_intent' AND order_id IN (%1, %2, %3) ORDER BY order_id")
                                      .arg(onSim).arg(keptAtDeribit).arg(cancelledAtDeribit)),
             (QStringList{QString("%1 sim:BTC-PERPETUAL").arg(onSim), QString("%1 deribit:BTC-PERPETUAL").arg(keptAtDeribit),
                          QString("%1 deribit:BTC-PERPETUAL").arg(cancelledAtDeribit)}));

    // ---- while kappa is down: both still rest at the exchange; one is cancelled there ----
    QCOMPARE(exchangeOpenOrders().size(), qsizetype(2));
    const QString exchangeId = exchangeIdOf(cancelledAtDeribit);
    QVERIFY(!exchangeId.isEmpty());
    QUrlQuery q;
    q.addQueryItem("order_id", exchangeId);
    const QJsonObject cancelled = exchange_.get("private/cancel", q, token_);
    QVERIFY2(cancelled["result"]["order_state"].toString() == "cancelled", QJsonDocument(cancelled).toJson().constData());
    QCOMPARE(exchangeOpenOrders().size(), qsizetype(1));

    // ---- session 2: the same data directory ----
    startEngine();
    QVERIFY(engine_);
    {
      // Before any venue is asked: all three unknown, each on its own venue's BTC-PERPETUAL.
      const std::vector<Order>& left = engine_->unresolvedOrders();
      QCOMPARE(left.size(), std::size_t(3));
      for (const Order& o : left) {
        QCOMPARE(o.state, OrderState::Unknown);
        const VenueId venue = engine_->instruments()[o.request.instrument].venue;
        QCOMPARE(venue, o.id == onSim ? kSim : kDeribit);
        QCOMPARE(QString::fromStdString(engine_->instruments()[o.request.instrument].name), QString("BTC-PERPETUAL"));
      }
      // The journal's fill is Deribit's position, not the simulator's (the engine thread is not running yet).
      QCOMPARE(engine_->orders().positions()[deribitPerp].qty, toDouble(bought));
      QCOMPARE(engine_->orders().positions()[simPerp].qty, 0.0);
    }
    engine_->start();
    // The simulator restarted empty: it has no such order, and says so.
    QTRY_COMPARE_WITH_TIMEOUT(unresolved(onSim).id, OrderId(0), 10000);
    // Deribit: the one cancelled at the exchange is closed; the other works there, placed earlier.
    QTRY_COMPARE_WITH_TIMEOUT(unresolved(cancelledAtDeribit).id, OrderId(0), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(QString::fromStdString(unresolved(keptAtDeribit).reason).contains("placed by an earlier session"),
                             15000);
    QCOMPARE(unresolved(keptAtDeribit).state, OrderState::Unknown);
    // Each venue was asked about its own orders only.
    const std::vector<OrderId> simAsked = sim_->asked();
    std::vector<OrderId> deribitAsked = deribit_->asked();
    std::sort(deribitAsked.begin(), deribitAsked.end());
    QCOMPARE(simAsked, std::vector<OrderId>{onSim});
    QCOMPARE(deribitAsked, (std::vector<OrderId>{keptAtDeribit, cancelledAtDeribit}));
    // The exchange still holds the one kappa did not close, and only that one.
    QCOMPARE(exchangeOpenOrders().size(), qsizetype(1));
    QCOMPARE(exchangeOpenOrders()[0].toObject()["label"].toString(), QString::number(keptAtDeribit));
    endWithoutCancelling();
    // The ends are journaled with their venue: the next start does not ask again.
    QCOMPARE(query(journalFile(), QString("SELECT order_id || ' ' || venue || ':' || instrument FROM journal"
                                          " WHERE kind = 'cancelled' AND text LIKE 'reconciled after restart%'"
                                          " ORDER BY order_id")),
             (QStringList{QString("%1 sim:BTC-PERPETUAL").arg(onSim),
                          QString("%1 deribit:BTC-PERPETUAL").arg(cancelledAtDeribit)}));
    QCOMPARE(query(journalFile(), QString("SELECT count(*) FROM journal WHERE order_id = %1 AND kind IN ('cancelled', 'order_reject')")
                                      .arg(keptAtDeribit)),
             QStringList{"0"});

    // ---- session 3: the simulator only ----
    {
      sim::SimConfig sim;
      sim.seed = 6;
      sim.startTime = wallNow() / 1'000'000 * 1'000'000;
      Engine simOnly(std::make_unique<sim::SimVenue>(sim));
      simOnly.setDataDir(data().toStdString());
      // Not the simulator's BTC-PERPETUAL: Deribit's order is listed as held on a venue not configured.
      QVERIFY(simOnly.unresolvedOrders().empty());
      QCOMPARE(simOnly.orders().positions()[simOnly.instruments().find("BTC-PERPETUAL")->id].qty, 0.0);
      const std::vector<std::string>& held = simOnly.holdingsOnAbsentVenues();
      QCOMPARE(held.size(), std::size_t(2));
      const QString position = QString("deribit:BTC-PERPETUAL: position +%1 ").arg(toDouble(bought));
      QVERIFY2(QString::fromStdString(held[0]).startsWith(position), held[0].c_str());
      const QString expected = QString("order %1 on deribit:BTC-PERPETUAL: ").arg(keptAtDeribit);
      QVERIFY2(QString::fromStdString(held[1]).startsWith(expected), held[1].c_str());
      QVERIFY2(QString::fromStdString(held[1]).contains("venue not configured in this run"), held[1].c_str());
      simOnly.journal()->flush();
    }
    QCOMPARE(query(journalFile(), QString("SELECT count(*) FROM journal WHERE kind = 'risk_event' AND text LIKE"
                                          " 'restart: order %1 on deribit:BTC-PERPETUAL: %venue not configured in this run%'")
                                      .arg(keptAtDeribit)),
             QStringList{"1"});
  }

  // Rows journaled before the journal had a venue column (a single-venue Kappa wrote them; migrated
  // rows keep venue NULL) name BTC-PERPETUAL, which both venues of this run list: the fill is booked
  // on neither (no guess), it is reported with the venues that list it, the unresolved order is not
  // asked of either, and the terminal comes up HALTED saying why.
  void rowsWithoutVenueAreNotGuessedOntoOneVenue() {
    QTemporaryDir other;
    QVERIFY(other.isValid());
    startEngine(other.path());  // creates the journal (schema 3) in that directory
    engine_->start();
    engine_->journal()->flush();
    endWithoutCancelling();
    const std::string ts = std::to_string(wallNow() - 60'000'000'000);
    const std::string rows =
        "INSERT INTO journal(ts, kind, order_id, instrument, side, price, qty, value, session) VALUES"
        " (" + ts + ", 'order_intent', 900001, 'BTC-PERPETUAL', 'buy', 6000000000000, 1000000000, 0, 1),"
        " (" + ts + ", 'fill', 900001, 'BTC-PERPETUAL', 'buy', 6000000000000, 1000000000, 0, 1),"
        " (" + ts + ", 'order_intent', 900002, 'BTC-PERPETUAL', 'sell', 9000000000000, 300000000, 0, 1);";
    const std::string failed = test::exec(other.path() + "/journal.sqlite", rows);
    QVERIFY2(failed.empty(), failed.c_str());

    startEngine(other.path());
    Engine& e = *engine_;
    QVERIFY(e.halted());
    for (VenueId v : {kSim, kDeribit})
      QCOMPARE(e.orders().positions()[e.instruments().find(v, "BTC-PERPETUAL")->id].qty, 0.0);
    QVERIFY(e.unresolvedOrders().empty());
    const std::vector<std::string>& held = e.holdingsOnAbsentVenues();
    QCOMPARE(held.size(), std::size_t(2));
    QVERIFY2(QString::fromStdString(held[0]).startsWith("BTC-PERPETUAL (journaled without a venue; sim and deribit list it): position +10 "),
             held[0].c_str());
    QVERIFY2(QString::fromStdString(held[1]).startsWith("order 900002 on BTC-PERPETUAL (journaled without a venue"), held[1].c_str());
    e.start();
    QVERIFY(sim_->asked().empty() && deribit_->asked().empty());
    endWithoutCancelling();
  }
};

QTEST_GUILESS_MAIN(TestMultiVenueRestart)
#include "tst_multi_venue_restart.moc"
