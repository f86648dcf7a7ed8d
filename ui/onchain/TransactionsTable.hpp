#pragma once
// The on-chain panel's transactions: one row per swap the venue sent (newest first): sent time,
// pool, the swap, status (pending / stuck / included / confirmed / final / rejected / cancelled),
// hash (short; full in the tooltip; double-click or Ctrl+C copies it), nonce, confirmations, gas
// used, effective gas price (gwei), fee in the native coin and in USD, and on pending rows the
// Speed up and Cancel buttons. "stuck": the tracker said so, or the max fee offered is below the next
// block's base fee (the node will not include it until the base fee falls or it is sped up). Rows are updated in place (the buttons are made once per row).
#include <QTableWidget>

#include <functional>
#include <map>
#include <optional>

#include "venue/evm/EvmVenueViews.hpp"

class QPushButton;

namespace kappa::ui::onchain {

class TransactionsTable : public QTableWidget {
  Q_OBJECT
 public:
  enum Column { Sent, Pool, Swap, Status, Actions, Hash, Nonce, Conf, GasUsed, GasPrice, FeeNative, FeeUsd, Detail, ColumnCount };
  explicit TransactionsTable(QWidget* parent = nullptr);
  // `nextBaseFee`: a pending transaction whose max fee is below it cannot be included: "stuck".
  void apply(const std::vector<evm::EvmOrderView>& orders, const std::vector<evm::EvmPoolView>& pools, const evm::U256& nextBaseFee,
             std::optional<double> nativeUsd, const QString& nativeSymbol, bool stale);
  // The row of an order (-1 when not shown), and its buttons (tests).
  int rowOf(OrderId id) const;
  QPushButton* speedUpButton(OrderId id) const;
  QPushButton* cancelButton(OrderId id) const;
  static QString statusOf(const evm::EvmOrderView& v, const evm::U256& nextBaseFee);
  static constexpr int kMaxRows = 50;

 signals:
  void speedUpClicked(OrderId id);
  void cancelClicked(OrderId id);

 protected:
  void keyPressEvent(QKeyEvent* event) override;
  void paintEvent(QPaintEvent* event) override;  // says why it is empty

 private:
  void setText(int row, int column, const QString& text, const QString& tip = {}, const QColor& color = {});
  void copyHash(int row);
  void addButtons(int row, OrderId id);
  std::vector<OrderId> ids_;
};

}  // namespace kappa::ui::onchain
