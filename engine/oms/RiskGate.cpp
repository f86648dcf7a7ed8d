#include "oms/RiskGate.hpp"

namespace kappa {

const char* nameOf(RejectCode code) {
  switch (code) {
    case RejectCode::None: return "accepted";
    case RejectCode::Halted: return "halted";
    case RejectCode::UnknownInstrument: return "unknown instrument";
    case RejectCode::NotTradable: return "not tradable";
    case RejectCode::QtyNotPositive: return "quantity not positive";
    case RejectCode::QtyBelowMinimum: return "quantity below minimum";
    case RejectCode::QtyNotMultiple: return "quantity not a lot multiple";
    case RejectCode::QtyAboveMaximum: return "quantity above maximum";
    case RejectCode::PriceNotPositive: return "price not positive";
    case RejectCode::PriceOffTick: return "price off tick";
    case RejectCode::Expired: return "expired";
    case RejectCode::JournalDown: return "journal_down";
  }
  return "?";
}

RiskDecision validateOrder(const Instrument& inst, const OrderRequest& r, Nanos now) {
  auto reject = [](RejectCode code, std::string reason) { return RiskDecision{code, std::move(reason)}; };
  if (!inst.tradable) return reject(RejectCode::NotTradable, inst.name + " is not tradable");
  if (inst.expiry != 0 && now >= inst.expiry) return reject(RejectCode::Expired, inst.name + " has expired");
  if (r.qty <= 0) return reject(RejectCode::QtyNotPositive, "quantity must be greater than 0");
  if (r.qty < inst.minQty)
    return reject(RejectCode::QtyBelowMinimum, "quantity below the minimum " + formatTrimmed(inst.minQty));
  if (r.qty % inst.minQty != 0)
    return reject(RejectCode::QtyNotMultiple, "quantity must be a multiple of " + formatTrimmed(inst.minQty));
  if (inst.maxQty > 0 && r.qty > inst.maxQty)
    return reject(RejectCode::QtyAboveMaximum, "quantity above the maximum " + formatTrimmed(inst.maxQty));
  if (r.type == OrderType::Limit) {
    if (r.price <= 0) return reject(RejectCode::PriceNotPositive, "price must be greater than 0");
    if (r.price % inst.tickSize != 0)
      return reject(RejectCode::PriceOffTick, "price " + formatTrimmed(r.price) + " is not on the tick " +
                                                  formatTrimmed(inst.tickSize));
  }
  return {};
}

RiskDecision RiskGate::check(const OrderRequest& r, Nanos now) const {
  if (halt_.halted()) return {RejectCode::Halted, "trading is HALTED: no new orders until resumed"};
  if (r.instrument >= instruments_.size()) return {RejectCode::UnknownInstrument, "unknown instrument"};
  return validateOrder(instruments_[r.instrument], r, now);
}

}  // namespace kappa
