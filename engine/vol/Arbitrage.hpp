#pragma once
// Static-arbitrage checks for SVI slices (Gatheral & Jacquier, "Arbitrage-free SVI volatility surfaces").
//
// Butterfly: a slice admits a non-negative density iff Durrleman's g(k) >= 0 for all k. SVI has no
// closed form for the set where g < 0, so g is sampled on a dense grid, the sign changes are
// bracketed and refined by bisection, and the minimum is polished by golden-section search.
// Calendar: call prices are non-decreasing in expiry at fixed k = ln(K/F) iff total variance is,
// so consecutive slices (sorted by t) are compared directly: w(k, t2) < w(k, t1) is an arbitrage.
// Not hot-path code (it allocates the result ranges), but it never throws.
#include <cstddef>
#include <span>
#include <vector>

#include "vol/Svi.hpp"

namespace kappa::vol {

struct KRange {
  double kFrom = 0;
  double kTo = 0;
};

struct ArbitrageScanOptions {
  double kMin = -1.5;
  double kMax = 1.5;
  int points = 601;
  // A violation must exceed this to count: g < -tolerance (butterfly), w1 - w2 > tolerance (calendar).
  // Zero by default; a small positive value ignores rounding-level touches.
  double tolerance = 0;
};

struct ButterflyReport {
  bool arbitrage = false;
  double gMin = 0;        // minimum of g over [kMin, kMax]
  double kAtGMin = 0;
  std::vector<KRange> ranges;  // where g < -tolerance, edges refined to ~1e-10 in k
};

ButterflyReport checkButterfly(const SviParams& params, const ArbitrageScanOptions& options = {});

struct CalendarViolation {
  std::size_t earlier = 0;  // index into the caller's span of the shorter expiry
  std::size_t later = 0;    // ... and of the next longer one
  double worstGap = 0;      // max of w(k, t_earlier) - w(k, t_later) over the ranges (> 0)
  double kAtWorst = 0;
  std::vector<KRange> ranges;  // where w(k, t_later) < w(k, t_earlier) - tolerance
};

struct CalendarReport {
  bool arbitrage = false;
  bool badInput = false;  // a non-positive/non-finite t or two slices with the same t
  std::vector<CalendarViolation> violations;  // one per offending consecutive pair
};

// Slices may come in any order; they are compared in order of t.
CalendarReport checkCalendar(std::span<const SviSlice> slices, const ArbitrageScanOptions& options = {});

}  // namespace kappa::vol
