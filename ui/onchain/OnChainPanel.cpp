#include "onchain/OnChainPanel.hpp"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QRegularExpression>
#include <QSplitter>
#include <QTableWidget>
#include <QTimeZone>
#include <QVBoxLayout>

#include "Format.hpp"
#include "Theme.hpp"
#include "onchain/BlockStrip.hpp"
#include "onchain/OnChainFormat.hpp"
#include "onchain/TransactionsTable.hpp"
#include "onchain/UsdPrices.hpp"
#include "venue/evm/RollingVolume.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::ui::onchain {

namespace {

QTableWidget* makeTable(const QString& name, const QStringList& headers, const std::vector<int>& widths) {
  auto* t = new QTableWidget(0, int(headers.size()));
  t->setObjectName(name);
  t->setHorizontalHeaderLabels(headers);
  t->verticalHeader()->setVisible(false);
  t->verticalHeader()->setDefaultSectionSize(22);
  t->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  t->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  t->horizontalHeader()->setStretchLastSection(true);
  t->horizontalHeader()->setHighlightSections(false);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  for (std::size_t i = 0; i < widths.size(); ++i) t->setColumnWidth(int(i), widths[i]);
  return t;
}

// Sets a cell's text (right-aligned monospace when numeric), colour and tooltip, creating it once.
void cell(QTableWidget* t, int row, int column, const QString& text, bool numeric, const QColor& color, const QString& tip = {}) {
  QTableWidgetItem* it = t->item(row, column);
  if (!it) {
    it = new QTableWidgetItem;
    it->setTextAlignment((numeric ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    if (numeric) {
      QFont f("monospace");
      f.setStyleHint(QFont::Monospace);
      it->setFont(f);
    }
    t->setItem(row, column, it);
  }
  if (it->text() != text) it->setText(text);
  if (it->toolTip() != tip) it->setToolTip(tip);
  if (it->foreground() != QBrush(color)) it->setForeground(color);
}

QLabel* sectionTitle(const QString& text, const QString& name = {}) {
  auto* l = new QLabel(text);
  if (!name.isEmpty()) l->setObjectName(name);
  l->setStyleSheet(QString("font-weight:bold; color:%1; padding:2px 0;").arg(colors::dimText.name()));
  return l;
}

// Whole-token decimals shown for a balance or reserve: 2 for USD stablecoins, 4 otherwise.
int shownDecimals(const std::string& symbol) { return symbol == "USDC" || symbol == "USDT" || symbol == "DAI" ? 2 : 4; }

}  // namespace

OnChainPanel::OnChainPanel(EngineLink& engine, const evm::EvmView& venue, QWidget* parent)
    : QWidget(parent), engine_(engine), venue_(venue) {
  setObjectName("onChainPanel");
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 2, 4, 2);
  v->setSpacing(2);
  strip_ = new BlockStrip;
  v->addWidget(strip_);

  auto* split = new QSplitter(Qt::Vertical);
  split->setObjectName("onChainSplit");
  auto* top = new QSplitter(Qt::Horizontal);
  auto* walletBox = new QWidget;
  auto* wv = new QVBoxLayout(walletBox);
  wv->setContentsMargins(0, 0, 0, 0);
  wv->setSpacing(0);
  walletTitle_ = sectionTitle("Wallet", "walletTitle");
  walletTitle_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  wv->addWidget(walletTitle_);
  wallet_ = makeTable("onChainWallet", {"Asset", "Balance", "USD", "Router allowance"}, {58, 112, 112, 110});
  wallet_->horizontalHeaderItem(3)->setToolTip("What the Uniswap V2 Router may spend of the token (set by our approve before the first swap)");
  wv->addWidget(wallet_);
  top->addWidget(walletBox);
  auto* poolsBox = new QWidget;
  auto* pv = new QVBoxLayout(poolsBox);
  pv->setContentsMargins(0, 0, 0, 0);
  pv->setSpacing(0);
  pv->addWidget(sectionTitle("Pools", "poolsTitle"));
  pools_ = makeTable("onChainPools", {"Pool", "Price", "Reserve base", "Reserve quote", "Volume 24 h", "Swaps 24 h", "Last swap"},
                     {86, 86, 120, 142, 206, 80, 160});
  pools_->horizontalHeaderItem(4)->setToolTip(
      "Swap volume in the base token over the last 24 h by block time (the chain's Swap logs, read back at the start)");
  pv->addWidget(pools_);
  top->addWidget(poolsBox);
  top->setStretchFactor(0, 0);
  top->setStretchFactor(1, 1);
  top->setSizes({400, 820});
  split->addWidget(top);

  auto* txBox = new QWidget;
  auto* tv = new QVBoxLayout(txBox);
  tv->setContentsMargins(0, 0, 0, 0);
  tv->setSpacing(0);
  tv->addWidget(sectionTitle("Transactions"));
  txs_ = new TransactionsTable;
  tv->addWidget(txs_);
  message_ = new QLabel;
  message_->setObjectName("onChainMessage");
  message_->setWordWrap(true);
  tv->addWidget(message_);
  split->addWidget(txBox);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({150, 250});  // the wallet and pools rows in full, the rest for the transactions
  v->addWidget(split, 1);

  connect(txs_, &TransactionsTable::speedUpClicked, this, [this](OrderId id) {
    // A sped-up swap is likelier to execute: not while trading is halted (the engine refuses it too).
    if (engine_.halted()) return showMessage(QString("Speed up refused for order %1: trading is HALTED").arg(id), true);
    followOrder(id);  // before the request: the venue may answer before the next line
    emit speedUpRequested(id);
    showMessage(QString("Speed up sent for order %1: same nonce, fees +12.5 %").arg(id), false);
  });
  connect(txs_, &TransactionsTable::cancelClicked, this, [this](OrderId id) {
    followOrder(id);
    engine_.cancel(id);
    showMessage(QString("Cancel sent for order %1: a self-transfer will take its nonce").arg(id), false);
  });

  timer_.setInterval(250);
  connect(&timer_, &QTimer::timeout, this, &OnChainPanel::refresh);
  timer_.start();
  refresh();
}

void OnChainPanel::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(QString("color:%1;").arg((error ? colors::ask : colors::dimText).name()));
}

void OnChainPanel::followOrder(OrderId id) {
  followed_ = id;
  followedDetail_.clear();  // the answer is the next detail said
  for (const evm::EvmOrderView& o : venue_.snapshot().orders)
    if (o.orderId == id) followedDetail_ = o.detail;
}

void OnChainPanel::refresh() {
  const evm::EvmVenueSnapshot venue = venue_.snapshot();
  const evm::EvmChainView& chain = venue.chain;
  const evm::EvmWalletView& wallet = venue.wallet;
  const std::vector<evm::EvmPoolView>& pools = venue.pools;
  const std::vector<evm::EvmOrderView>& orders = venue.orders;
  stale_ = venue.state != VenueState::Connected;
  const QString why = stale_ ? QString::fromStdString(venue.stateDetail) : QString();
  const Nanos now = wallNow();
  strip_->apply(chain, now, stale_, why);
  const UsdPrices usd(pools);
  applyWallet(wallet, venue.walletAddress, usd);
  applyPools(pools, venue.counters);
  txs_->apply(orders, pools, chain.nextBaseFee, usd.native(wallet.nativeSymbol), QString::fromStdString(wallet.nativeSymbol), stale_);
  setToolTip(why);
  // The venue's answer to the last Speed up / Cancel pressed: its order's detail once it changes.
  if (followed_ != 0)
    for (const evm::EvmOrderView& o : orders)
      if (o.orderId == followed_ && o.detail != followedDetail_ && !o.detail.empty()) {
        followedDetail_ = o.detail;
        // Hashes shortened in the line (0x1234…abcd), in full in its tooltip.
        QString text = QString::fromStdString(o.detail);
        static const QRegularExpression hash("0x([0-9a-fA-F]{4})[0-9a-fA-F]{56}([0-9a-fA-F]{4})");
        text.replace(hash, QString("0x\\1") + QChar(0x2026) + "\\2");
        showMessage(QString("Order %1: %2").arg(followed_).arg(text), o.detail.rfind("speed-up refused", 0) == 0);
        message_->setToolTip(QString::fromStdString(o.detail));
      }
}

void OnChainPanel::applyWallet(const evm::EvmWalletView& w, const std::string& walletAddress, const UsdPrices& usd) {
  const QColor text = stale_ ? colors::stale : colors::text;
  const QColor dim = stale_ ? colors::stale : colors::dimText;
  if (w.address.empty() && walletAddress.empty()) {
    walletTitle_->setText("Wallet — no key configured (market data only)");
    wallet_->setRowCount(0);
    return;
  }
  const std::string address = w.address.empty() ? walletAddress : w.address;
  QString title = QString("Wallet %1").arg(QString::fromStdString(address.substr(0, 6) + "…" + address.substr(address.size() - 4)));
  double total = 0;
  bool totalKnown = w.updatedAt != 0;
  if (w.updatedAt == 0) title += w.error.empty() ? " — reading balances…" : " — " + QString::fromStdString(w.error);
  walletTitle_->setToolTip(QString::fromStdString(address) + (w.block ? QString("\nBalances at block %1").arg(w.block) : QString()));
  wallet_->setRowCount(int(1 + w.tokens.size()));
  // Native coin first (gas is paid in it), then the tokens.
  const std::optional<double> ethUsd = usd.native(w.nativeSymbol);
  cell(wallet_, 0, 0, QString::fromStdString(w.nativeSymbol), false, text, "The chain's native coin: pays the gas");
  cell(wallet_, 0, 1, formatTokenAmount(w.nativeWei, 18, 6), true, text, exactWei(w.nativeWei));
  cell(wallet_, 0, 2, ethUsd ? formatUsd(w.native * *ethUsd) : QString("—"), true, dim);
  cell(wallet_, 0, 3, "n/a (gas)", false, dim);
  if (ethUsd) total += w.native * *ethUsd;
  else totalKnown = false;
  for (std::size_t i = 0; i < w.tokens.size(); ++i) {
    const evm::EvmTokenBalance& t = w.tokens[i];
    const int row = int(i) + 1;
    const std::optional<double> price = usd.of(t.symbol);
    cell(wallet_, row, 0, QString::fromStdString(t.symbol), false, text, QString::fromStdString(t.address));
    cell(wallet_, row, 1, formatTokenAmount(t.balanceWei, t.decimals, shownDecimals(t.symbol)), true, text, exactWei(t.balanceWei));
    cell(wallet_, row, 2, price ? formatUsd(t.balance * *price) : QString("—"), true, dim);
    QString allowance = t.unlimitedAllowance ? "unlimited" : t.allowanceWei == 0 ? "none" : formatTokenAmount(t.allowanceWei, t.decimals, shownDecimals(t.symbol));
    cell(wallet_, row, 3, allowance, t.allowanceWei != 0 && !t.unlimitedAllowance, t.allowanceWei == 0 ? dim : text,
         t.allowanceWei == 0 ? "Not approved yet: the first swap selling it sends approve(Router) first" : exactWei(t.allowanceWei));
    if (price) total += t.balance * *price;
    else totalKnown = false;
  }
  if (stale_ && w.updatedAt) title += " · stale since " + formatUtcTime(w.updatedAt).left(8);  // the total would pretend to be now
  else if (w.updatedAt != 0 && totalKnown) title += " · " + formatUsd(total);
  else if (!w.error.empty() && w.updatedAt) title += " · last read failed: " + QString::fromStdString(w.error);
  walletTitle_->setText(title);
}

void OnChainPanel::applyPools(const std::vector<evm::EvmPoolView>& pools, const evm::EvmCounters& counters) {
  const QColor text = stale_ ? colors::stale : colors::text;
  const QColor dim = stale_ ? colors::stale : colors::dimText;
  pools_->setRowCount(int(pools.size()));
  pools_->horizontalHeaderItem(4)->setToolTip(
      QString("Swap volume in the base token over the last 24 h by block time: the chain's Swap logs read back at the start, "
              "then every swap followed (\"since HH:MM\": the logs cover less, e.g. a chain younger than a day). "
              "Followed without a gap since block %1.")
          .arg(counters.resyncBlock));
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const evm::EvmPoolView& p = pools[i];
    const int row = int(i);
    cell(pools_, row, 0, QString::fromStdString(p.name), false, text, QString::fromStdString(p.pair));
    const Instrument* inst = p.instrument < engine_.instruments().size() ? &engine_.instruments()[p.instrument] : nullptr;
    cell(pools_, row, 1, p.mid > 0 ? (inst ? formatPrice(*inst, p.mid) : QString::number(p.mid, 'f', 4)) : QString("—"), true, text,
         p.block ? QString("Mid at block %1 (the 0.3 % fee is not in the mid)").arg(p.block) : QString());
    cell(pools_, row, 2, formatTokenAmount(p.baseReserve, p.baseDecimals, shownDecimals(p.baseSymbol)) + " " + QString::fromStdString(p.baseSymbol),
         true, text, exactWei(p.baseReserve));
    cell(pools_, row, 3, formatTokenAmount(p.quoteReserve, p.quoteDecimals, shownDecimals(p.quoteSymbol)) + " " + QString::fromStdString(p.quoteSymbol),
         true, text, exactWei(p.quoteReserve));
    // The rolling day by block time; a chain younger than a day (or logs the node would not give)
    // covers less, and the cell says since when.
    const bool fullDay = p.dayCoveredFrom > 0 && p.dayAt - p.dayCoveredFrom >= evm::RollingVolume::kDay - 60'000'000'000;
    const QString since = p.dayCoveredFrom > 0 && !fullDay
                              ? " since " + QDateTime::fromMSecsSinceEpoch(p.dayCoveredFrom / 1'000'000, QTimeZone::utc()).toString("HH:mm")
                              : QString();
    cell(pools_, row, 4, formatTokenAmount(p.dayBaseVolume, p.baseDecimals, 4) + " " + QString::fromStdString(p.baseSymbol) + since, true, text,
         QString("%1 %2 against %3 %4 in the last 24 h by block time%5; %6 %2 since Kappa started following")
             .arg(formatTokenAmount(p.dayBaseVolume, p.baseDecimals, 4), QString::fromStdString(p.baseSymbol),
                  formatTokenAmount(p.dayQuoteVolume, p.quoteDecimals, 2), QString::fromStdString(p.quoteSymbol),
                  since.isEmpty() ? QString() : " (the chain's logs read cover only" + since + " UTC)",
                  formatTokenAmount(p.baseVolume, p.baseDecimals, 4)));
    cell(pools_, row, 5, QString::number(p.daySwaps), true, text);
    QString last = "—";
    QColor lastColor = dim;
    if (p.lastTrade) {
      last = QString("%1 %2 @ %3")
                 .arg(p.lastTrade->aggressor == Side::Buy ? "Buy" : "Sell", formatTokenAmount(p.lastTrade->base, p.baseDecimals, 4),
                      inst ? formatPrice(*inst, p.lastTrade->price) : QString::number(toDouble(p.lastTrade->price)));
      lastColor = stale_ ? colors::stale : (p.lastTrade->aggressor == Side::Buy ? colors::bid : colors::ask);
    }
    cell(pools_, row, 6, last, false, lastColor, p.lastTrade ? QString("Block %1").arg(p.lastTrade->block) : QString());
  }
}

}  // namespace kappa::ui::onchain
