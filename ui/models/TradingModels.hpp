#pragma once
// The live tables of the trading window: own orders, own fills, positions, and the time & sales
// tape of the selected instrument. Orders, fills and positions have a Venue column (the view hides
// it when one venue is configured).
#include "core/EngineSnapshot.hpp"
#include "models/RowTableModel.hpp"

namespace kappa::ui {

class OrdersModel : public RowTableModel<Order> {
 public:
  enum Column { Time, Venue, Instrument, Side, Type, Price, Qty, Filled, State, Info, AvgPrice, Id };
  OrdersModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);
 protected:
  QVariant cell(const Order& o, int column, int role) const override;
};

class FillsModel : public RowTableModel<Fill> {
 public:
  enum Column { Time, OrderIdCol, Venue, Instrument, Side, Price, Qty, Fee, Liquidity };
  FillsModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);
 protected:
  QVariant cell(const Fill& f, int column, int role) const override;
};

class PositionsModel : public RowTableModel<PositionRow> {
 public:
  enum Column { Venue, Instrument, Qty, AvgPrice, Mark, Unrealized, Realized, Fees, Currency, PnlUsd };
  PositionsModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);
  // Rows and the indices their coin-settled PnL is converted to USD at (USDT/USDC at par).
  void apply(const EngineSnapshot& snapshot);
  // realized + unrealized - fees in USD; NaN while the coin has no index.
  double pnlUsd(const PositionRow& p) const;
 protected:
  QVariant cell(const PositionRow& p, int column, int role) const override;
 private:
  std::vector<std::pair<std::string, double>> indices_;  // currency -> index (USD)
};

class TradesModel : public RowTableModel<TradePrint> {
 public:
  enum Column { Time, Price, Size, Side };
  TradesModel(const InstrumentRegistry& instruments, QObject* parent = nullptr);
  // Newest first. Keeps at most kMaxRows; resets when the instrument changes.
  void apply(const EngineSnapshot& snapshot, InstrumentId instrument);
  static constexpr std::size_t kMaxRows = 300;
 protected:
  QVariant cell(const TradePrint& t, int column, int role) const override;
 private:
  InstrumentId instrument_ = kNoInstrument;
  std::uint64_t lastSeq_ = 0;
};

}  // namespace kappa::ui
