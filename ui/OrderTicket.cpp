#include "OrderTicket.hpp"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "Format.hpp"
#include "core/Clock.hpp"
#include "oms/RiskGate.hpp"

#include <cmath>

namespace kappa::ui {

OrderTicket::OrderTicket(const InstrumentRegistry& instruments, QWidget* parent)
    : QWidget(parent), instruments_(instruments) {
  auto* v = new QVBoxLayout(this);
  v->setContentsMargins(8, 6, 8, 6);
  title_ = new QLabel;
  title_->setStyleSheet("font-weight:bold; font-size:13px;");
  v->addWidget(title_);
  auto* form = new QFormLayout;
  form->setLabelAlignment(Qt::AlignRight);
  type_ = new QComboBox;
  type_->addItems({"Limit", "Limit post-only", "Limit IOC", "Market"});
  type_->setToolTip("Order type");
  price_ = new QLineEdit;
  price_->setPlaceholderText("price");
  price_->setAlignment(Qt::AlignRight);
  qty_ = new QLineEdit;
  qty_->setPlaceholderText("quantity");
  qty_->setAlignment(Qt::AlignRight);
  form->addRow("Type", type_);
  form->addRow("Price", price_);
  form->addRow("Qty", qty_);
  v->addLayout(form);
  auto* buttons = new QHBoxLayout;
  buy_ = new QPushButton("Buy");
  buy_->setObjectName("buyButton");
  buy_->setShortcut(QKeySequence("Alt+B"));
  buy_->setToolTip("Send a buy order (Alt+B)");
  sell_ = new QPushButton("Sell");
  sell_->setObjectName("sellButton");
  sell_->setShortcut(QKeySequence("Alt+S"));
  sell_->setToolTip("Send a sell order (Alt+S)");
  buttons->addWidget(buy_);
  buttons->addWidget(sell_);
  v->addLayout(buttons);
  message_ = new QLabel;
  message_->setWordWrap(true);
  message_->setMinimumHeight(32);
  v->addWidget(message_);
  v->addStretch();
  connect(buy_, &QPushButton::clicked, this, [this] { onSide(Side::Buy); });
  connect(sell_, &QPushButton::clicked, this, [this] { onSide(Side::Sell); });
  connect(type_, &QComboBox::currentIndexChanged, this, [this](int i) { price_->setEnabled(i != 3); });
}

void OrderTicket::addSection(QWidget* section) {
  auto* v = static_cast<QVBoxLayout*>(layout());
  v->insertWidget(v->count() - 1, section);  // above the final stretch
}

void OrderTicket::setInstrument(InstrumentId id) {
  if (id == instrument_) return;
  instrument_ = id;
  pricePrefilled_ = false;
  price_->clear();
  if (id >= instruments_.size()) return;
  const Instrument& inst = instruments_[id];
  title_->setText(venues_.display(instruments_, id));
  qty_->setText(QString::fromStdString(formatTrimmed(inst.isOption() ? toFixed(1.0) : inst.minQty * 10)));
  const bool tradable = inst.tradable;
  buy_->setEnabled(tradable);
  sell_->setEnabled(tradable);
  showMessage(tradable ? QString("Tick %1 · lot %2 %3")
                             .arg(QString::fromStdString(formatTrimmed(inst.tickSize)),
                                  QString::fromStdString(formatTrimmed(inst.minQty)),
                                  // options trade in the coin; inverse perpetuals and futures in USD
                                  QString::fromStdString(inst.isOption() || inst.settlement == Settlement::Linear
                                                             ? inst.baseCurrency : std::string("USD")))
                       : QString("%1 is an index: not tradable").arg(QString::fromStdString(inst.name)),
              !tradable);
}

void OrderTicket::apply(const EngineSnapshot& s) {
  if (s.limitsEpoch != qtyCapEpoch_ && !s.orderQtyCap.empty()) {  // refreshed at 10 Hz: copy then only
    qtyCapEpoch_ = s.limitsEpoch;
    qtyCap_ = s.orderQtyCap;
  }
  if (const auto shown = answer_.update(s, instruments_)) {
    message_->setText(shown->text);
    message_->setStyleSheet(OrderAnswer::styleOf(shown->tone));
    messageError_ = shown->tone == OrderAnswer::Tone::Error;
  }
  if (pricePrefilled_ || instrument_ >= s.quotes.size()) return;
  const QuoteRow& q = s.quotes[instrument_];
  const Price ref = q.bid ? q.bid : q.last;
  if (!ref) return;
  price_->setText(QString::fromStdString(formatFixed(ref, instruments_[instrument_].priceDecimals)));
  pricePrefilled_ = true;
}

void OrderTicket::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? "color:#ff6b6b; font-weight:bold;" : "color:#8a93a3;");
  messageError_ = error;
  answer_.forget();  // a new message replaces the answer the ticket was waiting for
}

bool OrderTicket::buildOrder(Side side, OrderRequest& out) {
  if (instrument_ >= instruments_.size()) {
    showMessage("Select an instrument first", true);
    return false;
  }
  const Instrument& inst = instruments_[instrument_];
  OrderRequest r;
  r.instrument = instrument_;
  r.side = side;
  r.origin = OrderOrigin::Manual;
  r.tag = "ticket";
  switch (type_->currentIndex()) {
    case 1: r.postOnly = true; break;
    case 2: r.tif = TimeInForce::ImmediateOrCancel; break;
    case 3: r.type = OrderType::Market; break;
    default: break;
  }
  QString error;
  if (!parseFixed(qty_->text(), r.qty, &error)) {
    showMessage("Quantity " + error + " — nothing sent", true);
    return false;
  }
  if (r.type == OrderType::Limit && !parseFixed(price_->text(), r.price, &error)) {
    showMessage("Price " + error + " — nothing sent", true);
    return false;
  }
  const RiskDecision d = validateOrder(inst, r, clock_ ? clock_() : wallNow());
  if (!d.accepted()) {
    showMessage(QString::fromStdString(d.reason) + " — nothing sent", true);
    return false;
  }
  // The risk gate's own cap (risk.json's max_order_qty), not a figure of the ticket's.
  if (instrument_ < qtyCap_.size() && !std::isnan(qtyCap_[instrument_]) && toDouble(r.qty) > qtyCap_[instrument_]) {
    showMessage(QString("Quantity above the risk limit max_order_qty %1 — nothing sent")
                    .arg(QString::fromStdString(formatTrimmed(toFixed(qtyCap_[instrument_])))),
                true);
    return false;
  }
  out = r;
  return true;
}

void OrderTicket::onSide(Side side) {
  OrderRequest r;
  if (!buildOrder(side, r)) return;
  const QString description = QString("%1 %2 %3 @ %4")
                                  .arg(side == Side::Buy ? "Buy" : "Sell", qty_->text().trimmed(),
                                       venues_.display(instruments_, instrument_),
                                       r.type == OrderType::Market ? QString("market") : price_->text().trimmed());
  showMessage(description + " — sent to the risk gate…", false);
  answer_.track(r, description);
  emit submitRequested(r);
}

}  // namespace kappa::ui
