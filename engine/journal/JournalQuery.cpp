#include "journal/JournalQuery.hpp"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <variant>

#include <sqlite3.h>

namespace kappa {

namespace {

constexpr int kCancelCheckEveryOps = 10'000;  // SQLite VM steps between two looks at the cancel flag

// The columns every query reads, in this order.
enum SqlColumn {
  ColSeq, ColTs, ColKind, ColOrder, ColInstrument, ColStrategy, ColSide, ColPrice, ColQty, ColValue, ColText, ColVenue
};
// A journal written before schema 3 has no venue column: NULL stands in for it (the query reads
// any journal it is pointed at, and never migrates one).
std::string selectFrom(bool hasVenue) {
  return std::string("SELECT seq, ts, kind, order_id, instrument, strategy, side, price, qty, value, text, ") +
         (hasVenue ? "venue" : "NULL") + " FROM journal";
}

struct SqlFilter {
  std::vector<std::string> terms;
  std::vector<std::variant<std::int64_t, std::string>> args;
  std::string where() const {
    std::string out;
    for (std::size_t i = 0; i < terms.size(); ++i) out += (i == 0 ? " WHERE " : " AND ") + terms[i];
    return out;
  }
};

// A LIKE pattern matching `needle` anywhere, its own % and _ taken literally (ESCAPE '\').
std::string likeContains(const std::string& needle) {
  std::string out = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

SqlFilter sqlFor(const JournalFilter& f, bool hasVenue) {
  SqlFilter out;
  if (f.from) {
    out.terms.emplace_back("ts >= ?");
    out.args.emplace_back(std::int64_t(*f.from));
  }
  if (f.to) {
    out.terms.emplace_back("ts <= ?");
    out.args.emplace_back(std::int64_t(*f.to));
  }
  if (!f.kind.empty()) {
    out.terms.emplace_back("kind = ?");
    out.args.emplace_back(f.kind);
  }
  if (!f.instrument.empty()) {
    // "deribit:BTC-PERP" and "deribit" find rows by their venue too.
    out.terms.emplace_back(hasVenue ? "ifnull(venue || ':', '') || instrument LIKE ? ESCAPE '\\'"
                                    : "instrument LIKE ? ESCAPE '\\'");
    out.args.emplace_back(likeContains(f.instrument));
  }
  switch (f.strategyMatch) {
    case JournalFilter::StrategyMatch::Any: break;
    case JournalFilter::StrategyMatch::None: out.terms.emplace_back("strategy IS NULL"); break;
    case JournalFilter::StrategyMatch::Id:
      out.terms.emplace_back("strategy = ?");
      out.args.emplace_back(f.strategyId);
      break;
  }
  if (!f.text.empty()) {
    out.terms.emplace_back("text LIKE ? ESCAPE '\\'");
    out.args.emplace_back(likeContains(f.text));
  }
  return out;
}

// The records past `after` in the page's order: ts then seq (the journal_ts index holds both, seq
// being the rowid, so no page sorts the whole match).
void addCursor(SqlFilter& f, const JournalCursor& after, bool newestFirst) {
  f.terms.emplace_back(newestFirst ? "(ts < ? OR (ts = ? AND seq < ?))" : "(ts > ? OR (ts = ? AND seq > ?))");
  f.args.emplace_back(std::int64_t(after.ts));
  f.args.emplace_back(std::int64_t(after.ts));
  f.args.emplace_back(after.seq);
}

int bindArgs(sqlite3_stmt* s, const SqlFilter& f) {
  int index = 1;
  for (const auto& arg : f.args) {
    if (const auto* i = std::get_if<std::int64_t>(&arg)) sqlite3_bind_int64(s, index, *i);
    else {
      const std::string& t = std::get<std::string>(arg);
      sqlite3_bind_text(s, index, t.data(), int(t.size()), SQLITE_TRANSIENT);
    }
    ++index;
  }
  return index;  // the next free parameter
}

std::string columnText(sqlite3_stmt* s, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return p ? std::string(p, std::size_t(sqlite3_column_bytes(s, column))) : std::string();
}

std::optional<std::int64_t> columnInt(sqlite3_stmt* s, int column) {
  if (sqlite3_column_type(s, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, column);
}

JournalQueryRow readRow(sqlite3_stmt* s) {
  JournalQueryRow r;
  r.seq = sqlite3_column_int64(s, ColSeq);
  r.ts = sqlite3_column_int64(s, ColTs);
  r.kind = columnText(s, ColKind);
  r.orderId = columnInt(s, ColOrder);
  r.instrument = columnText(s, ColInstrument);
  r.venue = columnText(s, ColVenue);
  r.strategy = columnInt(s, ColStrategy);
  r.side = columnText(s, ColSide);
  r.price = columnInt(s, ColPrice);
  r.qty = columnInt(s, ColQty);
  if (sqlite3_column_type(s, ColValue) != SQLITE_NULL) r.value = sqlite3_column_double(s, ColValue);
  r.text = columnText(s, ColText);
  return r;
}

struct Statement {
  sqlite3_stmt* handle = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(handle); }
};

int progressCallback(void* cancelled) { return (*static_cast<const JournalCancel*>(cancelled))() ? 1 : 0; }

// The journal opened read-only for one page. Never creates the file, never writes.
class JournalReader {
 public:
  JournalReader(const std::string& path, const JournalCancel& cancelled) : path_(path), cancelled_(cancelled) {
    if (path.empty()) {
      error_ = "No journal file set";
      return;
    }
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
      error_ = "No journal at " + path + " (nothing journaled there yet?)";
      return;
    }
    if (!std::filesystem::is_regular_file(status)) {
      error_ = path + " is not a file";
      return;
    }
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      fail(rc, "cannot open");
      return;
    }
    // The writer holds its lock only for a checkpoint or a schema change: wait it out.
    sqlite3_busy_timeout(db_, 2000);
    sqlite3_progress_handler(db_, kCancelCheckEveryOps, progressCallback, &cancelled_);
  }
  ~JournalReader() {
    if (db_) sqlite3_close(db_);
  }
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  bool ok() const { return error_.empty() && !cancelledNow_; }
  bool cancelled() const { return cancelledNow_; }
  const std::string& error() const { return error_; }

  // Statements run in one read transaction see one snapshot, whatever the writer commits meanwhile.
  bool begin() { return exec("BEGIN"); }

  // Whether the journal records venues (schema 3 on); an older one reads as venue-less.
  bool hasVenueColumn() {
    sqlite3_stmt* s = nullptr;
    bool has = false;
    if (sqlite3_prepare_v2(db_, "SELECT 1 FROM pragma_table_info('journal') WHERE name = 'venue'", -1, &s, nullptr) == SQLITE_OK)
      has = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return has;
  }

  bool prepare(const std::string& sql, Statement& out) {
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), int(sql.size()), &out.handle, nullptr);
    if (rc == SQLITE_OK) return true;
    fail(rc, "cannot query");
    return false;
  }

  // After sqlite3_step stopped with `rc`: true if it simply ran out of rows.
  bool finished(int rc) {
    if (rc == SQLITE_DONE) return true;
    fail(rc, "cannot read");
    return false;
  }

  // Records why the last call failed, in words a user can act on.
  void fail(int rc, const char* what) {
    if ((rc & 0xff) == SQLITE_INTERRUPT && cancelled_()) {
      cancelledNow_ = true;
      return;
    }
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    std::string why;
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED: why = "the file is locked (" + message + "); try Refresh"; break;
      case SQLITE_NOTADB: why = "not an SQLite database"; break;
      case SQLITE_CANTOPEN: why = message + " (no permission to read it or its -wal/-shm files?)"; break;
      default:
        if (message.find("no such table") != std::string::npos) why = "not a Kappa journal (" + message + ")";
        else if (message.find("no such column") != std::string::npos) why = "unexpected journal schema (" + message + ")";
        else why = message;
    }
    error_ = "Journal " + path_ + ": " + what + ": " + why;
  }

 private:
  bool exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return true;
    fail(rc, "cannot read");
    return false;
  }

  std::string path_;
  JournalCancel cancelled_;
  sqlite3* db_ = nullptr;
  std::string error_;
  bool cancelledNow_ = false;
};

}  // namespace

std::size_t approximateBytes(const JournalQueryRow& row) {
  return kJournalRowOverheadBytes + row.kind.size() + row.venue.size() + row.instrument.size() + row.side.size() +
         row.text.size();
}

JournalPage queryJournalFile(const std::string& path, const JournalQuery& query, const JournalCancel& cancelled,
                             std::size_t maxBytes) {
  JournalPage out;
  JournalReader journal(path, cancelled);
  auto failed = [&] {
    out.cancelled = journal.cancelled();
    out.error = journal.error();
    out.rows.clear();
    out.more = false;
    return out;
  };
  if (!journal.ok() || !journal.begin()) return failed();

  const bool hasVenue = journal.hasVenueColumn();
  const SqlFilter matching = sqlFor(query.filter, hasVenue);
  SqlFilter page = matching;
  if (query.after) addCursor(page, *query.after, query.newestFirst);
  const std::uint32_t limit = std::max<std::uint32_t>(1, query.limit);
  {
    Statement rows;
    const std::string order = query.newestFirst ? " ORDER BY ts DESC, seq DESC" : " ORDER BY ts, seq";
    // One past the limit: tells whether more follow without counting them.
    if (!journal.prepare(selectFrom(hasVenue) + page.where() + order + " LIMIT ?", rows)) return failed();
    sqlite3_bind_int64(rows.handle, bindArgs(rows.handle, page), std::int64_t(limit) + 1);
    std::size_t bytes = 0;
    int rc;
    while ((rc = sqlite3_step(rows.handle)) == SQLITE_ROW) {
      if (out.rows.size() == limit || (!out.rows.empty() && bytes >= maxBytes)) {
        out.more = true;
        break;
      }
      out.rows.push_back(readRow(rows.handle));
      bytes += approximateBytes(out.rows.back());
    }
    if (rc != SQLITE_ROW && !journal.finished(rc)) return failed();
  }
  if (query.countMatching && out.more && out.rows.size() == limit) {
    Statement count;
    if (!journal.prepare("SELECT count(*) FROM journal" + matching.where(), count)) return failed();
    bindArgs(count.handle, matching);
    const int rc = sqlite3_step(count.handle);
    if (rc != SQLITE_ROW) {
      journal.finished(rc);
      return failed();
    }
    out.matching = sqlite3_column_int64(count.handle, 0);
  }
  if (query.listStrategies) {
    Statement ids;
    if (!journal.prepare("SELECT DISTINCT strategy FROM journal WHERE strategy IS NOT NULL ORDER BY strategy", ids))
      return failed();
    std::vector<std::int64_t> strategies;
    int rc;
    while ((rc = sqlite3_step(ids.handle)) == SQLITE_ROW) strategies.push_back(sqlite3_column_int64(ids.handle, 0));
    if (!journal.finished(rc)) return failed();
    out.strategies = std::move(strategies);
  }
  return out;
}

}  // namespace kappa
