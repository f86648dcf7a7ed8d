#include "oms/RiskGate.hpp"

#include "oms/OrderManager.hpp"

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
    case RejectCode::ReducingOnly: return "reducing only";
    case RejectCode::Limit: return "risk limit";
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

const char* nameOf(TradingState s) {
  switch (s) {
    case TradingState::Active: return "ACTIVE";
    case TradingState::Reducing: return "REDUCING";
    case TradingState::Halted: return "HALTED";
  }
  return "?";
}

RiskDecision RiskGate::check(const OrderRequest& r, Nanos now, const OrderManager& oms, OrderId replacing) {
  if (halt_.halted()) return {RejectCode::Halted, "trading is HALTED: no new orders until resumed"};
  // The engine's count, not the registry's: a venue adds to the registry on its own thread a moment
  // before the engine's tables (positions among them) know the new id.
  if (r.instrument >= oms.positions().size()) return {RejectCode::UnknownInstrument, "unknown instrument"};
  if (instruments_.retired(r.instrument))  // the venue settled it while we ran: nothing to trade
    return {RejectCode::Expired, instruments_[r.instrument].name + " has expired/settled: it no longer trades"};
  RiskDecision d = validateOrder(instruments_[r.instrument], r, now);
  if (!d.accepted()) return d;
  if (halt_.reducing()) {
    d = checkReducing(r, oms.positions()[r.instrument].qty, oms.openQty(r.instrument, r.side, replacing));
    if (!d.accepted()) return d;
  }
  Limit hit = Limit::Count;
  std::string why = limits_.check(r, now, oms, replacing, &hit);
  if (!why.empty()) return refused(now, hit, std::move(why));
  return d;
}

RiskDecision RiskGate::checkCancel(const Order& order, Nanos now) {
  Limit hit = Limit::Count;
  std::string why = limits_.checkCancel(order, now, &hit);
  if (!why.empty()) return refused(now, hit, std::move(why));
  return {};
}

namespace {
// Reasons read "key (scope): detail": the scope is what the history aggregates by.
std::string scopeOfReason(const std::string& why) {
  const auto open = why.find(" (");
  const auto close = why.find("): ");
  return open != std::string::npos && close != std::string::npos && close > open ? why.substr(open + 2, close - open - 2) : "";
}
}  // namespace

RiskDecision RiskGate::refused(Nanos now, Limit limit, std::string why) {
  breaches_.record(now, nameOf(limit), scopeOfReason(why), why, false, "refused");
  return {RejectCode::Limit, std::move(why), limit};
}

void RiskGate::recordVenueRefusal(Nanos now, const std::string& key, const std::string& why) {
  breaches_.record(now, key, scopeOfReason(why), why, false, "refused");
}

RiskDecision RiskGate::checkReducing(const OrderRequest& r, double position, double sameSideOpen) const {
  // REDUCING: the order must shrink the position, together with what already works on its side,
  // and never flip it.
  const Instrument& inst = instruments_[r.instrument];
  const double qty = toDouble(r.qty);
  const bool reduces = (position > 0 && r.side == Side::Sell) || (position < 0 && r.side == Side::Buy);
  if (!reduces)
    return {RejectCode::ReducingOnly, "trading is REDUCING: a " + std::string(nameOf(r.side)) + " of " + inst.name +
                                          (position == 0 ? " (flat)" : " (position " + formatTrimmed(toFixed(position)) + ")") +
                                          " would not reduce a position"};
  if (sameSideOpen + qty > std::abs(position) + 1e-12)
    return {RejectCode::ReducingOnly, "trading is REDUCING: " + formatTrimmed(r.qty) + " with " +
                                          formatTrimmed(toFixed(sameSideOpen)) + " already working would flip the " +
                                          formatTrimmed(toFixed(position)) + " position in " + inst.name};
  return {};
}

}  // namespace kappa
