#include "remote/EngineServer.hpp"

#include <algorithm>
#include <cstdio>

#include "core/Clock.hpp"
#include "core/UtcTime.hpp"
#include "core/Log.hpp"
#include "desk/EngineDeskSummary.hpp"
#include "remote/CommandCodec.hpp"
#include "remote/InstrumentCodec.hpp"
#include "remote/QueryCodec.hpp"
#include "remote/Subjects.hpp"
#include "remote/EvmPartCodec.hpp"
#include "strategy/PluginLoader.hpp"
#include "venue/evm/EvmView.hpp"

namespace kappa::remote {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kEvmPublishInterval{250};     // the on-chain panel's refresh
constexpr std::chrono::milliseconds kEvmRepublishInterval{5000};  // said again unchanged (RemoteEvmView: 15 s = gone)

std::int64_t steadyNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

bool listed(const std::vector<std::string>& users, const std::string& user) {
  return std::find(users.begin(), users.end(), user) != users.end();
}

// The command as the journal and the log say it (never a secret: commands carry none).
std::string describe(const Command& c, const InstrumentRegistry& instruments) {
  auto name = [&](InstrumentId id) {
    return id < instruments.size() ? instruments[id].name : "instrument #" + std::to_string(id);
  };
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, cmd::Submit>) {
          const OrderRequest& r = x.request;
          return std::string("submit ") + (r.side == Side::Buy ? "buy " : "sell ") + formatTrimmed(r.qty) + " " +
                 name(r.instrument) + (r.type == OrderType::Market ? " at market" : " @ " + formatTrimmed(r.price));
        } else if constexpr (std::is_same_v<T, cmd::Cancel>) {
          return "cancel order " + std::to_string(x.id);
        } else if constexpr (std::is_same_v<T, cmd::CancelAll>) {
          return x.instrument == kNoInstrument ? std::string("cancel all") : "cancel all " + name(x.instrument);
        } else if constexpr (std::is_same_v<T, cmd::Replace>) {
          return "replace order " + std::to_string(x.id) + ": " + formatTrimmed(x.qty) + " @ " + formatTrimmed(x.price);
        } else if constexpr (std::is_same_v<T, cmd::Halt>) {
          return "HALT: " + x.reason;
        } else if constexpr (std::is_same_v<T, cmd::Reduce>) {
          return "REDUCE: " + x.reason;
        } else if constexpr (std::is_same_v<T, cmd::Flatten>) {
          return "FLATTEN: " + x.reason;
        } else if constexpr (std::is_same_v<T, cmd::Resume>) {
          return "RESUME";
        } else if constexpr (std::is_same_v<T, cmd::ChangeRiskLimit>) {
          return "risk limit " + x.assignment;
        } else if constexpr (std::is_same_v<T, cmd::LoadPlugin>) {
          return std::string("load plugin ") + x.path + (x.approve ? " (approved)" : "");
        } else if constexpr (std::is_same_v<T, cmd::UnloadPlugin>) {
          return "unload plugin " + x.path;
        } else if constexpr (std::is_same_v<T, cmd::LaunchStrategy>) {
          return std::string(x.start ? "launch and start " : "create ") + (x.strategyId.empty() ? "strategy" : x.strategyId) +
                 " from " + x.path;
        } else if constexpr (std::is_same_v<T, cmd::StartStrategy>) {
          return "start strategy #" + std::to_string(x.id);
        } else if constexpr (std::is_same_v<T, cmd::StopStrategy>) {
          return "stop strategy #" + std::to_string(x.id);
        } else if constexpr (std::is_same_v<T, cmd::RemoveStrategy>) {
          return "remove strategy #" + std::to_string(x.id);
        } else if constexpr (std::is_same_v<T, cmd::SetStrategyParam>) {
          return "strategy #" + std::to_string(x.id) + " " + x.name + "=" + x.value;
        } else if constexpr (std::is_same_v<T, cmd::SpeedUp>) {
          return "speed up order " + std::to_string(x.id) + " (same nonce, fees +12.5 %)";
        } else {
          return "focus";
        }
      },
      c);
}

// Commands that only look or steer the view: not journaled (a GUI sends one at every click).
bool journaled(const Command& c) { return !std::holds_alternative<cmd::Focus>(c); }

}  // namespace

EngineServer::EngineServer(Engine& engine, EngineServerConfig config)
    : engine_(engine), config_(std::move(config)), focusLeases_(config_.focusLease) {}

EngineServer::~EngineServer() { stop(); }

std::string EngineServer::start() {
  if (!validToken(config_.engine)) return "the engine's name '" + config_.engine + "' is not one subject token (A-Z a-z 0-9 _ -)";
  nats::NatsConnection::Callbacks callbacks;
  callbacks.onDisconnected = [this] {
    if (stopping_connection_.load()) return;
    std::int64_t expected = 0;
    disconnectedAt_.compare_exchange_strong(expected, steadyNs());
    log::warn("desk", "lost the NATS server " + config_.nats.url + ": trading goes on; fail closed after " +
                          std::to_string(config_.failClosedAfter.count()) + " ms");
  };
  callbacks.onReconnected = [this] {
    disconnectedAt_.store(0);
    republishAll_.store(true);
    log::info("desk", "NATS server back (" + connection_.connectedUrl() + "): publishing the whole state again");
    std::lock_guard lock(wakeMutex_);
    publishNow_ = true;
    wake_.notify_all();
  };
  callbacks.onError = [](const std::string& error) { log::error("desk", "NATS server: " + error); };
  if (std::string error = connection_.connect(config_.nats, std::move(callbacks)); !error.empty()) return error;

  std::string error;
  engines_ = nats::KeyValueBucket::openOrCreate(connection_, kEnginesBucket, error);
  if (!engines_) return std::string("the engines' bucket ") + kEnginesBucket + ": " + error;

  commandSub_ = connection_.subscribe(
      commandWildcard(config_.engine),
      [this](const std::string& subject, const std::string& data, const std::string& replyTo) { onCommand(subject, data, replyTo); },
      &error);
  if (!commandSub_.active()) return "commands (" + commandWildcard(config_.engine) + "): " + error;
  queries_ = std::make_unique<JournalQueryWorker>();
  querySub_ = connection_.subscribe(
      queryWildcard(config_.engine),
      [this](const std::string& subject, const std::string& data, const std::string& replyTo) { onQuery(subject, data, replyTo); },
      &error);
  if (!querySub_.active()) return "queries (" + queryWildcard(config_.engine) + "): " + error;
  deskHaltSub_ = connection_.subscribe(
      kDeskHaltSubject,
      [this](const std::string&, const std::string& data, const std::string&) {
        std::string why;
        if (auto notice = desk::decodeDeskHalt(data, &why)) applyDeskHalt(*notice, "message");
        else log::error("desk", "ignored a message on kappa.desk.halt: " + why);
      },
      &error);
  if (!deskHaltSub_.active()) return std::string("the desk halt (") + kDeskHaltSubject + "): " + error;
  // The subscriptions must be in place at the server before the bucket is read: a halt sent in
  // between is then seen one way or the other.
  if (std::string flushed = connection_.flush(std::chrono::milliseconds(5000)); !flushed.empty()) return flushed;
  openDeskBucket();  // reads the halt key: an engine started after a desk halt comes up HALTED
  // An earlier run's on-chain state must not show in windows as this run's (this one has none).
  if (!evm_ && engines_->get(engineKey(config_.engine, kEvmPart)).found)
    if (std::string removed = engines_->remove(engineKey(config_.engine, kEvmPart)); !removed.empty())
      log::warn("desk", "could not remove the earlier run's on-chain state from the bucket: " + removed);

  stopping_ = false;
  thread_ = std::thread([this] { publishLoop(); });
  log::info("desk", "serving engine '" + config_.engine + "' on " + config_.nats.describe());
  return {};
}

void EngineServer::stop() {
  {
    std::lock_guard lock(wakeMutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
  }
  thread_.join();
  stopping_connection_.store(true);
  haltWatch_.stop();
  limitsWatch_.stop();
  summariesWatch_.stop();
  commandSub_.unsubscribe();
  querySub_.unsubscribe();
  deskHaltSub_.unsubscribe();
  queries_.reset();  // interrupts the running query: its answer is not sent
  connection_.close();
}

std::vector<desk::DeskHaltNotice> EngineServer::deskHaltsObeyed() const {
  std::lock_guard lock(deskMutex_);
  return haltsObeyed_;
}

EngineServer::Counters EngineServer::counters() const {
  std::lock_guard lock(countersMutex_);
  return counters_;
}

void EngineServer::openDeskBucket() {
  if (desk_) return;
  std::string error;
  desk_ = nats::KeyValueBucket::open(connection_, kDeskBucket, error);
  if (!desk_) {
    if (!deskMissingLogged_)
      log::info("desk", std::string("no desk bucket ") + kDeskBucket + " yet (" + error + "): the desk halt is followed on " +
                            kDeskHaltSubject + "; the bucket is looked for every second");
    deskMissingLogged_ = true;
    return;
  }
  log::info("desk", std::string("following the desk bucket ") + kDeskBucket + " (halt, limits)");
  haltWatch_ = desk_->watch(
      kDeskHaltKey,
      [this](const std::string&, const std::string& value, std::uint64_t, bool deleted) {
        if (deleted) return;
        std::string why;
        if (auto notice = desk::decodeDeskHalt(value, &why)) applyDeskHalt(*notice, "bucket");
        else log::error("desk", std::string("ignored the desk bucket's key halt: ") + why);
      },
      {}, error);
  if (!haltWatch_.active()) log::error("desk", "cannot watch the desk halt key: " + error);
  limitsWatch_ = desk_->watch(
      kDeskLimitsKey,
      [this](const std::string&, const std::string& value, std::uint64_t, bool deleted) {
        std::lock_guard lock(deskMutex_);
        if (deleted) {
          deskLimits_.reset();
          return;
        }
        std::string why;
        if (auto limits = desk::decodeDeskLimits(value, &why)) {
          deskLimits_ = std::move(limits);
          log::info("desk", "desk limits: " + value);
        } else {
          log::error("desk", "ignored the desk bucket's key limits (the previous limits stay): " + why);
        }
      },
      {}, error);
  summariesWatch_ = engines_->watch(
      std::string("*.") + kDeskPart,
      [this](const std::string& key, const std::string& value, std::uint64_t, bool deleted) {
        const std::string engine = key.substr(0, key.find('.'));
        if (engine == config_.engine) return;
        std::lock_guard lock(deskMutex_);
        if (deleted) {
          others_.erase(engine);
          return;
        }
        std::string why;
        if (auto summary = desk::decodeDeskSummary(value, &why)) others_[engine] = std::move(*summary);
      },
      {}, error);
}

void EngineServer::applyDeskHalt(const desk::DeskHaltNotice& n, const char* via) {
  {
    std::lock_guard lock(deskMutex_);
    if (!haltsSeen_.insert(n.id).second) return;  // the message and the bucket both bring it
    haltsObeyed_.push_back(n);
  }
  const std::string who = n.user.empty() ? std::string("the risk role") : n.user;
  if (n.active) {
    const std::string reason = "DESK HALT by " + who + " at " + utcClockTime(n.at ? n.at : wallNow()) + ": " + n.reason;
    engine_.setDeskHold("the desk is halted (" + reason + "); the risk role lifts it");
    engine_.journalCommand(who, "DESK HALT: " + n.reason + " (via " + via + ")");
    engine_.haltAll(reason);
    std::lock_guard lock(countersMutex_);
    ++counters_.deskHalts;
  } else {
    if (!config_.riskUsers.empty() && !listed(config_.riskUsers, n.user)) {
      log::error("desk", "ignored a desk halt lift by '" + n.user + "': not one of this engine's --risk-users");
      return;
    }
    engine_.setDeskHold({});
    engine_.journalCommand(who, "desk halt lifted: " + n.reason + " (via " + via + "); the engine stays halted until resumed");
    log::warn("desk", "desk halt lifted by " + who + ": RESUME is possible again");
  }
  std::lock_guard lock(wakeMutex_);
  publishNow_ = true;  // publish the new state now, not at the next tick
  wake_.notify_all();
}

void EngineServer::onCommand(const std::string& subject, const std::string& data, const std::string& replyTo) {
  // kappa.<engine>.cmd.<user>.<verb>: the server let only <user> publish here.
  const std::string prefix = "kappa." + config_.engine + ".cmd.";
  const std::string rest = subject.substr(std::min(subject.size(), prefix.size()));
  const std::size_t dot = rest.find('.');
  const std::string user = rest.substr(0, dot);
  const std::string verb = dot == std::string::npos ? std::string() : rest.substr(dot + 1);
  auto answer = [this, replyTo](CommandAnswer a) {
    if (!a.accepted) {
      std::lock_guard lock(countersMutex_);
      ++counters_.commandsRefused;
    }
    if (!replyTo.empty()) connection_.respond(replyTo, encodeAnswer(a));
  };
  {
    std::lock_guard lock(countersMutex_);
    ++counters_.commands;
  }
  Command command;
  if (std::string error = decodeCommand(verb, data, command); !error.empty()) {
    log::warn("desk", "refused a command from " + user + ": " + error);
    return answer({false, error, 0});
  }
  const bool trader = listed(config_.commandUsers, user), risk = listed(config_.riskUsers, user);
  if (!trader && !risk) {
    const std::string why = "user '" + user + "' may not command engine '" + config_.engine +
                            "' (not one of its --command-users or --risk-users)";
    log::warn("desk", "refused " + std::string(verbOf(command)) + ": " + why);
    return answer({false, why, 0});
  }
  if (std::holds_alternative<cmd::ChangeRiskLimit>(command) && !risk)
    return answer({false, "changing risk limits needs the risk role; '" + user + "' is a trader", 0});
  const InstrumentRegistry& instruments = engine_.instruments();
  if (journaled(command)) engine_.journalCommand(user, describe(command, instruments));

  std::visit(
      [&](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, cmd::Submit>) {
          OrderRequest r = x.request;
          if (r.instrument >= instruments.size()) return answer({false, "no such instrument", 0});
          r.origin = OrderOrigin::Manual;
          r.strategy = 0;
          if (r.tag.empty()) r.tag = "remote";
          r.tag += " (" + user + ")";
          engine_.submit(std::move(r), [answer](OrderId id, std::string refusal) {
            answer({refusal.empty() && id != 0, refusal, id});
          });
        } else if constexpr (std::is_same_v<T, cmd::Cancel>) {
          engine_.cancel(x.id);
          answer({true, {}, x.id});
        } else if constexpr (std::is_same_v<T, cmd::CancelAll>) {
          engine_.cancelAll(x.instrument);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::Replace>) {
          engine_.replace(x.id, x.price, x.qty);
          answer({true, {}, x.id});
        } else if constexpr (std::is_same_v<T, cmd::Halt>) {
          engine_.haltAll(x.reason.empty() ? "HALT by " + user : x.reason + " (by " + user + ")");
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::Reduce>) {
          engine_.reduceOnly(x.reason + " (by " + user + ")");
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::Flatten>) {
          engine_.flatten(x.reason + " (by " + user + ")");
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::Resume>) {
          const std::string refused = engine_.resume();
          answer({refused.empty(), refused, 0});
        } else if constexpr (std::is_same_v<T, cmd::ChangeRiskLimit>) {
          engine_.changeRiskLimit(x.assignment, user);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::LoadPlugin> || std::is_same_v<T, cmd::LaunchStrategy>) {
          // A remote user picks among the plugins the engine's host put in its plugins folder: never
          // an arbitrary file on that host.
          const auto files = engine_.availablePluginFiles();
          const std::string path = PluginLoader::canonicalPath(x.path);
          const bool inFolder = std::any_of(files.begin(), files.end(),
                                            [&](const std::string& f) { return PluginLoader::canonicalPath(f) == path; });
          if (!inFolder) return answer({false, "'" + x.path + "' is not in the engine's plugins folder", 0});
          if constexpr (std::is_same_v<T, cmd::LoadPlugin>) {
            engine_.loadPlugin(path, x.approve);
            answer({true, {}, 0});
          } else {
            StrategyLaunch launch{path, x.strategyId, x.params, x.start, x.approve};
            engine_.launchStrategy(std::move(launch), [answer](std::string error) { answer({error.empty(), error, 0}); });
          }
        } else if constexpr (std::is_same_v<T, cmd::UnloadPlugin>) {
          engine_.unloadPlugin(x.path);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::StartStrategy>) {
          engine_.startStrategy(x.id);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::StopStrategy>) {
          engine_.stopStrategy(x.id);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::RemoveStrategy>) {
          engine_.removeStrategy(x.id);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::SetStrategyParam>) {
          engine_.setStrategyParam(x.id, x.name, x.value);
          answer({true, {}, 0});
        } else if constexpr (std::is_same_v<T, cmd::SpeedUp>) {
          // The venue answers in the order's detail (the next evm part): refused there when the
          // swap is no longer pending or the new fees pass the cap.
          if (!evm_) return answer({false, "engine '" + config_.engine + "' has no on-chain venue", x.id});
          // A sped-up swap is likelier to execute: not while the engine is halted.
          if (engine_.halted()) return answer({false, "engine '" + config_.engine + "' is HALTED: no speed-up", x.id});
          evm_->speedUp(x.id);
          answer({true, {}, x.id});
        } else {  // Focus: the depth, trades and candles the snapshots carry, this window's among the others'
          std::vector<InstrumentId> listed;
          for (InstrumentId id : x.instruments)
            if (id < instruments.size()) listed.push_back(id);
          // One lease per window: a user's windows (sessions) apart; a GUI that names no session
          // has one for its user.
          answer({true, renewFocus(user + "/" + x.client, listed), 0});
        }
      },
      command);
}

// ---- the attached windows' focus ----

std::string EngineServer::renewFocus(const std::string& client, const std::vector<InstrumentId>& instruments) {
  std::lock_guard lock(focusMutex_);
  const FocusLeases::Renewal renewal = focusLeases_.renew(client, instruments, Clock::now());
  if (renewal.refused == FocusLeases::Refusal::TableFull)
    return "focus not kept: " + std::to_string(FocusLeases::kMaxClients) + " windows already focus on this engine";
  if (renewal.refused == FocusLeases::Refusal::UserWindows)
    return "focus not kept: user " + client.substr(0, client.find('/')) + " already has " +
           std::to_string(FocusLeases::kMaxClientsPerUser) + " windows focused on this engine";
  handFocusToEngine();
  auto namesOf = [this](const std::vector<InstrumentId>& ids) {
    std::string names;
    for (InstrumentId id : ids) names += (names.empty() ? "" : ", ") + engine_.displayName(id);
    return names;
  };
  std::string note;
  if (!renewal.beyondUserShare.empty())
    note = "one user's windows show at most " + std::to_string(FocusLeases::kMaxInstrumentsPerUser) +
           " instruments' books from this engine (the desk shares its " + std::to_string(Engine::kMaxServedFocus) +
           "): no book for " + namesOf(renewal.beyondUserShare);
  const std::vector<InstrumentId> mine = focusLeases_.leftOutOf(client, focusLeases_.focus(Engine::kMaxServedFocus));
  if (mine.empty()) return note;
  return (note.empty() ? std::string() : note + "; ") + "the engine carries the books of at most " +
         std::to_string(Engine::kMaxServedFocus) + " instruments for its attached windows, all taken by windows attached earlier: no book for " +
         namesOf(mine);
}

void EngineServer::expireFocus() {
  std::lock_guard lock(focusMutex_);
  const std::vector<std::string> gone = focusLeases_.expire(Clock::now());
  if (gone.empty()) return;
  for (const std::string& client : gone)
    log::info("desk", "window " + client + " silent for more than " + std::to_string(focusLeases_.lease().count()) +
                          " ms: its focus is dropped");
  handFocusToEngine();
}

void EngineServer::handFocusToEngine() {
  FocusLeases::Union u = focusLeases_.focus(Engine::kMaxServedFocus);
  if (u.carried != servedFocus_) engine_.setServedFocus(u.carried);
  if (u.leftOut != focusLeftOut_ && !u.leftOut.empty()) {
    std::string names;
    for (InstrumentId id : u.leftOut) names += (names.empty() ? "" : ", ") + engine_.displayName(id);
    log::warn("desk", "attached windows focus on more instruments than the " + std::to_string(Engine::kMaxServedFocus) +
                          " whose books the engine carries for them: no book for " + names + " until a window lets go");
  }
  servedFocus_ = std::move(u.carried);
  focusLeftOut_ = std::move(u.leftOut);
}

// kappa.<engine>.query.<user>.<what>: reads only, for the users who may command this engine (a
// journal holds every user's commands and the strategies' parameters: not the viewer's to read, and
// a scan of a large journal costs the engine's host its disk). The server already let only <user>
// publish here; the engine checks the user it sees, as for commands.
void EngineServer::onQuery(const std::string& subject, const std::string& data, const std::string& replyTo) {
  const std::string prefix = "kappa." + config_.engine + ".query.";
  const std::string rest = subject.substr(std::min(subject.size(), prefix.size()));
  const std::size_t dot = rest.find('.');
  const std::string user = rest.substr(0, dot);
  const std::string what = dot == std::string::npos ? std::string() : rest.substr(dot + 1);
  if (replyTo.empty()) return;  // a query nobody waits for
  const bool plugins = what == kPluginsQuery;
  auto refuse = [&](const std::string& why) {
    {
      std::lock_guard lock(countersMutex_);
      ++counters_.queriesRefused;
    }
    log::warn("desk", "refused a query from " + user + ": " + why);
    JournalPage page;
    page.error = why;
    connection_.respond(replyTo, plugins ? encodePluginFiles({}, why) : encodeJournalPage(page));
  };
  {
    std::lock_guard lock(countersMutex_);
    ++counters_.queries;
  }
  if (!listed(config_.commandUsers, user) && !listed(config_.riskUsers, user))
    return refuse("not allowed for user " + user + ": engine '" + config_.engine +
                  "' answers queries of its --command-users and --risk-users only");
  // Waiting queries are bounded: a window asks again on its own, a flood must not grow the queue.
  constexpr std::size_t kMaxWaiting = 16;
  // Answered within the window's 5 s wait, or not at all: a query still running then is stopped.
  const auto deadline = Clock::now() + std::chrono::milliseconds(4500);
  bool queued = false;
  if (plugins) {
    queued = queries_->queue(
        [this, replyTo](const JournalCancel&) { connection_.respond(replyTo, encodePluginFiles(engine_.availablePluginFiles(), {})); },
        kMaxWaiting);
  } else if (what == kJournalQuery) {
    JournalQuery query;
    if (std::string error = decodeJournalQuery(data, query); !error.empty()) return refuse(error);
    const Journal* journal = engine_.journal();
    const std::string path = journal ? journal->path() : std::string();
    queued = queries_->queue(
        [this, replyTo, path, query = std::move(query), deadline](const JournalCancel& cancelled) {
          bool late = false;
          JournalPage page = queryJournalFile(path, query, [&] { return cancelled() || (late = Clock::now() > deadline); },
                                              kJournalPageBytes);
          if (page.cancelled && !late) return;  // stopping
          if (late) {
            page = {};
            page.error = "the journal query took longer than 4.5 s on the engine: narrow the filters (a time range)";
          }
          // The engine host's file system is not the remote user's business.
          for (std::size_t at; !path.empty() && (at = page.error.find(path)) != std::string::npos;)
            page.error.replace(at, path.size(), "the engine's journal");
          connection_.respond(replyTo, encodeJournalPage(page));
        },
        kMaxWaiting);
  } else {
    std::string shown = what.substr(0, 64);
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return refuse("unknown query '" + shown + "'");
  }
  if (!queued) refuse("engine '" + config_.engine + "' is busy (" + std::to_string(kMaxWaiting) + " queries waiting): try again");
}

// ---- publishing (this server's own thread) ----

void EngineServer::publishLoop() {
  auto next = Clock::now();
  for (;;) {
    bool early = false;
    {
      std::unique_lock lock(wakeMutex_);
      wake_.wait_until(lock, next, [this] { return stopping_ || publishNow_; });
      if (stopping_) break;
      early = std::exchange(publishNow_, false);
    }
    // Woken early (a desk halt): this pass publishes the new state; the tick stays where it was.
    if (!early || Clock::now() >= next) next = std::max(next + config_.publishInterval, Clock::now());
    checkFailClosed();
    if (!connection_.connected()) continue;  // nothing queued while away: the whole state goes out on return
    if (republishAll_.exchange(false)) {
      {
        // No window could renew its focus while the server was away: each gets a whole lease again.
        std::lock_guard lock(focusMutex_);
        focusLeases_.heardFromAll(Clock::now());
      }
      tracker_.reset();
      instrumentsVersion_ = ~0ull;
      evmBody_.clear();
      for (auto& [key, slot] : bucket_) slot.dirty = !slot.value.empty();
    }
    if (Clock::now() - lastFocusExpiry_ >= std::chrono::milliseconds(250)) {
      lastFocusExpiry_ = Clock::now();
      expireFocus();
    }
    if (engine_.instruments().version() != instrumentsVersion_) publishInstruments();
    if (engine_.takeSnapshot()) publishSnapshot(engine_.snapshot());
    else if (engine_.tradingState() != lastState_) publishDeskSummary(engine_.snapshot(), true);  // a halt: at once
    if (evm_ && Clock::now() - lastEvm_ >= kEvmPublishInterval) publishEvm();
    if (!desk_ && Clock::now() - lastDeskOpenTry_ > config_.bucketInterval) {
      lastDeskOpenTry_ = Clock::now();
      openDeskBucket();
    }
    flushBucket(false);
  }
  flushBucket(true);
}

void EngineServer::publishInstruments() {
  instrumentsVersion_ = engine_.instruments().version();
  std::string bytes = encodeInstruments(engine_.instruments());
  connection_.publish(stateSubject(config_.engine, kInstrumentsPart), bytes);
  putBucket(engineKey(config_.engine, kInstrumentsPart), std::move(bytes), true);
}

void EngineServer::publishSnapshot(const EngineSnapshot& s) {
  const Nanos now = wallNow();
  std::uint64_t parts = 0, bytes = 0;
  for (SnapshotPart part : kSnapshotParts) {
    std::optional<std::string> body = tracker_.changed(part, s);
    if (!body) continue;
    std::string message = framePart(part, s.seq, now, *body);
    connection_.publish(stateSubject(config_.engine, partName(part)), message);
    ++parts;
    bytes += message.size();
    // The engine part carries the trading state: a late joiner must never read an old one.
    putBucket(engineKey(config_.engine, partName(part)), std::move(message), part == SnapshotPart::Engine);
  }
  publishDeskSummary(s, engine_.tradingState() != lastState_ || s.haltReason != lastReason_);
  if (Clock::now() - lastLimitsCheck_ >= config_.bucketInterval) {
    lastLimitsCheck_ = Clock::now();
    checkDeskLimits(s);
  }
  std::lock_guard lock(countersMutex_);
  counters_.partsPublished += parts;
  counters_.bytesPublished += bytes;
}

// The on-chain panel's state when it changed, at the panel's own rate: it reads the chain, whose
// blocks come seconds apart, and the wallet, refreshed per block. Said again every
// kEvmRepublishInterval even unchanged: a window takes a part much older than that as the engine
// gone (RemoteEvmView). The poll counters alone are no change (they move at every poll).
void EngineServer::publishEvm() {
  const auto now = Clock::now();
  lastEvm_ = now;
  evm::EvmVenueSnapshot s = evm_->snapshot();
  // The newest swaps and every one not over yet: the panel shows the newest 50, and a long day's
  // history must not grow the part without end.
  constexpr std::size_t kNewestOrders = 200;
  if (s.orders.size() > kNewestOrders) {
    std::vector<evm::EvmOrderView> kept;
    const std::size_t newestFrom = s.orders.size() - kNewestOrders;
    for (std::size_t i = 0; i < s.orders.size(); ++i) {
      const std::string& st = s.orders[i].state;
      const bool over = st == "final" || st == "rejected" || st == "cancelled" || st == "dropped";
      if (i >= newestFrom || !over) kept.push_back(std::move(s.orders[i]));
    }
    s.orders = std::move(kept);
  }
  const std::uint64_t polls = std::exchange(s.counters.polls, 0);
  const std::int64_t roundTrip = std::exchange(s.counters.lastRoundTripUs, 0);
  std::string body = encodeEvmBody(s);
  if (body == evmBody_ && now - lastEvmSent_ < kEvmRepublishInterval) return;
  evmBody_ = std::move(body);
  lastEvmSent_ = now;
  s.counters.polls = polls;
  s.counters.lastRoundTripUs = roundTrip;
  std::string message = frameEvmPart(wallNow(), encodeEvmBody(s));
  const std::size_t bytes = message.size();
  connection_.publish(stateSubject(config_.engine, kEvmPart), message);
  putBucket(engineKey(config_.engine, kEvmPart), std::move(message), false);
  std::lock_guard lock(countersMutex_);
  ++counters_.partsPublished;
  counters_.bytesPublished += bytes;
}

void EngineServer::publishDeskSummary(const EngineSnapshot& s, bool force) {
  if (!force && Clock::now() - lastSummary_ < config_.bucketInterval) return;
  lastSummary_ = Clock::now();
  desk::EngineDeskSummary summary = desk::summarizeForDesk(s, config_.engine, wallNow());
  // The state as it is now (the halt switch), not as the last snapshot saw it: the desk's HALT is
  // measured to this.
  summary.state = lastState_ = engine_.tradingState();
  // The snapshot may not have caught up with the switch yet: its reason follows with the next one.
  if (summary.state != s.tradingState) summary.reason.clear();
  lastReason_ = s.haltReason;
  std::string text = desk::encodeDeskSummary(summary);
  connection_.publish(stateSubject(config_.engine, kDeskPart), text);
  putBucket(engineKey(config_.engine, kDeskPart), std::move(text), true);
}

void EngineServer::putBucket(const std::string& key, std::string value, bool now) {
  BucketSlot& slot = bucket_[key];
  slot.value = std::move(value);
  slot.dirty = true;
  if (now) slot.lastPut = {};
}

// Each key's newest value, at most once per bucketInterval, one put in flight per key (a slow or
// absent server queues nothing: the newest value replaces the waiting one).
void EngineServer::flushBucket(bool all) {
  const auto now = Clock::now();
  for (auto& [key, slot] : bucket_) {
    if (!slot.dirty || slot.inFlight->load()) continue;
    if (!all && now - slot.lastPut < config_.bucketInterval) continue;
    slot.dirty = false;
    slot.lastPut = now;
    if (all) {
      engines_->put(key, slot.value);  // stopping: the last state stays for the desk
      continue;
    }
    slot.inFlight->store(true);
    engines_->putAsync(key, slot.value, [this, key, inFlight = slot.inFlight](const nats::KvPutResult& r) {
      inFlight->store(false);
      if (!r.ok()) log::warn("desk", "bucket " + std::string(kEnginesBucket) + " key " + key + ": " + r.error);
      std::lock_guard lock(countersMutex_);
      if (r.ok()) ++counters_.bucketPuts;
    });
  }
}

void EngineServer::checkFailClosed() {
  const std::int64_t since = disconnectedAt_.load();
  if (since == 0) {
    failClosedActed_.store(false);
    return;
  }
  if (failClosedActed_.load() || steadyNs() - since < std::chrono::nanoseconds(config_.failClosedAfter).count()) return;
  failClosedActed_.store(true);
  const Nanos lostAt = wallNow() - (steadyNs() - since);
  char reason[200];
  std::snprintf(reason, sizeof reason, "lost the desk's NATS server at %s for more than %.1f s: fail closed (%s)",
                utcClockTime(lostAt).c_str(), double(config_.failClosedAfter.count()) / 1000.0,
                config_.failClosedHalts ? "HALTED" : "REDUCING");
  if (config_.failClosedHalts) engine_.haltAll(reason);
  else engine_.reduceOnly(reason);
  std::lock_guard lock(countersMutex_);
  ++counters_.failClosed;
}

void EngineServer::checkDeskLimits(const EngineSnapshot& s) {
  std::vector<desk::EngineDeskSummary> all;
  std::optional<desk::DeskLimits> limits;
  {
    std::lock_guard lock(deskMutex_);
    limits = deskLimits_;
    for (const auto& [name, summary] : others_) all.push_back(summary);
  }
  if (!limits) {
    deskLimitActing_ = false;
    return;
  }
  all.push_back(desk::summarizeForDesk(s, config_.engine, wallNow()));
  const std::vector<std::string> breaches = desk::deskBreaches(*limits, desk::sumDesk(all));
  if (breaches.empty()) {
    deskLimitActing_ = false;  // back within: nothing to do (no automatic resume)
    return;
  }
  // Over a limit: act whenever the engine is ACTIVE (a RESUME while the desk is still over it is
  // taken back within a second); journaled once per breach.
  const TradingState state = engine_.tradingState();
  if (state == TradingState::Halted || (state == TradingState::Reducing && !limits->halt)) return;
  const std::string reason = "desk limit: " + breaches.front();
  if (!deskLimitActing_) engine_.journalCommand("desk", reason);
  deskLimitActing_ = true;
  if (limits->halt) engine_.haltAll(reason);
  else engine_.reduceOnly(reason);
  std::lock_guard lock(countersMutex_);
  ++counters_.deskLimitActions;
}

}  // namespace kappa::remote
