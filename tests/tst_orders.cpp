// Orders: the state machine (including refused transitions), the risk gate's checks with their
// reasons, order management against a venue, and positions/PnL for inverse and linear contracts.
#include <QtTest>

#include "RecordingVenue.hpp"
#include "oms/OrderManager.hpp"

using namespace kappa;

namespace {
using FakeVenue = test::RecordingVenue;

struct Fixture {
  InstrumentRegistry reg;
  HaltSwitch halt;
  RiskGate gate{reg, halt};
  FakeVenue venue;
  InstrumentId perp, option, index;
  std::unique_ptr<OrderManager> oms;
  Fixture() {
    Instrument idx;
    idx.name = "btc_usd";
    idx.kind = InstrumentKind::Index;
    idx.tradable = false;
    index = reg.add(idx);
    Instrument p;
    p.name = "BTC-PERPETUAL";
    p.kind = InstrumentKind::Perpetual;
    p.settlement = Settlement::Inverse;
    p.tickSize = toFixed(0.5);
    p.minQty = toFixed(10);
    p.maxQty = toFixed(1'000'000);
    perp = reg.add(p);
    Instrument o;
    o.name = "BTC-27DEC26-70000-C";
    o.kind = InstrumentKind::Option;
    o.optionType = OptionType::Call;
    o.settlement = Settlement::Inverse;
    o.contractSize = 1;
    o.tickSize = toFixed(0.0005);
    o.minQty = toFixed(0.1);
    o.maxQty = toFixed(1000);
    option = reg.add(o);
    oms = std::make_unique<OrderManager>(reg, gate);
    oms->setVenue(&venue);
  }
  OrderRequest limit(InstrumentId id, Side side, double price, double qty) {
    OrderRequest r;
    r.instrument = id;
    r.side = side;
    r.price = toFixed(price);
    r.qty = toFixed(qty);
    return r;
  }
  ExecReport exec(OrderId id, ExecType type, double price = 0, double qty = 0, double leaves = 0, double fee = 0) {
    ExecReport e;
    e.orderId = id;
    e.type = type;
    e.price = toFixed(price);
    e.qty = toFixed(qty);
    e.leaves = toFixed(leaves);
    e.fee = fee;
    return e;
  }
};
}  // namespace

class TestOrders : public QObject {
  Q_OBJECT
 private slots:
  void reducingPassesOnlyOrdersThatReduce() {
    Fixture f;
    // Long 30 USD-contracts... of the perpetual: 3 lots of 10.
    const OrderId buy = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 30), 0);
    f.oms->onExecution(f.exec(buy, ExecType::Ack));
    f.oms->onExecution(f.exec(buy, ExecType::Fill, 50000, 30, 0));
    QCOMPARE(f.oms->positions()[f.perp].qty, 30.0);
    f.halt.reduceOnly();
    QCOMPARE(f.halt.state(), TradingState::Reducing);
    auto state = [&](OrderId id) { return f.oms->find(id)->state; };
    // Adding to the position: refused, with the reason.
    const OrderId more = f.oms->submit(f.limit(f.perp, Side::Buy, 49990, 10), 0);
    QCOMPARE(state(more), OrderState::Rejected);
    QVERIFY2(f.oms->find(more)->reason.find("would not reduce a position") != std::string::npos, f.oms->find(more)->reason.c_str());
    // Reducing: 20 passes; another 20 with it working would flip the 30 long: refused; 10 passes.
    const OrderId sell20 = f.oms->submit(f.limit(f.perp, Side::Sell, 50010, 20), 0);
    QVERIFY2(state(sell20) == OrderState::PendingNew, f.oms->find(sell20)->reason.c_str());
    const OrderId sell20b = f.oms->submit(f.limit(f.perp, Side::Sell, 50010, 20), 0);
    QCOMPARE(state(sell20b), OrderState::Rejected);
    QVERIFY2(f.oms->find(sell20b)->reason.find("would flip") != std::string::npos, f.oms->find(sell20b)->reason.c_str());
    const OrderId sell10 = f.oms->submit(f.limit(f.perp, Side::Sell, 50010, 10), 0);
    QCOMPARE(state(sell10), OrderState::PendingNew);
    // A flat instrument takes nothing; cancels always pass.
    QCOMPARE(state(f.oms->submit(f.limit(f.option, Side::Buy, 0.05, 1), 0)), OrderState::Rejected);
    QVERIFY(f.oms->cancel(sell20, 0));
    // Back to ACTIVE: anything valid passes again.
    f.halt.resume();
    QCOMPARE(f.halt.state(), TradingState::Active);
    QCOMPARE(state(f.oms->submit(f.limit(f.option, Side::Buy, 0.05, 1), 0)), OrderState::PendingNew);
  }

  void stateMachineTable() {
    using S = OrderState;
    const S all[] = {S::PendingNew, S::Open, S::PartiallyFilled, S::Filled, S::Cancelled, S::Rejected};
    auto allowed = [](S from, S to) {
      switch (from) {
        case S::PendingNew: return to != S::PendingNew;
        case S::Open:  // Rejected: an on-chain swap acknowledged when sent, reverted in its block
          return to == S::Open || to == S::PartiallyFilled || to == S::Filled || to == S::Cancelled || to == S::Rejected;
        case S::PartiallyFilled: return to == S::PartiallyFilled || to == S::Filled || to == S::Cancelled;
        default: return false;
      }
    };
    int refused = 0;
    for (S from : all)
      for (S to : all) {
        QCOMPARE(canTransition(from, to), allowed(from, to));
        refused += allowed(from, to) ? 0 : 1;
      }
    QCOMPARE(refused, 36 - 5 - 5 - 3);
    Order o;
    QVERIFY(o.transition(S::Open));
    QVERIFY(!o.transition(S::PendingNew));
    QVERIFY(!o.transition(S::PendingNew));
    QVERIFY(o.transition(S::PartiallyFilled));
    QVERIFY(!o.transition(S::Rejected));  // a partly filled order can no longer be rejected
    QVERIFY(o.transition(S::Filled));
    QVERIFY(!o.transition(S::Cancelled));
    QCOMPARE(o.state, S::Filled);
  }

  void lifecycleThroughVenue() {
    Fixture f;
    const OrderId id = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 100), 1);
    QCOMPARE(f.venue.submitted.size(), std::size_t(1));
    QCOMPARE(f.oms->find(id)->state, OrderState::PendingNew);
    f.oms->onExecution(f.exec(id, ExecType::Ack, 50000, 100, 100));
    QCOMPARE(f.oms->find(id)->state, OrderState::Open);
    f.oms->onExecution(f.exec(id, ExecType::Fill, 50000, 30, 70, 0.0));
    QCOMPARE(f.oms->find(id)->state, OrderState::PartiallyFilled);
    QCOMPARE(f.oms->find(id)->filled, toFixed(30));
    // A replace names the new total (100, of which 30 filled); the venue is asked for what remains.
    QVERIFY(f.oms->replace(id, toFixed(49990), toFixed(100), 2));
    QCOMPARE(f.venue.replaced.size(), std::size_t(1));
    QCOMPARE(std::get<2>(f.venue.replaced[0]), toFixed(70));
    f.oms->onExecution(f.exec(id, ExecType::Replaced, 49990, 70, 70));
    QCOMPARE(f.oms->find(id)->request.price, toFixed(49990));
    QCOMPARE(f.oms->find(id)->request.qty, toFixed(100));
    f.oms->onExecution(f.exec(id, ExecType::Fill, 49990, 70, 0, 0.0));
    QCOMPARE(f.oms->find(id)->state, OrderState::Filled);
    QVERIFY(f.oms->working().empty());
    // A late cancel confirmation for a filled order is refused and counted, the order stays filled.
    f.oms->onExecution(f.exec(id, ExecType::Cancelled));
    QCOMPARE(f.oms->find(id)->state, OrderState::Filled);
    QCOMPARE(f.oms->refusedTransitions(), std::uint64_t(1));
    std::string why;
    QVERIFY(!f.oms->cancel(id, 3, &why));
    QCOMPARE(why, std::string("order is filled"));
    QCOMPARE(f.oms->find(id)->avgFillPrice, (50000.0 * 30 + 49990.0 * 70) / 100.0);
  }

  void venueRejectAndCancel() {
    Fixture f;
    const OrderId a = f.oms->submit(f.limit(f.option, Side::Sell, 0.05, 1), 1);
    f.oms->onExecution([&] { auto e = f.exec(a, ExecType::Reject); e.reason = "post-only order would take liquidity"; return e; }());
    QCOMPARE(f.oms->find(a)->state, OrderState::Rejected);
    QCOMPARE(f.oms->lastReject(), std::string("post-only order would take liquidity"));
    const OrderId b = f.oms->submit(f.limit(f.option, Side::Sell, 0.05, 1), 2);
    f.oms->onExecution(f.exec(b, ExecType::Ack));
    QCOMPARE(f.oms->cancelAll(3), std::size_t(1));
    QCOMPARE(f.venue.cancelled, std::vector<OrderId>{b});
    f.oms->onExecution(f.exec(b, ExecType::Cancelled));
    QCOMPARE(f.oms->find(b)->state, OrderState::Cancelled);
    QVERIFY(f.oms->working().empty());
  }

  void riskGateRefusesWithReasons_data() {
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<int>("code");
    QTest::newRow("zero qty") << 0 << "greater than 0" << int(RejectCode::QtyNotPositive);
    QTest::newRow("below min") << 1 << "below the minimum" << int(RejectCode::QtyBelowMinimum);
    QTest::newRow("not a lot multiple") << 2 << "multiple of 10" << int(RejectCode::QtyNotMultiple);
    QTest::newRow("above max") << 3 << "above the maximum" << int(RejectCode::QtyAboveMaximum);
    QTest::newRow("off tick") << 4 << "not on the tick 0.5" << int(RejectCode::PriceOffTick);
    QTest::newRow("zero price") << 5 << "price must be greater" << int(RejectCode::PriceNotPositive);
    QTest::newRow("index") << 6 << "not tradable" << int(RejectCode::NotTradable);
    QTest::newRow("halted") << 7 << "HALTED" << int(RejectCode::Halted);
    QTest::newRow("option off tick") << 8 << "not on the tick 0.0005" << int(RejectCode::PriceOffTick);
    QTest::newRow("expired") << 9 << "expired" << int(RejectCode::Expired);
  }
  void riskGateRefusesWithReasons() {
    QFETCH(int, which);
    QFETCH(QString, expect);
    QFETCH(int, code);
    Fixture f;
    OrderRequest r = f.limit(f.perp, Side::Buy, 50000, 100);
    switch (which) {
      case 0: r.qty = 0; break;
      case 1: r.qty = toFixed(5); break;
      case 2: r.qty = toFixed(15 + 10); break;
      case 3: r.qty = toFixed(2'000'000); break;
      case 4: r.price = toFixed(50000.3); break;
      case 5: r.price = 0; break;
      case 6: r.instrument = f.index; break;
      case 7: f.halt.halt(); break;
      case 8: r = f.limit(f.option, Side::Buy, 0.0512, 1); break;
      case 9: {
        r = f.limit(f.option, Side::Buy, 0.05, 1);
        const_cast<Instrument&>(f.reg[f.option]).expiry = 100;  // expired before "now" below
        break;
      }
    }
    const RiskDecision d = f.gate.check(r, 1000, *f.oms);
    QCOMPARE(int(d.code), code);
    QVERIFY2(QString::fromStdString(d.reason).contains(expect), d.reason.c_str());
    const OrderId id = f.oms->submit(r, 1000);
    QCOMPARE(f.oms->find(id)->state, OrderState::Rejected);
    QVERIFY(f.venue.submitted.empty());  // nothing reaches the venue
  }

  void haltLetsCancelsThrough() {
    Fixture f;
    const OrderId id = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 100), 1);
    f.oms->onExecution(f.exec(id, ExecType::Ack));
    f.halt.halt();
    QVERIFY(f.oms->cancel(id, 2));
    QCOMPARE(f.venue.cancelled.size(), std::size_t(1));
    std::string why;
    QVERIFY(!f.oms->replace(id, toFixed(49000), toFixed(100), 3, &why));  // a replace is a new order decision
    QVERIFY(QString::fromStdString(why).contains("HALTED"));
  }

  // HALT stops strategies (which cancel their orders), cancels everything and a trader clicks too,
  // all in one millisecond: the venue must see one cancel per order, not three.
  void oneCancelRequestPerOrder() {
    Fixture f;
    const OrderId a = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 100), 1);
    const OrderId b = f.oms->submit(f.limit(f.perp, Side::Buy, 49990, 100), 1);
    f.oms->onExecution(f.exec(a, ExecType::Ack));
    f.oms->onExecution(f.exec(b, ExecType::Ack));
    QVERIFY(f.oms->cancel(a, 2));
    QVERIFY(f.oms->cancel(a, 2));  // asked again: fine, nothing sent
    QCOMPARE(f.oms->cancelAll(2), std::size_t(1));  // only b was not yet asked for
    QCOMPARE(f.oms->cancelAll(3), std::size_t(0));
    QCOMPARE(f.venue.cancelled, (std::vector<OrderId>{a, b}));
    // Unanswered for longer than kCancelResendAfter: sent again once.
    QCOMPARE(f.oms->cancelAll(3 + kCancelResendAfter), std::size_t(2));
    QCOMPARE(f.venue.cancelled.size(), std::size_t(4));
    // A refused cancel can be asked for again at once.
    f.oms->onExecution([&] { auto e = f.exec(a, ExecType::CancelReject); e.reason = "too late"; return e; }());
    QVERIFY(f.oms->cancel(a, 4 + kCancelResendAfter));
    QCOMPARE(f.venue.cancelled.size(), std::size_t(5));
  }

  void inversePerpetualPnl() {
    Fixture f;
    const Instrument& inst = f.reg[f.perp];
    Position p;
    p.applyFill(inst, Side::Buy, 1000, 50000, 0.00001);
    p.applyFill(inst, Side::Buy, 1000, 40000, 0.00001);
    // Inverse average entry is the harmonic mean.
    QVERIFY(std::abs(p.averagePrice(inst) - 2000.0 / (1000.0 / 50000 + 1000.0 / 40000)) < 1e-6);
    // Unrealized in BTC at 45000: sum q*(1/entry - 1/mark).
    const double u = 1000 * (1.0 / 50000 - 1.0 / 45000) + 1000 * (1.0 / 40000 - 1.0 / 45000);
    QVERIFY(std::abs(p.unrealizedPnl(inst, 45000) - u) < 1e-12);
    p.applyFill(inst, Side::Sell, 2000, 55000, 0.00002);
    QCOMPARE(p.qty, 0.0);
    const double r = 1000 * (1.0 / 50000 - 1.0 / 55000) + 1000 * (1.0 / 40000 - 1.0 / 55000);
    QVERIFY(std::abs(p.realizedPnl - r) < 1e-12);
    QVERIFY(std::abs(p.fees - 0.00004) < 1e-15);
  }

  void optionPnlAndFlip() {
    Fixture f;
    const Instrument& inst = f.reg[f.option];
    Position p;
    p.applyFill(inst, Side::Buy, 2, 0.05, 0);
    p.applyFill(inst, Side::Sell, 1, 0.07, 0);
    QVERIFY(std::abs(p.realizedPnl - 0.02) < 1e-12);
    QCOMPARE(p.qty, 1.0);
    QVERIFY(std::abs(p.averagePrice(inst) - 0.05) < 1e-12);
    QVERIFY(std::abs(p.unrealizedPnl(inst, 0.06) - 0.01) < 1e-12);
    p.applyFill(inst, Side::Sell, 3, 0.04, 0);  // through zero: closes 1, opens short 2 at 0.04
    QVERIFY(std::abs(p.realizedPnl - (0.02 - 0.01)) < 1e-12);
    QCOMPARE(p.qty, -2.0);
    QVERIFY(std::abs(p.averagePrice(inst) - 0.04) < 1e-12);
    QVERIFY(std::abs(p.unrealizedPnl(inst, 0.03) - 0.02) < 1e-12);
  }

  void lateFillIsBookedAndFlagged() {
    Fixture f;
    const OrderId id = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 100), 1);
    f.oms->onExecution(f.exec(id, ExecType::Ack));
    f.oms->onExecution(f.exec(id, ExecType::Cancelled));
    // The venue had filled it before our cancel: the fill still happened and must be in the position.
    f.oms->onExecution(f.exec(id, ExecType::Fill, 50000, 100, 0));
    QCOMPARE(f.oms->positions()[f.perp].qty, 100.0);
    QCOMPARE(f.oms->fillAnomalies(), std::uint64_t(1));
    QCOMPARE(f.oms->find(id)->state, OrderState::Cancelled);
    QVERIFY(QString::fromStdString(f.oms->find(id)->reason).contains("booked"));
  }

  void idsStopAtTheLastOneNeverWrap() {
    // Ids are stored as signed 64-bit integers: the last one is INT64_MAX. Continuing after one
    // just below it, one order gets it; after that nothing is made, and nothing wraps to reuse.
    Fixture f;
    f.oms->continueIdsAfter(OrderManager::kMaxOrderId - 1);
    QVERIFY(!f.oms->idsExhausted());
    const OrderId last = f.oms->submit(f.limit(f.perp, Side::Buy, 50000, 100), 1);
    QCOMPARE(last, OrderManager::kMaxOrderId);
    QVERIFY(f.oms->idsExhausted());
    QCOMPARE(f.oms->submit(f.limit(f.perp, Side::Buy, 49000, 100), 2), OrderId(0));
    QVERIFY(QString::fromStdString(f.oms->lastReject()).contains("order ids exhausted"));
    QCOMPARE(f.oms->orders().size(), std::size_t(1));
    QCOMPARE(f.venue.submitted.size(), std::size_t(1));
    // A journal whose last id is the maximum (or beyond it): none left at all.
    Fixture g;
    g.oms->continueIdsAfter(OrderManager::kMaxOrderId);
    QVERIFY(g.oms->idsExhausted());
    QCOMPARE(g.oms->submit(g.limit(g.perp, Side::Buy, 50000, 100), 1), OrderId(0));
    QVERIFY(g.oms->orders().empty());
    QVERIFY(g.venue.submitted.empty());
  }

  void fillsUpdatePositionsThroughOms() {
    Fixture f;
    const OrderId id = f.oms->submit(f.limit(f.option, Side::Buy, 0.05, 2), 1);
    f.oms->onExecution(f.exec(id, ExecType::Ack));
    f.oms->onExecution(f.exec(id, ExecType::Fill, 0.05, 2, 0, 0.0006));
    const Position& p = f.oms->positions()[f.option];
    QCOMPARE(p.qty, 2.0);
    QCOMPARE(p.fees, 0.0006);
    QCOMPARE(f.oms->fillsTotal(), std::uint64_t(1));
    QCOMPARE(f.oms->recentFills().back().orderId, id);
  }
};

QTEST_GUILESS_MAIN(TestOrders)
#include "tst_orders.moc"
