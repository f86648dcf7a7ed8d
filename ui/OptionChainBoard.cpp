#include "OptionChainBoard.hpp"

#include <QAbstractTableModel>
#include <QBrush>
#include <QFont>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QResizeEvent>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QShortcut>
#include <QTabBar>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "Format.hpp"
#include "ColumnFit.hpp"
#include "PlaceholderTableView.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
using analytics::OptionAnalytics;

enum Field { FPos, FBidIv, FBid, FMark, FAsk, FAskIv, FMarkIv, FVenueIv, FIvDiff, FDelta, FGamma, FVega, FTheta, FStrike };

constexpr Field kFieldOf[OptionChainBoard::ColumnCount] = {
    FPos, FBidIv, FBid, FMark, FAsk, FAskIv, FMarkIv, FVenueIv, FIvDiff, FDelta, FGamma, FVega, FTheta,  // calls
    FStrike,
    FTheta, FVega, FGamma, FDelta, FIvDiff, FVenueIv, FMarkIv, FBidIv, FBid, FMark, FAsk, FAskIv, FPos,  // puts
};

// Vol points, signed: ours minus the venue's.
QString volPoints(double v) {
  const double points = std::round(v * 1000.0) / 10.0;  // to the 0.1 shown: never a "−0.0"
  return (points > 0 ? "+" : points < 0 ? "\u2212" : "") + QString::number(std::abs(points), 'f', 1);
}

bool isCallColumn(int column) { return column < OptionChainBoard::StrikeCol; }

// Deribit shows option premiums with 4 decimals (tick 0.0005 BTC).
constexpr int kCoinDecimals = 4;

const QColor kAtmRow{0x3a, 0x32, 0x14};
const QColor kAtmStrike{0x5a, 0x4a, 0x12};
const QColor kItmShade{0x1c, 0x23, 0x2d};
const QColor kStrikeBg{0x20, 0x25, 0x2e};

QString percent1(double v) { return QString::number(v * 100.0, 'f', 1) + '%'; }


QString stale(const QuoteRow& q) {
  return QString("Quote %1: %2").arg(nameOf(q.status), nameOf(q.staleReason));
}
}  // namespace

namespace detail {

// The selected expiry's strikes, one row each, with the call and put of that strike. Keeps its own
// copy of the chain's options so that switching tabs needs no new analytics.
class ChainBoardModel : public QAbstractTableModel {
 public:
  struct Row {
    double strike = 0;
    int call = -1, put = -1;  // indices into options_
  };

  ChainBoardModel(const InstrumentRegistry& instruments, QObject* parent)
      : QAbstractTableModel(parent), instruments_(instruments) {
    mono_ = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    monoBold_ = mono_;
    monoBold_.setBold(true);
  }

  void storeOptions(const std::vector<OptionAnalytics>& options) { options_.assign(options.begin(), options.end()); }
  // The chain's coin (BTC, ETH): premiums and coin Greeks are in it.
  void setCoin(const QString& coin) {
    if (coin == coin_) return;
    coin_ = coin;
    emit headerDataChanged(Qt::Horizontal, 0, OptionChainBoard::ColumnCount - 1);
  }
  const QString& coin() const { return coin_; }
  void setVenueName(const QString& venue) {
    if (venue == venue_) return;
    venue_ = venue;
    emit headerDataChanged(Qt::Horizontal, 0, OptionChainBoard::ColumnCount - 1);
  }
  bool hasVenueMarks() const {
    for (const OptionAnalytics& o : options_)
      if (o.venueMarkIv > 0) return true;
    return false;
  }

  // Rebuilds the rows of one expiry (index into the analytics' expiries).
  void rebuild(std::size_t expiryIndex, double forward) {
    forward_ = forward;
    byStrike_.clear();
    for (std::size_t i = 0; i < options_.size(); ++i)
      if (options_[i].expiryIndex == expiryIndex) byStrike_.emplace_back(options_[i].strike, int(i));
    std::sort(byStrike_.begin(), byStrike_.end());
    next_.clear();
    for (const auto& [strike, i] : byStrike_) {
      if (next_.empty() || std::abs(next_.back().strike - strike) > 1e-9 * std::max(1.0, strike)) next_.push_back(Row{strike});
      (options_[std::size_t(i)].isCall ? next_.back().call : next_.back().put) = i;
    }
    atm_ = -1;
    double best = 0;
    for (std::size_t r = 0; r < next_.size() && forward > 0; ++r) {
      const double d = std::abs(next_[r].strike - forward);
      if (atm_ < 0 || d < best) atm_ = int(r), best = d;
    }
    if (next_.size() == rows_.size()) {
      rows_.swap(next_);
      changedAll();
    } else {
      beginResetModel();
      rows_.swap(next_);
      endResetModel();
    }
  }

  void setQuotes(const std::vector<QuoteRow>& quotes) {
    bool changed = false;
    for (const Row& r : rows_) {
      for (int i : {r.call, r.put}) {
        if (i < 0 || changed) continue;
        const InstrumentId id = options_[std::size_t(i)].instrument;
        const QuoteRow& a = quote(id);
        const QuoteRow b = id < quotes.size() ? quotes[id] : QuoteRow{};
        changed = a.bid != b.bid || a.ask != b.ask || a.status != b.status || a.staleReason != b.staleReason;
      }
      if (changed) break;
    }
    quotes_.assign(quotes.begin(), quotes.end());  // trivially copyable rows: reuses capacity
    if (changed) changedAll();
  }

  void setPositions(const std::vector<std::pair<InstrumentId, double>>& positions) {
    posNext_.assign(instruments_.size(), 0.0);
    for (const auto& [id, qty] : positions)
      if (id < posNext_.size()) posNext_[id] += qty;
    if (posNext_ == pos_) return;
    pos_.swap(posNext_);
    changedAll();
  }

  const OptionAnalytics* option(int row, bool call) const {
    if (row < 0 || row >= int(rows_.size())) return nullptr;
    const int i = call ? rows_[std::size_t(row)].call : rows_[std::size_t(row)].put;
    return i < 0 ? nullptr : &options_[std::size_t(i)];
  }
  const QuoteRow& quote(InstrumentId id) const {
    static const QuoteRow kNone{};
    return id < quotes_.size() ? quotes_[id] : kNone;
  }
  double position(InstrumentId id) const { return id < pos_.size() ? pos_[id] : 0.0; }
  int atmRow() const { return atm_; }

  int rowCount(const QModelIndex& parent = {}) const override { return parent.isValid() ? 0 : int(rows_.size()); }
  int columnCount(const QModelIndex& parent = {}) const override {
    return parent.isValid() ? 0 : int(OptionChainBoard::ColumnCount);
  }

  QVariant headerData(int section, Qt::Orientation o, int role) const override {
    if (o != Qt::Horizontal || section < 0 || section >= OptionChainBoard::ColumnCount)
      return QAbstractTableModel::headerData(section, o, role);
    const Field f = kFieldOf[section];
    const QString side = isCallColumn(section) ? "Call" : "Put";
    if (role == Qt::DisplayRole) {
      switch (f) {
        case FPos: return "Pos";
        case FBidIv: return "Bid IV";
        case FBid: return "Bid";
        case FMark: return "Mark";
        case FAsk: return "Ask";
        case FAskIv: return "Ask IV";
        case FMarkIv: return "Mark IV";
        case FVenueIv: return venue_.isEmpty() ? QString("Venue IV") : venue_ + " IV";
        case FIvDiff: return "\u0394 IV";
        case FDelta: return "Delta";
        case FGamma: return "Gamma";
        case FVega: return "Vega";
        case FTheta: return "Theta";
        case FStrike: return "Strike";
      }
    } else if (role == Qt::ToolTipRole) {
      switch (f) {
        case FPos: return side + ": your position (contracts)";
        case FBidIv: return side + ": implied vol of the best bid, %";
        case FBid: return side + ": best bid, " + coin_ + " — click or Enter to SELL at the bid";
        case FMark: return side + ": model value at the mark IV (fitted SVI surface), " + coin_;
        case FAsk: return side + ": best ask, " + coin_ + " — click or Enter to BUY at the ask";
        case FAskIv: return side + ": implied vol of the best ask, %";
        case FMarkIv: return side + ": our mark IV (fitted SVI surface), %";
        case FVenueIv: return side + ": " + (venue_.isEmpty() ? QString("the venue") : venue_) + "'s own mark IV, %";
        case FIvDiff: return side + ": our mark IV minus " + (venue_.isEmpty() ? QString("the venue") : venue_) + "'s, vol points";
        case FDelta: return side + ": Black-76 delta (premium-adjusted coin delta on hover)";
        case FGamma: return side + ": Black-76 gamma per USD (coin gamma on hover)";
        case FVega: return side + ": vega, USD per vol point (" + coin_ + " on hover)";
        case FTheta: return side + ": theta, USD per day (" + coin_ + " on hover)";
        case FStrike: return "Strike, USD; the ATM row (nearest the forward) is highlighted";
      }
    } else if (role == Qt::TextAlignmentRole) {
      return int(Qt::AlignCenter);
    }
    return {};
  }

  QVariant data(const QModelIndex& idx, int role) const override {
    if (!idx.isValid() || idx.row() >= int(rows_.size())) return {};
    const Row& r = rows_[std::size_t(idx.row())];
    const int col = idx.column();
    const Field f = kFieldOf[col];
    const bool atm = idx.row() == atm_;

    if (f == FStrike) {
      switch (role) {
        case Qt::DisplayRole: return formatMoney(r.strike, r.strike == std::floor(r.strike) ? 0 : 1);
        case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
        case Qt::FontRole: return monoBold_;
        case Qt::BackgroundRole: return QBrush(atm ? kAtmStrike : kStrikeBg);
        case Qt::ForegroundRole: return QBrush(atm ? colors::last : colors::text);
        case Qt::ToolTipRole:
          return atm ? QString("At the money: nearest strike to the forward %1").arg(formatMoney(forward_, 2)) : QVariant();
        default: return {};
      }
    }

    const bool call = isCallColumn(col);
    const int oi = call ? r.call : r.put;
    if (role == Qt::BackgroundRole) {
      if (atm) return QBrush(kAtmRow);
      const bool itm = forward_ > 0 && (call ? r.strike < forward_ : r.strike > forward_);
      return itm ? QVariant(QBrush(kItmShade)) : QVariant();
    }
    if (oi < 0) return {};
    const OptionAnalytics& o = options_[std::size_t(oi)];
    const QuoteRow& q = quote(o.instrument);
    const bool isStale = q.status == BookStatus::Stale;

    switch (role) {
      case Qt::DisplayRole:
        switch (f) {
          case FPos: {
            const double p = position(o.instrument);
            return p != 0 && o.instrument < instruments_.size() ? formatQty(instruments_[o.instrument], p) : QString();
          }
          case FBidIv: return o.bidIv > 0 ? percent1(o.bidIv) : QString();
          case FAskIv: return o.askIv > 0 ? percent1(o.askIv) : QString();
          case FMarkIv: return o.markIv > 0 ? percent1(o.markIv) : QString();
          case FVenueIv: return o.venueMarkIv > 0 ? percent1(o.venueMarkIv) : QString();
          case FIvDiff: return o.venueMarkIv > 0 && o.markIv > 0 ? volPoints(o.markIv - o.venueMarkIv) : QString();
          case FBid: return q.bid > 0 ? QString::fromStdString(formatFixed(q.bid, kCoinDecimals)) : QString();
          case FAsk: return q.ask > 0 ? QString::fromStdString(formatFixed(q.ask, kCoinDecimals)) : QString();
          case FMark: return o.theo > 0 ? QString::number(o.theo, 'f', kCoinDecimals) : QString();
          case FDelta: return QString::number(o.deltaUsd, 'f', 2);
          case FGamma: return QString::number(o.gammaUsd, 'f', 5);
          case FVega: return QString::number(o.vegaUsd / 100.0, 'f', 2);
          case FTheta: return QString::number(o.thetaUsd / 365.0, 'f', 2);
          default: return {};
        }
      case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
      case Qt::FontRole: return f == FPos ? monoBold_ : mono_;
      case Qt::ForegroundRole:
        if ((f == FBid || f == FAsk) && isStale) return QBrush(colors::stale);
        switch (f) {
          case FPos: return QBrush(colors::own);
          case FBid: case FBidIv: return QBrush(colors::bid);
          case FAsk: case FAskIv: return QBrush(colors::ask);
          case FMark: case FMarkIv: return QBrush(colors::text);
          case FIvDiff: {
            // A difference of a vol point or more is worth a look (the sign says whose is higher).
            const double d = o.venueMarkIv > 0 && o.markIv > 0 ? o.markIv - o.venueMarkIv : 0.0;
            return QBrush(std::abs(d) < 0.01 ? colors::dimText.lighter(125) : colors::last);
          }
          default: return QBrush(colors::dimText.lighter(125));
        }
      case Qt::ToolTipRole: {
        const QString name = o.instrument < instruments_.size() ? QString::fromStdString(instruments_[o.instrument].name) : QString();
        switch (f) {
          case FBid:
            if (isStale) return name + " — " + stale(q) + "; clicks are refused";
            return q.bid > 0 ? QString("%1: click or Enter to SELL at %2 (hit the bid)").arg(name, QString::fromStdString(formatFixed(q.bid, kCoinDecimals)))
                             : name + ": no bid";
          case FAsk:
            if (isStale) return name + " — " + stale(q) + "; clicks are refused";
            return q.ask > 0 ? QString("%1: click or Enter to BUY at %2 (lift the offer)").arg(name, QString::fromStdString(formatFixed(q.ask, kCoinDecimals)))
                             : name + ": no ask";
          case FBidIv:
            return o.bidIv > 0 || q.bid <= 0 ? QVariant() : QVariant(QString("No bid IV: %1").arg(pricing::nameOf(o.bidStatus)));
          case FAskIv:
            return o.askIv > 0 || q.ask <= 0 ? QVariant() : QVariant(QString("No ask IV: %1").arg(pricing::nameOf(o.askStatus)));
          case FMark:
            return QString("%1 · mark IV %2 · %3 USD · edge bid %4 / ask %5 %6")
                .arg(name, percent1(o.markIv), formatMoney(o.theo * forward_, 2), QString::number(o.edgeBid, 'f', 5),
                     QString::number(o.edgeAsk, 'f', 5), coin_);
          case FMarkIv: case FVenueIv: case FIvDiff:
            if (!(o.venueMarkIv > 0)) return name + ": no mark IV from " + (venue_.isEmpty() ? QString("the venue") : venue_);
            return QString("%1: ours %2 · %3 %4 · difference %5 vol points")
                .arg(name, percent1(o.markIv), venue_.isEmpty() ? QString("venue") : venue_, percent1(o.venueMarkIv),
                     volPoints(o.markIv - o.venueMarkIv));
          case FDelta: return QString("Coin delta (premium-adjusted): %1").arg(o.deltaCoin, 0, 'f', 4);
          case FGamma: return QString("Coin gamma: %1 per USD").arg(o.gammaCoin, 0, 'g', 4);
          case FVega: return QString("%1 %2 per vol point").arg(o.vegaCoin / 100.0, 0, 'f', 6).arg(coin_);
          case FTheta: return QString("%1 %2 per day").arg(o.thetaCoin / 365.0, 0, 'f', 6).arg(coin_);
          case FPos: return name;
          default: return {};
        }
      }
      default: return {};
    }
  }

 private:
  void changedAll() {
    if (!rows_.empty()) emit dataChanged(index(0, 0), index(int(rows_.size()) - 1, OptionChainBoard::ColumnCount - 1));
  }

  const InstrumentRegistry& instruments_;
  QString coin_ = "BTC";
  QString venue_;
  std::vector<OptionAnalytics> options_;
  std::vector<Row> rows_, next_;
  std::vector<std::pair<double, int>> byStrike_;
  std::vector<QuoteRow> quotes_;
  std::vector<double> pos_, posNext_;
  double forward_ = 0;
  int atm_ = -1;
  QFont mono_, monoBold_;
};

}  // namespace detail

OptionChainBoard::OptionChainBoard(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 4, 4, 4);
  v->setSpacing(3);

  tabs_ = new QTabBar(this);
  tabs_->setObjectName("chainExpiryTabs");
  tabs_->setExpanding(false);
  tabs_->setDrawBase(false);
  tabs_->setUsesScrollButtons(true);
  tabs_->setToolTip("Expiries (days to expiry) — Ctrl+PgUp / Ctrl+PgDown to switch");
  v->addWidget(tabs_);

  auto* bar = new QHBoxLayout;
  info_ = new QLabel("Waiting for the option chain…");
  info_->setTextFormat(Qt::RichText);
  info_->setStyleSheet("color:#c9d1dc;");
  bar->addWidget(info_, 1);
  bar->addWidget(new QLabel("Qty"));
  qty_ = new QLineEdit("1");
  qty_->setObjectName("chainQty");
  qty_->setAlignment(Qt::AlignRight);
  qty_->setMaximumWidth(80);
  qty_->setToolTip("Contracts per click on a bid (sell) or ask (buy) — Alt+Q focuses this box");
  bar->addWidget(qty_);
  v->addLayout(bar);

  message_ = new QLabel("Click a bid to sell at the bid, an ask to buy at the ask (Enter on the selected cell does the same)");
  message_->setWordWrap(true);
  message_->setStyleSheet("color:#8a93a3;");
  v->addWidget(message_);

  auto* sides = new QHBoxLayout;
  auto* calls = new QLabel("CALLS");
  auto* puts = new QLabel("PUTS");
  for (QLabel* l : {calls, puts}) l->setStyleSheet("color:#8a93a3; font-size:10px; font-weight:bold; letter-spacing:2px;");
  sides->addWidget(calls);
  sides->addStretch(1);
  sides->addWidget(puts);
  v->addLayout(sides);

  model_ = new detail::ChainBoardModel(instruments_, this);
  auto* view = new PlaceholderTableView("Waiting for the option chain…", this);
  view->setObjectName("chainTable");
  view->setModel(model_);
  view->setSelectionBehavior(QAbstractItemView::SelectItems);
  view->setSelectionMode(QAbstractItemView::SingleSelection);
  view->setEditTriggers(QAbstractItemView::NoEditTriggers);
  view->setAlternatingRowColors(false);  // the ITM shading and the ATM row carry the meaning
  view->setShowGrid(false);
  view->setWordWrap(false);
  view->setMouseTracking(true);
  view->verticalHeader()->setVisible(false);
  view->verticalHeader()->setDefaultSectionSize(20);
  view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // never ResizeToContents on live tables
  view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  view->horizontalHeader()->setStretchLastSection(false);
  view->horizontalHeader()->setHighlightSections(false);
  view->horizontalHeader()->setDefaultSectionSize(56);  // "0.0615", "71.2%": compact, tabular
  view->horizontalHeader()->setMinimumSectionSize(30);
  view->installEventFilter(this);
  table_ = view;
  sizeColumns();
  v->addWidget(table_, 1);

  connect(table_, &QTableView::clicked, this, [this](const QModelIndex& idx) { activateCell(idx.row(), idx.column()); });
  connect(tabs_, &QTabBar::currentChanged, this, &OptionChainBoard::onTabChanged);

  auto shortcut = [this](QKeyCombination keys) {
    auto* sc = new QShortcut(QKeySequence(keys), this);
    sc->setContext(Qt::WidgetWithChildrenShortcut);
    return sc;
  };
  QShortcut* prev = shortcut(Qt::CTRL | Qt::Key_PageUp);
  QShortcut* next = shortcut(Qt::CTRL | Qt::Key_PageDown);
  QShortcut* focusQty = shortcut(Qt::ALT | Qt::Key_Q);
  connect(prev, &QShortcut::activated, this, [this] {
    if (tabs_->currentIndex() > 0) tabs_->setCurrentIndex(tabs_->currentIndex() - 1);
  });
  connect(next, &QShortcut::activated, this, [this] {
    if (tabs_->currentIndex() + 1 < tabs_->count()) tabs_->setCurrentIndex(tabs_->currentIndex() + 1);
  });
  connect(focusQty, &QShortcut::activated, this, [this] {
    qty_->setFocus();
    qty_->selectAll();
  });
}

OptionChainBoard::~OptionChainBoard() = default;

void OptionChainBoard::setVenueName(const QString& name) {
  model_->setVenueName(name);
  sizeColumns();
}

void OptionChainBoard::sizeColumns() {
  // Compact, tabular widths, checked on screen: with the venue's IV difference the board still
  // fits the default layout of a 1600 px window (gamma, theta, vega and the marks hide first).
  // A header wider than its numbers ("Deribit IV") widens its own column.
  const std::pair<Field, int> byField[] = {{FPos, 34},    {FBidIv, 48},  {FBid, 52},     {FMark, 52},   {FAsk, 52},
                                           {FAskIv, 48},  {FMarkIv, 52}, {FVenueIv, 52}, {FIvDiff, 38}, {FDelta, 46},
                                           {FGamma, 64},  {FVega, 48},   {FTheta, 56}};
  for (int c = 0; c < ColumnCount; ++c)
    for (const auto& [f, w] : byField)
      if (kFieldOf[c] == f) table_->setColumnWidth(c, f == FVenueIv ? std::max(w, headerTextWidth(table_, c)) : w);
  table_->setColumnWidth(StrikeCol, 62);
  fitColumns();
}

QString OptionChainBoard::qtyText() const { return qty_->text(); }

void OptionChainBoard::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? "color:#ff6b6b; font-weight:bold;" : "color:#8a93a3;");
}

Nanos OptionChainBoard::selectedExpiry() const { return selected_; }
int OptionChainBoard::atmRow() const { return model_->atmRow(); }
int OptionChainBoard::rowCount() const { return model_->rowCount(); }

int OptionChainBoard::selectedIndex() const {
  const int i = tabs_->currentIndex();
  return i >= 0 && i < int(expiries_.size()) ? i : -1;
}

void OptionChainBoard::selectExpiry(Nanos expiry) {
  for (std::size_t i = 0; i < expiries_.size(); ++i)
    if (expiries_[i].expiry == expiry) {
      tabs_->setCurrentIndex(int(i));  // onTabChanged does the rest (no-op if already current)
      return;
    }
  selected_ = expiry;  // not listed (yet): picked up by the next apply
}

void OptionChainBoard::apply(const analytics::ChainAnalytics& a) {
  if (haveChain_ && a.seq == seq_ && a.underlying == underlying_) return;
  const bool switched = haveChain_ && a.underlying != underlying_;  // another underlying's chain: new strikes
  haveChain_ = true;
  seq_ = a.seq;
  underlying_ = a.underlying;
  model_->setCoin(a.underlying.empty() ? QString("BTC") : QString::fromStdString(a.underlying));

  expiries_.resize(a.expiries.size());
  for (std::size_t i = 0; i < a.expiries.size(); ++i) {
    const analytics::ExpiryAnalytics& e = a.expiries[i];
    ExpiryInfo& x = expiries_[i];
    if (x.expiry != e.expiry || x.code.isEmpty()) x.code = QString::fromStdString(deribitExpiryCode(e.expiry));
    x.expiry = e.expiry;
    x.t = e.t;
    x.forward = e.forward;
    x.atmVol = e.atmVol;
    x.rmse = e.fit.rmse;
    x.fromParity = e.forwardFromParity;
    x.butterfly = e.butterfly.arbitrage;
    x.fitStatus = e.fit.status;
    x.quotesUsed = e.fit.quotesUsed;
    x.dte = formatTimeToExpiry(e.expiry, a.computedAt, e.t);
  }
  model_->storeOptions(a.options);
  if (model_->hasVenueMarks() != venueIvShown_) {
    venueIvShown_ = !venueIvShown_;
    fitColumns();
  }
  const Nanos before = selected_;
  syncTabs();
  rebuildRows(selected_ != before || model_->rowCount() == 0 || switched);
  updateHeader();
}

void OptionChainBoard::syncTabs() {
  bool same = tabs_->count() == int(expiries_.size());
  for (int i = 0; same && i < tabs_->count(); ++i) same = tabs_->tabData(i).toLongLong() == expiries_[std::size_t(i)].expiry;
  syncingTabs_ = true;
  if (!same) {
    // Keep the user's expiry; if it has expired, the next one after it.
    const Nanos keep = selected_;
    while (tabs_->count() > 0) tabs_->removeTab(tabs_->count() - 1);
    int pick = 0;
    for (std::size_t i = 0; i < expiries_.size(); ++i) {
      tabs_->addTab(QString());
      tabs_->setTabData(int(i), QVariant::fromValue<qlonglong>(expiries_[i].expiry));
      if (keep != 0 && expiries_[i].expiry <= keep) pick = int(i) + (expiries_[i].expiry < keep ? 1 : 0);
    }
    if (pick >= tabs_->count()) pick = tabs_->count() - 1;
    if (pick >= 0) tabs_->setCurrentIndex(pick);
  }
  for (std::size_t i = 0; i < expiries_.size(); ++i) {
    const ExpiryInfo& x = expiries_[i];
    const QString text = x.code + QStringLiteral(" · ") + x.dte;
    if (tabs_->tabText(int(i)) != text) tabs_->setTabText(int(i), text);
  }
  syncingTabs_ = false;
  const int sel = selectedIndex();
  const Nanos now = sel >= 0 ? expiries_[std::size_t(sel)].expiry : 0;
  if (now != selected_) {
    selected_ = now;
    if (now != 0) emit expirySelected(qint64(now));
  }
}

void OptionChainBoard::onTabChanged(int index) {
  if (syncingTabs_ || index < 0 || index >= int(expiries_.size())) return;
  const Nanos e = expiries_[std::size_t(index)].expiry;
  if (e == selected_) return;
  selected_ = e;
  rebuildRows(true);
  updateHeader();
  emit expirySelected(qint64(e));
}

void OptionChainBoard::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  fitColumns();
}

void OptionChainBoard::fitColumns() {
  // Prices, IVs, delta and the position matter most; gamma, then theta, vega and the mark go first
  // when the board is narrower than all columns (they come back as it widens; tooltips keep them).
  // The venue's mark IV and the difference exist only while the venue sends marks; the difference
  // (ours minus the venue's, the one figure a trader scans the board for) is never hidden by width:
  // both marks are in its tooltip.
  const std::pair<int, int> byPriority[] = {{CallGamma, PutGamma}, {CallTheta, PutTheta}, {CallVega, PutVega},
                                            {CallMark, PutMark},   {CallVenueIv, PutVenueIv}, {CallMarkIv, PutMarkIv}};
  for (const auto& [c, p] : byPriority) {
    table_->setColumnHidden(c, c == CallVenueIv && !venueIvShown_);
    table_->setColumnHidden(p, p == PutVenueIv && !venueIvShown_);
  }
  table_->setColumnHidden(CallIvDiff, !venueIvShown_);
  table_->setColumnHidden(PutIvDiff, !venueIvShown_);
  auto needed = [this] {
    int w = table_->verticalHeader()->isVisible() ? table_->verticalHeader()->width() : 0;
    for (int c = 0; c < ColumnCount; ++c)
      if (!table_->isColumnHidden(c)) w += table_->columnWidth(c);
    return w + 4;
  };
  const int available = table_->viewport()->width() > 0 ? table_->width() - 16 : width();
  for (const auto& [c, p] : byPriority) {
    if (needed() <= available) break;
    table_->setColumnHidden(c, true);
    table_->setColumnHidden(p, true);
  }
}

void OptionChainBoard::rebuildRows(bool scrollToAtm) {
  const int sel = selectedIndex();
  if (sel < 0) {
    model_->rebuild(std::size_t(-1), 0);
    return;
  }
  model_->rebuild(std::size_t(sel), expiries_[std::size_t(sel)].forward);
  if (scrollToAtm && model_->atmRow() >= 0)
    table_->scrollTo(model_->index(model_->atmRow(), StrikeCol), QAbstractItemView::PositionAtCenter);
}

void OptionChainBoard::updateHeader() {
  const int sel = selectedIndex();
  if (sel < 0) {
    info_->setText(haveChain_ ? "No listed expiries in the chain" : "Waiting for the option chain…");
    return;
  }
  const ExpiryInfo& x = expiries_[std::size_t(sel)];
  QString svi;
  const bool usable = x.fitStatus == vol::SviFitStatus::Ok || x.fitStatus == vol::SviFitStatus::NotConverged;
  if (usable) {
    svi = QString("SVI <span style='color:%1'>%2</span> · rmse %3 pt · %4 quotes")
              .arg(x.fitStatus == vol::SviFitStatus::Ok ? colors::dimText.name() : colors::last.name(), vol::nameOf(x.fitStatus))
              .arg(x.rmse * 100.0, 0, 'f', 2)
              .arg(x.quotesUsed);
    if (x.butterfly) svi += QString(" · <span style='color:%1'>butterfly arbitrage</span>").arg(colors::ask.name());
  } else {
    svi = QString("SVI <span style='color:%1'>%2</span> — marks from market mids").arg(colors::last.name(), vol::nameOf(x.fitStatus));
  }
  info_->setText(QString("<b>%8</b> <b>%1</b> · %2 &nbsp;&nbsp; F <b>%3</b> <span style='color:%4'>(%5)</span> &nbsp;&nbsp; ATM <b>%6</b> "
                         "&nbsp;&nbsp; %7")
                     .arg(x.code, x.dte, formatMoney(x.forward, 2), colors::dimText.name(),
                          x.fromParity ? QString("put-call parity") : QString("index + carry"),
                          x.atmVol > 0 ? percent1(x.atmVol) : QString("—"), svi, model_->coin()));
}

void OptionChainBoard::setQuotes(const std::vector<QuoteRow>& quotes) { model_->setQuotes(quotes); }

void OptionChainBoard::setPositions(const std::vector<std::pair<InstrumentId, double>>& positions) {
  model_->setPositions(positions);
}

bool OptionChainBoard::activateCell(int row, int column) {
  if (column < 0 || column >= ColumnCount) return false;
  const Field f = kFieldOf[column];
  if (f != FBid && f != FAsk) return false;
  const analytics::OptionAnalytics* o = model_->option(row, isCallColumn(column));
  if (!o) return false;
  const QuoteRow& q = model_->quote(o->instrument);
  const QString name = o->instrument < instruments_.size() ? QString::fromStdString(instruments_[o->instrument].name) : QString();
  if (q.status == BookStatus::Stale) {
    showMessage(QString("%1: %2 — nothing sent").arg(name, stale(q)), true);
    return false;
  }
  const Price price = f == FBid ? q.bid : q.ask;
  if (price <= 0) {
    showMessage(QString("%1: no %2 to %3 — nothing sent").arg(name, f == FBid ? "bid" : "ask", f == FBid ? "hit" : "lift"), true);
    return false;
  }
  emit orderClicked(o->instrument, f == FBid ? Side::Sell : Side::Buy, price);
  return true;
}

bool OptionChainBoard::eventFilter(QObject* watched, QEvent* event) {
  if (watched == table_ && event->type() == QEvent::KeyPress) {
    const auto* k = static_cast<QKeyEvent*>(event);
    if ((k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter) &&
        !(k->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier))) {
      const QModelIndex idx = table_->currentIndex();
      if (idx.isValid()) activateCell(idx.row(), idx.column());
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

}  // namespace kappa::ui
