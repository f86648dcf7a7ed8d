#pragma once
// A read-only table over a vector of snapshot rows. setRows() is called at most once per frame:
// same row count -> one ranged dataChanged; otherwise a reset. No per-event signals, no sorting
// proxy, nothing that makes live updates quadratic.
#include <QAbstractTableModel>
#include <QStringList>
#include <vector>

#include "VenueNames.hpp"
#include "core/Instrument.hpp"

namespace kappa::ui {

template <class Row>
class RowTableModel : public QAbstractTableModel {
 public:
  RowTableModel(const InstrumentRegistry& instruments, QStringList headers, QObject* parent)
      : QAbstractTableModel(parent), instruments_(instruments), headers_(std::move(headers)) {}

  void setRows(std::vector<Row> rows) {
    if (rows.size() == rows_.size()) {
      rows_ = std::move(rows);
      if (!rows_.empty()) emit this->dataChanged(index(0, 0), index(int(rows_.size()) - 1, int(headers_.size()) - 1));
      return;
    }
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
  }
  // The configured venues (the Venue column and "venue:name" names; one venue: bare names).
  void setVenues(VenueNames venues) { venues_ = std::move(venues); }
  const VenueNames& venues() const { return venues_; }
  const Row& row(int r) const { return rows_[std::size_t(r)]; }
  const std::vector<Row>& rows() const { return rows_; }

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
  virtual QVariant cell(const Row& row, int column, int role) const = 0;
  const InstrumentRegistry& instruments_;
  VenueNames venues_;

 private:
  QStringList headers_;
  std::vector<Row> rows_;
};

}  // namespace kappa::ui
