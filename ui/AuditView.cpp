#include "AuditView.hpp"

#include <QApplication>
#include <QBrush>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDir>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QTableView>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <charconv>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>

#include "PlaceholderTableView.hpp"
#include "Theme.hpp"
#include "core/Instrument.hpp"
#include "journal/JournalQueryWorker.hpp"
#include "journal/JournalRecord.hpp"
#include "link/EngineLink.hpp"

namespace kappa::ui {

// A page as it reaches the window's thread: its rows already made into the model's records (or
// into CSV lines, for an export) on the thread that received them.
struct AuditPage {
  std::vector<AuditRecord> records;
  QByteArray csv;
  qint64 rowCount = 0;
  JournalCursor last;  // the page's last row: where the next page starts
  bool more = false;
  std::optional<std::int64_t> matching;
  std::optional<std::vector<std::int64_t>> strategies;
  QString error;
};

// An export in progress: the file is only replaced once every page is in it.
struct AuditExport {
  std::uint64_t id = 0;
  QString path;
  JournalQuery next;
  std::unique_ptr<QSaveFile> file;
  qint64 written = 0;
};

namespace {
constexpr int kRefreshDelayMs = 200;          // typing a filter runs one query, not one per key
constexpr int kFollowMs = 2000;               // a shown, open-ended view follows the journal at this pace
constexpr int kRemoteFollowMs = 5000;         // ...and over the network at this one
constexpr std::uint32_t kExportPageRows = 5000;
constexpr qint64 kNanosPerMs = 1'000'000;

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

QString qs(const std::string& s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

AuditRecord toRecord(JournalQueryRow&& r) {
  AuditRecord a;
  a.seq = r.seq;
  a.ts = r.ts;
  a.kind = qs(r.kind);
  a.orderId = r.orderId;
  a.venue = qs(r.venue);
  a.instrument = qs(r.instrument);
  a.strategy = r.strategy;
  a.side = qs(r.side);
  a.price = r.price;
  a.qty = r.qty;
  a.value = r.value;
  a.text = qs(r.text);
  return a;
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

void appendCsvRecord(QByteArray& out, const JournalQueryRow& r) {
  const auto integer = [&](const std::optional<std::int64_t>& v) {
    if (v) out += QByteArray::number(qint64(*v));
    out += ',';
  };
  const auto fixedPoint = [&](const std::optional<std::int64_t>& v) {
    if (v) out += formatTrimmed(*v).c_str();
    out += ',';
  };
  const auto text = [&](const std::string& v, bool last = false) {
    appendCsvField(out, v);
    out += last ? "\r\n" : ",";
  };
  out += QDateTime::fromMSecsSinceEpoch(floorMs(r.ts), Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
  out += ',';
  out += QByteArray::number(qint64(r.ts));
  out += ',';
  text(r.kind);
  integer(r.orderId);
  text(r.venue);
  text(r.instrument);
  integer(r.strategy);
  text(r.side);
  fixedPoint(r.price);
  fixedPoint(r.qty);
  if (r.value) out += shortestDouble(*r.value).c_str();
  out += ',';
  text(r.text, true);
}

// The page without its rows, which the caller turns into records or CSV.
AuditPage pageHeader(const JournalPage& page) {
  AuditPage out;
  out.rowCount = qint64(page.rows.size());
  out.last = page.cursorAfter();
  out.more = page.more;
  out.matching = page.matching;
  out.strategies = page.strategies;
  out.error = qs(page.error);
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

AuditView::AuditView(QWidget* parent) : QWidget(parent) {
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
  // Before any widget goes: a file query still running is interrupted (its answer is dropped).
  fileWorker_.reset();
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
  link_ = nullptr;
  journalPath_ = path;
  strategiesStale_ = true;
  if (lastExportDir_.isEmpty()) lastExportDir_ = QFileInfo(path).absolutePath();
  refresh();
}

void AuditView::setEngineLink(EngineLink* link) {
  link_ = link;
  journalPath_.clear();
  strategiesStale_ = true;
  const LinkStatus status = link ? link->link() : LinkStatus{};
  if (status.remote) {
    // Every look travels the network: fewer rows, less often (Export CSV… still writes them all).
    rowCap_ = kRemoteRowCap;
    followTimer_->setInterval(kRemoteFollowMs);
    source_ = QString("engine %1").arg(qs(status.engineName));
  } else if (link && lastExportDir_.isEmpty() && !link->journalPath().empty()) {
    lastExportDir_ = QFileInfo(qs(link->journalPath())).absolutePath();
  }
  refresh();
}

void AuditView::ask(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done) {
  if (link_) return link_->queryJournal(std::move(query), latestOnly, std::move(done));
  if (!fileWorker_) fileWorker_ = std::make_unique<JournalQueryWorker>();
  auto job = [path = journalPath_.toStdString(), query = std::move(query), done = std::move(done)](const JournalCancel& cancelled) {
    JournalPage page = queryJournalFile(path, query, cancelled);
    if (!page.cancelled) done(std::move(page));
  };
  if (latestOnly) fileWorker_->latest(std::move(job));
  else fileWorker_->queue(std::move(job));
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

std::optional<JournalFilter> AuditView::filterFromWidgets(QString* problem) const {
  JournalFilter f;
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
  if (kind_->currentIndex() > 0) f.kind = kind_->currentText().toStdString();
  f.instrument = instrument_->text().trimmed().toStdString();
  f.text = text_->text().trimmed().toStdString();

  QString strategy = strategy_->currentText().trimmed();
  if (strategy.isEmpty() || strategy.compare("any", Qt::CaseInsensitive) == 0) {
    f.strategyMatch = JournalFilter::StrategyMatch::Any;
  } else if (strategy.compare("none", Qt::CaseInsensitive) == 0) {
    f.strategyMatch = JournalFilter::StrategyMatch::None;
  } else {
    if (strategy.startsWith('#')) strategy.remove(0, 1);
    bool ok = false;
    const qint64 id = strategy.toLongLong(&ok);
    if (!ok || id <= 0) {
      if (problem) *problem = QString("Strategy: \"%1\" is not an instance id (a number, \"any\" or \"none\")")
                                  .arg(strategy_->currentText().trimmed());
      return std::nullopt;
    }
    f.strategyMatch = JournalFilter::StrategyMatch::Id;
    f.strategyId = id;
  }
  return f;
}

void AuditView::refresh() {
  refreshTimer_->stop();
  if (!isVisible()) return;  // showEvent() asks again
  showQuickRangeBounds();
  QString problem;
  const std::optional<JournalFilter> filter = filterFromWidgets(&problem);
  const std::uint64_t serial = ++requestSerial_;
  viewRows_.clear();
  if (!filter) {
    // Nothing to ask the journal: rows for other filters would be misleading.
    appliedSerial_ = serial;
    model_->clear();
    setStatus(problem, true);
    emit refreshed();
    return;
  }
  JournalQuery query;
  query.filter = *filter;
  query.newestFirst = true;
  query.limit = std::uint32_t(rowCap_);
  query.countMatching = true;
  query.listStrategies = strategiesStale_;
  askViewPage(serial, std::move(query));
  if (appliedSerial_ == 0)
    setStatus(source_.isEmpty() ? QString("Reading the journal…") : QString("Asking %1 for its journal…").arg(source_), false);
}

// The newest rowCap() records, in as many pages as the link needs (one for a local file).
void AuditView::askViewPage(std::uint64_t serial, JournalQuery query) {
  QPointer<AuditView> self(this);
  JournalQuery sent = query;
  ask(std::move(sent), true, [self, serial, query = std::move(query)](JournalPage page) {
    auto received = std::make_shared<AuditPage>(pageHeader(page));
    received->records.reserve(page.rows.size());
    for (JournalQueryRow& r : page.rows) received->records.push_back(toRecord(std::move(r)));
    QMetaObject::invokeMethod(
        qApp, [self, serial, query, received] { if (self) self->applyViewPage(serial, query, received); }, Qt::QueuedConnection);
  });
}

void AuditView::applyViewPage(std::uint64_t serial, JournalQuery query, const std::shared_ptr<AuditPage>& page) {
  if (serial != requestSerial_) return;  // the filters changed since: its answer is coming
  if (!page->error.isEmpty()) {
    appliedSerial_ = serial;
    viewRows_.clear();
    model_->clear();
    setStatus(page->error, true);
    emit refreshed();
    return;
  }
  if (page->strategies) {
    fillStrategyChoices(*page->strategies);
    strategiesStale_ = false;
  }
  std::move(page->records.begin(), page->records.end(), std::back_inserter(viewRows_));
  const qint64 shown = qint64(viewRows_.size());
  if (page->more && shown < rowCap_) {
    // The link cut the page short (a network message has a size limit): on from its last row.
    query.after = page->last;
    query.limit = std::uint32_t(rowCap_ - shown);
    query.listStrategies = false;
    askViewPage(serial, std::move(query));
    return;
  }
  appliedSerial_ = serial;
  const qint64 matching = page->more ? page->matching.value_or(shown) : shown;
  model_->setRecords(std::exchange(viewRows_, {}));
  if (page->more)
    setStatus(QString("Showing %1 of %2 matching records (the newest); Export CSV… writes them all")
                  .arg(groupDigits(shown), matching > shown ? groupDigits(matching) : QString("more")),
              false);
  else
    setStatus(QString("%1 matching record%2").arg(groupDigits(shown), shown == 1 ? "" : "s"), false);
  emit refreshed();
}

void AuditView::fillStrategyChoices(const std::vector<std::int64_t>& strategies) {
  // Keep what the user typed or chose: only the list changes.
  const QString typed = strategy_->currentText();
  const QSignalBlocker quiet(strategy_);
  strategy_->clear();
  strategy_->addItems({"any", "none"});
  for (std::int64_t id : strategies) strategy_->addItem(QString::number(qint64(id)));
  const int index = strategy_->findText(typed);
  if (index >= 0) strategy_->setCurrentIndex(index);
  strategy_->setEditText(typed);
}


qint64 AuditView::exportCsv(const QString& path, QString* error) {
  // The same pages as the Export button, waited for here (the pages still arrive on other threads).
  std::optional<std::pair<qint64, QString>> outcome;
  QEventLoop loop;
  const auto connection = connect(this, &AuditView::exportFinished, &loop, [&](qint64 rows, const QString& why) {
    outcome.emplace(rows, why);
    loop.quit();
  });
  startExport(path);
  if (!outcome) loop.exec();
  disconnect(connection);
  if (error) *error = outcome->second;
  return outcome->first;
}

void AuditView::startExport(const QString& path) {
  QString problem;
  const std::optional<JournalFilter> filter = filterFromWidgets(&problem);
  if (!filter) return applyExport(-1, problem, path);
  if (export_)
    return applyExport(-1, QString("An export to %1 is still running").arg(QDir::toNativeSeparators(export_->path)), path);
  export_ = std::make_unique<AuditExport>();
  export_->id = ++exportSerial_;
  export_->path = path;
  export_->next.filter = *filter;
  export_->next.newestFirst = false;  // the file reads oldest first
  export_->next.limit = kExportPageRows;
  exportButton_->setEnabled(false);
  setStatus(QString("Exporting to %1…").arg(QDir::toNativeSeparators(path)), false);
  askExportPage();
}

void AuditView::askExportPage() {
  QPointer<AuditView> self(this);
  ask(export_->next, false, [self, id = export_->id](JournalPage page) {
    auto received = std::make_shared<AuditPage>(pageHeader(page));
    for (const JournalQueryRow& r : page.rows) appendCsvRecord(received->csv, r);
    QMetaObject::invokeMethod(
        qApp, [self, id, received] { if (self) self->applyExportPage(id, received); }, Qt::QueuedConnection);
  });
}

void AuditView::applyExportPage(std::uint64_t id, const std::shared_ptr<AuditPage>& page) {
  if (!export_ || export_->id != id) return;
  AuditExport& run = *export_;
  const auto finish = [this](qint64 rows, const QString& error) {
    const QString path = export_->path;
    if (export_->file && rows < 0) export_->file->cancelWriting();
    export_.reset();
    applyExport(rows, error, path);
  };
  // The journal before the file: one that cannot be read must not leave an empty CSV behind.
  if (!page->error.isEmpty()) return finish(-1, page->error);
  const auto cannotWrite = [&] {
    return QString("Cannot write %1: %2").arg(QDir::toNativeSeparators(run.path), run.file->errorString());
  };
  if (!run.file) {
    run.file = std::make_unique<QSaveFile>(run.path);
    if (!run.file->open(QIODevice::WriteOnly) || run.file->write(kCsvHeader) < 0) return finish(-1, cannotWrite());
  }
  if (run.file->write(page->csv) != page->csv.size()) return finish(-1, cannotWrite());
  run.written += page->rowCount;
  if (page->more) {
    run.next.after = page->last;
    return askExportPage();
  }
  if (!run.file->commit()) return finish(-1, cannotWrite());
  finish(run.written, {});
}

void AuditView::applyExport(qint64 rows, const QString& error, const QString& path) {
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
  if (export_) return;
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
