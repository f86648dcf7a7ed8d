#include "TradingModels.hpp"

#include <QBrush>
#include <QFontDatabase>
#include <cmath>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
QVariant right() { return int(Qt::AlignRight | Qt::AlignVCenter); }
QVariant mono() { return QFontDatabase::systemFont(QFontDatabase::FixedFont); }
QVariant sideBrush(Side s) { return QBrush(s == Side::Buy ? colors::bid : colors::ask); }
QString sideText(Side s) { return s == Side::Buy ? "Buy" : "Sell"; }
}  // namespace

OrdersModel::OrdersModel(const InstrumentRegistry& instruments, QObject* parent)
    : RowTableModel(instruments,
                    // The time of the order's last change (a fill, a cancel); its creation is in the tooltip.
                    {"Updated", "Venue", "Instrument", "Side", "Type", "Price", "Qty", "Filled", "State", "Info", "Avg", "Id"},
                    parent) {}

QVariant OrdersModel::cell(const Order& o, int col, int role) const {
  const kappa::Instrument& inst = instruments_[o.request.instrument];
  if (role == Qt::DisplayRole) {
    switch (col) {
      case Time: return formatUtcTime(o.updated ? o.updated : o.created);
      case Id: return QString::number(o.id);
      case Venue: return venues_.venue(inst);
      case Instrument: return QString::fromStdString(inst.name);
      case Side: return sideText(o.request.side);
      case Type: {
        QString t = o.request.type == OrderType::Market ? "Market" : "Limit";
        if (o.request.tif == TimeInForce::ImmediateOrCancel) t += " IOC";
        if (o.request.postOnly) t += " post";
        return t;
      }
      case Price: return o.request.type == OrderType::Market ? QString("MKT") : formatPrice(inst, o.request.price);
      case Qty: return formatQty(inst, o.request.qty);
      case Filled: return formatQty(inst, o.filled);
      case AvgPrice: return o.filled ? formatPrice(inst, o.avgFillPrice) : QString();
      case State: return QString(nameOf(o.state)) + (o.cancelRequested && isWorking(o.state) ? " (cxl sent)" : "");
      case Info: return o.reason.empty() ? QString(nameOf(o.request.origin)) : QString::fromStdString(o.reason);
    }
  } else if (role == Qt::TextAlignmentRole && (col == Price || col == Qty || col == Filled || col == AvgPrice || col == Id)) {
    return right();
  } else if (role == Qt::FontRole && (col == Price || col == Qty || col == Filled || col == AvgPrice)) {
    return mono();
  } else if (role == Qt::ForegroundRole) {
    if (col == Side) return sideBrush(o.request.side);
    if (col == State || col == Info) {
      if (o.state == OrderState::Rejected) return QBrush(colors::ask);
      if (isWorking(o.state)) return QBrush(colors::own);
      return QBrush(colors::dimText);
    }
  } else if (role == Qt::ToolTipRole && col == Time) {
    return "created " + formatUtcTime(o.created) + (o.updated ? ", last changed " + formatUtcTime(o.updated) : QString());
  } else if (role == Qt::ToolTipRole && !o.reason.empty()) {
    return QString::fromStdString(o.reason);
  }
  return {};
}

FillsModel::FillsModel(const InstrumentRegistry& instruments, QObject* parent)
    : RowTableModel(instruments, {"Time (UTC)", "Order", "Venue", "Instrument", "Side", "Price", "Qty", "Fee", "Liq."}, parent) {}

QVariant FillsModel::cell(const Fill& f, int col, int role) const {
  const kappa::Instrument& inst = instruments_[f.instrument];
  if (role == Qt::DisplayRole) {
    switch (col) {
      case Time: return formatUtcTime(f.ts);
      case OrderIdCol: return QString::number(f.orderId);
      case Venue: return venues_.venue(inst);
      case Instrument: return QString::fromStdString(inst.name);
      case Side: return sideText(f.side);
      case Price: return formatPrice(inst, f.price);
      case Qty: return formatQty(inst, f.qty);
      case Fee: return QString::number(f.fee, 'f', 8) + " " + QString::fromStdString(inst.settleCurrency);
      case Liquidity: return f.maker ? "maker" : "taker";
    }
  } else if (role == Qt::TextAlignmentRole && (col == Price || col == Qty || col == Fee || col == OrderIdCol)) {
    return right();
  } else if (role == Qt::FontRole && (col == Price || col == Qty || col == Fee)) {
    return mono();
  } else if (role == Qt::ForegroundRole && col == Side) {
    return sideBrush(f.side);
  }
  return {};
}

PositionsModel::PositionsModel(const InstrumentRegistry& instruments, QObject* parent)
    : RowTableModel(instruments, {"Venue", "Instrument", "Position", "Avg price", "Mark", "Unrealized", "Realized", "Fees", "Ccy", "PnL $"},
                    parent) {}

void PositionsModel::apply(const EngineSnapshot& s) {
  indices_.clear();
  for (const UnderlyingRow& u : s.underlyings) indices_.emplace_back(u.currency, u.index);
  setRows(s.positions);
}

double PositionsModel::pnlUsd(const PositionRow& p) const {
  const kappa::Instrument& inst = instruments_[p.instrument];
  const double pnl = p.realizedPnl + p.unrealizedPnl - p.fees;
  const std::string& ccy = inst.settleCurrency;
  if (kappa::isDollarCurrency(ccy)) return pnl;  // linear: settled in dollars (at par)
  for (const auto& [c, index] : indices_)
    if (c == ccy) return index > 0 ? pnl * index : std::nan("");
  return std::nan("");
}

QVariant PositionsModel::cell(const PositionRow& p, int col, int role) const {
  const kappa::Instrument& inst = instruments_[p.instrument];
  if (role == Qt::DisplayRole) {
    switch (col) {
      case Venue: return venues_.venue(inst);
      case Instrument: return QString::fromStdString(inst.name);
      case Qty:  // on-chain: the part whose transactions are included but not confirmed yet
        return p.unconfirmedQty != 0 ? formatQty(inst, p.qty) + "  (" + formatQty(inst, p.unconfirmedQty) + " unconfirmed)"
                                     : formatQty(inst, p.qty);
      case AvgPrice: return p.qty != 0 ? formatPrice(inst, p.averagePrice) : QString();
      case Mark: return formatPrice(inst, p.mark);
      case Unrealized: return QString::number(p.unrealizedPnl, 'f', 6);
      case Realized: return QString::number(p.realizedPnl, 'f', 6);
      case Fees: return QString::number(p.fees, 'f', 6);
      case Currency: return QString::fromStdString(inst.settleCurrency);
      case PnlUsd: {
        const double usd = pnlUsd(p);
        return std::isfinite(usd) ? formatMoney(usd, 2) : QString("—");
      }
    }
  } else if (role == Qt::TextAlignmentRole && col != Venue && col != Instrument && col != Currency) {
    return right();
  } else if (role == Qt::FontRole && col != Venue && col != Instrument && col != Currency) {
    return mono();
  } else if (role == Qt::ForegroundRole && col == Venue) {
    return QBrush(colors::dimText);
  } else if (role == Qt::ToolTipRole && col == PnlUsd) {
    return (kappa::isDollarCurrency(inst.settleCurrency)
               ? QString("Realized + unrealized − fees, settled in %1 (taken at par with USD)").arg(QString::fromStdString(inst.settleCurrency))
               : QString("Realized + unrealized − fees in %1, at the %1 index").arg(QString::fromStdString(inst.settleCurrency)))
        + QString("\nFees paid: %1 %2").arg(QString::number(p.fees, 'f', 8), QString::fromStdString(inst.settleCurrency));
  } else if (role == Qt::ToolTipRole && col == Qty && p.unconfirmedQty != 0) {
    return QString("%1 of it comes from swaps included on chain but not yet confirmed: counted, and not final until "
                   "enough blocks follow")
        .arg(formatQty(inst, p.unconfirmedQty));
  } else if (role == Qt::ToolTipRole && (col == Unrealized || col == Realized || col == Fees)) {
    return QString("In %1, the instrument's settlement currency").arg(QString::fromStdString(inst.settleCurrency));
  } else if (role == Qt::ForegroundRole) {
    if (col == Qty && p.qty != 0) return QBrush(p.qty > 0 ? colors::bid : colors::ask);
    if (col == Unrealized && p.unrealizedPnl != 0) return QBrush(p.unrealizedPnl > 0 ? colors::bid : colors::ask);
    if (col == Realized && p.realizedPnl != 0) return QBrush(p.realizedPnl > 0 ? colors::bid : colors::ask);
    if (col == PnlUsd) {
      const double usd = pnlUsd(p);
      if (std::isfinite(usd) && usd != 0) return QBrush(usd > 0 ? colors::bid : colors::ask);
    }
  }
  return {};
}

TradesModel::TradesModel(const InstrumentRegistry& instruments, QObject* parent)
    : RowTableModel(instruments, {"Time (UTC)", "Price", "Size", "Side"}, parent) {}

void TradesModel::apply(const EngineSnapshot& s, InstrumentId instrument) {
  std::vector<TradePrint> next;
  if (instrument != instrument_) {
    // Another instrument: the previous one's prints go at once, whether or not this snapshot
    // carries the new one's yet (empty until it does).
    instrument_ = instrument;
    lastSeq_ = 0;
    setRows({});
  }
  const FocusedMarket* market = s.focusedOn(instrument);
  if (!market) return;
  const std::vector<TradePrint>& trades = market->trades;
  if (trades.empty() || trades.back().seq <= lastSeq_) return;
  next = rows();
  std::vector<TradePrint> fresh;
  for (const TradePrint& t : trades)
    if (t.seq > lastSeq_) fresh.push_back(t);
  if (!fresh.empty()) lastSeq_ = fresh.back().seq;
  next.insert(next.begin(), fresh.rbegin(), fresh.rend());
  if (next.size() > kMaxRows) next.resize(kMaxRows);
  setRows(std::move(next));
}

QVariant TradesModel::cell(const TradePrint& t, int col, int role) const {
  const kappa::Instrument& inst = instruments_[t.instrument];
  if (role == Qt::DisplayRole) {
    switch (col) {
      case Time: return formatUtcTime(t.ts);
      case Price: return formatPrice(inst, t.price);
      case Size: return formatQty(inst, t.qty);
      case Side: return t.aggressor == kappa::Side::Buy ? "Buy" : "Sell";
    }
  } else if (role == Qt::TextAlignmentRole && (col == Price || col == Size)) {
    return right();
  } else if (role == Qt::FontRole && col != Side) {
    return mono();
  } else if (role == Qt::ForegroundRole && (col == Price || col == Side)) {
    return sideBrush(t.aggressor);
  }
  return {};
}

}  // namespace kappa::ui
