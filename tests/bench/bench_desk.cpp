// Edge engines and the desk over a real nats-server (issue 15 §6). Each benchmark starts its own
// Debian nats-server on 127.0.0.1 (a free port, JetStream in a temporary directory, no
// authorization: the roles are tst_desk's and tst_nats' business, not a speed question) and stops
// it by its pid. The engines run in this process on the embedded simulator, each served by its own
// EngineServer with its own NATS connection (engine names e0..e7), as `kappa --headless --serve`
// runs them; the window's side is a RemoteEngineLink as `kappa --attach` runs it.
//
//   BM_DeskHalt/N                 N engines (simulator at a modest 1,000 updates/s each). The risk
//                                 side's DeskFeed::sendHalt (the Desk view's DESK HALT button) ->
//                                 every engine's Engine::halted() true (polled here); and -> the
//                                 Desk view's own figure: its feed has every engine's summary saying
//                                 HALTED (DeskFeed::View::allHaltedAt - haltSentAt). 100 tries; after
//                                 each the halt is lifted, every engine resumed and seen ACTIVE again.
//   BM_RemoteSnapshotAge          one engine at the 200,000 updates/s storm, one attached link pulled
//                                 at 60 Hz on a thread like the window: each 'engine' part's age at
//                                 arrival (the publisher's send -> decoded here), and the snapshot's
//                                 age when the window takes it (publish -> takeSnapshot, and the
//                                 engine's build -> takeSnapshot), ~10 s.
//   BM_EngineEventsWithAndWithoutGui
//                                 the same storm engine's events/s over fixed windows: without an
//                                 EngineServer, served with nobody attached, served with a link
//                                 attached (and pulled at 60 Hz); the ratios to "without".
//   BM_CommandRoundTrip           an attached link's Submit (a limit buy far under the market, then
//                                 cancelled) -> the engine's answer back at the link; beside it a bare
//                                 NATS request answered at once by a subscriber on the same server,
//                                 with payloads of the same size, through our NatsConnection (bare,
//                                 x_bare = ours p50 / bare p50) and through libnats alone with the
//                                 answer sent at once (floor, x_floor).
//
// Each runs once (Iterations(1)); the counters are percentiles, the Time column is the p50.
#include <benchmark/benchmark.h>

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nats/nats.h>

#include "NatsServerProcess.hpp"
#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "nats/NatsConnection.hpp"
#include "orchestrator/Engine.hpp"
#include "remote/CommandCodec.hpp"
#include "remote/DeskFeed.hpp"
#include "remote/EngineServer.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "risk/RiskConfigFile.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;
using Clock = std::chrono::steady_clock;

namespace {

double usBetween(Clock::time_point a, Clock::time_point b) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()) / 1e3;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

// Polls `done` (short sleeps, a fine timer slack) until it holds or `timeout` passed.
template <class F>
bool waitFor(F done, std::chrono::milliseconds timeout, std::chrono::microseconds step = std::chrono::microseconds(20)) {
  const auto end = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

// The benchmarks log only errors (the engines would log every halt, lift and resume), and poll
// with a 1 µs timer slack so that a 20 µs sleep is close to 20 µs.
struct Quiet {
  Quiet() {
    log::setMinLevel(log::Level::Error);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  }
  ~Quiet() { log::setMinLevel(log::Level::Info); }
};

// The desk's server: a real nats-server, no authorization, stopped by its pid at the end.
struct NatsServer {
  test::NatsServerProcess process;
  std::string url;
  std::string start() {
    test::NatsServerProcess::Options o;
    o.roles = false;
    const QString error = process.start(o);
    if (!error.isEmpty()) return error.toStdString();
    url = process.url().toStdString();
    return {};
  }
  ~NatsServer() { process.stop(); }
};

nats::NatsSettings as(const std::string& url, const std::string& user) {
  nats::NatsSettings s;
  s.url = url;
  s.user = user;  // a token for the command subjects; the server (no authorization) does not check it
  s.connectionName = "kappa_bench " + user;
  return s;
}

// An engine on the embedded simulator starting at the present second, with the default limits but
// no submit-rate limit (the command benchmark sends 200 orders in a few seconds) and resumed as
// soon as it has a BTC-PERPETUAL book.
std::unique_ptr<Engine> simEngine(double updatesPerSecond, std::uint64_t seed, std::string& error) {
  sim::SimConfig cfg;
  cfg.seed = seed;
  cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
  cfg.updatesPerSecond = updatesPerSecond;
  auto engine = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
  RiskConfig limits = RiskConfig::defaults();
  for (const char* change : {"max_submit_rate=off", "instruments/@perpetual/max_submit_rate=off"}) {
    std::string why;
    if (!applyRiskOverride(&limits, change, &why)) {
      error = std::string(change) + ": " + why;
      return nullptr;
    }
  }
  engine->setRiskConfig(limits);
  engine->start();
  const Instrument* perp = engine->instruments().find("BTC-PERPETUAL");
  Engine* e = engine.get();
  const bool ready = perp && waitFor(
                                 [&] {
                                   return e->call([&] {
                                     const Level* l = e->marketData().book(perp->id).bestBid();
                                     return l != nullptr;
                                   });
                                 },
                                 std::chrono::seconds(20), std::chrono::milliseconds(20));
  if (!ready) {
    error = "the simulator's BTC-PERPETUAL has no book after 20 s";
    return nullptr;
  }
  return engine;
}

std::unique_ptr<remote::EngineServer> serve(Engine& engine, const std::string& name, const std::string& url, std::string& error) {
  remote::EngineServerConfig c;
  c.engine = name;
  c.nats = as(url, "engine-" + name);
  c.commandUsers = {"trader"};
  c.riskUsers = {"risk"};
  c.failClosedAfter = std::chrono::milliseconds(600'000);  // never during a benchmark
  auto server = std::make_unique<remote::EngineServer>(engine, std::move(c));
  error = server->start();
  if (!error.empty()) return nullptr;
  return server;
}

// Attaches `link` to engine `name` as `user`, retrying while the engine's first state is not in the
// bucket yet (bounded).
std::string attach(remote::RemoteEngineLink& link, const std::string& url, const std::string& name, const std::string& user) {
  std::string error = "not tried";
  const auto end = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < end) {
    error = link.connect(as(url, user), name, std::chrono::milliseconds(3000));
    if (error.empty()) return {};
    link.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return error;
}

// The window's frame timer: takeSnapshot() at 60 Hz on its own thread; the age of each new
// snapshot as the window would show it (monoNow() - builtMono: the link sets builtMono to the
// publisher's send, moved onto this machine's clock), in ms.
class WindowPuller {
 public:
  explicit WindowPuller(remote::RemoteEngineLink& link) : link_(link), thread_([this] { run(); }) {}
  ~WindowPuller() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::vector<double> takeAges() {
    std::lock_guard lock(mutex_);
    return std::exchange(ages_, {});
  }
  std::vector<double> takeBuiltAges() {
    std::lock_guard lock(mutex_);
    return std::exchange(builtAges_, {});
  }
  std::uint64_t frames() const { return frames_.load(); }

 private:
  void run() {
    auto next = Clock::now();
    while (!stop_.load()) {
      next += std::chrono::microseconds(16'667);
      if (link_.takeSnapshot()) {
        const double age = double(monoNow() - link_.snapshot().builtMono) / 1e6;
        // Since the engine built it (its market time, which is the wall clock for a simulator
        // started now): the publisher's conflation interval included.
        const double built = double(wallNow() - link_.snapshot().builtWall) / 1e6;
        std::lock_guard lock(mutex_);
        ages_.push_back(age);
        builtAges_.push_back(built);
      }
      frames_.fetch_add(1);
      std::this_thread::sleep_until(next);
    }
  }
  remote::RemoteEngineLink& link_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> frames_{0};
  std::mutex mutex_;
  std::vector<double> ages_, builtAges_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------

void BM_DeskHalt(benchmark::State& state) {
  constexpr int kTries = 100;
  const Quiet quiet;
  const std::size_t n = std::size_t(state.range(0));
  NatsServer server;
  if (std::string e = server.start(); !e.empty()) return state.SkipWithError(e.c_str());
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<std::unique_ptr<remote::EngineServer>> served;
  std::string error;
  for (std::size_t i = 0; i < n; ++i) {
    engines.push_back(simEngine(1000, 3 + i, error));
    if (!engines.back()) return state.SkipWithError(error.c_str());
    served.push_back(serve(*engines.back(), "e" + std::to_string(i), server.url, error));
    if (!served.back()) return state.SkipWithError(error.c_str());
  }
  // The risk manager's window: its own connection and the Desk view's feed (creates kappa_desk).
  nats::NatsConnection risk;
  if (std::string e = risk.connect(as(server.url, "risk")); !e.empty()) return state.SkipWithError(e.c_str());
  remote::DeskFeed feed;
  if (std::string e = feed.start(risk); !e.empty()) return state.SkipWithError(e.c_str());
  auto deskSees = [&](TradingState s) {
    const remote::DeskFeed::View v = feed.view();
    return v.engines.size() == n &&
           std::all_of(v.engines.begin(), v.engines.end(), [&](const desk::EngineDeskSummary& e) { return e.state == s; });
  };
  auto allEngines = [&](auto pred) { return std::all_of(engines.begin(), engines.end(), [&](const auto& e) { return pred(*e); }); };
  if (!waitFor([&] { return deskSees(TradingState::Active); }, std::chrono::seconds(20), std::chrono::milliseconds(10)))
    return state.SkipWithError("the desk does not see every engine ACTIVE after 20 s");
  // Every engine has found the desk bucket (looked for once a second) before the first try.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  std::vector<double> halted, desk, lifted;
  auto refused = std::make_shared<std::atomic<int>>(0);  // the answers come on the connection's worker
  for (auto _ : state) {
    for (int t = 0; t < kTries; ++t) {
      const auto t0 = Clock::now();
      feed.sendHalt(true, "bench try " + std::to_string(t), "risk", [refused](std::string why) {
        if (!why.empty()) refused->fetch_add(1);
      });
      if (!waitFor([&] { return allEngines([](const Engine& e) { return e.halted(); }); }, std::chrono::seconds(5)))
        return state.SkipWithError("not every engine HALTED within 5 s of the DESK HALT");
      halted.push_back(usBetween(t0, Clock::now()));
      if (!waitFor([&] { return feed.view().allHaltedAt != 0; }, std::chrono::seconds(5), std::chrono::microseconds(200)))
        return state.SkipWithError("the desk view did not see every engine HALTED within 5 s");
      const remote::DeskFeed::View v = feed.view();
      desk.push_back(double(v.allHaltedAt - v.haltSentAt) / 1e3);

      // Lift, wait for every engine to hear it, resume each, and see the desk ACTIVE again.
      const auto l0 = Clock::now();
      feed.sendHalt(false, "bench lift " + std::to_string(t), "risk", {});
      if (!waitFor([&] { return allEngines([](const Engine& e) { return e.deskHold().empty(); }); }, std::chrono::seconds(5)))
        return state.SkipWithError("the desk halt's lift did not reach every engine within 5 s");
      lifted.push_back(usBetween(l0, Clock::now()));
      for (auto& e : engines) {
        std::string why = "not asked";
        if (!waitFor([&] { return (why = e->resume()).empty(); }, std::chrono::seconds(5), std::chrono::milliseconds(5)))
          return state.SkipWithError(("an engine does not resume: " + why).c_str());
      }
      if (!waitFor([&] { return deskSees(TradingState::Active); }, std::chrono::seconds(5), std::chrono::milliseconds(1)))
        return state.SkipWithError("the desk does not see every engine ACTIVE again within 5 s");
    }
  }
  const double p50 = percentile(halted, 0.5);
  state.SetIterationTime(p50 / 1e6);
  state.counters["engines"] = double(n);
  state.counters["tries"] = double(halted.size());
  state.counters["halted_p50_us"] = p50;
  state.counters["halted_p99_us"] = percentile(halted, 0.99);
  state.counters["halted_max_us"] = percentile(halted, 1.0);
  state.counters["desk_p50_us"] = percentile(desk, 0.5);
  state.counters["desk_p99_us"] = percentile(desk, 0.99);
  state.counters["lift_p50_us"] = percentile(lifted, 0.5);
  state.counters["refused"] = double(refused->load());
  risk.flush(std::chrono::milliseconds(2000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the last lift's key put answered
  feed.stop();
  for (auto& s : served) s->stop();
  for (auto& e : engines) e->stop();
}
BENCHMARK(BM_DeskHalt)->Arg(2)->Arg(8)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------

constexpr double kStorm = 200'000;  // the simulator's storm: level updates per second

void BM_RemoteSnapshotAge(benchmark::State& state) {
  const Quiet quiet;
  NatsServer server;
  if (std::string e = server.start(); !e.empty()) return state.SkipWithError(e.c_str());
  std::string error;
  auto engine = simEngine(kStorm, 7, error);
  if (!engine) return state.SkipWithError(error.c_str());
  auto served = serve(*engine, "e0", server.url, error);
  if (!served) return state.SkipWithError(error.c_str());
  remote::RemoteEngineLink link;
  if (std::string e = attach(link, server.url, "e0", "viewer"); !e.empty()) return state.SkipWithError(e.c_str());
  std::vector<double> arrival, window, built;
  std::uint64_t frames = 0, parts = 0, refusedParts = 0;
  for (auto _ : state) {
    WindowPuller puller(link);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up: not measured
    link.takeArrivalAges();
    puller.takeAges();
    puller.takeBuiltAges();
    const std::uint64_t parts0 = link.partsApplied(), frames0 = puller.frames();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    arrival = link.takeArrivalAges();
    window = puller.takeAges();
    built = puller.takeBuiltAges();
    parts = link.partsApplied() - parts0;
    frames = puller.frames() - frames0;
    refusedParts = link.partsRefused();
    puller.stop();
  }
  if (arrival.empty()) return state.SkipWithError("no engine part arrived");
  const remote::EngineServer::Counters c = served->counters();
  state.SetIterationTime(percentile(arrival, 0.5) / 1e3);
  state.counters["arrival_p50_ms"] = percentile(arrival, 0.5);
  state.counters["arrival_p99_ms"] = percentile(arrival, 0.99);
  state.counters["arrival_max_ms"] = percentile(arrival, 1.0);
  state.counters["engine_parts"] = double(arrival.size());
  state.counters["window_p50_ms"] = percentile(window, 0.5);
  state.counters["window_p99_ms"] = percentile(window, 0.99);
  state.counters["built_p50_ms"] = percentile(built, 0.5);
  state.counters["built_p99_ms"] = percentile(built, 0.99);
  state.counters["window_new_frames"] = double(window.size());
  state.counters["frames"] = double(frames);
  state.counters["parts_per_s"] = double(parts) / 10.0;
  state.counters["parts_refused"] = double(refusedParts);
  state.counters["published_MB"] = double(c.bytesPublished) / 1e6;
  link.close();
  served->stop();
  engine->stop();
}
BENCHMARK(BM_RemoteSnapshotAge)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------

// The engine's market-data events so far, read on its own thread.
std::uint64_t eventsOf(Engine& e) {
  return e.call([&] { return e.marketData().eventsTotal(); });
}

void BM_EngineEventsWithAndWithoutGui(benchmark::State& state) {
  constexpr auto kWindow = std::chrono::seconds(4);
  constexpr int kRounds = 2;
  const Quiet quiet;
  NatsServer server;
  if (std::string e = server.start(); !e.empty()) return state.SkipWithError(e.c_str());
  std::string error;
  auto engine = simEngine(kStorm, 9, error);
  if (!engine) return state.SkipWithError(error.c_str());
  // events/s over one window, after a 1 s settle (not measured).
  auto rate = [&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const std::uint64_t e0 = eventsOf(*engine);
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(kWindow);
    const std::uint64_t e1 = eventsOf(*engine);
    return double(e1 - e0) / (usBetween(t0, Clock::now()) / 1e6);
  };
  std::vector<double> bare, served, attached;
  for (auto _ : state) {
    // The three layouts in turn, twice: a drift of the machine's load touches each alike.
    for (int r = 0; r < kRounds; ++r) {
      bare.push_back(rate());
      auto s = serve(*engine, "e0", server.url, error);
      if (!s) return state.SkipWithError(error.c_str());
      served.push_back(rate());
      {
        remote::RemoteEngineLink link;
        if (std::string e = attach(link, server.url, "e0", "viewer"); !e.empty()) return state.SkipWithError(e.c_str());
        WindowPuller puller(link);
        attached.push_back(rate());
        puller.stop();
        link.close();
      }
      s->stop();
    }
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0 : sum / double(v.size());
  };
  const double b = mean(bare), s = mean(served), a = mean(attached);
  state.SetIterationTime(0.001);
  state.counters["events_per_s_bare"] = b;
  state.counters["events_per_s_served"] = s;
  state.counters["events_per_s_attached"] = a;
  state.counters["ratio_served"] = b > 0 ? s / b : 0;
  state.counters["ratio_attached"] = b > 0 ? a / b : 0;
  state.counters["ratio_attached_min"] =
      b > 0 ? *std::min_element(attached.begin(), attached.end()) / *std::max_element(bare.begin(), bare.end()) : 0;
  engine->stop();
}
BENCHMARK(BM_EngineEventsWithAndWithoutGui)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------

// One answer awaited by the benchmark's thread (set on a libnats thread).
class Awaited {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    at_ = Clock::now();
    done_ = true;
    cv_.notify_all();
  }
  std::optional<Clock::time_point> wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [this] { return done_; })) return std::nullopt;
    done_ = false;
    return at_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  Clock::time_point at_;
};

// The floor: libnats itself, without our wrapper. A responder that sends its answers at once
// (natsOptions_SetSendAsap: nothing waits for libnats' flusher) and natsConnection_Request (which
// sends at once too), the same payloads.
class LibnatsFloor {
 public:
  ~LibnatsFloor() {
    if (sub_) natsSubscription_Destroy(sub_);
    if (responder_) natsConnection_Destroy(responder_);
    if (requester_) natsConnection_Destroy(requester_);
  }
  std::string start(const std::string& url, const std::string& answer) {
    answer_ = answer;
    natsOptions* opts = nullptr;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, url.c_str());
    if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
    if (s == NATS_OK) s = natsConnection_Connect(&responder_, opts);
    if (s == NATS_OK) s = natsConnection_Subscribe(&sub_, responder_, "bench.floor", &LibnatsFloor::onRequest, this);
    if (s == NATS_OK) s = natsConnection_FlushTimeout(responder_, 2000);
    if (s == NATS_OK) s = natsConnection_ConnectTo(&requester_, url.c_str());
    natsOptions_Destroy(opts);
    return s == NATS_OK ? std::string() : std::string("libnats: ") + natsStatus_GetText(s);
  }
  // One request's round trip in µs, or a negative number when it failed.
  double roundTrip(const std::string& question) {
    natsMsg* reply = nullptr;
    const auto t0 = Clock::now();
    const natsStatus s = natsConnection_Request(&reply, requester_, "bench.floor", question.data(), int(question.size()), 8000);
    const auto t1 = Clock::now();
    if (reply) natsMsg_Destroy(reply);
    return s == NATS_OK ? usBetween(t0, t1) : -1;
  }

 private:
  static void onRequest(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<LibnatsFloor*>(closure);
    if (natsMsg_GetReply(msg)) natsConnection_Publish(nc, natsMsg_GetReply(msg), self->answer_.data(), int(self->answer_.size()));
    natsMsg_Destroy(msg);
  }
  natsConnection *responder_ = nullptr, *requester_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::string answer_;
};

void BM_CommandRoundTrip(benchmark::State& state) {
  constexpr int kTries = 200, kWarmup = 10;
  const Quiet quiet;
  NatsServer server;
  if (std::string e = server.start(); !e.empty()) return state.SkipWithError(e.c_str());
  std::string error;
  auto engine = simEngine(1000, 13, error);
  if (!engine) return state.SkipWithError(error.c_str());
  auto served = serve(*engine, "e0", server.url, error);
  if (!served) return state.SkipWithError(error.c_str());
  remote::RemoteEngineLink link;
  if (std::string e = attach(link, server.url, "e0", "trader"); !e.empty()) return state.SkipWithError(e.c_str());
  WindowPuller puller(link);  // the window keeps taking snapshots meanwhile

  const Instrument* perp = engine->instruments().find("BTC-PERPETUAL");
  const Price bid = engine->call([&] { return engine->marketData().book(perp->id).bestBid()->price; });
  OrderRequest order;
  order.instrument = perp->id;
  order.side = Side::Buy;
  const Price farBid = bid - 200 * perp->tickSize;  // far under the market: rests until cancelled
  order.price = farBid;
  order.qty = perp->minQty;
  order.tag = "bench";

  // The reference: a bare request/response on the same server, payloads of the same size.
  const std::string question = remote::encodeCommand(remote::cmd::Submit{order});
  const std::string answerBytes = remote::encodeAnswer({true, {}, 123456});
  nats::NatsConnection responder, requester;
  if (std::string e = responder.connect(as(server.url, "responder")); !e.empty()) return state.SkipWithError(e.c_str());
  if (std::string e = requester.connect(as(server.url, "requester")); !e.empty()) return state.SkipWithError(e.c_str());
  nats::NatsSubscription echo = responder.subscribe(
      "bench.echo", [&](const std::string&, const std::string&, const std::string& replyTo) { responder.respond(replyTo, answerBytes); },
      &error);
  if (!echo.active() || !responder.flush(std::chrono::milliseconds(2000)).empty())
    return state.SkipWithError(("the reference responder: " + error).c_str());

  LibnatsFloor floorPair;
  if (std::string e = floorPair.start(server.url, answerBytes); !e.empty()) return state.SkipWithError(e.c_str());

  std::vector<double> ours, bare, floor;
  int refusedOrders = 0, lostBare = 0;
  std::string lastRefusal;
  for (auto _ : state) {
    for (int t = 0; t < kWarmup + kTries; ++t) {
      // Shared with the callback: it may come after a timeout has ended this benchmark.
      auto answered = std::make_shared<Awaited>();
      auto got = std::make_shared<remote::CommandAnswer>();
      order.price = farBid - t * perp->tickSize;  // a new price each time: the duplicate check stays quiet
      const auto t0 = Clock::now();
      link.submit(order, [answered, got](const remote::CommandAnswer& a) {
        *got = a;
        answered->set();
      });
      const std::optional<Clock::time_point> t1 = answered->wait(std::chrono::milliseconds(8000));
      if (!t1) return state.SkipWithError("no answer to a submit within 8 s");
      if (!got->accepted) {
        ++refusedOrders;
        lastRefusal = got->reason;
      } else {
        link.cancel(got->orderId);  // over NATS too, like the ladder; not timed
      }
      if (t >= kWarmup) ours.push_back(usBetween(t0, *t1));

      auto echoed = std::make_shared<Awaited>();
      auto lost = std::make_shared<std::atomic<int>>(0);
      const auto r0 = Clock::now();
      requester.request("bench.echo", question, std::chrono::milliseconds(8000), [echoed, lost](const nats::NatsReply& reply) {
        if (!reply.ok) lost->fetch_add(1);
        echoed->set();
      });
      const std::optional<Clock::time_point> r1 = echoed->wait(std::chrono::milliseconds(9000));
      lostBare += lost->load();
      if (!r1) return state.SkipWithError("no answer to the bare request within 9 s");
      if (t >= kWarmup) bare.push_back(usBetween(r0, *r1));
      const double f = floorPair.roundTrip(question);
      if (f < 0) return state.SkipWithError("the libnats floor's request failed");
      if (t >= kWarmup) floor.push_back(f);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the cancel goes through meanwhile
    }
  }
  if (refusedOrders > 0) return state.SkipWithError(("the engine refused orders: " + lastRefusal).c_str());
  const double p50 = percentile(ours, 0.5), b50 = percentile(bare, 0.5);
  state.SetIterationTime(p50 / 1e6);
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = percentile(ours, 0.99);
  state.counters["max_us"] = percentile(ours, 1.0);
  state.counters["bare_p50_us"] = b50;
  state.counters["bare_p99_us"] = percentile(bare, 0.99);
  state.counters["x_bare"] = b50 > 0 ? p50 / b50 : 0;
  const double f50 = percentile(floor, 0.5);
  state.counters["floor_p50_us"] = f50;
  state.counters["floor_p99_us"] = percentile(floor, 0.99);
  state.counters["x_floor"] = f50 > 0 ? p50 / f50 : 0;
  state.counters["samples"] = double(ours.size());
  state.counters["bare_lost"] = double(lostBare);
  echo.unsubscribe();
  puller.stop();
  link.close();
  served->stop();
  engine->stop();
}
BENCHMARK(BM_CommandRoundTrip)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
