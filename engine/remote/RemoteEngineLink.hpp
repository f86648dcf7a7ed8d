#pragma once
// `kappa --attach nats://… --engine NAME`: the EngineLink over an engine served elsewhere
// (EngineServer). The window reads the remote snapshots through the same interface it reads a
// local engine's: the parts arrive on kappa.NAME.state.> (libnats' threads) and are decoded into a
// staging snapshot; takeSnapshot() on the window's thread copies the staging snapshot when it
// changed. At connect the last state of every part is read from the kappa_engines bucket, so a GUI
// that attaches late shows everything at once. Commands go out as NATS requests
// (kappa.NAME.cmd.<user>.<verb>); pending and refused ones show in link().
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "link/EngineLink.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"
#include "remote/CommandCodec.hpp"
#include "remote/SnapshotCodec.hpp"
#include "venue/evm/EvmVenueViews.hpp"

namespace kappa::remote {

class RemoteEngineLink final : public EngineLink {
 public:
  RemoteEngineLink();
  ~RemoteEngineLink() override;

  // Connects as `settings` says, subscribes to the engine's state and reads its last state from
  // the bucket. Blocking, up to `timeout` (at start, before the window exists). "" or why not:
  // "no engine 'a' on the desk (no state in the kappa_engines bucket)".
  std::string connect(const nats::NatsSettings& settings, const std::string& engine,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  void close();
  // The engines the desk has (by their state in the bucket), sorted; "" in `error` or why not.
  static std::vector<std::string> listEngines(const nats::NatsSettings& settings, std::string* error);
  // The connection (the Desk view's feed shares it). Valid after connect().
  nats::NatsConnection& connection() { return connection_; }
  // Whether this user has the risk role: the server lets it publish under kappa.desk.> (a probe
  // message no engine acts on). Blocking up to ~0.5 s (at start).
  bool probeRiskRole();
  const std::string& user() const { return user_; }
  // How long a request may wait for the engine's answer.
  void setCommandTimeout(std::chrono::milliseconds t) { commandTimeout_ = t; }
  // This window's session, which its focus is leased under at the engine (random, made here).
  const std::string& session() const { return session_; }
  // How often the focus is said again (the engine's lease is longer: 15 s unless its --focus-lease
  // says otherwise). Tests that shorten the lease shorten this too.
  void setFocusRenewal(std::chrono::milliseconds every) { focusRenewal_ = every; }
  // Parts applied so far, and how many arrived malformed (ignored, with the reason logged).
  std::uint64_t partsApplied() const { return partsApplied_.load(); }
  std::uint64_t partsRefused() const { return partsRefused_.load(); }
  // The engine's on-chain venue (the part "evm"), when it has one: whether a part arrived, and the
  // last one (any thread; RemoteEvmView shows it). speedUp sends the command speed_up.
  bool hasEvmVenue() const;
  evm::EvmVenueSnapshot evmSnapshot() const;
  // When the last evm part arrived (wall ns; a bucket copy counts from when it was published), and
  // why the newest one was refused ("" when it was taken).
  Nanos evmReceivedAt() const;
  std::string evmRefusal() const;
  void speedUp(OrderId id);
  // The age of each applied engine part at arrival (ms), for the benchmark: taken and cleared.
  std::vector<double> takeArrivalAges();

  const InstrumentRegistry& instruments() const override { return instruments_; }
  std::size_t venueCount() const override;
  std::vector<std::string> venueNames() const override;
  std::string venueEnvironment(VenueId v) const override;
  Nanos now() const override;
  bool halted() const override { return tradingState() == TradingState::Halted; }
  TradingState tradingState() const override { return TradingState(state_.load()); }
  std::string watchdogAlarm() const override { return {}; }
  std::string journalPath() const override { return {}; }
  // A request on kappa.NAME.query.<user>.journal; the engine reads its file on its query thread. Every
  // query is asked (latestOnly changes nothing here: the view drops the answers it no longer wants).
  void queryJournal(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done) override;
  LinkStatus link() const override;

  bool takeSnapshot() override;
  const EngineSnapshot& snapshot() const override { return front_; }
  void setFocus(InstrumentId id) override;

  void submit(OrderRequest request) override;
  // The same, and `answered` gets the engine's answer (accepted with the order's id, or refused with
  // the reason; also when no answer came in time), on one of libnats' threads: the order entry's
  // round trip, for the benchmark (bench_desk.cpp).
  void submit(OrderRequest request, std::function<void(const CommandAnswer&)> answered);
  void cancel(OrderId id) override;
  void cancelAll(InstrumentId only) override;
  void replace(OrderId id, Price price, Qty qty) override;
  void haltAll(std::string reason) override;
  void resume(std::function<void(std::string)> done) override;
  void reduceOnly(std::string reason) override;
  void flatten(std::string reason) override;
  void changeRiskLimit(std::string assignment) override;
  void launchStrategy(StrategyLaunch launch, std::function<void(std::string)> done) override;
  void loadPlugin(const std::string& path, bool approve) override;
  void unloadPlugin(const std::string& path) override;
  void startStrategy(std::uint32_t id) override;
  void stopStrategy(std::uint32_t id) override;
  void removeStrategy(std::uint32_t id) override;
  void setStrategyParam(std::uint32_t id, std::string name, std::string value) override;
  // A request on kappa.NAME.query.<user>.plugins.
  void listPluginFiles(std::function<void(std::vector<std::string>, std::string)> done) override;

 private:
  // Sends a command; `done` (optional) gets the engine's answer, or the reason there is none.
  // `tell`: a refusal shows in link() (false: a renewal, whose refusal the window was told of when
  // it first sent it — a viewer may not focus, and is not told so again every 5 s).
  void send(const Command& command, std::function<void(const CommandAnswer&)> done = {}, bool tell = true);
  void onPart(const std::string& part, const std::string& bytes, bool fromBucket);
  void onEvmPart(const std::string& bytes, bool fromBucket);  // mutex_ held
  void sendFocus(InstrumentId id, bool tell);
  // Asks the engine `what`; `answered` gets its answer's bytes, or `failed` why there is none.
  void ask(const char* what, std::string body, std::function<void(const std::string&)> answered,
           std::function<void(const std::string&)> failed);

  nats::NatsConnection connection_;
  std::unique_ptr<nats::KeyValueBucket> engines_;
  nats::NatsSubscription stateSub_;
  std::string engine_, server_, user_;
  std::chrono::milliseconds commandTimeout_{5000};
  std::string session_;             // see session()
  std::chrono::milliseconds focusRenewal_{5000};
  std::atomic<InstrumentId> focus_{kNoInstrument};
  std::atomic<std::int64_t> focusSentAt_{0};  // monotonic ns
  std::string focusNote_;           // the engine's last word on this window's focus (guarded by mutex_)

  InstrumentRegistry instruments_;  // grown from the engine's list (libnats' thread), read anywhere
  mutable std::mutex mutex_;        // guards staging_, partSeq_, venues and the link figures
  EngineSnapshot staging_;
  std::uint64_t stagingVersion_ = 0, frontVersion_ = 0;
  std::uint64_t partSeq_[kSnapshotPartCount] = {};
  Nanos clockOffset_ = 0;           // local wall - the engine's market time, at the last engine part
  double snapshotAgeMs_ = 0;
  std::vector<double> arrivalAges_;
  EngineSnapshot front_;            // the window's thread only
  bool hasEvm_ = false;             // an evm part arrived (guarded by mutex_, as evm_)
  evm::EvmVenueSnapshot evm_;
  Nanos evmPublishedWall_ = 0;      // the newest evm part's: an older bucket copy is not applied
  Nanos evmReceivedAt_ = 0;
  std::string evmRefusal_;

  std::atomic<std::uint8_t> state_{std::uint8_t(TradingState::Active)};
  std::atomic<std::int64_t> disconnectedSince_{0};  // wall ns
  std::atomic<double> rttMs_{0};
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::uint64_t> refusals_{0};
  std::string lastRefusal_;         // guarded by mutex_
  std::atomic<std::uint64_t> partsApplied_{0}, partsRefused_{0};
  std::atomic<std::int64_t> lastRttAsk_{0};
};

}  // namespace kappa::remote
