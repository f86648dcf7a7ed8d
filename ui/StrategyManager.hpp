#pragma once
// The strategy manager tab: plugin files (hash, approval, load state), creating instances from a
// loaded plugin's strategies, the instances with their state, orders, PnL and last error, their
// typed parameter editors, and the strategy log filtered by instance.
//
// Like every view it only posts commands (Engine methods) and reads snapshots: nothing here waits
// for the engine thread, which may be stuck inside a plugin.
#include <QElapsedTimer>
#include <QWidget>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "link/EngineLink.hpp"
#include "strategy/PluginLoader.hpp"

class QComboBox;
class QLabel;
class QPushButton;
class QSplitter;
class QTableView;

namespace kappa::ui {

class InstancesModel;
class PluginsModel;
class StrategyLog;
class StrategyLogModel;
class StrategyParamForm;

class StrategyManager : public QWidget {
  Q_OBJECT
 public:
  explicit StrategyManager(EngineLink& engine, QWidget* parent = nullptr);
  ~StrategyManager() override;

  // Where the log lines come from (owned by the caller, outlives this widget). Null: no log view.
  void setLog(StrategyLog* log);
  // A snapshot whose strategy rows changed, or a periodic one (PnL moves). Updates in place.
  void update(const EngineSnapshot& snapshot);
  using QWidget::update;  // the repaint overloads stay reachable
  // Appends the log lines that arrived since the last call (once per frame, snapshot or not).
  void pullLog();

  // For tests and the main window.
  QTableView* pluginsView() const { return pluginsView_; }
  QTableView* instancesView() const { return instancesView_; }
  QTableView* logView() const { return logView_; }
  QComboBox* newInstanceStrategy() const { return strategyCombo_; }
  QComboBox* logInstanceFilter() const { return logInstance_; }
  QComboBox* logLevelFilter() const { return logLevel_; }
  StrategyParamForm* paramForm() const { return params_; }
  QPushButton* addPluginButton() const { return addPlugin_; }
  QPushButton* loadButton() const { return load_; }
  QPushButton* approveButton() const { return approve_; }
  QPushButton* unloadButton() const { return unload_; }
  QPushButton* createButton() const { return create_; }
  QPushButton* createAndStartButton() const { return createAndStart_; }
  QPushButton* startButton() const { return start_; }
  QPushButton* stopButton() const { return stop_; }
  QPushButton* removeButton() const { return remove_; }
  QPushButton* applyButton() const { return apply_; }
  QLabel* messageLabel() const { return message_; }
  // 0 if no instance is selected.
  std::uint32_t selectedInstance() const;
  void selectInstance(std::uint32_t id);

 protected:
  void resizeEvent(QResizeEvent* e) override;
  void showEvent(QShowEvent* e) override;

 private:
  // What the parameter panel shows: an instance's values, or a strategy's defaults for "New instance".
  struct ParamTarget {
    std::uint32_t instance = 0;
    std::string pluginPath, strategyId;
    std::string signature;
    bool operator==(const ParamTarget&) const = default;
  };

  QWidget* buildPluginsSection();
  QWidget* buildInstancesSection();
  QWidget* buildParamsSection();
  QWidget* buildLogSection();

  void refreshPlugins();
  // Asks the engine for its plugins folder's files every few seconds (and when shown).
  void pollPluginFolder();
  void applyPluginFiles(std::vector<std::string> files, const QString& error);
  void refreshStrategyCombo(const EngineSnapshot& s);
  void refreshLogInstances(const EngineSnapshot& s);
  void refreshParams();
  void refreshButtons();
  void pollLaunches();

  const PluginRow* selectedPlugin() const;
  const StrategyRow* selectedInstanceRow() const;
  // The strategy chosen under "New instance": its plugin path and id (empty if none).
  std::pair<std::string, std::string> chosenStrategy() const;
  const StrategyDescriptionRow* describe(const std::string& path, const std::string& strategyId) const;

  void addPluginFile();
  void loadSelectedPlugin();
  void approveSelectedPlugin();
  void unloadSelectedPlugin();
  void createInstance(bool start);
  void startSelected();
  void stopSelected();
  void removeSelected();
  void applyParams();
  void applyLogFilter();
  void showMessage(const QString& text, bool error);
  // A command sent to the engine whose outcome the status line waits for: the "…ing" text is
  // replaced by what happened as soon as a snapshot shows it (never left standing).
  enum class Pending { None, Load, Unload, Start, Stop, Remove };
  void expect(Pending kind, const std::string& path, std::uint32_t instance, const QString& name, const QString& text);
  void resolvePending(const EngineSnapshot& s);

  EngineLink& engine_;
  StrategyLog* log_ = nullptr;
  std::vector<PluginRow> snapshotPlugins_;  // the last snapshot's, for the "New instance" schemas
  std::set<std::string> knownFiles_;        // added by the user or seen in a snapshot (canonical)
  std::vector<std::string> folderFiles_;    // the plugins folder's .so files (canonical)
  QElapsedTimer folderPoll_;
  bool folderListing_ = false;              // asked the engine for its plugin files, no answer yet
  QString folderError_;                     // why the last listing failed (said once)
  std::set<QString> instanceNames_;         // every instance seen this session (the log keeps their lines)
  ParamTarget paramTarget_;
  std::uint32_t newestInstance_ = 0;        // highest instance id seen
  bool selectNewInstance_ = false;          // after Create: select the instance when it appears...
  std::uint32_t selectAbove_ = 0;           // ...the first one with an id above this
  bool syncingCombo_ = false;               // the combo follows the selected instance: not the user's choice
  struct Launch {
    QString strategy;
    bool start = false;
    std::future<std::string> answer;  // "" or why it failed, set on the engine thread
  };
  std::vector<Launch> launches_;  // Create clicks awaiting the engine's answer (polled, never waited on)
  struct PendingCommand {
    Pending kind = Pending::None;
    std::string path;               // Load, Unload
    std::uint32_t instance = 0;     // Start, Stop, Remove
    QString name;                   // file or instance name, for the message
    std::string errorBefore;        // Load: the file's last load error when the command was sent
    QElapsedTimer since;
  };
  PendingCommand pending_;
  QString lastDir_;

  PluginsModel* plugins_ = nullptr;
  InstancesModel* instances_ = nullptr;
  StrategyLogModel* logModel_ = nullptr;
  QTableView* pluginsView_ = nullptr;
  QTableView* instancesView_ = nullptr;
  QTableView* logView_ = nullptr;
  QComboBox* strategyCombo_ = nullptr;
  QComboBox* logInstance_ = nullptr;
  QComboBox* logLevel_ = nullptr;
  QLabel* logCount_ = nullptr;
  StrategyParamForm* params_ = nullptr;
  QWidget* paramsScroll_ = nullptr;  // the form's scroll area
  QSplitter* middle_ = nullptr;      // instances | parameters
  void fitParamsPane();
  QLabel* paramsTitle_ = nullptr;
  QLabel* paramsNote_ = nullptr;
  QLabel* message_ = nullptr;
  QPushButton* addPlugin_ = nullptr;
  QPushButton* load_ = nullptr;
  QPushButton* approve_ = nullptr;
  QPushButton* unload_ = nullptr;
  QPushButton* create_ = nullptr;
  QPushButton* createAndStart_ = nullptr;
  QPushButton* start_ = nullptr;
  QPushButton* stop_ = nullptr;
  QPushButton* remove_ = nullptr;
  QPushButton* apply_ = nullptr;
};

}  // namespace kappa::ui
