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
#include "venue/VenueTypes.hpp"

namespace kappa {

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
