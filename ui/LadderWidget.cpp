#include "LadderWidget.hpp"

#include <QFontDatabase>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>
#include <algorithm>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
constexpr double kColumnWeights[] = {0.17, 0.22, 0.22, 0.22, 0.17};
}

LadderWidget::LadderWidget(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);  // to know whether the pointer is over the ladder (no re-centre then)
  setMinimumSize(300, 200);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setToolTip("Click bid side: buy limit at that price · ask side: sell · own order: cancel it\n"
             "Space: re-centre · Wheel/↑/↓/PgUp/PgDn: scroll · +/-: more/fewer ticks per row\n"
             "Esc: cancel all orders on this instrument\n"
             "The prices stay put while the pointer is over the ladder");
}

void LadderWidget::setInstrument(InstrumentId id) {
  if (id == instrument_) return;
  instrument_ = id;
  tick_ = id < instruments_.size() ? std::max<Price>(1, instruments_[id].tickSize) : 1;
  group_ = 0;  // chosen from the first book (chooseGroup)
  rowStep_ = tick_;
  centered_ = false;
  scrolledAway_ = false;
  painted_ = false;
  paintedOwn_.clear();
  haveDepth_ = false;
  bids_.clear();
  asks_.clear();
  own_.clear();
  bestBid_ = bestAsk_ = lastPrice_ = 0;
  update();
}

int LadderWidget::visibleRows() const { return std::max(1, (height() - headerHeight()) / rowHeight()); }

Price LadderWidget::priceAtRow(int row, std::int64_t centerRow) const {
  const int mid = visibleRows() / 2;
  return Price(centerRow + (mid - row)) * rowStep_;
}

Price LadderWidget::priceAtRow(int row) const { return priceAtRow(row, centerRow_); }

Price LadderWidget::drawnPriceAt(QPoint pos) const {
  const int row = rowAt(pos.y());
  if (!painted_ || row < 0) return 0;
  return priceAtRow(row, paintedCenterRow_);
}

bool LadderWidget::onScreen(Price price) const {
  const std::int64_t row = visibleRows() / 2 - (price / rowStep_ - centerRow_);
  return row >= 0 && row < visibleRows();
}

int LadderWidget::insideOffScreen() const {
  const Price bid = bestBid_, ask = bestAsk_;
  if (!bid && !ask) return 0;
  if ((bid && onScreen(bid)) || (ask && onScreen(ask))) return 0;
  const Price ref = bid ? bid : ask;
  return ref / rowStep_ > centerRow_ ? 1 : -1;
}

int LadderWidget::rowAt(int y) const {
  if (y < headerHeight()) return -1;
  const int row = (y - headerHeight()) / rowHeight();
  return row < visibleRows() ? row : -1;
}

QRect LadderWidget::cellRect(int row, Column column) const {
  double x = 0;
  for (int c = 0; c < column; ++c) x += kColumnWeights[c] * width();
  const int w = int(kColumnWeights[column] * width());
  return QRect(int(x), headerHeight() + row * rowHeight(), w, rowHeight());
}

LadderWidget::Column LadderWidget::columnAt(int x) const {
  double edge = 0;
  for (int c = 0; c < ColumnCount; ++c) {
    edge += kColumnWeights[c] * width();
    if (x < edge) return Column(c);
  }
  return OwnAsk;
}

QPoint LadderWidget::cellCenter(Column column, Price price) const {
  if (!painted_ || rowStep_ <= 0 || price % tick_ != 0) return {};
  const Price at = column == OwnAsk || column == AskSize ? askRow(price) : bidRow(price);
  const std::int64_t row = visibleRows() / 2 - (at / rowStep_ - paintedCenterRow_);
  if (row < 0 || row >= visibleRows()) return {};
  return cellRect(int(row), column).center();
}

Qty LadderWidget::drawnOwnQty(Side side, Price price) const {
  const auto it = paintedOwn_.constFind(side == Side::Buy ? bidRow(price) : askRow(price));
  if (it == paintedOwn_.constEnd()) return 0;
  return side == Side::Buy ? it->buyQty : it->sellQty;
}

Price LadderWidget::bidRow(Price price) const {
  if (rowStep_ <= 1) return price;
  const Price r = price >= 0 ? price / rowStep_ : -((-price + rowStep_ - 1) / rowStep_);
  return r * rowStep_;
}

Price LadderWidget::askRow(Price price) const {
  const Price down = bidRow(price);
  return down == price ? price : down + rowStep_;
}

// The nice numbers of ticks per row a trader steps through with + and -: 1, 2, 5, 10, 20, 50, ...
static std::int64_t niceStep(std::int64_t n, bool up) {
  std::int64_t best = 1;
  for (std::int64_t decade = 1; decade <= 1'000'000'000; decade *= 10)
    for (std::int64_t m : {1, 2, 5}) {
      const std::int64_t v = m * decade;
      if (up && v > n) return v;
      if (!up && v < n) best = v;
    }
  return up ? n : best;
}

void LadderWidget::chooseGroup(const DepthView& depth) {
  // One row per tick, unless every level of a deep book lies many ticks from the next (an AMM
  // pool's curve cut into 0.1 % steps): then as many ticks per row as the nearest two levels are
  // apart, rounded down to 1, 2 or 5 x 10^k, so each level has its own row and the depth fits on
  // screen. A thin order book (an option quoted at two prices) keeps one tick a row: its trader
  // wants to improve the bid by a tick. Chosen once per instrument (rows that change their step
  // under the pointer would move the target); + and - change it.
  constexpr std::size_t kMinLevels = 10;
  constexpr std::int64_t kMinGapTicks = 20;
  std::int64_t gap = 0;
  auto scan = [&](const std::vector<Level>& levels) {
    for (std::size_t i = 1; i < levels.size(); ++i) {
      const std::int64_t g = std::llabs(levels[i].price - levels[i - 1].price) / tick_;
      if (g > 0 && (gap == 0 || g < gap)) gap = g;
    }
  };
  scan(depth.bids);
  scan(depth.asks);
  const bool curve = depth.bids.size() + depth.asks.size() >= kMinLevels && gap >= kMinGapTicks;
  group_ = curve ? niceStep(gap + 1, false) : 1;
  rowStep_ = tick_ * group_;
}

void LadderWidget::setGroup(std::int64_t ticksPerRow) {
  if (ticksPerRow < 1 || ticksPerRow == group_) return;
  group_ = ticksPerRow;
  rowStep_ = tick_ * group_;
  regroup();
  recenter();
}

void LadderWidget::regroup() {
  bids_.clear();
  asks_.clear();
  own_.clear();
  // Bids go to the row at or under their price, asks to the row at or over it: a row never shows a
  // better price than the levels it holds.
  for (const Level& l : rawBids_) bids_[bidRow(l.price)] += l.qty;
  for (const Level& l : rawAsks_) asks_[askRow(l.price)] += l.qty;
  for (const Order& o : rawOwn_) {
    Own& w = own_[o.request.side == Side::Buy ? bidRow(o.request.price) : askRow(o.request.price)];
    if (o.request.side == Side::Buy) {
      w.buyQty += o.leaves;
      w.buyIds.push_back(o.id);
    } else {
      w.sellQty += o.leaves;
      w.sellIds.push_back(o.id);
    }
  }
}

void LadderWidget::recenter() {
  Price mid = 0;
  if (bestBid_ && bestAsk_) mid = (bestBid_ + bestAsk_) / 2;
  else mid = bestBid_ ? bestBid_ : bestAsk_ ? bestAsk_ : lastPrice_;
  if (mid == 0 || rowStep_ <= 0) return;
  centerRow_ = mid / rowStep_;
  centered_ = true;
  scrolledAway_ = false;
  update();
}

void LadderWidget::setAutoCentre(bool on) {
  autoCentre_ = on;
  if (on && !pointerOver_) recenter();
}

void LadderWidget::setDataLateMs(double ms) {
  if (ms == lateMs_) return;
  lateMs_ = ms;
  update();
}

void LadderWidget::scrollRows(std::int64_t ticks) {
  if (ticks == 0) return;
  centerRow_ += ticks;
  scrolledAway_ = true;
  update();
}

void LadderWidget::apply(const EngineSnapshot& s) {
  if (instrument_ == kNoInstrument) return;
  const FocusedMarket* market = s.focusedOn(instrument_);
  if (!market) {
    // Not in this snapshot (the focus has just changed, or the engine carries it no more): say it
    // is loading, never go on showing a book that is no longer kept up to date.
    if (haveDepth_) {
      haveDepth_ = false;
      bestBid_ = bestAsk_ = 0;
      update();
    }
    return;
  }
  const DepthView& depth = market->depth;
  if (group_ == 0 && (!depth.bids.empty() || !depth.asks.empty())) chooseGroup(depth);
  rawBids_ = depth.bids;
  rawAsks_ = depth.asks;
  bestBid_ = depth.bids.empty() ? 0 : depth.bids.front().price;
  bestAsk_ = depth.asks.empty() ? 0 : depth.asks.front().price;
  status_ = depth.status;
  staleReason_ = depth.staleReason;
  haveDepth_ = true;
  if (!market->trades.empty()) {
    lastPrice_ = market->trades.back().price;
    lastSide_ = market->trades.back().aggressor;
  } else if (instrument_ < s.quotes.size()) {
    lastPrice_ = s.quotes[instrument_].last;
  }
  rawOwn_.clear();
  for (const Order& o : s.orders)
    if (o.request.instrument == instrument_ && isWorking(o.state) && o.request.type == OrderType::Limit) rawOwn_.push_back(o);
  regroup();
  // The rows must not move under a trader who is aiming: never re-centre while the pointer is over
  // the ladder, nor after a deliberate scroll (until Space/Centre). Otherwise re-centre when first
  // filled, when the best bid or ask has reached the outermost rows or left the screen (one side of
  // the book would be out of sight: that happens after a move of half a screen, not on every tick),
  // or — with auto-centre on — when the middle of the market has drifted a few rows from the centre.
  if (!centered_) {
    recenter();
  } else if (!pointerOver_ && !scrolledAway_) {
    const Price mid = bestBid_ && bestAsk_ ? (bestBid_ + bestAsk_) / 2 : bestBid_ ? bestBid_ : bestAsk_;
    const bool drifted = mid && std::llabs(mid / rowStep_ - centerRow_) > 2;
    constexpr std::int64_t kEdgeRows = 2;
    auto atEdge = [&](Price p) {
      const std::int64_t row = visibleRows() / 2 - (p / rowStep_ - centerRow_);
      return p && (row < kEdgeRows || row >= visibleRows() - kEdgeRows);
    };
    if (atEdge(bestBid_) || atEdge(bestAsk_) || (autoCentre_ && drifted)) recenter();
  }
  update();
}

void LadderWidget::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), colors::background);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(9.5);
  QFont bold = mono;
  bold.setBold(true);
  QFont header = font();
  header.setPointSizeF(8.5);

  static const char* titles[] = {"My bids", "Bid size", "Price", "Ask size", "My asks"};
  p.setFont(header);
  for (int c = 0; c < ColumnCount; ++c) {
    QRect r = cellRect(0, Column(c));
    r.moveTop(0);
    r.setHeight(headerHeight());
    p.fillRect(r, QColor(0x20, 0x25, 0x2e));
    p.setPen(colors::dimText);
    QString title = titles[c];
    if (c == PriceCol && group_ > 1 && instrument_ < instruments_.size())
      title = QString("Price (%1)").arg(formatPrice(instruments_[instrument_], rowStep_));  // a row's step
    p.drawText(r, Qt::AlignCenter, p.fontMetrics().elidedText(title, Qt::ElideRight, r.width() - 4));
  }
  if (instrument_ == kNoInstrument || !haveDepth_) {
    p.setPen(colors::dimText);
    p.drawText(rect(), Qt::AlignCenter, instrument_ == kNoInstrument ? "Select an instrument" : "Loading the book…");
    return;
  }
  const Instrument& inst = instruments_[instrument_];
  const int rows = visibleRows();
  paintedCenterRow_ = centerRow_;
  paintedOwn_ = own_;
  painted_ = true;
  Qty maxQty = 1;
  for (int r = 0; r < rows; ++r) {
    const Price price = priceAtRow(r);
    maxQty = std::max({maxQty, bids_.value(price, 0), asks_.value(price, 0)});
  }
  for (int r = 0; r < rows; ++r) {
    const Price price = priceAtRow(r);
    if (price <= 0) continue;
    const Qty bq = bids_.value(price, 0);
    const Qty aq = asks_.value(price, 0);
    const bool isBestBid = bestBid_ && price == bidRow(bestBid_), isBestAsk = bestAsk_ && price == askRow(bestAsk_);
    const bool inSpread = bestBid_ && bestAsk_ && price > bidRow(bestBid_) && price < askRow(bestAsk_);
    const QColor rowBg = (r % 2) ? QColor(0x14, 0x17, 0x1d) : colors::background;
    for (int c = 0; c < ColumnCount; ++c) p.fillRect(cellRect(r, Column(c)), rowBg);
    if (inSpread) p.fillRect(cellRect(r, PriceCol), QColor(0x1c, 0x22, 0x2b));

    // Size bars: bids grow leftwards from the price column, asks rightwards.
    if (bq > 0) {
      QRect cell = cellRect(r, BidSize);
      const int w = int(double(cell.width() - 2) * double(bq) / double(maxQty));
      p.fillRect(QRect(cell.right() - w, cell.top() + 1, w, cell.height() - 2), isBestBid ? colors::bid.darker(160) : colors::bidBar);
      p.setFont(isBestBid ? bold : mono);
      p.setPen(isBestBid ? colors::text : colors::bid);
      p.drawText(cell.adjusted(4, 0, -4, 0), Qt::AlignRight | Qt::AlignVCenter, formatQty(inst, bq));
    }
    if (aq > 0) {
      QRect cell = cellRect(r, AskSize);
      const int w = int(double(cell.width() - 2) * double(aq) / double(maxQty));
      p.fillRect(QRect(cell.left() + 1, cell.top() + 1, w, cell.height() - 2), isBestAsk ? colors::ask.darker(160) : colors::askBar);
      p.setFont(isBestAsk ? bold : mono);
      p.setPen(isBestAsk ? colors::text : colors::ask);
      p.drawText(cell.adjusted(4, 0, -4, 0), Qt::AlignLeft | Qt::AlignVCenter, formatQty(inst, aq));
    }
    // Price column.
    QRect pc = cellRect(r, PriceCol);
    if (isBestBid) p.fillRect(pc, colors::bid.darker(220));
    if (isBestAsk) p.fillRect(pc, colors::ask.darker(220));
    p.setFont(isBestBid || isBestAsk ? bold : mono);
    p.setPen(bq > 0 ? colors::bid.lighter(120) : aq > 0 ? colors::ask.lighter(120) : colors::dimText);
    if (isBestBid || isBestAsk) p.setPen(colors::text);
    p.drawText(pc, Qt::AlignCenter, formatPrice(inst, price));
    if (lastPrice_ && price == bidRow(lastPrice_)) {
      p.setPen(QPen(colors::last, 2));
      p.setBrush(Qt::NoBrush);
      p.drawRect(pc.adjusted(1, 1, -2, -2));
      p.setBrush(colors::last);
      const int y = pc.center().y();
      const QPoint tri[] = {{pc.left() + 3, y - 4}, {pc.left() + 3, y + 4}, {pc.left() + 9, y}};
      p.setPen(Qt::NoPen);
      p.drawPolygon(tri, 3);
      p.setBrush(Qt::NoBrush);
    }
    // Own working orders.
    auto it = own_.constFind(price);
    if (it != own_.constEnd()) {
      auto drawOwn = [&](Column column, Qty qty, Qt::Alignment align) {
        const QRect cell = cellRect(r, column).adjusted(2, 1, -2, -1);
        p.fillRect(cell, colors::own.darker(170));
        p.setPen(colors::own.lighter(140));
        p.drawRect(cell.adjusted(0, 0, -1, -1));
        p.setFont(bold);
        p.setPen(colors::text);
        p.drawText(cell.adjusted(3, 0, -3, 0), align | Qt::AlignVCenter, formatQty(inst, qty));
      };
      if (it->buyQty > 0) drawOwn(OwnBid, it->buyQty, Qt::AlignRight);
      if (it->sellQty > 0) drawOwn(OwnAsk, it->sellQty, Qt::AlignLeft);
    }
  }
  // Column separators.
  p.setPen(colors::grid);
  for (int c = 1; c < ColumnCount; ++c) {
    const int x = cellRect(0, Column(c)).left();
    p.drawLine(x, 0, x, height());
  }
  // Late data is said on the ladder itself, where the trader is looking, not only in the status bar.
  const int bandHeight = rowHeight() + 4;
  if (lateMs_ > 0) {
    const QRect band(0, headerHeight(), width(), bandHeight);
    p.fillRect(band, QColor(0x5a, 0x3a, 0x00));
    p.setPen(colors::text);
    p.setFont(bold);
    p.drawText(band, Qt::AlignCenter, QString("DATA %1 s LATE — the market may have moved").arg(lateMs_ / 1000.0, 0, 'f', 1));
  }
  // The inside market is off screen (scrolled away, or the pointer held the rows still): say where.
  if (const int where = insideOffScreen(); where != 0) {
    const QRect band = where > 0 ? QRect(0, headerHeight() + (lateMs_ > 0 ? bandHeight : 0), width(), bandHeight)
                     : QRect(0, height() - bandHeight, width(), bandHeight);
    p.fillRect(band, QColor(0x3a, 0x30, 0x10));
    p.setPen(colors::last);
    p.setFont(bold);
    p.drawText(band, Qt::AlignCenter, where > 0 ? QString("▲ market above — Space to centre")
                                                : QString("▼ market below — Space to centre"));
  }
  if (status_ == BookStatus::Stale) {
    QColor veil = colors::background;
    veil.setAlpha(170);
    p.fillRect(rect().adjusted(0, headerHeight(), 0, 0), veil);
    p.setPen(colors::last);
    p.setFont(bold);
    p.drawText(rect(), Qt::AlignCenter, QString("STALE — %1").arg(nameOf(staleReason_)));
  }
}

void LadderWidget::mousePressEvent(QMouseEvent* e) {
  setFocus(Qt::MouseFocusReason);
  if (e->button() != Qt::LeftButton || instrument_ == kNoInstrument || !haveDepth_) return;
  pointerOver_ = true;
  // The price and own orders the trader saw under the pointer, even if a snapshot arrived since.
  if (!painted_) return;
  const Price price = drawnPriceAt(e->position().toPoint());
  if (price <= 0) return;
  const Column col = columnAt(int(e->position().x()));
  const Own own = paintedOwn_.value(price);
  switch (col) {
    case OwnBid:
      if (!own.buyIds.isEmpty()) emit cancelClicked(own.buyIds);
      else emit orderClicked(Side::Buy, price);
      break;
    case BidSize: emit orderClicked(Side::Buy, price); break;
    case AskSize: emit orderClicked(Side::Sell, price); break;
    case OwnAsk:
      if (!own.sellIds.isEmpty()) emit cancelClicked(own.sellIds);
      else emit orderClicked(Side::Sell, price);
      break;
    case PriceCol:
    case ColumnCount: break;
  }
}

void LadderWidget::mouseMoveEvent(QMouseEvent* e) {
  pointerOver_ = rect().contains(e->position().toPoint());
  QWidget::mouseMoveEvent(e);
}

void LadderWidget::enterEvent(QEnterEvent* e) {
  pointerOver_ = true;
  QWidget::enterEvent(e);
}

void LadderWidget::leaveEvent(QEvent* e) {
  pointerOver_ = false;
  QWidget::leaveEvent(e);
}

// One notch (120 eighths of a degree) scrolls three rows, as text views do; high-resolution wheels
// and touchpads send smaller deltas, which add up until they make a row.
void LadderWidget::wheelEvent(QWheelEvent* e) {
  constexpr int kUnitsPerRow = 40;
  wheelRemainder_ += e->angleDelta().y();
  const int rows = wheelRemainder_ / kUnitsPerRow;
  wheelRemainder_ -= rows * kUnitsPerRow;
  scrollRows(rows);
  e->accept();
}

void LadderWidget::keyPressEvent(QKeyEvent* e) {
  switch (e->key()) {
    case Qt::Key_Space: recenter(); break;
    case Qt::Key_Up: scrollRows(1); break;
    case Qt::Key_Down: scrollRows(-1); break;
    case Qt::Key_PageUp: scrollRows(visibleRows() / 2); break;
    case Qt::Key_PageDown: scrollRows(-visibleRows() / 2); break;
    case Qt::Key_Escape: emit cancelAllClicked(); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: setGroup(niceStep(std::max<std::int64_t>(group_, 1), true)); break;
    case Qt::Key_Minus: setGroup(niceStep(std::max<std::int64_t>(group_, 1), false)); break;
    default: QWidget::keyPressEvent(e); return;
  }
  e->accept();
}

}  // namespace kappa::ui
