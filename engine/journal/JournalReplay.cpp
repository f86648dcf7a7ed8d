#include "journal/JournalReplay.hpp"

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "journal/JournalSpill.hpp"

#include <sqlite3.h>

namespace kappa {
namespace {

constexpr std::size_t kMaxDamagedListed = 100;  // the rest are counted

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isUtf8(const unsigned char* s, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// A column's text for a message: printable ASCII as is, every other byte as \xNN, at most 40.
std::string shown(sqlite3_stmt* s, int col) {
  const auto* t = sqlite3_column_text(s, col);
  const int n = sqlite3_column_bytes(s, col);
  if (!t) return "NULL";
  std::string out;
  for (int i = 0; i < n && i < 40; ++i) {
    if (t[i] >= 0x20 && t[i] < 0x7F) {
      out += char(t[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", t[i]);
      out += buf;
    }
  }
  return n > 40 ? out + "..." : out;
}

// A TEXT column that is valid UTF-8, or nullopt.
std::optional<std::string> textOf(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) != SQLITE_TEXT) return std::nullopt;
  const auto* t = sqlite3_column_text(s, col);
  const auto n = std::size_t(sqlite3_column_bytes(s, col));
  if (!t || !isUtf8(t, n)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(t), n);
}

// "buy" or "sell"; nullopt for anything else (never guessed: a damaged side is not a buy).
std::optional<Side> sideOf(sqlite3_stmt* s, int col) {
  const auto t = textOf(s, col);
  if (t == "buy") return Side::Buy;
  if (t == "sell") return Side::Sell;
  return std::nullopt;
}

bool isInteger(sqlite3_stmt* s, int col) { return sqlite3_column_type(s, col) == SQLITE_INTEGER; }

// The venue column: NULL (a row from before schema 3, or one about no instrument's venue) is "";
// a venue name is UTF-8 text; anything else is nullopt (damaged, never guessed).
std::optional<std::string> venueOf(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::string();
  return textOf(s, col);
}

// A journal of schema 1 or 2 has no venue column (it migrates when this session's journal opens,
// after the replay): its queries read NULL in its place.
bool hasVenueColumn(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  bool has = false;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('journal') WHERE name = 'venue'", -1, &s, nullptr) == SQLITE_OK)
    has = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return has;
}

// The Orders and Fills tabs' history of one day: orders that ended, newest first (an order refused
// by the risk gate has only its reject row; the others begin with their intent), and its fills.
void readDayHistory(sqlite3* db, Nanos dayStart, bool venues, JournalState* out) {
  sqlite3_stmt* s = nullptr;
  const std::string limit = std::to_string(JournalState::kHistoryRows);
  const std::string orders =
      std::string("SELECT o.order_id, o.instrument, o.side, o.price, o.qty, ifnull(o.strategy, 0), o.ts, ifnull(o.text, ''),"
      " (SELECT ifnull(sum(f.qty), 0) FROM journal f WHERE f.order_id = o.order_id AND f.kind = 'fill'),"
      " (SELECT total(f.qty * 1.0 * f.price) FROM journal f WHERE f.order_id = o.order_id AND f.kind = 'fill'),"
      " e.kind, ifnull(e.text, ''), e.ts, ") + (venues ? "o.venue" : "NULL") +
      " FROM journal o LEFT JOIN journal e ON e.seq = (SELECT max(x.seq) FROM journal x WHERE x.order_id = o.order_id"
      "   AND x.kind IN ('order_reject', 'cancelled'))"
      " WHERE o.seq IN (SELECT min(seq) FROM journal WHERE kind IN ('order_intent', 'order_reject') AND ts >= ?"
      "   GROUP BY order_id)"
      " ORDER BY o.order_id DESC LIMIT " + limit;
  if (sqlite3_prepare_v2(db, orders.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, dayStart);
    while (sqlite3_step(s) == SQLITE_ROW) {
      JournalState::FinishedOrder o;
      o.id = OrderId(sqlite3_column_int64(s, 0));
      o.instrument = textOf(s, 1).value_or("");
      const std::optional<Side> side = sideOf(s, 2);
      if (!side) continue;
      o.side = *side;
      o.price = sqlite3_column_int64(s, 3);
      o.qty = sqlite3_column_int64(s, 4);
      o.strategy = std::uint32_t(sqlite3_column_int64(s, 5));
      o.ts = sqlite3_column_int64(s, 6);
      o.intent = textOf(s, 7).value_or("");
      o.filled = sqlite3_column_int64(s, 8);
      if (o.filled > 0) o.avgFillPrice = sqlite3_column_double(s, 9) / double(o.filled);
      const std::string end = textOf(s, 10).value_or("");
      o.reason = textOf(s, 11).value_or("");
      o.endTs = sqlite3_column_int64(s, 12);
      o.venue = venueOf(s, 13).value_or("");
      if (end == "order_reject") o.end = JournalState::FinishedOrder::End::Rejected;
      else if (end == "cancelled") o.end = JournalState::FinishedOrder::End::Cancelled;
      else if (o.filled >= o.qty && o.qty > 0) o.end = JournalState::FinishedOrder::End::Filled;
      else continue;  // no end: unresolved (restored apart, asked of the venue)
      out->historyOrders.push_back(std::move(o));
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  const std::string fills = std::string("SELECT order_id, instrument, side, price, qty, value, ts, ") +
                            (venues ? "venue" : "NULL") + " FROM journal"
                            " WHERE kind = 'fill' AND ts >= ? ORDER BY seq DESC LIMIT " + limit;
  if (sqlite3_prepare_v2(db, fills.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, dayStart);
    while (sqlite3_step(s) == SQLITE_ROW) {
      JournalState::FillRow f;
      f.order = OrderId(sqlite3_column_int64(s, 0));
      f.instrument = textOf(s, 1).value_or("");
      const std::optional<Side> side = sideOf(s, 2);
      if (!side) continue;
      f.side = *side;
      f.price = sqlite3_column_int64(s, 3);
      f.qty = sqlite3_column_int64(s, 4);
      f.fee = sqlite3_column_double(s, 5);
      f.ts = sqlite3_column_int64(s, 6);
      f.venue = venueOf(s, 7).value_or("");
      out->historyFills.push_back(std::move(f));
    }
  }
  sqlite3_finalize(s);
}
}  // namespace

namespace {
bool sectionImported(sqlite3* db, const SpillSection& section) {
  if (!db) return false;
  sqlite3_stmt* q = nullptr;
  bool done = false;
  const std::string marker = spillImportedText(section);
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM journal WHERE kind = 'risk_event' AND text = ?", -1, &q, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, marker.c_str(), -1, SQLITE_TRANSIENT);
    done = sqlite3_step(q) == SQLITE_ROW;
  }
  sqlite3_finalize(q);
  return done;
}

// Records the last failure spilled next to the journal and no start has imported yet (the journal
// opens after this is read, and imports them then): they count as journaled, and the halt marker
// means the session ended HALTED.
void mergeSpill(const std::string& path, sqlite3* db, JournalState* out) {
  const SpillContents spilled = readSpill(spillPathFor(path));
  if (!spilled.warning.empty()) out->warnings.push_back(spilled.warning);
  for (const SpillSection& section : spilled.sections) {
    if (sectionImported(db, section)) continue;
    for (const JournalRow& r : section.rows) {
      if (r.kind == "venue_record") {  // a venue's record: its key is not an order id; newer than the table's
        JournalState::VenueEntry e{r.venue.value_or(""), std::uint64_t(r.order.value_or(0)), r.text.value_or("")};
        auto same = std::find_if(out->venueEntries.begin(), out->venueEntries.end(),
                                 [&](const JournalState::VenueEntry& v) { return v.venue == e.venue && v.key == e.key; });
        if (same != out->venueEntries.end()) *same = std::move(e);
        else out->venueEntries.push_back(std::move(e));
        continue;
      }
      const Side side = r.side && *r.side == "sell" ? Side::Sell : Side::Buy;
      if (r.order && *r.order > 0) out->maxOrderId = std::max(out->maxOrderId, OrderId(*r.order));
      const auto unresolved = std::find_if(out->unresolved.begin(), out->unresolved.end(),
                                           [&](const JournalState::UnresolvedOrder& o) { return r.order && o.id == OrderId(*r.order); });
      if (r.kind == "fill") {
        JournalState::FillRow f;
        f.instrument = r.instrument.value_or("");
        f.venue = r.venue.value_or("");
        f.side = side;
        f.price = r.price;
        f.qty = r.qty;
        f.fee = r.value;
        f.order = OrderId(r.order.value_or(0));
        f.ts = r.ts;
        out->fills.push_back(std::move(f));
        if (unresolved != out->unresolved.end() && (unresolved->filled += r.qty) >= unresolved->qty)
          out->unresolved.erase(unresolved);
      } else if (r.kind == "order_reject" || r.kind == "cancelled") {
        if (unresolved != out->unresolved.end()) out->unresolved.erase(unresolved);
        if (r.value != 0 && std::isfinite(r.value)) {
          JournalState::FillRow f;
          f.instrument = r.instrument.value_or("");
          f.venue = r.venue.value_or("");
          f.fee = r.value;
          f.order = OrderId(r.order.value_or(0));
          f.ts = r.ts;
          out->feesWithoutFills.push_back(std::move(f));
        }
      } else if (r.kind == "order_intent" && r.order && unresolved == out->unresolved.end()) {
        JournalState::UnresolvedOrder o;
        o.id = OrderId(*r.order);
        o.instrument = r.instrument.value_or("");
        o.venue = r.venue.value_or("");
        o.side = side;
        o.price = r.price;
        o.qty = r.qty;
        o.strategy = std::uint32_t(r.strategy.value_or(0));
        o.ts = r.ts;
        o.text = r.text.value_or("");
        out->unresolved.push_back(std::move(o));
      }
    }
    out->halted = true;
    out->lastStateChange = "HALTED: " + section.reason + " (halt marker " + spillPathFor(path) + ")";
  }
}
}  // namespace

bool readJournalState(const std::string& path, JournalState* out, std::string* error) {
  *out = {};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    mergeSpill(path, nullptr, out);  // a journal that never opened may still have left its marker
    return true;
  }
  sqlite3* db = nullptr;
  auto fail = [&](const std::string& why) {
    if (error) *error = "journal " + path + ": " + why + (db ? std::string(": ") + sqlite3_errmsg(db) : "");
    if (db) sqlite3_close(db);
    return false;
  };
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return fail("cannot read");
  sqlite3_busy_timeout(db, 2000);
  // A journal that has never been written has no table yet: nothing to restore.
  // Every finalize resets `s`: finalizing null is a no-op, so a query skipped below cannot finalize
  // the previous statement twice.
  sqlite3_stmt* s = nullptr;
  bool hasTable = false;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='journal'", -1, &s, nullptr) == SQLITE_OK)
    hasTable = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  s = nullptr;
  if (!hasTable) {
    mergeSpill(path, nullptr, out);
    sqlite3_close(db);
    return true;
  }
  // Skips the row `seq` of `kind` as damaged, with the reason.
  std::size_t damagedRows = 0;
  auto damaged = [&](std::int64_t seq, const char* kind, const std::string& why) {
    if (++damagedRows <= kMaxDamagedListed)
      out->damaged.push_back("seq " + std::to_string(seq) + " (" + kind + "): " + why);
  };
  const bool venues = hasVenueColumn(db);
  const std::string venueColumn = venues ? "venue" : "NULL";
  if (sqlite3_prepare_v2(db, ("SELECT seq, instrument, side, price, qty, value, " + venueColumn + ", order_id, ts"
                              " FROM journal WHERE kind = 'fill' ORDER BY seq").c_str(),
                         -1, &s, nullptr) != SQLITE_OK)
    return fail("cannot read fills");
  while (sqlite3_step(s) == SQLITE_ROW) {
    const std::int64_t seq = sqlite3_column_int64(s, 0);
    JournalState::FillRow f;
    const auto instrument = textOf(s, 1);
    const auto side = sideOf(s, 2);
    const int feeType = sqlite3_column_type(s, 5);  // NULL: no fee (SQLite stores NaN as NULL too)
    const auto venue = venueOf(s, 6);
    if (!instrument || instrument->empty()) {
      damaged(seq, "fill", "instrument '" + shown(s, 1) + "' is not a name");
    } else if (!venue) {
      damaged(seq, "fill", "venue '" + shown(s, 6) + "' is not a name");
    } else if (!side) {
      damaged(seq, "fill", "side '" + shown(s, 2) + "' is neither buy nor sell");
    } else if (!isInteger(s, 3) || sqlite3_column_int64(s, 3) <= 0) {
      damaged(seq, "fill", "price '" + shown(s, 3) + "' is not a positive integer (ticks)");
    } else if (!isInteger(s, 4) || sqlite3_column_int64(s, 4) <= 0) {
      damaged(seq, "fill", "quantity '" + shown(s, 4) + "' is not a positive integer");
    } else if (feeType != SQLITE_NULL && ((feeType != SQLITE_FLOAT && feeType != SQLITE_INTEGER) ||
                                          !std::isfinite(sqlite3_column_double(s, 5)))) {
      damaged(seq, "fill", "fee '" + shown(s, 5) + "' is not a finite number");
    } else {
      f.instrument = *instrument;
      f.side = *side;
      f.price = sqlite3_column_int64(s, 3);
      f.qty = sqlite3_column_int64(s, 4);
      f.fee = feeType == SQLITE_NULL ? 0.0 : sqlite3_column_double(s, 5);
      f.venue = *venue;
      f.order = isInteger(s, 7) ? OrderId(sqlite3_column_int64(s, 7)) : 0;
      f.ts = sqlite3_column_int64(s, 8);
      out->fills.push_back(std::move(f));
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Fees paid without a fill (order_reject / cancelled rows with a value): a row that is not a
  // finite number or names no instrument is skipped (it was journaled by this code, never typed).
  if (sqlite3_prepare_v2(db, ("SELECT instrument, value, " + venueColumn + ", order_id, ts FROM journal"
                              " WHERE kind IN ('order_reject', 'cancelled') AND value IS NOT NULL AND value != 0 ORDER BY seq").c_str(),
                         -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const auto instrument = textOf(s, 0);
      const auto venue = venueOf(s, 2);
      const double fee = sqlite3_column_double(s, 1);
      if (!instrument || instrument->empty() || !venue || !std::isfinite(fee)) continue;
      JournalState::FillRow f;
      f.instrument = *instrument;
      f.venue = *venue;
      f.fee = fee;
      f.order = isInteger(s, 3) ? OrderId(sqlite3_column_int64(s, 3)) : 0;
      f.ts = sqlite3_column_int64(s, 4);
      out->feesWithoutFills.push_back(std::move(f));
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Intents without an end. The order_id index keeps each probe to a handful of rows.
  if (sqlite3_prepare_v2(db,
                         ("SELECT i.order_id, i.instrument, i.side,"
                         // a confirmed replace has the order's latest price and total quantity
                         " ifnull((SELECT r.price FROM journal r WHERE r.order_id = i.order_id AND r.kind = 'replace'"
                         "   AND r.text = 'confirmed' ORDER BY r.seq DESC LIMIT 1), i.price),"
                         " ifnull((SELECT r.qty FROM journal r WHERE r.order_id = i.order_id AND r.kind = 'replace'"
                         "   AND r.text = 'confirmed' ORDER BY r.seq DESC LIMIT 1), i.qty),"
                         " ifnull(i.strategy, 0), i.ts, i.text,"
                         " (SELECT ifnull(sum(f.qty), 0) FROM journal f WHERE f.order_id = i.order_id AND f.kind = 'fill'),"
                         " i.seq, " + std::string(venues ? "i.venue" : "NULL") +
                         " FROM journal i WHERE i.kind = 'order_intent' AND NOT EXISTS (SELECT 1 FROM journal e"
                         " WHERE e.order_id = i.order_id AND e.kind IN ('order_reject', 'cancelled')) ORDER BY i.order_id").c_str(),
                         -1, &s, nullptr) != SQLITE_OK)
    return fail("cannot read order intents");
  while (sqlite3_step(s) == SQLITE_ROW) {
    const std::int64_t seq = sqlite3_column_int64(s, 9);
    JournalState::UnresolvedOrder o;
    const auto instrument = textOf(s, 1);
    const auto side = sideOf(s, 2);
    if (!isInteger(s, 0) || sqlite3_column_int64(s, 0) <= 0) {
      damaged(seq, "order_intent", "order id '" + shown(s, 0) + "' is not a positive integer");
      continue;
    }
    if (!instrument || instrument->empty()) {
      damaged(seq, "order_intent", "instrument '" + shown(s, 1) + "' is not a name");
      continue;
    }
    if (!side) {
      damaged(seq, "order_intent", "side '" + shown(s, 2) + "' is neither buy nor sell");
      continue;
    }
    const auto venue = venueOf(s, 10);
    if (!venue) {
      damaged(seq, "order_intent", "venue '" + shown(s, 10) + "' is not a name");
      continue;
    }
    o.venue = *venue;
    if (!isInteger(s, 3) || !isInteger(s, 4) || sqlite3_column_int64(s, 4) <= 0) {
      damaged(seq, "order_intent", "price '" + shown(s, 3) + "' or quantity '" + shown(s, 4) + "' is not an integer");
      continue;
    }
    o.id = OrderId(sqlite3_column_int64(s, 0));
    o.instrument = *instrument;
    o.side = *side;
    o.price = sqlite3_column_int64(s, 3);
    o.qty = sqlite3_column_int64(s, 4);
    o.strategy = std::uint32_t(sqlite3_column_int64(s, 5));
    o.ts = sqlite3_column_int64(s, 6);
    if (const unsigned char* t = sqlite3_column_text(s, 7)) o.text = reinterpret_cast<const char*>(t);
    o.filled = sqlite3_column_int64(s, 8);
    if (o.filled < o.qty) out->unresolved.push_back(std::move(o));
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Ids continue after the largest. SQLite keeps them as signed 64-bit integers: a negative one was
  // written past INT64_MAX (an id that wrapped), so every id is taken.
  if (sqlite3_prepare_v2(db, "SELECT ifnull(max(order_id), 0), ifnull(min(order_id), 0) FROM journal"
                             " WHERE typeof(order_id) = 'integer'", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    out->maxOrderId = sqlite3_column_int64(s, 1) < 0 ? OrderId(INT64_MAX) : OrderId(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT seq, kind, order_id FROM journal WHERE order_id IS NOT NULL"
                             " AND typeof(order_id) != 'integer' ORDER BY seq", -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW)
      damaged(sqlite3_column_int64(s, 0), reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
              "order id '" + shown(s, 2) + "' is not an integer");
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT text, seq FROM journal WHERE kind = 'state_change' ORDER BY seq DESC LIMIT 1", -1,
                         &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    // The state is the text's first word; the reason after it may hold any bytes (a path).
    const auto* t = sqlite3_column_text(s, 0);
    const std::string text = t ? std::string(reinterpret_cast<const char*>(t), std::size_t(sqlite3_column_bytes(s, 0))) : "";
    if (text.rfind("HALTED", 0) == 0 || text.rfind("REDUCING", 0) == 0 || text.rfind("ACTIVE", 0) == 0) {
      out->lastStateChange = text;
      out->halted = text.rfind("HALTED", 0) == 0;
    } else {  // what state the last session ended in is unknown: the careful one
      damaged(sqlite3_column_int64(s, 1), "state_change", "'" + shown(s, 0) + "' names no state");
      out->lastStateChange = "HALTED: its last state change is unreadable";
      out->halted = true;
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Run-time limit switches since the last "limits from" (a session start).
  if (sqlite3_prepare_v2(db,
                         "SELECT text, seq FROM journal WHERE kind = 'limit_change' AND ifnull(text, '') NOT LIKE 'limits from %'"
                         " AND seq > (SELECT ifnull(max(seq), 0) FROM journal WHERE kind = 'limit_change'"
                         " AND text LIKE 'limits from %') ORDER BY seq",
                         -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW) {
      // "NAME=VALUE (by who)": NAME=VALUE must be UTF-8 text (who may be anything); its meaning is
      // checked where it is applied (Engine::reapplyLimitChanges).
      const auto* t = sqlite3_column_text(s, 0);
      const std::string text = t ? std::string(reinterpret_cast<const char*>(t), std::size_t(sqlite3_column_bytes(s, 0))) : "";
      const std::size_t by = std::min(text.find(" (by "), text.size());
      if (t && isUtf8(reinterpret_cast<const unsigned char*>(text.data()), by)) out->limitChanges.push_back(text);
      else damaged(sqlite3_column_int64(s, 1), "limit_change", "'" + shown(s, 0) + "' is not UTF-8 text");
    }
  sqlite3_finalize(s);
  s = nullptr;
  // The last trading day's counts.
  constexpr Nanos kDay = 86'400'000'000'000;
  if (sqlite3_prepare_v2(db, "SELECT max(ts) FROM journal WHERE kind IN ('order_intent', 'cancel_request', 'fill')"
                             " AND typeof(ts) = 'integer'", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
    out->lastDay = sqlite3_column_int64(s, 0) / kDay;
  sqlite3_finalize(s);
  s = nullptr;
  if (out->lastDay >= 0 &&
      // As the live counts do: orders that left, user and strategy cancels and modifies (not the
      // halt's or FLATTEN's), fills as they came (not those reconciled after a restart).
      sqlite3_prepare_v2(db, "SELECT kind, count(*) FROM journal WHERE ts >= ? AND (kind = 'order_intent'"
                             " OR (kind = 'cancel_request' AND text = 'limited') OR (kind = 'replace' AND text = 'requested')"
                             " OR (kind = 'fill' AND ifnull(text, '') NOT LIKE 'reconciled%')) GROUP BY kind",
                         -1, &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, out->lastDay * kDay);
    while (sqlite3_step(s) == SQLITE_ROW) {
      const std::string kind = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      const auto n = std::uint64_t(sqlite3_column_int64(s, 1));
      (kind == "order_intent" ? out->dayOrders : kind == "fill" ? out->dayFills : out->dayCancels) += n;
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT ts, value, seq FROM journal WHERE kind = 'position_snapshot'"
                             " AND text = 'day start equity' ORDER BY seq DESC LIMIT 1", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    const int type = sqlite3_column_type(s, 1);
    if (isInteger(s, 0) && (type == SQLITE_FLOAT || type == SQLITE_INTEGER) && std::isfinite(sqlite3_column_double(s, 1))) {
      out->equityDay = sqlite3_column_int64(s, 0) / kDay;
      out->dayStartEquity = sqlite3_column_double(s, 1);
    } else {
      damaged(sqlite3_column_int64(s, 2), "position_snapshot", "day start equity '" + shown(s, 1) + "' at ts '" +
                                                                   shown(s, 0) + "' is not a finite number");
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT text FROM journal WHERE kind = 'strategy_setup' ORDER BY seq DESC LIMIT 1", -1, &s,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    if (const unsigned char* t = sqlite3_column_text(s, 0)) out->strategySetup = reinterpret_cast<const char*>(t);
  sqlite3_finalize(s);
  s = nullptr;
  if (out->lastDay >= 0) readDayHistory(db, out->lastDay * kDay, venues, out);
  // A journal before schema 4 has no venue_record table: the query fails, nothing to hand over.
  if (sqlite3_prepare_v2(db,
                         "SELECT venue, record_key, body FROM venue_record WHERE seq IN "
                         "(SELECT max(seq) FROM venue_record GROUP BY venue, record_key) ORDER BY record_key",
                         -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      JournalState::VenueEntry e;
      e.venue = textOf(s, 0).value_or(std::string());
      e.key = std::uint64_t(sqlite3_column_int64(s, 1));
      e.body = textOf(s, 2).value_or(std::string());
      out->venueEntries.push_back(std::move(e));
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM session", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    out->sessions = std::size_t(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  s = nullptr;
  mergeSpill(path, db, out);
  sqlite3_close(db);
  out->damagedRows = damagedRows;
  if (damagedRows > kMaxDamagedListed)
    out->damaged.push_back("and " + std::to_string(damagedRows - kMaxDamagedListed) + " more damaged rows");
  return true;
}

}  // namespace kappa
