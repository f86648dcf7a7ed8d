#include "vol/VolSurface.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kappa::vol {

const char* nameOf(VolSurfaceStatus status) {
  switch (status) {
    case VolSurfaceStatus::Ok: return "Ok";
    case VolSurfaceStatus::NoSlices: return "NoSlices";
    case VolSurfaceStatus::BadSlice: return "BadSlice";
    case VolSurfaceStatus::DuplicateExpiry: return "DuplicateExpiry";
  }
  return "?";
}

VolSurfaceStatus VolSurface::build(std::span<const SviSlice> slices) {
  slices_.clear();
  if (slices.empty()) return VolSurfaceStatus::NoSlices;
  for (const SviSlice& s : slices)
    if (!(std::isfinite(s.t) && s.t > 0) || !sviParamsValid(s.params)) return VolSurfaceStatus::BadSlice;
  slices_.assign(slices.begin(), slices.end());
  std::sort(slices_.begin(), slices_.end(), [](const SviSlice& l, const SviSlice& r) { return l.t < r.t; });
  for (std::size_t i = 1; i < slices_.size(); ++i) {
    if (slices_[i].t == slices_[i - 1].t) {
      slices_.clear();
      return VolSurfaceStatus::DuplicateExpiry;
    }
  }
  return VolSurfaceStatus::Ok;
}

double VolSurface::totalVariance(double k, double t) const {
  if (slices_.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!(t > 0)) return 0;
  const SviSlice& first = slices_.front();
  const SviSlice& last = slices_.back();
  if (t <= first.t) return t / first.t * sviTotalVariance(first.params, k);
  if (t >= last.t) return t / last.t * sviTotalVariance(last.params, k);
  // First slice with t_i > t; the one before it has t_{i-1} <= t.
  const auto upper = std::upper_bound(slices_.begin(), slices_.end(), t,
                                      [](double value, const SviSlice& s) { return value < s.t; });
  const SviSlice& hi = *upper;
  const SviSlice& lo = *(upper - 1);
  const double w0 = sviTotalVariance(lo.params, k);
  const double w1 = sviTotalVariance(hi.params, k);
  return w0 + (t - lo.t) / (hi.t - lo.t) * (w1 - w0);
}

double VolSurface::impliedVol(double k, double t) const {
  if (slices_.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!(t > 0)) {
    const SviSlice& first = slices_.front();
    return std::sqrt(std::max(sviTotalVariance(first.params, k), 0.0) / first.t);
  }
  return std::sqrt(std::max(totalVariance(k, t), 0.0) / t);
}

}  // namespace kappa::vol
