#pragma once
// A volatility surface from fitted SVI slices.
//
// Between slices, total variance is interpolated linearly in t at fixed k = ln(K/F): w is then
// non-decreasing in t wherever the slices are (checkCalendar() reports where they are not), so the
// surface adds no calendar arbitrage of its own. Before the first slice w = (t / t1) w1(k) and
// after the last w = (t / tN) wN(k): implied vol is held constant in t at fixed k outside the quoted
// expiries. Queries do a binary search over the slices and never allocate.
#include <cstddef>
#include <span>
#include <vector>

#include "vol/Svi.hpp"

namespace kappa::vol {

enum class VolSurfaceStatus : unsigned char {
  Ok,
  NoSlices,
  BadSlice,        // non-finite or non-positive t, or parameters outside the SVI domain
  DuplicateExpiry, // two slices with the same t
};
const char* nameOf(VolSurfaceStatus status);

class VolSurface {
 public:
  // Replaces the surface; slices may come in any order. On failure the surface is left empty.
  VolSurfaceStatus build(std::span<const SviSlice> slices);

  // Total implied variance iv^2 t at log-moneyness k and expiry t (years). 0 for t <= 0;
  // NaN on an empty surface, so a missing surface cannot pass for a zero-vol one.
  double totalVariance(double k, double t) const;
  // sqrt(w / t). For t <= 0 the limit from the constant-vol extrapolation, sqrt(w1(k) / t1).
  double impliedVol(double k, double t) const;

  bool empty() const { return slices_.empty(); }
  std::span<const SviSlice> slices() const { return slices_; }  // sorted by t

 private:
  std::vector<SviSlice> slices_;
};

}  // namespace kappa::vol
