// The desk's messages and rules, without a server: the desk halt notice, an engine's summary for
// the desk, the desk limits and their totals. Every decoder is fed bad input too (the bucket and
// the subjects are written by other processes: untrusted).
#include <QtTest>
#include <cmath>
#include <limits>

#include "desk/DeskHaltNotice.hpp"
#include "desk/DeskLimits.hpp"
#include "desk/EngineDeskSummary.hpp"

using namespace kappa;
using namespace kappa::desk;

class TestDeskRules : public QObject {
  Q_OBJECT
 private slots:
  void haltNoticeRoundTrip() {
    DeskHaltNotice n;
    n.active = true;
    n.id = newDeskHaltId();
    n.reason = "vol spike \"on\" ETH";
    n.user = "risk";
    n.at = 1'765'000'000'000'000'000;
    std::string error;
    const auto back = decodeDeskHalt(encodeDeskHalt(n), &error);
    QVERIFY2(back, error.c_str());
    QCOMPARE(back->active, true);
    QCOMPARE(back->id, n.id);
    QCOMPARE(back->reason, n.reason);
    QCOMPARE(back->user, n.user);
    QCOMPARE(back->at, n.at);
    QVERIFY(newDeskHaltId() != newDeskHaltId());
  }

  void haltNoticeBadInput() {
    for (const char* bad : {"", "null", "[]", "{\"active\":1,\"id\":\"x\",\"reason\":\"\",\"user\":\"\"}",
                            "{\"active\":true,\"id\":\"\",\"reason\":\"r\",\"user\":\"u\"}",
                            "{\"active\":true,\"reason\":\"r\",\"user\":\"u\"}", "{\"active\":true,\"id\":\"x\""}) {
      std::string error;
      QVERIFY2(!decodeDeskHalt(bad, &error), bad);
      QVERIFY2(error.rfind("desk halt notice: ", 0) == 0, error.c_str());
    }
    // An oversized reason is cut, not refused: the halt still takes effect.
    const std::string longReason(5000, 'x');
    std::string error;
    const auto n = decodeDeskHalt("{\"active\":true,\"id\":\"a\",\"reason\":\"" + longReason + "\",\"user\":\"risk\"}", &error);
    QVERIFY(n);
    QCOMPARE(n->reason.size(), std::size_t(1000));
  }

  void limitsDecode() {
    std::string error;
    const auto l = decodeDeskLimits(
        R"({"max_net_delta":{"BTC":50,"ETH":400},"max_net_vega_usd":{"BTC":20000},"max_daily_loss_usd":250000,"action":"halt"})",
        &error);
    QVERIFY2(l, error.c_str());
    QCOMPARE(l->maxNetDelta.at("BTC"), 50.0);
    QCOMPARE(l->maxNetDelta.at("ETH"), 400.0);
    QCOMPARE(l->maxNetVegaUsd.at("BTC"), 20000.0);
    QCOMPARE(l->maxDailyLossUsd, 250000.0);
    QVERIFY(l->halt);
    const auto again = decodeDeskLimits(encodeDeskLimits(*l), &error);
    QVERIFY2(again, error.c_str());
    QCOMPARE(again->maxNetDelta, l->maxNetDelta);
    QCOMPARE(again->halt, true);

    const std::pair<const char*, const char*> bad[] = {
        {R"({"max_net_delta":{"BTC":-1}})", "max_net_delta/BTC"},
        {R"({"max_net_delta":{"BTC":"50"}})", "max_net_delta/BTC"},
        {R"({"max_net_delta":50})", "max_net_delta"},
        {R"({"max_daily_loss_usd":0})", "max_daily_loss_usd"},
        {R"({"action":"panic"})", "action"},
        {R"({"max_net_gamma":{"BTC":1}})", "unknown key 'max_net_gamma'"},
        {"not json", "not a JSON object"},
    };
    for (const auto& [text, named] : bad) {
      error.clear();
      QVERIFY2(!decodeDeskLimits(text, &error), text);
      QVERIFY2(error.find(named) != std::string::npos, error.c_str());
    }
  }

  void totalsAndBreaches() {
    EngineDeskSummary a, b;
    a.engine = "a";
    a.underlyings = {{"BTC", 60000, 30, 1.8e6, 0, 12000, -50, 1000}, {"ETH", 3000, -100, -3e5, 0, 500, 0, -200}};
    a.dayPnlUsd = -150000;
    b.engine = "b";
    b.state = TradingState::Halted;
    b.underlyings = {{"BTC", 60000, 25, 1.5e6, 0, 9000, -20, 300}};
    b.dayPnlUsd = -120000;
    const DeskTotals t = sumDesk({a, b});
    QCOMPARE(t.engines, std::size_t(2));
    QCOMPARE(t.halted, std::size_t(1));
    QCOMPARE(t.underlyings.size(), std::size_t(2));
    QCOMPARE(t.underlyings[0].currency, std::string("BTC"));
    QCOMPARE(t.underlyings[0].deltaCoin, 55.0);
    QCOMPARE(t.underlyings[0].vegaUsd, 21000.0);
    QCOMPARE(t.underlyings[1].deltaCoin, -100.0);
    QCOMPARE(t.dayPnlUsd, -270000.0);
    QCOMPARE(t.pnlUsd, 0.0);  // the summaries' own totals were left 0

    DeskLimits limits;
    limits.maxNetDelta = {{"BTC", 50}, {"ETH", 400}};
    QVERIFY(deskBreaches(limits, t).size() == 1);
    QVERIFY2(deskBreaches(limits, t)[0].find("desk net BTC delta +55.00 over the limit 50 (2 engines)") != std::string::npos,
             deskBreaches(limits, t)[0].c_str());
    limits.maxNetVegaUsd = {{"BTC", 20000}};
    limits.maxDailyLossUsd = 250000;
    const auto all = deskBreaches(limits, t);
    QCOMPARE(all.size(), std::size_t(3));
    QVERIFY(all[2].find("desk daily loss 270000 USD") != std::string::npos);
    // Within every limit: nothing. A short ETH delta is measured by its size.
    limits = {};
    limits.maxNetDelta = {{"ETH", 99}};
    QCOMPARE(deskBreaches(limits, t).size(), std::size_t(1));
    limits.maxNetDelta = {{"ETH", 100}};
    QVERIFY(deskBreaches(limits, t).empty());
  }

  void summaryRoundTrip() {
    EngineSnapshot s;
    s.tradingState = TradingState::Reducing;
    s.haltReason = "desk limit";
    VenueRow v;
    v.name = "deribit";
    v.state = VenueState::Connected;
    v.workingOrders = 3;
    s.venues.push_back(v);
    UnderlyingRow u;
    u.currency = "BTC";
    u.index = 60000;
    u.pnlUsd = 1234.5;
    s.underlyings.push_back(u);
    s.totalPnlUsd = 1234.5;
    s.dayPnlBtc = -0.5;
    PositionRow p;
    p.qty = 2;
    s.positions = {p, PositionRow{}};
    LimitUse l1;
    l1.limit = Limit::MaxOpenOrders;
    l1.scope = "account";
    l1.use = 30;
    l1.value = 40;
    LimitUse l2 = l1;
    l2.use = std::numeric_limits<double>::quiet_NaN();  // per-order limits accumulate nothing
    s.limits = {l2, l1};
    const EngineDeskSummary d = summarizeForDesk(s, "edge-1", 42);
    QCOMPARE(d.state, TradingState::Reducing);
    QCOMPARE(d.reason, std::string("desk limit"));
    QCOMPARE(d.workingOrders, std::size_t(3));
    QCOMPARE(d.positions, std::size_t(1));
    QCOMPARE(d.dayPnlUsd, -30000.0);
    QCOMPARE(d.busiestLimitUse, 0.75);
    QVERIFY(d.busiestLimit.find("account") != std::string::npos);

    std::string error;
    EngineDeskSummary withNan = d;
    withNan.underlyings.push_back({"ETH", std::numeric_limits<double>::quiet_NaN()});
    const auto back = decodeDeskSummary(encodeDeskSummary(withNan), &error);
    QVERIFY2(back, error.c_str());
    QCOMPARE(back->engine, std::string("edge-1"));
    QCOMPARE(back->state, TradingState::Reducing);
    QCOMPARE(back->venues.size(), std::size_t(1));
    QCOMPARE(back->venues[0].state, VenueState::Connected);
    QCOMPARE(back->underlyings.size(), std::size_t(2));
    QCOMPARE(back->underlyings[0].pnlUsd, 1234.5);
    QCOMPARE(back->underlyings[1].index, 0.0);  // NaN went out as null
    QCOMPARE(back->publishedAt, Nanos(42));
    for (const char* bad : {"", "{}", R"({"engine":"x","state":"PANIC"})", "[1,2]"}) {
      error.clear();
      QVERIFY2(!decodeDeskSummary(bad, &error), bad);
      QVERIFY(!error.empty());
    }
  }
};

QTEST_APPLESS_MAIN(TestDeskRules)
#include "tst_desk_rules.moc"
