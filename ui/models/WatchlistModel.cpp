#include "WatchlistModel.hpp"

#include <QBrush>
#include <QDateTime>
#include <QFontDatabase>
#include <algorithm>
#include <tuple>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
constexpr qint64 kFlashMs = 350;

// The funding the venue last said for a perpetual (0 when it says none).
std::pair<double, std::int64_t> fundingOf(const QuoteRow& q) { return {q.fundingRate, q.nextFundingMs}; }

// Why a quote has no usable price for a basis, or "" when it has one.
QString unusable(const Instrument& inst, const QuoteRow& q) {
  if (inst.kind == InstrumentKind::Index) return q.last ? QString() : QString("no index price yet");
  if (q.status == BookStatus::Stale) return QString("book stale (%1)").arg(nameOf(q.staleReason));
  if (q.status != BookStatus::Live || !q.bid || !q.ask) return QString("no two-sided book yet");
  return {};
}

double midOf(const Instrument& inst, const QuoteRow& q) {
  if (inst.kind == InstrumentKind::Index) return toDouble(q.last);
  return (toDouble(q.bid) + toDouble(q.ask)) / 2;
}
}  // namespace

WatchlistModel::WatchlistModel(const InstrumentRegistry& instruments, QObject* parent)
    : QAbstractTableModel(parent), instruments_(instruments) {
  clock_.start();
  rebuild(instruments_.size());
}

void WatchlistModel::rebuild(std::size_t count) {
  beginResetModel();
  builtVersion_ = instruments_.version();  // read first: a change after this rebuilds again
  builtCount_ = count;
  order_.clear();
  std::vector<InstrumentId> options;
  std::vector<std::string> currencies;  // in listing order: BTC's options, then ETH's
  for (InstrumentId id = 0; id < count; ++id) {
    const Instrument& inst = instruments_[id];
    if (std::find(currencies.begin(), currencies.end(), inst.baseCurrency) == currencies.end())
      currencies.push_back(inst.baseCurrency);
    if (instruments_.retired(id)) continue;  // expired/settled: out of the watchlist
    (inst.isOption() ? options : order_).push_back(id);
  }
  const auto rank = [&](const Instrument& i) {
    return std::size_t(std::find(currencies.begin(), currencies.end(), i.baseCurrency) - currencies.begin());
  };
  // Chain order; stable, so a venue's own order stands where these keys tie.
  std::stable_sort(options.begin(), options.end(), [&](InstrumentId a, InstrumentId b) {
    const Instrument &x = instruments_[a], &y = instruments_[b];
    return std::tuple(rank(x), x.expiry, x.strike, x.optionType) < std::tuple(rank(y), y.expiry, y.strike, y.optionType);
  });
  order_.insert(order_.end(), options.begin(), options.end());
  rowOf_.assign(count, -1);
  for (std::size_t row = 0; row < order_.size(); ++row) rowOf_[order_[row]] = int(row);
  rows_.assign(order_.size(), QuoteRow{});
  flash_.assign(order_.size(), Flash{});
  basis_.assign(order_.size(), BasisCell{});
  endResetModel();
}

int WatchlistModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int WatchlistModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

void WatchlistModel::apply(const EngineSnapshot& s) {
  if (s.quotes.size() != builtCount_ || instruments_.version() != builtVersion_) {
    if (s.quotes.size() > instruments_.size()) return;  // cannot happen: the snapshot follows the registry
    rebuild(s.quotes.size());
  }
  if (rows_.empty()) return;
  const qint64 now = clock_.elapsed();
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const QuoteRow& n = s.quotes[order_[i]];
    QuoteRow& o = rows_[i];
    Flash& f = flash_[i];
    if (o.bid && n.bid != o.bid) { f.bidAt = now; f.bidUp = n.bid > o.bid; }
    if (o.ask && n.ask != o.ask) { f.askAt = now; f.askUp = n.ask > o.ask; }
    if (o.last && n.last != o.last) { f.lastAt = now; f.lastUp = n.last > o.last; }
    o = n;
  }
  if (venues_.several()) computeBasis(s);
  emit dataChanged(index(0, Bid), index(int(rows_.size()) - 1, ColumnCount - 1));
}

// Per underlying: the first venue's perpetual (lowest venue id, then listing order) and the index.
// A perpetual on another venue is measured against that perpetual, the others (that perpetual
// itself, futures) against the index. USDT is taken at par with USD, as the engine's PnL does.
void WatchlistModel::computeBasis(const EngineSnapshot& s) {
  struct Ref { InstrumentId perp = kNoInstrument, index = kNoInstrument; };
  std::vector<std::pair<std::string, Ref>> refs;
  auto refOf = [&](const std::string& currency) -> Ref& {
    for (auto& [c, r] : refs)
      if (c == currency) return r;
    return refs.emplace_back(currency, Ref{}).second;
  };
  for (const UnderlyingRow& u : s.underlyings) refOf(u.currency).index = u.indexId;
  for (InstrumentId id = 0; id < s.quotes.size() && id < instruments_.size(); ++id) {
    const Instrument& inst = instruments_[id];
    if (instruments_.retired(id)) continue;
    Ref& r = refOf(inst.baseCurrency);
    if (inst.kind == InstrumentKind::Index && r.index == kNoInstrument) r.index = id;
    if (inst.kind == InstrumentKind::Perpetual &&
        (r.perp == kNoInstrument || inst.venue < instruments_[r.perp].venue))
      r.perp = id;
  }
  for (std::size_t row = 0; row < order_.size(); ++row) {
    BasisCell& b = basis_[row];
    b = BasisCell{};
    const InstrumentId id = order_[row];
    const Instrument& inst = instruments_[id];
    if (inst.kind != InstrumentKind::Perpetual && inst.kind != InstrumentKind::Future) continue;
    if (inst.kind == InstrumentKind::Perpetual) {
      const auto [rate, next] = fundingOf(s.quotes[id]);
      if (rate != 0 || next != 0) {
        b.fundingRate = rate;
        b.nextFundingMs = next;
      }
    }
    const Ref& r = refOf(inst.baseCurrency);
    const InstrumentId ref = inst.kind == InstrumentKind::Perpetual && r.perp != id ? r.perp : r.index;
    if (ref == kNoInstrument || ref >= s.quotes.size()) {
      b.why = "no reference for " + QString::fromStdString(inst.baseCurrency) + " listed";
      continue;
    }
    const Instrument& refInst = instruments_[ref];
    b.reference = refInst.kind == InstrumentKind::Index
                      ? QString::fromStdString(inst.baseCurrency) + " index (" + venues_.display(instruments_, ref) + ")"
                      : venues_.display(instruments_, ref);
    const QString mine = unusable(inst, s.quotes[id]), theirs = unusable(refInst, s.quotes[ref]);
    if (!mine.isEmpty() || !theirs.isEmpty()) {
      b.why = !mine.isEmpty() ? venues_.display(instruments_, id) + ": " + mine
                              : venues_.display(instruments_, ref) + ": " + theirs;
      continue;
    }
    const double m = midOf(inst, s.quotes[id]), rm = midOf(refInst, s.quotes[ref]);
    b.usd = m - rm;
    if (rm > 0) b.bps = 1e4 * (m - rm) / rm;
  }
}

double WatchlistModel::basisUsd(int row) const {
  return row >= 0 && std::size_t(row) < basis_.size() ? basis_[std::size_t(row)].usd : std::nan("");
}

QVariant WatchlistModel::data(const QModelIndex& idx, int role) const {
  if (!idx.isValid()) return {};
  const QuoteRow& q = rows_[std::size_t(idx.row())];
  const Instrument& inst = instruments_[order_[std::size_t(idx.row())]];
  const int col = idx.column();
  switch (role) {
    case Qt::DisplayRole:
      switch (col) {
        case Name: return venues_.display(instruments_, order_[std::size_t(idx.row())]);
        case Bid: return formatPrice(inst, q.bid);
        case Ask: return formatPrice(inst, q.ask);
        case Last: return formatPrice(inst, q.last);
        case Change:
          if (!q.reference || !q.last) return {};
          return QString::asprintf("%+.2f%%", 100.0 * (double(q.last) / double(q.reference) - 1.0));
        case Basis: {
          const BasisCell& b = basis_[std::size_t(idx.row())];
          if (!std::isfinite(b.usd)) return {};
          return (b.usd >= 0 ? "+" : "") + formatMoney(b.usd, std::abs(b.usd) < 100 ? 2 : 1);
        }
        case BasisBps: {
          const BasisCell& b = basis_[std::size_t(idx.row())];
          return std::isfinite(b.bps) ? QString::asprintf("%+.1f", b.bps) : QString();
        }
        case Funding: {
          const BasisCell& b = basis_[std::size_t(idx.row())];
          return std::isfinite(b.fundingRate) ? QString::asprintf("%+.4f%%", 100.0 * b.fundingRate) : QString();
        }
      }
      break;
    case Qt::UserRole:  // what the filter matches: "venue:name" (and the bare name within it)
      if (col == Name) return venues_.qualified(inst);
      break;
    case Qt::TextAlignmentRole:
      return col == Name ? int(Qt::AlignLeft | Qt::AlignVCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
      if (col != Name) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
      break;
    case Qt::ForegroundRole: {
      if (col == Basis || col == BasisBps) {
        const BasisCell& b = basis_[std::size_t(idx.row())];
        if (!std::isfinite(b.usd)) return QBrush(colors::stale);
        return QBrush(b.usd >= 0 ? colors::bid : colors::ask);
      }
      if (col == Funding) {
        const BasisCell& b = basis_[std::size_t(idx.row())];
        return QBrush(std::isfinite(b.fundingRate) && b.fundingRate < 0 ? colors::ask : colors::text);
      }
      if (q.status == BookStatus::Stale && inst.kind != InstrumentKind::Index) return QBrush(colors::stale);
      if (col == Bid) return QBrush(colors::bid);
      if (col == Ask) return QBrush(colors::ask);
      if (col == Change && q.reference && q.last)
        return QBrush(q.last >= q.reference ? colors::bid : colors::ask);
      break;
    }
    case Qt::BackgroundRole: {
      const Flash& f = flash_[std::size_t(idx.row())];
      const qint64 now = clock_.elapsed();
      auto flash = [&](qint64 at, bool up) -> QVariant {
        if (at < 0 || now - at > kFlashMs) return {};
        QColor c = up ? colors::bid : colors::ask;
        c.setAlpha(70);
        return QBrush(c);
      };
      if (col == Bid) return flash(f.bidAt, f.bidUp);
      if (col == Ask) return flash(f.askAt, f.askUp);
      if (col == Last) return flash(f.lastAt, f.lastUp);
      break;
    }
    case Qt::ToolTipRole:
      if (col == Basis || col == BasisBps) {
        const BasisCell& b = basis_[std::size_t(idx.row())];
        if (b.reference.isEmpty() && b.why.isEmpty()) return {};
        if (!std::isfinite(b.usd)) return QString("No basis: %1").arg(b.why);
        return QString("Mid − %1 mid: %2 USD (%3 bps)")
            .arg(b.reference, formatMoney(b.usd, 2), QString::number(b.bps, 'f', 2));
      }
      if (col == Funding) {
        const BasisCell& b = basis_[std::size_t(idx.row())];
        if (!std::isfinite(b.fundingRate))
          return inst.kind == InstrumentKind::Perpetual ? QString("The venue has sent no funding rate") : QVariant();
        QString tip = QString("Funding rate per period: %1 %").arg(100.0 * b.fundingRate, 0, 'f', 6);
        if (b.nextFundingMs > 0)
          tip += "\nNext funding: " +
                 QDateTime::fromMSecsSinceEpoch(b.nextFundingMs, Qt::UTC).toString("yyyy-MM-dd HH:mm:ss") + " UTC";
        return tip;
      }
      if (q.status == BookStatus::Stale) return QString("Stale: %1").arg(nameOf(q.staleReason));
      if (q.status == BookStatus::Empty && inst.kind != InstrumentKind::Index) return QString("Waiting for first snapshot…");
      break;
  }
  return {};
}

QVariant WatchlistModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, o, role);
  static const char* names[] = {"Instrument", "Bid", "Ask", "Last", "Chg", "Basis $", "bp", "Funding"};
  return section >= 0 && section < ColumnCount ? names[section] : QVariant();
}

}  // namespace kappa::ui
