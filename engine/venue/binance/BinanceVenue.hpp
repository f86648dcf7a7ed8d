#pragma once
// Binance USD-M futures as a Venue: signed REST for orders and account, a combined market-data
// WebSocket (depth@100ms, aggTrade, markPrice@1s, bookTicker per symbol) and a user data stream
// (listenKey), all on the venue's own I/O thread with its own io_context, exactly as DeribitVenue
// runs; decoded batches reach the engine thread through a VenueInbox.
//
// Instruments: GET /fapi/v1/exchangeInfo's USDT-margined perpetuals and quarterlies of the
// configured base assets, each pointing (underlyingId) at an index instrument per pair
// ("BTCUSDT-INDEX", fed by markPrice's index price); refreshed while running (new symbols Listed,
// delisted ones Retired, through onInstrumentChange before any data for them).
// Books: Binance's snapshot + diff-depth sync (BinanceDepthSync.hpp); a break makes the book stale
// and fetches a new snapshot; GET /fapi/v1/depth requests are paced (a few at a time).
// Orders: newClientOrderId = "kappa-<OrderId>"; an order request whose answer never came is
// resolved by GET /fapi/v1/order?origClientOrderId before anything else: never sent twice.
// Rate limits: the X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-* headers keep our own budget
// (refused here before Binance would); 429 backs off for Retry-After; 418 stops all requests until
// the ban's end, shown in the venue state's detail.
// Connections: reconnect with backoff (1 s doubling to 30 s, jitter), then resync every book and
// reconcile: open orders, unresolved orders and the account first; positions (GET positionRisk)
// only once those have answered and the fills they showed are booked, so the engine compares a
// position with every fill behind it (a failed positions request is asked again with backoff).
// An earlier session's order (queryOrders) has its fills booked from the REST answer at once,
// right after its Ack: the stream will never bring them. ACCOUNT_UPDATE's positions go to the
// engine's check (onPositionChanges) once the stream has brought the trades behind them. The
// market connection is rotated
// before Binance's 24 h cut-off: a standby connection opens, and takes over once its stream has
// caught up with every live book (no resync), then the old one closes.
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/Log.hpp"
#include "venue/Venue.hpp"
#include "venue/VenueIoThread.hpp"
#include "venue/VenueInbox.hpp"
#include "venue/binance/BinanceCredentials.hpp"
#include "venue/binance/BinanceDecoder.hpp"

namespace kappa::net {
class WsTransport;
}

namespace kappa::binance {

class HttpClient;
class BinanceOrderTracker;
struct HttpResponse;
struct ApiError;
struct SymbolInfo;

struct BinanceVenueConfig {
  BinanceEndpoint endpoint;
  BinanceCredentials credentials;  // empty: market data only, orders refused
  std::vector<std::string> baseAssets{"BTC", "ETH"};
  std::chrono::milliseconds recvWindow{5'000};
  std::chrono::milliseconds requestTimeout{10'000};
  std::chrono::milliseconds listTimeout{30'000};   // listInstruments' blocking fetch
  std::chrono::milliseconds connectTimeout{10'000};
  std::chrono::milliseconds backoffInitial{1'000};
  std::chrono::milliseconds backoffMax{30'000};
  std::chrono::milliseconds listenKeyKeepAlive{30 * 60'000};  // Binance expires a key after 60 min without
  std::chrono::milliseconds connectionLifetime{23 * 3'600'000LL};  // rotated before Binance's 24 h cut-off
  std::chrono::milliseconds rotationTimeout{60'000};  // a standby that has not caught up by then takes over with resyncs
  std::chrono::milliseconds instrumentRefresh{600'000};  // 0 = only at each (re)connect
  int depthLimit = 1000;            // GET /fapi/v1/depth?limit=
  int snapshotsInFlight = 2;        // depth requests at a time (weight 20 each at limit 1000)
  // Binance's documented limits (exchangeInfo rateLimits), used at `safety` of their size.
  double weightPerMinute = 2400, ordersPer10s = 300, ordersPerMinute = 1200, safety = 0.8;
};

struct BinanceCounters {
  std::uint64_t sessions = 0, reconnects = 0;
  std::uint64_t snapshots = 0;           // depth snapshots applied
  std::uint64_t resyncs = 0;             // syncs restarted (breaks, stale snapshots, engine requests)
  std::uint64_t rateLimited = 0;         // requests our own limiter refused
  std::uint64_t tooManyRequests = 0;     // 429 answers
  std::uint64_t bans = 0;                // 418 answers
  std::uint64_t timeResyncs = 0;         // -1021: server time measured again
  std::uint64_t malformed = 0;
  std::uint64_t rotations = 0;           // market connections replaced before the cut-off
  std::uint64_t listenKeys = 0;          // listen keys created
  std::uint64_t cancelAllConfirmed = 0;  // DELETE allOpenOrders answers
  std::uint64_t unknownOutcomes = 0;     // order requests resolved by origClientOrderId
  std::uint64_t instrumentsListed = 0, instrumentsRetired = 0;
  std::uint64_t positionAnswers = 0;     // positionRisk answers sent to the engine
  std::uint64_t positionRetries = 0;     // positionRisk requests that failed and were asked again
  std::uint64_t positionChangesSent = 0; // ACCOUNT_UPDATE positions sent to the engine to compare
  std::int64_t timeOffsetMs = 0;         // server minus local clock
  long usedWeight1m = 0;                 // the last X-MBX-USED-WEIGHT-1M
};

class BinanceVenue final : public Venue {
 public:
  explicit BinanceVenue(BinanceVenueConfig config);
  ~BinanceVenue() override;

  std::string name() const override { return "binance-futures"; }
  // Blocking (bounded by listTimeout): runs before the engine thread starts.
  void listInstruments(InstrumentRegistry& registry) override;
  void connect(VenueListener& listener, boost::asio::any_io_executor engine) override;
  void disconnect() override;
  void submit(const VenueOrder& order) override;
  void cancel(OrderId orderId) override;
  void replace(OrderId orderId, Price newPrice, Qty newLeaves) override;
  void requestSnapshot(InstrumentId id) override;
  void queryOrders(const std::vector<OrderId>& ids) override;
  bool reportsPositions() const override { return true; }
  void queryPositions() override;
  bool cancelAllOrders() override;
  VenueSummary summary() const override;

  // ---- any thread ----
  std::string listError() const;
  BinanceCounters counters() const;
  std::optional<BinanceTicker> ticker(InstrumentId id) const;
  VenueState state() const { return state_.load(); }
  const BinanceVenueConfig& config() const { return config_; }
  // Whether every book of the venue is synchronised (tests).
  bool allBooksLive() const { return allLive_.load(); }
  // Forces a market connection rotation now (tests; normally at connectionLifetime).
  void rotateNow();

 private:
  struct Symbol {
    InstrumentId id = kNoInstrument;
    std::string name;    // "BTCUSDT"
    std::string lower;   // "btcusdt": stream names
    double minNotional = 0;
    bool active = true;  // not retired
  };
  using Callback = std::function<void(const HttpResponse&, const ApiError* error)>;

  // I/O thread from here on.
  void startSession();
  void housekeeping(std::uint64_t generation);
  void openMarket(bool standby);
  void onMarketMessage(std::uint64_t conn, std::string_view text);
  void onMarketClosed(std::uint64_t conn, const std::string& reason);
  void promoteStandby(const std::string& why);
  void scheduleRotation();
  void endSession(const std::string& reason);
  void scheduleReconnect(const std::string& reason);
  void startUserStream();
  void openUserStream();
  void replaceUserStream();
  void keepAliveListenKey();
  void onUserMessage(std::string_view text);
  void measureTime(std::function<void()> then);
  void startBook(InstrumentId id, const std::string& reason);
  void pumpSnapshots();
  void fetchSnapshot(InstrumentId id);
  void handleBatch();
  void flush();
  void setState(VenueState s, std::string detail);
  void updateAllLive();
  std::vector<std::string> streamsOf(const Symbol& s) const;

  // REST.
  void publicRequest(const std::string& method, const std::string& path, const std::string& query, int weight, Callback cb);
  void signedRequest(const std::string& method, const std::string& path, const std::string& params, int weight,
                     bool isOrder, Callback cb, bool retried = false);
  void keyRequest(const std::string& method, const std::string& path, Callback cb);  // listenKey: API key, no signature
  // Whether our budget lets a request go now; otherwise the reason.
  std::string limiterRefusal(int weight, bool isOrder, bool isCancel) const;
  void noteResponse(const HttpResponse& r, int weight, bool isOrder);

  // Orders.
  void doSubmit(const VenueOrder& order);
  void doCancel(OrderId id);
  void doReplace(OrderId id, Price price, Qty leaves);
  void doCancelAll();
  void cancelAllFor(const std::string& symbol);
  void tellCancelAll(log::Level level, const std::string& what, bool confirmed = false);
  void cancelOrdersOfRetired(const std::string& symbol);
  void resolveOrder(OrderId id, int attempt = 0);
  void lookUpEarlierOrder(OrderId id, std::size_t symbolIndex, int attempt);
  void reconcile();
  // Reconciliation requests (open orders, orders asked by our id) not yet answered: positions wait
  // for them, or the fills they bring would reach the engine after the positions that include them.
  void reconcileStarted() { ++reconcileOutstanding_; }
  void reconcileDone(std::uint64_t generation);
  // Positions (GET positionRisk) once asked and the picture is complete: both streams open, every
  // reconciliation request answered, no fill held for the stream. A failed answer is asked again
  // with backoff (1 s doubling to 30 s, never before a 429/418 pause ends): never left unanswered.
  void sendPositionsWhenReady();
  void retryPositions(const std::string& why);
  // How long a 429 back-off or a 418 ban still stops every request (0 if none), plus a margin.
  std::chrono::milliseconds pauseLeft() const;
  // ACCOUNT_UPDATE positions, each held until the stream has brought the trades up to its
  // transaction time (Binance orders events of one type only, not an ACCOUNT_UPDATE against its
  // ORDER_TRADE_UPDATE) and its trades have paused for 200 ms, then sent to the engine to compare;
  // those held 5 s are sent all the same. Once a second (housekeeping); `now` is monotonic.
  void forwardPositionChanges(Nanos now);
  void fetchOpenOrders();
  void fetchAccount();
  void refuseChange(OrderId id, const std::string& reason);
  static bool outcomeUnknown(const HttpResponse& r, const ApiError* e);
  void checkUnansweredChange(OrderId id, bool cancel, Price price, Qty amount, const std::string& why);
  const Symbol* symbolOf(InstrumentId id) const;

  // Instruments while running.
  void scheduleInstrumentRefresh();
  void refreshInstruments();
  void applyExchangeInfo(const std::vector<SymbolInfo>& symbols, bool initial);
  InstrumentId ensureIndex(const SymbolInfo& info);

  BinanceVenueConfig config_;
  InstrumentRegistry* registry_ = nullptr;  // the engine's, shared by every venue; outlives us
  std::unique_ptr<BinanceDecoder> decoder_;
  std::unique_ptr<BinanceOrderTracker> tracker_;

  VenueIoThread ioThread_;
  boost::asio::io_context& io_ = ioThread_.io();
  std::unique_ptr<HttpClient> http_;
  boost::asio::steady_timer reconnectTimer_{io_}, keepAliveTimer_{io_}, rotationTimer_{io_}, refreshTimer_{io_},
      accountTimer_{io_}, housekeepingTimer_{io_};

  std::shared_ptr<net::WsTransport> market_, standby_, user_;
  std::uint64_t marketConn_ = 0, standbyConn_ = 0, userConn_ = 0, connSerial_ = 0;
  std::set<InstrumentId> standbyCaughtUp_;
  std::uint64_t generation_ = 0;  // a session: every callback of an older one is ignored
  int attempts_ = 0;
  int userStreamOpens_ = 0;
  std::uint64_t requestId_ = 0;  // SUBSCRIBE / UNSUBSCRIBE ids
  bool marketOpen_ = false, userOpen_ = false, stopping_ = false, everConnected_ = false, accountQueued_ = false;
  std::string listenKey_;
  std::int64_t timeOffsetMs_ = 0;
  std::deque<InstrumentId> snapshotQueue_;
  std::set<InstrumentId> snapshotQueued_;
  int snapshotsInFlight_ = 0;
  std::set<OrderId> unknownOutcome_;
  std::map<OrderId, Nanos> absentSince_;  // unknown outcomes Binance said -2013 to, since (monotonic): see resolveOrder
  int reconcileOutstanding_ = 0;  // this session's
  bool positionsWanted_ = false, positionsInFlight_ = false, positionsRetryPending_ = false;
  int positionsAttempts_ = 0;
  boost::asio::steady_timer positionsTimer_{io_};
  struct HeldPosition {
    BinancePositionUpdate position;
    Nanos txTime = 0;     // the event's transaction time (Binance's clock)
    Nanos heldSince = 0;  // monotonic
  };
  std::map<std::string, HeldPosition> heldPositions_;  // by symbol, the latest
  std::map<std::string, Nanos> lastTradeTs_;           // by symbol: the newest trade the stream brought
  std::map<std::string, Nanos> lastTradeArrival_;      // by symbol: when (monotonic) it came
  std::vector<std::vector<OrderId>> pendingQueries_;
  // Rate limits (I/O thread).
  long usedWeight_ = 0, orders10s_ = 0, orders1m_ = 0;
  Nanos weightAt_ = 0;            // when usedWeight_ was read (it resets each minute)
  Nanos backoffUntil_ = 0;        // 429: monotonic
  std::int64_t bannedUntilMs_ = 0;  // 418: wall clock ms

  std::vector<Symbol> symbols_;                 // by listing order
  std::map<InstrumentId, std::size_t> bySymbolId_;
  std::map<std::string, InstrumentId> indexByPair_;

  VenueListener* listener_ = nullptr;
  boost::asio::any_io_executor engine_;
  std::shared_ptr<VenueInbox> inbox_;
  DecodedBatch batch_;
  std::vector<MdEvent> md_;
  std::vector<ExecReport> exec_;

  std::atomic<VenueState> state_{VenueState::Disconnected};
  std::atomic<bool> canTrade_{false}, allLive_{false};
  mutable std::mutex mutex_;  // guards the members below
  std::string listError_;
  std::vector<BinanceTicker> tickers_;
  std::vector<VenueAccount> accounts_;
  BinanceCounters counters_;
};

}  // namespace kappa::binance
