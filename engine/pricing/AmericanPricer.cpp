#include "pricing/AmericanPricer.hpp"

#include <cmath>
#include <ql/exercise.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/pricingengines/vanilla/baroneadesiwhaleyengine.hpp>
#include <ql/pricingengines/vanilla/bjerksundstenslandengine.hpp>
#include <ql/pricingengines/vanilla/fdblackscholesvanillaengine.hpp>
#include <ql/processes/blackscholesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/volatility/equityfx/blackconstantvol.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>

namespace kappa::pricing {
namespace {
namespace ql = QuantLib;

// QuantLib needs dates; we take t in years exactly as given. With constant r, q and sigma an
// option depends on them only through r*t, q*t and sigma^2*t (a time change of the diffusion,
// early exercise included), so we price at the nearest whole number of days n and rescale
// r, q and sigma by t/(n/365). This reproduces the t-year option exactly.
double qlPrice(AmericanMethod method, CallPut type, double s, double k, double t, double r, double q, double sigma) {
  const ql::Date today(1, ql::January, 2026);
  ql::Settings::instance().evaluationDate() = today;
  const int days = std::max(1, int(std::lround(t * 365.0)));
  const double tq = days / 365.0;
  const double scale = t / tq;
  const ql::DayCounter dc = ql::Actual365Fixed();
  auto spot = ql::ext::make_shared<ql::SimpleQuote>(s);
  ql::Handle<ql::YieldTermStructure> rate(ql::ext::make_shared<ql::FlatForward>(today, r * scale, dc));
  ql::Handle<ql::YieldTermStructure> div(ql::ext::make_shared<ql::FlatForward>(today, q * scale, dc));
  ql::Handle<ql::BlackVolTermStructure> vol(
      ql::ext::make_shared<ql::BlackConstantVol>(today, ql::NullCalendar(), sigma * std::sqrt(scale), dc));
  auto process = ql::ext::make_shared<ql::BlackScholesMertonProcess>(ql::Handle<ql::Quote>(spot), div, rate, vol);
  auto payoff = ql::ext::make_shared<ql::PlainVanillaPayoff>(type == CallPut::Call ? ql::Option::Call : ql::Option::Put, k);
  auto exercise = ql::ext::make_shared<ql::AmericanExercise>(today, today + days);
  ql::VanillaOption option(payoff, exercise);
  switch (method) {
    case AmericanMethod::BaroneAdesiWhaley:
      option.setPricingEngine(ql::ext::make_shared<ql::BaroneAdesiWhaleyApproximationEngine>(process));
      break;
    case AmericanMethod::BjerksundStensland:
      option.setPricingEngine(ql::ext::make_shared<ql::BjerksundStenslandApproximationEngine>(process));
      break;
    case AmericanMethod::FiniteDifference:
      option.setPricingEngine(ql::ext::make_shared<ql::FdBlackScholesVanillaEngine>(process, 400, 400));
      break;
  }
  return option.NPV();
}
}  // namespace

double americanPrice(AmericanMethod method, CallPut type, double s, double k, double t, double r, double q,
                     double sigma, bool* ok) {
  try {
    const double p = qlPrice(method, type, s, k, t, r, q, sigma);
    if (ok) *ok = std::isfinite(p);
    return p;
  } catch (const std::exception&) {  // QuantLib reports bad input by throwing: stop it at this edge
    if (ok) *ok = false;
    return 0.0;
  }
}

AmericanResult americanGreeks(AmericanMethod method, CallPut type, double s, double k, double t, double r, double q,
                              double sigma) {
  AmericanResult out;
  if (!(s > 0 && k > 0 && t > 0 && sigma > 0)) {
    out.error = "spot, strike, time and volatility must be positive";
    return out;
  }
  try {
    // Finite differences carry grid noise: bump wider than for the closed-form approximations.
    const double rel = method == AmericanMethod::FiniteDifference ? 1e-2 : 1e-4;
    auto price = [&](double ss, double tt, double rr, double vv) { return qlPrice(method, type, ss, k, tt, rr, q, vv); };
    Greeks& g = out.greeks;
    g.price = price(s, t, r, sigma);
    const double hs = s * rel;
    const double up = price(s + hs, t, r, sigma), down = price(s - hs, t, r, sigma);
    g.delta = (up - down) / (2 * hs);
    g.gamma = (up - 2 * g.price + down) / (hs * hs);
    const double hv = std::max(1e-4, sigma * rel);
    g.vega = (price(s, t, r, sigma + hv) - price(s, t, r, sigma - hv)) / (2 * hv);
    const double ht = std::min(t * 0.5, std::max(1.0 / 365.0 * (rel * 100), t * rel));
    g.theta = -(price(s, t + ht, r, sigma) - price(s, t - ht, r, sigma)) / (2 * ht);
    const double hr = 1e-4;
    g.rho = (price(s, t, r + hr, sigma) - price(s, t, r - hr, sigma)) / (2 * hr);
    out.ok = std::isfinite(g.price);
    if (!out.ok) out.error = "QuantLib returned a non-finite price";
  } catch (const std::exception&) {
    out.error = "QuantLib refused the inputs";
  }
  return out;
}

}  // namespace kappa::pricing
