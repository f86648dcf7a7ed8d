// The trading window over two venues at once: the embedded simulator and Deribit on a real
// kappa-exchange, both listing BTC-PERPETUAL. Checked on the real widgets: the Venue columns are
// shown, the watchlist, ladder and order entry name each perpetual "venue:name", the basis of
// Deribit's perpetual is its mid minus the simulator's (the first venue's) from the same snapshot,
// the account rows are per venue and dim on their own when their venue drops, the risk strip shows
// each venue after HALT ALL, and File → Connections… lists both venues with their live state.
#include <QtTest>

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>

#include "AccountPanel.hpp"
#include "ConnectionsDialog.hpp"
#include "ExchangeProcess.hpp"
#include "TestVenues.hpp"
#include "LadderPanel.hpp"
#include "MainWindow.hpp"
#include "OrderTicket.hpp"
#include "RiskPanel.hpp"
#include "core/Clock.hpp"
#include "models/TradingModels.hpp"
#include "models/WatchlistModel.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;

namespace {
const char* kClientId = "tst-multi-gui";
const char* kSecret = "tst-multi-gui-secret-8d21";

// The row of the watchlist whose Name cell reads `name`, or -1.
int watchRow(WatchlistModel* m, const QString& name) {
  for (int r = 0; r < m->rowCount(); ++r)
    if (m->index(r, WatchlistModel::Name).data().toString() == name) return r;
  return -1;
}
bool hasLabel(QWidget* w, const QString& text) {
  for (QLabel* l : w->findChildren<QLabel*>())
    if (l->text() == text) return true;
  return false;
}
}  // namespace

class TestMultiVenueGui : public QObject {
  Q_OBJECT
  test::ExchangeProcess exchange_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MainWindow> window_;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--account", QString(kClientId) + ":" + kSecret,
                                                                   "--me-limit", "0/0", "--non-me-limit", "0/0"});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    const sim::SimConfig sim = test::simNow();
    deribit::DeribitVenueConfig c;
    QVERIFY(test::deribitOn(exchange_, kClientId, kSecret, c));
    std::vector<std::unique_ptr<Venue>> venues;
    venues.push_back(std::make_unique<sim::SimVenue>(sim));
    venues.push_back(std::make_unique<deribit::DeribitVenue>(c));
    engine_ = std::make_unique<Engine>(std::move(venues));
    engine_->setDataDir(dir_.filePath("data").toStdString());
    engine_->start();
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    // Deribit's instruments arrive once the connector has listed them; then both perpetuals show.
    QTRY_VERIFY_WITH_TIMEOUT(watchRow(window_->watchlistModel(), "deribit:BTC-PERPETUAL") >= 0, 30000);
  }
  void cleanupTestCase() {
    window_.reset();
    if (engine_) engine_->stop();
    engine_.reset();
    exchange_.stop();
  }

  // Venue columns shown (two venues), names qualified where both list them, bare where one does.
  void venueColumnsAndNames() {
    MainWindow& w = *window_;
    QVERIFY(!w.ordersView()->isColumnHidden(OrdersModel::Venue));
    QVERIFY(!w.positionsView()->isColumnHidden(PositionsModel::Venue));
    QVERIFY(!w.positionsView()->isColumnHidden(PositionsModel::PnlUsd));
    QVERIFY(!w.watchlistView()->isColumnHidden(WatchlistModel::Basis));
    QVERIFY(!w.accountPanel()->view()->isColumnHidden(AccountPanel::Venue));
    QCOMPARE(w.ordersModel()->headerData(OrdersModel::Venue, Qt::Horizontal, Qt::DisplayRole).toString(), QString("Venue"));
    WatchlistModel* m = w.watchlistModel();
    QVERIFY(watchRow(m, "sim:BTC-PERPETUAL") >= 0);
    QVERIFY(watchRow(m, "BTC-PERPETUAL") < 0);  // never ambiguous
    const Instrument* deribitPerp = engine_->findInstrument("deribit:BTC-PERPETUAL");
    QVERIFY(deribitPerp);
    QCOMPARE(QString::fromStdString(engine_->displayName(deribitPerp->id)), QString("deribit:BTC-PERPETUAL"));

    // Clicking Deribit's perpetual in the watchlist: the ladder and the ticket say which venue.
    QTableView* view = w.watchlistView();
    const int row = watchRow(m, "deribit:BTC-PERPETUAL");
    view->scrollTo(view->model()->index(row, 0));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(view->model()->index(row, 0)).center());
    QTRY_COMPARE(w.selectedInstrument(), deribitPerp->id);
    QVERIFY(hasLabel(w.ladderPanel(), "deribit:BTC-PERPETUAL"));
    QVERIFY(hasLabel(w.ticket(), "deribit:BTC-PERPETUAL"));

    // The filter takes "venue:name".
    auto* filter = w.findChild<QLineEdit*>("watchlistFilter");
    QVERIFY(filter);
    QTest::keyClicks(filter, "sim:btc-perp");
    QCOMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 0).data().toString(), QString("sim:BTC-PERPETUAL"));
    filter->clear();
  }

  // Deribit's perpetual against the first venue's (the simulator's): mid minus mid, in USD and bps,
  // from the snapshot the window drew.
  void basisIsTheMidsDifference() {
    MainWindow& w = *window_;
    WatchlistModel* m = w.watchlistModel();
    const int row = watchRow(m, "deribit:BTC-PERPETUAL");
    QTRY_VERIFY_WITH_TIMEOUT(std::isfinite(m->basisUsd(row)), 20000);
    const EngineSnapshot& s = engine_->snapshot();  // the one the last frame applied (only frame() takes)
    const InstrumentId d = engine_->findInstrument("deribit:BTC-PERPETUAL")->id;
    const InstrumentId sp = engine_->findInstrument("sim:BTC-PERPETUAL")->id;
    const double dMid = (toDouble(s.quotes[d].bid) + toDouble(s.quotes[d].ask)) / 2;
    const double sMid = (toDouble(s.quotes[sp].bid) + toDouble(s.quotes[sp].ask)) / 2;
    QVERIFY(dMid > 0 && sMid > 0);
    QVERIFY2(std::abs(m->basisUsd(row) - (dMid - sMid)) < 1e-6,
             qPrintable(QString("basis %1, mids %2 - %3").arg(m->basisUsd(row)).arg(dMid).arg(sMid)));
    const QString bps = m->index(row, WatchlistModel::BasisBps).data().toString();
    QCOMPARE(bps, QString::asprintf("%+.1f", 1e4 * (dMid - sMid) / sMid));
    QVERIFY(m->index(row, WatchlistModel::Basis).data().toString().remove(',').toDouble() != 0 || dMid == sMid);
    QVERIFY(m->index(row, WatchlistModel::Basis).data(Qt::ToolTipRole).toString().contains("sim:BTC-PERPETUAL"));
    // The simulator's own perpetual is measured against the BTC index.
    const int simRow = watchRow(m, "sim:BTC-PERPETUAL");
    QTRY_VERIFY_WITH_TIMEOUT(m->index(simRow, WatchlistModel::Basis).data(Qt::ToolTipRole).toString().contains("index"), 5000);
  }

  // Deribit's accounts in the Account tab, each row naming its venue; the simulator has none.
  void accountRowsPerVenue() {
    AccountPanel* account = window_->accountPanel();
    QTRY_VERIFY_WITH_TIMEOUT(!account->text("BTC", AccountPanel::Equity, "deribit").isEmpty(), 20000);
    QCOMPARE(account->text("BTC", AccountPanel::Venue, "deribit"), QString("deribit"));
    QVERIFY(account->text("BTC", AccountPanel::Equity, "sim").isEmpty());
    QVERIFY(!account->dimmed("deribit", "BTC"));
  }

  // The Connections dialog lists both venues with their live state; Deribit's page is the first
  // with credentials; the simulator's has nothing to save.
  void connectionsListBothVenues() {
    MainWindow& w = *window_;
    CredentialStore store(dir_.filePath("connections.ini"), "KappaTestMultiVenueGui");
    w.setConnections(&store, {});
    ConnectionsDialog* dialog = w.openConnections();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    QCOMPARE(dialog->venueNames(), QStringList({"sim", "deribit"}));
    QVERIFY(dialog->venueList()->isVisible());
    QCOMPARE(dialog->currentVenue(), QString("deribit"));
    QTRY_VERIFY_WITH_TIMEOUT(dialog->venueStateText("deribit") == "deribit — CONNECTED", 5000);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->venueStateText("sim") == "sim — CONNECTED", 5000);
    QVERIFY(!dialog->testButton()->isEnabled());  // no tester given
    if (const QByteArray dir = qgetenv("KAPPA_TEST_SHOTS"); !dir.isEmpty())
      dialog->grab().save(QString::fromUtf8(dir) + "/multi-venue-connections.png");
    // Click the simulator in the list: nothing to save there.
    QListWidget* list = dialog->venueList();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
    QCOMPARE(dialog->currentVenue(), QString("sim"));
    QVERIFY(!dialog->saveButton()->isEnabled());
    dialog->reject();
  }

  // An API-key venue (as Binance USD-M futures will be): its own key fields; without a tester its
  // "Test connection" is disabled and says why, with one it tests the typed key.
  void apiKeyVenueEntry() {
    CredentialStore store(dir_.filePath("connections-api.ini"), "KappaTestMultiVenueGui");
    {
      ConnectionsDialog dialog(store, {VenueConnection{"deribit", CredentialKind::DeribitClient, {}, {}, "testnet"},
                                       VenueConnection{"binance-futures", CredentialKind::ApiKeyPair, {}, {}, "mainnet"}},
                               nullptr);
      QVERIFY(dialog.apiTestButton("binance-futures"));
      QVERIFY(!dialog.apiTestButton("binance-futures")->isEnabled());
      QVERIFY(dialog.apiTestButton("binance-futures")->toolTip().contains("No connection test"));
      QVERIFY(!dialog.apiKeyEdit("deribit"));
    }
    auto seen = std::make_shared<std::pair<std::string, std::string>>();
    ApiKeyTester tester = [seen](const std::string& url, const ApiKeyCredentials& c, std::chrono::milliseconds) {
      seen->first = url;
      seen->second = c.apiKey;
      deribit::ConnectionTestResult r;
      r.ok = c.apiSecret == "typed-secret-1234";
      r.message = r.ok ? "logged in" : "bad signature for " + c.apiSecret;  // the dialog masks the secret
      r.roundTripMs = 3.5;
      return r;
    };
    ConnectionsDialog dialog(store, {VenueConnection{"sim", CredentialKind::None, {}, {}, ""},
                                     VenueConnection{"binance-futures", CredentialKind::ApiKeyPair, {}, tester, "mainnet"}},
                             nullptr);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.currentVenue(), QString("binance-futures"));
    QTest::keyClicks(dialog.apiUrlEdit("binance-futures"), "http://127.0.0.1:1");
    QTest::keyClicks(dialog.apiKeyEdit("binance-futures"), "my-api-key");
    QTest::keyClicks(dialog.apiSecretEdit("binance-futures"), "wrong-secret-99");
    QSignalSpy done(&dialog, &ConnectionsDialog::testFinished);
    QTest::mouseClick(dialog.apiTestButton("binance-futures"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QCOMPARE(done.at(0).at(0).toBool(), false);
    QVERIFY(!dialog.apiTestResultLabel("binance-futures")->text().contains("wrong-secret-99"));
    QCOMPARE(seen->first, std::string("http://127.0.0.1:1"));
    QCOMPARE(seen->second, std::string("my-api-key"));
    dialog.apiSecretEdit("binance-futures")->clear();
    QTest::keyClicks(dialog.apiSecretEdit("binance-futures"), "typed-secret-1234");
    QTest::mouseClick(dialog.apiTestButton("binance-futures"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 5000);
    QCOMPARE(done.at(1).at(0).toBool(), true);
    QVERIFY(dialog.apiTestResultLabel("binance-futures")->text().contains("Connection OK"));
    if (const QByteArray dir = qgetenv("KAPPA_TEST_SHOTS"); !dir.isEmpty())
      dialog.grab().save(QString::fromUtf8(dir) + "/multi-venue-api-key.png");
  }

  // A position on the simulator: the Positions tab names its venue and its PnL in USD, and every
  // column fits the dock without scrolling.
  void positionsNameVenueAndUsd() {
    MainWindow& w = *window_;
    const Instrument* simPerp = engine_->findInstrument("sim:BTC-PERPETUAL");
    QVERIFY(simPerp);
    OrderRequest r;
    r.instrument = simPerp->id;
    r.side = Side::Buy;
    r.type = OrderType::Market;
    r.qty = simPerp->minQty * 10;
    r.origin = OrderOrigin::Manual;
    engine_->changeRiskLimit("price_band=0.5", "test");
    engine_->submit(r);
    PositionsModel* m = w.positionsModel();
    QTRY_VERIFY_WITH_TIMEOUT(m->rowCount() > 0, 10000);
    int row = -1;
    for (int i = 0; i < m->rowCount(); ++i)
      if (m->row(i).instrument == simPerp->id) row = i;
    QVERIFY(row >= 0);
    QCOMPARE(m->index(row, PositionsModel::Venue).data().toString(), QString("sim"));
    QCOMPARE(m->index(row, PositionsModel::Instrument).data().toString(), QString("BTC-PERPETUAL"));
    // Coin-settled: its PnL in BTC times the BTC index.
    QTRY_VERIFY_WITH_TIMEOUT(std::isfinite(m->pnlUsd(m->row(row))), 5000);
    QTabWidget* tabs = nullptr;
    for (QTabWidget* t : w.findChildren<QTabWidget*>())
      if (t->indexOf(w.positionsView()) >= 0) tabs = t;
    QVERIFY(tabs);
    tabs->setCurrentWidget(w.positionsView());
    QTest::qWait(100);
    if (const QByteArray dir = qgetenv("KAPPA_TEST_SHOTS"); !dir.isEmpty())
      w.grab().save(QString::fromUtf8(dir) + "/multi-venue-positions.png");
    {
      QString widths;
      for (int c = 0; c < m->columnCount(); ++c)
        widths += QString(" %1:%2").arg(c).arg(w.positionsView()->isColumnHidden(c) ? 0 : w.positionsView()->columnWidth(c));
      QVERIFY2(w.positionsView()->horizontalScrollBar()->maximum() == 0,
               qPrintable(QString("viewport %1, columns%2").arg(w.positionsView()->viewport()->width()).arg(widths)));
    }
    tabs->setCurrentIndex(0);
  }

  // HALT ALL: the risk strip names every venue with its working orders after the bulk cancel.
  void riskStripShowsEachVenue() {
    MainWindow& w = *window_;
    QLabel* line = w.riskPanel()->venuesLine();
    QTRY_VERIFY(line->isVisible());
    QTest::mouseClick(w.riskPanel()->haltButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(line->text().contains("<b>sim</b>") && line->text().contains("<b>deribit</b>"), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(line->text().count("0 working") == 2, 10000);
    QVERIFY(line->toolTip().contains("deribit: connected"));
    engine_->resume();
  }

  // The exchange goes away: Deribit's account rows dim (the simulator's venue is still up), and
  // the basis of its perpetual is no longer shown as live.
  void droppedVenueDimsItsRowsAndBasis() {
    MainWindow& w = *window_;
    exchange_.stop();
    QTRY_VERIFY_WITH_TIMEOUT(w.accountPanel()->dimmed("deribit", "BTC"), 20000);
    WatchlistModel* m = w.watchlistModel();
    const int row = watchRow(m, "deribit:BTC-PERPETUAL");
    QTRY_VERIFY_WITH_TIMEOUT(!std::isfinite(m->basisUsd(row)), 20000);
    QVERIFY(m->index(row, WatchlistModel::Basis).data().toString().isEmpty());
    QVERIFY2(m->index(row, WatchlistModel::Basis).data(Qt::ToolTipRole).toString().startsWith("No basis: deribit:BTC-PERPETUAL"),
             qPrintable(m->index(row, WatchlistModel::Basis).data(Qt::ToolTipRole).toString()));
  }
};

QTEST_MAIN(TestMultiVenueGui)
#include "tst_multi_venue_gui.moc"
