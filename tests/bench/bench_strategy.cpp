// Strategy plugin dispatch and tick-to-order latency, through the real host and a real plugin
// (kappa-test-bench.so, built on strategy.hpp, loaded with dlopen), the real MarketData, risk gate
// and OrderManager, on one thread — the engine thread's work without its queue.
//
//   BM_PluginDispatch_EngineOnly   one book change (begin, one level, end) applied to MarketData
//                                  and offered to the host with no instance: the engine's own cost
//   BM_PluginDispatch              the same with one running instance subscribed to that book: the
//                                  difference is the cost of delivering the event to the plugin
//   BM_TickToOrder                 book change in -> on_book -> submit -> risk gate -> OMS -> venue
//                                  adapter; latency from before MarketData::apply to the venue's
//                                  submit call, as a distribution (counters p50/p90/p99/max, ns)
#include <cstdio>
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include "BenchFeed.hpp"
#include "core/Clock.hpp"
#include "oms/OrderManager.hpp"
#include "risk/RiskConfigFile.hpp"
#include "strategy/StrategyHost.hpp"
#include "venue/Venue.hpp"

using namespace kappa;

namespace {

// A venue adapter that notes when each order reached it and answers nothing: what is measured
// ends where a real adapter would start encoding the request.
class StampingVenue : public Venue {
 public:
  Nanos lastSubmit = 0;
  std::string name() const override { return "stamp"; }
  void listInstruments(InstrumentRegistry&) override {}
  void connect(VenueListener&, boost::asio::any_io_executor) override {}
  void disconnect() override {}
  void submit(const VenueOrder&) override { lastSubmit = wallNow(); }
  void cancel(OrderId) override {}
  void replace(OrderId, Price, Qty) override {}
  void requestSnapshot(InstrumentId) override {}
};

struct Harness {
  sim::SimConfig config;
  std::unique_ptr<sim::SimExchange> exchange;  // for its instrument list
  InstrumentId perp = kNoInstrument;
  HaltSwitch halt;
  std::unique_ptr<RiskGate> gate;
  std::unique_ptr<MarketData> market;
  std::unique_ptr<OrderManager> oms;
  StampingVenue venue;
  boost::asio::io_context io;
  std::shared_ptr<const analytics::MarketAnalytics> analytics;
  std::unique_ptr<StrategyHost> host;
  std::uint64_t changeId = 1;
  Price bid = 0;
  MdEvent batch[3];
  std::string error;

  Harness() {
    exchange = std::make_unique<sim::SimExchange>(config);
    const InstrumentRegistry& reg = exchange->instruments();
    perp = reg.find("BTC-PERPETUAL")->id;
    gate = std::make_unique<RiskGate>(reg, halt);
    market = std::make_unique<MarketData>(reg);
    // The terminal's default limits, minus those a 100,000-order loop must break by design: the
    // rates and daily counts, and duplicates (the bench plugin re-sends the same bid as its book
    // cycles). Every order still runs the size, notional, band, position, Greek, open-order and
    // self-trade checks.
    RiskConfig limits = RiskConfig::defaults();
    for (const char* off : {"max_submit_rate=off", "max_cancel_rate=off", "max_daily_orders=off", "max_daily_cancels=off",
                            "instruments/@perpetual/max_submit_rate=off", "duplicate_window_ms=off"}) {
      std::string ignored;
      applyRiskOverride(&limits, off, &ignored);
    }
    gate->limits().configure(limits);
    gate->limits().bindMarket(market.get());
    oms = std::make_unique<OrderManager>(reg, *gate);
    oms->setVenue(&venue);
    StrategyHostConfig cfg;
    cfg.maxOrdersPerSecond = 0;  // measure the path, not the rate limit
    host = std::make_unique<StrategyHost>(
        StrategyHost::Services{reg, *market, *oms, halt, [] { return wallNow(); }, io.get_executor(), analytics}, cfg);
    oms->setListener([this](const Order& o, const Fill* f) { host->onOrderChanged(o, f); });
    // A live book: snapshot of 20 levels a side around 67000.
    const Price tick = reg[perp].tickSize;
    bid = toFixed(67000.0);
    std::vector<MdEvent> snap;
    snap.push_back(begin(true));
    for (int i = 0; i < 20; ++i) {
      snap.push_back(level(Side::Buy, bid - i * tick, toFixed(1000)));
      snap.push_back(level(Side::Sell, bid + (i + 1) * tick, toFixed(1000)));
    }
    snap.push_back(end());
    market->apply(snap.data(), snap.size());
  }

  MdEvent begin(bool snapshot) {
    MdEvent e;
    e.type = MdType::BookBegin;
    e.instrument = perp;
    e.isSnapshot = snapshot;
    e.prevChangeId = changeId;
    e.changeId = ++changeId;
    e.ts = wallNow();
    return e;
  }
  MdEvent level(Side side, Price price, Qty qty) const {
    MdEvent e;
    e.type = MdType::BookLevel;
    e.instrument = perp;
    e.side = side;
    e.action = LevelAction::Change;
    e.price = price;
    e.qty = qty;
    return e;
  }
  MdEvent end() const {
    MdEvent e;
    e.type = MdType::BookEnd;
    e.instrument = perp;
    return e;
  }
  // One change message: the best bid's size moves.
  const MdEvent* nextChange(std::int64_t i) {
    batch[0] = begin(false);
    batch[1] = level(Side::Buy, bid, toFixed(double(1000 + (i & 63))));
    batch[2] = end();
    return batch;
  }

  bool addInstance(bool submit) {
    std::string path = std::string(KAPPA_PLUGIN_DIR) + "/kappa-test-bench.so";
    auto module = PluginModule::open(path, "", &error);
    if (!module) return false;
    host->addModule(std::shared_ptr<PluginModule>(std::move(module)));
    const std::uint32_t id = host->create(path, "", {{"submit", submit ? "true" : "false"}}, &error);
    return id && host->start(id, &error);
  }
};

void dispatch(benchmark::State& state, bool withPlugin) {
  Harness h;
  if (withPlugin && !h.addInstance(false)) return state.SkipWithError(h.error.c_str());
  std::int64_t i = 0;
  for (auto _ : state) {
    const MdEvent* b = h.nextChange(i++);
    const Nanos arrived = wallNow();  // the engine reads the clock once per batch either way
    h.market->apply(b, 3);
    h.host->onMarketData(b, 3, arrived);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

static void BM_PluginDispatch_EngineOnly(benchmark::State& state) { dispatch(state, false); }
static void BM_PluginDispatch(benchmark::State& state) { dispatch(state, true); }
BENCHMARK(BM_PluginDispatch_EngineOnly)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_PluginDispatch)->Repetitions(5)->ReportAggregatesOnly(true);

static void BM_TickToOrder(benchmark::State& state) {
  Harness h;
  if (!h.addInstance(true)) return state.SkipWithError(h.error.c_str());
  LatencyHistogram latency;
  std::int64_t i = 0;
  for (auto _ : state) {
    const MdEvent* b = h.nextChange(i++);
    const Nanos t0 = wallNow();
    h.market->apply(b, 3);
    h.host->onMarketData(b, 3, t0);
    latency.add(h.venue.lastSubmit - t0);
    // Retire the order as a venue would (accepted, then cancelled), so the working set stays one
    // order deep as for a quoting strategy.
    const OrderId id = h.oms->orders().size();
    ExecReport r;
    r.orderId = r.venueOrderId = id;
    r.type = ExecType::Ack;
    h.oms->onExecution(r);
    r.type = ExecType::Cancelled;
    h.oms->onExecution(r);
  }
  state.counters["p50_ns"] = double(latency.percentile(0.50));
  state.counters["p90_ns"] = double(latency.percentile(0.90));
  state.counters["p99_ns"] = double(latency.percentile(0.99));
  state.counters["max_ns"] = double(latency.max());
  state.counters["orders"] = double(h.oms->ordersTotal());
  state.counters["refused"] = double(h.oms->rejectsTotal());
  if (h.oms->rejectsTotal()) std::fprintf(stderr, "BM_TickToOrder: refused: %s\n", h.oms->lastReject().c_str());
}
// Bounded: every order stays in the OMS's history (~100 k orders, tens of MB).
BENCHMARK(BM_TickToOrder)->Iterations(100000)->Repetitions(3)->ReportAggregatesOnly(true);
