// Edge and desk over a real nats-server (Debian's, started here on 127.0.0.1 with a free port and
// the roles of docs/desk/nats-server-roles.conf): two headless engines (`kappa --headless --serve`,
// the real binary, on the simulator) and windows attached to them (offscreen, real clicks).
//  - the attached window shows the remote engine's state; an order from its ladder reaches the
//    engine and comes back filled; a window that attaches later has the full state at once;
//  - who may do what: the server refuses a viewer's command and a wrong password, the engine
//    refuses a trader's risk-limit change;
//  - DESK HALT from the Desk view halts both engines; an engine started after it comes up HALTED;
//    a trader's `kappa desk-halt` is refused by the server (exit 1); the reason and the user reach
//    every engine's journal and report;
//  - the server killed: both engines fail closed after the timeout, the window shows the link lost,
//    and after the server returns the engines reconnect and the window is live again;
//  - two windows attached to one engine on different instruments both keep their own live book,
//    and a window that goes away stops costing the engine its book after its focus lease;
//  - TLS: an attach that trusts another CA is refused.
#include <QInputDialog>
#include <QLabel>
#include <QSignalSpy>
#include <QProcess>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>
#include <optional>

#include "LadderPanel.hpp"
#include "LadderWidget.hpp"
#include "MainWindow.hpp"
#include "NatsServerProcess.hpp"
#include "WindowFrames.hpp"
#include "SqliteQuery.hpp"
#include "TestCa.hpp"
#include "desk/DeskView.hpp"
#include "models/TradingModels.hpp"
#include "models/WatchlistModel.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"
#include "remote/DeskFeed.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using kappa::test::NatsServerProcess;
using kappa::test::frameUntil;
using kappa::ui::LadderWidget;
using kappa::ui::MainWindow;

namespace {

// `kappa --headless --serve URL --engine-name NAME` on the simulator, as the engine's host runs it:
// the NATS password in its environment, stopped by its own pid (SIGTERM: it writes its report).
class EngineProcess {
 public:
  EngineProcess(QString name, QString dataDir) : name_(std::move(name)), dataDir_(std::move(dataDir)) {}
  ~EngineProcess() { stop(); }
  // `extra` options are kept for a restart (start again without them).
  void start(const NatsServerProcess& server, QStringList extra = {}) {
    if (extra.isEmpty()) extra = extra_;
    extra_ = extra;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_NATS_USER", "engine-" + name_);
    env.insert("KAPPA_NATS_PASSWORD", server.password("engine-" + name_));
    process_.setProcessEnvironment(env);
    process_.setProcessChannelMode(QProcess::MergedChannels);
    process_.start(kappa::test::kappaBinary(), QStringList{"--headless", "--serve", server.url(), "--engine-name", name_, "--command-users",
                                             "trader", "--risk-users", "risk", "--data-dir", dataDir_, "--seed",
                                             name_ == "a" ? "3" : "5", "--feed-rate", "1000", "--report",
                                             dataDir_ + "/report.json"} + extra);
  }
  // SIGTERM and its exit code (-1: had to be killed).
  int stop() {
    if (process_.state() == QProcess::NotRunning) return process_.exitCode();
    process_.terminate();
    if (!process_.waitForFinished(15000)) {
      process_.kill();
      process_.waitForFinished(5000);
      return -1;
    }
    return process_.exitCode();
  }
  QString output() { return QString::fromUtf8(process_.readAll()); }
  QString journal() const { return dataDir_ + "/journal.sqlite"; }
  QString report() const { return dataDir_ + "/report.json"; }
  QString log() const {
    QFile f(dataDir_ + "/logs/kappa.log");
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
  }
  bool running() const { return process_.state() != QProcess::NotRunning; }

 private:
  QString name_, dataDir_;
  QStringList extra_;
  QProcess process_;
};

nats::NatsSettings as(const NatsServerProcess& server, const QString& user, const QString& password = {}) {
  nats::NatsSettings s;
  s.url = server.url().toStdString();
  s.user = user.toStdString();
  s.password = (password.isNull() ? server.password(user) : password).toStdString();
  s.connectionName = "tst_desk " + s.user;
  return s;
}

// Asks `link` to resume and waits (bounded) for the answer: "" resumed, else why not.
std::string resumeAnswer(remote::RemoteEngineLink& link) {
  auto answer = std::make_shared<std::optional<std::string>>();
  link.resume([answer](std::string why) { *answer = std::move(why); });
  QElapsedTimer t;
  t.start();
  while (!*answer && t.elapsed() < 8000) QTest::qWait(20);
  return answer->value_or("no answer within 8 s");
}

// The engine's trading state as the desk's bucket says it (its summary), read by a fresh feed.
QString deskState(remote::DeskFeed& feed, const std::string& engine) {
  for (const auto& e : feed.view().engines)
    if (e.engine == engine) return nameOf(e.state);
  return "absent";
}

}  // namespace

class TestDesk : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  NatsServerProcess server_;
  std::unique_ptr<EngineProcess> a_, b_;

  // Both engines serving, each with its state in the bucket.
  void startEngines() {
    a_ = std::make_unique<EngineProcess>("a", dir_.filePath("a"));
    b_ = std::make_unique<EngineProcess>("b", dir_.filePath("b"));
    a_->start(server_, {"--desk-fail-closed", "1.5"});
    // b: a short focus lease, so that a window that went away is seen to drop out within seconds.
    b_->start(server_, {"--desk-fail-closed", "1.5", "--desk-fail-action", "halt", "--focus-lease", "2"});
    for (const char* e : {"a", "b"}) {
      remote::RemoteEngineLink probe;
      QElapsedTimer t;
      t.start();
      std::string error = "not tried";
      while (t.elapsed() < 20000 && !(error = probe.connect(as(server_, "viewer"), e, std::chrono::milliseconds(2000))).empty()) {
        probe.close();
        QTest::qWait(200);
      }
      QVERIFY2(error.empty(), qPrintable(QString("engine %1: %2\n%3").arg(e, QString::fromStdString(error),
                                                                         (std::string(e) == "a" ? a_ : b_)->output())));
    }
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString error = server_.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    startEngines();
  }

  void cleanupTestCase() {
    a_.reset();
    b_.reset();
    server_.stop();
  }

  // The attached window shows the remote engine's state, and an order from its ladder comes back filled.
  void attachedWindowTradesOverTheLink() {
    remote::RemoteEngineLink link;
    const std::string error = link.connect(as(server_, "trader"), "a");
    QVERIFY2(error.empty(), error.c_str());
    QVERIFY(!link.probeRiskRole());  // a trader has no Desk view
    QTest::qWait(200);  // the server's refusal of the probe arrives on another thread
    QVERIFY2(link.link().refusals == 0, link.link().lastRefusal.c_str());  // and is not shown as a refusal
    MainWindow w(link, dir_.filePath("layout-trader.ini"));
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.deskView() == nullptr);
    QVERIFY(w.windowTitle().contains("engine a"));
    // The remote engine's instruments, quotes and the focused book.
    QVERIFY(link.instruments().size() > 50);
    const Instrument* perp = link.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    w.selectInstrument(perp->id);
    QVERIFY2(frameUntil(w, [&] { return w.ladder()->bestAsk() > 0 && w.watchlistModel()->rowCount() > 50; }, 10000),
             "no book from the remote engine");
    QVERIFY(frameUntil(w, [&] { return w.linkStatusLabel()->text().contains("engine a · rtt"); }, 5000));

    // Buy on the ladder 3 ticks through the ask: the order crosses and fills at the engine.
    const Price price = w.ladder()->bestAsk() + 3 * perp->tickSize;
    const int before = w.ordersModel()->rowCount();
    QTest::mouseClick(w.ladder(), Qt::LeftButton, {}, w.ladder()->cellCenter(LadderWidget::BidSize, price));
    QVERIFY2(frameUntil(w, [&] { return w.ladderPanel()->messageLabel()->text().contains("FILLED"); }, 10000),
             qPrintable(w.ladderPanel()->messageLabel()->text()));
    QVERIFY(w.ordersModel()->rowCount() > before);
    const Order& top = link.snapshot().orders.back();
    QVERIFY(top.request.tag.find("(trader)") != std::string::npos);

    // A window attached later has the whole state at once, the filled order included (once the
    // engine's analytics exist and the bucket has had its second to take the newest parts).
    QVERIFY(frameUntil(w, [&] { return link.snapshot().analytics != nullptr; }, 15000));
    QTest::qWait(1500);
    remote::RemoteEngineLink late;
    QVERIFY(late.connect(as(server_, "viewer"), "a").empty());
    QVERIFY(late.takeSnapshot());
    const EngineSnapshot& s = late.snapshot();
    QVERIFY(s.quotes.size() > 50);
    QVERIFY(!s.venues.empty());
    QVERIFY(s.analytics != nullptr);
    QVERIFY(std::any_of(s.orders.begin(), s.orders.end(), [&](const Order& o) {
      return o.request.tag.find("(trader)") != std::string::npos && o.state == OrderState::Filled;
    }));
    QVERIFY(std::any_of(s.positions.begin(), s.positions.end(), [&](const PositionRow& p) { return p.instrument == perp->id; }));

    // File -> Attach to engine... lists the desk's engines; choosing one asks for that engine.
    const nats::NatsSettings trader = as(server_, "trader");
    w.setEngineList([trader](std::string* error) { return remote::RemoteEngineLink::listEngines(trader, error); });
    QSignalSpy chosen(&w, &MainWindow::attachRequested);
    QAction* attach = nullptr;
    for (QAction* a : w.findChildren<QAction*>())
      if (a->text() == "Attach to engine…") attach = a;
    QVERIFY(attach);
    attach->trigger();
    QInputDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = w.findChild<QInputDialog*>("attachDialog")) != nullptr, 10000);
    QCOMPARE(dialog->comboBoxItems(), QStringList({"a", "b"}));
    dialog->setTextValue("b");
    dialog->accept();
    QTRY_COMPARE_WITH_TIMEOUT(chosen.count(), 1, 3000);
    QCOMPARE(chosen.at(0).at(0).toString(), QString("b"));

    // The engine journaled the command with its user.
    QTRY_VERIFY_WITH_TIMEOUT(!test::query(a_->journal(), "SELECT text FROM journal WHERE kind = 'command' AND text LIKE "
                                                       "'trader: submit buy % BTC-PERPETUAL%'")
                                  .isEmpty(),
                             5000);
  }

  // Who may do what: the server and the engine each refuse with the reason.
  void rolesAreEnforced() {
    // A wrong password never gets in.
    remote::RemoteEngineLink wrong;
    const std::string refused = wrong.connect(as(server_, "trader", "not-the-password"), "a");
    QVERIFY2(refused.find("authentication refused") != std::string::npos, refused.c_str());

    // A viewer may read but not command: the server refuses the publish.
    remote::RemoteEngineLink viewer;
    QVERIFY(viewer.connect(as(server_, "viewer"), "a").empty());
    const std::string answer = resumeAnswer(viewer);
    QVERIFY2(answer.find("refused by the server") != std::string::npos, answer.c_str());
    QVERIFY2(viewer.link().lastRefusal.find("resume") != std::string::npos, viewer.link().lastRefusal.c_str());

    // A trader may trade but not change the risk limits: the engine refuses.
    remote::RemoteEngineLink trader;
    QVERIFY(trader.connect(as(server_, "trader"), "a").empty());
    trader.changeRiskLimit("account/max_open_orders=5000");
    QTRY_VERIFY_WITH_TIMEOUT(trader.link().refusals > 0, 6000);
    QVERIFY2(trader.link().lastRefusal.find("needs the risk role") != std::string::npos, trader.link().lastRefusal.c_str());
  }

  // Two windows on one engine, on two instruments: each keeps its own live book at the same time
  // (before, each window's focus took the book from the other). Then one window goes away: its
  // instrument drops out of the engine's snapshots once its lease has run out, not before.
  void twoWindowsKeepTheirOwnBooks() {
    remote::RemoteEngineLink linkA, linkB;
    QVERIFY(linkA.connect(as(server_, "trader"), "b").empty());
    QVERIFY(linkB.connect(as(server_, "trader"), "b").empty());
    QVERIFY(linkA.session() != linkB.session());
    linkA.setFocusRenewal(std::chrono::milliseconds(500));  // engine b's lease is 2 s
    linkB.setFocusRenewal(std::chrono::milliseconds(500));
    // Neither is the engine's own focus (its first perpetual, BTC-PERPETUAL): only the windows ask for them.
    const Instrument* eth = linkA.instruments().find("ETH-PERPETUAL");
    const Instrument* future = nullptr;
    for (const Instrument& i : linkA.instruments().all())
      if (i.kind == InstrumentKind::Future && i.baseCurrency == "BTC" && !future) future = &i;
    QVERIFY(eth && future);
    auto windowB = std::make_unique<MainWindow>(linkB, dir_.filePath("layout-focus-b.ini"));
    MainWindow windowA(linkA, dir_.filePath("layout-focus-a.ini"));
    for (MainWindow* w : {&windowA, windowB.get()}) {
      w->resize(1200, 800);
      w->show();
      QVERIFY(QTest::qWaitForWindowExposed(w));
    }
    windowA.selectInstrument(eth->id);
    windowB->selectInstrument(future->id);
    auto frameBoth = [&] {
      windowA.frame();
      windowB->frame();
    };
    auto bookOf = [](remote::RemoteEngineLink& link, InstrumentId id) -> const FocusedMarket* {
      const FocusedMarket* m = link.snapshot().focusedOn(id);
      return m && !m->depth.bids.empty() && !m->depth.asks.empty() ? m : nullptr;
    };
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000 && !(windowA.ladder()->hasBook() && windowB->ladder()->hasBook())) {
      frameBoth();
      QTest::qWait(20);
    }
    QVERIFY2(windowA.ladder()->hasBook() && windowB->ladder()->hasBook(), "no book for both windows' instruments in 10 s");
    // Over the next 3 s, at every frame: each window's snapshot carries its own instrument's book,
    // its ladder shows it (ETH near ETH's quote, the future near the future's), and both books move.
    const std::uint64_t startA = bookOf(linkA, eth->id)->depth.changeId;
    const std::uint64_t startB = bookOf(linkB, future->id)->depth.changeId;
    bool movedA = false, movedB = false;
    t.restart();
    int frames = 0;
    while (t.elapsed() < 3000 || (!(movedA && movedB) && t.elapsed() < 8000)) {
      frameBoth();
      ++frames;
      const FocusedMarket* a = bookOf(linkA, eth->id);
      const FocusedMarket* b = bookOf(linkB, future->id);
      QVERIFY2(a, qPrintable(QString("window A lost ETH-PERPETUAL's book after %1 ms").arg(t.elapsed())));
      QVERIFY2(b, qPrintable(QString("window B lost %1's book after %2 ms").arg(QString::fromStdString(future->name)).arg(t.elapsed())));
      QVERIFY(windowA.ladder()->hasBook() && windowB->ladder()->hasBook());
      const QuoteRow& ethQuote = linkA.snapshot().quotes[eth->id];
      const QuoteRow& futQuote = linkB.snapshot().quotes[future->id];
      QVERIFY(std::llabs(windowA.ladder()->bestBid() - ethQuote.bid) < ethQuote.bid / 100);
      QVERIFY(std::llabs(windowB->ladder()->bestBid() - futQuote.bid) < futQuote.bid / 100);
      movedA = movedA || a->depth.changeId != startA;
      movedB = movedB || b->depth.changeId != startB;
      QTest::qWait(20);
    }
    QVERIFY2(movedA && movedB, "a book that did not move: not live");
    QVERIFY(frames > 50);

    // Window B goes away (closed, no word to the engine): its future stays in A's snapshots until
    // B's lease has run out (2 s after its last renewal), then drops; A's ETH stays throughout.
    const std::string goneSession = linkB.session();
    windowB.reset();
    linkB.close();
    t.restart();
    qint64 droppedAfter = -1;
    while (t.elapsed() < 8000 && droppedAfter < 0) {
      windowA.frame();
      if (!linkA.snapshot().focusedOn(future->id)) droppedAfter = t.elapsed();
      QVERIFY(bookOf(linkA, eth->id));
      QTest::qWait(20);
    }
    QVERIFY2(droppedAfter >= 0, "the gone window's instrument is still carried 8 s later");
    QVERIFY2(droppedAfter >= 1000, qPrintable(QString("dropped after %1 ms: before its lease ran out").arg(droppedAfter)));
    QTRY_VERIFY_WITH_TIMEOUT(b_->log().contains(QString::fromStdString("window trader/" + goneSession + " silent for more than 2000 ms")),
                             3000);
  }

  // DESK HALT: a trader cannot send it; the risk manager's click halts both engines; an engine
  // started after it comes up HALTED; the reason and the user are in every journal and report.
  void deskHaltHaltsEveryEngine() {
    // A trader's attempt is refused by the server (exit status 1), and nothing halts.
    QProcess cli;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_NATS_USER", "trader");
    env.insert("KAPPA_NATS_PASSWORD", server_.password("trader"));
    cli.setProcessEnvironment(env);
    cli.start(kappa::test::kappaBinary(), {"desk-halt", server_.url(), "--reason", "a trader tries"});
    QVERIFY(cli.waitForFinished(20000));
    QCOMPARE(cli.exitCode(), 1);
    const QByteArray said = cli.readAllStandardError();
    QVERIFY2(said.contains("not accepted") && said.contains("kappa.desk.halt"), said.constData());

    // The risk manager's window, with its Desk view.
    remote::RemoteEngineLink link;
    QVERIFY(link.connect(as(server_, "risk"), "a").empty());
    QVERIFY(link.probeRiskRole());
    remote::DeskFeed feed;
    const std::string error = feed.start(link.connection());
    QVERIFY2(error.empty(), error.c_str());
    MainWindow w(link, dir_.filePath("layout-risk.ini"));
    w.setDesk(feed, link.user());
    w.resize(1600, 1000);
    w.show();
    QVERIFY(w.showView("desk"));
    ui::DeskView* desk = w.deskView();
    QVERIFY(desk);
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), feed.view().engines.size() == 2), 5000);
    QCOMPARE(deskState(feed, "a"), QString("ACTIVE"));
    QCOMPARE(deskState(feed, "b"), QString("ACTIVE"));

    // Engine b is away when the desk halts (stopped: its host restarts it later).
    QCOMPARE(b_->stop(), 0);
    QTest::mouseClick(desk->haltButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(deskState(feed, "a"), QString("HALTED"), 5000);
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), desk->stateLabel()->text().startsWith("DESK HALTED by risk")), 5000);

    // Engine b comes back after the halt: it reads the desk's key and comes up HALTED.
    b_->start(server_);
    QTRY_VERIFY_WITH_TIMEOUT(deskState(feed, "b") == "HALTED" && feed.view().engines[1].publishedAt > 0, 20000);
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), desk->table()->item(1, 1) &&
                              desk->table()->item(1, 1)->text().startsWith("HALTED")),
                             5000);
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), desk->haltTimingLabel()->text().contains("engines HALTED")), 5000);
    const int reasonColumn = desk->table()->columnCount() - 1;
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), desk->table()->item(0, reasonColumn)->text().startsWith("DESK HALT by risk")), 5000);
    if (const QByteArray shots = qgetenv("KAPPA_SCREENSHOT_DIR"); !shots.isEmpty()) {
      w.frame();
      w.grab().save(QString::fromLocal8Bit(shots) + "/desk-halted.png");
    }
    // Neither may be resumed while the desk is halted, not even by its trader.
    remote::RemoteEngineLink trader;
    QVERIFY(trader.connect(as(server_, "trader"), "b").empty());
    const std::string answer = resumeAnswer(trader);
    QVERIFY2(answer.find("the desk is halted") != std::string::npos, answer.c_str());

    // The reason and the user, in both journals and both reports.
    for (EngineProcess* e : {a_.get(), b_.get()}) {
      QTRY_VERIFY_WITH_TIMEOUT(!test::query(e->journal(), "SELECT text FROM journal WHERE kind = 'command' AND text LIKE "
                                                          "'risk: DESK HALT: DESK HALT pressed by risk%'")
                                    .isEmpty(),
                               5000);
      QVERIFY(!test::query(e->journal(), "SELECT text FROM journal WHERE kind = 'state_change' AND text LIKE "
                                         "'HALTED: DESK HALT by risk%'")
                   .isEmpty());
    }
    // Lifted by the risk role: resuming is possible again (each engine stays HALTED until then).
    desk->liftConfirmed("vol back to normal");
    QTRY_VERIFY_WITH_TIMEOUT((desk->refresh(), desk->stateLabel()->text().contains("halt lifted by risk")), 5000);
    QCOMPARE(deskState(feed, "a"), QString("HALTED"));
    // The engine hears of the lift a moment later: ask until it resumes.
    std::string resumed = "not asked";
    for (int i = 0; i < 20 && !resumed.empty(); ++i) {
      resumed = resumeAnswer(trader);
      if (!resumed.empty()) QTest::qWait(250);
    }
    QVERIFY2(resumed.empty(), resumed.c_str());
    remote::RemoteEngineLink traderA;
    QVERIFY(traderA.connect(as(server_, "trader"), "a").empty());
    const std::string resumedA = resumeAnswer(traderA);
    QVERIFY2(resumedA.empty(), resumedA.c_str());
    QTRY_COMPARE_WITH_TIMEOUT(deskState(feed, "a"), QString("ACTIVE"), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(deskState(feed, "b"), QString("ACTIVE"), 5000);
  }

  // Desk limits: the risk role sets them (kappa desk-limits); every engine sums the desk's summaries
  // and, the desk being over a limit, goes REDUCING through its own gate and says why.
  void deskLimitsActThroughEachGate() {
    remote::DeskFeed feed;
    remote::RemoteEngineLink link;
    QVERIFY(link.connect(as(server_, "risk"), "a").empty());
    QVERIFY(feed.start(link.connection()).empty());
    // Engine a holds BTC (the ladder's buy): a desk limit far below it.
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                               for (const auto& e : feed.view().engines)
                                 for (const auto& u : e.underlyings)
                                   if (e.engine == "a" && u.currency == "BTC" && std::abs(u.deltaCoin) > 1e-6) return true;
                               return false;
                             }()),
                             10000);
    QFile limits(dir_.filePath("limits.json"));
    QVERIFY(limits.open(QIODevice::WriteOnly));
    limits.write(R"({"max_net_delta": {"BTC": 0.000001}, "action": "reduce"})");
    limits.close();
    QProcess cli;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_NATS_USER", "risk");
    env.insert("KAPPA_NATS_PASSWORD", server_.password("risk"));
    cli.setProcessEnvironment(env);
    cli.start(kappa::test::kappaBinary(), {"desk-limits", server_.url(), "--file", limits.fileName()});
    QVERIFY(cli.waitForFinished(20000));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    QTRY_VERIFY_WITH_TIMEOUT(!feed.view().breaches.empty(), 5000);
    for (const char* e : {"a", "b"}) {
      QTRY_COMPARE_WITH_TIMEOUT(deskState(feed, e), QString("REDUCING"), 10000);
      remote::RemoteEngineLink viewer;
      QVERIFY(viewer.connect(as(server_, "viewer"), e).empty());
      QTRY_VERIFY_WITH_TIMEOUT((viewer.takeSnapshot(),
                                viewer.snapshot().haltReason.find("desk limit: desk net BTC delta") != std::string::npos),
                               5000);
    }
    // Limits removed: each trader resumes its engine.
    std::string error;
    auto bucket = nats::KeyValueBucket::open(link.connection(), "kappa_desk", error);
    QVERIFY2(bucket, error.c_str());
    QVERIFY(bucket->remove("limits").empty());
    QTRY_VERIFY_WITH_TIMEOUT(!feed.view().limits, 5000);
    for (const char* e : {"a", "b"}) {
      remote::RemoteEngineLink trader;
      QVERIFY(trader.connect(as(server_, "trader"), e).empty());
      std::string resumed = "not asked";
      for (int i = 0; i < 20 && !resumed.empty(); ++i) {
        resumed = resumeAnswer(trader);
        if (!resumed.empty()) QTest::qWait(250);
      }
      QVERIFY2(resumed.empty(), resumed.c_str());
      QTRY_COMPARE_WITH_TIMEOUT(deskState(feed, e), QString("ACTIVE"), 5000);
    }
  }

  // The server goes away: both engines fail closed (a: REDUCING, b: HALTED, as configured) after
  // the timeout, the window shows the link lost; the server returns: all reconnect, live again.
  void serverLostFailsClosed() {
    remote::RemoteEngineLink link;
    QVERIFY(link.connect(as(server_, "trader"), "a").empty());
    MainWindow w(link, dir_.filePath("layout-trader2.ini"));
    w.show();
    QVERIFY(frameUntil(w, [&] { return !w.linkLost() && w.linkStatusLabel()->text().contains("rtt"); }, 5000));
    server_.kill();
    QVERIFY2(frameUntil(w, [&] { return w.linkLost(); }, 10000), qPrintable(w.linkStatusLabel()->text()));
    QVERIFY(w.linkLostBanner()->isVisible());
    QVERIFY(w.linkLostBanner()->text().contains("DISCONNECTED since"));
    QVERIFY(!w.centralWidget()->isEnabled());
    QVERIFY(!w.ladder()->isEnabled());
    // Each engine says so in its log once the fail-closed time has passed.
    QTRY_VERIFY_WITH_TIMEOUT(a_->log().contains("fail closed (REDUCING)"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(b_->log().contains("fail closed (HALTED)"), 10000);

    const QString error = server_.restart();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(frameUntil(w, [&] { return !w.linkLost(); }, 20000), qPrintable(w.linkStatusLabel()->text()));
    QVERIFY(w.centralWidget()->isEnabled());
    QVERIFY(!w.linkLostBanner()->isVisible());
    // Live again: the engine's state after the loss arrives (a REDUCING and says why).
    QVERIFY2(frameUntil(w, [&] { return link.snapshot().tradingState == TradingState::Reducing &&
                                        link.snapshot().haltReason.find("fail closed") != std::string::npos; }, 15000),
             link.snapshot().haltReason.c_str());
    remote::RemoteEngineLink other;
    std::string otherError = "not tried";
    for (int i = 0; i < 30 && !otherError.empty(); ++i) {
      otherError = other.connect(as(server_, "viewer"), "b", std::chrono::milliseconds(3000));
      if (!otherError.empty()) {
        other.close();
        QTest::qWait(500);
      }
    }
    QVERIFY2(otherError.empty(), otherError.c_str());
    QTRY_VERIFY_WITH_TIMEOUT((other.takeSnapshot(), other.snapshot().tradingState == TradingState::Halted), 10000);
  }

  // The reports written at the end carry the desk halt's reason and user.
  void reportsCarryTheDeskHalt() {
    for (EngineProcess* e : {a_.get(), b_.get()}) {
      QCOMPARE(e->stop(), 0);
      QFile f(e->report());
      QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(e->report()));
      const QByteArray report = f.readAll();
      QVERIFY2(report.contains("DESK HALT pressed by risk"), report.left(400).constData());
    }
  }

  // TLS: a window that trusts another CA is refused with the reason.
  void tlsFromAnotherCaRefused() {
    QTemporaryDir caDir, otherDir;
    test::TestCa ca, other;
    QString why = test::makeTestCa(caDir.path(), ca);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = test::makeTestCa(otherDir.path(), other);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    NatsServerProcess tls;
    NatsServerProcess::Options o;
    o.tlsCert = ca.certFile;
    o.tlsKey = ca.keyFile;
    o.tlsCa = ca.caFile;
    const QString error = tls.start(o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    nats::NatsSettings good = as(tls, "viewer");
    good.caFile = ca.caFile.toStdString();
    nats::NatsConnection ok;
    QVERIFY2(ok.connect(good).empty(), "the right CA was refused");
    nats::NatsSettings bad = good;
    bad.caFile = other.caFile.toStdString();
    remote::RemoteEngineLink link;
    const std::string refused = link.connect(bad, "a", std::chrono::milliseconds(3000));
    QVERIFY2(refused.find("TLS") != std::string::npos, refused.c_str());
  }
};

QTEST_MAIN(TestDesk)
#include "tst_desk.moc"
