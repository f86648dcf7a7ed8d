#pragma once
// The exchange's account per currency (Deribit user.portfolio): equity, balance, margins, funds
// left, how much of the equity the margin uses, and how old the figures are. The embedded
// simulator keeps no exchange account: the panel says so instead of showing zeros. With several
// venues a Venue column says whose account a row is, and each venue's rows dim on their own when
// that venue is not connected.
#include <QWidget>

#include "VenueNames.hpp"
#include "core/EngineSnapshot.hpp"

class QTableView;

namespace kappa::ui {

class AccountModel;

class AccountPanel : public QWidget {
 public:
  enum Column { Venue, Currency, Equity, Balance, InitialMargin, MaintenanceMargin, Available, MarginUse, Age };
  // `venueHasAccount`: the venue is an exchange that reports one (false: the simulator).
  AccountPanel(const InstrumentRegistry& instruments, bool venueHasAccount, QWidget* parent = nullptr);
  // Once per frame; `now` is Engine::now() (the clock receivedAt is in).
  void apply(const EngineSnapshot& snapshot, Nanos now);
  // The configured venues (the Venue column is shown with more than one).
  void setVenues(VenueNames venues);
  QTableView* view() const { return view_; }
  // For tests: the cell text of `currency`'s row in `column` (empty if no such row); with `venue`,
  // that venue's row only.
  QString text(const QString& currency, int column, const QString& venue = {}) const;
  // For tests: whether that row is shown dimmed (its venue not connected, or its figures old).
  bool dimmed(const QString& venue, const QString& currency) const;

 private:
  AccountModel* model_ = nullptr;
  QTableView* view_ = nullptr;
};

}  // namespace kappa::ui
