// The remote engine's wire format (engine/remote/SnapshotCodec): encoding and decoding every part
// of the full snapshot of the embedded simulator's BTC + ETH chains (quotes of every instrument,
// 50-level depth, candles, both chains' analytics with fitted surfaces, orders, a fill), and the
// size of each part in bytes (counters bytes_<part>). Run once per publish for changed parts on
// the serving side and once per received part on the attached side.
#include <benchmark/benchmark.h>

#include <thread>

#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "remote/SnapshotCodec.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;
using namespace kappa::remote;

namespace {

bool fitted(const EngineSnapshot& s) {
  if (!s.analytics || s.analytics->chains.size() < 2) return false;
  for (const auto& chain : s.analytics->chains) {
    bool any = false;
    for (const auto& e : chain->expiries) any = any || e.fit.ok();
    if (!any) return false;
  }
  return true;
}

// A real engine on the simulator, run until both chains have fitted surfaces and the book of the
// perpetual is deep, with one resting order and one fill; its snapshot, copied.
const EngineSnapshot& simulatorSnapshot() {
  static const EngineSnapshot snapshot = [] {
    sim::SimConfig cfg;
    cfg.seed = 7;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    Engine engine(std::make_unique<sim::SimVenue>(cfg));
    engine.start();
    const InstrumentId perp = engine.instruments().find("BTC-PERPETUAL")->id;
    engine.setFocus(perp);
    auto waitFor = [&](auto pred) {
      for (int i = 0; i < 600; ++i) {
        engine.takeSnapshot();
        if (pred(engine.snapshot())) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return false;
    };
    waitFor([&](const EngineSnapshot& s) {
      const FocusedMarket* m = s.focusedOn(perp);
      return m && m->depth.bids.size() >= 20 && m->candles.size() >= 2 && fitted(s);
    });
    OrderRequest resting;
    resting.instrument = perp;
    resting.price = engine.snapshot().focusedOn(perp)->depth.bids.front().price - 200 * engine.instruments()[perp].tickSize;
    resting.qty = toFixed(100);
    engine.submit(resting);
    OrderRequest taker;
    taker.instrument = perp;
    taker.type = OrderType::Market;
    taker.tif = TimeInForce::ImmediateOrCancel;
    taker.qty = toFixed(10);
    engine.submit(taker);
    waitFor([](const EngineSnapshot& s) { return s.orders.size() >= 2 && !s.fills.empty(); });
    EngineSnapshot copy = engine.snapshot();
    engine.stop();
    return copy;
  }();
  return snapshot;
}

void sizeCounters(benchmark::State& state, const EngineSnapshot& s) {
  double total = 0;
  for (SnapshotPart part : kSnapshotParts) {
    const double bytes = double(encodePart(part, s, wallNow()).size());
    state.counters[std::string("bytes_") + partName(part)] = bytes;
    total += bytes;
  }
  state.counters["bytes_total"] = total;
  state.counters["instruments"] = double(s.quotes.size());
}

}  // namespace

// Every part of the snapshot encoded (what a newly attached GUI or the KV's first fill costs).
static void BM_EncodeSnapshotParts(benchmark::State& state) {
  const EngineSnapshot& s = simulatorSnapshot();
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (SnapshotPart part : kSnapshotParts) {
      std::string message = encodePart(part, s, 1'700'000'000'000'000'000);
      bytes += message.size();
      benchmark::DoNotOptimize(message.data());
    }
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  sizeCounters(state, s);
}
BENCHMARK(BM_EncodeSnapshotParts)->Unit(benchmark::kMicrosecond);

// Every part decoded into the attached side's snapshot.
static void BM_DecodeSnapshotParts(benchmark::State& state) {
  const EngineSnapshot& s = simulatorSnapshot();
  std::vector<std::string> messages;
  std::size_t bytes = 0;
  for (SnapshotPart part : kSnapshotParts) bytes += messages.emplace_back(encodePart(part, s, 1)).size();
  EngineSnapshot into;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kSnapshotParts.size(); ++i) {
      const std::string error = decodePart(kSnapshotParts[i], messages[i], into);
      if (!error.empty()) {
        state.SkipWithError(error.c_str());
        return;
      }
    }
    benchmark::DoNotOptimize(into.quotes.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  sizeCounters(state, s);
}
BENCHMARK(BM_DecodeSnapshotParts)->Unit(benchmark::kMicrosecond);

// One part at a time (range(0) = SnapshotPart): encode, then decode.
static void BM_EncodeSnapshotPart(benchmark::State& state) {
  const EngineSnapshot& s = simulatorSnapshot();
  const auto part = SnapshotPart(state.range(0));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string message = encodePart(part, s, 1);
    bytes = message.size();
    benchmark::DoNotOptimize(message.data());
  }
  state.SetLabel(partName(part));
  state.counters["bytes"] = double(bytes);
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
}
BENCHMARK(BM_EncodeSnapshotPart)->DenseRange(0, int(kSnapshotPartCount) - 1)->Unit(benchmark::kMicrosecond);

static void BM_DecodeSnapshotPart(benchmark::State& state) {
  const EngineSnapshot& s = simulatorSnapshot();
  const auto part = SnapshotPart(state.range(0));
  const std::string message = encodePart(part, s, 1);
  EngineSnapshot into;
  for (auto _ : state) {
    const std::string error = decodePart(part, message, into);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  state.SetLabel(partName(part));
  state.counters["bytes"] = double(message.size());
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(message.size()));
}
BENCHMARK(BM_DecodeSnapshotPart)->DenseRange(0, int(kSnapshotPartCount) - 1)->Unit(benchmark::kMicrosecond);
