// Pricing benchmarks: Greeks, implied vol and a whole-chain recompute, each next to QuantLib doing
// the same work. Names are fixed so results compare over time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <random>
#include <vector>

// Specific QuantLib headers only: <ql/quantlib.hpp> costs far more compile time than the rest of the file.
#include <ql/exercise.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/pricingengines/blackformula.hpp>
#include <ql/pricingengines/vanilla/analyticeuropeanengine.hpp>
#include <ql/processes/blackscholesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/volatility/equityfx/blackconstantvol.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>
// SviInterpolation lives under experimental/ up to QuantLib 1.29 (Debian's) and moved to
// math/interpolations/ later; same class and constructor either way.
#if __has_include(<ql/math/interpolations/sviinterpolation.hpp>)
#include <ql/math/interpolations/sviinterpolation.hpp>
#else
#include <ql/experimental/volatility/sviinterpolation.hpp>
#endif

#include "pricing/BlackScholes.hpp"
#include "pricing/ImpliedVol.hpp"
#include "pricing/InverseOption.hpp"
#include "vol/Svi.hpp"
#include "vol/SviFit.hpp"

using namespace kappa::pricing;
namespace ql = QuantLib;

namespace {

// ---------------------------------------------------------------------------------------------
// Inputs for the Greeks benchmarks: 1024 varied options (log-uniform strikes, expiries from a day
// to three years, vols from 5 % to 200 %, random call/put), cycled so that branches and the
// normal CDF's ranges see realistic variety rather than one repeated point.

constexpr std::size_t kGreeksInputs = 1024;  // power of two: the cycle index is a mask

struct OptionInput {
  CallPut type;
  double spot, strike, t, r, q, sigma;
};

std::vector<OptionInput> greeksInputs() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto logUniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, u(rng)); };
  std::vector<OptionInput> inputs(kGreeksInputs);
  for (OptionInput& o : inputs) {
    o.type = u(rng) < 0.5 ? CallPut::Call : CallPut::Put;
    o.spot = 100.0 * logUniform(0.8, 1.25);
    o.strike = 100.0 * logUniform(0.4, 2.5);
    o.t = logUniform(1.0 / 365.0, 3.0);
    o.r = 0.08 * u(rng);
    o.q = 0.05 * u(rng);
    o.sigma = logUniform(0.05, 2.0);
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------
// The implied-vol grid: K/F 0.2-5, T 1 day-3 years, vol 5 %-300 % (all log-spaced), calls and
// puts, priced with black76Price. Points our solver cannot invert (price underflows to 0 or
// rounds to intrinsic) are dropped once here, so both IV benchmarks time the same set.

struct IvPoint {
  bool isCall;
  double forward, strike, t, r, price, vol;
};

struct IvGrid {
  std::vector<IvPoint> points;
  std::vector<IvPoint> rejected;  // price rounded to intrinsic or below it: kept to see how QuantLib copes
  std::size_t generated = 0;
  double inaccurateFrac = 0;  // |iv - true vol| > 1e-4 (0.01 vol point)
  double maxAbsError = 0;
  double avgIterations = 0;
};

constexpr double kVolTolerance = 1e-4;

const IvGrid& ivGrid() {
  static const IvGrid grid = [] {
    IvGrid g;
    constexpr int nK = 49, nT = 25, nV = 25;
    constexpr double forward = 100.0, rate = 0.03;
    std::size_t inaccurate = 0;
    long iterations = 0;
    for (int cp = 0; cp < 2; ++cp) {
      const bool isCall = cp == 0;
      for (int it = 0; it < nT; ++it) {
        const double t = (1.0 / 365.0) * std::pow(3.0 * 365.0, double(it) / (nT - 1));
        for (int iv = 0; iv < nV; ++iv) {
          const double vol = 0.05 * std::pow(60.0, double(iv) / (nV - 1));
          for (int ik = 0; ik < nK; ++ik) {  // innermost: strikes, as a chain is scanned
            const double strike = forward * 0.2 * std::pow(25.0, double(ik) / (nK - 1));
            const double price = black76Price(isCall ? CallPut::Call : CallPut::Put, forward, strike, t, rate, vol);
            ++g.generated;
            const ImpliedVol res = impliedVolBlack76(isCall, forward, strike, t, rate, price);
            if (!res.ok()) {
              g.rejected.push_back({isCall, forward, strike, t, rate, price, vol});
              continue;
            }
            g.points.push_back({isCall, forward, strike, t, rate, price, vol});
            iterations += res.iterations;
            g.maxAbsError = std::max(g.maxAbsError, std::abs(res.vol - vol));
            if (std::abs(res.vol - vol) > kVolTolerance) ++inaccurate;
          }
        }
      }
    }
    g.inaccurateFrac = double(inaccurate) / double(g.points.size());
    g.avgIterations = double(iterations) / double(g.points.size());
    return g;
  }();
  return grid;
}

// Per-call timing of our solver over the grid with std::chrono::steady_clock.
//
// Each call is timed on its own, not in batches: one call costs several times the ~20 ns of a
// steady_clock::now() pair, so per-call timing stays meaningful, and batching would average away
// the very worst case we are asked for. The median cost of an empty now() pair is subtracted.
// The grid is timed in three passes (in grid order, so the branch predictor sees the same variety
// as in BM_ImpliedVol) and each point keeps its fastest pass: on a shared 2-core machine a single
// sample's maximum is an interrupt or a preemption, not the solver. worst_raw_ns reports that
// noisy single-sample maximum too, for honesty.
struct CallTimes {
  double medianNs = 0, worstNs = 0, worstRawNs = 0, clockNs = 0;
  std::size_t worstIndex = 0;
};

CallTimes timeEachCall(const std::vector<IvPoint>& points) {
  using Clock = std::chrono::steady_clock;
  auto ns = [](Clock::duration d) { return double(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()); };
  CallTimes out;

  std::vector<double> empty(4096);
  for (double& e : empty) {
    const auto a = Clock::now();
    const auto b = Clock::now();
    e = ns(b - a);
  }
  std::nth_element(empty.begin(), empty.begin() + empty.size() / 2, empty.end());
  out.clockNs = empty[empty.size() / 2];

  const std::size_t n = points.size();
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t i = 0; i < n; ++i) {
      const IvPoint& p = points[i];
      const auto a = Clock::now();
      const ImpliedVol res = impliedVolBlack76(p.isCall, p.forward, p.strike, p.t, p.r, p.price);
      const auto b = Clock::now();
      benchmark::DoNotOptimize(res);
      const double d = ns(b - a);
      best[i] = std::min(best[i], d);
      out.worstRawNs = std::max(out.worstRawNs, d - out.clockNs);
    }
  }
  for (double& b : best) b = std::max(b - out.clockNs, 0.0);
  out.worstIndex = std::size_t(std::max_element(best.begin(), best.end()) - best.begin());
  out.worstNs = best[out.worstIndex];
  std::nth_element(best.begin(), best.begin() + n / 2, best.end());
  out.medianNs = best[n / 2];
  return out;
}

// QuantLib's implied vol for one grid point; NaN when it throws (it does on some inputs).
double quantLibImpliedVol(const IvPoint& p) {
  try {
    const double discount = std::exp(-p.r * p.t);
    return ql::blackFormulaImpliedStdDev(p.isCall ? ql::Option::Call : ql::Option::Put, p.strike, p.forward, p.price,
                                         discount) /
           std::sqrt(p.t);
  } catch (const std::exception&) {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

struct QuantLibIvStats {
  std::size_t failures = 0;
  std::size_t failuresOnRejected = 0;  // throws on the points our solver rejects (not timed)
  double failFrac = 0, inaccurateFrac = 0, maxAbsError = 0;
};

// One deterministic pass over the whole grid (done once: QuantLib's failures are slow).
const QuantLibIvStats& quantLibIvStats() {
  static const QuantLibIvStats stats = [] {
    QuantLibIvStats s;
    const std::vector<IvPoint>& points = ivGrid().points;
    std::size_t inaccurate = 0;
    for (const IvPoint& p : points) {
      const double vol = quantLibImpliedVol(p);
      if (std::isnan(vol)) {
        ++s.failures;
        continue;
      }
      if (std::abs(vol - p.vol) > kVolTolerance) ++inaccurate;
      s.maxAbsError = std::max(s.maxAbsError, std::abs(vol - p.vol));
    }
    for (const IvPoint& p : ivGrid().rejected) s.failuresOnRejected += std::isnan(quantLibImpliedVol(p));
    s.failFrac = double(s.failures) / double(points.size());
    s.inaccurateFrac = double(inaccurate) / double(points.size() - s.failures);
    return s;
  }();
  return stats;
}

// ---------------------------------------------------------------------------------------------
// A BTC option chain as Deribit lists it: inverse options, premiums in BTC on a 0.0001 tick,
// forward 67000, r = 0. 10 expiries x 15 strikes x call/put; strikes span about -2.5..+2 standard
// deviations, a smile in standardised moneyness, and a market about 2 vol points wide.

constexpr double kBtcForward = 67000.0;
constexpr double kTick = 0.0001;

struct ChainOption {
  CallPut type;
  double strike, t;
  double bidCoin, askCoin, midCoin;
};

struct ChainResult {
  ImpliedVol bid, ask, mid;
  InverseGreeks greeks;
};

std::vector<ChainOption> btcChain() {
  const int days[10] = {1, 2, 7, 14, 30, 60, 91, 182, 273, 364};
  std::vector<ChainOption> chain;
  for (int d : days) {
    const double t = d / 365.0;
    for (int j = 0; j < 15; ++j) {
      const double z = -2.5 + 4.5 * j / 14.0;
      const double strike = 100.0 * std::round(kBtcForward * std::exp(z * 0.55 * std::sqrt(t)) / 100.0);
      const double iv = 0.55 - 0.03 * z + 0.03 * z * z;
      for (CallPut type : {CallPut::Call, CallPut::Put}) {
        auto coin = [&](double sigma) { return black76Price(type, kBtcForward, strike, t, 0.0, sigma) / kBtcForward; };
        const double bid = std::floor(coin(iv - 0.01) / kTick) * kTick;
        const double ask = std::max(std::ceil(coin(iv + 0.01) / kTick) * kTick, kTick);
        chain.push_back({type, strike, t, bid, ask, 0.5 * (bid + ask)});
      }
    }
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------
// The SVI slice of bench_svi.cpp's BM_SviFitSlice: t = 0.1, 25 strikes from k = -0.5 sqrt(t/0.25)
// to 0.4 sqrt(t/0.25), mids 0.1 vol point noisy, 1 vol point wide.

const kappa::vol::SviParams kSviTruth{0.03, 0.1, -0.2, 0.02, 0.15};
constexpr double kSviT = 0.1;

struct SviSliceMarket {
  std::vector<double> strikes, vols;          // QuantLib's inputs: strikes and mid vols
  std::vector<kappa::vol::SviQuote> quotes;   // ours: log-moneyness, bid/ask vols
};

SviSliceMarket sviSliceMarket(double forward) {
  SviSliceMarket m;
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 0.001);
  const double kLo = -0.5 * std::sqrt(kSviT / 0.25), kHi = 0.4 * std::sqrt(kSviT / 0.25);
  for (int i = 0; i < 25; ++i) {
    const double k = kLo + (kHi - kLo) * i / 24;
    const double mid = kappa::vol::sviImpliedVol(kSviTruth, k, kSviT) + noise(rng);
    m.strikes.push_back(forward * std::exp(k));
    m.vols.push_back(mid);
    m.quotes.push_back({k, mid - 0.005, mid + 0.005, 0});
  }
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Price and all Greeks of one option (generalized BSM), cycling through 1024 varied inputs.
// Time per iteration = ns per option.
static void BM_PriceGreeks(benchmark::State& state) {
  const std::vector<OptionInput> inputs = greeksInputs();
  std::size_t i = 0;
  for (auto _ : state) {
    const OptionInput& o = inputs[i++ & (kGreeksInputs - 1)];
    Greeks g = bsmGreeks(o.type, o.spot, o.strike, o.t, o.r, o.q, o.sigma);
    benchmark::DoNotOptimize(g);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.SetLabel(pricingKernelName(activePricingKernel()));  // which build of the kernel this CPU ran
}
BENCHMARK(BM_PriceGreeks)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true);

// The same 1024 options through QuantLib's VanillaOption + AnalyticEuropeanEngine.
//
// This is the fair fast way to use QuantLib: the whole object graph (quotes, flat curves, constant
// vol, process, engine, one call and one put) is built once, and each iteration only sets the
// SimpleQuotes (spot, vol, rate, dividend yield) and reads NPV, delta, gamma, vega, theta and rho;
// the quote changes notify the graph and the first read recalculates. Rebuilding the objects per
// option would be several times slower and would measure allocation rather than pricing.
//
// QuantLib's option has a fixed strike and maturity, so each input is mapped to an equivalent one
// at setup: by homogeneity V(S, K) = (K / K0) V(S K0 / K, K0), and with constant parameters an
// option depends on t only through r t, q t and sigma^2 t, so rescaling r, q by t / T0 and sigma by
// sqrt(t / T0) prices the t-year option at the fixed maturity T0. Price and delta then equal ours
// (checked at setup, max_price_diff per unit strike); vega/theta/rho come out in the rescaled
// coordinates, which does not change the work done.
static void BM_QuantLibPriceGreeks(benchmark::State& state) {
  constexpr double kStrike = 100.0;
  const ql::Date today(1, ql::January, 2026);
  ql::Settings::instance().evaluationDate() = today;
  const ql::DayCounter dc = ql::Actual365Fixed();
  const ql::Date maturity = today + 365;
  const double t0 = dc.yearFraction(today, maturity);

  auto spot = ql::ext::make_shared<ql::SimpleQuote>(kStrike);
  auto rate = ql::ext::make_shared<ql::SimpleQuote>(0.0);
  auto div = ql::ext::make_shared<ql::SimpleQuote>(0.0);
  auto vol = ql::ext::make_shared<ql::SimpleQuote>(0.2);
  const ql::Handle<ql::YieldTermStructure> rateTs(
      ql::ext::make_shared<ql::FlatForward>(today, ql::Handle<ql::Quote>(rate), dc));
  const ql::Handle<ql::YieldTermStructure> divTs(
      ql::ext::make_shared<ql::FlatForward>(today, ql::Handle<ql::Quote>(div), dc));
  const ql::Handle<ql::BlackVolTermStructure> volTs(
      ql::ext::make_shared<ql::BlackConstantVol>(today, ql::NullCalendar(), ql::Handle<ql::Quote>(vol), dc));
  auto process = ql::ext::make_shared<ql::BlackScholesMertonProcess>(ql::Handle<ql::Quote>(spot), divTs, rateTs, volTs);
  auto engine = ql::ext::make_shared<ql::AnalyticEuropeanEngine>(process);
  auto exercise = ql::ext::make_shared<ql::EuropeanExercise>(maturity);
  ql::VanillaOption call(ql::ext::make_shared<ql::PlainVanillaPayoff>(ql::Option::Call, kStrike), exercise);
  ql::VanillaOption put(ql::ext::make_shared<ql::PlainVanillaPayoff>(ql::Option::Put, kStrike), exercise);
  call.setPricingEngine(engine);
  put.setPricingEngine(engine);

  struct QlInput {
    bool isCall;
    double spot, vol, rate, div;
  };
  const std::vector<OptionInput> inputs = greeksInputs();
  std::vector<QlInput> qlInputs;
  double maxPriceDiff = 0;
  try {
    for (const OptionInput& o : inputs) {
      const double scale = o.t / t0;
      const QlInput in{o.type == CallPut::Call, o.spot * kStrike / o.strike, o.sigma * std::sqrt(scale), o.r * scale,
                       o.q * scale};
      qlInputs.push_back(in);
      spot->setValue(in.spot);
      vol->setValue(in.vol);
      rate->setValue(in.rate);
      div->setValue(in.div);
      ql::VanillaOption& option = in.isCall ? call : put;
      const Greeks ours = bsmGreeks(o.type, o.spot, o.strike, o.t, o.r, o.q, o.sigma);
      maxPriceDiff = std::max(maxPriceDiff, std::abs(ours.price - option.NPV() * o.strike / kStrike) / o.strike);
      maxPriceDiff = std::max(maxPriceDiff, std::abs(ours.delta - option.delta()));
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (maxPriceDiff > 1e-9) state.SkipWithError("QuantLib and bsmGreeks disagree on the mapped inputs");

  std::size_t i = 0;
  for (auto _ : state) {
    const QlInput& in = qlInputs[i++ & (kGreeksInputs - 1)];
    spot->setValue(in.spot);
    vol->setValue(in.vol);
    rate->setValue(in.rate);
    div->setValue(in.div);
    ql::VanillaOption& option = in.isCall ? call : put;
    double out[6] = {option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(), option.rho()};
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.counters["max_price_diff"] = maxPriceDiff;
}
BENCHMARK(BM_QuantLibPriceGreeks)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true);

// Implied vol over the dense grid, one inversion per iteration in grid order: the time is the mean
// ns per IV. Counters: median_ns and worst_ns from the separate per-call timed pass (see
// timeEachCall), the worst point's K/F, expiry and vol, and how many grid points are timed.
static void BM_ImpliedVol(benchmark::State& state) {
  const IvGrid& grid = ivGrid();
  const std::vector<IvPoint>& points = grid.points;
  const std::size_t n = points.size();
  std::size_t i = 0;
  for (auto _ : state) {
    const IvPoint& p = points[i];
    if (++i == n) i = 0;
    const ImpliedVol res = impliedVolBlack76(p.isCall, p.forward, p.strike, p.t, p.r, p.price);
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));

  const CallTimes times = timeEachCall(points);
  const IvPoint& worst = points[times.worstIndex];
  state.counters["median_ns"] = times.medianNs;
  state.counters["worst_ns"] = times.worstNs;
  state.counters["worst_raw_ns"] = times.worstRawNs;
  state.counters["clock_ns"] = times.clockNs;
  state.counters["worst_KF"] = worst.strike / worst.forward;
  state.counters["worst_Tdays"] = worst.t * 365.0;
  state.counters["worst_vol"] = worst.vol;
  state.counters["points"] = double(n);
  state.counters["skipped"] = double(grid.generated - n);
  state.counters["avg_iters"] = grid.avgIterations;
  state.counters["inaccurate_frac"] = grid.inaccurateFrac;
  state.counters["max_abs_err"] = grid.maxAbsError;
}
BENCHMARK(BM_ImpliedVol)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true);

// QuantLib's blackFormulaImpliedStdDev (default accuracy 1e-6 on the std dev, 100 iterations) over
// the same grid. It throws on some inputs: caught inside quantLibImpliedVol, so failures cost their
// exception in the timing. fail_frac / failures come from one full pass over the grid;
// inaccurate_frac counts answers off by more than 0.01 vol point among those that did not throw
// (it returns a wrong vol silently rather than throwing for very small out-of-the-money prices);
// fails_on_skipped counts its throws on the untimed points our solver rejects (price rounded to
// intrinsic), for comparison.
static void BM_QuantLibImpliedVol(benchmark::State& state) {
  const std::vector<IvPoint>& points = ivGrid().points;
  const QuantLibIvStats& stats = quantLibIvStats();
  const std::size_t n = points.size();
  std::size_t i = 0;
  for (auto _ : state) {
    const IvPoint& p = points[i];
    if (++i == n) i = 0;
    benchmark::DoNotOptimize(quantLibImpliedVol(p));
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.counters["failures"] = double(stats.failures);
  state.counters["fail_frac"] = stats.failFrac;
  state.counters["inaccurate_frac"] = stats.inaccurateFrac;
  state.counters["max_abs_err"] = stats.maxAbsError;
  state.counters["fails_on_skipped"] = double(stats.failuresOnRejected);
  state.counters["points"] = double(n);
}
BENCHMARK(BM_QuantLibImpliedVol)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true);

// A full 300-option BTC chain, time per iteration = one chain. Per option: the implied vol (coin
// premium converted to USD at the forward), then the coin and USD Greeks at that vol.
//   BM_ChainRecompute            the "IV + Greeks" of the 60 us budget: the mid IV, cold start
//   BM_ChainRecompute_BidAskMid  what the live analytics does: bid, ask and mid IVs, cold start
//   *_Warm                       the same chain a moment later (forward moved 1 bp), each solve
//                                warm-started from the previous refresh's vol, as the live refresh does
enum class ChainIvs { Mid, BidAskMid };

static void chainRecompute(benchmark::State& state, ChainIvs ivs, bool warm) {
  const std::vector<ChainOption> chain = btcChain();
  const double f = kBtcForward, fBefore = kBtcForward * 1.0001;
  struct Previous { double bid = 0, ask = 0, mid = 0; };
  std::vector<Previous> previous(chain.size());
  if (warm) {
    for (std::size_t j = 0; j < chain.size(); ++j) {
      const ChainOption& o = chain[j];
      const bool isCall = o.type == CallPut::Call;
      previous[j] = {impliedVolBlack76(isCall, fBefore, o.strike, o.t, 0.0, o.bidCoin * fBefore).vol,
                     impliedVolBlack76(isCall, fBefore, o.strike, o.t, 0.0, o.askCoin * fBefore).vol,
                     impliedVolBlack76(isCall, fBefore, o.strike, o.t, 0.0, o.midCoin * fBefore).vol};
    }
  }
  std::vector<ChainResult> out(chain.size());
  for (auto _ : state) {
    for (std::size_t j = 0; j < chain.size(); ++j) {
      const ChainOption& o = chain[j];
      const bool isCall = o.type == CallPut::Call;
      ChainResult& r = out[j];
      if (ivs == ChainIvs::BidAskMid) {
        r.bid = impliedVolBlack76(isCall, f, o.strike, o.t, 0.0, o.bidCoin * f, previous[j].bid);
        r.ask = impliedVolBlack76(isCall, f, o.strike, o.t, 0.0, o.askCoin * f, previous[j].ask);
      }
      r.mid = impliedVolBlack76(isCall, f, o.strike, o.t, 0.0, o.midCoin * f, previous[j].mid);
      r.greeks = inverseOptionGreeks(o.type, f, o.strike, o.t, r.mid.vol);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  std::size_t ok = 0, midOk = 0, midIterations = 0;
  for (const ChainResult& r : out) {
    ok += r.bid.ok() + r.ask.ok() + r.mid.ok();
    midOk += r.mid.ok();
    midIterations += std::size_t(r.mid.iterations);
  }
  state.counters["options"] = double(chain.size());
  state.counters["mid_avg_iters"] = double(midIterations) / double(chain.size());
  state.counters["ns_per_option"] = benchmark::Counter(
      double(chain.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["mid_ok_frac"] = double(midOk) / double(chain.size());
  if (ivs == ChainIvs::BidAskMid) state.counters["iv_ok_frac"] = double(ok) / double(3 * chain.size());
}
static void BM_ChainRecompute(benchmark::State& state) { chainRecompute(state, ChainIvs::Mid, false); }
static void BM_ChainRecompute_Warm(benchmark::State& state) { chainRecompute(state, ChainIvs::Mid, true); }
static void BM_ChainRecompute_BidAskMid(benchmark::State& state) { chainRecompute(state, ChainIvs::BidAskMid, false); }
static void BM_ChainRecompute_BidAskMid_Warm(benchmark::State& state) { chainRecompute(state, ChainIvs::BidAskMid, true); }
BENCHMARK(BM_ChainRecompute)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainRecompute_Warm)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainRecompute_BidAskMid)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainRecompute_BidAskMid_Warm)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

// QuantLib's SviInterpolation calibrating all five parameters on the BM_SviFitSlice slice (strikes
// and mid vols, forward 67000), with its defaults: vega weighting, Levenberg-Marquardt, up to 50
// Halton restarts while the weighted rms error exceeds 0.002. From this guess one LM run suffices
// (tens of microseconds); QuantLib's own default guess (Null parameters, b = 1.43) takes ~4x longer
// to reach the same fit. A new interpolation is built per
// iteration because update() overwrites its guess with the result, which would warm-start the
// next fit. Counters: rmse_volpts is the plain rms of (model - mid vol) in vol points, as
// SviFitResult::rmse reports it; kappa_* are our fitter's cold fit of the same slice, for the ratio
// (same kind of number as BM_SviFitSliceCold).
static void BM_QuantLibSviSlice(benchmark::State& state) {
  const double forward = kBtcForward;
  const SviSliceMarket market = sviSliceMarket(forward);
  // A reasonable generic guess: half the at-the-money total variance, moderate wings, no skew.
  const double atmVol = market.vols[market.vols.size() / 2];
  const double a0 = 0.5 * atmVol * atmVol * kSviT, b0 = 0.1, sigma0 = 0.1, rho0 = 0.0, m0 = 0.0;
  auto fit = [&] {
    ql::SviInterpolation svi(market.strikes.begin(), market.strikes.end(), market.vols.begin(), kSviT, forward, a0, b0,
                             sigma0, rho0, m0, false, false, false, false, false);
    svi.update();
    return svi;
  };

  try {
    for (auto _ : state) {
      ql::SviInterpolation svi = fit();
      benchmark::DoNotOptimize(svi.a());
    }
    const ql::SviInterpolation svi = fit();
    double sq = 0;
    for (std::size_t i = 0; i < market.strikes.size(); ++i) {
      const double e = svi(market.strikes[i]) - market.vols[i];
      sq += e * e;
    }
    state.counters["rmse_volpts"] = 100.0 * std::sqrt(sq / double(market.strikes.size()));
    state.counters["ql_rms_error"] = svi.rmsError();  // QuantLib's own, vega-weighted
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }

  // Our fitter, cold, on the same slice: median of 21 fits.
  using Clock = std::chrono::steady_clock;
  std::vector<double> us;
  kappa::vol::SviFitter fitter;
  kappa::vol::SviFitResult ours;
  for (int r = 0; r < 21; ++r) {
    const auto a = Clock::now();
    ours = fitter.fit(kSviT, market.quotes);
    const auto b = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
  state.counters["kappa_cold_us"] = us[us.size() / 2];
  state.counters["kappa_rmse_volpts"] = 100.0 * ours.rmse;
}
BENCHMARK(BM_QuantLibSviSlice)->MinTime(0.2)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);
