#pragma once
// The always-visible risk strip at the top of the main window (it lives in the menu-widget area, so
// no dock manipulation can hide or close it): trading state as a large coloured word with reason
// and time, working orders, positions and PnL, RESUME and the largest button on screen, HALT ALL.
#include <QFrame>

#include "core/EngineSnapshot.hpp"

class QLabel;
class QPushButton;

namespace kappa::ui {

class RiskPanel : public QFrame {
  Q_OBJECT
 public:
  explicit RiskPanel(QWidget* parent = nullptr);
  // `halted` is the halt switch's current value, which may be newer than the snapshot.
  void apply(const EngineSnapshot& snapshot, bool halted);
  // Shows HALTED at once, before the engine's next snapshot confirms it.
  void showHalted(const QString& reason, Nanos at);
  QPushButton* haltButton() const { return halt_; }
  QPushButton* resumeButton() const { return resume_; }
  QString stateText() const;

 signals:
  void haltClicked();
  void resumeClicked();

 private:
  void setHaltedLook(bool halted);
  QLabel* state_ = nullptr;
  QLabel* detail_ = nullptr;
  QLabel* stats_ = nullptr;
  QPushButton* resume_ = nullptr;
  QPushButton* halt_ = nullptr;
  bool halted_ = false;
};

}  // namespace kappa::ui
