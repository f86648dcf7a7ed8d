#pragma once
// The exchange's account per currency (Deribit user.portfolio): equity, balance, margins, funds
// left, how much of the equity the margin uses, and how old the figures are. The embedded
// simulator keeps no exchange account: the panel says so instead of showing zeros.
#include <QWidget>

#include "core/EngineSnapshot.hpp"

class QTableView;

namespace kappa::ui {

class AccountModel;

class AccountPanel : public QWidget {
 public:
  enum Column { Currency, Equity, Balance, InitialMargin, MaintenanceMargin, Available, MarginUse, Age };
  // `venueHasAccount`: the venue is an exchange that reports one (false: the simulator).
  AccountPanel(const InstrumentRegistry& instruments, bool venueHasAccount, QWidget* parent = nullptr);
  // Once per frame; `now` is Engine::now() (the clock receivedAt is in).
  void apply(const EngineSnapshot& snapshot, Nanos now);
  QTableView* view() const { return view_; }
  // For tests: the cell text of `currency`'s row in `column` (empty if no such row).
  QString text(const QString& currency, int column) const;

 private:
  AccountModel* model_ = nullptr;
  QTableView* view_ = nullptr;
};

}  // namespace kappa::ui
