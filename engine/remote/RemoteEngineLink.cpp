#include "remote/RemoteEngineLink.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <thread>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "remote/EvmPartCodec.hpp"
#include "remote/InstrumentCodec.hpp"
#include "remote/QueryCodec.hpp"
#include "remote/Subjects.hpp"

namespace kappa::remote {

namespace {

// 64 random bits in hex: one window's session among the others attached to the same engine.
std::string newSession() {
  std::random_device random;
  const std::uint64_t bits = (std::uint64_t(random()) << 32) ^ random();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
  return text;
}

}  // namespace

RemoteEngineLink::RemoteEngineLink() : session_(newSession()) {}

RemoteEngineLink::~RemoteEngineLink() { close(); }

void RemoteEngineLink::close() {
  stateSub_.unsubscribe();
  engines_.reset();
  connection_.close();  // no callback runs after this
}

std::string RemoteEngineLink::connect(const nats::NatsSettings& settings, const std::string& engine,
                                      std::chrono::milliseconds timeout) {
  if (!validToken(engine)) return "'" + engine + "' is not an engine name (A-Z a-z 0-9 _ -)";
  // A creds file's problem (open to others, no user name) before the user's name is asked for.
  if (std::string bad = settings.validate(); !bad.empty()) return bad;
  if (!validToken(settings.user))
    return "commands are sent under the NATS user's name: set KAPPA_NATS_USER (one token: A-Z a-z 0-9 _ -)";
  engine_ = engine;
  user_ = settings.user;
  server_ = settings.url;
  nats::NatsSettings s = settings;
  s.connectTimeout = std::min(s.connectTimeout, timeout);
  nats::NatsConnection::Callbacks callbacks;
  callbacks.onDisconnected = [this] {
    std::int64_t expected = 0;
    disconnectedSince_.compare_exchange_strong(expected, wallNow());
  };
  callbacks.onReconnected = [this] { disconnectedSince_.store(0); };
  callbacks.onError = [this](const std::string& error) {
    if (error.find(kDeskProbeSubject) != std::string::npos) return;  // a trader is not risk: no refusal to show
    std::lock_guard lock(mutex_);
    lastRefusal_ = "the NATS server: " + error;
    refusals_.fetch_add(1);
  };
  if (std::string error = connection_.connect(s, std::move(callbacks)); !error.empty()) return error;
  std::string error;
  engines_ = nats::KeyValueBucket::open(connection_, kEnginesBucket, error, timeout);
  if (!engines_) return std::string("the desk's bucket ") + kEnginesBucket + ": " + error;
  stateSub_ = connection_.subscribe(
      stateWildcard(engine),
      [this](const std::string& subject, const std::string& data, const std::string&) {
        onPart(subject.substr(subject.rfind('.') + 1), data, false);
      },
      &error);
  if (!stateSub_.active()) return "the engine's state (" + stateWildcard(engine) + "): " + error;
  if (std::string flushed = connection_.flush(timeout); !flushed.empty()) return flushed;
  // The last state of every part: the instruments first (every other part names them).
  const nats::KvGetResult list = engines_->get(engineKey(engine, kInstrumentsPart));
  if (!list.found)
    return "no engine '" + engine + "' on the desk (no state in the " + kEnginesBucket + " bucket" +
           (list.error.empty() || list.error == "no such key" ? std::string() : ": " + list.error) + ")";
  onPart(kInstrumentsPart, list.value, true);
  for (SnapshotPart part : kSnapshotParts) {
    const nats::KvGetResult r = engines_->get(engineKey(engine, partName(part)));
    if (r.found) onPart(partName(part), r.value, true);
  }
  if (const nats::KvGetResult r = engines_->get(engineKey(engine, kEvmPart)); r.found) onPart(kEvmPart, r.value, true);
  std::lock_guard lock(mutex_);
  if (partSeq_[std::size_t(SnapshotPart::Engine)] == 0) return "engine '" + engine + "' has published no state yet";
  return {};
}

bool RemoteEngineLink::probeRiskRole() {
  const std::string probe = kDeskProbeSubject;
  if (!connection_.publish(probe, {}).empty()) return false;
  if (!connection_.flush(std::chrono::milliseconds(2000)).empty()) return false;
  // The server's refusal is told on another thread a moment after the flush: wait a little for it.
  for (int i = 0; i < 25; ++i) {
    if (!connection_.deniedReason(probe).empty()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return connection_.connected();
}

std::vector<std::string> RemoteEngineLink::listEngines(const nats::NatsSettings& settings, std::string* error) {
  nats::NatsConnection connection;
  std::vector<std::string> out;
  if (std::string e = connection.connect(settings); !e.empty()) {
    if (error) *error = e;
    return out;
  }
  std::string e;
  auto bucket = nats::KeyValueBucket::open(connection, kEnginesBucket, e);
  if (!bucket) {
    if (error) *error = std::string("the desk's bucket ") + kEnginesBucket + ": " + e;
    return out;
  }
  const nats::KvKeysResult keys = bucket->keys();
  if (!keys.error.empty() && error) *error = keys.error;
  std::set<std::string> engines;
  for (const std::string& key : keys.keys) {
    const std::size_t dot = key.find('.');
    if (dot != std::string::npos && key.substr(dot + 1) == kInstrumentsPart) engines.insert(key.substr(0, dot));
  }
  return {engines.begin(), engines.end()};
}

void RemoteEngineLink::onPart(const std::string& name, const std::string& bytes, bool fromBucket) {
  std::lock_guard lock(mutex_);
  if (name == kInstrumentsPart) {
    InstrumentBatch batch;
    std::string error = decodeInstruments(bytes, batch);
    if (error.empty()) error = applyInstruments(batch, instruments_);
    if (!error.empty()) {
      partsRefused_.fetch_add(1);
      log::error("remote", "engine " + engine_ + ": instruments: " + error);
      return;
    }
    ++stagingVersion_;
    partsApplied_.fetch_add(1);
    return;
  }
  if (name == kEvmPart) return onEvmPart(bytes, fromBucket);
  const std::optional<SnapshotPart> part = partFromName(name);
  if (!part) return;  // the desk summary and parts of later versions: not the window's
  const std::size_t slot = std::size_t(*part);
  PartHeader header;
  EngineSnapshot decoded;  // decoded apart: a malformed or older part changes nothing (only its fields move in)
  // Ids beyond the instruments known here are refused: the views index the registry by them (the
  // engine publishes its instruments before any part that names them).
  std::string error = decodePart(*part, bytes, decoded, &header, instruments_.size());
  if (!error.empty()) {
    partsRefused_.fetch_add(1);
    log::error("remote", "engine " + engine_ + ": " + error);
    return;
  }
  // The bucket's copy may be older than what the subscription already brought.
  if (fromBucket && header.seq < partSeq_[slot]) return;
  partSeq_[slot] = header.seq;
  movePart(*part, decoded, staging_);
  const Nanos now = wallNow();
  if (*part == SnapshotPart::Engine) {
    state_.store(std::uint8_t(staging_.tradingState));
    clockOffset_ = now - staging_.builtWall;
    snapshotAgeMs_ = double(now - header.publishedWall) / 1e6;
    if (!fromBucket && arrivalAges_.size() < 1'000'000) arrivalAges_.push_back(snapshotAgeMs_);
    staging_.builtMono = monoNow() - (now - header.publishedWall);
  }
  ++stagingVersion_;
  partsApplied_.fetch_add(1);
}

void RemoteEngineLink::onEvmPart(const std::string& bytes, bool fromBucket) {
  evm::EvmVenueSnapshot decoded;
  Nanos published = 0;
  if (std::string error = decodeEvmPart(bytes, decoded, &published, instruments_.size()); !error.empty()) {
    partsRefused_.fetch_add(1);
    log::error("remote", "engine " + engine_ + ": " + error);
    evmRefusal_ = error;  // what the window shows is no longer current
    return;
  }
  if (fromBucket && hasEvm_ && published < evmPublishedWall_) return;  // the subscription brought a newer one
  evmPublishedWall_ = published;
  evmReceivedAt_ = fromBucket ? published : wallNow();
  evmRefusal_.clear();
  evm_ = std::move(decoded);
  hasEvm_ = true;
  partsApplied_.fetch_add(1);
}

bool RemoteEngineLink::hasEvmVenue() const {
  std::lock_guard lock(mutex_);
  return hasEvm_;
}

evm::EvmVenueSnapshot RemoteEngineLink::evmSnapshot() const {
  std::lock_guard lock(mutex_);
  return evm_;
}

Nanos RemoteEngineLink::evmReceivedAt() const {
  std::lock_guard lock(mutex_);
  return evmReceivedAt_;
}

std::string RemoteEngineLink::evmRefusal() const {
  std::lock_guard lock(mutex_);
  return evmRefusal_;
}

void RemoteEngineLink::speedUp(OrderId id) { send(cmd::SpeedUp{id}); }

std::vector<double> RemoteEngineLink::takeArrivalAges() {
  std::lock_guard lock(mutex_);
  return std::exchange(arrivalAges_, {});
}

std::size_t RemoteEngineLink::venueCount() const {
  std::lock_guard lock(mutex_);
  return staging_.venues.size();
}

std::vector<std::string> RemoteEngineLink::venueNames() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const VenueRow& v : staging_.venues) names.push_back(v.name);
  return names;
}

std::string RemoteEngineLink::venueEnvironment(VenueId v) const {
  std::lock_guard lock(mutex_);
  return v < staging_.venues.size() ? staging_.venues[v].environment : std::string();
}

Nanos RemoteEngineLink::now() const {
  std::lock_guard lock(mutex_);
  return wallNow() - clockOffset_;
}

LinkStatus RemoteEngineLink::link() const {
  LinkStatus s;
  s.remote = true;
  s.server = server_;
  s.engineName = engine_;
  s.user = user_;
  s.connected = connection_.connected();
  s.disconnectedSince = disconnectedSince_.load();
  if (!s.connected && s.disconnectedSince == 0) s.disconnectedSince = wallNow();
  s.detail = s.connected ? std::string() : "the NATS server " + server_ + " is not reachable";
  s.roundTripMs = rttMs_.load();
  s.pendingCommands = pending_.load();
  s.refusals = refusals_.load();
  std::lock_guard lock(mutex_);
  s.snapshotAgeMs = snapshotAgeMs_;
  s.lastRefusal = lastRefusal_;
  return s;
}

bool RemoteEngineLink::takeSnapshot() {
  // The round trip, once a second, measured on the connection's own worker (never waits here).
  const std::int64_t now = monoNow();
  if (now - lastRttAsk_.load() > 1'000'000'000 && connection_.connected()) {
    lastRttAsk_.store(now);
    connection_.rttAsync([this](std::optional<std::chrono::microseconds> rtt) {
      if (rtt) rttMs_.store(double(rtt->count()) / 1000.0);
    });
  }
  // The focus said again before the engine's lease on it runs out (the window pulls snapshots for
  // as long as it shows one).
  // Not when the server refused this user's focus (a viewer may publish nothing): each renewal would
  // be one more permission violation in the server's log and in this window's status line.
  if (const InstrumentId focus = focus_.load(); focus != kNoInstrument && connection_.connected() &&
                                                     now - focusSentAt_.load() > focusRenewal_.count() * 1'000'000) {
    if (connection_.deniedReason(commandSubject(engine_, user_, "focus")).empty()) sendFocus(focus, false);
    else focusSentAt_.store(now);
  }
  std::lock_guard lock(mutex_);
  if (stagingVersion_ == frontVersion_) return false;
  front_ = staging_;
  frontVersion_ = stagingVersion_;
  return true;
}

void RemoteEngineLink::send(const Command& command, std::function<void(const CommandAnswer&)> done, bool tell) {
  const std::string verb = verbOf(command);
  auto refuse = [this, verb, done, tell](const std::string& why) {
    if (tell) {
      std::lock_guard lock(mutex_);
      lastRefusal_ = verb + ": " + why;
      refusals_.fetch_add(1);
    }
    if (done) done({false, why, 0});
  };
  if (!connection_.connected()) return refuse("not connected to engine '" + engine_ + "': nothing sent");
  pending_.fetch_add(1);
  connection_.request(commandSubject(engine_, user_, verb), encodeCommand(command), commandTimeout_,
                      [this, refuse, done](const nats::NatsReply& reply) {
                        pending_.fetch_sub(1);
                        CommandAnswer answer;
                        if (!reply.ok) return refuse(reply.error);
                        if (std::string error = decodeAnswer(reply.data, answer); !error.empty())
                          return refuse("unreadable answer: " + error);
                        if (!answer.accepted) return refuse(answer.reason);
                        if (done) done(answer);
                      });
}

void RemoteEngineLink::setFocus(InstrumentId id) {
  focus_.store(id);
  sendFocus(id, true);
}

void RemoteEngineLink::sendFocus(InstrumentId id, bool tell) {
  // Not sent while away: the first renewal after the link is back then goes at once.
  if (connection_.connected()) focusSentAt_.store(monoNow());
  std::vector<InstrumentId> instruments;
  if (id != kNoInstrument) instruments.push_back(id);
  send(
      cmd::Focus{session_, std::move(instruments)},
      [this](const CommandAnswer& a) {
        // Accepted with a note: the engine is full and carries no book for this window's instrument.
        std::lock_guard lock(mutex_);
        if (a.accepted && a.reason != focusNote_ && !a.reason.empty())
          log::warn("remote", "engine " + engine_ + ": focus: " + a.reason);
        focusNote_ = a.reason;
      },
      tell);
}
void RemoteEngineLink::submit(OrderRequest request) { send(cmd::Submit{std::move(request)}); }
void RemoteEngineLink::submit(OrderRequest request, std::function<void(const CommandAnswer&)> answered) {
  send(cmd::Submit{std::move(request)}, std::move(answered));
}
void RemoteEngineLink::cancel(OrderId id) { send(cmd::Cancel{id}); }
void RemoteEngineLink::cancelAll(InstrumentId only) { send(cmd::CancelAll{only}); }
void RemoteEngineLink::replace(OrderId id, Price price, Qty qty) { send(cmd::Replace{id, price, qty}); }
void RemoteEngineLink::haltAll(std::string reason) { send(cmd::Halt{std::move(reason)}); }
void RemoteEngineLink::reduceOnly(std::string reason) { send(cmd::Reduce{std::move(reason)}); }
void RemoteEngineLink::flatten(std::string reason) { send(cmd::Flatten{std::move(reason)}); }
void RemoteEngineLink::changeRiskLimit(std::string assignment) { send(cmd::ChangeRiskLimit{std::move(assignment)}); }
void RemoteEngineLink::resume(std::function<void(std::string)> done) {
  send(cmd::Resume{}, [done](const CommandAnswer& a) {
    if (done) done(a.accepted ? std::string() : a.reason);
  });
}
void RemoteEngineLink::launchStrategy(StrategyLaunch l, std::function<void(std::string)> done) {
  send(cmd::LaunchStrategy{l.path, l.strategyId, l.params, l.start, l.approve}, [done](const CommandAnswer& a) {
    if (done) done(a.accepted ? std::string() : a.reason);
  });
}
void RemoteEngineLink::loadPlugin(const std::string& path, bool approve) { send(cmd::LoadPlugin{path, approve}); }
void RemoteEngineLink::unloadPlugin(const std::string& path) { send(cmd::UnloadPlugin{path}); }
void RemoteEngineLink::startStrategy(std::uint32_t id) { send(cmd::StartStrategy{id}); }
void RemoteEngineLink::stopStrategy(std::uint32_t id) { send(cmd::StopStrategy{id}); }
void RemoteEngineLink::removeStrategy(std::uint32_t id) { send(cmd::RemoveStrategy{id}); }
void RemoteEngineLink::setStrategyParam(std::uint32_t id, std::string name, std::string value) {
  send(cmd::SetStrategyParam{id, std::move(name), std::move(value)});
}

}  // namespace kappa::remote

namespace kappa::remote {

// A read that got no answer, said as the window shows it: who did not answer, or who may not ask.
void RemoteEngineLink::ask(const char* what, std::string body, std::function<void(const std::string&)> answered,
                           std::function<void(const std::string&)> failed) {
  const std::string subject = querySubject(engine_, user_, what);
  if (!connection_.connected()) return failed("not connected to engine " + engine_ + " (the NATS server " + server_ + ")");
  const auto seconds = std::to_string((commandTimeout_.count() + 500) / 1000);
  connection_.request(subject, body, commandTimeout_, [this, subject, seconds, answered, failed](const nats::NatsReply& reply) {
    if (reply.ok) return answered(reply.data);
    if (reply.error.rfind("refused by the server", 0) == 0)
      return failed("not allowed for user " + user_ + ": the NATS server refuses " + subject);
    if (reply.error.rfind("no answer", 0) == 0) return failed("engine " + engine_ + " did not answer in " + seconds + " s");
    if (reply.error.rfind("no one answers", 0) == 0) return failed("engine " + engine_ + " is not serving (" + reply.error + ")");
    failed("engine " + engine_ + ": " + reply.error);
  });
}

void RemoteEngineLink::queryJournal(JournalQuery query, bool, std::function<void(JournalPage)> done) {
  query.limit = std::min(query.limit, kMaxJournalPageRows);
  auto fail = [done](const std::string& why) {
    JournalPage page;
    page.error = why;
    done(std::move(page));
  };
  ask(
      kJournalQuery, encodeJournalQuery(query),
      [this, done, fail](const std::string& bytes) {
        JournalPage page;
        if (std::string error = decodeJournalPage(bytes, page); !error.empty()) {
          log::error("remote", "engine " + engine_ + ": " + error);
          return fail("engine " + engine_ + " sent an unreadable answer (" + error + ")");
        }
        done(std::move(page));
      },
      fail);
}

void RemoteEngineLink::listPluginFiles(std::function<void(std::vector<std::string>, std::string)> done) {
  ask(
      kPluginsQuery, "{}",
      [this, done](const std::string& bytes) {
        std::vector<std::string> files;
        std::string refused;
        if (std::string error = decodePluginFiles(bytes, files, refused); !error.empty())
          return done({}, "engine " + engine_ + " sent an unreadable answer (" + error + ")");
        done(std::move(files), std::move(refused));
      },
      [done](const std::string& why) { done({}, why); });
}

}  // namespace kappa::remote
