#pragma once
// `kappa --headless --serve nats://… --engine-name NAME`: the engine serves itself to attached GUIs
// and to the desk. On its own thread (never the engine's) it takes the engine's conflated snapshots,
// publishes the parts that changed on kappa.NAME.state.<part> and keeps the last of each in the
// kappa_engines bucket (late joiners read them at once); it answers commands (kappa.NAME.cmd.<user>.
// <verb>) with accepted/refused and the reason, each journaled with its user; it answers the reads
// an attached window asks for (kappa.NAME.query.<user>.journal|plugins: the Audit view's journal
// pages, the plugins folder's files) on its own query thread; it obeys the desk's
// HALT (kappa.desk.halt and the kappa_desk bucket's key `halt`) and the desk limits; and it fails
// closed (REDUCING or HALTED) when the server has been gone longer than configured.
//
// The trading path never waits for NATS: the engine only hands over snapshots (TripleBuffer) and
// receives posted commands; a slow or absent subscriber costs it nothing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "desk/DeskHaltNotice.hpp"
#include "desk/DeskLimits.hpp"
#include "journal/JournalQueryWorker.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"
#include "orchestrator/Engine.hpp"
#include "remote/FocusLeases.hpp"
#include "remote/SnapshotCodec.hpp"

namespace kappa::evm {
class EvmView;
}

namespace kappa::remote {

struct EngineServerConfig {
  std::string engine;                       // its name on the desk (a subject token)
  nats::NatsSettings nats;
  std::vector<std::string> commandUsers;    // may trade and run strategies on this engine
  std::vector<std::string> riskUsers;       // and may change its risk limits; the desk halt is theirs
  std::chrono::milliseconds publishInterval{50};  // snapshot parts at most this often (display rate)
  std::chrono::milliseconds bucketInterval{1000}; // each part's bucket copy at most this often
  std::chrono::milliseconds failClosedAfter{10000};
  // An attached window's focus (the instruments whose depth it shows) lasts this long after the
  // window last said it (RemoteEngineLink says it again every 5 s): then the window counts as gone.
  std::chrono::milliseconds focusLease{15000};
  bool failClosedHalts = false;             // false: REDUCING (the default), true: HALTED
};

class EngineServer {
 public:
  EngineServer(Engine& engine, EngineServerConfig config);
  ~EngineServer();
  EngineServer(const EngineServer&) = delete;
  EngineServer& operator=(const EngineServer&) = delete;

  // Connects, opens the buckets, subscribes to commands and the desk halt, reads the desk's halt
  // (an engine started after a desk halt comes up HALTED) and starts publishing. Blocking (call it
  // before trading matters, never on the engine thread). "" or why it could not start.
  std::string start();
  void stop();
  // The engine's on-chain venue (before start(); it outlives the server): its panel state is
  // published as the part "evm" (EvmPartCodec) and attached windows' speed_up commands reach it.
  void setEvmView(evm::EvmView* view) { evm_ = view; }

  struct Counters {
    std::uint64_t partsPublished = 0, bytesPublished = 0, bucketPuts = 0;
    std::uint64_t commands = 0, commandsRefused = 0, deskHalts = 0, failClosed = 0, deskLimitActions = 0;
    std::uint64_t queries = 0, queriesRefused = 0;
  };
  Counters counters() const;
  // Every desk halt and lift this engine obeyed, oldest first (for its report).
  std::vector<desk::DeskHaltNotice> deskHaltsObeyed() const;
  const EngineServerConfig& config() const { return config_; }
  bool serverConnected() const { return connection_.connected(); }

 private:
  void publishLoop();
  void publishSnapshot(const EngineSnapshot& s);
  void publishInstruments();
  void publishDeskSummary(const EngineSnapshot& s, bool force);
  void publishEvm();
  void putBucket(const std::string& key, std::string value, bool now);
  void flushBucket(bool all);
  void onCommand(const std::string& subject, const std::string& data, const std::string& replyTo);
  void onQuery(const std::string& subject, const std::string& data, const std::string& replyTo);
  void applyDeskHalt(const desk::DeskHaltNotice& notice, const char* via);
  void openDeskBucket();
  void checkFailClosed();
  void checkDeskLimits(const EngineSnapshot& s);
  // The windows' focus: `client` shows `instruments` (renew), or the silent ones went (expire); the
  // engine is handed the union when it changed. renewFocus returns what to tell the window ("" or
  // which of its instruments the engine cannot carry, and why).
  std::string renewFocus(const std::string& client, const std::vector<InstrumentId>& instruments);
  void expireFocus();
  void handFocusToEngine();  // focusMutex_ held

  Engine& engine_;
  EngineServerConfig config_;
  evm::EvmView* evm_ = nullptr;
  nats::NatsConnection connection_;
  std::unique_ptr<nats::KeyValueBucket> engines_;  // kappa_engines
  std::unique_ptr<nats::KeyValueBucket> desk_;     // kappa_desk (the risk role creates it: opened when it exists)
  nats::KvWatch haltWatch_, limitsWatch_, summariesWatch_;
  nats::NatsSubscription commandSub_, deskHaltSub_, querySub_;
  // The journal reads and folder listings attached windows ask for: never on the engine thread,
  // nor on libnats' delivery thread (which carries the commands).
  std::unique_ptr<JournalQueryWorker> queries_;

  std::thread thread_;
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool publishNow_ = false;  // guarded by wakeMutex_: wake the publisher before its tick
  std::atomic<bool> republishAll_{false};  // after a reconnect: every part again

  // Publisher thread only.
  PartChangeTracker tracker_;
  std::uint64_t instrumentsVersion_ = ~0ull;
  std::string evmBody_;                        // the evm part as last published ("" none yet)
  std::chrono::steady_clock::time_point lastEvm_{}, lastEvmSent_{};
  TradingState lastState_ = TradingState::Active;
  std::string lastReason_;
  std::chrono::steady_clock::time_point lastSummary_{}, lastDeskOpenTry_{}, lastLimitsCheck_{};
  struct BucketSlot {
    std::string value;
    bool dirty = false;
    std::chrono::steady_clock::time_point lastPut{};
    std::shared_ptr<std::atomic<bool>> inFlight = std::make_shared<std::atomic<bool>>(false);
  };
  std::map<std::string, BucketSlot> bucket_;  // by key

  // Desk state (NATS threads and the publisher thread).
  mutable std::mutex deskMutex_;
  std::set<std::string> haltsSeen_;                  // desk halt / lift ids acted on
  std::vector<desk::DeskHaltNotice> haltsObeyed_;
  std::optional<desk::DeskLimits> deskLimits_;
  std::map<std::string, desk::EngineDeskSummary> others_;  // the other engines' summaries
  bool deskLimitActing_ = false;
  bool deskMissingLogged_ = false;

  // The attached windows' focus (NATS threads and the publisher thread).
  std::mutex focusMutex_;
  FocusLeases focusLeases_;                                    // its lease: config_.focusLease
  std::vector<InstrumentId> servedFocus_, focusLeftOut_;       // as last handed to the engine
  std::chrono::steady_clock::time_point lastFocusExpiry_{};    // publisher thread

  std::atomic<std::int64_t> disconnectedAt_{0};  // steady ns; 0 while connected
  std::atomic<bool> failClosedActed_{false};
  std::atomic<bool> stopping_connection_{false};  // stop(): the disconnect that follows is ours

  mutable std::mutex countersMutex_;
  Counters counters_;
};

}  // namespace kappa::remote
