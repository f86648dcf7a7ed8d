#include "VolSurfaceView.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "Format.hpp"
#include "PlotStyle.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSurfaceKMin = -0.5, kSurfaceKMax = 0.5;
constexpr int kSurfaceKCells = 101;
constexpr int kCurvePoints = 241;



void styleLegend(QCustomPlot* plot, Qt::Alignment where) {
  plot->legend->setVisible(true);
  plot->legend->setBrush(QColor(0x1a, 0x1e, 0x25, 225));
  plot->legend->setBorderPen(QPen(colors::grid));
  plot->legend->setTextColor(colors::text);
  QFont f = plot->font();
  f.setPointSize(8);
  plot->legend->setFont(f);
  plot->axisRect()->insetLayout()->setInsetAlignment(0, where);
}

QCPItemText* makeText(QCustomPlot* plot, double rx, double ry, Qt::Alignment align, const QColor& color, int pt, bool bold) {
  auto* t = new QCPItemText(plot);
  t->position->setType(QCPItemPosition::ptAxisRectRatio);
  t->position->setCoords(rx, ry);
  t->setPositionAlignment(align);
  t->setTextAlignment(Qt::AlignLeft);
  t->setColor(color);
  QFont f = plot->font();
  f.setPointSize(pt);
  f.setBold(bold);
  t->setFont(f);
  return t;
}


// A short horizontal dash: the bid and ask ends of a bar.
QCPScatterStyle dash(const QColor& c) {
  QPainterPath p;
  p.moveTo(-5, 0);
  p.lineTo(5, 0);
  return QCPScatterStyle(p, QPen(c, 2), Qt::NoBrush, 6);
}


double callDeltaPct(double k, double vol, double t) {
  if (!(vol > 0) || !(t > 0)) return kNaN;
  const double s = vol * std::sqrt(t);
  const double d1 = (-k + 0.5 * s * s) / s;
  return 50.0 * std::erfc(-d1 / std::sqrt(2.0));
}
}  // namespace

bool VolSurfaceView::Expiry::usable() const {
  return (status == vol::SviFitStatus::Ok || status == vol::SviFitStatus::NotConverged) && vol::sviParamsValid(params) && t > 0;
}

bool VolSurfaceView::Expiry::onSurface() const {
  return ((hasSurface && vol::sviParamsValid(surface)) || usable()) && t > 0 && kHi > kLo;
}

// A tenth of the quoted width each side, at least 0.02: the fit is interpolation there, still.
double VolSurfaceView::Expiry::supportedLo() const { return kLo - std::max(0.02, 0.1 * (kHi - kLo)); }
double VolSurfaceView::Expiry::supportedHi() const { return kHi + std::max(0.02, 0.1 * (kHi - kLo)); }

VolSurfaceView::VolSurfaceView(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 4, 4, 4);
  v->setSpacing(3);

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel("Expiry"));
  expiryBox_ = new QComboBox;
  expiryBox_->setObjectName("volExpiry");
  expiryBox_->setMinimumContentsLength(18);
  expiryBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  expiryBox_->setToolTip("Expiry of the smile");
  bar->addWidget(expiryBox_);
  bar->addSpacing(12);
  bar->addWidget(new QLabel("x axis"));
  axisBox_ = new QComboBox;
  axisBox_->setObjectName("volXAxis");
  axisBox_->addItem("Log-moneyness k = ln(K/F)");
  axisBox_->addItem("Strike (USD)");
  axisBox_->addItem("Call delta (%)");
  axisBox_->setToolTip("Horizontal axis of the smile");
  bar->addWidget(axisBox_);
  bar->addStretch(1);
  v->addLayout(bar);

  split_ = new QSplitter(Qt::Vertical, this);
  split_->setObjectName("volSplitter");
  v->addWidget(split_, 1);

  // ---- smile ----
  auto* top = new QWidget(split_);
  auto* tv = new QVBoxLayout(top);
  tv->setContentsMargins(0, 0, 0, 0);
  tv->setSpacing(2);
  smile_ = new QCustomPlot(top);
  smile_->setObjectName("smilePlot");
  stylePlot(smile_);
  smile_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  smile_->setToolTip("Wheel zooms, drag pans, double-click re-fits the axes");
  smile_->yAxis->setLabel("IV %");
  smile_->addLayer("arbitrage", smile_->layer("grid"), QCustomPlot::limAbove);

  fit_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  fit_->setName("SVI fit");
  fit_->setLineStyle(QCPGraph::lsLine);
  fit_->setPen(QPen(colors::own, 2));
  mids_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  mids_->setName("Mid IV");
  mids_->setLineStyle(QCPGraph::lsNone);
  mids_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colors::text, colors::text, 5));
  spread_ = new QCPErrorBars(smile_->xAxis, smile_->yAxis);
  spread_->setName("Market bid–ask IV (OTM)");
  spread_->setDataPlottable(mids_);
  spread_->setErrorType(QCPErrorBars::etValueError);
  spread_->setPen(QPen(QColor(0x8a, 0x93, 0xa3, 200), 2));
  spread_->setWhiskerWidth(0);
  spread_->setSymbolGap(3);
  bidTicks_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  bidTicks_->setLineStyle(QCPGraph::lsNone);
  bidTicks_->setScatterStyle(dash(colors::bid));
  bidTicks_->removeFromLegend();
  askTicks_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  askTicks_->setLineStyle(QCPGraph::lsNone);
  askTicks_->setScatterStyle(dash(colors::ask));
  askTicks_->removeFromLegend();
  bidOnly_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  bidOnly_->setName("Bid IV only");
  bidOnly_->setLineStyle(QCPGraph::lsNone);
  bidOnly_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangle, colors::bid, 7));
  askOnly_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  askOnly_->setName("Ask IV only");
  askOnly_->setLineStyle(QCPGraph::lsNone);
  askOnly_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, colors::ask, 7));
  // The venue's own mark IV (Deribit's ticker): a cross where our fit and the market can be
  // compared with the exchange's valuation. In the legend only while the venue sends marks.
  venueMarks_ = new QCPGraph(smile_->xAxis, smile_->yAxis);
  venueMarks_->setName("Venue mark IV");
  venueMarks_->setLineStyle(QCPGraph::lsNone);
  venueMarks_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(colors::last, 1.5), Qt::NoBrush, 7));
  venueMarks_->removeFromLegend();
  styleLegend(smile_, Qt::AlignTop | Qt::AlignRight);

  atmLine_ = new QCPItemStraightLine(smile_);
  atmLine_->setPen(QPen(colors::dimText, 1, Qt::DashLine));
  atmLine_->setVisible(false);
  smileTitle_ = makeText(smile_, 0.01, 0.01, Qt::AlignTop | Qt::AlignLeft, colors::text, 10, true);
  smileEmpty_ = makeText(smile_, 0.5, 0.5, Qt::AlignCenter, colors::dimText, 11, false);
  smileEmpty_->setText("Waiting for the option chain…");
  tv->addWidget(smile_, 1);

  calendar_ = new QLabel("Calendar arbitrage: waiting for the option chain…");
  calendar_->setObjectName("calendarLabel");
  calendar_->setWordWrap(true);
  calendar_->setStyleSheet("color:#8a93a3;");
  tv->addWidget(calendar_);
  split_->addWidget(top);

  auto* bottom = new QSplitter(Qt::Horizontal, split_);
  bottom->setObjectName("volBottomSplitter");

  // ---- surface heatmap ----
  heat_ = new QCustomPlot(bottom);
  heat_->setObjectName("surfacePlot");
  stylePlot(heat_);
  heat_->setMouseTracking(true);
  heat_->xAxis->setLabel("k = ln(K/F)");
  heat_->xAxis->setRange(kSurfaceKMin, kSurfaceKMax);
  heat_->yAxis->setLabel("Expiry");
  heat_->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
  heat_->yAxis->setRangeReversed(true);  // nearest expiry on top, as in the chain's tabs
  // Blank cells (no quotes there) show a faint hatch: "nothing known", never a colour.
  heat_->axisRect()->setBackground(QBrush(QColor(0x2c, 0x32, 0x3c), Qt::BDiagPattern));
  heat_->yAxis->setLabelPadding(8);
  map_ = new QCPColorMap(heat_->xAxis, heat_->yAxis);
  map_->setInterpolate(false);
  map_->setTightBoundary(false);
  scale_ = new QCPColorScale(heat_);
  heat_->plotLayout()->addElement(0, 1, scale_);
  scale_->setType(QCPAxis::atRight);
  scale_->setBarWidth(12);
  scale_->axis()->setLabel("IV %");
  scale_->axis()->setLabelPadding(8);
  styleAxis(scale_->axis());
  map_->setColorScale(scale_);
  QCPColorGradient g;  // viridis-like: readable on a dark background, monotone in lightness
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
  g.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
  g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
  g.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
  g.setColorStopAt(1.0, QColor(0xfd, 0xe7, 0x25));
  g.setNanHandling(QCPColorGradient::nhTransparent);
  map_->setGradient(g);
  auto* margins = new QCPMarginGroup(heat_);
  heat_->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  scale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  heatEmpty_ = makeText(heat_, 0.5, 0.5, Qt::AlignCenter, colors::dimText, 10, false);
  heatEmpty_->setText("No fitted SVI slices yet");
  map_->setVisible(false);
  bottom->addWidget(heat_);

  // ---- ATM term structure ----
  term_ = new QCustomPlot(bottom);
  term_->setObjectName("termPlot");
  stylePlot(term_);
  term_->setMouseTracking(true);
  term_->xAxis->setLabel("Days to expiry");
  term_->yAxis->setLabel("ATM IV %");
  termLine_ = new QCPGraph(term_->xAxis, term_->yAxis);
  termLine_->setLineStyle(QCPGraph::lsLine);
  termLine_->setPen(QPen(colors::own, 2));
  termLine_->removeFromLegend();
  termFit_ = new QCPGraph(term_->xAxis, term_->yAxis);
  termFit_->setName("ATM vol (SVI)");
  termFit_->setLineStyle(QCPGraph::lsNone);
  termFit_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colors::own, colors::own, 7));
  termMid_ = new QCPGraph(term_->xAxis, term_->yAxis);
  termMid_->setName("ATM market mid (no fit)");
  termMid_->setLineStyle(QCPGraph::lsNone);
  termMid_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(colors::last, 1.5), QBrush(colors::background), 7));
  styleLegend(term_, Qt::AlignBottom | Qt::AlignRight);
  // The legend above the axes, its two entries stacked (side by side they made the plot so wide
  // that the heatmap beside it shrank): inside the axes it covered the points.
  term_->axisRect()->insetLayout()->take(term_->legend);
  term_->plotLayout()->insertRow(0);
  term_->plotLayout()->addElement(0, 0, term_->legend);
  term_->plotLayout()->setRowStretchFactor(0, 0.001);
  term_->plotLayout()->setRowSpacing(0);
  term_->legend->setRowSpacing(0);
  term_->legend->setBrush(Qt::NoBrush);
  term_->legend->setBorderPen(Qt::NoPen);
  term_->legend->setMargins(QMargins(4, 2, 4, 0));
  term_->legend->setLayer("legend");
  term_->yAxis->setLabelPadding(8);
  termEmpty_ = makeText(term_, 0.5, 0.5, Qt::AlignCenter, colors::dimText, 10, false);
  termEmpty_->setText("Waiting for the option chain…");
  bottom->addWidget(term_);
  bottom->setStretchFactor(0, 3);
  bottom->setStretchFactor(1, 2);
  bottom->setSizes({600, 400});  // 3:2 from the start, whatever the plots' size hints (the legend row widened the term plot's)

  split_->addWidget(bottom);
  split_->setStretchFactor(0, 3);
  split_->setStretchFactor(1, 2);

  connect(expiryBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (syncing_ || i < 0 || i >= int(expiries_.size())) return;
    if (expiries_[std::size_t(i)].expiry == selected_) return;
    selected_ = expiries_[std::size_t(i)].expiry;
    smileAuto_ = true;
    rebuildSmile();
    emit expirySelected(qint64(selected_));
  });
  connect(axisBox_, &QComboBox::currentIndexChanged, this, [this](int i) { setXAxisMode(XAxisMode(std::clamp(i, 0, 2))); });
  // Only a real drag or wheel zoom stops auto-ranging (axes also emit rangeChanged on their own,
  // e.g. when reversed or laid out); a double click resumes it.
  auto userMoved = [this] { smileAuto_ = false; };
  connect(smile_, &QCustomPlot::mouseWheel, this, userMoved);
  connect(smile_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    if (e->buttons() & Qt::LeftButton) smileAuto_ = false;
  });
  connect(smile_, &QCustomPlot::mouseDoubleClick, this, [this] {
    smileAuto_ = true;
    rebuildSmile();
  });

  // Hover readouts.
  connect(heat_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    const QPointF pos = e->position();
    if (fitted_.empty() || !heat_->axisRect()->rect().contains(pos.toPoint())) return QToolTip::hideText();
    const double k = heat_->xAxis->pixelToCoord(pos.x());
    const long row = std::lround(heat_->yAxis->pixelToCoord(pos.y()));
    if (k < kSurfaceKMin || k > kSurfaceKMax || row < 0 || row >= long(fitted_.size())) return QToolTip::hideText();
    const Expiry& x = expiries_[fitted_[std::size_t(row)]];
    const QString where = QString("%1 · %2\nk %3 (K ≈ %4)\n").arg(x.code, x.dte).arg(k, 0, 'f', 3).arg(formatMoney(x.forward * std::exp(k), 0));
    if (k < x.supportedLo() || k > x.supportedHi())
      return QToolTip::showText(e->globalPosition().toPoint(),
                                where + QString("no quotes here: quoted k %1 to %2").arg(x.kLo, 0, 'f', 3).arg(x.kHi, 0, 'f', 3), heat_);
    const double iv = vol::sviImpliedVol(x.drawn(), k, x.t);
    QString text = where + QString("IV %1%").arg(iv * 100.0, 0, 'f', 1);
    if (x.status != vol::SviFitStatus::Ok)
      text += x.hasSurface ? QString("\n(last good fit: this refresh's is %1)").arg(vol::nameOf(x.status))
                           : QString("\n(fit %1)").arg(vol::nameOf(x.status));
    QToolTip::showText(e->globalPosition().toPoint(), text, heat_);
  });
  connect(term_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    const QPointF pos = e->position();
    const Expiry* best = nullptr;
    double bestD = 12.0;  // pixels
    for (const Expiry& x : expiries_) {
      if (x.atmVol <= 0) continue;
      const double d = std::hypot(term_->xAxis->coordToPixel(x.t * 365.0) - pos.x(), term_->yAxis->coordToPixel(x.atmVol * 100.0) - pos.y());
      if (d < bestD) best = &x, bestD = d;
    }
    if (!best) return QToolTip::hideText();
    QToolTip::showText(e->globalPosition().toPoint(),
                       QString("%1 · %2\nATM %3% (%4)")
                           .arg(best->code, best->dte)
                           .arg(best->atmVol * 100.0, 0, 'f', 1)
                           .arg(best->usable() ? "SVI" : "market mid"),
                       term_);
  });
}

QString VolSurfaceView::calendarText() const { return calendar_->text(); }

int VolSurfaceView::selectedIndex() const {
  const int i = expiryBox_->currentIndex();
  return i >= 0 && i < int(expiries_.size()) ? i : -1;
}

void VolSurfaceView::selectExpiry(Nanos expiry) {
  for (std::size_t i = 0; i < expiries_.size(); ++i)
    if (expiries_[i].expiry == expiry) {
      expiryBox_->setCurrentIndex(int(i));
      return;
    }
  selected_ = expiry;  // picked up by the next apply
}

void VolSurfaceView::setXAxisMode(XAxisMode mode) {
  if (axisBox_->currentIndex() != int(mode)) {
    axisBox_->setCurrentIndex(int(mode));  // re-enters through currentIndexChanged
    return;
  }
  if (mode == mode_) return;
  mode_ = mode;
  smileAuto_ = true;
  rebuildSmile();
}

void VolSurfaceView::apply(const analytics::ChainAnalytics& a) {
  if (haveChain_ && a.seq == seq_ && a.underlying == underlying_) return;
  if (haveChain_ && a.underlying != underlying_) smileAuto_ = true;  // another underlying: rescale the smile
  haveChain_ = true;
  seq_ = a.seq;
  underlying_ = a.underlying;
  options_.assign(a.options.begin(), a.options.end());
  expiries_.resize(a.expiries.size());
  for (std::size_t i = 0; i < a.expiries.size(); ++i) {
    const analytics::ExpiryAnalytics& e = a.expiries[i];
    Expiry& x = expiries_[i];
    if (x.expiry != e.expiry || x.code.isEmpty()) x.code = QString::fromStdString(deribitExpiryCode(e.expiry));
    x.expiry = e.expiry;
    x.t = e.t;
    x.forward = e.forward;
    x.atmVol = e.atmVol;
    x.rmse = e.fit.rmse;
    x.status = e.fit.status;
    x.params = e.fit.params;
    x.hasSurface = e.hasSurface;
    x.surface = e.surface;
    x.kLo = e.quotedKMin;
    x.kHi = e.quotedKMax;
    x.butterfly.assign(e.butterfly.ranges.begin(), e.butterfly.ranges.end());
    x.dte = formatTimeToExpiry(e.expiry, a.computedAt, e.t);
  }
  syncExpiryCombo();
  rebuildSmile();
  rebuildSurface();
  rebuildTerm();
  updateCalendar(a);
}

void VolSurfaceView::syncExpiryCombo() {
  syncing_ = true;
  bool same = expiryBox_->count() == int(expiries_.size());
  for (int i = 0; same && i < expiryBox_->count(); ++i) same = expiryBox_->itemData(i).toLongLong() == expiries_[std::size_t(i)].expiry;
  if (!same) {
    const Nanos keep = selected_;
    expiryBox_->clear();
    int pick = 0;
    for (std::size_t i = 0; i < expiries_.size(); ++i) {
      expiryBox_->addItem(QString(), QVariant::fromValue<qlonglong>(expiries_[i].expiry));
      if (keep != 0 && expiries_[i].expiry <= keep) pick = int(i) + (expiries_[i].expiry < keep ? 1 : 0);
    }
    if (pick >= expiryBox_->count()) pick = expiryBox_->count() - 1;
    expiryBox_->setCurrentIndex(pick);
  }
  for (std::size_t i = 0; i < expiries_.size(); ++i) {
    const Expiry& x = expiries_[i];
    const QString text = x.code + QStringLiteral(" · ") + x.dte + (x.usable() ? QString() : QStringLiteral(" · no fit"));
    if (expiryBox_->itemText(int(i)) != text) expiryBox_->setItemText(int(i), text);
  }
  syncing_ = false;
  const int sel = selectedIndex();
  const Nanos now = sel >= 0 ? expiries_[std::size_t(sel)].expiry : 0;
  if (now != selected_) {
    selected_ = now;
    smileAuto_ = true;
    if (now != 0) emit expirySelected(qint64(now));
  }
}

double VolSurfaceView::xOf(const Expiry& e, double k, double vol) const {
  switch (mode_) {
    case XAxisMode::LogMoneyness: return k;
    case XAxisMode::Strike: return e.forward * std::exp(k);
    case XAxisMode::Delta: return callDeltaPct(k, vol, e.t);
  }
  return k;
}

void VolSurfaceView::fitSmileAxes(double xLo, double xHi, double yLo, double yHi) {
  if (!smileAuto_ || !(xHi > xLo) || !(yHi >= yLo)) return;
  const double xPad = (xHi - xLo) * 0.03;
  smile_->xAxis->setRange(xLo - xPad, xHi + xPad);
  const double yPad = std::max((yHi - yLo) * 0.08, 1.0);
  smile_->yAxis->setRange(std::max(0.0, yLo - yPad), yHi + yPad);
}

void VolSurfaceView::rebuildSmile() {
  for (QCPItemRect* r : arbRects_) r->setVisible(false);
  QVector<double> mk, mv, eMinus, ePlus, bk, bv, ak, av, bok, bov, aok, aov, fk, fv, vk, vv;
  const int sel = selectedIndex();

  smile_->xAxis->setRangeReversed(mode_ == XAxisMode::Delta);  // low strikes stay on the left
  if (mode_ == XAxisMode::Strike) {
    if (!qSharedPointerDynamicCast<MoneyTicker>(smile_->xAxis->ticker())) smile_->xAxis->setTicker(QSharedPointer<MoneyTicker>::create());
    smile_->xAxis->setLabel("Strike (USD)");
  } else {
    if (qSharedPointerDynamicCast<MoneyTicker>(smile_->xAxis->ticker())) smile_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    smile_->xAxis->setLabel(mode_ == XAxisMode::Delta ? "Call delta % (Black-76 at the fitted vol)" : "Log-moneyness k = ln(K/F)");
  }

  if (sel < 0) {
    for (QCPGraph* g : {mids_, bidTicks_, askTicks_, bidOnly_, askOnly_, fit_}) g->data()->clear();
    spread_->data()->clear();
    atmLine_->setVisible(false);
    smileTitle_->setText(QString());
    smileEmpty_->setText(haveChain_ ? "No listed expiries in the chain" : "Waiting for the option chain…");
    smileEmpty_->setVisible(true);
    smile_->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  const Expiry& e = expiries_[std::size_t(sel)];
  const bool usable = e.usable();
  auto volAt = [&](double k, double fallback) { return usable ? vol::sviImpliedVol(e.params, k, e.t) : fallback; };

  // One option per strike: the out-of-the-money one (k >= 0 call, k < 0 put), unless only the
  // other has a quote.
  pick_.clear();
  for (std::size_t i = 0; i < options_.size(); ++i)
    if (options_[i].expiryIndex == std::size_t(sel)) pick_.emplace_back(options_[i].strike, int(i));
  std::sort(pick_.begin(), pick_.end());
  struct Point {
    double x, bid, ask, mid, venue;
  };
  std::vector<Point> pts;
  pts.reserve(pick_.size());
  double kLo = std::numeric_limits<double>::infinity(), kHi = -kLo;
  double xLo = kLo, xHi = kHi, yLo = kLo, yHi = kHi;  // empty ranges: lo = +inf, hi = -inf
  auto widenX = [&](double x) { xLo = std::min(xLo, x), xHi = std::max(xHi, x); };
  auto widenY = [&](double y) { yLo = std::min(yLo, y), yHi = std::max(yHi, y); };
  for (std::size_t g = 0; g < pick_.size();) {
    std::size_t end = g;
    int best = -1, bestScore = -1;
    while (end < pick_.size() && std::abs(pick_[end].first - pick_[g].first) <= 1e-9 * std::max(1.0, pick_[g].first)) {
      const analytics::OptionAnalytics& o = options_[std::size_t(pick_[end].second)];
      const int score = (o.bidIv > 0 || o.askIv > 0 ? 2 : 0) + ((o.isCall ? o.k >= 0 : o.k < 0) ? 1 : 0);
      if (score > bestScore) best = pick_[end].second, bestScore = score;
      ++end;
    }
    g = end;
    const analytics::OptionAnalytics& o = options_[std::size_t(best)];
    if (bestScore < 2) continue;
    const double mid = o.bidIv > 0 && o.askIv > 0 ? (o.midIv > 0 ? o.midIv : 0.5 * (o.bidIv + o.askIv)) : 0.0;
    const double x = xOf(e, o.k, volAt(o.k, mid > 0 ? mid : std::max(o.bidIv, o.askIv)));
    if (!std::isfinite(x)) continue;
    pts.push_back({x, o.bidIv, o.askIv, mid, o.venueMarkIv});
    kLo = std::min(kLo, o.k), kHi = std::max(kHi, o.k);
    widenX(x);
    widenY(o.bidIv > 0 ? o.bidIv * 100 : o.askIv * 100);
    widenY(o.askIv > 0 ? o.askIv * 100 : o.bidIv * 100);
  }
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  for (const Point& p : pts) {
    if (p.venue > 0) vk.push_back(p.x), vv.push_back(p.venue * 100);
    if (p.bid > 0 && p.ask > 0) {
      mk.push_back(p.x);
      mv.push_back(p.mid * 100);
      eMinus.push_back(std::max(0.0, p.mid - p.bid) * 100);
      ePlus.push_back(std::max(0.0, p.ask - p.mid) * 100);
      bk.push_back(p.x), bv.push_back(p.bid * 100);
      ak.push_back(p.x), av.push_back(p.ask * 100);
    } else if (p.bid > 0) {
      bok.push_back(p.x), bov.push_back(p.bid * 100);
    } else {
      aok.push_back(p.x), aov.push_back(p.ask * 100);
    }
  }
  mids_->setData(mk, mv, true);
  spread_->setData(eMinus, ePlus);
  bidTicks_->setData(bk, bv, true);
  askTicks_->setData(ak, av, true);
  bidOnly_->setData(bok, bov, true);
  askOnly_->setData(aok, aov, true);
  venueMarks_->setData(vk, vv, true);
  if (vk.isEmpty())
    venueMarks_->removeFromLegend();  // both are no-ops when already so
  else if (!smile_->legend->hasItemWithPlottable(venueMarks_))
    venueMarks_->addToLegend();

  // The fitted slice over the quoted range, a little wider.
  if (usable) {
    const bool quoted = kHi >= kLo;
    const double width = quoted ? kHi - kLo : 0.0;
    const double a = quoted ? kLo - 0.15 * width - 0.02 : kSurfaceKMin;
    const double b = quoted ? kHi + 0.15 * width + 0.02 : kSurfaceKMax;
    fk.reserve(kCurvePoints);
    fv.reserve(kCurvePoints);
    for (int j = 0; j < kCurvePoints; ++j) {
      const double k = a + (b - a) * j / (kCurvePoints - 1);
      const double iv = vol::sviImpliedVol(e.params, k, e.t);
      const double x = xOf(e, k, iv);
      if (!std::isfinite(x)) continue;
      fk.push_back(x);
      fv.push_back(iv > 0 ? iv * 100 : kNaN);
      widenX(x);
      if (iv > 0 && (!quoted || (k >= kLo && k <= kHi))) widenY(iv * 100);
    }
    if (mode_ == XAxisMode::Delta) {
      std::reverse(fk.begin(), fk.end());
      std::reverse(fv.begin(), fv.end());
    }
    fit_->setPen(QPen(colors::own, 2, e.status == vol::SviFitStatus::Ok ? Qt::SolidLine : Qt::DashLine));
    fit_->setName(e.status == vol::SviFitStatus::Ok ? "SVI fit" : "SVI fit (not converged)");

    // Butterfly arbitrage: shade the k ranges where the slice's density is negative.
    for (std::size_t j = 0; j < e.butterfly.size(); ++j) {
      if (j == arbRects_.size()) {
        auto* r = new QCPItemRect(smile_);
        r->setLayer("arbitrage");
        r->setPen(Qt::NoPen);
        r->setBrush(QColor(0xf0, 0x4b, 0x5a, 50));
        r->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
        r->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        r->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
        r->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        arbRects_.push_back(r);
      }
      const vol::KRange& kr = e.butterfly[j];
      const double x1 = xOf(e, kr.kFrom, vol::sviImpliedVol(e.params, kr.kFrom, e.t));
      const double x2 = xOf(e, kr.kTo, vol::sviImpliedVol(e.params, kr.kTo, e.t));
      if (!std::isfinite(x1) || !std::isfinite(x2)) continue;
      arbRects_[j]->topLeft->setCoords(x1, 0.0);
      arbRects_[j]->bottomRight->setCoords(x2, 1.0);
      arbRects_[j]->setVisible(true);
    }
  }
  fit_->setData(fk, fv, true);

  const double atmX = xOf(e, 0.0, volAt(0.0, e.atmVol));
  atmLine_->setVisible(std::isfinite(atmX));
  if (std::isfinite(atmX)) {
    atmLine_->point1->setCoords(atmX, 0);
    atmLine_->point2->setCoords(atmX, 1);
  }

  QString title = QString("%1 %2 · %3 · F %4 · ATM %5%")
                      .arg(QString::fromStdString(underlying_.empty() ? std::string("BTC") : underlying_), e.code, e.dte,
                           formatMoney(e.forward, e.forward < 1000 ? 2 : 0))
                      .arg(e.atmVol * 100.0, 0, 'f', 1);
  if (usable)
    title += QString(" · SVI %1, rmse %2 pt").arg(vol::nameOf(e.status)).arg(e.rmse * 100.0, 0, 'f', 2);
  else
    title += QString(" · no SVI fit (%1)").arg(vol::nameOf(e.status));
  if (usable && !e.butterfly.empty()) title += " · butterfly arbitrage shaded";
  smileTitle_->setText(title);
  smileTitle_->setColor(usable && !e.butterfly.empty() ? colors::ask : colors::text);

  const bool empty = pts.empty() && fk.isEmpty();
  smileEmpty_->setVisible(empty);
  if (empty) smileEmpty_->setText(QString("No quotes with an implied vol for %1").arg(e.code));
  fitSmileAxes(xLo, xHi, yLo, yHi);
  smile_->replot(QCustomPlot::rpQueuedReplot);
}

QString VolSurfaceView::heatRowLabel(int row) const {
  if (row < 0 || row >= int(fitted_.size())) return {};
  const Expiry& x = expiries_[fitted_[std::size_t(row)]];
  return x.code + QStringLiteral(" ") + x.dte;
}

double VolSurfaceView::heatCell(int row, double k) const {
  if (row < 0 || row >= int(fitted_.size()) || !map_->visible()) return kNaN;
  int i = 0, j = 0;
  map_->data()->coordToCell(k, fitted_.size() == 1 ? 0.0 : double(row), &i, &j);
  if (i < 0 || i >= map_->data()->keySize() || j < 0 || j >= map_->data()->valueSize()) return kNaN;
  return map_->data()->cell(i, j);
}

void VolSurfaceView::rebuildSurface() {
  fitted_.clear();
  for (std::size_t i = 0; i < expiries_.size(); ++i)
    if (expiries_[i].onSurface()) fitted_.push_back(i);
  auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(heat_->yAxis->ticker());
  if (ticker) ticker->clear();
  const int n = int(fitted_.size());
  map_->setVisible(n > 0);
  heatEmpty_->setVisible(n == 0);
  if (n == 0) {
    heatEmpty_->setText(haveChain_ ? "No fitted SVI slices yet" : "Waiting for the option chain…");
    heat_->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  // One row per fitted expiry (a single slice is drawn as two equal rows so it has a height).
  const int rows = std::max(n, 2);
  QCPColorMapData* d = map_->data();
  if (d->keySize() != kSurfaceKCells || d->valueSize() != rows) d->setSize(kSurfaceKCells, rows);
  d->setRange(QCPRange(kSurfaceKMin, kSurfaceKMax), n == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, n - 1));
  for (int j = 0; j < rows; ++j) {
    const Expiry& x = expiries_[fitted_[std::size_t(std::min(j, n - 1))]];
    const double lo = x.supportedLo(), hi = x.supportedHi();
    for (int i = 0; i < kSurfaceKCells; ++i) {
      const double k = kSurfaceKMin + (kSurfaceKMax - kSurfaceKMin) * i / (kSurfaceKCells - 1);
      // A cell is drawn when its k lies in the supported range (cells are 0.01 wide: a cell whose
      // centre is outside stays blank).
      const double iv = k >= lo && k <= hi ? vol::sviImpliedVol(x.drawn(), k, x.t) : kNaN;
      d->setCell(i, j, iv > 0 ? iv * 100.0 : kNaN);
    }
  }
  // Colour scale anchored to the ATM term structure: short-dated wings extrapolate to very high
  // vols far from any quote, and would otherwise wash every quoted region into one colour.
  double atmLo = 1e9, atmHi = 0;
  for (std::size_t j : fitted_) {
    const double atm = vol::sviImpliedVol(expiries_[j].drawn(), 0.0, expiries_[j].t) * 100.0;
    if (atm > 0) atmLo = std::min(atmLo, atm), atmHi = std::max(atmHi, atm);
  }
  if (atmHi > 0) map_->setDataRange(QCPRange(std::max(0.0, atmLo - 10.0), atmHi + 25.0));
  else map_->rescaleDataRange(true);
  if (ticker)
    for (int j = 0; j < n; ++j) {
      const Expiry& x = expiries_[fitted_[std::size_t(j)]];
      ticker->addTick(j, x.code + QStringLiteral(" ") + x.dte);
    }
  heat_->xAxis->setRange(kSurfaceKMin, kSurfaceKMax);
  heat_->yAxis->setRange(-0.5, n - 0.5);
  heat_->replot(QCustomPlot::rpQueuedReplot);
}

void VolSurfaceView::rebuildTerm() {
  QVector<double> lx, ly, fx, fy, mx, my;
  double yLo = std::numeric_limits<double>::infinity(), yHi = -yLo, xHi = 0;
  for (const Expiry& x : expiries_) {  // ascending expiry
    if (x.atmVol <= 0) continue;
    const double days = x.t * 365.0, iv = x.atmVol * 100.0;
    lx.push_back(days), ly.push_back(iv);
    (x.usable() ? fx : mx).push_back(days);
    (x.usable() ? fy : my).push_back(iv);
    yLo = std::min(yLo, iv), yHi = std::max(yHi, iv), xHi = std::max(xHi, days);
  }
  termLine_->setData(lx, ly, true);
  termFit_->setData(fx, fy, true);
  termMid_->setData(mx, my, true);
  termEmpty_->setVisible(lx.isEmpty());
  if (lx.isEmpty()) {
    termEmpty_->setText(haveChain_ ? "No ATM vols yet" : "Waiting for the option chain…");
  } else {
    term_->xAxis->setRange(0, xHi * 1.06 + 0.5);
    const double pad = std::max((yHi - yLo) * 0.12, 1.0);
    term_->yAxis->setRange(std::max(0.0, yLo - pad), yHi + pad);
  }
  term_->replot(QCustomPlot::rpQueuedReplot);
}

void VolSurfaceView::updateCalendar(const analytics::ChainAnalytics& a) {
  auto code = [&](std::size_t fittedIndex) {
    if (fittedIndex >= a.fittedExpiries.size() || a.fittedExpiries[fittedIndex] >= a.expiries.size()) return QString("?");
    return QString::fromStdString(deribitExpiryCode(a.expiries[a.fittedExpiries[fittedIndex]].expiry));
  };
  QString text, color = colors::dimText.name();
  if (a.fittedExpiries.size() < 2) {
    text = "Calendar arbitrage: not checked — needs two fitted expiries";
  } else if (a.calendar.badInput) {
    text = "Calendar arbitrage: not checked — two fitted slices share an expiry time, or one is invalid";
    color = colors::last.name();
  } else if (a.calendar.violations.empty()) {
    text = "No calendar arbitrage";
    color = colors::bid.name();
  } else {
    QStringList parts;
    for (const vol::CalendarViolation& v : a.calendar.violations) {
      QStringList ranges;
      for (const vol::KRange& r : v.ranges) ranges << QString("[%1, %2]").arg(r.kFrom, 0, 'f', 2).arg(r.kTo, 0, 'f', 2);
      parts << QString("%1→%2 for k in %3 (worst w gap %4 at k %5)")
                   .arg(code(v.earlier), code(v.later), ranges.join(" ∪ "))
                   .arg(v.worstGap, 0, 'g', 3)
                   .arg(v.kAtWorst, 0, 'f', 2);
    }
    text = "Calendar arbitrage: " + parts.join("; ");
    color = colors::ask.name();
  }
  if (calendar_->text() != text) calendar_->setText(text);
  const QString sheet = QString("color:%1;").arg(color);
  if (calendar_->styleSheet() != sheet) calendar_->setStyleSheet(sheet);
}

void VolSurfaceView::setVenueName(const QString& name) {
  venueName_ = name;
  venueMarks_->setName(name.isEmpty() ? QString("Venue mark IV") : name + " mark IV");
}

int VolSurfaceView::venueMarkPoints() const { return venueMarks_->dataCount(); }

}  // namespace kappa::ui
