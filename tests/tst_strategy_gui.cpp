// The strategy manager, driven like a trader drives it: Ctrl+5 opens it; a plugin the engine loaded
// shows up in the plugin list with its hash and approval; its strategy is chosen under New instance,
// a parameter is typed into its typed editor and Create && start runs an instance with it; Stop,
// Start, Apply and Remove act on the selected instance; the strategy log filters by instance; a
// plugin is unloaded and loaded again; a binary that changed since it was approved is refused until
// the user approves it in a confirmation that shows both hashes; and the risk strip shows the
// watchdog's alarm, naming the plugin, in full.
//
// The build's plugins folder (with kappa-test-echo.so): kappa::test::pluginDir().
// File dialogs cannot be clicked headless: the first plugin is loaded through the engine directly.
#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDockWidget>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QtTest>
#include <cstdio>
#include <future>

#include "MainWindow.hpp"
#include "RiskLimitsView.hpp"
#include "RiskPanel.hpp"
#include "StrategyLog.hpp"
#include "StrategyManager.hpp"
#include "StrategyParamForm.hpp"
#include "Theme.hpp"
#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "models/StrategyLogModel.hpp"
#include "models/StrategyModels.hpp"
#include "models/TradingModels.hpp"
#include "sim/SimVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;

namespace {
const char* const kEchoId = "kappa.test.test-echo";

QString cellText(const QAbstractItemModel* m, int row, int column, int role = Qt::DisplayRole) {
  return m->index(row, column).data(role).toString();
}

int rowWith(const QAbstractItemModel* m, int column, const QString& text) {
  for (int r = 0; r < m->rowCount(); ++r)
    if (cellText(m, r, column) == text) return r;
  return -1;
}

// Index of the "New instance" entry for a strategy id (entries carry {plugin path, strategy id}).
int comboIndexOf(const QComboBox* combo, const QString& strategyId, const QString& pluginFile = {}) {
  for (int i = 0; i < combo->count(); ++i) {
    const QStringList key = combo->itemData(i).toStringList();
    if (key.value(1) == strategyId && (pluginFile.isEmpty() || QFileInfo(key.value(0)).fileName() == pluginFile)) return i;
  }
  return -1;
}

QString sha256Hex(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QCryptographicHash h(QCryptographicHash::Sha256);
  h.addData(&f);
  return QString::fromLatin1(h.result().toHex());
}
}  // namespace

class TestStrategyGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  StrategyLog log_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MainWindow> window_;
  StrategyManager* manager_ = nullptr;
  QString echoPath_;

  QAbstractItemModel* plugins() const { return manager_->pluginsView()->model(); }
  QAbstractItemModel* instances() const { return manager_->instancesView()->model(); }
  QAbstractItemModel* logLines() const { return manager_->logView()->model(); }

  int pluginRow(const QString& file) const { return rowWith(plugins(), PluginsModel::File, file); }
  QString pluginCell(const QString& file, int column, int role = Qt::DisplayRole) const {
    const int r = pluginRow(file);
    return r < 0 ? QString("<no row for %1>").arg(file) : cellText(plugins(), r, column, role);
  }
  int instanceRow(const QString& name) const { return rowWith(instances(), InstancesModel::Name, name); }
  QString instanceState(const QString& name) const {
    const int r = instanceRow(name);
    return r < 0 ? QString("<no row for %1>").arg(name) : cellText(instances(), r, InstancesModel::State);
  }

  // A real click on the row's first cell.
  static void clickRow(QTableView* view, int row) {
    const QModelIndex cell = view->model()->index(row, 0);
    view->scrollTo(cell);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(cell).center());
  }

  // The engine's own view of the instances (test-only: the GUI never waits on the engine).
  std::vector<StrategyRow> engineInstances() {
    return engine_->call([this] {
      std::vector<StrategyRow> rows;
      engine_->strategies().rows(nullptr, &rows);
      return rows;
    });
  }
  std::string engineParam(const std::string& instance, const std::string& param) {
    for (const StrategyRow& r : engineInstances())
      if (r.name == instance)
        for (const ParamRow& p : r.params)
          if (p.name == param) return p.value;
    return "<none>";
  }

  // Waits for a confirmation dialog of the manager and answers it with its Yes button.
  static bool confirm(QWidget* owner, const char* name, QString* text = nullptr) {
    QMessageBox* box = nullptr;
    if (!QTest::qWaitFor([&] { return (box = owner->findChild<QMessageBox*>(name)) != nullptr && box->isVisible(); }, 3000))
      return false;
    if (text) *text = box->text();
    box->button(QMessageBox::Yes)->click();
    return true;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY(QDir(dir_.path()).mkpath("plugins"));
    echoPath_ = QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-test-echo.so");
    QVERIFY2(QFileInfo::exists(echoPath_), qPrintable(echoPath_ + " is missing: build kappa_plugin_test-echo"));

    // What kappa's main() does: strategy lines to the manager's log, warnings to stderr.
    log::setSink([this](log::Level level, std::string_view component, std::string_view message) {
      if (StrategyLog::wants(component)) log_.append(level, component, message);
      if (level >= log::Level::Warn)
        std::fprintf(stderr, "[%s] %.*s: %.*s\n", log::nameOf(level), int(component.size()), component.data(),
                     int(message.size()), message.data());
    });

    sim::SimConfig cfg;
    cfg.seed = 11;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    engine_ = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
    engine_->setDataDir(dir_.path().toStdString());
    engine_->start();
    applyDarkTheme(*qApp);
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->setStrategyLog(&log_);
    manager_ = window_->strategyManager();
    QVERIFY(manager_);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->lastSnapshot() != nullptr, 5000);
  }

  // A restart on the same data directory, looked at in a new window as the trader sees it: the
  // Strategies tab lists the plugin and the instance with its parameters, stopped; the Orders and
  // Fills tabs show the earlier session's orders (filled, refused) and fills from the journal.
  void restartShowsTheSetUpAndTheDayInTheWindow() {
    QTemporaryDir data;
    sim::SimConfig cfg;
    cfg.seed = 12;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    OrderId filled = 0, refused = 0;
    {
      Engine first(std::make_unique<sim::SimVenue>(cfg));
      first.setDataDir(data.path().toStdString());
      first.start();
      Engine::StrategyLaunch l;
      l.path = echoPath_.toStdString();
      l.params = {{"tag", "restart-tag"}};
      l.approve = true;
      auto done = std::make_shared<std::promise<std::string>>();
      auto result = done->get_future();
      first.launchStrategy(l, [done](std::string e) { done->set_value(std::move(e)); });
      QCOMPARE(result.wait_for(std::chrono::seconds(20)), std::future_status::ready);
      QCOMPARE(result.get(), std::string());
      const InstrumentId perp = first.instruments().find("BTC-PERPETUAL")->id;
      QTRY_VERIFY_WITH_TIMEOUT(first.call([&] { return first.marketData().book(perp).bestBid() != nullptr; }), 5000);
      // Each order's id is the next one after those already made (the echo instance may place its own).
      auto send = [&](double qty) {
        OrderRequest r;
        r.instrument = perp;
        r.side = Side::Buy;
        r.type = OrderType::Market;
        r.qty = toFixed(qty);
        const std::uint64_t before = first.call([&] { return first.orders().ordersTotal(); });
        first.submit(r);
        [&] { QTRY_VERIFY_WITH_TIMEOUT(first.call([&] { return first.orders().ordersTotal(); }) > before, 3000); }();
        return OrderId(first.call([&] {
          OrderId newest = 0;
          for (const Order& o : first.orders().orders())
            if (o.request.tag.empty() && o.request.qty == toFixed(qty)) newest = std::max(newest, o.id);
          return newest;
        }));
      };
      filled = send(100);
      refused = send(15);  // not a multiple of the 10 USD lot: refused
      QVERIFY(filled != 0 && refused != 0);
      QTRY_COMPARE_WITH_TIMEOUT(first.call([&] { return first.orders().find(filled)->state; }), OrderState::Filled, 5000);
      QCOMPARE(first.call([&] { return first.orders().find(refused)->state; }), OrderState::Rejected);
      first.journal()->flush();
      first.stop();
    }

    Engine again(std::make_unique<sim::SimVenue>(cfg));
    again.setDataDir(data.path().toStdString());
    again.start();
    MainWindow window(again, data.filePath("layout.ini"));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    StrategyManager* manager = window.strategyManager();
    QVERIFY(window.showView("strategies"));
    QAbstractItemModel* plugins = manager->pluginsView()->model();
    QAbstractItemModel* instances = manager->instancesView()->model();
    QTRY_VERIFY_WITH_TIMEOUT(rowWith(plugins, PluginsModel::File, "kappa-test-echo.so") >= 0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(instances->rowCount(), 1, 5000);
    QCOMPARE(cellText(instances, 0, InstancesModel::State), QString("configured"));  // stopped: the trader starts it
    clickRow(manager->instancesView(), 0);
    QTRY_VERIFY_WITH_TIMEOUT([&] {
      for (const QLineEdit* e : manager->findChildren<QLineEdit*>())
        if (e->isVisible() && e->text() == "restart-tag") return true;
      return false;
    }(), 3000);

    QAbstractItemModel* orders = window.ordersView()->model();
    QTRY_VERIFY_WITH_TIMEOUT(orders->rowCount() >= 2, 5000);
    auto orderState = [&](OrderId id) {
      for (int row = 0; row < orders->rowCount(); ++row)
        if (cellText(orders, row, OrdersModel::Id) == QString::number(id)) return cellText(orders, row, OrdersModel::State);
      return QString("<no row for order %1>").arg(id);
    };
    QCOMPARE(orderState(filled), QString("filled"));
    QCOMPARE(orderState(refused), QString("rejected"));
    FillsModel* fills = window.fillsModel();
    QTRY_VERIFY_WITH_TIMEOUT(fills->rowCount() >= 1, 5000);
    QCOMPARE(cellText(fills, 0, FillsModel::OrderIdCol), QString::number(filled));
    QCOMPARE(cellText(fills, 0, FillsModel::Instrument), QString("BTC-PERPETUAL"));
    again.stop();
  }

  void cleanupTestCase() {
    window_.reset();
    engine_->stop();
    engine_.reset();
    log::setSink(nullptr);
  }

  void ctrl5OpensTheStrategiesTab() {
    auto* tabs = window_->findChild<QTabWidget*>("centralTabs");
    QVERIFY(tabs);
    QCOMPARE(tabs->count(), 7);
    QCOMPARE(tabs->tabText(4), QString("Strategies"));
    QCOMPARE(tabs->widget(4), static_cast<QWidget*>(manager_));
    QVERIFY(tabs->currentWidget() != manager_);
    QApplication::setActiveWindow(window_.get());
    QTest::keyClick(window_.get(), Qt::Key_5, Qt::ControlModifier);
    QTRY_COMPARE(tabs->currentWidget(), static_cast<QWidget*>(manager_));
    QVERIFY(manager_->isVisible());
    QVERIFY(manager_->addPluginButton()->isEnabled());
    // Nothing to act on yet.
    QVERIFY(!manager_->createAndStartButton()->isEnabled());
    QVERIFY(!manager_->startButton()->isEnabled());
  }

  void instanceLifecycleFromTheManager() {
    QVERIFY(window_->showView("strategies"));

    // ---- the plugin appears with its hash and approval ----
    engine_->loadPlugin(echoPath_.toStdString(), false);
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-test-echo.so", PluginsModel::State), QString("loaded"), 5000);
    QCOMPARE(pluginCell("kappa-test-echo.so", PluginsModel::Approval), QString("approved"));
    QCOMPARE(pluginCell("kappa-test-echo.so", PluginsModel::Vendor), QString("Kappa tests"));
    QVERIFY(pluginCell("kappa-test-echo.so", PluginsModel::Strategies).contains("Test: echo"));
    const QString hash = sha256Hex(echoPath_);
    QCOMPARE(pluginCell("kappa-test-echo.so", PluginsModel::Sha256), hash.left(12));
    QCOMPARE(pluginCell("kappa-test-echo.so", PluginsModel::Sha256, Qt::ToolTipRole), hash);

    // ---- New instance: choose the strategy, type a parameter into its editor ----
    QComboBox* combo = manager_->newInstanceStrategy();
    QTRY_VERIFY_WITH_TIMEOUT(comboIndexOf(combo, kEchoId) >= 0, 3000);
    combo->setCurrentIndex(comboIndexOf(combo, kEchoId));
    QVERIFY(combo->currentText().contains("Test: echo"));
    QVERIFY(manager_->createAndStartButton()->isEnabled());
    auto* tag = qobject_cast<QLineEdit*>(manager_->paramForm()->editor("tag"));
    QVERIFY2(tag, "the echo plugin's text parameter 'tag' has no line edit");
    QCOMPARE(tag->text(), QString("echo"));  // the schema's default
    tag->setFocus();
    tag->selectAll();
    QTest::keyClicks(tag, "guitest");
    QCOMPARE(tag->text(), QString("guitest"));
    QTest::qWait(700);  // refreshes come and go (every 500 ms at least): what was typed stays
    QCOMPARE(manager_->paramForm()->editor("tag"), static_cast<QWidget*>(tag));
    QCOMPARE(tag->text(), QString("guitest"));

    // ---- Create && start ----
    QTest::mouseClick(manager_->createAndStartButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(instances()->rowCount(), 1, 5000);
    const QString name = cellText(instances(), 0, InstancesModel::Name);
    QVERIFY2(name.startsWith("test-echo#"), qPrintable(name));
    QTRY_COMPARE_WITH_TIMEOUT(instanceState(name), QString("running"), 5000);
    QCOMPARE(engineParam(name.toStdString(), "tag"), std::string("guitest"));
    QCOMPARE(engineParam(name.toStdString(), "instrument"), std::string("BTC-PERPETUAL"));  // untouched default

    // ---- Stop and Start the selected instance ----
    clickRow(manager_->instancesView(), instanceRow(name));
    const std::uint32_t id = manager_->selectedInstance();
    QVERIFY(id != 0);
    QTRY_VERIFY(manager_->stopButton()->isEnabled());
    QVERIFY(!manager_->startButton()->isEnabled());
    QTest::mouseClick(manager_->stopButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(instanceState(name), QString("stopped"), 3000);
    QCOMPARE(manager_->selectedInstance(), id);  // refreshed in place: the selection stays
    // The status line says what happened, not what was asked ("Stopping …" stayed for good).
    QTRY_COMPARE_WITH_TIMEOUT(manager_->messageLabel()->text(), name + " stopped; its orders are cancelled", 3000);
    QTRY_VERIFY(manager_->startButton()->isEnabled());
    QTest::mouseClick(manager_->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(instanceState(name), QString("running"), 3000);
    QCOMPARE(manager_->selectedInstance(), id);
    QTRY_COMPARE_WITH_TIMEOUT(manager_->messageLabel()->text(), name + " started", 3000);

    // ---- the selected instance's parameters: edit, survive refreshes, Apply ----
    auto* instanceTag = qobject_cast<QLineEdit*>(manager_->paramForm()->editor("tag"));
    QVERIFY(instanceTag);
    QCOMPARE(instanceTag->text(), QString("guitest"));  // the instance's value, not the default
    QVERIFY(!manager_->applyButton()->isEnabled());
    instanceTag->setFocus();
    instanceTag->selectAll();
    QTest::keyClicks(instanceTag, "tuned");
    QTest::qWait(700);
    QCOMPARE(instanceTag->text(), QString("tuned"));
    QVERIFY(manager_->applyButton()->isEnabled());
    QTest::mouseClick(manager_->applyButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(engineParam(name.toStdString(), "tag"), std::string("tuned"), 3000);
    QTest::qWait(700);
    QCOMPARE(instanceTag->text(), QString("tuned"));  // confirmed, not reverted
    QVERIFY(!manager_->applyButton()->isEnabled());

    // ---- the log, all of it and filtered by the instance ----
    QComboBox* filter = manager_->logInstanceFilter();
    QTRY_VERIFY_WITH_TIMEOUT(filter->findText(name) > 0, 3000);
    QCOMPARE(filter->itemText(0), QString("All"));
    filter->setCurrentIndex(0);
    // The plugin loader's line is there unfiltered...
    QTRY_VERIFY_WITH_TIMEOUT(rowWith(logLines(), StrategyLogModel::Source, "plugins") >= 0, 3000);
    // ...and the plugin's own line, typed tag included, arrives at display rate.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
          for (int r = 0; r < logLines()->rowCount(); ++r)
            if (cellText(logLines(), r, StrategyLogModel::Source) == "strategy:" + name &&
                cellText(logLines(), r, StrategyLogModel::Message).contains("[guitest] started on BTC-PERPETUAL"))
              return true;
          return false;
        }(),
        3000);
    const int allRows = logLines()->rowCount();
    filter->setCurrentIndex(filter->findText(name));
    QVERIFY(logLines()->rowCount() > 0);
    QVERIFY(logLines()->rowCount() < allRows);
    bool ownLine = false, hostLine = false;
    for (int r = 0; r < logLines()->rowCount(); ++r) {
      const QString source = cellText(logLines(), r, StrategyLogModel::Source);
      const QString message = cellText(logLines(), r, StrategyLogModel::Message);
      QVERIFY2(source == "strategy:" + name || message.contains(name), qPrintable(source + ": " + message));
      ownLine = ownLine || source == "strategy:" + name;
      hostLine = hostLine || (source == "strategy" && message.startsWith(name + " started"));
    }
    QVERIFY(ownLine);
    QVERIFY(hostLine);  // the host's lifecycle lines about the instance come with it
    filter->setCurrentIndex(0);
    QCOMPARE(logLines()->rowCount() >= allRows, true);

    // ---- Stop one strategy from the risk limits tab, then start it again here ----
    RiskLimitsView* risk = window_->riskLimits();
    window_->frame();
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), risk->strategyChoice()->findText(name) >= 0), 3000);
    risk->strategyChoice()->setCurrentIndex(risk->strategyChoice()->findText(name));
    QVERIFY(risk->stopStrategyButton()->isEnabled());
    QTest::mouseClick(risk->stopStrategyButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(instanceState(name), QString("stopped"), 3000);
    QTRY_COMPARE_WITH_TIMEOUT((window_->frame(), risk->strategyChoice()->findText(name)), -1, 3000);  // only running ones
    clickRow(manager_->instancesView(), instanceRow(name));
    QTRY_VERIFY(manager_->startButton()->isEnabled());
    QTest::mouseClick(manager_->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(instanceState(name), QString("running"), 3000);

    // ---- Remove: running, so it asks first ----
    clickRow(manager_->instancesView(), instanceRow(name));
    QVERIFY(manager_->removeButton()->isEnabled());
    QTest::mouseClick(manager_->removeButton(), Qt::LeftButton);
    QVERIFY(confirm(manager_, "removeInstanceConfirmation"));
    QTRY_COMPARE_WITH_TIMEOUT(instances()->rowCount(), 0, 3000);
    QVERIFY(engineInstances().empty());
    QTRY_COMPARE_WITH_TIMEOUT(manager_->messageLabel()->text(), "Removed " + name, 3000);
    QVERIFY(filter->findText(name) > 0);  // its lines stay reachable in the log

    // ---- Unload, then Load again from the same row ----
    clickRow(manager_->pluginsView(), pluginRow("kappa-test-echo.so"));
    QTRY_VERIFY(manager_->unloadButton()->isEnabled());
    QVERIFY(!manager_->loadButton()->isEnabled());
    QTest::mouseClick(manager_->unloadButton(), Qt::LeftButton);
    QVERIFY(confirm(manager_, "unloadPluginConfirmation"));
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-test-echo.so", PluginsModel::State), QString("not loaded"), 3000);
    QTRY_COMPARE_WITH_TIMEOUT(manager_->messageLabel()->text(), QString("Unloaded kappa-test-echo.so"), 3000);
    QTRY_COMPARE(comboIndexOf(combo, kEchoId), -1);
    QTRY_VERIFY(manager_->loadButton()->isEnabled());
    QTest::mouseClick(manager_->loadButton(), Qt::LeftButton);
    QVERIFY(manager_->messageLabel()->text().startsWith("Loading kappa-test-echo.so"));
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-test-echo.so", PluginsModel::State), QString("loaded"), 5000);
    QTRY_VERIFY(comboIndexOf(combo, kEchoId) >= 0);
    // "Loading kappa-options-mm.so…" stayed after the plugin had loaded.
    QTRY_VERIFY_WITH_TIMEOUT(manager_->messageLabel()->text().startsWith("Loaded kappa-test-echo.so: Test: echo"), 3000);
    QVERIFY(!manager_->messageLabel()->text().contains("…"));
  }

  void changedBinaryIsRefusedUntilApproved() {
    QVERIFY(window_->showView("strategies"));
    // A file in the data folder's plugins/ is listed by the periodic folder listing, unloaded.
    const QString copy = QDir(dir_.path()).filePath("plugins/kappa-copy.so");
    QVERIFY(QFile::copy(echoPath_, copy));
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-copy.so", PluginsModel::State), QString("not loaded"), 5000);
    QCOMPARE(pluginCell("kappa-copy.so", PluginsModel::Approval), QString("unknown"));

    // First load: recorded as approved.
    clickRow(manager_->pluginsView(), pluginRow("kappa-copy.so"));
    QTRY_VERIFY(manager_->loadButton()->isEnabled());
    QVERIFY(!manager_->approveButton()->isEnabled());
    QTest::mouseClick(manager_->loadButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-copy.so", PluginsModel::State), QString("loaded"), 5000);
    QCOMPARE(pluginCell("kappa-copy.so", PluginsModel::Approval), QString("approved"));
    const QString approvedHash = sha256Hex(copy);

    // Unload, and the file changes on disk.
    clickRow(manager_->pluginsView(), pluginRow("kappa-copy.so"));
    QTRY_VERIFY(manager_->unloadButton()->isEnabled());
    QTest::mouseClick(manager_->unloadButton(), Qt::LeftButton);
    QVERIFY(confirm(manager_, "unloadPluginConfirmation"));
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-copy.so", PluginsModel::State), QString("not loaded"), 3000);
    {
      QFile f(copy);
      QVERIFY(f.open(QIODevice::Append));
      QVERIFY(f.write(QByteArray(64, '\0')) == 64);  // trailing bytes: still a loadable library, another hash
    }
    const QString newHash = sha256Hex(copy);
    QVERIFY(newHash != approvedHash);

    // Load: refused, CHANGED; only "Approve && load" can load it.
    QTRY_VERIFY(manager_->loadButton()->isEnabled());
    QTest::mouseClick(manager_->loadButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-copy.so", PluginsModel::Approval), QString("CHANGED"), 5000);
    QVERIFY(pluginCell("kappa-copy.so", PluginsModel::State).startsWith("refused: "));
    QCOMPARE(pluginCell("kappa-copy.so", PluginsModel::Sha256), newHash.left(12));
    QTRY_VERIFY(manager_->approveButton()->isEnabled());
    QVERIFY(!manager_->loadButton()->isEnabled());
    QVERIFY(!manager_->unloadButton()->isEnabled());

    // Approve && load asks first, with the old and the new hash in full.
    QTest::mouseClick(manager_->approveButton(), Qt::LeftButton);
    QString question;
    QVERIFY(confirm(manager_, "approvePluginConfirmation", &question));
    QVERIFY2(question.contains(approvedHash) && question.contains(newHash), qPrintable(question));
    QTRY_COMPARE_WITH_TIMEOUT(pluginCell("kappa-copy.so", PluginsModel::State), QString("loaded"), 5000);
    QCOMPARE(pluginCell("kappa-copy.so", PluginsModel::Approval), QString("approved"));
    QCOMPARE(pluginCell("kappa-copy.so", PluginsModel::Sha256, Qt::ToolTipRole), newHash);
    QVERIFY(!manager_->approveButton()->isEnabled());
    // Two files offer the same strategy now: the entries name their file.
    QTRY_VERIFY(comboIndexOf(manager_->newInstanceStrategy(), kEchoId, "kappa-copy.so") >= 0);
    const int entry = comboIndexOf(manager_->newInstanceStrategy(), kEchoId, "kappa-copy.so");
    QVERIFY(manager_->newInstanceStrategy()->itemText(entry).contains("kappa-copy.so"));
  }

  // Opening a tab or adding strategies must not change the docks' sizes (it widened the centre and
  // squeezed the watchlist and the ladder, and that layout was saved).
  void tabsAndStrategiesKeepTheDocksSizes() {
    auto* watch = window_->findChild<QDockWidget*>("watchlistDock");
    auto* ladder = window_->findChild<QDockWidget*>("ladderDock");
    QVERIFY(watch && ladder);
    window_->showView("chart");
    QTest::qWait(50);
    const int watchWidth = watch->width(), ladderWidth = ladder->width();
    for (const char* view : {"chain", "surface", "greeks", "strategies", "risk", "audit"}) {
      window_->showView(view);
      QTest::qWait(50);
      QCOMPARE(watch->width(), watchWidth);
      QCOMPARE(ladder->width(), ladderWidth);
    }
    // Instances of the example strategies (the hedger has the longest parameter ranges), created
    // and selected in the manager, a plugin at a long path among them.
    QVERIFY(window_->showView("strategies"));
    const QString deep = dir_.filePath("a-rather-long-folder-name-for-strategy-plugins/of-a-desk-with-many-folders");
    QVERIFY(QDir().mkpath(deep));
    const QString copy = deep + "/kappa-delta-hedger-with-a-long-file-name.so";
    QVERIFY(QFile::copy(QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-delta-hedger.so"), copy));
    const std::size_t before = engine_->call([&] { return engine_->strategies().instanceCount(); });
    for (const QString& path : {copy, QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-options-mm.so"),
                                QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-perp-momentum.so")}) {
      Engine::StrategyLaunch l;
      l.path = path.toStdString();
      l.start = false;
      l.approve = true;
      engine_->launchStrategy(l);
    }
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->strategies().instanceCount(); }) >= before + 3, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(instances()->rowCount() >= int(before + 3), 3000);
    for (int row = 0; row < instances()->rowCount(); ++row) {
      clickRow(manager_->instancesView(), row);
      QTest::qWait(100);
      QCOMPARE(watch->width(), watchWidth);
      QCOMPARE(ladder->width(), ladderWidth);
    }
    window_->showView("chart");
  }

  void watchdogAlarmIsShownInFullByTheRiskStrip() {
    // A callback that never returns would leave this process's engine thread stuck for good
    // (tst_strategy covers that with a separate kappa process). The strip is checked on its own,
    // in the main-window slot it has in MainWindow, at a width where the alarm must wrap.
    QMainWindow w;
    auto* top = new QWidget;
    auto* column = new QVBoxLayout(top);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(0);
    column->addWidget(new QMenuBar(top));
    auto* risk = new RiskPanel(top);
    column->addWidget(risk);
    w.setMenuWidget(top);
    w.setCentralWidget(new QWidget);
    w.resize(900, 600);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QLabel* alarm = risk->watchdogAlarmLabel();
    QVERIFY(alarm->isHidden());
    QCOMPARE(risk->stateText(), QString("ACTIVE"));

    const QString text = "watchdog: strategy test-spins#1 (/opt/kappa/plugins/kappa-test-spins.so) has been inside "
                         "on_book for 1000 ms and does not return: all automation halted";
    risk->setWatchdogAlarm(text, wallNow());
    QVERIFY(alarm->isVisible());
    QVERIFY(alarm->text().contains(text));  // which plugin, which callback: all of it
    QVERIFY(alarm->wordWrap());
    QCOMPARE(risk->stateText(), QString("HALTED"));  // no snapshot will come to say so
    // Wrapped onto several lines, every one of them on screen.
    QTRY_VERIFY(alarm->heightForWidth(alarm->width()) > 2 * alarm->fontMetrics().height());
    QTRY_VERIFY(alarm->height() + 2 >= alarm->heightForWidth(alarm->width()));
    QVERIFY(alarm->visibleRegion().boundingRect().height() + 2 >= alarm->heightForWidth(alarm->width()));

    // Still a working strip: HALT ALL answers, RESUME is offered.
    QSignalSpy halt(risk, &RiskPanel::haltClicked);
    QTest::mouseClick(risk->haltButton(), Qt::LeftButton);
    QCOMPARE(halt.count(), 1);
    QVERIFY(risk->resumeButton()->isEnabled());
    // frame() sets it every frame: the same text changes nothing; none hides the line.
    risk->setWatchdogAlarm(text, wallNow());
    QVERIFY(alarm->isVisible());
    QCOMPARE(risk->watchdogAlarmText(), text);
    risk->setWatchdogAlarm({}, wallNow());
    QVERIFY(alarm->isHidden());
  }
};

QTEST_MAIN(TestStrategyGui)
#include "tst_strategy_gui.moc"
