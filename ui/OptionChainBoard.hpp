#pragma once
// Option chain T-board: one tab per expiry ("28NOV26 · 4d"), and for the selected expiry one table
// with calls on the left, the strike in the centre and puts on the right:
//
//   Pos | Bid IV Bid Mark Ask Ask IV | Δ Γ Vega Θ | Strike | Θ Vega Γ Δ | Bid IV Bid Mark Ask Ask IV | Pos
//
// The sides mirror each other group by group (own position outermost, Greeks next to the strike);
// inside the quote block bid stays left of ask on both sides, so a click never lands on the wrong
// side by habit. ATM row (strike nearest the expiry's forward) highlighted, the in-the-money side
// lightly shaded, bids green, asks red, own positions in the blue accent.
//
// Click (or Enter on) a Bid cell: orderClicked(id, Sell, bid) — hit the bid. Ask cell:
// orderClicked(id, Buy, ask) — lift the offer. Prices come from the engine snapshot's quote rows
// (setQuotes), never from the analytics; the quantity is the board's own "Qty" box.
//
// Updates: apply() at <= 10 Hz (skips a repeated seq), setQuotes()/setPositions() at most once per
// frame; each emits at most one ranged dataChanged (a reset only when the row count changes).
#include <QWidget>
#include <utility>
#include <vector>

#include "analytics/ChainAnalytics.hpp"
#include "core/EngineSnapshot.hpp"

class QLabel;
class QLineEdit;
class QTabBar;
class QTableView;
class QModelIndex;

namespace kappa::ui {

namespace detail {
class ChainBoardModel;
}

class OptionChainBoard : public QWidget {
  Q_OBJECT
 public:
  enum Column {
    CallPos, CallBidIv, CallBid, CallMark, CallAsk, CallAskIv, CallMarkIv, CallVenueIv, CallIvDiff,
    CallDelta, CallGamma, CallVega, CallTheta,
    StrikeCol,
    PutTheta, PutVega, PutGamma, PutDelta,
    PutIvDiff, PutVenueIv, PutMarkIv, PutBidIv, PutBid, PutMark, PutAsk, PutAskIv, PutPos,
    ColumnCount
  };

  explicit OptionChainBoard(const InstrumentRegistry& instruments, QWidget* parent = nullptr);
  ~OptionChainBoard() override;

  void apply(const analytics::ChainAnalytics& a);
  // The engine snapshot's quote rows, indexed by instrument id: Bid/Ask display and click prices.
  void setQuotes(const std::vector<QuoteRow>& quotes);
  // Signed position per instrument (instrument units); instruments not listed are flat.
  void setPositions(const std::vector<std::pair<InstrumentId, double>>& positions);
  // The venue whose own mark IV is shown beside ours ("Deribit"); its columns appear only while
  // the chain carries that venue's marks (the simulator has none).
  void setVenueName(const QString& name);
  bool venueColumnsShown() const { return venueIvShown_; }

  QLineEdit* qtyEdit() const { return qty_; }
  QString qtyText() const;
  // A message line under the header (refused clicks, "order sent", ...).
  void showMessage(const QString& text, bool error);
  QLabel* messageLabel() const { return message_; }

  Nanos selectedExpiry() const;   // 0 before the first chain
  void selectExpiry(Nanos expiry);
  QTableView* table() const { return table_; }
  int atmRow() const;             // -1 if no rows
  int rowCount() const;
  // Acts as a click on (row, column) would; false if that cell is not clickable or has no price.
  bool activateCell(int row, int column);

 signals:
  void orderClicked(kappa::InstrumentId instrument, kappa::Side side, kappa::Price price);
  void expirySelected(qint64 expiry);

 protected:
  void resizeEvent(QResizeEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct ExpiryInfo {
    Nanos expiry = 0;
    double t = 0, forward = 0, atmVol = 0, rmse = 0;
    bool fromParity = false, butterfly = false;
    vol::SviFitStatus fitStatus = vol::SviFitStatus::BadInput;
    int quotesUsed = 0;
    QString code, dte;
  };
  void syncTabs();
  void onTabChanged(int index);
  void rebuildRows(bool scrollToAtm);
  void sizeColumns();  // widths from the header and sample values
  void fitColumns();   // hides Greek columns by priority when the board is narrow
  void updateHeader();
  int selectedIndex() const;

  const InstrumentRegistry& instruments_;
  detail::ChainBoardModel* model_ = nullptr;
  QTabBar* tabs_ = nullptr;
  QLabel* info_ = nullptr;
  QLabel* message_ = nullptr;
  QLineEdit* qty_ = nullptr;
  QTableView* table_ = nullptr;
  std::vector<ExpiryInfo> expiries_;
  Nanos selected_ = 0;
  std::uint64_t seq_ = 0;
  std::string underlying_;  // of the chain shown
  bool haveChain_ = false;
  bool venueIvShown_ = false;
  bool syncingTabs_ = false;
};

}  // namespace kappa::ui
