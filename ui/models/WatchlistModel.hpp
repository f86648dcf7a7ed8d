#pragma once
// Every instrument with bid, ask, last and change. Updated once per frame from the snapshot with
// one ranged dataChanged; changed prices flash green/red for a moment. Every underlying's index,
// perpetual and futures come first (BTC's, then ETH's), then the option chains: with two
// underlyings ETH-PERPETUAL is not buried under BTC's hundreds of options.
// The instrument set changes while running (options listed, expired ones retired): when the
// registry's version moves, the rows are rebuilt (a model reset) from the instruments the snapshot
// covers, retired ones left out, options in chain order (expiry, strike, call before put), so a new
// strike appears where it belongs.
// With several venues the name is "venue:name" where two venues list it, and three more columns
// show each perpetual's and future's basis against a reference of the same underlying (a
// perpetual against the first venue's perpetual, a future and that perpetual against the index),
// in USD and bps, and a perpetual's funding rate. A basis needs both prices live: otherwise the
// cell is blank and its tooltip says why.
#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <cmath>
#include <vector>

#include "VenueNames.hpp"
#include "core/EngineSnapshot.hpp"

namespace kappa::ui {

class WatchlistModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Name, Bid, Ask, Last, Change, Basis, BasisBps, Funding, ColumnCount };
  explicit WatchlistModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);

  void setVenues(VenueNames venues) { venues_ = std::move(venues); }
  void apply(const EngineSnapshot& snapshot);
  InstrumentId instrumentAt(int row) const { return row >= 0 && std::size_t(row) < order_.size() ? order_[std::size_t(row)] : kNoInstrument; }
  int rowOf(InstrumentId id) const { return id < rowOf_.size() ? rowOf_[id] : -1; }

  // The row's basis in USD (NaN: none shown) — tests.
  double basisUsd(int row) const;
  int rowCount(const QModelIndex& parent = {}) const override;
  // Rows follow the registry as of version() (tests).
  std::uint64_t builtVersion() const { return builtVersion_; }
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  struct Flash {
    qint64 bidAt = -1, askAt = -1, lastAt = -1;
    bool bidUp = false, askUp = false, lastUp = false;
  };
  // A row's basis against its reference: NaN while there is none to show (why: `why`).
  struct BasisCell {
    double usd = std::nan(""), bps = std::nan("");
    QString reference;  // what it is measured against, e.g. "deribit:BTC-PERPETUAL", "BTC index"
    QString why;        // why there is none (a stale book, no price yet); empty: none applies
    double fundingRate = std::nan("");
    std::int64_t nextFundingMs = 0;
  };
  void computeBasis(const EngineSnapshot& s);
  // Rows for the first `count` instruments (those a snapshot covers), retired ones left out.
  void rebuild(std::size_t count);

  const InstrumentRegistry& instruments_;
  std::uint64_t builtVersion_ = 0;   // the registry's version the rows were built from
  std::size_t builtCount_ = 0;       // how many instruments they cover (the snapshot's quotes)
  std::vector<InstrumentId> order_;  // row -> instrument
  std::vector<int> rowOf_;           // instrument -> row
  std::vector<QuoteRow> rows_;       // by row
  std::vector<Flash> flash_;
  std::vector<BasisCell> basis_;     // by row
  VenueNames venues_;
  QElapsedTimer clock_;
};

}  // namespace kappa::ui
