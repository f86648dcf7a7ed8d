#pragma once
// One page of what the journal file (<data-dir>/journal.sqlite) holds, for the Audit view: the
// records matching a filter (time, venue:instrument, strategy instance, kind, text), newest or
// oldest first, continued page by page from the last record a page returned. The Audit view of a
// local engine runs it on a worker thread; an engine served over NATS runs it on its query thread
// for an attached window (EngineServer). No Qt, no network.
//
// The file is opened read-only, once per page, and never created: the journal is in WAL mode, so
// its writer never waits for a reader, and one page sees one snapshot of the file. Pages follow
// the records' order (ts, seq), so a record written while a long export pages through the file
// appears in a later page or not at all, never twice.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/Types.hpp"

namespace kappa {

struct JournalFilter {
  enum class StrategyMatch : std::uint8_t { Any, None, Id };
  std::optional<Nanos> from, to;  // both inclusive
  std::string instrument;         // contained in "venue:name" (or the name), ASCII case-insensitive
  StrategyMatch strategyMatch = StrategyMatch::Any;
  std::int64_t strategyId = 0;    // for StrategyMatch::Id
  std::string kind;               // exact kind name; empty: every kind
  std::string text;               // contained in the record's text, ASCII case-insensitive
};

// One row of table `journal`, as stored: NULL columns are empty optionals or empty strings.
struct JournalQueryRow {
  std::int64_t seq = 0;
  Nanos ts = 0;  // Unix ns, UTC
  std::string kind;  // nameOf(JournalKind), e.g. "fill"
  std::optional<std::int64_t> orderId;
  std::string venue;  // empty in rows from before schema 3
  std::string instrument;
  std::optional<std::int64_t> strategy;
  std::string side;  // "buy", "sell", or empty
  std::optional<std::int64_t> price, qty;  // fixed point, 1e8
  std::optional<double> value;
  std::string text;
};

// Where the next page starts: past this record, in the query's order.
struct JournalCursor {
  Nanos ts = 0;
  std::int64_t seq = 0;
};

struct JournalQuery {
  JournalFilter filter;
  bool newestFirst = true;             // the view reads the newest first, an export the oldest
  std::optional<JournalCursor> after;  // continue past this record; none: from the start
  std::uint32_t limit = 1000;          // most rows in this page
  // Count every record the filter matches when this page stops at `limit` with more to come (the
  // view's "showing N of M"); costs a scan, so only asked where it is shown.
  bool countMatching = false;
  bool listStrategies = false;         // the strategy instance ids the journal names
};

struct JournalPage {
  std::vector<JournalQueryRow> rows;
  bool more = false;  // more records match past the last row: ask again with cursorAfter()
  std::optional<std::int64_t> matching;  // when counted (see countMatching)
  std::optional<std::vector<std::int64_t>> strategies;  // when asked
  std::string error;  // why there are no rows, in words a user can act on
  bool cancelled = false;  // stopped by the caller's cancel check: nothing to show
  JournalCursor cursorAfter() const { return rows.empty() ? JournalCursor{} : JournalCursor{rows.back().ts, rows.back().seq}; }
};

// True when the query should stop (looked at every few thousand SQLite steps).
using JournalCancel = std::function<bool()>;

// The most bytes one encoded row takes besides its strings (MessagePack: an array of 12, numbers).
inline constexpr std::size_t kJournalRowOverheadBytes = 96;
// A page's size as an encoded message about takes it: the server keeps a page under its limit.
std::size_t approximateBytes(const JournalQueryRow& row);

// One page from the journal file at `path`. A page stops at `limit` rows or once its rows take
// about `maxBytes` (then `more`). Never throws.
JournalPage queryJournalFile(const std::string& path, const JournalQuery& query, const JournalCancel& cancelled,
                             std::size_t maxBytes = std::numeric_limits<std::size_t>::max());

}  // namespace kappa
