#pragma once
// The Desk view (in an attached window whose user has the risk role): every engine of the desk
// with its state, venues, positions, PnL, Greeks per underlying and busiest limit; the desk totals
// per underlying and in USD; the desk limits and what they are over; and DESK HALT — one click
// halts every engine (the message on kappa.desk.halt and the key `halt` of kappa_desk), with the
// time from the click until the last engine said HALTED.
#include <QWidget>

#include "remote/DeskFeed.hpp"

class QLabel;
class QPushButton;
class QTableWidget;

namespace kappa::ui {

class DeskView : public QWidget {
  Q_OBJECT
 public:
  // `feed` (started) outlives the view; `user` is who the desk halt is sent as.
  DeskView(remote::DeskFeed& feed, std::string user, QWidget* parent = nullptr);
  // Reads the feed and redraws (the window calls it a few times a second).
  void refresh();

  // For tests.
  QPushButton* haltButton() const { return halt_; }
  QPushButton* liftButton() const { return lift_; }
  QTableWidget* table() const { return table_; }
  QLabel* stateLabel() const { return state_; }
  QLabel* haltTimingLabel() const { return timing_; }
  // Lifts without the confirmation dialog (tests); the dialog's OK calls the same.
  void liftConfirmed(const QString& reason);

 signals:
  void deskHaltSent();

 private:
  void pressHalt();
  void askLift();
  remote::DeskFeed& feed_;
  std::string user_;
  QLabel* state_ = nullptr;
  QLabel* timing_ = nullptr;
  QLabel* limits_ = nullptr;
  QLabel* sendError_ = nullptr;
  QPushButton* halt_ = nullptr;
  QPushButton* lift_ = nullptr;
  QTableWidget* table_ = nullptr;
};

}  // namespace kappa::ui
