// The kappa executable: headless run with a valid report, usage errors exit 2.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

class TestCli : public QObject {
  Q_OBJECT
  static int run(const QStringList& args, QByteArray* out = nullptr, int timeoutMs = 30000) {
    QProcess p;
    p.start(KAPPA_BINARY, args);
    if (!p.waitForFinished(timeoutMs)) {
      p.kill();
      return -1;
    }
    if (out) *out = p.readAllStandardOutput() + p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  }

 private slots:
  void headlessRunWritesValidReport() {
    QTemporaryDir dir;
    const QString report = dir.filePath("r.json");
    QCOMPARE(run({"--headless", "--duration", "3", "--report", report, "--data-dir", dir.filePath("data"), "--seed", "9"}), 0);
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonParseError err;
    const QJsonObject r = QJsonDocument::fromJson(f.readAll(), &err).object();
    QCOMPARE(err.error, QJsonParseError::NoError);
    for (const char* key : {"kappa_version", "duration_s", "events_total", "events_per_second", "instruments",
                            "orders_total", "fills_total", "positions", "halted"})
      QVERIFY2(r.contains(key), key);
    QVERIFY(r["duration_s"].toDouble() >= 2.9);
    QVERIFY(r["events_total"].toInteger() > 2000);
    QVERIFY(r["events_per_second"].toDouble() > 1000);
    QVERIFY(r["instruments"].toInt() >= 200);
    QCOMPARE(r["halted"].toBool(), false);
    QVERIFY(r["positions"].isArray());
    QVERIFY(QFile::exists(dir.filePath("data/logs/kappa.log")));
  }

  void usageErrorsExitTwo() {
    QByteArray out;
    QCOMPARE(run({"--no-such-option"}, &out), 2);
    QVERIFY(out.contains("Usage: kappa"));
    QCOMPARE(run({"--headless", "--seed", "abc"}, &out), 2);
    QVERIFY(out.contains("--seed"));
    QCOMPARE(run({"--headless", "--venue", "nyse"}, &out), 2);
    QCOMPARE(run({"--headless", "--duration", "-1"}, &out), 2);
  }

  void versionAndHelp() {
    QByteArray out;
    QCOMPARE(run({"--version"}, &out), 0);
    QVERIFY(out.startsWith("kappa "));
    QCOMPARE(run({"--help"}, &out), 0);
    for (const char* opt : {"--seed", "--data-dir", "--headless", "--duration", "--report", "--screenshot", "--after", "--venue"})
      QVERIFY2(out.contains(opt), opt);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
