// SVI slice and surface fits: the refits a live vol surface does on every quote update. Names are
// fixed so results compare over time.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "vol/SviFit.hpp"
#include "vol/VolSurface.hpp"

using namespace kappa::vol;

namespace {

// A crypto-like slice: 25 strikes, a 1 vol point wide market, 0.1 vol point noise on the mids.
std::vector<SviQuote> marketQuotes(const SviParams& p, double t, double volShift, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.001);
  std::vector<SviQuote> quotes;
  const double kLo = -0.5 * std::sqrt(t / 0.25), kHi = 0.4 * std::sqrt(t / 0.25);  // wider range for longer expiries
  for (int i = 0; i < 25; ++i) {
    const double k = kLo + (kHi - kLo) * i / 24;
    const double mid = sviImpliedVol(p, k, t) + volShift + noise(rng);
    quotes.push_back({k, mid - 0.005, mid + 0.005, 0});
  }
  return quotes;
}

// Eight expiries from a week to two years, total variance rising with t.
struct SurfaceMarket {
  std::vector<double> t;
  std::vector<std::vector<SviQuote>> now, next;  // two nearby states of the market
};

SurfaceMarket surfaceMarket() {
  SurfaceMarket m;
  const double expiries[8] = {7 / 365.0, 14 / 365.0, 30 / 365.0, 60 / 365.0, 91 / 365.0, 182 / 365.0, 1.0, 2.0};
  for (int i = 0; i < 8; ++i) {
    const double t = expiries[i];
    const SviParams p{0.36 * t, 0.12 * std::sqrt(t), -0.25, 0.02, 0.2 * std::sqrt(t)};
    m.t.push_back(t);
    m.now.push_back(marketQuotes(p, t, 0.0, 100 + i));
    m.next.push_back(marketQuotes(p, t, 0.002, 200 + i));
  }
  return m;
}

const SviParams kSlice{0.03, 0.1, -0.2, 0.02, 0.15};
constexpr double kSliceT = 0.1;

void BM_SviFitSlice(benchmark::State& state) {
  const std::vector<SviQuote> slices[2] = {marketQuotes(kSlice, kSliceT, 0.0, 1), marketQuotes(kSlice, kSliceT, 0.002, 2)};
  SviFitter fitter;
  SviFitResult last = fitter.fit(kSliceT, slices[0]);
  long evaluations = 0, fits = 0;
  for (auto _ : state) {
    // Each refit is warm-started from the previous fit, made on the other (slightly moved) slice.
    last = fitter.fit(kSliceT, slices[++fits & 1], last.params);
    evaluations += last.evaluations;
    benchmark::DoNotOptimize(last);
  }
  state.counters["evals"] = benchmark::Counter(double(evaluations) / double(fits));
  state.counters["rmse_volpts"] = 100 * last.rmse;
}
BENCHMARK(BM_SviFitSlice)->Unit(benchmark::kMicrosecond);

void BM_SviFitSliceCold(benchmark::State& state) {
  const std::vector<SviQuote> quotes = marketQuotes(kSlice, kSliceT, 0.0, 1);
  SviFitter fitter;
  SviFitResult last;
  for (auto _ : state) {
    last = fitter.fit(kSliceT, quotes);
    benchmark::DoNotOptimize(last);
  }
  state.counters["evals"] = last.evaluations;
}
BENCHMARK(BM_SviFitSliceCold)->Unit(benchmark::kMicrosecond);

void BM_SviFitSurface(benchmark::State& state) {
  const SurfaceMarket market = surfaceMarket();
  SviFitter fitter;
  std::vector<SviSlice> slices(8);
  for (int i = 0; i < 8; ++i) slices[i] = {market.t[i], fitter.fit(market.t[i], market.now[i]).params};
  VolSurface surface;
  long evaluations = 0, refits = 0;
  for (auto _ : state) {
    // Refit every expiry, each warm-started from its previous fit, alternating between two nearby states.
    const auto& quotes = (++refits & 1) ? market.next : market.now;
    for (int i = 0; i < 8; ++i) {
      const SviFitResult r = fitter.fit(market.t[i], quotes[i], slices[i].params);
      evaluations += r.evaluations;
      slices[i].params = r.params;
    }
    benchmark::DoNotOptimize(surface.build(slices));
  }
  state.counters["evals_per_slice"] = benchmark::Counter(double(evaluations) / double(8 * refits));
}
BENCHMARK(BM_SviFitSurface)->Unit(benchmark::kMicrosecond);

}  // namespace
