#include "venue/deribit/DeribitDecoder.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <simdjson.h>

#include "core/Log.hpp"
#include "venue/deribit/CompactBook.hpp"

namespace kappa::deribit {

namespace od = simdjson::ondemand;
using simdjson::error_code;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Nanos msToNanos(std::uint64_t ms) { return Nanos(ms) * 1'000'000; }

// Doubles where the venue may send null or leave a field out: NaN then.
double optionalDouble(od::object& obj, std::string_view key) {
  double d;
  if (obj.find_field_unordered(key).get_double().get(d) != simdjson::SUCCESS) return kNaN;
  return d;
}

std::string optionalString(od::object& obj, std::string_view key) {
  std::string_view s;
  if (obj.find_field_unordered(key).get_string().get(s) != simdjson::SUCCESS) return {};
  return std::string(s);
}

// Trailing digits of an id like "ETH-2696097" or "12345" (0 if none).
std::uint64_t trailingNumber(std::string_view s) {
  std::size_t i = s.size();
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;
  std::uint64_t v = 0;
  for (std::size_t j = i; j < s.size() && j < i + 19; ++j) v = v * 10 + std::uint64_t(s[j] - '0');
  return v;
}

DeribitOrderState orderStateFrom(std::string_view s) {
  if (s == "open") return DeribitOrderState::Open;
  if (s == "filled") return DeribitOrderState::Filled;
  if (s == "cancelled") return DeribitOrderState::Cancelled;
  if (s == "rejected") return DeribitOrderState::Rejected;
  if (s == "untriggered") return DeribitOrderState::Untriggered;
  return DeribitOrderState::Unknown;
}

// "book.BTC-PERPETUAL.raw" -> "BTC-PERPETUAL" (names carry no dots; the interval is last).
std::string_view middleOf(std::string_view channel) {
  const std::size_t a = channel.find('.');
  const std::size_t b = channel.rfind('.');
  if (a == std::string_view::npos || b <= a) return {};
  return channel.substr(a + 1, b - a - 1);
}

// Best effort for a message simdjson refused: which book was it about? A malformed book message
// must still leave its book stale.
std::string_view sniffBookInstrument(std::string_view text) {
  const std::size_t c = text.find("\"book.");
  if (c == std::string_view::npos) return {};
  const std::size_t start = c + 6;
  const std::size_t dot = text.find('.', start);
  if (dot == std::string_view::npos || dot - start > 64) return {};
  return text.substr(start, dot - start);
}

}  // namespace

struct DeribitDecoder::Impl {
  DeribitDecoder& d;
  od::parser parser;
  // On-Demand reads only what it is asked for, and simdjson 3.0 can read out of bounds when asked
  // for more fields of a document whose structure is broken (a ticker with a stray comma in a
  // number crashed the decoder; tst_deribit_decoder feeds it mutated recordings): the DOM parser
  // validates each message whole first.
  simdjson::dom::parser validator;
  std::vector<char> buffer;  // the message, padded as simdjson needs
  bool bookMarked = false;   // the failed message's book was already marked stale
  std::vector<MdEvent> compactLevels;

  explicit Impl(DeribitDecoder& decoder) : d(decoder) {}

  DecodeResult decode(std::string_view text, DecodedBatch& out, bool padded);
  error_code notification(od::object& params, DecodedBatch& out, std::string& error);
  error_code book(InstrumentId id, od::value data, DecodedBatch& out, std::string& error);
  void compactBook(const CompactBook& book, DecodedBatch& out);
  void sequence(InstrumentId id, const BookHeader& h, std::size_t beginAt, DecodedBatch& out);
  error_code levels(InstrumentId id, Side side, od::array arr, DecodedBatch& out, std::string& error);
  error_code trades(od::value data, DecodedBatch& out);
  error_code index(od::value data, DecodedBatch& out);
  error_code ticker(InstrumentId id, od::value data, DecodedBatch& out);
  error_code order(od::value v, DecodedBatch& out);
  error_code userTrade(od::value v, DecodedBatch& out);
  error_code portfolio(od::value data, DecodedBatch& out);
  error_code platform(od::value data, DecodedBatch& out);
  error_code instrumentState(od::value data, DecodedBatch& out);
};

DeribitDecoder::DeribitDecoder(const InstrumentRegistry& instruments, VenueId venue)
    : instruments_(instruments), books_(instruments.size()), impl_(std::make_unique<Impl>(*this)) {
  byName_.reserve(instruments.size());
  for (const Instrument& inst : instruments.all())
    if (inst.venue == venue) byName_.emplace(inst.name, inst.id);
}

DeribitDecoder::~DeribitDecoder() = default;

InstrumentId DeribitDecoder::find(std::string_view name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? kNoInstrument : it->second;
}

void DeribitDecoder::addInstrument(const Instrument& inst) {
  byName_.emplace(inst.name, inst.id);
  if (books_.size() <= inst.id) books_.resize(std::size_t(inst.id) + 1);
}

void DeribitDecoder::forget(InstrumentId id) {
  if (id >= instruments_.size()) return;
  byName_.erase(instruments_[id].name);
  if (id < books_.size()) books_[id].state = BookSeq::State::NoSnapshot;
}

void DeribitDecoder::awaitSnapshot(InstrumentId id) {
  if (id < books_.size()) books_[id].state = BookSeq::State::NoSnapshot;
}

void DeribitDecoder::awaitAllSnapshots() {
  for (BookSeq& b : books_) b.state = BookSeq::State::NoSnapshot;
}

void DeribitDecoder::markStale(InstrumentId id, std::string reason, DecodedBatch& out) {
  if (id >= books_.size()) return;
  books_[id].state = BookSeq::State::NoSnapshot;
  MdEvent e;
  e.type = MdType::BookStale;
  e.instrument = id;
  out.md.push_back(e);
  out.resyncs.push_back({id, std::move(reason)});
}

DecodeResult DeribitDecoder::decode(std::string_view message, DecodedBatch& out) { return impl_->decode(message, out, false); }
DecodeResult DeribitDecoder::decodePadded(std::string_view message, DecodedBatch& out) {
  static_assert(kPadding >= simdjson::SIMDJSON_PADDING);
  return impl_->decode(message, out, true);
}

DecodeResult DeribitDecoder::Impl::decode(std::string_view text, DecodedBatch& out, bool padded) {
  DecodeResult r;
  const std::size_t mdMark = out.md.size();
  const char* json = text.data();
  if (!padded) {
    if (buffer.size() < text.size() + simdjson::SIMDJSON_PADDING) buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer.data(), text.data(), text.size());
    json = buffer.data();
  }

  auto malformed = [&](std::string why) {
    ++d.malformed_;
    out.md.resize(mdMark);  // a half-decoded message is taken back whole
    r.kind = MessageKind::Malformed;
    r.error = std::move(why);
    const std::string_view name = sniffBookInstrument(text);
    const InstrumentId id = name.empty() ? kNoInstrument : d.find(name);
    if (id != kNoInstrument) d.markStale(id, "malformed book message: " + r.error, out);
    log::warn("deribit", "malformed message skipped: " + r.error);
    return r;
  };

  // Most messages are book changes in Deribit's compact form: read those in one pass (CompactBook.hpp);
  // anything else, or anything unusual in one, goes through simdjson below.
  CompactBook compact;
  if (d.compactBook_ && readCompactBook(text, compact, compactLevels)) {
    ++d.compactBooks_;
    compactBook(compact, out);
    r.kind = MessageKind::Notification;
    return r;
  }

  simdjson::dom::element whole;
  if (auto e = validator.parse(json, text.size(), false).get(whole)) return malformed(simdjson::error_message(e));
  od::document doc;
  if (auto e = parser.iterate(json, text.size(), text.size() + simdjson::SIMDJSON_PADDING).get(doc))
    return malformed(simdjson::error_message(e));
  od::object root;
  if (auto e = doc.get_object().get(root)) return malformed(std::string("not a JSON object: ") + simdjson::error_message(e));

  std::string_view method;
  const error_code me = root.find_field_unordered("method").get_string().get(method);
  if (me == simdjson::NO_SUCH_FIELD) {
    if (root.find_field_unordered("id").error() == simdjson::SUCCESS) {
      r.kind = MessageKind::Response;
      return r;
    }
    return malformed("neither a notification nor a response");
  }
  if (me) return malformed(std::string("bad method: ") + simdjson::error_message(me));

  if (method == "heartbeat") {
    r.kind = MessageKind::Heartbeat;
    std::string_view type;
    if (root.find_field_unordered("params").find_field_unordered("type").get_string().get(type) == simdjson::SUCCESS)
      r.testRequest = type == "test_request";
    return r;
  }
  if (method != "subscription") {  // a method we do not serve (the server would not send one)
    r.kind = MessageKind::Notification;
    return r;
  }
  od::object params;
  if (auto e = root.find_field_unordered("params").get_object().get(params))
    return malformed(std::string("subscription without params: ") + simdjson::error_message(e));
  std::string error;
  bookMarked = false;
  if (auto e = notification(params, out, error)) {
    if (error.empty()) error = simdjson::error_message(e);
    if (!bookMarked) return malformed(error);
    ++d.malformed_;  // its book is already stale and resyncing
    log::warn("deribit", "malformed message skipped: " + error);
    r.kind = MessageKind::Malformed;
    r.error = error;
    return r;
  }
  r.kind = MessageKind::Notification;
  return r;
}

error_code DeribitDecoder::Impl::notification(od::object& params, DecodedBatch& out, std::string& error) {
  std::string_view channelView;
  if (auto e = params.find_field_unordered("channel").get_string().get(channelView)) {
    error = "subscription without a channel";
    return e;
  }
  // The channel's text lives in the parser's string buffer, which the next field lookups keep.
  const std::string_view channel = channelView;
  od::value data;
  if (auto e = params.find_field_unordered("data").get(data)) {
    error = "subscription without data on " + std::string(channel);
    return e;
  }
  if (channel.rfind("book.", 0) == 0) {
    const InstrumentId id = d.find(middleOf(channel));
    if (id == kNoInstrument) return simdjson::SUCCESS;  // not one of ours: skipped
    const std::size_t mdMark = out.md.size();
    const error_code e = book(id, data, out, error);
    if (e) {
      out.md.resize(mdMark);
      if (error.empty()) error = simdjson::error_message(e);
      error = d.instruments_[id].name + ": " + error;
      d.markStale(id, "malformed book message: " + error, out);
      bookMarked = true;
    }
    return e;
  }
  if (channel.rfind("trades.", 0) == 0) return trades(data, out);
  if (channel.rfind("ticker.", 0) == 0) {
    const InstrumentId id = d.find(middleOf(channel));
    if (id == kNoInstrument) return simdjson::SUCCESS;
    return ticker(id, data, out);
  }
  if (channel.rfind("deribit_price_index.", 0) == 0) return index(data, out);
  if (channel.rfind("user.orders.", 0) == 0) {
    od::array arr;
    if (data.get_array().get(arr) == simdjson::SUCCESS) {  // the 100ms variants send arrays
      for (auto item : arr) {
        od::value v;
        if (auto e = item.get(v)) return e;
        if (auto e = order(v, out)) return e;
      }
      return simdjson::SUCCESS;
    }
    return order(data, out);
  }
  if (channel.rfind("user.trades.", 0) == 0) {
    od::array arr;
    if (auto e = data.get_array().get(arr)) return e;
    for (auto item : arr) {
      od::value v;
      if (auto e = item.get(v)) return e;
      if (auto e = userTrade(v, out)) return e;
    }
    return simdjson::SUCCESS;
  }
  if (channel.rfind("user.portfolio.", 0) == 0) return portfolio(data, out);
  if (channel.rfind("platform_state", 0) == 0) return platform(data, out);
  if (channel.rfind("instrument.state.", 0) == 0) return instrumentState(data, out);
  return simdjson::SUCCESS;  // a channel we did not ask for: skipped
}

// One pass over the message's fields, in whatever order the server wrote them (Deribit's own
// order, or a server that sorts keys): levels are emitted as they come after a BookBegin whose
// ids are filled in at the end; a change that is out of sequence is taken back whole.
error_code DeribitDecoder::Impl::book(InstrumentId id, od::value data, DecodedBatch& out, std::string& error) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  const std::size_t beginAt = out.md.size();
  {
    MdEvent begin;
    begin.type = MdType::BookBegin;
    begin.instrument = id;
    out.md.push_back(begin);
  }
  std::string_view type;
  BookHeader h;
  bool haveChange = false, havePrev = false, haveBids = false, haveAsks = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value v = field.value();
    if (key == "bids" || key == "asks") {
      const bool bids = key == "bids";
      od::array arr;
      if (auto e = v.get_array().get(arr)) {
        error = bids ? "book bids are not a list" : "book asks are not a list";
        return e;
      }
      if (auto e = levels(id, bids ? Side::Buy : Side::Sell, arr, out, error)) return e;
      (bids ? haveBids : haveAsks) = true;
    } else if (key == "type") {
      if (auto e = v.get_string().get(type)) return e;
    } else if (key == "change_id") {
      if (auto e = v.get_uint64().get(h.changeId)) return e;
      haveChange = true;
    } else if (key == "prev_change_id") {
      if (auto e = v.get_uint64().get(h.prevChangeId)) return e;
      havePrev = true;
    } else if (key == "timestamp") {
      if (v.get_uint64().get(h.timestampMs) != simdjson::SUCCESS) h.timestampMs = 0;
    }
  }
  h.snapshot = type == "snapshot";
  if (!h.snapshot && type != "change") {
    error = "book message without a known type";
    return simdjson::INCORRECT_TYPE;
  }
  if (!haveChange || (!h.snapshot && !havePrev) || !haveBids || !haveAsks) {
    error = "book message without change_id, prev_change_id, bids or asks";
    return simdjson::NO_SUCH_FIELD;
  }
  sequence(id, h, beginAt, out);
  return simdjson::SUCCESS;
}

// The compact reader's result, as book() would have emitted it.
void DeribitDecoder::Impl::compactBook(const CompactBook& book, DecodedBatch& out) {
  const InstrumentId id = d.find(book.instrument);
  if (id == kNoInstrument) return;  // not one of ours: skipped
  const std::size_t beginAt = out.md.size();
  MdEvent begin;
  begin.type = MdType::BookBegin;
  begin.instrument = id;
  out.md.push_back(begin);
  for (MdEvent e : compactLevels) {
    e.instrument = id;
    out.md.push_back(e);
  }
  sequence(id, book.header, beginAt, out);
}

// A decoded book message (a BookBegin at `beginAt`, then its levels) against the book's change_id
// chain: a change out of sequence, or one while a snapshot is awaited, is taken back whole.
void DeribitDecoder::Impl::sequence(InstrumentId id, const BookHeader& h, std::size_t beginAt, DecodedBatch& out) {
  BookSeq& seq = d.books_[id];
  if (!h.snapshot) {
    if (seq.state != BookSeq::State::Live) {  // waiting for the snapshot a resync asked for
      ++d.discarded_;
      out.md.resize(beginAt);
      return;
    }
    if (h.prevChangeId != seq.lastChangeId) {
      ++d.gaps_;
      out.md.resize(beginAt);
      const std::string reason = "change_id gap: prev_change_id " + std::to_string(h.prevChangeId) + ", last change_id " +
                                 std::to_string(seq.lastChangeId);
      log::warn("deribit", d.instruments_[id].name + " book stale: " + reason + "; resubscribing");
      d.markStale(id, reason, out);
      return;
    }
  }
  MdEvent& begin = out.md[beginAt];
  begin.isSnapshot = h.snapshot;
  begin.changeId = h.changeId;
  begin.prevChangeId = h.prevChangeId;
  begin.ts = msToNanos(h.timestampMs);
  MdEvent end;
  end.type = MdType::BookEnd;
  end.instrument = id;
  end.changeId = h.changeId;
  end.ts = begin.ts;
  out.md.push_back(end);
  seq.state = BookSeq::State::Live;
  seq.lastChangeId = h.changeId;
}

error_code DeribitDecoder::Impl::levels(InstrumentId id, Side side, od::array arr, DecodedBatch& out,
                                        std::string& error) {
  for (auto item : arr) {
    od::array level;
    if (auto e = item.get_array().get(level)) {
      error = "book level is not an array";
      return e;
    }
    MdEvent ev;
    ev.type = MdType::BookLevel;
    ev.instrument = id;
    ev.side = side;
    int n = 0;
    double price = 0, amount = 0;
    for (auto field : level) {
      if (n == 0) {
        std::string_view action;
        if (auto e = field.get_string().get(action)) {
          error = "book level without its action";
          return e;
        }
        if (!levelActionFrom(action, ev.action)) {
          error = "unknown book level action";
          return simdjson::INCORRECT_TYPE;
        }
      } else if (n == 1) {
        if (auto e = field.get_double().get(price)) {
          error = "book level price is not a number";
          return e;
        }
      } else if (n == 2) {
        if (auto e = field.get_double().get(amount)) {
          error = "book level amount is not a number";
          return e;
        }
      }
      ++n;
    }
    if (n != 3 || !toFixedChecked(price, ev.price) || !toFixedChecked(amount, ev.qty)) {
      error = "book level is not [action, price, amount]";
      return simdjson::INCORRECT_TYPE;
    }
    out.md.push_back(ev);
  }
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::trades(od::value data, DecodedBatch& out) {
  od::array arr;
  if (auto e = data.get_array().get(arr)) return e;
  for (auto item : arr) {
    od::object t;
    if (auto e = item.get_object().get(t)) return e;
    std::string_view name;
    if (auto e = t.find_field_unordered("instrument_name").get_string().get(name)) return e;
    const InstrumentId id = d.find(name);
    if (id == kNoInstrument) continue;  // a trade in an instrument we do not list
    MdEvent ev;
    ev.type = MdType::Trade;
    ev.instrument = id;
    std::string_view direction, tradeId;
    double price = 0, amount = 0;
    std::uint64_t ts = 0;
    if (auto e = t.find_field_unordered("price").get_double().get(price)) return e;
    if (auto e = t.find_field_unordered("amount").get_double().get(amount)) return e;
    if (auto e = t.find_field_unordered("direction").get_string().get(direction)) return e;
    if (t.find_field_unordered("trade_id").get_string().get(tradeId) == simdjson::SUCCESS)
      ev.changeId = trailingNumber(tradeId);
    if (t.find_field_unordered("timestamp").get_uint64().get(ts) == simdjson::SUCCESS) ev.ts = msToNanos(ts);
    if (!toFixedChecked(price, ev.price) || !toFixedChecked(amount, ev.qty)) return simdjson::NUMBER_OUT_OF_RANGE;
    ev.side = direction == "sell" ? Side::Sell : Side::Buy;
    out.md.push_back(ev);
  }
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::index(od::value data, DecodedBatch& out) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  std::string_view name;
  double price = 0;
  std::uint64_t ts = 0;
  if (auto e = obj.find_field_unordered("index_name").get_string().get(name)) return e;
  const InstrumentId id = d.find(name);
  if (id == kNoInstrument) return simdjson::SUCCESS;
  if (auto e = obj.find_field_unordered("price").get_double().get(price)) return e;
  if (obj.find_field_unordered("timestamp").get_uint64().get(ts) != simdjson::SUCCESS) ts = 0;
  MdEvent ev;
  ev.type = MdType::IndexPrice;
  ev.instrument = id;
  if (!toFixedChecked(price, ev.price)) return simdjson::NUMBER_OUT_OF_RANGE;
  ev.ts = msToNanos(ts);
  out.md.push_back(ev);
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::ticker(InstrumentId id, od::value data, DecodedBatch& out) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  DeribitTicker t;
  t.instrument = id;
  std::uint64_t ts = 0;
  if (obj.find_field_unordered("timestamp").get_uint64().get(ts) == simdjson::SUCCESS) t.ts = msToNanos(ts);
  t.markPrice = optionalDouble(obj, "mark_price");
  t.markIv = optionalDouble(obj, "mark_iv");
  t.bidIv = optionalDouble(obj, "bid_iv");
  t.askIv = optionalDouble(obj, "ask_iv");
  t.bestBid = optionalDouble(obj, "best_bid_price");
  t.bestAsk = optionalDouble(obj, "best_ask_price");
  t.bestBidAmount = optionalDouble(obj, "best_bid_amount");
  t.bestAskAmount = optionalDouble(obj, "best_ask_amount");
  t.underlyingPrice = optionalDouble(obj, "underlying_price");
  t.indexPrice = optionalDouble(obj, "index_price");
  t.delta = t.gamma = t.vega = t.theta = t.rho = kNaN;
  od::object greeks;
  if (obj.find_field_unordered("greeks").get_object().get(greeks) == simdjson::SUCCESS) {
    t.delta = optionalDouble(greeks, "delta");
    t.gamma = optionalDouble(greeks, "gamma");
    t.vega = optionalDouble(greeks, "vega");
    t.theta = optionalDouble(greeks, "theta");
    t.rho = optionalDouble(greeks, "rho");
  }
  out.tickers.push_back(t);
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::order(od::value v, DecodedBatch& out) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) return e;
  DeribitOrderUpdate o;
  std::string_view s;
  if (auto e = obj.find_field_unordered("order_id").get_string().get(s)) return e;
  o.exchangeOrderId = std::string(s);
  o.label = optionalString(obj, "label");
  o.instrumentName = optionalString(obj, "instrument_name");
  if (auto e = obj.find_field_unordered("order_state").get_string().get(s)) return e;
  o.state = orderStateFrom(s);
  if (obj.find_field_unordered("direction").get_string().get(s) == simdjson::SUCCESS)
    o.side = s == "sell" ? Side::Sell : Side::Buy;
  const double price = optionalDouble(obj, "price");  // "market_price" for market orders: NaN, 0 here
  if (std::isfinite(price)) toFixedChecked(price, o.price);
  const double amount = optionalDouble(obj, "amount");
  const double filled = optionalDouble(obj, "filled_amount");
  const double avg = optionalDouble(obj, "average_price");
  if (!std::isfinite(amount) || !toFixedChecked(amount, o.amount)) return simdjson::INCORRECT_TYPE;
  if (std::isfinite(filled)) toFixedChecked(filled, o.filledAmount);
  if (std::isfinite(avg)) toFixedChecked(avg, o.averagePrice);
  bool replaced = false;
  if (obj.find_field_unordered("replaced").get_bool().get(replaced) == simdjson::SUCCESS) o.replaced = replaced;
  o.reason = optionalString(obj, "cancel_reason");
  if (o.reason.empty()) o.reason = optionalString(obj, "reject_reason");
  std::uint64_t ts = 0;
  if (obj.find_field_unordered("last_update_timestamp").get_uint64().get(ts) == simdjson::SUCCESS) o.ts = msToNanos(ts);
  out.orders.push_back(std::move(o));
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::userTrade(od::value v, DecodedBatch& out) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) return e;
  DeribitUserTrade t;
  std::string_view s;
  if (auto e = obj.find_field_unordered("trade_id").get_string().get(s)) return e;
  t.tradeId = std::string(s);
  if (auto e = obj.find_field_unordered("order_id").get_string().get(s)) return e;
  t.exchangeOrderId = std::string(s);
  t.label = optionalString(obj, "label");
  t.instrumentName = optionalString(obj, "instrument_name");
  if (obj.find_field_unordered("direction").get_string().get(s) == simdjson::SUCCESS)
    t.side = s == "sell" ? Side::Sell : Side::Buy;
  double price = 0, amount = 0;
  if (auto e = obj.find_field_unordered("price").get_double().get(price)) return e;
  if (auto e = obj.find_field_unordered("amount").get_double().get(amount)) return e;
  if (!toFixedChecked(price, t.price) || !toFixedChecked(amount, t.amount)) return simdjson::NUMBER_OUT_OF_RANGE;
  const double fee = optionalDouble(obj, "fee");
  t.fee = std::isfinite(fee) ? fee : 0.0;
  if (obj.find_field_unordered("liquidity").get_string().get(s) == simdjson::SUCCESS) t.maker = s == "M";
  std::uint64_t ts = 0;
  if (obj.find_field_unordered("timestamp").get_uint64().get(ts) == simdjson::SUCCESS) t.ts = msToNanos(ts);
  out.trades.push_back(std::move(t));
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::portfolio(od::value data, DecodedBatch& out) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  VenueAccount a;
  a.currency = optionalString(obj, "currency");
  auto num = [&](std::string_view key) {
    const double v = optionalDouble(obj, key);
    return std::isfinite(v) ? v : 0.0;
  };
  a.equity = num("equity");
  a.balance = num("balance");
  a.initialMargin = num("initial_margin");
  a.maintenanceMargin = num("maintenance_margin");
  a.availableFunds = num("available_funds");
  std::uint64_t ts = 0;
  if (obj.find_field_unordered("timestamp").get_uint64().get(ts) == simdjson::SUCCESS) a.ts = msToNanos(ts);
  out.accounts.push_back(std::move(a));
  return simdjson::SUCCESS;
}

error_code DeribitDecoder::Impl::platform(od::value data, DecodedBatch& out) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  DeribitPlatformState p;
  p.priceIndex = optionalString(obj, "price_index");
  bool locked = false;
  if (obj.find_field_unordered("locked").get_bool().get(locked) != simdjson::SUCCESS) {
    // {"maintenance": true} or {"allow_unauthenticated_public_requests": …}
    bool maintenance = false;
    if (obj.find_field_unordered("maintenance").get_bool().get(maintenance) != simdjson::SUCCESS) return simdjson::SUCCESS;
    locked = maintenance;
  }
  p.locked = locked;
  out.platform.push_back(std::move(p));
  return simdjson::SUCCESS;
}

// {"instrument_name": "BTC-11DEC26-71000-C", "state": "created", "timestamp": 1553080940000}
error_code DeribitDecoder::Impl::instrumentState(od::value data, DecodedBatch& out) {
  od::object obj;
  if (auto e = data.get_object().get(obj)) return e;
  DeribitInstrumentState st;
  st.instrumentName = optionalString(obj, "instrument_name");
  st.state = optionalString(obj, "state");
  std::uint64_t ms = 0;
  if (obj.find_field_unordered("timestamp").get_uint64().get(ms) == simdjson::SUCCESS) st.ts = Nanos(ms) * 1'000'000;
  if (!st.instrumentName.empty() && !st.state.empty()) out.instrumentStates.push_back(std::move(st));
  return simdjson::SUCCESS;
}

// ---- instruments ----

Instrument indexInstrument(const std::string& currency) {
  Instrument index;
  std::string lower = currency;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  index.name = lower + "_usd";
  index.kind = InstrumentKind::Index;
  index.settlement = Settlement::Linear;
  index.baseCurrency = currency;
  index.quoteCurrency = "USD";
  index.settleCurrency = "USD";
  index.tickSize = toFixed(0.01);
  index.minQty = toFixed(1);
  index.tradable = false;
  index.priceDecimals = 2;
  return index;
}

bool parseInstruments(std::string_view json, InstrumentId underlying, std::vector<Instrument>& out,
                      std::vector<std::string>& skipped, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    error = std::string("instrument list is not JSON: ") + simdjson::error_message(e);
    return false;
  }
  simdjson::dom::array arr;
  if (root.get_array().get(arr) != simdjson::SUCCESS) {
    error = "instrument list is not an array";
    return false;
  }
  for (simdjson::dom::element item : arr) {
    std::string_view name, kind;
    if (item["instrument_name"].get_string().get(name) || item["kind"].get_string().get(kind)) {
      skipped.push_back("(an instrument without name or kind)");
      continue;
    }
    if (kind != "future" && kind != "option") {  // future_combo, option_combo, spot, …: not ours yet
      skipped.push_back(std::string(name) + " (" + std::string(kind) + ")");
      continue;
    }
    auto num = [&](const char* key, double fallback) {
      double v;
      return item[key].get_double().get(v) == simdjson::SUCCESS && std::isfinite(v) ? v : fallback;
    };
    auto str = [&](const char* key, std::string_view fallback) {
      std::string_view v;
      return std::string(item[key].get_string().get(v) == simdjson::SUCCESS ? v : fallback);
    };
    const double tick = num("tick_size", 0), minAmount = num("min_trade_amount", 0);
    if (!(tick > 0) || !(minAmount > 0)) {
      skipped.push_back(std::string(name) + " (no tick size or minimum amount)");
      continue;
    }
    Instrument inst;
    inst.name = std::string(name);
    inst.baseCurrency = str("base_currency", "BTC");
    inst.settleCurrency = str("settlement_currency", inst.baseCurrency);
    inst.settlement = str("instrument_type", "reversed") == "linear" ? Settlement::Linear : Settlement::Inverse;
    inst.underlyingId = underlying;
    inst.tickSize = toFixed(tick);
    inst.minQty = toFixed(minAmount);
    inst.contractSize = num("contract_size", 1.0);
    inst.makerFee = num("maker_commission", 0);
    inst.takerFee = num("taker_commission", 0);
    inst.priceDecimals = decimalsFor(inst.tickSize);
    inst.qtyDecimals = decimalsFor(inst.minQty);
    bool active = true;
    if (item["is_active"].get_bool().get(active) == simdjson::SUCCESS) inst.tradable = active;
    std::uint64_t expiryMs = 0;
    if (item["expiration_timestamp"].get_uint64().get(expiryMs) != simdjson::SUCCESS) expiryMs = 0;
    if (kind == "option") {
      inst.kind = InstrumentKind::Option;
      const std::string type = str("option_type", "");
      if (type != "call" && type != "put") {
        skipped.push_back(inst.name + " (option without call/put)");
        continue;
      }
      inst.optionType = type == "call" ? OptionType::Call : OptionType::Put;
      const double strike = num("strike", 0);
      if (!(strike > 0) || expiryMs == 0) {
        skipped.push_back(inst.name + " (option without strike or expiry)");
        continue;
      }
      inst.strike = toFixed(strike);
      inst.expiry = msToNanos(expiryMs);
      // Inverse options are quoted in the coin; linear (USDC) ones in USDC.
      inst.quoteCurrency = inst.settlement == Settlement::Inverse ? inst.baseCurrency : str("quote_currency", "USD");
    } else {
      const bool perpetual = str("settlement_period", "") == "perpetual";
      inst.kind = perpetual ? InstrumentKind::Perpetual : InstrumentKind::Future;
      inst.expiry = perpetual ? 0 : msToNanos(expiryMs);
      inst.quoteCurrency = str("quote_currency", "USD");
    }
    out.push_back(std::move(inst));
  }
  return true;
}

}  // namespace kappa::deribit
