// L2 book benchmarks. Names are fixed so results compare over time.
#include <benchmark/benchmark.h>

#include <map>

#include "BenchFeed.hpp"

using namespace kappa;

namespace {

// The BTC-PERPETUAL's own change messages from the simulator at the stress rate: realistic mix of
// top-of-book size changes, level inserts and deletes.
struct PerpStream {
  OrderBook snapshot;
  std::vector<MdEvent> events;  // BookBegin / BookLevel / BookEnd of the perpetual only
  std::size_t levels = 0;
};

const PerpStream& perpStream() {
  static const PerpStream s = [] {
    PerpStream s;
    bench::Feed f = bench::recordFeed(5.0, 200000);
    const InstrumentId perp = f.exchange->instruments().find("BTC-PERPETUAL")->id;
    MarketData md(f.exchange->instruments());
    md.apply(f.initial.data(), f.initial.size());
    s.snapshot = md.book(perp);
    for (const MdEvent& e : f.events) {
      if (e.instrument != perp || (e.type != MdType::BookBegin && e.type != MdType::BookLevel && e.type != MdType::BookEnd)) continue;
      s.events.push_back(e);
      if (e.type == MdType::BookLevel) ++s.levels;
    }
    return s;
  }();
  return s;
}

void applyStream(OrderBook& book, const std::vector<MdEvent>& events) {
  for (const MdEvent& e : events) {
    switch (e.type) {
      case MdType::BookBegin: book.beginUpdate(e.prevChangeId, e.changeId); break;
      case MdType::BookLevel: book.applyLevel(e.side, e.action, e.price, e.qty); break;
      default: book.commit(); break;
    }
  }
}

}  // namespace

// One L2 level update, including its share of the message's sequence check and crossed-book check.
static void BM_BookApplyLevelUpdate(benchmark::State& state) {
  const PerpStream& s = perpStream();
  {
    OrderBook check = s.snapshot;
    applyStream(check, s.events);
    if (!check.live()) state.SkipWithError("stream did not apply cleanly");
  }
  for (auto _ : state) {
    OrderBook book = s.snapshot;  // ~100 levels copied per ~1e5 updates: negligible
    applyStream(book, s.events);
    benchmark::DoNotOptimize(book.bestBid());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(s.levels));
  state.counters["ns_per_update"] = benchmark::Counter(double(s.levels), benchmark::Counter::kIsIterationInvariantRate |
                                                                             benchmark::Counter::kInvert);
  state.counters["updates"] = double(s.levels);
}
BENCHMARK(BM_BookApplyLevelUpdate)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

// Reference for the same stream: the textbook L2 book on two std::maps (what most open-source
// engines start with). Same sequence and crossed-book checks, run side by side for the ratio.
namespace {
struct MapBook {
  std::map<Price, Qty, std::greater<Price>> bids;
  std::map<Price, Qty> asks;
  std::uint64_t changeId = 0;
  bool live = true;
};
void applyStreamMap(MapBook& book, const std::vector<MdEvent>& events) {
  for (const MdEvent& e : events) {
    switch (e.type) {
      case MdType::BookBegin:
        if (e.prevChangeId != book.changeId) book.live = false;
        book.changeId = e.changeId;
        break;
      case MdType::BookLevel:
        if (e.side == Side::Buy) {
          if (e.action == LevelAction::Delete) book.bids.erase(e.price); else book.bids[e.price] = e.qty;
        } else {
          if (e.action == LevelAction::Delete) book.asks.erase(e.price); else book.asks[e.price] = e.qty;
        }
        break;
      default:
        if (!book.bids.empty() && !book.asks.empty() && book.bids.begin()->first >= book.asks.begin()->first)
          book.live = false;
        break;
    }
  }
}
}  // namespace

static void BM_BookApplyLevelUpdate_StdMapReference(benchmark::State& state) {
  const PerpStream& s = perpStream();
  MapBook start;
  Level buf[64];
  for (std::size_t k = 0, n = s.snapshot.topN(Side::Buy, 64, buf); k < n; ++k) start.bids[buf[k].price] = buf[k].qty;
  for (std::size_t k = 0, n = s.snapshot.topN(Side::Sell, 64, buf); k < n; ++k) start.asks[buf[k].price] = buf[k].qty;
  start.changeId = s.snapshot.changeId();
  for (auto _ : state) {
    state.PauseTiming();
    MapBook book = start;
    state.ResumeTiming();
    applyStreamMap(book, s.events);
    if (!book.live) state.SkipWithError("reference book diverged");
    benchmark::DoNotOptimize(book.bids.begin());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(s.levels));
  state.counters["ns_per_update"] = benchmark::Counter(double(s.levels), benchmark::Counter::kIsIterationInvariantRate |
                                                                             benchmark::Counter::kInvert);
}
BENCHMARK(BM_BookApplyLevelUpdate_StdMapReference)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

// Top-20 of both sides, as the GUI snapshot and strategies read it.
static void BM_BookTopN(benchmark::State& state) {
  const PerpStream& s = perpStream();
  OrderBook book = s.snapshot;
  applyStream(book, s.events);
  Level bids[20], asks[20];
  for (auto _ : state) {
    benchmark::DoNotOptimize(book.topN(Side::Buy, 20, bids));
    benchmark::DoNotOptimize(book.topN(Side::Sell, 20, asks));
    benchmark::ClobberMemory();
  }
  state.counters["depth_bids"] = double(book.depth(Side::Buy));
}
BENCHMARK(BM_BookTopN)->Repetitions(5)->ReportAggregatesOnly(true);
