#pragma once
// A read-only table over rows that have an identity (a plugin's path, an instance's id). setRows()
// merges the new list into the old one by key: rows that went away are removed, new ones inserted,
// the rest change in place. Never a reset, so the user's selection and scroll position survive
// every refresh; Qt's persistent indexes follow a selected row when rows above it come or go.
#include <QAbstractTableModel>
#include <QStringList>
#include <algorithm>
#include <vector>

namespace kappa::ui {

template <class Row, class Key>
class KeyedRowModel : public QAbstractTableModel {
 public:
  KeyedRowModel(QStringList headers, QObject* parent) : QAbstractTableModel(parent), headers_(std::move(headers)) {}

  // Any order; shown sorted by key, which keeps the merge linear and the rows where the user left them.
  void setRows(std::vector<Row> next) {
    std::sort(next.begin(), next.end(), [this](const Row& a, const Row& b) { return keyOf(a) < keyOf(b); });
    std::size_t i = 0, j = 0;
    while (i < rows_.size() || j < next.size()) {
      if (j == next.size() || (i < rows_.size() && keyOf(rows_[i]) < keyOf(next[j]))) {
        beginRemoveRows({}, int(i), int(i));
        rows_.erase(rows_.begin() + std::ptrdiff_t(i));
        endRemoveRows();
      } else if (i == rows_.size() || keyOf(next[j]) < keyOf(rows_[i])) {
        beginInsertRows({}, int(i), int(i));
        rows_.insert(rows_.begin() + std::ptrdiff_t(i), std::move(next[j]));
        endInsertRows();
        ++i, ++j;
      } else {
        rows_[i++] = std::move(next[j++]);
      }
    }
    if (!rows_.empty()) emit this->dataChanged(index(0, 0), index(int(rows_.size()) - 1, int(headers_.size()) - 1));
  }

  const std::vector<Row>& rows() const { return rows_; }
  const Row& row(int r) const { return rows_[std::size_t(r)]; }
  // -1 if no row has this key.
  int rowOf(const Key& key) const {
    for (std::size_t r = 0; r < rows_.size(); ++r)
      if (keyOf(rows_[r]) == key) return int(r);
    return -1;
  }

  int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(rows_.size()); }
  int columnCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(headers_.size()); }
  QVariant headerData(int section, Qt::Orientation o, int role) const override {
    if (o == Qt::Horizontal && role == Qt::DisplayRole) return headers_.value(section);
    return QAbstractTableModel::headerData(section, o, role);
  }
  QVariant data(const QModelIndex& idx, int role) const override {
    if (!idx.isValid() || idx.row() >= int(rows_.size())) return {};
    return cell(rows_[std::size_t(idx.row())], idx.column(), role);
  }

 protected:
  virtual Key keyOf(const Row& row) const = 0;
  virtual QVariant cell(const Row& row, int column, int role) const = 0;

 private:
  QStringList headers_;
  std::vector<Row> rows_;
};

}  // namespace kappa::ui
