#include "venue/deribit/CompactBook.hpp"

#include "core/Fixed.hpp"
#include "venue/CompactJson.hpp"

namespace kappa::deribit {

namespace {

// [["new",0.05,1.0],...] onto `out`.
bool levels(CompactJson& c, Side side, std::vector<MdEvent>& out) {
  if (!c.lit('[')) return false;
  if (c.lit(']')) return true;
  do {
    MdEvent e;
    e.type = MdType::BookLevel;
    e.side = side;
    std::string_view action;
    double price = 0, amount = 0;
    if (!c.lit('[') || !c.str(action) || !c.lit(',') || !c.number(price) || !c.lit(',') || !c.number(amount) || !c.lit(']'))
      return false;
    if (!levelActionFrom(action, e.action) || !toFixedChecked(price, e.price) || !toFixedChecked(amount, e.qty)) return false;
    out.push_back(e);
  } while (c.lit(','));
  return c.lit(']');
}

enum : unsigned { kType = 1, kTimestamp = 2, kPrev = 4, kName = 8, kChange = 16, kBids = 32, kAsks = 64 };

bool book(CompactJson& c, BookHeader& out, std::vector<MdEvent>& found) {
  if (!c.lit('{')) return false;
  unsigned seen = 0;
  do {
    std::string_view key, text;
    if (!c.str(key) || !c.lit(':')) return false;
    unsigned bit = 0;
    bool ok = false;
    if (key == "bids") {
      bit = kBids, ok = levels(c, Side::Buy, found);
    } else if (key == "asks") {
      bit = kAsks, ok = levels(c, Side::Sell, found);
    } else if (key == "change_id") {
      bit = kChange, ok = c.u64(out.changeId);
    } else if (key == "prev_change_id") {
      bit = kPrev, ok = c.u64(out.prevChangeId);
    } else if (key == "timestamp") {
      bit = kTimestamp, ok = c.u64(out.timestampMs);
    } else if (key == "type") {
      bit = kType, ok = c.str(text) && (text == "snapshot" || text == "change");
      out.snapshot = text == "snapshot";
    } else if (key == "instrument_name") {
      bit = kName, ok = c.str(text);
    }
    if (!ok || (seen & bit)) return false;
    seen |= bit;
  } while (c.lit(','));
  if (!c.lit('}')) return false;
  const unsigned required = kType | kChange | kBids | kAsks | (out.snapshot ? 0u : unsigned(kPrev));
  return (seen & required) == required;
}

}  // namespace

bool levelActionFrom(std::string_view text, LevelAction& out) {
  if (text == "new")
    out = LevelAction::New;
  else if (text == "change")
    out = LevelAction::Change;
  else if (text == "delete")
    out = LevelAction::Delete;
  else
    return false;
  return true;
}

bool readCompactBook(std::string_view message, CompactBook& out, std::vector<MdEvent>& levels) {
  out = CompactBook{};
  levels.clear();
  CompactJson c(message);
  std::string_view version, channel;
  if (!c.lit("{\"jsonrpc\":") || !c.str(version) || !c.lit(",\"method\":\"subscription\",\"params\":{\"channel\":") ||
      !c.str(channel) || !c.lit(",\"data\":") || !book(c, out.header, levels) || !c.lit("}}") || !c.atEnd())
    return false;
  // "book.NAME.raw" or "book.NAME.100ms" (names carry no dots); anything else is another channel.
  if (channel.substr(0, 5) != "book.") return false;
  const std::size_t dot = channel.rfind('.');
  if (dot <= 5) return false;
  out.instrument = channel.substr(5, dot - 5);
  return out.instrument.find('.') == std::string_view::npos;
}

}  // namespace kappa::deribit
