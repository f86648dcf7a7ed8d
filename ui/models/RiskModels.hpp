#pragma once
// The risk tab's tables: every configured limit with its use, the automatic triggers, and the
// breach history (limits that refused orders, triggers that fired).
#include <string>

#include "core/EngineSnapshot.hpp"
#include "models/KeyedRowModel.hpp"

namespace kappa::ui {

// Fraction of a limit used (0 when nothing accumulates or the limit is 0); |use| for signed Greeks.
double limitFraction(const LimitUse& u);

class LimitsModel : public KeyedRowModel<LimitUse, std::string> {
 public:
  enum Column { Name, Scope, Use, Value, On };
  static constexpr int FractionRole = Qt::UserRole + 1;  // Use column: the bar's fill, NaN = no bar
  explicit LimitsModel(QObject* parent = nullptr);
  // The --risk assignment that switches row `r` on or off; empty if it cannot be switched here.
  std::string toggleAssignment(int r) const;

 protected:
  std::string keyOf(const LimitUse& u) const override;
  QVariant cell(const LimitUse& u, int column, int role) const override;
};

class TriggersModel : public KeyedRowModel<TriggerRow, int> {
 public:
  enum Column { Name, Value, Threshold, Action, State };
  explicit TriggersModel(QObject* parent = nullptr);

 protected:
  int keyOf(const TriggerRow& t) const override { return int(t.trigger); }
  QVariant cell(const TriggerRow& t, int column, int role) const override;
};

class BreachesModel : public KeyedRowModel<Breach, std::string> {
 public:
  enum Column { Last, What, Scope, Count, Action, Detail };
  explicit BreachesModel(QObject* parent = nullptr);

 protected:
  std::string keyOf(const Breach& b) const override;
  QVariant cell(const Breach& b, int column, int role) const override;
};

}  // namespace kappa::ui
