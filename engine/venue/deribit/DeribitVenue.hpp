#pragma once
// Deribit as a Venue: JSON-RPC 2.0 over one WebSocket (wss to Deribit, ws/wss to a local
// kappa-exchange), on the venue's own I/O thread with its own io_context. Everything network-side
// (transport, session, decoding, order tracking, reconnects) runs on that thread; decoded batches
// reach the engine thread through a VenueInbox, exactly as the simulator's do.
//
// Market data: book.{instrument}.raw when logged in (100ms otherwise), ticker.{instrument}.100ms,
// trades.{future|option}.{currency}, deribit_price_index, platform_state; subscribed in batches.
// Orders: private/buy|sell with label = our OrderId; edit; cancel (by label before the ack);
// cancel_all_by_currency for HALT ALL. A request whose answer never came is resolved by
// get_order_state_by_label before anything else happens to it: never sent twice.
// Reconnect: backoff with jitter, 1 s doubling to 30 s; then login, resubscription, fresh
// snapshots, and reconciliation (trades since the last we booked, open orders, positions).
// Instruments while running (DeribitInstruments.cpp): instrument.state notifications and a
// get_instruments refresh (instrumentRefresh, and at every login) list new instruments with the
// registry's next id and retire settled ones; the engine hears of both through onInstrumentChange.
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
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
#include "venue/deribit/DeribitCredentials.hpp"
#include "venue/deribit/DeribitDecoder.hpp"
#include "venue/deribit/DeribitRateLimiter.hpp"

namespace kappa::net {
class WsTransport;
}

namespace kappa::deribit {

class JsonRpcClient;
class DeribitSession;
class DeribitOrderTracker;
struct RpcReply;

struct DeribitVenueConfig {
  DeribitEndpoint endpoint;
  DeribitCredentials credentials;           // empty: market data only, orders refused
  std::vector<std::string> currencies{"BTC", "ETH"};
  bool signatureAuth = false;               // public/auth with client_signature
  // Deribit's minimum is 10; shorter only against a kappa-exchange started with --min-heartbeat
  // (tests). A heartbeat unanswered for max(interval, requestTimeout) means a dead link: reconnect.
  int heartbeatIntervalS = 15;
  bool cancelOnDisconnect = true;           // private/enable_cancel_on_disconnect after login
  std::chrono::milliseconds requestTimeout{10'000};
  std::chrono::milliseconds listTimeout{30'000};  // listInstruments' blocking fetch
  std::chrono::milliseconds connectTimeout{10'000};
  std::size_t subscribeBatch = 100;         // channels per subscribe request
  std::chrono::milliseconds backoffInitial{1'000};
  std::chrono::milliseconds backoffMax{30'000};
  RateLimits limits;
  // Instruments while running: besides instrument.state notifications, public/get_instruments is
  // asked again at this period (and after every reconnect); new instruments are listed, those the
  // exchange no longer lists are retired. 0 = only on notifications and reconnects.
  std::chrono::milliseconds instrumentRefresh{600'000};
};

struct DeribitCounters {
  std::uint64_t sessions = 0;            // logins that completed
  std::uint64_t reconnects = 0;          // sessions after the first
  std::uint64_t resyncs = 0;             // books resubscribed for a fresh snapshot
  std::uint64_t rateLimited = 0;         // requests our limiter refused
  std::uint64_t tooManyRequests = 0;     // 10028 answers from the exchange (each ended a session)
  std::uint64_t gaps = 0;                // change_id gaps seen
  std::uint64_t malformed = 0;           // messages that could not be read
  std::uint64_t reconciledFills = 0;     // fills found by reconciliation, not seen live
  std::uint64_t cancelAllConfirmed = 0;  // cancel_all_by_currency answers
  std::uint64_t deadLinks = 0;           // connections given up because heartbeats went unanswered
  std::uint64_t reauthentications = 0;   // public/auth again after a 13009 on a private request
  std::int64_t heartbeatLatencyUs = 0;   // the last heartbeat round trip (public/test), 0 = none yet
  std::uint64_t instrumentsListed = 0;   // instruments listed while running (after listInstruments)
  std::uint64_t instrumentsRetired = 0;  // instruments retired (expired/settled) while running
  std::uint64_t instrumentRefreshes = 0; // get_instruments refreshes completed (every currency and kind)
};

class DeribitVenue final : public Venue {
 public:
  explicit DeribitVenue(DeribitVenueConfig config);
  ~DeribitVenue() override;

  std::string name() const override { return "deribit"; }
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

  // ---- readable from any thread ----
  // Why listInstruments found nothing (empty when it worked).
  std::string listError() const;
  DeribitCounters counters() const;
  std::optional<DeribitTicker> ticker(InstrumentId id) const;
  std::vector<VenueAccount> accounts() const;
  VenueState state() const { return state_.load(); }
  const DeribitVenueConfig& config() const { return config_; }

 private:
  // I/O thread from here on.
  void startConnection();
  void onOpen(std::uint64_t generation);
  void onMessage(std::string_view text);
  void onClosed(std::uint64_t generation, const std::string& reason);
  void onReady(bool authorised);
  void scheduleReconnect(const std::string& reason);
  void housekeeping(std::uint64_t generation);
  void subscribeAll();
  std::vector<std::string> channels() const;
  void resync(InstrumentId id, const std::string& reason);
  void sendResyncs();
  void reconcile();
  void fetchTrades(const std::string& currency, std::uint64_t sinceMs, int page);
  void fetchOpenOrders();
  void resolveByLabel(OrderId id, int attempt = 0);
  void lookUpEarlierOrder(OrderId id, int attempt);
  void fetchOrderTrades(OrderId id, const std::string& exchangeOrderId);
  void doSubmit(const VenueOrder& order);
  void doCancel(OrderId id);
  void doReplace(OrderId id, Price price, Qty leaves);
  void doCancelAll();
  void cancelAllFor(const std::string& currency, int attempt = 0);
  void verifyCancelAll(const std::string& currency, const std::string& why, int attempt);
  void tellCancelAll(log::Level level, const std::string& what, bool confirmed = false);
  void refuseChange(OrderId id, const std::string& reason);
  void handleOrderReply(OrderId id, const RpcReply& r, bool isNewOrder);
  void flush();
  void afterExec();
  void setState(VenueState s, std::string detail);
  void markAllBooksStale();
  std::string currencyOf(InstrumentId id) const;
  std::string envName() const;

  // ---- instruments while running (DeribitInstruments.cpp; I/O thread) ----
  void scheduleInstrumentRefresh(std::uint64_t generation);
  void refreshInstruments(const std::string& why);
  void queueInstrumentRefresh(const std::string& why);  // coalesces a burst of notifications
  void onInstrumentState(const DeribitInstrumentState& st);
  // One get_instruments answer (currency, kind "future"|"option"): list what is new, retire what
  // the exchange no longer lists.
  void applyInstrumentList(const std::string& currency, const std::string& kind, std::string_view resultJson);
  void listNewInstrument(Instrument inst);
  void retireInstrument(InstrumentId id, const std::string& reason);
  std::vector<std::string> channelsOf(const Instrument& inst) const;  // its book and ticker

  DeribitVenueConfig config_;
  // The engine's registry, shared with the other venues (set by listInstruments; it outlives us):
  // ours are those whose venue is id(). Added to and retired in on the I/O thread while running.
  InstrumentRegistry* instruments_ = nullptr;
  std::unique_ptr<DeribitDecoder> decoder_;
  std::unique_ptr<DeribitOrderTracker> tracker_;
  DeribitRateLimiter limiter_;

  VenueIoThread ioThread_;
  boost::asio::io_context& io_ = ioThread_.io();
  boost::asio::steady_timer reconnectTimer_, housekeepingTimer_;
  boost::asio::steady_timer refreshTimer_{io_};
  bool refreshQueued_ = false;

  std::shared_ptr<net::WsTransport> transport_;
  std::unique_ptr<JsonRpcClient> rpc_;
  std::unique_ptr<DeribitSession> session_;
  std::uint64_t generation_ = 0;
  int attempts_ = 0;
  bool authorised_ = false, ready_ = false, stopping_ = false, everConnected_ = false;
  std::set<std::string> lockedIndices_;
  std::set<InstrumentId> resyncing_;
  std::deque<InstrumentId> resyncQueue_;
  bool resyncPosted_ = false;
  std::set<OrderId> unknownOutcome_;  // sent, answer lost: resolve by label before anything else
  std::set<std::string> cancelAllAfterLogin_;  // cancel_all_by_currency cut off by a drop: sent again
  std::vector<std::vector<OrderId>> pendingQueries_;
  std::uint64_t sessionStartMs_ = 0;
  std::string loginFailure_;

  VenueListener* listener_ = nullptr;
  boost::asio::any_io_executor engine_;
  std::shared_ptr<VenueInbox> inbox_;
  DecodedBatch batch_;
  std::vector<MdEvent> md_;
  std::vector<ExecReport> exec_;

  std::atomic<VenueState> state_{VenueState::Disconnected};
  std::atomic<bool> canTrade_{false};
  mutable std::mutex mutex_;  // guards the members below
  std::string listError_;
  std::vector<DeribitTicker> tickers_;
  std::vector<VenueAccount> accounts_;
  DeribitCounters counters_;
};

}  // namespace kappa::deribit
