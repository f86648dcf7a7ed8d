#pragma once
// The trading window. A 60 Hz frame loop pulls the engine's latest snapshot (never waiting on the
// engine) and hands it to every view; user actions become engine commands.
#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>

#include "ConnectionsDialog.hpp"
#include "OrderAnswer.hpp"
#include "UiMetrics.hpp"
#include "VenueNames.hpp"
#include <functional>

#include "link/EngineLink.hpp"
#include "orchestrator/Engine.hpp"

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QTableView;
class QLineEdit;
class QSortFilterProxyModel;

namespace kappa::evm {
class EvmView;
}

namespace kappa::remote {
class DeskFeed;
}

namespace kappa::ui {

namespace onchain {
class OnChainPanel;
class OnChainTicketSection;
}  // namespace onchain

class ChartWidget;
class OptionChainBoard;
class VolSurfaceView;
class GreeksPanel;
class LadderPanel;
class LadderWidget;
class OrderTicket;
class RiskPanel;
class RiskLimitsView;
class StrategyLog;
class StrategyManager;
class AuditView;
class AccountPanel;
class WatchlistModel;
class OrdersModel;
class FillsModel;
class PositionsModel;
class TradesModel;
class DeskView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // Over an engine in this process (a LocalEngineLink the window owns).
  MainWindow(Engine& engine, const QString& settingsFile, QWidget* parent = nullptr);
  // Over any engine: local, or remote through `kappa --attach` (the link outlives the window).
  MainWindow(EngineLink& link, const QString& settingsFile, QWidget* parent = nullptr);
  ~MainWindow() override;

  void selectInstrument(InstrumentId id);
  InstrumentId selectedInstrument() const { return selected_; }
  // Pulls the latest snapshot and updates every view (the frame timer calls this at 60 Hz).
  void frame();
  // The strategy manager's log lines (owned by the caller, outlives the window); none by default.
  void setStrategyLog(StrategyLog* log);
  const UiMetrics& metrics() const { return metrics_; }
  const EngineSnapshot* lastSnapshot() const { return haveSnapshot_ ? &engine_.snapshot() : nullptr; }

  // For tests.
  LadderPanel* ladderPanel() const { return ladderPanel_; }
  LadderWidget* ladder() const;
  RiskPanel* riskPanel() const { return risk_; }
  OrderTicket* ticket() const { return ticket_; }
  OrdersModel* ordersModel() const { return orders_; }
  FillsModel* fillsModel() const { return fills_; }
  PositionsModel* positionsModel() const { return positions_; }
  WatchlistModel* watchlistModel() const { return watchlist_; }
  QTableView* watchlistView() const { return watchView_; }
  QTableView* ordersView() const { return ordersView_; }
  QTableView* positionsView() const { return positionsView_; }
  const VenueNames& venues() const { return venues_; }
  QAction* haltAction() const { return haltAction_; }
  // The remote engine's link in the status bar ("engine a · rtt 0.3 ms · age 12 ms"); null for a
  // local engine. The banner shows while the link is lost.
  QLabel* linkStatusLabel() const { return linkLabel_; }
  // A window attached to a remote engine: the Desk view (the risk role's; `feed` outlives the
  // window) and File → Attach to engine… listing the engines the desk has (`listEngines` blocks:
  // it runs on a thread of its own). Choosing one emits attachRequested.
  void setDesk(remote::DeskFeed& feed, const std::string& user);
  void setEngineList(std::function<std::vector<std::string>(std::string*)> listEngines);
  DeskView* deskView() const { return desk_; }
  QLabel* linkLostBanner() const { return linkBanner_; }
  bool linkLost() const { return linkLost_; }
  void resumeConfirmed();
  // Says on the ladder, the watchlist and time & sales that the data they show is late (0: not);
  // frame() calls it with the snapshot's venue lag once that is a second or more.
  void showDataLateness(double lateMs);
  // One status-bar label per venue (in --venue order): its text and colour (#rrggbb).
  QString venueStatusText(VenueId v = 0) const;
  QString venueStatusColor(VenueId v = 0) const;
  AccountPanel* accountPanel() const { return account_; }
  // Shows the Account tab of the orders/fills/positions dock.
  void showAccount();
  void flattenConfirmed();
  RiskLimitsView* riskLimits() const { return riskLimits_; }
  // Shows the risk limits tab (every limit, the triggers, the breaches).
  void showRiskLimits();
  // Shows a central view: "chart", "chain", "surface", "greeks", "strategies", "risk" or "audit". False if unknown.
  bool showView(const QString& name);
  // The underlying the per-underlying views (option chain, volatility, Greeks) show: "BTC", "ETH".
  // False if no listed underlying has that name. Remembered with the layout.
  bool selectUnderlying(const QString& currency);
  QString selectedUnderlying() const;
  QComboBox* underlyingSelector() const { return underlyingBox_; }
  OptionChainBoard* chainBoard() const { return chainBoard_; }
  GreeksPanel* greeksPanel() const { return greeks_; }
  ChartWidget* chart() const { return chart_; }
  VolSurfaceView* volSurface() const { return surface_; }
  StrategyManager* strategyManager() const { return strategies_; }
  AuditView* auditView() const { return audit_; }
  // File → Connections…: the store the dialog saves to (kept by the caller; without one the window
  // makes its own, connections.ini beside the layout file) and the connector's log-in test.
  // The dialog lists every configured venue: Deribit with its client id/secret and `tester`, the
  // simulator with a note that it needs no key, any other exchange with an API key/secret pair and
  // the tester given to setApiKeyTester (none: its "Test connection" is disabled and says why).
  // Kappa with the simulator alone shows Deribit's page, as before several venues.
  void setConnections(CredentialStore* store, ConnectionTester tester);
  // The API-key test for `venue` (e.g. "binance-futures"); the integrator wires it in app/main.cpp.
  void setApiKeyTester(const QString& venue, ApiKeyTester tester);
  // The entries openConnections() gives the dialog (tests).
  std::vector<VenueConnection> connectionEntries() const;
  // Opens the Connections dialog (window-modal, deleted on close; the one already open if any).
  ConnectionsDialog* openConnections();
  // An on-chain venue is configured (app/main.cpp, --venue evm), or the attached engine has one
  // (app/AttachedTerminal.cpp: RemoteEvmView): adds the On-chain dock (wallet, pools, transactions
  // with Speed up / Cancel, block strip) and the ticket's swap preview (MainWindowOnChain.cpp). The
  // view outlives the window.
  void setEvmVenue(evm::EvmView& venue);
  onchain::OnChainPanel* onChainPanel() const { return onChain_; }
  onchain::OnChainTicketSection* onChainTicket() const { return onChainTicket_; }

 protected:
  void closeEvent(QCloseEvent* event) override;
  bool event(QEvent* event) override;
  void showEvent(QShowEvent* event) override;

 signals:
  // File → Attach to engine…: the user chose this engine of the desk.
  void attachRequested(const QString& engine);

 private:
  void buildDocks();
  void applyDefaultSizes();
  // Moves and, if need be, shrinks the window so that all of it (frame included) is on the
  // available part of its screen: a restored layout must never put the status bar off screen.
  void fitToScreen();
  void buildMenus();
  void buildStatusBar();
  void haltAll();
  void askResume();
  void askFlatten();
  void onLadderOrder(Side side, Price price);
  void onChainOrder(InstrumentId instrument, Side side, Price price);
  // Validates and sends a manual limit order; returns the message to show.
  // `answer` follows the order to the gate's and the venue's answer.
  QString sendManualOrder(InstrumentId instrument, Side side, Price price, const QString& qtyText, const char* tag, bool* ok,
                          OrderAnswer& answer);
  void cancelSelectedOrders();
  void updateStatus(const EngineSnapshot& s);

  // `link` null: the window uses the one it owns.
  MainWindow(std::unique_ptr<EngineLink> owned, EngineLink* link, const QString& settingsFile, QWidget* parent);
  std::unique_ptr<EngineLink> ownedLink_;  // a LocalEngineLink made by the Engine& constructor
  EngineLink& engine_;
  const InstrumentRegistry& instruments_;
  VenueNames venues_;  // the configured venues, by VenueId
  QString settingsFile_;
  QByteArray defaultState_;
  bool fittedOnce_ = false;
  InstrumentId selected_ = kNoInstrument;
  bool haveSnapshot_ = false;
  std::uint64_t ordersVersion_ = ~0ull;
  std::uint64_t fillsTotal_ = ~0ull;

  RiskPanel* risk_ = nullptr;
  RiskLimitsView* riskLimits_ = nullptr;
  ChartWidget* chart_ = nullptr;
  class QTabWidget* centralTabs_ = nullptr;
  QComboBox* underlyingBox_ = nullptr;  // the per-underlying views' selector (the tabs' corner)
  void syncUnderlyings(const EngineSnapshot& s);
  void applyAnalytics(const EngineSnapshot& s);
  OptionChainBoard* chainBoard_ = nullptr;
  VolSurfaceView* surface_ = nullptr;
  GreeksPanel* greeks_ = nullptr;
  std::uint64_t analyticsSeq_ = 0;
  StrategyManager* strategies_ = nullptr;
  AuditView* audit_ = nullptr;
  std::uint64_t strategiesVersion_ = 0;
  QElapsedTimer strategiesRefresh_;  // PnL moves without a version change: refresh twice a second
  LadderPanel* ladderPanel_ = nullptr;
  OrderTicket* ticket_ = nullptr;
  WatchlistModel* watchlist_ = nullptr;
  QSortFilterProxyModel* watchFilter_ = nullptr;
  QTableView* watchView_ = nullptr;
  OrdersModel* orders_ = nullptr;
  QTableView* ordersView_ = nullptr;
  FillsModel* fills_ = nullptr;
  PositionsModel* positions_ = nullptr;
  QTableView* positionsView_ = nullptr;
  AccountPanel* account_ = nullptr;
  class QTabWidget* tablesTabs_ = nullptr;
  TradesModel* trades_ = nullptr;
  QAction* haltAction_ = nullptr;
  std::vector<QDockWidget*> docks_;  // watchlist, ladder, ticket, tables, time & sales

  std::vector<QLabel*> venueLabels_;  // one per venue
  std::vector<QString> venueColors_;
  void updateVenueStatus(const EngineSnapshot& s, const VenueRow& venue, QLabel* label, QString& color);
  QLabel* rateLabel_ = nullptr;
  QLabel* lagLabel_ = nullptr;
  QLabel* frameLabel_ = nullptr;
  QLabel* clockLabel_ = nullptr;
  QLabel* haltBanner_ = nullptr;
  // A remote engine (kappa --attach): the link's state in the status bar, and a lost link greys the
  // views and turns order entry off (nothing stale is shown as live).
  QLabel* linkLabel_ = nullptr;
  QLabel* linkBanner_ = nullptr;
  DeskView* desk_ = nullptr;
  QAction* attachAction_ = nullptr;
  bool linkLost_ = false;
  std::uint64_t refusalsShown_ = 0;
  int linkEvery_ = 0;
  void updateLink();

  QTimer frameTimer_;
  QElapsedTimer sinceLastFrame_;
  QElapsedTimer frameWork_;  // from the start of the frame until its deferred repaints are done
  UiMetrics metrics_;
  int statusEvery_ = 0;
  int lateTenths_ = 0;
  double lateMs_ = 0;  // how late the shown market data is (0: on time)
  OrderAnswer ladderAnswer_, chainAnswer_;  // the last order clicked on the ladder, on the chain
  CredentialStore* credentialStore_ = nullptr;
  ConnectionTester connectionTester_;
  std::vector<std::pair<QString, ApiKeyTester>> apiKeyTesters_;
  onchain::OnChainPanel* onChain_ = nullptr;
  onchain::OnChainTicketSection* onChainTicket_ = nullptr;
};

}  // namespace kappa::ui
