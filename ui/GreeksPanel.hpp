#pragma once
// Portfolio risk of the option book, from ChainAnalytics:
//  - positions table: instrument, qty, value (BTC), Δ (BTC), Γ, vega (USD/vol pt), theta (USD/day),
//    grouped by expiry with a "Σ expiry" row after each group, and the TOTAL pinned under it
//    (its own one-row table with the same columns, outside the scrolling area: never hidden);
//  - PnL vs spot: the pnlCurves ("now", "+7d", "expiry"), a zero line, the current index as a
//    dashed vertical line, legend, hover readout;
//  - scenario grid: rows = vol shifts (points), columns = spot shifts (%), for the day offset picked
//    in the "Horizon" box; cells = PnL in USD, green/red by sign with intensity by magnitude.
// Empty state when the book has no positions. apply() at <= 10 Hz skips a repeated seq.
#include <QWidget>
#include <vector>

#include "VenueNames.hpp"
#include "analytics/MarketAnalytics.hpp"
#include "core/EngineSnapshot.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QSplitter;
class QStackedWidget;
class QTableView;
class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;

namespace kappa::ui {

namespace detail {
class BookRiskModel;
class ScenarioGridModel;
}  // namespace detail

class GreeksPanel : public QWidget {
  Q_OBJECT
 public:
  explicit GreeksPanel(const InstrumentRegistry& instruments, QWidget* parent = nullptr);
  ~GreeksPanel() override;

  // One underlying's chain (the one the selector shows); `all`, when given, fills the line of
  // per-underlying totals and the USD total over every underlying.
  void apply(const analytics::ChainAnalytics& a, const analytics::MarketAnalytics* all = nullptr);
  QLabel* totalsLine() const { return totals_; }
  // Several venues: instruments named "venue:name" where two venues list the name, and a line of
  // each underlying's PnL across venues (coin and USD) with each venue's part.
  void setVenues(VenueNames venues);
  void applyVenuePnl(const EngineSnapshot& snapshot);
  QLabel* venuePnlLine() const { return venuePnl_; }

  int scenarioDayIndex() const;          // index into ChainAnalytics::scenarioDays
  void setScenarioDayIndex(int index);
  bool showingEmptyState() const;
  QTableView* positionsTable() const { return positions_; }
  // The book's TOTAL, pinned under the positions table (which scrolls): always on screen.
  QTableView* totalRow() const { return total_; }
  QTableView* scenarioTable() const { return grid_; }
  QSplitter* splitter() const { return split_; }  // for the main window's QSettings

 signals:
  // Enter or double-click on a position row (e.g. to focus the ladder on it).
  void instrumentActivated(kappa::InstrumentId instrument);

 private:
  void rebuildCurves();
  void rebuildGrid();
  void syncDayBox();
  void showTotals(const analytics::MarketAnalytics& all);

  const InstrumentRegistry& instruments_;
  QStackedWidget* stack_ = nullptr;
  QLabel* empty_ = nullptr;
  QLabel* status_ = nullptr;
  QLabel* totals_ = nullptr;
  QLabel* venuePnl_ = nullptr;
  VenueNames venues_;
  QSplitter* split_ = nullptr;
  detail::BookRiskModel* book_ = nullptr;
  detail::BookRiskModel* totalModel_ = nullptr;
  QTableView* positions_ = nullptr;
  QTableView* total_ = nullptr;
  QCustomPlot* pnl_ = nullptr;
  QCPItemStraightLine* zeroLine_ = nullptr;
  QCPItemStraightLine* indexLine_ = nullptr;
  QCPItemText* indexLabel_ = nullptr;
  QCPItemText* pnlEmpty_ = nullptr;
  std::vector<QCPGraph*> curves_;
  QComboBox* dayBox_ = nullptr;
  QCheckBox* allUnderlyings_ = nullptr;  // the grid summed over the underlyings (USD)
  detail::ScenarioGridModel* gridModel_ = nullptr;
  QTableView* grid_ = nullptr;

  // Copies of what the views need between analytics updates.
  std::vector<analytics::PnlCurve> pnlCurves_;
  std::vector<double> spotShifts_, volShifts_, days_;
  std::vector<analytics::Scenario> scenarios_;
  std::vector<analytics::Scenario> allScenarios_;  // MarketAnalytics::scenariosUsdTotal
  std::uint64_t allSeq_ = 0;
  double index_ = 0;
  std::uint64_t seq_ = 0;
  std::string underlying_;
  bool haveChain_ = false;
  bool syncingDays_ = false;
};

}  // namespace kappa::ui
