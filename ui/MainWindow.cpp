#include "MainWindow.hpp"
#include "link/LocalEngineLink.hpp"

#include "AuditView.hpp"
#include "AccountPanel.hpp"
#include "RiskLimitsView.hpp"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QShowEvent>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <QFontMetrics>
#include <cmath>

#include "ChartWidget.hpp"
#include "ColumnFit.hpp"
#include "GreeksPanel.hpp"
#include "OptionChainBoard.hpp"
#include "VolSurfaceView.hpp"
#include "Format.hpp"
#include "PlaceholderTableView.hpp"
#include "LadderPanel.hpp"
#include "OrderTicket.hpp"
#include "RiskPanel.hpp"
#include "StrategyManager.hpp"
#include "Theme.hpp"
#include "core/Clock.hpp"
#include "models/TradingModels.hpp"
#include "models/WatchlistModel.hpp"

namespace kappa::ui {
namespace {
// Market data older than this (the venue lag) is called late on the views that show it.
constexpr double kLateDataMs = 1000;

// Posted below Qt's low-priority UpdateRequest events, so it is delivered only after every repaint
// the frame scheduled: the time to it is the frame's whole cost.
const QEvent::Type kFrameDoneEvent = QEvent::Type(QEvent::registerEventType());

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent, const QString& emptyText = {}) {
  auto* view = new PlaceholderTableView(emptyText, parent);
  view->setModel(model);
  view->setSelectionBehavior(QAbstractItemView::SelectRows);
  view->setAlternatingRowColors(true);
  view->setShowGrid(false);
  view->setWordWrap(false);
  view->verticalHeader()->setVisible(false);
  view->verticalHeader()->setDefaultSectionSize(20);
  view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // never ResizeToContents on live tables
  view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  view->horizontalHeader()->setStretchLastSection(true);
  view->horizontalHeader()->setHighlightSections(false);
  return view;
}

QDockWidget* makeDock(const QString& title, const QString& name, QWidget* content, QMainWindow* w) {
  auto* dock = new QDockWidget(title, w);
  dock->setObjectName(name);
  dock->setWidget(content);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
  return dock;
}
}  // namespace

MainWindow::MainWindow(Engine& engine, const QString& settingsFile, QWidget* parent)
    : MainWindow(std::make_unique<LocalEngineLink>(engine), nullptr, settingsFile, parent) {}

MainWindow::MainWindow(EngineLink& link, const QString& settingsFile, QWidget* parent)
    : MainWindow(nullptr, &link, settingsFile, parent) {}

MainWindow::MainWindow(std::unique_ptr<EngineLink> owned, EngineLink* link, const QString& settingsFile, QWidget* parent)
    : QMainWindow(parent), ownedLink_(std::move(owned)), engine_(link ? *link : *ownedLink_),
      instruments_(engine_.instruments()), settingsFile_(settingsFile) {
  EngineLink& engine = engine_;
  venues_.names = engine.venueNames();
  {
    QStringList names;
    for (const std::string& name : venues_.names) names << QString::fromStdString(name);
    const LinkStatus link = engine.link();
    if (link.remote)
      setWindowTitle(QString("Kappa — %1 (engine %2 at %3)")
                         .arg(names.join(" + "), QString::fromStdString(link.engineName), QString::fromStdString(link.server)));
    else
      setWindowTitle(QString("Kappa — %1").arg(names.join(" + ")));
  }
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
  resize(1600, 1000);

  // Menu bar and the risk strip share the menu-widget slot: it spans the window and cannot be
  // hidden, closed or tabbed away like a dock could.
  auto* top = new QWidget(this);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  topLayout->setSpacing(0);
  auto* menu = new QMenuBar(top);
  topLayout->addWidget(menu);
  risk_ = new RiskPanel(top);
  risk_->setInstruments(&instruments_);
  topLayout->addWidget(risk_);
  setMenuWidget(top);

  // The centre: chart, the option views and the strategy manager, every risk limit and the journal's
  // audit view as tabs (Ctrl+1..7).
  centralTabs_ = new QTabWidget(this);
  centralTabs_->setObjectName("centralTabs");
  chart_ = new ChartWidget(instruments_, centralTabs_);
  chart_->setVenues(venues_);
  chainBoard_ = new OptionChainBoard(instruments_, centralTabs_);
  surface_ = new VolSurfaceView(instruments_, centralTabs_);
  {
    // The venue's own mark IVs, beside ours: "Deribit IV" in the chain, "Deribit mark IV" on the smile
    // (the venue that lists the options).
    VenueId optionVenue = 0;
    for (const Instrument& inst : engine.instruments().all())
      if (inst.isOption()) {
        optionVenue = inst.venue;
        break;
      }
    QString venue = optionVenue < venues_.names.size() ? QString::fromStdString(venues_.names[optionVenue]) : QString();
    if (!venue.isEmpty()) venue[0] = venue[0].toUpper();
    chainBoard_->setVenueName(venue);
    surface_->setVenueName(venue);
  }
  greeks_ = new GreeksPanel(instruments_, centralTabs_);
  greeks_->setVenues(venues_);
  strategies_ = new StrategyManager(engine_, centralTabs_);
  riskLimits_ = new RiskLimitsView(engine_, centralTabs_);
  audit_ = new AuditView(centralTabs_);
  // The engine's journal through the link: the very file the engine writes (read-only, WAL lets
  // both work at once), read here or, for a remote engine, on its host.
  audit_->setEngineLink(&engine_);
  centralTabs_->addTab(chart_, "Chart");
  centralTabs_->addTab(chainBoard_, "Option chain");
  centralTabs_->addTab(surface_, "Volatility");
  centralTabs_->addTab(greeks_, "Greeks && scenarios");
  centralTabs_->addTab(strategies_, "Strategies");
  centralTabs_->addTab(riskLimits_, "Risk limits");
  centralTabs_->addTab(audit_, "Audit");
  for (int i = 0; i < centralTabs_->count(); ++i) {
    // The centre takes the room the docks leave: a page's minimum size (a long status line, a
    // parameter form with wide ranges) must never push the docks narrower — QMainWindow would, and
    // the squeezed layout would be saved. Ignored drops the pages' size hints from that sum.
    centralTabs_->widget(i)->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    auto* go = new QAction(this);
    go->setShortcut(QKeySequence(QString("Ctrl+%1").arg(i + 1)));
    connect(go, &QAction::triggered, this, [this, i] { centralTabs_->setCurrentIndex(i); });
    addAction(go);
    centralTabs_->setTabToolTip(i, QString("Ctrl+%1").arg(i + 1));
  }
  setCentralWidget(centralTabs_);
  // One selector for the views that show one underlying at a time (chain, volatility, Greeks),
  // in the tab bar's corner; the listed underlyings (those with an index) fill it.
  auto* corner = new QWidget(centralTabs_);
  auto* cornerLayout = new QHBoxLayout(corner);
  cornerLayout->setContentsMargins(4, 0, 4, 0);
  cornerLayout->setSpacing(4);
  auto* underlyingLabel = new QLabel("Underlying", corner);
  underlyingLabel->setStyleSheet("color:#8a93a3;");
  underlyingBox_ = new QComboBox(corner);
  underlyingBox_->setObjectName("underlyingSelector");
  underlyingBox_->setToolTip("Underlying shown by the option chain, volatility and Greeks views");
  for (const Instrument& inst : instruments_.all())
    if (inst.kind == InstrumentKind::Index && underlyingBox_->findText(QString::fromStdString(inst.baseCurrency)) < 0)
      underlyingBox_->addItem(QString::fromStdString(inst.baseCurrency));
  cornerLayout->addWidget(underlyingLabel);
  cornerLayout->addWidget(underlyingBox_);
  centralTabs_->setCornerWidget(corner, Qt::TopRightCorner);
  auto perUnderlying = [this](QWidget* w) { return w == chainBoard_ || w == surface_ || w == greeks_; };
  corner->setVisible(perUnderlying(centralTabs_->currentWidget()));
  connect(centralTabs_, &QTabWidget::currentChanged, this, [this, corner, perUnderlying](int) {
    corner->setVisible(perUnderlying(centralTabs_->currentWidget()));
  });
  connect(underlyingBox_, &QComboBox::currentTextChanged, this, [this](const QString&) {
    if (haveSnapshot_) applyAnalytics(engine_.snapshot());
  });
  connect(chainBoard_, &OptionChainBoard::orderClicked, this, &MainWindow::onChainOrder);
  connect(chainBoard_, &OptionChainBoard::expirySelected, surface_, [this](qint64 e) { surface_->selectExpiry(e); });
  connect(surface_, &VolSurfaceView::expirySelected, chainBoard_, [this](qint64 e) { chainBoard_->selectExpiry(e); });
  connect(greeks_, &GreeksPanel::instrumentActivated, this, [this](InstrumentId id) { selectInstrument(id); });
  buildDocks();
  buildMenus();
  buildStatusBar();

  connect(risk_, &RiskPanel::haltClicked, this, &MainWindow::haltAll);
  connect(risk_, &RiskPanel::resumeClicked, this, &MainWindow::askResume);
  connect(risk_, &RiskPanel::reduceClicked, this, [this] { engine_.reduceOnly("by the user"); });
  connect(risk_, &RiskPanel::flattenClicked, this, &MainWindow::askFlatten);
  connect(risk_, &RiskPanel::limitsClicked, this, &MainWindow::showRiskLimits);

  QSettings settings(settingsFile_, QSettings::IniFormat);
  // The window's own rectangle (client area), not saveGeometry()'s frame position: restoring the
  // latter under some window managers moved the window down by the title bar's height at every
  // start. Whatever was saved, the window is fitted to the screen it lands on (fitToScreen).
  if (const QRect saved = settings.value("window/rect").toRect(); saved.isValid()) setGeometry(saved);
  if (settings.value("window/maximized").toBool()) setWindowState(windowState() | Qt::WindowMaximized);
  ladderPanel_->autoCentreBox()->setChecked(settings.value("ladder/autoCentre", false).toBool());
  selectUnderlying(settings.value("views/underlying").toString());
  fitToScreen();
  if (!restoreState(settings.value("window/state").toByteArray())) {
    // First start (or an unreadable layout): lay out for the window's real size once it is shown.
    QTimer::singleShot(0, this, [this] {
      applyDefaultSizes();
      defaultState_ = saveState();
    });
  }

  // Select the perpetual by default, else a spot market (the engine focuses the same).
  InstrumentId first = kNoInstrument;
  for (InstrumentKind kind : {InstrumentKind::Perpetual, InstrumentKind::Spot})
    for (const Instrument& inst : instruments_.all())
      if (first == kNoInstrument && inst.kind == kind) first = inst.id;
  if (first != kNoInstrument) selectInstrument(first);

  frameTimer_.setTimerType(Qt::PreciseTimer);
  frameTimer_.setInterval(16);
  connect(&frameTimer_, &QTimer::timeout, this, &MainWindow::frame);
  frameTimer_.start();
  sinceLastFrame_.start();
}

MainWindow::~MainWindow() = default;

LadderWidget* MainWindow::ladder() const { return ladderPanel_->ladder(); }

void MainWindow::setStrategyLog(StrategyLog* log) { strategies_->setLog(log); }

void MainWindow::buildDocks() {
  // Layout: watchlist | chart | ladder on top; order entry | orders·fills·positions | time & sales
  // along the bottom, which runs under the watchlist but not under the ladder (it needs the height).
  setCorner(Qt::BottomLeftCorner, Qt::BottomDockWidgetArea);
  setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

  // Watchlist with a name filter (filter only: no live sorting).
  watchlist_ = new WatchlistModel(instruments_, this);
  watchlist_->setVenues(venues_);
  watchFilter_ = new QSortFilterProxyModel(this);
  watchFilter_->setSourceModel(watchlist_);
  watchFilter_->setDynamicSortFilter(false);
  watchFilter_->setFilterKeyColumn(WatchlistModel::Name);
  watchFilter_->setFilterRole(Qt::UserRole);  // "venue:name": "deribit:" or "binance-futures:BTC" filter too
  watchFilter_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  auto* watchBox = new QWidget(this);
  auto* wl = new QVBoxLayout(watchBox);
  wl->setContentsMargins(4, 4, 4, 4);
  auto* filter = new QLineEdit(watchBox);
  filter->setObjectName("watchlistFilter");
  filter->setPlaceholderText(venues_.several() ? "Filter (e.g. 70000-C, deribit:PERP)   Ctrl+F"
                                                : "Filter instruments (e.g. 70000-C)   Ctrl+F");
  filter->setClearButtonEnabled(true);
  wl->addWidget(filter);
  watchView_ = makeTable(watchFilter_, watchBox);
  watchView_->setSelectionMode(QAbstractItemView::SingleSelection);
  // Every column, Chg included, fits the dock's default width without clipping or scrolling.
  QString longestName, longestDisplay;
  for (const Instrument& inst : instruments_.all()) {
    if (inst.name.size() > std::size_t(longestName.size())) longestName = QString::fromStdString(inst.name);
    const QString shown = venues_.display(instruments_, inst.id);
    if (shown.size() > longestDisplay.size()) longestDisplay = shown;
  }
  for (int c = WatchlistModel::Name; c < WatchlistModel::ColumnCount; ++c) watchView_->setColumnWidth(c, 0);
  fitColumns(watchView_, {{WatchlistModel::Name, {longestDisplay}},
                          {WatchlistModel::Bid, {"100,000.5"}},
                          {WatchlistModel::Ask, {"100,000.5"}},
                          {WatchlistModel::Last, {"100,000.5"}},
                          {WatchlistModel::Change, {"-10.00%"}},
                          {WatchlistModel::Basis, {"+1,000.0"}},
                          {WatchlistModel::BasisBps, {"+100.0"}},
                          {WatchlistModel::Funding, {"+0.0100%"}}});
  // Basis and funding compare venues: with one venue the watchlist stays as it was.
  for (int c : {WatchlistModel::Basis, WatchlistModel::BasisBps, WatchlistModel::Funding})
    watchView_->setColumnHidden(c, !venues_.several());
  wl->addWidget(watchView_);
  connect(filter, &QLineEdit::textChanged, watchFilter_, &QSortFilterProxyModel::setFilterFixedString);
  auto* focusFilter = new QAction(this);
  focusFilter->setShortcut(QKeySequence::Find);
  connect(focusFilter, &QAction::triggered, filter, [filter] { filter->setFocus(); filter->selectAll(); });
  addAction(focusFilter);
  connect(watchView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            if (!current.isValid()) return;
            selectInstrument(watchlist_->instrumentAt(watchFilter_->mapToSource(current).row()));
          });
  auto* watchDock = makeDock("Watchlist", "watchlistDock", watchBox, this);
  addDockWidget(Qt::LeftDockWidgetArea, watchDock);

  trades_ = new TradesModel(instruments_, this);
  auto* tradesView = makeTable(trades_, this, "No trades yet on this instrument");
  tradesView->setColumnWidth(TradesModel::Time, 96);
  tradesView->setColumnWidth(TradesModel::Price, 82);
  tradesView->setColumnWidth(TradesModel::Size, 68);
  // Stretched, but never narrower than its own width: without one it kept the default 100 px and
  // went past a dock with a scroll bar.
  tradesView->setColumnWidth(TradesModel::Side, 0);
  fitColumns(tradesView, {{TradesModel::Side, {"Sell"}}});
  auto* tasDock = makeDock("Time & Sales", "timeSalesDock", tradesView, this);

  ladderPanel_ = new LadderPanel(instruments_, this);
  auto* ladderDock = makeDock("Price ladder", "ladderDock", ladderPanel_, this);
  addDockWidget(Qt::RightDockWidgetArea, ladderDock);
  connect(ladder(), &LadderWidget::orderClicked, this, &MainWindow::onLadderOrder);
  connect(ladder(), &LadderWidget::cancelClicked, this, [this](const QVector<OrderId>& ids) {
    for (OrderId id : ids) engine_.cancel(id);
    ladderPanel_->showMessage(QString("Cancel sent for %1 order(s)").arg(ids.size()), false);
  });
  connect(ladder(), &LadderWidget::cancelAllClicked, this, [this] {
    engine_.cancelAll(selected_);
    ladderPanel_->showMessage("Cancel sent for every order on this instrument", false);
  });

  ladderPanel_->setVenues(venues_);
  ticket_ = new OrderTicket(instruments_, this);
  ticket_->setVenues(venues_);
  ticket_->setClock([this] { return engine_.now(); });
  auto* ticketDock = makeDock("Order entry", "ticketDock", ticket_, this);
  addDockWidget(Qt::BottomDockWidgetArea, ticketDock);
  connect(ticket_, &OrderTicket::submitRequested, this, [this](const OrderRequest& r) {
    if (engine_.halted()) {
      ticket_->showMessage("Trading is HALTED — nothing sent", true);
      return;
    }
    engine_.submit(r);
  });

  auto* tabs = new QTabWidget(this);
  // The Venue columns: as wide as the longest venue name, shown only with several venues.
  QString longestVenue;
  for (const std::string& v : venues_.names)
    if (v.size() > std::size_t(longestVenue.size())) longestVenue = QString::fromStdString(v);
  orders_ = new OrdersModel(instruments_, this);
  orders_->setVenues(venues_);
  auto* ordersPage = new QWidget(tabs);
  auto* ol = new QVBoxLayout(ordersPage);
  ol->setContentsMargins(0, 2, 0, 0);
  auto* orderButtons = new QHBoxLayout;
  auto* cancelSel = new QPushButton("Cancel selected  Del", ordersPage);
  cancelSel->setToolTip("Cancel the selected working orders (Del)");
  cancelSel->setFocusPolicy(Qt::NoFocus);
  auto* cancelAll = new QPushButton("Cancel all  Ctrl+Shift+X", ordersPage);
  cancelAll->setToolTip("Cancel every working order (Ctrl+Shift+X)");
  cancelAll->setFocusPolicy(Qt::NoFocus);
  orderButtons->addWidget(cancelSel);
  orderButtons->addWidget(cancelAll);
  orderButtons->addStretch();
  ol->addLayout(orderButtons);
  ordersView_ = makeTable(orders_, ordersPage, "No orders yet — click the ladder or use Order entry");
  ordersView_->setColumnWidth(OrdersModel::Time, 92);
  ordersView_->horizontalHeader()->setStretchLastSection(false);
  ordersView_->setColumnWidth(OrdersModel::Id, 45);
  ordersView_->setColumnWidth(OrdersModel::Instrument, 158);
  ordersView_->setColumnWidth(OrdersModel::Side, 40);
  ordersView_->setColumnWidth(OrdersModel::Type, 64);
  ordersView_->setColumnWidth(OrdersModel::Price, 76);
  ordersView_->setColumnWidth(OrdersModel::Qty, 56);
  ordersView_->setColumnWidth(OrdersModel::Filled, 56);
  ordersView_->setColumnWidth(OrdersModel::AvgPrice, 80);
  ordersView_->setColumnWidth(OrdersModel::State, 118);
  ordersView_->setColumnWidth(OrdersModel::Info, 260);
  ordersView_->setColumnWidth(OrdersModel::Venue, 0);
  // The options market maker's post-only quotes read "Limit p…" at 64 px; the time's header is
  // "Updated" (every time on screen is UTC), since "Updated (UTC)" read "Jpdated (UTC" at 92 px.
  // Both fit without pushing State off the dock at 1600 px.
  ordersView_->setColumnWidth(OrdersModel::Type,
                              std::max(64, QFontMetrics(ordersView_->font()).horizontalAdvance("Limit post") + 12));
  if (venues_.several()) fitColumns(ordersView_, {{OrdersModel::Venue, {longestVenue}}});
  ordersView_->setColumnHidden(OrdersModel::Venue, !venues_.several());
  ol->addWidget(ordersView_);
  connect(cancelSel, &QPushButton::clicked, this, &MainWindow::cancelSelectedOrders);
  connect(cancelAll, &QPushButton::clicked, this, [this] { engine_.cancelAll(); });
  auto* delAction = new QAction(ordersView_);
  delAction->setShortcut(QKeySequence::Delete);
  delAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  connect(delAction, &QAction::triggered, this, &MainWindow::cancelSelectedOrders);
  ordersView_->addAction(delAction);
  tabs->addTab(ordersPage, "Orders");

  fills_ = new FillsModel(instruments_, this);
  fills_->setVenues(venues_);
  auto* fillsView = makeTable(fills_, tabs, "No fills yet");
  fillsView->setColumnWidth(FillsModel::Instrument, 170);
  fillsView->setColumnWidth(FillsModel::Venue, 0);
  if (venues_.several()) fitColumns(fillsView, {{FillsModel::Venue, {longestVenue}}});
  fillsView->setColumnHidden(FillsModel::Venue, !venues_.several());
  tabs->addTab(fillsView, "Fills");
  positions_ = new PositionsModel(instruments_, this);
  positions_->setVenues(venues_);
  auto* posView = makeTable(positions_, tabs, "No positions");
  positionsView_ = posView;
  for (int c = PositionsModel::Venue; c <= PositionsModel::PnlUsd; ++c) posView->setColumnWidth(c, 0);
  fitColumns(posView, {{PositionsModel::Venue, {longestVenue}},
                       {PositionsModel::PnlUsd, {"-1,000.00"}},
                       {PositionsModel::Instrument, {longestName}},
                       {PositionsModel::Qty, {venues_.several() ? "-100,000" : "-1,000,000"}},
                       {PositionsModel::AvgPrice, {"100,000.5"}},
                       {PositionsModel::Mark, {"100,000.5"}},
                       {PositionsModel::Unrealized, {"-0.123456"}},
                       {PositionsModel::Realized, {"-0.123456"}},
                       {PositionsModel::Fees, {"-0.123456"}},
                       {PositionsModel::Currency, {"BTC"}}});
  // Venue and the USD sum compare venues (coin- and USDT-settled): with one venue the table stays as it was.
  posView->setColumnHidden(PositionsModel::Venue, !venues_.several());
  posView->setColumnHidden(PositionsModel::PnlUsd, !venues_.several());
  // The fees are inside PnL $ (and its tooltip shows them): the dock has no room for both.
  posView->setColumnHidden(PositionsModel::Fees, venues_.several());
  tabs->addTab(posView, "Positions");
  // The exchange's own account (equity, margin); the simulator has none and the tab says so.
  bool exchangeVenue = false;  // an exchange's account to show (the embedded simulator has none)
  for (VenueId v = 0; v < engine_.venueCount(); ++v) exchangeVenue = exchangeVenue || !engine_.venueEnvironment(v).empty();
  account_ = new AccountPanel(instruments_, exchangeVenue, tabs);
  account_->setVenues(venues_);
  tabs->addTab(account_, "Account");
  tablesTabs_ = tabs;

  auto* tablesDock = makeDock("Orders · Fills · Positions · Account", "tablesDock", tabs, this);
  addDockWidget(Qt::BottomDockWidgetArea, tablesDock);
  splitDockWidget(ticketDock, tablesDock, Qt::Horizontal);
  addDockWidget(Qt::BottomDockWidgetArea, tasDock);
  splitDockWidget(tablesDock, tasDock, Qt::Horizontal);

  docks_ = {watchDock, ladderDock, ticketDock, tablesDock, tasDock};
}

void MainWindow::applyDefaultSizes() {
  // With several venues the watchlist has longer names ("deribit:…") and the basis columns: as wide
  // as its columns need, so none scrolls out of sight (the chart gives up the room).
  int watchWidth = 505;
  if (venues_.several()) {
    int columns = 0;
    for (int c = 0; c < WatchlistModel::ColumnCount; ++c)
      if (!watchView_->isColumnHidden(c)) columns += watchView_->columnWidth(c);
    watchWidth = std::clamp(columns + watchView_->verticalScrollBar()->sizeHint().width() + 2 * watchView_->frameWidth() + 16,
                            505, 760);
  }
  resizeDocks({docks_[0], docks_[1]}, {watchWidth, 370}, Qt::Horizontal);
  // Every Positions and Time & Sales column fits (several venues: Venue and PnL $ take room from
  // the ticket's and the tape's spare width).
  if (venues_.several())
    resizeDocks({docks_[2], docks_[3], docks_[4]}, {165, 750, 315}, Qt::Horizontal);
  else
    resizeDocks({docks_[2], docks_[3], docks_[4]}, {215, 690, 325}, Qt::Horizontal);
  resizeDocks({docks_[3]}, {300}, Qt::Vertical);
}

void MainWindow::buildMenus() {
  auto* bar = qobject_cast<QMenuBar*>(menuWidget()->layout()->itemAt(0)->widget());
  auto* fileMenu = bar->addMenu("&File");
  auto* connections = fileMenu->addAction("Connections…");
  connections->setShortcut(QKeySequence("Ctrl+Shift+K"));
  connections->setToolTip("Exchange API keys, kept in the OS keychain (Ctrl+Shift+K)");
  connect(connections, &QAction::triggered, this, [this] { openConnections(); });
  fileMenu->addSeparator();
  auto* quit = fileMenu->addAction("Quit");
  quit->setShortcut(QKeySequence::Quit);
  connect(quit, &QAction::triggered, this, &QWidget::close);

  auto* tradeMenu = bar->addMenu("&Trading");
  haltAction_ = tradeMenu->addAction("HALT ALL");
  haltAction_->setShortcut(QKeySequence("Ctrl+Shift+H"));
  haltAction_->setShortcutContext(Qt::ApplicationShortcut);
  haltAction_->setToolTip("Halt all trading (Ctrl+Shift+H)");
  connect(haltAction_, &QAction::triggered, this, &MainWindow::haltAll);
  addAction(haltAction_);  // works whatever has focus
  auto* resume = tradeMenu->addAction("Resume…");
  connect(resume, &QAction::triggered, this, &MainWindow::askResume);
  auto* cancelAll = tradeMenu->addAction("Cancel all orders");
  cancelAll->setShortcut(QKeySequence("Ctrl+Shift+X"));
  cancelAll->setShortcutContext(Qt::ApplicationShortcut);
  addAction(cancelAll);
  connect(cancelAll, &QAction::triggered, this, [this] { engine_.cancelAll(); });
  auto* recenter = tradeMenu->addAction("Re-centre ladder");
  recenter->setShortcut(QKeySequence("Ctrl+R"));
  connect(recenter, &QAction::triggered, this, [this] { ladder()->recenter(); });

  auto* view = bar->addMenu("&View");
  for (QDockWidget* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
  view->addSeparator();
  auto* reset = view->addAction("Reset layout");
  connect(reset, &QAction::triggered, this, [this] {
    for (QDockWidget* dock : docks_) dock->show();
    if (defaultState_.isEmpty() || !restoreState(defaultState_)) applyDefaultSizes();
  });
}

void MainWindow::buildStatusBar() {
  auto make = [this](const QString& tip) {
    auto* l = new QLabel(this);
    l->setToolTip(tip);
    statusBar()->addPermanentWidget(l);
    return l;
  };
  haltBanner_ = new QLabel(this);
  haltBanner_->setStyleSheet("color:white; background:#b71c1c; font-weight:bold; padding:0 10px;");
  haltBanner_->hide();
  statusBar()->addWidget(haltBanner_);
  if (engine_.link().remote) {
    linkBanner_ = new QLabel(this);
    linkBanner_->setObjectName("linkLostBanner");
    linkBanner_->setStyleSheet("color:white; background:#6d4c41; font-weight:bold; padding:0 10px;");
    linkBanner_->hide();
    statusBar()->addWidget(linkBanner_);
    linkLabel_ = make("The remote engine: its name, the NATS server, the round trip, how old the newest state was "
                      "when it arrived, and commands waiting for an answer");
    linkLabel_->setObjectName("engineLinkStatus");
  }
  for (VenueId v = 0; v < engine_.venueCount(); ++v) {
    venueLabels_.push_back(make("Venue connection state"));
    venueLabels_.back()->setObjectName(QString("venueStatus%1").arg(v));
    venueColors_.emplace_back();
  }
  rateLabel_ = make("Market-data events processed by the engine per second");
  lagLabel_ = make("Venue→engine lag and engine→GUI lag");
  frameLabel_ = make("GUI frame time (work per frame), p99 over the last 4 s");
  clockLabel_ = make("UTC clock");
}

void MainWindow::updateLink() {
  const LinkStatus link = engine_.link();
  const QString engine = QString::fromStdString(link.engineName);
  if (!link.connected) {
    const QString since = formatUtcTime(link.disconnectedSince).left(8);
    linkLabel_->setText(QString("engine %1 · LINK LOST").arg(engine));  // since when: the banner beside it
    linkLabel_->setStyleSheet("color:#ef5350; font-weight:bold;");
    if (!linkLost_) {
      linkLost_ = true;
      // Greyed, not hidden: the trader still sees what was there, and that it is not live.
      centralWidget()->setEnabled(false);
      for (QDockWidget* dock : docks_) dock->widget()->setEnabled(false);
      // The venues' states came with the engine's state: without it they are unknown, not the
      // last ones shown in green (the next snapshot after the link is back says them again).
      const std::vector<std::string> names = engine_.venueNames();
      for (std::size_t v = 0; v < venueLabels_.size(); ++v) {
        const QString name = v < names.size() ? QString::fromStdString(names[v]) : QString("venue %1").arg(v);
        venueLabels_[v]->setText("● " + name + " · state unknown: link lost");
        venueLabels_[v]->setToolTip(name + ": its state as of " + since + " UTC is not current: the link to engine " + engine + " is lost");
        venueColors_[v] = colors::stale.name();
        venueLabels_[v]->setStyleSheet(QString("color:%1;").arg(venueColors_[v]));
      }
      linkBanner_->setText(QString("  ENGINE %1 DISCONNECTED since %2 UTC — figures frozen, order entry off  ").arg(engine, since));
      // Never cut: the status bar's other labels give way (a 1600 px window cut "order entry off").
      linkBanner_->setMinimumWidth(linkBanner_->sizeHint().width());
      linkBanner_->show();
    }
    return;
  }
  if (linkLost_) {
    linkLost_ = false;
    centralWidget()->setEnabled(true);
    for (QDockWidget* dock : docks_) dock->widget()->setEnabled(true);
    linkBanner_->hide();
  }
  QString text = QString("engine %1 · rtt %2 ms · age %3 ms")
                     .arg(engine)
                     .arg(link.roundTripMs, 0, 'f', link.roundTripMs < 10 ? 1 : 0)
                     .arg(link.snapshotAgeMs, 0, 'f', 0);
  if (link.pendingCommands) text += QString(" · %1 pending").arg(link.pendingCommands);
  linkLabel_->setText(text);
  linkLabel_->setToolTip(QString("Engine %1 on %2 as %3").arg(engine, QString::fromStdString(link.server),
                                                             QString::fromStdString(link.user)));
  linkLabel_->setStyleSheet(link.snapshotAgeMs > 1000 ? "color:#ffb74d;" : "color:#81c784;");
  if (link.refusals != refusalsShown_) {
    refusalsShown_ = link.refusals;
    statusBar()->showMessage("Refused: " + QString::fromStdString(link.lastRefusal), 15000);
    statusBar()->setStyleSheet("QStatusBar { color:#ef5350; }");
    QTimer::singleShot(15000, this, [this] { statusBar()->setStyleSheet({}); });
  }
}

void MainWindow::selectInstrument(InstrumentId id) {
  if (id >= instruments_.size() || id == selected_) return;
  selected_ = id;
  engine_.setFocus(id);
  ladderPanel_->setInstrument(id);
  chart_->setInstrument(id);
  ticket_->setInstrument(id);
  const QModelIndex src = watchlist_->index(watchlist_->rowOf(id), 0);
  const QModelIndex proxy = watchFilter_->mapFromSource(src);
  if (proxy.isValid() && watchView_->currentIndex().row() != proxy.row()) watchView_->setCurrentIndex(proxy);
}

void MainWindow::frame() {
  QElapsedTimer& work = frameWork_;
  work.start();
  const double interval = double(sinceLastFrame_.nsecsElapsed()) / 1e6;
  sinceLastFrame_.restart();
  // Before the snapshot, which may never come: a plugin callback that does not return blocks the
  // engine thread, and then the watchdog's alarm and the log are all there is to show. Neither
  // waits on the engine.
  risk_->setWatchdogAlarm(QString::fromStdString(engine_.watchdogAlarm()), engine_.now());
  strategies_->pullLog();
  if (linkLabel_ && (linkEvery_++ % 6 == 0 || linkLost_)) updateLink();
  if (!engine_.takeSnapshot()) return;
  const EngineSnapshot& s = engine_.snapshot();
  haveSnapshot_ = true;
  metrics_.intervalMs.add(interval);
  metrics_.lagMs.add(double(monoNow() - s.builtMono) / 1e6);

  showDataLateness(s.venueLagMs >= kLateDataMs ? s.venueLagMs : 0);
  watchlist_->apply(s);
  ladder()->apply(s);
  chart_->apply(s);
  trades_->apply(s, selected_);
  if (s.ordersVersion != ordersVersion_) {
    ordersVersion_ = s.ordersVersion;
    orders_->setRows(s.orders);
  }
  if (s.fillsTotal != fillsTotal_) {
    fillsTotal_ = s.fillsTotal;
    std::vector<Fill> newestFirst(s.fills.rbegin(), s.fills.rend());
    fills_->setRows(std::move(newestFirst));
  }
  positions_->apply(s);
  account_->apply(s, engine_.now());
  if (s.strategiesVersion != strategiesVersion_ || !strategiesRefresh_.isValid() || strategiesRefresh_.hasExpired(500)) {
    strategiesVersion_ = s.strategiesVersion;
    strategiesRefresh_.start();
    strategies_->update(s);
  }
  // Option views: the board's quotes every frame (cheap), analytics when a new result arrived.
  if (centralTabs_->currentWidget() == chainBoard_) chainBoard_->setQuotes(s.quotes);
  if (s.analytics && s.analytics->seq != analyticsSeq_) {
    analyticsSeq_ = s.analytics->seq;
    syncUnderlyings(s);
    applyAnalytics(s);
  }
  // The halt switch is read directly: a snapshot built a moment before a click must not flip the
  // display back to ACTIVE for a frame.
  const bool halted = engine_.halted();
  risk_->apply(s, halted);
  ticket_->apply(s);
  auto showAnswer = [&](OrderAnswer& answer, QLabel* label) {
    if (const auto shown = answer.update(s, instruments_)) {
      label->setText(shown->text);
      label->setStyleSheet(OrderAnswer::styleOf(shown->tone));
    }
  };
  showAnswer(ladderAnswer_, ladderPanel_->messageLabel());
  showAnswer(chainAnswer_, chainBoard_->messageLabel());
  riskLimits_->apply(s);
  haltBanner_->setVisible(halted);
  if (halted && s.halted) haltBanner_->setText("  HALTED — " + QString::fromStdString(s.haltReason) + "  ");
  if (++statusEvery_ % 15 == 0) updateStatus(s);

  ladder()->repaint();  // the heavy views paint synchronously
  chart_->replotNow();
  metrics_.updateMs.add(double(work.nsecsElapsed()) / 1e6);
  QCoreApplication::postEvent(this, new QEvent(kFrameDoneEvent), Qt::LowEventPriority - 1);
}

bool MainWindow::event(QEvent* e) {
  if (e->type() == kFrameDoneEvent) {
    metrics_.frameMs.add(double(frameWork_.nsecsElapsed()) / 1e6);
    return true;
  }
  return QMainWindow::event(e);
}

void MainWindow::showDataLateness(double lateMs) {
  lateMs_ = lateMs;
  ladder()->setDataLateMs(lateMs);
  // Dock titles change only when the shown tenth of a second does (not every frame).
  const int tenths = int(lateMs / 100);
  if (tenths == lateTenths_) return;
  lateTenths_ = tenths;
  const QString suffix = lateMs > 0 ? QString("  ⚠ data %1 s late").arg(lateMs / 1000.0, 0, 'f', 1) : QString();
  docks_[0]->setWindowTitle("Watchlist" + suffix);
  docks_[4]->setWindowTitle("Time & Sales" + suffix);
  updateStatus(engine_.snapshot());
}

QString MainWindow::venueStatusText(VenueId v) const { return v < venueLabels_.size() ? venueLabels_[v]->text() : QString(); }
QString MainWindow::venueStatusColor(VenueId v) const { return v < venueColors_.size() ? venueColors_[v] : QString(); }

void MainWindow::showAccount() { tablesTabs_->setCurrentWidget(account_); }

namespace {
// The seconds left of the venue's "next retry in N s" (counted from when it said so), or -1.
double retryCountdown(const VenueRow& v, Nanos now) {
  static const QRegularExpression re("next retry in ([0-9]+(?:\\.[0-9]+)?) s");
  const QRegularExpressionMatch m = re.match(QString::fromStdString(v.detail));
  if (!m.hasMatch()) return -1;
  return std::max(0.0, m.captured(1).toDouble() - double(now - v.stateAt) / 1e9);
}
}  // namespace

// The venue part: name, where it connects (an exchange's environment), the state, and while not
// connected why and when the next attempt is. Green only when connected and on time.
void MainWindow::updateStatus(const EngineSnapshot& s) {
  if (auto* dialog = findChild<ConnectionsDialog*>(); dialog && dialog->isVisible()) dialog->setVenueStates(s.venues);
  if (centralTabs_->currentWidget() == greeks_) greeks_->applyVenuePnl(s);
  // While the link is lost a snapshot staged before it must not paint the venues' states as current.
  for (std::size_t v = 0; !linkLost_ && v < venueLabels_.size() && v < s.venues.size(); ++v)
    updateVenueStatus(s, s.venues[v], venueLabels_[v], venueColors_[v]);
  rateLabel_->setText(QString("%1 ev/s").arg(formatMoney(s.eventsPerSecond, 0)));
  const Percentiles lag = metrics_.lagMs.recentSummary();
  lagLabel_->setText(QString("venue lag %1 ms · GUI lag %2 ms").arg(s.venueLagMs, 0, 'f', 1).arg(lag.p50, 0, 'f', 1));
  const Percentiles f = metrics_.frameMs.recentSummary();
  frameLabel_->setText(QString("frame p99 %1 ms").arg(f.p99, 0, 'f', 1));
  clockLabel_->setText(formatUtcTime(engine_.now()).left(8) + " UTC");  // market time (the venue's clock)
}

void MainWindow::updateVenueStatus(const EngineSnapshot& s, const VenueRow& venue, QLabel* label, QString& color) {
  (void)s;
  const bool up = venue.state == VenueState::Connected;
  const bool late = up && lateMs_ > 0;
  QString text = "● " + QString::fromStdString(venue.name);
  QString env = QString::fromStdString(venue.environment);
  if (env.endsWith("/ws/api/v2")) env.chop(10);  // Deribit's standard path says nothing
  if (!env.isEmpty()) text += " · " + env;
  text += " · " + QString(nameOf(venue.state)).toUpper();
  // The last heartbeat's round trip (an exchange connector's; 0 = none yet or the simulator): the
  // link's own latency, apart from how late the market data is.
  const std::int64_t heartbeatUs = up ? venue.summary.heartbeatLatency : 0;
  if (heartbeatUs > 0)
    text += heartbeatUs < 10'000 ? QString(" · hb %1 ms").arg(heartbeatUs / 1000.0, 0, 'f', 2)
                                 : QString(" · hb %1 ms").arg(heartbeatUs / 1000);
  if (late) text += QString(" · data %1 s late").arg(lateMs_ / 1000.0, 0, 'f', 1);
  if (!up) {
    const double left = retryCountdown(venue, engine_.now());
    if (left >= 0) text += QString(" · retry in %1 s").arg(int(std::ceil(left)));
  }
  label->setText(text);
  QString tip = QString::fromStdString(venue.name) + " connection state";
  if (!venue.detail.empty()) tip += ": " + QString::fromStdString(venue.detail);
  if (heartbeatUs > 0) tip += QString("\nLast heartbeat round trip: %1 µs").arg(heartbeatUs);
  label->setToolTip(tip);
  color = (late || venue.state == VenueState::Connecting) ? colors::last.name() : up ? colors::bid.name() : colors::ask.name();
  label->setStyleSheet(QString("color:%1;").arg(color));
}

QString MainWindow::sendManualOrder(InstrumentId id, Side side, Price price, const QString& qtyText, const char* tag,
                                    bool* ok, OrderAnswer& answer) {
  *ok = false;
  answer.forget();
  if (id >= instruments_.size()) return "Select an instrument first";
  const Instrument& inst = instruments_[id];
  OrderRequest r;
  r.instrument = id;
  r.side = side;
  r.price = price;
  r.origin = OrderOrigin::Manual;
  r.tag = tag;
  QString error;
  if (!parseFixed(qtyText, r.qty, &error)) return "Quantity " + error + " — nothing sent";
  const RiskDecision d = validateOrder(inst, r, engine_.now());
  if (!d.accepted()) return QString::fromStdString(d.reason) + " — nothing sent";
  if (engine_.halted()) return "Trading is HALTED — nothing sent";
  if (const LinkStatus link = engine_.link(); link.remote && !link.connected)
    return "Not connected to engine " + QString::fromStdString(link.engineName) + " — nothing sent";
  const QString description = QString("%1 %2 %3 @ %4")
                                  .arg(side == Side::Buy ? "Buy" : "Sell", formatQty(inst, r.qty),
                                       venues_.display(instruments_, id), formatPrice(inst, price));
  answer.track(r, description);
  engine_.submit(r);
  *ok = true;
  return description + " — sent to the risk gate…";
}

void MainWindow::onLadderOrder(Side side, Price price) {
  bool ok = false;
  const QString msg = sendManualOrder(selected_, side, price, ladderPanel_->qtyEdit()->text(), "ladder", &ok, ladderAnswer_);
  ladderPanel_->showMessage(msg, !ok);
}

void MainWindow::onChainOrder(InstrumentId instrument, Side side, Price price) {
  bool ok = false;
  const QString msg = sendManualOrder(instrument, side, price, chainBoard_->qtyText(), "chain", &ok, chainAnswer_);
  chainBoard_->showMessage(msg, !ok);
}

bool MainWindow::showView(const QString& name) {
  const QStringList names = {"chart", "chain", "surface", "greeks", "strategies", "risk", "audit", "desk"};
  const int i = names.indexOf(name);
  if (i < 0 || i >= centralTabs_->count()) return false;
  centralTabs_->setCurrentIndex(i);
  return true;
}

void MainWindow::cancelSelectedOrders() {
  const auto rows = ordersView_->selectionModel()->selectedRows();
  for (const QModelIndex& idx : rows) {
    const Order& o = orders_->row(idx.row());
    if (isWorking(o.state)) engine_.cancel(o.id);
  }
}

void MainWindow::haltAll() {
  engine_.haltAll("HALT ALL pressed");
  risk_->showHalted("HALT ALL pressed", engine_.now());
  haltBanner_->setText("  HALTED — HALT ALL pressed  ");
  haltBanner_->show();
}

void MainWindow::askResume() {
  if (engine_.tradingState() == TradingState::Active) return;
  auto* box = new QMessageBox(QMessageBox::Warning, "Resume trading",
                              "Resume trading?\n\nNew orders will be accepted again. Strategies stay stopped.",
                              QMessageBox::Yes | QMessageBox::Cancel, this);
  box->setObjectName("resumeConfirmation");
  box->setDefaultButton(QMessageBox::Cancel);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::finished, this, [this](int result) {
    if (result == QMessageBox::Yes) resumeConfirmed();
  });
  box->open();
}

void MainWindow::resumeConfirmed() {
  // A remote engine answers later, on another thread: the answer is shown on the GUI thread.
  QPointer<MainWindow> self(this);
  engine_.resume([self](std::string refused) {
    if (refused.empty()) return;
    QMetaObject::invokeMethod(qApp, [self, refused = QString::fromStdString(refused)] {
      if (self) self->risk_->showResumeRefused(refused);
    });
  });
}

void MainWindow::askFlatten() {
  auto* box = new QMessageBox(QMessageBox::Warning, "Flatten all positions",
                              "FLATTEN?\n\nEvery strategy stops, every open order is cancelled, and every position is "
                              "closed with IOC orders at the market, inside the price bands. Trading goes REDUCING "
                              "until you RESUME.",
                              QMessageBox::Yes | QMessageBox::Cancel, this);
  box->setObjectName("flattenConfirmation");
  box->setDefaultButton(QMessageBox::Cancel);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::finished, this, [this](int result) {
    if (result == QMessageBox::Yes) flattenConfirmed();
  });
  box->open();
}

void MainWindow::flattenConfirmed() { engine_.flatten("by the user"); }

bool MainWindow::selectUnderlying(const QString& currency) {
  const int i = underlyingBox_->findText(currency.trimmed().toUpper());
  if (i < 0) return false;
  underlyingBox_->setCurrentIndex(i);
  return true;
}

QString MainWindow::selectedUnderlying() const { return underlyingBox_->currentText(); }

// Underlyings whose analytics arrive but that the selector does not list yet (a venue that lists
// instruments later): added, the user's choice kept.
void MainWindow::syncUnderlyings(const EngineSnapshot& s) {
  for (const std::string& u : s.analytics->underlyings())
    if (underlyingBox_->findText(QString::fromStdString(u)) < 0) underlyingBox_->addItem(QString::fromStdString(u));
}

// The per-underlying views get the selected underlying's chain (the first one if it has none);
// the Greeks panel also every underlying's totals and their USD sum.
void MainWindow::applyAnalytics(const EngineSnapshot& s) {
  if (!s.analytics || s.analytics->chains.empty()) return;
  const analytics::ChainAnalytics* chain = s.analytics->chain(selectedUnderlying().toStdString());
  if (!chain) chain = s.analytics->chains.front().get();
  std::vector<std::pair<InstrumentId, double>> held;
  for (const PositionRow& p : s.positions)
    if (p.qty != 0) held.emplace_back(p.instrument, p.qty);
  chainBoard_->setPositions(held);
  chainBoard_->setQuotes(s.quotes);
  chainBoard_->apply(*chain);
  surface_->apply(*chain);
  greeks_->apply(*chain, s.analytics.get());
}

void MainWindow::showRiskLimits() { centralTabs_->setCurrentWidget(riskLimits_); }

void MainWindow::fitToScreen() {
  if (isMaximized() || isFullScreen()) return;
  QScreen* sc = QGuiApplication::screenAt(geometry().center());
  if (!sc) sc = screen() ? screen() : QGuiApplication::primaryScreen();
  if (!sc) return;
  const QRect avail = sc->availableGeometry();
  // The frame is known once the window is shown; before that, assume none (re-fitted on show).
  const QRect frame = isVisible() ? frameGeometry() : geometry();
  const QMargins m(geometry().left() - frame.left(), geometry().top() - frame.top(),
                   frame.right() - geometry().right(), frame.bottom() - geometry().bottom());
  QRect r = geometry();
  r.setWidth(std::min(r.width(), avail.width() - m.left() - m.right()));
  r.setHeight(std::min(r.height(), avail.height() - m.top() - m.bottom()));
  const int maxLeft = avail.right() - m.right() - r.width() + 1, maxTop = avail.bottom() - m.bottom() - r.height() + 1;
  r.moveTo(std::clamp(r.left(), avail.left() + m.left(), std::max(avail.left() + m.left(), maxLeft)),
           std::clamp(r.top(), avail.top() + m.top(), std::max(avail.top() + m.top(), maxTop)));
  if (r != geometry()) setGeometry(r);
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (fittedOnce_) return;
  fittedOnce_ = true;
  // Once shown the frame's size is known: fit again with it.
  QTimer::singleShot(0, this, [this] { fitToScreen(); });
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings(settingsFile_, QSettings::IniFormat);
  settings.setValue("window/rect", normalGeometry());
  settings.setValue("window/maximized", isMaximized());
  settings.setValue("ladder/autoCentre", ladderPanel_->autoCentreBox()->isChecked());
  settings.setValue("views/underlying", selectedUnderlying());
  settings.setValue("window/state", saveState());
  QMainWindow::closeEvent(event);
}

void MainWindow::setConnections(CredentialStore* store, ConnectionTester tester) {
  credentialStore_ = store;
  connectionTester_ = std::move(tester);
}

void MainWindow::setApiKeyTester(const QString& venue, ApiKeyTester tester) {
  for (auto& [name, t] : apiKeyTesters_)
    if (name == venue) {
      t = std::move(tester);
      return;
    }
  apiKeyTesters_.emplace_back(venue, std::move(tester));
}

std::vector<VenueConnection> MainWindow::connectionEntries() const {
  std::vector<VenueConnection> out;
  for (VenueId v = 0; v < engine_.venueCount(); ++v) {
    VenueConnection e;
    e.venue = QString::fromStdString(venues_.names[v]);
    e.environment = QString::fromStdString(engine_.venueEnvironment(v));
    if (e.environment.isEmpty()) {
      e.kind = CredentialKind::None;  // the embedded simulator
    } else if (e.venue == "evm") {
      e.kind = CredentialKind::WalletKey;  // the on-chain wallet's private key
    } else if (e.venue == "deribit") {
      e.kind = CredentialKind::DeribitClient;
      e.deribitTester = connectionTester_;
    } else {
      e.kind = CredentialKind::ApiKeyPair;
      for (const auto& [name, tester] : apiKeyTesters_)
        if (name == e.venue) e.apiKeyTester = tester;
    }
    out.push_back(std::move(e));
  }
  // The simulator alone: the dialog is where a Deribit key is set up for the next run, as it was.
  if (out.size() <= 1 && (out.empty() || out.front().kind == CredentialKind::None))
    out = {VenueConnection{"deribit", CredentialKind::DeribitClient, connectionTester_, {}, {}}};
  return out;
}

ConnectionsDialog* MainWindow::openConnections() {
  if (!credentialStore_)
    credentialStore_ = new CredentialStore(QFileInfo(settingsFile_).absolutePath() + "/connections.ini", "Kappa", this);
  if (auto* open = findChild<ConnectionsDialog*>(); open && open->isVisible()) {
    open->raise();
    open->activateWindow();
    return open;
  }
  auto* dialog = new ConnectionsDialog(*credentialStore_, connectionEntries(), this);
  if (haveSnapshot_) dialog->setVenueStates(engine_.snapshot().venues);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->open();
  return dialog;
}

}  // namespace kappa::ui
