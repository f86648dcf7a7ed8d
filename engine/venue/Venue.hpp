#pragma once
// The boundary between the engine and a trading venue. The simulator implements it now; an
// exchange connector (Deribit JSON-RPC over WebSocket) or a replay file implements it later
// without touching the engine.
//
// Threading contract: the engine calls a Venue's methods on the engine thread only, and a Venue
// delivers every VenueListener callback on the engine thread (via the executor it is given), so
// the engine needs no locks. A venue doing network I/O decodes on its own threads and posts
// decoded batches to the engine executor.
#include <cmath>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "book/Candle.hpp"
#include "book/MarketEvent.hpp"
#include "core/Instrument.hpp"
#include "oms/OrderTypes.hpp"

namespace kappa {

enum class VenueState : std::uint8_t { Disconnected, Connecting, Connected, Degraded };
const char* nameOf(VenueState s);

struct VenueOrder {
  OrderId orderId = 0;
  OrderRequest request;
};

// The venue's own account position in one instrument (signed, instrument units).
struct VenuePosition {
  InstrumentId instrument = kNoInstrument;
  double qty = 0;
  Price averagePrice = 0;  // the venue's average entry price (0 if it does not say)
};

// The venue's account in one currency (Deribit user.portfolio): what the exchange says the margin
// account is worth and how much of it is committed. Values in that currency.
struct VenueAccount {
  std::string currency;  // "BTC", "ETH"
  double equity = 0;
  double balance = 0;
  double initialMargin = 0;
  double maintenanceMargin = 0;
  double availableFunds = 0;
  Nanos ts = 0;  // when the venue sent it (0 if it did not say)
};

// What a venue says about its connection, for the run report and the status bar. Never a
// credential. Any thread.
struct VenueSummary {
  std::string environment = "embedded";  // "embedded" (in-process), "testnet", "mainnet", "custom"
  std::string endpoint;                  // the URL connected to ("" in-process)
  VenueState state = VenueState::Connected;
  std::uint64_t reconnects = 0;          // sessions after the first
  std::uint64_t resyncs = 0;             // books resubscribed for a fresh snapshot
  std::uint64_t rateLimited = 0;         // requests our own limiter held back or refused
  std::uint64_t tooManyRequests = 0;     // the exchange's own rate-limit answers (10028)
  std::int64_t heartbeatLatency = 0;     // microseconds of the last heartbeat round trip; 0 = none yet
  std::vector<VenueAccount> accounts;    // per currency, as the venue last reported it
  std::uint64_t latestBlock = 0;         // on-chain venues: the block their market data shows (0 = none)
  double gasPaidToday = std::nan("");    // on-chain venues: native coin (ETH) paid in gas since UTC midnight
};

// The risk limits a venue checks itself because only it knows, at signing, what they bound (an
// on-chain venue: the fee estimate's gas price, the gas its transactions already paid today). The
// engine resolves them from risk.json (the venue's entry over the account's) and hands a copy with
// Venue::setRiskLimits() before connect() and after every change; NaN = no such limit (or off).
// A venue refusing an order by one sends a Reject with ExecReport::riskLimit set to the key, and
// the engine records it in the breach history like the gate's own refusals.
struct VenueRiskLimits {
  double maxGasPriceGwei = std::nan("");  // max_gas_price_gwei: a transaction's maxFeePerGas, gwei
  double maxGasPerDay = std::nan("");     // max_gas_per_day: native coin (ETH) paid since UTC midnight
};

// The venue's instrument set changed while running (Deribit lists new strikes and expiries during
// the day; an expired option settles and leaves get_instruments).
//  - Listed: `instrument` is complete, with the id the shared registry gave it when the venue added
//    it (ids of several venues interleave; ids are never reused).
//  - Retired: `instrument.id` (and name) say which; `reason` why ("expired/settled"). It stays in
//    the registry (orders, fills and the journal refer to it) flagged retired.
// Delivered through the VenueInbox before any market data that followed it on the venue thread.
struct InstrumentChange {
  enum class Kind : std::uint8_t { Listed, Retired } kind = Kind::Listed;
  Instrument instrument;
  std::string reason;
};

// A venue's own fact for the journal, beside the engine's order facts: what only the venue knows
// and needs back after a restart (an on-chain venue: each transaction it signed, its nonce, hash,
// raw bytes to resend, and its fate). `key` names the thing (the same key again supersedes the
// earlier body); `body` is the venue's whole record of it, in a format the venue alone reads
// (JSON by convention). Never a secret (no key, no credential). The engine writes them to the
// journal's venue_record table in the order the venue sent them, and hands the newest body per
// key back to the venue at the next start (Venue::restoreJournal).
struct VenueJournalEntry {
  std::uint64_t key = 0;
  std::string body;
};

class VenueListener {
 public:
  virtual ~VenueListener() = default;
  virtual void onMarketData(const MdEvent* events, std::size_t n) = 0;
  virtual void onExecution(const ExecReport& report) = 0;
  virtual void onVenueState(VenueState state, const std::string& detail) = 0;
  // The answer to Venue::queryPositions(): every position the account holds there (an instrument
  // not listed is flat).
  virtual void onPositions(const std::vector<VenuePosition>& positions) {}
  // Positions the venue pushed as they changed (Binance's ACCOUNT_UPDATE): only the instruments
  // listed (qty 0 = flat now); the others are not said. Sent once the venue has delivered the
  // execution reports of the trades that changed them. The engine compares, never books.
  virtual void onPositionChanges(const std::vector<VenuePosition>& changed) {}
  // The venue's account per currency, whenever it changes (venues without one never call it).
  virtual void onAccount(const VenueAccount& account) {}
  // The instrument set changed (see InstrumentChange). Venues with a fixed set never call it.
  virtual void onInstrumentChange(const InstrumentChange& change) {}
  // On-chain venues: the signed quantity per instrument of the fills whose transaction is included
  // but not yet confirmed (every such instrument; one not listed has none). The engine booked those
  // fills already; this only marks that part of the position "unconfirmed". Sent whenever it changes.
  virtual void onUnconfirmedFills(const std::vector<VenuePosition>& unconfirmed) {}
  // A record for the journal (see VenueJournalEntry), delivered after the execution reports the
  // venue sent before it. Venues without records of their own never call it.
  virtual void onJournalEntry(const VenueJournalEntry& entry) {}
};

class Venue {
 public:
  virtual ~Venue() = default;
  virtual std::string name() const = 0;
  // The venue's place in the engine's list, set by the engine before listInstruments(): every
  // instrument the venue adds carries it (Instrument::venue), and names are unique within it.
  void setId(VenueId id) { id_ = id; }
  VenueId id() const { return id_; }
  // Instruments the venue lists; called once before connect() to fill the engine's registry,
  // which every venue shares and which outlives the venue: a venue may keep a reference and add or
  // retire its own instruments later on its own thread (the registry serializes writers), telling
  // the engine through VenueListener::onInstrumentChange() before any market data for them.
  virtual void listInstruments(InstrumentRegistry& registry) = 0;
  // Recent bars for charts (may be empty).
  virtual std::vector<Candle> history(InstrumentId id) { return {}; }
  // Starts the session. Every listener callback must run on `engine` (the engine thread).
  virtual void connect(VenueListener& listener, boost::asio::any_io_executor engine) = 0;
  virtual void disconnect() = 0;
  virtual void submit(const VenueOrder& order) = 0;
  virtual void cancel(OrderId orderId) = 0;
  // Cancels every order of the account at the venue with one request per currency (HALT ALL,
  // FLATTEN), instead of one per order. False when the venue has no such request; the caller then
  // cancels order by order. The venue reports the exchange's confirmation via onVenueState's detail.
  virtual bool cancelAllOrders() { return false; }
  // Any thread (the venue keeps what it reports thread-safe).
  virtual VenueSummary summary() const { return {}; }
  // Modify a working order: `newLeaves` is the quantity that should remain open (the OMS's new
  // total minus what already filled); the venue answers with Replaced (leaves) or CancelReject.
  virtual void replace(OrderId orderId, Price newPrice, Qty newLeaves) = 0;
  virtual void requestSnapshot(InstrumentId id) = 0;
  // Restart reconciliation: orders of an earlier session the journal could not close. The venue
  // answers with an execution report per order it can speak for (Cancelled/Rejected if it has no
  // such order, Fill if it traded, Ack if it still works); the rest stay unknown. A venue does not
  // know what the journal booked: its Fill reports for such an order add up to all the order
  // filled there, and the engine books only the part beyond the journal's.
  virtual void queryOrders(const std::vector<OrderId>& ids) {}
  // Restart reconciliation of positions: a venue whose account outlives our sessions (a real
  // exchange) answers with onPositions() and its view wins over the journal's. The engine asks
  // once the venue has answered for every order of queryOrders() (their fills come first). The embedded
  // simulator starts empty each run: it has no view to give.
  virtual bool reportsPositions() const { return false; }
  virtual void queryPositions() {}
  // The limits this venue checks itself (see VenueRiskLimits). Engine thread; a venue keeps a
  // copy for its own thread (posted there), never blocks. Venues with nothing to check ignore it.
  virtual void setRiskLimits(const VenueRiskLimits& limits) {}
  // On-chain venues: the slippage tolerance (basis points) swaps are signed with, which the gate
  // bounds by max_slippage_bps; NaN for venues without one. Constant for the venue's life.
  virtual double slippageToleranceBps() const { return std::nan(""); }
  // Restart: the venue's own journal records of earlier sessions (the newest body per key, keys
  // ascending), given once after listInstruments() and before connect(). The venue takes up
  // what they describe (an on-chain venue follows its transactions still in flight); its answers
  // to queryOrders() then speak from them. Venues without records ignore it.
  virtual void restoreJournal(const std::vector<VenueJournalEntry>& entries) {}

 private:
  VenueId id_ = 0;
};

}  // namespace kappa
