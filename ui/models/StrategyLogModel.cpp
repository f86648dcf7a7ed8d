#include "StrategyLogModel.hpp"

#include <QBrush>
#include <QFont>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
// Characters an instance name is made of ("options-mm#12"): a match must not continue with one,
// or "mm#1" would also select the lines of "mm#12".
bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '#' || c == '-' ||
         c == '_' || c == '.';
}
}  // namespace

StrategyLogModel::StrategyLogModel(QObject* parent) : QAbstractTableModel(parent) {}

bool StrategyLogModel::concerns(const StrategyLogLine& line, const std::string& instance) {
  if (instance.empty()) return true;
  const std::string_view source = line.source;
  if (source.starts_with("strategy:")) return source.substr(9) == instance;
  for (std::size_t at = line.message.find(instance); at != std::string::npos; at = line.message.find(instance, at + 1)) {
    const std::size_t end = at + instance.size();
    const bool startsWord = at == 0 || !isNameChar(line.message[at - 1]);
    const bool endsWord = end == line.message.size() || !isNameChar(line.message[end]);
    if (startsWord && endsWord) return true;
  }
  return false;
}

bool StrategyLogModel::passes(const StrategyLogLine& line) const {
  return line.level >= minLevel_ && concerns(line, instanceUtf8_);
}

const StrategyLogLine& StrategyLogModel::line(int row) const {
  return lines_[std::size_t(visible_[std::size_t(row)] - firstSeq_)];
}

void StrategyLogModel::append(std::vector<StrategyLogLine> batch) {
  if (batch.empty()) return;
  if (batch.size() > kMaxLines) batch.erase(batch.begin(), batch.end() - std::ptrdiff_t(kMaxLines));

  // Make room first, so the removal and the insertion are one signal each.
  const std::size_t excess = lines_.size() + batch.size() > kMaxLines ? lines_.size() + batch.size() - kMaxLines : 0;
  if (excess > 0) {
    const std::uint64_t newFirst = firstSeq_ + excess;
    std::size_t goneRows = 0;
    while (goneRows < visible_.size() && visible_[goneRows] < newFirst) ++goneRows;
    if (goneRows > 0) {
      beginRemoveRows({}, 0, int(goneRows) - 1);
      visible_.erase(visible_.begin(), visible_.begin() + std::ptrdiff_t(goneRows));
      lines_.erase(lines_.begin(), lines_.begin() + std::ptrdiff_t(excess));
      firstSeq_ = newFirst;
      endRemoveRows();
    } else {
      lines_.erase(lines_.begin(), lines_.begin() + std::ptrdiff_t(excess));
      firstSeq_ = newFirst;
    }
  }

  std::vector<std::uint64_t> shown;
  std::uint64_t seq = firstSeq_ + lines_.size();
  for (StrategyLogLine& l : batch) {
    if (passes(l)) shown.push_back(seq);
    lines_.push_back(std::move(l));
    ++seq;
  }
  if (shown.empty()) return;
  const int first = int(visible_.size());
  beginInsertRows({}, first, first + int(shown.size()) - 1);
  visible_.insert(visible_.end(), shown.begin(), shown.end());
  endInsertRows();
}

void StrategyLogModel::setFilter(const QString& instance, log::Level minLevel) {
  if (instance == instance_ && minLevel == minLevel_) return;
  beginResetModel();
  instance_ = instance;
  instanceUtf8_ = instance.toStdString();
  minLevel_ = minLevel;
  visible_.clear();
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (passes(lines_[i])) visible_.push_back(firstSeq_ + i);
  endResetModel();
}

int StrategyLogModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(visible_.size()); }
int StrategyLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant StrategyLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case Time: return QString("Time (UTC)");
    case Level: return QString("Level");
    case Source: return QString("Source");
    case Message: return QString("Message");
  }
  return {};
}

QVariant StrategyLogModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(visible_.size())) return {};
  const StrategyLogLine& l = line(index.row());
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Time: return formatUtcTime(l.wallTime);
      case Level: return QString(log::nameOf(l.level));
      case Source: return QString::fromStdString(l.source);
      case Message: return QString::fromStdString(l.message);
    }
  } else if (role == Qt::ToolTipRole && index.column() == Message) {
    return QString::fromStdString(l.message);
  } else if (role == Qt::ForegroundRole) {
    if (l.level == log::Level::Error) return QBrush(colors::ask);
    if (l.level == log::Level::Warn) return QBrush(colors::last);
    if (l.level == log::Level::Debug || index.column() == Time || index.column() == Source) return QBrush(colors::dimText);
  } else if (role == Qt::FontRole && l.level == log::Level::Error && index.column() == Level) {
    QFont f;
    f.setBold(true);
    return f;
  }
  return {};
}

}  // namespace kappa::ui
