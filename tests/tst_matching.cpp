// The simulated exchange's matching: price-time priority, partial fills, IOC, post-only, market
// orders, cancel/replace priority rules, and the fees it charges the user's fills.
#include <QtTest>

#include "sim/MatchingBook.hpp"
#include "sim/SimExchange.hpp"

using namespace kappa;
using namespace kappa::sim;

namespace {
struct Recorder : MatchSink {
  struct FillRec { int makerOwner; int takerOwner; Price price; Qty qty; };
  std::vector<FillRec> fills;
  std::vector<std::tuple<Side, Price, Qty>> levels;
  void onFill(const SimOrder& maker, const SimOrder& taker, Price price, Qty qty) override {
    fills.push_back({maker.owner, taker.owner, price, qty});
  }
  void onLevel(Side side, Price price, Qty total, bool) override { levels.emplace_back(side, price, total); }
};
Price px(double p) { return toFixed(p); }
Qty q(double v) { return toFixed(v); }
MatchingBook::NewOrder limit(int owner, Side side, double price, double qty) {
  return {owner, 0, side, px(price), q(qty), false, false, false};
}
}  // namespace

class TestMatching : public QObject {
  Q_OBJECT
 private slots:
  void priceTimePriority() {
    Recorder r;
    MatchingBook book(r);
    book.add(limit(1, Side::Sell, 101, 5));
    book.add(limit(2, Side::Sell, 100, 5));  // better price, later
    book.add(limit(3, Side::Sell, 100, 5));  // same price, later still
    const auto res = book.add(limit(9, Side::Buy, 101, 12));
    QCOMPARE(res.outcome, AddOutcome::Filled);
    QCOMPARE(r.fills.size(), std::size_t(3));
    QCOMPARE(r.fills[0].makerOwner, 2);  // best price first
    QCOMPARE(r.fills[1].makerOwner, 3);  // then time at that price
    QCOMPARE(r.fills[2].makerOwner, 1);
    QCOMPARE(r.fills[2].qty, q(2));
    QCOMPARE(r.fills[2].price, px(101));  // at the maker's price
    QCOMPARE(book.levelQty(Side::Sell, px(101)), q(3));
    QCOMPARE(book.bestAsk(), px(101));
  }

  void partialFillRestsRemainder() {
    Recorder r;
    MatchingBook book(r);
    book.add(limit(1, Side::Sell, 100, 3));
    const auto res = book.add(limit(2, Side::Buy, 100.5, 10));
    QCOMPARE(res.outcome, AddOutcome::PartiallyFilledRested);
    QCOMPARE(res.filled, q(3));
    QCOMPARE(res.remaining, q(7));
    QCOMPARE(book.bestBid(), px(100.5));
    QCOMPARE(book.levelQty(Side::Buy, px(100.5)), q(7));
    QCOMPARE(book.bestAsk(), Price(0));
  }

  void iocCancelsRemainder() {
    Recorder r;
    MatchingBook book(r);
    book.add(limit(1, Side::Buy, 99, 4));
    MatchingBook::NewOrder ioc = limit(2, Side::Sell, 99, 10);
    ioc.ioc = true;
    const auto res = book.add(ioc);
    QCOMPARE(res.outcome, AddOutcome::RemainderCancelled);
    QCOMPARE(res.filled, q(4));
    QCOMPARE(res.remaining, q(6));
    QCOMPARE(book.bestAsk(), Price(0));  // nothing rested
    QCOMPARE(book.orderCount(), std::size_t(0));
  }

  void postOnlyNeverTakes() {
    Recorder r;
    MatchingBook book(r);
    book.add(limit(1, Side::Sell, 100, 1));
    MatchingBook::NewOrder po = limit(2, Side::Buy, 100, 1);
    po.postOnly = true;
    QCOMPARE(book.add(po).outcome, AddOutcome::PostOnlyRejected);
    QVERIFY(r.fills.empty());
    po.price = px(99.5);
    QCOMPARE(book.add(po).outcome, AddOutcome::Rested);
    QCOMPARE(book.bestBid(), px(99.5));
  }

  void marketOrderSweepsLevels() {
    Recorder r;
    MatchingBook book(r);
    MatchingBook::NewOrder mkt{9, 0, Side::Buy, 0, q(5), true, true, false};
    QCOMPARE(book.add(mkt).outcome, AddOutcome::NoLiquidity);
    book.add(limit(1, Side::Sell, 100, 2));
    book.add(limit(2, Side::Sell, 101, 2));
    book.add(limit(3, Side::Sell, 105, 2));
    const auto res = book.add(mkt);
    QCOMPARE(res.filled, q(5));
    QCOMPARE(r.fills.back().price, px(105));
    QCOMPARE(book.levelQty(Side::Sell, px(105)), q(1));
  }

  void cancelAndModifyPriority() {
    Recorder r;
    MatchingBook book(r);
    const auto a = book.add(limit(1, Side::Buy, 100, 5));
    const auto b = book.add(limit(2, Side::Buy, 100, 5));
    QVERIFY(book.cancel(a.id + 1000) == false);
    // Decreasing size keeps A first in the queue.
    MatchingBook::Result mr;
    QVERIFY(book.modify(a.id, px(100), q(3), &mr));
    QCOMPARE(mr.id, a.id);
    book.add(limit(9, Side::Sell, 100, 1));
    QCOMPARE(r.fills.back().makerOwner, 1);
    // Increasing size sends A behind B.
    QVERIFY(book.modify(a.id, px(100), q(6), &mr));
    book.add(limit(9, Side::Sell, 100, 1));
    QCOMPARE(r.fills.back().makerOwner, 2);
    // A price change loses priority too, and may trade.
    QVERIFY(book.modify(b.id, px(101), q(4), &mr));
    QCOMPARE(book.bestBid(), px(101));
    QVERIFY(book.cancel(mr.id));
    QCOMPARE(book.bestBid(), px(100));
    QCOMPARE(book.levelQty(Side::Buy, px(100)), q(6));
  }

  void userFillsCarryDeribitFees() {
    SimConfig cfg;
    cfg.seed = 3;
    SimExchange ex(cfg);
    ex.start();
    ex.output().clear();
    const Instrument& perp = *ex.instruments().find("BTC-PERPETUAL");
    // Take 1,000 USD of the perpetual: taker fee 0.05% of the notional, paid in BTC.
    OrderRequest buy;
    buy.instrument = perp.id;
    buy.side = Side::Buy;
    buy.type = OrderType::Market;
    buy.qty = toFixed(1000);
    ex.submit(1, buy);
    double qtyFilled = 0, fee = 0, expected = 0;
    bool acked = false;
    for (const ExecReport& e : ex.output().exec) {
      if (e.orderId != 1) continue;
      if (e.type == ExecType::Ack) acked = true;
      if (e.type == ExecType::Fill) {
        QVERIFY(!e.maker);
        qtyFilled += toDouble(e.qty);
        fee += e.fee;
        expected += 0.0005 * toDouble(e.qty) / toDouble(e.price);
      }
    }
    QVERIFY(acked);
    QCOMPARE(qtyFilled, 1000.0);
    QVERIFY(std::abs(fee - expected) < 1e-15);
    QVERIFY(fee > 0);

    // Options: 0.03% of the underlying per contract (0.0003 BTC), capped at 12.5% of the premium.
    // Take one option where the cap binds (premium < 0.0024 BTC) and one where it does not.
    bool capped = false, uncapped = false;
    for (const Instrument& i : ex.instruments().all()) {
      if (!i.isOption() || (capped && uncapped)) continue;
      ex.output().clear();
      OrderRequest r;
      r.instrument = i.id;
      r.side = Side::Buy;
      r.type = OrderType::Market;
      r.qty = toFixed(0.5);
      ex.submit(1000 + i.id, r);
      for (const ExecReport& e : ex.output().exec) {
        if (e.type != ExecType::Fill) continue;
        const double premium = toDouble(e.price);
        const bool binds = 0.125 * premium < 0.0003;
        if ((binds && capped) || (!binds && uncapped)) continue;
        QVERIFY(std::abs(e.fee - (binds ? 0.125 * premium : 0.0003) * toDouble(e.qty)) < 1e-15);
        (binds ? capped : uncapped) = true;
      }
    }
    QVERIFY(capped);
    QVERIFY(uncapped);
  }

  void replaceKeepsPostOnly() {
    SimExchange ex(SimConfig{});
    ex.start();
    const Instrument& perp = *ex.instruments().find("BTC-PERPETUAL");
    // Find the inside market from the snapshot.
    Price bestAsk = 0, bestBid = 0;
    for (const MdEvent& e : ex.output().md)
      if (e.type == MdType::BookLevel && e.instrument == perp.id) {
        if (e.side == Side::Sell && (!bestAsk || e.price < bestAsk)) bestAsk = e.price;
        if (e.side == Side::Buy && e.price > bestBid) bestBid = e.price;
      }
    QVERIFY(bestAsk > bestBid && bestBid > 0);
    ex.output().clear();
    OrderRequest r;
    r.instrument = perp.id;
    r.side = Side::Buy;
    r.postOnly = true;
    r.price = bestBid - 10 * perp.tickSize;
    r.qty = toFixed(100);
    ex.submit(5, r);
    QCOMPARE(ex.output().exec.front().type, ExecType::Ack);
    QVERIFY(ex.output().exec.front().venueOrderId != 0);
    ex.output().clear();
    ex.replace(5, bestAsk, toFixed(100));  // would cross: a post-only order never takes
    QCOMPARE(ex.output().exec.size(), std::size_t(1));
    QCOMPARE(ex.output().exec.back().type, ExecType::CancelReject);
    QVERIFY(QString::fromStdString(ex.output().exec.back().reason).contains("post-only"));
    ex.replace(5, bestBid - 2 * perp.tickSize, toFixed(100));  // still passive: allowed
    QCOMPARE(ex.output().exec.back().type, ExecType::Replaced);
  }

  void userRejectsCarryReasons() {
    SimExchange ex(SimConfig{});
    ex.start();
    ex.output().clear();
    const Instrument& perp = *ex.instruments().find("BTC-PERPETUAL");
    OrderRequest r;
    r.instrument = perp.id;
    r.side = Side::Buy;
    r.price = toFixed(50000.3);  // off the 0.5 tick
    r.qty = toFixed(10);
    ex.submit(1, r);
    QCOMPARE(ex.output().exec.back().type, ExecType::Reject);
    QVERIFY(QString::fromStdString(ex.output().exec.back().reason).contains("tick"));
    ex.cancel(42);
    QCOMPARE(ex.output().exec.back().type, ExecType::CancelReject);
  }
};

QTEST_GUILESS_MAIN(TestMatching)
#include "tst_matching.moc"
