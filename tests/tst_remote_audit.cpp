// The Audit view and the Strategy manager's plugin files in an attached window (issue 15), over a
// real nats-server (the roles of docs/desk/nats-server-roles.conf) and real headless engines
// (`kappa --headless --serve`, the simulator), on 127.0.0.1:
//  - the trader's attached window shows engine a's journal: its own command with its user, the
//    order's intent, ack and fill; a filter narrows the rows; an export writes them to CSV;
//  - pages continue from their last row over the wire, without overlap;
//  - a viewer is refused by the server, a trader the engine does not list is refused by the engine
//    (engine b), an engine that does not answer is said to in 5 s: each in the view's status line;
//  - the attached Strategy manager names the files in the engine's plugins folder.
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <memory>
#include <optional>

#include <signal.h>

#include "AuditView.hpp"
#include "MainWindow.hpp"
#include "NatsServerProcess.hpp"
#include "ServedEngine.hpp"
#include "WindowFrames.hpp"
#include "StrategyManager.hpp"
#include "models/StrategyModels.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using kappa::test::NatsServerProcess;
using kappa::test::frameUntil;
using kappa::test::ServedEngine;
using kappa::ui::AuditModel;
using kappa::ui::AuditView;
using kappa::ui::MainWindow;

namespace {

// A headless engine serving itself as engine `name`, its plugins folder holding the test plugin,
// commanded by `commandUsers` and risk.
QString startEngine(ServedEngine& engine, const NatsServerProcess& server, const QString& commandUsers) {
  const QString plugins = engine.dataDir() + "/plugins";
  if (!QDir().mkpath(plugins)) return "cannot make " + plugins;
  const QString plugin = QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-test-echo.so");
  if (!QFile::copy(plugin, plugins + "/kappa-test-echo.so")) return "cannot copy " + plugin;
  return engine.start(server, {"--command-users", commandUsers, "--risk-users", "risk", "--seed", "7", "--feed-rate", "1000"});
}

nats::NatsSettings as(const NatsServerProcess& server, const QString& user) {
  nats::NatsSettings s;
  s.url = server.url().toStdString();
  s.user = user.toStdString();
  s.password = server.password(user).toStdString();
  s.connectionName = "tst_remote_audit " + s.user;
  return s;
}

// Connects `link` as `user` to `engine`, retrying while the engine comes up (bounded).
std::string attach(remote::RemoteEngineLink& link, const NatsServerProcess& server, const QString& user, const char* engine) {
  QElapsedTimer t;
  t.start();
  std::string error = "not tried";
  while (t.elapsed() < 20000 && !(error = link.connect(as(server, user), engine, std::chrono::milliseconds(2000))).empty()) {
    link.close();
    QTest::qWait(200);
  }
  return error;
}

// One page asked through the link, waited for (bounded).
JournalPage askPage(EngineLink& link, const JournalQuery& query) {
  auto answer = std::make_shared<std::optional<JournalPage>>();
  auto mutex = std::make_shared<std::mutex>();
  link.queryJournal(query, false, [answer, mutex](JournalPage page) {
    std::lock_guard lock(*mutex);
    *answer = std::move(page);
  });
  QElapsedTimer t;
  t.start();
  for (;;) {
    {
      std::lock_guard lock(*mutex);
      if (*answer) return **answer;
    }
    if (t.elapsed() > 10000) {
      JournalPage none;
      none.error = "no answer within 10 s";
      return none;
    }
    QTest::qWait(20);
  }
}

// The window over `link`, shown (offscreen) on `view`; null if it could not be.
std::unique_ptr<MainWindow> openWindow(EngineLink& link, const QString& layout, const QString& view) {
  auto w = std::make_unique<MainWindow>(link, layout);
  w->resize(1600, 1000);
  w->show();
  if (!QTest::qWaitForWindowExposed(w.get()) || !w->showView(view)) return nullptr;
  return w;
}

QStringList column(const AuditView* view, int column) {
  QStringList out;
  for (int r = 0; r < view->model()->rowCount(); ++r) out << view->model()->index(r, column).data().toString();
  return out;
}

}  // namespace

class TestRemoteAudit : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  NatsServerProcess server_;
  std::unique_ptr<ServedEngine> a_;
  Side bought_ = Side::Buy;

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    const QString error = server_.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    a_ = std::make_unique<ServedEngine>("a", dir_.filePath("a"));
    const QString started = startEngine(*a_, server_, "trader");
    QVERIFY2(started.isEmpty(), qPrintable(started));
    remote::RemoteEngineLink probe;
    const std::string attached = attach(probe, server_, "trader", "a");
    QVERIFY2(attached.empty(), qPrintable(QString::fromStdString(attached) + "\n" + a_->output()));

    // An order from the trader: the engine journals the command with its user, then the order.
    const Instrument* perp = probe.instruments().find("BTC-PERPETUAL");
    QVERIFY(perp);
    OrderRequest r;
    r.instrument = perp->id;
    r.side = bought_;
    r.type = OrderType::Market;
    r.tif = TimeInForce::ImmediateOrCancel;
    r.qty = perp->minQty;
    auto answer = std::make_shared<std::atomic<int>>(0);  // 1 accepted, -1 refused
    auto why = std::make_shared<std::string>();
    probe.submit(r, [answer, why](const remote::CommandAnswer& a) {
      *why = a.reason;
      answer->store(a.accepted ? 1 : -1);
    });
    QTRY_VERIFY_WITH_TIMEOUT(answer->load() != 0, 8000);
    QVERIFY2(answer->load() == 1, why->c_str());
  }

  void cleanupTestCase() {
    a_.reset();
    server_.stop();
  }

  // The trader's attached window: the journal's rows, a filter, an export.
  void attachedAuditViewShowsTheEnginesJournal() {
    remote::RemoteEngineLink link;
    QVERIFY(attach(link, server_, "trader", "a").empty());
    const auto w = openWindow(link, dir_.filePath("layout-trader.ini"), "audit");
    QVERIFY(w);
    AuditView* audit = w->auditView();
    QVERIFY(audit);
    QCOMPARE(audit->rowCap(), AuditView::kRemoteRowCap);

    // The command with its user, and the order it became: intent, ack, fill.
    auto has = [&](const QString& kind, const QString& text = {}) {
      const QStringList kinds = column(audit, AuditModel::Kind), texts = column(audit, AuditModel::Text);
      for (qsizetype i = 0; i < kinds.size(); ++i)
        if (kinds[i] == kind && texts[i].contains(text)) return true;
      return false;
    };
    // (A record written after the first look shows at the next: the view follows the journal.)
    QVERIFY2(frameUntil(*w, [&] { return has("fill"); }, 15000), qPrintable(audit->statusLabel()->text()));
    QVERIFY(has("command", "trader: submit buy"));
    QVERIFY(has("order_intent"));
    QVERIFY(has("order_ack"));
    QVERIFY2(audit->statusLabel()->text().contains("matching record"), qPrintable(audit->statusLabel()->text()));
    const int all = audit->model()->rowCount();

    // A filter narrows them: the commands only.
    auto* text = audit->findChild<QLineEdit*>("auditText");
    QVERIFY(text);
    text->setText("trader: submit");
    QTRY_VERIFY_WITH_TIMEOUT(!audit->isBusy() && audit->model()->rowCount() > 0 && audit->model()->rowCount() < all, 8000);
    for (const QString& kind : column(audit, AuditModel::Kind)) QCOMPARE(kind, QString("command"));

    // The export writes them, from the engine's host to this one.
    const QString csv = dir_.filePath("trader-commands.csv");
    QString error;
    const qint64 written = audit->exportCsv(csv, &error);
    QVERIFY2(written == audit->model()->rowCount(), qPrintable(error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    QVERIFY(lines.value(0).startsWith("time_utc,ts_ns,kind,"));
    QCOMPARE(lines.size(), 1 + written + 1);  // the header, the rows, after the last CRLF
    QVERIFY(lines.value(1).contains(",command,") && lines.value(1).contains("trader: submit buy"));

    // All of them, page after page past the cap of the view.
    text->clear();
    audit->setRowCap(2);
    QTRY_VERIFY_WITH_TIMEOUT(!audit->isBusy() && audit->model()->rowCount() == 2, 8000);
    QVERIFY2(audit->statusLabel()->text().startsWith("Showing 2 of "), qPrintable(audit->statusLabel()->text()));
    const QString everything = dir_.filePath("everything.csv");
    const qint64 total = audit->exportCsv(everything, &error);
    QVERIFY2(total >= all, qPrintable(error));
  }

  // Pages continue past their last row over the wire: no record twice, none skipped.
  void pagesContinueFromTheirLastRow() {
    remote::RemoteEngineLink link;
    QVERIFY(attach(link, server_, "risk", "a").empty());
    JournalQuery query;
    query.newestFirst = false;
    query.limit = 3;
    query.countMatching = true;
    const JournalPage first = askPage(link, query);
    QVERIFY2(first.error.empty(), first.error.c_str());
    QCOMPARE(first.rows.size(), std::size_t(3));
    QVERIFY(first.more);
    QVERIFY(first.matching && *first.matching > 3);
    query.after = first.cursorAfter();
    query.countMatching = false;
    const JournalPage second = askPage(link, query);
    QVERIFY2(second.error.empty(), second.error.c_str());
    QVERIFY(!second.rows.empty());
    const JournalQueryRow& last = first.rows.back();
    const JournalQueryRow& next = second.rows.front();
    QVERIFY(next.ts > last.ts || (next.ts == last.ts && next.seq > last.seq));
    query.after.reset();
    query.limit = 6;
    const JournalPage both = askPage(link, query);
    QVERIFY(both.rows.size() >= 4);
    QCOMPARE(both.rows[3].seq, next.seq);
  }

  // Refusals and silence, each said in the view's status line.
  void refusalsAndTimeoutsAreSaid() {
    // The server refuses a viewer's query (the roles file gives it none).
    {
      remote::RemoteEngineLink viewer;
      QVERIFY(attach(viewer, server_, "viewer", "a").empty());
      const auto w = openWindow(viewer, dir_.filePath("layout-viewer.ini"), "audit");
      QVERIFY(w);
      QLabel* status = w->auditView()->statusLabel();
      QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith("not allowed for user viewer"), 8000);
      QVERIFY2(status->text().contains("kappa.a.query.viewer.journal"), qPrintable(status->text()));
      QCOMPARE(w->auditView()->model()->rowCount(), 0);
    }
    // Engine b does not list the trader: the server lets the query through, the engine refuses it.
    {
      ServedEngine b("b", dir_.filePath("b"));
      const QString started = startEngine(b, server_, "someone-else");
      QVERIFY2(started.isEmpty(), qPrintable(started));
      remote::RemoteEngineLink trader;
      const std::string error = attach(trader, server_, "trader", "b");
      QVERIFY2(error.empty(), qPrintable(QString::fromStdString(error) + "\n" + b.output()));
      const JournalPage refused = askPage(trader, JournalQuery{});
      QVERIFY2(refused.error.find("not allowed for user trader: engine 'b'") == 0, refused.error.c_str());
      QVERIFY(refused.rows.empty());
    }
    // Engine a stopped (SIGSTOP): the view says it did not answer, then reads again once it runs.
    remote::RemoteEngineLink link;
    QVERIFY(attach(link, server_, "trader", "a").empty());
    const auto w = openWindow(link, dir_.filePath("layout-trader-2.ini"), "audit");
    QVERIFY(w);
    AuditView* audit = w->auditView();
    QTRY_VERIFY_WITH_TIMEOUT(!audit->isBusy() && audit->model()->rowCount() > 0, 8000);
    QVERIFY(a_->pid() > 0);
    QCOMPARE(::kill(pid_t(a_->pid()), SIGSTOP), 0);
    audit->refresh();
    const bool said = QTest::qWaitFor([&] { return audit->statusLabel()->text() == "engine a did not answer in 5 s"; }, 9000);
    QCOMPARE(::kill(pid_t(a_->pid()), SIGCONT), 0);
    QVERIFY2(said, qPrintable(audit->statusLabel()->text()));
    QCOMPARE(audit->model()->rowCount(), 0);
    audit->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!audit->isBusy() && audit->model()->rowCount() > 0, 8000);
  }

  // The attached Strategy manager offers the files in the engine's plugins folder.
  void strategyManagerListsTheEnginesPluginFiles() {
    remote::RemoteEngineLink link;
    QVERIFY(attach(link, server_, "trader", "a").empty());
    const auto w = openWindow(link, dir_.filePath("layout-strategies.ini"), "strategies");
    QVERIFY(w);
    QAbstractItemModel* plugins = w->strategyManager()->pluginsView()->model();
    const QString expected = QDir(dir_.filePath("a/plugins")).absoluteFilePath("kappa-test-echo.so");
    auto listed = [&] {
      for (int r = 0; r < plugins->rowCount(); ++r)
        if (plugins->index(r, ui::PluginsModel::File).data().toString() == "kappa-test-echo.so" &&
            plugins->index(r, ui::PluginsModel::File).data(Qt::ToolTipRole).toString().contains(expected))
          return true;
      return false;
    };
    QVERIFY2(frameUntil(*w, listed, 8000), qPrintable(w->strategyManager()->findChild<QLabel*>("strategyMessage")->text()));
  }
};

QTEST_MAIN(TestRemoteAudit)
#include "tst_remote_audit.moc"
