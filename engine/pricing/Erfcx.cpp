#include "pricing/Erfcx.hpp"

#include <numbers>

namespace kappa::pricing::detail {
namespace {
using Long = long double;

Long erfcxReference(Long x) { return expl(x * x) * erfcl(x); }
}  // namespace

// Chebyshev interpolation of erfcx on each interval at kDegree + 1 Chebyshev nodes, in 80-bit
// arithmetic, then converted to plain powers of u so that the hot path is a polynomial evaluation.
ErfcxTable::ErfcxTable() {
  constexpr int n = kDegree + 1;
  const Long pi = std::numbers::pi_v<Long>;
  for (int i = 0; i < kIntervals; ++i) {
    const Long half = Long(kWidth) / 2, centre = Long(i) * Long(kWidth);
    Long f[n], cheb[n];
    for (int j = 0; j < n; ++j) f[j] = erfcxReference(centre + half * cosl(pi * (j + 0.5L) / n));
    for (int k = 0; k < n; ++k) {
      Long sum = 0;
      for (int j = 0; j < n; ++j) sum += f[j] * cosl(pi * k * (j + 0.5L) / n);
      cheb[k] = sum * 2 / n;
    }
    cheb[0] /= 2;
    // Sum cheb[k] T_k(t) as powers of t = u / half, with T_k = 2 t T_{k-1} - T_{k-2}.
    Long power[n] = {}, tPrev[n] = {}, tCur[n] = {}, tNext[n];
    tPrev[0] = 1;
    tCur[1] = 1;
    power[0] = cheb[0];
    power[1] = cheb[1];
    for (int k = 2; k < n; ++k) {
      for (int d = 0; d < n; ++d) tNext[d] = 2 * (d > 0 ? tCur[d - 1] : 0) - tPrev[d];
      for (int d = 0; d < n; ++d) {
        power[d] += cheb[k] * tNext[d];
        tPrev[d] = tCur[d];
        tCur[d] = tNext[d];
      }
    }
    Long scale = 1;
    for (int d = 0; d < n; ++d, scale *= half) coef[i][d] = double(power[d] / scale);
  }
}

[[gnu::init_priority(101)]] const ErfcxTable kErfcxTable;

double erfcxLarge(double x) {
  // erfcx(x) ~ 1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k; at x = 31.5 the first omitted term is 1e-20.
  const double z = 0.5 / (x * x);
  const double series =
      1 + z * (-1 + z * (3 + z * (-15 + z * (105 + z * (-945 + z * (10395 + z * -135135))))));
  return series * std::numbers::inv_sqrtpi / x;
}

double erfcxNegative(double x) { return 2 * std::exp(x * x) - erfcx(-x); }

}  // namespace kappa::pricing::detail
