// The Binance USD-M futures connector against a real kappa-exchange (its Binance side on the same
// port as its Deribit API): instruments in the engine's shared registry, books synced into the
// engine's own MarketData and kept in sync through every fault the exchange injects (a gap, a pu
// break, a stale snapshot, dropped streams), orders through their whole life (ack, modify, cancel,
// fills with fees, rejects in a trader's words), HALT's cancel-all per symbol, listen-key expiry,
// 429 and 418, restart reconciliation, and a market connection rotated without a resync.
#include <QtTest>

#include <QDir>
#include <QFileInfo>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>

#include "DeribitVenueHarness.hpp"
#include "core/Log.hpp"
#include "ExchangeProcess.hpp"
#include "venue/binance/BinanceVenue.hpp"

using namespace kappa;
using namespace kappa::binance;

namespace {

const char* kKey = "bn-test-key";
const char* kSecret = "bn-test-secret-never-logged";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? QString(KAPPA_EXCHANGE_BINARY) : QString::fromLocal8Bit(env);
}

// POST /kappa/binance/fault?... on the exchange (loopback only): the HTTP status.
int fault(int port, const std::string& query) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (ec) return 0;
  http::request<http::string_body> req(http::verb::post, "/kappa/binance/fault?" + query, 11);
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return 0;
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  return ec ? 0 : int(res.result_int());
}

// A registry that already holds another venue's instruments (venue 0, one named like ours):
// Binance's ids interleave after them and names are found per venue.
void seedOtherVenue(InstrumentRegistry& r) {
  Instrument other;
  other.name = "BTCUSDT";
  other.venue = 0;
  r.add(other);
}

}  // namespace

class TestBinanceVenue : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;
  // The test's "engine thread": a fresh one per test function, so that handlers a venue posted
  // at its end (state changes after disconnect) are dropped with it, never run against the next test.
  std::unique_ptr<boost::asio::io_context> engine_;
  std::mutex logMutex_;
  std::vector<std::string> logLines_;

  BinanceVenueConfig config() const {
    BinanceVenueConfig c;
    std::string error;
    parseBinanceEndpoint("http://127.0.0.1:" + std::to_string(port_), c.endpoint, error);
    c.credentials = {kKey, kSecret};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(10000);
    c.backoffInitial = std::chrono::milliseconds(200);
    c.backoffMax = std::chrono::milliseconds(1000);
    return c;
  }
  bool waitFor(const std::function<bool()>& done, int ms = 15000) { return kappa::test::runUntil(*engine_, done, ms); }

  // A connected venue whose books are all live.
  struct Rig {
    InstrumentRegistry registry;
    std::unique_ptr<BinanceVenue> venue;
    std::unique_ptr<kappa::test::VenueSide> side;
    InstrumentId btc = kNoInstrument, eth = kNoInstrument;
  };
  void connect(Rig& rig, BinanceVenueConfig c) {
    seedOtherVenue(rig.registry);
    rig.venue = std::make_unique<BinanceVenue>(std::move(c));
    rig.venue->setId(3);
    rig.venue->listInstruments(rig.registry);
    QVERIFY2(rig.venue->listError().empty(), rig.venue->listError().c_str());
    const Instrument* btc = rig.registry.find(3, "BTCUSDT");
    const Instrument* eth = rig.registry.find(3, "ETHUSDT");
    QVERIFY(btc && eth);
    rig.btc = btc->id;
    rig.eth = eth->id;
    rig.side = std::make_unique<kappa::test::VenueSide>(rig.registry);
    rig.venue->connect(*rig.side, engine_->get_executor());
    const bool live =
        waitFor([&] { return rig.venue->allBooksLive() && rig.side->md.book(rig.btc).live() && rig.side->md.book(rig.eth).live(); });
    const auto k = rig.venue->counters();
    QVERIFY2(live, qPrintable(QString("books not live: state %1, snapshots %2, resyncs %3, btc %4, eth %5")
                                  .arg(nameOf(rig.venue->state()))
                                  .arg(k.snapshots)
                                  .arg(k.resyncs)
                                  .arg(int(rig.side->md.book(rig.btc).status()))
                                  .arg(int(rig.side->md.book(rig.eth).status()))));
  }
  OrderRequest limit(InstrumentId id, Side side, double price, double qty, bool postOnly = false) {
    OrderRequest r;
    r.instrument = id;
    r.side = side;
    r.type = OrderType::Limit;
    r.price = toFixed(price);
    r.qty = toFixed(qty);
    r.postOnly = postOnly;
    return r;
  }
  double bestBid(Rig& rig, InstrumentId id) { return toDouble(rig.side->md.book(id).bestBid()->price); }
  double bestAsk(Rig& rig, InstrumentId id) { return toDouble(rig.side->md.book(id).bestAsk()->price); }
  // A price that takes the offers, on the tick.
  double through(Rig& rig, InstrumentId id) {
    const double tick = toDouble(rig.registry[id].tickSize);
    return std::ceil(bestAsk(rig, id) * 1.01 / tick) * tick;
  }
  // A price well away from the market on the tick.
  double farBelow(Rig& rig, InstrumentId id) {
    const double tick = toDouble(rig.registry[id].tickSize);
    return std::floor(bestBid(rig, id) * 0.9 / tick) * tick;
  }

 private slots:
  void init() {
    engine_ = std::make_unique<boost::asio::io_context>();
    // Every log line the connector writes, to prove the secret is never among them.
    {
      std::lock_guard lock(logMutex_);
      logLines_.clear();
    }
    log::setMinLevel(log::Level::Debug);
    log::setSink([this](log::Level, std::string_view component, std::string_view message) {
      std::lock_guard lock(logMutex_);
      logLines_.push_back(std::string(component) + ": " + std::string(message));
    });
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    QStringList args{"--seed", "7", "--account", QString("%1:%2").arg(kKey, kSecret)};
    if (QByteArray(QTest::currentTestFunction()) == "pingsAnswered")  // the server pings every second, closes after 2 s unanswered
      args << "--binance-ping-interval" << "1";
    const QString failed = exchange_.start(bin, args);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
  }
  void cleanup() {
    exchange_.stop();
    engine_.reset();
    log::setSink(nullptr);
    std::lock_guard lock(logMutex_);
    for (const std::string& line : logLines_) QVERIFY2(line.find(kSecret) == std::string::npos, line.c_str());
  }

  void instrumentsAndBooks() {
    Rig rig;
    connect(rig, config());
    const Instrument& btc = rig.registry[rig.btc];
    QCOMPARE(btc.venue, VenueId(3));
    QVERIFY(rig.btc > 0);  // after the other venue's
    QCOMPARE(rig.registry.find("BTCUSDT")->venue, VenueId(0));  // the bare name finds the first venue's
    QCOMPARE(int(btc.kind), int(InstrumentKind::Perpetual));
    QCOMPARE(int(btc.settlement), int(Settlement::Linear));
    QCOMPARE(btc.quoteCurrency, std::string("USDT"));
    QCOMPARE(btc.settleCurrency, std::string("USDT"));
    QCOMPARE(btc.baseCurrency, std::string("BTC"));
    QCOMPARE(btc.tickSize, toFixed(0.1));
    QCOMPARE(btc.minQty, toFixed(0.001));
    const Instrument& index = rig.registry[btc.underlyingId];
    QCOMPARE(int(index.kind), int(InstrumentKind::Index));
    QCOMPARE(index.name, std::string("BTCUSDT-INDEX"));
    QCOMPARE(index.venue, VenueId(3));
    QCOMPARE(index.quoteCurrency, std::string("USDT"));
    // Market data of every kind reaches the engine.
    QVERIFY2(waitFor([&] {
               const auto& s = rig.side->md.stats(rig.btc);
               return s.venueMark > 0 && rig.side->md.stats(btc.underlyingId).last > 0;
             }),
             "no mark or index price");
    QVERIFY(rig.venue->ticker(rig.btc).has_value());
    const OrderBook& b = rig.side->md.book(rig.btc);
    QVERIFY(b.bestBid()->price < b.bestAsk()->price);
    const auto c = rig.venue->counters();
    QVERIFY(c.snapshots >= 2);
    QCOMPARE(c.resyncs, std::uint64_t(0));
    QCOMPARE(rig.side->md.staleEpisodes(), std::uint64_t(0));
    QCOMPARE(rig.venue->summary().environment, std::string("custom"));
    for (const auto& [st, detail] : rig.side->states) QVERIFY(detail.find(kSecret) == std::string::npos);
    QVERIFY(rig.venue->summary().endpoint.find(kSecret) == std::string::npos);
    rig.venue->disconnect();
  }

  void faultsResync() {
    Rig rig;
    connect(rig, config());
    for (const char* action : {"action=pu_break", "action=skip_update_ids"}) {
      const auto before = rig.venue->counters().resyncs;
      QCOMPARE(fault(port_, action), 200);
      QVERIFY2(waitFor([&] { return rig.venue->counters().resyncs >= before + 2; }), action);  // both books
      QVERIFY2(waitFor([&] { return rig.venue->allBooksLive() && rig.side->md.book(rig.btc).live() && rig.side->md.book(rig.eth).live(); }),
               action);
    }
    // A stale snapshot is recognised and fetched again.
    QCOMPARE(fault(port_, "action=stale_snapshot&count=1&age_ms=3000"), 200);
    const auto snaps = rig.venue->counters().snapshots;
    rig.venue->requestSnapshot(rig.btc);
    QVERIFY(waitFor([&] { return rig.venue->counters().snapshots > snaps && rig.venue->allBooksLive(); }));
    QVERIFY(rig.side->md.book(rig.btc).live());
    // Dropped streams: reconnect, books live again.
    QCOMPARE(fault(port_, "action=drop_streams"), 200);
    QVERIFY(waitFor([&] { return rig.venue->counters().reconnects >= 1; }));
    QVERIFY(waitFor([&] { return rig.venue->allBooksLive() && rig.side->md.book(rig.btc).live(); }));
    rig.venue->disconnect();
  }

  void orderLifecycle() {
    Rig rig;
    connect(rig, config());
    auto& s = *rig.side;
    // Rest, modify, cancel.
    s.submit(*rig.venue, 101, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc), 0.01, true));
    QVERIFY(waitFor([&] { return s.orders[101].acked; }));
    const double newPrice = farBelow(rig, rig.btc) - 10;
    rig.venue->replace(101, toFixed(newPrice), toFixed(0.02));
    QVERIFY(waitFor([&] { return s.count(101, ExecType::Replaced) == 1; }));
    QCOMPARE(s.orders[101].price, toFixed(newPrice));
    QCOMPARE(s.orders[101].amount, toFixed(0.02));
    rig.venue->cancel(101);
    QVERIFY(waitFor([&] { return s.orders[101].cancelled; }));
    // A marketable order fills, with the fee.
    s.submit(*rig.venue, 102, limit(rig.btc, Side::Buy, through(rig, rig.btc), 0.01));
    if (!waitFor([&] { return s.orders[102].fullyFilled; })) {
      for (const ExecReport& r : s.exec)
        if (r.orderId == 102) qWarning("102: type %d qty %f leaves %f reason %s", int(r.type), toDouble(r.qty), toDouble(r.leaves), r.reason.c_str());
      QFAIL("102 not filled");
    }
    double fee = 0;
    for (const ExecReport& r : s.exec)
      if (r.orderId == 102 && r.type == ExecType::Fill) fee += r.fee;
    QVERIFY(fee > 0);
    QCOMPARE(s.orders[102].filled, toFixed(0.01));
    // Refusals a trader understands: below the minimum notional (ours), off the tick (Binance's).
    s.submit(*rig.venue, 103, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc), 0.001));
    QVERIFY(waitFor([&] { return s.orders[103].rejected; }));
    QVERIFY2(s.orders[103].lastReason.find("minimum notional") != std::string::npos, s.orders[103].lastReason.c_str());
    s.submit(*rig.venue, 104, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc) + 0.05, 0.01));
    QVERIFY(waitFor([&] { return s.orders[104].rejected; }));
    QVERIFY2(s.orders[104].lastReason.find("tick") != std::string::npos, s.orders[104].lastReason.c_str());
    // A post-only order that would take.
    s.submit(*rig.venue, 105, limit(rig.btc, Side::Buy, through(rig, rig.btc), 0.01, true));
    QVERIFY(waitFor([&] { return s.orders[105].terminal(); }));
    QVERIFY(s.orders[105].filled == 0);
    // Positions as the exchange keeps them.
    rig.venue->queryPositions();
    QVERIFY(waitFor([&] { return s.positionAnswers > 0; }));
    bool found = false;
    for (const VenuePosition& p : s.positions) found |= p.instrument == rig.btc && std::abs(p.qty - 0.01) < 1e-9;
    QVERIFY(found);
    QVERIFY(waitFor([&] { return s.accounts.count("USDT") && s.accounts["USDT"].balance > 0; }));
    // Restart reconciliation: an order this session never sent.
    rig.venue->queryOrders({999});
    QVERIFY(waitFor([&] { return s.count(999, ExecType::Cancelled) + s.count(999, ExecType::Reject) == 1; }));
    rig.venue->disconnect();
  }

  void haltCancelsEverySymbol() {
    Rig rig;
    connect(rig, config());
    auto& s = *rig.side;
    s.submit(*rig.venue, 201, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc), 0.01));
    s.submit(*rig.venue, 202, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc) - 1, 0.01));
    s.submit(*rig.venue, 203, limit(rig.eth, Side::Buy, farBelow(rig, rig.eth), 0.1));
    QVERIFY(waitFor([&] { return s.orders[201].acked && s.orders[202].acked && s.orders[203].acked; }));
    QVERIFY(rig.venue->cancelAllOrders());
    QVERIFY(waitFor([&] { return s.orders[201].cancelled && s.orders[202].cancelled && s.orders[203].cancelled; }));
    QVERIFY(waitFor([&] { return rig.venue->counters().cancelAllConfirmed >= 2; }));
    bool told = false;
    for (const auto& [st, detail] : s.states) told |= detail.find("cancel all BTCUSDT: Binance confirmed") != std::string::npos;
    QVERIFY(told);
    rig.venue->disconnect();
  }

  void listenKeyExpiry() {
    Rig rig;
    connect(rig, config());
    QVERIFY(waitFor([&] { return rig.venue->counters().listenKeys == 1 && rig.venue->state() == VenueState::Connected; }));
    QCOMPARE(fault(port_, "action=expire_listen_key"), 200);
    QVERIFY(waitFor([&] { return rig.venue->counters().listenKeys == 2; }));
    // The new stream carries our orders' reports.
    auto& s = *rig.side;
    QTest::qWait(300);
    s.submit(*rig.venue, 301, limit(rig.btc, Side::Buy, through(rig, rig.btc), 0.01));
    QVERIFY(waitFor([&] { return s.orders[301].fullyFilled; }));
    QVERIFY(waitFor([&] { return s.positionAnswers > 0; }));  // the full reconciliation asked for positions
    QCOMPARE(rig.venue->counters().reconnects, std::uint64_t(0));  // the market stream never noticed
    rig.venue->disconnect();
  }

  void rateLimitsAndBan() {
    Rig rig;
    connect(rig, config());
    auto& s = *rig.side;
    QCOMPARE(fault(port_, "action=rate_limit&count=1"), 200);
    s.submit(*rig.venue, 401, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc), 0.01));
    QVERIFY(waitFor([&] { return rig.venue->counters().tooManyRequests == 1; }));
    QVERIFY(waitFor([&] { return s.orders[401].rejected; }));
    bool pausedTold = false;
    for (const auto& [st, detail] : s.states) pausedTold |= detail.find("429") != std::string::npos;
    QVERIFY(pausedTold);
    // A request in the back-off is refused here, not sent.
    s.submit(*rig.venue, 402, limit(rig.btc, Side::Buy, farBelow(rig, rig.btc), 0.01));
    QVERIFY(waitFor([&] { return s.orders[402].rejected; }));
    QVERIFY2(s.orders[402].lastReason.find("429") != std::string::npos, s.orders[402].lastReason.c_str());
    QVERIFY(rig.venue->counters().rateLimited >= 1);
    rig.venue->disconnect();

    Rig banned;
    connect(banned, config());
    QCOMPARE(fault(port_, "action=ban&seconds=30"), 200);
    banned.side->submit(*banned.venue, 403, limit(banned.btc, Side::Buy, farBelow(banned, banned.btc), 0.01));
    QVERIFY(waitFor([&] { return banned.venue->counters().bans == 1; }));
    bool banTold = false;
    for (const auto& [st, detail] : banned.side->states) banTold |= detail.find("banned by Binance (418) until") != std::string::npos;
    QVERIFY(banTold);
    banned.venue->disconnect();
  }

  void rotationKeepsSync() {
    Rig rig;
    connect(rig, config());
    const auto before = rig.venue->counters();
    const auto staleBefore = rig.side->md.staleEpisodes();
    rig.venue->rotateNow();
    QVERIFY(waitFor([&] { return rig.venue->counters().rotations == 1; }));
    QTest::qWait(500);
    runFor();
    QCOMPARE(rig.venue->counters().resyncs, before.resyncs);  // the standby caught up: no resync
    QCOMPARE(rig.venue->counters().snapshots, before.snapshots);
    QCOMPARE(rig.side->md.staleEpisodes(), staleBefore);
    const auto changeId = rig.side->md.book(rig.btc).changeId();
    QVERIFY(waitFor([&] { return rig.side->md.book(rig.btc).changeId() > changeId; }));  // still flowing, on the new connection
    QVERIFY(rig.side->md.book(rig.btc).live());
    rig.venue->disconnect();
  }

  // The exchange pings every second and drops a connection that does not answer within two: the
  // transport's pongs keep the market and user streams up.
  void pingsAnswered() {
    Rig rig;
    connect(rig, config());
    QVERIFY(waitFor([&] { return rig.venue->counters().listenKeys == 1 && rig.venue->state() == VenueState::Connected; }));
    kappa::test::runFor(*engine_, 5000);
    QCOMPARE(rig.venue->counters().reconnects, std::uint64_t(0));
    QVERIFY(rig.venue->allBooksLive());
    QCOMPARE(rig.venue->state(), VenueState::Connected);
    rig.venue->disconnect();
  }

 private:
  void runFor() { kappa::test::runFor(*engine_, 300); }
};

QTEST_GUILESS_MAIN(TestBinanceVenue)
#include "tst_binance_venue.moc"
