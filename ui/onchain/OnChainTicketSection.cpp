#include "onchain/OnChainTicketSection.hpp"

#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

#include "Format.hpp"
#include "OrderTicket.hpp"
#include "Theme.hpp"
#include "onchain/OnChainFormat.hpp"
#include "onchain/SwapQuote.hpp"
#include "onchain/UsdPrices.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::ui::onchain {

namespace {
const char* kRows[][2] = {{"pay", "Pay"}, {"out", "Expected out"}, {"avg", "Avg price"}, {"impact", "Price impact"}, {"min", "Min out"}, {"gas", "Gas ≈"}, {"gasUsd", "Gas USD ≈"}};
QString sideName(Side s) { return s == Side::Buy ? "buy" : "sell"; }
}  // namespace

OnChainTicketSection::OnChainTicketSection(const InstrumentRegistry& instruments, const evm::EvmView& venue, OrderTicket& ticket,
                                           QWidget* parent)
    : QWidget(parent), instruments_(instruments), venue_(venue), ticket_(ticket) {
  setObjectName("onChainTicket");
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(0, 4, 0, 0);
  v->setSpacing(2);
  title_ = new QLabel("On-chain swap (Uniswap V2)");
  title_->setStyleSheet(QString("font-weight:bold; color:%1;").arg(colors::dimText.name()));
  v->addWidget(title_);
  auto* grid = new QGridLayout;
  grid->setHorizontalSpacing(6);
  grid->setVerticalSpacing(1);
  auto* buyHead = new QLabel("Buy");
  buyHead->setStyleSheet(QString("color:%1; font-weight:bold;").arg(colors::bid.name()));
  auto* sellHead = new QLabel("Sell");
  sellHead->setStyleSheet(QString("color:%1; font-weight:bold;").arg(colors::ask.name()));
  buyHead->setAlignment(Qt::AlignRight);
  sellHead->setAlignment(Qt::AlignRight);
  grid->addWidget(buyHead, 0, 1);
  grid->addWidget(sellHead, 0, 2);
  int row = 1;
  for (const auto& r : kRows) {
    auto* name = new QLabel(r[1]);
    name->setObjectName(QString("rowName-%1").arg(r[0]));
    name->setStyleSheet(QString("color:%1;").arg(colors::dimText.name()));
    grid->addWidget(name, row, 0);
    for (Side s : {Side::Buy, Side::Sell}) {
      auto* f = new QLabel("—");
      f->setObjectName(QString("%1-%2").arg(sideName(s), r[0]));
      f->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
      f->setStyleSheet("font-family:monospace;");
      grid->addWidget(f, row, s == Side::Buy ? 1 : 2);
    }
    ++row;
  }
  grid->setColumnStretch(1, 1);
  grid->setColumnStretch(2, 1);
  v->addLayout(grid);
  note_ = new QLabel;
  note_->setObjectName("onChainTicketNote");
  note_->setWordWrap(true);
  note_->setStyleSheet(QString("color:%1; font-size:11px;").arg(colors::dimText.name()));
  v->addWidget(note_);
  setMinimumHeight(sizeHint().height());  // never squeezed into overlapping rows by a short dock
  setVisible(false);
  timer_.setInterval(250);
  connect(&timer_, &QTimer::timeout, this, &OnChainTicketSection::refresh);
  connect(ticket_.qtyEdit(), &QLineEdit::textChanged, this, &OnChainTicketSection::refresh);
  timer_.start();
}

QLabel* OnChainTicketSection::figure(Side side, const QString& row) const {
  return findChild<QLabel*>(QString("%1-%2").arg(sideName(side), row));
}

void OnChainTicketSection::refresh() {
  const InstrumentId id = ticket_.instrument();
  const evm::EvmVenueSnapshot venue = venue_.snapshot();
  const bool ours = id < instruments_.size() && instruments_[id].venue == venue.venue && !venue.pools.empty();
  if (isVisible() != ours && (ours || !isHidden())) setVisible(ours);
  if (!ours) return;
  const std::vector<evm::EvmPoolView>& pools = venue.pools;
  const evm::EvmPoolView* pool = nullptr;
  for (const evm::EvmPoolView& p : pools)
    if (p.instrument == id) pool = &p;
  if (!pool) return;
  const evm::EvmChainView& chain = venue.chain;
  const UsdPrices usd(pools);
  Qty qty = 0;
  QString parseError;
  const bool qtyOk = parseFixed(ticket_.qtyEdit()->text(), qty, &parseError);
  const unsigned slippage = venue.slippageBps;
  if (QLabel* l = findChild<QLabel*>("rowName-min")) l->setText(QString("Min out (%1 %)").arg(double(slippage) / 100.0, 0, 'f', 2));
  const Instrument& inst = instruments_[id];
  QString note;
  for (Side s : {Side::Buy, Side::Sell}) {
    const SwapQuote q = quoteSwap(*pool, s, qtyOk ? qty : 0, slippage, chain, usd.native());
    auto set = [&](const char* row, const QString& text, const QString& tip = {}, const QColor& color = {}) {
      QLabel* l = figure(s, row);
      if (l->text() != text) l->setText(text);
      l->setToolTip(tip);
      l->setStyleSheet(QString("font-family:monospace; color:%1;").arg((color.isValid() ? color : colors::text).name()));
    };
    if (!q.error.empty()) {
      for (const auto& r : kRows) set(r[0], "—");
      note = qtyOk ? QString::fromStdString(q.error) : "Quantity " + parseError;
      continue;
    }
    const int inDec = q.inSymbol == "USDC" ? 2 : 4, outDec = q.outSymbol == "USDC" ? 2 : 4;
    set("pay", formatTokenAmountAdaptive(q.amountIn, q.inDecimals, inDec) + " " + QString::fromStdString(q.inSymbol), exactWei(q.amountIn));
    set("out", formatTokenAmountAdaptive(q.expectedOut, q.outDecimals, outDec) + " " + QString::fromStdString(q.outSymbol), exactWei(q.expectedOut));
    set("avg", formatPrice(inst, q.averagePrice), "Average price of the swap, the pool's 0.3 % fee included");
    const double impactPct = q.impact * 100;
    set("impact", QString::number(impactPct, 'f', 2) + " %", "How far the average price is from the pool's mid (fee included)",
        impactPct >= 1.0 ? colors::ask : impactPct >= 0.5 ? colors::last : QColor());
    set("min", formatTokenAmountAdaptive(q.minOut, q.outDecimals, outDec) + " " + QString::fromStdString(q.outSymbol),
        "amountOutMin signed into the swap: below it the Router reverts\n" + exactWei(q.minOut));
    const QString gasTip = QString("%1 gas × %2 (next base fee %3 + tip %4)")
                               .arg(q.gas)
                               .arg(formatGasPrice(q.gasPriceWei), formatGasPrice(chain.nextBaseFee), formatGasPrice(chain.suggestedTip));
    set("gas", QString::number(evm::tokenAmountToDouble(q.gasFeeWei, 18), 'f', 6) + " ETH", gasTip + "\n" + exactWei(q.gasFeeWei));
    set("gasUsd", q.gasFeeUsd ? formatUsd(*q.gasFeeUsd) : QString("—"), q.gasFeeUsd ? gasTip + ", in USD at the pools' mids" : "No pool prices ETH in USD");
  }
  if (note.isEmpty())
    note = pool->block ? QString("Block %1 · ~%2 gas (%3)")
                             .arg(pool->block)
                             .arg(formatMoney(double(chain.typicalSwapGas), 0).remove('+'))
                             .arg(chain.typicalSwapGas == 90'000 ? "typical swap" : "our last swap")
                       : QString("Waiting for the pool's reserves…");
  if (venue.state != VenueState::Connected)
    note = venue.state == VenueState::Disconnected && venue.stateDetail.find("figures as of") != std::string::npos
               ? QString::fromStdString(venue.stateDetail)  // the link's reason (RemoteEvmView)
               : "Node not answering: figures as of the last block seen";
  note_->setText(note);
}

}  // namespace kappa::ui::onchain
