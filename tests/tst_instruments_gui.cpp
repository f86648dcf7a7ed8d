// The terminal follows instruments that come and go: a real kappa-exchange process, an Engine over
// a DeribitVenue, the real MainWindow (offscreen). An option listed while running
// (kappa/list_instrument) appears in the watchlist and as a strike row of the option chain; once
// settled (kappa/expire_instrument) it leaves both, and the rest keeps updating.
// KAPPA_TEST_SHOTS=DIR saves the window at each step (to look at, not compared).
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>
#include <QTableView>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <algorithm>
#include <cmath>

#include "ExchangeProcess.hpp"
#include "MainWindow.hpp"
#include "OptionChainBoard.hpp"
#include "orchestrator/Engine.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;
using namespace kappa::deribit;

namespace {
const char* kClientId = "tst-instruments-gui";
const char* kSecret = "tst-instruments-gui-secret-0b4e";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

// Whether any cell of the view shows `text` (display role).
bool viewShows(const QTableView* view, const QString& text) {
  const QAbstractItemModel* m = view->model();
  for (int r = 0; r < m->rowCount(); ++r)
    for (int c = 0; c < m->columnCount(); ++c)
      if (m->index(r, c).data(Qt::DisplayRole).toString() == text) return true;
  return false;
}

// Whether the chain shows a strike row for `strike` (digits only: "66,751" and "66751" match).
bool chainShowsStrike(const QTableView* view, long strike) {
  const QAbstractItemModel* m = view->model();
  const QString want = QString::number(strike);
  for (int r = 0; r < m->rowCount(); ++r)
    for (int c = 0; c < m->columnCount(); ++c) {
      QString t = m->index(r, c).data(Qt::DisplayRole).toString();
      t.remove(',').remove(' ');
      if (t == want) return true;
    }
  return false;
}
}  // namespace

class TestInstrumentsGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;

  void shot(QWidget* w, const QString& name) const {
    const QString dir = qEnvironmentVariable("KAPPA_TEST_SHOTS");
    if (!dir.isEmpty()) w->grab().save(QDir(dir).filePath(name + ".png"));
  }
  QJsonObject control(const QString& method, const QString& instrument) {
    QUrlQuery q;
    q.addQueryItem("instrument_name", instrument);
    return kappa::test::exchangeGet(port_, method, q);
  }

 private slots:
  void init() {
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    const QString failed = exchange_.start(bin, {"--seed", "5", "--account", QString(kClientId) + ":" + kSecret});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
  }
  void cleanup() { exchange_.stop(); }

  void newStrikeAppearsAndExpiredOneLeaves() {
    DeribitVenueConfig c;
    std::string error;
    QVERIFY(parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port_), c.endpoint, error));
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC"};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(15000);
    c.instrumentRefresh = std::chrono::milliseconds(0);  // notifications only
    Engine engine(std::make_unique<DeribitVenue>(c));
    // A new strike between the two middle strikes of the first expiry (near the money).
    const Instrument* first = nullptr;
    std::vector<Price> strikes;
    for (const Instrument& i : engine.instruments().all())
      if (i.isOption() && i.optionType == OptionType::Call) {
        if (!first) first = &i;
        if (i.expiry == first->expiry) strikes.push_back(i.strike);
      }
    QVERIFY(first && strikes.size() >= 2);
    std::sort(strikes.begin(), strikes.end());
    const long strike = std::lround((toDouble(strikes[strikes.size() / 2 - 1]) + toDouble(strikes[strikes.size() / 2])) / 2) + 1;
    const Nanos expiry = first->expiry;
    const QString name = QString("BTC-%1-%2-C").arg(QString::fromStdString(deribitExpiryCode(expiry))).arg(strike);
    engine.setDataDir(dir_.filePath("data").toStdString());
    engine.start();

    MainWindow w(engine, dir_.filePath("layout.ini"));
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTableView* chain = w.findChild<QTableView*>("chainTable");
    QVERIFY(chain);
    w.chainBoard()->selectExpiry(expiry);
    QTRY_VERIFY_WITH_TIMEOUT(w.chainBoard()->rowCount() > 0 && w.chainBoard()->selectedExpiry() == expiry, 30000);
    QVERIFY(!chainShowsStrike(chain, strike));
    const auto watchlistShows = [&](const QString& text) {
      for (QTableView* v : w.findChildren<QTableView*>())
        if (v != chain && viewShows(v, text)) return true;
      return false;
    };
    QVERIFY(watchlistShows("BTC-PERPETUAL"));
    QVERIFY(!watchlistShows(name));
    shot(&w, "instruments-before");

    QVERIFY(control("kappa/list_instrument", name).contains("result"));
    QTRY_VERIFY_WITH_TIMEOUT(watchlistShows(name), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(chainShowsStrike(chain, strike), 20000);
    shot(&w, "instruments-listed");

    QVERIFY(control("kappa/expire_instrument", name).contains("result"));
    QTRY_VERIFY_WITH_TIMEOUT(!watchlistShows(name), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!chainShowsStrike(chain, strike), 20000);
    QVERIFY(watchlistShows("BTC-PERPETUAL"));
    QVERIFY(w.chainBoard()->rowCount() > 0);
    shot(&w, "instruments-expired");
    w.close();
    engine.stop();
  }
};

QTEST_MAIN(TestInstrumentsGui)
#include "tst_instruments_gui.moc"
