#pragma once
// Turns Deribit's WebSocket messages into the engine's types, on the connector's I/O thread.
//
// Notifications (method "subscription") are decoded with simdjson On-Demand: book snapshots and
// changes become BookBegin / BookLevel... / BookEnd, trades and the price index become Trade and
// IndexPrice events; ticker, user.orders, user.trades, user.portfolio and platform_state become the
// structs below for the venue to act on. Responses (messages with an id) and heartbeats are only
// classified: the JSON-RPC client reads those.
//
// Book sequencing lives here: a change whose prev_change_id is not the last change_id is a gap; the
// book is marked stale (BookStale), a resync is requested, and its changes are discarded until a
// new snapshot arrives. A malformed message about a book does the same (its half-decoded levels are
// taken back first). Unknown instruments, channels and kinds are skipped, never fatal.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/MarketEvent.hpp"
#include "core/Instrument.hpp"
#include "venue/VenueTypes.hpp"

namespace kappa::deribit {

// Deribit's own view of an instrument (ticker.{instrument}.100ms), kept beside ours. NaN = not sent.
struct DeribitTicker {
  InstrumentId instrument = kNoInstrument;
  Nanos ts = 0;
  double markPrice = 0, markIv = 0, bidIv = 0, askIv = 0;
  double bestBid = 0, bestAsk = 0, bestBidAmount = 0, bestAskAmount = 0;
  double underlyingPrice = 0, indexPrice = 0;
  double delta = 0, gamma = 0, vega = 0, theta = 0, rho = 0;
};

enum class DeribitOrderState : std::uint8_t { Open, Filled, Cancelled, Rejected, Untriggered, Unknown };

// One order object (user.orders notification, or the order in a buy/sell/edit/cancel answer).
struct DeribitOrderUpdate {
  std::string exchangeOrderId;  // "ETH-584864807", "94166"
  std::string label;            // ours: the OrderId in decimal
  std::string instrumentName;
  DeribitOrderState state = DeribitOrderState::Unknown;
  Side side = Side::Buy;
  Price price = 0;        // 0 for market orders ("market_price")
  Qty amount = 0;         // total
  Qty filledAmount = 0;
  Price averagePrice = 0;
  bool replaced = false;
  std::string reason;     // cancel_reason / reject reason, if any
  Nanos ts = 0;           // last_update_timestamp
};

// One of our trades (user.trades notification, a buy/sell answer's trades, get_user_trades_*).
struct DeribitUserTrade {
  std::string tradeId;
  std::string exchangeOrderId;
  std::string label;
  std::string instrumentName;
  Side side = Side::Buy;
  Price price = 0;
  Qty amount = 0;
  double fee = 0;         // in fee_currency (the settlement currency); negative = rebate
  bool maker = false;     // liquidity "M"
  Nanos ts = 0;
};

struct DeribitPlatformState {
  std::string priceIndex;  // "btc_usd" or "" when the message is about the whole platform
  bool locked = false;
};

// instrument.state.{kind}.{currency}: an instrument's lifecycle on the exchange ("created",
// "started", "settled", "closed", "terminated", ...). The venue lists or retires it.
struct DeribitInstrumentState {
  std::string instrumentName;
  std::string state;
  Nanos ts = 0;
};

// A resync the venue must perform: unsubscribe and resubscribe the book, wait for its snapshot.
struct BookResync {
  InstrumentId instrument = kNoInstrument;
  std::string reason;
};

// Everything one or more messages decoded to. The venue drains it after each message (or read).
struct DecodedBatch {
  std::vector<MdEvent> md;
  std::vector<DeribitTicker> tickers;
  std::vector<DeribitOrderUpdate> orders;
  std::vector<DeribitUserTrade> trades;
  std::vector<VenueAccount> accounts;
  std::vector<DeribitPlatformState> platform;
  std::vector<BookResync> resyncs;
  std::vector<DeribitInstrumentState> instrumentStates;
  void clear() {
    instrumentStates.clear();
    md.clear();
    tickers.clear();
    orders.clear();
    trades.clear();
    accounts.clear();
    platform.clear();
    resyncs.clear();
  }
};

enum class MessageKind : std::uint8_t {
  Notification,  // decoded into the batch (or skipped: unknown channel or instrument)
  Response,      // has an id: for the JSON-RPC client
  Heartbeat,     // method "heartbeat"; `testRequest` says whether it asks for public/test
  Malformed,     // not JSON-RPC we understand; `error` says why
};

struct DecodeResult {
  MessageKind kind = MessageKind::Malformed;
  bool testRequest = false;
  std::string error;
};

class DeribitDecoder {
 public:
  // Decodes the channels of `venue`'s instruments in the (shared) registry.
  explicit DeribitDecoder(const InstrumentRegistry& instruments, VenueId venue = 0);
  ~DeribitDecoder();
  DeribitDecoder(const DeribitDecoder&) = delete;
  DeribitDecoder& operator=(const DeribitDecoder&) = delete;

  // Decodes one WebSocket text message, appending to `out` (copies it into a padded buffer).
  DecodeResult decode(std::string_view message, DecodedBatch& out);
  // The same without the copy: `message` must be followed by at least kPadding readable bytes
  // (their content does not matter), as WsTransport guarantees for what it hands over.
  static constexpr std::size_t kPadding = 64;
  DecodeResult decodePadded(std::string_view message, DecodedBatch& out);

  // Discard this book's changes until its next snapshot (the engine found it crossed, or the venue
  // resubscribes it).
  void awaitSnapshot(InstrumentId id);
  void awaitAllSnapshots();

  InstrumentId find(std::string_view name) const;
  // The venue's registry grew (an instrument listed while running): decode its channels from now.
  void addInstrument(const Instrument& inst);
  // A retired instrument: its channels are skipped from now (a late message cannot revive it).
  void forget(InstrumentId id);

  // Counters (I/O thread).
  std::uint64_t gaps() const { return gaps_; }
  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t discarded() const { return discarded_; }
  // Off: every message through simdjson (the reference the compact book reader is tested against).
  void setCompactBook(bool on) { compactBook_ = on; }
  std::uint64_t compactBooks() const { return compactBooks_; }  // messages the compact reader took

 private:
  struct Impl;
  struct BookSeq {
    enum class State : std::uint8_t { NoSnapshot, Live } state = State::NoSnapshot;
    std::uint64_t lastChangeId = 0;
  };
  void markStale(InstrumentId id, std::string reason, DecodedBatch& out);

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  const InstrumentRegistry& instruments_;
  std::unordered_map<std::string, InstrumentId, NameHash, std::equal_to<>> byName_;  // string_view lookups
  std::vector<BookSeq> books_;
  std::unique_ptr<Impl> impl_;
  std::uint64_t gaps_ = 0, malformed_ = 0, discarded_ = 0;
  bool compactBook_ = true;
  std::uint64_t compactBooks_ = 0;
  friend struct Impl;
};

// Parses a public/get_instruments result (the array) into instruments for one currency: futures
// (BTC-PERPETUAL as Perpetual) and options; combos, spot and any other kind are skipped and named
// in `skipped`. `underlying` is the index instrument id they price off. False on malformed JSON.
bool parseInstruments(std::string_view resultArrayJson, InstrumentId underlying, std::vector<Instrument>& out,
                      std::vector<std::string>& skipped, std::string& error);

// The index instrument for a currency ("BTC" -> btc_usd), as the engine's underlying.
Instrument indexInstrument(const std::string& currency);

}  // namespace kappa::deribit
