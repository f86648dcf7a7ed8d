#pragma once
// The journal audit view: what the engine journaled (order intents, acks, rejects, fills, cancels,
// risk, state and limit changes, plugin loads, parameter changes, remote users' commands), each
// record about an instrument with its venue, filtered by time, venue and instrument, strategy
// instance, kind and text, and exported to CSV.
//
// The records come page by page (engine/journal/JournalQuery): through the EngineLink
// (setEngineLink: a local engine's file read on the link's worker thread, or a remote engine's
// answered over NATS), or from a journal file named directly (setJournalPath, read on this view's
// own worker thread). The GUI never waits: pages arrive on other threads and are shown on the
// window's. A query shows at most rowCap() records (the newest); an export writes every matching
// record, page after page.
#include <QAbstractTableModel>
#include <QString>
#include <QWidget>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/Types.hpp"
#include "journal/JournalQuery.hpp"

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace kappa {
class EngineLink;
class JournalQueryWorker;
}  // namespace kappa

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

struct AuditPage;
struct AuditExport;

class AuditView : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kDefaultRowCap = 20'000;
  static constexpr int kRemoteRowCap = 2'000;  // an attached window's (each look crosses the network)

  explicit AuditView(QWidget* parent = nullptr);
  ~AuditView() override;

  // The engine's journal, through its link (local or remote); the link outlives this view.
  void setEngineLink(EngineLink* link);
  // A journal file to read directly (<data-dir>/journal.sqlite). It need not exist yet: the status
  // says so.
  void setJournalPath(const QString& path);
  const QString& journalPath() const { return journalPath_; }
  // Most records a query shows (the newest first); the status says when more match.
  void setRowCap(int rows);
  int rowCap() const { return rowCap_; }

  // Asks for the current filters' records now. A hidden view does not ask: it does when shown.
  void refresh();
  // Writes every record matching the current filters to `path` as CSV, page by page, and waits for
  // it (a local event loop runs meanwhile). Returns the records written, or -1 with the reason in
  // *error and in the status line. The file appears complete or not at all.
  qint64 exportCsv(const QString& path, QString* error = nullptr);
  // The same without waiting (the Export button); exportFinished() tells the outcome.
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
  // One page from the link or the file; `done` runs on another thread.
  void ask(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done);
  void askViewPage(std::uint64_t serial, JournalQuery query);
  void applyViewPage(std::uint64_t serial, JournalQuery query, const std::shared_ptr<AuditPage>& page);
  void askExportPage();
  void applyExportPage(std::uint64_t id, const std::shared_ptr<AuditPage>& page);
  void applyExport(qint64 rows, const QString& error, const QString& path);
  void chooseExportFile();
  void rangeChosen();
  void rangeEdited();
  // Shows the bounds a quick range stands for right now in the from/to editors.
  void showQuickRangeBounds();
  // The filters as the widgets set them; nullopt (and why) if they cannot be understood.
  std::optional<JournalFilter> filterFromWidgets(QString* problem) const;
  void fillStrategyChoices(const std::vector<std::int64_t>& strategies);
  void setStatus(const QString& text, bool error);

  EngineLink* link_ = nullptr;
  QString journalPath_;         // without a link
  QString source_;              // "engine a" for a remote one, in the status line
  int rowCap_ = kDefaultRowCap;
  std::uint64_t requestSerial_ = 0;  // of the newest query asked for...
  std::uint64_t appliedSerial_ = 0;  // ...and of the one whose rows are shown
  std::vector<AuditRecord> viewRows_;  // the pages of the newest query so far
  bool strategiesStale_ = true;      // the strategy choices need re-reading from the file
  std::unique_ptr<AuditExport> export_;  // the export running, if any
  std::uint64_t exportSerial_ = 0;
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
  // Without a link: reads the file named by setJournalPath.
  std::unique_ptr<JournalQueryWorker> fileWorker_;
};

}  // namespace kappa::ui
