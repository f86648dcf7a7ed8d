#pragma once
// Candles with volume for the selected instrument, streamed with addData (only new or changed bars
// are touched per frame), own fills as markers, UTC time axis, horizontal zoom/pan with mouse and
// keys (+/-, ←/→, Home follows the latest bar again).
#include <QWidget>

#include "VenueNames.hpp"
#include "core/EngineSnapshot.hpp"

class QCustomPlot;
class QCPFinancial;
class QCPBars;
class QCPGraph;
class QCPItemText;
class QCPItemStraightLine;

namespace kappa::ui {

class ChartWidget : public QWidget {
  Q_OBJECT
 public:
  explicit ChartWidget(const InstrumentRegistry& instruments, QWidget* parent = nullptr);
  // The title says "venue:name" where two venues list the name.
  void setVenues(VenueNames venues) { venues_ = std::move(venues); }
  void setInstrument(InstrumentId id);
  void apply(const EngineSnapshot& snapshot);
  // Draw now (the frame loop calls this so that the cost is measured inside the frame).
  void replotNow();
  int candleCount() const;
  // The words shown instead of a chart before the instrument's first trade ("" once there are bars).
  QString emptyText() const;
  // The crosshair's time/price readout while the mouse is over the plot, else empty.
  QString crosshairText() const;

 protected:
  void keyPressEvent(QKeyEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void showCarried(bool carried);
  void follow();

  const InstrumentRegistry& instruments_;
  VenueNames venues_;
  QCustomPlot* plot_ = nullptr;
  QCPFinancial* candles_ = nullptr;
  QCPBars* volume_ = nullptr;
  QCPGraph* buys_ = nullptr;
  QCPGraph* sells_ = nullptr;
  QCPItemStraightLine* lastLine_ = nullptr;
  QCPItemText* title_ = nullptr;
  QCPItemText* empty_ = nullptr;  // "No trades yet": shown, with no axis labels, until the first bar
  void showEmpty(bool empty);
  QString titleText_;   // the instrument and the bar length
  bool carried_ = true;  // the snapshots carry this instrument's candles
  // Crosshair with a time/price readout, following the mouse.
  QCPItemStraightLine* crossH_ = nullptr;
  QCPItemStraightLine* crossV_ = nullptr;
  QCPItemText* readout_ = nullptr;
  InstrumentId instrument_ = kNoInstrument;
  double lastBarKey_ = 0;
  std::uint64_t lastFillSeq_ = 0;
  bool following_ = true;
  bool dirty_ = false;
};

}  // namespace kappa::ui
