// The kappa executable over the Deribit connector, against a real kappa-exchange process: a headless
// run with --demo trades, the report's `venues` entry says what the venue is (environment, state,
// underlyings, counters, the account the exchange reported), and the API secret appears nowhere —
// not in the data dir (journal, logs, settings), the report, stdout or stderr, in any encoding.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "AppRun.hpp"
#include "ExchangeProcess.hpp"
#include "SecretScan.hpp"
#include "TestPaths.hpp"

namespace {
const char* kClientId = "tst-app-key";
const QByteArray kSecret = "tst-app-secret-7d41c9e2";
}  // namespace

class TestDeribitApp : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  QTemporaryDir dir_;
  QString url_;

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    QFile accounts(dir_.filePath("accounts.txt"));  // the exchange's side: a 0600 file, not its command line
    QVERIFY(accounts.open(QIODevice::WriteOnly));
    accounts.write(QByteArray(kClientId) + ":" + kSecret + "\n");
    accounts.close();
    accounts.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "3", "--accounts-file", accounts.fileName()});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    url_ = exchange_.url();
  }
  void cleanup() { exchange_.stop(); }

  void headlessRunReportsTheVenueAndKeepsTheSecret() {
    const QString data = dir_.filePath("data"), report = dir_.filePath("report.json");
    const kappa::test::AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        {"--headless", "--venue", "deribit", "--deribit-env", url_, "--data-dir", data, "--demo", "--duration", "6",
         "--report", report},
        {{"KAPPA_DERIBIT_CLIENT_ID", kClientId}, {"KAPPA_DERIBIT_CLIENT_SECRET", QString::fromLatin1(kSecret)}}, report,
        60000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    const QJsonObject& r = run.report;
    const QByteArray& reportBytes = run.reportBytes;
    QCOMPARE(r["venue"].toString(), QString("deribit"));
    const QJsonArray venues = r["venues"].toArray();
    QCOMPARE(venues.size(), 1);
    const QJsonObject v = venues[0].toObject();
    QCOMPARE(v["name"].toString(), QString("deribit"));
    QCOMPARE(v["environment"].toString(), QString("custom"));
    QCOMPARE(v["endpoint"].toString(), url_);
    QCOMPARE(v["state"].toString(), QString("connected"));
    QCOMPARE(v["underlyings"].toArray(), QJsonArray({"BTC", "ETH"}));
    QVERIFY(v["instruments"].toInt() > 100);
    QCOMPARE(v["too_many_requests"].toInt(), 0);
    // The exchange's account as user.portfolio reported it: both coins, with the starting balances.
    const QJsonArray accounts = v["account"].toArray();
    QCOMPARE(accounts.size(), 2);
    for (const QJsonValue& a : accounts) QVERIFY2(a.toObject()["equity"].toDouble() > 0, qPrintable(QJsonDocument(a.toObject()).toJson()));
    // The demo traded through the connector.
    QVERIFY2(r["orders_total"].toInt() > 0, reportBytes.constData());
    QVERIFY(r["fills_total"].toInt() > 0);

    // The secret: nowhere kappa wrote, in any form; the client id only masked in the log.
    const QStringList hits = kappa::test::secretLeaks(run, data, kSecret);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    QVERIFY(kappa::test::findSecretInTree(data, kClientId).isEmpty());
  }
};

QTEST_GUILESS_MAIN(TestDeribitApp)
#include "tst_deribit_app.moc"
