#include "journal/Journal.hpp"

#include <chrono>
#include <filesystem>

#include <sqlite3.h>

#include "core/Clock.hpp"
#include "core/Log.hpp"

namespace kappa {

const char* nameOf(JournalKind k) {
  switch (k) {
    case JournalKind::OrderIntent: return "order_intent";
    case JournalKind::OrderAck: return "order_ack";
    case JournalKind::OrderReject: return "order_reject";
    case JournalKind::Fill: return "fill";
    case JournalKind::CancelRequest: return "cancel_request";
    case JournalKind::Cancelled: return "cancelled";
    case JournalKind::Replace: return "replace";
    case JournalKind::PositionSnapshot: return "position_snapshot";
    case JournalKind::RiskEvent: return "risk_event";
    case JournalKind::StateChange: return "state_change";
    case JournalKind::LimitChange: return "limit_change";
    case JournalKind::PluginLoad: return "plugin_load";
    case JournalKind::ParamChange: return "param_change";
    case JournalKind::StrategySetup: return "strategy_setup";
  }
  return "?";
}

namespace {
// Schema migrations: kMigrations[v] takes a database at user_version v to v + 1. Never edit a
// released step; add one.
const char* const kMigrations[] = {
    // 0 -> 1: the journal itself. Prices and quantities fixed-point (1e8), times Unix ns (market).
    "CREATE TABLE journal ("
    "  seq INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  order_id INTEGER,"
    "  instrument TEXT,"
    "  strategy INTEGER,"
    "  side TEXT,"
    "  price INTEGER,"
    "  qty INTEGER,"
    "  value REAL,"
    "  text TEXT);",
    // 1 -> 2: sessions (one per run, so a restart can tell its records from the last run's) and
    // the indexes the audit view and the restart read by.
    "CREATE TABLE session (id INTEGER PRIMARY KEY, started INTEGER NOT NULL, kappa_version TEXT);"
    "ALTER TABLE journal ADD COLUMN session INTEGER REFERENCES session(id);"
    "CREATE INDEX journal_ts ON journal(ts);"
    "CREATE INDEX journal_order ON journal(order_id) WHERE order_id IS NOT NULL;"
    "CREATE INDEX journal_kind ON journal(kind, ts);",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == Journal::kSchemaVersion);
}  // namespace

Journal::Journal(std::string path, const InstrumentRegistry& instruments, JournalOptions options)
    : path_(std::move(path)), options_(options), queue_(options.queueCapacity) {
  for (const Instrument& i : instruments.all()) instrumentNames_.push_back(i.name);
  open();
  writer_ = std::thread([this] { run(); });
}

Journal::~Journal() {
  stopping_.store(true, std::memory_order_release);
  progress_.notify_all();
  writer_.join();
  if (insert_) sqlite3_finalize(insert_);
  if (db_) sqlite3_close(db_);
}

std::string Journal::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void Journal::fail(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    if (failed_.load()) return;
    failure_ = "journal " + path_ + ": " + why;
  }
  failed_.store(true, std::memory_order_release);
  log::error("journal", failure());
  progress_.notify_all();
}

bool Journal::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) == SQLITE_OK) return true;
  fail(error ? error : sqlite3_errmsg(db_));
  sqlite3_free(error);
  return false;
}

void Journal::open() {
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return fail(std::string("cannot open: ") + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  sqlite3_busy_timeout(db_, 2000);
  // WAL: readers (the audit view, a restart's replay) never block the writer; synchronous=NORMAL
  // keeps committed batches through a process crash, and costs no fsync per transaction.
  if (!exec("PRAGMA journal_mode=WAL;") || !exec("PRAGMA synchronous=NORMAL;")) return;
  if (options_.maxPageCount > 0 &&
      !exec(("PRAGMA max_page_count=" + std::to_string(options_.maxPageCount) + ";").c_str()))
    return;
  migrate();
  if (failed()) return;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT INTO session(started, kappa_version) VALUES(?, ?)", -1, &s, nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
  sqlite3_bind_int64(s, 1, wallNow());
  sqlite3_bind_text(s, 2, KAPPA_VERSION, -1, SQLITE_STATIC);
  const int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return fail(std::string("cannot start a session: ") + sqlite3_errmsg(db_));
  session_ = sqlite3_last_insert_rowid(db_);
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO journal(ts, kind, order_id, instrument, strategy, side, price, qty, value, text, "
                         "session) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &insert_, nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
}

void Journal::migrate() {
  sqlite3_stmt* s = nullptr;
  int version = 0;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    version = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  if (version > kSchemaVersion)
    return fail("schema version " + std::to_string(version) + " is newer than this Kappa's " +
                std::to_string(kSchemaVersion) + ": refusing to write into it");
  for (; version < kSchemaVersion; ++version) {
    const std::string step = std::string("BEGIN;") + kMigrations[version] + "PRAGMA user_version=" +
                             std::to_string(version + 1) + ";COMMIT;";
    if (!exec(step.c_str())) {
      sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
      return;
    }
    log::info("journal", path_ + ": schema migrated to version " + std::to_string(version + 1));
  }
}

bool Journal::append(JournalRecord record) {
  if (failed_.load(std::memory_order_relaxed)) return false;
  if (!queue_.push(record)) {
    fail("the writer fell " + std::to_string(options_.queueCapacity) + " records behind (disk too slow?)");
    return false;
  }
  appended_.fetch_add(1, std::memory_order_release);
  return true;
}

void Journal::flush() const {
  const std::uint64_t target = appended_.load(std::memory_order_acquire);
  std::unique_lock lock(mutex_);
  progress_.wait(lock, [&] { return failed_.load() || committed_.load(std::memory_order_acquire) >= target; });
}

bool Journal::writeBatch(const JournalRecord* records, std::size_t n) {
  if (!exec("BEGIN;")) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const JournalRecord& r = records[i];
    sqlite3_stmt* s = insert_;
    sqlite3_bind_int64(s, 1, r.ts);
    sqlite3_bind_text(s, 2, nameOf(r.kind), -1, SQLITE_STATIC);
    if (r.order) sqlite3_bind_int64(s, 3, std::int64_t(r.order));
    else sqlite3_bind_null(s, 3);
    if (r.instrument < instrumentNames_.size())
      sqlite3_bind_text(s, 4, instrumentNames_[r.instrument].c_str(), -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 4);
    if (r.strategy) sqlite3_bind_int64(s, 5, r.strategy);
    else sqlite3_bind_null(s, 5);
    const bool orderish = r.order != 0 || r.kind == JournalKind::PositionSnapshot;
    if (orderish) sqlite3_bind_text(s, 6, nameOf(r.side), -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 6);
    sqlite3_bind_int64(s, 7, r.price);
    sqlite3_bind_int64(s, 8, r.qty);
    sqlite3_bind_double(s, 9, r.value);
    if (r.text.empty()) sqlite3_bind_null(s, 10);
    else sqlite3_bind_text(s, 10, r.text.data(), int(r.text.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, session_);
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
      const std::string why = rc == SQLITE_FULL ? "disk full" : sqlite3_errmsg(db_);
      sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
      fail("cannot write (" + why + ")");
      return false;
    }
  }
  if (sqlite3_exec(db_, "COMMIT;", nullptr, nullptr, nullptr) != SQLITE_OK) {
    const int code = sqlite3_errcode(db_);
    const std::string why = code == SQLITE_FULL ? "disk full" : sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    fail("cannot commit (" + why + ")");
    return false;
  }
  return true;
}

void Journal::run() {
  std::vector<JournalRecord> batch;
  batch.reserve(options_.maxBatch);
  for (;;) {
    batch.clear();
    // Everything queued; a burst larger than a batch is written as several transactions.
    queue_.consume_all([&](const JournalRecord& r) { batch.push_back(r); });
    if (batch.empty()) {
      if (stopping_.load(std::memory_order_acquire) || failed()) {
        if (queue_.read_available() == 0) break;
        continue;
      }
      std::unique_lock lock(mutex_);
      progress_.wait_for(lock, std::chrono::milliseconds(1));  // appenders never wait on us: poll
      continue;
    }
    for (std::size_t from = 0; from < batch.size() && !failed(); from += options_.maxBatch) {
      if (!db_ || !insert_) {
        fail("not open");
        break;
      }
      const std::size_t n = std::min(batch.size() - from, options_.maxBatch);
      if (!writeBatch(batch.data() + from, n)) break;
      committed_.fetch_add(n, std::memory_order_release);
    }
    progress_.notify_all();
  }
}

}  // namespace kappa
