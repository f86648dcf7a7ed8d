// kappa-exchange's Binance USD-M futures fidelity through independent clients, unchanged apart from
// their base URLs: tests/peers/binance_fidelity.mjs drives Binance's own connector
// (@binance/derivatives-trading-usds-futures) and ccxt's binanceusdm against the real exchange and
// prints PASS/FAIL per check; this test runs it and asserts on every line.
#include <QtTest>

#include "NodePeer.hpp"
#include "TestPaths.hpp"

class TestExchangeBinanceClients : public QObject {
  Q_OBJECT

 private slots:
  void binanceClientsTradeAgainstKappaExchange() {
    // The script bounds its own run at 150 s and stops the exchange by its pid; 170 s is the backstop.
    const kappa::test::NodePeerRun run =
        kappa::test::runNodePeer(KAPPA_NODE, kappa::test::peersDir() + "/binance_fidelity.mjs", {kappa::test::builtExchangeBinary()}, 170'000);
    for (const QString& p : run.passed) qInfo("binance: %s", qPrintable(p));
    const QString failure = kappa::test::peerRunFailure(run, "Binance client", 30);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
  }
};

QTEST_GUILESS_MAIN(TestExchangeBinanceClients)
#include "tst_exchange_binance_clients.moc"
