// SVI slices: fits to a real SPX chain and to synthetic smiles with known parameters, the honest
// refusal of a real Deribit recording that has too few strikes per expiry, butterfly and calendar
// arbitrage detection over the right k ranges, and the surface's interpolation in t.
#include <QtTest>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "CsvTestUtil.hpp"
#include "pricing/ImpliedVol.hpp"
#include "vol/Arbitrage.hpp"
#include "vol/Svi.hpp"
#include "vol/SviFit.hpp"
#include "vol/VolSurface.hpp"
#include "TestPaths.hpp"

using namespace kappa::vol;

// Compares statuses and prints their names on failure. (The engine's enum names are nameOf(), not
// toString(): QTest would find a toString(enum) by argument lookup and delete[] its static string.)
#define COMPARE_STATUS(actual, expected)                                                                      \
  do {                                                                                                        \
    const auto status_ = (actual);                                                                            \
    QVERIFY2(status_ == (expected),                                                                           \
             qPrintable(QString("status %1, expected %2").arg(nameOf(status_), nameOf(expected))));     \
  } while (false)

namespace {

// Gatheral & Jacquier's example (from Axel Vogt) of a raw SVI slice with butterfly arbitrage.
constexpr SviParams kVogt{-0.0410, 0.1331, 0.3060, 0.3586, 0.4153};
// A plain, arbitrage-free equity-like smile used for synthetic quotes.
constexpr SviParams kEquityLike{0.02, 0.15, -0.4, 0.05, 0.2};

std::vector<SviQuote> quotesFrom(const SviParams& p, double t, int n, double kLo, double kHi, double halfSpread) {
  std::vector<SviQuote> quotes;
  for (int i = 0; i < n; ++i) {
    const double k = kLo + (kHi - kLo) * i / (n - 1);
    const double iv = sviImpliedVol(p, k, t);
    quotes.push_back({k, iv - halfSpread, iv + halfSpread, 0});
  }
  return quotes;
}

bool withinFitBounds(const SviParams& p, const SviFitOptions& o) {
  return p.b >= 0 && std::abs(p.rho) <= o.rhoMax && p.sigma >= o.sigmaMin * (1 - 1e-12) &&
         p.sigma <= o.sigmaMax * (1 + 1e-12) && p.b * (1 + std::abs(p.rho)) <= o.maxWingSlope * (1 + 1e-9) &&
         sviMinTotalVariance(p) >= -1e-12;
}

struct SpxSlice {
  QString expiry;
  double t = 0;
  std::vector<SviQuote> quotes;
};

// Deribit option names look like BTC-24SEP21-34000-P; expiry is 08:00 UTC on that day.
struct DeribitOption {
  QString expiryKey;  // e.g. BTC-24SEP21
  double strike = 0;
  qint64 expiryMs = 0;
  bool ok = false;
};

DeribitOption parseDeribitName(const QString& name) {
  DeribitOption o;
  const QStringList parts = name.split('-');
  if (parts.size() != 4) return o;
  static const QStringList months = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const QString& d = parts[1];  // DMMMYY or DDMMMYY
  const int dayDigits = d.size() - 5;
  const QDate date(2000 + d.right(2).toInt(), months.indexOf(d.mid(dayDigits, 3)) + 1, d.left(dayDigits).toInt());
  if (!date.isValid()) return o;
  o.expiryKey = parts[0] + '-' + parts[1];
  o.strike = parts[2].toDouble();
  o.expiryMs = QDateTime(date, QTime(8, 0), Qt::UTC).toMSecsSinceEpoch();
  o.ok = o.strike > 0;
  return o;
}

}  // namespace

class TestSvi : public QObject {
  Q_OBJECT

  // Slices of the SPX chain, one per expiry. The chain's call rows carry IVAsk == IVBid (the vol
  // of the call bid, copied): the call ask vol is recomputed from PAsk with the chain's own spot,
  // rate and dividend yield, after checking that this reproduces every published bid vol.
  std::vector<SpxSlice> loadSpx() {
    std::vector<SpxSlice> slices;
    const auto rows = kappa::test::readCsv(kappa::test::refdataDir() + "/option_chains/pyql_df_options_SPX_24jan2011.csv");
    if (rows.size() != 139) return slices;
    QMap<QString, SpxSlice> byExpiry;
    for (const auto& r : rows) {
      const bool call = r["Type"] == "C";
      const double spot = r["Spot"].toDouble(), strike = r["Strike"].toDouble(), t = r["TTM"].toDouble();
      const double rate = r["iRate"].toDouble(), div = r["iDiv"].toDouble();
      const auto bidVol = kappa::pricing::impliedVolBsm(call, spot, strike, t, rate, div, r["PBid"].toDouble());
      // Calls agree to 1e-9; puts to 2e-5 (the chain's own solver stopped early on puts).
      if (!bidVol.ok() || std::abs(bidVol.vol - r["IVBid"].toDouble()) > 5e-5) return {};
      double askIv = r["IVAsk"].toDouble();
      if (call) {
        const auto askVol = kappa::pricing::impliedVolBsm(call, spot, strike, t, rate, div, r["PAsk"].toDouble());
        askIv = askVol.ok() ? askVol.vol : 0;
      }
      SpxSlice& s = byExpiry[r["dtExpiry"]];
      s.expiry = r["dtExpiry"];
      s.t = t;
      s.quotes.push_back({std::log(strike / r["Fwd"].toDouble()), r["IVBid"].toDouble(), askIv, 0});
    }
    for (const SpxSlice& s : byExpiry) slices.push_back(s);
    return slices;
  }

 private slots:
  // (1) Real SPX chain, 24 Jan 2011: 8 expiries, 8 to 29 OTM quotes each.
  void fitsRealSpxChain() {
    if (!QDir(kappa::test::refdataDir()).exists()) QSKIP("shared reference data folder not available");
    const std::vector<SpxSlice> slices = loadSpx();
    QCOMPARE(slices.size(), std::size_t(8));

    const SviFitOptions options;
    SviFitter fitter;
    std::vector<SviSlice> fitted;
    for (const SpxSlice& s : slices) {
      const SviFitResult r = fitter.fit(s.t, s.quotes, std::nullopt, options);
      const SviParams& p = r.params;
      qInfo("SPX %s t=%.3f n=%2d %s rmse=%.3f max=%.3f vol pts, %d evals | a=%.5f b=%.4f rho=%.3f m=%.4f sigma=%.4f gMin=%.4f",
            qPrintable(s.expiry), s.t, r.quotesUsed, nameOf(r.status), 100 * r.rmse, 100 * r.maxError, r.evaluations, p.a,
            p.b, p.rho, p.m, p.sigma, r.gMin);
      COMPARE_STATUS(r.status, SviFitStatus::Ok);
      QCOMPARE(r.quotesUsed, int(s.quotes.size()));
      QVERIFY(r.quotesUsed >= 8);
      // Measured 0.011 to 0.106 vol points; every mid within 0.23 vol points.
      QVERIFY2(r.rmse < 0.0015, qPrintable(s.expiry));
      QVERIFY2(r.maxError < 0.003, qPrintable(s.expiry));
      QVERIFY(withinFitBounds(p, options));
      // Every model vol lies inside the market's bid-ask (spreads are 1 to 2.5 vol points).
      for (const SviQuote& q : s.quotes) {
        const double iv = sviImpliedVol(p, q.k, s.t);
        QVERIFY2(iv >= q.bidIv - 1e-4 && iv <= q.askIv + 1e-4, qPrintable(QString("%1 k=%2").arg(s.expiry).arg(q.k)));
      }
      // The two shortest expiries' unconstrained best fits put a sharp vertex just past the last
      // strike with negative density there; the repair pass must leave every slice arbitrage-free.
      const ButterflyReport bf = checkButterfly(p);
      QVERIFY2(!bf.arbitrage, qPrintable(QString("%1 gMin=%2 at k=%3").arg(s.expiry).arg(bf.gMin).arg(bf.kAtGMin)));
      fitted.push_back({s.t, p});
    }

    // Total variance rises with expiry over the quoted moneyness (|k| <= 0.06, quoted by every expiry).
    ArbitrageScanOptions quoted;
    quoted.kMin = -0.06;
    quoted.kMax = 0.05;
    quoted.points = 111;
    const CalendarReport inside = checkCalendar(fitted, quoted);
    QVERIFY(!inside.badInput);
    QVERIFY(!inside.arbitrage);
    // Far beyond the quotes nothing holds the slices apart: report, do not assert.
    const CalendarReport wings = checkCalendar(fitted);
    for (const CalendarViolation& v : wings.violations)
      qInfo("SPX calendar, extrapolated wings: %s vs %s, worst %.4f at k=%.2f, %d range(s) from k=%.3f",
            qPrintable(slices[v.earlier].expiry), qPrintable(slices[v.later].expiry), v.worstGap, v.kAtWorst,
            int(v.ranges.size()), v.ranges.front().kFrom);
  }

  // (2) Real Deribit recording: one or two strikes per expiry, so no slice can be fitted. The
  // fitter must say so, count what it used and skipped, and not be fooled by many updates of the
  // same two strikes (36 ticker messages for BTC-24SEP21).
  void refusesDeribitRecordingWithTooFewStrikes() {
    QFile file(kappa::test::testDataDir() + "/deribit_ws_options_20210722.jsonl");
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    QMap<QString, std::vector<SviQuote>> byExpiry;
    QMap<QString, double> tByExpiry;
    int tickers = 0, bothSidesMissing = 0;
    while (!file.atEnd()) {
      const QJsonObject msg = QJsonDocument::fromJson(file.readLine()).object()["msg"].toObject();
      const QJsonObject params = msg["params"].toObject();
      if (msg["method"].toString() != "subscription" || !params["channel"].toString().startsWith("ticker.")) continue;
      const QJsonObject d = params["data"].toObject();
      const DeribitOption opt = parseDeribitName(d["instrument_name"].toString());
      QVERIFY2(opt.ok, qPrintable(d["instrument_name"].toString()));
      const double forward = d["underlying_price"].toDouble();
      const double t = (opt.expiryMs - qint64(d["timestamp"].toDouble())) / (365.0 * 86400e3);
      QVERIFY(forward > 0 && t > 0);
      // Deribit sends vols in percent; 0 means no order on that side.
      const SviQuote q{std::log(opt.strike / forward), d["bid_iv"].toDouble() / 100, d["ask_iv"].toDouble() / 100, 0};
      if (q.bidIv <= 0 && q.askIv <= 0) ++bothSidesMissing;
      byExpiry[opt.expiryKey].push_back(q);
      tByExpiry[opt.expiryKey] = t;
      ++tickers;
    }
    QCOMPARE(tickers, 89);
    QCOMPARE(byExpiry.size(), 8);
    QCOMPARE(bothSidesMissing, 7);  // ETH-27AUG21-4000-P never had an order on either side

    SviFitter fitter;
    for (auto it = byExpiry.cbegin(); it != byExpiry.cend(); ++it) {
      const SviFitResult r = fitter.fit(tByExpiry[it.key()], it.value());
      qInfo("Deribit %s: %d ticker quotes, %d used, %d skipped -> %s", qPrintable(it.key()), int(it.value().size()),
            r.quotesUsed, r.quotesSkipped, nameOf(r.status));
      COMPARE_STATUS(r.status, SviFitStatus::TooFewQuotes);
      QCOMPARE(r.evaluations, 0);
      QCOMPARE(r.quotesUsed + r.quotesSkipped, int(it.value().size()));
    }
    const SviFitResult sep = fitter.fit(tByExpiry["BTC-24SEP21"], byExpiry["BTC-24SEP21"]);
    QCOMPARE(sep.quotesUsed, 36);  // plenty of quotes, but only two strikes
    COMPARE_STATUS(sep.status, SviFitStatus::TooFewQuotes);
    QCOMPARE(fitter.fit(tByExpiry["ETH-27AUG21"], byExpiry["ETH-27AUG21"]).quotesSkipped, 7);
    // A one-sided quote (ETH-23JUL21-2300-C has asks only) is used, not skipped.
    QCOMPARE(fitter.fit(tByExpiry["ETH-23JUL21"], byExpiry["ETH-23JUL21"]).quotesUsed, 6);
  }

  // (3) Butterfly arbitrage: Vogt's slice has g < 0 on about k in (0.6425, 1.2565), min near 0.88.
  void detectsButterflyArbitrage() {
    const ButterflyReport bad = checkButterfly(kVogt);
    QVERIFY(bad.arbitrage);
    QCOMPARE(bad.ranges.size(), std::size_t(1));
    QVERIFY(bad.ranges[0].kFrom > 0.642 && bad.ranges[0].kFrom < 0.6426);
    QVERIFY(bad.ranges[0].kTo > 1.2564 && bad.ranges[0].kTo < 1.257);
    QVERIFY(bad.gMin < -0.032 && bad.gMin > -0.034);
    QVERIFY(std::abs(bad.kAtGMin - 0.88) < 0.01);
    // The reported edges are where g crosses zero.
    QVERIFY(std::abs(sviDurrlemanG(kVogt, bad.ranges[0].kFrom)) < 1e-8);
    QVERIFY(std::abs(sviDurrlemanG(kVogt, bad.ranges[0].kTo)) < 1e-8);

    const ButterflyReport good = checkButterfly(kEquityLike);
    QVERIFY(!good.arbitrage);
    QVERIFY(good.ranges.empty());
    QVERIFY(good.gMin > 0);

    // Negative total variance is arbitrage too, whatever g says elsewhere.
    QVERIFY(checkButterfly({-0.01, 0.1, 0.0, 0.0, 0.05}).arbitrage);
  }

  // A far one-sided quote that the smile cannot reach drags the search against its bounds: that is
  // never reported as a good fit (it was, with m at its limit and sigma at sigmaMin).
  void degenerateFitIsNotOk() {
    std::vector<SviQuote> quotes;
    const SviParams clean{0.0163, 0.0469, 0.2135, 0.0431, 0.1207};
    for (double strike = 70; strike <= 130; strike += 5) {
      const double k = std::log(strike / 100.0), iv = sviImpliedVol(clean, k, 0.1);
      quotes.push_back({k, iv - 0.005, iv + 0.005, 0});
    }
    quotes.push_back({std::log(1.40), 0.0, 0.90, 0});  // ask-only, far out of the money
    const SviFitResult r = fitSviSlice(0.1, quotes);
    if (r.ok()) {
      QVERIFY(!checkButterfly(r.params).arbitrage);
      QVERIFY(r.rmse < 0.05);
    } else {
      COMPARE_STATUS(r.status, SviFitStatus::NotConverged);
    }
  }

  // The fitter's repair pass: quotes drawn from Vogt's slice are matched closely by an arbitrage-
  // free slice; with the repair switched off the fit reproduces the arbitrage.
  void fitRepairsButterflyArbitrage() {
    const auto quotes = quotesFrom(kVogt, 1.0, 31, -1.0, 1.5, 0.005);
    SviFitOptions raw;
    raw.butterflyPenalty = 0;
    const SviFitResult exact = fitSviSlice(1.0, quotes, std::nullopt, raw);
    COMPARE_STATUS(exact.status, SviFitStatus::Ok);
    QVERIFY(exact.rmse < 1e-6);
    QVERIFY(checkButterfly(exact.params).arbitrage);

    const SviFitResult repaired = fitSviSlice(1.0, quotes);
    qInfo("Vogt quotes: repaired fit rmse %.3f vol pts, max %.3f, gMin %.5f, %d evals", 100 * repaired.rmse,
          100 * repaired.maxError, repaired.gMin, repaired.evaluations);
    COMPARE_STATUS(repaired.status, SviFitStatus::Ok);
    QVERIFY(!checkButterfly(repaired.params).arbitrage);
    QVERIFY(repaired.rmse < 0.01);  // the arbitrage-free fit has to bend away from the data a little
    QVERIFY(repaired.rmse > exact.rmse);
  }

  // (4) Calendar arbitrage: w(k, t2) < w(k, t1) over a known k range.
  void detectsCalendarArbitrage() {
    // Same b, m, sigma: w2 - w1 = 0.01 + 0.1 k, negative for k < -0.1 down to the grid's end.
    const SviSlice near{0.5, {0.02, 0.1, -0.5, 0.0, 0.2}};
    const SviSlice farCrossing{1.0, {0.03, 0.1, 0.5, 0.0, 0.2}};
    const SviSlice farAbove{1.0, {0.03, 0.1, -0.5, 0.0, 0.2}};
    const std::vector<SviSlice> crossing = {farCrossing, near};  // deliberately unsorted
    const CalendarReport bad = checkCalendar(crossing);
    QVERIFY(bad.arbitrage);
    QCOMPARE(bad.violations.size(), std::size_t(1));
    const CalendarViolation& v = bad.violations[0];
    QCOMPARE(v.earlier, std::size_t(1));
    QCOMPARE(v.later, std::size_t(0));
    QCOMPARE(v.ranges.size(), std::size_t(1));
    QCOMPARE(v.ranges[0].kFrom, -1.5);
    QVERIFY(std::abs(v.ranges[0].kTo - (-0.1)) < 1e-9);
    QVERIFY(std::abs(v.worstGap - 0.14) < 1e-9);
    QVERIFY(std::abs(v.kAtWorst - (-1.5)) < 1e-6);

    // An interior crossing: a sharper later smile dips below the earlier one around the money.
    // w2 - w1 = 0.03 + 0.2 (sqrt(k^2 + 0.01) - sqrt(k^2 + 0.09)) < 0 for |k| < k*, worst 0.01 at k = 0.
    const SviSlice wide{0.25, {0.02, 0.2, 0.0, 0.0, 0.3}};
    const SviSlice sharp{0.5, {0.05, 0.2, 0.0, 0.0, 0.1}};
    const double sum = 0.08 / 0.15;  // sqrt(u + 0.09) + sqrt(u + 0.01) where their difference is 0.15
    const double kStar = std::sqrt(std::pow((sum + 0.15) / 2, 2) - 0.09);
    const CalendarReport dip = checkCalendar(std::vector<SviSlice>{wide, sharp});
    QVERIFY(dip.arbitrage);
    QCOMPARE(dip.violations[0].ranges.size(), std::size_t(1));
    QVERIFY(std::abs(dip.violations[0].ranges[0].kFrom + kStar) < 1e-9);
    QVERIFY(std::abs(dip.violations[0].ranges[0].kTo - kStar) < 1e-9);
    QVERIFY(std::abs(dip.violations[0].worstGap - 0.01) < 1e-9);
    QVERIFY(std::abs(dip.violations[0].kAtWorst) < 1e-6);

    const CalendarReport good = checkCalendar(std::vector<SviSlice>{near, farAbove});
    QVERIFY(!good.arbitrage);
    QVERIFY(good.violations.empty());
    QVERIFY(checkCalendar(std::vector<SviSlice>{near, near}).badInput);  // same expiry twice
  }

  // (5) Round trip through the fitter: exact quotes give back the parameters; noisy quotes give
  // back the vols to about the noise; a warm refit of a slightly moved slice is cheaper.
  void roundTripRecoversKnownSlice() {
    const double t = 0.5;
    const auto exactQuotes = quotesFrom(kEquityLike, t, 25, -0.6, 0.6, 0.005);
    SviFitter fitter;
    const SviFitResult exact = fitter.fit(t, exactQuotes);
    COMPARE_STATUS(exact.status, SviFitStatus::Ok);
    QVERIFY(exact.rmse < 1e-7);
    QVERIFY(std::abs(exact.params.a - kEquityLike.a) < 1e-6);
    QVERIFY(std::abs(exact.params.b - kEquityLike.b) < 1e-6);
    QVERIFY(std::abs(exact.params.rho - kEquityLike.rho) < 1e-5);
    QVERIFY(std::abs(exact.params.m - kEquityLike.m) < 1e-5);
    QVERIFY(std::abs(exact.params.sigma - kEquityLike.sigma) < 1e-5);

    // Noise of 0.3 vol points on each side, seeded.
    std::mt19937 rng(20110124);
    std::normal_distribution<double> noise(0.0, 0.003);
    auto noisy = exactQuotes;
    for (SviQuote& q : noisy) {
      const double e = noise(rng);
      q.bidIv += e;
      q.askIv += e;
    }
    const SviFitResult fitNoisy = fitter.fit(t, noisy);
    qInfo("noisy round trip: rmse %.3f vol pts, %d evals", 100 * fitNoisy.rmse, fitNoisy.evaluations);
    COMPARE_STATUS(fitNoisy.status, SviFitStatus::Ok);
    QVERIFY(fitNoisy.rmse > 0.0015 && fitNoisy.rmse < 0.0035);  // fits the noise's size, not the noise
    double worstVolError = 0;
    for (double k = -0.6; k <= 0.6; k += 0.01)
      worstVolError = std::max(worstVolError, std::abs(sviImpliedVol(fitNoisy.params, k, t) - sviImpliedVol(kEquityLike, k, t)));
    QVERIFY2(worstVolError < 0.003, qPrintable(QString::number(worstVolError)));

    // The market moves a little: level up 0.2 vol points, skew a touch steeper.
    auto moved = exactQuotes;
    for (SviQuote& q : moved) {
      q.bidIv += 0.002 - 0.003 * q.k;
      q.askIv += 0.002 - 0.003 * q.k;
    }
    const SviFitResult cold = fitter.fit(t, moved);
    const SviFitResult warm = fitter.fit(t, moved, exact.params);
    qInfo("moved slice: cold %d evals, warm %d evals; rmse %.2e / %.2e", cold.evaluations, warm.evaluations, cold.rmse,
          warm.rmse);
    COMPARE_STATUS(warm.status, SviFitStatus::Ok);
    QVERIFY(warm.evaluations < cold.evaluations * 3 / 4);
    QVERIFY(warm.rmse <= cold.rmse + 1e-5);
  }

  void reportsBadAndThinInput() {
    const auto quotes = quotesFrom(kEquityLike, 0.5, 25, -0.6, 0.6, 0.005);
    COMPARE_STATUS(fitSviSlice(0.0, quotes).status, SviFitStatus::BadInput);
    COMPARE_STATUS(fitSviSlice(std::nan(""), quotes).status, SviFitStatus::BadInput);
    SviFitOptions inverted;
    inverted.sigmaMin = 1.0;
    inverted.sigmaMax = 0.5;
    COMPARE_STATUS(fitSviSlice(0.5, quotes, std::nullopt, inverted).status, SviFitStatus::BadInput);

    const std::vector<SviQuote> four(quotes.begin(), quotes.begin() + 4);
    COMPARE_STATUS(fitSviSlice(0.5, four).status, SviFitStatus::TooFewQuotes);

    // Unusable quotes are skipped and counted, not fatal.
    auto dirty = quotes;
    dirty[3].bidIv = dirty[3].askIv = std::nan("");
    dirty[7].k = std::numeric_limits<double>::infinity();
    dirty[9].bidIv = dirty[9].askIv = 0;
    const SviFitResult r = fitSviSlice(0.5, dirty);
    COMPARE_STATUS(r.status, SviFitStatus::Ok);
    QCOMPARE(r.quotesSkipped, 3);
    QCOMPARE(r.quotesUsed, 22);
    QVERIFY(r.rmse < 1e-6);

    // The evaluation budget is honoured and reported.
    SviFitOptions tight;
    tight.maxEvaluations = 30;
    const SviFitResult cut = fitSviSlice(0.5, quotes, std::nullopt, tight);
    COMPARE_STATUS(cut.status, SviFitStatus::NotConverged);
    QVERIFY(cut.evaluations <= 34);
    QVERIFY(sviParamsValid(cut.params));
  }

  // The analytic derivatives agree with finite differences, and g follows from them.
  void derivativesMatchFiniteDifferences() {
    const double h = 1e-4;
    for (double k = -1.0; k <= 1.0; k += 0.125) {
      const SviValue v = sviEvaluate(kVogt, k);
      const double wUp = sviTotalVariance(kVogt, k + h), wDown = sviTotalVariance(kVogt, k - h);
      QVERIFY(std::abs(v.dw - (wUp - wDown) / (2 * h)) < 1e-7);
      QVERIFY(std::abs(v.d2w - (wUp - 2 * v.w + wDown) / (h * h)) < 1e-5);
      QCOMPARE(sviFirstDerivative(kVogt, k), v.dw);
      QCOMPARE(sviSecondDerivative(kVogt, k), v.d2w);
      QVERIFY(std::abs(sviImpliedVol(kVogt, k, 2.0) - std::sqrt(v.w / 2.0)) < 1e-15);
    }
  }

  // (6) The surface: exact at the slices, non-decreasing in t at every k between and beyond them,
  // constant vol outside the quoted expiries.
  void surfaceInterpolatesInTotalVariance() {
    const std::vector<SviSlice> slices = {
        {1.0, {0.035, 0.12, -0.35, 0.02, 0.25}},
        {0.1, {0.003, 0.05, -0.5, 0.0, 0.08}},  // deliberately unsorted
        {0.4, {0.012, 0.09, -0.4, 0.01, 0.15}},
    };
    QVERIFY(!checkCalendar(slices).arbitrage);  // the premise of monotone interpolation
    VolSurface surface;
    COMPARE_STATUS(surface.build(slices), VolSurfaceStatus::Ok);
    QCOMPARE(surface.slices().size(), std::size_t(3));
    QCOMPARE(surface.slices().front().t, 0.1);

    for (double k = -1.5; k <= 1.5; k += 0.05) {
      for (const SviSlice& s : slices) {
        QCOMPARE(surface.totalVariance(k, s.t), sviTotalVariance(s.params, k));
        QVERIFY(std::abs(surface.impliedVol(k, s.t) - sviImpliedVol(s.params, k, s.t)) < 1e-15);
      }
      double previous = 0;
      for (double t = 0.01; t <= 2.0; t += 0.01) {
        const double w = surface.totalVariance(k, t);
        QVERIFY2(w >= previous, qPrintable(QString("k=%1 t=%2").arg(k).arg(t)));
        previous = w;
      }
      // Halfway between two slices in t is halfway in total variance.
      const double mid = surface.totalVariance(k, 0.25);
      QVERIFY(std::abs(mid - 0.5 * (sviTotalVariance(slices[1].params, k) + sviTotalVariance(slices[2].params, k))) < 1e-15);
      // Constant vol before the first and after the last expiry.
      QVERIFY(std::abs(surface.impliedVol(k, 0.02) - sviImpliedVol(slices[1].params, k, 0.1)) < 1e-14);
      QVERIFY(std::abs(surface.impliedVol(k, 0.0) - sviImpliedVol(slices[1].params, k, 0.1)) < 1e-14);
      QVERIFY(std::abs(surface.impliedVol(k, 3.0) - sviImpliedVol(slices[0].params, k, 1.0)) < 1e-14);
    }

    VolSurface empty;
    COMPARE_STATUS(empty.build({}), VolSurfaceStatus::NoSlices);
    QVERIFY(std::isnan(empty.impliedVol(0.0, 0.5)));
    const std::vector<SviSlice> twice = {slices[0], slices[0]};
    COMPARE_STATUS(empty.build(twice), VolSurfaceStatus::DuplicateExpiry);
    QVERIFY(empty.empty());
    const std::vector<SviSlice> invalid = {{0.5, {0.01, -0.1, 0.0, 0.0, 0.1}}};
    COMPARE_STATUS(empty.build(invalid), VolSurfaceStatus::BadSlice);
  }
};

QTEST_GUILESS_MAIN(TestSvi)
#include "tst_svi.moc"
