// kappa-exchange's fidelity through ccxt, an independent and widely used Deribit client, unchanged
// apart from its URLs: tests/peers/ccxt_fidelity.mjs starts the real exchange on a free loopback
// port, drives ccxt's REST and WebSocket calls and prints PASS/FAIL per check; this test runs it
// and asserts on every line, so a check ccxt stops passing fails here by name.
#include <QtTest>

#include "NodePeer.hpp"
#include "TestPaths.hpp"

class TestExchangeCcxt : public QObject {
  Q_OBJECT

 private slots:
  void ccxtTradesAgainstKappaExchange() {
    // The script bounds its own run at 120 s and stops the exchange by its pid; 150 s is the backstop.
    const kappa::test::NodePeerRun run = kappa::test::runNodePeer(KAPPA_NODE, kappa::test::peersDir() + "/ccxt_fidelity.mjs", {kappa::test::builtExchangeBinary()}, 150'000);
    for (const QString& p : run.passed) qInfo("ccxt: %s", qPrintable(p));
    // Every check of the script ran (markets, book, ticker, balance, orders, trades, positions, watches).
    const QString failure = kappa::test::peerRunFailure(run, "ccxt", 15);
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
  }
};

QTEST_GUILESS_MAIN(TestExchangeCcxt)
#include "tst_exchange_ccxt.moc"
