#pragma once
// The strategy log as a table (time, level, source, message): the last kMaxLines lines, shown
// through a filter by instance and minimum level. Lines arrive in batches (one per frame) as
// one row insertion; the oldest leave as one row removal. Only a filter change resets the model.
#include <QAbstractTableModel>
#include <deque>

#include "StrategyLog.hpp"

namespace kappa::ui {

class StrategyLogModel : public QAbstractTableModel {
 public:
  enum Column { Time, Level, Source, Message, ColumnCount };
  static constexpr std::size_t kMaxLines = 5000;

  explicit StrategyLogModel(QObject* parent = nullptr);

  // Appends a drained batch, dropping the oldest lines beyond kMaxLines.
  void append(std::vector<StrategyLogLine> lines);
  // Empty instance: every line. Otherwise the instance's own lines and the host's lines about it.
  void setFilter(const QString& instance, log::Level minLevel);
  const QString& instanceFilter() const { return instance_; }
  std::size_t totalLines() const { return lines_.size(); }
  const StrategyLogLine& line(int row) const;

  // True if the line is the instance's (source "strategy:<name>") or mentions it by name, as the
  // host's lifecycle, fault and watchdog messages do ("options-mm#1 started").
  static bool concerns(const StrategyLogLine& line, const std::string& instance);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  QVariant data(const QModelIndex& index, int role) const override;

 private:
  bool passes(const StrategyLogLine& line) const;

  std::deque<StrategyLogLine> lines_;
  std::uint64_t firstSeq_ = 0;         // sequence number of lines_.front()
  std::deque<std::uint64_t> visible_;  // sequence numbers of the lines that pass the filter
  QString instance_;
  std::string instanceUtf8_;
  log::Level minLevel_ = log::Level::Info;
};

}  // namespace kappa::ui
