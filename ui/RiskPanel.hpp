#pragma once
// The always-visible risk strip at the top of the main window (it lives in the menu-widget area, so
// no dock manipulation can hide or close it): trading state as a large coloured word with reason
// and time, working orders, positions and PnL, the most used limit and the breaches, REDUCE ONLY,
// FLATTEN, RESUME and the largest button on screen, HALT ALL. With several venues a line under the
// state's detail shows each venue's state, working orders and its last bulk cancel.
// Below them, only when it fires, the strategy watchdog's alarm across the whole width.
#include <QFrame>

#include "core/EngineSnapshot.hpp"

class QLabel;
class QPushButton;

namespace kappa::ui {

class RiskPanel : public QFrame {
  Q_OBJECT
 public:
  explicit RiskPanel(QWidget* parent = nullptr);
  // The instruments (for the currency of spot positions' PnL, which no underlying covers).
  void setInstruments(const InstrumentRegistry* instruments) { instruments_ = instruments; }
  // `halted` is the halt switch's current value, which may be newer than the snapshot.
  void apply(const EngineSnapshot& snapshot, bool halted);
  // Shows HALTED at once, before the engine's next snapshot confirms it.
  void showHalted(const QString& reason, Nanos at);
  // RESUME was refused: the reason stays in the strip (in place of the halt's detail) for a while.
  void showResumeRefused(const QString& why);
  // The state's detail in full (the strip shows as much as its kDetailLines hold, the tooltip all).
  QString detailText() const;
  QLabel* detailLabel() const { return detail_; }
  static constexpr int kDetailLines = 3;
  // The strip's counts and PnL line, as plain text (tests).
  QString statsText() const;
  // The strategy watchdog's alarm (empty: none), raised at market time `at`. Set from the GUI thread
  // every frame, snapshot or not: while a plugin callback never returns the engine publishes
  // nothing, and this line is the only way the trader learns which plugin stopped everything.
  void setWatchdogAlarm(const QString& alarm, Nanos at);
  QString watchdogAlarmText() const;
  QLabel* watchdogAlarmLabel() const { return alarm_; }
  QPushButton* haltButton() const { return halt_; }
  QPushButton* resumeButton() const { return resume_; }
  QPushButton* reduceButton() const { return reduce_; }
  QPushButton* flattenButton() const { return flatten_; }
  QLabel* limitsSummary() const { return limits_; }
  QString stateText() const;
  // With several venues: each venue's state and working orders, and after HALT ALL / FLATTEN its
  // bulk cancel's confirmation ("deribit: cancel_all confirmed, 0 working · sim: 0 working").
  QLabel* venuesLine() const { return venues_; }

 signals:
  void haltClicked();
  void resumeClicked();
  void reduceClicked();
  void flattenClicked();
  void limitsClicked();  // the summary was clicked: show the risk tab

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  const InstrumentRegistry* instruments_ = nullptr;
  void setHaltedLook(bool halted);
  QLabel* state_ = nullptr;
  QLabel* detail_ = nullptr;
  QString detailFull_;
  QString detailLead_;  // "RESUME refused": shown in amber before the text
  void setDetail(const QString& text, const QString& lead = {});
  void showDetail();
  void fitDetailHeight();
  QLabel* venues_ = nullptr;
  void showVenues(const EngineSnapshot& s, bool halted);
  QLabel* stats_ = nullptr;
  QPushButton* resume_ = nullptr;
  QPushButton* reduce_ = nullptr;
  QPushButton* flatten_ = nullptr;
  QLabel* limits_ = nullptr;
  bool reducing_ = false;
  void setReducingLook(bool reducing);
  QPushButton* halt_ = nullptr;
  QLabel* alarm_ = nullptr;
  QString alarmText_;
  QString resumeRefused_;
  qint64 resumeRefusedAtMs_ = 0;  // QDateTime::currentMSecsSinceEpoch() when refused
  bool halted_ = false;
};

}  // namespace kappa::ui
