#pragma once
// Fits raw SVI to one expiry's market implied vols (quasi-explicit method, Zeliade 2009).
//
// For fixed (m, sigma), with y = (k - m) / sigma, SVI is linear in three numbers:
//   w = a + d * y + c * sqrt(y^2 + 1),   c = b * sigma,   d = rho * b * sigma,
// so the best (a, b, rho) is a 3x3 weighted least-squares problem with linear constraints on
// (c, d) (b >= 0, |rho| <= rhoMax, b(1 + |rho|) <= maxWingSlope), solved exactly on that polygon,
// then a is clipped so the minimum total variance is >= 0. Only (m, sigma) are searched
// numerically, by a small Nelder-Mead, which is why a warm start (last fit's m, sigma) converges
// in a few dozen cheap evaluations. A fit whose density goes negative (Durrleman's g < 0) is
// searched again with a penalty, see SviFitOptions::butterflyPenalty.
//
// Residuals are in total variance, weighted by 1 / (2 iv t)^2 so that the objective approximates
// the weighted squared error in implied vol, which is what traders look at and what rmse reports.
// Never throws; the status says why a fit is missing or poor.
#include <optional>
#include <span>
#include <vector>

#include "vol/Svi.hpp"

namespace kappa::vol {

// One strike's market. Implied vols as fractions (0.25 = 25 %); 0 means that side is missing.
struct SviQuote {
  double k = 0;       // ln(K / F)
  double bidIv = 0;
  double askIv = 0;
  double weight = 0;  // > 0 to override; 0 = automatic, 1 / max(spread, spreadFloor)
};

enum class SviFitStatus : unsigned char {
  Ok,
  TooFewQuotes,  // usable quotes at fewer than minQuotes distinct strikes: SVI has five parameters
  NotConverged,  // evaluation budget spent; params are the best found and usually still usable
  BadInput,      // t not positive/finite, or inconsistent options
};
const char* nameOf(SviFitStatus status);

struct SviFitOptions {
  double sigmaMin = 1e-4;
  double sigmaMax = 5.0;
  // m is searched in [kMin - w, kMax + w], w = mRangeWidening * max(kMax - kMin, 0.05): the vertex
  // of a skewed smile often lies outside the quoted strikes, but not far outside.
  double mRangeWidening = 1.0;
  // Upper bound on the asymptotic wing slopes b(1 +- rho) of total variance. Lee's moment formula
  // caps them at 2 (= 2/t in annualised variance); Gatheral's original looser choice was 4.
  double maxWingSlope = 2.0;
  double rhoMax = 0.999;           // keeps |rho| < 1 strictly
  double spreadFloor = 0.005;      // vol units; stops a zero-width quote taking all the weight
  double oneSidedSpread = 0.05;    // assumed bid-ask width of a quote with only one side
  double maxIv = 10.0;             // quotes above 1000 % vol are treated as placeholders and skipped
  int minQuotes = 5;               // distinct strikes needed for a fit
  double strikeResolution = 1e-3; // quotes closer than this in k count as one strike for minQuotes
  int maxEvaluations = 1000;
  double xTolerance = 1e-6;        // Nelder-Mead simplex size in (m, ln sigma)
  double fTolerance = 1e-9;        // relative spread of the objective over the simplex
  // Butterfly repair: if the best fit has Durrleman's g < 0 somewhere on the check grid, search
  // again with butterflyPenalty * mean(max(butterflyMargin - g, 0)^2) added to the objective
  // (0 disables it). The grid spans [arbitrageKMin, arbitrageKMax] (widened to the quoted strikes),
  // uniform in asinh((k - m) / sigma); the small margin keeps g >= 0 between grid points too.
  double butterflyPenalty = 100.0;
  double butterflyMargin = 1e-3;
  double arbitrageKMin = -1.5;
  double arbitrageKMax = 1.5;
  int arbitrageGridPoints = 61;
};

struct SviFitResult {
  SviParams params;
  SviFitStatus status = SviFitStatus::BadInput;
  double rmse = 0;       // root-mean-square of (model iv - market mid iv), vol units (0.01 = 1 point)
  double maxError = 0;   // largest |model iv - market mid iv|
  double gMin = 0;       // min of Durrleman's g on the fitter's check grid (< 0: butterfly arbitrage);
                         // checkButterfly() gives the full picture
  int evaluations = 0;   // inner least-squares solves
  int quotesUsed = 0;
  int quotesSkipped = 0; // no usable side, non-finite, above maxIv, or one-sided while enough are two-sided
  bool ok() const { return status == SviFitStatus::Ok; }
};

namespace detail {
// A usable quote as the fitter sees it.
struct SviFitPoint {
  double k;       // log-moneyness
  double w;       // market total variance minus the weighted mean (centring keeps the sums well scaled)
  double weight;  // least-squares weight in total-variance units
  double iv;      // market mid (or one-sided) implied vol, for the reported errors
};
}  // namespace detail

// Keeps its working buffer between fits, so refitting a live slice does not allocate.
class SviFitter {
 public:
  SviFitResult fit(double t, std::span<const SviQuote> quotes, const std::optional<SviParams>& warmStart = std::nullopt,
                   const SviFitOptions& options = {});

 private:
  std::vector<detail::SviFitPoint> points_;
};

// Convenience for one-off fits (allocates its buffer).
SviFitResult fitSviSlice(double t, std::span<const SviQuote> quotes,
                         const std::optional<SviParams>& warmStart = std::nullopt, const SviFitOptions& options = {});

}  // namespace kappa::vol
