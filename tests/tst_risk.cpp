// The risk engine: risk.json and --risk (every bad value named by file, key and reason), every
// pre-trade limit at its accept/refuse boundary and switched off, how scopes combine, every
// automatic trigger, and — through a running engine — triggers moving the state, FLATTEN, and
// limits changed at run time.
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <sqlite3.h>

#include <chrono>
#include <map>

#include "RecordingVenue.hpp"
#include "analytics/MarketAnalytics.hpp"
#include "book/MarketData.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "journal/JournalReplay.hpp"
#include "oms/OrderManager.hpp"
#include "pricing/BlackScholes.hpp"
#include "risk/PreTradeLimits.hpp"
#include "risk/RiskConfigFile.hpp"
#include "risk/RateWindow.hpp"
#include "risk/RiskMonitor.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;

namespace {

constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kT0 = 1'795'000'000 * kSecond;  // some time in 2026, mid-day UTC

using FakeVenue = test::RecordingVenue;

// A perpetual at 50,000, a call on it, the index: the books set by hand, option analytics by hand.
struct Fixture {
  InstrumentRegistry reg;
  HaltSwitch halt;
  RiskGate gate{reg, halt};
  FakeVenue venue;
  InstrumentId index, perp, call, future;
  std::unique_ptr<MarketData> market;
  std::unique_ptr<OrderManager> oms;
  std::shared_ptr<const analytics::MarketAnalytics> chain;
  RiskConfig config = RiskConfig::unlimited();
  Nanos now = kT0;

  Fixture() {
    Instrument idx;
    idx.name = "btc_usd";
    idx.kind = InstrumentKind::Index;
    idx.tradable = false;
    idx.tickSize = toFixed(0.01);
    index = reg.add(idx);
    Instrument p;
    p.name = "BTC-PERPETUAL";
    p.kind = InstrumentKind::Perpetual;
    p.contractSize = 10;
    p.tickSize = toFixed(0.5);
    p.minQty = toFixed(10);
    perp = reg.add(p);
    Instrument f = p;
    f.name = "BTC-25DEC26";
    f.kind = InstrumentKind::Future;
    future = reg.add(f);
    Instrument o;
    o.name = "BTC-27DEC26-50000-C";
    o.kind = InstrumentKind::Option;
    o.optionType = OptionType::Call;
    o.strike = toFixed(50000);
    o.contractSize = 1;
    o.tickSize = toFixed(0.0005);
    o.minQty = toFixed(0.1);
    call = reg.add(o);
    market = std::make_unique<MarketData>(reg);
    oms = std::make_unique<OrderManager>(reg, gate);
    oms->setVenue(&venue);
    gate.limits().bindMarket(market.get());
    gate.limits().bindAnalytics(&chain);
    gate.limits().setStrategyKeys([](std::uint32_t id) { return id == 7 ? std::string("acme.mm") : std::string("acme.other"); });
    setBook(perp, 49'990, 50'010);
    setBook(future, 50'490, 50'510);
    setBook(call, 0.1000, 0.1010);
    md(MdType::IndexPrice, index, 50'000);
  }
  void md(MdType type, InstrumentId id, double price, Side side = Side::Buy, double qty = 0, bool snapshot = false) {
    MdEvent e;
    e.type = type;
    e.instrument = id;
    e.price = toFixed(price);
    e.qty = toFixed(qty);
    e.side = side;
    e.isSnapshot = snapshot;
    e.ts = now;
    market->apply(e);
  }
  std::uint64_t changeId = 1;
  void setBook(InstrumentId id, double bid, double ask) {
    MdEvent b;
    b.type = MdType::BookBegin;
    b.instrument = id;
    b.isSnapshot = true;
    b.changeId = ++changeId;
    market->apply(b);
    md(MdType::BookLevel, id, bid, Side::Buy, 1000);
    md(MdType::BookLevel, id, ask, Side::Sell, 1000);
    MdEvent e;
    e.type = MdType::BookEnd;
    e.instrument = id;
    market->apply(e);
  }
  // One option priced at 60 % vol, T = 1 year, forward 50,000: its analytics as the worker makes them.
  void setOptionAnalytics(double markIv = 0.60) {
    auto a = std::make_shared<analytics::ChainAnalytics>();
    a->index = 50'000;
    analytics::OptionAnalytics o;
    o.instrument = call;
    o.strike = 50'000;
    o.t = 1.0;
    o.isCall = true;
    o.markIv = markIv;
    o.deltaCoin = 0.5;
    o.gammaCoin = 0.00001;
    o.vegaCoin = 0.4;
    a->options.push_back(o);
    analytics::ExpiryAnalytics e;
    e.forward = 50'000;
    e.t = 1.0;
    e.atmVol = markIv;
    a->expiries.push_back(e);
    auto m = std::make_shared<analytics::MarketAnalytics>();
    m->chains.push_back(a);
    chain = m;
    gate.limits().onAnalytics(oms->positions());
  }
  void set(const std::string& assignment) {
    std::string error;
    QVERIFY2(applyRiskOverride(&config, assignment, &error), error.c_str());
    gate.limits().configure(config);
  }
  OrderRequest order(InstrumentId id, Side side, double price, double qty, std::uint32_t strategy = 0) {
    OrderRequest r;
    r.instrument = id;
    r.side = side;
    r.price = toFixed(price);
    r.qty = toFixed(qty);
    r.strategy = strategy;
    r.origin = strategy ? OrderOrigin::Strategy : OrderOrigin::Manual;
    return r;
  }
  // Submits and says "" if accepted, else the refusal reason.
  std::string send(const OrderRequest& r) {
    const Order* o = oms->find(oms->submit(r, now));
    return o->state == OrderState::Rejected ? (o->reason.empty() ? "rejected" : o->reason) : "";
  }
  void ack(OrderId id) {
    ExecReport e;
    e.orderId = id;
    e.type = ExecType::Ack;
    e.ts = now;
    oms->onExecution(e);
  }
  void fill(OrderId id, double price, double qty) {
    const Order* o = oms->find(id);
    ExecReport e;
    e.orderId = id;
    e.type = ExecType::Fill;
    e.price = toFixed(price);
    e.qty = toFixed(qty);
    e.leaves = o->leaves - toFixed(qty);
    e.ts = now;
    oms->onExecution(e);
  }
  void cancelled(OrderId id) {
    ExecReport e;
    e.orderId = id;
    e.type = ExecType::Cancelled;
    e.ts = now;
    oms->onExecution(e);
  }
  OrderId lastId() const { return oms->orders().back().id; }
};

#define ACCEPTED(f, r) QCOMPARE(QString::fromStdString((f).send(r)), QString())
#define REFUSED(f, r, text)                                                   \
  do {                                                                        \
    const std::string why_ = (f).send(r);                                     \
    QVERIFY2(!why_.empty(), "accepted but should be refused: " text);        \
    QVERIFY2(why_.find(text) != std::string::npos, why_.c_str());             \
  } while (0)

std::unique_ptr<Engine> makeEngine(const std::string& dataDir = {}) {
  sim::SimConfig cfg;
  cfg.seed = 5;
  cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
  auto e = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
  if (!dataDir.empty()) e->setDataDir(dataDir);
  return e;
}

}  // namespace

class TestRisk : public QObject {
  Q_OBJECT

 private slots:
  // ---------------------------------------------------------------- configuration

  void defaultsRoundTripThroughTheFileFormat() {
    const RiskConfig d = RiskConfig::defaults();
    RiskConfig back;
    std::string error;
    QVERIFY2(parseRiskConfig(riskConfigJson(d), "risk.json", &back, &error), error.c_str());
    for (std::size_t i = 0; i < kLimitCount; ++i) {
      QCOMPARE(back.account[i].set(), d.account[i].set());
      if (d.account[i].set()) QCOMPARE(back.account[i].value, d.account[i].value);
      QCOMPARE(back.account[i].enabled, d.account[i].enabled);
    }
    QCOMPARE(back.instruments.size(), d.instruments.size());
    const LimitSet& opt = RiskConfig::entry(back.instruments, "@option");
    QCOMPARE(opt[std::size_t(Limit::MaxPosition)].value, 500.0);
    QVERIFY(!opt[std::size_t(Limit::PriceBand)].enabled);  // switched off, value kept
    QCOMPARE(opt[std::size_t(Limit::PriceBand)].value, 0.05);
    for (std::size_t i = 0; i < kTriggerCount; ++i) {
      QCOMPARE(back.triggers[i].threshold, d.triggers[i].threshold);
      QCOMPARE(back.triggers[i].action, d.triggers[i].action);
    }
    QCOMPARE(d.account[std::size_t(Limit::MaxOpenOrders)].value, 50.0);  // as vn.py
    QCOMPARE(d.account[std::size_t(Limit::MaxSubmitRate)].value, 100.0);  // as NautilusTrader
  }

  void missingFileIsCreatedWithTheDefaults() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("risk.json").toStdString();
    RiskConfig c;
    std::string error;
    bool created = false;
    QVERIFY2(loadRiskConfig(path, &c, &error, &created), error.c_str());
    QVERIFY(created);
    QVERIFY(QFile::exists(QString::fromStdString(path)));
    RiskConfig again;
    QVERIFY2(loadRiskConfig(path, &again, &error, &created), error.c_str());
    QVERIFY(!created);
    QCOMPARE(again.account[std::size_t(Limit::MaxOpenOrders)].value, 50.0);
    QCOMPARE(again.source, path);
  }

  void fileKeysOnTopOfTheDefaults() {
    RiskConfig c;
    std::string error;
    QVERIFY2(parseRiskConfig(R"({
      // comments are allowed
      "version": 1,
      "account": {"max_open_orders": 20, "self_trade": false, "max_cancel_rate": "off"},
      "instruments": {"BTC-PERPETUAL": {"max_position": 2000000}, "BTC-*-C": {"iv_band": 8}},
      "strategies": {"acme.mm": {"max_open_orders": {"value": 5, "enabled": false}}},
      "underlyings": {"BTC": {"max_net_delta": 10}},
      "triggers": {"daily_loss": {"threshold": 0.25, "action": "reduce"}, "engine_lag": "off"}
    })", "r.json", &c, &error), error.c_str());
    QCOMPARE(c.account[std::size_t(Limit::MaxOpenOrders)].value, 20.0);
    QVERIFY(!c.account[std::size_t(Limit::SelfTrade)].enabled);
    QVERIFY(!c.account[std::size_t(Limit::MaxCancelRate)].enabled);
    QCOMPARE(c.account[std::size_t(Limit::MaxCancelRate)].value, 100.0);  // the default value, switched off
    QCOMPARE(c.account[std::size_t(Limit::MaxSubmitRate)].value, 100.0);  // untouched: the default
    QCOMPARE(RiskConfig::entry(c.instruments, "BTC-PERPETUAL")[std::size_t(Limit::MaxPosition)].value, 2e6);
    QCOMPARE(RiskConfig::entry(c.instruments, "BTC-*-C")[std::size_t(Limit::IvBand)].value, 8.0);
    const LimitSetting& mm = RiskConfig::entry(c.strategies, "acme.mm")[std::size_t(Limit::MaxOpenOrders)];
    QCOMPARE(mm.value, 5.0);
    QVERIFY(!mm.enabled);
    QCOMPARE(RiskConfig::entry(c.underlyings, "BTC")[std::size_t(Limit::MaxNetDelta)].value, 10.0);
    QCOMPARE(c.triggers[std::size_t(Trigger::DailyLoss)].threshold, 0.25);
    QCOMPARE(c.triggers[std::size_t(Trigger::DailyLoss)].action, TriggerAction::Reduce);
    QCOMPARE(c.triggers[std::size_t(Trigger::EngineLag)].action, TriggerAction::Off);
    QCOMPARE(c.triggers[std::size_t(Trigger::Drawdown)].action, TriggerAction::Halt);  // default
  }

  void badValuesNameTheFileTheKeyAndTheReason_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("negative") << R"({"account": {"max_order_qty": -5}})" << "r.json: account/max_order_qty: must be a number >= 0";
    QTest::newRow("text") << R"({"account": {"price_band": "wide"}})" << "r.json: account/price_band: must be a number";
    QTest::newRow("zero count") << R"({"account": {"max_open_orders": 0}})" << "account/max_open_orders: must be at least 1";
    QTest::newRow("typo") << R"({"account": {"max_oder_qty": 5}})" << "account/max_oder_qty: unknown limit";
    QTest::newRow("wrong scope") << R"({"instruments": {"BTC-PERPETUAL": {"max_net_delta": 5}}})"
                                 << "instruments/BTC-PERPETUAL/max_net_delta: cannot be set per instruments";
    QTest::newRow("bad kind") << R"({"instruments": {"@swap": {"max_position": 5}}})" << "instruments/@swap: unknown kind";
    QTest::newRow("flag as number") << R"({"account": {"self_trade": 3}})" << "account/self_trade: is on/off";
    QTest::newRow("section") << R"({"acount": {}})" << "r.json: acount: unknown section";
    QTest::newRow("trigger") << R"({"triggers": {"daily_loss": {"action": "panic"}}})"
                             << "triggers/daily_loss: action must be \"halt\", \"reduce\" or \"off\"";
    QTest::newRow("trigger name") << R"({"triggers": {"daily_los": 1}})" << "triggers/daily_los: unknown trigger";
    QTest::newRow("version") << R"({"version": 2})" << "version: this kappa reads version 1";
    QTest::newRow("syntax") << "{\n  \"account\": {\n    \"max_order_qty\": 5,,\n  }\n}" << "r.json: parse error at line 3";
    // Numbers no double can hold: the JSON library throws a different exception for them (it
    // aborted kappa), and names neither key nor line by itself.
    QTest::newRow("out of range") << R"({"version":1,"account":{"max_open_orders":1e400}})"
                                  << "r.json: account/max_open_orders: 1e400 is out of range";
    QTest::newRow("out of range, line") << "{\n  \"instruments\": {\n    \"@option\": {\"max_position\": -1e999}\n  }\n}"
                                        << "r.json: instruments/@option/max_position: -1e999 is out of range (a number "
                                           "must lie within about +-1.8e308) (line 3)";
    QTest::newRow("out of range, integer") << R"({"account": {"max_order_qty": 1)" + QString(400, '0') + "}}"
                                           << "account/max_order_qty: 1000";
    QTest::newRow("out of range, trigger") << R"({"triggers": {"daily_loss": {"threshold": 2e308}}})"
                                           << "triggers/daily_loss/threshold: 2e308 is out of range";
    // A key given twice: the JSON library kept the last one silently.
    QTest::newRow("key twice") << R"({"account": {"max_open_orders": 5, "max_open_orders": 500}})"
                               << "r.json: account/max_open_orders: given twice";
    QTest::newRow("entry twice") << R"({"instruments": {"BTC-PERPETUAL": {"max_position": 1}, "@option": {},)"
                                    R"( "BTC-PERPETUAL": {"max_order_qty": 2}}})"
                                 << "r.json: instruments/BTC-PERPETUAL: given twice";
    QTest::newRow("section twice") << R"({"account": {}, "triggers": {}, "account": {}})" << "r.json: account: given twice";
    QTest::newRow("version 2^32 + 1") << R"({"version": 4294967297})" << "version: this kappa reads version 1 (got 4294967297)";
    QTest::newRow("version 2^64 - 1") << R"({"version": 18446744073709551615})" << "version: this kappa reads version 1";
    QTest::newRow("version -1") << R"({"version": -1})" << "version: this kappa reads version 1 (got -1)";
    // A rate sizes a window of that many timestamps: 1e12 would allocate 8 TB.
    QTest::newRow("rate beyond its maximum") << R"({"account": {"max_submit_rate": 1e12}})"
                                             << "account/max_submit_rate: must be at most 10000 (orders/s), or \"off\"";
    QTest::newRow("window beyond its maximum") << R"({"instruments": {"@option": {"duplicate_window_ms": 1e300}}})"
                                               << "instruments/@option/duplicate_window_ms: must be at most 86400000";
  }
  void badValuesNameTheFileTheKeyAndTheReason() {
    QFETCH(QString, json);
    QFETCH(QString, expected);
    RiskConfig c;
    std::string error;
    QVERIFY(!parseRiskConfig(json.toStdString(), "r.json", &c, &error));
    QVERIFY2(QString::fromStdString(error).contains(expected), error.c_str());
  }

  void commandLineOverrides() {
    RiskConfig c = RiskConfig::defaults();
    std::string error;
    QVERIFY2(applyRiskOverride(&c, "max_open_orders=20", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "instruments/@option/max_position=off", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "strategies/*/max_submit_rate=10", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "underlyings/BTC/max_net_vega=1.5", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "triggers/daily_loss=0.2", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "triggers/drawdown/action=reduce", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "venues/binance-futures/max_open_orders=7", &error), error.c_str());
    QCOMPARE(RiskConfig::entry(c.venues, "binance-futures")[std::size_t(Limit::MaxOpenOrders)].value, 7.0);
    // Greeks add up per underlying across venues: no venue scope for them.
    QVERIFY(!applyRiskOverride(&c, "venues/deribit/max_net_delta=1", &error));
    QVERIFY2(QString::fromStdString(error).contains("cannot be set per venue"), error.c_str());
    {  // and back through the file's own format
      RiskConfig again;
      QVERIFY2(parseRiskConfig(riskConfigJson(c), "round-trip", &again, &error), error.c_str());
      QCOMPARE(RiskConfig::entry(again.venues, "binance-futures")[std::size_t(Limit::MaxOpenOrders)].value, 7.0);
    }
    QCOMPARE(c.account[std::size_t(Limit::MaxOpenOrders)].value, 20.0);
    QVERIFY(!RiskConfig::entry(c.instruments, "@option")[std::size_t(Limit::MaxPosition)].enabled);
    QCOMPARE(RiskConfig::entry(c.strategies, "*")[std::size_t(Limit::MaxSubmitRate)].value, 10.0);
    QCOMPARE(RiskConfig::entry(c.underlyings, "BTC")[std::size_t(Limit::MaxNetVega)].value, 1.5);
    QCOMPARE(c.triggers[std::size_t(Trigger::DailyLoss)].threshold, 0.2);
    QCOMPARE(c.triggers[std::size_t(Trigger::Drawdown)].action, TriggerAction::Reduce);
    for (const char* bad : {"max_open_orders", "max_open_orders=-1", "nonsense=3", "instruments/x/max_net_delta=1",
                            "triggers/daily_loss/action=panic", "a/b/c/d=1", "max_open_orders=1e400",
                            "max_open_orders={\"value\": 1e400}", "triggers/daily_loss=-1e999",
                            "max_cancel_rate=1e19"}) {
      error.clear();
      QVERIFY2(!applyRiskOverride(&c, bad, &error), bad);
      QVERIFY2(QString::fromStdString(error).startsWith(QString("--risk ") + bad), error.c_str());
    }
    QVERIFY(!applyRiskOverride(&c, "max_open_orders=1e400", &error));
    QVERIFY2(error == "--risk max_open_orders=1e400: 1e400 is out of range (a number must lie within about +-1.8e308)",
             error.c_str());
    // Not UTF-8 (a damaged journal row is re-applied through here): refused with a reason, the
    // bytes shown replaced, never an exception from the JSON library.
    for (const std::string& bad : {std::string("max_open_orders=\xff\xfe"), std::string("triggers/daily_loss/action=\xc3"),
                                  std::string("triggers/daily_loss=\x80")}) {
      error.clear();
      QVERIFY(!applyRiskOverride(&c, bad, &error));
      QVERIFY2(error.rfind("--risk " + bad + ": ", 0) == 0, error.c_str());
      QVERIFY2(error.find("(got \"\xEF\xBF\xBD") != std::string::npos, error.c_str());  // U+FFFD
    }
    QCOMPARE(c.account[std::size_t(Limit::MaxOpenOrders)].value, 20.0);  // nothing refused changed anything
    // As in risk.json, an @kind must exist (found by fuzz_risk_config: a typo applied to nothing),
    // and a refused override leaves no entry behind.
    const std::size_t instrumentEntries = c.instruments.size();
    QVERIFY(!applyRiskOverride(&c, "instruments/@optoin/max_position=100", &error));
    QVERIFY2(error.find("instruments/@optoin: unknown kind") != std::string::npos, error.c_str());
    QVERIFY(!applyRiskOverride(&c, "instruments/BTC-X/no_such_limit=1", &error));
    QCOMPARE(c.instruments.size(), instrumentEntries);
    // A value that is not UTF-8 is refused with the reason (its quote in the message threw, found
    // by fuzz_risk_config).
    for (const char* bad : {"max_open_orders=\xff", "triggers/daily_loss/action=\xce", "triggers/daily_loss=\xf1",
                            "self_trade=\x80x"}) {
      error.clear();
      QVERIFY2(!applyRiskOverride(&c, bad, &error), bad);
      QVERIFY2(QString::fromStdString(error).startsWith("--risk "), error.c_str());
    }
    // Whatever names --risk gave, the configuration is written back as risk.json that reads again.
    QVERIFY2(applyRiskOverride(&c, "instruments/BTC\"X\\/max_position=100", &error), error.c_str());
    QVERIFY2(applyRiskOverride(&c, "strategies/some-id/max_submit_rate=off", &error), error.c_str());
    RiskConfig again;
    QVERIFY2(parseRiskConfig(riskConfigJson(c), "round trip", &again, &error), error.c_str());
    QCOMPARE(RiskConfig::entry(again.instruments, "BTC\"X\\")[std::size_t(Limit::MaxPosition)].value, 100.0);
    QVERIFY(!RiskConfig::entry(again.strategies, "some-id")[std::size_t(Limit::MaxSubmitRate)].enabled);
  }

  void manyScopedEntriesLoadInLinearTime() {
    // 100,000 instrument entries (and 3,000 strategies): every one read, with its value, the
    // defaults' own entries refined in place, not duplicated; then resolved by the gate for 2,000
    // instruments, each by its own entry. The parse searched the entry list for every key and the
    // gate compared every entry with every instrument three times: n^2 and n x m (about 20 s and
    // 6 s here). Generous bounds below; the speed itself is measured by BM_RiskConfigLoad and
    // BM_RiskConfigResolve (tests/bench).
    constexpr int kEntries = 100'000, kStrategies = 3'000, kInstruments = 2'000;
    std::string json = R"({"version": 1, "instruments": {"@option": {"max_order_qty": 7}, "BTC-*-C": {"max_order_qty": 9})";
    for (int i = 0; i < kEntries; ++i)
      json += ", \"BTC-" + std::to_string(i) + "-C\": {\"max_position\": " + std::to_string(i + 1) + "}";
    json += R"(}, "strategies": {)";
    for (int i = 0; i < kStrategies; ++i)
      json += (i ? ", " : "") + std::string("\"s") + std::to_string(i) + "\": {\"max_open_orders\": " + std::to_string(i + 1) + "}";
    json += "}}";
    RiskConfig c;
    std::string error;
    const auto started = std::chrono::steady_clock::now();
    QVERIFY2(parseRiskConfig(json, "big.json", &c, &error), error.c_str());
    const double parseSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    QCOMPARE(c.instruments.size(), std::size_t(kEntries + 4));  // + @perpetual, @future, @option, BTC-*-C
    QCOMPARE(c.strategies.size(), std::size_t(kStrategies));
    std::map<std::string, const LimitSet*> byKey;
    for (const ScopedLimits& e : c.instruments) QVERIFY2(byKey.emplace(e.key, &e.limits).second, e.key.c_str());
    for (int i = 0; i < kEntries; ++i) {
      const LimitSet* l = byKey["BTC-" + std::to_string(i) + "-C"];
      QVERIFY(l);
      QCOMPARE((*l)[std::size_t(Limit::MaxPosition)].value, double(i + 1));
    }
    QCOMPARE((*byKey["@option"])[std::size_t(Limit::MaxOrderQty)].value, 7.0);     // refined
    QCOMPARE((*byKey["@option"])[std::size_t(Limit::MaxPosition)].value, 500.0);  // the default kept
    QCOMPARE(c.strategies.back().limits[std::size_t(Limit::MaxOpenOrders)].set(), true);
    // Resolved per instrument: kind (@option), then the pattern, then the exact name.
    InstrumentRegistry reg;
    for (int i = 0; i < kInstruments; ++i) {
      Instrument o;
      o.name = "BTC-" + std::to_string(i * 37) + "-C";
      o.kind = InstrumentKind::Option;
      reg.add(o);
    }
    PreTradeLimits limits(reg);
    const auto resolving = std::chrono::steady_clock::now();
    limits.configure(c);
    const double resolveSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - resolving).count();
    for (InstrumentId id = 0; id < InstrumentId(kInstruments); ++id) {
      QCOMPARE(limits.orderLimitValue(Limit::MaxPosition, id), double(id * 37 + 1));  // its own entry
      QCOMPARE(limits.orderLimitValue(Limit::MaxOrderQty, id), 9.0);                  // the pattern over @option's 7
    }
    QVERIFY2(parseSeconds < 3.0 && resolveSeconds < 2.0,
             qPrintable(QString("parse: %1 s, resolve: %2 s").arg(parseSeconds).arg(resolveSeconds)));
  }

  void patterns() {
    QVERIFY(matchesPattern("BTC-*-C", "BTC-27DEC26-50000-C"));
    QVERIFY(!matchesPattern("BTC-*-C", "BTC-27DEC26-50000-P"));
    QVERIFY(matchesPattern("*", "anything"));
    QVERIFY(matchesPattern("BTC-PERPETUAL", "BTC-PERPETUAL"));
    QVERIFY(!matchesPattern("BTC-PERP", "BTC-PERPETUAL"));
    QVERIFY(matchesPattern("*-PERPETUAL", "ETH-PERPETUAL"));
  }

  // ---------------------------------------------------------------- pre-trade limits

  void maxOrderQty() {
    Fixture f;
    f.set("instruments/@perpetual/max_order_qty=1000");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'990, 1000));
    REFUSED(f, f.order(f.perp, Side::Buy, 49'990, 1010), "max_order_qty (BTC-PERPETUAL): 1010, limit 1000");
    f.set("instruments/@perpetual/max_order_qty=off");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'990, 1010));
  }

  void maxOrderNotional() {
    Fixture f;
    f.set("max_order_notional=100000");  // USD
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'990, 100'000));  // inverse: the amount is USD
    REFUSED(f, f.order(f.perp, Side::Buy, 49'990, 100'010), "max_order_notional (BTC-PERPETUAL): 100010 USD, limit 100000 USD");
    ACCEPTED(f, f.order(f.call, Side::Buy, 0.1, 2));  // 2 BTC x 50,000 index
    REFUSED(f, f.order(f.call, Side::Buy, 0.1, 2.1), "max_order_notional (BTC-27DEC26-50000-C): 105000 USD");
    f.set("max_order_notional=off");
    ACCEPTED(f, f.order(f.call, Side::Buy, 0.1, 2.2));
  }

  void priceBandAgainstTheMid() {
    Fixture f;
    f.set("price_band=0.05");  // mid 50,000: 47,500 .. 52,500
    ACCEPTED(f, f.order(f.perp, Side::Buy, 52'500, 10));
    ACCEPTED(f, f.order(f.perp, Side::Sell, 47'500, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 52'500.5, 10), "price_band (BTC-PERPETUAL): 52500.5 is 5.001 % from the reference 50000");
    REFUSED(f, f.order(f.perp, Side::Sell, 47'499.5, 10), "price_band");
    // No reference price at all: a fat-finger check cannot pass what it cannot check.
    MdEvent stale;
    stale.type = MdType::BookStale;
    stale.instrument = f.future;
    f.market->apply(stale);
    REFUSED(f, f.order(f.future, Side::Buy, 50'000, 10), "price_band (BTC-25DEC26): no mid or mark price");
    f.set("price_band=off");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 60'000, 10));
  }

  void ivBandForOptions() {
    Fixture f;
    f.set("iv_band=15");
    REFUSED(f, f.order(f.call, Side::Buy, 0.1, 1), "iv_band (BTC-27DEC26-50000-C): no mark IV");
    f.setOptionAnalytics(0.60);
    // Prices of the call at 74 % and 76 % vol (coin = Black-76 / forward).
    auto coin = [](double vol) {
      return pricing::black76Price(pricing::CallPut::Call, 50'000, 50'000, 1.0, 0.0, vol) / 50'000;
    };
    const double tick = 0.0005;
    const double inside = std::floor(coin(0.745) / tick) * tick, outside = std::ceil(coin(0.755) / tick) * tick;
    ACCEPTED(f, f.order(f.call, Side::Buy, inside, 1));
    REFUSED(f, f.order(f.call, Side::Buy, outside, 1), "vol points, limit 15");
    const double low = std::ceil(coin(0.455) / tick) * tick;
    ACCEPTED(f, f.order(f.call, Side::Sell, low, 1));
    REFUSED(f, f.order(f.call, Side::Sell, std::floor(coin(0.445) / tick) * tick, 1), "iv_band");
    REFUSED(f, f.order(f.call, Side::Buy, 1.0, 1), "above the option's maximum value");  // a call is worth < 1 BTC
    f.set("iv_band=off");
    ACCEPTED(f, f.order(f.call, Side::Buy, outside, 1));
  }

  void maxPositionCountsWorkingOrders() {
    Fixture f;
    f.set("instruments/BTC-PERPETUAL/max_position=1000");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'990, 600));
    const OrderId first = f.lastId();
    REFUSED(f, f.order(f.perp, Side::Buy, 49'990, 410), "max_position (BTC-PERPETUAL): 0 with 600 working -> 1010, limit 1000");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'980, 400));
    f.ack(first);
    f.fill(first, 49'990, 600);  // position 600, 400 still working
    REFUSED(f, f.order(f.perp, Side::Buy, 49'980, 10), "max_position");
    ACCEPTED(f, f.order(f.perp, Side::Sell, 50'010, 1000));  // reducing (even beyond flat) passes
    // A more specific scope wins over a wider one: the exact name over @perpetual.
    f.set("instruments/@perpetual/max_position=5000");
    REFUSED(f, f.order(f.perp, Side::Buy, 49'980, 10), "max_position (BTC-PERPETUAL)");
    f.set("instruments/BTC-PERPETUAL/max_position=off");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'980, 10));
  }

  void greekLimitsPerUnderlying() {
    Fixture f;
    f.set("underlyings/BTC/max_net_delta=1");  // BTC: a perpetual's Q USD is Q / 50,000 BTC
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'990, 50'000));  // +1.0 BTC exactly
    const OrderId id = f.lastId();
    f.ack(id);
    f.fill(id, 50'000, 50'000);
    REFUSED(f, f.order(f.perp, Side::Buy, 49'990, 10), "max_net_delta (BTC): net 1 -> 1.0002 BTC, limit 1");
    ACCEPTED(f, f.order(f.perp, Side::Sell, 50'010, 10));  // reduces
    // Options need their Greeks: none yet means the order cannot be checked.
    REFUSED(f, f.order(f.call, Side::Buy, 0.1, 1), "no Greeks for BTC-27DEC26-50000-C yet");
    f.setOptionAnalytics();
    ACCEPTED(f, f.order(f.call, Side::Sell, 0.101, 1));  // delta -0.5: reduces
    REFUSED(f, f.order(f.call, Side::Buy, 0.1, 1), "max_net_delta");
    f.set("underlyings/BTC/max_net_delta=off");
    f.set("max_net_vega=0.5");  // BTC per vol point: 1 call = 0.004
    ACCEPTED(f, f.order(f.call, Side::Buy, 0.1, 100));  // 0.4
    const OrderId opt = f.lastId();
    f.ack(opt);
    f.fill(opt, 0.1, 100);
    REFUSED(f, f.order(f.call, Side::Buy, 0.1, 30), "max_net_vega (BTC): net 0.4 -> 0.52");
  }

  void maxOpenOrdersByScope() {
    Fixture f;
    f.set("max_open_orders=3");
    for (int i = 0; i < 3; ++i) ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000 - i, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 48'000, 10), "max_open_orders (account): 4 orders, limit 3");
    const OrderId first = f.oms->working().front();
    f.cancelled(first);  // one leaves: room for one
    ACCEPTED(f, f.order(f.perp, Side::Buy, 48'000, 10));
    // Per strategy: each instance of acme.mm may hold one.
    f.set("max_open_orders=off");
    f.set("strategies/acme.mm/max_open_orders=1");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 47'000, 10, 7));
    REFUSED(f, f.order(f.perp, Side::Buy, 46'999, 10, 7), "max_open_orders (strategy #7 acme.mm): 2 orders, limit 1");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 46'998, 10, 8));  // another strategy: not its limit
    // Per instrument: counted per instrument.
    f.set("instruments/@future/max_open_orders=1");
    ACCEPTED(f, f.order(f.future, Side::Buy, 50'000, 10));
    REFUSED(f, f.order(f.future, Side::Buy, 49'999.5, 10), "max_open_orders (@future BTC-25DEC26): 2 orders, limit 1");
  }

  void submitRateInAnyRollingSecond() {
    Fixture f;
    f.set("max_submit_rate=100");
    for (int i = 0; i < 100; ++i) {
      f.now = kT0 + i * 5'000'000;  // 100 orders in 0.5 s
      ACCEPTED(f, f.order(f.perp, Side::Buy, 40'000 + i, 10));
    }
    f.now = kT0 + kSecond - 1;  // the first is 1 ns short of a second old
    REFUSED(f, f.order(f.perp, Side::Buy, 39'000, 10), "max_submit_rate (account): 101 orders/s, limit 100");
    f.now = kT0 + kSecond;  // now it is a second old
    ACCEPTED(f, f.order(f.perp, Side::Buy, 39'000, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 38'999.5, 10), "max_submit_rate");
    // The per-instrument limit counts each instrument on its own.
    Fixture g;
    g.set("instruments/@perpetual/max_submit_rate=2");
    ACCEPTED(g, g.order(g.perp, Side::Buy, 49'000, 10));
    ACCEPTED(g, g.order(g.perp, Side::Buy, 48'999.5, 10));
    REFUSED(g, g.order(g.perp, Side::Buy, 48'999, 10), "max_submit_rate (@perpetual BTC-PERPETUAL)");
    ACCEPTED(g, g.order(g.future, Side::Buy, 50'000, 10));
  }

  void cancelAndModifyRate() {
    Fixture f;
    f.set("max_cancel_rate=2");
    for (int i = 0; i < 4; ++i) ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000 - i, 10));
    const std::vector<OrderId> ids = f.oms->working();
    for (OrderId id : ids) f.ack(id);
    std::string why;
    QVERIFY(f.oms->replace(ids[0], toFixed(48'000), toFixed(10), f.now, &why));  // a modify counts
    QVERIFY(f.oms->cancel(ids[1], f.now, &why, true));
    QVERIFY(!f.oms->cancel(ids[2], f.now, &why, true));
    QVERIFY2(why.find("max_cancel_rate (account): 3 requests/s, limit 2") != std::string::npos, why.c_str());
    QVERIFY(!f.oms->replace(ids[3], toFixed(48'000), toFixed(20), f.now, &why));
    // The halt's, FLATTEN's and cancel-all's cancels are never limited.
    // (3: the one whose cancel is already on its way is not asked for again.)
    QCOMPARE(f.oms->cancelAll(f.now), std::size_t(3));
    f.now += kSecond;  // a second later the window has room again
    QVERIFY2(f.oms->replace(ids[2], toFixed(48'000), toFixed(10), f.now, &why), why.c_str());
  }

  void duplicatesWithinTheWindow() {
    Fixture f;
    f.set("duplicate_window_ms=100");
    const OrderRequest r = f.order(f.perp, Side::Buy, 49'000, 10);
    ACCEPTED(f, r);
    f.now += 99'000'000;
    REFUSED(f, r, "duplicate_window_ms (BTC-PERPETUAL): the same buy 10 @ 49000 was sent 99 ms ago");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 20));  // not the same
    f.now += 1'000'000;  // 100 ms after the first
    ACCEPTED(f, r);
    f.set("duplicate_window_ms=off");
    ACCEPTED(f, r);
  }

  void selfTradePrevention() {
    Fixture f;
    f.set("self_trade=on");
    ACCEPTED(f, f.order(f.perp, Side::Sell, 50'100, 10));
    const OrderId ask = f.lastId();
    f.ack(ask);
    ACCEPTED(f, f.order(f.perp, Side::Buy, 50'099.5, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 50'100, 10), "self_trade (BTC-PERPETUAL): would trade against our own sell #1");
    OrderRequest mkt = f.order(f.perp, Side::Buy, 0, 10);
    mkt.type = OrderType::Market;
    REFUSED(f, mkt, "self_trade");
    ACCEPTED(f, f.order(f.future, Side::Buy, 50'100, 10));  // another instrument
    f.set("self_trade=off");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 50'100, 10));
  }

  void dailyCountsResetAtUtcMidnight() {
    Fixture f;
    f.set("max_daily_orders=2");
    f.set("max_daily_fills=1");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 10));
    const OrderId id = f.lastId();
    f.ack(id);
    f.fill(id, 49'000, 10);  // the day's one fill: no new orders
    REFUSED(f, f.order(f.perp, Side::Buy, 48'000, 10), "max_daily_fills (account): 1 fills, limit 1: no new orders today");
    f.set("max_daily_fills=off");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 48'000, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 47'000, 10), "max_daily_orders (account): 3 orders, limit 2");
    f.now = (kT0 / (86'400 * kSecond) + 1) * 86'400 * kSecond;  // next UTC day
    ACCEPTED(f, f.order(f.perp, Side::Buy, 47'000, 10));
  }

  void refusalsMakeTheBreachHistory() {
    Fixture f;
    f.set("max_open_orders=1");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 10));
    for (int i = 0; i < 5; ++i) REFUSED(f, f.order(f.perp, Side::Buy, 48'000 - i, 10), "max_open_orders");
    const auto& b = f.gate.breaches().entries();
    QCOMPARE(b.size(), std::size_t(1));  // one line per limit and scope, with its count
    QCOMPARE(b[0].what, std::string("max_open_orders"));
    QCOMPARE(b[0].scope, std::string("account"));
    QCOMPARE(b[0].count, std::uint64_t(5));
    QVERIFY(!b[0].trigger);
    std::vector<LimitUse> use;
    f.gate.limits().usage(f.now, *f.oms, &use);
    auto row = std::find_if(use.begin(), use.end(), [](const LimitUse& u) {
      return u.limit == Limit::MaxOpenOrders && u.scope == "account";
    });
    QVERIFY(row != use.end());
    QCOMPARE(row->use, 1.0);
    QCOMPARE(row->value, 1.0);
  }

  void rateWindowKeepsItsNewestEventsWhenTheLimitChanges() {
    RateWindow w;
    w.setLimit(100);
    for (int i = 0; i < 90; ++i) w.add(kT0 + i * 1'000'000);
    w.setLimit(50);  // lowered mid-second: the 50 newest stay, the window is full
    QVERIFY(!w.fits(kT0 + 100'000'000));
    QCOMPARE(w.inLastSecond(kT0 + 100'000'000), std::size_t(50));
    QVERIFY(w.fits(kT0 + 40'000'000 + kSecond));  // the oldest kept (t0 + 40 ms) is a second old
    w.setLimit(0);
    QVERIFY(w.fits(kT0));  // off
  }

  void flattenOrdersPassTheCountedLimits() {
    Fixture f;
    f.set("max_open_orders=1");
    f.set("max_daily_orders=1");
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 10));
    REFUSED(f, f.order(f.perp, Side::Buy, 48'000, 10), "max_open_orders");
    OrderRequest system = f.order(f.perp, Side::Sell, 49'990, 10);
    system.origin = OrderOrigin::System;  // FLATTEN's: reducing by construction
    ACCEPTED(f, system);
  }

  void dailyCountsOnlyRollForward() {
    Fixture f;
    f.set("max_daily_orders=1");
    const Nanos midnight = (kT0 / (86'400 * kSecond) + 1) * 86'400 * kSecond;
    f.now = midnight + kSecond;
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 10));
    const OrderId id = f.lastId();
    f.ack(id);
    f.now = midnight - 1'000'000;  // a fill the venue stamped just before midnight arrives now
    f.fill(id, 49'000, 10);
    f.now = midnight + 2 * kSecond;
    REFUSED(f, f.order(f.perp, Side::Buy, 48'000, 10), "max_daily_orders (account): 2 orders, limit 1");
  }

  void replaceMustLeaveSomethingToWork() {
    Fixture f;
    ACCEPTED(f, f.order(f.perp, Side::Buy, 49'000, 100));
    const OrderId id = f.lastId();
    f.ack(id);
    f.fill(id, 49'000, 40);
    std::string why;
    QVERIFY(!f.oms->replace(id, toFixed(49'000), toFixed(40), f.now, &why));
    QVERIFY2(why.find("is not above the 40 filled") != std::string::npos, why.c_str());
    QVERIFY2(f.oms->replace(id, toFixed(49'000), toFixed(50), f.now, &why), why.c_str());
  }

  // ---------------------------------------------------------------- triggers

  void dailyLossAndDrawdownFromTheIntradayPeak() {
    RiskMonitor m;
    RiskConfig c = RiskConfig::defaults();  // daily loss 1 BTC, drawdown 0.5 BTC, both halt
    m.configure(c.triggers);
    QVERIFY(!m.onEquity(10.0, kT0));   // the day starts at 10
    QVERIFY(!m.onEquity(12.0, kT0));   // up 2: the peak
    // Down 0.6 from the peak while still up 1.4 on the day: a drawdown, not a daily loss.
    auto fired = m.onEquity(11.4, kT0);
    QVERIFY(fired);
    QCOMPARE(fired->trigger, Trigger::Drawdown);
    QCOMPARE(fired->action, TriggerAction::Halt);
    QVERIFY2(fired->reason.find("0.6 BTC below today's peak 12") != std::string::npos, fired->reason.c_str());
    QVERIFY(!m.onEquity(11.3, kT0));  // fires once
    auto loss = m.onEquity(8.9, kT0);  // 1.1 below the day's start
    QVERIFY(loss);
    QCOMPARE(loss->trigger, Trigger::DailyLoss);
    m.rearm();
    QVERIFY(m.onEquity(8.9, kT0));  // armed again after RESUME, still beyond
    // A new UTC day starts from its own first equity.
    RiskMonitor n;
    n.configure(c.triggers);
    QVERIFY(!n.onEquity(10.0, kT0));
    QVERIFY(!n.onEquity(9.2, kT0 + 86'400 * kSecond));  // would be a 0.8 drawdown but it is a new day
  }

  void greekBreachStaleDataRejectsFaultsLag() {
    RiskConfig c = RiskConfig::defaults();
    RiskMonitor m;
    m.configure(c.triggers);
    // Greeks beyond 1.2 x the limit (the pre-trade check stops orders at 1 x; the market can move further).
    QVERIFY(!m.onGreeks("BTC", {59.0, 0, 0}, 50, 5, 2));
    auto g = m.onGreeks("BTC", {61.0, 0, 0}, 50, 5, 2);
    QVERIFY(g);
    QCOMPARE(g->trigger, Trigger::GreekBreach);
    QCOMPARE(g->action, TriggerAction::Reduce);
    // Stale data with working orders, for longer than 5 s (monotonic time).
    QVERIFY(!m.onStaleBooks({"BTC-PERPETUAL"}, 0));
    QVERIFY(!m.onStaleBooks({"BTC-PERPETUAL"}, 5 * kSecond));
    QVERIFY(!m.onStaleBooks({}, 5 * kSecond + 1));  // it recovered: the clock restarts
    QVERIFY(!m.onStaleBooks({"BTC-PERPETUAL"}, 6 * kSecond));
    auto s = m.onStaleBooks({"BTC-PERPETUAL"}, 11 * kSecond + 1);
    QVERIFY(s);
    QCOMPARE(s->trigger, Trigger::StaleData);
    // Reject rate: > 50 % of at least 20 orders in 10 s.
    m.onBeat(0, 0);
    for (std::uint64_t i = 1; i <= 10; ++i) QVERIFY(!m.onVenueReject(kSecond, 19));  // only 19 sent
    auto r = m.onVenueReject(kSecond, 20);  // 11 of 20
    QVERIFY(r);
    QCOMPARE(r->trigger, Trigger::RejectRate);
    auto fault = m.onStrategyFault("mm#1", "exception");
    QVERIFY(fault);
    QCOMPARE(fault->action, TriggerAction::Reduce);
    QVERIFY(!m.onLag(1999, 0));
    auto lag = m.onLag(10, 2001);
    QVERIFY(lag);
    QVERIFY2(lag->reason.find("market data arrived 2001 ms late") != std::string::npos, lag->reason.c_str());
    // Off means off.
    c.triggers[std::size_t(Trigger::EngineLag)].action = TriggerAction::Off;
    RiskMonitor off;
    off.configure(c.triggers);
    QVERIFY(!off.onLag(1e9, 1e9));
  }

  // ---------------------------------------------------------------- through the engine

  void triggerHaltsTheEngineAndIsJournaled() {
    QTemporaryDir dir;
    auto e = makeEngine(dir.path().toStdString());
    RiskConfig c = RiskConfig::defaults();
    c.triggers[std::size_t(Trigger::EngineLag)] = {0.0, TriggerAction::Reduce};  // any lag at all
    c.source = "test";
    e->setRiskConfig(c);
    e->start();
    QTRY_COMPARE_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().tradingState), TradingState::Reducing, 5000);
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), !e->snapshot().breaches.empty()), 3000);
    const Breach b = e->snapshot().breaches.back();
    QCOMPARE(b.what, std::string("engine_lag"));
    QVERIFY(b.trigger);
    QCOMPARE(b.action, std::string("reduce"));
    // Now a halting one: a limit changed at run time, journaled.
    e->changeRiskLimit("triggers/engine_lag/action=halt");
    // RESUME while the lag is still above the threshold would only trip it again: refused, with why.
    const std::string refused = e->resume();
    QVERIFY2(refused.find("late") != std::string::npos && refused.find("back under") != std::string::npos, refused.c_str());
    QCOMPARE((e->takeSnapshot(), e->snapshot().tradingState), TradingState::Reducing);
    // Back under the threshold (here: the threshold raised), RESUME works at once.
    e->changeRiskLimit("triggers/engine_lag/threshold=100000");
    QTRY_VERIFY_WITH_TIMEOUT(e->resume().empty(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().tradingState), TradingState::Active, 5000);
    e->changeRiskLimit("triggers/engine_lag/threshold=0");  // the re-armed trigger fires, this time halting
    QTRY_COMPARE_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().tradingState), TradingState::Halted, 5000);
    QVERIFY(e->call([&] { return e->halts(); }) >= 1);
    e->stop();
    // The journal holds the trigger and the limit change.
    e.reset();
    JournalState st;
    std::string error;
    QVERIFY(readJournalState(dir.filePath("journal.sqlite").toStdString(), &st, &error));
    QVERIFY(st.halted);
  }

  void runTimeSwitchesAndDailyCountsSurviveARestart() {
    QTemporaryDir dir;
    {
      auto e = makeEngine(dir.path().toStdString());
      e->setRiskConfig(RiskConfig::defaults());
      e->start();
      e->changeRiskLimit("max_daily_orders=3");
      QTRY_COMPARE_WITH_TIMEOUT(e->riskConfig().account[std::size_t(Limit::MaxDailyOrders)].value, 3.0, 3000);
      const InstrumentId perp = e->instruments().find("BTC-PERPETUAL")->id;
      QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->marketData().book(perp).bestBid() != nullptr; }), 5000);
      const Price bid = e->call([&] { return e->marketData().book(perp).bestBid()->price; });
      for (int i = 0; i < 2; ++i) {
        OrderRequest r;
        r.instrument = perp;
        r.price = bid - (30 + i) * e->instruments()[perp].tickSize;
        r.qty = toFixed(10);
        e->submit(r);
      }
      QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(2), 3000);
      e->journal()->flush();
      e->stop();
    }
    auto e = makeEngine(dir.path().toStdString());
    e->setRiskConfig(RiskConfig::defaults());  // risk.json says 100,000; the switch made last time wins
    e->start();
    QCOMPARE(e->riskConfig().account[std::size_t(Limit::MaxDailyOrders)].value, 3.0);
    const InstrumentId perp = e->instruments().find("BTC-PERPETUAL")->id;
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->marketData().book(perp).bestBid() != nullptr; }), 5000);
    const Price bid = e->call([&] { return e->marketData().book(perp).bestBid()->price; });
    for (int i = 0; i < 2; ++i) {  // today's third order passes, the fourth does not
      OrderRequest r;
      r.instrument = perp;
      r.price = bid - (40 + i) * e->instruments()[perp].tickSize;
      r.qty = toFixed(10);
      e->submit(r);
    }
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().ordersTotal(); }), std::uint64_t(2), 3000);
    QCOMPARE(e->call([&] { return e->orders().rejectsTotal(); }), std::uint64_t(1));
    QVERIFY2(e->call([&] { return e->orders().lastReject(); }).find("max_daily_orders (account): 4 orders, limit 3") !=
                 std::string::npos,
             e->call([&] { return e->orders().lastReject(); }).c_str());
    e->journal()->flush();
    e->stop();
    // The refused order is in the journal (for the audit), as a reject without an intent.
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open_v2(dir.filePath("journal.sqlite").toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    QCOMPARE(sqlite3_prepare_v2(db,
                                "SELECT count(*) FROM journal r WHERE r.kind = 'order_reject' AND r.text LIKE "
                                "'refused by the risk gate: max_daily_orders (account)%' AND NOT EXISTS (SELECT 1 FROM "
                                "journal i WHERE i.kind = 'order_intent' AND i.order_id = r.order_id)",
                                -1, &st, nullptr),
             SQLITE_OK);
    QCOMPARE(sqlite3_step(st), SQLITE_ROW);
    const int refused = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    QCOMPARE(refused, 1);
  }

  void limitsChangedAtRunTime() {
    auto e = makeEngine();
    e->start();
    const InstrumentId perp = e->instruments().find("BTC-PERPETUAL")->id;
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->marketData().book(perp).bestBid() != nullptr; }), 5000);
    const Price bid = e->call([&] { return e->marketData().book(perp).bestBid()->price; });
    e->changeRiskLimit("max_open_orders=1");
    auto place = [&](int ticksDown) {
      OrderRequest r;
      r.instrument = perp;
      r.side = Side::Buy;
      r.price = bid - ticksDown * e->instruments()[perp].tickSize;
      r.qty = toFixed(10);
      e->submit(r);
    };
    place(20);
    place(21);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().ordersTotal(); }), std::uint64_t(2), 3000);
    QCOMPARE(e->call([&] { return e->orders().working().size(); }), std::size_t(1));
    QVERIFY(e->call([&] { return e->orders().lastReject(); }).find("max_open_orders (account)") != std::string::npos);
    e->changeRiskLimit("max_open_orders=off");
    place(22);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(2), 3000);
    // A bad change is refused and shown; nothing changes.
    e->changeRiskLimit("max_open_orders=-3");
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), e->snapshot().riskError.find("max_open_orders=-3") != std::string::npos), 3000);
    QVERIFY(!e->riskConfig().account[std::size_t(Limit::MaxOpenOrders)].enabled);
    e->stop();
  }

  // ETH beside BTC on the simulator: each underlying's Greek limit counts its own coin. 1 ETH of net
  // delta refuses 10,000 USD of ETH-PERPETUAL (~2.9 ETH) while the same amount of BTC-PERPETUAL
  // (~0.15 BTC) passes BTC's limit of 1; the reason names ETH and its unit.
  void greekLimitsPerUnderlyingOnBtcAndEth() {
    auto e = makeEngine();
    e->start();
    const InstrumentId btc = e->instruments().find("BTC-PERPETUAL")->id;
    const InstrumentId eth = e->instruments().find("ETH-PERPETUAL")->id;
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] {
      return e->marketData().book(btc).bestBid() && e->marketData().book(eth).bestBid();
    }), 5000);
    e->changeRiskLimit("underlyings/ETH/max_net_delta=1");
    e->changeRiskLimit("underlyings/BTC/max_net_delta=1");
    auto place = [&](InstrumentId id) {
      const Price bid = e->call([&] { return e->marketData().book(id).bestBid()->price; });
      OrderRequest r;
      r.instrument = id;
      r.side = Side::Buy;
      r.price = bid - 20 * e->instruments()[id].tickSize;
      r.qty = toFixed(10'000);
      e->submit(r);
    };
    place(btc);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(1), 3000);
    place(eth);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().ordersTotal(); }), std::uint64_t(2), 3000);
    QCOMPARE(e->call([&] { return e->orders().working().size(); }), std::size_t(1));
    const std::string why = e->call([&] { return e->orders().lastReject(); });
    QVERIFY2(why.find("max_net_delta (ETH)") != std::string::npos && why.find(" ETH, limit 1") != std::string::npos, why.c_str());
    // The risk panel's rows: one per underlying and Greek.
    QTRY_VERIFY_WITH_TIMEOUT((e->takeSnapshot(), std::any_of(e->snapshot().limits.begin(), e->snapshot().limits.end(),
                                                             [](const LimitUse& u) { return u.scope == "ETH"; })), 3000);
    e->stop();
  }

  void flattenClosesPositionsWithinTheBands() {
    auto e = makeEngine();
    e->start();
    const InstrumentId perp = e->instruments().find("BTC-PERPETUAL")->id;
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->marketData().book(perp).live(); }), 5000);
    OrderRequest buy;
    buy.instrument = perp;
    buy.side = Side::Buy;
    buy.type = OrderType::Market;
    buy.qty = toFixed(2000);
    e->submit(buy);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().positions()[perp].qty; }), 2000.0, 3000);
    // A resting order that FLATTEN must cancel.
    OrderRequest rest;
    rest.instrument = perp;
    rest.side = Side::Buy;
    rest.price = e->call([&] { return e->marketData().book(perp).bestBid()->price; }) - toFixed(100);
    rest.qty = toFixed(10);
    e->submit(rest);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(1), 3000);
    e->flatten("test");
    QCOMPARE(e->tradingState(), TradingState::Reducing);  // at once
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().positions()[perp].qty; }), 0.0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(e->call([&] { return e->orders().working().size(); }), std::size_t(0), 3000);
    // Its orders were IOC sells from the system, inside the 5 % band of the mid.
    const auto flat = e->call([&] {
      std::vector<Order> v;
      for (const Order& o : e->orders().orders())
        if (o.request.tag == "flatten") v.push_back(o);
      return v;
    });
    QVERIFY(!flat.empty());
    for (const Order& o : flat) {
      QCOMPARE(o.request.side, Side::Sell);
      QCOMPARE(o.request.tif, TimeInForce::ImmediateOrCancel);
      QCOMPARE(o.request.origin, OrderOrigin::System);
      QVERIFY2(o.state != OrderState::Rejected, o.reason.c_str());
    }
    // REDUCING: a new buy is refused.
    e->submit(buy);
    QTRY_VERIFY_WITH_TIMEOUT(e->call([&] { return e->orders().lastReject(); }).find("REDUCING") != std::string::npos, 3000);
    e->stop();
  }

  void flattenFromHaltedGoesToReducingWithoutActive() {
    auto e = makeEngine();
    e->start();
    e->haltAll("test");
    QCOMPARE(e->tradingState(), TradingState::Halted);
    e->flatten("after the halt");
    QCOMPARE(e->tradingState(), TradingState::Reducing);
    e->stop();
  }
};

QTEST_GUILESS_MAIN(TestRisk)
#include "tst_risk.moc"
