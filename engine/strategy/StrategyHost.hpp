#pragma once
// Runs strategy plugins on the engine thread: instances and their lifecycle, market-data, chain,
// order and timer dispatch, the host services of the C ABI, and fault containment.
//
// Containment: an error return or an exception from a callback stops that instance (no more
// calls), cancels its orders and raises a risk event; the others keep running. A callback over
// its budget is reported by the watchdog and repeated overruns stop the instance; a callback that
// never returns trips the watchdog, which halts all automation from its own thread (the engine
// thread is stuck inside the plugin) and publishes an alarm the GUI reads without the engine.
// Callbacks never nest: order updates caused by a callback's own requests are queued and
// delivered after it returns.
#include <boost/asio/any_io_executor.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analytics/MarketAnalytics.hpp"
#include "book/MarketData.hpp"
#include "oms/OrderManager.hpp"
#include "oms/RiskGate.hpp"
#include "strategy/CallbackWatchdog.hpp"
#include "strategy/LatencyHistogram.hpp"
#include "strategy/PluginModule.hpp"
#include "strategy/StrategyParams.hpp"
#include "strategy/StrategyRows.hpp"

namespace kappa {

struct StrategyInstance;
class Journal;

struct StrategyHostConfig {
  Nanos callbackBudget = 1'000'000;       // 1 ms per callback
  int overrunsToStop = 3;                 // that many overruns stop the instance
  Nanos hangTimeout = 1'000'000'000;      // the watchdog halts everything after 1 s in one callback
  double maxOrdersPerSecond = 50;         // per instance, submits and replaces; 0 = unlimited
  std::uint64_t floodRefusalsToStop = 1000;  // refused for rate within one second: stop the instance
};

class StrategyHost {
 public:
  // Engine-thread state the host serves plugins from; all references outlive the host.
  struct Services {
    const InstrumentRegistry& instruments;
    const MarketData& market;
    OrderManager& oms;
    HaltSwitch& halt;
    std::function<Nanos()> now;  // market clock
    boost::asio::any_io_executor engine;  // timers and watchdog reports run here
    const std::shared_ptr<const analytics::MarketAnalytics>& analytics;
    std::vector<std::string> venueNames = {};  // by VenueId: "venue:name" lookups and kappa_instrument::venue
  };
  // A bare name (the first venue that lists it) or "venue:name".
  const Instrument* findInstrument(std::string_view name) const;

  StrategyHost(Services services, StrategyHostConfig config = {});
  ~StrategyHost();  // removes every instance: call it on the engine thread (or after it stopped)
  StrategyHost(const StrategyHost&) = delete;
  StrategyHost& operator=(const StrategyHost&) = delete;

  // Risk events, plugin loads and parameters go to the journal (engine thread; null = none).
  void setJournal(Journal* journal) { journal_ = journal; }

  // ---- engine thread: plugins ----
  void addModule(std::shared_ptr<PluginModule> module);
  std::shared_ptr<PluginModule> module(const std::string& path) const;
  // Removes the module's instances and forgets it; the caller destroys the returned module off the
  // engine thread (deinit, dlclose). Null if no such module.
  std::shared_ptr<PluginModule> removeModule(const std::string& path);
  // Remembers why a file could not be loaded (shown in the plugin list, raised as a risk event).
  void noteLoadFailure(const std::string& path, const std::string& sha256, const std::string& approvedSha256,
                       PluginApproval approval, const std::string& error);

  // ---- engine thread: instances ----
  // Returns the new instance's id (> 0), or 0 with `error` (unknown plugin or strategy, bad parameter).
  std::uint32_t create(const std::string& path, const std::string& strategyId, const ParamAssignments& params,
                       std::string* error);
  bool start(std::uint32_t id, std::string* error);
  bool stop(std::uint32_t id, const std::string& reason);
  bool remove(std::uint32_t id);
  bool setParam(std::uint32_t id, const std::string& name, const std::string& value, std::string* error);
  void stopAll(const std::string& reason);  // the halt: every running instance, orders cancelled
  void shutdown();                          // removes every instance (engine thread, before it stops)
  // Every module, forgotten; the caller unloads them off the engine thread (shutdown).
  std::vector<std::shared_ptr<PluginModule>> removeAllModules();

  // The set-up a restart brings back (plugins loaded; instances with their parameters), as JSON:
  //   {"plugins": [path...], "instances": [{"plugin": path, "strategy": id, "name": name,
  //                                         "params": [[name, value]...]}]}
  // Journaled on every change to it (not when the session ends and everything is removed).
  std::string setupJson() const;

  // ---- engine thread: events ----
  // `receivedAt`: wall time the engine read when the batch arrived (tick-to-order starts there;
  // the host reads no clock of its own on this path).
  void onMarketData(const MdEvent* events, std::size_t n, Nanos receivedAt);
  void onOrderChanged(const Order& order, const Fill* fill);
  void onChainAnalytics();
  // The engine knows `n` instruments now (listed while running): plugins may use the new ids. Ids
  // the registry holds beyond it (a venue added them on its thread, the engine has not heard yet)
  // are not shown to plugins.
  void grow(std::size_t n) {
    if (bookSubscribers_.size() < n) bookSubscribers_.resize(n);
    if (tradeSubscribers_.size() < n) tradeSubscribers_.resize(n);
    if (dirty_.size() < n) dirty_.resize(n, 0);
    if (n > known_) known_ = n;
  }
  std::size_t knownInstruments() const { return known_; }

  // ---- engine thread: state ----
  void rows(std::vector<PluginRow>* plugins, std::vector<StrategyRow>* strategies) const;
  const std::vector<RiskEventRow>& riskEvents() const { return riskEvents_; }
  // From the market data an order answers to the order (or replace) leaving: orders placed from
  // on_book/on_trade (from the batch's arrival) and from on_chain (from the chain's sampling).
  const LatencyHistogram& tickToOrder() const { return tickToOrder_; }
  std::uint64_t tickToOrderFromBook() const { return bookOrders_; }
  std::uint64_t tickToOrderFromChain() const { return chainOrders_; }
  std::uint64_t version() const { return version_; }
  std::size_t instanceCount() const { return instances_.size(); }
  std::uint32_t instanceId(const std::string& name) const;
  // The strategy id an instance runs (the risk limits' "strategies" key); empty if unknown.
  std::string strategyIdOf(std::uint32_t instance) const;
  std::string instanceName(std::uint32_t instance) const;
  // Called when an instance faults (after it was stopped and its orders cancelled): the risk
  // engine's strategy_fault trigger.
  void setFaultListener(std::function<void(const std::string& instance, const std::string& why)> f) {
    faultListener_ = std::move(f);
  }

  // ---- any thread ----
  // Set by the watchdog when a callback never returned: which plugin, where, since when.
  std::string watchdogAlarm() const;
  bool stuck() const;  // a callback is stuck right now (set by the watchdog, cleared when it returns)

  // ---- host services (called through the C ABI by the plugin, engine thread) ----
  struct Api;

 private:
  StrategyInstance* find(std::uint32_t id) const;
  template <class Call>
  void invoke(StrategyInstance& s, const char* callback, Call&& call);
  void fault(StrategyInstance& s, const std::string& why);
  void deactivate(StrategyInstance& s);  // unsubscribe, timers off, orders cancelled
  void drainPending();
  void raise(const std::string& source, const std::string& subject, const std::string& message);
  void onOverrun(std::uint32_t id, const char* callback, Nanos running);
  void onStuckReturned(std::uint32_t id, const char* callback);
  void updateWatchdog();
  void changed() { ++version_; }
  void journalSetup();
  bool recordSetup_ = true;  // off while the session ends: its removals are not a new set-up

  Services svc_;
  StrategyHostConfig config_;
  std::function<void(const std::string&, const std::string&)> faultListener_;
  std::vector<std::shared_ptr<PluginModule>> modules_;
  std::vector<PluginRow> failedLoads_;
  std::vector<std::unique_ptr<StrategyInstance>> instances_;
  std::uint32_t nextId_ = 1;
  std::vector<std::vector<StrategyInstance*>> bookSubscribers_, tradeSubscribers_;  // by instrument
  std::vector<InstrumentId> dirtyBooks_;
  std::vector<std::uint8_t> dirty_;
  std::size_t known_ = 0;  // ids the engine's tables hold (see grow())
  struct Pending {
    std::uint32_t instance;
    OrderId order;
    bool hasFill;
    Fill fill;
  };
  std::vector<Pending> pending_;
  int depth_ = 0;  // > 0 while a callback runs
  void measureTickToOrder();
  // Wall time the market data being dispatched arrived (or the chain's input was sampled); 0 outside
  // market-data and chain dispatch.
  Nanos tickAt_ = 0;
  bool tickFromChain_ = false;
  LatencyHistogram tickToOrder_;
  std::uint64_t bookOrders_ = 0, chainOrders_ = 0;
  std::vector<RiskEventRow> riskEvents_;
  std::uint64_t version_ = 0;
  mutable std::mutex alarmMutex_;  // guards alarm_ and labels_, which the watchdog thread reads
  std::string alarm_;  // the watchdog's message, kept for display after the callback returned
  std::atomic<bool> stuckNow_{false};  // a callback is stuck right now (the engine thread is unavailable)
  std::map<std::uint32_t, std::string> labels_;  // instance id -> "name (plugin path)"
  Journal* journal_ = nullptr;
  void journal(int kind, std::uint32_t strategy, std::string text);
  std::unique_ptr<CallbackWatchdog> watchdog_;  // last: its thread stops first
};

}  // namespace kappa
