// kappa-exchange's Binance USD-M futures fidelity through independent clients, unchanged apart from
// their base URLs: tests/peers/binance_fidelity.mjs drives Binance's own connector
// (@binance/derivatives-trading-usds-futures) and ccxt's binanceusdm against the real exchange and
// prints PASS/FAIL per check; this test runs it and asserts on every line.
#include <QProcess>
#include <QtTest>

class TestExchangeBinanceClients : public QObject {
  Q_OBJECT

 private slots:
  void binanceClientsTradeAgainstKappaExchange() {
    QVERIFY2(QFileInfo(KAPPA_NODE).isExecutable(), "Node.js not found: ./dev test installs it");
    QProcess node;
    node.setProcessChannelMode(QProcess::SeparateChannels);
    node.start(KAPPA_NODE, {KAPPA_BINANCE_SCRIPT, KAPPA_EXCHANGE_BIN});
    QVERIFY2(node.waitForStarted(10'000), qPrintable(node.errorString()));
    // The script bounds its own run at 150 s and stops the exchange by its pid; this is the backstop.
    if (!node.waitForFinished(170'000)) {
      node.kill();
      node.waitForFinished(5'000);
      QFAIL("binance_fidelity.mjs did not finish in 170 s");
    }
    const QString out = QString::fromUtf8(node.readAllStandardOutput());
    const QString err = QString::fromUtf8(node.readAllStandardError());
    QStringList passed, failed;
    for (const QString& line : out.split('\n')) {
      if (line.startsWith("PASS")) passed << line.mid(4).trimmed();
      if (line.startsWith("FAIL")) failed << line.mid(4).trimmed();
    }
    for (const QString& p : passed) qInfo("binance: %s", qPrintable(p));
    QVERIFY2(failed.isEmpty(), qPrintable("Binance client checks failed:\n" + failed.join('\n') + "\n" + err.right(2000)));
    QCOMPARE(node.exitStatus(), QProcess::NormalExit);
    QVERIFY2(node.exitCode() == 0, qPrintable(out.right(2000) + err.right(2000)));
    QVERIFY2(passed.size() >= 30, qPrintable(QString("only %1 checks passed:\n%2").arg(passed.size()).arg(out)));
  }
};

QTEST_GUILESS_MAIN(TestExchangeBinanceClients)
#include "tst_exchange_binance_clients.moc"
