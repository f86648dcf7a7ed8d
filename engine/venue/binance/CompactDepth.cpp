#include "venue/binance/CompactDepth.hpp"

#include <cstring>

#include "venue/binance/FixedDecimal.hpp"

namespace kappa::binance {

namespace {

// Reading position in the message; every step either consumes what it expects or fails.
struct Cursor {
  const char* p;
  const char* end;

  bool lit(char c) {
    if (p == end || *p != c) return false;
    ++p;
    return true;
  }
  bool lit(std::string_view s) {
    if (std::size_t(end - p) < s.size() || std::memcmp(p, s.data(), s.size()) != 0) return false;
    p += s.size();
    return true;
  }
  // A JSON string of printable ASCII without escapes (simdjson would validate anything else).
  bool str(std::string_view& out) {
    if (!lit('"')) return false;
    const char* s = p;
    while (p != end && *p != '"') {
      const unsigned char ch = static_cast<unsigned char>(*p);
      if (ch == '\\' || ch < 0x20 || ch >= 0x80) return false;
      ++p;
    }
    if (p == end) return false;
    out = std::string_view(s, std::size_t(p - s));
    ++p;
    return true;
  }
  // A plain unsigned JSON integer (no sign, fraction, exponent or leading zero), up to 19 digits
  // (always below 2^64). What follows is the object's ',' or '}', checked by the caller.
  bool u64(std::uint64_t& v) {
    const char* s = p;
    v = 0;
    while (p != end && unsigned(*p - '0') < 10) v = v * 10 + unsigned(*p++ - '0');
    const std::size_t n = std::size_t(p - s);
    return n > 0 && n <= 19 && !(n > 1 && *s == '0');
  }
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

}  // namespace

bool readCompactDepth(std::string_view message, CompactDepth& out, std::vector<MdEvent>& levels, std::vector<MdEvent>& asks) {
  out = CompactDepth{};
  levels.clear();
  asks.clear();
  Cursor c{message.data(), message.data() + message.size()};
  if (c.lit("{\"stream\":")) {
    std::string_view stream;
    if (!c.str(stream) || !c.lit(",\"data\":") || !event(c, out, levels, asks) || !c.lit('}')) return false;
  } else if (!event(c, out, levels, asks)) {
    return false;
  }
  if (c.p != c.end) return false;
  levels.insert(levels.end(), asks.begin(), asks.end());  // bids first, as the simdjson path reads them
  return true;
}

}  // namespace kappa::binance
