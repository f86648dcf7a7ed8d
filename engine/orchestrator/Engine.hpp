#pragma once
// The engine: one thread that owns all trading state (books, orders, positions, risk) and runs a
// Boost.Asio io_context. Other threads talk to it only by posting commands; it talks back only
// through conflated snapshots (TripleBuffer) that readers pull at their own pace. No locks on the
// hot path, no Qt.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/Clock.hpp"
#include "book/MarketData.hpp"
#include "core/EngineSnapshot.hpp"
#include "core/TripleBuffer.hpp"
#include "oms/OrderManager.hpp"
#include "orchestrator/FocusSlots.hpp"
#include "journal/Journal.hpp"
#include "oms/RiskGate.hpp"
#include "risk/RiskMonitor.hpp"
#include "strategy/StrategyHost.hpp"
#include "strategy/StrategyLaunch.hpp"
#include "venue/Venue.hpp"

// Asio's io_context is only named here (by reference); the engine's .cpp files see it whole
// (orchestrator/EngineLoop.hpp), the files that merely use an Engine do not parse it.
namespace boost::asio {
class io_context;
}

namespace kappa {

namespace analytics {
class AnalyticsWorker;
}
class PluginLoader;

class Engine final {
 public:
  static constexpr std::size_t kDepthLevels = 50;
  static constexpr std::size_t kSnapshotCandles = 600;
  static constexpr std::size_t kSnapshotFinishedOrders = 200;
  static constexpr std::size_t kSnapshotFills = 200;

  // Any number of venues, each with its own thread, state and reconnect cycle; an instrument
  // belongs to one (Instrument::venue = its index here) and its orders go there. The embedded
  // simulator, if any, must come first (its instrument ids are its own).
  explicit Engine(std::vector<std::unique_ptr<Venue>> venues, StrategyHostConfig strategyConfig = {});
  explicit Engine(std::unique_ptr<Venue> venue, StrategyHostConfig strategyConfig = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();  // spawns the engine thread and connects the venue
  void stop();   // disconnects, stops and joins; idempotent

  // Any thread: the registry grows (instruments listed while running) and flags retirements on the
  // engine thread only; its storage never moves, so readers elsewhere may use any id below size()
  // (see InstrumentRegistry). Views rebuild what they derive from it when version() changes.
  const InstrumentRegistry& instruments() const { return instruments_; }
  std::size_t venueCount() const { return venues_.size(); }
  // Engine thread: how many ids the engine's per-instrument tables hold (<= the registry's size,
  // which venues grow on their own threads a moment before they tell the engine). Loops over
  // engine state (books, positions) stop here.
  std::size_t knownInstruments() const { return underlyingOf_.size(); }
  const std::string& venueName(VenueId v = 0) const { return venues_[v].name; }
  std::vector<std::string> venueNames() const;  // by VenueId
  // "deribit:BTC-PERPETUAL" when another venue lists the same name, else the name as it is.
  std::string displayName(InstrumentId id) const;
  // By displayName() or "venue:name" or a bare name (the first venue's). Any thread.
  const Instrument* findInstrument(std::string_view name) const;
  // Engine thread: the venue's positions compared with ours after reconnects, and the instruments
  // that differed (each one logged and journaled).
  std::uint64_t positionChecks(VenueId v = 0) const { return venues_[v].positionChecks; }
  std::uint64_t positionMismatches(VenueId v = 0) const { return venues_[v].positionMismatches; }
  // Engine thread: positions a venue pushed as they changed (Binance's ACCOUNT_UPDATE) compared
  // with ours; a difference counts in positionMismatches() too.
  std::uint64_t positionUpdatesCompared(VenueId v = 0) const { return venues_[v].positionUpdatesCompared; }
  VenueSummary venueSummary(VenueId v = 0) const { return venues_[v].venue->summary(); }  // any thread
  const std::string& venueEnvironment(VenueId v = 0) const { return venues_[v].environment; }  // "" for the simulator

  // ---- commands: callable from any thread, executed on the engine thread ----
  void submit(OrderRequest request);
  // The same, and `answered` runs on the engine thread once the gate decided: the new order's id
  // (0: none was made) and the refusal ("" when the order went on to its venue).
  void submit(OrderRequest request, std::function<void(OrderId, std::string)> answered);
  // A command from outside this process (a GUI attached over NATS, the desk): journaled with the
  // user who sent it (JournalKind::Command), in the order it arrived. Any thread.
  void journalCommand(std::string user, std::string text);
  void cancel(OrderId id);
  void cancelAll(InstrumentId only = kNoInstrument);
  void replace(OrderId id, Price newPrice, Qty newQty);
  // Takes effect immediately (the gate refuses every new order from this call on), then cancels
  // every open order on the engine thread.
  void haltAll(std::string reason);
  // Back to ACTIVE from HALTED or REDUCING. Returns why not (empty when resumed): a blocked engine,
  // a failed journal, refused limits, or a lag still above the engine_lag trigger's threshold
  // (resuming into it would halt again at once; it is allowed as soon as the lag is back under).
  std::string resume();
  // The desk's HALT holds this engine: while `why` is not empty RESUME is refused with it (the risk
  // role lifts the desk halt; only then can the trader resume). Any thread.
  void setDeskHold(std::string why);
  std::string deskHold() const;
  // The venue lag (ms) at every beat so far; engine thread (use call()).
  const std::vector<double>& venueLagSamples() const { return venueLagSamples_; }
  // REDUCING: from this instant only orders that reduce a position pass the gate.
  void reduceOnly(std::string reason);
  // FLATTEN (the user confirmed it): REDUCING, every strategy stopped, every order cancelled, and
  // for every position an IOC order on the reducing side at the touch (inside the price bands),
  // split to fit the order size limits. A second press sends what is still open.
  void flatten(std::string reason);

  // ---- risk limits and triggers ----
  // The whole configuration (risk.json + --risk): before start() or any time after. Journaled.
  void setRiskConfig(RiskConfig config);
  // One change, as `--risk NAME=VALUE` spells it (e.g. "instruments/@option/max_position=off"):
  // the risk panel's switches. Journaled; a bad one is refused in the log and the snapshot.
  void changeRiskLimit(std::string assignment, std::string who = "the user");
  // The limits could not be read (risk.json or --risk): HALTED with the reason, and RESUME is
  // refused for this run — trading on guessed limits is what this prevents. Before start().
  void refuseRiskConfig(std::string error);
  RiskConfig riskConfig() { return call([this] { return riskConfig_; }); }  // tests
  bool halted() const { return halt_.halted(); }
  TradingState tradingState() const { return halt_.state(); }
  // Market time: the venue's clock, estimated as wall time minus the smallest (wall - event time)
  // seen. Equal to the wall clock for a live venue; for a simulator started in the past
  // (--sim-start) it follows the simulated market. Any thread.
  Nanos now() const { return wallNow() - clockOffset_.load(std::memory_order_relaxed); }
  // Which instruments the snapshots carry depth, trades and candles for (EngineSnapshot::focused):
  // the local window's one and the attached GUIs' (the server's), together. Any thread, never
  // waits. setFocus: the local window's instrument (kNoInstrument: none).
  void setFocus(InstrumentId id) { focus_.setLocal(id); }
  // setServedFocus: the union of the attached GUIs' instruments (EngineServer; one caller at a
  // time). At most kMaxServedFocus are carried: the first ones; the caller says so about the rest.
  static constexpr std::size_t kMaxServedFocus = FocusSlots::kServed;
  void setServedFocus(const std::vector<InstrumentId>& ids) { focus_.setServed(ids); }

  // ---- strategy plugins: callable from any thread; results show in snapshots and the log ----
  // Where the journal (journal.sqlite), plugins, approvals and the plugins folder live; call once,
  // before start(). A journal that cannot be opened leaves the engine HALTED, with the reason.
  void setDataDir(const std::string& dataDir);
  // Before setDataDir(): the journal's options (tests fill the "disk" with a page limit).
  void setJournalOptions(const JournalOptions& options) { journalOptions_ = options; }
  const Journal* journal() const { return journal_.get(); }
  // What the journal holds on venues this run does not configure (positions by fills, orders
  // without an end), one line each, e.g. "deribit:BTC-PERPETUAL: position +10 (venue not
  // configured in this run; not restored)". Logged and journaled at setDataDir; kept out of
  // trading, restored by the next run that configures the venue. Set by setDataDir, then fixed.
  const std::vector<std::string>& holdingsOnAbsentVenues() const { return absentVenueHoldings_; }
  using StrategyLaunch = kappa::StrategyLaunch;
  // Loads the plugin if needed (off the engine thread), creates an instance and starts it.
  // `done` (optional) receives "" or the reason it failed, on the engine thread.
  void launchStrategy(StrategyLaunch launch, std::function<void(std::string)> done = {});
  void loadPlugin(const std::string& path, bool approve);
  void unloadPlugin(const std::string& path);  // its instances are stopped and removed first
  void startStrategy(std::uint32_t id);
  void stopStrategy(std::uint32_t id);
  void removeStrategy(std::uint32_t id);
  void setStrategyParam(std::uint32_t id, std::string name, std::string value);
  std::vector<std::string> availablePluginFiles() const;
  // A plugin callback that never returned: the watchdog's message (empty if none). Any thread,
  // never waits for the engine thread (which may be the one stuck).
  std::string watchdogAlarm() const { return strategies_->watchdogAlarm(); }
  bool stuck() const { return strategies_->stuck(); }

  // ---- snapshots: one consumer (the GUI, or the headless runner) ----
  bool takeSnapshot() { return snapshots_.take(); }
  const EngineSnapshot& snapshot() const { return snapshots_.front(); }

  // Runs f on the engine thread and waits for its result. For tests and shutdown reporting only:
  // the GUI thread must never wait on the engine.
  // If a plugin callback gets stuck meanwhile, the engine thread will never answer: the process
  // ends (status 3) rather than hang, as `kappa` does when it finds the engine stuck at exit.
  template <class F>
  auto call(F f) -> decltype(f()) {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    postTask([task] { (*task)(); });
    while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (stuck()) {
        std::fprintf(stderr, "kappa: %s\n", watchdogAlarm().c_str());
        std::_Exit(3);
      }
    }
    return result.get();
  }

  // Engine-thread state, for tests through call().
  const MarketData& marketData() const { return *market_; }
  const OrderManager& orders() const { return *oms_; }
  const std::shared_ptr<const analytics::MarketAnalytics>& analytics() const { return latestAnalytics_; }
  const StrategyHost& strategies() const { return *strategies_; }
  std::uint64_t halts() const { return halts_; }  // engine thread (call())
  const BreachLog& breaches() const { return gate_.breaches(); }  // engine thread (call())
  const std::string& riskSource() const { return riskConfig_.source; }  // engine thread (call())
  const std::vector<Order>& unresolvedOrders() const { return unresolved_; }  // engine thread (call())

 private:
  // ---- venue routing (VenueRouting.cpp): what each venue tells the engine, on the engine thread ----
  // Each venue talks to the engine through its own link, which says which venue is speaking.
  class VenueLink final : public VenueListener {
   public:
    VenueLink(Engine& engine, VenueId venue) : engine_(engine), venue_(venue) {}
    void onMarketData(const MdEvent* events, std::size_t n) override { engine_.onMarketData(venue_, events, n); }
    void onExecution(const ExecReport& report) override { engine_.onExecution(report); }
    void onVenueState(VenueState state, const std::string& detail) override { engine_.onVenueState(venue_, state, detail); }
    void onPositions(const std::vector<VenuePosition>& p) override { engine_.onPositions(venue_, p); }
    void onPositionChanges(const std::vector<VenuePosition>& p) override { engine_.onPositionChanges(venue_, p); }
    void onAccount(const VenueAccount& account) override { engine_.onAccount(venue_, account); }
    void onInstrumentChange(const InstrumentChange& change) override { engine_.onInstrumentChange(change); }
    void onUnconfirmedFills(const std::vector<VenuePosition>& u) override { engine_.onUnconfirmedFills(venue_, u); }
    void onJournalEntry(const VenueJournalEntry& entry) override { engine_.onJournalEntry(venue_, entry); }
   private:
    Engine& engine_;
    VenueId venue_;
  };
  // One venue and what the engine keeps about it (engine thread unless said).
  struct VenueSlot {
    std::unique_ptr<Venue> venue;
    std::unique_ptr<VenueLink> link;
    std::string name;          // const after construction: any thread
    std::string environment;   // "testnet", "mainnet" or the URL; "" for the embedded simulator
    VenueState state = VenueState::Disconnected;
    std::string detail;
    Nanos stateAt = 0;
    std::vector<AccountRow> accounts;  // the venue's latest account per currency
    bool positionsReconciled = false;  // the venue's positions were asked for and applied (once a run)
    bool positionsAsked = false;       // asked on this connection, answer not yet in
    std::uint64_t positionChecks = 0, positionMismatches = 0;  // after reconnects: compared, differing
    std::uint64_t positionUpdatesCompared = 0;                 // pushed position changes compared
    double lagMs = 0;                  // its market data's delivery delay above the best seen
    Nanos clockOffset = 0;             // wall - its clock, smallest seen
    bool offsetKnown = false;
  };
  void onMarketData(VenueId v, const MdEvent* events, std::size_t n);
  void onExecution(const ExecReport& report);
  void onVenueState(VenueId v, VenueState state, const std::string& detail);
  void onPositions(VenueId v, const std::vector<VenuePosition>& positions);
  void onPositionChanges(VenueId v, const std::vector<VenuePosition>& changed);
  void onAccount(VenueId v, const VenueAccount& account);
  void onInstrumentChange(const InstrumentChange& change);
  void onUnconfirmedFills(VenueId v, const std::vector<VenuePosition>& unconfirmed);
  // The limits venues check themselves (VenueRiskLimits), resolved from riskConfig_ and handed to
  // every venue: after every configure of the gate (engine thread, or before start).
  void handRiskLimitsToVenues();
  // A venue's own record: into the journal's venue_record table, nothing else (engine thread).
  void onJournalEntry(VenueId v, const VenueJournalEntry& entry);
  VenueId venueOfOrder(OrderId id) const;  // the venue of the order's instrument (unresolved ones too)
  void growToRegistry();  // per-instrument tables up to the shared registry's size (engine thread)
  std::unordered_set<InstrumentId> retiredSeen_;  // retirements acted on (engine thread)
  // Which underlying (index into indexIds_) an instrument belongs to; SIZE_MAX if none.
  std::size_t underlyingSlotOf(const Instrument& inst) const;
  void schedulePublish();
  void publish();
  // One focused instrument's depth, trades and bars into `out`, reusing its buffers (engine thread).
  void fillFocusedMarket(InstrumentId id, FocusedMarket& out) const;
  void scheduleAnalytics();
  // One analytics input per underlying that lists options or has a position (BTC, ETH, ...).
  std::vector<analytics::ChainInput> chainInputs() const;  // = analytics::AnalyticsWorker::Input
  // Equity in the first underlying's coin: other coins' PnL converted at the indices.
  double equityInFirstCoin() const;
  // A PnL in the instrument's settlement currency, in USD: coin-settled at its underlying's index,
  // USD/USDT/USDC at par; NaN when no index is known yet.
  double pnlInUsd(const Instrument& inst, double pnl) const;
  static bool coinSettled(const Instrument& inst);
  void restoreFromJournal(const std::string& path);
  // The instrument a journaled row names: by its venue's name and its own. An empty venue is a row
  // from before the journal recorded venues (a run with one venue): found by the bare name when one
  // configured venue lists it; when several do, which one it was is unknown: none is guessed
  // (nullptr, *ambiguous set to the venues listing it, "sim and deribit").
  const Instrument* journaledInstrument(const std::string& venue, const std::string& name,
                                        std::string* ambiguous = nullptr) const;
  bool venueConfigured(const std::string& venue) const;
  // A state change, risk event, limit change or day-start equity for the journal (engine thread).
  void journalNote(JournalKind kind, Nanos at, std::string text, double value = 0);
  void reapplyLimitChanges();  // the journal's run-time limit switches, over riskConfig_
  // A trigger fired: journal it, add it to the breach history and act (engine thread).
  void applyTrigger(const std::optional<TriggerFiring>& firing);
  void checkEquity();  // daily loss and drawdown, on fills and mark moves
  void checkGreeks();  // Greek breach, on fills and analytics
  void checkBeat(double engineLagMs);  // stale data, lag, reject-rate window: every publish
  void onOrderEvent(const Order& o, const Fill* f);

  // call()'s task onto the engine thread (boost::asio::post on io_), out of line so that this
  // header needs no Asio.
  void postTask(std::function<void()> task);

  struct Loop;  // io_context, its work guard, the publish and analytics timers (EngineLoop.hpp)
  std::unique_ptr<Loop> loop_;
  boost::asio::io_context& io_;  // loop_->io
  std::thread thread_;
  InstrumentRegistry instruments_;  // shared by every venue (declared before them: they keep a reference)
  std::vector<VenueSlot> venues_;
  HaltSwitch halt_;
  RiskGate gate_;
  std::unique_ptr<MarketData> market_;
  std::unique_ptr<OrderManager> oms_;
  std::unique_ptr<analytics::AnalyticsWorker> analytics_;
  std::shared_ptr<const analytics::MarketAnalytics> latestAnalytics_;
  std::unique_ptr<StrategyHost> strategies_;
  std::unique_ptr<PluginLoader> loader_;
  std::unique_ptr<Journal> journal_;
  JournalOptions journalOptions_;
  RiskConfig riskConfig_;
  RiskMonitor monitor_;
  std::string riskError_;                // the last refused risk change
  std::atomic<bool> riskConfigRefused_{false};
  std::vector<InstrumentId> traded_;     // instruments with a position or PnL: what equity sums
  // Orders of earlier sessions the journal could not close (OrderState::Unknown), until the venue
  // answers for them (restart reconciliation).
  std::vector<Order> unresolved_;
  // Per unresolved order: what the journal had booked for it, what the venue has reported filled
  // since (its Fill reports add up to everything the order filled there), what the venue's own
  // account of the order says it filled (an Ack's quantity minus its leaves), and whether the venue
  // has answered for it yet: only once its Fill reports cover that figure (the venue's positions are
  // asked for only once it answered for all; asked sooner, a fill still on its way would be booked
  // twice, once as the position's difference and again with its order).
  struct UnresolvedProgress {
    Qty journaled = 0;
    Qty reported = 0;
    Qty venueFilled = 0;
    bool answered = false;
  };
  std::unordered_map<OrderId, UnresolvedProgress> unresolvedProgress_;
  void queryPositionsOnceOrdersAnswered(VenueId v);
  std::uint64_t unresolvedChanges_ = 0;
  std::int64_t journaledEquityDay_ = -1;  // the UTC day whose starting equity is in the journal
  std::vector<std::string> restoredLimitChanges_;  // from the journal, applied over risk.json
  std::vector<std::string> limitChangesNotRestored_;  // those that could not be applied (reported once)
  bool idsExhausted_ = false;                      // the journal holds the last order id: RESUME is refused
  bool resolveUnresolved(const ExecReport& report);
  // The underlyings by their index instruments, in listing order (btc_usd, eth_usd): every
  // instrument belongs to the one its underlyingId (or, for an index, itself) names.
  std::vector<InstrumentId> indexIds_;
  std::vector<std::size_t> underlyingOf_;  // per instrument: index into indexIds_ (SIZE_MAX: none)
  TripleBuffer<EngineSnapshot> snapshots_;
  FocusSlots focus_;
  std::atomic<bool> running_{false};
  std::atomic<Nanos> clockOffset_{0};  // wall - the first venue's clock (see now())

  // Engine-thread only.
  std::uint64_t halts_ = 0;  // HALTs this session
  std::string haltReason_;
  std::string reduceReason_;  // why REDUCING (the last reduceOnly or FLATTEN), until RESUME
  Nanos haltedAt_ = 0;
  std::uint64_t publishSeq_ = 0;
  std::uint64_t rateEvents_ = 0;
  Nanos rateSince_ = 0;
  double eventRate_ = 0;
  double venueLagMs_ = 0;
  // The lag as the last beat measured it and the engine_lag trigger's threshold (infinite when the
  // trigger is off), for resume() on the caller's thread.
  std::atomic<double> lagNowMs_{0};
  std::vector<double> venueLagSamples_;
  // Restart: the day's finished orders and fills from the journal, shown after this session's.
  std::vector<Order> restoredOrders_;
  std::vector<Fill> restoredFills_;  // oldest first
  std::vector<std::string> absentVenueHoldings_;  // see holdingsOnAbsentVenues()
  std::string restoredSetup_;        // the strategy set-up to bring back (JSON), see restoreStrategySetup
  void restoreStrategySetup();  // one per beat (engine thread), for the report
  std::atomic<double> lagLimitMs_{0};
  mutable std::mutex deskHoldMutex_;
  std::string deskHold_;  // see setDeskHold (guarded by deskHoldMutex_)
  bool offsetKnown_ = false;
};

}  // namespace kappa
