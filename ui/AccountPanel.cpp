#include "AccountPanel.hpp"

#include <QFontDatabase>
#include <QHeaderView>
#include <QVBoxLayout>
#include <cmath>

#include "ColumnFit.hpp"
#include "Format.hpp"
#include "PlaceholderTableView.hpp"
#include "Theme.hpp"
#include "models/RowTableModel.hpp"

namespace kappa::ui {

namespace {
// Figures older than this are shown dimmed: the exchange pushes the portfolio every few seconds
// while connected, so a longer silence means the link or the feed is down.
constexpr double kStaleAccountSeconds = 15;

QString formatAge(double seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 10) return QString("%1 s").arg(seconds, 0, 'f', 1);
  if (seconds < 120) return QString("%1 s").arg(int(seconds));
  if (seconds < 7200) return QString("%1 min").arg(int(seconds / 60));
  return QString("%1 h").arg(int(seconds / 3600));
}

// Four decimals, as exchanges show coin balances (the tooltip has every digit).
QString coin(double v) { return std::isfinite(v) ? QString::number(v, 'f', 4) : QString("—"); }
}  // namespace

// One venue's account in one currency, and whether that venue is connected now.
struct VenueAccountRow {
  AccountRow row;
  VenueId venue = 0;
  bool venueUp = true;
};

class AccountModel : public RowTableModel<VenueAccountRow> {
 public:
  using enum AccountPanel::Column;
  explicit AccountModel(const InstrumentRegistry& instruments, QObject* parent)
      : RowTableModel(instruments,
                      {"Venue", "Currency", "Equity", "Balance", "Initial margin", "Maint. margin", "Available", "Margin use",
                       "Age"},
                      parent) {}
  void setNow(Nanos now) { now_ = now; }

  // Initial margin as a share of equity (what Deribit's margin bar shows); NaN without equity.
  static double marginUse(const VenueAccount& a) {
    return a.equity > 0 ? a.initialMargin / a.equity * 100.0 : std::nan("");
  }

 protected:
  QVariant cell(const VenueAccountRow& vr, int col, int role) const override {
    const AccountRow& r = vr.row;
    const VenueAccount& a = r.account;
    const bool venueUp_ = vr.venueUp;
    const double age = double(now_ - r.receivedAt) / 1e9;
    if (role == Qt::DisplayRole) {
      switch (col) {
        case Venue: return venues_.venue(vr.venue);
        case Currency: return QString::fromStdString(a.currency);
        case Equity: return coin(a.equity);
        case Balance: return coin(a.balance);
        case InitialMargin: return coin(a.initialMargin);
        case MaintenanceMargin: return coin(a.maintenanceMargin);
        case Available: return coin(a.availableFunds);
        case MarginUse: {
          const double use = marginUse(a);
          return std::isfinite(use) ? QString("%1 %").arg(use, 0, 'f', 1) : QString("—");
        }
        case Age: return formatAge(age);
      }
    } else if (role == Qt::TextAlignmentRole && col != Currency && col != Venue) {
      return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::FontRole && col != Currency && col != Venue) {
      return QFontDatabase::systemFont(QFontDatabase::FixedFont);
    } else if (role == Qt::ForegroundRole) {
      if (age > kStaleAccountSeconds || !venueUp_) return QBrush(colors::dimText);
      if (col == MarginUse) {
        const double use = marginUse(a);
        if (use >= 100) return QBrush(colors::ask);
        if (use >= 80) return QBrush(colors::last);
      }
      if (col == Available && a.availableFunds < 0) return QBrush(colors::ask);
    } else if (role == Qt::ToolTipRole) {
      QString tip = venues_.several()
                        ? QString("%1 account as %2 reported it").arg(QString::fromStdString(a.currency), venues_.venue(vr.venue))
                        : QString("%1 account as the exchange reported it").arg(QString::fromStdString(a.currency));
      if (a.ts) tip += QString(" at %1 UTC").arg(formatUtcTime(a.ts));
      tip += QString("; received %1 ago").arg(formatAge(age));
      if (!venueUp_)
        tip += QString(" — %1 is not connected: the last figures it gave").arg(venues_.several() ? venues_.venue(vr.venue) : QString("the venue"));
      else if (age > kStaleAccountSeconds)
        tip += " — not updated since: the figures may be out of date";
      if (col == MarginUse) tip += "\nInitial margin ÷ equity";
      if (col >= Equity && col <= Available) {  // Equity..Available in order
        const double v[] = {a.equity, a.balance, a.initialMargin, a.maintenanceMargin, a.availableFunds};
        tip += QString("\n%1 %2").arg(v[col - Equity], 0, 'f', 8).arg(QString::fromStdString(a.currency));
      }
      return tip;
    }
    return {};
  }

 private:
  Nanos now_ = 0;
};

AccountPanel::AccountPanel(const InstrumentRegistry& instruments, bool venueHasAccount, QWidget* parent)
    : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 2, 0, 0);
  model_ = new AccountModel(instruments, this);
  view_ = new PlaceholderTableView(venueHasAccount
                                       ? "Waiting for the exchange's account (user.portfolio)…"
                                       : "No account data (simulator) — the embedded simulator keeps no exchange account",
                                   this);
  view_->setModel(model_);
  view_->setObjectName("accountView");
  view_->verticalHeader()->hide();
  view_->setSelectionMode(QAbstractItemView::NoSelection);
  view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  view_->horizontalHeader()->setStretchLastSection(true);
  // Every column fits the dock's default width: the widest figures an account shows.
  for (int c = 0; c <= AccountPanel::Age; ++c) view_->setColumnWidth(c, 0);
  view_->setColumnHidden(AccountPanel::Venue, true);  // until several venues are configured
  const QStringList coins{"10000.0000", "-100.0000"};
  fitColumns(view_, {{AccountPanel::Currency, {"USDC"}},
                     {AccountPanel::Venue, {"sim"}},
                     {AccountPanel::Equity, coins},
                     {AccountPanel::Balance, coins},
                     {AccountPanel::InitialMargin, coins},
                     {AccountPanel::MaintenanceMargin, coins},
                     {AccountPanel::Available, coins},
                     {AccountPanel::MarginUse, {"100.0 %"}},
                     {AccountPanel::Age, {"59 min"}}});
  layout->addWidget(view_);
}

void AccountPanel::apply(const EngineSnapshot& s, Nanos now) {
  model_->setNow(now);
  // Every venue's accounts (Deribit per coin, Binance in USDT), each shown as current only while
  // its own venue is connected.
  std::vector<VenueAccountRow> rows;
  for (const VenueRow& v : s.venues)
    for (const AccountRow& a : v.accounts) rows.push_back({a, v.id, v.state == VenueState::Connected});
  model_->setRows(std::move(rows));
}

void AccountPanel::setVenues(VenueNames venues) {
  const bool several = venues.several();
  QString longest;
  for (const std::string& v : venues.names)
    if (v.size() > std::size_t(longest.size())) longest = QString::fromStdString(v);
  model_->setVenues(std::move(venues));
  view_->setColumnHidden(AccountPanel::Venue, !several);
  if (several) fitColumns(view_, {{AccountPanel::Venue, {longest}}});
}

QString AccountPanel::text(const QString& currency, int column, const QString& venue) const {
  for (int r = 0; r < model_->rowCount(); ++r)
    if (QString::fromStdString(model_->row(r).row.account.currency) == currency &&
        (venue.isEmpty() || model_->venues().venue(model_->row(r).venue) == venue))
      return model_->data(model_->index(r, column), Qt::DisplayRole).toString();
  return {};
}

bool AccountPanel::dimmed(const QString& venue, const QString& currency) const {
  for (int r = 0; r < model_->rowCount(); ++r)
    if (QString::fromStdString(model_->row(r).row.account.currency) == currency && model_->venues().venue(model_->row(r).venue) == venue) {
      const QVariant fg = model_->data(model_->index(r, AccountPanel::Equity), Qt::ForegroundRole);
      return fg.value<QBrush>().color() == colors::dimText;
    }
  return false;
}

}  // namespace kappa::ui
