#pragma once
// Turns Binance USD-M futures WebSocket messages into the engine's types, on the connector's I/O
// thread, with simdjson On-Demand and no allocation on the market-data path (symbols are looked
// up by string_view, prices parsed straight from the JSON text into fixed point).
//
// Market streams (combined: {"stream":…,"data":{…}}, or raw events):
//  - depthUpdate -> the DepthSync (BinanceDepthSync.hpp), which emits the engine's book messages
//  - aggTrade -> MdType::Trade (side = the aggressor: m = buyer is maker -> a sell)
//  - markPriceUpdate -> VenueMark (mark, qty 0) on the symbol, IndexPrice on its index instrument,
//    Funding (price = rate * 1e8, changeId = next funding time in ms) when the symbol has funding
//  - bookTicker -> BinanceTicker (the venue keeps the latest per symbol)
// User data stream (raw): ORDER_TRADE_UPDATE -> BinanceOrderUpdate, ACCOUNT_UPDATE ->
// BinanceAccountUpdate, listenKeyExpired -> a flag. Answers to SUBSCRIBE ({"result":…,"id":…}) are
// classified only. Unknown events and symbols are skipped, never fatal.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/MarketEvent.hpp"
#include "oms/OrderTypes.hpp"
#include "venue/VenueTypes.hpp"
#include "venue/binance/BinanceDepthSync.hpp"
#include "venue/binance/FixedDecimal.hpp"  // parseFixed

namespace kappa::binance {

struct BinanceTicker {  // bookTicker
  InstrumentId instrument = kNoInstrument;
  Nanos ts = 0;
  Price bid = 0, ask = 0;
  Qty bidQty = 0, askQty = 0;
};

// One order's state, from ORDER_TRADE_UPDATE or a REST answer (POST/PUT/GET/DELETE order, openOrders).
struct BinanceOrderUpdate {
  std::string symbol;
  std::string clientOrderId;      // ours: clientOrderIdOf(OrderId)
  std::uint64_t exchangeOrderId = 0;
  Side side = Side::Buy;
  std::string execType;           // stream only: NEW, TRADE, CANCELED, EXPIRED, AMENDMENT, CALCULATED
  std::string status;             // NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, EXPIRED_IN_MATCH, REJECTED
  std::string timeInForce;        // GTC, IOC, FOK, GTX
  Price price = 0;
  Qty origQty = 0;
  Qty cumQty = 0;                 // filled so far
  Price avgPrice = 0;
  // The trade this update reports (execType TRADE).
  bool isTrade = false;
  std::uint64_t tradeId = 0;
  Qty lastQty = 0;
  Price lastPrice = 0;
  double commission = 0;          // positive = paid
  std::string commissionAsset;
  bool maker = false;
  Nanos ts = 0;
};

struct BinanceBalance {
  std::string asset;
  double walletBalance = 0;
  double crossWalletBalance = 0;
};
struct BinancePositionUpdate {
  std::string symbol;
  double amount = 0;     // signed
  double entryPrice = 0;
};
struct BinanceAccountUpdate {  // ACCOUNT_UPDATE
  std::string reason;          // "ORDER", "FUNDING_FEE", "DEPOSIT", ...
  std::vector<BinanceBalance> balances;
  std::vector<BinancePositionUpdate> positions;
  Nanos ts = 0;  // transaction time "T" (event time "E" if absent)
};

struct DecodedBatch {
  std::vector<MdEvent> md;
  std::vector<SnapshotRequest> snapshotRequests;  // books whose sync (re)started
  std::vector<BinanceTicker> tickers;
  std::vector<BinanceOrderUpdate> orders;
  std::vector<BinanceAccountUpdate> accounts;
  bool listenKeyExpired = false;
  void clear() {
    md.clear();
    snapshotRequests.clear();
    tickers.clear();
    orders.clear();
    accounts.clear();
    listenKeyExpired = false;
  }
};

enum class MessageKind : std::uint8_t {
  MarketData,  // decoded into the batch (or skipped: unknown symbol)
  UserData,    // an account event, decoded into the batch
  Response,    // {"result":…,"id":…} or {"error":…,"id":…}: an answer to SUBSCRIBE/UNSUBSCRIBE
  Ignored,     // an event we do not use
  Malformed,   // not JSON we understand; `error` says why
};

struct DecodeResult {
  MessageKind kind = MessageKind::Malformed;
  std::string error;
};

class BinanceDecoder {
 public:
  explicit BinanceDecoder(SyncRule rule = SyncRule::Futures);
  ~BinanceDecoder();
  BinanceDecoder(const BinanceDecoder&) = delete;
  BinanceDecoder& operator=(const BinanceDecoder&) = delete;

  // Symbols decoded from now on ("BTCUSDT"), with the index instrument its markPrice's index price
  // goes to (kNoInstrument: none). Its book starts Idle: DepthSync::start() begins the sync.
  void addSymbol(const std::string& symbol, InstrumentId id, InstrumentId index);
  // A delisted symbol: its messages are skipped from now on, its sync stopped.
  void forget(InstrumentId id);
  InstrumentId find(std::string_view symbol) const;

  // Decodes one message, appending to `out` (copies it into a padded buffer).
  DecodeResult decode(std::string_view message, DecodedBatch& out);
  // The same without the copy: `message` must be followed by at least kPadding readable bytes.
  static constexpr std::size_t kPadding = 64;
  DecodeResult decodePadded(std::string_view message, DecodedBatch& out);

  DepthSync& sync() { return sync_; }
  const DepthSync& sync() const { return sync_; }

  // A message from a standby market connection (rotation before the 24 h cut-off, see
  // BinanceVenue): nothing reaches the engine; a depth event whose u the book has already applied
  // proves the standby stream overlaps the current one for that book: its id goes to `caughtUp`.
  DecodeResult decodeStandby(std::string_view message, std::vector<InstrumentId>& caughtUp);

  std::uint64_t malformed() const { return malformed_; }
  // Off: every message through simdjson (the reference the compact depth reader is tested against).
  void setCompactDepth(bool on) { compactDepth_ = on; }
  std::uint64_t compactDepths() const { return compactDepths_; }  // messages the compact reader took

 private:
  struct Impl;
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, InstrumentId, NameHash, std::equal_to<>> bySymbol_;
  // The symbol the last market message named: a stream is mostly runs of one symbol, and hashing
  // its name was 6 % of decoding a depth message. Reset whenever the map changes.
  std::string lastSymbol_;
  InstrumentId lastSymbolId_ = kNoInstrument;
  InstrumentId findFromStream(std::string_view symbol);
  std::vector<InstrumentId> indexOf_;
  DepthSync sync_;
  std::unique_ptr<Impl> impl_;
  std::uint64_t malformed_ = 0;
  bool compactDepth_ = true;
  std::uint64_t compactDepths_ = 0;
  friend struct Impl;
};

}  // namespace kappa::binance
