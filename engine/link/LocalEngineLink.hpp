#pragma once
// The EngineLink over an Engine in this process: every call goes straight to the engine (which
// posts commands to its own thread), so the window behaves exactly as it did before the boundary.
#include <memory>

#include "journal/JournalQueryWorker.hpp"
#include "link/EngineLink.hpp"
#include "orchestrator/Engine.hpp"

namespace kappa {

class LocalEngineLink final : public EngineLink {
 public:
  explicit LocalEngineLink(Engine& engine) : engine_(engine) {}
  ~LocalEngineLink() override;
  Engine& engine() { return engine_; }

  const InstrumentRegistry& instruments() const override { return engine_.instruments(); }
  std::size_t venueCount() const override { return engine_.venueCount(); }
  std::vector<std::string> venueNames() const override { return engine_.venueNames(); }
  std::string venueEnvironment(VenueId v) const override { return engine_.venueEnvironment(v); }
  Nanos now() const override { return engine_.now(); }
  bool halted() const override { return engine_.halted(); }
  TradingState tradingState() const override { return engine_.tradingState(); }
  std::string watchdogAlarm() const override { return engine_.watchdogAlarm(); }
  std::string journalPath() const override;
  // Read from the file on this link's worker thread, as the engine writes it. Called from the
  // window's thread only (the worker is started by the first call).
  void queryJournal(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done) override;
  LinkStatus link() const override { return {}; }

  bool takeSnapshot() override { return engine_.takeSnapshot(); }
  const EngineSnapshot& snapshot() const override { return engine_.snapshot(); }
  void setFocus(InstrumentId id) override { engine_.setFocus(id); }

  void submit(OrderRequest request) override { engine_.submit(std::move(request)); }
  void cancel(OrderId id) override { engine_.cancel(id); }
  void cancelAll(InstrumentId only) override { engine_.cancelAll(only); }
  void replace(OrderId id, Price price, Qty qty) override { engine_.replace(id, price, qty); }
  void haltAll(std::string reason) override { engine_.haltAll(std::move(reason)); }
  void resume(std::function<void(std::string)> done) override;
  void reduceOnly(std::string reason) override { engine_.reduceOnly(std::move(reason)); }
  void flatten(std::string reason) override { engine_.flatten(std::move(reason)); }
  void changeRiskLimit(std::string assignment) override { engine_.changeRiskLimit(std::move(assignment)); }

  void launchStrategy(StrategyLaunch launch, std::function<void(std::string)> done) override {
    engine_.launchStrategy(std::move(launch), std::move(done));
  }
  void loadPlugin(const std::string& path, bool approve) override { engine_.loadPlugin(path, approve); }
  void unloadPlugin(const std::string& path) override { engine_.unloadPlugin(path); }
  void startStrategy(std::uint32_t id) override { engine_.startStrategy(id); }
  void stopStrategy(std::uint32_t id) override { engine_.stopStrategy(id); }
  void removeStrategy(std::uint32_t id) override { engine_.removeStrategy(id); }
  void setStrategyParam(std::uint32_t id, std::string name, std::string value) override {
    engine_.setStrategyParam(id, std::move(name), std::move(value));
  }
  void listPluginFiles(std::function<void(std::vector<std::string>, std::string)> done) override {
    done(engine_.availablePluginFiles(), {});
  }

 private:
  Engine& engine_;
  std::unique_ptr<JournalQueryWorker> journalWorker_;  // started at the first query
};

}  // namespace kappa
