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
  std::size_t messages = 0;  // venue messages: one book change/snapshot, trade or index tick each
  for (const MdEvent& e : feed.events)
    messages += e.type == MdType::BookBegin || e.type == MdType::Trade || e.type == MdType::IndexPrice;
  const auto rate = benchmark::Counter::kIsIterationInvariantRate;
  state.counters["events"] = double(feed.events.size());
  state.counters["messages_per_s"] = benchmark::Counter(double(messages), rate);
  state.counters["level_updates_per_s"] = benchmark::Counter(double(feed.levelUpdates), rate);
}
BENCHMARK(BM_EngineThroughput)->Repetitions(3)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);
