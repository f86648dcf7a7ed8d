// L2 book: the real Deribit recording replayed through the engine's market-data path must give the
// best bid/ask that Deribit's own ticker messages report; gaps, crosses and garbage mark the book
// stale (and ask for a snapshot) without crashing.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <map>
#include <random>

#include "book/MarketData.hpp"
#include "TestPaths.hpp"

using namespace kappa;

namespace {

struct Recording {
  InstrumentRegistry instruments;
  struct BookMsg {
    InstrumentId id;
    bool snapshot;
    std::uint64_t changeId, prevChangeId;
    Nanos ts;
    std::vector<MdEvent> levels;
  };
  struct Ticker {
    InstrumentId id;
    Nanos ts;
    Price bid, ask;
  };
  std::vector<BookMsg> books;
  std::vector<Ticker> tickers;
};

InstrumentId ensureInstrument(InstrumentRegistry& reg, const QString& name) {
  if (const Instrument* i = reg.find(name.toStdString())) return i->id;
  Instrument inst;
  inst.name = name.toStdString();
  inst.kind = InstrumentKind::Option;
  inst.tickSize = toFixed(0.0005);
  inst.minQty = toFixed(0.1);
  return reg.add(inst);
}

Recording loadRecording() {
  Recording rec;
  QFile f(kappa::test::testDataDir() + "/deribit_ws_options_20210722.jsonl");
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open the Deribit recording");
  while (!f.atEnd()) {
    const QJsonObject msg = QJsonDocument::fromJson(f.readLine()).object()["msg"].toObject();
    const QJsonObject params = msg["params"].toObject();
    const QString channel = params["channel"].toString();
    if (channel.isEmpty()) continue;
    const QJsonObject d = params["data"].toObject();
    const QString kind = channel.section('.', 0, 0);
    const InstrumentId id = ensureInstrument(rec.instruments, channel.section('.', 1, 1));
    const Nanos ts = Nanos(d["timestamp"].toDouble()) * 1'000'000;
    if (kind == "book") {
      Recording::BookMsg b{id, d["type"].toString() == "snapshot", std::uint64_t(d["change_id"].toInteger()),
                           std::uint64_t(d["prev_change_id"].toInteger()), ts, {}};
      for (const char* sideName : {"bids", "asks"}) {
        for (const QJsonValue& lv : d[sideName].toArray()) {
          const QJsonArray a = lv.toArray();
          MdEvent e;
          e.type = MdType::BookLevel;
          e.instrument = id;
          e.side = std::string(sideName) == "bids" ? Side::Buy : Side::Sell;
          const QString act = a[0].toString();
          e.action = act == "new" ? LevelAction::New : act == "change" ? LevelAction::Change : LevelAction::Delete;
          e.price = toFixed(a[1].toDouble());
          e.qty = toFixed(a[2].toDouble());
          b.levels.push_back(e);
        }
      }
      rec.books.push_back(std::move(b));
    } else if (kind == "ticker") {
      rec.tickers.push_back({id, ts, toFixed(d["best_bid_price"].toDouble()), toFixed(d["best_ask_price"].toDouble())});
    }
  }
  return rec;
}

void feed(MarketData& md, const Recording::BookMsg& b) {
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.instrument = b.id;
  begin.isSnapshot = b.snapshot;
  begin.changeId = b.changeId;
  begin.prevChangeId = b.prevChangeId;
  begin.ts = b.ts;
  md.apply(begin);
  md.apply(b.levels.data(), b.levels.size());
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = b.id;
  md.apply(end);
}

MdEvent level(InstrumentId id, Side side, LevelAction action, double price, double qty) {
  MdEvent e;
  e.type = MdType::BookLevel;
  e.instrument = id;
  e.side = side;
  e.action = action;
  e.price = toFixed(price);
  e.qty = toFixed(qty);
  return e;
}

}  // namespace

class TestOrderBook : public QObject {
  Q_OBJECT
 private slots:
  void replayMatchesDeribitTickers() {
    const Recording rec = loadRecording();
    QCOMPARE(rec.books.size(), std::size_t(46));
    QCOMPARE(rec.tickers.size(), std::size_t(89));
    MarketData md(rec.instruments);
    int snapshotRequests = 0;
    md.onSnapshotNeeded([&](InstrumentId) { ++snapshotRequests; });
    // Best bid/ask after every book message, per instrument, keyed by the venue timestamp.
    std::vector<std::vector<std::tuple<Nanos, Price, Price>>> states(rec.instruments.size());
    for (const auto& b : rec.books) {
      feed(md, b);
      const OrderBook& book = md.book(b.id);
      QVERIFY2(book.live(), nameOf(book.staleReason()));
      states[b.id].emplace_back(b.ts, book.bestBid() ? book.bestBid()->price : 0, book.bestAsk() ? book.bestAsk()->price : 0);
    }
    QCOMPARE(snapshotRequests, 0);
    // Each ticker must equal the book as of the last book message at or before its timestamp
    // (Deribit may deliver the ticker a moment before the book change it reflects).
    int compared = 0;
    for (const auto& t : rec.tickers) {
      const auto& s = states[t.id];
      auto it = std::upper_bound(s.begin(), s.end(), t.ts, [](Nanos ts, const auto& st) { return ts < std::get<0>(st); });
      QVERIFY2(it != s.begin(), qPrintable(QString::fromStdString(rec.instruments[t.id].name)));
      --it;
      QCOMPARE(std::get<1>(*it), t.bid);
      QCOMPARE(std::get<2>(*it), t.ask);
      ++compared;
    }
    QCOMPARE(compared, 89);
  }

  void injectedGapMarksStaleAndRequestsSnapshot() {
    const Recording rec = loadRecording();
    const InstrumentId target = rec.instruments.find("BTC-24SEP21-8000-P")->id;
    MarketData md(rec.instruments);
    std::vector<InstrumentId> requests;
    md.onSnapshotNeeded([&](InstrumentId id) { requests.push_back(id); });
    int changesSeen = 0;
    bool dropped = false;
    for (const auto& b : rec.books) {
      if (b.id == target && !b.snapshot && ++changesSeen == 10) {
        dropped = true;  // lose one change message
        continue;
      }
      feed(md, b);
    }
    QVERIFY(dropped);
    QCOMPARE(md.book(target).status(), BookStatus::Stale);
    QCOMPARE(md.book(target).staleReason(), StaleReason::SequenceGap);
    QCOMPARE(requests, std::vector<InstrumentId>{target});  // asked once, not once per message
    QCOMPARE(md.staleEpisodes(), std::uint64_t(1));
    for (InstrumentId id = 0; id < rec.instruments.size(); ++id)
      if (id != target && md.book(id).status() != BookStatus::Empty) QVERIFY(md.book(id).live());
    // A fresh snapshot brings the book back.
    Recording::BookMsg snap{target, true, 99, 0, 0, {level(target, Side::Buy, LevelAction::New, 0.0005, 10),
                                                     level(target, Side::Sell, LevelAction::New, 0.001, 5)}};
    feed(md, snap);
    QVERIFY(md.book(target).live());
    QCOMPARE(md.book(target).bestBid()->price, toFixed(0.0005));
  }

  void crossedBookMarksStale() {
    OrderBook b;
    b.beginSnapshot(1);
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(100), toFixed(1));
    b.applyLevel(Side::Sell, LevelAction::New, toFixed(101), toFixed(1));
    QVERIFY(b.commit());
    QVERIFY(b.beginUpdate(1, 2));
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(101.5), toFixed(1));
    QVERIFY(!b.commit());
    QCOMPARE(b.staleReason(), StaleReason::Crossed);
    QVERIFY(!b.beginUpdate(2, 3));  // stays stale until a snapshot
  }

  void messageWithoutItsEndNeverLeavesTheBookLive() {
    // The fuzzer's case: a crossed snapshot whose end never comes, then another book's message.
    // The book must not be live with those levels, then or after.
    InstrumentRegistry reg;
    const InstrumentId a = ensureInstrument(reg, "A");
    const InstrumentId other = ensureInstrument(reg, "B");
    MarketData md(reg);
    std::vector<InstrumentId> requests;
    md.onSnapshotNeeded([&](InstrumentId id) { requests.push_back(id); });
    auto begin = [](InstrumentId id, bool snapshot, std::uint64_t change, std::uint64_t prev) {
      MdEvent e;
      e.type = MdType::BookBegin;
      e.instrument = id;
      e.isSnapshot = snapshot;
      e.changeId = change;
      e.prevChangeId = prev;
      return e;
    };
    auto end = [](InstrumentId id) {
      MdEvent e;
      e.type = MdType::BookEnd;
      e.instrument = id;
      return e;
    };
    md.apply(begin(a, true, 1, 0));
    md.apply(level(a, Side::Buy, LevelAction::New, 0.0110, 1));
    md.apply(level(a, Side::Sell, LevelAction::New, 0.0100, 1));  // crossed, and no end follows
    QVERIFY(!md.book(a).live());
    md.apply(begin(other, true, 1, 0));
    md.apply(level(other, Side::Buy, LevelAction::New, 0.0100, 1));
    md.apply(level(other, Side::Sell, LevelAction::New, 0.0110, 1));
    md.apply(end(other));
    QVERIFY(md.book(other).live());
    QVERIFY(!md.book(a).live());
    QCOMPARE(md.book(a).status(), BookStatus::Stale);
    QCOMPARE(md.book(a).staleReason(), StaleReason::Incomplete);
    QCOMPARE(requests, std::vector<InstrumentId>{a});  // its snapshot asked for at once
    // Its next change cannot bring it back either (it changes a book nobody knows)...
    md.apply(begin(a, false, 2, 1));
    md.apply(end(a));
    QVERIFY(!md.book(a).live());
    // ...a whole snapshot does.
    md.apply(begin(a, true, 5, 0));
    md.apply(level(a, Side::Buy, LevelAction::New, 0.0100, 1));
    md.apply(level(a, Side::Sell, LevelAction::New, 0.0110, 1));
    md.apply(end(a));
    QVERIFY(md.book(a).live());
    // An update of the same book whose end never comes before the next update: stale too.
    md.apply(begin(a, false, 6, 5));
    md.apply(level(a, Side::Buy, LevelAction::New, 0.0120, 1));  // crosses
    QVERIFY(!md.book(a).live());
    md.apply(begin(a, false, 7, 6));
    QVERIFY(!md.book(a).live());
    QCOMPARE(md.book(a).staleReason(), StaleReason::Incomplete);

    // The book alone: live only after commit() found it uncrossed.
    OrderBook b;
    b.beginSnapshot(1);
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(101), toFixed(1));
    b.applyLevel(Side::Sell, LevelAction::New, toFixed(100), toFixed(1));
    QVERIFY(!b.live());
    QVERIFY(!b.beginUpdate(1, 2));
    QCOMPARE(b.staleReason(), StaleReason::Incomplete);
    QVERIFY(!b.commit());
    QVERIFY(!b.live());
  }

  void noSequenceOfMessagesLeavesACrossedBookLive() {
    // Random streams of book messages over two books — begins, levels and ends in any order, at
    // any prices, chained or not: after every event, a live book is never crossed.
    InstrumentRegistry reg;
    ensureInstrument(reg, "A");
    ensureInstrument(reg, "B");
    std::mt19937_64 rng(20261206);
    std::size_t liveSeen = 0;
    for (int round = 0; round < 300; ++round) {
      MarketData md(reg);
      for (int i = 0; i < 400; ++i) {
        const InstrumentId id = InstrumentId(rng() % 2);
        MdEvent e;
        e.instrument = id;
        const unsigned pick = unsigned(rng() % 100);
        if (pick < 15) {
          e.type = MdType::BookBegin;
          e.isSnapshot = rng() % 3 == 0;
          const std::uint64_t last = md.book(id).changeId();
          e.prevChangeId = rng() % 4 ? last : last + 1 + rng() % 3;  // mostly chained
          e.changeId = e.prevChangeId + 1;
        } else if (pick < 80) {
          e = level(id, rng() % 2 ? Side::Buy : Side::Sell, LevelAction(rng() % 4), double(95 + rng() % 11),
                    double(rng() % 4));
        } else if (pick < 97) {
          e.type = MdType::BookEnd;
        } else {
          e.type = MdType::Trade;
          e.price = toFixed(100);
          e.qty = toFixed(1);
        }
        md.apply(e);
        for (InstrumentId b = 0; b < 2; ++b) {
          const OrderBook& book = md.book(b);
          if (!book.live()) continue;
          ++liveSeen;
          if (book.bestBid() && book.bestAsk() && book.bestBid()->price >= book.bestAsk()->price)
            QFAIL(qPrintable(QString("round %1 event %2: book %3 is live and crossed").arg(round).arg(i).arg(b)));
        }
      }
    }
    QVERIFY(liveSeen > 1000);  // the streams did make books live, often
  }

  void malformedUpdatesMarkStaleNeverCrash() {
    OrderBook b;
    QVERIFY(!b.beginUpdate(0, 1));  // change before any snapshot
    QCOMPARE(b.staleReason(), StaleReason::NoSnapshot);
    b.beginSnapshot(5);
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(100), toFixed(1));
    QVERIFY(b.commit());
    QVERIFY(b.beginUpdate(5, 6));
    b.applyLevel(Side::Sell, LevelAction::Delete, toFixed(120), 0);  // delete of an unknown level
    QCOMPARE(b.staleReason(), StaleReason::BadLevel);
    b.beginSnapshot(7);
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(-1), toFixed(1));  // negative price
    QCOMPARE(b.staleReason(), StaleReason::BadLevel);
    b.beginSnapshot(8);
    b.applyLevel(Side::Buy, LevelAction::Change, toFixed(100), toFixed(-2));  // negative size
    QCOMPARE(b.staleReason(), StaleReason::BadLevel);

    InstrumentRegistry reg;
    ensureInstrument(reg, "X");
    MarketData md(reg);
    MdEvent bogus = level(57, Side::Buy, LevelAction::New, 1, 1);  // unknown instrument id
    md.apply(bogus);
    MdEvent orphan = level(0, Side::Buy, LevelAction::New, 1, 1);  // level outside a message
    md.apply(orphan);
    QCOMPARE(md.book(0).status(), BookStatus::Stale);
  }

  // DeleteIfPresent (Binance's quantity 0): removes a held level, and a level the book does not
  // hold is no divergence — the book stays live, in an update and in a snapshot. A plain Delete of
  // an unknown level still marks the book stale (Deribit's rule), and a negative size is still bad.
  void deleteIfPresentIgnoresAbsentLevels() {
    OrderBook b;
    b.beginSnapshot(1);
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(100), toFixed(1));
    b.applyLevel(Side::Buy, LevelAction::New, toFixed(99), toFixed(2));
    b.applyLevel(Side::Sell, LevelAction::New, toFixed(101), toFixed(1));
    b.applyLevel(Side::Sell, LevelAction::DeleteIfPresent, toFixed(150), 0);  // absent, in a snapshot
    QVERIFY(b.commit());
    QVERIFY(b.beginUpdate(1, 2));
    b.applyLevel(Side::Buy, LevelAction::DeleteIfPresent, toFixed(100), 0);  // held: removed
    b.applyLevel(Side::Buy, LevelAction::DeleteIfPresent, toFixed(50), 0);   // absent: nothing
    b.applyLevel(Side::Sell, LevelAction::DeleteIfPresent, toFixed(100.5), 0);  // absent, inside the spread
    QVERIFY(b.commit());
    QCOMPARE(b.status(), BookStatus::Live);
    QCOMPARE(b.depth(Side::Buy), std::size_t(1));
    QCOMPARE(b.bestBid()->price, toFixed(99));
    QCOMPARE(b.depth(Side::Sell), std::size_t(1));
    QCOMPARE(b.bestAsk()->price, toFixed(101));
    // Removing the last level of a side leaves it empty, still live.
    QVERIFY(b.beginUpdate(2, 3));
    b.applyLevel(Side::Sell, LevelAction::DeleteIfPresent, toFixed(101), 0);
    b.applyLevel(Side::Sell, LevelAction::DeleteIfPresent, toFixed(101), 0);  // twice: the second finds nothing
    QVERIFY(b.commit());
    QCOMPARE(b.depth(Side::Sell), std::size_t(0));
    QVERIFY(b.bestAsk() == nullptr);
    // Through MarketData, as a venue's events arrive.
    InstrumentRegistry reg;
    const InstrumentId id = ensureInstrument(reg, "Y");
    MarketData md(reg);
    md.apply(MdEvent{MdType::BookBegin, Side::Buy, LevelAction::New, true, id, 0, 0, 10, 0, 0});
    md.apply(level(id, Side::Buy, LevelAction::New, 0.0100, 1));
    md.apply(MdEvent{MdType::BookEnd, Side::Buy, LevelAction::New, false, id, 0, 0, 10, 0, 0});
    md.apply(MdEvent{MdType::BookBegin, Side::Buy, LevelAction::New, false, id, 0, 0, 11, 10, 0});
    md.apply(level(id, Side::Sell, LevelAction::DeleteIfPresent, 0.0200, 0));
    md.apply(MdEvent{MdType::BookEnd, Side::Buy, LevelAction::New, false, id, 0, 0, 11, 0, 0});
    QCOMPARE(md.book(id).status(), BookStatus::Live);
    QCOMPARE(md.book(id).changeId(), std::uint64_t(11));
    // The strict rules are unchanged.
    QVERIFY(b.beginUpdate(3, 4));
    b.applyLevel(Side::Buy, LevelAction::DeleteIfPresent, toFixed(99), toFixed(-1));  // negative size
    QCOMPARE(b.staleReason(), StaleReason::BadLevel);
    b.beginSnapshot(5);
    QVERIFY(b.commit());
    QVERIFY(b.beginUpdate(5, 6));
    b.applyLevel(Side::Buy, LevelAction::Delete, toFixed(99), 0);  // a plain delete of an absent level
    QCOMPARE(b.staleReason(), StaleReason::BadLevel);
  }

  void topNAndBestMatchReferenceUnderRandomUpdates() {
    std::mt19937_64 rng(12345);
    OrderBook b;
    std::map<Price, Qty, std::greater<>> bids;
    std::map<Price, Qty> asks;
    b.beginSnapshot(0);
    QVERIFY(b.commit());  // an empty snapshot, ended: live
    std::uint64_t change = 0;
    for (int i = 0; i < 20000; ++i) {
      QVERIFY(b.beginUpdate(change, change + 1));
      ++change;
      const bool bidSide = rng() & 1;
      // Bids in [900, 1000), asks in [1000, 1100): never crossed.
      const Price p = toFixed(double(bidSide ? 900 + rng() % 100 : 1000 + rng() % 100));
      const bool exists = bidSide ? bids.count(p) : asks.count(p);
      const Qty q = toFixed(double(1 + rng() % 50));
      if (exists && rng() % 3 == 0) {
        b.applyLevel(bidSide ? Side::Buy : Side::Sell, LevelAction::Delete, p, 0);
        if (bidSide) bids.erase(p); else asks.erase(p);
      } else {
        b.applyLevel(bidSide ? Side::Buy : Side::Sell, exists ? LevelAction::Change : LevelAction::New, p, q);
        if (bidSide) bids[p] = q; else asks[p] = q;
      }
      QVERIFY(b.commit());
    }
    Level top[20];
    const std::size_t nb = b.topN(Side::Buy, 20, top);
    QCOMPARE(nb, std::min<std::size_t>(20, bids.size()));
    auto it = bids.begin();
    for (std::size_t k = 0; k < nb; ++k, ++it) QCOMPARE(top[k], (Level{it->first, it->second}));
    const std::size_t na = b.topN(Side::Sell, 20, top);
    auto ia = asks.begin();
    for (std::size_t k = 0; k < na; ++k, ++ia) QCOMPARE(top[k], (Level{ia->first, ia->second}));
    QCOMPARE(b.depth(Side::Buy), bids.size());
    QCOMPARE(b.depth(Side::Sell), asks.size());
    QCOMPARE(b.bestBid()->price, bids.begin()->first);
    QCOMPARE(b.bestAsk()->price, asks.begin()->first);
  }
};

QTEST_GUILESS_MAIN(TestOrderBook)
#include "tst_orderbook.moc"
