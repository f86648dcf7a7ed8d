// The kappa executable with two venues at once against one real kappa-exchange: Deribit and Binance
// USD-M futures. A headless run with --demo (a long perpetual and a call on Deribit) and the delta
// hedger on "auto" (Binance's BTCUSDT when that venue is configured): the report lists both venues
// connected, the hedge on Binance with its venue, one BTC underlying whose totals are the sum of each
// venue's part; and neither venue's secret appears anywhere kappa wrote.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include "AppRun.hpp"
#include "ExchangeProcess.hpp"
#include "SecretScan.hpp"
#include "TestPaths.hpp"

namespace {
// Two accounts on the exchange, one per venue here (each account exists on both of its APIs).
const char* kDeribitId = "tst-mv-deribit";
const QByteArray kDeribitSecret = "tst-mv-deribit-secret-31a8";
const char* kBinanceKey = "tst-mv-binance";
const QByteArray kBinanceSecret = "tst-mv-binance-secret-c05f";
}  // namespace

class TestMultiVenueApp : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QFile accounts(dir_.filePath("accounts.txt"));  // a 0600 file, not the exchange's command line
    QVERIFY(accounts.open(QIODevice::WriteOnly));
    accounts.write(QByteArray(kDeribitId) + ":" + kDeribitSecret + "\n" + kBinanceKey + ":" + kBinanceSecret + "\n");
    accounts.close();
    accounts.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "8", "--accounts-file", accounts.fileName()});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
  }
  void cleanupTestCase() { exchange_.stop(); }

  void deribitHedgedOnBinanceInOneTerminal() {
    const QString data = dir_.filePath("data"), report = dir_.filePath("report.json");
    const QString hedger = kappa::test::pluginDir() + "/kappa-delta-hedger.so:band_up_btc=0.05,band_down_btc=0.05,"
                                                       "min_interval_ms=0,check_ms=200";
    const kappa::test::AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        {"--headless", "--venue", "deribit", "--venue", "binance-futures", "--deribit-env", exchange_.url(),
         "--binance-env", QString("http://127.0.0.1:%1").arg(exchange_.port()), "--currencies", "BTC", "--data-dir", data,
         "--demo", "--plugin", hedger, "--risk", "max_net_delta=off", "--duration", "12", "--report", report},
        {{"KAPPA_DERIBIT_CLIENT_ID", kDeribitId},
         {"KAPPA_DERIBIT_CLIENT_SECRET", QString::fromLatin1(kDeribitSecret)},
         {"KAPPA_BINANCE_API_KEY", kBinanceKey},
         {"KAPPA_BINANCE_API_SECRET", QString::fromLatin1(kBinanceSecret)}},
        report, 90000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    const QJsonObject& r = run.report;
    const QByteArray& reportBytes = run.reportBytes;
    QCOMPARE(r["venue"].toString(), QString("deribit+binance-futures"));
    const QJsonArray venues = r["venues"].toArray();
    QCOMPARE(venues.size(), 2);
    QCOMPARE(venues[0].toObject()["name"].toString(), QString("deribit"));
    QCOMPARE(venues[1].toObject()["name"].toString(), QString("binance-futures"));
    for (const QJsonValue& v : venues) {
      QCOMPARE(v.toObject()["state"].toString(), QString("connected"));
      QCOMPARE(v.toObject()["underlyings"].toArray(), QJsonArray({"BTC"}));
    }
    QCOMPARE(venues[1].toObject()["endpoint"].toString(), QString("http://127.0.0.1:%1").arg(exchange_.port()));
    // Binance reports its USDT account.
    bool usdt = false;
    for (const QJsonValue& a : venues[1].toObject()["account"].toArray())
      usdt = usdt || (a.toObject()["currency"].toString() == "USDT" && a.toObject()["equity"].toDouble() > 0);
    QVERIFY2(usdt, qPrintable(QJsonDocument(venues[1].toObject()).toJson()));

    // The hedge: a BTCUSDT position on Binance, carried with its venue.
    double hedge = 0;
    for (const QJsonValue& p : r["positions"].toArray())
      if (p.toObject()["instrument"].toString() == "BTCUSDT") {
        QCOMPARE(p.toObject()["venue"].toString(), QString("binance-futures"));
        QCOMPARE(p.toObject()["currency"].toString(), QString("USDT"));
        hedge = p.toObject()["qty"].toDouble();
      }
    QVERIFY2(hedge < 0, reportBytes.constData());
    // One BTC book across venues: its totals are the sum of the venues' parts.
    const QJsonArray underlyings = r["underlyings"].toArray();
    QCOMPARE(underlyings.size(), 1);
    const QJsonObject btc = underlyings[0].toObject();
    QCOMPARE(btc["underlying"].toString(), QString("BTC"));
    const QJsonObject byVenue = btc["by_venue"].toObject();
    QVERIFY(byVenue.contains("deribit") && byVenue.contains("binance-futures"));
    for (const char* g : {"delta_coin", "gamma_coin", "vega_coin", "delta_usd", "pnl_usd"}) {
      const double sum = byVenue["deribit"].toObject()[g].toDouble() + byVenue["binance-futures"].toObject()[g].toDouble();
      QVERIFY2(std::abs(btc[g].toDouble() - sum) < 1e-9, g);
    }
    QVERIFY(byVenue["deribit"].toObject()["delta_coin"].toDouble() > 0);
    QVERIFY(byVenue["binance-futures"].toObject()["delta_coin"].toDouble() < 0);

    // Neither secret, anywhere kappa wrote or printed; the keys themselves only masked in the data dir.
    for (const QByteArray& secret : {kDeribitSecret, kBinanceSecret}) {
      const QStringList hits = kappa::test::secretLeaks(run, data, secret);
      QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    }
    QVERIFY(kappa::test::findSecretInTree(data, kBinanceKey).isEmpty());
  }
};

QTEST_GUILESS_MAIN(TestMultiVenueApp)
#include "tst_multi_venue_app.moc"
