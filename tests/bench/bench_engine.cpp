// Engine market-data throughput: a recorded simulator feed replayed in-process, without sleeps,
// through the engine's dispatch (MarketData::apply: books, sequence checks, trades, candles).
#include <benchmark/benchmark.h>

#include "BenchFeed.hpp"

using namespace kappa;

static void BM_EngineThroughput(benchmark::State& state) {
  static const bench::Feed feed = bench::recordFeed(10.0, 200000);
  for (auto _ : state) {
    state.PauseTiming();
    auto md = std::make_unique<MarketData>(feed.exchange->instruments());
    md->apply(feed.initial.data(), feed.initial.size());
    state.ResumeTiming();
    md->apply(feed.events.data(), feed.events.size());
    benchmark::DoNotOptimize(md->eventsTotal());
    if (md->staleEpisodes() != 0) state.SkipWithError("feed went stale");
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(feed.events.size()));
  state.counters["events"] = double(feed.events.size());
  state.counters["level_updates"] = double(feed.levelUpdates);
}
BENCHMARK(BM_EngineThroughput)->Repetitions(3)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);
