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
    case JournalKind::Command: return "command";
    case JournalKind::VenueRecord: return "venue_record";
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
    // 2 -> 3: the venue of every row about an instrument (its name, e.g. 'deribit'), since names
    // are unique per venue only. Rows written before stay NULL: restored by the bare name.
    "ALTER TABLE journal ADD COLUMN venue TEXT;",
    // 3 -> 4: venues' own records (an on-chain venue's signed transactions and their fates), one
    // row per change: record_key names the thing (a transaction's order id), body is the venue's
    // whole record of it then (JSON). A restart hands each venue the newest body per key.
    "CREATE TABLE venue_record ("
    "  seq INTEGER PRIMARY KEY,"
    "  session INTEGER REFERENCES session(id),"
    "  ts INTEGER NOT NULL,"
    "  venue TEXT NOT NULL,"
    "  record_key INTEGER NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX venue_record_key ON venue_record(venue, record_key, seq);",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == Journal::kSchemaVersion);
}  // namespace

Journal::Journal(std::string path, const InstrumentRegistry& instruments, JournalOptions options,
                 std::vector<std::string> venueNames)
    : path_(std::move(path)),
      venueNames_(std::move(venueNames)),
      registry_(instruments),
      options_(options),
      queue_(options.queueCapacity) {
  for (const Instrument& i : instruments.all()) {
    if (instrumentNames_.size() <= i.id) {
      instrumentNames_.resize(std::size_t(i.id) + 1);
      instrumentVenues_.resize(std::size_t(i.id) + 1);
    }
    instrumentNames_[i.id] = i.name;
    if (i.venue < venueNames_.size()) instrumentVenues_[i.id] = venueNames_[i.venue];
  }
  open();
  writer_ = std::thread([this] { run(); });
}

void Journal::addInstrument(InstrumentId id, std::string name, VenueId venue) {
  std::lock_guard lock(namesMutex_);
  if (instrumentNames_.size() <= id) {
    instrumentNames_.resize(std::size_t(id) + 1);
    instrumentVenues_.resize(std::size_t(id) + 1);
  }
  instrumentNames_[id] = std::move(name);
  instrumentVenues_[id] = venue < venueNames_.size() ? std::optional<std::string>(venueNames_[venue]) : std::nullopt;
}

void Journal::addInstrument(InstrumentId id, std::string name) {
  const VenueId venue = id < registry_.size() ? registry_[id].venue : VenueId(venueNames_.size());
  addInstrument(id, std::move(name), venue);
}

Journal::~Journal() {
  stopping_.store(true, std::memory_order_release);
  progress_.notify_all();
  writer_.join();
  if (insert_) sqlite3_finalize(insert_);
  if (insertVenue_) sqlite3_finalize(insertVenue_);
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
  spillFile_.bind(spillPathFor(path_));  // first: even a journal that cannot open leaves its halt marker
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
                         "session, venue) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &insert_, nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
  if (sqlite3_prepare_v2(db_, "INSERT INTO venue_record(ts, venue, record_key, body, session) VALUES(?,?,?,?,?)", -1,
                         &insertVenue_, nullptr) != SQLITE_OK)
    return fail(sqlite3_errmsg(db_));
  // What the last failure spilled goes into the journal first; then the reserve is laid again.
  if (!importSpill()) return;
  std::string error;
  if (!spillFile_.prepare(options_.spillBytes, &error)) log::warn("journal", "no reserve for the halt marker: " + error);
}

bool Journal::importSpill() {
  const SpillContents spilled = readSpill(spillPath());
  if (!spilled.warning.empty()) log::warn("journal", spilled.warning);
  if (spilled.empty()) {
    std::string error;
    if (!spilled.warning.empty() && !spillFile_.wipe(&error)) log::warn("journal", error);
    return true;
  }
  if (!exec("BEGIN;")) return false;
  auto abort = [&] {
    const std::string why = sqlite3_errcode(db_) == SQLITE_FULL ? "disk full" : sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    fail("cannot import the records of " + spillPath() + " (" + why + ")");
    return false;
  };
  for (const SpillSection& section : spilled.sections) {
    sqlite3_stmt* q = nullptr;
    bool done = false;
    const std::string marker = spillImportedText(section);
    if (sqlite3_prepare_v2(db_, "SELECT 1 FROM journal WHERE kind = 'risk_event' AND text = ?", -1, &q, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(q, 1, marker.c_str(), -1, SQLITE_TRANSIENT);
      done = sqlite3_step(q) == SQLITE_ROW;
    }
    sqlite3_finalize(q);
    if (done) continue;  // imported by an earlier start that could not wipe the file
    bool halted = false;
    for (const JournalRow& row : section.rows) {
      if (!insertRow(row)) return abort();
      halted = halted || (row.kind == "state_change" && row.text && row.text->rfind("HALTED", 0) == 0);
    }
    // The marker stands for the halt even if the engine did not get to journal it.
    JournalRow note;
    note.session = section.session;
    note.ts = section.ts;
    note.kind = "state_change";
    note.text = "HALTED: " + section.reason + " (from the halt marker)";
    if (!halted && !insertRow(note)) return abort();
    note.session = session_;
    note.ts = wallNow();
    note.kind = "risk_event";
    note.text = marker;
    if (!insertRow(note)) return abort();
    log::warn("journal", marker + " (failure: " + section.reason + ")");
  }
  if (sqlite3_exec(db_, "COMMIT;", nullptr, nullptr, nullptr) != SQLITE_OK) return abort();
  std::string error;
  if (!spillFile_.wipe(&error)) log::warn("journal", error + " (its records are in the journal: it is not read twice)");
  return true;
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
  // Once failed, facts still go (to the spill file); an order's intent does not: it must not leave.
  if (record.kind == JournalKind::OrderIntent && failed_.load(std::memory_order_relaxed)) return false;
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
  progress_.wait(lock, [&] {
    return committed_.load(std::memory_order_acquire) + spilled_.load(std::memory_order_acquire) >= target ||
           spillStuck_.load(std::memory_order_acquire);
  });
}

JournalRow Journal::rowOf(const JournalRecord& r) const {
  JournalRow row;
  row.session = session_;
  row.ts = r.ts;
  row.kind = nameOf(r.kind);
  if (r.order) row.order = std::int64_t(r.order);
  if (r.kind == JournalKind::VenueRecord) {  // the venue's name, the key, the body: nothing else
    row.order = std::int64_t(r.order);
    if (r.venue < venueNames_.size()) row.venue = venueNames_[r.venue];
    row.text = r.text;
    return row;
  }
  {
    std::lock_guard lock(namesMutex_);
    if (r.instrument < instrumentNames_.size()) {
      row.instrument = instrumentNames_[r.instrument];
      row.venue = instrumentVenues_[r.instrument];
    }
  }
  if (r.strategy) row.strategy = r.strategy;
  if (r.order != 0 || r.kind == JournalKind::PositionSnapshot || r.kind == JournalKind::Fill) row.side = nameOf(r.side);
  row.price = r.price;
  row.qty = r.qty;
  row.value = r.value;
  if (!r.text.empty()) row.text = r.text;
  return row;
}

bool Journal::insertRow(const JournalRow& r) {
  if (r.kind == "venue_record") return insertVenueRow(r);
  sqlite3_stmt* s = insert_;
  sqlite3_bind_int64(s, 1, r.ts);
  sqlite3_bind_text(s, 2, r.kind.c_str(), int(r.kind.size()), SQLITE_STATIC);
  if (r.order) sqlite3_bind_int64(s, 3, *r.order);
  else sqlite3_bind_null(s, 3);
  if (r.instrument) sqlite3_bind_text(s, 4, r.instrument->data(), int(r.instrument->size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 4);
  if (r.strategy) sqlite3_bind_int64(s, 5, *r.strategy);
  else sqlite3_bind_null(s, 5);
  if (r.side) sqlite3_bind_text(s, 6, r.side->data(), int(r.side->size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 6);
  sqlite3_bind_int64(s, 7, r.price);
  sqlite3_bind_int64(s, 8, r.qty);
  sqlite3_bind_double(s, 9, r.value);
  if (r.text) sqlite3_bind_text(s, 10, r.text->data(), int(r.text->size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 10);
  sqlite3_bind_int64(s, 11, r.session);
  if (r.venue) sqlite3_bind_text(s, 12, r.venue->data(), int(r.venue->size()), SQLITE_STATIC);
  else sqlite3_bind_null(s, 12);
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return rc == SQLITE_DONE;
}

// A venue's record goes to its own table (also when imported from the spill file, which keeps
// the journal's row shape: venue, order = the key, text = the body).
bool Journal::insertVenueRow(const JournalRow& r) {
  sqlite3_stmt* s = insertVenue_;
  const std::string venue = r.venue.value_or(std::string());
  const std::string body = r.text.value_or(std::string());
  sqlite3_bind_int64(s, 1, r.ts);
  sqlite3_bind_text(s, 2, venue.data(), int(venue.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 3, r.order.value_or(0));
  sqlite3_bind_text(s, 4, body.data(), int(body.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 5, r.session);
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return rc == SQLITE_DONE;
}

void Journal::beginSpill() {
  const auto now = std::chrono::steady_clock::now();
  if (spillFile_.begun() || (spillTried_ && now - lastMarkerTry_ < std::chrono::milliseconds(200))) return;
  spillTried_ = true;
  lastMarkerTry_ = now;
  std::string error;
  if (spillFile_.begin(session_, wallNow(), failure(), &error))
    log::error("journal", "halt marker written to " + spillPath() + "; records the journal cannot take go there");
  else
    log::error("journal", "cannot write the halt marker: " + error);
}

void Journal::spill(const JournalRow* rows, std::size_t n) {
  heldRows_.insert(heldRows_.end(), rows, rows + n);
  held_.store(heldRows_.size(), std::memory_order_release);
  retrySpill();
}

void Journal::retrySpill() {
  lastSpillTry_ = std::chrono::steady_clock::now();
  beginSpill();
  std::string error;
  if (!spillFile_.begun() || !spillFile_.append(heldRows_, &error)) {
    if (!spillStuck_.exchange(true))
      log::error("journal", std::to_string(heldRows_.size()) + " records are held in memory only (retrying): " +
                                (error.empty() ? "no halt marker" : error));
    progress_.notify_all();
    return;
  }
  spilled_.fetch_add(heldRows_.size(), std::memory_order_release);
  heldRows_.clear();
  held_.store(0, std::memory_order_release);
  spillStuck_.store(false, std::memory_order_release);
}

bool Journal::writeBatch(const JournalRow* rows, std::size_t n) {
  if (!exec("BEGIN;")) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!insertRow(rows[i])) {
      const std::string why = sqlite3_errcode(db_) == SQLITE_FULL ? "disk full" : sqlite3_errmsg(db_);
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
  std::vector<JournalRow> rows;
  batch.reserve(options_.maxBatch);
  for (;;) {
    batch.clear();
    // Everything queued; a burst larger than a batch is written as several transactions.
    queue_.consume_all([&](const JournalRecord& r) { batch.push_back(r); });
    if (failed()) beginSpill();  // the halt marker, the moment the failure is known
    if (batch.empty()) {
      if (!heldRows_.empty() && std::chrono::steady_clock::now() - lastSpillTry_ > std::chrono::milliseconds(200))
        retrySpill();
      if (stopping_.load(std::memory_order_acquire)) {
        if (queue_.read_available() == 0) break;
        continue;
      }
      std::unique_lock lock(mutex_);
      progress_.wait_for(lock, std::chrono::milliseconds(1));  // appenders never wait on us: poll
      continue;
    }
    rows.clear();
    for (const JournalRecord& r : batch) rows.push_back(rowOf(r));
    for (std::size_t from = 0; from < rows.size(); from += options_.maxBatch) {
      const std::size_t n = std::min(rows.size() - from, options_.maxBatch);
      if (!failed() && (!db_ || !insert_)) fail("not open");
      // Failed (now or before): the rest goes to the spill file, the failed transaction included.
      if (failed() || !writeBatch(rows.data() + from, n)) {
        spill(rows.data() + from, rows.size() - from);
        break;
      }
      committed_.fetch_add(n, std::memory_order_release);
    }
    progress_.notify_all();
  }
  if (!heldRows_.empty()) retrySpill();
  if (!heldRows_.empty())
    log::error("journal", std::to_string(heldRows_.size()) + " records could be written neither to the journal nor to " +
                              spillPath() + ": lost at exit");
  progress_.notify_all();
}

}  // namespace kappa
