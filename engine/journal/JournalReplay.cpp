#include "journal/JournalReplay.hpp"

#include <filesystem>
#include <optional>

#include <sqlite3.h>

namespace kappa {
namespace {
std::string columnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : std::string();
}

// Journal rows are untrusted input: a side that is neither is no side (the row is skipped).
std::optional<Side> columnSide(sqlite3_stmt* s, int i) {
  const std::string side = columnText(s, i);
  if (side == "buy") return Side::Buy;
  if (side == "sell") return Side::Sell;
  return std::nullopt;
}

// The Orders and Fills tabs' history of one day: orders that ended, newest first (an order refused
// by the risk gate has only its reject row; the others begin with their intent), and its fills.
void readDayHistory(sqlite3* db, Nanos dayStart, JournalState* out) {
  sqlite3_stmt* s = nullptr;
  const std::string limit = std::to_string(JournalState::kHistoryRows);
  const std::string orders =
      "SELECT o.order_id, o.instrument, o.side, o.price, o.qty, ifnull(o.strategy, 0), o.ts, ifnull(o.text, ''),"
      " (SELECT ifnull(sum(f.qty), 0) FROM journal f WHERE f.order_id = o.order_id AND f.kind = 'fill'),"
      " (SELECT total(f.qty * 1.0 * f.price) FROM journal f WHERE f.order_id = o.order_id AND f.kind = 'fill'),"
      " e.kind, ifnull(e.text, ''), e.ts"
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
      o.instrument = columnText(s, 1);
      const std::optional<Side> side = columnSide(s, 2);
      if (!side) continue;
      o.side = *side;
      o.price = sqlite3_column_int64(s, 3);
      o.qty = sqlite3_column_int64(s, 4);
      o.strategy = std::uint32_t(sqlite3_column_int64(s, 5));
      o.ts = sqlite3_column_int64(s, 6);
      o.intent = columnText(s, 7);
      o.filled = sqlite3_column_int64(s, 8);
      if (o.filled > 0) o.avgFillPrice = sqlite3_column_double(s, 9) / double(o.filled);
      const std::string end = columnText(s, 10);
      o.reason = columnText(s, 11);
      o.endTs = sqlite3_column_int64(s, 12);
      if (end == "order_reject") o.end = JournalState::FinishedOrder::End::Rejected;
      else if (end == "cancelled") o.end = JournalState::FinishedOrder::End::Cancelled;
      else if (o.filled >= o.qty && o.qty > 0) o.end = JournalState::FinishedOrder::End::Filled;
      else continue;  // no end: unresolved (restored apart, asked of the venue)
      out->historyOrders.push_back(std::move(o));
    }
  }
  sqlite3_finalize(s);
  s = nullptr;
  const std::string fills = "SELECT order_id, instrument, side, price, qty, value, ts FROM journal"
                            " WHERE kind = 'fill' AND ts >= ? ORDER BY seq DESC LIMIT " + limit;
  if (sqlite3_prepare_v2(db, fills.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, dayStart);
    while (sqlite3_step(s) == SQLITE_ROW) {
      JournalState::FillRow f;
      f.order = OrderId(sqlite3_column_int64(s, 0));
      f.instrument = columnText(s, 1);
      const std::optional<Side> side = columnSide(s, 2);
      if (!side) continue;
      f.side = *side;
      f.price = sqlite3_column_int64(s, 3);
      f.qty = sqlite3_column_int64(s, 4);
      f.fee = sqlite3_column_double(s, 5);
      f.ts = sqlite3_column_int64(s, 6);
      out->historyFills.push_back(std::move(f));
    }
  }
  sqlite3_finalize(s);
}
}  // namespace

bool readJournalState(const std::string& path, JournalState* out, std::string* error) {
  *out = {};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return true;
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
  if (sqlite3_prepare_v2(db, "SELECT text FROM journal WHERE kind = 'strategy_setup' ORDER BY seq DESC LIMIT 1", -1, &s,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    if (const unsigned char* t = sqlite3_column_text(s, 0)) out->strategySetup = reinterpret_cast<const char*>(t);
  sqlite3_finalize(s);
  s = nullptr;
  if (out->lastDay >= 0) readDayHistory(db, out->lastDay * kDay, out);
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM session", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    out->sessions = std::size_t(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  s = nullptr;
  sqlite3_close(db);
  return true;
}

}  // namespace kappa
