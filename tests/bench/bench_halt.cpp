// HALT ALL with 1,000 open orders, through the running Engine with its journal: the time from the
// call to the halted state (the gate refuses from then on), and to the last of the 1,000 cancels
// reaching the venue adapter (each journaled on the way). The venue acknowledges orders at once
// and notes when each cancel arrives.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>

#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "risk/RiskConfigFile.hpp"
#include "sim/SimExchange.hpp"

using namespace kappa;

namespace {
class CancelClockVenue : public Venue {
 public:
  explicit CancelClockVenue(const InstrumentRegistry& source) : source_(source) {}
  std::string name() const override { return "cancel-clock"; }
  void listInstruments(InstrumentRegistry& r) override {
    for (const Instrument& i : source_.all()) r.add(i);
  }
  void connect(VenueListener& l, boost::asio::any_io_executor) override { listener_ = &l; }
  void disconnect() override {}
  void submit(const VenueOrder& o) override {  // engine thread: acknowledge on the spot
    ExecReport r;
    r.orderId = o.orderId;
    r.venueOrderId = o.orderId;
    r.type = ExecType::Ack;
    listener_->onExecution(r);
  }
  void cancel(OrderId) override {
    if (++cancels_ == expected_) allSent_.set_value(monoNow());
  }
  void replace(OrderId, Price, Qty) override {}
  void requestSnapshot(InstrumentId) override {}
  std::future<Nanos> expect(std::size_t n) {
    expected_ = n;
    cancels_ = 0;
    allSent_ = {};
    return allSent_.get_future();
  }

 private:
  const InstrumentRegistry& source_;
  VenueListener* listener_ = nullptr;
  std::size_t cancels_ = 0, expected_ = 0;
  std::promise<Nanos> allSent_;
};
}  // namespace

static void BM_HaltCancelAll(benchmark::State& state) {
  constexpr std::size_t kOrders = 1000;
  sim::SimConfig cfg;
  const sim::SimExchange exchange(cfg);  // its instrument list
  double haltedUs = 0, cancelsUs = 0, worstCancelsUs = 0;
  for (auto _ : state) {
    auto venue = std::make_unique<CancelClockVenue>(exchange.instruments());
    CancelClockVenue* v = venue.get();
    Engine engine(std::move(venue));
    const auto dir = std::filesystem::temp_directory_path() / "kappa_bench_halt";
    std::filesystem::remove_all(dir);
    engine.setDataDir(dir.string());  // with the journal, as the terminal runs: every cancel is journaled
    // The default limits, with room for the 1,000 orders the halt must cancel; this venue sends no
    // market data, so the checks that need a mark (band, Greeks) are off.
    RiskConfig limits = RiskConfig::defaults();
    for (const char* change : {"max_open_orders=2000", "max_submit_rate=off", "instruments/@perpetual/max_submit_rate=off",
                               "price_band=off", "max_net_delta=off", "max_net_gamma=off", "max_net_vega=off"}) {
      std::string ignored;
      applyRiskOverride(&limits, change, &ignored);
    }
    engine.setRiskConfig(limits);
    engine.start();
    const InstrumentId perp = engine.instruments().find("BTC-PERPETUAL")->id;
    for (std::size_t i = 0; i < kOrders; ++i) {
      OrderRequest r;
      r.instrument = perp;
      r.price = toFixed(60000.0 - double(i));
      r.qty = toFixed(10);
      engine.submit(r);
    }
    while (engine.call([&] { return engine.orders().working().size(); }) < kOrders) {
    }
    engine.journal()->flush();  // the 2,000 records of the set-up are on disk: time the halt alone
    auto allSent = v->expect(kOrders);
    const Nanos t0 = monoNow();
    engine.haltAll("benchmark");
    const Nanos halted = monoNow();  // from here the gate refuses every order
    const Nanos sent = allSent.get();
    engine.stop();
    const double h = double(halted - t0) / 1e3, c = double(sent - t0) / 1e3;
    haltedUs += h;
    cancelsUs += c;
    worstCancelsUs = std::max(worstCancelsUs, c);
    state.SetIterationTime(c / 1e6);
  }
  const double n = double(state.iterations());
  state.counters["halted_us"] = haltedUs / n;
  state.counters["all_cancels_sent_us"] = cancelsUs / n;
  state.counters["worst_cancels_us"] = worstCancelsUs;
}
BENCHMARK(BM_HaltCancelAll)->Iterations(20)->UseManualTime()->Unit(benchmark::kMicrosecond);
