// Engine market-data throughput: a recorded simulator feed replayed in-process, without sleeps,
// through the running Engine — batches posted to its io_context exactly as a live venue posts them,
// dispatched on the engine thread into books, sequence checks, trades, tape and candles, with the
// 100 Hz snapshot publisher running. No strategy.
#include <benchmark/benchmark.h>

#include <future>

#include "BenchFeed.hpp"
#include "orchestrator/Engine.hpp"
#include "venue/ReplayVenue.hpp"

using namespace kappa;

static void BM_EngineThroughput(benchmark::State& state) {
  static const bench::Feed feed = bench::recordFeed(10.0, 200000);
  static const auto events = [] {
    auto all = std::make_shared<std::vector<MdEvent>>(feed.initial);
    all->insert(all->end(), feed.events.begin(), feed.events.end());
    return std::shared_ptr<const std::vector<MdEvent>>(std::move(all));
  }();
  for (auto _ : state) {
    state.PauseTiming();
    std::promise<std::uint64_t> done;
    auto venue = std::make_unique<ReplayVenue>(feed.exchange->instruments(), events);
    ReplayVenue* replay = venue.get();
    Engine engine(std::move(venue));
    replay->onFinished([&] { done.set_value(engine.marketData().staleEpisodes()); });
    auto finished = done.get_future();
    state.ResumeTiming();
    engine.start();
    const std::uint64_t stale = finished.get();
    state.PauseTiming();
    engine.stop();
    if (stale != 0) state.SkipWithError("feed went stale");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(events->size()));
  std::size_t messages = 0;  // venue messages: one book change/snapshot, trade or index tick each
  for (const MdEvent& e : feed.events)
    messages += e.type == MdType::BookBegin || e.type == MdType::Trade || e.type == MdType::IndexPrice;
  const auto rate = benchmark::Counter::kIsIterationInvariantRate;
  state.counters["events"] = double(feed.events.size());
  state.counters["messages_per_s"] = benchmark::Counter(double(messages), rate);
  state.counters["level_updates_per_s"] = benchmark::Counter(double(feed.levelUpdates), rate);
}
BENCHMARK(BM_EngineThroughput)->Repetitions(3)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond)->UseRealTime();

// The dispatch alone, without the engine thread and queue: shows what the hand-over costs.
static void BM_EngineThroughput_DispatchOnly(benchmark::State& state) {
  static const bench::Feed feed = bench::recordFeed(10.0, 200000);
  for (auto _ : state) {
    state.PauseTiming();
    auto md = std::make_unique<MarketData>(feed.exchange->instruments());
    md->apply(feed.initial.data(), feed.initial.size());
    state.ResumeTiming();
    md->apply(feed.events.data(), feed.events.size());
    benchmark::DoNotOptimize(md->eventsTotal());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(feed.events.size()));
}
BENCHMARK(BM_EngineThroughput_DispatchOnly)->Repetitions(3)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);
