#include "pricing/BlackScholes.hpp"

#include <algorithm>
#include <cmath>

#include "pricing/InlineExpLog.hpp"
#include "pricing/Normal.hpp"

// GCC 12 knows the x86-64-v3 level by name; other compilers and CPUs get the portable kernel only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define KAPPA_PRICING_FMA_KERNEL 1
#else
#define KAPPA_PRICING_FMA_KERNEL 0
#endif

namespace kappa::pricing {
namespace {

// The generalized formula with carry b; `rhoCarries` says whether b moves with r (BSM: b = r - q)
// or stays fixed (Black-76: b = 0), which changes rho. Compiled twice, below.
[[gnu::always_inline]] inline Greeks generalized(CallPut type, double s, double k, double t, double r, double b, double sigma, bool rhoCarries) {
  Greeks g;
  const double w = double(type);  // +1 call, -1 put
  // df = e^{-rT}, growth = e^{bT} = F/S, carryDf = e^{(b-r)T}. Black-76 (b = 0) and crypto chains
  // (r = 0) need one exponential or none.
  const double df = r == 0 ? 1.0 : inlineExp(-r * t);
  const double growth = b == 0 ? 1.0 : inlineExp(b * t);
  const double carryDf = b == 0 ? df : b == r ? 1.0 : growth * df;
  if (t <= 0 || sigma <= 0) {  // expired or no volatility: discounted intrinsic on the forward
    const double fwd = s * inlineExp(b * std::max(t, 0.0));
    const double intrinsic = std::max(w * (fwd - k), 0.0);
    g.price = std::max(t, 0.0) > 0 ? df * intrinsic : std::max(w * (s - k), 0.0);
    g.delta = intrinsic > 0 ? w * carryDf : 0.0;
    if (t > 0 && intrinsic > 0) {
      // V = e^{-rT} w (S e^{bT} - K): deterministic, but it still decays and moves with rates.
      const double sTerm = s * carryDf;  // S e^{(b-r)T}
      g.theta = r * g.price - w * b * sTerm;
      g.rho = rhoCarries ? t * (w * sTerm - g.price) : -t * g.price;
      g.dividendRho = -w * t * sTerm;
    }
    return g;
  }
  // Two divisions (S/K and 1/(S sigma^2 T)): the others are rewritten on them, e.g. 1/sd =
  // S sd/(S sigma^2 T), 1/sigma = sqrt(T)/sd, 1/T = sigma^2/sd^2, because a division costs as much
  // as the rest of a Greek. Neither waits for anything (not for the square root), and d1 takes
  // log S - log K side by side rather than log(S/K) after the division: the logs are the longest
  // part of the chain to the price.
  const double sqrtT = std::sqrt(t);
  const double sd = sigma * sqrtT;
  const double moneyness = s / k;
  const double invSVar = 1.0 / ((sigma * sigma) * (t * s));
  const double invSSd = sd * invSVar;
  const double invSd = s * invSSd;
  // The logs' polynomial parts come last: they are added last, after everything else of d1.
  const LogParts logS = inlineLogParts(s), logK = inlineLogParts(k);
  const double d1Early = ((logS.head - logK.head) + (b + 0.5 * sigma * sigma) * t) * invSd;
  const double d1 = (logS.tail - logK.tail) * invSd + d1Early;
  const double d2 = d1 - sd;
  const double sTerm = s * carryDf;
  const double kTerm = k * df;
  // phi(d2) = phi(d1) F/K (because d1^2 - d2^2 = 2 ln(F/K)): one exponential for both densities,
  // unless phi(d1) is so far in the tail that it lost its precision (then phi(d2) on its own).
  // The N(d)s take phi times constants that are ready before phi is: one product after it.
  const double nd1 = normPdf(d1);
  const double m1 = normTailSign(w, d1), m2 = normTailSign(w, d2);
  const double fwdOverK = moneyness * growth;
  const bool deep = !(nd1 > 1e-280);
  const double Nd1 = normCdfSignedFromScaledPdf(d1, m1, nd1 * (m1 * kSqrtHalfPi));
  const double scaledNd2 = deep ? normPdf(d2) * (m2 * kSqrtHalfPi) : nd1 * (fwdOverK * (m2 * kSqrtHalfPi));
  const double Nd2 = normCdfSignedFromScaledPdf(d2, m2, scaledNd2);
  const double invSigma = sqrtT * invSd;
  const double halfInvT = 0.5 * sigma * sigma * invSd * invSd;
  // w folded into the terms before N(d) arrive: the price is then one product and one fused
  // multiply-add after the last table lookup.
  const double wS = w * sTerm, wK = w * kTerm;
  g.price = wS * Nd1 - wK * Nd2;
  g.delta = w * carryDf * Nd1;
  g.gamma = carryDf * nd1 * invSSd;
  g.vega = sTerm * nd1 * sqrtT;
  g.theta = -sTerm * nd1 * sigma * sigma * invSd * 0.5 - w * (b - r) * sTerm * Nd1 - w * r * kTerm * Nd2;
  g.rho = rhoCarries ? w * t * kTerm * Nd2 : -t * g.price;
  g.dividendRho = -w * t * sTerm * Nd1;
  g.vanna = -carryDf * nd1 * d2 * invSigma;
  g.volga = g.vega * d1 * d2 * invSigma;
  // d(delta)/dt as time passes = -d(delta)/dT.
  g.charm = -carryDf * (nd1 * (b * invSd - d2 * halfInvT) + w * (b - r) * Nd1);
  return g;
}

using Kernel = Greeks (*)(CallPut, double, double, double, double, double, double, bool);

Greeks generalizedPortable(CallPut type, double s, double k, double t, double r, double b, double sigma, bool rhoCarries) {
  return generalized(type, s, k, t, r, b, sigma, rhoCarries);
}

#if KAPPA_PRICING_FMA_KERNEL
// The same source for x86-64-v3 (AVX2 and FMA, every x86 desktop CPU since 2013): fused
// multiply-adds halve the polynomials of exp, log and erfcx and three-operand instructions drop
// the register copies, ~20 % fewer instructions on this latency-bound path (docs/BENCHMARKS.md).
[[gnu::target("arch=x86-64-v3")]] Greeks generalizedFma(CallPut type, double s, double k, double t, double r, double b,
                                                        double sigma, bool rhoCarries) {
  return generalized(type, s, k, t, r, b, sigma, rhoCarries);
}
#endif

Kernel kernelFor(PricingKernel which) {
#if KAPPA_PRICING_FMA_KERNEL
  if (which == PricingKernel::Fma) return generalizedFma;
#endif
  (void)which;
  return generalizedPortable;
}

PricingKernel detectKernel() {
#if KAPPA_PRICING_FMA_KERNEL
  __builtin_cpu_init();  // the loader may run this before the library's constructors
  if (__builtin_cpu_supports("x86-64-v3")) return PricingKernel::Fma;
#endif
  return PricingKernel::Portable;
}

}  // namespace

#if KAPPA_PRICING_FMA_KERNEL
// The dispatch is an ifunc: the dynamic loader calls the resolver once and binds `run` to the
// chosen kernel, so a call costs what a call through the PLT costs (a function-local static
// pointer measured 3 ns slower: its guard and the spills around it).
//
// The loader runs the resolver while it relocates the binary, before any constructor, so before
// a sanitizer's runtime is up (ASan's shadow memory is not mapped yet): the resolver must contain
// nothing instrumented. It is self-contained (no call that a build at -O0/-O1 would leave
// un-inlined and instrumented), and none of ASan, UBSan, the stack protector or profiling is let
// into it. Its one memory read is libgcc's CPU model, linked into this very binary.
extern "C" __attribute__((no_sanitize("address", "undefined", "kernel-address", "hwaddress"), no_stack_protector,
                          no_instrument_function, no_profile_instrument_function)) Kernel
kappaResolvePricingKernel() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v3") ? generalizedFma : generalizedPortable;
}

namespace {
Greeks run(CallPut type, double s, double k, double t, double r, double b, double sigma, bool rhoCarries)
    __attribute__((ifunc("kappaResolvePricingKernel")));
}  // namespace
#else
namespace {
Greeks run(CallPut type, double s, double k, double t, double r, double b, double sigma, bool rhoCarries) {
  return generalizedPortable(type, s, k, t, r, b, sigma, rhoCarries);
}
}  // namespace
#endif

PricingKernel activePricingKernel() {
  static const PricingKernel kernel = detectKernel();
  return kernel;
}

const char* pricingKernelName(PricingKernel kernel) {
  return kernel == PricingKernel::Fma ? "x86-64-v3 (FMA)" : "portable";
}

double bsmPrice(CallPut type, double s, double k, double t, double r, double q, double sigma) {
  return run(type, s, k, t, r, r - q, sigma, true).price;
}

Greeks bsmGreeks(CallPut type, double s, double k, double t, double r, double q, double sigma) {
  return run(type, s, k, t, r, r - q, sigma, true);
}

double black76Price(CallPut type, double f, double k, double t, double r, double sigma) {
  return run(type, f, k, t, r, 0.0, sigma, false).price;
}

Greeks black76Greeks(CallPut type, double f, double k, double t, double r, double sigma) {
  Greeks g = run(type, f, k, t, r, 0.0, sigma, false);
  g.dividendRho = 0;
  return g;
}

Greeks bsmGreeksOn(PricingKernel kernel, CallPut type, double s, double k, double t, double r, double q, double sigma) {
  if (kernel == PricingKernel::Fma && activePricingKernel() != PricingKernel::Fma) kernel = PricingKernel::Portable;
  return kernelFor(kernel)(type, s, k, t, r, r - q, sigma, true);
}

}  // namespace kappa::pricing
