#include "StrategyManager.hpp"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QThread>
#include <QVBoxLayout>
#include <chrono>
#include <map>
#include <tuple>

#include "ColumnFit.hpp"
#include "PlaceholderTableView.hpp"
#include "StrategyLog.hpp"
#include "StrategyParamForm.hpp"
#include "Theme.hpp"
#include "models/StrategyLogModel.hpp"
#include "models/StrategyModels.hpp"

namespace kappa::ui {
namespace {
constexpr qint64 kFolderPollMs = 2000;  // a directory listing: often enough to notice a new file

QString qs(const std::string& s) { return QString::fromStdString(s); }
QString fileName(const std::string& path) { return QFileInfo(qs(path)).fileName(); }

QLabel* sectionTitle(const QString& text) {
  auto* l = new QLabel(text);
  l->setStyleSheet("color:#8a93a3; font-size:10px; font-weight:bold; letter-spacing:2px;");
  return l;
}

QPushButton* button(const QString& text, const QString& tip, const QString& name) {
  auto* b = new QPushButton(text);
  b->setToolTip(tip);
  b->setObjectName(name);
  b->setFocusPolicy(Qt::TabFocus);  // a click must not steal focus from an editor being typed in
  return b;
}

QTableView* makeTable(QAbstractItemModel* model, const QString& emptyText, QWidget* parent) {
  auto* view = new PlaceholderTableView(emptyText, parent);
  view->setModel(model);
  view->setSelectionBehavior(QAbstractItemView::SelectRows);
  view->setSelectionMode(QAbstractItemView::SingleSelection);
  view->setEditTriggers(QAbstractItemView::NoEditTriggers);
  view->setAlternatingRowColors(true);
  view->setShowGrid(false);
  view->setWordWrap(false);
  view->setTextElideMode(Qt::ElideRight);
  view->verticalHeader()->setVisible(false);
  view->verticalHeader()->setDefaultSectionSize(20);
  view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // never ResizeToContents on live tables
  view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  view->horizontalHeader()->setStretchLastSection(true);
  view->horizontalHeader()->setHighlightSections(false);
  return view;
}

QVBoxLayout* sectionLayout(QWidget* w) {
  auto* v = new QVBoxLayout(w);
  v->setContentsMargins(6, 6, 6, 4);
  v->setSpacing(4);
  return v;
}
}  // namespace

StrategyManager::StrategyManager(EngineLink& engine, QWidget* parent) : QWidget(parent), engine_(engine) {
  setObjectName("strategyManager");
  plugins_ = new PluginsModel(this);
  instances_ = new InstancesModel(this);
  logModel_ = new StrategyLogModel(this);

  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->setObjectName("strategySplitter");
  split->setChildrenCollapsible(false);
  outer->addWidget(split);

  split->addWidget(buildPluginsSection());
  auto* middle = middle_ = new QSplitter(Qt::Horizontal, split);
  middle->setObjectName("strategyMiddleSplitter");
  middle->setChildrenCollapsible(false);
  middle->addWidget(buildInstancesSection());
  middle->addWidget(buildParamsSection());
  middle->setStretchFactor(0, 1);
  middle->setStretchFactor(1, 0);
  split->addWidget(middle);
  split->addWidget(buildLogSection());
  // Plugins: a handful of rows; instances and their parameters: most; the log: the rest.
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 2);
  split->setStretchFactor(2, 1);
  split->widget(0)->setMinimumHeight(110);
  split->setSizes({130, 420, 200});  // in proportion, whatever the tab's height

  refreshButtons();
}

StrategyManager::~StrategyManager() = default;

// ---- layout ----

QWidget* StrategyManager::buildPluginsSection() {
  auto* w = new QWidget;
  auto* v = sectionLayout(w);
  auto* head = new QHBoxLayout;
  head->addWidget(sectionTitle("PLUGINS"));
  head->addStretch();
  addPlugin_ = button("Add plugin file…", "Choose a strategy plugin (.so) and load it", "addPluginButton");
  load_ = button("Load", "Load the selected plugin file (its hash is checked against the approvals)", "loadPluginButton");
  approve_ = button("Approve && load",
                    "The selected file changed since it was approved: review its new hash, approve it and load it",
                    "approvePluginButton");
  unload_ = button("Unload", "Stop and remove the plugin's instances, then unload it", "unloadPluginButton");
  for (QPushButton* b : {addPlugin_, load_, approve_, unload_}) head->addWidget(b);
  v->addLayout(head);

  pluginsView_ = makeTable(plugins_, "No plugins — Add plugin file…, or put .so files in the data folder's plugins/", w);
  pluginsView_->setObjectName("pluginsTable");
  pluginsView_->setColumnWidth(PluginsModel::File, 210);
  pluginsView_->setColumnWidth(PluginsModel::Strategies, 230);
  pluginsView_->setColumnWidth(PluginsModel::Vendor, 130);
  pluginsView_->setColumnWidth(PluginsModel::Sha256, 110);
  pluginsView_->setColumnWidth(PluginsModel::Approval, 90);
  v->addWidget(pluginsView_);

  connect(addPlugin_, &QPushButton::clicked, this, &StrategyManager::addPluginFile);
  connect(load_, &QPushButton::clicked, this, &StrategyManager::loadSelectedPlugin);
  connect(approve_, &QPushButton::clicked, this, &StrategyManager::approveSelectedPlugin);
  connect(unload_, &QPushButton::clicked, this, &StrategyManager::unloadSelectedPlugin);
  connect(pluginsView_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { refreshButtons(); });
  return w;
}

QWidget* StrategyManager::buildInstancesSection() {
  auto* w = new QWidget;
  auto* v = sectionLayout(w);

  // The section's title on its own line: beside the combo and buttons it made the instances pane
  // too wide to leave the parameters their room in the default layout.
  v->addWidget(sectionTitle("NEW INSTANCE"));
  auto* create = new QHBoxLayout;
  strategyCombo_ = new QComboBox;
  strategyCombo_->setObjectName("newInstanceStrategy");
  strategyCombo_->setPlaceholderText("Load a plugin to create instances");
  strategyCombo_->setToolTip("Strategy of the new instance; its parameters are edited on the right");
  strategyCombo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  strategyCombo_->setMinimumContentsLength(10);
  strategyCombo_->setMinimumWidth(120);  // names are long (the placeholder too): the rest is in the tooltip and the parameters' title
  create->addWidget(strategyCombo_, 1);
  create_ = button("Create", "Create a stopped instance with the parameters on the right", "createInstanceButton");
  createAndStart_ = button("Create && start", "Create an instance with the parameters on the right and start it",
                           "createAndStartButton");
  create->addWidget(create_);
  create->addWidget(createAndStart_);
  v->addLayout(create);

  auto* head = new QHBoxLayout;
  head->addWidget(sectionTitle("INSTANCES"));
  head->addStretch();
  start_ = button("Start", "Start the selected instance", "startInstanceButton");
  stop_ = button("Stop", "Stop the selected instance: no more callbacks, its orders are cancelled", "stopInstanceButton");
  remove_ = button("Remove", "Remove the selected instance (stopped first if running)", "removeInstanceButton");
  for (QPushButton* b : {start_, stop_, remove_}) head->addWidget(b);
  v->addLayout(head);

  instancesView_ = makeTable(instances_, "No strategy instances — choose a strategy above and Create", w);
  instancesView_->setObjectName("instancesTable");
  // Sized so that everything up to the PnL fits beside the parameters on a 1600-px window; the
  // last error takes what is left.
  instancesView_->setColumnWidth(InstancesModel::Name, 112);
  instancesView_->setColumnWidth(InstancesModel::Strategy, 118);
  instancesView_->setColumnWidth(InstancesModel::State, 64);
  instancesView_->setColumnWidth(InstancesModel::Orders, 62);
  instancesView_->setColumnWidth(InstancesModel::Working, 56);
  instancesView_->setColumnWidth(InstancesModel::Fills, 40);
  instancesView_->setColumnWidth(InstancesModel::Pnl, 82);
  instancesView_->setColumnWidth(InstancesModel::Faults, 44);
  instancesView_->setColumnWidth(InstancesModel::Overruns, 62);
  fitColumns(instancesView_, {{InstancesModel::State, {"configured", "running", "faulted"}},
                              {InstancesModel::Orders, {"1000 / 1000"}},
                              {InstancesModel::Working, {"50"}},
                              {InstancesModel::Pnl, {"-0.123456"}}, {InstancesModel::Fills, {"1000"}}});
  v->addWidget(instancesView_, 1);

  message_ = new QLabel;
  message_->setObjectName("strategyMessage");
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  v->addWidget(message_);

  connect(strategyCombo_, &QComboBox::currentIndexChanged, this, [this] {
    // Choosing another strategy is about a new instance: the selected one's values no longer apply.
    if (!syncingCombo_) {
      const StrategyRow* r = selectedInstanceRow();
      if (r && std::make_pair(r->pluginPath, r->strategyId) != chosenStrategy()) selectInstance(0);
    }
    refreshParams();
    refreshButtons();
  });
  connect(create_, &QPushButton::clicked, this, [this] { createInstance(false); });
  connect(createAndStart_, &QPushButton::clicked, this, [this] { createInstance(true); });
  connect(start_, &QPushButton::clicked, this, &StrategyManager::startSelected);
  connect(stop_, &QPushButton::clicked, this, &StrategyManager::stopSelected);
  connect(remove_, &QPushButton::clicked, this, &StrategyManager::removeSelected);
  connect(instancesView_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    // The "New instance" combo follows the selection, so Create makes another one like it.
    if (const StrategyRow* r = selectedInstanceRow()) {
      for (int i = 0; i < strategyCombo_->count(); ++i) {
        const QStringList key = strategyCombo_->itemData(i).toStringList();
        if (key.value(0) == qs(r->pluginPath) && key.value(1) == qs(r->strategyId)) {
          syncingCombo_ = true;
          strategyCombo_->setCurrentIndex(i);
          syncingCombo_ = false;
          break;
        }
      }
    }
    refreshParams();
    refreshButtons();
  });
  return w;
}

QWidget* StrategyManager::buildParamsSection() {
  auto* w = new QWidget;
  auto* v = sectionLayout(w);
  auto* head = new QHBoxLayout;
  head->addWidget(sectionTitle("PARAMETERS"));
  paramsTitle_ = new QLabel;
  paramsTitle_->setStyleSheet("font-weight:bold;");
  paramsTitle_->setWordWrap(true);  // a long instance and strategy name must not widen the pane
  head->addWidget(paramsTitle_, 1);
  v->addLayout(head);
  paramsNote_ = new QLabel;
  paramsNote_->setWordWrap(true);
  paramsNote_->setStyleSheet(QString("color:%1; font-size:11px;").arg(colors::dimText.name()));
  v->addWidget(paramsNote_);

  params_ = new StrategyParamForm;
  params_->setObjectName("strategyParams");
  auto* scroll = new QScrollArea;
  paramsScroll_ = scroll;
  scroll->setWidget(params_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  v->addWidget(scroll, 1);

  auto* foot = new QHBoxLayout;
  foot->addStretch();
  apply_ = button("Apply", "Send the changed values (marked *) to the selected instance", "applyParamsButton");
  foot->addWidget(apply_);
  v->addLayout(foot);

  connect(apply_, &QPushButton::clicked, this, &StrategyManager::applyParams);
  connect(params_, &StrategyParamForm::edited, this,
          [this] { apply_->setEnabled(paramTarget_.instance && params_->hasChanges()); });
  connect(params_, &StrategyParamForm::notTaken, this, [this](const QString& name) {
    showMessage(QString("Parameter %1 was not taken by the engine: it shows the value in effect again "
                        "(reason in the log)")
                    .arg(name),
                true);
  });
  return w;
}

QWidget* StrategyManager::buildLogSection() {
  auto* w = new QWidget;
  auto* v = sectionLayout(w);
  auto* head = new QHBoxLayout;
  head->addWidget(sectionTitle("STRATEGY LOG"));
  head->addSpacing(12);
  head->addWidget(new QLabel("Instance"));
  logInstance_ = new QComboBox;
  logInstance_->setObjectName("logInstanceFilter");
  logInstance_->setToolTip("Show one instance's lines: its own messages and the host's messages about it");
  logInstance_->addItem("All");
  logInstance_->setMinimumContentsLength(16);
  logInstance_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  head->addWidget(logInstance_);
  head->addSpacing(8);
  head->addWidget(new QLabel("Level"));
  logLevel_ = new QComboBox;
  logLevel_->setObjectName("logLevelFilter");
  logLevel_->setToolTip("Lowest level shown");
  logLevel_->addItem("Debug and above", int(log::Level::Debug));
  logLevel_->addItem("Info and above", int(log::Level::Info));
  logLevel_->addItem("Warnings and errors", int(log::Level::Warn));
  logLevel_->addItem("Errors only", int(log::Level::Error));
  logLevel_->setCurrentIndex(1);
  head->addWidget(logLevel_);
  head->addStretch();
  logCount_ = new QLabel;
  logCount_->setStyleSheet(QString("color:%1;").arg(colors::dimText.name()));
  head->addWidget(logCount_);
  v->addLayout(head);

  logView_ = makeTable(logModel_, "No strategy log lines yet", w);
  logView_->setObjectName("strategyLogTable");
  logView_->setSelectionMode(QAbstractItemView::ExtendedSelection);  // copy several lines
  logView_->setColumnWidth(StrategyLogModel::Time, 96);
  logView_->setColumnWidth(StrategyLogModel::Level, 56);
  logView_->setColumnWidth(StrategyLogModel::Source, 180);
  v->addWidget(logView_, 1);

  logModel_->setFilter({}, log::Level(logLevel_->currentData().toInt()));
  connect(logInstance_, &QComboBox::currentIndexChanged, this, &StrategyManager::applyLogFilter);
  connect(logLevel_, &QComboBox::currentIndexChanged, this, &StrategyManager::applyLogFilter);
  return w;
}

// ---- refresh ----

void StrategyManager::setLog(StrategyLog* log) { log_ = log; }

void StrategyManager::update(const EngineSnapshot& s) {
  snapshotPlugins_ = s.plugins;
  refreshPlugins();
  refreshStrategyCombo(s);
  instances_->setRows(s.strategies);
  for (const StrategyRow& r : s.strategies) newestInstance_ = std::max(newestInstance_, r.id);
  if (selectNewInstance_) {
    for (const StrategyRow& r : s.strategies) {
      if (r.id <= selectAbove_) continue;
      selectNewInstance_ = false;
      selectInstance(r.id);
      break;
    }
  }
  refreshLogInstances(s);
  refreshParams();
  refreshButtons();
  resolvePending(s);
}

void StrategyManager::expect(Pending kind, const std::string& path, std::uint32_t instance, const QString& name,
                             const QString& text) {
  pending_ = {};
  pending_.kind = kind;
  pending_.path = path;
  pending_.instance = instance;
  pending_.name = name;
  for (const PluginRow& p : snapshotPlugins_)
    if (p.path == path) pending_.errorBefore = p.error;
  pending_.since.start();
  showMessage(text, false);
}

void StrategyManager::resolvePending(const EngineSnapshot& s) {
  if (pending_.kind == Pending::None) return;
  const PluginRow* plugin = nullptr;
  for (const PluginRow& p : s.plugins)
    if (p.path == pending_.path) plugin = &p;
  const StrategyRow* inst = nullptr;
  for (const StrategyRow& r : s.strategies)
    if (r.id == pending_.instance) inst = &r;
  // A snapshot may predate the command: only an outcome that differs from the state before it
  // counts, and after a few seconds the line says what the engine shows rather than keep waiting.
  const bool late = pending_.since.hasExpired(5000);
  QString text;
  bool error = false;
  switch (pending_.kind) {
    case Pending::None: return;
    case Pending::Load:
      if (plugin && plugin->loaded) {
        QStringList names;
        for (const StrategyDescriptionRow& d : plugin->strategies) names << qs(d.name);
        text = QString("Loaded %1: %2").arg(pending_.name, names.isEmpty() ? QString("no strategies") : names.join(", "));
      } else if (plugin && !plugin->error.empty() && (plugin->error != pending_.errorBefore || pending_.since.hasExpired(2000))) {
        text = QString("Could not load %1: %2").arg(pending_.name, qs(plugin->error));
        error = true;
      } else if (late) {
        text = QString("%1 is not loaded yet (no answer from the loader in 5 s)").arg(pending_.name);
        error = true;
      }
      break;
    case Pending::Unload:
      if (!plugin || !plugin->loaded) text = QString("Unloaded %1").arg(pending_.name);
      break;
    case Pending::Start:
      if (!inst) {
        text = QString("%1 is gone (removed)").arg(pending_.name);
      } else if (inst->state == InstanceState::Running) {
        text = QString("%1 started").arg(pending_.name);
      } else if (inst->state == InstanceState::Faulted) {
        text = QString("%1 did not start: %2").arg(pending_.name, qs(inst->lastError.empty() ? "faulted" : inst->lastError));
        error = true;
      } else if (late) {
        text = QString("%1 did not start (still %2; the strategy log says why)").arg(pending_.name, QString::fromLatin1(nameOf(inst->state)));
        error = true;
      }
      break;
    case Pending::Stop:
      if (!inst) text = QString("%1 is gone (removed)").arg(pending_.name);
      else if (inst->state != InstanceState::Running) text = QString("%1 stopped; its orders are cancelled").arg(pending_.name);
      break;
    case Pending::Remove:
      if (!inst) text = QString("Removed %1").arg(pending_.name);
      break;
  }
  if (text.isEmpty()) return;
  pending_ = {};
  showMessage(text, error);
}

void StrategyManager::pollPluginFolder() {
  if (folderListing_ || (folderPoll_.isValid() && !folderPoll_.hasExpired(kFolderPollMs))) return;
  folderPoll_.start();
  folderListing_ = true;
  // A local engine's folder is read right here; a remote engine answers later, on another thread.
  QPointer<StrategyManager> self(this);
  engine_.listPluginFiles([self, gui = thread()](std::vector<std::string> files, std::string error) {
    auto apply = [self, files = std::move(files), error = std::move(error)] {
      if (self) self->applyPluginFiles(files, qs(error));
    };
    if (QThread::currentThread() == gui) apply();
    else QMetaObject::invokeMethod(qApp, apply, Qt::QueuedConnection);
  });
}

void StrategyManager::applyPluginFiles(std::vector<std::string> files, const QString& error) {
  folderListing_ = false;
  const bool remote = engine_.link().remote;
  if (!error.isEmpty()) {
    // Said once (the folder is asked for every few seconds); the last list stays.
    if (error != folderError_) showMessage("The engine's plugin files: " + error, true);
    folderError_ = error;
    return;
  }
  folderError_.clear();
  folderFiles_.clear();
  // A remote engine's paths are on its host: named as it names them (it checks them itself).
  for (const std::string& f : files) folderFiles_.push_back(remote ? f : PluginLoader::canonicalPath(f));
  if (!remote) std::erase_if(knownFiles_, [](const std::string& f) { return !QFileInfo::exists(qs(f)); });
  refreshPlugins();
}

void StrategyManager::refreshPlugins() {
  pollPluginFolder();
  std::vector<PluginRow> rows = snapshotPlugins_;
  std::set<std::string> listed;
  for (const PluginRow& p : rows) {
    listed.insert(p.path);
    knownFiles_.insert(p.path);  // stays listed after an unload, ready to be loaded again
  }
  auto addUnloaded = [&](const std::string& path) {
    if (!listed.insert(path).second) return;
    PluginRow p;
    p.path = path;
    rows.push_back(std::move(p));
  };
  for (const std::string& f : knownFiles_) addUnloaded(f);
  for (const std::string& f : folderFiles_) addUnloaded(f);
  plugins_->setRows(std::move(rows));
}

void StrategyManager::refreshStrategyCombo(const EngineSnapshot& s) {
  // (path, id) of every strategy a loaded plugin offers, in plugin-path order like the table.
  std::vector<std::pair<const PluginRow*, const StrategyDescriptionRow*>> offered;
  for (const PluginRow& p : s.plugins)
    if (p.loaded)
      for (const StrategyDescriptionRow& d : p.strategies) offered.emplace_back(&p, &d);
  std::sort(offered.begin(), offered.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first->path, a.second->id) < std::tie(b.first->path, b.second->id);
  });
  QList<QVariant> keys;
  for (const auto& [p, d] : offered) keys << QStringList{qs(p->path), qs(d->id)};
  bool same = keys.size() == strategyCombo_->count();
  for (int i = 0; same && i < keys.size(); ++i) same = strategyCombo_->itemData(i) == keys[i];
  if (same) return;

  std::map<std::string, int> idCount;
  for (const auto& [p, d] : offered) ++idCount[d->id];
  const QVariant before = strategyCombo_->currentData();
  {
    const QSignalBlocker quiet(strategyCombo_);
    strategyCombo_->clear();
    for (int i = 0; i < keys.size(); ++i) {
      const auto& [p, d] = offered[std::size_t(i)];
      // The same strategy id from two files (an old and a new build) needs the file to tell them apart.
      QString text = qs(d->name) + " — " + qs(d->id);
      if (idCount[d->id] > 1) text += "  (" + fileName(p->path) + ")";
      strategyCombo_->addItem(text, keys[i]);
      const QString tip = QString("%1 %2 by %3\n%4\n%5")
                              .arg(qs(d->name), qs(d->version), qs(d->vendor), qs(d->description), qs(p->path));
      strategyCombo_->setItemData(i, tip, Qt::ToolTipRole);
    }
    const int keep = strategyCombo_->findData(before);
    strategyCombo_->setCurrentIndex(keep >= 0 ? keep : (keys.isEmpty() ? -1 : 0));
  }
  strategyCombo_->setEnabled(!keys.isEmpty());
}

void StrategyManager::refreshLogInstances(const EngineSnapshot& s) {
  bool grew = false;
  for (const StrategyRow& r : s.strategies) grew = instanceNames_.insert(qs(r.name)).second || grew;
  if (!grew) return;
  const QString current = logInstance_->currentIndex() > 0 ? logInstance_->currentText() : QString();
  const QSignalBlocker quiet(logInstance_);  // same filter before and after: no model reset
  logInstance_->clear();
  logInstance_->addItem("All");
  for (const QString& name : instanceNames_) logInstance_->addItem(name);
  const int keep = current.isEmpty() ? 0 : logInstance_->findText(current);
  logInstance_->setCurrentIndex(std::max(0, keep));
}

void StrategyManager::refreshParams() {
  ParamTarget target;
  const std::vector<ParamRow>* rows = nullptr;
  QString title, note;
  if (const StrategyRow* r = selectedInstanceRow()) {
    target.instance = r->id;
    target.pluginPath = r->pluginPath;
    target.strategyId = r->strategyId;
    rows = &r->params;
    title = QString("%1 — %2 %3").arg(qs(r->name), qs(r->strategyName), qs(r->version));
    note = r->state == InstanceState::Running
               ? "Apply sends the changed values (*) to the running instance at once."
               : "Apply sends the changed values (*); the instance reads them when it starts.";
  } else {
    const auto [path, id] = chosenStrategy();
    if (const StrategyDescriptionRow* d = describe(path, id)) {
      target.pluginPath = path;
      target.strategyId = id;
      rows = &d->params;
      title = QString("new %1 %2").arg(qs(d->name), qs(d->version));
      note = "Defaults of a new instance: edit them, then Create or Create && start.";
    } else {
      note = "Select an instance, or choose a strategy under New instance.";
    }
  }
  if (rows) target.signature = StrategyParamForm::signature(*rows);
  if (!(target == paramTarget_)) {
    paramTarget_ = target;
    if (rows) params_->setParams(*rows);
    else params_->clear();
    fitParamsPane();
  } else if (rows) {
    params_->syncValues(*rows);
  }
  paramsTitle_->setText(title);
  paramsNote_->setText(note);
  apply_->setVisible(target.instance != 0);
  apply_->setEnabled(target.instance != 0 && params_->hasChanges());
}

// Names, editors and ranges side by side, none clipped: the splitter gives the parameters the
// width their rows need, taken from the instances table (whose last column stretches) — never
// by a minimum width, which would widen the central area and squeeze the docks.
void StrategyManager::fitParamsPane() {
  const int need = params_->requiredWidth() + paramsScroll_->style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 4;
  const int have = paramsScroll_->width();
  if (!isVisible() || have >= need || middle_->count() != 2) return;
  QList<int> sizes = middle_->sizes();
  const int total = sizes[0] + sizes[1];
  const int left = std::max(middle_->widget(0)->minimumSizeHint().width(), total - (sizes[1] + need - have));
  middle_->setSizes({left, total - left});
}

void StrategyManager::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  fitParamsPane();
}

void StrategyManager::showEvent(QShowEvent* e) {
  QWidget::showEvent(e);
  fitParamsPane();
  // Opened: the folder as it is now, not as it was at the last poll.
  folderPoll_.invalidate();
  refreshPlugins();
}

void StrategyManager::refreshButtons() {
  const PluginRow* p = selectedPlugin();
  load_->setEnabled(p && !p->loaded && p->approval != PluginApproval::Changed);
  approve_->setEnabled(p && !p->loaded && p->approval == PluginApproval::Changed);
  unload_->setEnabled(p && p->loaded);
  const bool chosen = !chosenStrategy().first.empty();
  create_->setEnabled(chosen);
  createAndStart_->setEnabled(chosen);
  const StrategyRow* r = selectedInstanceRow();
  start_->setEnabled(r && (r->state == InstanceState::Configured || r->state == InstanceState::Stopped));
  stop_->setEnabled(r && r->state == InstanceState::Running);
  remove_->setEnabled(r != nullptr);
  apply_->setEnabled(paramTarget_.instance != 0 && params_->hasChanges());
}

void StrategyManager::pullLog() {
  pollLaunches();
  if (!log_) return;
  std::vector<StrategyLogLine> lines = log_->drain();
  if (lines.empty()) return;
  QScrollBar* bar = logView_->verticalScrollBar();
  const bool following = bar->value() >= bar->maximum();  // at the newest line: keep following it
  logModel_->append(std::move(lines));
  logCount_->setText(QString("%1 of %2 lines").arg(logModel_->rowCount()).arg(logModel_->totalLines()));
  if (following) logView_->scrollToBottom();
}

void StrategyManager::pollLaunches() {
  for (auto it = launches_.begin(); it != launches_.end();) {
    if (it->answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ++it;
      continue;
    }
    std::string error;
    try {
      error = it->answer.get();
    } catch (const std::future_error&) {
      error = "the engine stopped before answering";
    }
    if (error.empty()) {
      showMessage(it->strategy + (it->start ? ": instance created and started" : ": instance created (stopped)"), false);
    } else {
      selectNewInstance_ = false;
      showMessage(QString("Could not %1 %2: %3").arg(it->start ? "create and start" : "create", it->strategy, qs(error)), true);
    }
    it = launches_.erase(it);
  }
}

// ---- selection ----

const PluginRow* StrategyManager::selectedPlugin() const {
  const QModelIndexList rows = pluginsView_->selectionModel()->selectedRows();
  return rows.isEmpty() ? nullptr : &plugins_->row(rows.first().row());
}

const StrategyRow* StrategyManager::selectedInstanceRow() const {
  const QModelIndexList rows = instancesView_->selectionModel()->selectedRows();
  return rows.isEmpty() ? nullptr : &instances_->row(rows.first().row());
}

std::uint32_t StrategyManager::selectedInstance() const {
  const StrategyRow* r = selectedInstanceRow();
  return r ? r->id : 0;
}

void StrategyManager::selectInstance(std::uint32_t id) {
  const int row = id ? instances_->rowOf(id) : -1;
  if (row < 0) {
    instancesView_->selectionModel()->clear();
    return;
  }
  instancesView_->selectRow(row);
}

std::pair<std::string, std::string> StrategyManager::chosenStrategy() const {
  const QStringList key = strategyCombo_->currentData().toStringList();
  if (key.size() != 2) return {};
  return {key[0].toStdString(), key[1].toStdString()};
}

const StrategyDescriptionRow* StrategyManager::describe(const std::string& path, const std::string& strategyId) const {
  for (const PluginRow& p : snapshotPlugins_)
    if (p.path == path && p.loaded)
      for (const StrategyDescriptionRow& d : p.strategies)
        if (d.id == strategyId) return &d;
  return nullptr;
}

// ---- plugin commands ----

void StrategyManager::addPluginFile() {
  QString dir = lastDir_;
  if (dir.isEmpty() && !folderFiles_.empty()) dir = QFileInfo(qs(folderFiles_.front())).absolutePath();
  if (dir.isEmpty()) dir = QDir::homePath();
  const QString file =
      QFileDialog::getOpenFileName(this, "Add strategy plugin", dir, "Strategy plugins (*.so);;All files (*)");
  if (file.isEmpty()) return;
  lastDir_ = QFileInfo(file).absolutePath();
  const std::string path = PluginLoader::canonicalPath(file.toStdString());
  knownFiles_.insert(path);
  engine_.loadPlugin(path, false);
  refreshPlugins();  // listed at once as "not loaded"; the next snapshot says loaded or why not
  expect(Pending::Load, path, 0, fileName(path), "Loading " + fileName(path) + "…");
}

void StrategyManager::loadSelectedPlugin() {
  const PluginRow* p = selectedPlugin();
  if (!p) return;
  const std::string path = p->path;
  engine_.loadPlugin(path, false);
  expect(Pending::Load, path, 0, fileName(path), "Loading " + fileName(path) + "…");
}

void StrategyManager::approveSelectedPlugin() {
  const PluginRow* p = selectedPlugin();
  if (!p || p->approval != PluginApproval::Changed) return;
  const std::string path = p->path;
  auto* box = new QMessageBox(
      QMessageBox::Warning, "Approve changed plugin",
      QString("%1 is not the binary that was approved.\n\n"
              "Approved SHA-256:\n%2\n\nFile now:\n%3\n\n"
              "Approve it only if you know why it changed: a plugin runs inside the terminal with access to "
              "your trading account.")
          .arg(qs(path), qs(p->approvedSha256), qs(p->sha256)),
      QMessageBox::Yes | QMessageBox::Cancel, this);
  box->setObjectName("approvePluginConfirmation");
  box->button(QMessageBox::Yes)->setText("Approve && load");
  box->setDefaultButton(QMessageBox::Cancel);
  box->setTextInteractionFlags(Qt::TextSelectableByMouse);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::finished, this, [this, path](int result) {
    if (result != QMessageBox::Yes) return;
    engine_.loadPlugin(path, true);
    expect(Pending::Load, path, 0, fileName(path), "Approved the new binary of " + fileName(path) + "; loading…");
  });
  box->open();
}

void StrategyManager::unloadSelectedPlugin() {
  const PluginRow* p = selectedPlugin();
  if (!p || !p->loaded) return;
  const std::string path = p->path;
  int count = 0, running = 0;
  for (const StrategyRow& r : instances_->rows()) {
    if (r.pluginPath != path) continue;
    ++count;
    running += r.state == InstanceState::Running ? 1 : 0;
  }
  const QString what = count == 0 ? QString("It has no instances.")
                                   : QString("Its %1 instance(s), %2 running, are stopped (their orders cancelled) and removed.")
                                         .arg(count)
                                         .arg(running);
  auto* box = new QMessageBox(QMessageBox::Question, "Unload plugin", QString("Unload %1?\n\n%2").arg(fileName(path), what),
                              QMessageBox::Yes | QMessageBox::Cancel, this);
  box->setObjectName("unloadPluginConfirmation");
  box->button(QMessageBox::Yes)->setText("Unload");
  box->setDefaultButton(QMessageBox::Cancel);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::finished, this, [this, path](int result) {
    if (result != QMessageBox::Yes) return;
    engine_.unloadPlugin(path);
    expect(Pending::Unload, path, 0, fileName(path), "Unloading " + fileName(path) + "…");
  });
  box->open();
}

// ---- instance commands ----

void StrategyManager::createInstance(bool start) {
  const auto [path, id] = chosenStrategy();
  if (path.empty()) return;
  const StrategyDescriptionRow* d = describe(path, id);
  const QString name = d ? qs(d->name) : qs(id);
  if (start && engine_.halted()) {
    showMessage("Trading is HALTED — resume before starting a strategy; nothing created", true);
    return;
  }
  StrategyLaunch launch;
  launch.path = path;
  launch.strategyId = id;
  launch.start = start;
  // The panel shows this strategy (its defaults, or an instance of it being copied): use its values.
  if (paramTarget_.pluginPath == path && paramTarget_.strategyId == id) launch.params = params_->allValues();
  auto answer = std::make_shared<std::promise<std::string>>();
  launches_.push_back({name, start, answer->get_future()});
  engine_.launchStrategy(std::move(launch), [answer](std::string error) { answer->set_value(std::move(error)); });
  selectNewInstance_ = true;
  selectAbove_ = newestInstance_;
  showMessage(QString("%1 %2…").arg(start ? "Creating and starting" : "Creating", name), false);
}

void StrategyManager::startSelected() {
  const StrategyRow* r = selectedInstanceRow();
  if (!r) return;
  if (engine_.halted()) {
    showMessage("Trading is HALTED — resume before starting " + qs(r->name), true);
    return;
  }
  engine_.startStrategy(r->id);
  expect(Pending::Start, {}, r->id, qs(r->name), "Starting " + qs(r->name) + "…");
}

void StrategyManager::stopSelected() {
  const StrategyRow* r = selectedInstanceRow();
  if (!r) return;
  engine_.stopStrategy(r->id);
  expect(Pending::Stop, {}, r->id, qs(r->name), "Stopping " + qs(r->name) + "…");
}

void StrategyManager::removeSelected() {
  const StrategyRow* r = selectedInstanceRow();
  if (!r) return;
  const std::uint32_t id = r->id;
  const QString name = qs(r->name);
  auto remove = [this, id, name] {
    engine_.removeStrategy(id);
    expect(Pending::Remove, {}, id, name, "Removing " + name + "…");
  };
  if (r->state != InstanceState::Running) return remove();
  auto* box = new QMessageBox(QMessageBox::Question, "Remove strategy instance",
                              QString("%1 is running.\n\nRemove it? It is stopped first and its working orders are cancelled.")
                                  .arg(name),
                              QMessageBox::Yes | QMessageBox::Cancel, this);
  box->setObjectName("removeInstanceConfirmation");
  box->button(QMessageBox::Yes)->setText("Stop && remove");
  box->setDefaultButton(QMessageBox::Cancel);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::finished, this, [remove](int result) {
    if (result == QMessageBox::Yes) remove();
  });
  box->open();
}

void StrategyManager::applyParams() {
  if (!paramTarget_.instance || !params_->hasChanges()) return;
  const ParamAssignments changes = params_->changedValues();
  for (const auto& [name, value] : changes) engine_.setStrategyParam(paramTarget_.instance, name, value);
  params_->markSent();
  const StrategyRow* r = selectedInstanceRow();
  showMessage(QString("Sent %1 parameter change(s) to %2").arg(changes.size()).arg(r ? qs(r->name) : QString("the instance")),
              false);
  apply_->setEnabled(false);
}

// ---- log ----

void StrategyManager::applyLogFilter() {
  const QString instance = logInstance_->currentIndex() > 0 ? logInstance_->currentText() : QString();
  logModel_->setFilter(instance, log::Level(logLevel_->currentData().toInt()));
  logCount_->setText(QString("%1 of %2 lines").arg(logModel_->rowCount()).arg(logModel_->totalLines()));
  logView_->scrollToBottom();
}

void StrategyManager::showMessage(const QString& text, bool error) {
  message_->setStyleSheet(error ? QString("color:%1;").arg(colors::ask.name()) : QString("color:%1;").arg(colors::dimText.name()));
  message_->setText(text);
}

}  // namespace kappa::ui
