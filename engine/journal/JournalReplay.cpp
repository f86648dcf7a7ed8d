#include "journal/JournalReplay.hpp"

#include <algorithm>
#include <filesystem>

#include "journal/JournalSpill.hpp"

#include <sqlite3.h>

namespace kappa {

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
      const Side side = r.side && *r.side == "sell" ? Side::Sell : Side::Buy;
      if (r.order && *r.order > 0) out->maxOrderId = std::max(out->maxOrderId, OrderId(*r.order));
      const auto unresolved = std::find_if(out->unresolved.begin(), out->unresolved.end(),
                                           [&](const JournalState::UnresolvedOrder& o) { return r.order && o.id == OrderId(*r.order); });
      if (r.kind == "fill") {
        out->fills.push_back({r.instrument.value_or(""), side, r.price, r.qty, r.value});
        if (unresolved != out->unresolved.end() && (unresolved->filled += r.qty) >= unresolved->qty)
          out->unresolved.erase(unresolved);
      } else if (r.kind == "order_reject" || r.kind == "cancelled") {
        if (unresolved != out->unresolved.end()) out->unresolved.erase(unresolved);
      } else if (r.kind == "order_intent" && r.order && unresolved == out->unresolved.end()) {
        JournalState::UnresolvedOrder o;
        o.id = OrderId(*r.order);
        o.instrument = r.instrument.value_or("");
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
  if (sqlite3_prepare_v2(db, "SELECT instrument, side, price, qty, value FROM journal WHERE kind = 'fill' ORDER BY seq",
                         -1, &s, nullptr) != SQLITE_OK)
    return fail("cannot read fills");
  while (sqlite3_step(s) == SQLITE_ROW) {
    JournalState::FillRow f;
    if (const unsigned char* t = sqlite3_column_text(s, 0)) f.instrument = reinterpret_cast<const char*>(t);
    const unsigned char* side = sqlite3_column_text(s, 1);
    f.side = side && std::string(reinterpret_cast<const char*>(side)) == "sell" ? Side::Sell : Side::Buy;
    f.price = sqlite3_column_int64(s, 2);
    f.qty = sqlite3_column_int64(s, 3);
    f.fee = sqlite3_column_double(s, 4);
    out->fills.push_back(std::move(f));
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Intents without an end. The order_id index keeps each probe to a handful of rows.
  if (sqlite3_prepare_v2(db,
                         "SELECT i.order_id, i.instrument, i.side,"
                         // a confirmed replace has the order's latest price and total quantity
                         " ifnull((SELECT r.price FROM journal r WHERE r.order_id = i.order_id AND r.kind = 'replace'"
                         "   AND r.text = 'confirmed' ORDER BY r.seq DESC LIMIT 1), i.price),"
                         " ifnull((SELECT r.qty FROM journal r WHERE r.order_id = i.order_id AND r.kind = 'replace'"
                         "   AND r.text = 'confirmed' ORDER BY r.seq DESC LIMIT 1), i.qty),"
                         " ifnull(i.strategy, 0), i.ts, i.text,"
                         " (SELECT ifnull(sum(f.qty), 0) FROM journal f WHERE f.order_id = i.order_id AND f.kind = 'fill')"
                         " FROM journal i WHERE i.kind = 'order_intent' AND NOT EXISTS (SELECT 1 FROM journal e"
                         " WHERE e.order_id = i.order_id AND e.kind IN ('order_reject', 'cancelled')) ORDER BY i.order_id",
                         -1, &s, nullptr) != SQLITE_OK)
    return fail("cannot read order intents");
  while (sqlite3_step(s) == SQLITE_ROW) {
    JournalState::UnresolvedOrder o;
    o.id = OrderId(sqlite3_column_int64(s, 0));
    if (const unsigned char* t = sqlite3_column_text(s, 1)) o.instrument = reinterpret_cast<const char*>(t);
    const unsigned char* side = sqlite3_column_text(s, 2);
    o.side = side && std::string(reinterpret_cast<const char*>(side)) == "sell" ? Side::Sell : Side::Buy;
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
  if (sqlite3_prepare_v2(db, "SELECT ifnull(max(order_id), 0) FROM journal", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    out->maxOrderId = OrderId(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT text FROM journal WHERE kind = 'state_change' ORDER BY seq DESC LIMIT 1", -1, &s,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    if (const unsigned char* t = sqlite3_column_text(s, 0)) out->lastStateChange = reinterpret_cast<const char*>(t);
    out->halted = out->lastStateChange.rfind("HALTED", 0) == 0;
  }
  sqlite3_finalize(s);
  s = nullptr;
  // Run-time limit switches since the last "limits from" (a session start).
  if (sqlite3_prepare_v2(db,
                         "SELECT text FROM journal WHERE kind = 'limit_change' AND text NOT LIKE 'limits from %' AND seq >"
                         " (SELECT ifnull(max(seq), 0) FROM journal WHERE kind = 'limit_change' AND text LIKE 'limits from %')"
                         " ORDER BY seq",
                         -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW)
      if (const unsigned char* t = sqlite3_column_text(s, 0)) out->limitChanges.emplace_back(reinterpret_cast<const char*>(t));
  sqlite3_finalize(s);
  s = nullptr;
  // The last trading day's counts.
  constexpr Nanos kDay = 86'400'000'000'000;
  if (sqlite3_prepare_v2(db, "SELECT max(ts) FROM journal WHERE kind IN ('order_intent', 'cancel_request', 'fill')", -1, &s,
                         nullptr) == SQLITE_OK &&
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
  if (sqlite3_prepare_v2(db, "SELECT ts, value FROM journal WHERE kind = 'position_snapshot' AND text = 'day start equity'"
                             " ORDER BY seq DESC LIMIT 1", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    out->equityDay = sqlite3_column_int64(s, 0) / kDay;
    out->dayStartEquity = sqlite3_column_double(s, 1);
  }
  sqlite3_finalize(s);
  s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM session", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    out->sessions = std::size_t(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  s = nullptr;
  mergeSpill(path, db, out);
  sqlite3_close(db);
  return true;
}

}  // namespace kappa
