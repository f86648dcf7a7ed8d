#include "AuditView.hpp"

#include <QBrush>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QTableView>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>

#include <sqlite3.h>

#include "PlaceholderTableView.hpp"
#include "Theme.hpp"
#include "core/Instrument.hpp"
#include "journal/JournalRecord.hpp"

namespace kappa::ui {

using CancelCheck = std::function<bool()>;

struct AuditQueryResult {
  std::vector<AuditRecord> records;  // newest first, at most the cap
  qint64 matching = 0;               // records matching the filter, shown or not
  QString error;
  bool cancelled = false;            // superseded by a newer query: nothing to show
  std::optional<std::vector<qint64>> strategies;  // instance ids in the file, when asked for
};

// One thread for every read of the journal. Queries supersede each other (only the newest filter
// matters, so a waiting one is replaced and a running one interrupted); exports queue up and are
// only interrupted by the view going away, which also discards the half-written file.
class AuditWorker {
 public:
  using Task = std::function<void(const CancelCheck& cancelled)>;

  AuditWorker() : thread_([this] { run(); }) {}
  ~AuditWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_.store(true);
    }
    wake_.notify_all();
    thread_.join();
  }
  AuditWorker(const AuditWorker&) = delete;
  AuditWorker& operator=(const AuditWorker&) = delete;

  void query(Task task) {
    {
      std::lock_guard lock(mutex_);
      pendingQuery_ = std::move(task);
      ++queryGeneration_;
    }
    wake_.notify_all();
  }

  void exportCsv(Task task) {
    {
      std::lock_guard lock(mutex_);
      exports_.push_back(std::move(task));
    }
    wake_.notify_all();
  }

 private:
  void run() {
    for (;;) {
      Task task;
      bool isQuery = false;
      std::uint64_t generation = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_.load() || pendingQuery_ || !exports_.empty(); });
        if (stopping_.load()) return;
        // The query first: it is what the user is looking at.
        if (pendingQuery_) {
          task = std::move(pendingQuery_);
          pendingQuery_ = nullptr;
          isQuery = true;
          generation = queryGeneration_.load();
        } else {
          task = std::move(exports_.front());
          exports_.pop_front();
        }
      }
      task([this, isQuery, generation] {
        return stopping_.load(std::memory_order_relaxed) ||
               (isQuery && queryGeneration_.load(std::memory_order_relaxed) != generation);
      });
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> queryGeneration_{0};
  Task pendingQuery_;
  std::deque<Task> exports_;
  std::thread thread_;  // last: starts once everything it uses exists
};

namespace {
constexpr int kRefreshDelayMs = 200;          // typing a filter runs one query, not one per key
constexpr int kFollowMs = 2000;               // a shown, open-ended view follows the journal at this pace
constexpr int kCancelCheckEveryOps = 10'000;  // SQLite VM steps between two looks at the cancel flag
constexpr qint64 kNanosPerMs = 1'000'000;

// The columns every query reads, in this order.
enum SqlColumn {
  ColSeq, ColTs, ColKind, ColOrder, ColInstrument, ColStrategy, ColSide, ColPrice, ColQty, ColValue, ColText, ColVenue
};
// A journal written before schema 3 has no venue column: NULL stands in for it (the view reads
// any journal it is pointed at, and never migrates one).
std::string selectFrom(bool hasVenue) {
  return std::string("SELECT seq, ts, kind, order_id, instrument, strategy, side, price, qty, value, text, ") +
         (hasVenue ? "venue" : "NULL") + " FROM journal";
}
constexpr const char* kCsvHeader = "time_utc,ts_ns,kind,order_id,venue,instrument,strategy,side,price,qty,value,text\r\n";

qint64 floorMs(Nanos ts) { return ts / kNanosPerMs - (ts % kNanosPerMs < 0 ? 1 : 0); }

QString formatAuditTime(Nanos ts) {
  return QDateTime::fromMSecsSinceEpoch(floorMs(ts), Qt::UTC).toString("yyyy-MM-dd HH:mm:ss.zzz");
}

// Shortest text that reads back as the same double (3e-05, 0.00025, 12.5).
std::string shortestDouble(double v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

QString groupDigits(qint64 n) { return QLocale(QLocale::English, QLocale::UnitedStates).toString(n); }

// ---- SQL ----

struct SqlFilter {
  std::string where;  // "" or " WHERE ..."
  std::vector<std::variant<std::int64_t, std::string>> args;
};

// A LIKE pattern matching `needle` anywhere, its own % and _ taken literally (ESCAPE '\').
std::string likeContains(const QString& needle) {
  std::string out = "%";
  for (char c : needle.toStdString()) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

SqlFilter sqlFor(const AuditFilter& f, bool hasVenue) {
  SqlFilter out;
  std::vector<std::string> terms;
  if (f.from) {
    terms.emplace_back("ts >= ?");
    out.args.emplace_back(std::int64_t(*f.from));
  }
  if (f.to) {
    terms.emplace_back("ts <= ?");
    out.args.emplace_back(std::int64_t(*f.to));
  }
  if (!f.kind.isEmpty()) {
    terms.emplace_back("kind = ?");
    out.args.emplace_back(f.kind.toStdString());
  }
  if (!f.instrument.isEmpty()) {
    // "deribit:BTC-PERP" and "deribit" find rows by their venue too.
    terms.emplace_back(hasVenue ? "ifnull(venue || ':', '') || instrument LIKE ? ESCAPE '\\'"
                                : "instrument LIKE ? ESCAPE '\\'");
    out.args.emplace_back(likeContains(f.instrument));
  }
  switch (f.strategyMatch) {
    case AuditFilter::StrategyMatch::Any: break;
    case AuditFilter::StrategyMatch::None: terms.emplace_back("strategy IS NULL"); break;
    case AuditFilter::StrategyMatch::Id:
      terms.emplace_back("strategy = ?");
      out.args.emplace_back(std::int64_t(f.strategyId));
      break;
  }
  if (!f.text.isEmpty()) {
    terms.emplace_back("text LIKE ? ESCAPE '\\'");
    out.args.emplace_back(likeContains(f.text));
  }
  for (std::size_t i = 0; i < terms.size(); ++i) out.where += (i == 0 ? " WHERE " : " AND ") + terms[i];
  return out;
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

std::string_view columnText(sqlite3_stmt* s, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return p ? std::string_view(p, std::size_t(sqlite3_column_bytes(s, column))) : std::string_view();
}

QString columnQString(sqlite3_stmt* s, int column) {
  const std::string_view t = columnText(s, column);
  return QString::fromUtf8(t.data(), qsizetype(t.size()));
}

std::optional<qint64> columnInt(sqlite3_stmt* s, int column) {
  if (sqlite3_column_type(s, column) == SQLITE_NULL) return std::nullopt;
  return qint64(sqlite3_column_int64(s, column));
}

AuditRecord readRecord(sqlite3_stmt* s) {
  AuditRecord r;
  r.seq = sqlite3_column_int64(s, ColSeq);
  r.ts = sqlite3_column_int64(s, ColTs);
  r.kind = columnQString(s, ColKind);
  r.orderId = columnInt(s, ColOrder);
  r.instrument = columnQString(s, ColInstrument);
  r.venue = columnQString(s, ColVenue);
  r.strategy = columnInt(s, ColStrategy);
  r.side = columnQString(s, ColSide);
  r.price = columnInt(s, ColPrice);
  r.qty = columnInt(s, ColQty);
  if (sqlite3_column_type(s, ColValue) != SQLITE_NULL) r.value = sqlite3_column_double(s, ColValue);
  r.text = columnQString(s, ColText);
  return r;
}

struct Statement {
  sqlite3_stmt* handle = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(handle); }
};

int progressCallback(void* cancelled) { return (*static_cast<const CancelCheck*>(cancelled))() ? 1 : 0; }

// The journal opened read-only for one query or export. Never creates the file, never writes.
class JournalReader {
 public:
  JournalReader(const QString& path, const CancelCheck& cancelled) : path_(path), cancelled_(cancelled) {
    if (path.isEmpty()) {
      error_ = "No journal file set";
      return;
    }
    const QFileInfo info(path);
    if (!info.exists()) {
      error_ = QString("No journal at %1 (nothing journaled there yet?)").arg(QDir::toNativeSeparators(path));
      return;
    }
    if (!info.isFile()) {
      error_ = QString("%1 is not a file").arg(QDir::toNativeSeparators(path));
      return;
    }
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
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

  bool ok() const { return error_.isEmpty() && !cancelledNow_; }
  bool cancelled() const { return cancelledNow_; }
  const QString& error() const { return error_; }

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
    const QString message = db_ ? QString::fromUtf8(sqlite3_errmsg(db_)) : QString("out of memory");
    QString why;
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED: why = QString("the file is locked (%1); try Refresh").arg(message); break;
      case SQLITE_NOTADB: why = "not an SQLite database"; break;
      case SQLITE_CANTOPEN: why = QString("%1 (no permission to read it or its -wal/-shm files?)").arg(message); break;
      default:
        if (message.contains("no such table")) why = QString("not a Kappa journal (%1)").arg(message);
        else if (message.contains("no such column")) why = QString("unexpected journal schema (%1)").arg(message);
        else why = message;
    }
    error_ = QString("Journal %1: %2: %3").arg(QDir::toNativeSeparators(path_), what, why);
  }

 private:
  bool exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return true;
    fail(rc, "cannot read");
    return false;
  }

  QString path_;
  CancelCheck cancelled_;
  sqlite3* db_ = nullptr;
  QString error_;
  bool cancelledNow_ = false;
};

AuditQueryResult queryJournal(const QString& path, const AuditFilter& filter, int cap, bool listStrategies,
                              const CancelCheck& cancelled) {
  AuditQueryResult out;
  JournalReader journal(path, cancelled);
  auto failed = [&] {
    out.cancelled = journal.cancelled();
    out.error = journal.error();
    out.records.clear();
    return out;
  };
  if (!journal.ok() || !journal.begin()) return failed();

  const bool hasVenue = journal.hasVenueColumn();
  const SqlFilter where = sqlFor(filter, hasVenue);
  {
    // ts then seq: the journal_ts index holds both (seq is the rowid), so the newest come first
    // without sorting the whole match.
    Statement rows;
    if (!journal.prepare(selectFrom(hasVenue) + where.where + " ORDER BY ts DESC, seq DESC LIMIT ?", rows)) return failed();
    sqlite3_bind_int(rows.handle, bindArgs(rows.handle, where), cap);
    int rc;
    while ((rc = sqlite3_step(rows.handle)) == SQLITE_ROW) out.records.push_back(readRecord(rows.handle));
    if (!journal.finished(rc)) return failed();
  }
  out.matching = qint64(out.records.size());
  if (out.records.size() >= std::size_t(cap)) {
    Statement count;
    if (!journal.prepare("SELECT count(*) FROM journal" + where.where, count)) return failed();
    bindArgs(count.handle, where);
    const int rc = sqlite3_step(count.handle);
    if (rc != SQLITE_ROW) {
      journal.finished(rc);
      return failed();
    }
    out.matching = sqlite3_column_int64(count.handle, 0);
  }
  if (listStrategies) {
    Statement ids;
    if (!journal.prepare("SELECT DISTINCT strategy FROM journal WHERE strategy IS NOT NULL ORDER BY strategy", ids))
      return failed();
    std::vector<qint64> strategies;
    int rc;
    while ((rc = sqlite3_step(ids.handle)) == SQLITE_ROW) strategies.push_back(sqlite3_column_int64(ids.handle, 0));
    if (!journal.finished(rc)) return failed();
    out.strategies = std::move(strategies);
  }
  return out;
}

// ---- CSV ----

void appendCsvField(QByteArray& line, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    line.append(field.data(), qsizetype(field.size()));
    return;
  }
  line += '"';
  for (char c : field) {
    if (c == '"') line += '"';
    line += c;
  }
  line += '"';
}

void appendCsvRecord(QByteArray& out, sqlite3_stmt* s) {
  const Nanos ts = sqlite3_column_int64(s, ColTs);
  const auto integer = [&](int column) {
    if (sqlite3_column_type(s, column) != SQLITE_NULL) out += QByteArray::number(qint64(sqlite3_column_int64(s, column)));
    out += ',';
  };
  const auto fixedPoint = [&](int column) {
    if (sqlite3_column_type(s, column) != SQLITE_NULL) out += formatTrimmed(sqlite3_column_int64(s, column)).c_str();
    out += ',';
  };
  const auto text = [&](int column, bool last = false) {
    appendCsvField(out, columnText(s, column));
    out += last ? "\r\n" : ",";
  };
  out += QDateTime::fromMSecsSinceEpoch(floorMs(ts), Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
  out += ',';
  out += QByteArray::number(qint64(ts));
  out += ',';
  text(ColKind);
  integer(ColOrder);
  text(ColVenue);
  text(ColInstrument);
  integer(ColStrategy);
  text(ColSide);
  fixedPoint(ColPrice);
  fixedPoint(ColQty);
  if (sqlite3_column_type(s, ColValue) != SQLITE_NULL) out += shortestDouble(sqlite3_column_double(s, ColValue)).c_str();
  out += ',';
  text(ColText, true);
}

struct ExportOutcome {
  qint64 rows = -1;
  QString error;
  bool cancelled = false;
};

// Every matching record, oldest first, to `csvPath`. The file is only replaced once complete.
ExportOutcome exportJournal(const QString& journalPath, const AuditFilter& filter, const QString& csvPath,
                            const CancelCheck& cancelled) {
  ExportOutcome out;
  JournalReader journal(journalPath, cancelled);
  const auto failed = [&] {
    out.rows = -1;
    out.cancelled = journal.cancelled();
    out.error = journal.cancelled() ? QString("Export cancelled") : journal.error();
    return out;
  };
  // The query before the file: a journal that cannot be read must not leave an empty CSV behind.
  if (!journal.ok() || !journal.begin()) return failed();
  const bool hasVenue = journal.hasVenueColumn();
  const SqlFilter where = sqlFor(filter, hasVenue);
  Statement rows;
  if (!journal.prepare(selectFrom(hasVenue) + where.where + " ORDER BY ts, seq", rows)) return failed();
  bindArgs(rows.handle, where);

  QSaveFile file(csvPath);
  if (!file.open(QIODevice::WriteOnly)) {
    out.error = QString("Cannot write %1: %2").arg(QDir::toNativeSeparators(csvPath), file.errorString());
    return out;
  }
  constexpr qsizetype kFlushBytes = 1 << 20;
  QByteArray buffer(kCsvHeader);
  qint64 written = 0;
  int rc;
  while ((rc = sqlite3_step(rows.handle)) == SQLITE_ROW) {
    appendCsvRecord(buffer, rows.handle);
    ++written;
    if (buffer.size() >= kFlushBytes) {
      if (file.write(buffer) != buffer.size()) break;
      buffer.clear();
    }
  }
  if (rc != SQLITE_ROW && !journal.finished(rc)) {
    file.cancelWriting();
    return failed();
  }
  if (rc == SQLITE_ROW || file.write(buffer) != buffer.size() || !file.commit()) {
    out.error = QString("Cannot write %1: %2").arg(QDir::toNativeSeparators(csvPath), file.errorString());
    file.cancelWriting();
    return out;
  }
  out.rows = written;
  return out;
}

// ---- widgets ----

QLabel* caption(const QString& text) {
  auto* l = new QLabel(text);
  l->setStyleSheet(QString("color:%1;").arg(colors::dimText.name()));
  return l;
}

QDateTimeEdit* makeTimeEdit(const QString& name, const QString& tip) {
  auto* e = new QDateTimeEdit;
  e->setObjectName(name);
  e->setTimeSpec(Qt::UTC);
  e->setDisplayFormat("yyyy-MM-dd HH:mm:ss.zzz");
  e->setCalendarPopup(true);
  e->setToolTip(tip);
  return e;
}

QDateTime utcFromMs(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC); }

qint64 startOfUtcDayMs(qint64 ms) {
  constexpr qint64 kDayMs = 86'400'000;
  return ms - ((ms % kDayMs) + kDayMs) % kDayMs;
}
}  // namespace

// ---- model ----

AuditModel::AuditModel(QObject* parent) : QAbstractTableModel(parent) {}

void AuditModel::setRecords(std::vector<AuditRecord> records) {
  beginResetModel();
  rows_ = std::move(records);
  sortRows();
  endResetModel();
}

int AuditModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int AuditModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  if (role == Qt::TextAlignmentRole && section >= Order && section <= Value && section != Venue && section != Instrument && section != Side)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  switch (section) {
    case Time: return QString("Time (UTC)");
    case Kind: return QString("Kind");
    case Order: return QString("Order");
    case Venue: return QString("Venue");
    case Instrument: return QString("Instrument");
    case Strategy: return QString("Strategy");
    case Side: return QString("Side");
    case Price: return QString("Price");
    case Qty: return QString("Qty");
    case Value: return QString("Value");
    case Text: return QString("Text");
  }
  return {};
}

QVariant AuditModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(rows_.size())) return {};
  const AuditRecord& r = rows_[std::size_t(index.row())];
  const bool aboutAnOrder = !r.side.isEmpty();
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Time: return formatAuditTime(r.ts);
      case Kind: return r.kind;
      case Order: return r.orderId ? QString::number(*r.orderId) : QString();
      case Venue: return r.venue;
      case Instrument: return r.instrument;
      case Strategy: return r.strategy ? QString::number(*r.strategy) : QString();
      case Side: return r.side;
      // The journal stores 0 where a kind has no price (a cancel, a risk event): left blank, as
      // elsewhere in the terminal. A zero quantity means something only on an order's record.
      case Price: return r.price && *r.price != 0 ? QString::fromStdString(formatTrimmed(*r.price)) : QString();
      case Qty:
        return r.qty && (*r.qty != 0 || aboutAnOrder) ? QString::fromStdString(formatTrimmed(*r.qty)) : QString();
      case Value: {
        const bool meaningful = r.kind == nameOf(JournalKind::Fill) || r.kind == nameOf(JournalKind::PositionSnapshot);
        return r.value && (*r.value != 0 || meaningful) ? QString::fromStdString(shortestDouble(*r.value)) : QString();
      }
      case Text: return r.text;
    }
  } else if (role == Qt::ToolTipRole && index.column() == Text && !r.text.isEmpty()) {
    return r.text;
  } else if (role == Qt::TextAlignmentRole) {
    switch (index.column()) {
      case Order:
      case Strategy:
      case Price:
      case Qty:
      case Value: return int(Qt::AlignRight | Qt::AlignVCenter);
    }
  } else if (role == Qt::ForegroundRole) {
    if (index.column() == Time) return QBrush(colors::dimText);
    if (index.column() == Side && r.side == nameOf(kappa::Side::Buy)) return QBrush(colors::bid);
    if (index.column() == Side && r.side == nameOf(kappa::Side::Sell)) return QBrush(colors::ask);
    if (index.column() == Kind) {
      if (r.kind == nameOf(JournalKind::OrderReject) || r.kind == nameOf(JournalKind::RiskEvent)) return QBrush(colors::ask);
      if (r.kind == nameOf(JournalKind::StateChange) || r.kind == nameOf(JournalKind::LimitChange)) return QBrush(colors::last);
      if (r.kind == nameOf(JournalKind::Fill)) return QBrush(colors::bid);
    }
  }
  return {};
}

void AuditModel::sort(int column, Qt::SortOrder order) {
  if (column < 0 || column >= ColumnCount) return;
  sortColumn_ = column;
  sortOrder_ = order;
  emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
  const QModelIndexList before = persistentIndexList();
  std::vector<qint64> seqBefore;
  seqBefore.reserve(std::size_t(before.size()));
  for (const QModelIndex& i : before) seqBefore.push_back(rows_[std::size_t(i.row())].seq);
  sortRows();
  // Selections and the current cell follow their record, found by its journal sequence number.
  std::unordered_map<qint64, int> rowOfSeq;
  if (!before.isEmpty()) {
    rowOfSeq.reserve(rows_.size());
    for (std::size_t row = 0; row < rows_.size(); ++row) rowOfSeq.emplace(rows_[row].seq, int(row));
  }
  QModelIndexList after;
  after.reserve(before.size());
  for (qsizetype i = 0; i < before.size(); ++i) after << index(rowOfSeq.at(seqBefore[std::size_t(i)]), before[i].column());
  changePersistentIndexList(before, after);
  emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void AuditModel::sortRows() {
  // Ties (same kind, same instrument...) stay in time order, so every sort reads chronologically.
  const auto chronological = [](const AuditRecord& a, const AuditRecord& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  };
  const auto less = [&](const AuditRecord& a, const AuditRecord& b) -> bool {
    const auto by = [&](const auto& x, const auto& y) { return x != y ? x < y : chronological(a, b); };
    switch (sortColumn_) {
      case Kind: return by(a.kind, b.kind);
      case Order: return by(a.orderId, b.orderId);
      case Venue: return by(a.venue, b.venue);
      case Instrument: return by(a.instrument, b.instrument);
      case Strategy: return by(a.strategy, b.strategy);
      case Side: return by(a.side, b.side);
      case Price: return by(a.price, b.price);
      case Qty: return by(a.qty, b.qty);
      case Value: return by(a.value, b.value);
      case Text: return by(a.text, b.text);
      default: return chronological(a, b);
    }
  };
  if (sortOrder_ == Qt::AscendingOrder) std::sort(rows_.begin(), rows_.end(), less);
  else std::sort(rows_.begin(), rows_.end(), [&](const AuditRecord& a, const AuditRecord& b) { return less(b, a); });
}

// ---- view ----

AuditView::AuditView(QWidget* parent) : QWidget(parent), worker_(std::make_unique<AuditWorker>()) {
  setObjectName("auditView");
  model_ = new AuditModel(this);
  refreshTimer_ = new QTimer(this);
  refreshTimer_->setSingleShot(true);
  refreshTimer_->setInterval(kRefreshDelayMs);
  connect(refreshTimer_, &QTimer::timeout, this, &AuditView::refresh);
  // The journal grows while the terminal trades: an open-ended range (not Custom) shown on screen
  // follows it, unless the user is reading — a row selected, or scrolled away from both ends.
  followTimer_ = new QTimer(this);
  followTimer_->setInterval(kFollowMs);
  connect(followTimer_, &QTimer::timeout, this, [this] {
    if (!isVisible() || isBusy() || range_->currentData().toInt() == CustomRange) return;
    if (table_->selectionModel()->hasSelection()) return;
    const QScrollBar* bar = table_->verticalScrollBar();
    if (bar->value() != bar->minimum() && bar->value() != bar->maximum()) return;
    refresh();
  });
  followTimer_->start();

  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(6, 6, 6, 4);
  outer->setSpacing(4);
  buildFilters();

  auto* timeRow = new QHBoxLayout;
  timeRow->addWidget(caption("Time (UTC)"));
  timeRow->addWidget(range_);
  timeRow->addWidget(caption("from"));
  timeRow->addWidget(from_);
  timeRow->addWidget(caption("to"));
  timeRow->addWidget(to_);
  timeRow->addStretch();
  timeRow->addWidget(refreshButton_);
  timeRow->addWidget(exportButton_);
  outer->addLayout(timeRow);

  auto* whatRow = new QHBoxLayout;
  whatRow->addWidget(caption("Kind"));
  whatRow->addWidget(kind_);
  whatRow->addWidget(caption("Instrument"));
  whatRow->addWidget(instrument_, 1);
  whatRow->addWidget(caption("Strategy"));
  whatRow->addWidget(strategy_);
  whatRow->addWidget(caption("Text"));
  whatRow->addWidget(text_, 2);
  outer->addLayout(whatRow);

  auto* view = new PlaceholderTableView("No journal records match the filters", this);
  table_ = view;
  table_->setObjectName("auditTable");
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  table_->setShowGrid(false);
  table_->setWordWrap(false);
  table_->setTextElideMode(Qt::ElideRight);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // 20,000 rows: never ResizeToContents
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->horizontalHeader()->setHighlightSections(false);
  table_->setColumnWidth(AuditModel::Time, 170);
  table_->setColumnWidth(AuditModel::Kind, 120);
  table_->setColumnWidth(AuditModel::Order, 70);
  table_->setColumnWidth(AuditModel::Venue, 110);
  table_->setColumnWidth(AuditModel::Instrument, 170);
  table_->setColumnWidth(AuditModel::Strategy, 64);
  table_->setColumnWidth(AuditModel::Side, 44);
  table_->setColumnWidth(AuditModel::Price, 90);
  table_->setColumnWidth(AuditModel::Qty, 80);
  table_->setColumnWidth(AuditModel::Value, 90);
  table_->horizontalHeader()->setSortIndicator(AuditModel::Time, Qt::DescendingOrder);
  table_->setSortingEnabled(true);
  outer->addWidget(table_, 1);

  status_ = new QLabel;
  status_->setObjectName("auditStatus");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  outer->addWidget(status_);
  setStatus("No journal file set", false);
}

AuditView::~AuditView() {
  // Before any widget goes: the worker's last result is posted to this object, never read from it.
  worker_.reset();
}

void AuditView::buildFilters() {
  range_ = new QComboBox;
  range_->setObjectName("auditRange");
  range_->addItem("All", AllTime);
  range_->addItem("Last hour", LastHour);
  range_->addItem("Today", TodayUtc);
  range_->addItem("Custom", CustomRange);
  range_->setToolTip("Quick time ranges (by the clock, UTC), or Custom: the from/to fields");

  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  from_ = makeTimeEdit("auditFrom", "First time shown (UTC, inclusive); editing it selects Custom");
  to_ = makeTimeEdit("auditTo", "Last time shown (UTC, inclusive to the millisecond); editing it selects Custom");
  from_->setDateTime(utcFromMs(startOfUtcDayMs(now)));
  to_->setDateTime(utcFromMs(startOfUtcDayMs(now) + 86'400'000 - 1));

  kind_ = new QComboBox;
  kind_->setObjectName("auditKind");
  kind_->addItem("any");
  for (int k = 0; k < kJournalKinds; ++k) kind_->addItem(nameOf(JournalKind(k)));
  kind_->setToolTip("Journal record kind");

  instrument_ = new QLineEdit;
  instrument_->setObjectName("auditInstrument");
  instrument_->setPlaceholderText("contains, e.g. 70000-C");
  instrument_->setClearButtonEnabled(true);
  instrument_->setToolTip("Records whose venue:instrument (e.g. deribit:BTC-PERPETUAL) contains this (case-insensitive)");

  strategy_ = new QComboBox;
  strategy_->setObjectName("auditStrategy");
  strategy_->setEditable(true);
  // Ids are numbers: completing "1" to "12" would silently change the filter.
  strategy_->setCompleter(nullptr);
  strategy_->setInsertPolicy(QComboBox::NoInsert);
  strategy_->addItems({"any", "none"});
  strategy_->setMinimumContentsLength(6);
  strategy_->setToolTip("Strategy instance id; \"any\", or \"none\" for records of no strategy (manual orders, "
                        "the engine's own events)");

  text_ = new QLineEdit;
  text_->setObjectName("auditText");
  text_->setPlaceholderText("text contains, e.g. reason or param name");
  text_->setClearButtonEnabled(true);
  text_->setToolTip("Records whose text (reason, tag, parameter, hash) contains this (case-insensitive)");

  refreshButton_ = new QPushButton("Refresh");
  refreshButton_->setObjectName("auditRefresh");
  refreshButton_->setToolTip("Read the journal again (records written since appear)");
  exportButton_ = new QPushButton("Export CSV…");
  exportButton_->setObjectName("auditExport");
  exportButton_->setToolTip("Write every record matching the filters to a CSV file, not only those shown");
  for (QPushButton* b : {refreshButton_, exportButton_}) b->setFocusPolicy(Qt::TabFocus);

  connect(range_, &QComboBox::currentIndexChanged, this, &AuditView::rangeChosen);
  connect(from_, &QDateTimeEdit::dateTimeChanged, this, &AuditView::rangeEdited);
  connect(to_, &QDateTimeEdit::dateTimeChanged, this, &AuditView::rangeEdited);
  connect(kind_, &QComboBox::currentIndexChanged, this, &AuditView::scheduleRefresh);
  connect(instrument_, &QLineEdit::textChanged, this, &AuditView::scheduleRefresh);
  connect(strategy_, &QComboBox::editTextChanged, this, &AuditView::scheduleRefresh);
  connect(strategy_, &QComboBox::currentIndexChanged, this, &AuditView::scheduleRefresh);
  connect(text_, &QLineEdit::textChanged, this, &AuditView::scheduleRefresh);
  connect(refreshButton_, &QPushButton::clicked, this, [this] {
    strategiesStale_ = true;
    refresh();
  });
  connect(exportButton_, &QPushButton::clicked, this, &AuditView::chooseExportFile);
}

void AuditView::setJournalPath(const QString& path) {
  journalPath_ = path;
  strategiesStale_ = true;
  if (lastExportDir_.isEmpty()) lastExportDir_ = QFileInfo(path).absolutePath();
  refresh();
}

void AuditView::setRowCap(int rows) {
  rowCap_ = std::max(1, rows);
  refresh();
}

bool AuditView::isBusy() const { return refreshTimer_->isActive() || appliedSerial_ != requestSerial_; }

void AuditView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  // Records keep arriving while the view is hidden: show the file as it is now.
  strategiesStale_ = true;
  refresh();
}

void AuditView::scheduleRefresh() { refreshTimer_->start(); }

void AuditView::rangeChosen() {
  showQuickRangeBounds();
  scheduleRefresh();
}

void AuditView::rangeEdited() {
  if (range_->currentData().toInt() != CustomRange) {
    const QSignalBlocker quiet(range_);
    range_->setCurrentIndex(range_->findData(CustomRange));
  }
  scheduleRefresh();
}

void AuditView::showQuickRangeBounds() {
  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  qint64 from = 0;
  switch (range_->currentData().toInt()) {
    case LastHour: from = now - 3'600'000; break;
    case TodayUtc: from = startOfUtcDayMs(now); break;
    default: return;  // All has no bounds to show; Custom shows its own
  }
  const QSignalBlocker quietFrom(from_), quietTo(to_);
  from_->setDateTime(utcFromMs(from));
  to_->setDateTime(utcFromMs(now));
}

std::optional<AuditFilter> AuditView::filterFromWidgets(QString* problem) const {
  AuditFilter f;
  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  // Quick ranges are open-ended: records written after the query started belong to "today" too.
  switch (range_->currentData().toInt()) {
    case LastHour: f.from = (now - 3'600'000) * kNanosPerMs; break;
    case TodayUtc: f.from = startOfUtcDayMs(now) * kNanosPerMs; break;
    case CustomRange:
      f.from = from_->dateTime().toMSecsSinceEpoch() * kNanosPerMs;
      f.to = (to_->dateTime().toMSecsSinceEpoch() + 1) * kNanosPerMs - 1;
      if (*f.to < *f.from) {
        if (problem) *problem = "The time range ends before it starts";
        return std::nullopt;
      }
      break;
    default: break;
  }
  if (kind_->currentIndex() > 0) f.kind = kind_->currentText();
  f.instrument = instrument_->text().trimmed();
  f.text = text_->text().trimmed();

  QString strategy = strategy_->currentText().trimmed();
  if (strategy.isEmpty() || strategy.compare("any", Qt::CaseInsensitive) == 0) {
    f.strategyMatch = AuditFilter::StrategyMatch::Any;
  } else if (strategy.compare("none", Qt::CaseInsensitive) == 0) {
    f.strategyMatch = AuditFilter::StrategyMatch::None;
  } else {
    if (strategy.startsWith('#')) strategy.remove(0, 1);
    bool ok = false;
    const qint64 id = strategy.toLongLong(&ok);
    if (!ok || id <= 0) {
      if (problem) *problem = QString("Strategy: \"%1\" is not an instance id (a number, \"any\" or \"none\")")
                                  .arg(strategy_->currentText().trimmed());
      return std::nullopt;
    }
    f.strategyMatch = AuditFilter::StrategyMatch::Id;
    f.strategyId = id;
  }
  return f;
}

void AuditView::refresh() {
  refreshTimer_->stop();
  if (!isVisible()) return;  // showEvent() asks again
  showQuickRangeBounds();
  QString problem;
  const std::optional<AuditFilter> filter = filterFromWidgets(&problem);
  const std::uint64_t serial = ++requestSerial_;
  if (!filter) {
    // Nothing to ask the file: rows for other filters would be misleading.
    appliedSerial_ = serial;
    model_->clear();
    setStatus(problem, true);
    emit refreshed();
    return;
  }
  const bool listStrategies = strategiesStale_;
  worker_->query([this, serial, path = journalPath_, f = *filter, cap = rowCap_, listStrategies](const CancelCheck& cancelled) {
    auto result = std::make_shared<AuditQueryResult>(queryJournal(path, f, cap, listStrategies, cancelled));
    if (result->cancelled) return;  // a newer query is on its way
    QMetaObject::invokeMethod(this, [this, serial, result] { applyResult(serial, result); }, Qt::QueuedConnection);
  });
  if (appliedSerial_ == 0) setStatus("Reading the journal…", false);
}

void AuditView::applyResult(std::uint64_t serial, const std::shared_ptr<AuditQueryResult>& result) {
  if (serial != requestSerial_) return;  // the filters changed since: its answer is coming
  appliedSerial_ = serial;
  if (!result->error.isEmpty()) {
    model_->clear();
    setStatus(result->error, true);
    emit refreshed();
    return;
  }
  if (result->strategies) {
    fillStrategyChoices(*result->strategies);
    strategiesStale_ = false;
  }
  const qint64 shown = qint64(result->records.size());
  model_->setRecords(std::move(result->records));
  if (result->matching > shown)
    setStatus(QString("Showing %1 of %2 matching records (the newest); Export CSV… writes them all")
                  .arg(groupDigits(shown), groupDigits(result->matching)),
              false);
  else
    setStatus(QString("%1 matching record%2").arg(groupDigits(shown), shown == 1 ? "" : "s"), false);
  emit refreshed();
}

void AuditView::fillStrategyChoices(const std::vector<qint64>& strategies) {
  // Keep what the user typed or chose: only the list changes.
  const QString typed = strategy_->currentText();
  const QSignalBlocker quiet(strategy_);
  strategy_->clear();
  strategy_->addItems({"any", "none"});
  for (qint64 id : strategies) strategy_->addItem(QString::number(id));
  const int index = strategy_->findText(typed);
  if (index >= 0) strategy_->setCurrentIndex(index);
  strategy_->setEditText(typed);
}

qint64 AuditView::exportCsv(const QString& path, QString* error) {
  QString problem;
  const std::optional<AuditFilter> filter = filterFromWidgets(&problem);
  ExportOutcome outcome;
  if (filter) outcome = exportJournal(journalPath_, *filter, path, [] { return false; });
  else outcome.error = problem;
  applyExport(outcome.rows, outcome.error, path);
  if (error) *error = outcome.error;
  return outcome.rows;
}

void AuditView::startExport(const QString& path) {
  QString problem;
  const std::optional<AuditFilter> filter = filterFromWidgets(&problem);
  if (!filter) {
    applyExport(-1, problem, path);
    return;
  }
  exporting_ = true;
  exportButton_->setEnabled(false);
  setStatus(QString("Exporting to %1…").arg(QDir::toNativeSeparators(path)), false);
  worker_->exportCsv([this, journal = journalPath_, f = *filter, path](const CancelCheck& cancelled) {
    const ExportOutcome outcome = exportJournal(journal, f, path, cancelled);
    if (outcome.cancelled) return;  // the view is going away
    QMetaObject::invokeMethod(
        this, [this, outcome, path] { applyExport(outcome.rows, outcome.error, path); }, Qt::QueuedConnection);
  });
}

void AuditView::applyExport(qint64 rows, const QString& error, const QString& path) {
  exporting_ = false;
  exportButton_->setEnabled(true);
  if (rows < 0)
    setStatus(error, true);
  else
    setStatus(QString("Exported %1 record%2 to %3")
                  .arg(groupDigits(rows), rows == 1 ? "" : "s", QDir::toNativeSeparators(path)),
              false);
  emit exportFinished(rows, error);
}

void AuditView::chooseExportFile() {
  if (exporting_) return;
  const QString suggested = QDir(lastExportDir_.isEmpty() ? QDir::homePath() : lastExportDir_)
                                .filePath(QString("kappa-journal-%1.csv")
                                              .arg(QDateTime::currentDateTimeUtc().toString("yyyyMMdd-HHmmss")));
  const QString path = QFileDialog::getSaveFileName(this, "Export journal records", suggested, "CSV files (*.csv)");
  if (path.isEmpty()) return;
  lastExportDir_ = QFileInfo(path).absolutePath();
  startExport(path);
}

void AuditView::setStatus(const QString& text, bool error) {
  status_->setText(text);
  status_->setStyleSheet(QString("color:%1;").arg((error ? colors::ask : colors::dimText).name()));
}

}  // namespace kappa::ui
