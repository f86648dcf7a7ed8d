#include "vol/SviFit.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace kappa::vol {

const char* nameOf(SviFitStatus status) {
  switch (status) {
    case SviFitStatus::Ok: return "Ok";
    case SviFitStatus::TooFewQuotes: return "TooFewQuotes";
    case SviFitStatus::NotConverged: return "NotConverged";
    case SviFitStatus::BadInput: return "BadInput";
  }
  return "?";
}

namespace {

using detail::SviFitPoint;

// Weighted sums that define the linear least-squares problem in theta = (a, d, c) for one (m, sigma).
// Objective q(theta) = theta' A theta - 2 r' theta + ww.
struct NormalEquations {
  double s1 = 0, sy = 0, sz = 0, syy = 0, syz = 0, szz = 0;  // A
  double sw = 0, syw = 0, szw = 0;                            // r
  double sww = 0;

  double objective(double a, double d, double c) const {
    const double quad = a * a * s1 + d * d * syy + c * c * szz + 2 * (a * d * sy + a * c * sz + d * c * syz);
    return quad - 2 * (a * sw + d * syw + c * szw) + sww;
  }
};

// Solves the 3x3 normal equations by Cholesky after symmetric diagonal scaling (the columns 1, y, z
// differ in size by orders of magnitude when sigma is small). Returns false if (nearly) singular,
// e.g. sigma so large that z = sqrt(y^2 + 1) is indistinguishable from a constant.
bool solveUnconstrained(const NormalEquations& e, double& a, double& d, double& c) {
  if (!(e.s1 > 0 && e.syy > 0 && e.szz > 0)) return false;
  const double da = std::sqrt(e.s1), dd = std::sqrt(e.syy), dc = std::sqrt(e.szz);
  const double a12 = e.sy / (da * dd), a13 = e.sz / (da * dc), a23 = e.syz / (dd * dc);
  const double r1 = e.sw / da, r2 = e.syw / dd, r3 = e.szw / dc;
  constexpr double kPivotFloor = 1e-13;
  // L = [[1,0,0],[l21,l22,0],[l31,l32,l33]]
  const double l21 = a12, l31 = a13;
  const double p22 = 1 - l21 * l21;
  if (!(p22 > kPivotFloor)) return false;
  const double l22 = std::sqrt(p22);
  const double l32 = (a23 - l31 * l21) / l22;
  const double p33 = 1 - l31 * l31 - l32 * l32;
  if (!(p33 > kPivotFloor)) return false;
  const double l33 = std::sqrt(p33);
  const double z1 = r1;
  const double z2 = (r2 - l21 * z1) / l22;
  const double z3 = (r3 - l31 * z1 - l32 * z2) / l33;
  const double x3 = z3 / l33;
  const double x2 = (z2 - l32 * x3) / l22;
  const double x1 = z1 - l21 * x2 - l31 * x3;
  a = x1 / da;
  d = x2 / dd;
  c = x3 / dc;
  return std::isfinite(a) && std::isfinite(d) && std::isfinite(c);
}

// Best (a, c) with d tied to c by d = alpha * c + beta and c restricted to [lo, hi]. After
// eliminating a the objective is a convex parabola in c, so clipping c to the interval is exact.
void solveOnEdge(const NormalEquations& e, double alpha, double beta, double lo, double hi, double& a, double& d,
                 double& c) {
  // Model a + c * v + beta * y with v = alpha * y + z, against target w - beta * y.
  const double sv = alpha * e.sy + e.sz;
  const double svv = alpha * alpha * e.syy + 2 * alpha * e.syz + e.szz;
  const double st = e.sw - beta * e.sy;
  const double svt = alpha * e.syw + e.szw - beta * (alpha * e.syy + e.syz);
  const double det = e.s1 * svv - sv * sv;
  double cBest = lo;
  if (det > 1e-14 * e.s1 * svv) cBest = (e.s1 * svt - sv * st) / det;
  c = std::clamp(cBest, lo, hi);
  a = (st - sv * c) / e.s1;
  d = alpha * c + beta;
}

struct InnerFit {
  SviParams params;
  double objective = std::numeric_limits<double>::infinity();  // weighted squared error / sum of vol weights
};

// Best constrained (a, b, rho) for fixed (m, sigma): the quasi-explicit inner step.
InnerFit solveInner(std::span<const SviFitPoint> points, double m, double sigma, double wMean, double volWeightSum,
                    const SviFitOptions& o) {
  NormalEquations e;
  const double invSigma = 1.0 / sigma;
  for (const SviFitPoint& p : points) {
    const double y = (p.k - m) * invSigma;
    const double z = std::sqrt(y * y + 1.0);
    const double wy = p.weight * y, wz = p.weight * z;
    e.s1 += p.weight;
    e.sy += wy;
    e.sz += wz;
    e.syy += wy * y;
    e.syz += wy * z;
    e.szz += wz * z;
    e.sw += p.weight * p.w;
    e.syw += wy * p.w;
    e.szw += wz * p.w;
    e.sww += p.weight * p.w * p.w;
  }

  // Feasible (c, d): |d| <= rhoMax * c and c + |d| <= S * sigma: a quadrilateral with vertices
  // (0, 0), (cTurn, +-rhoMax cTurn) and (S sigma, 0).
  const double rhoMax = o.rhoMax;
  const double cMax = o.maxWingSlope * sigma;
  const double cTurn = cMax / (1 + rhoMax);
  double a = 0, d = 0, c = 0;
  const bool solved = solveUnconstrained(e, a, d, c);
  const bool inside = solved && c >= 0 && std::abs(d) <= rhoMax * c && c + std::abs(d) <= cMax;
  if (!inside) {
    // The problem is convex, so the constrained optimum lies on the boundary: try all four edges.
    const std::array<std::array<double, 4>, 4> edges = {{
        {rhoMax, 0, 0, cTurn},        // rho = +rhoMax
        {-rhoMax, 0, 0, cTurn},       // rho = -rhoMax
        {-1, cMax, cTurn, cMax},      // b (1 + rho) = S
        {1, -cMax, cTurn, cMax},      // b (1 - rho) = S
    }};
    double best = std::numeric_limits<double>::infinity();
    for (const auto& edge : edges) {
      double ea, ed, ec;
      solveOnEdge(e, edge[0], edge[1], edge[2], edge[3], ea, ed, ec);
      const double q = e.objective(ea, ed, ec);
      if (q < best) {
        best = q;
        a = ea;
        d = ed;
        c = ec;
      }
    }
  }

  // No negative total variance: the minimum of w is a + sqrt(c^2 - d^2) (in centred units plus wMean).
  const double vertexLift = std::sqrt(std::max(c * c - d * d, 0.0));
  if (a + wMean + vertexLift < 0) a = -wMean - vertexLift;

  InnerFit fit;
  fit.params.a = a + wMean;
  fit.params.b = c * invSigma;
  fit.params.rho = c > 0 ? std::clamp(d / c, -rhoMax, rhoMax) : 0.0;
  fit.params.m = m;
  fit.params.sigma = sigma;
  // The clip above is exact in centred units but not after rounding back (a + wMean, c/sigma, d/c):
  // the minimum total variance can land a few ulps below 0, which would make the slice invalid.
  for (int ulp = 0; ulp < 16 && sviMinTotalVariance(fit.params) < 0; ++ulp)
    fit.params.a = std::nextafter(fit.params.a - (ulp == 0 ? sviMinTotalVariance(fit.params) : 0.0), HUGE_VAL);
  fit.objective = std::max(e.objective(a, d, c), 0.0) / volWeightSum;
  return fit;
}

// Nelder-Mead over x = (m, ln sigma), each trial point clamped into the search box.
struct Box {
  double lo[2];
  double hi[2];
  void clamp(double* x) const {
    for (int i = 0; i < 2; ++i) x[i] = std::clamp(x[i], lo[i], hi[i]);
  }
};

struct Vertex {
  double x[2];
  double f;
};

template <class Objective>
bool nelderMead(Objective& objective, const Box& box, const double* start, const double* step, const SviFitOptions& o,
                double fNoise, int& evaluations, Vertex& best) {
  std::array<Vertex, 3> s;
  auto eval = [&](Vertex& v) {
    box.clamp(v.x);
    v.f = objective(v.x[0], v.x[1]);
    ++evaluations;
  };
  s[0] = {{start[0], start[1]}, 0};
  s[1] = {{start[0] + step[0], start[1]}, 0};
  s[2] = {{start[0], start[1] + step[1]}, 0};
  // A start on the box edge would collapse the simplex when clamped: step inwards instead.
  if (s[1].x[0] > box.hi[0]) s[1].x[0] = start[0] - step[0];
  if (s[2].x[1] > box.hi[1]) s[2].x[1] = start[1] - step[1];
  for (Vertex& v : s) eval(v);

  bool converged = false;
  while (evaluations < o.maxEvaluations) {
    std::sort(s.begin(), s.end(), [](const Vertex& l, const Vertex& r) { return l.f < r.f; });
    const double size = std::max({std::abs(s[1].x[0] - s[0].x[0]), std::abs(s[1].x[1] - s[0].x[1]),
                                  std::abs(s[2].x[0] - s[0].x[0]), std::abs(s[2].x[1] - s[0].x[1])});
    const double spread = s[2].f - s[0].f;
    // A simplex far below xTolerance cannot improve any more, even if rounding keeps the spread up.
    if ((size <= o.xTolerance && spread <= o.fTolerance * s[0].f + fNoise) || size <= 1e-3 * o.xTolerance) {
      converged = true;
      break;
    }
    const double cx = 0.5 * (s[0].x[0] + s[1].x[0]);
    const double cy = 0.5 * (s[0].x[1] + s[1].x[1]);
    auto along = [&](double factor) {  // centroid + factor * (centroid - worst)
      Vertex v{{cx + factor * (cx - s[2].x[0]), cy + factor * (cy - s[2].x[1])}, 0};
      eval(v);
      return v;
    };
    const Vertex reflected = along(1.0);
    if (reflected.f < s[0].f) {
      const Vertex expanded = along(2.0);
      s[2] = expanded.f < reflected.f ? expanded : reflected;
      continue;
    }
    if (reflected.f < s[1].f) {
      s[2] = reflected;
      continue;
    }
    const Vertex contracted = reflected.f < s[2].f ? along(0.5) : along(-0.5);
    if (contracted.f < std::min(reflected.f, s[2].f)) {
      s[2] = contracted;
      continue;
    }
    for (int i = 1; i < 3; ++i) {  // shrink towards the best vertex
      s[i].x[0] = s[0].x[0] + 0.5 * (s[i].x[0] - s[0].x[0]);
      s[i].x[1] = s[0].x[1] + 0.5 * (s[i].x[1] - s[0].x[1]);
      eval(s[i]);
    }
  }
  best = *std::min_element(s.begin(), s.end(), [](const Vertex& l, const Vertex& r) { return l.f < r.f; });
  return converged;
}

// Durrleman's g on a grid uniform in asinh((k - m) / sigma): dense around the vertex, where a
// sharp smile goes wrong, and sparse in the wings, where g varies slowly. A uniform grid in k lets
// the search slip a narrow negative dip between two grid points.
struct CheckGrid {
  double kLo, kHi;  // the options' range, widened to the quoted strikes if they reach further
  int points;
  double margin;
};

template <class Visit>
void forEachGridG(const SviParams& p, const CheckGrid& grid, const Visit& visit) {
  const double uLo = std::asinh((grid.kLo - p.m) / p.sigma);
  const double uHi = std::asinh((grid.kHi - p.m) / p.sigma);
  const double du = (uHi - uLo) / (grid.points - 1);
  // sinh(u) = (e^u - e^-u) / 2 with both exponentials stepped by multiplication: two exp() per
  // grid instead of one per point (this runs inside every penalised evaluation).
  double up = std::exp(uLo), down = 1.0 / up;
  const double stepUp = std::exp(du), stepDown = 1.0 / stepUp;
  for (int i = 0; i < grid.points; ++i) {
    visit(sviDurrlemanG(p, p.m + p.sigma * 0.5 * (up - down)));
    up *= stepUp;
    down *= stepDown;
  }
}

double minDurrlemanG(const SviParams& p, const CheckGrid& grid) {
  double gMin = std::numeric_limits<double>::infinity();
  forEachGridG(p, grid, [&](double g) { gMin = std::min(gMin, g); });
  return gMin;
}

// Mean squared shortfall of g below the margin on the grid.
double butterflyShortfall(const SviParams& p, const CheckGrid& grid) {
  double sum = 0;
  forEachGridG(p, grid, [&](double g) {
    // g is -infinity where w <= 0: keep the penalty finite so that it still steers.
    const double shortfall = grid.margin - std::max(g, -1e3);
    if (shortfall > 0) sum += shortfall * shortfall;
  });
  return sum / grid.points;
}

bool optionsValid(const SviFitOptions& o) {
  return o.sigmaMin > 0 && o.sigmaMax >= o.sigmaMin && std::isfinite(o.sigmaMax) && o.mRangeWidening >= 0 &&
         o.maxWingSlope > 0 && o.rhoMax > 0 && o.rhoMax < 1 && o.spreadFloor > 0 && o.oneSidedSpread > 0 &&
         o.maxIv > 0 && o.strikeResolution >= 0 && o.minQuotes >= 1 && o.maxEvaluations >= 3 &&
         o.xTolerance > 0 && o.fTolerance >= 0 && o.butterflyPenalty >= 0 && o.butterflyMargin >= 0 &&
         o.arbitrageKMax > o.arbitrageKMin && o.arbitrageGridPoints >= 2;
}

bool usableIv(double iv, double maxIv) { return std::isfinite(iv) && iv > 0 && iv <= maxIv; }

}  // namespace

SviFitResult SviFitter::fit(double t, std::span<const SviQuote> quotes, const std::optional<SviParams>& warmStart,
                            const SviFitOptions& o) {
  SviFitResult result;
  if (!(std::isfinite(t) && t > 0) || !optionsValid(o)) return result;  // BadInput

  // A one-sided quote only bounds the vol (an ask says "at most"): far out of the money it is often a
  // minimum-tick offer that says almost nothing, yet as a target it drags the smile. So one-sided
  // quotes are used only when the two-sided ones are too few for a fit on their own.
  std::vector<double> twoSidedK;
  for (const SviQuote& q : quotes)
    if (std::isfinite(q.k) && usableIv(q.bidIv, o.maxIv) && usableIv(q.askIv, o.maxIv)) twoSidedK.push_back(q.k);
  std::sort(twoSidedK.begin(), twoSidedK.end());
  int twoSidedStrikes = 0;
  for (std::size_t i = 0; i < twoSidedK.size(); ++i)
    if (i == 0 || twoSidedK[i] - twoSidedK[i - 1] > o.strikeResolution) ++twoSidedStrikes;
  const bool useOneSided = twoSidedStrikes < o.minQuotes;

  // Usable quotes -> points: mid where both sides exist, otherwise (see above) the one side with a
  // wide assumed spread so it counts for less.
  points_.clear();
  double volWeightSum = 0;
  for (const SviQuote& q : quotes) {
    const bool hasBid = usableIv(q.bidIv, o.maxIv), hasAsk = usableIv(q.askIv, o.maxIv);
    if (!std::isfinite(q.k) || !(hasBid || hasAsk) || (!(hasBid && hasAsk) && !useOneSided) || !(q.weight >= 0) ||
        !std::isfinite(q.weight)) {
      ++result.quotesSkipped;
      continue;
    }
    const double iv = hasBid && hasAsk ? 0.5 * (q.bidIv + q.askIv) : (hasBid ? q.bidIv : q.askIv);
    const double spread = hasBid && hasAsk ? std::abs(q.askIv - q.bidIv) : o.oneSidedSpread;
    const double volWeight = q.weight > 0 ? q.weight : 1.0 / std::max(spread, o.spreadFloor);
    // dw = 2 iv t d(iv): this weight turns a total-variance residual into an implied-vol residual.
    const double vega = 2 * iv * t;
    points_.push_back({q.k, iv * iv * t, volWeight / (vega * vega), iv});
    volWeightSum += volWeight;
  }
  result.quotesUsed = static_cast<int>(points_.size());

  std::sort(points_.begin(), points_.end(), [](const SviFitPoint& l, const SviFitPoint& r) { return l.k < r.k; });
  // Repeated quotes of one strike (e.g. pooled ticker updates) differ in k only by the forward's
  // drift: they count once, measured from the first k of each cluster so a cluster cannot chain.
  int distinctStrikes = 0;
  double clusterStart = -std::numeric_limits<double>::infinity();
  for (const SviFitPoint& p : points_) {
    if (p.k - clusterStart > o.strikeResolution) {
      ++distinctStrikes;
      clusterStart = p.k;
    }
  }
  if (distinctStrikes < o.minQuotes) {
    result.status = SviFitStatus::TooFewQuotes;
    return result;
  }

  // Centre the targets on their weighted mean: the sums then carry the smile's shape rather than its level.
  double weightSum = 0, wMean = 0;
  for (const SviFitPoint& p : points_) {
    weightSum += p.weight;
    wMean += p.weight * p.w;
  }
  wMean /= weightSum;
  double wSpread = 0;
  for (SviFitPoint& p : points_) {
    p.w -= wMean;
    wSpread += p.weight * p.w * p.w;
  }
  // The objective is evaluated as a quadratic form whose terms are of order wSpread; differences
  // below this are rounding, not information, and must not hold the simplex open.
  const double fNoise = 1e-12 * wSpread / volWeightSum;

  const double kMin = points_.front().k, kMax = points_.back().k;
  const double span = std::max(kMax - kMin, 0.05);
  const Box box{{kMin - o.mRangeWidening * span, std::log(o.sigmaMin)},
                {kMax + o.mRangeWidening * span, std::log(o.sigmaMax)}};
  const std::span<const SviFitPoint> points(points_);
  const CheckGrid grid{std::min(o.arbitrageKMin, kMin), std::max(o.arbitrageKMax, kMax), o.arbitrageGridPoints,
                       o.butterflyMargin};
  // The inner solve cannot see Durrleman's condition, and on a narrow strike range the best fit
  // often puts a sharp vertex just beyond the quotes, with negative density there. The penalised
  // objective adds butterflyPenalty * shortfall of g on a grid; it costs a grid of g per
  // evaluation, so it is used only where needed (most slices are clean and pay nothing).
  bool penalise = false;
  auto objective = [&](double m, double logSigma) {
    const InnerFit f = solveInner(points, m, std::exp(logSigma), wMean, volWeightSum, o);
    return penalise ? f.objective + o.butterflyPenalty * butterflyShortfall(f.params, grid) : f.objective;
  };

  double start[2] = {0.5 * (kMin + kMax), std::log(std::clamp(0.2 * span, o.sigmaMin, o.sigmaMax))};
  double step[2];
  const bool warm = warmStart && std::isfinite(warmStart->m) && std::isfinite(warmStart->sigma) && warmStart->sigma > 0;
  if (warm) {
    // The inner solve recomputes (a, b, rho); only the warm (m, sigma) matter. Small steps: a live
    // slice moves little between refits, and Nelder-Mead expands if it moved more.
    start[0] = warmStart->m;
    start[1] = std::log(warmStart->sigma);
    step[0] = 0.01 * span;
    step[1] = 0.05;
    box.clamp(start);
    // A warm start at or near the arbitrage boundary (typically last time's repaired fit, which
    // sits on g = margin) will need the repair again: penalise from the start rather than first
    // sliding back into the arbitrage and then climbing out.
    if (o.butterflyPenalty > 0) {
      const InnerFit atStart = solveInner(points, start[0], std::exp(start[1]), wMean, volWeightSum, o);
      ++result.evaluations;
      penalise = minDurrlemanG(atStart.params, grid) < 10 * o.butterflyMargin;
    }
  } else {
    // Cold: a coarse grid guards against the local minima of the (m, sigma) landscape.
    constexpr int kGridM = 5, kGridSigma = 5;
    const double logSigmaLo = std::log(std::clamp(0.02 * span, o.sigmaMin, o.sigmaMax));
    const double logSigmaHi = std::log(std::clamp(2.0 * span, o.sigmaMin, o.sigmaMax));
    const double dm = (kMax - kMin) / (kGridM - 1), ds = (logSigmaHi - logSigmaLo) / (kGridSigma - 1);
    double bestF = std::numeric_limits<double>::infinity();
    for (int i = 0; i < kGridM; ++i) {
      for (int j = 0; j < kGridSigma; ++j) {
        const double m = kMin + i * dm, ls = logSigmaLo + j * ds;
        const double f = objective(m, ls);
        ++result.evaluations;
        if (f < bestF) {
          bestF = f;
          start[0] = m;
          start[1] = ls;
        }
      }
    }
    step[0] = std::max(0.5 * dm, 1e-3);
    step[1] = std::max(0.5 * ds, 0.05);
  }

  Vertex best{};
  bool converged = nelderMead(objective, box, start, step, o, fNoise, result.evaluations, best);
  result.params = solveInner(points, best.x[0], std::exp(best.x[1]), wMean, volWeightSum, o).params;
  ++result.evaluations;
  result.gMin = minDurrlemanG(result.params, grid);

  if (!penalise && o.butterflyPenalty > 0 && result.gMin < 0 && result.evaluations < o.maxEvaluations) {
    // Search again from here with steps like a cold start's: the arbitrage-free fit may lie some way off.
    penalise = true;
    const double repairStep[2] = {std::max(0.125 * span, 1e-3), 0.5};
    converged = nelderMead(objective, box, best.x, repairStep, o, fNoise, result.evaluations, best);
    result.params = solveInner(points, best.x[0], std::exp(best.x[1]), wMean, volWeightSum, o).params;
    ++result.evaluations;
    result.gMin = minDurrlemanG(result.params, grid);
  }

  double sumSq = 0, maxErr = 0;
  for (const SviFitPoint& p : points_) {
    const double err = sviImpliedVol(result.params, p.k, t) - p.iv;
    sumSq += err * err;
    maxErr = std::max(maxErr, std::abs(err));
  }
  result.rmse = std::sqrt(sumSq / static_cast<double>(points_.size()));
  result.maxError = maxErr;
  // Not Ok, whatever the simplex says: a slice that still has negative density after the repair
  // pass (with repair switched off, arbitrage is reported through gMin only), or a best point
  // pinned against the search box (the simplex collapsed on a bound — e.g. m at its limit and sigma
  // at sigmaMin, dragged there by a far one-sided quote — rather than finding a minimum).
  const double edge = 1e-6;
  const bool pinned = best.x[0] <= box.lo[0] + edge || best.x[0] >= box.hi[0] - edge ||
                      best.x[1] <= box.lo[1] + edge || best.x[1] >= box.hi[1] - edge;
  if ((o.butterflyPenalty > 0 && result.gMin < 0) || pinned) converged = false;
  result.status = converged ? SviFitStatus::Ok : SviFitStatus::NotConverged;
  return result;
}

SviFitResult fitSviSlice(double t, std::span<const SviQuote> quotes, const std::optional<SviParams>& warmStart,
                         const SviFitOptions& options) {
  SviFitter fitter;
  return fitter.fit(t, quotes, warmStart, options);
}

}  // namespace kappa::vol
