#pragma once
// Price ladder (DOM): one row per tick, centred on demand, columns
//   own bids | bid size | price | ask size | own asks
// with proportional size bars, best bid/ask emphasised, the last trade marked and the user's
// working orders at their prices. Click a bid cell to buy at that price, an ask cell to sell,
// an own-order cell to cancel the orders there. Space re-centres, wheel/arrows scroll,
// Esc cancels every order on the instrument.
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

  // Geometry, for tests and accessibility: centre of the cell of `price` in `column`, or a null
  // point if that price is not on screen.
  QPoint cellCenter(Column column, Price price) const;
  int visibleRows() const;
  Price priceAtRow(int row) const;
  Price bestBid() const { return bestBid_; }
  Price bestAsk() const { return bestAsk_; }

 signals:
  void orderClicked(kappa::Side side, kappa::Price price);
  void cancelClicked(QVector<kappa::OrderId> orders);
  void cancelAllClicked();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
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
  void scrollTicks(std::int64_t ticks);

  const InstrumentRegistry& instruments_;
  InstrumentId instrument_ = kNoInstrument;
  Price tick_ = 1;
  std::int64_t centerTick_ = 0;
  bool centered_ = false;
  QHash<Price, Qty> bids_, asks_;
  QHash<Price, Own> own_;
  Price bestBid_ = 0, bestAsk_ = 0, lastPrice_ = 0;
  Side lastSide_ = Side::Buy;
  BookStatus status_ = BookStatus::Empty;
  StaleReason staleReason_ = StaleReason::NoSnapshot;
  bool haveDepth_ = false;
};

}  // namespace kappa::ui
