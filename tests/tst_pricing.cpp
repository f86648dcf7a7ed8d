// Closed-form pricing against published values (Haug 1998), implied volatility to full precision
// on a dense grid with honest status codes, and inverse (coin-settled) Greeks against finite
// differences of the coin price.
#include <QtTest>
#include <cmath>
#include <random>
#include <limits>
#include <vector>

#include "CsvTestUtil.hpp"
#include "pricing/BlackScholes.hpp"
#include "pricing/ImpliedVol.hpp"
#include "pricing/InlineExpLog.hpp"
#include "pricing/InverseOption.hpp"
#include "pricing/Normal.hpp"
#include "TestPaths.hpp"

using namespace kappa::pricing;

namespace {
CallPut cp(const QString& s) { return s == "call" ? CallPut::Call : CallPut::Put; }
}  // namespace

class TestPricing : public QObject {
  Q_OBJECT
 private slots:
  void haugEuropeanValues() {
    const auto rows = kappa::test::readCsv(kappa::test::testDataDir() + "/haug_european_bsm_values.csv");
    QCOMPARE(rows.size(), std::size_t(43));
    for (const auto& r : rows) {
      const double v = bsmPrice(cp(r["type"]), r["spot"].toDouble(), r["strike"].toDouble(), r["t_years"].toDouble(),
                                r["r"].toDouble(), r["q"].toDouble(), r["vol"].toDouble());
      const double expected = r["expected"].toDouble();
      QVERIFY2(std::abs(v - expected) <= r["tolerance"].toDouble(),
               qPrintable(QString("%1 K=%2 S=%3: %4 vs %5").arg(r["type"], r["strike"], r["spot"]).arg(v, 0, 'f', 6).arg(expected)));
    }
  }

  void haugGreeks() {
    const auto rows = kappa::test::readCsv(kappa::test::testDataDir() + "/haug_european_greeks.csv");
    QCOMPARE(rows.size(), std::size_t(11));
    for (const auto& r : rows) {
      const Greeks g = bsmGreeks(cp(r["type"]), r["spot"].toDouble(), r["strike"].toDouble(), r["t_years"].toDouble(),
                                 r["r"].toDouble(), r["q"].toDouble(), r["vol"].toDouble());
      const QString name = r["greek"];
      double v = 0;
      if (name == "delta") v = g.delta;
      else if (name == "elasticity") v = g.delta * r["spot"].toDouble() / g.price;
      else if (name == "gamma") v = g.gamma;
      else if (name == "vega") v = g.vega;
      else if (name == "theta") v = g.theta;
      else if (name == "theta per day") v = g.thetaPerDay();
      else if (name == "rho") v = g.rho;
      else if (name == "dividendRho") v = g.dividendRho;
      else QFAIL(qPrintable("unknown greek " + name));
      QVERIFY2(std::abs(v - r["expected"].toDouble()) <= r["tolerance"].toDouble(),
               qPrintable(QString("%1 %2: %3 vs %4").arg(name, r["type"]).arg(v, 0, 'f', 6).arg(r["expected"])));
    }
  }

  void greeksMatchFiniteDifferences() {
    // vanna, volga and charm have no published table: check them against bumps of delta/vega.
    for (CallPut t : {CallPut::Call, CallPut::Put}) {
      const double s = 105, k = 100, T = 0.7, r = 0.04, q = 0.015, v = 0.33;
      const Greeks g = bsmGreeks(t, s, k, T, r, q, v);
      const double hv = 1e-5, hs = 1e-3, ht = 1e-5;
      const double vanna = (bsmGreeks(t, s, k, T, r, q, v + hv).delta - bsmGreeks(t, s, k, T, r, q, v - hv).delta) / (2 * hv);
      const double volga = (bsmGreeks(t, s, k, T, r, q, v + hv).vega - bsmGreeks(t, s, k, T, r, q, v - hv).vega) / (2 * hv);
      const double charm = -(bsmGreeks(t, s, k, T + ht, r, q, v).delta - bsmGreeks(t, s, k, T - ht, r, q, v).delta) / (2 * ht);
      const double gamma = (bsmGreeks(t, s + hs, k, T, r, q, v).delta - bsmGreeks(t, s - hs, k, T, r, q, v).delta) / (2 * hs);
      const double theta = -(bsmPrice(t, s, k, T + ht, r, q, v) - bsmPrice(t, s, k, T - ht, r, q, v)) / (2 * ht);
      const double rho = (bsmPrice(t, s, k, T, r + hv, q, v) - bsmPrice(t, s, k, T, r - hv, q, v)) / (2 * hv);
      QVERIFY(std::abs(g.vanna - vanna) < 1e-6);
      QVERIFY(std::abs(g.volga - volga) < 1e-5);
      QVERIFY(std::abs(g.charm - charm) < 1e-6);
      QVERIFY(std::abs(g.gamma - gamma) < 1e-7);
      QVERIFY(std::abs(g.theta - theta) < 1e-5);
      QVERIFY(std::abs(g.rho - rho) < 1e-5);
      // Black-76: rho is -T*V (the forward does not move with r).
      const Greeks b = black76Greeks(t, s, k, T, r, v);
      QVERIFY(std::abs(b.rho + T * b.price) < 1e-12);
      QVERIFY(std::abs(b.price - bsmPrice(t, s, k, T, r, r, v)) < 1e-12);
    }
    QCOMPARE(bsmGreeks(CallPut::Call, 100, 100, 1, 0, 0, 0.2).vegaPerPoint(), bsmGreeks(CallPut::Call, 100, 100, 1, 0, 0, 0.2).vega / 100);
  }

  void zeroVolatilityIsDeterministicNotFrozen() {
    // With sigma = 0 an ITM option is its discounted forward intrinsic: theta and rho are those of
    // that deterministic value (a tiny vol gives the same), not zero.
    for (CallPut t : {CallPut::Call, CallPut::Put}) {
      const double k = t == CallPut::Call ? 80 : 120;
      const Greeks zero = bsmGreeks(t, 100, k, 1, 0.05, 0.01, 0.0);
      const Greeks tiny = bsmGreeks(t, 100, k, 1, 0.05, 0.01, 1e-9);
      QVERIFY(std::abs(zero.price - tiny.price) < 1e-9);
      QVERIFY(std::abs(zero.theta - tiny.theta) < 1e-7);
      QVERIFY(std::abs(zero.rho - tiny.rho) < 1e-7);
      QVERIFY(std::abs(zero.dividendRho - tiny.dividendRho) < 1e-7);
      QVERIFY(zero.theta != 0 && zero.rho != 0);
    }
  }

  void erfcxMatchesLongDouble() {
    // The table behind every normal CDF: within a few ulps of glibc's 80-bit erfcl everywhere,
    // across interval edges, the switch to the asymptotic series at 32, and the negative side.
    double worst = 0, worstX = 0;
    for (int i = 0; i <= 400000; ++i) {
      const double x = i < 200000 ? i * 1.6e-4 : 32.0 * std::pow(1e6, (i - 200000) / 200000.0);
      const long double ref = expl((long double)x * x) * erfcl((long double)x);
      // Beyond 1e4 the first three terms of the asymptotic series are exact to 1e-24.
      const long double z = 0.5L / ((long double)x * x);
      const long double refLarge = (1 - z + 3 * z * z) / ((long double)x * sqrtl(3.14159265358979323846264338327950288L));
      const long double truth = x > 1e4 ? refLarge : ref;
      const double rel = double(fabsl((erfcx(x) - truth) / truth));
      if (rel > worst) worst = rel, worstX = x;
    }
    qInfo("erfcx: worst relative error %.3g (%.2f ulp) at x = %g", worst, worst / 2.22e-16, worstX);
    QVERIFY2(worst < 5 * 2.22e-16, qPrintable(QString("worst %1 at %2").arg(worst).arg(worstX)));
    for (double x : {-0.5, -3.0, -10.0}) {
      const long double ref = expl((long double)x * x) * erfcl((long double)x);
      QVERIFY(std::abs(double((erfcx(x) - ref) / ref)) < 1e-14);
    }
    QCOMPARE(erfcx(0.0), 1.0);
    QVERIFY(std::isnan(erfcx(std::nan(""))));
    QCOMPARE(erfcx(std::numeric_limits<double>::infinity()), 0.0);
    QVERIFY(std::isinf(erfcx(-30.0)));
  }

  void inlineExpLogMatchLongDouble() {
    // The kernel's own exp and log: within 1.4 and 2.2 ulp of glibc's 80-bit expl/logl on a
    // million arguments each (the whole normal range, near 0 and near 1), exact specials.
    auto ulps = [](double got, long double ref) {
      const double r = double(ref);
      const double ulp = std::nextafter(r, std::numeric_limits<double>::infinity()) - r;
      return double(fabsl(got - ref)) / ulp;
    };
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> wide(-708.0, 708.0), unit(-1.0, 1.0);
    double worstExp = 0, worstLog = 0, atExp = 0, atLog = 0;
    for (int i = 0; i < 1000000; ++i) {
      const double x = i % 3 == 0 ? wide(rng) : i % 3 == 1 ? unit(rng) : unit(rng) * 1e-6;
      const double e = ulps(inlineExp(x), expl((long double)x));
      if (e > worstExp) worstExp = e, atExp = x;
      const double y = i % 3 == 0 ? std::exp2(wide(rng) * 1.44) : i % 3 == 1 ? 1.0 + unit(rng) * 0.01 : std::exp(unit(rng));
      const double l = y == 1.0 ? 0.0 : ulps(inlineLog(y), logl((long double)y));
      if (l > worstLog) worstLog = l, atLog = y;
    }
    qInfo("inlineExp: worst %.2f ulp at %.17g; inlineLog: worst %.2f ulp at %.17g", worstExp, atExp, worstLog, atLog);
    QVERIFY2(worstExp <= 1.4, qPrintable(QString::number(worstExp)));
    QVERIFY2(worstLog <= 2.2, qPrintable(QString::number(worstLog)));
    const double inf = std::numeric_limits<double>::infinity();
    QCOMPARE(inlineExp(0.0), 1.0);
    QCOMPARE(inlineExp(710.0), inf);
    QCOMPARE(inlineExp(inf), inf);
    QCOMPARE(inlineExp(-inf), 0.0);
    QCOMPARE(inlineExp(-800.0), 0.0);
    QCOMPARE(inlineExp(-745.0), std::exp(-745.0));  // the smallest subnormal, through the split scale
    QVERIFY(std::abs(inlineExp(-720.5) / std::exp(-720.5) - 1) < 1e-9);  // subnormal: fewer bits
    QVERIFY(std::isnan(inlineExp(std::nan(""))));
    QCOMPARE(inlineLog(1.0), 0.0);
    QCOMPARE(inlineLog(0.0), -inf);
    QCOMPARE(inlineLog(inf), inf);
    QVERIFY(std::isnan(inlineLog(-1.0)));
    QVERIFY(std::isnan(inlineLog(std::nan(""))));
    QCOMPARE(inlineLog(4.9406564584124654e-324), std::log(4.9406564584124654e-324));  // subnormal
  }

  void fmaKernelAgreesWithPortable() {
    // The x86-64-v3 build of the kernel differs from the portable one only by the roundings its
    // fused multiply-adds skip.
    if (activePricingKernel() != PricingKernel::Fma) QSKIP("this CPU runs the portable kernel only");
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double worst = 0;
    for (int i = 0; i < 20000; ++i) {
      const CallPut type = u(rng) < 0.5 ? CallPut::Call : CallPut::Put;
      const double s = 100 * std::pow(1.25 / 0.8, u(rng)) * 0.8, k = 100 * std::pow(2.5 / 0.4, u(rng)) * 0.4;
      const double t = std::pow(3.0 * 365, u(rng)) / 365, r = 0.08 * u(rng), q = 0.05 * u(rng);
      const double sigma = 0.05 * std::pow(40.0, u(rng));
      const Greeks a = bsmGreeksOn(PricingKernel::Portable, type, s, k, t, r, q, sigma);
      const Greeks b = bsmGreeksOn(PricingKernel::Fma, type, s, k, t, r, q, sigma);
      const double pairs[][2] = {{a.price, b.price}, {a.delta, b.delta}, {a.gamma, b.gamma}, {a.vega, b.vega},
                                 {a.theta, b.theta}, {a.rho, b.rho}, {a.vanna, b.vanna}, {a.volga, b.volga},
                                 {a.charm, b.charm}};
      // Relative to the option's scale (the spot), so that Greeks crossing zero are fair.
      for (const auto& p : pairs) worst = std::max(worst, std::abs(p[0] - p[1]) / (std::abs(p[0]) + 1e-9 * s));
      if (a.price > 1e-9 * s) worst = std::max(worst, std::abs(a.price - b.price) / a.price);
    }
    qInfo("portable vs %s kernel: worst relative difference %.3g", pricingKernelName(activePricingKernel()), worst);
    QVERIFY2(worst < 1e-11, qPrintable(QString::number(worst)));
  }

  void normalQuantileIsFullPrecision() {
    for (double p : {1e-300, 1e-20, 1e-8, 0.001, 0.02425, 0.3, 0.5, 0.7, 0.97575, 0.999, 1 - 1e-12}) {
      const double x = normQuantile(p);
      const double back = x < 0 ? normCdf(x) : 1.0 - normCdf(-x);
      // Phi is ill-conditioned in the tails (relative error grows like x^2): allow for that.
      QVERIFY2(std::abs(back - p) <= 2.2e-16 * (2 + x * x) * std::max(p, 1e-300) || std::abs(back - p) < 1e-300,
               qPrintable(QString("p=%1 x=%2 back=%3").arg(p).arg(x).arg(back)));
    }
  }

  void impliedVolRoundTripDenseGrid() {
    // Moneyness K/F 0.2..5, T 1 day..3 years, vol 5%..300%, calls and puts.
    std::vector<double> ms, ts, vs;
    for (int i = 0; i <= 40; ++i) ms.push_back(0.2 * std::pow(25.0, i / 40.0));
    for (int i = 0; i <= 30; ++i) ts.push_back(std::pow(3 * 365.0, i / 30.0) / 365.0);
    for (int i = 0; i <= 30; ++i) vs.push_back(0.05 * std::pow(60.0, i / 30.0));
    int accurate = 0, reproduced = 0, maxIterations = 0;
    double worst = 0;
    for (double m : ms)
      for (double t : ts)
        for (double v : vs)
          for (CallPut type : {CallPut::Call, CallPut::Put}) {
            const double f = 100, k = f * m;
            const double price = black76Price(type, f, k, t, 0.0, v);
            const ImpliedVol iv = impliedVolBlack76(type == CallPut::Call, f, k, t, 0.0, price);
            maxIterations = std::max(maxIterations, iv.iterations);
            QVERIFY(iv.status != IvStatus::NotConverged && iv.status != IvStatus::InvalidInput);
            // The best any inversion can do is the input's own rounding divided by vega: require
            // 1e-12 wherever that limit is 100 times smaller (vega not negligible) ...
            const double x = std::log(f / k), s = v * std::sqrt(t), beta = price / std::sqrt(f * k);
            const double attainable = 2.2e-16 * beta / (normalisedVega(x, s) * std::sqrt(t));
            if (attainable <= 1e-14 && beta > 1e-250) {
              QVERIFY2(iv.ok(), qPrintable(QString("m=%1 t=%2 v=%3: %4").arg(m).arg(t).arg(v).arg(nameOf(iv.status))));
              worst = std::max(worst, std::abs(iv.vol - v));
              QVERIFY2(std::abs(iv.vol - v) <= 1e-12, qPrintable(QString("m=%1 t=%2 v=%3 err %4").arg(m).arg(t).arg(v).arg(iv.vol - v)));
              ++accurate;
            } else if (iv.ok()) {
              // ... and elsewhere that the volatility found reproduces the price.
              const double back = black76Price(type, f, k, t, 0.0, iv.vol);
              QVERIFY(std::abs(back - price) <= 1e-12 * std::max(price, 1e-300) + 1e-15 * f);
              ++reproduced;
            } else {
              // No volatility: only where the price carries no time value (rounded to intrinsic or below).
              const double intrinsic = std::max(double(type) * (f - k), 0.0);
              QVERIFY2(std::abs(price - intrinsic) <= 1e-12 * f, qPrintable(QString("m=%1 t=%2 v=%3 %4").arg(m).arg(t).arg(v).arg(nameOf(iv.status))));
            }
          }
    qInfo("IV round trip: %d points to <= 1e-12 (worst %.2e), %d more reproduce their price; max %d iterations",
          accurate, worst, reproduced, maxIterations);
    QVERIFY(accurate > 40000);
    // The tabulated starting point is good to ~1e-5: one fourth-order step, a second at most.
    QVERIFY(maxIterations <= 2);
  }

  void impliedVolWarmStart() {
    // From the previous refresh's vol (forward moved 1 bp): no guess to compute (no table read, no
    // ln b_c), same answer in at most two steps. From a poor guess (half or double the vol): still
    // the exact answer.
    int warmIterations = 0, coldIterations = 0, cases = 0;
    for (double m : {0.5, 0.8, 0.95, 1.0, 1.1, 1.5, 3.0})
      for (double t : {2 / 365.0, 30 / 365.0, 1.0})
        for (double v : {0.2, 0.6, 1.5})
          for (bool call : {true, false}) {
            const double f = 100, k = f * m;
            const double price = black76Price(call ? CallPut::Call : CallPut::Put, f, k, t, 0, v);
            const ImpliedVol cold = impliedVolBlack76(call, f, k, t, 0, price);
            if (!cold.ok()) continue;
            const double prevVol = impliedVolBlack76(call, f * 1.0001, k, t, 0, price).vol;
            const ImpliedVol warm = impliedVolBlack76(call, f, k, t, 0, price, prevVol);
            QVERIFY(warm.ok());
            QVERIFY2(std::abs(warm.vol - cold.vol) <= 1e-13 * std::max(1.0, cold.vol), qPrintable(QString("m=%1 t=%2 v=%3").arg(m).arg(t).arg(v)));
            QVERIFY(warm.iterations <= 3);
            warmIterations += warm.iterations;
            coldIterations += cold.iterations;
            ++cases;
            for (double factor : {0.5, 2.0}) {
              const ImpliedVol poor = impliedVolBlack76(call, f, k, t, 0, price, v * factor);
              QVERIFY(poor.ok());
              QVERIFY(std::abs(poor.vol - cold.vol) <= 1e-13 * std::max(1.0, cold.vol));
            }
          }
    qInfo("warm start: %d iterations over %d solves (cold: %d)", warmIterations, cases, coldIterations);
    QVERIFY(cases > 100);
    QVERIFY(warmIterations <= 2 * cases);
  }

  void impliedVolStatusCodes() {
    // Below intrinsic: an ITM call cheaper than F - K.
    QCOMPARE(impliedVolBlack76(true, 100, 80, 1, 0, 19.5).status, IvStatus::BelowIntrinsic);
    QCOMPARE(impliedVolBlack76(false, 100, 80, 1, 0, -0.01).status, IvStatus::BelowIntrinsic);
    // Above the maximum: a call worth more than the forward, a put more than the strike.
    QCOMPARE(impliedVolBlack76(true, 100, 80, 1, 0, 100).status, IvStatus::AboveMaximum);
    QCOMPARE(impliedVolBlack76(false, 100, 80, 1, 0, 85).status, IvStatus::AboveMaximum);
    // Exactly intrinsic: no time value.
    QCOMPARE(impliedVolBlack76(true, 100, 80, 1, 0, 20).status, IvStatus::NoTimeValue);
    QCOMPARE(impliedVolBlack76(false, 100, 80, 1, 0, 0.0).status, IvStatus::NoTimeValue);  // OTM put worth 0
    // Invalid inputs are refused, not thrown.
    QCOMPARE(impliedVolBlack76(true, 0, 80, 1, 0, 1).status, IvStatus::InvalidInput);
    QCOMPARE(impliedVolBlack76(true, 100, 80, 0, 0, 21).status, IvStatus::InvalidInput);
    QCOMPARE(impliedVolBlack76(true, 100, 80, 1, 0, std::nan("")).status, IvStatus::InvalidInput);
    // Discounting and carry: BSM with rates round-trips too.
    const double p = bsmPrice(CallPut::Put, 95, 100, 0.5, 0.05, 0.02, 0.4);
    const ImpliedVol iv = impliedVolBsm(false, 95, 100, 0.5, 0.05, 0.02, p);
    QVERIFY(iv.ok());
    QVERIFY(std::abs(iv.vol - 0.4) < 1e-14);
  }

  void inverseGreeksMatchFiniteDifferences() {
    for (CallPut t : {CallPut::Call, CallPut::Put}) {
      for (double k : {50000.0, 67000.0, 90000.0}) {
        const double f = 67000, T = 30 / 365.0, v = 0.55;
        const InverseGreeks g = inverseOptionGreeks(t, f, k, T, v);
        auto coin = [&](double ff, double tt, double vv) { return inverseOptionGreeks(t, ff, k, tt, vv).priceCoin; };
        QVERIFY(std::abs(g.priceCoin - black76Price(t, f, k, T, 0, v) / f) < 1e-15);
        const double hf = 0.5, hv = 1e-6, ht = 1e-7;
        const double dPdF = (coin(f + hf, T, v) - coin(f - hf, T, v)) / (2 * hf);
        QVERIFY(std::abs(g.deltaCoin - f * dPdF) < 1e-8);
        // The coin delta differs from the linear (USD) delta by exactly the premium in coin.
        QVERIFY(std::abs((g.usd.delta - g.deltaCoin) - g.priceCoin) < 1e-15);
        const double dDelta = (inverseOptionGreeks(t, f + hf, k, T, v).deltaCoin - inverseOptionGreeks(t, f - hf, k, T, v).deltaCoin) / (2 * hf);
        QVERIFY(std::abs(g.gammaCoin - dDelta) < 1e-10);
        QVERIFY(std::abs(g.vegaCoin - (coin(f, T, v + hv) - coin(f, T, v - hv)) / (2 * hv)) < 1e-8);
        QVERIFY(std::abs(g.thetaCoin + (coin(f, T + ht, v) - coin(f, T - ht, v)) / (2 * ht)) < 1e-6);
      }
    }
    // Deribit's worked example: call K=10,000 at expiry with S=12,500 pays 0.2 BTC.
    QVERIFY(std::abs(inverseOptionGreeks(CallPut::Call, 12500, 10000, 0, 0.5).priceCoin - 0.2) < 1e-15);
  }
};

QTEST_GUILESS_MAIN(TestPricing)
#include "tst_pricing.moc"
