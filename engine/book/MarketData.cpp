#include "book/MarketData.hpp"

#include <string>

#include "core/Log.hpp"

namespace kappa {

MarketData::MarketData(const InstrumentRegistry& instruments)
    : instruments_(instruments),
      books_(instruments.size()),
      stats_(instruments.size()),
      tapes_(instruments.size()),
      candles_(instruments.size()),
      snapshotPending_(instruments.size(), 0) {}

void MarketData::noteStale(InstrumentId id) {
  if (snapshotPending_[id]) return;  // one log line and one request per stale episode
  snapshotPending_[id] = 1;
  ++staleEpisodes_;
  const OrderBook& b = books_[id];
  log::warn("marketdata", instruments_[id].name + " book stale: " + nameOf(b.staleReason()) +
                              " at change_id " + std::to_string(b.changeId()) + "; requesting snapshot");
  if (requestSnapshot_) requestSnapshot_(id);
}

void MarketData::apply(const MdEvent& e) {
  ++events_;
  if (e.instrument >= books_.size()) {
    log::warn("marketdata", "event for unknown instrument id " + std::to_string(e.instrument) + " dropped");
    return;
  }
  if (books_[e.instrument].staleReason() == StaleReason::Retired) return;  // settled: nothing comes back
  OrderBook& book = books_[e.instrument];
  // A book message left without its end (the next one began, or another book's end came) leaves
  // its book stale: its levels may be half applied. A snapshot of the same book replaces it.
  auto abandonCurrent = [&] {
    if (current_ == kNoInstrument || current_ == e.instrument) return;
    if (books_[current_].inMessage()) {
      books_[current_].markStale(StaleReason::Incomplete);
      noteStale(current_);
    }
    current_ = kNoInstrument;
  };
  switch (e.type) {
    case MdType::BookBegin:
      abandonCurrent();
      current_ = e.instrument;
      if (e.isSnapshot) {
        book.beginSnapshot(e.changeId);
        snapshotPending_[e.instrument] = 0;
      } else if (!book.beginUpdate(e.prevChangeId, e.changeId)) {
        noteStale(e.instrument);
      }
      break;
    case MdType::BookLevel:
      if (e.instrument != current_) {  // a level outside its message: the stream is corrupt
        book.markStale(StaleReason::BadLevel);
        noteStale(e.instrument);
        break;
      }
      book.applyLevel(e.side, e.action, e.price, e.qty);
      break;
    case MdType::BookEnd:
      abandonCurrent();
      current_ = kNoInstrument;
      if (!book.commit()) noteStale(e.instrument);
      break;
    case MdType::Trade:
    case MdType::IndexPrice: {
      const bool trade = e.type == MdType::Trade;
      InstrumentStats& s = stats_[e.instrument];
      if (s.reference == 0) s.reference = e.price;
      s.last = e.price;
      s.lastTs = e.ts;
      candles_[e.instrument].add(e.ts, toDouble(e.price), trade ? toDouble(e.qty) : 0.0);
      if (trade) {
        s.volume += toDouble(e.qty);
        ++s.trades;
        tapes_[e.instrument].push(TradePrint{++tradeSeq_, e.instrument, e.price, e.qty, e.side, e.ts});
      }
      break;
    }
    case MdType::BookStale:
      book.markStale(StaleReason::VenueDown);
      break;
    case MdType::VenueMark: {
      InstrumentStats& s = stats_[e.instrument];
      s.venueMark = e.price;
      s.venueMarkIv = toDouble(e.qty);
      s.venueMarkTs = e.ts;
      break;
    }
    case MdType::Funding: {
      InstrumentStats& s = stats_[e.instrument];
      s.fundingRate = toDouble(e.price);
      s.nextFundingMs = std::int64_t(e.changeId);
      break;
    }
  }
}

void MarketData::markAllStale(StaleReason reason) {
  for (auto& b : books_)
    if (b.staleReason() != StaleReason::Retired) b.markStale(reason);
}

void MarketData::markVenueStale(VenueId venue, StaleReason reason) {
  for (std::size_t id = 0; id < books_.size(); ++id)
    if (instruments_[InstrumentId(id)].venue == venue && books_[id].staleReason() != StaleReason::Retired)
      books_[id].markStale(reason);
}

void MarketData::grow(std::size_t n) {
  if (n <= books_.size()) return;
  books_.resize(n);
  stats_.resize(n);
  tapes_.resize(n);
  candles_.resize(n);
  snapshotPending_.resize(n, 0);
}

void MarketData::retire(InstrumentId id) {
  if (id >= books_.size()) return;
  OrderBook& b = books_[id];
  if (current_ == id) current_ = kNoInstrument;
  b.beginSnapshot(b.changeId());  // empty: an expired option has no market left
  b.commit();
  b.markStale(StaleReason::Retired);
  snapshotPending_[id] = 1;  // and no snapshot is ever asked for again
}

void MarketData::seedHistory(InstrumentId id, std::vector<Candle> candles) {
  if (!candles.empty() && stats_[id].reference == 0) stats_[id].reference = toFixed(candles.front().open);
  candles_[id].seed(std::move(candles));
}

Price MarketData::markPrice(InstrumentId id) const {
  const OrderBook& b = books_[id];
  const Level* bid = b.bestBid();
  const Level* ask = b.bestAsk();
  if (b.live() && bid && ask) return (bid->price + ask->price) / 2;
  if (stats_[id].last) return stats_[id].last;
  if (b.live() && (bid || ask)) return bid ? bid->price : ask->price;  // one-sided: the side there is
  return 0;
}

}  // namespace kappa
