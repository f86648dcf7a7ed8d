#pragma once
// The values a venue and the engine exchange (its state, positions, account, summary, risk limits,
// instrument changes, journal entries), apart from the Venue interface itself (venue/Venue.hpp):
// the snapshot (core/EngineSnapshot.hpp) and the decoders need only these, and so do not parse
// Boost.Asio, which the interface's executor parameter brings in.
#include <cmath>
#include <string>
#include <vector>

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

}  // namespace kappa
