#include "onchain/BlockStrip.hpp"

#include <QHBoxLayout>
#include <QLabel>

#include "Format.hpp"
#include "PlotStyle.hpp"
#include "Theme.hpp"
#include "onchain/OnChainFormat.hpp"

namespace kappa::ui::onchain {

namespace {
QLabel* figure(const QString& name) {
  auto* l = new QLabel("—");
  l->setObjectName(name);
  l->setStyleSheet("font-family:monospace; font-size:13px;");
  return l;
}
QLabel* caption(const QString& text) {
  auto* l = new QLabel(text);
  l->setStyleSheet(QString("color:%1;").arg(colors::dimText.name()));
  return l;
}
}  // namespace

BlockStrip::BlockStrip(QWidget* parent) : QWidget(parent) {
  auto* h = new QHBoxLayout(this);
  h->setContentsMargins(6, 2, 6, 2);
  h->setSpacing(8);
  block_ = figure("blockNumber");
  age_ = figure("blockAge");
  baseFee_ = figure("baseFee");
  tip_ = figure("tip");
  h->addWidget(caption("Block"));
  h->addWidget(block_);
  h->addWidget(age_);
  h->addSpacing(10);
  h->addWidget(caption("Base fee"));
  h->addWidget(baseFee_);
  h->addSpacing(10);
  h->addWidget(caption("Tip"));
  h->addWidget(tip_);
  h->addSpacing(10);
  chart_ = new QCustomPlot;
  chart_->setObjectName("baseFeeChart");
  stylePlot(chart_);
  chart_->setFixedSize(220, 42);
  chart_->xAxis->setVisible(false);
  chart_->yAxis->setVisible(false);
  chart_->xAxis2->setVisible(false);
  chart_->yAxis2->setVisible(false);
  chart_->axisRect()->setAutoMargins(QCP::msNone);
  chart_->axisRect()->setMargins(QMargins(2, 3, 2, 3));
  chart_->addGraph();
  chart_->graph(0)->setPen(QPen(colors::last, 1.5));
  chart_->graph(0)->setBrush(QColor(colors::last.red(), colors::last.green(), colors::last.blue(), 40));
  chart_->setToolTip("Base fee of the last 60 blocks (gwei)");
  h->addWidget(chart_);
  auto* range = new QLabel;
  range->setObjectName("baseFeeRange");
  range->setStyleSheet(QString("color:%1; font-family:monospace; font-size:11px;").arg(colors::dimText.name()));
  h->addWidget(range);
  stale_ = new QLabel;
  stale_->setObjectName("chainStale");
  stale_->setStyleSheet(QString("color:%1; font-weight:bold;").arg(colors::ask.name()));
  h->addWidget(stale_);
  h->addStretch();
}

void BlockStrip::apply(const evm::EvmChainView& c, Nanos now, bool stale, const QString& why) {
  const QString textColor = (stale ? colors::stale : colors::text).name();
  for (QLabel* l : {block_, age_, baseFee_, tip_})
    l->setStyleSheet(QString("font-family:monospace; font-size:13px; color:%1;").arg(textColor));
  if (c.updatedAt == 0) {
    block_->setText("—");
    age_->setText(stale ? "" : "waiting for the first block…");
  } else {
    block_->setText(QString("#%1").arg(c.head));
    age_->setText(c.headTime ? "(" + formatAge(c.headTime, now) + " ago)" : "");
    age_->setToolTip(c.headTime ? "Block time " + formatUtcTime(c.headTime) + " UTC" : "");
    QString fee = formatGasPrice(c.baseFee);
    if (c.nextBaseFee != c.baseFee) fee += QString(" → next %1").arg(formatGasPrice(c.nextBaseFee));
    baseFee_->setText(fee);
    baseFee_->setToolTip(QString("Base fee of block %1: %2\nNext block: %3").arg(c.head).arg(exactWei(c.baseFee), exactWei(c.nextBaseFee)));
    tip_->setText(formatGasPrice(c.suggestedTip));
    tip_->setToolTip("Priority fee suggested: the median reward of recent blocks (the node's own suggestion when none paid one)");
  }
  stale_->setText(stale ? (c.updatedAt ? "STALE since " + formatUtcTime(c.updatedAt).left(8) + " UTC" : "NODE UNREACHABLE") : "");
  stale_->setToolTip(why);
  setToolTip(stale ? why : QString());

  const double last = c.baseFeeHistoryGwei.empty() ? -1 : c.baseFeeHistoryGwei.back();
  if (c.historyFirstBlock == plottedFirst_ && c.baseFeeHistoryGwei.size() == plottedCount_ && last == plottedLast_ && !stale) return;
  plottedFirst_ = c.historyFirstBlock;
  plottedCount_ = c.baseFeeHistoryGwei.size();
  plottedLast_ = last;
  QVector<double> x, y;
  double lo = 1e300, hi = 0;
  for (std::size_t i = 0; i < c.baseFeeHistoryGwei.size(); ++i) {
    x << double(c.historyFirstBlock + i);
    y << c.baseFeeHistoryGwei[i];
    lo = std::min(lo, c.baseFeeHistoryGwei[i]);
    hi = std::max(hi, c.baseFeeHistoryGwei[i]);
  }
  chart_->graph(0)->setData(x, y, true);
  chart_->graph(0)->setPen(QPen(stale ? colors::stale : colors::last, 1.5));
  if (!x.isEmpty()) {
    chart_->xAxis->setRange(x.front(), std::max(x.back(), x.front() + 1));
    const double pad = std::max((hi - lo) * 0.15, hi * 0.05 + 1e-9);
    chart_->yAxis->setRange(std::max(0.0, lo - pad), hi + pad);
    if (auto* range = findChild<QLabel*>("baseFeeRange"))
      range->setText(QString("%1 – %2\nlast %3 blocks").arg(formatGasPriceGwei(lo), formatGasPriceGwei(hi)).arg(x.size()));
  }
  chart_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace kappa::ui::onchain
