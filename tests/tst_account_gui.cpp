// The terminal over the Deribit connector shows the exchange's account and the connection: a real
// kappa-exchange process (port 0, its first stdout line), an Engine over a DeribitVenue (BTC and
// ETH), the real MainWindow. The Account tab shows both currencies' equity from user.portfolio; the
// status bar names the venue, its environment and the state in green only while connected; when
// the exchange process dies the status bar says DISCONNECTED, in red, with the retry countdown.
// KAPPA_TEST_SHOTS=DIR saves the window at each step (to look at, not compared).
#include <QtTest>

#include <QDockWidget>
#include <QLabel>
#include <QProcess>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>

#include "ExchangeProcess.hpp"
#include "AccountPanel.hpp"
#include "MainWindow.hpp"
#include "OptionChainBoard.hpp"
#include "VolSurfaceView.hpp"
#include "Theme.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;
using namespace kappa::deribit;

namespace {
const char* kClientId = "tst-account";
const char* kSecret = "tst-account-secret-51c7";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

double number(const QString& text) {
  bool ok = false;
  const double v = text.toDouble(&ok);
  return ok ? v : -1;
}
}  // namespace

class TestAccountGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;

  void shot(QWidget* w, const QString& name) const {
    const QString dir = qEnvironmentVariable("KAPPA_TEST_SHOTS");
    if (!dir.isEmpty()) w->grab().save(QDir(dir).filePath(name + ".png"));
  }
  static QLabel* venueLabel(MainWindow& w, const QString& text) {
    for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
      if (l->text() == text) return l;
    return nullptr;
  }

 private slots:
  void initTestCase() {
    applyDarkTheme(*qApp);
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    const QString failed =
        exchange_.start(bin, {"--seed", "3", "--account", QString(kClientId) + ":" + kSecret, "--min-heartbeat", "1"},
                        dir_.filePath("exchange.err"));
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
  }

  void cleanupTestCase() { exchange_.stop(); }

  void accountAndConnectionOverTheConnector() {
    DeribitVenueConfig c;
    std::string error;
    QVERIFY(parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port_), c.endpoint, error));
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC", "ETH"};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(15000);
    c.backoffInitial = std::chrono::milliseconds(2000);  // a countdown long enough to be seen
    c.heartbeatIntervalS = 1;  // the exchange allows it (--min-heartbeat): the status bar's latency soon
    Engine engine(std::make_unique<DeribitVenue>(c));
    QVERIFY2(engine.instruments().find("ETH-PERPETUAL"), "the venue listed no ETH instruments");
    QVERIFY2(engine.venueEnvironment().find("127.0.0.1:" + std::to_string(port_)) != std::string::npos,
             engine.venueEnvironment().c_str());
    engine.setDataDir(dir_.filePath("data").toStdString());
    engine.start();
    {
      MainWindow w(engine, dir_.filePath("layout.ini"));
      w.show();
      QVERIFY(QTest::qWaitForWindowExposed(&w));
      w.showAccount();
      AccountPanel* account = w.accountPanel();
      QVERIFY(account && account->isVisible());

      // user.portfolio for both currencies reaches the panel through the engine's snapshot.
      QTRY_VERIFY_WITH_TIMEOUT(number(account->text("BTC", AccountPanel::Equity)) > 0 &&
                                   number(account->text("ETH", AccountPanel::Equity)) > 0,
                               30000);
      for (const char* cur : {"BTC", "ETH"}) {
        QVERIFY2(number(account->text(cur, AccountPanel::Balance)) > 0, cur);
        QVERIFY2(number(account->text(cur, AccountPanel::Available)) > 0, cur);
        QVERIFY2(account->text(cur, AccountPanel::MarginUse).endsWith("%"), qPrintable(account->text(cur, AccountPanel::MarginUse)));
        QVERIFY2(account->text(cur, AccountPanel::Age).endsWith(" s"), qPrintable(account->text(cur, AccountPanel::Age)));
      }
      const EngineSnapshot* s = w.lastSnapshot();
      QVERIFY(s);
      QCOMPARE(s->venues[0].accounts.size(), std::size_t(2));

      // A position moves the exchange's margin, and the panel follows: 20,000 USD of the perpetual
      // bought through the engine (the exchange asks 2 % initial margin on futures).
      for (const char* a : {"max_position=1000000000", "instruments/@perpetual/max_position=1000000000", "price_band=0.5"})
        engine.changeRiskLimit(a, "test");
      const Instrument* perp = engine.instruments().find("BTC-PERPETUAL");
      QVERIFY(perp);
      QTRY_VERIFY_WITH_TIMEOUT(engine.call([&] { return engine.marketData().book(perp->id).live(); }), 20000);
      OrderRequest buy;
      buy.instrument = perp->id;
      buy.side = Side::Buy;
      buy.type = OrderType::Market;
      buy.qty = toFixed(20'000);
      engine.submit(buy);
      QTRY_VERIFY_WITH_TIMEOUT(number(account->text("BTC", AccountPanel::InitialMargin)) > 0, 20000);
      QVERIFY2(number(account->text("BTC", AccountPanel::MaintenanceMargin)) > 0,
               qPrintable(account->text("BTC", AccountPanel::MaintenanceMargin)));
      QTRY_VERIFY_WITH_TIMEOUT(w.lastSnapshot()->venues[0].accounts.size() == 2 &&
                                   w.lastSnapshot()->venues[0].accounts[0].account.currency == "BTC" &&
                                   w.lastSnapshot()->venues[0].accounts[0].account.initialMargin > 0,
                               5000);
      {
        const VenueAccount btc = w.lastSnapshot()->venues[0].accounts[0].account;
        QVERIFY2(btc.availableFunds < btc.equity, "margin in use leaves less available than the equity");
        // Margin use is initial margin over equity, of the figures the panel shows.
        QTRY_VERIFY_WITH_TIMEOUT(account->text("BTC", AccountPanel::MarginUse) ==
                                     QString("%1 %").arg(w.lastSnapshot()->venues[0].accounts[0].account.initialMargin /
                                                             w.lastSnapshot()->venues[0].accounts[0].account.equity * 100,
                                                         0, 'f', 1),
                                 5000);
      }
      QCOMPARE(number(account->text("ETH", AccountPanel::InitialMargin)), 0.0);  // nothing traded in ETH

      // Connected: venue, environment and state, green.
      QTRY_VERIFY_WITH_TIMEOUT(w.venueStatusText().contains("CONNECTED"), 10000);
      QString status = w.venueStatusText();
      QVERIFY2(status.contains("deribit") && status.contains(QString("127.0.0.1:%1").arg(port_)), qPrintable(status));
      QVERIFY2(!status.contains("DISCONNECTED"), qPrintable(status));
      QCOMPARE(w.venueStatusColor(), colors::bid.name());
      QLabel* label = venueLabel(w, status);
      QVERIFY2(label && label->isVisible(), "the venue state is not in the status bar");
      // The last heartbeat's round trip, once one has come back.
      QTRY_VERIFY_WITH_TIMEOUT(w.venueStatusText().contains(QRegularExpression(" · hb [0-9.]+ ms")), 15000);
      QTRY_VERIFY_WITH_TIMEOUT(venueLabel(w, w.venueStatusText()) &&
                                   venueLabel(w, w.venueStatusText())->toolTip().contains("Last heartbeat round trip"),
                               5000);
      shot(&w, "account-connected");

      // The chain shows Deribit's own mark IV beside ours, and the difference, from the venue's
      // ticker channel: columns the simulator's chain does not have.
      OptionChainBoard* board = w.chainBoard();
      QVERIFY(board);
      QTRY_VERIFY_WITH_TIMEOUT(board->venueColumnsShown() && board->rowCount() > 0, 30000);
      QCOMPARE(board->table()->model()->headerData(OptionChainBoard::CallVenueIv, Qt::Horizontal).toString(), QString("Deribit IV"));
      QVERIFY(!board->table()->isColumnHidden(OptionChainBoard::CallIvDiff));
      QVERIFY(!board->table()->isColumnHidden(OptionChainBoard::PutIvDiff));
      {
        // Some row has both marks; its difference is ours minus Deribit's, to the 0.1 vol point shown.
        auto value = [&](int row, int col) {
          return board->table()->model()->index(row, col).data().toString().remove('%').replace(QChar(0x2212), '-').toDouble();
        };
        int row = -1;
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                   for (int r = 0; r < board->rowCount(); ++r)
                                     if (!board->table()->model()->index(r, OptionChainBoard::CallVenueIv).data().toString().isEmpty() &&
                                         !board->table()->model()->index(r, OptionChainBoard::CallMarkIv).data().toString().isEmpty())
                                       return (row = r) >= 0;
                                   return false;
                                 }()),
                                 20000);
        const double ours = value(row, OptionChainBoard::CallMarkIv), theirs = value(row, OptionChainBoard::CallVenueIv);
        const double diff = value(row, OptionChainBoard::CallIvDiff);
        QVERIFY2(ours > 1 && theirs > 1, qPrintable(QString("%1 %2").arg(ours).arg(theirs)));
        QVERIFY2(std::abs(diff - (ours - theirs)) <= 0.11, qPrintable(QString("%1 - %2 shown as %3").arg(ours).arg(theirs).arg(diff)));
        const QString tip = board->table()->model()->index(row, OptionChainBoard::CallIvDiff).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("Deribit") && tip.contains("ours"), qPrintable(tip));
      }
      // The smile draws Deribit's marks beside the market's IVs and our fit.
      QTRY_VERIFY_WITH_TIMEOUT(w.volSurface()->venueMarkPoints() > 0, 20000);

      // The exchange dies: the status bar says so, not green, with the reconnect countdown.
      exchange_.process().kill();
      QVERIFY(exchange_.process().waitForFinished(5000));
      QTRY_VERIFY_WITH_TIMEOUT(w.venueStatusText().contains("DISCONNECTED"), 15000);
      QTRY_VERIFY_WITH_TIMEOUT(w.venueStatusText().contains("retry in"), 15000);
      status = w.venueStatusText();
      QVERIFY2(w.venueStatusColor() != colors::bid.name(), qPrintable(w.venueStatusColor()));
      QVERIFY2(status.contains("deribit"), qPrintable(status));
      label = venueLabel(w, status);
      QVERIFY(label);
      QVERIFY2(label->toolTip().contains("next retry in"), qPrintable(label->toolTip()));
      // The venue's own "books stale" markers carry no exchange time: no absurd lag (they once
      // read as data sent at the epoch, decades late) and no engine_lag halt from them.
      QVERIFY2(w.lastSnapshot()->venueLagMs < 3'600'000.0, qPrintable(QString::number(w.lastSnapshot()->venueLagMs)));
      QVERIFY2(!w.venueStatusText().contains("late"), qPrintable(w.venueStatusText()));
      // The last account figures stay, with their age.
      QVERIFY(number(account->text("BTC", AccountPanel::Equity)) > 0);
      const QModelIndex equity = account->view()->model()->index(0, AccountPanel::Equity);
      QTRY_VERIFY_WITH_TIMEOUT(equity.data(Qt::ToolTipRole).toString().contains("not connected"), 5000);
      QCOMPARE(equity.data(Qt::ForegroundRole).value<QBrush>().color(), colors::dimText);
      shot(&w, "account-disconnected");
    }
    engine.stop();
  }

  // The embedded simulator keeps no exchange account: the panel says so, never zeros.
  void simulatorHasNoAccount() {
    sim::SimConfig cfg;
    cfg.seed = 5;
    Engine engine(std::make_unique<sim::SimVenue>(cfg));
    QVERIFY(engine.venueEnvironment().empty());
    engine.setDataDir(dir_.filePath("sim").toStdString());
    engine.start();
    {
      MainWindow w(engine, dir_.filePath("layout-sim.ini"));
      w.show();
      QVERIFY(QTest::qWaitForWindowExposed(&w));
      w.showAccount();
      QTRY_VERIFY_WITH_TIMEOUT(w.lastSnapshot() != nullptr, 10000);
      QTRY_VERIFY_WITH_TIMEOUT(w.venueStatusText().contains("CONNECTED"), 10000);
      QCOMPARE(w.accountPanel()->view()->model()->rowCount(), 0);
      QVERIFY(w.lastSnapshot()->venues[0].accounts.empty());
      // No venue marks: the chain has no venue IV columns.
      QTRY_VERIFY_WITH_TIMEOUT(w.chainBoard()->rowCount() > 0, 20000);
      QVERIFY(!w.chainBoard()->venueColumnsShown());
      QVERIFY(w.chainBoard()->table()->isColumnHidden(OptionChainBoard::CallIvDiff));
      QVERIFY(w.chainBoard()->table()->isColumnHidden(OptionChainBoard::PutVenueIv));
      QCOMPARE(w.volSurface()->venueMarkPoints(), 0);
      shot(&w, "account-simulator");
    }
    engine.stop();
  }
};

QTEST_MAIN(TestAccountGui)
#include "tst_account_gui.moc"
