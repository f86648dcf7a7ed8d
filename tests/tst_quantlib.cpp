// Cross-checks against QuantLib: our closed forms agree with AnalyticEuropeanEngine to 1e-10
// (relative) on a random sample, and the American pricers (QuantLib engines behind our interface)
// behave as American options must.
#include <QtTest>
#include <ql/exercise.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/pricingengines/vanilla/analyticeuropeanengine.hpp>
#include <ql/processes/blackscholesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/volatility/equityfx/blackconstantvol.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>
#include <random>

#include "pricing/AmericanPricer.hpp"
#include "pricing/BlackScholes.hpp"

using namespace kappa::pricing;
namespace ql = QuantLib;

namespace {
struct QlGreeks {
  double price, delta, gamma, vega, theta, rho, dividendRho;
};

// t = days/365 exactly, so QuantLib's Actual/365 year fraction equals ours.
QlGreeks quantLib(CallPut type, double s, double k, int days, double r, double q, double sigma) {
  const ql::Date today(15, ql::March, 2026);
  ql::Settings::instance().evaluationDate() = today;
  const ql::DayCounter dc = ql::Actual365Fixed();
  auto process = ql::ext::make_shared<ql::BlackScholesMertonProcess>(
      ql::Handle<ql::Quote>(ql::ext::make_shared<ql::SimpleQuote>(s)),
      ql::Handle<ql::YieldTermStructure>(ql::ext::make_shared<ql::FlatForward>(today, q, dc)),
      ql::Handle<ql::YieldTermStructure>(ql::ext::make_shared<ql::FlatForward>(today, r, dc)),
      ql::Handle<ql::BlackVolTermStructure>(ql::ext::make_shared<ql::BlackConstantVol>(today, ql::NullCalendar(), sigma, dc)));
  ql::VanillaOption option(
      ql::ext::make_shared<ql::PlainVanillaPayoff>(type == CallPut::Call ? ql::Option::Call : ql::Option::Put, k),
      ql::ext::make_shared<ql::EuropeanExercise>(today + days));
  option.setPricingEngine(ql::ext::make_shared<ql::AnalyticEuropeanEngine>(process));
  return {option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(), option.rho(), option.dividendRho()};
}

bool close(double ours, double theirs, double scale) {
  return std::abs(ours - theirs) <= 1e-10 * std::max(std::abs(theirs), scale);
}
}  // namespace

class TestQuantLib : public QObject {
  Q_OBJECT
 private slots:
  void closedFormsAgreeWithAnalyticEuropeanEngine() {
    std::mt19937_64 rng(20261123);
    std::uniform_real_distribution<double> u(0, 1);
    int compared = 0;
    for (int i = 0; i < 500; ++i) {
      const CallPut type = u(rng) < 0.5 ? CallPut::Call : CallPut::Put;
      const double s = 100.0;
      const double k = s * std::exp(u(rng) * 1.6 - 0.8);
      const int days = 1 + int(u(rng) * 3 * 365);
      const double r = u(rng) * 0.10 - 0.01, q = u(rng) * 0.08 - 0.02, sigma = 0.05 + u(rng) * 1.5;
      const Greeks g = bsmGreeks(type, s, k, days / 365.0, r, q, sigma);
      const QlGreeks ql = quantLib(type, s, k, days, r, q, sigma);
      // Relative 1e-10, with an absolute floor of 1e-15 x the Greek's natural size: QuantLib computes
      // e.g. a put delta as e^{-qT}(N(d1) - 1), which cancels to ~1e-16 where the true value is
      // 1e-28 (we use N(-d1)); below that floor the two differ only by QuantLib's rounding.
      // Theta is a difference of terms of size ~(|r| + |q| + sigma^2) S (deep ITM: qS - rK), so it
      // is compared relative to that size.
      const QString where = QString("case %1: %2 K=%3 days=%4 r=%5 q=%6 vol=%7").arg(i).arg(type == CallPut::Call ? "call" : "put")
                                .arg(k).arg(days).arg(r).arg(q).arg(sigma);
      QVERIFY2(close(g.price, ql.price, 1e-5 * s), qPrintable(where + QString(" price %1 vs %2").arg(g.price, 0, 'g', 17).arg(ql.price, 0, 'g', 17)));
      QVERIFY2(close(g.delta, ql.delta, 1e-5), qPrintable(where + QString(" delta %1 vs %2").arg(g.delta, 0, 'g', 17).arg(ql.delta, 0, 'g', 17)));
      QVERIFY2(close(g.gamma, ql.gamma, 1e-7), qPrintable(where + " gamma"));
      QVERIFY2(close(g.vega, ql.vega, 1e-5 * s), qPrintable(where + " vega"));
      QVERIFY2(close(g.theta, ql.theta, (std::abs(r) + std::abs(q) + sigma * sigma) * s), qPrintable(where + QString(" theta %1 vs %2").arg(g.theta, 0, 'g', 17).arg(ql.theta, 0, 'g', 17)));
      QVERIFY2(close(g.rho, ql.rho, 1e-5 * s), qPrintable(where + " rho"));
      QVERIFY2(close(g.dividendRho, ql.dividendRho, 1e-5 * s), qPrintable(where + " dividendRho"));
      ++compared;
    }
    QCOMPARE(compared, 500);
  }

  void americanPricersBehave() {
    const double s = 100, t = 0.75, r = 0.06, q = 0.0, sigma = 0.35;
    for (double k : {80.0, 100.0, 120.0}) {
      const double european = bsmPrice(CallPut::Put, s, k, t, r, q, sigma);
      double baw = 0, bjs = 0, fd = 0;
      for (AmericanMethod m : {AmericanMethod::BaroneAdesiWhaley, AmericanMethod::BjerksundStensland, AmericanMethod::FiniteDifference}) {
        const AmericanResult a = americanGreeks(m, CallPut::Put, s, k, t, r, q, sigma);
        QVERIFY2(a.ok, a.error);
        QVERIFY(a.greeks.price >= european - 1e-9);  // early exercise is worth something, never negative
        QVERIFY(a.greeks.delta < 0 && a.greeks.delta > -1);
        QVERIFY(a.greeks.gamma > 0);
        QVERIFY(a.greeks.vega > 0);
        (m == AmericanMethod::BaroneAdesiWhaley ? baw : m == AmericanMethod::BjerksundStensland ? bjs : fd) = a.greeks.price;
      }
      // The approximations agree with the PDE to within their known accuracy.
      QVERIFY2(std::abs(baw - fd) < 0.01 * fd + 0.02, qPrintable(QString("K=%1 BAW %2 FD %3").arg(k).arg(baw).arg(fd)));
      QVERIFY2(std::abs(bjs - fd) < 0.01 * fd + 0.02, qPrintable(QString("K=%1 BjS %2 FD %3").arg(k).arg(bjs).arg(fd)));
      if (k == 120.0) QVERIFY(fd > european + 0.2);  // deep ITM put: a real premium
    }
    // Without dividends an American call is never exercised early: it equals the European.
    const double euroCall = bsmPrice(CallPut::Call, s, 100, t, r, 0.0, sigma);
    QVERIFY(std::abs(americanPrice(AmericanMethod::BaroneAdesiWhaley, CallPut::Call, s, 100, t, r, 0.0, sigma) - euroCall) < 1e-8);
    QVERIFY(std::abs(americanPrice(AmericanMethod::FiniteDifference, CallPut::Call, s, 100, t, r, 0.0, sigma) - euroCall) < 2e-3);
    // t in years is used exactly as given (not rounded to days): a fraction of a day changes the price.
    const double a1 = americanPrice(AmericanMethod::BaroneAdesiWhaley, CallPut::Put, s, 100, 0.5, r, q, sigma);
    const double a2 = americanPrice(AmericanMethod::BaroneAdesiWhaley, CallPut::Put, s, 100, 0.5 + 0.3 / 365, r, q, sigma);
    QVERIFY(a2 > a1);
    // Bad input is an error result, not an exception.
    QVERIFY(!americanGreeks(AmericanMethod::FiniteDifference, CallPut::Put, -1, 100, 1, r, q, sigma).ok);
  }
};

QTEST_GUILESS_MAIN(TestQuantLib)
#include "tst_quantlib.moc"
