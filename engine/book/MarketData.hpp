#pragma once
// The engine's market state: one L2 book, last-trade statistics, a short trade tape and candles per
// instrument, fed by MdEvents. Runs on the engine thread only. A book that goes stale (sequence
// gap, crossed, malformed level) is logged once and a fresh snapshot is requested from the venue.
#include <array>
#include <functional>
#include <vector>

#include "book/Candle.hpp"
#include "book/MarketEvent.hpp"
#include "book/OrderBook.hpp"
#include "core/Instrument.hpp"

namespace kappa {

struct TradePrint {
  std::uint64_t seq = 0;  // engine-wide, increasing: lets the GUI append only what is new
  InstrumentId instrument = kNoInstrument;
  Price price = 0;
  Qty qty = 0;
  Side aggressor = Side::Buy;
  Nanos ts = 0;
};

struct InstrumentStats {
  Price last = 0;         // last trade (index: last index price)
  Price reference = 0;    // price the change is measured from (first seen / history open)
  Nanos lastTs = 0;
  double volume = 0;      // traded quantity since start
  std::uint64_t trades = 0;
  // The venue's own mark (Deribit's ticker), kept beside our model's: 0 = the venue sends none.
  Price venueMark = 0;
  double venueMarkIv = 0;  // fraction
  Nanos venueMarkTs = 0;
  // A perpetual's funding as its venue last said (Binance markPrice): the rate per funding period
  // and when the next payment is (ms since the epoch); 0 = none said.
  double fundingRate = 0;
  std::int64_t nextFundingMs = 0;
};

class TradeTape {
 public:
  static constexpr std::size_t kCapacity = 256;
  void push(const TradePrint& t) { ring_[count_++ % kCapacity] = t; }
  // Trades with seq > afterSeq, oldest first.
  template <class Out>
  void since(std::uint64_t afterSeq, Out&& out) const {
    const std::size_t n = count_ < kCapacity ? count_ : kCapacity;
    for (std::size_t k = n; k > 0; --k) {
      const TradePrint& t = ring_[(count_ - k) % kCapacity];
      if (t.seq > afterSeq) out(t);
    }
  }

 private:
  std::array<TradePrint, kCapacity> ring_{};
  std::size_t count_ = 0;
};

class MarketData {
 public:
  using SnapshotRequest = std::function<void(InstrumentId)>;

  explicit MarketData(const InstrumentRegistry& instruments);

  void onSnapshotNeeded(SnapshotRequest request) { requestSnapshot_ = std::move(request); }
  void apply(const MdEvent& e);
  void apply(const MdEvent* events, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) apply(events[i]);
  }
  void markAllStale(StaleReason reason);
  // The books of one venue (it disconnected); the other venues' stay as they are.
  void markVenueStale(VenueId venue, StaleReason reason);
  // The registry grew (an instrument listed while running): books and statistics for the new ids.
  void grow(std::size_t n);  // per-instrument tables for ids below n (the engine's count)
  // The instrument retired: its book is emptied and stays stale ("expired/settled"); later events
  // for it are dropped (a late message must not bring a settled book back to life).
  void retire(InstrumentId id);
  void seedHistory(InstrumentId id, std::vector<Candle> candles);

  const OrderBook& book(InstrumentId id) const { return books_[id]; }
  const InstrumentStats& stats(InstrumentId id) const { return stats_[id]; }
  const TradeTape& tape(InstrumentId id) const { return tapes_[id]; }
  const CandleSeries& candles(InstrumentId id) const { return candles_[id]; }
  std::uint64_t eventsTotal() const { return events_; }
  std::uint64_t lastTradeSeq() const { return tradeSeq_; }
  std::uint64_t staleEpisodes() const { return staleEpisodes_; }
  // Mid if both sides exist, else the last trade, else the one side quoted; 0 if nothing is known.
  Price markPrice(InstrumentId id) const;

 private:
  void noteStale(InstrumentId id);

  const InstrumentRegistry& instruments_;
  std::vector<OrderBook> books_;
  std::vector<InstrumentStats> stats_;
  std::vector<TradeTape> tapes_;
  std::vector<CandleSeries> candles_;
  std::vector<std::uint8_t> snapshotPending_;
  InstrumentId current_ = kNoInstrument;  // book message in progress
  SnapshotRequest requestSnapshot_;
  std::uint64_t events_ = 0;
  std::uint64_t tradeSeq_ = 0;
  std::uint64_t staleEpisodes_ = 0;
};

}  // namespace kappa
