#pragma once
// Volatility views over the chain analytics:
//  - smile of the selected expiry: market bid/ask IV as vertical bars (OTM option per strike), mid
//    as dots, the fitted SVI slice as a line, butterfly-arbitrage k ranges shaded red; x axis
//    switchable between log-moneyness k = ln(K/F), strike and call delta; the calendar-arbitrage
//    findings in a line under it. Wheel/drag zoom; double-click re-fits the axes.
//  - surface heatmap of the analytics' surface (the newest good fit per expiry) over k in
//    [-0.5, 0.5] x expiry, with a labelled colour scale: each row is drawn only over its quoted k
//    range and a small margin, blank (hatched) beyond — extrapolated wings say nothing about the
//    market and flickered with every refit; expiries without a surface are skipped;
//  - ATM term structure: days to expiry vs ATM vol, one point per expiry.
// apply() at <= 10 Hz skips a repeated seq; each plot is replotted (queued) only when its data changed.
#include <QWidget>
#include <vector>

#include "analytics/ChainAnalytics.hpp"

class QComboBox;
class QLabel;
class QSplitter;
class QCustomPlot;
class QCPGraph;
class QCPErrorBars;
class QCPColorMap;
class QCPColorScale;
class QCPItemText;
class QCPItemRect;
class QCPItemStraightLine;

namespace kappa::ui {

class VolSurfaceView : public QWidget {
  Q_OBJECT
 public:
  enum class XAxisMode { LogMoneyness, Strike, Delta };

  explicit VolSurfaceView(const InstrumentRegistry& instruments, QWidget* parent = nullptr);

  void apply(const analytics::ChainAnalytics& a);
  // The venue whose own mark IVs are drawn on the smile beside the market's ("Deribit").
  void setVenueName(const QString& name);
  // Points of the venue's mark IV on the selected smile (0 when the venue sends none).
  int venueMarkPoints() const;

  Nanos selectedExpiry() const { return selected_; }  // 0 before the first chain
  void selectExpiry(Nanos expiry);
  XAxisMode xAxisMode() const { return mode_; }
  void setXAxisMode(XAxisMode mode);
  QString calendarText() const;
  // The heatmap as drawn: rows (nearest expiry first) and the IV % of the cell at k, NaN where the
  // cell is blank (beyond the quotes, or no value); for tests and readouts.
  int heatRows() const { return int(fitted_.size()); }
  QString heatRowLabel(int row) const;
  double heatCell(int row, double k) const;
  QCustomPlot* heatPlot() const { return heat_; }
  QCustomPlot* termPlot() const { return term_; }
  QSplitter* splitter() const { return split_; }  // for the main window's QSettings

 signals:
  void expirySelected(qint64 expiry);

 private:
  struct Expiry {
    Nanos expiry = 0;
    double t = 0, forward = 0, atmVol = 0, rmse = 0;
    vol::SviFitStatus status = vol::SviFitStatus::BadInput;
    vol::SviParams params;
    bool hasSurface = false;     // the analytics' surface (the newest good fit, held through failed ones)
    vol::SviParams surface;
    double kLo = 0, kHi = 0;     // log-moneyness range of the quotes (0, 0: none)
    std::vector<vol::KRange> butterfly;
    QString code, dte;
    bool usable() const;  // the fitted curve can be drawn
    bool onSurface() const;  // a heatmap row: a slice and quotes to say where it holds
    // The heatmap's slice: the surface (newest good fit), else this refresh's usable fit.
    const vol::SviParams& drawn() const { return hasSurface ? surface : params; }
    // The part of the heatmap row the quotes support: their k range and a small margin.
    double supportedLo() const;
    double supportedHi() const;
  };
  void syncExpiryCombo();
  void rebuildSmile();
  void rebuildSurface();
  void rebuildTerm();
  void updateCalendar(const analytics::ChainAnalytics& a);
  void fitSmileAxes(double xLo, double xHi, double yLo, double yHi);
  double xOf(const Expiry& e, double k, double vol) const;
  int selectedIndex() const;

  const InstrumentRegistry& instruments_;
  QComboBox* expiryBox_ = nullptr;
  QComboBox* axisBox_ = nullptr;
  QLabel* calendar_ = nullptr;
  QSplitter* split_ = nullptr;

  QCustomPlot* smile_ = nullptr;
  QCPGraph* mids_ = nullptr;
  QCPErrorBars* spread_ = nullptr;
  QCPGraph* bidTicks_ = nullptr;
  QCPGraph* askTicks_ = nullptr;
  QCPGraph* bidOnly_ = nullptr;
  QCPGraph* askOnly_ = nullptr;
  QCPGraph* venueMarks_ = nullptr;
  QString venueName_;
  QCPGraph* fit_ = nullptr;
  QCPItemStraightLine* atmLine_ = nullptr;
  QCPItemText* smileTitle_ = nullptr;
  QCPItemText* smileEmpty_ = nullptr;
  std::vector<QCPItemRect*> arbRects_;

  QCustomPlot* heat_ = nullptr;
  QCPColorMap* map_ = nullptr;
  QCPColorScale* scale_ = nullptr;
  QCPItemText* heatEmpty_ = nullptr;

  QCustomPlot* term_ = nullptr;
  QCPGraph* termLine_ = nullptr;
  QCPGraph* termFit_ = nullptr;
  QCPGraph* termMid_ = nullptr;
  QCPItemText* termEmpty_ = nullptr;

  std::vector<analytics::OptionAnalytics> options_;
  std::vector<Expiry> expiries_;
  std::vector<std::size_t> fitted_;           // indices into expiries_ of the heatmap rows
  std::vector<std::pair<double, int>> pick_;  // scratch: (strike, option index)
  Nanos selected_ = 0;
  XAxisMode mode_ = XAxisMode::LogMoneyness;
  std::uint64_t seq_ = 0;
  std::string underlying_;  // of the chain shown
  bool haveChain_ = false;
  bool smileAuto_ = true;     // axes follow the data until the user zooms or drags
  bool syncing_ = false;
};

}  // namespace kappa::ui
