#pragma once
// The order ticket's on-chain section, shown only while the ticket's instrument is a pool of the
// evm venue: for the ticket's quantity, per side, what the swap pays in, the expected out, the
// average price, the price impact, the minimum out at the venue's slippage, and the gas in the
// native coin and USD (SwapQuote: the Router's integer math on the reserves the venue last showed).
// Read from the venue's snapshot (EvmView: local, or a served engine's) on a display timer; never
// waits on the engine.
#include <QTimer>
#include <QWidget>

#include "core/Instrument.hpp"
#include "venue/evm/EvmView.hpp"

class QLabel;

namespace kappa::ui {
class OrderTicket;
}

namespace kappa::ui::onchain {

class OnChainTicketSection : public QWidget {
  Q_OBJECT
 public:
  OnChainTicketSection(const InstrumentRegistry& instruments, const evm::EvmView& venue, OrderTicket& ticket, QWidget* parent = nullptr);
  void refresh();
  // Row labels, by side: "pay", "out", "avg", "impact", "min", "gas" (tests).
  QLabel* figure(Side side, const QString& row) const;

 private:
  const InstrumentRegistry& instruments_;
  const evm::EvmView& venue_;
  OrderTicket& ticket_;
  QTimer timer_;
  QLabel* title_ = nullptr;
  QLabel* note_ = nullptr;
};

}  // namespace kappa::ui::onchain
