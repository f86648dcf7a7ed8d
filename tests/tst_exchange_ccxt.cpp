// kappa-exchange's fidelity through ccxt, an independent and widely used Deribit client, unchanged
// apart from its URLs: tests/peers/ccxt_fidelity.mjs starts the real exchange on a free loopback
// port, drives ccxt's REST and WebSocket calls and prints PASS/FAIL per check; this test runs it
// and asserts on every line, so a check ccxt stops passing fails here by name.
#include <QProcess>
#include <QtTest>

class TestExchangeCcxt : public QObject {
  Q_OBJECT

 private slots:
  void ccxtTradesAgainstKappaExchange() {
    QVERIFY2(QFileInfo(KAPPA_NODE).isExecutable(), "Node.js not found: ./dev test installs it");
    QProcess node;
    node.setProcessChannelMode(QProcess::SeparateChannels);
    node.start(KAPPA_NODE, {KAPPA_CCXT_SCRIPT, KAPPA_EXCHANGE_BIN});
    QVERIFY2(node.waitForStarted(10'000), qPrintable(node.errorString()));
    // The script bounds its own run at 120 s and stops the exchange by its pid; this is the backstop.
    if (!node.waitForFinished(150'000)) {
      node.kill();
      node.waitForFinished(5'000);
      QFAIL("ccxt_fidelity.mjs did not finish in 150 s");
    }
    const QString out = QString::fromUtf8(node.readAllStandardOutput());
    const QString err = QString::fromUtf8(node.readAllStandardError());
    QStringList passed, failed;
    for (const QString& line : out.split('\n')) {
      if (line.startsWith("PASS")) passed << line.mid(4).trimmed();
      if (line.startsWith("FAIL")) failed << line.mid(4).trimmed();
    }
    for (const QString& p : passed) qInfo("ccxt: %s", qPrintable(p));
    QVERIFY2(failed.isEmpty(), qPrintable("ccxt checks failed:\n" + failed.join('\n') + "\n" + err.right(2000)));
    QCOMPARE(node.exitStatus(), QProcess::NormalExit);
    QVERIFY2(node.exitCode() == 0, qPrintable(out.right(2000) + err.right(2000)));
    // Every check of the script ran (markets, book, ticker, balance, orders, trades, positions, watches).
    QVERIFY2(passed.size() >= 15, qPrintable(QString("only %1 checks passed:\n%2").arg(passed.size()).arg(out)));
  }
};

QTEST_GUILESS_MAIN(TestExchangeCcxt)
#include "tst_exchange_ccxt.moc"
