#include "ChartWidget.hpp"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "Format.hpp"
#include "PlotStyle.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
constexpr double kBarSeconds = double(CandleSeries::kInterval) / 1e9;
constexpr double kVisibleBars = 120;

}  // namespace

ChartWidget::ChartWidget(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  setFocusPolicy(Qt::StrongFocus);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  plot_ = new QCustomPlot(this);
  layout->addWidget(plot_);
  stylePlot(plot_);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->axisRect()->setRangeDrag(Qt::Horizontal);
  plot_->axisRect()->setRangeZoom(Qt::Horizontal);

  auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
  ticker->setDateTimeSpec(Qt::UTC);
  ticker->setDateTimeFormat("HH:mm:ss");
  plot_->xAxis->setTicker(ticker);
  plot_->xAxis->setLabel("UTC");
  plot_->yAxis->setVisible(false);
  plot_->yAxis2->setVisible(true);
  plot_->yAxis2->setTickLabels(true);

  // Volume on the left axis, scaled so bars use the bottom fifth of the plot.
  volume_ = new QCPBars(plot_->xAxis, plot_->yAxis);
  volume_->setWidth(kBarSeconds * 0.7);
  volume_->setPen(Qt::NoPen);
  volume_->setBrush(QColor(0x3d, 0x9b, 0xff, 70));
  candles_ = new QCPFinancial(plot_->xAxis, plot_->yAxis2);
  candles_->setChartStyle(QCPFinancial::csCandlestick);
  candles_->setWidth(kBarSeconds * 0.7);
  candles_->setTwoColored(true);
  candles_->setBrushPositive(colors::bid);
  candles_->setBrushNegative(colors::ask);
  candles_->setPenPositive(QPen(colors::bid));
  candles_->setPenNegative(QPen(colors::ask));

  buys_ = new QCPGraph(plot_->xAxis, plot_->yAxis2);
  buys_->setLineStyle(QCPGraph::lsNone);
  buys_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangle, colors::own, colors::own, 9));
  sells_ = new QCPGraph(plot_->xAxis, plot_->yAxis2);
  sells_->setLineStyle(QCPGraph::lsNone);
  sells_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, colors::last, colors::last, 9));

  lastLine_ = new QCPItemStraightLine(plot_);
  lastLine_->point1->setAxes(plot_->xAxis, plot_->yAxis2);
  lastLine_->point2->setAxes(plot_->xAxis, plot_->yAxis2);
  lastLine_->setPen(QPen(colors::last, 1, Qt::DashLine));

  // Before the first bar there is nothing to plot: no price line from the plot's default corner,
  // no 1970 times on the axis, but a word of why.
  empty_ = new QCPItemText(plot_);
  empty_->setPositionAlignment(Qt::AlignCenter);
  empty_->position->setType(QCPItemPosition::ptAxisRectRatio);
  empty_->position->setCoords(0.5, 0.55);
  empty_->setColor(colors::dimText);
  empty_->setText("No trades yet on this instrument: the chart starts at the first one");

  title_ = new QCPItemText(plot_);
  title_->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
  title_->position->setType(QCPItemPosition::ptAxisRectRatio);
  title_->position->setCoords(0.01, 0.01);
  title_->setColor(colors::text);
  QFont f = font();
  f.setPointSize(11);
  f.setBold(true);
  title_->setFont(f);

  const QPen crossPen(QColor(0x8a, 0x93, 0xa3), 1, Qt::DotLine);
  crossH_ = new QCPItemStraightLine(plot_);
  crossV_ = new QCPItemStraightLine(plot_);
  for (QCPItemStraightLine* l : {crossH_, crossV_}) {
    l->point1->setAxes(plot_->xAxis, plot_->yAxis2);
    l->point2->setAxes(plot_->xAxis, plot_->yAxis2);
    l->setPen(crossPen);
    l->setVisible(false);
  }
  readout_ = new QCPItemText(plot_);
  readout_->setPositionAlignment(Qt::AlignBottom | Qt::AlignLeft);
  readout_->position->setAxes(plot_->xAxis, plot_->yAxis2);
  readout_->setColor(colors::text);
  readout_->setBrush(QColor(0x1a, 0x1e, 0x25, 230));
  readout_->setPen(QPen(colors::grid));
  readout_->setPadding(QMargins(4, 2, 4, 2));
  readout_->setVisible(false);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  showEmpty(true);

  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this](const QCPRange& r) {
    // Dragging or zooming away from the latest bar stops auto-follow; Home resumes it.
    if (lastBarKey_ > 0 && r.upper < lastBarKey_ - kBarSeconds) following_ = false;
  });
}

void ChartWidget::showEmpty(bool empty) {
  empty_->setVisible(empty);
  lastLine_->setVisible(!empty);
  plot_->xAxis->setTickLabels(!empty);
  plot_->yAxis2->setTickLabels(!empty);
  dirty_ = true;
}

QString ChartWidget::emptyText() const { return empty_->visible() ? empty_->text() : QString(); }

int ChartWidget::candleCount() const { return candles_->data()->size(); }

QString ChartWidget::crosshairText() const { return readout_->visible() ? readout_->text() : QString(); }

void ChartWidget::setInstrument(InstrumentId id) {
  if (id == instrument_) return;
  instrument_ = id;
  candles_->data()->clear();
  volume_->data()->clear();
  buys_->data()->clear();
  sells_->data()->clear();
  lastBarKey_ = 0;
  lastFillSeq_ = 0;
  following_ = true;
  showEmpty(true);
  titleText_ = id < instruments_.size() ? venues_.display(instruments_, id) + "  ·  10 s" : QString();
  showCarried(true);
}

// The title says when the snapshots stop carrying this instrument (an attached engine full of
// other windows' instruments): the bars drawn are then history, not a live market.
void ChartWidget::showCarried(bool carried) {
  carried_ = carried;
  title_->setText(carried ? titleText_ : titleText_ + "  ·  not updating: the engine sends no data for it");
  title_->setColor(carried ? colors::text : colors::stale);
  dirty_ = true;
}

void ChartWidget::apply(const EngineSnapshot& s) {
  if (instrument_ == kNoInstrument) return;
  const FocusedMarket* market = s.focusedOn(instrument_);
  if (!market) {  // not in this snapshot (yet): the bars drawn are this instrument's, but not live
    if (carried_ && lastBarKey_ > 0) showCarried(false);
    return;
  }
  if (!carried_) showCarried(true);
  const std::vector<Candle>& bars = market->candles;
  // Stream: append bars newer than what we have; rewrite only the last (still forming) bar.
  for (const Candle& c : bars) {
    const double key = double(c.start) / 1e9;
    if (key < lastBarKey_) continue;
    if (key == lastBarKey_ && lastBarKey_ > 0) {
      candles_->data()->remove(key);
      volume_->data()->remove(key);
    }
    candles_->addData(key, c.open, c.high, c.low, c.close);
    volume_->addData(key, c.volume);
    lastBarKey_ = key;
    dirty_ = true;
  }
  for (const Fill& f : s.fills) {
    if (f.seq <= lastFillSeq_) continue;
    lastFillSeq_ = f.seq;
    if (f.instrument != instrument_) continue;
    (f.side == Side::Buy ? buys_ : sells_)->addData(double(f.ts) / 1e9, toDouble(f.price));
    dirty_ = true;
  }
  if (!bars.empty()) {
    if (empty_->visible()) showEmpty(false);
    const double close = bars.back().close;
    lastLine_->point1->setCoords(0, close);
    lastLine_->point2->setCoords(1, close);
  }
  if (dirty_ && following_) follow();
}

void ChartWidget::follow() {
  if (lastBarKey_ <= 0) return;
  const double upper = lastBarKey_ + kBarSeconds * 3;
  plot_->xAxis->setRange(upper - kBarSeconds * kVisibleBars, upper);
  // Fit the price axis to the visible candles, volume to the bottom fifth.
  bool found = false;
  const QCPRange pr = candles_->getValueRange(found, QCP::sdBoth, plot_->xAxis->range());
  if (found) {
    const double pad = std::max(pr.size() * 0.08, 1e-9);
    plot_->yAxis2->setRange(pr.lower - pad, pr.upper + pad);
  }
  const QCPRange vr = volume_->getValueRange(found, QCP::sdBoth, plot_->xAxis->range());
  plot_->yAxis->setRange(0, found && vr.upper > 0 ? vr.upper * 5 : 1);
}

void ChartWidget::replotNow() {
  if (!dirty_) return;
  dirty_ = false;
  plot_->replot(QCustomPlot::rpImmediateRefresh);
}

bool ChartWidget::eventFilter(QObject* watched, QEvent* e) {
  if (watched == plot_ && (e->type() == QEvent::MouseMove || e->type() == QEvent::Leave)) {
    const bool inside = e->type() == QEvent::MouseMove &&
                        plot_->axisRect()->rect().contains(static_cast<QMouseEvent*>(e)->position().toPoint());
    for (QCPAbstractItem* item : {static_cast<QCPAbstractItem*>(crossH_), static_cast<QCPAbstractItem*>(crossV_),
                                  static_cast<QCPAbstractItem*>(readout_)})
      item->setVisible(inside);
    if (inside) {
      const QPointF p = static_cast<QMouseEvent*>(e)->position();
      const double key = plot_->xAxis->pixelToCoord(p.x()), price = plot_->yAxis2->pixelToCoord(p.y());
      crossH_->point1->setCoords(0, price);
      crossH_->point2->setCoords(1, price);
      crossV_->point1->setCoords(key, 0);
      crossV_->point2->setCoords(key, 1);
      const QString priceText = instrument_ < instruments_.size() ? formatPrice(instruments_[instrument_], price)
                                                                   : QString::number(price, 'f', 2);
      readout_->setText(formatUtcTime(Nanos(key * 1e9)).left(8) + " UTC  " + priceText);
      readout_->position->setCoords(key, price);
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
  }
  return QWidget::eventFilter(watched, e);
}

void ChartWidget::keyPressEvent(QKeyEvent* e) {
  QCPRange r = plot_->xAxis->range();
  switch (e->key()) {
    case Qt::Key_Plus: case Qt::Key_Equal: plot_->xAxis->scaleRange(0.8, r.upper); break;
    case Qt::Key_Minus: plot_->xAxis->scaleRange(1.25, r.upper); break;
    case Qt::Key_Left: plot_->xAxis->moveRange(-r.size() * 0.1); following_ = false; break;
    case Qt::Key_Right: plot_->xAxis->moveRange(r.size() * 0.1); break;
    case Qt::Key_Home: following_ = true; follow(); break;
    default: QWidget::keyPressEvent(e); return;
  }
  dirty_ = true;
  replotNow();
  e->accept();
}

}  // namespace kappa::ui
