// The simulated exchange's cost per 1 ms step: with BTC only (the market before ETH was listed)
// and with BTC and ETH (the default), at the default feed rate and the 200,000 updates/s storm.
// The feed-rate target is shared by all books, so the second underlying adds its own index,
// ladders and option requotes but not twice the book noise.
#include <benchmark/benchmark.h>

#include "sim/SimExchange.hpp"

using namespace kappa;

static void BM_SimulatorStep(benchmark::State& state) {
  sim::SimConfig cfg;
  cfg.seed = 9;
  if (state.range(0) == 1) cfg.currencies = {sim::SimUnderlying::btc()};
  cfg.updatesPerSecond = double(state.range(1));
  sim::SimExchange ex(cfg);
  ex.start();
  ex.output().clear();
  for (int i = 0; i < 2000; ++i) {  // past the start: books and quotes in their steady state
    ex.step();
    ex.output().clear();
  }
  std::size_t events = 0;
  for (auto _ : state) {
    ex.step();
    events += ex.output().md.size();
    ex.output().clear();
  }
  state.counters["md_events_per_step"] = benchmark::Counter(double(events) / double(state.iterations()));
  state.SetLabel(state.range(0) == 1 ? "BTC only" : "BTC and ETH");
}
BENCHMARK(BM_SimulatorStep)->Args({1, 2500})->Args({2, 2500})->Args({1, 200000})->Args({2, 200000})->Iterations(20000);
