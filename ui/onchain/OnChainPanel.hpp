#pragma once
// The on-chain venue's panel (a dock, shown only when an evm venue is configured): the block strip
// (latest block, age, base fee, base-fee trend), the wallet (native coin and every listed token,
// USD value at the pools' mids, the Router's allowance), the pools (price, reserves, volume counted
// since Kappa started following them), and the transactions with Speed up (EvmVenue::speedUp) and
// Cancel (the engine's normal cancel of the order: the OMS, then the venue's self-transfer).
// It reads the venue's snapshot (EvmView: the venue here, or a served engine's over the link) on its
// own display timer (4 Hz) and never waits on the engine, the venue's I/O thread or the network. While the node is away every figure is greyed, "since ...".
#include <QTimer>
#include <QWidget>

#include "core/Clock.hpp"
#include "link/EngineLink.hpp"
#include "venue/evm/EvmView.hpp"

class QLabel;
class QTableWidget;

namespace kappa::ui::onchain {

class BlockStrip;
class TransactionsTable;

class OnChainPanel : public QWidget {
  Q_OBJECT
 public:
  OnChainPanel(EngineLink& engine, const evm::EvmView& venue, QWidget* parent = nullptr);
  // Reads the venue and updates every part (the timer calls it; tests may too).
  void refresh();

  BlockStrip* blockStrip() const { return strip_; }
  QTableWidget* walletTable() const { return wallet_; }
  QTableWidget* poolsTable() const { return pools_; }
  TransactionsTable* transactions() const { return txs_; }
  QLabel* messageLabel() const { return message_; }
  bool stale() const { return stale_; }

 signals:
  // Speed up pressed on a pending row: MainWindow hands it to EvmView::speedUp.
  void speedUpRequested(OrderId id);

 private:
  void applyWallet(const evm::EvmWalletView& w, const std::string& walletAddress, const class UsdPrices& usd);
  void applyPools(const std::vector<evm::EvmPoolView>& pools, const evm::EvmCounters& counters);
  void showMessage(const QString& text, bool error);
  void followOrder(OrderId id);

  EngineLink& engine_;
  const evm::EvmView& venue_;
  QTimer timer_;
  BlockStrip* strip_ = nullptr;
  QLabel* walletTitle_ = nullptr;
  QTableWidget* wallet_ = nullptr;
  QTableWidget* pools_ = nullptr;
  TransactionsTable* txs_ = nullptr;
  QLabel* message_ = nullptr;
  bool stale_ = false;
  OrderId followed_ = 0;          // the order of the last Speed up / Cancel pressed
  std::string followedDetail_;    // its detail when pressed (the answer is the next one)
};

}  // namespace kappa::ui::onchain
