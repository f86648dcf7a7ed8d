#pragma once
// Price ladder (DOM): one row per tick (or per group of ticks when the book's levels lie far
// apart, e.g. an AMM pool's curve: + and - change it), centred on demand, columns
//   own bids | bid size | price | ask size | own asks
// with proportional size bars, best bid/ask emphasised, the last trade marked and the user's
// working orders at their prices. Click a bid cell to buy at that price, an ask cell to sell,
// an own-order cell to cancel the orders there. Space re-centres, wheel/arrows scroll by rows,
// Esc cancels every order on the instrument.
//
// The price column stays put while the trader works: it re-centres only on Space/Centre, when
// auto-centre is switched on, or when the best bid or ask reaches the outermost rows — and
// never while the pointer is over the ladder or after the trader scrolled away on purpose. A click
// acts on the price that was drawn under the pointer, not on a position computed afterwards.
#include <QHash>
#include <QVector>
#include <QWidget>

#include "core/EngineSnapshot.hpp"

namespace kappa::ui {

class LadderWidget : public QWidget {
  Q_OBJECT
 public:
  enum Column { OwnBid, BidSize, PriceCol, AskSize, OwnAsk, ColumnCount };

  explicit LadderWidget(const InstrumentRegistry& instruments, QWidget* parent = nullptr);

  void setInstrument(InstrumentId id);
  InstrumentId instrument() const { return instrument_; }
  void apply(const EngineSnapshot& snapshot);
  void recenter();
  // Keep the inside market centred as it moves (still never while the pointer is over the ladder).
  void setAutoCentre(bool on);
  // How late the shown market data is (ms; 0 = on time): above zero the ladder says so on its face.
  void setDataLateMs(double ms);
  double dataLateMs() const { return lateMs_; }
  bool autoCentre() const { return autoCentre_; }

  // Geometry, for tests and accessibility: centre of the cell where the last paint drew `price` in
  // `column`, or a null point if that price is not on screen.
  QPoint cellCenter(Column column, Price price) const;
  int visibleRows() const;
  Price priceAtRow(int row) const;
  // The price drawn at `pos` by the last paint (0 if none): what a click there acts on.
  Price drawnPriceAt(QPoint pos) const;
  // The own order quantity the last paint showed at `price` on `side` (0 if none).
  Qty drawnOwnQty(Side side, Price price) const;
  bool pointerOver() const { return pointerOver_; }
  // Where the inside market is relative to the rows on screen: 0 on screen, +1 above, -1 below.
  int insideOffScreen() const;
  // Ticks per row: 1 unless the book's levels lie many ticks apart (chooseGroup); + and - change it.
  std::int64_t ticksPerRow() const { return group_ == 0 ? 1 : group_; }
  void setGroup(std::int64_t ticksPerRow);
  Price bestBid() const { return bestBid_; }
  Price bestAsk() const { return bestAsk_; }
  // Whether it shows its instrument's book; false ("Loading the book…") while the snapshots do not
  // carry that instrument (just after a change of instrument), and no price is offered to click.
  bool hasBook() const { return haveDepth_; }

 signals:
  void orderClicked(kappa::Side side, kappa::Price price);
  void cancelClicked(QVector<kappa::OrderId> orders);
  void cancelAllClicked();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void enterEvent(QEnterEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  struct Own {
    Qty buyQty = 0, sellQty = 0;
    QVector<OrderId> buyIds, sellIds;
  };
  int rowHeight() const { return 15; }
  int headerHeight() const { return 20; }
  QRect cellRect(int row, Column column) const;
  int rowAt(int y) const;
  Column columnAt(int x) const;
  void scrollRows(std::int64_t ticks);
  Price priceAtRow(int row, std::int64_t centerRow) const;
  bool onScreen(Price price) const;
  // The row (its price) that shows a bid / an ask at `price`: at or under / at or over it.
  Price bidRow(Price price) const;
  Price askRow(Price price) const;
  void chooseGroup(const DepthView& depth);
  void regroup();  // bids_/asks_/own_ from the raw book and orders, by row

  const InstrumentRegistry& instruments_;
  InstrumentId instrument_ = kNoInstrument;
  Price tick_ = 1;      // the instrument's tick
  std::int64_t group_ = 1;  // ticks per row (0 = not chosen yet for this instrument)
  Price rowStep_ = 1;   // tick_ * group_: the price step from one row to the next
  std::int64_t centerRow_ = 0;
  bool centered_ = false;
  bool autoCentre_ = false;
  bool scrolledAway_ = false;  // the trader scrolled: no automatic re-centre until Space/Centre
  bool pointerOver_ = false;
  double lateMs_ = 0;
  int wheelRemainder_ = 0;     // angle delta not yet turned into rows (high-resolution wheels)
  // What the last paint showed: clicks act on these, not on state that changed since.
  std::int64_t paintedCenterRow_ = 0;
  bool painted_ = false;
  QHash<Price, Own> paintedOwn_;
  QHash<Price, Qty> bids_, asks_;
  QHash<Price, Own> own_;
  std::vector<Level> rawBids_, rawAsks_;  // the last snapshot's book, before grouping
  std::vector<Order> rawOwn_;             // our working limit orders on the instrument
  Price bestBid_ = 0, bestAsk_ = 0, lastPrice_ = 0;
  Side lastSide_ = Side::Buy;
  BookStatus status_ = BookStatus::Empty;
  StaleReason staleReason_ = StaleReason::NoSnapshot;
  bool haveDepth_ = false;
};

}  // namespace kappa::ui
