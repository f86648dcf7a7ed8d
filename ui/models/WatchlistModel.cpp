#include "WatchlistModel.hpp"

#include <QBrush>
#include <QFontDatabase>
#include <algorithm>
#include <tuple>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {
namespace {
constexpr qint64 kFlashMs = 350;
}

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
  emit dataChanged(index(0, Bid), index(int(rows_.size()) - 1, Change));
}

QVariant WatchlistModel::data(const QModelIndex& idx, int role) const {
  if (!idx.isValid()) return {};
  const QuoteRow& q = rows_[std::size_t(idx.row())];
  const Instrument& inst = instruments_[order_[std::size_t(idx.row())]];
  const int col = idx.column();
  switch (role) {
    case Qt::DisplayRole:
      switch (col) {
        case Name: return QString::fromStdString(inst.name);
        case Bid: return formatPrice(inst, q.bid);
        case Ask: return formatPrice(inst, q.ask);
        case Last: return formatPrice(inst, q.last);
        case Change:
          if (!q.reference || !q.last) return {};
          return QString::asprintf("%+.2f%%", 100.0 * (double(q.last) / double(q.reference) - 1.0));
      }
      break;
    case Qt::TextAlignmentRole:
      return col == Name ? int(Qt::AlignLeft | Qt::AlignVCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
      if (col != Name) return QFontDatabase::systemFont(QFontDatabase::FixedFont);
      break;
    case Qt::ForegroundRole: {
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
      if (q.status == BookStatus::Stale) return QString("Stale: %1").arg(nameOf(q.staleReason));
      if (q.status == BookStatus::Empty && inst.kind != InstrumentKind::Index) return QString("Waiting for first snapshot…");
      break;
  }
  return {};
}

QVariant WatchlistModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, o, role);
  static const char* names[] = {"Instrument", "Bid", "Ask", "Last", "Chg"};
  return names[section];
}

}  // namespace kappa::ui
