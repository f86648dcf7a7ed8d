// Journal throughput: a realistic mix of records (order intents with a tag, acks, fills with a
// fee, cancels) appended from one thread and committed to SQLite (WAL) by the journal's writer
// thread. The producer appends in bursts of 100,000 (well within the 262,144-record queue) and
// waits for each to be committed before the next, so what is timed is the writer's sustained
// rate: items_per_second = records committed per second. append_ns = what the producer (the
// engine thread) pays per record.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "core/Clock.hpp"
#include "journal/Journal.hpp"

using namespace kappa;

static void BM_JournalThroughput(benchmark::State& state) {
  constexpr std::size_t kBurst = 100'000;
  InstrumentRegistry reg;
  Instrument perp;
  perp.name = "BTC-PERPETUAL";
  reg.add(perp);
  const std::size_t n = std::size_t(state.range(0));
  std::vector<JournalRecord> records(n);
  for (std::size_t i = 0; i < n; ++i) {
    JournalRecord& r = records[i];
    r.kind = std::array{JournalKind::OrderIntent, JournalKind::OrderAck, JournalKind::Fill, JournalKind::Cancelled}[i % 4];
    r.ts = wallNow() + Nanos(i);
    r.order = OrderId(i / 4 + 1);
    r.instrument = 0;
    r.strategy = 1;
    r.price = toFixed(67000.5);
    r.qty = toFixed(100);
    r.value = r.kind == JournalKind::Fill ? 0.0000015 : 0.0;
    if (r.kind == JournalKind::OrderIntent) r.text = "options-mm#1";
  }
  const auto dir = std::filesystem::temp_directory_path() / "kappa_bench_journal";
  double appendNs = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    auto journal = std::make_unique<Journal>((dir / "journal.sqlite").string(), reg);
    state.ResumeTiming();
    Nanos appending = 0;
    for (std::size_t from = 0; from < n && !journal->failed(); from += kBurst) {
      const Nanos t0 = monoNow();
      for (std::size_t i = from; i < std::min(n, from + kBurst); ++i) journal->append(records[i]);
      appending += monoNow() - t0;
      journal->flush();
    }
    appendNs = double(appending) / double(n);
    if (journal->failed()) {
      state.SkipWithError(journal->failure().c_str());
      break;
    }
    state.PauseTiming();
    journal.reset();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(std::int64_t(state.iterations() * n));
  state.counters["append_ns"] = appendNs;
}
BENCHMARK(BM_JournalThroughput)->Arg(1'000'000)->Repetitions(3)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond)->UseRealTime();
