#include "PlotStyle.hpp"

#include <cmath>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {

void styleAxis(QCPAxis* axis) {
  axis->setBasePen(QPen(colors::grid));
  axis->setTickPen(QPen(colors::grid));
  axis->setSubTickPen(QPen(colors::grid));
  axis->setTickLabelColor(colors::dimText);
  axis->setLabelColor(colors::dimText);
  axis->grid()->setPen(QPen(QColor(0x22, 0x27, 0x30), 1, Qt::DotLine));
  axis->grid()->setZeroLinePen(Qt::NoPen);
}

void stylePlot(QCustomPlot* plot) {
  plot->setBackground(colors::background);
  plot->setNotAntialiasedElements(QCP::aeAll);
  plot->setPlottingHints(QCP::phFastPolylines | QCP::phCacheLabels);
  plot->axisRect()->setBackground(colors::background);
  for (QCPAxis* a : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) styleAxis(a);
}

QString MoneyTicker::getTickLabel(double tick, const QLocale&, QChar, int) {
  return formatMoney(std::abs(tick) < 1e-9 ? 0.0 : tick, 0);
}

}  // namespace kappa::ui
