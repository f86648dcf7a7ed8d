// Instruments that come and go while running, end to end against a real kappa-exchange process:
// the exchange lists a new option (kappa/list_instrument) and the engine's registry grows by it,
// its book goes live through the connector and it gets a row in the analytics chain; the exchange
// settles it (kappa/expire_instrument) and the engine retires it: the book is emptied and stale
// "expired/settled", a working order in it ends cancelled with the reason, it leaves the chain,
// and it keeps its id. Two paths to learn of it: instrument.state notifications, and the periodic
// get_instruments refresh (with the exchange refusing every subscription, so that no notification
// can arrive). A restart with the journal of a session that traded the listed option resolves it
// by name, although it sits at another id in the new session's registry.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <algorithm>
#include <cmath>
#include <functional>

#include "ExchangeProcess.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimExchange.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {

const char* kClientId = "tst-instruments";
const char* kSecret = "tst-instruments-secret-7d21";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

// Polls `done` (on this thread) until true or `ms` passed.
bool waitUntil(const std::function<bool()>& done, int ms = 20000) {
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    QTest::qWait(50);
  }
  return true;
}

}  // namespace

class TestInstrumentsLive : public QObject {
  Q_OBJECT
 private:
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;

  // One HTTP GET to the exchange's /api/v2 (the control methods and the exchange's own view).
  QJsonObject http(const QString& method, const QUrlQuery& query) { return kappa::test::exchangeGet(port_, method, query); }
  QJsonObject control(const QString& method, const QString& instrument) {
    QUrlQuery q;
    q.addQueryItem("instrument_name", instrument);
    return http(method, q);
  }
  bool exchangeLists(const QString& name) {
    QUrlQuery q;
    q.addQueryItem("currency", "BTC");
    q.addQueryItem("kind", "option");
    for (const QJsonValue& v : http("public/get_instruments", q).value("result").toArray())
      if (v.toObject().value("instrument_name").toString() == name) return true;
    return false;
  }

  DeribitVenueConfig config(std::chrono::milliseconds refresh) const {
    DeribitVenueConfig c;
    std::string error;
    parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port_), c.endpoint, error);
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC"};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(15000);
    c.backoffInitial = std::chrono::milliseconds(300);
    c.instrumentRefresh = refresh;
    return c;
  }

  // A strike no initial option has, between the two middle strikes of the first expiry (near the
  // money, so the makers quote both sides): CUR-DMMMYY-K-C.
  static std::string newOptionName(const InstrumentRegistry& reg) {
    const Instrument* first = nullptr;
    std::vector<Price> strikes;
    for (const Instrument& i : reg.all())
      if (i.isOption() && i.optionType == OptionType::Call) {
        if (!first) first = &i;
        if (i.expiry == first->expiry) strikes.push_back(i.strike);
      }
    if (strikes.size() < 2) return {};
    std::sort(strikes.begin(), strikes.end());
    const double mid = (toDouble(strikes[strikes.size() / 2 - 1]) + toDouble(strikes[strikes.size() / 2])) / 2;
    const Price strike = toFixed(std::round(mid) + 1);  // whole USD, on no grid line
    return "BTC-" + deribitExpiryCode(first->expiry) + "-" + formatTrimmed(strike) + "-C";
  }

  static bool inChain(Engine& engine, InstrumentId id) {
    return engine.call([&] {
      const auto& a = engine.analytics();
      if (!a) return false;
      for (const auto& chain : a->chains)
        for (const analytics::OptionAnalytics& o : chain->options)
          if (o.instrument == id) return true;
      return false;
    });
  }

 private slots:
  void init() {
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    QStringList args{"--seed", "3", "--account", QString(kClientId) + ":" + kSecret};
    // The calendar test starts the market ten seconds before an 08:00 UTC expiry.
    if (QByteArray(QTest::currentTestFunction()) == "expiresByTheCalendar") args << "--sim-start" << "2026-11-23T07:59:50Z";
    const QString failed = exchange_.start(bin, args);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
  }
  void cleanup() { exchange_.stop(); }

  // The simulator itself (no process): listing and settling refuse what they must, a listed option
  // is quoted, settling cancels the user's orders in it and refuses new ones.
  void simulatorListsAndSettles() {
    sim::SimConfig cfg;
    cfg.currencies = {sim::SimUnderlying::btc()};
    sim::SimExchange sim(cfg);
    sim.start();
    sim.output().clear();
    const Nanos expiry = expiryAt0800Utc(2026, 12, 31);
    std::string why;
    QCOMPARE(sim.listOption("XRP", expiry, toFixed(1.0), OptionType::Call, &why), kNoInstrument);
    QVERIFY2(why.find("not listed") != std::string::npos, why.c_str());
    QCOMPARE(sim.listOption("BTC", sim.now() - 1, toFixed(70000.0), OptionType::Call, &why), kNoInstrument);
    QCOMPARE(sim.listOption("BTC", expiry, toFixed(70000.5), OptionType::Call, &why), kNoInstrument);  // not whole USD
    const std::size_t before = sim.instruments().size();
    const InstrumentId id = sim.listOption("BTC", expiry, toFixed(67001.0), OptionType::Put, &why);
    QVERIFY2(id != kNoInstrument, why.c_str());
    QCOMPARE(std::size_t(id), before);
    QCOMPARE(sim.instruments()[id].name, std::string("BTC-31DEC26-67001-P"));
    QCOMPARE(sim.listOption("BTC", expiry, toFixed(67001.0), OptionType::Put, &why), kNoInstrument);  // twice
    // Its snapshot and the makers' quotes were emitted for it.
    bool snapshot = false, levels = false;
    for (const MdEvent& e : sim.output().md) {
      snapshot = snapshot || (e.instrument == id && e.type == MdType::BookBegin && e.isSnapshot);
      levels = levels || (e.instrument == id && e.type == MdType::BookLevel);
    }
    QVERIFY(snapshot);
    QVERIFY(levels);
    sim.output().clear();
    // A user order rests in it; settling cancels it with the reason and refuses new ones.
    OrderRequest r;
    r.instrument = id;
    r.side = Side::Buy;
    r.price = toFixed(0.0005);
    r.qty = toFixed(0.1);
    sim.submit(7, r);
    QVERIFY(!sim.output().exec.empty());
    QCOMPARE(sim.output().exec.front().type, ExecType::Ack);
    sim.output().clear();
    QVERIFY(!sim.expire(sim.instruments().find("BTC-PERPETUAL")->id, &why));  // not an option
    QVERIFY(sim.expire(id, &why));
    QVERIFY(sim.expired(id));
    bool cancelled = false;
    for (const ExecReport& e : sim.output().exec)
      cancelled = cancelled || (e.orderId == 7 && e.type == ExecType::Cancelled && e.reason == "instrument expired");
    QVERIFY(cancelled);
    QVERIFY(!sim.expire(id, &why));  // once
    sim.output().clear();
    sim.submit(8, r);
    QCOMPARE(sim.output().exec.front().type, ExecType::Reject);
    QCOMPARE(QString::fromStdString(sim.output().exec.front().reason), QString("instrument expired"));
    // The market goes on; the settled book gets no quotes.
    sim.output().clear();
    for (int k = 0; k < 2000; ++k) sim.step();
    for (const MdEvent& e : sim.output().md) QVERIFY(!(e.instrument == id && e.type == MdType::BookLevel && e.action != LevelAction::Delete));
  }

  // The notification path (no periodic refresh): listed, live book, chain row, order; then settled.
  void listedAndRetiredByNotification() {
    auto venue = std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(0)));
    DeribitVenue* v = venue.get();
    Engine engine(std::move(venue));
    const std::size_t initial = engine.instruments().size();
    QVERIFY(initial > 10);
    const std::string name = newOptionName(engine.instruments());
    QVERIFY(!name.empty());
    QVERIFY(!engine.instruments().find(name));
    const std::uint64_t version0 = engine.instruments().version();
    engine.start();
    const Instrument* perp = engine.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    QVERIFY2(waitUntil([&] { return engine.call([&] { return engine.marketData().book(perp->id).live(); }); }),
             "no live BTC-PERPETUAL book");
    QVERIFY2(waitUntil([&] { return engine.call([&] { return engine.analytics() != nullptr; }); }),
             "no analytics");

    const QJsonObject listed = control("kappa/list_instrument", QString::fromStdString(name));
    QVERIFY2(listed.contains("result"), QJsonDocument(listed).toJson().constData());
    QVERIFY(exchangeLists(QString::fromStdString(name)));

    // The registry grows (read here, on another thread than the engine's, while it may grow).
    QVERIFY2(waitUntil([&] { return engine.instruments().find(name) != nullptr; }), "the new option never reached the engine");
    const Instrument& inst = *engine.instruments().find(name);
    QCOMPARE(std::size_t(inst.id), initial);  // the next id: ids are never reused or reordered
    QVERIFY(inst.isOption());
    QCOMPARE(inst.optionType, OptionType::Call);
    QVERIFY(engine.instruments().version() > version0);
    QVERIFY(!engine.instruments().retired(inst.id));
    QCOMPARE(v->counters().instrumentsListed, std::uint64_t(1));

    // Its book goes live through the connector with the makers' quotes, and the chain has a row.
    QVERIFY2(waitUntil([&] {
               return engine.call([&] {
                 const OrderBook& b = engine.marketData().book(inst.id);
                 return b.live() && b.bestBid() && b.bestAsk();
               });
             }),
             "the new option's book never went live");
    QVERIFY2(waitUntil([&] { return inChain(engine, inst.id); }), "the new option has no row in the analytics chain");
    // And in the GUI's snapshot: a quote row for the new id.
    QVERIFY(waitUntil([&] {
      if (!engine.takeSnapshot()) return false;
      const EngineSnapshot& s = engine.snapshot();
      return s.quotes.size() > inst.id && s.quotes[inst.id].status == BookStatus::Live;
    }));

    // A working order in it (far under the bid: it rests).
    for (const char* a : {"max_position=off", "instruments/@option/max_position=off", "price_band=0.99"})
      engine.changeRiskLimit(a, "test");
    OrderRequest r;
    r.instrument = inst.id;
    r.side = Side::Buy;
    r.price = inst.tickSize;  // 0.0005 BTC
    r.qty = inst.minQty;
    engine.submit(r);
    const auto orderIn = [&](OrderState st) {
      return engine.call([&] {
        for (const Order& o : engine.orders().orders())
          if (o.request.instrument == inst.id && o.state == st) return true;
        return false;
      });
    };
    QVERIFY2(waitUntil([&] { return orderIn(OrderState::Open); }), "the order on the new option never rested");

    // Settled: the engine retires it.
    const QJsonObject expired = control("kappa/expire_instrument", QString::fromStdString(name));
    QVERIFY2(expired.contains("result"), QJsonDocument(expired).toJson().constData());
    QVERIFY(!exchangeLists(QString::fromStdString(name)));
    QVERIFY2(waitUntil([&] { return engine.instruments().retired(inst.id); }), "the expired option was never retired");
    QCOMPARE(v->counters().instrumentsRetired, std::uint64_t(1));
    QVERIFY(engine.instruments().find(name) == &inst);  // kept, with its id
    const auto [status, reason, empty] = engine.call([&] {
      const OrderBook& b = engine.marketData().book(inst.id);
      return std::tuple(b.status(), b.staleReason(), !b.bestBid() && !b.bestAsk());
    });
    QCOMPARE(status, BookStatus::Stale);
    QCOMPARE(reason, StaleReason::Retired);
    QCOMPARE(QString(nameOf(reason)), QString("expired/settled"));
    QVERIFY(empty);
    QVERIFY2(waitUntil([&] { return orderIn(OrderState::Cancelled); }), "the working order did not end");
    const std::string why = engine.call([&] {
      for (const Order& o : engine.orders().orders())
        if (o.request.instrument == inst.id) return o.reason;
      return std::string();
    });
    // The exchange's own cancel (cancel_reason "settlement") or the engine's retirement, whichever
    // came first: either way the trader reads why.
    QVERIFY2(why.find("settlement") != std::string::npos || why.find("expired") != std::string::npos, why.c_str());
    QVERIFY2(waitUntil([&] { return !inChain(engine, inst.id); }), "the expired option stays in the chain");
    // A new order on it is refused by the gate, with the reason, and never reaches the exchange.
    engine.submit(r);
    QVERIFY(waitUntil([&] { return orderIn(OrderState::Rejected); }));
    const std::string refused = engine.call([&] {
      for (const Order& o : engine.orders().orders())
        if (o.request.instrument == inst.id && o.state == OrderState::Rejected) return o.reason;
      return std::string();
    });
    QVERIFY2(refused.find("expired/settled") != std::string::npos, refused.c_str());
    // The rest of the market carries on.
    QVERIFY(engine.call([&] { return engine.marketData().book(perp->id).live(); }));
    engine.stop();
  }

  // The risk gate's counters survive the registry growing: one order rests with max_open_orders=2 on
  // the perpetual (an instrument scope: counted per instrument),
  // an option is listed, then of two more orders only one passes (a reset count would let both).
  void riskCountersSurviveAListing() {
    Engine engine(std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(0))));
    const std::string name = newOptionName(engine.instruments());
    const Instrument* perp = engine.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    engine.start();
    for (const char* a : {"instruments/@perpetual/max_open_orders=2", "price_band=0.5", "duplicate_window_ms=0"}) engine.changeRiskLimit(a, "test");
    QVERIFY(waitUntil([&] { return engine.call([&] { return engine.marketData().book(perp->id).live(); }); }));
    const Price bid = engine.call([&] { return engine.marketData().book(perp->id).bestBid()->price; });
    const auto rest = [&](int ticksUnder) {
      OrderRequest r;
      r.instrument = perp->id;
      r.side = Side::Buy;
      r.price = bid - ticksUnder * perp->tickSize;
      r.qty = perp->minQty;
      engine.submit(r);
    };
    const auto count = [&](OrderState st) {
      return engine.call([&] {
        int n = 0;
        for (const Order& o : engine.orders().orders()) n += o.state == st;
        return n;
      });
    };
    rest(400);
    QVERIFY(waitUntil([&] { return count(OrderState::Open) == 1; }));
    QVERIFY(control("kappa/list_instrument", QString::fromStdString(name)).contains("result"));
    QVERIFY(waitUntil([&] { return engine.instruments().find(name) != nullptr; }));
    rest(401);
    rest(402);
    QVERIFY(waitUntil([&] { return count(OrderState::Open) + count(OrderState::Rejected) == 3; }));
    QCOMPARE(count(OrderState::Open), 2);
    QCOMPARE(count(OrderState::Rejected), 1);
    engine.stop();
  }

  // The refresh path: every subscription is refused, so no instrument.state notification can come;
  // the periodic get_instruments (1 s here) lists the new option and retires the settled one.
  void listedAndRetiredByPeriodicRefresh() {
    for (const char* method : {"private/subscribe", "public/subscribe"}) {
      QUrlQuery q;
      q.addQueryItem("action", "error");
      q.addQueryItem("method", method);
      q.addQueryItem("code", "11051");  // system_maintenance
      QVERIFY(!http("kappa/fault", q).contains("error"));
    }
    auto venue = std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(1000)));
    DeribitVenue* v = venue.get();
    Engine engine(std::move(venue));
    const std::string name = newOptionName(engine.instruments());
    engine.start();
    QVERIFY(waitUntil([&] { return v->state() == VenueState::Connected; }));
    QVERIFY(control("kappa/list_instrument", QString::fromStdString(name)).contains("result"));
    QVERIFY2(waitUntil([&] { return engine.instruments().find(name) != nullptr; }), "the refresh never listed it");
    const InstrumentId id = engine.instruments().find(name)->id;
    QVERIFY(v->counters().instrumentRefreshes >= 1);
    QVERIFY(control("kappa/expire_instrument", QString::fromStdString(name)).contains("result"));
    QVERIFY2(waitUntil([&] { return engine.instruments().retired(id); }), "the refresh never retired it");
    engine.stop();
  }

  // The calendar: an option listed on today's 08:00 UTC expiry (the market's clock started at 07:59:50)
  // settles by itself when the clock passes 08:00, with no control method, and the engine retires it.
  void expiresByTheCalendar() {
    auto venue = std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(0)));
    Engine engine(std::move(venue));
    const std::string name = "BTC-23NOV26-67001-C";
    QVERIFY(!engine.instruments().find(name));
    engine.start();
    QVERIFY(control("kappa/list_instrument", QString::fromStdString(name)).contains("result"));
    QVERIFY2(waitUntil([&] { return engine.instruments().find(name) != nullptr; }), "not listed");
    const InstrumentId id = engine.instruments().find(name)->id;
    QCOMPARE(engine.instruments()[id].expiry, expiryAt0800Utc(2026, 11, 23));
    QVERIFY(!engine.instruments().retired(id));
    QVERIFY2(waitUntil([&] { return engine.instruments().retired(id); }, 30000), "08:00 UTC passed and it did not settle");
    QVERIFY(!exchangeLists(QString::fromStdString(name)));
    QUrlQuery q;  // the exchange lists it among the expired
    q.addQueryItem("currency", "BTC");
    q.addQueryItem("kind", "option");
    q.addQueryItem("expired", "true");
    const QJsonArray expired = http("public/get_instruments", q).value("result").toArray();
    QCOMPARE(expired.size(), qsizetype(1));
    QCOMPARE(expired[0].toObject().value("instrument_name").toString(), QString::fromStdString(name));
    QCOMPARE(expired[0].toObject().value("is_active").toBool(true), false);
    engine.stop();
  }

  // A session lists an option and trades it; the next session (a new process's engine, same data
  // directory) lists it at another position of its registry. The journal names instruments, so
  // the restored fill lands on the option's new id.
  void restartResolvesTheJournalByName() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::string name;
    InstrumentId firstId = kNoInstrument;
    double bought = 0;
    {
      Engine engine(std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(0))));
      engine.setDataDir(dir.path().toStdString());
      name = newOptionName(engine.instruments());
      engine.start();
      for (const char* a : {"max_position=off", "instruments/@option/max_position=off", "price_band=0.99"})
        engine.changeRiskLimit(a, "test");
      QVERIFY(control("kappa/list_instrument", QString::fromStdString(name)).contains("result"));
      QVERIFY(waitUntil([&] { return engine.instruments().find(name) != nullptr; }));
      const Instrument& inst = *engine.instruments().find(name);
      firstId = inst.id;
      const auto ask = [&] {
        return engine.call([&]() -> Price {
          const OrderBook& b = engine.marketData().book(inst.id);
          return b.live() && b.bestAsk() ? b.bestAsk()->price : 0;
        });
      };
      QVERIFY2(waitUntil([&] { return ask() > 0; }), "no ask on the new option");
      // IOC at the ask: it fills against the makers (a few tries, the ask may move in between).
      bool filled = false;
      for (int attempt = 0; attempt < 10 && !filled; ++attempt) {
        OrderRequest r;
        r.instrument = inst.id;
        r.side = Side::Buy;
        r.price = ask();
        r.qty = inst.minQty;
        r.tif = TimeInForce::ImmediateOrCancel;
        engine.submit(r);
        filled = waitUntil([&] { return engine.call([&] { return engine.orders().positions()[inst.id].qty; }) != 0; },
                           2000);
      }
      QVERIFY2(filled, engine.call([&] {
                 std::string out;
                 for (const Order& o : engine.orders().orders())
                   out += std::string(nameOf(o.state)) + " " + o.reason + "; ";
                 return out;
               }).c_str());
      bought = engine.call([&] { return engine.orders().positions()[inst.id].qty; });
      engine.stop();
    }
    QVERIFY(bought > 0);
    // The next session: the exchange lists the option from the start, sorted among the others.
    Engine engine(std::make_unique<DeribitVenue>(config(std::chrono::milliseconds(0))));
    const Instrument* inst = engine.instruments().find(name);
    QVERIFY(inst);
    QVERIFY2(inst->id != firstId, "the option kept its id: the test proves nothing about names");
    engine.setDataDir(dir.path().toStdString());
    engine.start();
    QVERIFY2(waitUntil([&] { return engine.call([&] { return engine.orders().positions()[inst->id].qty; }) == bought; }),
             "the journaled fill did not come back on the option's new id");
    // The listing was journaled as a note that does not disturb the restore (no damaged row: the
    // engine did not come up HALTED).
    QVERIFY2(!engine.halted(), engine.snapshot().haltReason.c_str());
    // And no position appeared on the id the option had in the first session.
    QCOMPARE(engine.call([&] { return engine.orders().positions()[firstId].qty; }), 0.0);
    engine.stop();
  }
};

QTEST_GUILESS_MAIN(TestInstrumentsLive)
#include "tst_instruments_live.moc"
