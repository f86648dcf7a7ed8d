// The Deribit connector against a real kappa-exchange process over loopback (the path a trader's
// terminal takes to Deribit, minus the internet): wire to book, order round trip, reconnect to
// resynced. Each benchmark starts its own exchange (port 0, its first stdout line says where),
// pinned to other CPUs than the benchmark when the benchmark itself is pinned (see exchangeCpus()),
// and stops it by its pid.
//
// Each runs once (Iterations(1)) and records every sample; the counters are percentiles in
// microseconds (p50_us, p99_us, ...), and the "Time" column (manual time) is the p50. The floor
// beside each (floor_p50_us, x_floor) is the same traffic between a bare Beast WebSocket
// client and server (no JSON, no exchange, no connector), the server a separate process on the
// exchange's CPUs: what the kernel's loopback and Beast cost at least. The bare figures
// (bare_p50_us, x_bare) are a bare client of the same exchange doing the same (same channels, same
// orders): what the exchange and the loopback cost, so ours minus bare is what our process adds.
//
// Environment: KAPPA_EXCHANGE_BINARY (the exchange; default: the one built beside this),
// KAPPA_BENCH_EXCHANGE_CPUS ("1" or "1,2": where the exchange and the floor server run),
// KAPPA_BENCH_LOOPBACK_SECONDS (wire-to-book measuring time, default 10),
// KAPPA_BENCH_LOOPBACK_DUMP (a file for every wire-to-book sample).
#include <benchmark/benchmark.h>

#include "ChildProcess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "book/MarketData.hpp"
#include "venue/deribit/DeribitVenue.hpp"

using namespace kappa;
using namespace kappa::deribit;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

const char* kClientId = "bench-loopback";
const char* kSecret = "bench-loopback-secret-7d1e";

std::int64_t monoNs() {  // steady_clock is CLOCK_MONOTONIC on Linux, as the exchange's --wire-log
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ------------------------------------------------------------------ percentiles

struct Percentiles {
  std::size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // microseconds
};

Percentiles percentiles(std::vector<double> us) {
  Percentiles p;
  p.n = us.size();
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, std::size_t(q * double(us.size())))]; };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = us.back();
  double sum = 0;
  for (double v : us) sum += v;
  p.mean = sum / double(us.size());
  return p;
}

void report(benchmark::State& state, const std::string& prefix, const Percentiles& p) {
  state.counters[prefix + "p50_us"] = p.p50;
  state.counters[prefix + "p99_us"] = p.p99;
  if (prefix.empty()) {
    state.counters["p90_us"] = p.p90;
    state.counters["p999_us"] = p.p999;
    state.counters["max_us"] = p.max;
    state.counters["samples"] = double(p.n);
  }
}

// ------------------------------------------------------------------ child processes

// Where the exchange (and the floor server) run: KAPPA_BENCH_EXCHANGE_CPUS, or, when this process
// is pinned (taskset -c 0), every online CPU it is not pinned to; empty = wherever the kernel likes.
std::vector<int> exchangeCpus() {
  std::vector<int> cpus;
  if (const char* env = std::getenv("KAPPA_BENCH_EXCHANGE_CPUS")) {
    std::stringstream in(env);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) cpus.push_back(std::atoi(item.c_str()));
    return cpus;
  }
  cpu_set_t mine;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) return cpus;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  for (int c = 0; c < online && c < CPU_SETSIZE; ++c)
    if (!CPU_ISSET(c, &mine)) cpus.push_back(c);
  return cpus;
}

std::string cpuList(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s.empty() ? "any" : s;
}

std::string ownCpus() {
  cpu_set_t mine;
  CPU_ZERO(&mine);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof mine, &mine) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mine)) cpus.push_back(c);
  return cpuList(cpus);
}

std::string exchangeBinary() {
  const char* env = std::getenv("KAPPA_EXCHANGE_BINARY");
  return env && *env ? env : KAPPA_EXCHANGE_BINARY;
}

struct Exchange {
  bench::ChildProcess child;
  int port = 0;
  std::string wireLog;
  // Starts kappa-exchange with one account and no credit limits (the benchmark is no rate test).
  bool start(bool withWireLog, std::string& error) {
    std::vector<std::string> argv{exchangeBinary(), "--listen", "127.0.0.1:0", "--seed", "1",
                                  "--account", std::string(kClientId) + ":" + kSecret,
                                  "--me-limit", "0/0", "--non-me-limit", "0/0"};
    if (withWireLog) {
      wireLog = "/tmp/kappa_bench_wire_" + std::to_string(getpid()) + ".log";
      argv.insert(argv.end(), {"--wire-log", wireLog});
    }
    const std::string line = child.start(argv, {}, exchangeCpus(), error);
    const std::size_t colon = line.rfind(':');
    if (line.rfind("listening ws://127.0.0.1:", 0) != 0 || colon == std::string::npos) {
      if (error.empty()) error = "unexpected first line: " + line;
      return false;
    }
    port = std::atoi(line.c_str() + colon + 1);
    return port > 0;
  }
  // One HTTP GET to the exchange's /api/v2 (kappa/fault), answer body or "" on failure.
  std::string http(const std::string& target) const {
    try {
      asio::io_context io;
      beast::tcp_stream s(io);
      s.expires_after(std::chrono::seconds(5));
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), std::uint16_t(port)));
      beast::http::request<beast::http::empty_body> req{beast::http::verb::get, target, 11};
      req.set(beast::http::field::host, "127.0.0.1");
      beast::http::write(s, req);
      beast::flat_buffer b;
      beast::http::response<beast::http::string_body> res;
      beast::http::read(s, b, res);
      return res.body();
    } catch (const std::exception&) {
      return {};
    }
  }
};

// ------------------------------------------------------------------ the floor: bare Beast

// The floor server: a separate process (this binary again, chosen by its environment before
// main() runs), one WebSocket connection, answering
//   "rtt N"       with one frame of N bytes;
//   "push C N G"  with C frames of N bytes, G microseconds apart, each starting with the
//                 CLOCK_MONOTONIC nanoseconds just before its write (as the exchange's wire log).
void runFloorServer() {
  try {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::string line = "listening ws://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/\n";
    if (write(1, line.data(), line.size()) < 0) return;
    tcp::socket socket(io);
    acceptor.accept(socket);
    socket.set_option(tcp::no_delay(true));  // as the exchange's
    websocket::stream<tcp::socket> ws(std::move(socket));
    ws.accept();
    ws.text(true);
    beast::flat_buffer buffer;
    std::string frame;
    for (;;) {
      ws.read(buffer);
      const std::string msg = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      long a = 0, b = 0, c = 0;
      if (std::sscanf(msg.c_str(), "rtt %ld", &a) == 1) {
        frame.assign(std::size_t(a), 'x');
        ws.write(asio::buffer(frame));
      } else if (std::sscanf(msg.c_str(), "push %ld %ld %ld", &a, &b, &c) == 3) {
        frame.assign(std::size_t(b), 'x');
        for (long i = 0; i < a; ++i) {
          std::this_thread::sleep_for(std::chrono::microseconds(c));
          const std::string stamp = std::to_string(monoNs()) + " ";
          frame.replace(0, stamp.size(), stamp);
          ws.write(asio::buffer(frame));
        }
      }
    }
  } catch (const std::exception&) {
  }
}

[[maybe_unused]] const bool floorServerProcess = [] {
  if (std::getenv("KAPPA_BENCH_FLOOR_SERVER")) {
    runFloorServer();
    _exit(0);
  }
  return false;
}();

struct FloorClient {
  bench::ChildProcess child;
  asio::io_context io;
  std::optional<websocket::stream<tcp::socket>> ws;
  beast::flat_buffer buffer;
  ~FloorClient() {
    ws.reset();  // the server reads the end and exits on its own
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  bool start(std::string& error) {
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return (error = "cannot find this binary", false);
    self[n] = 0;
    const std::string line = child.start({self}, {"KAPPA_BENCH_FLOOR_SERVER=1"}, exchangeCpus(), error);
    const std::size_t colon = line.rfind(':');
    if (line.empty() || colon == std::string::npos) return (error.empty() ? (error = "floor server: " + line) : error, false);
    try {
      tcp::socket s(io);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), std::uint16_t(std::atoi(line.c_str() + colon + 1))));
      s.set_option(tcp::no_delay(true));
      ws.emplace(std::move(s));
      ws->handshake("127.0.0.1", "/");
      ws->text(true);
    } catch (const std::exception& e) {
      return (error = std::string("floor client: ") + e.what(), false);
    }
    return true;
  }
  // Round trips: a request of `requestBytes` (padded "rtt N" text), an answer of `answerBytes`.
  std::vector<double> roundTrips(int count, std::size_t requestBytes, std::size_t answerBytes) {
    std::vector<double> us;
    std::string req = "rtt " + std::to_string(answerBytes) + " ";
    req.resize(std::max(requestBytes, req.size()), 'x');
    for (int i = 0; i < count; ++i) {
      const std::int64_t t0 = monoNs();
      ws->write(asio::buffer(req));
      ws->read(buffer);
      us.push_back(double(monoNs() - t0) / 1e3);
      buffer.consume(buffer.size());
    }
    return us;
  }
  // One way: the server's stamp before its write to this thread's read returning.
  std::vector<double> oneWay(int count, std::size_t bytes, int gapUs) {
    std::vector<double> us;
    const std::string req = "push " + std::to_string(count) + " " + std::to_string(bytes) + " " + std::to_string(gapUs);
    ws->write(asio::buffer(req));
    for (int i = 0; i < count; ++i) {
      ws->read(buffer);
      const std::int64_t t1 = monoNs();
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      us.push_back(double(t1 - std::atoll(text.c_str())) / 1e3);
    }
    return us;
  }
};

// A bare Beast client of the real exchange, one thread, synchronous, no connector: the same
// exchange work and loopback, without our decoding, threads and hand-overs. The difference to
// the connector's figure is what our process adds.
struct BareExchangeClient {
  asio::io_context io;
  std::optional<websocket::stream<tcp::socket>> ws;
  beast::flat_buffer buffer;
  int nextId = 1;

  bool connect(int port, std::string& error) {
    try {
      tcp::socket s(io);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), std::uint16_t(port)));
      s.set_option(tcp::no_delay(true));
      ws.emplace(std::move(s));
      ws->read_message_max(64u << 20);
      ws->handshake("127.0.0.1:" + std::to_string(port), "/ws/api/v2");
      ws->text(true);
      const std::string auth = call("public/auth", std::string(R"({"grant_type":"client_credentials","client_id":")") +
                                                       kClientId + R"(","client_secret":")" + kSecret + "\"}");
      if (auth.find("access_token") == std::string::npos) return (error = "bare client: auth failed", false);
    } catch (const std::exception& e) {
      return (error = std::string("bare client: ") + e.what(), false);
    }
    return true;
  }
  // Sends a request, reads until its answer (notifications in between are skipped); the answer's text.
  std::string call(const std::string& method, const std::string& params) {
    const int id = nextId++;
    ws->write(asio::buffer(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":)" + params + "}"));
    const std::string tag = "\"id\":" + std::to_string(id) + ",";
    for (;;) {
      ws->read(buffer);
      std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (text.find(tag) < 40) return text;
    }
  }

  // Subscribes to what the connector subscribes for `names` (book.{name}.raw, ticker.{name}.100ms,
  // the currency's trades and index: the same stream, bursts of tickers included), then reads for
  // `seconds`: for each book change, (instrument, change_id, CLOCK_MONOTONIC ns when the read returned).
  struct Read {
    std::string instrument;
    std::uint64_t changeId;
    std::int64_t ns;
  };
  std::vector<Read> readBooks(const std::vector<std::string>& names, double seconds) {
    std::vector<std::string> all;
    if (!names.empty())
      all = {"platform_state", "deribit_price_index.btc_usd", "trades.future.BTC.raw", "trades.option.BTC.raw"};
    for (const std::string& n : names) {
      all.push_back("book." + n + ".raw");
      all.push_back("ticker." + n + ".100ms");
    }
    for (std::size_t i = 0; i < all.size(); i += 100) {
      std::string channels;
      for (std::size_t k = i; k < std::min(all.size(), i + 100); ++k)
        channels += std::string(channels.empty() ? "" : ",") + "\"" + all[k] + "\"";
      call("private/subscribe", "{\"channels\":[" + channels + "]}");
    }
    static constexpr std::string_view kPrefix = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.)";
    std::vector<Read> out;
    out.reserve(1 << 20);
    const std::int64_t end = monoNs() + std::int64_t(seconds * 1e9);
    for (std::int64_t now = 0; now < end;) {
      ws->read(buffer);
      now = monoNs();
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (text.compare(0, kPrefix.size(), kPrefix) != 0 || text.find(R"("type":"change")") == std::string::npos) continue;
      const std::size_t dot = text.find('.', kPrefix.size());
      const std::size_t key = text.find(R"("change_id":)");
      if (dot == std::string::npos || key == std::string::npos) continue;
      out.push_back({text.substr(kPrefix.size(), dot - kPrefix.size()), std::strtoull(text.c_str() + key + 12, nullptr, 10), now});
    }
    return out;
  }
};

// ------------------------------------------------------------------ the engine side

// The engine thread: an io_context on its own thread, as the engine's; the listener's callbacks run there.
struct EngineThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~EngineThread() { stop(); }
  void stop() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
};

// Applies market data to a MarketData, as the engine does, and notes what the benchmarks time.
struct Listener : VenueListener {
  explicit Listener(const InstrumentRegistry& r) : registry(r), md(r), live(r.size(), false) {
    applied.reserve(1 << 21);
    for (const Instrument& i : r.all()) books += i.kind != InstrumentKind::Index;
  }

  struct Applied {
    InstrumentId instrument;
    std::uint64_t changeId;
    std::int64_t ns;
  };

  void onMarketData(const MdEvent* events, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      const MdEvent& e = events[i];
      md.apply(e);
      if (e.type == MdType::BookBegin) {
        snapshot = e.isSnapshot;
      } else if (e.type == MdType::BookEnd) {
        const OrderBook& b = md.book(e.instrument);
        if (recording && !snapshot && b.live()) applied.push_back({e.instrument, b.changeId(), monoNs()});
        setLive(e.instrument, b.live());
      } else if (e.type == MdType::BookStale) {
        setLive(e.instrument, false);
      }
    }
  }
  void setLive(InstrumentId id, bool now) {
    if (id >= live.size() || live[id] == now) return;
    live[id] = now;
    liveBooks += now ? 1 : -1;
    if (liveBooks == books) {
      std::lock_guard lock(mutex);
      allLiveNs = monoNs();
      cv.notify_all();
    }
  }
  void onExecution(const ExecReport& r) override {
    if (onExec) onExec(r);
  }
  void onVenueState(VenueState s, const std::string&) override {
    std::lock_guard lock(mutex);
    state = s;
    stateNs[int(s)] = monoNs();
    cv.notify_all();
  }
  // Waits (blocking, never spinning: the CPU is shared with the venue's threads) until `done`.
  bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, done);
  }
  void notify() {
    std::lock_guard lock(mutex);
    cv.notify_all();
  }

  const InstrumentRegistry& registry;
  MarketData md;
  // Wire to book (engine thread only while recording).
  bool recording = false, snapshot = false;
  std::vector<Applied> applied;
  // Reconnects.
  std::vector<bool> live;
  int books = 0, liveBooks = 0;
  std::function<void(const ExecReport&)> onExec;
  std::mutex mutex;  // guards the members below, and the waits
  std::condition_variable cv;
  VenueState state = VenueState::Disconnected;
  std::int64_t stateNs[4] = {0, 0, 0, 0};
  std::int64_t allLiveNs = 0;
};

DeribitVenueConfig venueConfig(int port) {
  DeribitVenueConfig c;
  std::string error;
  parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(port), c.endpoint, error);
  c.credentials = {kClientId, kSecret};
  c.currencies = {"BTC"};
  c.listTimeout = std::chrono::milliseconds(20'000);
  c.limits.matchingCapacity = 1e9;  // the exchange runs without credit limits here
  c.limits.matchingRefillPerS = 1e9;
  c.limits.nonMatchingCapacity = 1e12;
  c.limits.nonMatchingRefillPerS = 1e12;
  return c;
}

// An exchange, the venue connected to it, every book of the currency live on the engine thread.
struct Rig {
  Exchange exchange;
  InstrumentRegistry registry;
  std::unique_ptr<DeribitVenue> venue;
  std::unique_ptr<Listener> listener;
  std::unique_ptr<EngineThread> engine;
  std::string error;

  bool start(bool wireLog, const std::function<void(DeribitVenueConfig&)>& tweak = {}) {
    if (!exchange.start(wireLog, error)) return false;
    DeribitVenueConfig c = venueConfig(exchange.port);
    if (tweak) tweak(c);
    venue = std::make_unique<DeribitVenue>(c);
    venue->listInstruments(registry);
    if (!venue->listError().empty()) return (error = "listInstruments: " + venue->listError(), false);
    listener = std::make_unique<Listener>(registry);
    engine = std::make_unique<EngineThread>();
    venue->connect(*listener, engine->io.get_executor());
    if (!waitAllLive(std::chrono::seconds(30))) return (error = "the books never all went live", false);
    return true;
  }
  bool waitAllLive(std::chrono::milliseconds timeout) {
    // liveBooks is the engine thread's: read it there.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::promise<bool> p;
      asio::post(engine->io, [&] { p.set_value(listener->liveBooks == listener->books && listener->state == VenueState::Connected); });
      if (p.get_future().get()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Venue, engine thread, exchange: in that order, so nothing writes to a stopped reader.
  bool stop() {
    if (venue) venue->disconnect();
    if (engine) engine->stop();
    venue.reset();
    return exchange.child.stop();
  }
  ~Rig() { stop(); }
};

}  // namespace

// ------------------------------------------------------------------ wire to book

// From kappa-exchange's write of a book.{instrument}.raw change to its socket (its --wire-log
// stamp) to the engine thread having applied that change to its book (every subscribed BTC book,
// at the simulator's pace, for KAPPA_BENCH_LOOPBACK_SECONDS). Joined on (instrument, change_id).
// Floor: a bare Beast server's frame (same size, 300 us apart) from its write to a bare client's
// read. Bare: a bare client of the same exchange reading the same books (after the venue, alone).
static void BM_LoopbackWireToBook(benchmark::State& state) {
  const double seconds = std::getenv("KAPPA_BENCH_LOOPBACK_SECONDS") ? std::atof(std::getenv("KAPPA_BENCH_LOOPBACK_SECONDS")) : 10.0;
  constexpr std::size_t kFrameBytes = 300;  // a typical book change notification (1–3 levels)
  constexpr int kFloorGapUs = 300;          // about the exchange's message rate to us (tickers too)
  for (auto _ : state) {
    Percentiles floor;
    {
      FloorClient f;
      std::string error;
      if (!f.start(error)) return state.SkipWithError(error.c_str());
      f.oneWay(200, kFrameBytes, kFloorGapUs);  // warm-up
      floor = percentiles(f.oneWay(10000, kFrameBytes, kFloorGapUs));
    }
    Rig rig;
    if (!rig.start(true)) return state.SkipWithError(rig.error.c_str());
    asio::post(rig.engine->io, [&] { rig.listener->recording = true; });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::promise<void> stopped;
    asio::post(rig.engine->io, [&] {
      rig.listener->recording = false;
      stopped.set_value();
    });
    stopped.get_future().wait();
    const DeribitCounters counters = rig.venue->counters();
    // Then a bare client reads the same books from the same exchange, alone (the venue gone: each
    // change_id is written to one session only, so the join stays one to one).
    rig.venue->disconnect();
    std::vector<std::string> names;
    for (const Instrument& i : rig.registry.all())
      if (i.kind != InstrumentKind::Index) names.push_back(i.name);
    std::vector<BareExchangeClient::Read> bareReads;
    {
      BareExchangeClient bare;
      std::string error;
      if (!bare.connect(rig.exchange.port, error)) return state.SkipWithError(error.c_str());
      bare.readBooks(names, 1.0);  // the snapshots and a warm-up
      bareReads = bare.readBooks({}, seconds);
    }
    if (!rig.stop()) return state.SkipWithError("kappa-exchange did not exit cleanly");
    // Join: the exchange's write time of each (instrument, change_id) on our session.
    std::unordered_map<std::string, InstrumentId> ids;
    for (const Instrument& i : rig.registry.all()) ids[i.name] = i.id;
    std::unordered_map<std::uint64_t, std::int64_t> written;  // (instrument << 44 | change_id) -> ns
    auto key = [](InstrumentId id, std::uint64_t change) { return (std::uint64_t(id) << 44) ^ change; };
    std::ifstream in(rig.exchange.wireLog);
    std::string instrument, type;
    long long ns = 0;
    unsigned long long session = 0, change = 0;
    while (in >> ns >> session >> instrument >> change >> type) {
      auto it = ids.find(instrument);
      if (it != ids.end() && type == "change") written[key(it->second, change)] = ns;
    }
    std::remove(rig.exchange.wireLog.c_str());
    std::vector<double> us;
    std::size_t unmatched = 0;
    // KAPPA_BENCH_LOOPBACK_DUMP=FILE: every joined sample (written ns, applied ns, instrument), to
    // see when the slow ones happened.
    std::FILE* dump = std::getenv("KAPPA_BENCH_LOOPBACK_DUMP") ? std::fopen(std::getenv("KAPPA_BENCH_LOOPBACK_DUMP"), "w") : nullptr;
    for (const Listener::Applied& a : rig.listener->applied) {
      auto it = written.find(key(a.instrument, a.changeId));
      if (it == written.end()) {
        ++unmatched;
        continue;
      }
      us.push_back(double(a.ns - it->second) / 1e3);
      if (dump) std::fprintf(dump, "%lld %lld %u\n", static_cast<long long>(it->second), static_cast<long long>(a.ns), unsigned(a.instrument));
    }
    if (dump) std::fclose(dump);
    std::vector<double> bareUs;
    for (const BareExchangeClient::Read& r : bareReads) {
      auto id = ids.find(r.instrument);
      if (id == ids.end()) continue;
      auto it = written.find(key(id->second, r.changeId));
      if (it != written.end()) bareUs.push_back(double(r.ns - it->second) / 1e3);
    }
    if (us.empty() || bareUs.empty()) return state.SkipWithError("no book change joined with the exchange's wire log");
    const Percentiles p = percentiles(us), bareP = percentiles(bareUs);
    state.SetIterationTime(p.p50 / 1e6);
    report(state, "", p);
    report(state, "floor_", floor);
    report(state, "bare_", bareP);
    state.counters["x_floor"] = floor.p50 > 0 ? p.p50 / floor.p50 : 0;
    state.counters["x_bare"] = bareP.p50 > 0 ? p.p50 / bareP.p50 : 0;
    state.counters["changes_per_s"] = double(us.size()) / seconds;
    state.counters["unmatched"] = double(unmatched);
    state.counters["gaps"] = double(counters.gaps);
    state.SetLabel("exchange cpus " + cpuList(exchangeCpus()) + ", bench cpus " + ownCpus());
  }
}
BENCHMARK(BM_LoopbackWireToBook)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ------------------------------------------------------------------ order round trip

// submit() on the engine thread to the Ack seen on the engine thread, for a post-only limit buy
// 10 % under the BTC-PERPETUAL bid (it rests); one order at a time; each is then cancelled, and
// that cancel() -> Cancelled is timed as its own measure (cancel_p50_us). Floor: a bare Beast
// request/answer round trip of the same sizes (about what private/buy and its answer weigh); bare:
// the same private/buy and cancel from a bare client of the same exchange.
// Arg = orders sent at once (2: two quotes sent together), timed to the last one's Ack:
// the second must not wait for the first (Nagle's algorithm would hold it until the exchange's
// ACK of the first).
static void BM_LoopbackOrderRoundTrip(benchmark::State& state) {
  constexpr int kOrders = 2000;
  const int perRound = int(state.range(0));
  for (auto _ : state) {
    Percentiles floor;
    if (perRound == 1) {
      FloorClient f;
      std::string error;
      if (!f.start(error)) return state.SkipWithError(error.c_str());
      f.roundTrips(200, 260, 900);
      floor = percentiles(f.roundTrips(kOrders, 260, 900));
    }
    Rig rig;
    if (!rig.start(false)) return state.SkipWithError(rig.error.c_str());
    const Instrument* perp = rig.registry.find("BTC-PERPETUAL");
    if (!perp) return state.SkipWithError("no BTC-PERPETUAL");
    std::promise<Price> bidPromise;
    asio::post(rig.engine->io, [&] {
      const OrderBook& b = rig.listener->md.book(perp->id);
      bidPromise.set_value(b.bestBid() ? b.bestBid()->price : 0);
    });
    const Price bid = bidPromise.get_future().get();
    if (bid <= 0) return state.SkipWithError("no BTC-PERPETUAL bid");
    VenueOrder o;
    o.request.instrument = perp->id;
    o.request.side = Side::Buy;
    o.request.postOnly = true;
    o.request.price = (bid - bid / 10) / perp->tickSize * perp->tickSize;
    o.request.qty = perp->minQty;
    // Everything on the engine thread: submit, Ack (timed), cancel, Cancelled (timed), next submit.
    // A round is `perRound` orders sent at once (each at its own price), timed to the last Ack.
    std::vector<VenueOrder> round(std::size_t(perRound), o);
    for (int k = 0; k < perRound; ++k) round[std::size_t(k)].request.price -= Price(k) * perp->tickSize;
    std::vector<double> ackUs, cancelUs;
    ackUs.reserve(kOrders);
    cancelUs.reserve(kOrders);
    std::vector<double> ackGapUs;  // first Ack to last Ack of a round
    std::int64_t t0 = 0, firstAck = 0;
    int rounds = 0, acked = 0, closed = 0, rejected = 0;
    OrderId nextId = 1000;
    std::atomic<bool> done{false};
    const int warmup = 100;
    auto submitRound = [&] {
      ++rounds;
      acked = closed = 0;
      for (VenueOrder& r : round) r.orderId = nextId++;
      t0 = monoNs();
      for (const VenueOrder& r : round) rig.venue->submit(r);
    };
    rig.listener->onExec = [&](const ExecReport& r) {
      const std::int64_t now = monoNs();
      if (r.orderId < round.front().orderId || r.orderId > round.back().orderId) return;
      if (r.type == ExecType::Ack) {
        if (++acked == 1) firstAck = now;
        if (acked < perRound) return;
        if (rounds > warmup) {
          ackUs.push_back(double(now - t0) / 1e3);
          if (perRound > 1) ackGapUs.push_back(double(now - firstAck) / 1e3);
        }
        t0 = monoNs();
        for (const VenueOrder& o : round) rig.venue->cancel(o.orderId);
      } else if (r.type == ExecType::Cancelled || r.type == ExecType::Reject) {
        if (r.type == ExecType::Reject) ++rejected;
        if (++closed < perRound) return;
        if (rounds > warmup) cancelUs.push_back(double(now - t0) / 1e3);
        if (rounds < kOrders + warmup) {
          submitRound();
        } else {
          done = true;
          rig.listener->notify();
        }
      }
    };
    asio::post(rig.engine->io, submitRound);
    const bool finished = rig.listener->waitFor([&] { return done.load(); }, std::chrono::seconds(180));
    std::promise<void> quiet;  // the handler stops touching our locals before they go
    asio::post(rig.engine->io, [&] {
      rig.listener->onExec = nullptr;
      quiet.set_value();
    });
    quiet.get_future().wait();
    if (!finished) return state.SkipWithError("the orders did not all come back in 120 s");
    if (rejected) return state.SkipWithError("an order was rejected");
    // The same orders from a bare client of the same exchange (the venue still connected and
    // reading its market data, as while it was measured).
    std::vector<double> bareUs, bareCancelUs;
    if (perRound == 1) {
      BareExchangeClient bare;
      std::string error;
      if (!bare.connect(rig.exchange.port, error)) return state.SkipWithError(error.c_str());
      char price[64];
      std::snprintf(price, sizeof price, "%.8g", toDouble(o.request.price));
      char amount[64];
      std::snprintf(amount, sizeof amount, "%.8g", toDouble(o.request.qty));
      for (int i = 0; i < kOrders + warmup; ++i) {
        const std::string label = "bare" + std::to_string(i);
        const std::int64_t b0 = monoNs();
        const std::string answer = bare.call("private/buy", std::string(R"({"instrument_name":"BTC-PERPETUAL","type":"limit","post_only":true,"price":)") +
                                                                price + R"(,"amount":)" + amount + R"(,"label":")" + label + "\"}");
        const std::int64_t b1 = monoNs();
        if (answer.find(R"("order_state":"open")") == std::string::npos) return state.SkipWithError(("bare client: private/buy: " + answer.substr(0, 300)).c_str());
        bare.call("private/cancel_by_label", R"({"currency":"BTC","label":")" + label + "\"}");
        const std::int64_t b2 = monoNs();
        if (i >= warmup) {
          bareUs.push_back(double(b1 - b0) / 1e3);
          bareCancelUs.push_back(double(b2 - b1) / 1e3);
        }
      }
    }
    if (!rig.stop()) return state.SkipWithError("kappa-exchange did not exit cleanly");
    const Percentiles p = percentiles(ackUs);
    state.SetIterationTime(p.p50 / 1e6);
    report(state, "", p);
    report(state, "cancel_", percentiles(cancelUs));
    if (perRound > 1) report(state, "ack_gap_", percentiles(ackGapUs));
    if (perRound == 1) {
      report(state, "floor_", floor);
      const Percentiles bareP = percentiles(bareUs);
      report(state, "bare_", bareP);
      report(state, "bare_cancel_", percentiles(bareCancelUs));
      state.counters["x_floor"] = floor.p50 > 0 ? p.p50 / floor.p50 : 0;
      state.counters["x_bare"] = bareP.p50 > 0 ? p.p50 / bareP.p50 : 0;
    }
    state.SetLabel("exchange cpus " + cpuList(exchangeCpus()) + ", bench cpus " + ownCpus());
  }
}
BENCHMARK(BM_LoopbackOrderRoundTrip)->Arg(1)->Arg(2)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ------------------------------------------------------------------ reconnect

// kappa/fault drop (every connection, over HTTP) to the venue Connected again with every BTC book
// (BTC-PERPETUAL, futures, options) live from a fresh snapshot, as the engine thread sees it.
// Arg = the connector's first retry delay (DeribitVenueConfig::backoffInitial, ±20 % jitter):
// 1000 ms is the default; 0 shows the connector's own work. The parts: backoff_ms (Disconnected
// to the new connection's start), login_ms (that to Connected: TCP, WebSocket, auth, heartbeat,
// cancel-on-disconnect), books_ms (Connected to every book live: subscribe, snapshots).
static void BM_LoopbackReconnect(benchmark::State& state) {
  const int backoffMs = int(state.range(0));
  const int drops = backoffMs > 0 ? 5 : 20;
  for (auto _ : state) {
    Rig rig;
    if (!rig.start(false, [&](DeribitVenueConfig& c) { c.backoffInitial = std::chrono::milliseconds(backoffMs); }))
      return state.SkipWithError(rig.error.c_str());
    std::vector<double> total, backoff, login, books, downMs;
    for (int i = 0; i < drops; ++i) {
      if (!rig.waitAllLive(std::chrono::seconds(30))) return state.SkipWithError("books not live before a drop");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      {
        std::lock_guard lock(rig.listener->mutex);
        for (std::int64_t& s : rig.listener->stateNs) s = 0;
        rig.listener->allLiveNs = 0;
      }
      const std::int64_t t0 = monoNs();
      if (rig.exchange.http("/api/v2/kappa/fault?action=drop").find("\"error\":") != std::string::npos)
        return state.SkipWithError("kappa/fault drop refused");
      Listener& l = *rig.listener;
      const bool back = l.waitFor([&] {
        return l.stateNs[int(VenueState::Disconnected)] && l.stateNs[int(VenueState::Connecting)] &&
               l.stateNs[int(VenueState::Connected)] && l.allLiveNs > l.stateNs[int(VenueState::Connected)];
      }, std::chrono::seconds(60));
      if (!back) return state.SkipWithError("did not come back in 60 s");
      std::lock_guard lock(l.mutex);
      const std::int64_t down = l.stateNs[int(VenueState::Disconnected)], start = l.stateNs[int(VenueState::Connecting)],
                         up = l.stateNs[int(VenueState::Connected)], live = l.allLiveNs;
      total.push_back(double(live - t0) / 1e3);
      downMs.push_back(double(down - t0) / 1e6);
      backoff.push_back(double(start - down) / 1e6);
      login.push_back(double(up - start) / 1e6);
      books.push_back(double(live - up) / 1e6);
    }
    const std::uint64_t reconnects = rig.venue->counters().reconnects;
    if (!rig.stop()) return state.SkipWithError("kappa-exchange did not exit cleanly");
    const Percentiles p = percentiles(total);
    state.SetIterationTime(p.p50 / 1e6);
    state.counters["p50_ms"] = p.p50 / 1e3;
    state.counters["max_ms"] = p.max / 1e3;
    state.counters["detect_ms"] = percentiles(downMs).p50;
    state.counters["backoff_ms"] = percentiles(backoff).p50;
    state.counters["login_ms"] = percentiles(login).p50;
    state.counters["books_ms"] = percentiles(books).p50;
    state.counters["books"] = double(rig.listener->books);
    state.counters["drops"] = double(drops);
    state.counters["reconnects"] = double(reconnects);
    state.SetLabel("exchange cpus " + cpuList(exchangeCpus()) + ", bench cpus " + ownCpus());
  }
}
BENCHMARK(BM_LoopbackReconnect)->Arg(1000)->Arg(0)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// The cost of the hand-over itself on this machine: one thread posts a handler to an io_context
// that another thread runs (idle, waiting in epoll as the engine thread waits between batches),
// timed from the post to the handler's start. The connector's path has two such wake-ups (the
// socket's readiness wakes the I/O thread; the VenueInbox's post wakes the engine thread), so this
// is a floor under wire-to-book that no connector code can remove. Arg 0: the waiting thread on
// the poster's CPU; 1: on another CPU (when the process may use one). One post every 300 µs, as a
// book change arrives at the simulator's pace.
void BM_ThreadWakeFloor(benchmark::State& state) {
  for (auto _ : state) {
    cpu_set_t mine;
    CPU_ZERO(&mine);
    sched_getaffinity(0, sizeof mine, &mine);
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mine)) cpus.push_back(c);
    const int here = sched_getcpu();
    int target = here;
    if (state.range(0) == 1)
      for (int c : cpus)
        if (c != here) target = c;
    if (state.range(0) == 1 && target == here) {
      state.SkipWithError("one CPU only: run without taskset for the cross-CPU floor");
      return;
    }
    // The poster stays where it is for the whole run.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(here, &one);
    sched_setaffinity(0, sizeof one, &one);

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread waiter([&] {
      cpu_set_t t;
      CPU_ZERO(&t);
      CPU_SET(target, &t);
      pthread_setaffinity_np(pthread_self(), sizeof t, &t);
      io.run();
    });
    constexpr int kSamples = 10000;
    std::vector<double> us;
    us.reserve(kSamples);
    std::atomic<bool> ran{false};
    for (int i = 0; i < kSamples + 200; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      ran.store(false, std::memory_order_relaxed);
      const auto sent = std::chrono::steady_clock::now();
      std::chrono::steady_clock::time_point started;
      asio::post(io, [&] {
        started = std::chrono::steady_clock::now();
        ran.store(true, std::memory_order_release);
      });
      while (!ran.load(std::memory_order_acquire)) std::this_thread::yield();
      if (i >= 200) us.push_back(std::chrono::duration<double, std::micro>(started - sent).count());
    }
    work.reset();
    io.stop();
    waiter.join();
    sched_setaffinity(0, sizeof mine, &mine);
    const Percentiles p = percentiles(us);
    state.SetIterationTime(p.p50 / 1e6);
    report(state, "", p);
    state.SetLabel("poster cpu " + std::to_string(here) + ", waiting thread cpu " + std::to_string(target));
  }
}
BENCHMARK(BM_ThreadWakeFloor)->Arg(0)->Arg(1)->Iterations(1)->UseManualTime()->Unit(benchmark::kMicrosecond);
