#pragma once
// A JetStream key-value bucket on a NatsConnection: the last value of each key, kept by the server,
// so a GUI or an engine that connects later reads the current state at once (get, keys, or a watch
// that delivers the current values first and then every change).
//
// Blocking: open / openOrCreate, put, get, keys, remove, purge wait for the server (up to the
// bucket's timeout); call them off the engine thread and the GUI thread, or use putAsync. A watch
// runs its own thread: its callback runs there.
//
// Permissions (docs/desk/nats-server-roles.conf): put publishes to $KV.<bucket>.<key>; a put the
// server refuses (another engine's key, the desk bucket for an engine) is reported as
// "refused by the server: …" once the server's permission error arrived, else as a timeout.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nats/NatsConnection.hpp"

namespace kappa::nats {

struct KvPutResult {
  uint64_t revision = 0;  // > 0 on success
  std::string error;
  bool ok() const { return error.empty(); }
};

struct KvGetResult {
  bool found = false;
  std::string value;
  uint64_t revision = 0;
  std::string error;  // "no such key" when not found (found == false), or why the read failed
};

struct KvKeysResult {
  std::vector<std::string> keys;  // sorted
  std::string error;
};

// key, value, revision, deleted (a delete or purge: value empty)
using KvWatchHandler = std::function<void(const std::string& key, const std::string& value, uint64_t revision, bool deleted)>;

// A running watch: stops (and joins its thread) when destroyed or by stop(). Stopping it from its
// own callback is allowed.
class KvWatch {
 public:
  struct State;  // KeyValueBucket.cpp
  KvWatch() = default;
  explicit KvWatch(std::shared_ptr<State> state) : state_(std::move(state)) {}
  ~KvWatch() { stop(); }
  KvWatch(KvWatch&&) noexcept = default;
  KvWatch& operator=(KvWatch&& other) noexcept;
  KvWatch(const KvWatch&) = delete;
  KvWatch& operator=(const KvWatch&) = delete;
  bool active() const { return state_ != nullptr; }
  // False once the watch ended by itself (its connection closed for good); a stopped or inactive
  // watch is not running either.
  bool running() const;
  void stop();

 private:
  std::shared_ptr<State> state_;
};

class KeyValueBucket {
 public:
  ~KeyValueBucket();
  KeyValueBucket(const KeyValueBucket&) = delete;
  KeyValueBucket& operator=(const KeyValueBucket&) = delete;

  // Bucket names: letters, digits, '-', '_'. Keys: tokens separated by '.', no wildcards.
  // openOrCreate creates the bucket (history 1: only the last value per key) when it does not exist;
  // open only opens ("no such bucket" otherwise) — what a viewer without create permission uses.
  // nullptr and `error` set on failure. The connection must outlive the bucket.
  static std::unique_ptr<KeyValueBucket> openOrCreate(NatsConnection& connection, const std::string& bucket,
                                                      std::string& error, int history = 1,
                                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  static std::unique_ptr<KeyValueBucket> open(NatsConnection& connection, const std::string& bucket, std::string& error,
                                              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

  const std::string& name() const { return name_; }

  KvPutResult put(const std::string& key, const std::string& value);
  // put() on the connection's worker for blocking calls; `done` runs there. The bucket may be
  // destroyed meanwhile; a put still queued when the connection closes is dropped (done not called).
  void putAsync(const std::string& key, const std::string& value, std::function<void(const KvPutResult&)> done);
  KvGetResult get(const std::string& key);
  // The keys with a current value (deleted ones left out) that start with `prefix` ("" = all).
  KvKeysResult keys(const std::string& prefix = {});
  // Delete leaves a delete marker (watchers see deleted=true); purge also drops the key's history.
  // "" or why not.
  std::string remove(const std::string& key);
  std::string purge(const std::string& key);

  // Watches `keys` (a key or a pattern: "a.*", "a.>", ">"): the current value of every matching
  // key first, then `caughtUp` once (may be empty), then every change as it happens. The callbacks
  // run on the watch's own thread. An inactive KvWatch and `error` set on failure.
  KvWatch watch(const std::string& keys, KvWatchHandler handler, std::function<void()> caughtUp, std::string& error);

 private:
  struct Native;  // libnats' jsCtx + kvStore
  KeyValueBucket(NatsConnection& connection, std::string name, std::shared_ptr<Native> native,
                 std::chrono::milliseconds timeout);
  static std::unique_ptr<KeyValueBucket> openImpl(NatsConnection& connection, const std::string& bucket,
                                                  std::string& error, bool create, int history,
                                                  std::chrono::milliseconds timeout);
  std::string failure(const char* what, const std::string& key, int status) const;
  static KvPutResult putWith(const std::shared_ptr<Native>& native, NatsConnection& connection, const std::string& name,
                             std::chrono::milliseconds timeout, const std::string& key, const std::string& value);

  NatsConnection& connection_;
  std::string name_;
  std::shared_ptr<Native> native_;  // shared with putAsync jobs
  std::chrono::milliseconds timeout_;
};

}  // namespace kappa::nats
