#include "nats/NatsConnection.hpp"

#include <nats/nats.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>

#include "nats/CallbackGate.hpp"
#include "nats/LastError.hpp"
#include "nats/NatsSubscriptionState.hpp"
#include "nats/WorkerThread.hpp"

namespace kappa::nats {

namespace {

bool contains(const std::string& haystack, const char* needle) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

// The host of nats://[user:pass@]host:port[/...] or tls://…; "" if none.
std::string urlHost(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  const size_t at = url.find('@', start);
  if (at != std::string::npos) start = at + 1;
  if (start < url.size() && url[start] == '[') {  // [IPv6]
    const size_t close = url.find(']', start);
    return close == std::string::npos ? std::string() : url.substr(start + 1, close - start - 1);
  }
  const size_t end = url.find_first_of(":/", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string randomToken() {
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  std::string token;
  for (int i = 0; i < 22; ++i) token += alphabet[rd() % (sizeof(alphabet) - 1)];
  return token;
}

// The quoted subject of a server error such as
// 'Permissions Violation for Publish to "kappa.desk.halt"'; "" if none.
std::string quotedSubject(const std::string& text) {
  const size_t open = text.find('"');
  if (open == std::string::npos) return {};
  const size_t close = text.find('"', open + 1);
  return close == std::string::npos ? std::string() : text.substr(open + 1, close - open - 1);
}

// Why connect failed, in words a trader can act on.
std::string connectFailure(natsStatus s, const NatsSettings& settings) {
  const std::string detail = lastErrorText();
  if (s == NATS_CONNECTION_AUTH_FAILED || contains(detail, "authorization violation") ||
      contains(detail, "authentication")) {
    if (!settings.credsFile.empty()) return "authentication refused: the server rejects the credentials in " + settings.credsFile;
    if (settings.user.empty()) return "authentication refused: the server requires a user and password";
    return "authentication refused: wrong user or password";
  }
  if (s == NATS_SECURE_CONNECTION_REQUIRED || contains(detail, "secure connection required") ||
      contains(detail, "tls required"))
    return "the server at " + settings.url + " requires TLS: use tls:// and give its CA";
  if (s == NATS_SECURE_CONNECTION_WANTED) return "TLS was asked for but the server at " + settings.url + " does not offer it";
  if (s == NATS_SSL_ERROR || contains(detail, "ssl") || contains(detail, "certificate")) {
    if (contains(detail, "hostname mismatch") || contains(detail, "host mismatch"))
      return "TLS: the server's certificate is not for host '" +
             (settings.tlsHostname.empty() ? urlHost(settings.url) : settings.tlsHostname) + "'";
    if (contains(detail, "verify failed") || contains(detail, "unable to get") || contains(detail, "self signed") ||
        contains(detail, "self-signed"))
      return settings.caFile.empty() ? "TLS: the server's certificate is not signed by a CA this system trusts"
                                     : "TLS: the server's certificate is not signed by the CA in " + settings.caFile;
    if (contains(detail, "certificate required") || contains(detail, "handshake failure") || contains(detail, "alert"))
      return "TLS: the server refused the handshake (it may require a client certificate): " + detail;
    return "TLS: " + (detail.empty() ? std::string(natsStatus_GetText(s)) : detail);
  }
  // With TLS 1.3 a server that refuses the client's certificate (or its absence) closes the
  // connection only after the handshake: the client then sees the connection end at its first PING.
  if (settings.tlsRequested() && (s == NATS_PROTOCOL_ERROR || s == NATS_CONNECTION_CLOSED) &&
      contains(detail, "expected 'pong'"))
    return settings.certFile.empty()
               ? "TLS: the server closed the connection at once: it may require a client certificate signed by its CA"
               : "TLS: the server closed the connection at once: it may not accept the client certificate " + settings.certFile;
  if (s == NATS_NO_SERVER || s == NATS_TIMEOUT) return "no NATS server at " + settings.url;
  return "could not connect to " + settings.url + ": " + natsStatus_GetText(s) + (detail.empty() ? "" : " (" + detail + ")");
}

}  // namespace

struct NatsConnection::Impl {
  NatsSettings settings;
  Callbacks callbacks;
  natsConnection* nc = nullptr;
  CallbackGate gate;

  // closed callback seen (close() waits for it, bounded)
  std::mutex closedMutex;
  std::condition_variable closedCv;
  bool closedSeen = false;

  // Requests: one wildcard subscription on <inbox>.<random>.* answers them all.
  std::mutex requestMutex;
  std::string replyBase;
  natsSubscription* replySub = nullptr;
  uint64_t nextRequestId = 1;
  struct Pending {
    std::string subject;
    std::function<void(const NatsReply&)> done;
  };
  std::map<uint64_t, Pending> pending;

  mutable std::mutex deniedMutex;
  std::map<std::string, std::string> denied;  // subject -> the server's words

  WorkerThread* timeouts = nullptr;  // owned by NatsConnection (joined before Impl goes)
  WorkerThread* blocking = nullptr;

  // Removes and returns a pending request's callback (empty if already answered).
  std::function<void(const NatsReply&)> take(uint64_t id) {
    std::lock_guard lock(requestMutex);
    auto it = pending.find(id);
    if (it == pending.end()) return {};
    auto done = std::move(it->second.done);
    pending.erase(it);
    return done;
  }
  void finish(uint64_t id, const NatsReply& reply) {
    if (auto done = take(id)) gate.run([&] { done(reply); });
  }

  // libnats callbacks; the closure is a heap weak_ptr<Impl> (freed by onClosed / onReplyComplete).
  static std::shared_ptr<Impl> lock(void* closure) { return static_cast<std::weak_ptr<Impl>*>(closure)->lock(); }
  static void onDisconnected(natsConnection*, void* closure) {
    if (auto self = lock(closure)) self->gate.run([&] { if (self->callbacks.onDisconnected) self->callbacks.onDisconnected(); });
  }
  static void onReconnected(natsConnection*, void* closure) {
    if (auto self = lock(closure)) self->gate.run([&] { if (self->callbacks.onReconnected) self->callbacks.onReconnected(); });
  }
  static void onClosed(natsConnection*, void* closure) {
    if (auto self = lock(closure)) {
      self->gate.run([&] { if (self->callbacks.onClosed) self->callbacks.onClosed(); });
      std::lock_guard lk(self->closedMutex);
      self->closedSeen = true;
      self->closedCv.notify_all();
    }
    // The closed callback is the connection's last one: its closure can go.
    delete static_cast<std::weak_ptr<Impl>*>(closure);
  }
  static void onError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure) {
    auto self = lock(closure);
    if (!self) return;
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    std::string detail = text ? text : "";
    std::string message;
    if (err == NATS_NOT_PERMITTED || contains(detail, "permissions violation")) {
      const std::string subject = quotedSubject(detail);
      const bool isSubscribe = contains(detail, "subscription");
      message = std::string("permissions violation for ") + (isSubscribe ? "subscription to " : "publish to ") +
                (subject.empty() ? detail : subject);
      if (!subject.empty() && !isSubscribe) {
        {
          std::lock_guard lk(self->deniedMutex);
          self->denied[subject] = message;
        }
        // A request to that subject will never be answered: say so now rather than at its timeout.
        std::vector<uint64_t> refused;
        {
          std::lock_guard lk(self->requestMutex);
          for (const auto& [id, p] : self->pending)
            if (p.subject == subject) refused.push_back(id);
        }
        for (uint64_t id : refused)
          self->finish(id, NatsReply{false, {}, "refused by the server: no permission to publish " + subject});
      }
    } else if (err == NATS_SLOW_CONSUMER) {
      message = "slow consumer: messages dropped on " +
                std::string(sub ? natsSubscription_GetSubject(sub) : "a subscription");
    } else {
      message = std::string(natsStatus_GetText(err)) + (detail.empty() ? "" : ": " + detail);
    }
    self->gate.run([&] { if (self->callbacks.onError) self->callbacks.onError(message); });
  }
  static void onReply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    if (auto self = lock(closure)) {
      const std::string subject = natsMsg_GetSubject(msg);
      const size_t dot = subject.rfind('.');
      const uint64_t id = dot == std::string::npos ? 0 : std::strtoull(subject.c_str() + dot + 1, nullptr, 10);
      if (natsMsg_IsNoResponders(msg)) {
        std::string target;
        {
          std::lock_guard lk(self->requestMutex);
          auto it = self->pending.find(id);
          if (it != self->pending.end()) target = it->second.subject;
        }
        self->finish(id, NatsReply{false, {}, "no one answers on " + target});
      } else {
        const char* data = natsMsg_GetData(msg);
        self->finish(id, NatsReply{true, std::string(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(msg))), {}});
      }
    }
    natsMsg_Destroy(msg);
  }
  static void onReplyComplete(void* closure) { delete static_cast<std::weak_ptr<Impl>*>(closure); }
};

NatsConnection::NatsConnection() : impl_(std::make_shared<Impl>()) {}

NatsConnection::~NatsConnection() { close(); }

const NatsSettings& NatsConnection::settings() const { return impl_->settings; }

std::string NatsConnection::connect(const NatsSettings& settings, Callbacks callbacks) {
  if (impl_->nc) return "already connected";
  if (std::string bad = settings.validate(); !bad.empty()) return bad;
  // A fresh state for every connect: one that follows a close() starts with open callbacks.
  impl_ = std::make_shared<Impl>();
  impl_->settings = settings;
  impl_->callbacks = std::move(callbacks);
  if (!timeouts_) timeouts_ = std::make_unique<WorkerThread>();
  if (!blocking_) blocking_ = std::make_unique<WorkerThread>();
  impl_->timeouts = timeouts_.get();
  impl_->blocking = blocking_.get();

  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return "could not initialise the NATS client: " + lastErrorText();
  struct OptsGuard {
    natsOptions* o;
    ~OptsGuard() { natsOptions_Destroy(o); }
  } guard{opts};

  const std::string inbox = settings.effectiveInboxPrefix();
  natsStatus s = natsOptions_SetURL(opts, settings.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, settings.connectionName.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, settings.connectTimeout.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever: the desk's server comes back
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, settings.reconnectWait.count());
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, settings.pingInterval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, settings.maxPingsOut);
  if (s == NATS_OK) s = natsOptions_SetCustomInboxPrefix(opts, inbox.c_str());
  // Every message out at once: libnats otherwise lets its flusher wait 1 ms for more, which a
  // command, its answer and a desk halt each paid (measured: a command's round trip 1.8 ms, the
  // floor 0.24 ms). What is published is conflated (parts at display rate), so batching buys nothing.
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
  if (s != NATS_OK) return "bad NATS settings: " + std::string(natsStatus_GetText(s)) + " " + lastErrorText();

  if (!settings.credsFile.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, settings.credsFile.c_str(), nullptr);
    if (s != NATS_OK) return "the creds file " + settings.credsFile + " cannot be used: " + lastErrorText();
  } else if (!settings.user.empty()) {
    s = natsOptions_SetUserInfo(opts, settings.user.c_str(), settings.password.c_str());
    if (s != NATS_OK) return "could not set the user: " + std::string(natsStatus_GetText(s));
  }
  if (settings.tlsRequested()) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && !settings.caFile.empty()) {
      s = natsOptions_LoadCATrustedCertificates(opts, settings.caFile.c_str());
      if (s != NATS_OK) return "TLS: the CA file " + settings.caFile + " cannot be loaded: " + lastErrorText();
    }
    if (s == NATS_OK && !settings.certFile.empty()) {
      s = natsOptions_LoadCertificatesChain(opts, settings.certFile.c_str(), settings.keyFile.c_str());
      if (s != NATS_OK) return "TLS: the client certificate or key cannot be loaded: " + lastErrorText();
    }
    // Verify the certificate's name (a DNS name, or an address against its IP entries), not just
    // its chain: libnats checks the chain only unless it is told the name to expect.
    const std::string host = settings.tlsHostname.empty() ? urlHost(settings.url) : settings.tlsHostname;
    if (s == NATS_OK && !host.empty()) s = natsOptions_SetExpectedHostname(opts, host.c_str());
    if (s != NATS_OK) return "TLS settings: " + std::string(natsStatus_GetText(s)) + " " + lastErrorText();
  }

  // Each callback kind gets its own weak closure: libnats may hold them on different threads.
  auto* closedClosure = new std::weak_ptr<Impl>(impl_);
  auto* sharedClosure = new std::weak_ptr<Impl>(impl_);  // disconnect / reconnect / error: freed with Impl's life end below
  natsOptions_SetClosedCB(opts, &Impl::onClosed, closedClosure);
  natsOptions_SetDisconnectedCB(opts, &Impl::onDisconnected, sharedClosure);
  natsOptions_SetReconnectedCB(opts, &Impl::onReconnected, sharedClosure);
  natsOptions_SetErrorHandler(opts, &Impl::onError, sharedClosure);
  sharedClosure_ = sharedClosure;

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts);
  if (s != NATS_OK) {
    delete closedClosure;  // no connection, so no closed callback
    delete sharedClosure;
    sharedClosure_ = nullptr;
    return connectFailure(s, settings);
  }
  impl_->nc = nc;

  // The reply inbox for request(): answers to <inbox>.<random>.<id>.
  impl_->replyBase = inbox + "." + randomToken();
  auto* replyClosure = new std::weak_ptr<Impl>(impl_);
  natsSubscription* sub = nullptr;
  s = natsConnection_Subscribe(&sub, nc, (impl_->replyBase + ".*").c_str(), &Impl::onReply, replyClosure);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, &Impl::onReplyComplete, replyClosure);
  if (s != NATS_OK) {
    if (!sub) delete replyClosure;
    const std::string why = "could not subscribe to the reply inbox " + impl_->replyBase + ".*: " + natsStatus_GetText(s);
    close();
    return why;
  }
  impl_->replySub = sub;
  return {};
}

void NatsConnection::close() {
  Impl& impl = *impl_;
  if (!impl.nc) return;
  // Requests still waiting are told now (while callbacks still run).
  std::map<uint64_t, Impl::Pending> waiting;
  {
    std::lock_guard lock(impl.requestMutex);
    waiting.swap(impl.pending);
  }
  for (auto& [id, p] : waiting)
    impl.gate.run([&] { p.done(NatsReply{false, {}, "the NATS connection was closed"}); });

  if (impl.replySub) {
    natsSubscription_Unsubscribe(impl.replySub);
    natsSubscription_Destroy(impl.replySub);
    impl.replySub = nullptr;
  }
  natsConnection_Close(impl.nc);  // flushes, then the closed callback on libnats' thread
  {
    std::unique_lock lock(impl.closedMutex);
    impl.closedCv.wait_for(lock, std::chrono::seconds(2), [&] { return impl.closedSeen; });
  }
  impl.gate.close();  // from here on, no user callback runs
  natsConnection_Destroy(impl.nc);
  impl.nc = nullptr;
  // Stop the workers (their jobs hold only weak references) before the Impl can go.
  timeouts_.reset();
  blocking_.reset();
  impl.timeouts = impl.blocking = nullptr;
  // The disconnect/reconnect/error closure: libnats' async thread is done with this connection
  // once the closed callback ran; if it did not within the wait, keep (leak) the tiny closure.
  if (impl.closedSeen) delete static_cast<std::weak_ptr<Impl>*>(sharedClosure_);
  sharedClosure_ = nullptr;
}

bool NatsConnection::connected() const {
  return impl_->nc && natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED;
}

std::string NatsConnection::connectedUrl() const {
  if (!impl_->nc) return {};
  char buffer[512] = {};
  return natsConnection_GetConnectedUrl(impl_->nc, buffer, sizeof buffer) == NATS_OK ? buffer : "";
}

__natsConnection* NatsConnection::native() const { return impl_->nc; }

void NatsConnection::postBlocking(std::function<void()> job) {
  if (blocking_) blocking_->post(std::move(job));
}

std::string NatsConnection::publish(const std::string& subject, const std::string& data) {
  if (!impl_->nc) return "not connected";
  const natsStatus s = natsConnection_Publish(impl_->nc, subject.c_str(), data.data(), static_cast<int>(data.size()));
  if (s == NATS_OK) return {};
  return "publish to " + subject + " failed: " + natsStatus_GetText(s);
}

NatsSubscription NatsConnection::subscribe(const std::string& subject, MessageHandler handler, std::string* error,
                                           const std::string& queueGroup) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return NatsSubscription();
  };
  if (!impl_->nc) return fail("not connected");
  auto state = std::make_shared<NatsSubscription::State>();
  state->subject = subject;
  state->handler = std::move(handler);
  auto* closure = new std::shared_ptr<NatsSubscription::State>(state);
  natsSubscription* sub = nullptr;
  natsStatus s;
  {
    // Hold the handler's gate while subscribing so that a first message waits for `sub` below.
    std::lock_guard lock(state->callbackMutex);
    s = queueGroup.empty() ? natsConnection_Subscribe(&sub, impl_->nc, subject.c_str(), &NatsSubscription::State::deliver, closure)
                           : natsConnection_QueueSubscribe(&sub, impl_->nc, subject.c_str(), queueGroup.c_str(),
                                                           &NatsSubscription::State::deliver, closure);
    if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, &NatsSubscription::State::complete, closure);
    state->sub = sub;
  }
  if (s != NATS_OK) {
    if (sub) {
      natsSubscription_Destroy(sub);  // complete() may never come: the closure leaks rather than dangles
    } else {
      delete closure;
    }
    return fail("subscribe to " + subject + " failed: " + natsStatus_GetText(s) + " " + lastErrorText());
  }
  if (error) error->clear();
  return NatsSubscription(std::move(state));
}

void NatsConnection::request(const std::string& subject, const std::string& data, std::chrono::milliseconds timeout,
                             std::function<void(const NatsReply&)> done) {
  Impl& impl = *impl_;
  if (!impl.nc || !impl.replySub || !timeouts_) {
    done(NatsReply{false, {}, "not connected"});  // on the caller's thread, before returning
    return;
  }
  uint64_t id;
  {
    std::lock_guard lock(impl.requestMutex);
    id = impl.nextRequestId++;
    impl.pending.emplace(id, Impl::Pending{subject, std::move(done)});
  }
  const std::string reply = impl.replyBase + "." + std::to_string(id);
  const natsStatus s = natsConnection_PublishRequest(impl.nc, subject.c_str(), reply.c_str(), data.data(),
                                                     static_cast<int>(data.size()));
  if (s != NATS_OK) {
    impl.finish(id, NatsReply{false, {}, "request to " + subject + " not sent: " + natsStatus_GetText(s)});
    return;
  }
  std::weak_ptr<Impl> weak = impl_;
  timeouts_->postAfter(timeout, [weak, id, timeout, subject] {
    if (auto self = weak.lock())
      self->finish(id, NatsReply{false, {}, "no answer from " + subject + " within " + std::to_string(timeout.count()) + " ms"});
  });
}

std::string NatsConnection::flush(std::chrono::milliseconds timeout) {
  if (!impl_->nc) return "not connected";
  const natsStatus s = natsConnection_FlushTimeout(impl_->nc, timeout.count());
  return s == NATS_OK ? std::string() : std::string("flush: ") + natsStatus_GetText(s);
}

std::optional<std::chrono::microseconds> NatsConnection::rtt() {
  if (!connected()) return std::nullopt;
  int64_t ns = 0;
  if (natsConnection_GetRTT(impl_->nc, &ns) != NATS_OK) return std::nullopt;
  return std::chrono::microseconds(ns / 1000);
}

void NatsConnection::rttAsync(std::function<void(std::optional<std::chrono::microseconds>)> done) {
  if (!blocking_) {
    done(std::nullopt);
    return;
  }
  blocking_->post([this, done = std::move(done)] {
    const auto value = rtt();
    impl_->gate.run([&] { done(value); });
  });
}

std::string NatsConnection::deniedReason(const std::string& subject) const {
  std::lock_guard lock(impl_->deniedMutex);
  auto it = impl_->denied.find(subject);
  return it == impl_->denied.end() ? std::string() : it->second;
}

}  // namespace kappa::nats
