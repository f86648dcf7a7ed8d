#pragma once
// The one boundary between the trading window and an engine. Every view reads the engine's
// conflated snapshots and sends its commands through this interface, whether the engine runs in
// this process (LocalEngineLink) or on a server and is reached over NATS (RemoteEngineLink, `kappa
// --attach`). Nothing here waits for the engine: commands are posted (or sent as requests) and
// their effects show in later snapshots; the few answers a view needs come back through callbacks.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/EngineSnapshot.hpp"
#include "core/Instrument.hpp"
#include "journal/JournalQuery.hpp"
#include "strategy/StrategyLaunch.hpp"

namespace kappa {

// How the window is connected to its engine. A local engine is always connected.
struct LinkStatus {
  bool remote = false;
  bool connected = true;
  std::string server;           // "nats://host:port" (no credentials); "" for a local engine
  std::string engineName;       // the remote engine's name
  std::string user;             // who the commands are sent as
  double roundTripMs = 0;       // the last measured round trip to the server (remote)
  double snapshotAgeMs = 0;     // how old the newest snapshot was when it arrived (remote)
  Nanos disconnectedSince = 0;  // wall clock; 0 while connected
  std::string detail;           // why not connected, in words
  std::size_t pendingCommands = 0;  // sent, not yet answered
  std::string lastRefusal;      // the last command the engine or the server refused, with the reason
  std::uint64_t refusals = 0;   // how many so far (the window shows a new one once)
};

class EngineLink {
 public:
  virtual ~EngineLink() = default;

  // ---- what the engine lists (any thread) ----
  virtual const InstrumentRegistry& instruments() const = 0;
  virtual std::size_t venueCount() const = 0;
  virtual std::vector<std::string> venueNames() const = 0;       // by VenueId
  virtual std::string venueEnvironment(VenueId v) const = 0;     // "" for the embedded simulator
  // Market time (the venue's clock as the engine estimates it).
  virtual Nanos now() const = 0;
  virtual bool halted() const = 0;
  virtual TradingState tradingState() const = 0;
  // A plugin callback that never returned (empty if none).
  virtual std::string watchdogAlarm() const = 0;
  // The journal file, when it is on this machine ("" for a remote engine).
  virtual std::string journalPath() const = 0;
  // One page of the engine's journal (the Audit view). `done` runs once, on another thread (a
  // worker, or libnats' for a remote engine), with the rows or why there are none ("engine a did
  // not answer in 5 s"). A `latestOnly` query replaces the one of that kind not yet answered (whose
  // `done` may then never run): the view's newest filter. Other queries (export pages) queue.
  virtual void queryJournal(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done) = 0;
  virtual LinkStatus link() const = 0;

  // ---- snapshots: one consumer (the window) ----
  // True when a newer snapshot than the one held is now held.
  virtual bool takeSnapshot() = 0;
  virtual const EngineSnapshot& snapshot() const = 0;
  // This window's instrument: the snapshots carry its depth, trades and candles (focusedOn), beside
  // those other windows attached to the same engine look at. A little later: until then the entry
  // is missing and the views say they are loading.
  virtual void setFocus(InstrumentId id) = 0;

  // ---- commands ----
  virtual void submit(OrderRequest request) = 0;
  virtual void cancel(OrderId id) = 0;
  virtual void cancelAll(InstrumentId only = kNoInstrument) = 0;
  virtual void replace(OrderId id, Price newPrice, Qty newQty) = 0;
  virtual void haltAll(std::string reason) = 0;
  // `done` receives "" (resumed) or why not, on any thread.
  virtual void resume(std::function<void(std::string)> done) = 0;
  virtual void reduceOnly(std::string reason) = 0;
  virtual void flatten(std::string reason) = 0;
  virtual void changeRiskLimit(std::string assignment) = 0;

  // ---- strategy plugins ----
  // `done` (optional) receives "" or the reason it failed, on any thread.
  virtual void launchStrategy(StrategyLaunch launch, std::function<void(std::string)> done) = 0;
  virtual void loadPlugin(const std::string& path, bool approve) = 0;
  virtual void unloadPlugin(const std::string& path) = 0;
  virtual void startStrategy(std::uint32_t id) = 0;
  virtual void stopStrategy(std::uint32_t id) = 0;
  virtual void removeStrategy(std::uint32_t id) = 0;
  virtual void setStrategyParam(std::uint32_t id, std::string name, std::string value) = 0;
  // The plugin files in the engine's plugins folder (paths on the engine's host), or why not; `done`
  // runs once: on the caller's thread before the call returns (a local engine's folder is read
  // there) or later on another thread (a remote engine's answer).
  virtual void listPluginFiles(std::function<void(std::vector<std::string> files, std::string error)> done) = 0;
};

}  // namespace kappa
