// The running engine: its own thread, the simulated venue on another, commands posted in,
// snapshots pulled out. Halt takes effect at once, cancels every open order, refuses every later
// order whatever its origin, and lets cancels through.
#include <QtTest>
#include <thread>

#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;

namespace {
std::unique_ptr<Engine> makeEngine() {
  sim::SimConfig cfg;
  cfg.seed = 11;
  cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
  auto e = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
  e->start();
  return e;
}

InstrumentId perpOf(const Engine& e) { return e.instruments().find("BTC-PERPETUAL")->id; }

Price bestBid(Engine& e, InstrumentId id) {
  return e.call([&] {
    const Level* l = e.marketData().book(id).bestBid();
    return l ? l->price : Price(0);
  });
}

OrderState stateOf(Engine& e, OrderId id) {
  return e.call([&] { return e.orders().find(id)->state; });
}

OrderRequest restingBuy(Engine& e, InstrumentId id) {
  OrderRequest r;
  r.instrument = id;
  r.side = Side::Buy;
  r.price = bestBid(e, id) - 200 * e.instruments()[id].tickSize;  // far from the market: rests
  r.qty = toFixed(100);
  return r;
}
}  // namespace

class TestEngine : public QObject {
  Q_OBJECT
 private slots:
  void streamsSnapshots() {
    auto e = makeEngine();
    const InstrumentId perp = perpOf(*e);
    e->setFocus(perp);
    // (QTRY re-evaluates its expression, so take the snapshot without relying on take()'s result.)
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().focusedOn(perp) &&
                                                 e->snapshot().focusedOn(perp)->depth.bids.size() >= 20),
                             5000);
    const EngineSnapshot& s = e->snapshot();
    QCOMPARE(s.focused.size(), std::size_t(1));  // the local window's one
    const DepthView& depth = s.focusedOn(perp)->depth;
    QCOMPARE(depth.instrument, perp);
    QCOMPARE(depth.status, BookStatus::Live);
    QVERIFY(depth.asks.size() >= 20);
    QVERIFY(depth.bids.front().price < depth.asks.front().price);
    QCOMPARE(s.quotes.size(), e->instruments().size());
    QVERIFY(!s.focusedOn(perp)->candles.empty());
    QCOMPARE(s.venues.size(), std::size_t(1));
    QCOMPARE(s.venues[0].state, VenueState::Connected);
    const std::uint64_t seq = e->snapshot().seq;
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().seq > seq), 1000);  // keeps publishing
    QVERIFY(e->snapshot().eventsTotal > 0);
  }

  // The local window's instrument and the attached windows' (the server's union) are all in one
  // snapshot, each with its own book and only its own trades; a change of the served set takes
  // the dropped one out, and the local focus stays.
  void snapshotsCarryEveryFocusedInstrument() {
    auto e = makeEngine();
    const InstrumentId perp = perpOf(*e);
    const InstrumentId eth = e->instruments().find("ETH-PERPETUAL")->id;
    const Instrument* future = nullptr;
    for (const Instrument& inst : e->instruments().all())
      if (inst.kind == InstrumentKind::Future && inst.baseCurrency == "BTC") future = &inst;
    QVERIFY(future);
    e->setFocus(perp);
    e->setServedFocus({eth, future->id, perp});  // perp twice (local and served): carried once
    auto both = [&](const EngineSnapshot& s) {
      for (InstrumentId id : {perp, eth, future->id}) {
        const FocusedMarket* m = s.focusedOn(id);
        if (!m || m->depth.bids.empty() || m->depth.asks.empty()) return false;
      }
      return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), both(e->snapshot())), 5000);
    const EngineSnapshot& s = e->snapshot();
    QCOMPARE(s.focused.size(), std::size_t(3));
    for (const FocusedMarket& m : s.focused) {
      QCOMPARE(m.depth.status, BookStatus::Live);
      QVERIFY(m.depth.bids.front().price < m.depth.asks.front().price);
      for (const TradePrint& t : m.trades) QCOMPARE(t.instrument, m.depth.instrument);
    }
    // The two perpetuals' books are their own (ETH trades far below BTC).
    QVERIFY(s.focusedOn(eth)->depth.bids.front().price < s.focusedOn(perp)->depth.bids.front().price / 5);
    // ETH lets go: out of the next snapshots; the local focus stays whatever the server says.
    e->setServedFocus({future->id});
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), !e->snapshot().focusedOn(eth)), 2000);
    QVERIFY(e->snapshot().focusedOn(perp) && e->snapshot().focusedOn(future->id));
    // More than the served slots: the first kMaxServedFocus are carried, never more in all.
    std::vector<InstrumentId> many;
    for (const Instrument& inst : e->instruments().all())
      if (inst.id != perp && many.size() < Engine::kMaxServedFocus + 3) many.push_back(inst.id);
    e->setServedFocus(many);
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().focused.size() == kMaxFocusedInstruments), 2000);
    QVERIFY(e->snapshot().focusedOn(perp));
    QVERIFY(e->snapshot().focusedOn(many[Engine::kMaxServedFocus - 1]));
    QVERIFY(!e->snapshot().focusedOn(many[Engine::kMaxServedFocus]));
  }

  // A stalled engine thread (a slow callback, a starved CPU) must come back to the present: the
  // venue's batches conflate while it is busy and the next drain works on the newest state; the
  // lag reading measures now, not a backlog being worked off.
  void marketDataCatchesUpAfterAStall() {
    auto e = makeEngine();
    const InstrumentId perp = perpOf(*e);
    e->setFocus(perp);
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().eventsTotal > 2000), 5000);
    for (int stall = 0; stall < 3; ++stall) {
      const std::uint64_t before = (e->takeSnapshot(), e->snapshot().eventsTotal);
      e->call([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        return 0;
      });
      // Everything the venue sent meanwhile was applied, and the lag is back under 250 ms quickly.
      QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().eventsTotal > before + 1000), 3000);
      QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().venueLagMs < 250), 3000);
      QVERIFY(e->snapshot().focusedOn(perp));
      QCOMPARE(e->snapshot().focusedOn(perp)->depth.status, BookStatus::Live);
    }
    // Three stalls did not leave a growing offset behind (the market's clock did not fall behind).
    QVERIFY2(e->snapshot().venueLagMs < 250, qPrintable(QString::number(e->snapshot().venueLagMs)));
  }

  void orderLifecycleThroughSimulatedVenue() {
    auto e = makeEngine();
    const InstrumentId perp = perpOf(*e);
    QTRY_VERIFY_WITH_TIMEOUT(bestBid(*e, perp) > 0, 5000);
    e->submit(restingBuy(*e, perp));
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(1), 3000);
    const OrderId id = e->call([&] { return e->orders().working().front(); });
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*e, id), OrderState::Open, 3000);
    e->cancel(id);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*e, id), OrderState::Cancelled, 3000);
    // A marketable order fills and makes a position.
    OrderRequest mkt;
    mkt.instrument = perp;
    mkt.side = Side::Buy;
    mkt.type = OrderType::Market;
    mkt.qty = toFixed(500);
    e->submit(mkt);
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->orders().positions()[perp].qty; }) == 500.0, 3000);
    QVERIFY(e->call([&] { return e->orders().positions()[perp].fees; }) > 0);
  }

  void haltCancelsEverythingAndRefusesLaterOrders() {
    auto e = makeEngine();
    const InstrumentId perp = perpOf(*e);
    QTRY_VERIFY_WITH_TIMEOUT(bestBid(*e, perp) > 0, 5000);
    for (int i = 0; i < 5; ++i) {  // five different orders: identical ones would be refused as duplicates
      OrderRequest r = restingBuy(*e, perp);
      r.qty += toFixed(10) * i;
      e->submit(r);
    }
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] {
      std::size_t open = 0;
      for (const Order& o : e->orders().orders()) open += o.state == OrderState::Open;
      return open;
    }), std::size_t(5), 3000);

    // A burst of orders from another thread while the halt lands.
    std::atomic<bool> go{true};
    std::thread burst([&] {
      while (go) {
        e->submit(restingBuy(*e, perp));
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
    QTest::qWait(50);
    e->haltAll("test halt");
    const Nanos haltAt = e->now();  // the flag is already set: every gate check from now refuses
    QVERIFY(e->halted());
    QTest::qWait(100);
    go = false;
    burst.join();

    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->orders().working().empty(); }), 3000);
    const auto check = e->call([&] {
      int acceptedAfterHalt = 0, rejectedAfterHalt = 0, cancelled = 0;
      for (const Order& o : e->orders().orders()) {
        if (o.created > haltAt) (o.state == OrderState::Rejected ? rejectedAfterHalt : acceptedAfterHalt)++;
        if (o.state == OrderState::Cancelled) ++cancelled;
        if (o.created > haltAt && o.state == OrderState::Rejected && o.reason.find("HALTED") == std::string::npos)
          ++acceptedAfterHalt;
      }
      return std::tuple{acceptedAfterHalt, rejectedAfterHalt, cancelled};
    });
    QCOMPARE(std::get<0>(check), 0);   // nothing accepted after the halt
    QVERIFY(std::get<1>(check) > 0);   // the burst kept trying and was refused
    QVERIFY(std::get<2>(check) >= 5);  // every open order cancelled
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().halted), 1000);
    QCOMPARE(e->snapshot().haltReason, std::string("test halt"));

    e->resume();
    QVERIFY(!e->halted());
    e->submit(restingBuy(*e, perp));
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(1), 3000);
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
