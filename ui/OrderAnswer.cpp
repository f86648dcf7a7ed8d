#include "OrderAnswer.hpp"

#include "Format.hpp"

namespace kappa::ui {

void OrderAnswer::track(OrderRequest& request, QString description) {
  static std::uint64_t lastRef = 0;  // GUI thread only
  request.clientRef = ++lastRef;
  ref_ = request.clientRef;
  description_ = std::move(description);
  shown_ = OrderState::Unknown;
}

std::optional<OrderAnswer::Shown> OrderAnswer::update(const EngineSnapshot& s, const InstrumentRegistry& instruments) {
  if (!ref_) return std::nullopt;
  const Order* order = nullptr;
  for (const Order& o : s.orders)
    if (o.request.clientRef == ref_) {
      order = &o;
      break;
    }
  if (!order || order->state == shown_) return std::nullopt;
  shown_ = order->state;
  const Order& o = *order;
  const Instrument& inst = instruments[o.request.instrument];
  switch (o.state) {
    case OrderState::Rejected:
      ref_ = 0;
      return Shown{QString("REFUSED: %1 — %2").arg(description_, QString::fromStdString(o.reason)), Tone::Error};
    case OrderState::PendingNew:
      return Shown{description_ + " — accepted by the risk gate, waiting for the venue", Tone::Neutral};
    case OrderState::Open:
    case OrderState::PartiallyFilled:
      return Shown{QString("%1 — working%2")
                       .arg(description_, o.filled > 0 ? QString(", %1 filled").arg(formatQty(inst, o.filled)) : QString()),
                   Tone::Good};
    case OrderState::Filled:
      ref_ = 0;
      return Shown{QString("%1 — FILLED at %2").arg(description_, formatPrice(inst, o.avgFillPrice)), Tone::Good};
    case OrderState::Cancelled:
      ref_ = 0;
      return Shown{QString("%1 — cancelled%2")
                       .arg(description_, o.reason.empty() || o.reason == "cancelled" ? QString()
                                                                                     : ": " + QString::fromStdString(o.reason)),
                   Tone::Warning};
    case OrderState::Unknown: break;
  }
  return std::nullopt;
}

QString OrderAnswer::styleOf(Tone tone) {
  switch (tone) {
    case Tone::Error: return "color:#ff6b6b; font-weight:bold;";
    case Tone::Good: return "color:#4caf7d; font-weight:bold;";
    case Tone::Warning: return "color:#ffb74d; font-weight:bold;";
    case Tone::Neutral: break;
  }
  return "color:#c9d1dc;";
}

}  // namespace kappa::ui
