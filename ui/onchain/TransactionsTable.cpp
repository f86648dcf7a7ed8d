#include "onchain/TransactionsTable.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>
#include <QPushButton>

#include "Format.hpp"
#include "Theme.hpp"
#include "onchain/OnChainFormat.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::ui::onchain {

TransactionsTable::TransactionsTable(QWidget* parent) : QTableWidget(0, ColumnCount, parent) {
  setObjectName("onChainTransactions");
  setHorizontalHeaderLabels({"Sent (UTC)", "Pool", "Swap", "Status", "", "Hash", "Nonce", "Conf", "Gas used", "Gas price", "Fee",
                             "Fee USD", "Detail"});
  horizontalHeaderItem(GasPrice)->setToolTip("Effective gas price paid (gwei); the max fee offered while pending");
  horizontalHeaderItem(Conf)->setToolTip("Confirmations: the including block counts as 1");
  horizontalHeaderItem(Hash)->setToolTip("Transaction hash: double-click or Ctrl+C copies it");
  verticalHeader()->setVisible(false);
  verticalHeader()->setDefaultSectionSize(26);
  verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  horizontalHeader()->setStretchLastSection(true);
  horizontalHeader()->setHighlightSections(false);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  setSelectionMode(QAbstractItemView::SingleSelection);
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setAlternatingRowColors(false);
  const int widths[ColumnCount] = {100, 84, 254, 122, 140, 108, 48, 42, 68, 76, 112, 68, 240};
  for (int c = 0; c < ColumnCount; ++c) setColumnWidth(c, widths[c]);
  setContextMenuPolicy(Qt::CustomContextMenu);
  connect(this, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    const int row = rowAt(at.y());
    if (row < 0) return;
    QMenu menu(this);
    menu.addAction("Copy hash", [this, row] { copyHash(row); });
    menu.exec(viewport()->mapToGlobal(at));
  });
  connect(this, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { copyHash(row); });
  // Keyboard: the selected row's Speed up (Ctrl+U) and Cancel (Del), when it is pending.
  auto rowAction = [this](const QKeySequence& keys, bool speedUp) {
    auto* a = new QAction(this);
    a->setShortcut(keys);
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(a, &QAction::triggered, this, [this, speedUp] {
      const int row = currentRow();
      if (row < 0 || row >= int(ids_.size()) || !cellWidget(row, Actions)) return;  // buttons only on pending rows
      if (speedUp) emit speedUpClicked(ids_[row]);
      else emit cancelClicked(ids_[row]);
    });
    addAction(a);
  };
  rowAction(QKeySequence("Ctrl+U"), true);
  rowAction(QKeySequence::Delete, false);
}

void TransactionsTable::copyHash(int row) {
  if (QTableWidgetItem* it = item(row, Hash)) QApplication::clipboard()->setText(it->data(Qt::UserRole).toString());
}

void TransactionsTable::keyPressEvent(QKeyEvent* event) {
  if (event->matches(QKeySequence::Copy) && currentRow() >= 0) {
    copyHash(currentRow());
    return;
  }
  QTableWidget::keyPressEvent(event);
}

void TransactionsTable::paintEvent(QPaintEvent* event) {
  QTableWidget::paintEvent(event);
  if (rowCount() > 0) return;
  QPainter p(viewport());
  p.setPen(colors::dimText);
  p.drawText(viewport()->rect(), Qt::AlignCenter, "No on-chain transactions yet — swaps sent from the ticket or the ladder appear here");
}

QString TransactionsTable::statusOf(const evm::EvmOrderView& v, const evm::U256& nextBaseFee) {
  if (v.state == "pending") {
    if (v.stuck || (v.maxFeePerGas > 0 && nextBaseFee > v.maxFeePerGas)) return "stuck";
    if (v.replacements) return QString("pending (sped up%1)").arg(v.replacements > 1 ? QString(" ×%1").arg(v.replacements) : QString());
  }
  return QString::fromStdString(v.state);
}

int TransactionsTable::rowOf(OrderId id) const {
  for (std::size_t i = 0; i < ids_.size(); ++i)
    if (ids_[i] == id) return int(i);
  return -1;
}

QPushButton* TransactionsTable::speedUpButton(OrderId id) const { return findChild<QPushButton*>(QString("speedUp-%1").arg(id)); }
QPushButton* TransactionsTable::cancelButton(OrderId id) const { return findChild<QPushButton*>(QString("cancel-%1").arg(id)); }

void TransactionsTable::setText(int row, int column, const QString& text, const QString& tip, const QColor& color) {
  QTableWidgetItem* it = item(row, column);
  if (!it) {
    it = new QTableWidgetItem;
    const bool numeric = column == Nonce || column == Conf || column == GasUsed || column == GasPrice || column == FeeNative || column == FeeUsd;
    it->setTextAlignment((numeric ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    if (numeric || column == Hash || column == Sent) {
      QFont f("monospace");
      f.setStyleHint(QFont::Monospace);
      it->setFont(f);
    }
    setItem(row, column, it);
  }
  if (it->text() != text) it->setText(text);
  if (it->toolTip() != tip) it->setToolTip(tip);
  const QBrush brush(color.isValid() ? color : colors::text);
  if (it->foreground() != brush) it->setForeground(brush);
}

void TransactionsTable::addButtons(int row, OrderId id) {
  auto* cell = new QWidget;
  auto* h = new QHBoxLayout(cell);
  h->setContentsMargins(2, 1, 2, 1);
  h->setSpacing(4);
  auto* speed = new QPushButton("Speed up");
  speed->setObjectName(QString("speedUp-%1").arg(id));
  speed->setToolTip("Resend at the same nonce with both fees raised by 12.5 % (within the fee cap) — Ctrl+U on the selected row");
  auto* cancel = new QPushButton("Cancel");
  cancel->setObjectName(QString("cancel-%1").arg(id));
  cancel->setToolTip("Cancel the order: a zero-value self-transfer takes the nonce (its gas is paid) — Del on the selected row");
  for (QPushButton* b : {speed, cancel}) {
    b->setFixedHeight(22);
    b->setStyleSheet("padding:0 6px;");
    h->addWidget(b);
  }
  connect(speed, &QPushButton::clicked, this, [this, id] { emit speedUpClicked(id); });
  connect(cancel, &QPushButton::clicked, this, [this, id] { emit cancelClicked(id); });
  setCellWidget(row, Actions, cell);
}

void TransactionsTable::apply(const std::vector<evm::EvmOrderView>& orders, const std::vector<evm::EvmPoolView>& pools,
                              const evm::U256& nextBaseFee, std::optional<double> nativeUsd, const QString& nativeSymbol, bool stale) {
  // Swaps that reached the chain (a hash), newest first.
  std::vector<const evm::EvmOrderView*> shown;
  for (auto it = orders.rbegin(); it != orders.rend() && int(shown.size()) < kMaxRows; ++it)
    if (!it->txHash.empty()) shown.push_back(&*it);
  std::vector<OrderId> ids;
  for (const evm::EvmOrderView* v : shown) ids.push_back(v->orderId);
  if (ids != ids_) {
    ids_ = ids;
    clearContents();  // also removes the buttons
    setRowCount(int(ids_.size()));
  }
  for (int row = 0; row < int(shown.size()); ++row) {
    const evm::EvmOrderView& v = *shown[row];
    const evm::EvmPoolView* pool = nullptr;
    for (const evm::EvmPoolView& p : pools)
      if (p.instrument == v.instrument) pool = &p;
    const QColor dim = colors::stale;
    const QColor base = stale ? dim : QColor();
    setText(row, Sent, v.sentAt ? formatUtcTime(v.sentAt) : QString("—"), {}, base);
    setText(row, Pool, pool ? QString::fromStdString(pool->name) : QString("—"), {}, base);
    if (pool) {
      const bool filled = v.baseWei > 0;
      const bool buy = v.side == Side::Buy;
      const evm::U256 baseAmt = filled ? v.baseWei : (buy ? v.expectedOut : v.amountIn);
      const evm::U256 quoteAmt = filled ? v.quoteWei : (buy ? v.amountIn : v.expectedOut);
      const QString text = QString("%1 %2 %3 %4 %5 %6")
                               .arg(buy ? "Buy" : "Sell", formatTokenAmountAdaptive(baseAmt, pool->baseDecimals, 4),
                                    QString::fromStdString(pool->baseSymbol), buy ? "for" : "→",
                                    formatTokenAmount(quoteAmt, pool->quoteDecimals, 2), QString::fromStdString(pool->quoteSymbol));
      const QString tip = QString("In %1, expected out %2, minimum out %3%4")
                              .arg(exactWei(v.amountIn), exactWei(v.expectedOut), exactWei(v.amountOutMin),
                                   filled ? QString("\nFilled: base %1, quote %2").arg(exactWei(v.baseWei), exactWei(v.quoteWei)) : QString());
      setText(row, Swap, text, tip, stale ? dim : (buy ? colors::bid : colors::ask));
    }
    const QString status = statusOf(v, nextBaseFee);
    QColor statusColor = colors::text;
    if (status == "stuck") statusColor = colors::ask;
    else if (v.state == "pending") statusColor = colors::last;
    else if (v.state == "included" || v.state == "confirmed" || v.state == "final") statusColor = colors::bid;
    else statusColor = colors::dimText;
    QString statusTip = QString::fromStdString(v.detail);
    if (status == "stuck" && nextBaseFee > v.maxFeePerGas)
      statusTip = QString("Max fee %1 gwei is below the next block's base fee %2 gwei: it will not be included. Speed up raises both fees.")
                      .arg(formatGwei(v.maxFeePerGas), formatGwei(nextBaseFee));
    setText(row, Status, status, statusTip, stale ? dim : statusColor);
    setText(row, Hash, shortHash(v.txHash), QString::fromStdString(v.txHash) + "\n(double-click or Ctrl+C copies it)", base);
    item(row, Hash)->setData(Qt::UserRole, QString::fromStdString(v.txHash));
    setText(row, Nonce, QString::number(v.nonce), {}, base);
    setText(row, Conf, v.confirmations ? QString::number(v.confirmations) : QString("—"),
            v.block ? QString("In block %1").arg(v.block) : QString("Not included yet"), base);
    setText(row, GasUsed, v.gasUsed ? formatMoney(double(v.gasUsed), 0).remove('+') : QString("—"), {}, base);
    if (v.effectiveGasPrice > 0)
      setText(row, GasPrice, formatGwei(v.effectiveGasPrice), "Effective gas price: " + exactWei(v.effectiveGasPrice), base);
    else
      setText(row, GasPrice, v.maxFeePerGas > 0 ? "≤ " + formatGwei(v.maxFeePerGas) : QString("—"),
              QString("Max fee %1 gwei, tip %2 gwei (offered; not included yet)").arg(formatGwei(v.maxFeePerGas), formatGwei(v.maxPriorityFeePerGas)),
              stale ? dim : colors::dimText);
    const double feeNative = evm::tokenAmountToDouble(v.feeWei, 18);
    setText(row, FeeNative, v.feeWei > 0 ? QString::number(feeNative, 'f', 6) + " " + nativeSymbol : QString("—"),
            v.feeWei > 0 ? exactWei(v.feeWei) : QString(), base);
    setText(row, FeeUsd, v.feeWei > 0 && nativeUsd ? formatUsd(feeNative * *nativeUsd) : QString("—"), {}, base);
    setText(row, Detail, QString::fromStdString(v.detail), QString::fromStdString(v.detail), stale ? dim : colors::dimText);
    // The buttons only on pending rows (a reorg can make an included swap pending again).
    const bool pending = v.state == "pending";
    if (pending && !cellWidget(row, Actions)) addButtons(row, v.orderId);
    if (!pending && cellWidget(row, Actions)) removeCellWidget(row, Actions);
    if (QPushButton* b = speedUpButton(v.orderId)) b->setEnabled(pending && !stale);
    if (QPushButton* b = cancelButton(v.orderId)) b->setEnabled(pending && !stale);
  }
}

}  // namespace kappa::ui::onchain
