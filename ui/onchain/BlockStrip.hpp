#pragma once
// The on-chain panel's top line: the latest block (number, age), the base fee now and the next
// block's, the tip suggested, and a small trend chart of the last blocks' base fees (QCustomPlot).
// Greyed with "since HH:MM:SS" while the node is away.
#include <QWidget>

#include "venue/evm/EvmChainViews.hpp"

class QCustomPlot;
class QLabel;

namespace kappa::ui::onchain {

class BlockStrip : public QWidget {
  Q_OBJECT
 public:
  explicit BlockStrip(QWidget* parent = nullptr);
  // `stale`: the node is not answering (or the view failed); `why` goes to the tooltip.
  void apply(const evm::EvmChainView& chain, Nanos now, bool stale, const QString& why);

  QLabel* blockLabel() const { return block_; }
  QLabel* baseFeeLabel() const { return baseFee_; }
  QCustomPlot* chart() const { return chart_; }

 private:
  QLabel* block_ = nullptr;
  QLabel* age_ = nullptr;
  QLabel* baseFee_ = nullptr;
  QLabel* tip_ = nullptr;
  QLabel* stale_ = nullptr;
  QCustomPlot* chart_ = nullptr;
  std::uint64_t plottedFirst_ = ~0ull;
  std::size_t plottedCount_ = 0;
  double plottedLast_ = -1;
};

}  // namespace kappa::ui::onchain
