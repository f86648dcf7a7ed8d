#include "RiskPanel.hpp"

#include <map>
#include <QDateTime>
#include <QEvent>
#include <QHBoxLayout>
#include <cmath>
#include <QLabel>
#include <QTextDocument>
#include <QTextLayout>
#include <QFontMetrics>
#include <algorithm>
#include <QPushButton>
#include <QVBoxLayout>

#include "Format.hpp"
#include "Theme.hpp"

namespace kappa::ui {

RiskPanel::RiskPanel(QWidget* parent) : QFrame(parent) {
  setObjectName("riskPanel");
  setAutoFillBackground(true);
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(12, 6, 12, 6);
  outer->setSpacing(6);
  auto* row = new QHBoxLayout;
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(16);
  outer->addLayout(row);

  auto* caption = new QLabel("RISK");
  caption->setStyleSheet("color:#8a93a3; font-size:10px; font-weight:bold; letter-spacing:2px;");
  state_ = new QLabel;
  state_->setObjectName("riskState");
  state_->setMinimumWidth(170);
  auto* stateBox = new QVBoxLayout;
  stateBox->setSpacing(0);
  stateBox->addWidget(caption);
  stateBox->addWidget(state_);
  row->addLayout(stateBox);

  detail_ = new QLabel;
  detail_->setObjectName("riskDetail");
  detail_->setStyleSheet("color:#c9d1dc; font-size:12px;");
  detail_->setWordWrap(true);
  detail_->setTextFormat(Qt::RichText);  // lines broken by showDetail()
  detail_->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  // Its width is what the row leaves (never the text's), so the breaks cannot feed back into it.
  detail_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  detail_->setMinimumWidth(120);  // more would push HALT ALL off a 1600 px window (a PnL in two coins)
  // Always kDetailLines tall, the text elided to fit (the whole of it in the tooltip): a reason that
  // wrapped to four or five lines made the strip taller, which moved every dock below it, the
  // ladder's rows included, by a row or more under the trader's pointer.
  detail_->installEventFilter(this);
  fitDetailHeight();
  venues_ = new QLabel;
  venues_->setObjectName("riskVenues");
  venues_->setTextFormat(Qt::RichText);
  venues_->setStyleSheet("color:#c9d1dc; font-size:11px;");
  venues_->hide();  // one venue: the strip stays as it was
  // Across the strip's whole width under the row (the detail column is too narrow for several
  // venues); never wider than the window (the tooltip has it all).
  venues_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  row->addWidget(detail_, 1);

  stats_ = new QLabel;
  stats_->setStyleSheet("color:#c9d1dc; font-size:12px;");
  stats_->setTextFormat(Qt::RichText);
  auto* figures = new QVBoxLayout;
  figures->setSpacing(2);
  figures->addWidget(stats_);
  row->addLayout(figures);

  // The most used limit and the breach count; a click opens the risk tab with every limit.
  limits_ = new QLabel;
  limits_->setObjectName("riskLimitsSummary");
  limits_->setTextFormat(Qt::RichText);
  limits_->setStyleSheet("color:#c9d1dc; font-size:12px;");
  limits_->setCursor(Qt::PointingHandCursor);
  limits_->setToolTip("The most used risk limit and the breaches so far: click for every limit");
  limits_->installEventFilter(this);
  figures->addWidget(limits_);

  reduce_ = new QPushButton("REDUCE ONLY");
  reduce_->setObjectName("reduceButton");
  reduce_->setToolTip("Only orders that reduce a position pass the risk gate from now on (RESUME returns to ACTIVE)");
  row->addWidget(reduce_);

  flatten_ = new QPushButton("FLATTEN…");
  flatten_->setObjectName("flattenButton");
  flatten_->setToolTip("Stop every strategy, cancel every order and close every position with IOC orders inside the "
                       "price bands; trading goes REDUCING (asks for confirmation)");
  row->addWidget(flatten_);

  resume_ = new QPushButton("RESUME…");
  resume_->setObjectName("resumeButton");
  resume_->setToolTip("Resume trading after a halt (asks for confirmation)");
  resume_->setEnabled(false);
  row->addWidget(resume_);

  halt_ = new QPushButton("HALT ALL   Ctrl+Shift+H");
  halt_->setObjectName("haltButton");
  halt_->setToolTip("Halt all trading at once: refuse every new order and cancel every open order (Ctrl+Shift+H)");
  halt_->setMinimumHeight(46);
  halt_->setMinimumWidth(260);
  halt_->setFocusPolicy(Qt::NoFocus);
  row->addWidget(halt_);

  // Word-wrapped across the full width (the strip's height follows it), selectable so the plugin
  // path can be copied into a bug report.
  alarm_ = new QLabel;
  alarm_->setObjectName("watchdogAlarm");
  alarm_->setWordWrap(true);
  alarm_->setTextFormat(Qt::PlainText);
  alarm_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  alarm_->setStyleSheet("QLabel#watchdogAlarm { color:#ffffff; background:#d32f2f; border:2px solid #ff8a80;"
                        " border-radius:4px; font-size:15px; font-weight:bold; padding:6px 10px; }");
  alarm_->hide();
  outer->addWidget(venues_);
  outer->addWidget(alarm_);

  connect(halt_, &QPushButton::clicked, this, &RiskPanel::haltClicked);
  connect(resume_, &QPushButton::clicked, this, &RiskPanel::resumeClicked);
  connect(reduce_, &QPushButton::clicked, this, &RiskPanel::reduceClicked);
  connect(flatten_, &QPushButton::clicked, this, &RiskPanel::flattenClicked);
  setHaltedLook(false);
}

bool RiskPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == limits_ && event->type() == QEvent::MouseButtonRelease) emit limitsClicked();
  if (watched == detail_ && event->type() == QEvent::Resize) showDetail();
  if (watched == detail_ && (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange))
    fitDetailHeight();
  return QFrame::eventFilter(watched, event);
}

QString RiskPanel::stateText() const { return state_->text(); }

void RiskPanel::setHaltedLook(bool halted) {
  halted_ = halted;
  state_->setText(halted ? "HALTED" : "ACTIVE");
  state_->setStyleSheet(QString("font-size:30px; font-weight:900; color:%1;")
                            .arg(halted ? "#ffffff" : colors::active.lighter(130).name()));
  setStyleSheet(halted ? "QFrame#riskPanel { background:#7f1d1d; border-bottom:2px solid #ff5252; }"
                       : "QFrame#riskPanel { background:#161a20; border-bottom:1px solid #2a303a; }");
  resume_->setEnabled(halted || reducing_);
  reduce_->setEnabled(!halted && !reducing_);
}

// REDUCING is shown only when not halted (HALTED is the stronger state and wins the strip).
void RiskPanel::setReducingLook(bool reducing) {
  reducing_ = reducing;
  if (halted_) return setHaltedLook(true);
  if (!reducing) return setHaltedLook(false);
  state_->setText("REDUCING");
  state_->setStyleSheet("font-size:30px; font-weight:900; color:#ffb74d;");
  setStyleSheet("QFrame#riskPanel { background:#3e2a10; border-bottom:2px solid #ffb74d; }");
  resume_->setEnabled(true);
  reduce_->setEnabled(false);
}

void RiskPanel::showHalted(const QString& reason, Nanos at) {
  setHaltedLook(true);
  setDetail(QString("%1 since %2 UTC — no new orders; open orders are being cancelled").arg(reason, formatUtcTime(at)));
}

void RiskPanel::showResumeRefused(const QString& why) {
  resumeRefused_ = why;
  resumeRefusedAtMs_ = QDateTime::currentMSecsSinceEpoch();
  setDetail(why, "RESUME refused");
}

QString RiskPanel::statsText() const {
  QTextDocument d;
  d.setHtml(stats_->text());
  return d.toPlainText();
}

QString RiskPanel::detailText() const {
  return detailLead_.isEmpty() ? detailFull_ : detailLead_ + " — " + detailFull_;
}

void RiskPanel::fitDetailHeight() {
  detail_->ensurePolished();  // the style sheet's font size applies from here on
  const int lines = QFontMetrics(detail_->font()).lineSpacing() * kDetailLines;
  detail_->setFixedHeight(lines + detail_->contentsMargins().top() + detail_->contentsMargins().bottom() + 2);
  showDetail();
}

void RiskPanel::setDetail(const QString& text, const QString& lead) {
  if (text == detailFull_ && lead == detailLead_) return;  // called every frame
  detailFull_ = text;
  detailLead_ = lead;
  detail_->setToolTip(detailText());
  showDetail();
}

// The detail's text broken into lines at the label's width as the label breaks it; past
// kDetailLines, the last line shown ends in an ellipsis.
void RiskPanel::showDetail() {
  const QString plain = detailText();
  const QFontMetrics fm(detail_->font());
  const int width = std::max(1, detail_->contentsRect().width() - 2);
  QTextLayout layout(plain, detail_->font());
  QTextOption option;
  option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
  layout.setTextOption(option);
  layout.beginLayout();
  QStringList lines;
  for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
    line.setLineWidth(width);
    if (lines.size() + 1 == kDetailLines) {
      lines << fm.elidedText(plain.mid(line.textStart()).simplified(), Qt::ElideRight, width);
      break;
    }
    lines << plain.mid(line.textStart(), line.textLength()).trimmed();
  }
  layout.endLayout();
  // Each line as laid out above, broken explicitly, so that the label cannot wrap it differently.
  for (QString& l : lines) l = l.toHtmlEscaped();
  QString html = lines.join("<br>");
  const QString lead = detailLead_.toHtmlEscaped();
  if (!lead.isEmpty() && html.startsWith(lead))
    html = "<span style='color:#ffb74d'>" + lead + "</span>" + html.mid(lead.size());
  detail_->setText(html);
}

QString RiskPanel::watchdogAlarmText() const { return alarmText_; }

void RiskPanel::setWatchdogAlarm(const QString& alarm, Nanos at) {
  if (alarm == alarmText_) return;  // called every frame: touch the label only when the text changes
  alarmText_ = alarm;
  if (alarm.isEmpty()) {
    alarm_->hide();
    return;
  }
  alarm_->setText("STRATEGY WATCHDOG — " + alarm +
                  "\nWhile that callback does not return, the engine thread is blocked inside the plugin: market "
                  "data, orders and this window's figures stop updating. Restart the terminal.");
  alarm_->show();
  // The watchdog has set the halt switch: show it now, no snapshot will come to confirm it. The
  // usual "open orders are being cancelled" would be wrong: the blocked engine cannot cancel them.
  setHaltedLook(true);
  setDetail(QString("Strategy watchdog at %1 UTC — every new order is refused; open orders stay at the venue "
                      "while the engine is blocked")
                .arg(formatUtcTime(at)));
}

void RiskPanel::apply(const EngineSnapshot& s, bool halted) {
  if (halted != halted_) setHaltedLook(halted);
  const bool reducing = s.tradingState == TradingState::Reducing;
  if (reducing != reducing_ && !halted) setReducingLook(reducing);
  reducing_ = reducing;
  if (halted && !s.halted) {
    // Halted a moment ago; the engine's confirmation is in the next snapshot: keep the local text.
  } else if (halted && !resumeRefused_.isEmpty() && QDateTime::currentMSecsSinceEpoch() - resumeRefusedAtMs_ < 15'000) {
    // A refused RESUME keeps its reason on screen long enough to be read.
  } else if (halted) {
    resumeRefused_.clear();
    // The watchdog halts through the switch alone, without a reason: name it.
    const QString reason = !s.haltReason.empty() ? QString::fromStdString(s.haltReason)
                           : alarmText_.isEmpty() ? QString("Halted")
                                                  : QString("Strategy watchdog");
    setDetail(QString("%1 since %2 UTC — no new orders; cancels still pass")
                  .arg(reason, formatUtcTime(s.haltedAt ? s.haltedAt : s.builtWall)));
  } else if (reducing) {
    const QString why = QString::fromStdString(s.haltReason);
    setDetail((why.isEmpty() ? QString() : why + " — ") +
              "only orders that reduce a position pass the risk gate; cancels always pass");
  } else {
    // As much as the strip's lines hold; the whole reason in the tooltip (and the orders table).
    const QString reject = QString::fromStdString(s.lastReject);
    setDetail(reject.isEmpty() ? QString("All checks passing — every order goes through the risk gate")
                               : "Last reject: " + reject);
  }
  showVenues(s, halted);
  int working = 0;
  for (const Order& o : s.orders) working += isWorking(o.state) ? 1 : 0;
  int open = 0;
  for (const PositionRow& p : s.positions) open += p.qty != 0 ? 1 : 0;
  // PnL in each coin that has any (BTC and ETH never added as coins), and their sum in USD.
  QStringList coins;
  for (const UnderlyingRow& u : s.underlyings)
    if (u.pnl != 0) coins << QString("%1 %2").arg(QString::number(u.pnl, 'f', 6), QString::fromStdString(u.currency));
  // Spot positions (on-chain pools) belong to no underlying: their PnL (fees and gas included) in
  // their settlement currency (USDC for WETH/USDC).
  std::map<std::string, double> spot;
  if (instruments_)
    for (const PositionRow& p : s.positions)
      if (p.instrument < instruments_->size() && (*instruments_)[p.instrument].kind == InstrumentKind::Spot)
        spot[(*instruments_)[p.instrument].settleCurrency] += p.realizedPnl + p.unrealizedPnl - p.fees;
  for (const auto& [currency, pnl] : spot)
    if (pnl != 0) coins << QString("%1 %2").arg(QString::number(pnl, 'f', 2), QString::fromStdString(currency));
  if (coins.isEmpty())
    coins << QString("0 %1").arg(!s.underlyings.empty() ? QString::fromStdString(s.underlyings.front().currency)
                                 : !spot.empty()         ? QString::fromStdString(spot.begin()->first)
                                                         : QString("BTC"));
  const QString pnlColor = s.totalPnlUsd >= 0 ? colors::bid.name() : colors::ask.name();
  const QString usd = s.indexPrice > 0 ? QString(" (%1 USD)").arg(formatMoney(s.totalPnlUsd, 2)) : QString();
  stats_->setText(QString("Working orders <b>%1</b> &nbsp; Positions <b>%2</b> &nbsp; PnL <b style='color:%3'>%4%5</b>"
                          " &nbsp; Rejects <b>%6</b>")
                      .arg(working)
                      .arg(open)
                      .arg(pnlColor)
                      .arg(coins.join(" · "), usd)
                      .arg(s.rejectsTotal));
  // The limit closest to its end (of those that accumulate), and the breaches so far.
  const LimitUse* top = nullptr;
  double topFraction = -1;
  for (const LimitUse& u : s.limits) {
    if (!u.enabled || std::isnan(u.use) || !(u.value > 0)) continue;
    const double f = std::abs(u.use) / u.value;
    if (f > topFraction) topFraction = f, top = &u;
  }
  std::uint64_t breaches = 0;
  for (const Breach& b : s.breaches) breaches += b.count;
  if (top) {
    const QString colour = topFraction >= 0.9 ? colors::ask.name() : topFraction >= 0.7 ? colors::last.name()
                                                                                         : colors::bid.name();
    limits_->setText(QString("Limits: <b style='color:%1'>%2 %</b> %3 (%4) &nbsp; Breaches <b>%5</b>")
                         .arg(colour)
                         .arg(int(std::round(topFraction * 100)))
                         .arg(QString(nameOf(top->limit)), QString::fromStdString(top->scope).toHtmlEscaped())
                         .arg(breaches));
  }
}

// One entry per venue, in --venue order: a coloured dot for its state, its working orders, and
// while HALTED or REDUCING what the venue said last (its cancel_all confirmation), so the trader sees
// every venue's book was cleared, not just that the button was pressed.
void RiskPanel::showVenues(const EngineSnapshot& s, bool halted) {
  if (s.venues.size() < 2) {
    venues_->hide();
    return;
  }
  const bool afterBulkCancel = halted || s.tradingState == TradingState::Reducing;
  QStringList parts, tips;
  for (const VenueRow& v : s.venues) {
    const bool up = v.state == VenueState::Connected;
    const QString colour = up ? colors::bid.name() : v.state == VenueState::Connecting ? colors::last.name()
                                                                                        : colors::ask.name();
    const QString name = QString::fromStdString(v.name).toHtmlEscaped();
    QString part = QString("<span style='color:%1'>●</span> <b>%2</b>: ").arg(colour, name);
    if (!up) part += QString(nameOf(v.state)).toHtmlEscaped() + ", ";
    QString said = QString::fromStdString(v.detail);
    if (afterBulkCancel && !said.isEmpty()) {
      // Long enough for an on-chain venue's "HALT: 1 pending transaction(s), 1 being cancelled by
      // self-transfer; included swaps cannot be undone" (the tooltip has every word).
      if (said.size() > 100) said = said.left(98) + "…";
      part += said.toHtmlEscaped() + ", ";
    }
    part += QString("%1 working").arg(v.workingOrders);
    parts << part;
    tips << QString("%1: %2%3, %4 working order(s)")
                .arg(QString::fromStdString(v.name), QString(nameOf(v.state)),
                     v.detail.empty() ? QString() : " — " + QString::fromStdString(v.detail))
                .arg(v.workingOrders);
  }
  venues_->setText(parts.join(" &nbsp;·&nbsp; "));
  venues_->setToolTip(tips.join("\n"));
  venues_->show();
}

}  // namespace kappa::ui
