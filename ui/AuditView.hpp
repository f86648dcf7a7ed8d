#pragma once
// The journal audit view: what the engine journaled (order intents, acks, rejects, fills, cancels,
// risk, state and limit changes, plugin loads, parameter changes), read straight from
// <data-dir>/journal.sqlite (each record about an instrument with its venue), filtered by time,
// venue and instrument, strategy instance, kind and text, and exported to CSV.
//
// The file is opened read-only, once per query, on the view's own worker thread: the journal is in
// WAL mode, so its writer never waits for us, and the GUI never waits for SQLite. A query shows at
// most rowCap() records (the newest); an export writes every matching record.
#include <QAbstractTableModel>
#include <QString>
#include <QWidget>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/Types.hpp"

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace kappa::ui {

// One row of table `journal`, as stored: NULL columns are empty optionals or empty strings.
struct AuditRecord {
  qint64 seq = 0;
  Nanos ts = 0;  // Unix ns, UTC
  QString kind;  // nameOf(JournalKind), e.g. "fill"
  std::optional<qint64> orderId;
  QString venue;  // the instrument's venue ("deribit"); empty in rows from before schema 3
  QString instrument;
  std::optional<qint64> strategy;  // instance id
  QString side;                    // "buy", "sell", or empty for records that are not about an order
  std::optional<qint64> price, qty;  // fixed point, 1e8
  std::optional<double> value;       // fill: fee; position snapshot: realized PnL
  QString text;
};

struct AuditFilter {
  enum class StrategyMatch { Any, None, Id };
  std::optional<Nanos> from, to;  // both inclusive
  QString instrument;             // contained in "venue:name" (or the name), ASCII case-insensitive
  StrategyMatch strategyMatch = StrategyMatch::Any;
  qint64 strategyId = 0;          // for StrategyMatch::Id
  QString kind;                   // exact kind name; empty: every kind
  QString text;                   // contained in the record's text, ASCII case-insensitive
};

class AuditModel : public QAbstractTableModel {
 public:
  enum Column { Time, Kind, Order, Venue, Instrument, Strategy, Side, Price, Qty, Value, Text, ColumnCount };

  explicit AuditModel(QObject* parent = nullptr);

  // Replaces every row, kept in the current sort order.
  void setRecords(std::vector<AuditRecord> records);
  void clear() { setRecords({}); }
  const AuditRecord& record(int row) const { return rows_[std::size_t(row)]; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  void sort(int column, Qt::SortOrder order) override;

 private:
  void sortRows();

  std::vector<AuditRecord> rows_;
  int sortColumn_ = Time;
  Qt::SortOrder sortOrder_ = Qt::DescendingOrder;
};

struct AuditQueryResult;
class AuditWorker;

class AuditView : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kDefaultRowCap = 20'000;

  explicit AuditView(QWidget* parent = nullptr);
  ~AuditView() override;

  // The journal to read (<data-dir>/journal.sqlite). It need not exist yet: the status says so.
  void setJournalPath(const QString& path);
  const QString& journalPath() const { return journalPath_; }
  // Most records a query shows (the newest first); the status says when more match.
  void setRowCap(int rows);
  int rowCap() const { return rowCap_; }

  // Runs the query for the current filters now (on the worker thread). A hidden view does not
  // query: it does when shown.
  void refresh();
  // Writes every record matching the current filters to `path` as CSV, on the calling thread;
  // the Export button runs the same on the worker thread. Returns the records written, or -1 with
  // the reason in *error and in the status line. The file appears complete or not at all.
  qint64 exportCsv(const QString& path, QString* error = nullptr);
  // Like exportCsv, on the worker thread; exportFinished() tells the outcome.
  void startExport(const QString& path);

  // True from a filter change until its rows are shown (for tests, and the status line).
  bool isBusy() const;
  AuditModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  QLabel* statusLabel() const { return status_; }

 signals:
  // A query's result (rows or an error) was applied.
  void refreshed();
  void exportFinished(qint64 rows, const QString& error);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  enum RangeChoice { AllTime, LastHour, TodayUtc, CustomRange };

  void buildFilters();
  void scheduleRefresh();
  void runQuery();
  void applyResult(std::uint64_t serial, const std::shared_ptr<AuditQueryResult>& result);
  void applyExport(qint64 rows, const QString& error, const QString& path);
  void chooseExportFile();
  void rangeChosen();
  void rangeEdited();
  // Shows the bounds a quick range stands for right now in the from/to editors.
  void showQuickRangeBounds();
  // The filters as the widgets set them; nullopt (and why) if they cannot be understood.
  std::optional<AuditFilter> filterFromWidgets(QString* problem) const;
  void fillStrategyChoices(const std::vector<qint64>& strategies);
  void setStatus(const QString& text, bool error);

  QString journalPath_;
  int rowCap_ = kDefaultRowCap;
  std::uint64_t requestSerial_ = 0;  // of the newest query asked for...
  std::uint64_t appliedSerial_ = 0;  // ...and of the one whose rows are shown
  bool strategiesStale_ = true;      // the strategy choices need re-reading from the file
  bool exporting_ = false;
  QString lastExportDir_;

  AuditModel* model_ = nullptr;
  QComboBox* range_ = nullptr;
  QDateTimeEdit* from_ = nullptr;
  QDateTimeEdit* to_ = nullptr;
  QLineEdit* instrument_ = nullptr;
  QComboBox* strategy_ = nullptr;
  QComboBox* kind_ = nullptr;
  QLineEdit* text_ = nullptr;
  QPushButton* refreshButton_ = nullptr;
  QPushButton* exportButton_ = nullptr;
  QTableView* table_ = nullptr;
  QLabel* status_ = nullptr;
  QTimer* refreshTimer_ = nullptr;
  QTimer* followTimer_ = nullptr;
  // Last member: destroyed first, so no query outlives what its result would be posted to.
  std::unique_ptr<AuditWorker> worker_;
};

}  // namespace kappa::ui
