// Restart after a crash: a busy headless kappa (a plugin trading the perpetual, demo orders on the
// perpetual and options) is killed with
// SIGKILL at 20 random moments; after each kill a new kappa starts on the same data directory and
// must hold every journaled fill in its positions, number orders after the journal's last (no id
// used twice), and come back in the state the last session left: once, HALT (SIGUSR1) is pressed
// before the kill, and every later start is HALTED.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <map>
#include <sqlite3.h>
#include "TestPaths.hpp"

namespace {
// Sum of journaled fills per instrument (signed, instrument units), straight from SQLite.
std::map<QString, double> journaledPositions(const QString& file) {
  std::map<QString, double> pos;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return pos;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT instrument, side, qty FROM journal WHERE kind = 'fill'", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    const QString inst = QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    const bool sell = QByteArray(reinterpret_cast<const char*>(sqlite3_column_text(s, 1))) == "sell";
    pos[inst] += (sell ? -1.0 : 1.0) * double(sqlite3_column_int64(s, 2)) / 1e8;
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return pos;
}

qint64 scalar(const QString& file, const char* sql) {
  sqlite3* db = nullptr;
  qint64 v = -1;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return v;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}
}  // namespace

class TestRestart : public QObject {
  Q_OBJECT
 private slots:
  void killNineAtRandomMomentsLosesNothing() {
    QTemporaryDir dir;
    const QString data = dir.filePath("data"), journal = data + "/journal.sqlite";
    // Trades often: short EMAs, tiny crossing margin, 1 bp stop and take, no cooldown.
    const QString plugin = kappa::test::pluginDir() +
                           "/kappa-perp-momentum.so:fast_s=0.3,slow_s=1,qty_usd=100,stop_pct=0.01,take_pct=0.01,"
                           "cooldown_s=0,cross_bp=0.05";
    QRandomGenerator rng(42);
    int haltedAtCycle = -1;
    qint64 fillsSeen = 0;
    for (int cycle = 0; cycle < 20; ++cycle) {
      // Once halted, a restart stays halted and refuses to start a strategy: run without one.
      // --demo adds market orders on the perpetual and options a second in: fills in most cycles.
      QStringList args{"--headless", "--data-dir", data, "--seed", QString::number(cycle + 1), "--demo"};
      if (haltedAtCycle < 0) args << "--plugin" << plugin;
      QProcess busy;
      busy.start(kappa::test::kappaBinary(), args);
      QVERIFY(busy.waitForStarted());
      QTest::qWait(800 + int(rng.bounded(1700)));
      if (cycle == 14) {  // press HALT (SIGUSR1), give it a moment to be journaled, then crash
        QCOMPARE(::kill(pid_t(busy.processId()), SIGUSR1), 0);
        QTest::qWait(300);
        haltedAtCycle = cycle;
      }
      QCOMPARE(::kill(pid_t(busy.processId()), SIGKILL), 0);
      QVERIFY(busy.waitForFinished(10000));

      // Restart: a short headless run that reports what it restored.
      const QString report = dir.filePath(QString("r%1.json").arg(cycle));
      QProcess after;
      after.start(kappa::test::kappaBinary(), {"--headless", "--data-dir", data, "--duration", "0.5", "--report", report});
      QVERIFY(after.waitForFinished(30000));
      QCOMPARE(after.exitCode(), 0);
      QFile f(report);
      QVERIFY(f.open(QIODevice::ReadOnly));
      const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
      // Every journaled fill is in the positions.
      const std::map<QString, double> expected = journaledPositions(journal);
      std::map<QString, double> reported;
      for (const QJsonValue& p : r["positions"].toArray())
        reported[p["instrument"].toString()] = p["qty"].toDouble();
      for (const auto& [inst, qty] : expected) {
        if (qty == 0) continue;
        QVERIFY2(std::abs(reported[inst] - qty) < 1e-6,
                 qPrintable(QString("cycle %1: %2 journaled %3, restored %4").arg(cycle).arg(inst).arg(qty).arg(reported[inst])));
      }
      // No order id used twice across the sessions.
      QCOMPARE(scalar(journal, "SELECT count(*) FROM (SELECT order_id FROM journal WHERE kind = 'order_intent' "
                               "GROUP BY order_id HAVING count(*) > 1)"),
               qint64(0));
      // The state: HALTED from the cycle HALT was pressed on, ACTIVE before.
      QCOMPARE(r["halted"].toBool(), haltedAtCycle >= 0);
      fillsSeen = scalar(journal, "SELECT count(*) FROM journal WHERE kind = 'fill'");
    }
    QVERIFY2(fillsSeen >= 20, qPrintable(QString("only %1 fills were journaled: the test did not trade").arg(fillsSeen)));
    QVERIFY(scalar(journal, "SELECT count(*) FROM session") >= 40);
  }

  // The trader's strategy set-up survives a restart: the plugins and the instances with their
  // parameters come back, stopped (configured), for the trader to start again.
  void strategySetupComesBackStopped() {
    QTemporaryDir dir;
    const QString data = dir.filePath("data");
    auto run = [&](QStringList extra, const QString& report) {
      QProcess p;
      p.start(kappa::test::kappaBinary(), QStringList{"--headless", "--data-dir", data, "--duration", "1.5", "--report", report} + extra);
      if (!p.waitForFinished(30000) || p.exitCode() != 0) return QJsonObject();
      QFile f(report);
      return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
    };
    const QJsonObject first =
        run({"--plugin", kappa::test::pluginDir() + "/kappa-perp-momentum.so:fast_s=7,qty_usd=200", "--plugin",
             kappa::test::pluginDir() + "/kappa-delta-hedger.so"},
            dir.filePath("r1.json"));
    QCOMPARE(first["strategies"].toArray().size(), 2);
    const QJsonObject after = run({}, dir.filePath("r2.json"));
    const QJsonArray restored = after["strategies"].toArray();
    QCOMPARE(restored.size(), 2);
    QCOMPARE(after["plugins"].toArray().size(), 2);
    QJsonObject momentum;
    for (const QJsonValue& v : restored)
      if (v["strategy_id"].toString().endsWith("perp-momentum")) momentum = v.toObject();
    QCOMPARE(momentum["state"].toString(), QString("configured"));  // not running: the trader starts it
    QCOMPARE(momentum["parameters"].toObject()["fast_s"].toString(), QString("7"));
    QCOMPARE(momentum["parameters"].toObject()["qty_usd"].toString(), QString("200"));
    // And again: a restart of a restart keeps the same set-up (the session's end removes nothing).
    QCOMPARE(run({}, dir.filePath("r3.json"))["strategies"].toArray().size(), 2);
  }
};

QTEST_GUILESS_MAIN(TestRestart)
#include "tst_restart.moc"
