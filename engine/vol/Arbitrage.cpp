#include "vol/Arbitrage.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kappa::vol {

namespace {

struct Scan {
  double hMin = 0;
  double kAtMin = 0;
  std::vector<KRange> ranges;  // where h < -tolerance
};

// Where is h(k) < -tolerance on [kMin, kMax]? Sampled on a uniform grid: a dip narrower than the
// grid spacing can be missed, which is why the default grid is dense (0.005 in k).
template <class H>
Scan scanNegative(const H& h, const ArbitrageScanOptions& o) {
  Scan scan;
  const int n = std::max(o.points, 3);
  const double lo = std::min(o.kMin, o.kMax), hi = std::max(o.kMin, o.kMax);
  const double dk = (hi - lo) / (n - 1);
  auto kAt = [&](int i) { return i == n - 1 ? hi : lo + i * dk; };
  auto violates = [&](double v) { return v < -o.tolerance; };
  // Edge between a k that violates and one that does not, by bisection (g and w are smooth).
  auto edge = [&](double kIn, double kOut) {
    for (int it = 0; it < 60 && std::abs(kOut - kIn) > 1e-12; ++it) {
      const double mid = 0.5 * (kIn + kOut);
      (violates(h(mid)) ? kIn : kOut) = mid;
    }
    return 0.5 * (kIn + kOut);
  };

  int iMin = 0;
  scan.hMin = h(lo);
  bool inRange = violates(scan.hMin);
  double rangeStart = lo;
  for (int i = 1; i < n; ++i) {
    const double k = kAt(i);
    const double v = h(k);
    if (v < scan.hMin) {
      scan.hMin = v;
      iMin = i;
    }
    const bool bad = violates(v);
    if (bad && !inRange) rangeStart = edge(k, kAt(i - 1));
    if (!bad && inRange) scan.ranges.push_back({rangeStart, edge(kAt(i - 1), k)});
    inRange = bad;
  }
  if (inRange) scan.ranges.push_back({rangeStart, hi});

  // Polish the minimum by golden-section search between the grid neighbours.
  double a = kAt(std::max(iMin - 1, 0)), b = kAt(std::min(iMin + 1, n - 1));
  const double invPhi = 0.5 * (std::sqrt(5.0) - 1);
  double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
  double hc = h(c), hd = h(d);
  for (int it = 0; it < 60 && b - a > 1e-10; ++it) {
    if (hc < hd) {
      b = d;
      d = c;
      hd = hc;
      c = b - invPhi * (b - a);
      hc = h(c);
    } else {
      a = c;
      c = d;
      hc = hd;
      d = a + invPhi * (b - a);
      hd = h(d);
    }
  }
  scan.kAtMin = kAt(iMin);
  const double kPolished = 0.5 * (a + b);
  const double hPolished = h(kPolished);
  if (hPolished < scan.hMin) {
    scan.hMin = hPolished;
    scan.kAtMin = kPolished;
  }
  return scan;
}

}  // namespace

ButterflyReport checkButterfly(const SviParams& params, const ArbitrageScanOptions& options) {
  Scan scan = scanNegative([&](double k) { return sviDurrlemanG(params, k); }, options);
  ButterflyReport report;
  report.gMin = scan.hMin;
  report.kAtGMin = scan.kAtMin;
  report.ranges = std::move(scan.ranges);
  report.arbitrage = !report.ranges.empty() || !sviParamsValid(params);
  return report;
}

CalendarReport checkCalendar(std::span<const SviSlice> slices, const ArbitrageScanOptions& options) {
  CalendarReport report;
  std::vector<std::size_t> order(slices.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) { return slices[l].t < slices[r].t; });
  for (std::size_t i = 0; i < order.size(); ++i) {
    const double t = slices[order[i]].t;
    if (!(std::isfinite(t) && t > 0) || (i > 0 && t == slices[order[i - 1]].t)) {
      report.badInput = true;
      return report;
    }
  }
  for (std::size_t i = 1; i < order.size(); ++i) {
    const SviParams& earlier = slices[order[i - 1]].params;
    const SviParams& later = slices[order[i]].params;
    Scan scan = scanNegative([&](double k) { return sviTotalVariance(later, k) - sviTotalVariance(earlier, k); },
                             options);
    if (scan.ranges.empty()) continue;
    CalendarViolation v;
    v.earlier = order[i - 1];
    v.later = order[i];
    v.worstGap = -scan.hMin;
    v.kAtWorst = scan.kAtMin;
    v.ranges = std::move(scan.ranges);
    report.violations.push_back(std::move(v));
  }
  report.arbitrage = !report.violations.empty();
  return report;
}

}  // namespace kappa::vol
