#include "nats/KeyValueBucket.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "nats/LastError.hpp"

namespace kappa::nats {

struct KeyValueBucket::Native {
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  ~Native() {
    if (kv) kvStore_Destroy(kv);
    if (js) jsCtx_Destroy(js);
  }
};

struct KvWatch::State {
  kvWatcher* watcher = nullptr;
  KvWatchHandler handler;
  std::function<void()> caughtUp;
  std::atomic<bool> stopping{false};
  std::atomic<bool> ended{false};
  std::mutex mutex;       // guards `detached` and the watcher's destruction
  bool detached = false;  // stopped from its own callback: the thread destroys the watcher
  std::thread thread;

  static void run(std::shared_ptr<State> self) {
    while (!self->stopping) {
      kvEntry* entry = nullptr;
      const natsStatus s = kvWatcher_Next(&entry, self->watcher, 500);
      if (s == NATS_TIMEOUT) continue;
      if (s != NATS_OK) break;  // stopped, or the connection closed for good
      if (self->stopping) {
        if (entry) kvEntry_Destroy(entry);
        break;
      }
      try {
        if (!entry) {
          if (self->caughtUp) self->caughtUp();  // all current values were delivered
        } else {
          const kvOperation op = kvEntry_Operation(entry);
          const void* value = kvEntry_Value(entry);
          const std::string bytes = op == kvOp_Put && value
                                        ? std::string(static_cast<const char*>(value), static_cast<size_t>(kvEntry_ValueLen(entry)))
                                        : std::string();
          self->handler(kvEntry_Key(entry), bytes, kvEntry_Revision(entry), op != kvOp_Put);
        }
      } catch (...) {
        // A throwing handler must not end the watch thread with an exception.
      }
      if (entry) kvEntry_Destroy(entry);
    }
    self->ended = true;
    std::lock_guard lock(self->mutex);
    if (self->detached) {
      kvWatcher_Destroy(self->watcher);
      self->watcher = nullptr;
    }
  }
};

KvWatch& KvWatch::operator=(KvWatch&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

bool KvWatch::running() const { return state_ && !state_->ended; }

void KvWatch::stop() {
  if (!state_) return;
  std::shared_ptr<State> state = std::move(state_);
  state->stopping = true;
  {
    std::lock_guard lock(state->mutex);
    kvWatcher_Stop(state->watcher);  // wakes kvWatcher_Next; the watcher stays valid until destroyed
    if (state->thread.get_id() == std::this_thread::get_id()) {
      // Stopped from its own callback: the thread ends after the callback returns and destroys
      // the watcher itself.
      state->detached = true;
      state->thread.detach();
      return;
    }
  }
  state->thread.join();
  kvWatcher_Destroy(state->watcher);
  state->watcher = nullptr;
}

KeyValueBucket::KeyValueBucket(NatsConnection& connection, std::string name, std::shared_ptr<Native> native,
                               std::chrono::milliseconds timeout)
    : connection_(connection), name_(std::move(name)), native_(std::move(native)), timeout_(timeout) {}

KeyValueBucket::~KeyValueBucket() = default;

std::unique_ptr<KeyValueBucket> KeyValueBucket::openOrCreate(NatsConnection& connection, const std::string& bucket,
                                                             std::string& error, int history,
                                                             std::chrono::milliseconds timeout) {
  return openImpl(connection, bucket, error, true, history, timeout);
}

std::unique_ptr<KeyValueBucket> KeyValueBucket::open(NatsConnection& connection, const std::string& bucket,
                                                     std::string& error, std::chrono::milliseconds timeout) {
  return openImpl(connection, bucket, error, false, 1, timeout);
}

std::unique_ptr<KeyValueBucket> KeyValueBucket::openImpl(NatsConnection& connection, const std::string& bucket,
                                                         std::string& error, bool create, int history,
                                                         std::chrono::milliseconds timeout) {
  error.clear();
  if (bucket.empty() || bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                            std::string::npos) {
    error = "bad bucket name '" + bucket + "' (letters, digits, '-' and '_' only)";
    return nullptr;
  }
  if (history < 1 || history > 64) {
    error = "a bucket keeps 1 to 64 values per key";
    return nullptr;
  }
  if (!connection.native()) {
    error = "not connected";
    return nullptr;
  }
  auto native = std::make_shared<Native>();
  jsOptions jsOpts;
  jsOptions_Init(&jsOpts);
  jsOpts.Wait = timeout.count();
  natsStatus s = natsConnection_JetStream(&native->js, connection.native(), &jsOpts);
  if (s != NATS_OK) {
    error = "JetStream is not available: " + std::string(natsStatus_GetText(s));
    return nullptr;
  }
  // Open first: a role may read a bucket it is not allowed to create.
  s = js_KeyValue(&native->kv, native->js, bucket.c_str());
  if (s == NATS_NOT_FOUND && create) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = static_cast<uint8_t>(history);
    s = js_CreateKeyValue(&native->kv, native->js, &cfg);
  }
  if (s != NATS_OK) {
    const std::string detail = lastErrorText();
    if (s == NATS_NOT_FOUND)
      error = "no such bucket '" + bucket + "'";
    else if (s == NATS_TIMEOUT)
      error = "the server did not answer for bucket '" + bucket + "' within " + std::to_string(timeout.count()) +
              " ms (JetStream off, or this user may not use the JetStream API for it)";
    else if (s == NATS_NO_RESPONDERS)
      error = "JetStream is not enabled on the server";
    else
      error = "bucket '" + bucket + "': " + natsStatus_GetText(s) + (detail.empty() ? "" : " (" + detail + ")");
    return nullptr;
  }
  return std::unique_ptr<KeyValueBucket>(new KeyValueBucket(connection, bucket, std::move(native), timeout));
}

namespace {
// Why a write or read of `key` failed, naming the server's refusal when there was one.
std::string kvFailure(const NatsConnection& connection, const std::string& name, std::chrono::milliseconds timeout,
                      const char* what, const std::string& key, natsStatus s) {
  const std::string subject = "$KV." + name + "." + key;
  if (const std::string denied = connection.deniedReason(subject); !denied.empty())
    return "refused by the server: no permission to " + std::string(what) + " " + subject;
  if (s == NATS_TIMEOUT)
    return std::string(what) + " " + name + "/" + key + ": no acknowledgement within " + std::to_string(timeout.count()) +
           " ms (server unreachable, or not permitted)";
  const std::string detail = lastErrorText();
  return std::string(what) + " " + name + "/" + key + ": " + natsStatus_GetText(s) + (detail.empty() ? "" : " (" + detail + ")");
}
}  // namespace

std::string KeyValueBucket::failure(const char* what, const std::string& key, int status) const {
  return kvFailure(connection_, name_, timeout_, what, key, static_cast<natsStatus>(status));
}

KvPutResult KeyValueBucket::putWith(const std::shared_ptr<Native>& native, NatsConnection& connection, const std::string& name,
                                    std::chrono::milliseconds timeout, const std::string& key, const std::string& value) {
  KvPutResult r;
  const natsStatus s = kvStore_Put(&r.revision, native->kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) {
    r.revision = 0;
    r.error = kvFailure(connection, name, timeout, "write", key, s);
  }
  return r;
}

KvPutResult KeyValueBucket::put(const std::string& key, const std::string& value) {
  return putWith(native_, connection_, name_, timeout_, key, value);
}

void KeyValueBucket::putAsync(const std::string& key, const std::string& value, std::function<void(const KvPutResult&)> done) {
  // The job holds the bucket's native handles, not the bucket: the bucket may go first. The
  // connection may not: its worker (which runs the job) is joined when it closes.
  connection_.postBlocking([native = native_, &connection = connection_, name = name_, timeout = timeout_, key, value,
                            done = std::move(done)] { done(putWith(native, connection, name, timeout, key, value)); });
}

KvGetResult KeyValueBucket::get(const std::string& key) {
  KvGetResult r;
  kvEntry* entry = nullptr;
  const natsStatus s = kvStore_Get(&entry, native_->kv, key.c_str());
  if (s == NATS_NOT_FOUND) {
    r.error = "no such key";
    return r;
  }
  if (s != NATS_OK) {
    r.error = failure("read", key, s);
    return r;
  }
  r.found = true;
  if (const void* v = kvEntry_Value(entry)) r.value.assign(static_cast<const char*>(v), static_cast<size_t>(kvEntry_ValueLen(entry)));
  r.revision = kvEntry_Revision(entry);
  kvEntry_Destroy(entry);
  return r;
}

KvKeysResult KeyValueBucket::keys(const std::string& prefix) {
  KvKeysResult r;
  kvWatchOptions opts;
  kvWatchOptions_Init(&opts);
  opts.Timeout = timeout_.count();
  kvKeysList list{};
  const natsStatus s = kvStore_Keys(&list, native_->kv, &opts);
  if (s == NATS_NOT_FOUND) return r;  // an empty bucket
  if (s != NATS_OK) {
    r.error = "keys of " + name_ + ": " + natsStatus_GetText(s) + " " + lastErrorText();
    return r;
  }
  for (int i = 0; i < list.Count; ++i)
    if (std::string k = list.Keys[i]; k.rfind(prefix, 0) == 0) r.keys.push_back(std::move(k));
  kvKeysList_Destroy(&list);
  std::sort(r.keys.begin(), r.keys.end());
  return r;
}

std::string KeyValueBucket::remove(const std::string& key) {
  const natsStatus s = kvStore_Delete(native_->kv, key.c_str());
  return s == NATS_OK ? std::string() : failure("delete", key, s);
}

std::string KeyValueBucket::purge(const std::string& key) {
  kvPurgeOptions opts;
  kvPurgeOptions_Init(&opts);
  opts.Timeout = timeout_.count();
  const natsStatus s = kvStore_Purge(native_->kv, key.c_str(), &opts);
  return s == NATS_OK ? std::string() : failure("purge", key, s);
}

KvWatch KeyValueBucket::watch(const std::string& keys, KvWatchHandler handler, std::function<void()> caughtUp,
                              std::string& error) {
  error.clear();
  auto state = std::make_shared<KvWatch::State>();
  state->handler = std::move(handler);
  state->caughtUp = std::move(caughtUp);
  const natsStatus s = kvStore_Watch(&state->watcher, native_->kv, keys.c_str(), nullptr);
  if (s != NATS_OK) {
    error = "watch " + name_ + "/" + keys + ": " + natsStatus_GetText(s) + " " + lastErrorText();
    return KvWatch();
  }
  state->thread = std::thread(&KvWatch::State::run, state);
  return KvWatch(std::move(state));
}

}  // namespace kappa::nats
