// One engine over two venues at once: the embedded simulator and the Deribit connector against a
// real kappa-exchange. Both list BTC-PERPETUAL, so this is also the test of an instrument's identity
// being venue + name: each order goes to its own instrument's venue, HALT ALL cancels on both
// (the exchange's own open-order list is checked), the underlyings are shared (one BTC, not two),
// and the exchange going away leaves the simulator's books live and its orders working.
#include <QtTest>

#include <QJsonArray>
#include <QTemporaryDir>

#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"
#include "TestVenues.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {
const char* kClientId = "tst-multi";
const char* kSecret = "tst-multi-secret-51c7";
constexpr VenueId kSim = 0, kDeribit = 1;
}  // namespace

class TestMultiVenue : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  InstrumentId simPerp_ = kNoInstrument, deribitPerp_ = kNoInstrument;
  QString token_;

  // The exchange's own open orders for our account (BTC).
  QJsonArray exchangeOpenOrders() {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    return exchange_.get("private/get_open_orders_by_currency", q, token_)["result"].toArray();
  }
  OrderId restingBuy(InstrumentId id) { return test::submitAndFind(*engine_, test::restingBuyRequest(*engine_, id, 0, "multi-venue")); }
  OrderId submitAndFind(const OrderRequest& r) { return test::submitAndFind(*engine_, r); }
  const EngineSnapshot& snap() { return test::latestSnapshot(*engine_); }
  OrderState stateOf(OrderId id) { return test::stateOf(*engine_, id); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--account", QString(kClientId) + ":" + kSecret,
                                                                   "--me-limit", "0/0", "--non-me-limit", "0/0"});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    token_ = exchange_.login(kClientId, kSecret);
    QVERIFY(!token_.isEmpty());

    const sim::SimConfig sim = test::simNow();
    DeribitVenueConfig c;
    QVERIFY(test::deribitOn(exchange_, kClientId, kSecret, c));
    std::vector<std::unique_ptr<Venue>> venues;
    venues.push_back(std::make_unique<sim::SimVenue>(sim));
    venues.push_back(std::make_unique<DeribitVenue>(c));
    engine_ = std::make_unique<Engine>(std::move(venues));
    engine_->setDataDir(dir_.filePath("data").toStdString());
    engine_->start();
    for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5",
                          "max_order_notional=1000000000"})
      engine_->changeRiskLimit(a, "test");
  }
  void cleanupTestCase() {
    if (engine_) engine_->stop();
    engine_.reset();
    exchange_.stop();
  }

  // Both venues list BTC-PERPETUAL: two instruments, each findable in its venue and shown with its
  // venue's name; one BTC underlying across both.
  void identityIsVenueAndName() {
    Engine& e = *engine_;
    QCOMPARE(e.venueCount(), std::size_t(2));
    QCOMPARE(QString::fromStdString(e.venueName(kSim)), QString("sim"));
    QCOMPARE(QString::fromStdString(e.venueName(kDeribit)), QString("deribit"));
    const Instrument* s = e.instruments().find(kSim, "BTC-PERPETUAL");
    const Instrument* d = e.instruments().find(kDeribit, "BTC-PERPETUAL");
    QVERIFY(s && d);
    QVERIFY(s->id != d->id);
    QCOMPARE(s->venue, kSim);
    QCOMPARE(d->venue, kDeribit);
    simPerp_ = s->id;
    deribitPerp_ = d->id;
    QCOMPARE(QString::fromStdString(e.displayName(d->id)), QString("deribit:BTC-PERPETUAL"));
    QCOMPARE(QString::fromStdString(e.displayName(s->id)), QString("sim:BTC-PERPETUAL"));
    // An instrument only one venue lists keeps its plain name (the simulator's ETH, Deribit has BTC only).
    const Instrument* eth = e.instruments().find(kSim, "ETH-PERPETUAL");
    QVERIFY(eth);
    QCOMPARE(QString::fromStdString(e.displayName(eth->id)), QString("ETH-PERPETUAL"));

    QTRY_VERIFY_WITH_TIMEOUT(e.call([&] { return e.marketData().book(simPerp_).live() && e.marketData().book(deribitPerp_).live(); }),
                             20000);
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues.size() == 2 &&
                                 snap().venues[kDeribit].state == VenueState::Connected &&
                                 snap().venues[kSim].state == VenueState::Connected,
                             20000);
    QStringList underlyings;
    for (const UnderlyingRow& u : snap().underlyings) underlyings << QString::fromStdString(u.currency);
    QCOMPARE(underlyings, QStringList({"BTC", "ETH"}));
  }

  // Each order goes to its instrument's venue; HALT ALL cancels on both, the exchange's own list
  // is empty afterwards, and each venue row counts no working order.
  void ordersRouteAndHaltCancelsEverywhere() {
    QVERIFY(simPerp_ != kNoInstrument);
    Engine& e = *engine_;
    const OrderId onSim = restingBuy(simPerp_);
    const OrderId onDeribit = restingBuy(deribitPerp_);
    QVERIFY(onSim && onDeribit);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onDeribit), OrderState::Open, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Open, 10000);
    // The exchange holds exactly the Deribit one, under our id as its label.
    QTRY_COMPARE_WITH_TIMEOUT(exchangeOpenOrders().size(), qsizetype(1), 10000);
    QCOMPARE(exchangeOpenOrders()[0].toObject()["label"].toString(), QString::number(onDeribit));
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[kSim].workingOrders == 1 &&
                                 snap().venues[kDeribit].workingOrders == 1,
                             5000);

    e.haltAll("multi-venue test");
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onDeribit), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(exchangeOpenOrders().size(), qsizetype(0), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[kSim].workingOrders == 0 &&
                                 snap().venues[kDeribit].workingOrders == 0,
                             5000);
    // Deribit's bulk cancel told its confirmation in its own row; the simulator's row is untouched.
    QVERIFY2(QString::fromStdString(snap().venues[kDeribit].detail).contains("cancel", Qt::CaseInsensitive),
             snap().venues[kDeribit].detail.c_str());
    QCOMPARE(QString(e.resume().c_str()), QString());
  }

  // risk.json's venue scope: a limit set for one venue counts that venue's orders only.
  void venueScopedLimits() {
    QVERIFY(simPerp_ != kNoInstrument);
    Engine& e = *engine_;
    e.changeRiskLimit("venues/deribit/max_open_orders=1", "test");
    const OrderId first = restingBuy(deribitPerp_);
    QVERIFY(first);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(first), OrderState::Open, 10000);
    // A second order on Deribit is refused by its venue's limit, naming the venue...
    OrderRequest r;
    r.instrument = deribitPerp_;
    r.side = Side::Buy;
    r.type = OrderType::Limit;
    r.price = e.call([&] { return e.orders().find(first)->request.price; }) - e.instruments()[deribitPerp_].tickSize;
    r.qty = e.instruments()[deribitPerp_].minQty * 10;
    const OrderId second = submitAndFind(r);
    QVERIFY(second);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(second), OrderState::Rejected, 5000);
    const QString why = QString::fromStdString(e.call([&] { return e.orders().find(second)->reason; }));
    QVERIFY2(why.startsWith("max_open_orders (venue deribit)"), qPrintable(why));
    // ...while the simulator's orders do not count against it.
    const OrderId onSim = restingBuy(simPerp_);
    QVERIFY(onSim);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Open, 10000);
    // The limits view lists the venue's scope with its use.
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(snap().limits.begin(), snap().limits.end(), [](const LimitUse& u) {
      return u.limit == Limit::MaxOpenOrders && u.scope == "venue deribit" && u.use == 1 && u.path == "venues/deribit";
    }), 5000);
    e.cancel(first);
    e.cancel(onSim);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(first), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Cancelled, 10000);
    e.changeRiskLimit("venues/deribit/max_open_orders=off", "test");
  }

  // The exchange goes away: Deribit's books turn stale and its row says disconnected, while the
  // simulator's book keeps moving and an order on it still works.
  void oneVenueDroppingDoesNotStallTheOther() {
    QVERIFY(simPerp_ != kNoInstrument);
    Engine& e = *engine_;
    exchange_.stop();
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[kDeribit].state != VenueState::Connected, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!e.call([&] { return e.marketData().book(deribitPerp_).live(); }), 10000);
    QVERIFY(e.call([&] { return e.marketData().book(simPerp_).live(); }));
    QCOMPARE(snap().venues[kSim].state, VenueState::Connected);
    const std::uint64_t changeBefore = e.call([&] { return e.marketData().book(simPerp_).changeId(); });
    QTRY_VERIFY_WITH_TIMEOUT(e.call([&] { return e.marketData().book(simPerp_).changeId(); }) > changeBefore, 10000);
    const OrderId onSim = restingBuy(simPerp_);
    QVERIFY(onSim);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onSim), OrderState::Open, 10000);
    // An order for the venue that is down is refused with a reason (its book is stale, the venue
    // not connected), not lost or sent elsewhere.
    const OrderId onDeribit = submitAndFind([&] {
      OrderRequest r;
      r.instrument = deribitPerp_;
      r.side = Side::Buy;
      r.type = OrderType::Limit;
      r.price = e.instruments()[deribitPerp_].tickSize * 1000;
      r.qty = e.instruments()[deribitPerp_].minQty * 10;
      return r;
    }());
    QVERIFY(onDeribit);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(onDeribit), OrderState::Rejected, 10000);
    const QString reason = QString::fromStdString(e.call([&] { return e.orders().find(onDeribit)->reason; }));
    QVERIFY2(!reason.isEmpty(), "refused without a reason");
  }
};

QTEST_GUILESS_MAIN(TestMultiVenue)
#include "tst_multi_venue.moc"
