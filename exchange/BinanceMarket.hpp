#pragma once
// The simulated market as Binance USD-M futures shows it: the linear USDT perpetuals (BTCUSDT,
// ETHUSDT) the simulator lists with SimConfig::linearPerpetuals, their order books (the one
// MarketState keeps from the simulator's events), and what Binance derives per symbol: the
// update id of the book (the simulator's own per-book change counter, the same one the diff-depth
// stream's U/u/pu carry, so a REST snapshot's lastUpdateId and the stream always agree), trade
// ids, 1-minute klines and 24 h statistics from the public trades, mark / index / funding rate.
// Builds the public REST answers' JSON (Binance's shapes: prices and quantities as strings).
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "MarketState.hpp"

namespace kappa::exchange::binance {

struct Kline {
  std::int64_t openTime = 0;  // ms, start of the minute
  Price open = 0, high = 0, low = 0, close = 0;
  double volume = 0, quoteVolume = 0, takerBuyVolume = 0, takerBuyQuote = 0;
  std::uint64_t firstTrade = 0, lastTrade = 0, trades = 0;
};

struct BookSnapshot {  // a copy of a book at one update id (for the stale-snapshot fault)
  std::uint64_t lastUpdateId = 0;
  std::int64_t timeMs = 0;
  std::vector<Level> bids, asks;  // best first
};

class Market {
 public:
  explicit Market(MarketState& market);

  MarketState& state() { return market_; }
  const MarketState& state() const { return market_; }
  const std::vector<InstrumentId>& symbols() const { return symbols_; }
  // The symbol's instrument, or ApiError -1121 "Invalid symbol." (upper-case symbols only; a
  // symbol taken off the list by the delist fault is invalid too).
  const Instrument& symbol(const std::string& name) const;
  bool isSymbol(InstrumentId id) const;

  // Listing while running (faults list_symbol / delist_symbol): exchangeInfo's status of a symbol,
  // "TRADING" unless a fault changed it ("SETTLING", "CLOSE", ...); a symbol taken off the list has
  // none (listed() false): exchangeInfo leaves it out, its REST requests and new stream
  // subscriptions are refused as an unknown symbol's. The simulator keeps its book running all the
  // time, so a symbol listed again has a live market at once.
  bool listed(InstrumentId id) const;
  const std::string& status(InstrumentId id) const;
  void setListing(InstrumentId id, bool listed, std::string status);

  // The book's update id: the id of the last change applied to it.
  std::uint64_t lastUpdateId(InstrumentId id) const { return market_.book(id).changeId(); }
  // A snapshot as GET /fapi/v1/depth serves it, or the one kept from `ageMs` ago (stale fault).
  BookSnapshot snapshot(InstrumentId id, std::size_t limit) const;
  const BookSnapshot* oldSnapshot(InstrumentId id, std::int64_t ageMs) const;
  // Every second: keeps a copy of each book for the stale-snapshot fault (the last 10 s).
  void keepSnapshots();

  void onPublicTrade(const PublicTrade& t);

  double markPrice(InstrumentId id) const;
  double indexPrice(InstrumentId id) const;
  double fundingRate(InstrumentId id) const;
  static std::int64_t nextFundingTimeMs(std::int64_t nowMs);
  std::int64_t nowMs() const { return market_.nowMs(); }

  // Formatting with the symbol's precision (pricePrecision 2, quantityPrecision 3: Binance's).
  static std::string price(const Instrument& inst, Price p);
  static std::string qty(const Instrument& inst, Qty q);
  static std::string decimal(double v, int decimals);
  static constexpr int kPricePrecision = 2, kQtyPrecision = 3;
  static std::string minNotional(const Instrument& inst);
  static Qty marketMaxQty(const Instrument& inst);

  nlohmann::json exchangeInfo(const nlohmann::json& rateLimits) const;
  nlohmann::json depth(const BookSnapshot& s) const;
  nlohmann::json trades(InstrumentId id, std::size_t limit) const;
  nlohmann::json aggTrades(InstrumentId id, std::size_t limit, std::int64_t fromId, std::int64_t startMs,
                           std::int64_t endMs) const;
  nlohmann::json klines(InstrumentId id, std::int64_t intervalMs, std::size_t limit, std::int64_t startMs,
                        std::int64_t endMs) const;
  nlohmann::json premiumIndex(InstrumentId id) const;
  nlohmann::json bookTicker(InstrumentId id) const;
  nlohmann::json ticker24h(InstrumentId id) const;
  nlohmann::json aggTradeJson(const Instrument& inst, const PublicTrade& t) const;
  nlohmann::json klineJson(const Instrument& inst, const Kline& k, std::int64_t intervalMs, bool closed) const;
  // The current 1-minute kline (empty one at the last price if no trade yet this minute).
  Kline currentKline(InstrumentId id) const;
  static std::int64_t intervalMs(const std::string& interval);  // 0 if not one of Binance's

 private:
  struct Symbol {
    std::deque<Kline> klines;  // 1 m, oldest first, at most 1500 (a day plus)
    std::deque<BookSnapshot> kept;  // one a second, the last 10
    bool listed = true;
    std::string status = "TRADING";
  };
  MarketState& market_;
  std::vector<InstrumentId> symbols_;
  std::vector<Symbol> data_;  // by position in symbols_
  std::size_t slot(InstrumentId id) const;
};

}  // namespace kappa::exchange::binance
