#include "venue/binance/CompactDepth.hpp"

#include "venue/CompactJson.hpp"
#include "venue/binance/FixedDecimal.hpp"

namespace kappa::binance {

namespace {

// Binance's level lists on top of the generic compact reader.
struct Cursor : CompactJson {
  using CompactJson::CompactJson;

  // One decimal string, e.g. "67000.10": the whole string must be the decimal.
  bool decimal(std::int64_t& v) {
    if (!lit('"')) return false;
    const char* stop = scanFixed(p, end, v);
    if (stop == nullptr || stop == end || *stop != '"') return false;
    p = stop + 1;
    return true;
  }
  // [["price","qty"],...]
  bool levels(Side side, std::vector<MdEvent>& out) {
    if (!lit('[')) return false;
    if (lit(']')) return true;
    do {
      MdEvent e;
      e.type = MdType::BookLevel;
      e.side = side;
      if (!lit('[') || !decimal(e.price) || !lit(',') || !decimal(e.qty) || !lit(']')) return false;
      if (e.price <= 0 || e.qty < 0) return false;
      out.push_back(e);
    } while (lit(','));
    return lit(']');
  }
};

enum : unsigned { kE = 1, kEventTime = 2, kTxTime = 4, kSymbol = 8, kFirst = 16, kLast = 32, kPrev = 64, kBids = 128, kAsks = 256 };

bool event(Cursor& c, CompactDepth& out, std::vector<MdEvent>& bids, std::vector<MdEvent>& asks) {
  if (!c.lit('{')) return false;
  unsigned seen = 0;
  std::uint64_t eventTime = 0, txTime = 0;
  do {
    std::string_view key, text;
    if (!c.str(key) || !c.lit(':')) return false;
    unsigned bit = 0;
    bool ok = false;
    if (key.size() == 1) {
      switch (key[0]) {
        case 'e': bit = kE, ok = c.str(text) && text == "depthUpdate"; break;
        case 'E': bit = kEventTime, ok = c.u64(eventTime); break;
        case 'T': bit = kTxTime, ok = c.u64(txTime); break;
        case 's': bit = kSymbol, ok = c.str(out.symbol); break;
        case 'U': bit = kFirst, ok = c.u64(out.ids.first); break;
        case 'u': bit = kLast, ok = c.u64(out.ids.last); break;
        case 'b': bit = kBids, ok = c.levels(Side::Buy, bids); break;
        case 'a': bit = kAsks, ok = c.levels(Side::Sell, asks); break;
        default: return false;
      }
    } else if (key == "pu") {
      bit = kPrev, ok = c.u64(out.ids.prevLast);
    }
    if (!ok || (seen & bit)) return false;
    seen |= bit;
  } while (c.lit(','));
  if (!c.lit('}')) return false;
  constexpr unsigned kRequired = kE | kSymbol | kFirst | kLast;
  if ((seen & kRequired) != kRequired) return false;
  out.ids.ts = Nanos(txTime ? txTime : eventTime) * 1'000'000;
  return true;
}

// The same event in Binance's own field order, matched as literals (no key search), the asks read
// straight after the bids: {"e":"depthUpdate","E":n,"T":n,"s":"SYM","U":n,"u":n,"pu":n,"b":[..],"a":[..]}.
// False as soon as anything differs; the caller then reads the event again with event().
bool eventInBinanceOrder(Cursor& c, CompactDepth& out, std::vector<MdEvent>& levels) {
  std::uint64_t eventTime = 0, txTime = 0;
  if (!c.lit("{\"e\":\"depthUpdate\",\"E\":") || !c.u64(eventTime) || !c.lit(",\"T\":") || !c.u64(txTime) ||
      !c.lit(",\"s\":") || !c.str(out.symbol) || !c.lit(",\"U\":") || !c.u64(out.ids.first) || !c.lit(",\"u\":") ||
      !c.u64(out.ids.last) || !c.lit(",\"pu\":") || !c.u64(out.ids.prevLast) || !c.lit(",\"b\":") ||
      !c.levels(Side::Buy, levels) || !c.lit(",\"a\":") || !c.levels(Side::Sell, levels) || !c.lit('}'))
    return false;
  out.ids.ts = Nanos(txTime ? txTime : eventTime) * 1'000'000;
  return true;
}

}  // namespace

bool readCompactDepth(std::string_view message, CompactDepth& out, std::vector<MdEvent>& levels, std::vector<MdEvent>& asks) {
  out = CompactDepth{};
  levels.clear();
  asks.clear();
  Cursor c(message);
  const bool combined = c.lit("{\"stream\":");
  std::string_view stream;
  if (combined && (!c.str(stream) || !c.lit(",\"data\":"))) return false;
  const char* eventStart = c.p;
  if (eventInBinanceOrder(c, out, levels)) {
    if (combined && !c.lit('}')) return false;
    return c.atEnd();
  }
  // Another order of the fields (kappa-exchange sorts them), or not this shape at all.
  c.p = eventStart;
  out = CompactDepth{};
  levels.clear();
  if (!event(c, out, levels, asks) || (combined && !c.lit('}')) || !c.atEnd()) return false;
  levels.insert(levels.end(), asks.begin(), asks.end());  // bids first, as the simdjson path reads them
  return true;
}

}  // namespace kappa::binance
