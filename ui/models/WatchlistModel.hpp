#pragma once
// Every instrument with bid, ask, last and change. Updated once per frame from the snapshot with
// one ranged dataChanged; changed prices flash green/red for a moment.
#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <vector>

#include "core/EngineSnapshot.hpp"

namespace kappa::ui {

class WatchlistModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Bid, Ask, Last, Change, ColumnCount };
  explicit WatchlistModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);

  void apply(const EngineSnapshot& snapshot);
  InstrumentId instrumentAt(int row) const { return InstrumentId(row); }
  int rowOf(InstrumentId id) const { return int(id); }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  struct Flash {
    qint64 bidAt = -1, askAt = -1, lastAt = -1;
    bool bidUp = false, askUp = false, lastUp = false;
  };
  const InstrumentRegistry& instruments_;
  std::vector<QuoteRow> rows_;
  std::vector<Flash> flash_;
  QElapsedTimer clock_;
};

}  // namespace kappa::ui
