// The wire formats of a remote engine (engine/remote): every snapshot part of a real engine on the
// embedded simulator survives encode -> decode, a decode changes only its part's fields, and bad
// input (truncated, corrupted, deeply nested, oversized, mis-addressed, wrong types) gives a reason
// that names the part and the field, never a crash. The instrument registry rebuilt from its
// encoding gives the same ids, names, lookups and retirements. Commands round-trip and bad ones are
// refused with their reason.
//
// Field-by-field equality: every wire mapping asserts at compile time that it lists all of its
// struct's fields (and every EngineSnapshot field is in a part), and the encoding is injective
// (integers exact, doubles bit for bit including NaN and -0), so a decoded part that re-encodes to
// the very same bytes equals the original in every field. Key values are checked directly too.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <future>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "remote/CommandCodec.hpp"
#include "remote/FocusLeases.hpp"
#include "remote/InstrumentCodec.hpp"
#include "remote/SnapshotCodec.hpp"
#include "sim/SimVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::remote;
using json = nlohmann::json;

namespace {

std::string plugin(const char* name) { return kappa::test::pluginDir().toStdString() + "/kappa-" + name + ".so"; }

bool hasFittedSurface(const EngineSnapshot& s) {
  if (!s.analytics) return false;
  for (const auto& chain : s.analytics->chains)
    for (const auto& e : chain->expiries)
      if (e.fit.ok()) return true;
  return false;
}

// A real engine on the simulator (BTC and ETH chains), run until its snapshot has quotes, depth,
// candles, a fitted surface, a resting order, a fill and a strategy instance.
struct LiveEngine {
  QTemporaryDir dir;
  std::unique_ptr<Engine> engine;
  InstrumentId perp = kNoInstrument;
  EngineSnapshot snapshot;
  std::string setupError;

  LiveEngine() {
    sim::SimConfig cfg;
    cfg.seed = 7;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    engine = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
    engine->setDataDir(dir.path().toStdString());
    engine->start();
    perp = engine->instruments().find("BTC-PERPETUAL")->id;
    const InstrumentId eth = engine->instruments().find("ETH-PERPETUAL")->id;
    engine->setFocus(perp);
    engine->setServedFocus({eth});  // two focused instruments, as with a window attached on ETH
    if (!waitFor(
            [&](const EngineSnapshot& s) {
              const FocusedMarket* m = s.focusedOn(perp);
              const FocusedMarket* e = s.focusedOn(eth);
              return m && e && m->depth.bids.size() >= 5 && !m->candles.empty() && e->depth.bids.size() >= 5 &&
                     hasFittedSurface(s);
            },
            30000)) {
      setupError = "no depth of both perpetuals, candles or fitted surface in 30 s";
      return;
    }
    const Price bid = engine->snapshot().focusedOn(perp)->depth.bids.front().price;
    OrderRequest resting;
    resting.instrument = perp;
    resting.side = Side::Buy;
    resting.price = bid - 200 * engine->instruments()[perp].tickSize;
    resting.qty = toFixed(100);
    resting.tag = "remote-codec";
    resting.clientRef = 4242;
    engine->submit(resting);
    OrderRequest taker;
    taker.instrument = perp;
    taker.side = Side::Buy;
    taker.type = OrderType::Market;
    taker.tif = TimeInForce::ImmediateOrCancel;
    taker.qty = toFixed(10);
    engine->submit(taker);

    Engine::StrategyLaunch launch;
    launch.path = plugin("test-echo");
    auto done = std::make_shared<std::promise<std::string>>();
    auto result = done->get_future();
    engine->launchStrategy(launch, [done](std::string e) { done->set_value(std::move(e)); });
    if (result.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      setupError = "strategy launch: no answer";
      return;
    }
    if (std::string e = result.get(); !e.empty()) {
      setupError = "strategy launch: " + e;
      return;
    }
    if (!waitFor([](const EngineSnapshot& s) {
          const bool restingOpen = std::any_of(s.orders.begin(), s.orders.end(), [](const Order& o) {
            return o.request.clientRef == 4242 && o.state == OrderState::Open;
          });
          return restingOpen && !s.fills.empty() && !s.strategies.empty() && !s.positions.empty();
        },
                 15000)) {
      setupError = "no orders, fill, position or strategy in the snapshot";
      return;
    }
    snapshot = engine->snapshot();
  }
  ~LiveEngine() { engine->stop(); }

  template <class Pred>
  bool waitFor(Pred pred, int ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      engine->takeSnapshot();
      if (pred(engine->snapshot())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

// Every field set to something other than its default, including NaN, the infinities and -0, so
// a field dropped or mixed up on the way shows.
EngineSnapshot syntheticSnapshot() {
  EngineSnapshot s;
  s.seq = 77;
  s.builtWall = 1'700'000'000'123'456'789;
  s.halted = true;
  s.tradingState = TradingState::Reducing;
  s.haltReason = "desk halt — ümlaut";
  s.haltedAt = 1'700'000'000'000'000'001;
  VenueRow v;
  v.id = 1;
  v.name = "deribit";
  v.environment = "testnet";
  v.state = VenueState::Degraded;
  v.detail = "connection lost; next retry in 4 s";
  v.stateAt = -5;
  VenueAccount acc{"BTC", 1.5, 1.25, 0.1, 0.05, 1.1, 99};
  v.accounts = {{acc, 123}};
  v.summary.environment = "testnet";
  v.summary.endpoint = "wss://example.invalid/ws";
  v.summary.state = VenueState::Connecting;
  v.summary.reconnects = 3;
  v.summary.resyncs = 4;
  v.summary.rateLimited = 5;
  v.summary.tooManyRequests = 6;
  v.summary.heartbeatLatency = -7;
  v.summary.accounts = {acc};
  v.summary.latestBlock = 1234567;
  v.summary.gasPaidToday = std::nan("");
  v.workingOrders = 8;
  v.positionChecks = 9;
  v.positionMismatches = 10;
  s.venues = {v, VenueRow{}};
  s.eventsTotal = ~0ull;
  s.eventsPerSecond = 12345.678;
  s.venueLagMs = -0.0;
  s.staleEpisodes = 2;
  s.quotes = {QuoteRow{3, 100, 200, 150, 140, 5, 6, BookStatus::Stale, StaleReason::Retired, -0.0001, 1'700'000'000'000},
              QuoteRow{}};
  FocusedMarket m;
  m.depth.instrument = 3;
  m.depth.bids = {{100, 1}, {99, 2}};
  m.depth.asks = {{200, 3}};
  m.depth.changeId = 55;
  m.depth.status = BookStatus::Live;
  m.depth.staleReason = StaleReason::SequenceGap;
  m.trades = {TradePrint{1, 3, 150, 7, Side::Sell, 42}};
  m.candles = {Candle{10, 1, 2, 0.5, 1.5, 1e-300}};
  FocusedMarket other;  // a second window's instrument, another book
  other.depth.instrument = 1;
  other.depth.bids = {{3000, 10}};
  other.depth.changeId = 56;
  other.trades = {TradePrint{2, 1, 3001, 1, Side::Buy, 43}, TradePrint{3, 1, 2999, 2, Side::Sell, 44}};
  other.candles = {Candle{10, 3000, 3002, 2998, 3001, 4}, Candle{20, 3001, 3001, 3001, 3001, 0}};
  s.focused = {m, other};
  s.ordersVersion = 11;
  Order o;
  o.id = 12;
  o.venueOrderId = 13;
  o.request = OrderRequest{3, Side::Sell, OrderType::Market, TimeInForce::ImmediateOrCancel, true, true, 150, 7,
                           OrderOrigin::Hedger, "tag", 14, 15};
  o.state = OrderState::Rejected;
  o.filled = 1;
  o.leaves = 6;
  o.avgFillPrice = 150.5;
  o.fees = 0.0001;
  o.created = 16;
  o.updated = 17;
  o.reason = "max_position: instrument BTC-PERPETUAL";
  o.cancelRequested = true;
  o.cancelSentAt = 18;
  s.orders = {o};
  s.fills = {Fill{19, 12, 3, Side::Sell, 150, 1, -0.5, true, 20}};
  s.positions = {PositionRow{3, -1.5, 150, 151, -1.5, 2.5, 0.1, 0.5}};
  s.underlyings = {UnderlyingRow{"BTC", 0, 70000, 0.01, 700}, UnderlyingRow{"ETH", 1, 3500, -0.2, -700}};
  s.totalPnlUsd = 0;
  s.indexPrice = 70000.25;
  auto chain = std::make_shared<analytics::ChainAnalytics>();
  chain->underlying = "BTC";
  chain->indexId = 0;
  chain->seq = 21;
  chain->computedAt = 22;
  chain->sampledAt = 23;
  chain->computeMicros = 24.5;
  chain->index = 70000;
  analytics::OptionAnalytics oa;
  oa.instrument = 3;
  oa.expiryIndex = 0;
  oa.strike = 70000;
  oa.k = -0.01;
  oa.t = 0.1;
  oa.isCall = false;
  oa.bidIv = 0.5;
  oa.askIv = 0.6;
  oa.midIv = 0.55;
  oa.bidStatus = pricing::IvStatus::Ok;
  oa.askStatus = pricing::IvStatus::NotConverged;
  oa.markIv = 0.5512345;
  oa.venueMarkIv = 0.56;
  oa.theo = 0.05;
  oa.edgeBid = 0.001;
  oa.edgeAsk = -0.001;
  oa.deltaCoin = -0.4, oa.gammaCoin = 1e-5, oa.vegaCoin = 0.1, oa.thetaCoin = -0.2;
  oa.deltaUsd = -0.45, oa.gammaUsd = 2e-5, oa.vegaUsd = 7000, oa.thetaUsd = -14000;
  chain->options = {oa, oa};
  analytics::ExpiryAnalytics ex;
  ex.expiry = 25;
  ex.t = 0.1;
  ex.forward = 70100;
  ex.forwardFromParity = true;
  ex.fit.params = {0.01, 0.1, -0.3, 0.02, 0.2};
  ex.fit.status = vol::SviFitStatus::NotConverged;
  ex.fit.rmse = 0.001, ex.fit.maxError = 0.002, ex.fit.gMin = -0.5, ex.fit.evaluations = 33, ex.fit.quotesUsed = 12;
  ex.fit.quotesSkipped = 2;
  ex.butterfly = {true, -0.5, 0.3, {{0.2, 0.4}}};
  ex.quotedKMin = -0.5, ex.quotedKMax = 0.5;
  ex.hasSurface = true;
  ex.surface = {0.02, 0.2, -0.1, 0.0, 0.3};
  ex.surfaceFittedAt = 26;
  ex.atmVol = 0.55;
  ex.options = {0, 1};
  chain->expiries = {ex};
  chain->calendar = {true, false, {vol::CalendarViolation{0, 0, 0.01, 0.2, {{0.1, 0.3}}}}};
  chain->fittedExpiries = {0};
  analytics::GreekTotals g{1, 2, 3, 4, 5, 6, 7, 8};
  chain->positions = {analytics::PositionRisk{3, -1.5, 0.07, g}};
  chain->total = g;
  chain->byExpiry = {{25, g}};
  chain->scenarioSpotShifts = {-0.1, 0, 0.1};
  chain->scenarioVolShifts = {0};
  chain->scenarioDays = {0, 7};
  for (int i = 0; i < 6; ++i) chain->scenarios.push_back({0.1 * i, 0, 7, -1.0 * i, -70000.0 * i});
  chain->pnlCurves = {analytics::PnlCurve{"now", {60000, 70000}, {-5, 5}}};
  auto market = std::make_shared<analytics::MarketAnalytics>();
  market->seq = 27;
  market->computedAt = 28;
  market->sampledAt = 29;
  market->computeMicros = 30.5;
  market->chains = {chain};
  market->usd = {analytics::UsdGreeks{1, 2, 3, 4, 5}};
  market->usdTotal = {1, 2, 3, 4, 5};
  market->scenariosUsdTotal = chain->scenarios;
  s.analytics = market;
  s.ordersTotal = 31, s.fillsTotal = 32, s.rejectsTotal = 33;
  s.lastReject = "price band";
  s.strategiesVersion = 34;
  ParamRow p{"spread", "half spread in ticks", "2.5", 2, 0, 100};
  s.plugins = {PluginRow{"/p/kappa-x.so", "ab", "cd", PluginApproval::Changed, true, "changed since approved",
                         {StrategyDescriptionRow{"kappa.x", "X", "1.0", "v", "d", {p}}}}};
  s.strategies = {StrategyRow{35, "x#1", "/p/kappa-x.so", "kappa.x", "X", "1.0", InstanceState::Faulted, {p}, 36, 37, 38, 39,
                              40, 41, -0.5, 0.25, "BTC", "threw"}};
  s.riskEvents = {RiskEventRow{42, "watchdog", "x#1", "callback overran"}};
  s.limitsEpoch = 43;
  s.limits = {LimitUse{Limit::MaxGasPerDay, "account", std::nan(""), 0.5, false, "account"}};
  s.orderQtyCap = {std::nan(""), 10.0, INFINITY, -INFINITY};
  s.triggers = {TriggerRow{Trigger::EngineLag, TriggerSetting{250, TriggerAction::Reduce}, 12.5, true}};
  s.breaches = {Breach{44, 45, "max_position", "BTC-PERPETUAL", "position 11 > 10", 46, true, "halt"}};
  s.breachesVersion = 47;
  s.riskSource = "risk.json";
  s.riskError = "unknown key";
  s.equityBtc = 1.5, s.dayPnlBtc = -0.25, s.drawdownBtc = 0.3;
  return s;
}

// Decodes every part into a fresh snapshot; each must re-encode to the same body bytes.
void roundTripEveryPart(const EngineSnapshot& s) {
  EngineSnapshot decoded;
  for (SnapshotPart part : kSnapshotParts) {
    const std::string bytes = encodePart(part, s, 1'700'000'000'000'000'000);
    PartHeader header;
    const std::string error = decodePart(part, bytes, decoded, &header);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(header.part, part);
    QCOMPARE(header.seq, s.seq);
    QCOMPARE(header.publishedWall, Nanos(1'700'000'000'000'000'000));
    QVERIFY2(encodePartBody(part, decoded) == encodePartBody(part, s), partName(part));
  }
  QVERIFY(decoded.builtMono == 0);  // not sent
}

// Truncations and corruptions of `bytes` give a reason (truncated) or at least no crash (a flipped
// byte may well make another valid message).
void attack(SnapshotPart part, const std::string& bytes) {
  EngineSnapshot into;
  into.seq = 999;
  const std::size_t stride = bytes.size() > 4096 ? bytes.size() / 1500 : 1;
  for (std::size_t n = 0; n < bytes.size(); n += stride) {
    const std::string error = decodePart(part, std::string_view(bytes).substr(0, n), into);
    QVERIFY2(!error.empty(), (std::string(partName(part)) + " truncated to " + std::to_string(n)).c_str());
    QVERIFY2(error.rfind(partName(part), 0) == 0, error.c_str());  // names the part
  }
  for (std::size_t n = bytes.size() > 64 ? bytes.size() - 64 : 0; n < bytes.size(); ++n)
    QVERIFY(!decodePart(part, std::string_view(bytes).substr(0, n), into).empty());
  QCOMPARE(into.seq, std::uint64_t(999));  // a failed decode changes nothing
  std::mt19937 rng(std::uint32_t(part) + 1);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = bytes;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = char(rng());
    EngineSnapshot scratch;
    (void)decodePart(part, bad, scratch);  // either way; must not crash
  }
}

// A message built by hand: [version, part, seq, wall, body].
std::string message(json body, int part, std::uint64_t version = kSnapshotWireVersion) {
  return [&] {
    std::vector<std::uint8_t> b = json::to_msgpack(json::array({version, part, 1, 2, std::move(body)}));
    return std::string(b.begin(), b.end());
  }();
}

}  // namespace

class TestRemoteCodec : public QObject {
  Q_OBJECT
 private slots:
  void partNames() {
    for (SnapshotPart part : kSnapshotParts) QCOMPARE(partFromName(partName(part)), std::optional<SnapshotPart>(part));
    QCOMPARE(std::string(partName(SnapshotPart::Analytics)), std::string("analytics"));
    QVERIFY(!partFromName("Engine"));
    QVERIFY(!partFromName(""));
  }

  void syntheticSnapshotRoundTrips() {
    const EngineSnapshot s = syntheticSnapshot();
    roundTripEveryPart(s);
    EngineSnapshot d;
    for (SnapshotPart part : kSnapshotParts) QVERIFY(decodePart(part, encodePart(part, s, 5), d).empty());
    QCOMPARE(d.haltReason, s.haltReason);
    QCOMPARE(d.tradingState, TradingState::Reducing);
    QCOMPARE(d.eventsTotal, ~0ull);
    QVERIFY(std::signbit(d.venueLagMs));  // -0 kept
    QVERIFY(std::isnan(d.venues[0].summary.gasPaidToday));
    QCOMPARE(d.venues[0].accounts[0].account.availableFunds, 1.1);
    QCOMPARE(d.quotes[0].staleReason, StaleReason::Retired);
    QCOMPARE(d.quotes[0].fundingRate, -0.0001);
    QCOMPARE(d.focused.size(), std::size_t(2));
    QVERIFY(d.focusedOn(3) && d.focusedOn(1) && !d.focusedOn(0));
    QCOMPARE(d.focusedOn(3)->depth.bids, s.focused[0].depth.bids);
    QCOMPARE(d.focusedOn(3)->depth.staleReason, StaleReason::SequenceGap);
    QCOMPARE(d.focusedOn(3)->candles[0].volume, 1e-300);
    QCOMPARE(d.focusedOn(1)->depth.bids, s.focused[1].depth.bids);
    QCOMPARE(d.focusedOn(1)->depth.changeId, std::uint64_t(56));
    QCOMPARE(d.focusedOn(1)->trades.size(), std::size_t(2));
    QCOMPARE(d.focusedOn(1)->trades[1].price, Price(2999));
    QCOMPARE(d.focusedOn(1)->candles.size(), std::size_t(2));
    QCOMPARE(d.orders[0].request.origin, OrderOrigin::Hedger);
    QCOMPARE(d.orders[0].request.clientRef, std::uint64_t(15));
    QCOMPARE(d.orders[0].reason, s.orders[0].reason);
    QCOMPARE(d.fills[0].fee, -0.5);
    QCOMPARE(d.positions[0].unconfirmedQty, 0.5);
    QCOMPARE(d.analytics->chains[0]->options[1].markIv, 0.5512345);
    QCOMPARE(d.analytics->chains[0]->options[0].askStatus, pricing::IvStatus::NotConverged);
    QCOMPARE(d.analytics->chains[0]->expiries[0].fit.quotesSkipped, 2);
    QCOMPARE(d.analytics->chains[0]->scenario(1, 0, 2).pnlUsd, -350000.0);
    QCOMPARE(d.analytics->chains[0]->byExpiry[0].second.thetaUsd, 8.0);
    QCOMPARE(d.strategies[0].state, InstanceState::Faulted);
    QCOMPARE(d.plugins[0].strategies[0].params[0].description, std::string("half spread in ticks"));
    QVERIFY(std::isnan(d.limits[0].use));
    QCOMPARE(d.limits[0].limit, Limit::MaxGasPerDay);
    QVERIFY(std::isnan(d.orderQtyCap[0]));
    QCOMPARE(d.orderQtyCap[2], double(INFINITY));
    QCOMPARE(d.orderQtyCap[3], -double(INFINITY));
    QCOMPARE(d.triggers[0].trigger, Trigger::EngineLag);
    QCOMPARE(d.triggers[0].setting.action, TriggerAction::Reduce);
    QCOMPARE(d.breaches[0].count, std::uint64_t(46));
    QCOMPARE(d.drawdownBtc, 0.3);
    // No analytics yet: nil, and decoding it clears the receiver's.
    EngineSnapshot none;
    QVERIFY(decodePart(SnapshotPart::Analytics, encodePart(SnapshotPart::Analytics, none, 0), d).empty());
    QVERIFY(!d.analytics);
  }

  void aDecodeChangesOnlyItsPart() {
    const EngineSnapshot s = syntheticSnapshot();
    EngineSnapshot d;
    d.seq = 5;
    d.haltReason = "kept";
    d.orderQtyCap = {1, 2};
    QVERIFY(decodePart(SnapshotPart::Quotes, encodePart(SnapshotPart::Quotes, s, 0), d).empty());
    QCOMPARE(d.quotes.size(), s.quotes.size());
    QCOMPARE(d.seq, std::uint64_t(5));
    QCOMPARE(d.haltReason, std::string("kept"));
    QCOMPARE(d.orderQtyCap, (std::vector<double>{1, 2}));
    QVERIFY(d.orders.empty() && d.venues.empty() && !d.analytics);
    QVERIFY(decodePart(SnapshotPart::Engine, encodePart(SnapshotPart::Engine, s, 0), d).empty());
    QCOMPARE(d.seq, std::uint64_t(77));
    QCOMPARE(d.underlyings.size(), std::size_t(2));
    QCOMPARE(d.orderQtyCap, (std::vector<double>{1, 2}));  // risk's, untouched
  }

  void liveEngineSnapshotRoundTrips() {
    LiveEngine live;
    QVERIFY2(live.setupError.empty(), live.setupError.c_str());
    const EngineSnapshot& s = live.snapshot;
    QVERIFY(s.analytics && s.analytics->chains.size() == 2);  // BTC and ETH
    roundTripEveryPart(s);

    EngineSnapshot d;
    for (SnapshotPart part : kSnapshotParts) QVERIFY(decodePart(part, encodePart(part, s, wallNow()), d).empty());
    QCOMPARE(d.seq, s.seq);
    QCOMPARE(d.quotes.size(), live.engine->instruments().size());
    const auto quoted = std::find_if(s.quotes.begin(), s.quotes.end(), [](const QuoteRow& q) { return q.bid > 0; });
    QVERIFY(quoted != s.quotes.end());
    QCOMPARE(d.quotes[std::size_t(quoted - s.quotes.begin())].bid, quoted->bid);
    QCOMPARE(d.focused.size(), std::size_t(2));  // BTC's (local) and ETH's (served) books
    for (const FocusedMarket& m : s.focused) {
      const FocusedMarket* got = d.focusedOn(m.depth.instrument);
      QVERIFY(got);
      QCOMPARE(got->depth.bids.front().price, m.depth.bids.front().price);
      QCOMPARE(got->depth.asks, m.depth.asks);
      QCOMPARE(got->trades.size(), m.trades.size());
    }
    QCOMPARE(d.focusedOn(live.perp)->candles.back().close, s.focusedOn(live.perp)->candles.back().close);
    // An option's mark IV from a fitted surface.
    const analytics::ChainAnalytics& chain = *s.analytics->chains[0];
    const auto fitted = std::find_if(chain.expiries.begin(), chain.expiries.end(),
                                     [](const analytics::ExpiryAnalytics& e) { return e.fit.ok() && !e.options.empty(); });
    QVERIFY(fitted != chain.expiries.end());
    const std::size_t option = fitted->options.front();
    QVERIFY(chain.options[option].markIv > 0);
    QCOMPARE(d.analytics->chains[0]->options[option].markIv, chain.options[option].markIv);
    QCOMPARE(d.analytics->chains[0]->expiries[std::size_t(fitted - chain.expiries.begin())].fit.params.rho, fitted->fit.params.rho);
    QCOMPARE(d.analytics->chains[1]->underlying, std::string("ETH"));
    // The resting order: its state, tag and client reference; the taker's fill.
    const auto resting = std::find_if(d.orders.begin(), d.orders.end(), [](const Order& x) { return x.request.clientRef == 4242; });
    QVERIFY(resting != d.orders.end());
    QCOMPARE(resting->state, OrderState::Open);
    QCOMPARE(resting->request.tag, std::string("remote-codec"));
    QCOMPARE(d.fills.size(), s.fills.size());
    QCOMPARE(d.fills.back().price, s.fills.back().price);
    QCOMPARE(d.strategies.front().name, s.strategies.front().name);
    QCOMPARE(d.strategies.front().state, InstanceState::Running);
    // The caps, NaN ("no limit") kept as NaN.
    QCOMPARE(d.orderQtyCap.size(), s.orderQtyCap.size());
    QVERIFY(!d.orderQtyCap.empty());
    for (std::size_t i = 0; i < s.orderQtyCap.size(); ++i)
      QVERIFY(std::isnan(s.orderQtyCap[i]) ? std::isnan(d.orderQtyCap[i]) : d.orderQtyCap[i] == s.orderQtyCap[i]);
    QCOMPARE(d.limitsEpoch, s.limitsEpoch);

    // Instrument ids bounded by the attaching side's registry: all known here; a registry that
    // has not heard of the later ones yet refuses the part and says which field.
    const std::size_t known = live.engine->instruments().size();
    for (SnapshotPart part : kSnapshotParts) {
      const std::string error = decodePart(part, encodePart(part, s, 1), d, nullptr, known);
      QVERIFY2(error.empty(), error.c_str());
    }
    const std::string unknown = decodePart(SnapshotPart::Quotes, encodePart(SnapshotPart::Quotes, s, 1), d, nullptr, 10);
    QVERIFY2(unknown == "quotes: quotes[10].instrument: instrument 10 is not known (10 instruments listed)", unknown.c_str());
    QVERIFY(!decodePart(SnapshotPart::Orders, encodePart(SnapshotPart::Orders, s, 1), d, nullptr, 0).empty());
    QVERIFY(!decodePart(SnapshotPart::Analytics, encodePart(SnapshotPart::Analytics, s, 1), d, nullptr, 1).empty());

    // Every part, truncated and corrupted.
    for (SnapshotPart part : kSnapshotParts) attack(part, encodePart(part, s, 1));
  }

  void changeTrackerSendsOnlyWhatChanged() {
    EngineSnapshot s = syntheticSnapshot();
    PartChangeTracker tracker;
    for (SnapshotPart part : kSnapshotParts) QVERIFY(tracker.changed(part, s));  // first time: everything
    s.seq += 1;
    s.builtWall += 1000;  // the engine part moves with every snapshot
    QVERIFY(tracker.changed(SnapshotPart::Engine, s));
    for (SnapshotPart part : kSnapshotParts)
      if (part != SnapshotPart::Engine) QVERIFY2(!tracker.changed(part, s), partName(part));
    s.quotes[0].bid += 1;
    QVERIFY(tracker.changed(SnapshotPart::Quotes, s));
    QVERIFY(!tracker.changed(SnapshotPart::Quotes, s));
    s.orders[0].reason = "changed";  // same ordersVersion: the version says unchanged
    QVERIFY(!tracker.changed(SnapshotPart::Orders, s));
    s.ordersVersion += 1;
    QVERIFY(tracker.changed(SnapshotPart::Orders, s));
    s.analytics = std::make_shared<analytics::MarketAnalytics>(*s.analytics);  // a new result, same content
    QVERIFY(!tracker.changed(SnapshotPart::Analytics, s));
    s.orderQtyCap[0] = 5;
    QVERIFY(tracker.changed(SnapshotPart::Risk, s));
    tracker.reset();
    QVERIFY(tracker.changed(SnapshotPart::Fills, s));
  }

  void badMessagesGiveTheirReason() {
    EngineSnapshot into;
    into.seq = 1;
    auto refused = [&](SnapshotPart part, const std::string& bytes, const char* expected) {
      const std::string error = decodePart(part, bytes, into);
      if (error.find(expected) == std::string::npos) qWarning("reason: %s", error.c_str());
      QVERIFY2(error.find(expected) != std::string::npos, expected);
    };
    refused(SnapshotPart::Quotes, "", "quotes: empty message");
    refused(SnapshotPart::Quotes, message(json::array(), int(SnapshotPart::Fills)), "is the 'fills' part");
    refused(SnapshotPart::Quotes, message(json::array(), int(SnapshotPart::Quotes), 1), "wire format version 1 (this build reads 2)");
    refused(SnapshotPart::Quotes, message(json::array(), 250), "is the 'unknown' part");
    refused(SnapshotPart::Quotes, message(json::array({json::array({json::array({1, "bid"})})}), 2), "quotes[0].bid: expected an integer, got string");
    refused(SnapshotPart::Quotes, message(json::array({json::array({json::array({-1})})}), 2),
            "quotes[0].instrument: integer -1 out of range");
    refused(SnapshotPart::Quotes, message(json::array({json::array({json::array({1, 2, 3, 4, 5, 6, 7, 9})})}), 2),
            "quotes[0].status: enum value 9 out of range (0..2)");
    refused(SnapshotPart::Quotes, message(json::array({json::object()}), 2), "quotes: expected an array, got object");
    refused(SnapshotPart::Engine, message(json::array({1, 2, "yes"}), 0), "engine: halted: expected a boolean, got string");
    refused(SnapshotPart::Risk, message(json::array({1, json::array(), json::array({1.5, "x"})}), 9),
            "risk: orderQtyCap[1]: expected a number, got string");
    refused(SnapshotPart::Engine, std::string("\x91\xc1", 2), "engine: malformed MessagePack");
    refused(SnapshotPart::Engine, "not msgpack at all", "malformed MessagePack");
    // 100000 nested one-element arrays: refused at depth 32, no stack overflow.
    refused(SnapshotPart::Book, std::string(100000, '\x91'), "nested deeper than 32");
    // An array claiming 4 billion elements in a few bytes.
    refused(SnapshotPart::Book, std::string("\xdd\xff\xff\xff\xff\x01", 6), "array of 4294967295 elements in a message of 6 bytes");
    refused(SnapshotPart::Book, std::string("\xdb\xff\xff\xff\xf0" "abc", 8), "malformed MessagePack");  // string longer than the message
    refused(SnapshotPart::Book, message(json::array(), 3) + "x", "malformed MessagePack");  // trailing bytes
    // A million one-byte empty quotes would become 64 MB of default rows: more than the message justifies.
    {
      std::string bomb("\x95\x02\x02\x01\x02\x91\xdd\x00\x10\x00\x00", 11);  // version 2, quotes
      bomb.append(std::size_t(1) << 20, '\x90');
      refused(SnapshotPart::Quotes, bomb, "quotes: quotes: 1048576 elements would take more memory than the message can justify");
      refused(SnapshotPart::Quotes, std::string(kMaxPartBytes + 1, '\x90'), "quotes: message of 16777217 bytes (at most 16777216)");
    }
    refused(SnapshotPart(200), encodePart(SnapshotPart::Book, EngineSnapshot{}, 0), "unknown part 200");
    QCOMPARE(into.seq, std::uint64_t(1));

    // Analytics whose indices point outside their arrays (a reader would index out of bounds).
    const EngineSnapshot s = syntheticSnapshot();
    auto brokenAnalytics = [&](auto breakIt, const char* expected) {
      auto m = std::make_shared<analytics::MarketAnalytics>(*s.analytics);
      auto c = std::make_shared<analytics::ChainAnalytics>(*m->chains[0]);
      breakIt(*c, *m);
      m->chains[0] = c;
      EngineSnapshot bad;
      bad.analytics = m;
      refused(SnapshotPart::Analytics, encodePart(SnapshotPart::Analytics, bad, 0), expected);
    };
    brokenAnalytics([](analytics::ChainAnalytics& c, auto&) { c.expiries[0].options.push_back(7); },
                    "expiries[0].options: option 7 out of range (2)");
    brokenAnalytics([](analytics::ChainAnalytics& c, auto&) { c.options[0].expiryIndex = 3; },
                    "options[0].expiryIndex 3 out of range (1)");
    brokenAnalytics([](analytics::ChainAnalytics& c, auto&) { c.scenarios.pop_back(); }, "scenarios: 5 for a grid of 2 x 1 x 3");
    brokenAnalytics([](analytics::ChainAnalytics& c, auto&) { c.fittedExpiries = {4}; }, "fittedExpiries: expiry 4 out of range");
    brokenAnalytics([](analytics::ChainAnalytics& c, auto&) { c.pnlCurves[0].spot.pop_back(); }, "pnlCurves[0]: 1 spots, 2 PnLs");
    brokenAnalytics([](auto&, analytics::MarketAnalytics& m) { m.chains.push_back(nullptr); }, "analytics.chains[1]: missing");

    // Focused markets a view could mistake for another instrument's: refused, naming the entry.
    auto brokenFocus = [&](auto breakIt, const char* expected, std::size_t known = kUncheckedInstruments) {
      EngineSnapshot bad = s;
      breakIt(bad.focused);
      EngineSnapshot target;
      target.focused = s.focused;
      const std::string error = decodePart(SnapshotPart::Book, encodePart(SnapshotPart::Book, bad, 0), target, nullptr, known);
      if (error.find(expected) == std::string::npos) qWarning("reason: %s", error.c_str());
      QVERIFY2(error.find(expected) != std::string::npos, expected);
      QCOMPARE(target.focused.size(), s.focused.size());  // untouched
    };
    brokenFocus([](std::vector<FocusedMarket>& f) { f[1].depth.instrument = 3; },
                "book: focused[1].depth.instrument: instrument 3 again (also focused[0])");
    brokenFocus([](std::vector<FocusedMarket>& f) { f[0].depth.instrument = kNoInstrument; },
                "book: focused[0].depth.instrument: none");
    brokenFocus([](std::vector<FocusedMarket>& f) { f[1].trades[1].instrument = 3; },
                "book: focused[1].trades[1].instrument: 3 in the market of instrument 1");
    brokenFocus([](std::vector<FocusedMarket>& f) {
                  for (InstrumentId id = 10; f.size() <= kMaxFocusedInstruments; ++id) f.emplace_back().depth.instrument = id;
                },
                "book: focused: 9 instruments (at most 8)");
    brokenFocus([](std::vector<FocusedMarket>&) {}, "book: focused[0].depth.instrument: instrument 3 is not known (2 instruments listed)", 2);
    // A focused market that is not [depth, trades, candles].
    refused(SnapshotPart::Book, message(json::array({json::array({json::array({1, 2})})}), 3),
            "focused[0].depth: expected kappa::DepthView (an array), got");
  }

  void olderAndNewerSendersStillDecode() {
    // A shorter struct (an older sender) leaves the missing fields at their defaults; a longer
    // one (a newer sender) has its extra fields ignored.
    EngineSnapshot d;
    QVERIFY(decodePart(SnapshotPart::Quotes, message(json::array({json::array({json::array({5, 100})})}), 2), d).empty());
    QCOMPARE(d.quotes[0].instrument, InstrumentId(5));
    QCOMPARE(d.quotes[0].bid, Price(100));
    QCOMPARE(d.quotes[0].staleReason, StaleReason::NoSnapshot);
    json longer = json::array({5, 100, 200, 0, 0, 1, 2, 1, 0, 0.5, 7, "a field from the future"});
    QVERIFY(decodePart(SnapshotPart::Quotes, message(json::array({json::array({longer})}), 2), d).empty());
    QCOMPARE(d.quotes[0].nextFundingMs, std::int64_t(7));
  }

  void instrumentRegistryRebuilds() {
    sim::SimConfig cfg;
    cfg.seed = 3;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    cfg.linearPerpetuals = true;
    sim::SimExchange exchange(cfg);
    const InstrumentRegistry& all = exchange.instruments();
    QVERIFY(all.size() > 50);

    // The engine's registry grows in two steps; the attaching side follows with two lists.
    InstrumentRegistry engineSide, attached;
    const std::size_t half = all.size() / 2;
    for (std::size_t i = 0; i < half; ++i) engineSide.add(all[InstrumentId(i)]);
    engineSide.retire(2);
    InstrumentBatch batch;
    QCOMPARE(decodeInstruments(encodeInstruments(engineSide), batch), std::string());
    QCOMPARE(batch.firstId, InstrumentId(0));
    QCOMPARE(applyInstruments(batch, attached), std::string());
    for (std::size_t i = half; i < all.size(); ++i) engineSide.add(all[InstrumentId(i)]);
    engineSide.retire(InstrumentId(half + 1));
    engineSide.retire(5);
    QCOMPARE(decodeInstruments(encodeInstruments(engineSide, InstrumentId(half)), batch), std::string());
    QCOMPARE(batch.instruments.size(), all.size() - half);
    QCOMPARE(applyInstruments(batch, attached), std::string());
    // The same list again (a repeated KV read) is harmless.
    QCOMPARE(applyInstruments(batch, attached), std::string());

    QCOMPARE(attached.size(), engineSide.size());
    const std::vector<std::string> venues = {"sim"};
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Instrument& a = attached[InstrumentId(i)];
      const Instrument& e = engineSide[InstrumentId(i)];
      QCOMPARE(a.id, InstrumentId(i));
      QCOMPARE(a.name, e.name);
      QCOMPARE(a.venue, e.venue);
      QCOMPARE(a.kind, e.kind);
      QCOMPARE(a.settlement, e.settlement);
      QCOMPARE(a.optionType, e.optionType);
      QCOMPARE(a.strike, e.strike);
      QCOMPARE(a.expiry, e.expiry);
      QCOMPARE(a.contractSize, e.contractSize);
      QCOMPARE(a.tickSize, e.tickSize);
      QCOMPARE(a.minQty, e.minQty);
      QCOMPARE(a.makerFee, e.makerFee);
      QCOMPARE(a.settleCurrency, e.settleCurrency);
      QCOMPARE(a.underlyingId, e.underlyingId);
      QCOMPARE(a.priceDecimals, e.priceDecimals);
      QCOMPARE(attached.retired(InstrumentId(i)), engineSide.retired(InstrumentId(i)));
      QCOMPARE(findByQualifiedName(attached, venues, e.name)->id, e.id);
      QCOMPARE(findByQualifiedName(attached, venues, "sim:" + e.name)->id, e.id);
    }
    QVERIFY(attached.retired(2) && attached.retired(5) && attached.retired(InstrumentId(half + 1)));
    QVERIFY(!attached.retired(3));

    // A list that skips ids, one that disagrees with what is held, and bad bytes are refused.
    InstrumentRegistry empty;
    QCOMPARE(decodeInstruments(encodeInstruments(engineSide, 10), batch), std::string());
    QVERIFY(applyInstruments(batch, empty).find("starts at id 10 but 0 are known") != std::string::npos);
    InstrumentRegistry other;
    Instrument stranger = all[0];
    stranger.name = "SOMETHING-ELSE";
    other.add(stranger);
    QCOMPARE(decodeInstruments(encodeInstruments(engineSide), batch), std::string());
    QVERIFY(applyInstruments(batch, other).find("id 0 is " + all[0].name) != std::string::npos);
    const std::string bytes = encodeInstruments(engineSide);
    for (std::size_t n = 0; n < bytes.size(); n += 7) QVERIFY(!decodeInstruments(bytes.substr(0, n), batch).empty());
    std::mt19937 rng(9);
    for (int trial = 0; trial < 300; ++trial) {
      std::string bad = bytes;
      bad[rng() % bad.size()] = char(rng());
      InstrumentBatch b;
      if (decodeInstruments(bad, b).empty()) {
        InstrumentRegistry r;
        (void)applyInstruments(b, r);  // a valid but different list: applied or refused, never a crash
      }
    }
    // An instrument a view would divide by or index with is refused: a zero tick, an unknown underlying.
    InstrumentRegistry broken;
    Instrument zeroTick = all[0];
    zeroTick.tickSize = 0;
    broken.add(zeroTick);
    std::string why = decodeInstruments(encodeInstruments(broken), batch);
    QVERIFY2(why.find("[0] (" + all[0].name + "): tick size 0 (must be positive)") != std::string::npos, why.c_str());
    InstrumentRegistry orphan;
    Instrument option = all[all.size() - 1];
    option.underlyingId = 4000;
    orphan.add(option);
    why = decodeInstruments(encodeInstruments(orphan), batch);
    QVERIFY2(why.find("underlying id 4000 is not listed") != std::string::npos, why.c_str());
    json wrong = json::array({1, 0, json::array({json::array({0, 0, "X", 9})}), json::array()});
    const auto w = json::to_msgpack(wrong);
    const std::string error = decodeInstruments(std::string(w.begin(), w.end()), batch);
    QVERIFY2(error.find("instruments[0].kind: enum value 9 out of range") != std::string::npos, error.c_str());
  }

  void commandsRoundTrip() {
    OrderRequest r;
    r.instrument = 12;
    r.side = Side::Sell;
    r.type = OrderType::Limit;
    r.tif = TimeInForce::ImmediateOrCancel;
    r.postOnly = true;
    r.reduceOnly = true;
    r.price = toFixed(70123.5);
    r.qty = toFixed(0.1);
    r.origin = OrderOrigin::Manual;
    r.tag = "ladder";
    r.clientRef = 0xFFFFFFFFFFFFull;
    const std::vector<Command> commands = {
        cmd::Submit{r},
        cmd::Cancel{42},
        cmd::CancelAll{},
        cmd::CancelAll{7},
        cmd::Replace{42, toFixed(70000), toFixed(0.2)},
        cmd::Halt{"desk: \"drawdown\" — stop"},
        cmd::Reduce{"risk"},
        cmd::Flatten{"end of day"},
        cmd::Resume{},
        cmd::ChangeRiskLimit{"instruments/@option/max_position=off"},
        cmd::LoadPlugin{"/opt/kappa/plugins/kappa-options-mm.so", true},
        cmd::UnloadPlugin{"/opt/kappa/plugins/kappa-options-mm.so"},
        cmd::LaunchStrategy{"/p/kappa-x.so", "kappa.x", {{"spread", "2.5"}, {"size", "1"}}, false, true},
        cmd::StartStrategy{3},
        cmd::StopStrategy{3},
        cmd::RemoveStrategy{3},
        cmd::SetStrategyParam{3, "spread", "3"},
        cmd::Focus{"9f3a0c5e11b2d4e7", {1, 2, 3}},
        cmd::SpeedUp{77},
    };
    std::set<std::string> verbs;
    for (const Command& c : commands) {
      const std::string verb = verbOf(c);
      verbs.insert(verb);
      QVERIFY(verb.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
      const std::string body = encodeCommand(c);
      Command back;
      const std::string error = decodeCommand(verb, body, back);
      QVERIFY2(error.empty(), (verb + ": " + error + " in " + body).c_str());
      QCOMPARE(back.index(), c.index());
      QCOMPARE(encodeCommand(back), body);  // every field made it
    }
    QCOMPARE(verbs.size(), std::variant_size_v<Command>);
    Command back;
    QVERIFY(decodeCommand("submit", encodeCommand(commands[0]), back).empty());
    const OrderRequest& got = std::get<cmd::Submit>(back).request;
    QCOMPARE(got.price, r.price);
    QCOMPARE(got.qty, r.qty);
    QCOMPARE(got.side, Side::Sell);
    QCOMPARE(got.tif, TimeInForce::ImmediateOrCancel);
    QCOMPARE(got.clientRef, r.clientRef);
    QVERIFY(decodeCommand("cancel_all", "{}", back).empty());
    QCOMPARE(std::get<cmd::CancelAll>(back).instrument, kNoInstrument);
    QVERIFY(decodeCommand("launch_strategy", encodeCommand(commands[12]), back).empty());
    QCOMPARE(std::get<cmd::LaunchStrategy>(back).params[1].second, std::string("1"));
    QVERIFY(decodeCommand("resume", "{\"future\": 1}", back).empty());  // unknown fields ignored

    CommandAnswer answer{true, "order 17 sent", 17};
    CommandAnswer a2;
    QCOMPARE(decodeAnswer(encodeAnswer(answer), a2), std::string());
    QVERIFY(a2.accepted);
    QCOMPARE(a2.reason, answer.reason);
    QCOMPARE(a2.orderId, std::uint64_t(17));
    QCOMPARE(decodeAnswer(encodeAnswer({false, "HALTED: desk halt", 0}), a2), std::string());
    QVERIFY(!a2.accepted);
    QVERIFY(!decodeAnswer("[]", a2).empty());
    QVERIFY(!decodeAnswer("{\"reason\":\"x\"}", a2).empty());
    QVERIFY(decodeAnswer("{\"accepted\":true,\"orderId\":-1}", a2).find("orderId: must not be negative") != std::string::npos);
  }

  // The server's focus leases: the union of the windows' instruments, the earliest windows first
  // up to the capacity; a window that renews keeps its place, a silent one lapses.
  void focusLeasesKeepTheEarliestWindows() {
    using Clock = FocusLeases::Clock;
    FocusLeases leases(std::chrono::milliseconds(3000));
    const Clock::time_point t0 = Clock::now();
    QVERIFY(leases.renew("trader/a", {5, 5, kNoInstrument}, t0));  // duplicates and "none" ignored
    QVERIFY(leases.renew("trader/b", {7, 5}, t0 + std::chrono::milliseconds(10)));
    QCOMPARE(leases.focus(8).carried, (std::vector<InstrumentId>{5, 7}));
    // Full: the later window's instrument is left out, and it is told which.
    QVERIFY(leases.renew("risk/c", {9}, t0 + std::chrono::milliseconds(20)));
    const FocusLeases::Union two = leases.focus(2);
    QCOMPARE(two.carried, (std::vector<InstrumentId>{5, 7}));
    QCOMPARE(two.leftOut, (std::vector<InstrumentId>{9}));
    QCOMPARE(leases.leftOutOf("risk/c", two), (std::vector<InstrumentId>{9}));
    QVERIFY(leases.leftOutOf("trader/a", two).empty());
    // A renewal that changes the instrument keeps the window's place (b is still before c).
    QVERIFY(leases.renew("trader/b", {8}, t0 + std::chrono::milliseconds(2000)));
    QCOMPARE(leases.focus(2).carried, (std::vector<InstrumentId>{5, 8}));
    // a and c silent for more than 3 s: gone; b renewed at 2 s stays until 5 s.
    QVERIFY(leases.expire(t0 + std::chrono::milliseconds(3000)).empty());
    const std::vector<std::string> gone = leases.expire(t0 + std::chrono::milliseconds(3100));
    QCOMPARE(gone, (std::vector<std::string>{"risk/c", "trader/a"}));
    QCOMPARE(leases.focus(8).carried, (std::vector<InstrumentId>{8}));
    // After the server was away, nobody lapses for what they could not send.
    leases.heardFromAll(t0 + std::chrono::milliseconds(9000));
    QVERIFY(leases.expire(t0 + std::chrono::milliseconds(11000)).empty());
    QVERIFY(!leases.expire(t0 + std::chrono::milliseconds(12100)).empty());
    QCOMPARE(leases.clients(), std::size_t(0));
    // One user's windows keep at most kMaxInstrumentsPerUser instruments between them, in at most
    // kMaxClientsPerUser windows: a trader inventing sessions cannot take the desk's books.
    for (std::size_t i = 0; i < FocusLeases::kMaxClientsPerUser; ++i) {
      const FocusLeases::Renewal r = leases.renew("greedy/" + std::to_string(i), {InstrumentId(100 + i)}, t0);
      QVERIFY(r);
      QCOMPARE(r.beyondUserShare.size(), std::size_t(i < FocusLeases::kMaxInstrumentsPerUser ? 0 : 1));
    }
    QCOMPARE(leases.renew("greedy/more", {1}, t0).refused, FocusLeases::Refusal::UserWindows);
    QCOMPARE(leases.focus(8).carried, (std::vector<InstrumentId>{100, 101, 102, 103}));
    const FocusLeases::Renewal many = leases.renew("greedy/0", {100, 200, 201, 101}, t0);  // 200, 201: a fifth and sixth
    QCOMPARE(many.beyondUserShare, (std::vector<InstrumentId>{200, 201}));
    QVERIFY(leases.renew("greedy/0", {101}, t0));  // the same instrument in two of its windows counts once
    QCOMPARE(leases.focus(8).carried, (std::vector<InstrumentId>{101, 102, 103}));
    QVERIFY(leases.renew("other/0", {7}, t0));  // another user still gets a book
    QCOMPARE(leases.focus(8).carried, (std::vector<InstrumentId>{101, 102, 103, 7}));
    QVERIFY(!leases.expire(t0 + std::chrono::milliseconds(3100)).empty());
    // Users inventing sessions cannot grow the table without end.
    for (std::size_t i = 0; i < FocusLeases::kMaxClients; ++i) QVERIFY(leases.renew("x" + std::to_string(i) + "/0", {1}, t0));
    QCOMPARE(leases.renew("y/one-more", {2}, t0).refused, FocusLeases::Refusal::TableFull);
    QVERIFY(leases.renew("x0/0", {3}, t0));  // one already in may still change its focus
    QCOMPARE(leases.clients(), FocusLeases::kMaxClients);
  }

  void badCommandsAreRefused() {
    auto refused = [](const char* verb, const std::string& body, const char* expected) {
      Command out = cmd::Resume{};
      const std::string error = decodeCommand(verb, body, out);
      if (error.find(expected) == std::string::npos) qWarning("reason: %s", error.c_str());
      QVERIFY2(error.find(expected) != std::string::npos, expected);
      QVERIFY(std::holds_alternative<cmd::Resume>(out));  // untouched
    };
    const std::string order = R"("instrument": 3, "side": "buy", "qty": 100000000)";
    refused("launch_missiles", "{}", "unknown command 'launch_missiles'");
    refused("submit\n", "{}", "unknown command 'submit?'");
    refused("submit", "[1]", "submit: body must be a JSON object, got array");
    refused("submit", "{", "submit: body is not valid JSON");
    refused("submit", "{" + order + R"(, "price": NaN})", "body is not valid JSON");
    refused("submit", "{" + order + R"(, "price": 1.5})", "price: must be a whole number");
    refused("submit", "{" + order + R"(, "price": 1e400})", "body is not valid JSON");  // overflows a double
    refused("submit", "{" + order + R"(, "price": "7"})", "price: must be a number, got string");
    refused("submit", "{" + order + "}", "price: missing");  // a limit order needs its price
    refused("submit", R"({"instrument": 3, "side": "buy", "qty": -5, "price": 1})", "qty: -5 is out of range");
    refused("submit", R"({"instrument": 3, "side": "buy", "qty": 0, "price": 1})", "qty: 0 is out of range");
    refused("submit", R"({"instrument": 3, "side": "up", "qty": 1, "price": 1})", "side: 'up' is not one of buy, sell");
    refused("submit", R"({"instrument": 3, "qty": 1, "price": 1})", "side: missing");
    refused("submit", R"({"instrument": 4294967295, "side": "buy", "qty": 1, "price": 1})", "instrument: 4294967295 is above");
    refused("submit", R"({"instrument": 3, "side": "buy", "qty": 99999999999999999999, "price": 1})", "qty: must be a whole number");
    refused("submit", json({{"instrument", 3}, {"side", "buy"}, {"qty", 1}, {"price", 1}, {"tag", std::string(5000, 'x')}}).dump(),
            "tag: 5000 characters (at most 4096)");
    refused("submit", "{" + order + R"(, "price": 1, "postOnly": 1})", "postOnly: must be true or false");
    refused("submit", std::string(kMaxCommandBytes + 1, ' '), "body of 65537 bytes");
    refused("replace", R"({"id": 4, "price": 10, "qty": -1})", "replace: qty: -1 is out of range");
    refused("replace", R"({"id": -4, "price": 10, "qty": 1})", "id: must not be negative");
    refused("cancel", "{}", "cancel: id: missing");
    refused("speed_up", R"({"id": "7"})", "speed_up: id: must be a number, got string");
    refused("halt", R"({"reason": "line\nforged"})", "reason: contains a control character");
    refused("risk_limit", R"({"assignment": "max_position"})", "is not NAME=VALUE");
    refused("load_plugin", R"({"path": ""})", "path: empty");
    refused("launch_strategy", R"({"path": "/p.so", "params": {"a": "1"}})", "params: must be a list of [name, value] pairs");
    refused("launch_strategy", R"({"path": "/p.so", "params": [["a", 1]]})", "params value: must be a string");
    refused("start_strategy", R"({"id": 4294967296})", "id: 4294967296 is above");
    refused("strategy_param", R"({"id": 1, "value": "3"})", "name: missing");
    json many = json::array();
    for (int i = 0; i < 300; ++i) many.push_back(i);
    refused("focus", json({{"instruments", many}}).dump(), "instruments: 300 entries (at most 256)");
    refused("focus", R"({"instruments": [1, "2"]})", "instruments: must be a number, got string");
    refused("focus", R"({"instruments": 1})", "must be a list of instrument ids");
    refused("focus", R"({"client": 7, "instruments": [1]})", "client: must be a string, got number");
    refused("focus", json({{"client", std::string(65, 'a')}, {"instruments", {1}}}).dump(), "client: 65 characters (at most 64)");
    refused("focus", R"({"client": "a\nb", "instruments": [1]})", "client: contains a control character");
  }
};

QTEST_GUILESS_MAIN(TestRemoteCodec)
#include "tst_remote_codec.moc"
