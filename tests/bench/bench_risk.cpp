// risk.json load: parse time against the number of scoped entries (it was quadratic: 30,000
// instrument entries took 12 s). Names are fixed so results compare over time.
#include <benchmark/benchmark.h>

#include <string>

#include "risk/PreTradeLimits.hpp"
#include "risk/RiskConfigFile.hpp"
#include "sim/SimExchange.hpp"

using namespace kappa;

namespace {
std::string scopedConfig(int entries) {
  std::string json = R"({"version": 1, "instruments": {)";
  for (int i = 0; i < entries; ++i)
    json += (i ? ", \"" : "\"") + std::string("BTC-") + std::to_string(i) + "-C\": {\"max_position\": " +
            std::to_string(i + 1) + ", \"max_order_qty\": 10}";
  return json + "}}";
}
}  // namespace

// The whole parse of a risk.json with state.range(0) instrument entries; linear: the time per
// entry stays flat from 3,000 to 30,000 to 300,000.
static void BM_RiskConfigLoad(benchmark::State& state) {
  const std::string json = scopedConfig(int(state.range(0)));
  for (auto _ : state) {
    RiskConfig c;
    std::string error;
    if (!parseRiskConfig(json, "bench.json", &c, &error)) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(c.instruments.data());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * state.range(0));
  state.counters["entries"] = double(state.range(0));
}
BENCHMARK(BM_RiskConfigLoad)->Arg(3'000)->Arg(30'000)->Arg(300'000)->Unit(benchmark::kMillisecond);

// The gate resolving those entries for the simulator's ~230 instruments (kind, patterns, exact
// names): one lookup per instrument, not every entry against every instrument.
static void BM_RiskConfigResolve(benchmark::State& state) {
  RiskConfig c;
  std::string error;
  if (!parseRiskConfig(scopedConfig(int(state.range(0))), "bench.json", &c, &error)) state.SkipWithError(error.c_str());
  sim::SimExchange exchange(sim::SimConfig{});
  PreTradeLimits limits(exchange.instruments());
  for (auto _ : state) {
    limits.configure(c);
    benchmark::ClobberMemory();
  }
  state.counters["entries"] = double(state.range(0));
  state.counters["instruments"] = double(exchange.instruments().size());
}
BENCHMARK(BM_RiskConfigResolve)->Arg(3'000)->Arg(30'000)->Arg(300'000)->Unit(benchmark::kMillisecond);
