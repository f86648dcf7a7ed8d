// The kappa executable: headless run with a valid report, usage errors exit 2.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include "TestPaths.hpp"

class TestCli : public QObject {
  Q_OBJECT
  static int run(const QStringList& args, QByteArray* out = nullptr, int timeoutMs = 30000) {
    QProcess p;
    p.start(kappa::test::kappaBinary(), args);
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
                            "orders_total", "fills_total", "positions", "halted", "state", "halts", "risk_events",
                            "journal_records", "strategies", "tick_to_order_ns"})
      QVERIFY2(r.contains(key), key);
    QVERIFY(r["duration_s"].toDouble() >= 2.9);
    QVERIFY(r["events_total"].toInteger() > 2000);
    QVERIFY(r["events_per_second"].toDouble() > 1000);
    QVERIFY(r["instruments"].toInt() >= 200);
    QCOMPARE(r["halted"].toBool(), false);
    QVERIFY(r["positions"].isArray());
    QVERIFY(QFile::exists(dir.filePath("data/logs/kappa.log")));
    // The venues list: the embedded simulator, with both underlyings it lists.
    const QJsonArray venues = r["venues"].toArray();
    QCOMPARE(venues.size(), 1);
    QCOMPARE(venues[0].toObject()["name"].toString(), QString("sim"));
    QCOMPARE(venues[0].toObject()["environment"].toString(), QString("embedded"));
    QCOMPARE(venues[0].toObject()["underlyings"].toArray(), QJsonArray({"BTC", "ETH"}));
  }

  void sigusr1HaltsAHeadlessKappa() {
    QTemporaryDir dir;
    const QString report = dir.filePath("r.json");
    QProcess p;
    p.start(kappa::test::kappaBinary(), {"--headless", "--duration", "4", "--report", report, "--data-dir", dir.filePath("data")});
    QVERIFY(p.waitForStarted());
    QTest::qWait(1500);
    QCOMPARE(::kill(pid_t(p.processId()), SIGUSR1), 0);
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(r["halted"].toBool());
    QCOMPARE(r["state"].toString(), QString("HALTED"));
    QCOMPARE(r["halts"].toInt(), 1);
    QVERIFY(r["journal_records"].toInt() >= 1);  // the halt itself, at least
  }

  void badRiskLimitsStartHaltedWithFileKeyAndReason() {
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath("data"));
    QFile file(dir.filePath("data/risk.json"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\n  \"account\": {\"max_open_orders\": -4}\n}\n");
    file.close();
    const QString report = dir.filePath("r.json");
    QByteArray out;
    QCOMPARE(run({"--headless", "--duration", "2", "--report", report, "--data-dir", dir.filePath("data")}, &out), 0);
    QVERIFY2(out.contains("risk.json: account/max_open_orders: must be a number >= 0"), out.constData());
    QVERIFY2(out.contains("starting HALTED"), out.constData());
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(r["state"].toString(), QString("HALTED"));
    // A bad --risk does the same, naming itself.
    QCOMPARE(run({"--headless", "--duration", "1", "--report", report, "--data-dir", dir.filePath("fresh"), "--risk",
                  "triggers/daily_loss/action=panic"},
                 &out),
             0);
    QVERIFY2(out.contains("--risk triggers/daily_loss/action=panic: action must be"), out.constData());
    f.close();
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()["state"].toString(), QString("HALTED"));
    // A missing file is created with the defaults, and a good --risk applies.
    QVERIFY(QFile::exists(dir.filePath("fresh/risk.json")));
    f.close();
    QCOMPARE(run({"--headless", "--duration", "1", "--report", report, "--data-dir", dir.filePath("fresh"), "--risk",
                  "max_open_orders=7"}),
             0);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject ok = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY2(ok["risk_limits"].toString().endsWith("risk.json + --risk max_open_orders=7"),
             qPrintable(ok["risk_limits"].toString()));
    QVERIFY(ok["breaches"].isArray());
  }

  void usageErrorsExitTwo() {
    QByteArray out;
    QCOMPARE(run({"--no-such-option"}, &out), 2);
    QVERIFY(out.contains("Usage: kappa"));
    QCOMPARE(run({"--headless", "--seed", "abc"}, &out), 2);
    QVERIFY(out.contains("--seed"));
    QCOMPARE(run({"--headless", "--venue", "nyse"}, &out), 2);
    QCOMPARE(run({"--headless", "--duration", "-1"}, &out), 2);
    // The Deribit options name what they need; the order limit is RATE/BURST within Deribit's tiers.
    QCOMPARE(run({"--headless", "--deribit-order-limit", "20/50"}, &out), 2);
    QVERIFY2(out.contains("need --venue deribit"), out.constData());
    for (const char* bad : {"20", "nan/50", "20/inf", "2000/50", "0/20", "20/0", "-5/20", "20/50/1"}) {
      QCOMPARE(run({"--headless", "--venue", "deribit", "--deribit-env", "ws://127.0.0.1:9", "--deribit-order-limit", bad}, &out), 2);
      QVERIFY2(out.contains("--deribit-order-limit must be RATE/BURST") && out.contains(QByteArray("got '") + bad + "'"),
               out.constData());
    }
  }

  // --serve / --attach and the desk commands say what is wrong (exit 2), never echo a password.
  void deskOptionsAreChecked() {
    QByteArray out;
    const std::pair<QStringList, const char*> bad[] = {
        {{"--serve", "nats://127.0.0.1:4222", "--engine-name", "a"}, "add --headless"},
        {{"--headless", "--serve", "nats://127.0.0.1:4222"}, "needs --engine-name"},
        {{"--headless", "--serve", "http://127.0.0.1:4222", "--engine-name", "a"}, "nats:// or tls://"},
        {{"--headless", "--serve", "nats://u:secretpw@127.0.0.1:4222", "--engine-name", "a"}, "user:password@"},
        {{"--headless", "--serve", "nats://127.0.0.1:4222", "--engine-name", "a.b"}, "subject token"},
        {{"--headless", "--serve", "nats://127.0.0.1:4222", "--engine-name", "a", "--desk-fail-closed", "nan"}, "--desk-fail-closed"},
        {{"--headless", "--serve", "nats://127.0.0.1:4222", "--engine-name", "a", "--desk-fail-action", "panic"}, "reduce or halt"},
        {{"--headless", "--engine-name", "a"}, "need --serve"},
        {{"--attach", "nats://127.0.0.1:4222"}, "needs --engine"},
        {{"--attach", "nats://127.0.0.1:4222", "--engine", "a", "--venue", "deribit"}, "belong to the engine's host"},
        {{"--headless", "--tls-ca", "ca.pem"}, "need --serve or --attach"},
        {{"desk-halt", "nats://127.0.0.1:4222"}, "--reason TEXT is required"},
        {{"desk-halt", "--reason", "x"}, "needs the server's URL"},
        {{"desk-limits", "nats://127.0.0.1:4222"}, "--file LIMITS.json is required"},
    };
    for (const auto& [args, named] : bad) {
      QCOMPARE(run(args, &out), 2);
      QVERIFY2(out.contains(named), out.constData());
      QVERIFY2(!out.contains("secretpw"), out.constData());
    }
    // No server there: the desk halt is not accepted (exit 1) and says why.
    QCOMPARE(run({"desk-halt", "nats://127.0.0.1:9", "--reason", "test"}, &out), 1);
    QVERIFY2(out.contains("not accepted: no NATS server at nats://127.0.0.1:9"), out.constData());
  }

  void numbersBeyondTheirRangeAreRefused() {
    // Each of these ran on: NaN passes every range comparison, a delay beyond int milliseconds
    // overflowed into Qt's timer (which then never fired), a start after 2262 overflowed int64
    // nanoseconds, one before 1970 became "now". Each is now refused with its reason (status 2).
    QTemporaryDir dir;
    const QList<QStringList> bad = {
        {"--duration", "nan"},         {"--duration", "inf"},          {"--duration", "3000000"},
        {"--duration", "1e300"},       {"--duration", "-inf"},         {"--duration", "0"},
        {"--after", "nan"},            {"--after", "1e300"},           {"--feed-rate", "nan"},
        {"--feed-rate", "inf"},        {"--plugin-budget-ms", "nan"},  {"--plugin-budget-ms", "inf"},
        {"--plugin-hang-s", "nan"},    {"--plugin-hang-s", "inf"},     {"--sim-start", "2263-01-01T00:00:00Z"},
        {"--sim-start", "2200-01-01T00:00:00Z"}, {"--sim-start", "1969-12-31T23:59:59Z"},
        {"--sim-start", "1970-01-01T00:00:00Z"}, {"--sim-start", "0001-01-01T00:00:00Z"}};
    for (const QStringList& args : bad) {
      QByteArray out;
      const int rc = run(QStringList{"--headless", "--data-dir", dir.filePath("d")} + args, &out, 10000);
      QVERIFY2(rc == 2, qPrintable(args.join(' ') + QString(": exit %1").arg(rc)));
      QVERIFY2(out.contains(args[0].toUtf8() + " must be") && out.contains("got '" + args[1].toUtf8() + "'"),
               out.constData());
    }
    // The last start the simulator's clock takes runs (its expiries a year on still fit).
    const QString report = dir.filePath("r.json");
    QCOMPARE(run({"--headless", "--duration", "1", "--sim-start", "2199-12-31T12:00:00Z", "--report", report,
                  "--data-dir", dir.filePath("late")}),
             0);
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray expiries = QJsonDocument::fromJson(f.readAll()).object()["option_expiries"].toArray();
    QVERIFY(expiries.size() >= 6);
    QCOMPARE(expiries.at(0).toString(), QString("2200-01-01T08:00:00Z"));
  }

  void riskNumberBeyondADoubleStartsHalted() {
    // 1e400 is a number no double holds: the JSON library threw an exception nobody caught (exit
    // 134). Now it is a bad value like any other: HALTED, with the file, the key and the reason.
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath("data"));
    QFile file(dir.filePath("data/risk.json"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"version":1,"account":{"max_open_orders":1e400}})");
    file.close();
    const QString report = dir.filePath("r.json");
    QByteArray out;
    QCOMPARE(run({"--headless", "--duration", "1", "--report", report, "--data-dir", dir.filePath("data")}, &out), 0);
    QVERIFY2(out.contains("risk.json: account/max_open_orders: 1e400 is out of range"), out.constData());
    QVERIFY2(out.contains("starting HALTED"), out.constData());
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()["state"].toString(), QString("HALTED"));
    f.close();
    QCOMPARE(run({"--headless", "--duration", "1", "--report", report, "--data-dir", dir.filePath("fresh"), "--risk",
                  "max_open_orders=1e400"},
                 &out),
             0);
    QVERIFY2(out.contains("--risk max_open_orders=1e400: 1e400 is out of range"), out.constData());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()["state"].toString(), QString("HALTED"));
  }

  void simStartMakesTheMarketReproducible() {
    // With --sim-start the listed market is the same on any day: Deribit's calendar from that time.
    QTemporaryDir dir;
    auto expiries = [&](const QString& start, const QString& name) {
      const QString report = dir.filePath(name);
      const int rc = run({"--headless", "--duration", "1", "--seed", "4", "--sim-start", start, "--report", report,
                          "--data-dir", dir.filePath("d")});
      QFile f(report);
      f.open(QIODevice::ReadOnly);
      return std::pair{rc, QJsonDocument::fromJson(f.readAll()).object()["option_expiries"].toArray()};
    };
    const auto [rc1, a] = expiries("2026-11-23T09:00:00Z", "a.json");
    const auto [rc2, b] = expiries("2026-11-23T09:00:00Z", "b.json");
    QCOMPARE(rc1, 0);
    QCOMPARE(rc2, 0);
    QCOMPARE(a, b);
    QVERIFY(a.size() >= 6);
    QCOMPARE(a.at(0).toString(), QString("2026-11-24T08:00:00Z"));  // tomorrow's daily
    QCOMPARE(a.at(1).toString(), QString("2026-11-25T08:00:00Z"));
    QCOMPARE(a.at(2).toString(), QString("2026-11-27T08:00:00Z"));  // Friday weekly
    QByteArray out;
    QCOMPARE(run({"--headless", "--sim-start", "yesterday"}, &out), 2);
    QVERIFY(out.contains("--sim-start"));
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
