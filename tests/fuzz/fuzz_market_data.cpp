// libFuzzer harness: the market-data -> book path (MarketData over OrderBooks) fed any sequence of
// venue events, as a broken or hostile feed could send them. After every complete book message a
// book is either stale (and a snapshot was asked for) or consistent: levels strictly sorted with
// positive prices and quantities, and never crossed while live.
//
// Input: 16-byte records (type, side, action, snapshot flag, instrument, price, qty, change ids),
// small value ranges so that levels, sequence numbers and crossings collide often.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "book/MarketData.hpp"
#include "core/Log.hpp"

namespace {
using namespace kappa;

InstrumentRegistry makeInstruments() {
  InstrumentRegistry r;
  for (const char* name : {"BTC-PERPETUAL", "BTC-27DEC26", "BTC-27DEC26-70000-C"}) {
    Instrument i;
    i.name = name;
    r.add(i);
  }
  return r;
}

void check(const OrderBook& b) {
  if (!b.live()) return;
  for (const Side side : {Side::Buy, Side::Sell}) {
    std::vector<Level> levels(b.depth(side));
    if (b.topN(side, levels.size(), levels.data()) != levels.size()) std::abort();
    for (std::size_t i = 0; i < levels.size(); ++i) {
      if (levels[i].price <= 0 || levels[i].qty <= 0) std::abort();
      if (i > 0 && (side == Side::Buy ? levels[i].price >= levels[i - 1].price : levels[i].price <= levels[i - 1].price))
        std::abort();  // best first, strictly
    }
  }
  if (b.bestBid() && b.bestAsk() && b.bestBid()->price >= b.bestAsk()->price) std::abort();  // live and crossed
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const InstrumentRegistry instruments = [] {
    log::setMinLevel(log::Level::Error);  // stale books are expected here: keep the run quiet
    return makeInstruments();
  }();
  MarketData md(instruments);
  std::vector<int> snapshotsAsked(instruments.size() + 1, 0);
  md.onSnapshotNeeded([&](InstrumentId id) { ++snapshotsAsked.at(id); });
  InstrumentId open = kNoInstrument;  // the instrument whose book message is in progress
  for (std::size_t at = 0; at + 16 <= size; at += 16) {
    const std::uint8_t* r = data + at;
    MdEvent e;
    e.type = MdType(r[0] % 8);  // every MdType, Funding included
    e.side = r[1] & 1 ? Side::Sell : Side::Buy;
    e.action = LevelAction(r[2] % 4);  // every LevelAction, DeleteIfPresent included
    e.isSnapshot = r[3] & 1;
    e.instrument = r[4] % 4 == 3 ? InstrumentId(r[4]) : InstrumentId(r[4] % 4);  // now and then unknown
    e.price = Price(std::int16_t(r[5] | r[6] << 8)) * 50'000'000;  // signed: zero and negative too
    e.qty = Qty(std::int16_t(r[7] | r[8] << 8)) * 1'000'000;
    e.prevChangeId = r[9] | r[10] << 8;
    e.changeId = e.prevChangeId + (r[11] % 4);
    e.ts = std::int64_t(r[12] | r[13] << 8 | r[14] << 16) * 1000;
    // A new message (or a trade) ends the previous one whether or not its end came.
    if (open != kNoInstrument && e.type != MdType::BookLevel && !(e.type == MdType::BookEnd && e.instrument == open))
      check(md.book(open));
    md.apply(e);
    if (e.type == MdType::BookBegin && e.instrument < instruments.size()) open = e.instrument;
    if (e.type == MdType::BookEnd && e.instrument < instruments.size()) {  // (an unknown one is dropped)
      check(md.book(e.instrument));
      open = kNoInstrument;
    }
    if (e.instrument < instruments.size()) {
      const Price mark = md.markPrice(e.instrument);
      (void)mark;
    }
  }
  for (InstrumentId id = 0; id < instruments.size(); ++id)
    if (id != open) check(md.book(id));  // the open message may still be under way
  return 0;
}
