#include "DeskView.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "Format.hpp"
#include "core/Clock.hpp"

namespace kappa::ui {

namespace {

QString usd(double v) {
  if (!std::isfinite(v)) return "—";
  if (std::abs(v) < 0.5) return "0";
  return QLocale(QLocale::English).toString(v, 'f', 0);
}

QString coin(double v) {
  if (!std::isfinite(v)) return "—";
  return std::abs(v) < 1 && v != 0 ? QString::asprintf("%+.4f", v) : QString::asprintf("%+.2f", v);
}

QColor stateColor(TradingState s) {
  return s == TradingState::Halted ? QColor("#ef5350") : s == TradingState::Reducing ? QColor("#ffb74d") : QColor("#81c784");
}

}  // namespace

DeskView::DeskView(remote::DeskFeed& feed, std::string user, QWidget* parent)
    : QWidget(parent), feed_(feed), user_(std::move(user)) {
  setObjectName("deskView");
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  state_ = new QLabel(this);
  state_->setObjectName("deskState");
  state_->setWordWrap(true);
  top->addWidget(state_, 1);
  lift_ = new QPushButton("Lift desk halt…", this);
  lift_->setObjectName("deskLift");
  lift_->setToolTip("Lets the engines be resumed again (each stays HALTED until its trader resumes it)");
  top->addWidget(lift_);
  halt_ = new QPushButton("DESK HALT", this);
  halt_->setObjectName("deskHalt");
  halt_->setToolTip("Halts every engine of the desk at once: their orders are cancelled and their strategies stopped");
  halt_->setStyleSheet("QPushButton { background:#b71c1c; color:white; font-weight:bold; font-size:15px; padding:8px 22px; }"
                       "QPushButton:hover { background:#d32f2f; }");
  top->addWidget(halt_);
  layout->addLayout(top);
  timing_ = new QLabel(this);
  timing_->setObjectName("deskHaltTiming");
  layout->addWidget(timing_);
  sendError_ = new QLabel(this);
  sendError_->setStyleSheet("color:#ef5350;");
  sendError_->setWordWrap(true);
  sendError_->hide();
  layout->addWidget(sendError_);
  table_ = new QTableWidget(this);
  table_->setObjectName("deskEngines");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setStretchLastSection(true);
  layout->addWidget(table_, 1);
  limits_ = new QLabel(this);
  limits_->setObjectName("deskLimits");
  limits_->setWordWrap(true);
  layout->addWidget(limits_);
  connect(halt_, &QPushButton::clicked, this, &DeskView::pressHalt);
  connect(lift_, &QPushButton::clicked, this, &DeskView::askLift);
  refresh();
}

// One click, no dialog: a halt must never wait for typing. The reason names the click and its user.
void DeskView::pressHalt() {
  QPointer<QLabel> error = sendError_;
  feed_.sendHalt(true, "DESK HALT pressed by " + user_, user_, [error](std::string why) {
    if (why.empty()) return;
    QMetaObject::invokeMethod(error, [error, why] {
      if (!error) return;
      error->setText("DESK HALT not accepted: " + QString::fromStdString(why));
      error->show();
    });
  });
  sendError_->hide();
  emit deskHaltSent();
  refresh();
}

void DeskView::askLift() {
  auto* dialog = new QInputDialog(this);
  dialog->setObjectName("deskLiftDialog");
  dialog->setWindowTitle("Lift the desk halt");
  dialog->setLabelText("Why may the engines trade again? (every engine journals it; each stays HALTED until resumed)");
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& text) {
    if (!text.trimmed().isEmpty()) liftConfirmed(text.trimmed());
  });
  dialog->open();
}

void DeskView::liftConfirmed(const QString& reason) {
  QPointer<QLabel> error = sendError_;
  feed_.sendHalt(false, reason.toStdString(), user_, [error](std::string why) {
    if (why.empty()) return;
    QMetaObject::invokeMethod(error, [error, why] {
      if (!error) return;
      error->setText("Lift not accepted: " + QString::fromStdString(why));
      error->show();
    });
  });
}

void DeskView::refresh() {
  const remote::DeskFeed::View v = feed_.view();
  // The desk's own state: its halt key.
  if (v.halt && v.halt->active) {
    state_->setText(QString("DESK HALTED by %1 at %2 UTC — %3")
                        .arg(QString::fromStdString(v.halt->user), formatUtcTime(v.halt->at).left(8),
                             QString::fromStdString(v.halt->reason)));
    state_->setStyleSheet("color:white; background:#b71c1c; font-weight:bold; padding:6px;");
  } else {
    QString text = QString("DESK ACTIVE · %1 engines · %2 halted · %3 reducing").arg(v.totals.engines).arg(v.totals.halted).arg(v.totals.reducing);
    if (v.halt && !v.halt->active)
      text += QString(" · halt lifted by %1 at %2 UTC").arg(QString::fromStdString(v.halt->user), formatUtcTime(v.halt->at).left(8));
    state_->setText(text);
    state_->setStyleSheet("color:#81c784; font-weight:bold; padding:6px;");
  }
  lift_->setEnabled(v.halt && v.halt->active);
  if (v.haltSentAt == 0) {
    timing_->setText("No desk halt sent from this window.");
  } else if (v.allHaltedAt) {
    timing_->setText(QString("Last DESK HALT: all %1 engines HALTED %2 ms after the click")
                         .arg(v.engines.size())
                         .arg(double(v.allHaltedAt - v.haltSentAt) / 1e6, 0, 'f', 1));
  } else {
    timing_->setText(QString("Last DESK HALT: %1 of %2 engines HALTED so far").arg(v.haltedAfterSend).arg(v.engines.size()));
  }

  // Columns: what a risk manager reads first on the left (state, PnL, exposure per coin), the
  // rest after; the central area is narrow beside the docks.
  std::vector<std::string> coins;
  for (const auto& u : v.totals.underlyings) coins.push_back(u.currency);
  QStringList headers{"Engine", "State", "PnL $", "Day PnL $"};
  for (const std::string& c : coins) headers << QString::fromStdString(c) + " Δ" << QString::fromStdString(c) + " vega $";
  headers << "Δ $" << "Pos · Ord" << "Busiest limit" << "Venues" << "Updated" << "Why not active";
  table_->setColumnCount(headers.size());
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(int(v.engines.size()) + 1);
  auto set = [&](int row, int col, const QString& text, QColor color = {}, bool bold = false, const QString& tip = {}) {
    auto* item = table_->item(row, col);
    if (!item) {
      item = new QTableWidgetItem;
      table_->setItem(row, col, item);
    }
    item->setText(text);
    item->setToolTip(tip);
    const bool leftAligned = col <= 1 || col >= headers.size() - 3 || headers[col] == "Busiest limit";
    item->setTextAlignment(leftAligned ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
    item->setForeground(color.isValid() ? QBrush(color) : QBrush());
    QFont f = item->font();
    f.setBold(bold);
    item->setFont(f);
  };
  auto red = [](double x) { return x <= -0.5 ? QColor("#ef5350") : QColor(); };
  int row = 0;
  for (const desk::EngineDeskSummary& e : v.engines) {
    int col = 0;
    set(row, col++, QString::fromStdString(e.engine), {}, true);
    const QString reason = QString::fromStdString(e.reason);
    set(row, col++, nameOf(e.state), stateColor(e.state), true, reason);
    set(row, col++, usd(e.pnlUsd), red(e.pnlUsd));
    set(row, col++, usd(e.dayPnlUsd), red(e.dayPnlUsd));
    double deltaUsd = 0;
    for (const std::string& c : coins) {
      const desk::UnderlyingExposure* x = nullptr;
      for (const auto& u : e.underlyings)
        if (u.currency == c) x = &u;
      set(row, col++, x ? coin(x->deltaCoin) : "");
      set(row, col++, x ? usd(x->vegaUsd) : "");
      if (x) deltaUsd += x->deltaUsd;
    }
    set(row, col++, usd(deltaUsd));
    set(row, col++, QString("%1 · %2").arg(e.positions).arg(e.workingOrders));
    set(row, col++, e.busiestLimit.empty() ? QString("—")
                                           : QString("%1 %2 %").arg(QString::fromStdString(e.busiestLimit)).arg(e.busiestLimitUse * 100, 0, 'f', 0),
        e.busiestLimitUse >= 0.8 ? QColor("#ffb74d") : QColor());
    QStringList venues;
    for (const auto& vr : e.venues)
      venues << QString::fromStdString(vr.name) + (vr.state == VenueState::Connected ? "" : QString(" (") + nameOf(vr.state) + ")");
    set(row, col++, venues.join(", "));
    set(row, col++, e.publishedAt ? formatUtcTime(e.publishedAt).left(8) : QString());
    set(row, col++, reason, stateColor(e.state), false, reason);
    ++row;
  }
  // The desk's totals: per underlying in its coin, and the USD sums.
  int col = 0;
  set(row, col++, QString("DESK (%1)").arg(v.totals.engines), {}, true);
  set(row, col++, QString("%1 H · %2 R").arg(v.totals.halted).arg(v.totals.reducing), {}, true,
      QString("%1 halted, %2 reducing").arg(v.totals.halted).arg(v.totals.reducing));
  set(row, col++, usd(v.totals.pnlUsd), red(v.totals.pnlUsd), true);
  set(row, col++, usd(v.totals.dayPnlUsd), red(v.totals.dayPnlUsd), true);
  for (const auto& u : v.totals.underlyings) {
    set(row, col++, coin(u.deltaCoin), {}, true);
    set(row, col++, usd(u.vegaUsd), {}, true);
  }
  set(row, col++, usd(v.totals.deltaUsd), {}, true);
  for (; col < headers.size(); ++col) set(row, col, "");
  table_->resizeColumnsToContents();

  QString limits;
  if (!v.limits) {
    limits = "Desk limits: none set (kappa desk-limits URL --file LIMITS.json)";
  } else {
    QStringList parts;
    for (const auto& [c, x] : v.limits->maxNetDelta) parts << QString("%1 |Δ| ≤ %2").arg(QString::fromStdString(c)).arg(x);
    for (const auto& [c, x] : v.limits->maxNetVegaUsd) parts << QString("%1 |vega| ≤ %2 $").arg(QString::fromStdString(c), usd(x));
    if (v.limits->maxDailyLossUsd > 0) parts << "daily loss ≤ " + usd(v.limits->maxDailyLossUsd) + " $";
    limits = "Desk limits: " + parts.join(" · ") + (v.limits->halt ? " · over a limit: HALT" : " · over a limit: REDUCING");
  }
  for (const std::string& b : v.breaches) limits += "\nOVER: " + QString::fromStdString(b);
  limits_->setText(limits);
  limits_->setStyleSheet(v.breaches.empty() ? "" : "color:#ef5350; font-weight:bold;");
  if (!v.lastError.empty()) {
    sendError_->setText("Not accepted: " + QString::fromStdString(v.lastError));
    sendError_->show();
  }
}

}  // namespace kappa::ui
