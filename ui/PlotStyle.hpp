#pragma once
// The dark QCustomPlot look shared by every chart (include only from .cpp files: qcustomplot.h is
// heavy to compile).
#include <qcustomplot.h>

namespace kappa::ui {

void styleAxis(QCPAxis* axis);
// Background, no antialiasing, fast polylines, all four axes styled.
void stylePlot(QCustomPlot* plot);

// Tick labels with thousands separators (USD strikes, spot, PnL); never "-0".
class MoneyTicker : public QCPAxisTicker {
 protected:
  QString getTickLabel(double tick, const QLocale& locale, QChar formatChar, int precision) override;
};

}  // namespace kappa::ui
