// engine/nats against a real nats-server (tests/NatsServerProcess) running the desk's roles file
// (docs/desk/nats-server-roles.conf): every role connects, a wrong password is refused with the
// reason, the server refuses what a role may not do (the trader's desk halt, an engine writing
// another engine's keys or the desk bucket), key-value put/get/watch with a late watcher,
// request/response on a command subject, TLS with the right and the wrong CA, and a server that is
// killed and comes back on the same port. Every wait is bounded.
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "NatsServerProcess.hpp"
#include "TestCa.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"
#include "TestPaths.hpp"

using namespace kappa::nats;
using kappa::test::NatsServerProcess;

namespace {

// Polls `done` until true or `ms` passed (callbacks arrive on libnats' threads).
template <class F>
bool waitUntil(F done, int ms = 10000) {
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    QThread::msleep(10);
  }
  return true;
}

// Thread-safe list of what arrived on a libnats thread.
struct Received {
  mutable std::mutex m;
  std::vector<std::string> items;
  void add(const std::string& s) {
    std::lock_guard lock(m);
    items.push_back(s);
  }
  size_t size() const {
    std::lock_guard lock(m);
    return items.size();
  }
  bool contains(const std::string& s) const {
    std::lock_guard lock(m);
    return std::find(items.begin(), items.end(), s) != items.end();
  }
  bool containsPart(const std::string& s) const {
    std::lock_guard lock(m);
    for (const auto& i : items)
      if (i.find(s) != std::string::npos) return true;
    return false;
  }
  std::string joined() const {
    std::lock_guard lock(m);
    std::string all;
    for (const auto& i : items) all += i + " | ";
    return all;
  }
};

NatsSettings settingsFor(const NatsServerProcess& server, const std::string& user) {
  NatsSettings s;
  s.url = server.url().toStdString();
  s.user = user;
  s.password = server.password(QString::fromStdString(user)).toStdString();
  s.connectionName = "tst_nats " + user;
  s.reconnectWait = std::chrono::milliseconds(100);
  return s;
}

// Sends a request and waits for its reply (bounded: the request's own timeout answers it at the
// latest). Without any callback within 10 s, a reply saying so. The reply is shared with the
// callback, which stays safe even if it came after this returned.
NatsReply requestAndWait(NatsConnection& c, const std::string& subject, const std::string& data,
                         std::chrono::milliseconds timeout) {
  struct Awaited {
    std::mutex m;
    std::optional<NatsReply> reply;
  };
  auto awaited = std::make_shared<Awaited>();
  c.request(subject, data, timeout, [awaited](const NatsReply& r) {
    std::lock_guard lock(awaited->m);
    awaited->reply = r;
  });
  std::optional<NatsReply> got;
  waitUntil([&] {
    std::lock_guard lock(awaited->m);
    got = awaited->reply;
    return got.has_value();
  });
  return got.value_or(NatsReply{false, {}, "no reply callback within 10 s for " + subject});
}

// A nats-server with TLS, its certificate (for 127.0.0.1) from a test CA made in its own directory.
struct TlsServer {
  QTemporaryDir dir;
  kappa::test::TestCa ca;
  NatsServerProcess server;
  // "" once it listens; verifyClients: it wants a client certificate signed by the CA.
  QString start(bool verifyClients = false) {
    if (const QString why = kappa::test::makeTestCa(dir.path(), ca); !why.isEmpty()) return why;
    NatsServerProcess::Options tls;
    tls.tlsCert = ca.certFile;
    tls.tlsKey = ca.keyFile;
    tls.tlsCa = ca.caFile;
    tls.verifyClients = verifyClients;
    return server.start(tls);
  }
};

// A connection whose errors (permission violations) are collected.
struct Client {
  NatsConnection connection;
  Received errors;
  std::atomic<int> disconnects{0}, reconnects{0};
  std::string connect(const NatsSettings& s) {
    NatsConnection::Callbacks cb;
    cb.onError = [this](const std::string& e) { errors.add(e); };
    cb.onDisconnected = [this] { ++disconnects; };
    cb.onReconnected = [this] { ++reconnects; };
    return connection.connect(s, std::move(cb));
  }
};

}  // namespace

class TestNats : public QObject {
  Q_OBJECT

 private:
  NatsServerProcess server_;

  std::unique_ptr<Client> connectAs(const std::string& user) {
    auto c = std::make_unique<Client>();
    const std::string why = c->connect(settingsFor(server_, user));
    if (!why.empty()) qWarning("%s cannot connect: %s", user.c_str(), why.c_str());
    return why.empty() ? std::move(c) : nullptr;
  }

  // risk and engine-a connected, each with the bucket it owns (made when missing). "" or why not.
  struct BucketOwners {
    std::unique_ptr<Client> risk, engineA;
    std::unique_ptr<KeyValueBucket> desk, engines;  // declared last: closed before their connections
  };
  std::string connectBucketOwners(BucketOwners& o) {
    o.risk = connectAs("risk");
    o.engineA = connectAs("engine-a");
    if (!o.risk || !o.engineA) return "risk or engine-a cannot connect";
    std::string error;
    if (!(o.desk = KeyValueBucket::openOrCreate(o.risk->connection, "kappa_desk", error))) return "kappa_desk: " + error;
    if (!(o.engines = KeyValueBucket::openOrCreate(o.engineA->connection, "kappa_engines", error)))
      return "kappa_engines: " + error;
    return {};
  }

 private slots:
  void initTestCase() {
    const QString why = server_.start();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QVERIFY(server_.port() > 0);
  }

  void settingsDescribeNeverShowsThePassword() {
    NatsSettings s = settingsFor(server_, "trader");
    const std::string d = s.describe();
    QVERIFY(d.find("trader") != std::string::npos);
    QVERIFY(d.find(s.password) == std::string::npos);
    QCOMPARE(s.effectiveInboxPrefix(), std::string("_INBOX.trader"));
    s.url = "http://127.0.0.1:1";
    QVERIFY(!s.validate().empty());
    // From the environment: user and password, unless a creds file is given.
    qputenv("KAPPA_NATS_USER", "viewer");
    qputenv("KAPPA_NATS_PASSWORD", "secret-value");
    const NatsSettings env = NatsSettings::fromEnvironment("nats://127.0.0.1:4222");
    QCOMPARE(env.user, std::string("viewer"));
    QCOMPARE(env.password, std::string("secret-value"));
    QVERIFY(env.describe().find("secret-value") == std::string::npos);
    QVERIFY(NatsSettings::fromEnvironment("nats://127.0.0.1:4222", "/x.creds").user.empty());
    qunsetenv("KAPPA_NATS_USER");
    qunsetenv("KAPPA_NATS_PASSWORD");
  }

  void everyRoleConnects() {
    for (const QString& user : NatsServerProcess::users()) {
      auto c = connectAs(user.toStdString());
      QVERIFY2(c, qPrintable(user));
      QVERIFY(c->connection.connected());
      QVERIFY(c->connection.rtt().has_value());
      std::atomic<bool> got{false};
      c->connection.rttAsync([&](std::optional<std::chrono::microseconds> rtt) { got = rtt.has_value(); });
      QVERIFY(waitUntil([&] { return got.load(); }));
    }
  }

  void wrongPasswordAndNoServerAreRefusedWithTheReason() {
    NatsSettings s = settingsFor(server_, "trader");
    s.password = "not-the-password";
    NatsConnection c;
    QCOMPARE(c.connect(s), std::string("authentication refused: wrong user or password"));
    QVERIFY(!c.connected());

    NatsSettings nobody = settingsFor(server_, "trader");
    nobody.user.clear();
    nobody.password.clear();
    NatsConnection c2;
    QCOMPARE(c2.connect(nobody), std::string("authentication refused: the server requires a user and password"));

    // A port where nothing listens (a server started and stopped: the port is free).
    NatsServerProcess gone;
    NatsServerProcess::Options bare;
    bare.roles = false;
    bare.jetstream = false;
    QVERIFY(gone.start(bare).isEmpty());
    const QString url = gone.url();
    gone.stop();
    NatsSettings none;
    none.url = url.toStdString();
    NatsConnection c3;
    QCOMPARE(c3.connect(none), "no NATS server at " + none.url);
  }

  void onlyRiskMayHaltTheDesk() {
    auto risk = connectAs("risk");
    auto trader = connectAs("trader");
    auto engine = connectAs("engine-a");
    QVERIFY(risk && trader && engine);
    Received atRisk, atEngine;
    NatsSubscription s1 = risk->connection.subscribe("kappa.desk.halt", [&](auto&, const std::string& d, auto&) { atRisk.add(d); });
    NatsSubscription s2 = engine->connection.subscribe("kappa.desk.halt", [&](auto&, const std::string& d, auto&) { atEngine.add(d); });
    QVERIFY(s1.active() && s2.active());
    QCOMPARE(risk->connection.flush(std::chrono::milliseconds(5000)), std::string());
    QCOMPARE(engine->connection.flush(std::chrono::milliseconds(5000)), std::string());

    // The trader's halt: the client sends it, the server refuses it and says so.
    QCOMPARE(trader->connection.publish("kappa.desk.halt", "halt from trader"), std::string());
    trader->connection.flush(std::chrono::milliseconds(5000));
    QVERIFY2(waitUntil([&] { return trader->errors.contains("permissions violation for publish to kappa.desk.halt"); }),
             trader->errors.joined().c_str());
    QCOMPARE(trader->connection.deniedReason("kappa.desk.halt"), std::string("permissions violation for publish to kappa.desk.halt"));
    // An engine may not halt the desk either.
    engine->connection.publish("kappa.desk.halt", "halt from engine");
    engine->connection.flush(std::chrono::milliseconds(5000));
    QVERIFY(waitUntil([&] { return engine->errors.contains("permissions violation for publish to kappa.desk.halt"); }));

    // Risk's halt reaches everyone; afterwards it is certain the earlier ones never will.
    QCOMPARE(risk->connection.publish("kappa.desk.halt", "halt from risk"), std::string());
    QVERIFY(waitUntil([&] { return atRisk.contains("halt from risk") && atEngine.contains("halt from risk"); }));
    QVERIFY(risk->errors.size() == 0);
    QCOMPARE(atRisk.size(), size_t(1));
    QCOMPARE(atEngine.size(), size_t(1));

    // A trader pretending to be risk on a command subject: refused at once, not at the timeout.
    const NatsReply reply = requestAndWait(trader->connection, "kappa.a.cmd.risk.halt", "{}", std::chrono::milliseconds(8000));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error, std::string("refused by the server: no permission to publish kappa.a.cmd.risk.halt"));
  }

  void enginesWriteOnlyTheirOwnKeys() {
    BucketOwners owners;
    std::string error = connectBucketOwners(owners);
    QVERIFY2(error.empty(), error.c_str());
    auto& [risk, engineA, desk, engines] = owners;

    const KvPutResult own = engines->put("a.engine", "state of a");
    QVERIFY2(own.ok(), own.error.c_str());
    QVERIFY(own.revision > 0);
    const KvPutResult other = engines->put("b.engine", "forged state of b");
    QVERIFY(!other.ok());
    QCOMPARE(other.error, std::string("refused by the server: no permission to write $KV.kappa_engines.b.engine"));
    QVERIFY(engineA->errors.contains("permissions violation for publish to $KV.kappa_engines.b.engine"));

    // The desk bucket: the engine reads it, never writes it.
    QVERIFY(desk->put("halt", "").ok());
    auto deskFromEngine = KeyValueBucket::openOrCreate(engineA->connection, "kappa_desk", error);
    QVERIFY2(deskFromEngine, error.c_str());
    const KvPutResult halt = deskFromEngine->put("halt", "engine says halt");
    QVERIFY(!halt.ok());
    QCOMPARE(halt.error, std::string("refused by the server: no permission to write $KV.kappa_desk.halt"));
    const KvGetResult read = deskFromEngine->get("halt");
    QVERIFY2(read.found, read.error.c_str());
    QCOMPARE(read.value, std::string());

    // Another engine's subjects are not its own either.
    engineA->connection.publish("kappa.b.state.engine", "forged");
    engineA->connection.flush(std::chrono::milliseconds(5000));
    QVERIFY(waitUntil([&] { return engineA->errors.contains("permissions violation for publish to kappa.b.state.engine"); }));

    // Risk writes the desk's keys.
    const KvPutResult riskHalt = desk->put("halt", "halted by risk");
    QVERIFY2(riskHalt.ok(), riskHalt.error.c_str());
    QCOMPARE(deskFromEngine->get("halt").value, std::string("halted by risk"));
    QVERIFY(desk->put("halt", "").ok());
  }

  void keyValuePutGetWatch() {
    auto engineA = connectAs("engine-a");
    auto engineB = connectAs("engine-b");
    auto viewer = connectAs("viewer");
    QVERIFY(engineA && engineB && viewer);
    std::string error;
    auto a = KeyValueBucket::openOrCreate(engineA->connection, "kappa_engines", error);
    QVERIFY2(a, error.c_str());
    auto b = KeyValueBucket::openOrCreate(engineB->connection, "kappa_engines", error);
    QVERIFY2(b, error.c_str());
    QVERIFY(a->put("a.engine", "a1").ok());
    QVERIFY(a->put("a.quotes", std::string("q\0uotes", 7)).ok());  // bytes, not C strings
    QVERIFY(b->put("b.engine", "b1").ok());

    const KvGetResult got = a->get("a.quotes");
    QVERIFY(got.found);
    QCOMPARE(got.value, std::string("q\0uotes", 7));
    const KvGetResult missing = a->get("a.nothing");
    QVERIFY(!missing.found);
    QCOMPARE(missing.error, std::string("no such key"));

    // A viewer opens (cannot create), reads and watches; a late watcher gets the current values at once.
    auto v = KeyValueBucket::open(viewer->connection, "kappa_engines", error);
    QVERIFY2(v, error.c_str());
    QCOMPARE(v->get("b.engine").value, std::string("b1"));
    std::mutex m;
    std::map<std::string, std::string> seen;
    std::vector<std::string> deleted;
    std::atomic<bool> caughtUp{false};
    KvWatch watch = v->watch(
        ">",
        [&](const std::string& key, const std::string& value, uint64_t, bool isDeleted) {
          std::lock_guard lock(m);
          if (isDeleted) {
            deleted.push_back(key);
            seen.erase(key);
          } else {
            seen[key] = value;
          }
        },
        [&] { caughtUp = true; }, error);
    QVERIFY2(watch.active(), (error + " " + viewer->errors.joined()).c_str());
    QVERIFY(waitUntil([&] { return caughtUp.load(); }));
    {
      std::lock_guard lock(m);
      QCOMPARE(seen["a.engine"], std::string("a1"));
      QCOMPARE(seen["b.engine"], std::string("b1"));
      QCOMPARE(seen["a.quotes"], std::string("q\0uotes", 7));
    }
    // Then the changes as they happen.
    QVERIFY(a->put("a.engine", "a2").ok());
    QVERIFY(waitUntil([&] {
      std::lock_guard lock(m);
      return seen["a.engine"] == "a2";
    }));
    QCOMPARE(a->remove("a.quotes"), std::string());
    QVERIFY(waitUntil([&] {
      std::lock_guard lock(m);
      return std::find(deleted.begin(), deleted.end(), "a.quotes") != deleted.end();
    }));
    const KvKeysResult keys = v->keys("a.");
    QVERIFY2(keys.error.empty(), keys.error.c_str());
    QCOMPARE(keys.keys, std::vector<std::string>{"a.engine"});
    watch.stop();
    QVERIFY(!watch.active());

    // Asynchronous put (the engine's publisher thread never waits for the acknowledgement).
    std::atomic<uint64_t> revision{0};
    a->putAsync("a.engine", "a3", [&](const KvPutResult& r) { revision = r.revision; });
    QVERIFY(waitUntil([&] { return revision.load() > 0; }));
    QCOMPARE(v->get("a.engine").value, std::string("a3"));

    // The viewer writes nothing.
    const KvPutResult forged = v->put("a.engine", "viewer");
    QVERIFY(!forged.ok());
    QVERIFY2(forged.error.rfind("refused by the server", 0) == 0, forged.error.c_str());
    // No role's JetStream call was refused on the way (the roles file grants what KV needs).
    for (Client* c : {engineA.get(), engineB.get()}) QVERIFY2(c->errors.size() == 0, c->errors.joined().c_str());
    QVERIFY2(!viewer->errors.containsPart("$JS."), viewer->errors.joined().c_str());
  }

  void everyRoleReadsBothBuckets() {
    // The buckets exist (made by their owners), each with a key.
    BucketOwners owners;
    std::string error = connectBucketOwners(owners);
    QVERIFY2(error.empty(), error.c_str());
    auto& [risk, engineA, desk, engines] = owners;
    QVERIFY(desk->put("limits", "desk limits").ok());
    QVERIFY(engines->put("a.desk", "summary of a").ok());

    for (const char* user : {"engine-a", "engine-b", "trader", "risk", "viewer"}) {
      auto c = connectAs(user);
      QVERIFY2(c, user);
      for (const char* bucket : {"kappa_desk", "kappa_engines"}) {
        const QByteArray what = QByteArray(user) + " " + bucket;
        auto kv = KeyValueBucket::open(c->connection, bucket, error);
        QVERIFY2(kv, (what + ": " + error.c_str()).constData());
        const KvGetResult got = kv->get(std::string(bucket) == "kappa_desk" ? "limits" : "a.desk");
        QVERIFY2(got.found, (what + ": " + got.error.c_str()).constData());
        std::atomic<int> values{0};
        std::atomic<bool> caughtUp{false};
        KvWatch w = kv->watch(">", [&](auto&, auto&, uint64_t, bool) { ++values; }, [&] { caughtUp = true; }, error);
        QVERIFY2(w.active(), (what + ": " + error.c_str()).constData());
        QVERIFY2(waitUntil([&] { return caughtUp.load(); }), what.constData());
        QVERIFY(values.load() >= 1);
        const KvKeysResult keys = kv->keys();
        QVERIFY2(keys.error.empty() && !keys.keys.empty(), (what + ": " + keys.error.c_str()).constData());
      }
      c->connection.flush(std::chrono::milliseconds(5000));
      QVERIFY2(c->errors.size() == 0, (QByteArray(user) + ": " + c->errors.joined().c_str()).constData());
    }

    // Only risk writes the desk bucket; a viewer sends no command.
    auto viewer = connectAs("viewer");
    QVERIFY(viewer);
    const NatsReply reply = requestAndWait(viewer->connection, "kappa.a.cmd.viewer.halt", "", std::chrono::milliseconds(8000));
    QCOMPARE(reply.error, std::string("refused by the server: no permission to publish kappa.a.cmd.viewer.halt"));
    // Nor may a viewer or a trader create a bucket.
    auto made = KeyValueBucket::openOrCreate(viewer->connection, "kappa_other", error, 1, std::chrono::milliseconds(1000));
    QVERIFY(!made);
    QVERIFY2(!error.empty(), error.c_str());
  }

  void largeValuesAndAWatchWithMuchToDeliver() {
    // Big snapshot parts: a 4 MB message and 1 MB values (max_payload is 8 MB), and a late watcher
    // of a bucket holding 24 MB, more than the watch's consumer delivers without flow control.
    auto engineA = connectAs("engine-a");
    auto viewer = connectAs("viewer");
    QVERIFY(engineA && viewer);
    Received sizes;
    NatsSubscription sub = viewer->connection.subscribe("kappa.a.state.big", [&](auto&, const std::string& d, auto&) {
      sizes.add(std::to_string(d.size()));
    });
    viewer->connection.flush(std::chrono::milliseconds(5000));
    std::string big(4 << 20, 'x');
    QCOMPARE(engineA->connection.publish("kappa.a.state.big", big), std::string());
    QVERIFY(waitUntil([&] { return sizes.contains(std::to_string(4 << 20)); }));

    std::string error;
    auto kv = KeyValueBucket::openOrCreate(engineA->connection, "kappa_engines", error);
    QVERIFY2(kv, error.c_str());
    const int count = 24;
    for (int i = 0; i < count; ++i) {
      std::string value(1 << 20, char('a' + i % 26));
      const KvPutResult r = kv->put("a.big" + std::to_string(i), value);
      QVERIFY2(r.ok(), r.error.c_str());
    }
    auto v = KeyValueBucket::open(viewer->connection, "kappa_engines", error);
    QVERIFY2(v, error.c_str());
    std::atomic<int> bigValues{0};
    std::atomic<bool> caughtUp{false};
    KvWatch w = v->watch(
        "a.>", [&](const std::string& key, const std::string& value, uint64_t, bool) {
          if (key.rfind("a.big", 0) == 0 && value.size() == size_t(1 << 20)) ++bigValues;
        },
        [&] { caughtUp = true; }, error);
    QVERIFY2(w.active(), error.c_str());
    QVERIFY2(waitUntil([&] { return caughtUp.load(); }, 30000), viewer->errors.joined().c_str());
    QCOMPARE(bigValues.load(), count);
    QVERIFY2(viewer->errors.size() == 0, viewer->errors.joined().c_str());
    w.stop();
    for (int i = 0; i < count; ++i) QCOMPARE(kv->purge("a.big" + std::to_string(i)), std::string());
  }

  void callbacksMayEndTheirOwnSubscriptionOrWatch() {
    auto risk = connectAs("risk");
    QVERIFY(risk);
    // A subscription that ends itself on its first message: no second delivery, no hang.
    std::atomic<int> deliveries{0};
    NatsSubscription once;
    once = risk->connection.subscribe("kappa.desk.once", [&](auto&, auto&, auto&) {
      ++deliveries;
      once.unsubscribe();
    });
    QVERIFY(once.active());
    risk->connection.flush(std::chrono::milliseconds(5000));
    for (int i = 0; i < 5; ++i) risk->connection.publish("kappa.desk.once", "x");
    risk->connection.flush(std::chrono::milliseconds(5000));
    QVERIFY(waitUntil([&] { return deliveries.load() >= 1; }));
    QThread::msleep(200);
    QCOMPARE(deliveries.load(), 1);

    // A watch stopped from its own callback.
    std::string error;
    auto desk = KeyValueBucket::openOrCreate(risk->connection, "kappa_desk", error);
    QVERIFY2(desk, error.c_str());
    QVERIFY(desk->put("halt", "").ok());
    KvWatch watch;
    std::atomic<int> seen{0};
    watch = desk->watch("halt", [&](auto&, auto&, uint64_t, bool) {
      ++seen;
      watch.stop();
    }, {}, error);
    QVERIFY(waitUntil([&] { return seen.load() == 1 && !watch.active(); }));

    // A watch whose connection closes ends by itself.
    Client other;
    QCOMPARE(other.connect(settingsFor(server_, "viewer")), std::string());
    auto viewed = KeyValueBucket::open(other.connection, "kappa_desk", error);
    QVERIFY2(viewed, error.c_str());
    KvWatch ending = viewed->watch(">", [](auto&, auto&, uint64_t, bool) {}, {}, error);
    QVERIFY(ending.running());
    other.connection.close();
    QVERIFY(waitUntil([&] { return !ending.running(); }));
    ending.stop();
    // A subscription that outlives its connection is ended without harm.
    NatsSubscription orphan;
    {
      Client gone;
      QCOMPARE(gone.connect(settingsFor(server_, "risk")), std::string());
      orphan = gone.connection.subscribe("kappa.desk.orphan", [](auto&, auto&, auto&) {});
      QVERIFY(orphan.active());
    }
    orphan.unsubscribe();
    QVERIFY(!orphan.active());
    // putAsync after its bucket is gone, and requests on a closed connection, answer or are dropped.
    std::atomic<bool> putDone{false};
    desk->putAsync("halt", "", [&](const KvPutResult& r) { putDone = r.ok(); });
    desk.reset();
    QVERIFY(waitUntil([&] { return putDone.load(); }));
    NatsReply closedReply;
    other.connection.request("kappa.a.cmd.viewer.x", "", std::chrono::milliseconds(100), [&](const NatsReply& r) { closedReply = r; });
    QCOMPARE(closedReply.error, std::string("not connected"));
  }

  void commandRequestAndResponse() {
    auto engineA = connectAs("engine-a");
    auto trader = connectAs("trader");
    auto risk = connectAs("risk");
    QVERIFY(engineA && trader && risk);
    Received commands;
    NatsConnection& engineConn = engineA->connection;
    NatsSubscription cmd = engineA->connection.subscribe(
        "kappa.a.cmd.>", [&](const std::string& subject, const std::string& data, const std::string& replyTo) {
          commands.add(subject);
          engineConn.respond(replyTo, "accepted " + subject + " " + data);
        });
    QVERIFY(cmd.active());
    QCOMPARE(engineA->connection.flush(std::chrono::milliseconds(5000)), std::string());

    // The trader sees engine a's state, not other users' commands to it: all of kappa.a.> is refused.
    Received atTrader;
    NatsSubscription watchA = trader->connection.subscribe("kappa.a.state.>", [&](const std::string& s, auto&, auto&) { atTrader.add(s); });
    NatsSubscription watchAll = trader->connection.subscribe("kappa.a.>", [&](const std::string& s, auto&, auto&) { atTrader.add(s); });
    QVERIFY(watchA.active());
    trader->connection.flush(std::chrono::milliseconds(5000));
    QVERIFY2(waitUntil([&] { return trader->errors.contains("permissions violation for subscription to kappa.a.>"); }),
             trader->errors.joined().c_str());

    NatsReply reply = requestAndWait(trader->connection, "kappa.a.cmd.trader.submit", "BUY 1", std::chrono::milliseconds(5000));
    QVERIFY2(reply.ok, reply.error.c_str());
    QCOMPARE(reply.data, std::string("accepted kappa.a.cmd.trader.submit BUY 1"));

    reply = requestAndWait(risk->connection, "kappa.a.cmd.risk.halt", "", std::chrono::milliseconds(5000));
    QVERIFY2(reply.ok, reply.error.c_str());
    QCOMPARE(commands.size(), size_t(2));

    // No engine b running: told at once.
    reply = requestAndWait(trader->connection, "kappa.b.cmd.trader.submit", "BUY 1", std::chrono::milliseconds(5000));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error, std::string("no one answers on kappa.b.cmd.trader.submit"));

    engineA->connection.publish("kappa.a.state.engine", "s");
    QVERIFY(waitUntil([&] { return atTrader.contains("kappa.a.state.engine"); }));
    QVERIFY2(!atTrader.containsPart(".cmd."), atTrader.joined().c_str());
    QVERIFY2(engineA->errors.size() == 0, engineA->errors.joined().c_str());
  }

  void requestTimesOut() {
    auto risk = connectAs("risk");
    QVERIFY(risk);
    // Someone listens but never answers.
    auto engineA = connectAs("engine-a");
    QVERIFY(engineA);
    NatsSubscription silent = engineA->connection.subscribe("kappa.a.cmd.>", [](auto&, auto&, auto&) {});
    engineA->connection.flush(std::chrono::milliseconds(5000));
    const NatsReply reply = requestAndWait(risk->connection, "kappa.a.cmd.risk.resume", "", std::chrono::milliseconds(300));
    QCOMPARE(reply.error, std::string("no answer from kappa.a.cmd.risk.resume within 300 ms"));
  }

  void tlsWithTheRightCaAndTheWrongOne() {
    TlsServer tls;
    QString why = tls.start();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    const kappa::test::TestCa& ca = tls.ca;
    NatsServerProcess& tlsServer = tls.server;
    QVERIFY(tlsServer.url().startsWith("tls://"));
    QTemporaryDir otherDir;
    kappa::test::TestCa other;
    why = kappa::test::makeTestCa(otherDir.path(), other);
    QVERIFY2(why.isEmpty(), qPrintable(why));

    NatsSettings s = settingsFor(tlsServer, "risk");
    s.caFile = ca.caFile.toStdString();
    {
      Client good;
      QCOMPARE(good.connect(s), std::string());
      Received got;
      NatsSubscription sub = good.connection.subscribe("kappa.desk.halt", [&](auto&, const std::string& d, auto&) { got.add(d); });
      good.connection.publish("kappa.desk.halt", "over tls");
      QVERIFY(waitUntil([&] { return got.contains("over tls"); }));
    }
    // The certificate's name is checked too, not only its chain.
    {
      NatsSettings named = s;
      named.tlsHostname = "127.0.0.1";
      NatsConnection c;
      QCOMPARE(c.connect(named), std::string());
      named.tlsHostname = "desk.example";
      NatsConnection c2;
      QCOMPARE(c2.connect(named), std::string("TLS: the server's certificate is not for host 'desk.example'"));
      // By default the URL's host is the name checked: the certificate is for 127.0.0.1 only.
      NatsSettings byName = s;
      byName.url = "tls://localhost:" + std::to_string(tlsServer.port());
      NatsConnection c3;
      QCOMPARE(c3.connect(byName), std::string("TLS: the server's certificate is not for host 'localhost'"));
    }
    s.caFile = other.caFile.toStdString();
    NatsConnection wrong;
    QCOMPARE(wrong.connect(s), "TLS: the server's certificate is not signed by the CA in " + other.caFile.toStdString());
    // Without a CA, the client (which upgrades to TLS when the server requires it) trusts only the
    // system's CAs: refused, and it says so.
    NatsSettings plain = settingsFor(tlsServer, "risk");
    plain.url = "nats://127.0.0.1:" + std::to_string(tlsServer.port());
    NatsConnection p;
    QCOMPARE(p.connect(plain), std::string("TLS: the server's certificate is not signed by a CA this system trusts"));
  }

  void theDeploymentExampleIsAValidServerConfiguration() {
    // docs/desk/nats-server.conf with its certificate and store paths pointed into a temporary
    // directory: nats-server -t (check only, listens nowhere) accepts it with the roles file.
    QTemporaryDir dir;
    kappa::test::TestCa ca;
    QVERIFY(kappa::test::makeTestCa(dir.path(), ca).isEmpty());
    const QString docs = QFileInfo(kappa::test::natsRolesFile()).absolutePath();
    QFile in(docs + "/nats-server.conf");
    QVERIFY(in.open(QIODevice::ReadOnly));
    QString conf = QString::fromUtf8(in.readAll());
    QVERIFY(conf.contains("include \"nats-server-roles.conf\""));
    conf.replace("/etc/nats/desk-server.pem", ca.certFile).replace("/etc/nats/desk-server.key", ca.keyFile);
    conf.replace("/var/lib/nats/jetstream", dir.filePath("js"));
    QFile out(dir.filePath("nats-server.conf"));
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(conf.toUtf8());
    out.close();
    QVERIFY(QFile::copy(kappa::test::natsRolesFile(), dir.filePath("nats-server-roles.conf")));
    QProcess check;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString& user : NatsServerProcess::users()) env.insert(NatsServerProcess::passwordVariable(user), "Pw" + user.toUpper().remove('-'));
    check.setProcessEnvironment(env);
    check.setProcessChannelMode(QProcess::MergedChannels);
    check.start("/usr/sbin/nats-server", {"-c", dir.filePath("nats-server.conf"), "-t"});
    QVERIFY(check.waitForFinished(30000));
    const QString said = QString::fromUtf8(check.readAll());
    QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0, qPrintable(said));
    QVERIFY2(said.contains("is valid"), qPrintable(said));
  }

  void tlsWithClientCertificates() {
    // verify: true — the server wants a client certificate signed by its CA.
    TlsServer tls;
    const QString why = tls.start(/*verifyClients=*/true);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    const QTemporaryDir& dir = tls.dir;
    const kappa::test::TestCa& ca = tls.ca;
    NatsServerProcess& server = tls.server;
    auto openssl = [&](const QStringList& args) {
      QProcess p;
      p.setWorkingDirectory(dir.path());
      p.start("openssl", args);
      return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    };
    QFile ext(QDir(dir.path()).filePath("client.cnf"));
    QVERIFY(ext.open(QIODevice::WriteOnly));
    ext.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    ext.close();
    QVERIFY(openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=risk"}));
    QVERIFY(openssl({"x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                     "client.pem", "-days", "2", "-extfile", "client.cnf"}));

    NatsSettings s = settingsFor(server, "risk");
    s.caFile = ca.caFile.toStdString();
    NatsConnection without;
    const std::string refused = without.connect(s);
    QCOMPARE(refused, std::string("TLS: the server closed the connection at once: it may require a client certificate signed by its CA"));
    QVERIFY(!without.connected());

    s.certFile = QDir(dir.path()).filePath("client.pem").toStdString();
    s.keyFile = QDir(dir.path()).filePath("client.key").toStdString();
    NatsConnection with;
    QCOMPARE(with.connect(s), std::string());
    QVERIFY(with.connected());
    // A certificate without its key is a settings error, said before any connection.
    NatsSettings half = s;
    half.keyFile.clear();
    QCOMPARE(NatsConnection().connect(half), std::string("a TLS client certificate needs both the certificate and its key file"));
  }

  void serverKilledAndBackOnTheSamePort() {
    NatsServerProcess server;
    const QString started = server.start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const int port = server.port();
    Client risk, engine;
    QCOMPARE(risk.connect(settingsFor(server, "risk")), std::string());
    QCOMPARE(engine.connect(settingsFor(server, "engine-a")), std::string());
    std::string error;
    {
      auto desk = KeyValueBucket::openOrCreate(risk.connection, "kappa_desk", error);
      QVERIFY2(desk, error.c_str());
      QVERIFY(desk->put("halt", "kept across restarts").ok());
    }
    // The engine watches the desk bucket across the restart.
    auto deskWatched = KeyValueBucket::open(engine.connection, "kappa_desk", error);
    QVERIFY2(deskWatched, error.c_str());
    std::mutex m;
    std::string lastHalt;
    KvWatch haltWatch = deskWatched->watch(
        "halt",
        [&](auto&, const std::string& value, uint64_t, bool) {
          std::lock_guard lock(m);
          lastHalt = value;
        },
        {}, error);
    QVERIFY2(haltWatch.active(), error.c_str());
    QVERIFY(waitUntil([&] {
      std::lock_guard lock(m);
      return lastHalt == "kept across restarts";
    }));
    Received halts;
    NatsSubscription sub = engine.connection.subscribe("kappa.desk.halt", [&](auto&, const std::string& d, auto&) { halts.add(d); });
    QVERIFY(sub.active());
    engine.connection.flush(std::chrono::milliseconds(5000));

    auto leaving = std::make_unique<Client>();
    QCOMPARE(leaving->connect(settingsFor(server, "viewer")), std::string());

    server.kill();
    QVERIFY(waitUntil([&] { return risk.disconnects > 0 && engine.disconnects > 0; }, 15000));
    // A connection closed while the server is away: close() returns (bounded), no callback after it.
    QVERIFY(waitUntil([&] { return leaving->disconnects > 0; }));
    leaving->connection.close();
    QVERIFY(!leaving->connection.connected());
    leaving.reset();
    QVERIFY(!risk.connection.connected());
    // Requests while the link is down fail by their timeout, never hang.
    const NatsReply down = requestAndWait(risk.connection, "kappa.a.cmd.risk.halt", "", std::chrono::milliseconds(300));
    QVERIFY2(!down.ok && down.error.find("no reply callback") == std::string::npos, down.error.c_str());

    const QString why = server.restart();
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(server.port(), port);
    QVERIFY(waitUntil([&] { return risk.reconnects > 0 && engine.reconnects > 0; }, 20000));
    QVERIFY(risk.connection.connected());
    // The subscription made before the kill is restored by the client library.
    QVERIFY(waitUntil([&] {
      risk.connection.publish("kappa.desk.halt", "after restart");
      return halts.contains("after restart");
    }, 10000));
    // The desk bucket survived (JetStream store on disk).
    auto desk = KeyValueBucket::open(engine.connection, "kappa_desk", error);
    QVERIFY2(desk, error.c_str());
    QCOMPARE(desk->get("halt").value, std::string("kept across restarts"));
    // And the watch from before the kill sees a change made after the restart.
    {
      auto deskRisk = KeyValueBucket::open(risk.connection, "kappa_desk", error);
      QVERIFY2(deskRisk, error.c_str());
      const KvPutResult put = deskRisk->put("halt", "halted after restart");
      QVERIFY2(put.ok(), put.error.c_str());
    }
    QVERIFY2(waitUntil([&] {
      std::lock_guard lock(m);
      return lastHalt == "halted after restart";
    }, 15000), lastHalt.c_str());
  }
};

QTEST_GUILESS_MAIN(TestNats)
#include "tst_nats.moc"
