#pragma once
// The risk tab beside Orders · Fills · Positions: every configured limit with its use as a bar and
// an on/off switch, the automatic triggers against their thresholds, the breach history, and the
// "stop one strategy" control. Reads snapshots only; every action is a posted engine command.
#include <QWidget>

#include "core/EngineSnapshot.hpp"

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;

namespace kappa {
class EngineLink;
}

namespace kappa::ui {

class LimitsModel;
class TriggersModel;
class BreachesModel;

class RiskLimitsView : public QWidget {
  Q_OBJECT
 public:
  explicit RiskLimitsView(EngineLink& engine, QWidget* parent = nullptr);
  void apply(const EngineSnapshot& snapshot);

  QTableView* limitsView() const { return limitsView_; }
  QTableView* breachesView() const { return breachesView_; }
  LimitsModel* limits() const { return limits_; }
  TriggersModel* triggers() const { return triggers_; }
  BreachesModel* breaches() const { return breaches_; }
  QComboBox* strategyChoice() const { return strategyChoice_; }
  QPushButton* stopStrategyButton() const { return stopStrategy_; }

 private:
  void toggleLimit(int row);

  EngineLink& engine_;
  LimitsModel* limits_ = nullptr;
  TriggersModel* triggers_ = nullptr;
  BreachesModel* breaches_ = nullptr;
  QTableView* limitsView_ = nullptr;
  QTableView* triggersView_ = nullptr;
  QTableView* breachesView_ = nullptr;
  QLabel* source_ = nullptr;
  QComboBox* strategyChoice_ = nullptr;
  QPushButton* stopStrategy_ = nullptr;
  std::uint64_t breachesVersion_ = ~0ull;
  std::uint64_t limitsEpoch_ = ~0ull;
  std::uint64_t strategiesVersion_ = ~0ull;
};

}  // namespace kappa::ui
