#include "oms/Position.hpp"

#include <algorithm>
#include <cmath>

namespace kappa {

void Position::applyFill(const Instrument& inst, Side side, double fillQty, double price, double fee) {
  const double dq = side == Side::Buy ? fillQty : -fillQty;
  (side == Side::Buy ? boughtQty : soldQty) += fillQty;
  fees += fee;
  const double unit = inst.unitValue(price);
  if (qty == 0.0 || (qty > 0) == (dq > 0)) {  // opening or adding
    qty += dq;
    entryValue += dq * unit;
    return;
  }
  // Reducing, possibly through zero: close min(|dq|, |qty|) at the average entry.
  const double closing = std::copysign(std::min(std::abs(dq), std::abs(qty)), qty);
  const double avgUnit = entryValue / qty;
  realizedPnl += closing * (unit - avgUnit);
  qty -= closing;
  entryValue -= closing * avgUnit;
  const double rest = dq + closing;
  if (std::abs(qty) < 1e-12) {
    qty = 0.0;
    entryValue = 0.0;
  }
  if (rest != 0.0) {  // flipped: the remainder opens a new position at this price
    qty += rest;
    entryValue += rest * unit;
  }
}

double Position::unrealizedPnl(const Instrument& inst, double mark) const {
  if (qty == 0.0 || mark <= 0.0) return 0.0;
  return qty * inst.unitValue(mark) - entryValue;
}

double Position::averagePrice(const Instrument& inst) const {
  if (qty == 0.0) return 0.0;
  const double avgUnit = entryValue / qty;
  if (inst.settlement == Settlement::Inverse && !inst.isOption()) return avgUnit != 0.0 ? -1.0 / avgUnit : 0.0;
  return avgUnit / (inst.isOption() ? inst.contractSize : 1.0);
}

}  // namespace kappa
