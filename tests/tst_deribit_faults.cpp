// The Deribit connector against a real kappa-exchange whose faults are switched on at run time
// (kappa/fault): every connection dropped now, dropped every 2 s, change_ids skipped, answers
// delayed below and beyond our timeout, error answers (11051 maintenance, 10041 settlement,
// 10047 matching engine queue full, 13009 unauthorized, 10028 too many requests), the platform
// locked, heartbeats unanswered. Each fault runs while orders rest, fill and change; afterwards
// one consistency check (DeribitVenueHarness.hpp) holds our view against the exchange's, read over
// its HTTP API: every label is exactly one order (never sent twice) in the state we think, the
// open orders are the same, every fill arrived once (none lost), positions add up, and the top 10
// levels of the books equal the exchange's at the same change_id. The trader's reason for each
// refusal is checked to be one a trader understands (DeribitErrors).
#include <QtTest>

#include <QProcess>
#include <mutex>

#include "DeribitVenueHarness.hpp"
#include "ExchangeProcess.hpp"
#include "book/MarketData.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;
using kappa::test::runFor;
using kappa::test::runUntil;

namespace {

const char* kClientId = "tst-faults";
const char* kSecret = "tst-faults-secret-7d21";
const char* kOtherId = "tst-faults-other";  // the counterparty that trades against us while we are away
const char* kOtherSecret = "tst-faults-other-secret-08e4";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

// One connected venue with its engine side, driven by the test's own io_context.
struct Connected {
  InstrumentRegistry reg;
  std::unique_ptr<DeribitVenue> venue;
  boost::asio::io_context io;
  std::unique_ptr<kappa::test::VenueSide> side;
  const Instrument* perp = nullptr;
  std::vector<InstrumentId> books;  // compared after each fault: the perpetual, a future, 3 options

  ~Connected() {
    if (venue) venue->disconnect();
  }
  bool live() const { return side->state == VenueState::Connected && side->md.book(perp->id).live(); }
  Price bid() const { return side->md.book(perp->id).bestBid() ? side->md.book(perp->id).bestBid()->price : 0; }
  Price ask() const { return side->md.book(perp->id).bestAsk() ? side->md.book(perp->id).bestAsk()->price : 0; }
  // A buy far under the market (the simulator's takers trade near the inside): it rests.
  OrderRequest resting(int ticksUnder) const {
    OrderRequest r;
    r.instrument = perp->id;
    r.side = Side::Buy;
    r.price = bid() - Price(ticksUnder) * perp->tickSize;
    r.qty = toFixed(10);
    return r;
  }
  // An IOC buy through the ask: it fills (10 USD of the perpetual).
  OrderRequest taking() const {
    OrderRequest r;
    r.instrument = perp->id;
    r.side = Side::Buy;
    r.tif = TimeInForce::ImmediateOrCancel;
    r.price = ask() + 50 * perp->tickSize;
    r.qty = toFixed(10);
    return r;
  }
  bool settled(OrderId id) const {
    const auto it = side->orders.find(id);
    return it != side->orders.end() && !it->second.expectedState().isEmpty() &&
           (it->second.terminal() || it->second.acked);
  }
};

}  // namespace

class TestDeribitFaults : public QObject {
  Q_OBJECT
 private:
  kappa::test::ExchangeProcess exchange_;
  kappa::test::ExchangeView x_;
  QString errFile_;

  DeribitVenueConfig config() const {
    DeribitVenueConfig c;
    std::string error;
    parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(x_.port()), c.endpoint, error);
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC"};
    c.requestTimeout = std::chrono::milliseconds(1000);  // the delay fault goes beyond it
    c.listTimeout = std::chrono::milliseconds(15000);
    c.backoffInitial = std::chrono::milliseconds(300);
    return c;
  }

  // Lists, connects and waits for a live perpetual book and the books compared later.
  QString open(Connected& s, const DeribitVenueConfig& c) {
    s.venue = std::make_unique<DeribitVenue>(c);
    s.venue->listInstruments(s.reg);
    if (!s.venue->listError().empty()) return QString::fromStdString(s.venue->listError());
    s.perp = s.reg.find("BTC-PERPETUAL");
    if (!s.perp) return "no BTC-PERPETUAL";
    s.side = std::make_unique<kappa::test::VenueSide>(s.reg);
    s.books.push_back(s.perp->id);
    int options = 0;
    bool future = false;
    for (const Instrument& i : s.reg.all()) {
      if (i.baseCurrency != "BTC") continue;
      if (i.kind == InstrumentKind::Future && !future) {
        future = true;
        s.books.push_back(i.id);
      } else if (i.isOption() && options < 3) {
        ++options;
        s.books.push_back(i.id);
      }
    }
    s.venue->connect(*s.side, s.io.get_executor());
    if (!runUntil(s.io, [&] { return s.live(); }, 15000)) return "no live BTC-PERPETUAL book";
    return {};
  }

  // Waits for every book compared to be live again (after a reconnect or a resync).
  bool booksLive(Connected& s, int ms = 15000) {
    return runUntil(s.io, [&] {
      if (s.side->state != VenueState::Connected) return false;
      for (InstrumentId id : s.books)
        if (!s.side->md.book(id).live()) return false;
      return true;
    }, ms);
  }

  // The consistency check after a fault: orders, fills and positions (retried while the last
  // answers and reconciliations arrive, up to 20 s), then the books at the same change_id.
  QString consistency(Connected& s) {
    QString diff;
    QElapsedTimer t;
    t.start();
    do {
      runFor(s.io, 250);
      diff = x_.ordersDifference(*s.side, s.reg);
    } while (!diff.isEmpty() && t.elapsed() < 20000);
    if (!diff.isEmpty()) return "orders: " + diff;
    if (!booksLive(s)) return "books not live again";
    for (InstrumentId id : s.books) {
      const QString d = x_.bookDifference(s.io, *s.side, s.reg, id);
      if (!d.isEmpty()) return "book: " + d;
    }
    return {};
  }

  bool fault(const QList<QPair<QString, QString>>& items) { return !x_.fault(items).isEmpty(); }

 private slots:
  // A fresh exchange for every test function: one test's faults never leak into the next. No
  // credit limit on non-matching requests: the consistency check reads a lot over HTTP with the
  // same account, whose credits the venue's session shares. --min-heartbeat 1 lets the heartbeat
  // test ask for a 1 s interval (a test aid; Deribit's minimum is 10 s).
  void init() {
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    errFile_ = QDir::temp().filePath(QString("tst_deribit_faults-exchange-%1.err").arg(QCoreApplication::applicationPid()));
    const QString failed = exchange_.start(bin, {"--seed", "5", "--account", QString(kClientId) + ":" + kSecret, "--account",
                                                 QString(kOtherId) + ":" + kOtherSecret, "--non-me-limit", "0/0",
                                                 "--min-heartbeat", "1"},
                                           errFile_);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    x_.setPort(exchange_.port());
    QVERIFY2(x_.login(kClientId, kSecret), "HTTP public/auth failed");
  }

  void cleanup() {
    QProcess& exchange = exchange_.process();
    exchange.waitForFinished(0);
    if (exchange.state() == QProcess::NotRunning && x_.port() > 0) {
      QFile err(errFile_);
      err.open(QIODevice::ReadOnly);
      qWarning("kappa-exchange ended during the test (exit %d, %s); its stderr ends:\n%s", exchange.exitCode(),
               exchange.exitStatus() == QProcess::CrashExit ? "crashed" : "exited", err.readAll().right(3000).constData());
    }
    exchange_.stop();
    x_.setPort(0);
    QFile::remove(errFile_);
  }

  // The check itself can fail: our view made wrong on purpose (a fill forgotten, an open order
  // thought cancelled, an order the exchange never had) is reported.
  void consistencyCheckSeesDifferences() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    s.side->submit(*s.venue, 901, s.resting(400));
    s.side->submit(*s.venue, 902, s.taking());
    QVERIFY(runUntil(s.io, [&] { return s.settled(901) && s.side->orders[902].terminal(); }, 10000));
    QCOMPARE(consistency(s), QString());
    kappa::test::VenueSide& side = *s.side;
    const kappa::test::OurOrder taken = side.orders[902];
    side.orders[902].filled = 0;
    side.orders[902].fills = 0;
    QString d = x_.ordersDifference(side, s.reg);
    QVERIFY2(d.contains("label 902") && d.contains("position BTC-PERPETUAL"), qPrintable(d));
    side.orders[902] = taken;
    side.orders[901].cancelled = true;
    d = x_.ordersDifference(side, s.reg);
    QVERIFY2(d.contains("label 901: ours cancelled, the exchange's open") && d.contains("open orders"), qPrintable(d));
    side.orders[901].cancelled = false;
    side.orders[903] = side.orders[901];
    d = x_.ordersDifference(side, s.reg);
    QVERIFY2(d.contains("label 903: we have it open, the exchange has no such order"), qPrintable(d));
    side.orders.erase(903);
    QCOMPARE(x_.ordersDifference(side, s.reg), QString());
  }

  // Every connection dropped at once while an order rests, one has filled and one is on its way:
  // Disconnected with the next retry, back, the resting order cancelled by the exchange's
  // cancel-on-disconnect reaches us, the one in flight is resolved by label, never sent twice.
  void dropEveryConnectionNow() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    s.side->submit(*s.venue, 1001, s.resting(400));
    s.side->submit(*s.venue, 1002, s.taking());
    QVERIFY(runUntil(s.io, [&] { return s.settled(1001) && s.side->orders[1002].terminal(); }, 10000));
    QCOMPARE(s.side->orders[1002].filled, toFixed(10));
    s.side->submit(*s.venue, 1003, s.resting(410));  // on its way as the connections drop
    QVERIFY(fault({{"action", "drop"}}));
    QVERIFY(runUntil(s.io, [&] { return s.side->state == VenueState::Disconnected; }, 10000));
    QVERIFY2(s.side->states.back().second.find("dropped by the exchange or the network") != std::string::npos &&
                 s.side->states.back().second.find("next retry in") != std::string::npos,
             s.side->states.back().second.c_str());
    QVERIFY2(runUntil(s.io, [&] { return s.live(); }, 20000), "did not come back");
    QCOMPARE(s.venue->counters().reconnects, 1u);
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[1001].cancelled; }, 10000));
    QVERIFY2(QString::fromStdString(s.side->orders[1001].lastReason).contains("cancel-on-disconnect"),
             s.side->orders[1001].lastReason.c_str());
    s.side->submit(*s.venue, 1004, s.resting(420));  // trading goes on after the reconnect
    QVERIFY(runUntil(s.io, [&] { return s.settled(1003) && s.settled(1004); }, 15000));
    QVERIFY(s.side->orders[1004].acked);
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // Cancel-on-disconnect off: our sells rest above the market, every connection drops, and while
  // we are away another account buys through them. After the reconnect the reconciliation finds
  // the trades: every fill arrives once, none is lost, the position is the exchange's.
  void fillsWhileDroppedAreReconciled() {
    Connected s;
    DeribitVenueConfig c = config();
    c.cancelOnDisconnect = false;
    c.backoffInitial = std::chrono::milliseconds(2500);  // away long enough for the other account to trade
    const QString failed = open(s, c);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    kappa::test::ExchangeView other;
    other.setPort(x_.port());
    QVERIFY(other.login(kOtherId, kOtherSecret));
    const Price ask = s.ask();
    for (int k = 0; k < 3; ++k) {
      OrderRequest r;
      r.instrument = s.perp->id;
      r.side = Side::Sell;
      r.price = ask + Price(60 + 5 * k) * s.perp->tickSize;
      r.qty = toFixed(10 * (k + 1));
      s.side->submit(*s.venue, 1501 + k, r);
    }
    s.side->submit(*s.venue, 1504, s.resting(400));  // a buy far under the market: still open afterwards
    QVERIFY(runUntil(s.io, [&] { return s.settled(1501) && s.settled(1502) && s.settled(1503) && s.settled(1504); }, 10000));
    QVERIFY(fault({{"action", "drop"}}));
    QVERIFY(runUntil(s.io, [&] { return s.side->state == VenueState::Disconnected; }, 10000));
    // Everything offered up to our middle sell, as the exchange has it now, twice over: all bought.
    const Price through = ask + 65 * s.perp->tickSize;
    double offered = 0;
    {
      QUrlQuery q;
      q.addQueryItem("instrument_name", "BTC-PERPETUAL");
      q.addQueryItem("depth", "1000");
      for (const QJsonValue& a : x_.result("public/get_order_book", q).toObject().value("asks").toArray())
        if (a.toArray()[0].toDouble() <= toDouble(through) + 1e-9) offered += a.toArray()[1].toDouble();
    }
    QVERIFY(offered >= 30);
    QUrlQuery buy;
    buy.addQueryItem("instrument_name", "BTC-PERPETUAL");
    buy.addQueryItem("amount", QString::number(std::ceil((offered * 2 + 100) / 10) * 10, 'f', 0));  // twice over: the market moves
    buy.addQueryItem("type", "limit");
    buy.addQueryItem("price", QString::number(toDouble(through), 'f', 1));
    buy.addQueryItem("time_in_force", "immediate_or_cancel");
    const QJsonObject bought = other.http("private/buy", buy, true);
    QVERIFY2(!bought.contains("error"), QJsonDocument(bought).toJson().constData());
    QVERIFY(s.side->orders[1501].fills == 0);  // not seen yet: we are away
    QVERIFY2(runUntil(s.io, [&] { return s.live(); }, 20000), "did not come back");
    QVERIFY2(runUntil(s.io, [&] { return s.venue->counters().reconciledFills >= 2; }, 10000), "the fills were not reconciled");
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[1501].fullyFilled && s.side->orders[1502].fullyFilled; }, 10000));
    QVERIFY(!s.side->orders[1504].terminal());  // cancel-on-disconnect was off: still working
    QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // HALT's cancel_all_by_currency cut off by a drop before its answer (answers held 800 ms):
    // sent again after the reconnect, before anything else; the working order ends cancelled.
    QVERIFY(fault({{"action", "delay"}, {"ms", "800"}}));
    QVERIFY(s.venue->cancelAllOrders());
    runFor(s.io, 150);
    QVERIFY(fault({{"action", "drop"}}));
    QVERIFY(fault({{"action", "clear"}}));
    QVERIFY(runUntil(s.io, [&] { return s.side->everDetail("cancel all BTC: connection lost before the answer"); }, 10000));
    QVERIFY2(runUntil(s.io, [&] { return s.live() && s.side->everDetail("cancel all BTC: the exchange confirmed"); }, 20000),
             "cancel all not confirmed after the reconnect");
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[1504].cancelled; }, 10000));
    diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // Connections dropped every 2 s for ~8 s while orders are sent, filled and cancelled: each
  // drop reconnects (no storm), orders sent while away are refused with the reason, and
  // afterwards everything equals the exchange's.
  void dropEveryTwoSeconds() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY(fault({{"action", "drop_every"}, {"seconds", "2"}}));
    QElapsedTimer t;
    t.start();
    OrderId next = 2000;
    int sentWhileLive = 0;
    while (t.elapsed() < 8000) {
      if (s.bid() > 0 && s.ask() > 0) {
        const OrderId id = next++;
        sentWhileLive += s.live();
        s.side->submit(*s.venue, id, id % 3 == 0 ? s.taking() : s.resting(400 + int(id % 50)));
        if (id % 3 == 2) s.venue->cancel(id - 1);
      }
      runFor(s.io, 400);
    }
    QVERIFY(fault({{"action", "clear"}}));
    QVERIFY2(runUntil(s.io, [&] { return s.live(); }, 20000), "did not come back after the drops stopped");
    runFor(s.io, 1500);  // no more drops: the last reconnect settles
    QVERIFY2(s.venue->counters().reconnects >= 2, qPrintable(QString::number(s.venue->counters().reconnects)));
    QVERIFY(sentWhileLive > 0);
    for (const auto& [id, o] : s.side->orders)
      if (o.rejected) QVERIFY2(!o.lastReason.empty(), qPrintable(QString::number(id)));
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // change_ids skipped: one on the perpetual's book, then one on some book every second for 4 s
  // (every BTC and ETH book is subscribed, so each skip reaches us): gaps found, books stale,
  // resubscribed, and afterwards equal to the exchange's at the same change_id.
  void skippedChangeIds() {
    Connected s;
    DeribitVenueConfig c = config();
    c.currencies = {"BTC", "ETH"};
    const QString failed = open(s, c);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY(booksLive(s));
    s.side->submit(*s.venue, 3001, s.resting(400));
    s.side->submit(*s.venue, 3002, s.taking());
    QVERIFY(fault({{"action", "skip_change_id"}, {"instrument_name", "BTC-PERPETUAL"}}));
    QVERIFY2(runUntil(s.io, [&] { return s.venue->counters().gaps >= 1; }, 15000), "no gap seen on the perpetual");
    QVERIFY(fault({{"action", "skip_change_every"}, {"seconds", "1"}}));
    runFor(s.io, 4500);
    QVERIFY(fault({{"action", "clear"}}));
    QVERIFY2(s.venue->counters().gaps >= 3, qPrintable(QString::number(s.venue->counters().gaps)));
    QVERIFY(s.venue->counters().resyncs >= 1);  // (a gap in a book already resyncing is not counted twice)
    QCOMPARE(s.venue->counters().reconnects, 0u);  // a gap resyncs a book, it does not reconnect
    QVERIFY(runUntil(s.io, [&] { return s.settled(3001) && s.side->orders[3002].terminal(); }, 10000));
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // Answers 300 ms late (under our 1 s timeout): everything works, only slower. Then 1.5 s late
  // (beyond it): a new order, an edit and a cancel whose answers never came in time are each
  // resolved by label, never sent again, and end in the exchange's state.
  void delayedAnswers() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY(fault({{"action", "delay"}, {"ms", "300"}}));
    s.side->submit(*s.venue, 4001, s.resting(400));
    s.side->submit(*s.venue, 4002, s.resting(410));
    s.side->submit(*s.venue, 4003, s.taking());
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[4001].acked && s.side->orders[4002].acked && s.settled(4003); }, 10000));
    const Price edited = s.side->orders[4001].price - 5 * s.perp->tickSize;
    s.venue->replace(4001, edited, toFixed(20));
    s.venue->cancel(4002);
    QVERIFY(runUntil(s.io, [&] { return s.side->count(4001, ExecType::Replaced) == 1 && s.side->orders[4002].cancelled; }, 10000));
    QCOMPARE(s.side->orders[4001].price, edited);

    QVERIFY(fault({{"action", "delay"}, {"ms", "1500"}}));
    s.side->submit(*s.venue, 4004, s.resting(420));
    s.venue->replace(4001, edited - 5 * s.perp->tickSize, toFixed(30));
    s.side->submit(*s.venue, 4005, s.resting(430));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[4005].acked; }, 15000));
    s.venue->cancel(4005);
    QVERIFY(runUntil(s.io, [&] {
      return s.side->orders[4004].acked && s.side->orders[4005].cancelled && s.side->orders[4001].price == edited - 5 * s.perp->tickSize;
    }, 20000));
    // HALT's cancel_all_by_currency answered too late: the orders are cancelled all the same (the
    // exchange says so in user.orders) and the trader must not read that the cancel failed.
    QVERIFY(s.venue->cancelAllOrders());
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[4001].cancelled && s.side->orders[4004].cancelled; }, 15000));
    QVERIFY(runUntil(s.io, [&] { return s.side->everDetail("cancel all BTC"); }, 15000));
    for (const auto& [st, detail] : s.side->states)
      QVERIFY2(detail.find("FAILED") == std::string::npos, detail.c_str());
    runFor(s.io, 3500);  // the late answers all arrive: none may count twice
    QVERIFY(fault({{"action", "clear"}}));
    QCOMPARE(s.side->count(4004, ExecType::Ack), 1);
    QCOMPARE(s.side->count(4005, ExecType::Cancelled), 1);
    QCOMPARE(s.side->orders[4001].amount, toFixed(30));
    QVERIFY(x_.ordersByLabel(4001).first().toObject().value("order_state").toString() == "cancelled");
    QCOMPARE(s.venue->counters().reconnects, 0u);
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // The exchange answers one request with an error code: the order is refused with a reason the
  // trader understands and the venue trades on (13009: logs in again on the same connection;
  // 10028: the exchange ends the session, we reconnect once). Cancels and edits refused the same
  // way leave the order as it was. A locked platform refuses orders until it is unlocked.
  void errorAnswers() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    struct Case {
      int code;
      const char* reason;
    };
    OrderId id = 5000;
    for (const Case& k : {Case{11051, "maintenance"}, Case{10041, "settlement in progress"},
                          Case{10047, "too many orders pending at the matching engine"}, Case{13009, "not authorised"}}) {
      const std::uint64_t sessions = s.venue->counters().sessions;
      QVERIFY(fault({{"action", "error"}, {"method", "private/buy"}, {"code", QString::number(k.code)}, {"count", "1"}}));
      const OrderId refused = ++id;
      s.side->submit(*s.venue, refused, s.resting(400));
      QVERIFY2(runUntil(s.io, [&] { return s.side->orders[refused].rejected; }, 10000), qPrintable(QString::number(k.code)));
      const std::string& reason = s.side->orders[refused].lastReason;
      QVERIFY2(reason.find(k.reason) != std::string::npos, reason.c_str());
      const OrderId next = ++id;  // the next order goes through, on the same session
      s.side->submit(*s.venue, next, s.taking());
      QVERIFY2(runUntil(s.io, [&] { return s.side->orders[next].terminal(); }, 10000), qPrintable(QString::number(k.code)));
      QVERIFY2(s.side->orders[next].filled == toFixed(10), s.side->orders[next].lastReason.c_str());
      QCOMPARE(s.venue->counters().sessions, sessions);
      QCOMPARE(s.side->state, VenueState::Connected);
    }
    QCOMPARE(s.venue->counters().reauthentications, 1u);  // after the 13009
    // 13009 on a request that is not an order (positions): logged in again all the same.
    QVERIFY(fault({{"action", "error"}, {"method", "private/get_positions"}, {"code", "13009"}, {"count", "1"}}));
    s.venue->queryPositions();
    QVERIFY(runUntil(s.io, [&] { return s.venue->counters().reauthentications == 2; }, 10000));
    const int answers = s.side->positionAnswers;
    s.venue->queryPositions();
    QVERIFY(runUntil(s.io, [&] { return s.side->positionAnswers == answers + 1; }, 10000));
    QVERIFY(!s.side->positions.empty());  // the fills above made a position

    // A cancel refused with 10047, an edit refused with 11051: the order works on unchanged.
    const OrderId resting = ++id;
    s.side->submit(*s.venue, resting, s.resting(450));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[resting].acked; }, 10000));
    const Price price = s.side->orders[resting].price;
    QVERIFY(fault({{"action", "error"}, {"method", "private/cancel"}, {"code", "10047"}, {"count", "1"}}));
    s.venue->cancel(resting);
    QVERIFY(runUntil(s.io, [&] { return s.side->count(resting, ExecType::CancelReject) == 1; }, 10000));
    QVERIFY2(s.side->lastReason(resting, ExecType::CancelReject).find("matching engine") != std::string::npos,
             s.side->lastReason(resting, ExecType::CancelReject).c_str());
    QVERIFY(fault({{"action", "error"}, {"method", "private/edit"}, {"code", "11051"}, {"count", "1"}}));
    s.venue->replace(resting, price - s.perp->tickSize, toFixed(10));
    QVERIFY(runUntil(s.io, [&] { return s.side->count(resting, ExecType::CancelReject) == 2; }, 10000));
    QVERIFY2(s.side->lastReason(resting, ExecType::CancelReject).find("maintenance") != std::string::npos,
             s.side->lastReason(resting, ExecType::CancelReject).c_str());
    QCOMPARE(x_.ordersByLabel(resting).first().toObject().value("order_state").toString(), QString("open"));
    QCOMPARE(x_.ordersByLabel(resting).first().toObject().value("price").toDouble(), toDouble(price));
    QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));

    // The platform locked: Degraded, orders refused with the reason; unlocked: trading again.
    QVERIFY(fault({{"action", "lock"}}));
    QVERIFY(runUntil(s.io, [&] { return s.side->state == VenueState::Degraded; }, 10000));
    const OrderId whileLocked = ++id;
    s.side->submit(*s.venue, whileLocked, s.resting(400));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[whileLocked].rejected; }, 10000));
    QVERIFY2(s.side->orders[whileLocked].lastReason.find("locked") != std::string::npos,
             s.side->orders[whileLocked].lastReason.c_str());
    QVERIFY(fault({{"action", "unlock"}}));
    QVERIFY(booksLive(s));

    // 10028 on an order: refused, the exchange closes the session, one reconnect.
    const std::uint64_t sessions = s.venue->counters().sessions;
    QVERIFY(fault({{"action", "error"}, {"method", "private/buy"}, {"code", "10028"}, {"count", "1"}}));
    const OrderId limited = ++id;
    s.side->submit(*s.venue, limited, s.resting(400));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[limited].rejected; }, 10000));
    QVERIFY2(s.side->orders[limited].lastReason.find("rate limit") != std::string::npos, s.side->orders[limited].lastReason.c_str());
    QVERIFY(runUntil(s.io, [&] { return s.venue->counters().sessions == sessions + 1 && s.live(); }, 15000));
    // The resting order went with the session (cancel-on-disconnect) and we were told.
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[resting].cancelled; }, 10000));
    diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // Maintenance everywhere: every request answered 11051 until cleared. Orders are refused with
  // the reason; a connection dropped meanwhile cannot log in and says why while it retries with
  // backoff; once maintenance ends it logs in, reconciles and trades.
  void maintenanceOnEveryMethod() {
    Connected s;
    const QString failed = open(s, config());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    s.side->submit(*s.venue, 8001, s.resting(400));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[8001].acked; }, 10000));
    QVERIFY(fault({{"action", "error"}, {"method", "*"}, {"code", "11051"}}));
    s.side->submit(*s.venue, 8002, s.resting(410));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[8002].rejected; }, 10000));
    QVERIFY2(s.side->orders[8002].lastReason.find("maintenance") != std::string::npos, s.side->orders[8002].lastReason.c_str());
    QVERIFY(fault({{"action", "drop"}}));
    QVERIFY2(runUntil(s.io, [&] {
      return s.side->state == VenueState::Disconnected && s.side->states.back().second.find("maintenance") != std::string::npos;
    }, 10000), s.side->states.back().second.c_str());
    runFor(s.io, 2000);  // retries meet the same answer: backoff, no storm
    const std::uint64_t sessions = s.venue->counters().sessions;
    QCOMPARE(sessions, 1u);
    QVERIFY(fault({{"action", "clear_errors"}}));
    QVERIFY2(runUntil(s.io, [&] { return s.live(); }, 30000), "did not come back after the maintenance");
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[8001].cancelled; }, 10000));  // cancel-on-disconnect
    s.side->submit(*s.venue, 8003, s.taking());
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[8003].terminal(); }, 10000));
    QCOMPARE(s.side->orders[8003].filled, toFixed(10));
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }

  // Heartbeats at a 1 s interval (the exchange's test-only --min-heartbeat 1): the connector
  // answers the exchange's test_requests (the exchange counts the answers) and measures the
  // round trip. Then the exchange goes silent (no test_request, public/test unanswered) while the
  // socket stays open: the connector finds the link dead, reconnects, and the order that rested
  // comes back cancelled by cancel-on-disconnect.
  void silentHeartbeatIsADeadLink() {
    Connected s;
    DeribitVenueConfig c = config();
    c.heartbeatIntervalS = 1;
    c.requestTimeout = std::chrono::milliseconds(2000);  // dead after 2 s without an answer
    const QString failed = open(s, c);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY2(runUntil(s.io, [&] {
      runFor(s.io, 200);
      return x_.fault({{"action", "status"}}).value("heartbeats").toObject().value("test_requests_answered").toDouble() >= 2;
    }, 10000), qPrintable(QJsonDocument(x_.fault({{"action", "status"}})).toJson()));
    QVERIFY(runUntil(s.io, [&] { return s.venue->summary().heartbeatLatency > 0; }, 5000));
    QVERIFY(s.venue->summary().heartbeatLatency < 2'000'000);  // an answer, in microseconds, within the deadline
    s.side->submit(*s.venue, 6001, s.resting(400));
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[6001].acked; }, 10000));

    QVERIFY(fault({{"action", "heartbeat_silent"}, {"on", "true"}}));
    QVERIFY2(runUntil(s.io, [&] { return s.venue->counters().deadLinks >= 1; }, 10000), "the dead link went unnoticed");
    QVERIFY(fault({{"action", "clear"}}));
    QVERIFY(runUntil(s.io, [&] { return s.side->everDetail("no heartbeat answer"); }, 5000));  // the reason the trader reads
    QVERIFY2(runUntil(s.io, [&] { return s.live() && s.venue->counters().reconnects >= 1; }, 20000), "did not come back");
    QVERIFY(runUntil(s.io, [&] { return s.side->orders[6001].cancelled; }, 10000));
    const std::uint64_t dead = s.venue->counters().deadLinks;
    runFor(s.io, 3000);  // heartbeats answered again: the link stays up
    QCOMPARE(s.venue->counters().deadLinks, dead);
    QCOMPARE(s.side->state, VenueState::Connected);
    const QString diff = consistency(s);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
  }
};

QTEST_GUILESS_MAIN(TestDeribitFaults)
#include "tst_deribit_faults.moc"
