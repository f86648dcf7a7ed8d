#include "GreeksPanel.hpp"

#include <QAbstractTableModel>
#include <QBrush>
#include <QCheckBox>
#include <QComboBox>
#include <QFont>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "ColumnFit.hpp"
#include "Format.hpp"
#include "PlotStyle.hpp"
#include "PlaceholderTableView.hpp"
#include "Theme.hpp"
#include "models/RowTableModel.hpp"

namespace kappa::ui {
namespace {
using analytics::GreekTotals;



// "+1,234" / "-1,234" / "0" (never "-0").
QString signedMoney(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  if (std::round(std::abs(v) * scale) == 0) return formatMoney(0.0, decimals);
  const QString s = formatMoney(v, decimals);
  return v > 0 ? "+" + s : s;
}

// Compact for the grid cells: "+394", "-8,211", "-57.9k" (the tooltip keeps the exact figure).
QString compactMoney(double v) {
  if (std::abs(v) < 10000) return signedMoney(v, 0);
  const QString s = QString::number(v / 1000.0, 'f', std::abs(v) < 1e6 ? 1 : 0) + "k";
  return v > 0 ? "+" + s : s;
}

QString spotShiftText(double shift) {
  const double pct = shift * 100.0;
  const bool whole = std::abs(pct - std::round(pct)) < 1e-9;
  return (pct > 0 ? "+" : "") + QString::number(pct, 'f', whole ? 0 : 1) + "%";
}

QString volShiftText(double shift) {
  const double pts = shift * 100.0;
  const bool whole = std::abs(pts - std::round(pts)) < 1e-9;
  return QString("IV %1%2 pt").arg(pts > 0 ? "+" : "").arg(pts, 0, 'f', whole ? 0 : 1);
}

QString dayText(double days) { return days == 0 ? QString("now") : QString("+%1d").arg(days, 0, 'g', 3); }

QColor blend(const QColor& a, const QColor& b, double t) {
  return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                          float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QColor curveColor(const std::string& label, std::size_t i) {
  if (label == "now") return colors::own;
  if (label == "expiry") return colors::last;
  if (!label.empty() && label.front() == '+') return QColor(0xb0, 0x7c, 0xff);
  static const QColor kMore[] = {QColor(0x4d, 0xd0, 0xe1), QColor(0xff, 0x8a, 0x65), QColor(0xa5, 0xd6, 0xa7)};
  return kMore[i % 3];
}

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent, const QString& emptyText) {
  auto* view = new PlaceholderTableView(emptyText, parent);
  view->setModel(model);
  view->setEditTriggers(QAbstractItemView::NoEditTriggers);
  view->setShowGrid(false);
  view->setWordWrap(false);
  view->verticalHeader()->setDefaultSectionSize(20);
  view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // never ResizeToContents on live tables
  view->horizontalHeader()->setHighlightSections(false);
  return view;
}
}  // namespace

namespace detail {

struct BookRow {
  enum Kind : unsigned char { Position, ExpiryTotal, BookTotal };
  Kind kind = Position;
  InstrumentId instrument = kNoInstrument;
  Nanos expiry = 0;
  double qty = 0, valueCoin = 0;
  GreekTotals g;
};

class BookRiskModel : public RowTableModel<BookRow> {
 public:
  enum Column { Instrument, Qty, Value, Delta, Gamma, Vega, Theta };
  BookRiskModel(const InstrumentRegistry& instruments, QObject* parent)
      : RowTableModel(instruments, {"Instrument", "Qty", "Value (BTC)", "Δ (BTC)", "Γ (BTC/USD)", "Vega (USD/pt)", "Θ (USD/day)"},
                      parent) {
    mono_ = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    monoBold_ = mono_;
    monoBold_.setBold(true);
    bold_.setBold(true);
  }
  void setIndex(double index) { index_ = index; }
  // The underlying's coin (BTC, ETH): the unit of the value and coin Greeks shown.
  void setCoin(const QString& coin) {
    if (coin == coin_) return;
    coin_ = coin;
    emit headerDataChanged(Qt::Horizontal, Value, Gamma);
  }

  QVariant headerData(int section, Qt::Orientation o, int role) const override {
    if (o == Qt::Horizontal && role == Qt::DisplayRole) {
      switch (section) {
        case Value: return QString("Value (%1)").arg(coin_);
        case Delta: return QString("Δ (%1)").arg(coin_);
        case Gamma: return QString("Γ (%1/USD)").arg(coin_);
        default: break;
      }
    }
    if (o == Qt::Horizontal && role == Qt::ToolTipRole) {
      switch (section) {
        case Value: return QString("Mark-to-model value of the position in %1 (USD on hover)").arg(coin_);
        case Delta: return QString("Coin delta: %1 exposure, premium included (Black-76 delta on hover)").arg(coin_);
        case Gamma: return "Change of the coin delta per USD of the forward (per 1 % move on hover)";
        case Vega: return QString("USD per implied-vol point (%1 on hover)").arg(coin_);
        case Theta: return QString("USD per calendar day (%1 on hover)").arg(coin_);
        default: break;
      }
    }
    if (o == Qt::Horizontal && role == Qt::TextAlignmentRole && section != Instrument) return int(Qt::AlignRight | Qt::AlignVCenter);
    return RowTableModel::headerData(section, o, role);
  }

 protected:
  QVariant cell(const BookRow& r, int col, int role) const override {
    const bool haveInst = r.instrument < instruments_.size();
    switch (role) {
      case Qt::DisplayRole:
        switch (col) {
          case Instrument:
            if (r.kind == BookRow::BookTotal) return "TOTAL";
            if (r.kind == BookRow::ExpiryTotal)
              return r.expiry > 0 ? "Σ " + QString::fromStdString(deribitExpiryCode(r.expiry)) : QString("Σ no expiry (perpetual)");
            return haveInst ? venues_.display(instruments_, r.instrument) : QString("#%1").arg(r.instrument);
          case Qty: return r.kind == BookRow::Position && haveInst ? formatQty(instruments_[r.instrument], r.qty) : QString();
          case Value: return QString::number(r.valueCoin, 'f', 4);
          case Delta: return QString::number(r.g.deltaCoin, 'f', 4);
          case Gamma: return QString::number(r.g.gammaCoin, 'f', 5);
          case Vega: return formatMoney(r.g.vegaUsd / 100.0, 2);
          case Theta: return formatMoney(r.g.thetaUsd / 365.0, 2);
        }
        return {};
      case Qt::TextAlignmentRole:
        return col == Instrument ? int(Qt::AlignLeft | Qt::AlignVCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
      case Qt::FontRole:
        if (col == Instrument) return r.kind == BookRow::BookTotal ? QVariant(bold_) : QVariant();
        return r.kind == BookRow::BookTotal ? monoBold_ : mono_;
      case Qt::ForegroundRole:
        if (col == Qty && r.qty != 0) return QBrush(r.qty > 0 ? colors::bid : colors::ask);
        if (r.kind == BookRow::ExpiryTotal) return QBrush(colors::dimText.lighter(120));
        return {};
      case Qt::BackgroundRole:
        if (r.kind == BookRow::ExpiryTotal) return QBrush(QColor(0x18, 0x1c, 0x23));
        if (r.kind == BookRow::BookTotal) return QBrush(QColor(0x22, 0x28, 0x33));
        return {};
      case Qt::ToolTipRole:
        switch (col) {
          case Value: return index_ > 0 ? QString("≈ %1 USD at the index").arg(formatMoney(r.valueCoin * index_, 2)) : QVariant();
          case Delta: return QString("Black-76 delta: %1 %2").arg(r.g.deltaUsd, 0, 'f', 4).arg(coin_);
          case Gamma:
            return QString("Δ moves %1 %2 for a 1 % move of spot\nBlack-76 gamma: %3 per USD")
                .arg(r.g.gammaCoin * index_ * 0.01, 0, 'f', 4)
                .arg(coin_)
                .arg(r.g.gammaUsd, 0, 'g', 4);
          case Vega: return QString("%1 %2 per vol point").arg(r.g.vegaCoin / 100.0, 0, 'f', 6).arg(coin_);
          case Theta: return QString("%1 %2 per day").arg(r.g.thetaCoin / 365.0, 0, 'f', 6).arg(coin_);
          default: return {};
        }
      default: return {};
    }
  }

 private:
  double index_ = 0;
  QString coin_ = "BTC";
  QFont mono_, monoBold_, bold_;
};

// Rows = vol shifts, columns = spot shifts, for one day offset.
class ScenarioGridModel : public QAbstractTableModel {
 public:
  void setCoin(const QString& coin) { coin_ = coin; }
  explicit ScenarioGridModel(QObject* parent) : QAbstractTableModel(parent) {
    mono_ = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    monoBold_ = mono_;
    monoBold_.setBold(true);
  }

  // `cells` row-major [vol][spot]; empty clears the grid.
  void setGrid(const std::vector<double>& spot, const std::vector<double>& vol, double days, double indexUsd,
               const analytics::Scenario* cells) {
    const std::size_t n = spot.size() * vol.size();
    const bool sameShape = spot.size() == spot_.size() && vol.size() == vol_.size();
    const bool sameLabels = sameShape && spot == spot_ && vol == vol_;
    if (!sameShape) beginResetModel();
    spot_.assign(spot.begin(), spot.end());
    vol_.assign(vol.begin(), vol.end());
    if (cells) cells_.assign(cells, cells + n);
    else cells_.clear(), spot_.clear(), vol_.clear();
    days_ = days;
    index_ = indexUsd;
    maxAbs_ = 0;
    for (const analytics::Scenario& s : cells_) maxAbs_ = std::max(maxAbs_, std::abs(s.pnlUsd));
    if (!sameShape) {
      endResetModel();
      return;
    }
    if (!sameLabels) {
      emit headerDataChanged(Qt::Horizontal, 0, columnCount() - 1);
      emit headerDataChanged(Qt::Vertical, 0, rowCount() - 1);
    }
    if (!cells_.empty()) emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
  }

  int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() || cells_.empty() ? 0 : int(vol_.size()); }
  int columnCount(const QModelIndex& parent = {}) const override {
    return parent.isValid() || cells_.empty() ? 0 : int(spot_.size());
  }

  QVariant headerData(int section, Qt::Orientation o, int role) const override {
    const bool h = o == Qt::Horizontal;
    if (section < 0 || section >= int(h ? spot_.size() : vol_.size())) return QAbstractTableModel::headerData(section, o, role);
    const double shift = h ? spot_[std::size_t(section)] : vol_[std::size_t(section)];
    switch (role) {
      case Qt::DisplayRole: return h ? spotShiftText(shift) : volShiftText(shift);
      case Qt::ToolTipRole:
        if (h && !(index_ > 0)) return QString("Every underlying's spot %1").arg(spotShiftText(shift));
        return h ? QString("Spot %1 → %2 USD").arg(spotShiftText(shift), formatMoney(index_ * (1 + shift), 0))
                 : QString("Every option's implied vol shifted by %1 points").arg(shift * 100.0, 0, 'f', 1);
      case Qt::TextAlignmentRole: return int(h ? Qt::AlignCenter : (Qt::AlignRight | Qt::AlignVCenter));
      default: return {};
    }
  }

  QVariant data(const QModelIndex& idx, int role) const override {
    if (!idx.isValid() || idx.row() >= rowCount() || idx.column() >= columnCount()) return {};
    const analytics::Scenario& s = cells_[std::size_t(idx.row()) * spot_.size() + std::size_t(idx.column())];
    const bool centre = spot_[std::size_t(idx.column())] == 0 && vol_[std::size_t(idx.row())] == 0;
    switch (role) {
      case Qt::DisplayRole: return compactMoney(s.pnlUsd);
      case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
      case Qt::FontRole: return centre ? monoBold_ : mono_;
      case Qt::ForegroundRole: return QBrush(std::abs(s.pnlUsd) < 0.5 ? colors::dimText : colors::text);
      case Qt::BackgroundRole: {
        if (maxAbs_ <= 0 || std::abs(s.pnlUsd) < 0.5) return QBrush(colors::background);
        const double t = std::min(1.0, std::abs(s.pnlUsd) / maxAbs_);
        return QBrush(blend(colors::background, s.pnlUsd > 0 ? colors::bid : colors::ask, 0.12 + 0.5 * t));
      }
      case Qt::ToolTipRole:
        if (!(index_ > 0))  // the sum over underlyings: no one index, no one coin
          return QString("Every spot %1, %2, %3:\n%4 USD")
              .arg(spotShiftText(spot_[std::size_t(idx.column())]), volShiftText(vol_[std::size_t(idx.row())]),
                   days_ == 0 ? QString("now") : QString("after %1 days").arg(days_, 0, 'g', 3), signedMoney(s.pnlUsd, 2));
        return QString("Spot %1 (≈ %2 USD), %3, %4:\n%5 USD  (%6 %7)")
            .arg(spotShiftText(spot_[std::size_t(idx.column())]), formatMoney(index_ * (1 + spot_[std::size_t(idx.column())]), 0),
                 volShiftText(vol_[std::size_t(idx.row())]), days_ == 0 ? QString("now") : QString("after %1 days").arg(days_, 0, 'g', 3),
                 signedMoney(s.pnlUsd, 2))
            .arg(s.pnlCoin, 0, 'f', 6)
            .arg(coin_);
      default: return {};
    }
  }

 private:
  std::vector<double> spot_, vol_;
  std::vector<analytics::Scenario> cells_;
  QString coin_ = "BTC";
  double days_ = 0, index_ = 0, maxAbs_ = 0;
  QFont mono_, monoBold_;
};

}  // namespace detail

GreeksPanel::GreeksPanel(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  // Every underlying's book in one line, and the sum of what adds up across coins (USD).
  totals_ = new QLabel(this);
  totals_->setObjectName("greeksUnderlyingTotals");
  totals_->setTextFormat(Qt::RichText);
  totals_->setWordWrap(true);
  totals_->setContentsMargins(6, 3, 6, 3);
  totals_->setStyleSheet("background:#161a21; color:#c8d0dc;");
  totals_->setToolTip("Per underlying: coin delta (premium included) in its own coin, vega and theta in USD.\n"
                      "All in USD: dollar delta (Black-76 delta x index), dollar gamma per 1 % move, vega per vol point, "
                      "theta per day, summed over the underlyings.");
  totals_->hide();
  outer->addWidget(totals_);
  // With several venues: each underlying's PnL across venues in USD and where each part is.
  venuePnl_ = new QLabel(this);
  venuePnl_->setObjectName("greeksVenuePnl");
  venuePnl_->setTextFormat(Qt::RichText);
  venuePnl_->setWordWrap(true);
  venuePnl_->setContentsMargins(6, 3, 6, 3);
  venuePnl_->setStyleSheet("background:#161a21; color:#c8d0dc;");
  venuePnl_->setToolTip("Per underlying: realized + unrealized − fees on every venue, in the coin and in USD\n"
                        "(coin-settled at the index, USDT-settled at par), then each venue's part in its settlement currency.");
  venuePnl_->hide();
  outer->addWidget(venuePnl_);
  stack_ = new QStackedWidget(this);
  outer->addWidget(stack_);

  empty_ = new QLabel("Waiting for the first analytics — the book's Greeks and scenarios appear here");
  empty_->setAlignment(Qt::AlignCenter);
  empty_->setWordWrap(true);
  empty_->setStyleSheet("color:#8a93a3; font-size:13px;");
  stack_->addWidget(empty_);

  auto* content = new QWidget;
  auto* v = new QVBoxLayout(content);
  v->setContentsMargins(4, 4, 4, 4);
  v->setSpacing(3);
  status_ = new QLabel;
  status_->setStyleSheet("color:#8a93a3;");
  v->addWidget(status_);

  split_ = new QSplitter(Qt::Vertical, content);
  split_->setObjectName("greeksSplitter");
  v->addWidget(split_, 1);

  // ---- positions, with the TOTAL pinned under them ----
  auto* book = new QWidget(split_);
  book->setObjectName("greeksBook");
  auto* bv = new QVBoxLayout(book);
  bv->setContentsMargins(0, 0, 0, 0);
  bv->setSpacing(0);
  book_ = new detail::BookRiskModel(instruments_, this);
  positions_ = makeTable(book_, book, "No positions");
  positions_->setObjectName("greeksPositions");
  positions_->setSelectionBehavior(QAbstractItemView::SelectRows);
  positions_->setSelectionMode(QAbstractItemView::SingleSelection);
  positions_->setAlternatingRowColors(true);
  positions_->verticalHeader()->setVisible(false);
  positions_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  positions_->horizontalHeader()->setStretchLastSection(true);
  positions_->horizontalHeader()->setDefaultSectionSize(96);
  positions_->setColumnWidth(detail::BookRiskModel::Instrument, 190);
  positions_->setColumnWidth(detail::BookRiskModel::Qty, 70);
  fitColumns(positions_, {{detail::BookRiskModel::Value, {"-0.1234"}}, {detail::BookRiskModel::Theta, {"-12,345.67"}}});
  positions_->setFrameShape(QFrame::NoFrame);
  bv->addWidget(positions_, 1);

  totalModel_ = new detail::BookRiskModel(instruments_, this);
  total_ = makeTable(totalModel_, book, QString());
  total_->setObjectName("greeksTotal");
  total_->setSelectionMode(QAbstractItemView::NoSelection);
  total_->setFocusPolicy(Qt::NoFocus);
  total_->horizontalHeader()->setVisible(false);
  total_->verticalHeader()->setVisible(false);
  total_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  total_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  total_->setFrameShape(QFrame::NoFrame);
  total_->setFixedHeight(total_->verticalHeader()->defaultSectionSize() + 2);
  total_->setStyleSheet("QTableView#greeksTotal { border-top: 1px solid #3a4150; }");
  bv->addWidget(total_);
  bv->addStretch(0);  // a short book (the table at its maximum): the total right under its rows, the space below
  // The same columns as the table above, as wide and scrolled as they are.
  auto syncColumns = [this] {
    QHeaderView* from = positions_->horizontalHeader();
    for (int c = 0; c < from->count(); ++c)
      if (total_->columnWidth(c) != from->sectionSize(c)) total_->setColumnWidth(c, from->sectionSize(c));
  };
  connect(positions_->horizontalHeader(), &QHeaderView::sectionResized, total_, syncColumns);
  connect(positions_->horizontalHeader(), &QHeaderView::geometriesChanged, total_, syncColumns);
  connect(positions_->horizontalScrollBar(), &QScrollBar::valueChanged, total_->horizontalScrollBar(), &QScrollBar::setValue);
  syncColumns();
  // A splitter may shrink the pane to the header, one position row and the total — never further.
  book->setMinimumHeight(positions_->horizontalHeader()->sizeHint().height() + 2 * total_->height() + 4);
  split_->addWidget(book);
  split_->setCollapsible(0, false);

  // Stacked, not side by side: the centre of the window is wider than tall only a little, and
  // both the PnL curve and the 11-column grid need the full width to be readable.
  auto* bottom = split_;
  bottom->setObjectName("greeksBottomSplitter");

  // ---- PnL vs spot ----
  pnl_ = new QCustomPlot(bottom);
  pnl_->setObjectName("pnlPlot");
  stylePlot(pnl_);
  pnl_->xAxis->setTicker(QSharedPointer<MoneyTicker>::create());
  pnl_->yAxis->setTicker(QSharedPointer<MoneyTicker>::create());
  pnl_->xAxis->setLabel("Spot (USD)");
  pnl_->yAxis->setLabel("PnL (USD)");
  pnl_->setMouseTracking(true);
  // Readable axes need this much (at 1600x1000 with two venues' PnL line above, the splitter gave
  // the curve ~80 px and six y labels overlapped): the positions table gives way first.
  pnl_->setMinimumHeight(150);
  pnl_->yAxis->ticker()->setTickCount(4);
  pnl_->legend->setVisible(true);
  pnl_->legend->setBrush(QColor(0x1a, 0x1e, 0x25, 225));
  pnl_->legend->setBorderPen(QPen(colors::grid));
  pnl_->legend->setTextColor(colors::text);
  // One row: the chart is often only ~100 px tall, and a three-row legend covered the axis labels.
  pnl_->legend->setWrap(0);
  pnl_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  {
    QFont f = pnl_->font();
    f.setPointSize(8);
    pnl_->legend->setFont(f);
  }
  pnl_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
  zeroLine_ = new QCPItemStraightLine(pnl_);
  zeroLine_->setPen(QPen(QColor(0xe6, 0xe9, 0xee, 120), 1));
  zeroLine_->point1->setCoords(0, 0);
  zeroLine_->point2->setCoords(1, 0);
  indexLine_ = new QCPItemStraightLine(pnl_);
  indexLine_->setPen(QPen(colors::dimText, 1, Qt::DashLine));
  indexLine_->setVisible(false);
  indexLabel_ = new QCPItemText(pnl_);
  indexLabel_->position->setTypeX(QCPItemPosition::ptPlotCoords);
  indexLabel_->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
  indexLabel_->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
  indexLabel_->setPadding(QMargins(4, 2, 0, 0));
  indexLabel_->setColor(colors::dimText);
  indexLabel_->setVisible(false);
  pnlEmpty_ = new QCPItemText(pnl_);
  pnlEmpty_->position->setType(QCPItemPosition::ptAxisRectRatio);
  pnlEmpty_->position->setCoords(0.5, 0.5);
  pnlEmpty_->setPositionAlignment(Qt::AlignCenter);
  pnlEmpty_->setColor(colors::dimText);
  pnlEmpty_->setText("No PnL curves");
  pnlEmpty_->setVisible(false);
  bottom->addWidget(pnl_);

  // ---- scenario grid ----
  auto* gridBox = new QWidget(bottom);
  auto* gv = new QVBoxLayout(gridBox);
  gv->setContentsMargins(0, 0, 0, 0);
  gv->setSpacing(2);
  auto* gh = new QHBoxLayout;
  auto* caption = new QLabel("Scenario PnL (USD) — rows: IV shift, columns: spot shift");
  caption->setStyleSheet("color:#8a93a3;");
  gh->addWidget(caption, 1);
  allUnderlyings_ = new QCheckBox("All underlyings");
  allUnderlyings_->setObjectName("scenarioAllUnderlyings");
  allUnderlyings_->setToolTip("The grid summed over every underlying's book in USD, each underlying moved by the same "
                              "spot and vol shift (as if perfectly correlated)");
  allUnderlyings_->hide();  // shown once more than one underlying is analysed
  gh->addWidget(allUnderlyings_);
  gh->addWidget(new QLabel("Horizon"));
  dayBox_ = new QComboBox;
  dayBox_->setObjectName("scenarioHorizon");
  dayBox_->setToolTip("Days passed in the scenario (time decay included)");
  gh->addWidget(dayBox_);
  gv->addLayout(gh);
  gridModel_ = new detail::ScenarioGridModel(this);
  grid_ = makeTable(gridModel_, gridBox, "No scenario grid in the analytics");
  grid_->setObjectName("scenarioGrid");
  grid_->setSelectionMode(QAbstractItemView::NoSelection);
  grid_->setAlternatingRowColors(false);
  grid_->setShowGrid(true);
  grid_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);  // fixed column count, no content sizing
  grid_->horizontalHeader()->setMinimumSectionSize(56);
  gv->addWidget(grid_, 1);
  // The grid has a fixed number of rows: no taller than them, the rest goes to the positions.
  gridBox->setMaximumHeight(dayBox_->sizeHint().height() + gv->spacing() + grid_->horizontalHeader()->sizeHint().height() +
                            8 * grid_->verticalHeader()->defaultSectionSize() + 4);
  bottom->addWidget(gridBox);
  split_->setStretchFactor(0, 2);  // positions
  split_->setStretchFactor(1, 3);  // PnL vs spot
  split_->setStretchFactor(2, 3);  // scenario grid
  stack_->addWidget(content);
  stack_->setCurrentIndex(0);

  connect(dayBox_, &QComboBox::currentIndexChanged, this, [this] {
    if (!syncingDays_) rebuildGrid();
  });
  connect(allUnderlyings_, &QCheckBox::toggled, this, [this] { rebuildGrid(); });
  connect(positions_, &QTableView::activated, this, [this](const QModelIndex& idx) {
    if (!idx.isValid() || idx.row() >= book_->rowCount()) return;
    const detail::BookRow& r = book_->row(idx.row());
    if (r.kind == detail::BookRow::Position && r.instrument != kNoInstrument) emit instrumentActivated(r.instrument);
  });
  connect(pnl_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    const QPointF pos = e->position();
    if (pnlCurves_.empty() || !pnl_->axisRect()->rect().contains(pos.toPoint())) return QToolTip::hideText();
    const double x = pnl_->xAxis->pixelToCoord(pos.x());
    QString text = QString("Spot %1").arg(formatMoney(x, 0));
    if (index_ > 0) text += QString(" (%1 vs index)").arg(spotShiftText(x / index_ - 1.0));
    for (const analytics::PnlCurve& c : pnlCurves_) {
      const std::size_t n = std::min(c.spot.size(), c.pnlUsd.size());
      if (n < 2 || x < c.spot.front() || x > c.spot[n - 1]) continue;
      const std::size_t hi = std::size_t(std::lower_bound(c.spot.begin(), c.spot.begin() + std::ptrdiff_t(n), x) - c.spot.begin());
      const std::size_t i1 = std::clamp<std::size_t>(hi, 1, n - 1), i0 = i1 - 1;
      const double span = c.spot[i1] - c.spot[i0];
      const double w = span > 0 ? (x - c.spot[i0]) / span : 0.0;
      text += QString("\n%1: %2 USD").arg(QString::fromStdString(c.label), signedMoney(c.pnlUsd[i0] + w * (c.pnlUsd[i1] - c.pnlUsd[i0]), 0));
    }
    QToolTip::showText(e->globalPosition().toPoint(), text, pnl_);
  });
}

GreeksPanel::~GreeksPanel() = default;

bool GreeksPanel::showingEmptyState() const { return stack_->currentIndex() == 0; }

int GreeksPanel::scenarioDayIndex() const { return dayBox_->currentIndex(); }

void GreeksPanel::setScenarioDayIndex(int index) {
  if (index >= 0 && index < dayBox_->count()) dayBox_->setCurrentIndex(index);
}

void GreeksPanel::setVenues(VenueNames venues) {
  venues_ = venues;
  book_->setVenues(venues);
  totalModel_->setVenues(std::move(venues));
}

// Per underlying (the snapshot's UnderlyingRow: coin and USD across venues), then per venue and
// settlement currency the PnL of that venue's instruments: "BTC −0.0012 BTC = −123.45 USD: sim
// −0.0010 BTC · binance-futures −5.00 USDT".
void GreeksPanel::applyVenuePnl(const EngineSnapshot& s) {
  if (!venues_.several() || s.positions.empty()) {
    venuePnl_->hide();
    return;
  }
  struct Part {
    std::string currency;
    VenueId venue;
    std::string settle;
    double pnl = 0;
  };
  std::vector<Part> parts;
  for (const PositionRow& p : s.positions) {
    if (p.instrument >= instruments_.size()) continue;
    const Instrument& inst = instruments_[p.instrument];
    const double pnl = p.realizedPnl + p.unrealizedPnl - p.fees;
    auto it = std::find_if(parts.begin(), parts.end(), [&](const Part& x) {
      return x.currency == inst.baseCurrency && x.venue == inst.venue && x.settle == inst.settleCurrency;
    });
    if (it == parts.end()) parts.push_back({inst.baseCurrency, inst.venue, inst.settleCurrency, pnl});
    else it->pnl += pnl;
  }
  QStringList lines;
  for (const UnderlyingRow& u : s.underlyings) {
    QStringList pieces;
    for (const Part& x : parts)
      if (x.currency == u.currency) {
        const bool coin = x.settle == u.currency;
        pieces << QString("%1 <span style='color:%2'>%3 %4</span>")
                      .arg(venues_.venue(x.venue).toHtmlEscaped(), (x.pnl >= 0 ? colors::bid : colors::ask).name(),
                           coin ? QString::number(x.pnl, 'f', 6) : formatMoney(x.pnl, 2), QString::fromStdString(x.settle));
      }
    if (pieces.isEmpty()) continue;
    lines << QString("<b>%1</b> PnL <span style='color:%2'>%3 %1 = %4 USD</span>: %5")
                 .arg(QString::fromStdString(u.currency), (u.pnlUsd >= 0 ? colors::bid : colors::ask).name(),
                      QString::number(u.pnl, 'f', 6), formatMoney(u.pnlUsd, 2), pieces.join(" · "));
  }
  if (lines.isEmpty()) {
    venuePnl_->hide();
    return;
  }
  lines << QString("<b>All</b> %1 USD").arg(formatMoney(s.totalPnlUsd, 2));
  venuePnl_->setText(lines.join(" &nbsp;│&nbsp; "));
  venuePnl_->show();
}

void GreeksPanel::showTotals(const analytics::MarketAnalytics& all) {
  const bool gridChanged = allUnderlyings_->isChecked() && all.seq != allSeq_;
  allSeq_ = all.seq;
  allScenarios_.assign(all.scenariosUsdTotal.begin(), all.scenariosUsdTotal.end());
  allUnderlyings_->setVisible(all.chains.size() > 1);
  if (gridChanged) rebuildGrid();
  QStringList parts;
  bool any = false;
  for (std::size_t i = 0; i < all.chains.size(); ++i) {
    const analytics::ChainAnalytics& c = *all.chains[i];
    if (c.positions.empty()) continue;
    any = true;
    const analytics::UsdGreeks& u = all.usd[i];
    parts << QString("<b>%1</b> Δ %2 %1 · vega %3 · θ %4")
                 .arg(QString::fromStdString(c.underlying))
                 .arg(c.total.deltaCoin, 0, 'f', 4)
                 .arg(formatMoney(u.vegaUsd, 0), formatMoney(u.thetaUsd, 0));
  }
  if (!any) {
    totals_->hide();
    return;
  }
  const analytics::UsdGreeks& t = all.usdTotal;
  parts << QString("<b>All in USD</b> Δ %1 · Γ %2 per 1 % · vega %3 · θ %4/day · value %5")
               .arg(formatMoney(t.deltaUsd, 0), formatMoney(t.gammaUsd, 0), formatMoney(t.vegaUsd, 0),
                    formatMoney(t.thetaUsd, 0), formatMoney(t.valueUsd, 0));
  totals_->setText(parts.join(" &nbsp;│&nbsp; "));
  totals_->show();
}

void GreeksPanel::apply(const analytics::ChainAnalytics& a, const analytics::MarketAnalytics* all) {
  if (all) showTotals(*all);
  if (haveChain_ && a.seq == seq_ && a.underlying == underlying_) return;
  haveChain_ = true;
  seq_ = a.seq;
  underlying_ = a.underlying;
  index_ = a.index;
  const QString coin = a.underlying.empty() ? QString("BTC") : QString::fromStdString(a.underlying);
  book_->setCoin(coin);
  totalModel_->setCoin(coin);
  gridModel_->setCoin(coin);

  if (a.positions.empty()) {
    empty_->setText(QString("No %1 positions — the book's Greeks and scenarios appear here").arg(coin));
    stack_->setCurrentIndex(0);
    return;
  }
  stack_->setCurrentIndex(1);
  status_->setText(QString("%1 index %2 USD · %3 position(s) · analytics %4 UTC in %5 ms")
                       .arg(coin)
                       .arg(formatMoney(a.index, 2))
                       .arg(a.positions.size())
                       .arg(a.computedAt > 0 ? formatUtcTime(a.computedAt) : QString("—"))
                       .arg(a.computeMicros / 1000.0, 0, 'f', 2));

  // Positions grouped by expiry (perpetual first), by strike, calls before puts; a Σ row per
  // expiry; the TOTAL in its own pinned row.
  auto expiryOf = [&](InstrumentId id) { return id < instruments_.size() ? instruments_[id].expiry : Nanos(0); };
  std::vector<std::size_t> order(a.positions.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const InstrumentId ix = a.positions[x].instrument, iy = a.positions[y].instrument;
    const bool kx = ix < instruments_.size(), ky = iy < instruments_.size();
    if (!kx || !ky) return kx > ky;
    const Instrument& p = instruments_[ix];
    const Instrument& q = instruments_[iy];
    if (p.expiry != q.expiry) return p.expiry < q.expiry;
    if (p.isOption() != q.isOption()) return !p.isOption();
    if (p.strike != q.strike) return p.strike < q.strike;
    return p.optionType == OptionType::Call && q.optionType != OptionType::Call;
  });
  std::vector<detail::BookRow> rows;
  rows.reserve(a.positions.size() + a.byExpiry.size());
  double groupValue = 0, totalValue = 0;
  GreekTotals groupSum;
  auto add = [](GreekTotals& s, const GreekTotals& g) {
    s.deltaCoin += g.deltaCoin, s.gammaCoin += g.gammaCoin, s.vegaCoin += g.vegaCoin, s.thetaCoin += g.thetaCoin;
    s.deltaUsd += g.deltaUsd, s.gammaUsd += g.gammaUsd, s.vegaUsd += g.vegaUsd, s.thetaUsd += g.thetaUsd;
  };
  auto flush = [&](Nanos expiry) {
    detail::BookRow r;
    r.kind = detail::BookRow::ExpiryTotal;
    r.expiry = expiry;
    r.valueCoin = groupValue;
    r.g = groupSum;  // the analytics' own per-expiry totals when present
    for (const auto& [e, g] : a.byExpiry)
      if (e == expiry) r.g = g;
    rows.push_back(r);
    groupValue = 0;
    groupSum = {};
  };
  for (std::size_t k = 0; k < order.size(); ++k) {
    const analytics::PositionRisk& p = a.positions[order[k]];
    const Nanos e = expiryOf(p.instrument);
    if (k > 0 && e != expiryOf(a.positions[order[k - 1]].instrument)) flush(expiryOf(a.positions[order[k - 1]].instrument));
    detail::BookRow r;
    r.instrument = p.instrument;
    r.expiry = e;
    r.qty = p.qty;
    r.valueCoin = p.valueCoin;
    r.g = p.greeks;
    rows.push_back(r);
    groupValue += p.valueCoin;
    totalValue += p.valueCoin;
    add(groupSum, p.greeks);
  }
  flush(expiryOf(a.positions[order.back()].instrument));
  detail::BookRow total;
  total.kind = detail::BookRow::BookTotal;
  total.valueCoin = totalValue;
  total.g = a.total;
  book_->setIndex(a.index);
  book_->setRows(std::move(rows));
  totalModel_->setIndex(a.index);
  totalModel_->setRows({total});
  // As tall as its rows (the pane's height caps it and it scrolls): the total follows them.
  const int tall = positions_->horizontalHeader()->sizeHint().height() + book_->rowCount() * positions_->verticalHeader()->defaultSectionSize() +
                   (positions_->horizontalScrollBar()->isVisible() ? positions_->horizontalScrollBar()->height() : 0) + 2;
  if (positions_->maximumHeight() != tall) positions_->setMaximumHeight(tall);

  pnlCurves_.assign(a.pnlCurves.begin(), a.pnlCurves.end());
  spotShifts_.assign(a.scenarioSpotShifts.begin(), a.scenarioSpotShifts.end());
  volShifts_.assign(a.scenarioVolShifts.begin(), a.scenarioVolShifts.end());
  days_.assign(a.scenarioDays.begin(), a.scenarioDays.end());
  scenarios_.assign(a.scenarios.begin(), a.scenarios.end());
  rebuildCurves();
  syncDayBox();
  rebuildGrid();
}

void GreeksPanel::rebuildCurves() {
  while (curves_.size() > pnlCurves_.size()) {
    pnl_->removeGraph(curves_.back());
    curves_.pop_back();
  }
  double xLo = std::numeric_limits<double>::infinity(), xHi = -xLo, yLo = 0, yHi = 0;
  for (std::size_t i = 0; i < pnlCurves_.size(); ++i) {
    const analytics::PnlCurve& c = pnlCurves_[i];
    if (i == curves_.size()) curves_.push_back(pnl_->addGraph());
    QCPGraph* g = curves_[i];
    const QString name = QString::fromStdString(c.label);
    if (g->name() != name) {
      g->setName(name);
      // Expiry dashed: where the curves coincide (positions that expire within the horizon) the
      // "now" and "+7d" lines show through its gaps instead of disappearing under it.
      QPen pen(curveColor(c.label, i), c.label == "now" ? 2 : 1.5);
      if (c.label == "expiry") pen.setStyle(Qt::DashLine);
      g->setPen(pen);
    }
    const std::size_t n = std::min(c.spot.size(), c.pnlUsd.size());
    g->setData(QVector<double>(c.spot.begin(), c.spot.begin() + std::ptrdiff_t(n)),
               QVector<double>(c.pnlUsd.begin(), c.pnlUsd.begin() + std::ptrdiff_t(n)));
    for (std::size_t j = 0; j < n; ++j) {
      if (!std::isfinite(c.spot[j]) || !std::isfinite(c.pnlUsd[j])) continue;
      xLo = std::min(xLo, c.spot[j]), xHi = std::max(xHi, c.spot[j]);
      yLo = std::min(yLo, c.pnlUsd[j]), yHi = std::max(yHi, c.pnlUsd[j]);
    }
  }
  const bool any = xHi > xLo;
  pnlEmpty_->setVisible(!any);
  if (any) {
    pnl_->xAxis->setRange(xLo, xHi);
    const double pad = std::max((yHi - yLo) * 0.08, 1.0);
    pnl_->yAxis->setRange(yLo - pad, yHi + pad);
  }
  const bool showIndex = index_ > 0;
  indexLine_->setVisible(showIndex);
  indexLabel_->setVisible(showIndex);
  if (showIndex) {
    indexLine_->point1->setCoords(index_, 0);
    indexLine_->point2->setCoords(index_, 1);
    indexLabel_->position->setCoords(index_, 0.0);
    indexLabel_->setText("Index " + formatMoney(index_, 0));
  }
  pnl_->replot(QCustomPlot::rpQueuedReplot);
}

void GreeksPanel::syncDayBox() {
  bool same = dayBox_->count() == int(days_.size());
  for (int i = 0; same && i < dayBox_->count(); ++i) same = dayBox_->itemText(i) == dayText(days_[std::size_t(i)]);
  if (same) return;
  syncingDays_ = true;
  const QString keep = dayBox_->currentText();
  dayBox_->clear();
  for (double d : days_) dayBox_->addItem(dayText(d));
  const int i = dayBox_->findText(keep);
  dayBox_->setCurrentIndex(i >= 0 ? i : (dayBox_->count() > 0 ? 0 : -1));
  syncingDays_ = false;
}

void GreeksPanel::rebuildGrid() {
  const std::size_t d = dayBox_->currentIndex() >= 0 ? std::size_t(dayBox_->currentIndex()) : 0;
  const std::size_t per = spotShifts_.size() * volShifts_.size();
  const bool all = allUnderlyings_->isChecked() && allUnderlyings_->isVisible();
  const std::vector<analytics::Scenario>& cells = all ? allScenarios_ : scenarios_;
  const bool ok = per > 0 && d < days_.size() && cells.size() == per * days_.size();
  if (!ok) {
    gridModel_->setGrid({}, {}, 0, index_, nullptr);
    return;
  }
  // Summed over coins there is no one coin nor one index to show on hover.
  gridModel_->setCoin(all ? QString("—") : QString::fromStdString(underlying_.empty() ? std::string("BTC") : underlying_));
  gridModel_->setGrid(spotShifts_, volShifts_, days_[d], all ? 0.0 : index_, cells.data() + d * per);
}

}  // namespace kappa::ui
