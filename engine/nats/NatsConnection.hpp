#pragma once
// One connection to a nats-server (RAII over libnats' natsConnection): connect with a reason a
// trader understands when it fails, then reconnect forever; publish, subscribe, asynchronous
// request/response, the server's asynchronous errors (permission violations name the subject), and
// the round-trip time.
//
// Threads. libnats runs message callbacks on its delivery thread (one per connection by default),
// and onDisconnected / onReconnected / onClosed / onError on its own "async callbacks" thread.
// Request answers arrive on the delivery thread, request timeouts on this connection's timeout
// thread. Callbacks must be short and must not destroy this connection.
//
// What blocks (keep it off the engine thread and the GUI thread): connect() (up to the connect
// timeout), flush(), rtt(), close(); KeyValueBucket's open/get/put/keys. Never blocking: publish(),
// request(), respond(), subscribe(), connected(), rttAsync().
//
// connect() and close() belong to the owner and must not run concurrently with other calls; once
// connected, publish / subscribe / request / respond / connected / rtt may be called from any thread.
// Subscriptions and KV watches may outlive the connection (they then receive nothing); a
// KeyValueBucket may not.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "nats/NatsSettings.hpp"
#include "nats/NatsSubscription.hpp"

struct __natsConnection;  // libnats' natsConnection, for KeyValueBucket

namespace kappa::nats {

class WorkerThread;

// The answer to a request: its payload, or why there is none ("no answer within 2000 ms",
// "no one answers on kappa.a.cmd.trader.submit", "refused by the server: no permission to publish
// kappa.desk.halt").
struct NatsReply {
  bool ok = false;
  std::string data;
  std::string error;
};

class NatsConnection {
 public:
  struct Callbacks {
    std::function<void()> onDisconnected;         // the link is lost (libnats keeps reconnecting)
    std::function<void()> onReconnected;          // back; subscriptions were restored by libnats
    std::function<void()> onClosed;               // closed for good (close() or destruction)
    std::function<void(const std::string&)> onError;  // e.g. "permissions violation for publish to kappa.desk.halt"
  };

  NatsConnection();
  ~NatsConnection();  // close(); no callback runs after it returns
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // Blocks until connected or failed: "" on success, else the reason, e.g.
  // "authentication refused: wrong user or password", "no NATS server at nats://127.0.0.1:4222",
  // "TLS: the server's certificate is not signed by the CA in ca.pem". The callbacks are wired
  // here. Again only after close() (a fresh start).
  std::string connect(const NatsSettings& settings, Callbacks callbacks = {});
  void close();  // blocks briefly: flushes what is buffered, then onClosed

  bool connected() const;  // now, without blocking
  const NatsSettings& settings() const;
  std::string connectedUrl() const;

  // Queues the message (buffered while reconnecting). "" or why not (closed, bad subject). A
  // permission denial arrives later through onError.
  std::string publish(const std::string& subject, const std::string& data);
  // Subscribes (queue group optional). The handler runs on libnats' delivery thread. An empty
  // (inactive) subscription and `error` set when it failed.
  NatsSubscription subscribe(const std::string& subject, MessageHandler handler, std::string* error = nullptr,
                             const std::string& queueGroup = {});
  // Sends `data` to `subject` with a reply inbox of this connection and returns at once; `done` runs
  // exactly once: with the answer (delivery thread) or an error (timeout thread, or the async
  // callbacks thread when the server refuses the publish, or the caller's thread before request()
  // returns when not connected; close() fails the waiting ones on its caller's thread).
  void request(const std::string& subject, const std::string& data, std::chrono::milliseconds timeout,
               std::function<void(const NatsReply&)> done);
  // Answers a request received by a subscription handler (replyTo from it).
  std::string respond(const std::string& replyTo, const std::string& data) { return publish(replyTo, data); }

  // Blocks until the server has processed everything sent so far (and so has reported any
  // permission violation for it), or the timeout. "" or why not.
  std::string flush(std::chrono::milliseconds timeout);
  // Round-trip time of a PING, blocking up to the ping timeout; nullopt when not connected.
  std::optional<std::chrono::microseconds> rtt();
  // The same on this connection's worker thread; `done` runs there.
  void rttAsync(std::function<void(std::optional<std::chrono::microseconds>)> done);

  // The last "permissions violation" the server reported for `subject` (empty if none): lets a
  // blocking call that timed out (a KV put) say that the server refused it.
  std::string deniedReason(const std::string& subject) const;
  // The libnats handle, for KeyValueBucket (nullptr when not connected).
  __natsConnection* native() const;
  // Runs `job` on this connection's worker for blocking calls (KeyValueBucket's *Async calls).
  // Dropped if the connection is closed first.
  void postBlocking(std::function<void()> job);

  struct Impl;  // NatsConnection.cpp

 private:
  std::shared_ptr<Impl> impl_;
  // The workers live here, not in Impl, so that they are joined on the owner's thread (close()),
  // never by one of their own jobs.
  std::unique_ptr<WorkerThread> timeouts_;  // request timeouts
  std::unique_ptr<WorkerThread> blocking_;  // rttAsync and other blocking calls
  void* sharedClosure_ = nullptr;           // libnats' closure for disconnect / reconnect / error
};

}  // namespace kappa::nats
