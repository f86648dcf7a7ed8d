#include "LadderPanel.hpp"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace kappa::ui {

LadderPanel::LadderPanel(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(4, 4, 4, 4);
  v->setSpacing(4);
  auto* bar = new QHBoxLayout;
  title_ = new QLabel;
  title_->setStyleSheet("font-weight:bold; font-size:13px;");
  bar->addWidget(title_, 1);
  bar->addWidget(new QLabel("Qty"));
  qty_ = new QLineEdit;
  qty_->setObjectName("ladderQty");
  qty_->setAlignment(Qt::AlignRight);
  qty_->setMaximumWidth(90);
  qty_->setToolTip("Quantity for ladder clicks");
  bar->addWidget(qty_);
  auto* center = new QPushButton("Centre");
  center->setToolTip("Re-centre the ladder on the market (Space)");
  center->setFocusPolicy(Qt::NoFocus);
  bar->addWidget(center);
  autoCentre_ = new QCheckBox("Auto");
  autoCentre_->setObjectName("ladderAutoCentre");
  autoCentre_->setToolTip("Keep the market centred as it moves (never while the pointer is over the ladder)");
  autoCentre_->setFocusPolicy(Qt::NoFocus);
  bar->addWidget(autoCentre_);
  v->addLayout(bar);
  message_ = new QLabel;
  message_->setWordWrap(true);
  message_->setStyleSheet("color:#8a93a3;");
  v->addWidget(message_);
  ladder_ = new LadderWidget(instruments, this);
  v->addWidget(ladder_, 1);
  connect(center, &QPushButton::clicked, ladder_, &LadderWidget::recenter);
  connect(autoCentre_, &QCheckBox::toggled, ladder_, &LadderWidget::setAutoCentre);
}

void LadderPanel::setInstrument(InstrumentId id) {
  ladder_->setInstrument(id);
  if (id >= instruments_.size()) return;
  const Instrument& inst = instruments_[id];
  title_->setText(venues_.display(instruments_, id));
  qty_->setText(QString::fromStdString(formatTrimmed(inst.isOption() ? toFixed(1.0) : inst.minQty * 10)));
  showMessage(inst.tradable ? QString("Click bid side to buy, ask side to sell, own order to cancel")
                            : QString("Index: not tradable"),
              false);
}

void LadderPanel::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? "color:#ff6b6b; font-weight:bold;" : "color:#8a93a3;");
}

}  // namespace kappa::ui
