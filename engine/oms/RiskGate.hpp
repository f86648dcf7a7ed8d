#pragma once
// The one gate every order passes through — manual, strategy or hedger — before it can reach a
// venue. This checks: the halt flag, instrument tradable, quantity > 0, at least the
// minimum, a multiple of the lot, within the instrument's maximum, and a limit price on tick.
// The full risk engine (limits, rates, Greeks, automatic triggers) grows behind this same call.
#include <atomic>
#include <string>

#include "core/Instrument.hpp"
#include "oms/OrderTypes.hpp"

namespace kappa {

enum class RejectCode : std::uint8_t {
  None,
  Halted,
  UnknownInstrument,
  NotTradable,
  QtyNotPositive,
  QtyBelowMinimum,
  QtyNotMultiple,
  QtyAboveMaximum,
  PriceNotPositive,
  PriceOffTick,
  Expired,
  JournalDown,   // the order's intent could not be journaled: it does not leave
  ReducingOnly,  // REDUCING and the order would not reduce a position
};
const char* nameOf(RejectCode code);

struct RiskDecision {
  RejectCode code = RejectCode::None;
  std::string reason;  // for the user: names the field and the limit
  bool accepted() const { return code == RejectCode::None; }
};

// The trading state: ACTIVE; REDUCING (only orders that reduce a position pass); HALTED (no new
// orders or replaces; cancels always pass).
enum class TradingState : std::uint8_t { Active, Reducing, Halted };
const char* nameOf(TradingState s);

// The state lives apart from the engine thread's state so a halt takes effect the instant it is
// pressed, even while the engine still has commands queued: the gate reads it on every order.
class HaltSwitch {
 public:
  void halt() { halted_.store(true, std::memory_order_release); }
  void reduceOnly() { reducing_.store(true, std::memory_order_release); }
  void resume() {  // back to ACTIVE from either
    reducing_.store(false, std::memory_order_release);
    halted_.store(false, std::memory_order_release);
  }
  bool halted() const { return halted_.load(std::memory_order_acquire); }
  bool reducing() const { return reducing_.load(std::memory_order_acquire); }
  TradingState state() const {
    return halted() ? TradingState::Halted : reducing() ? TradingState::Reducing : TradingState::Active;
  }

 private:
  std::atomic<bool> halted_{false}, reducing_{false};
};

// Static validity of an order against its instrument (no state): also used by the GUI to refuse
// bad input before anything is sent.
RiskDecision validateOrder(const Instrument& inst, const OrderRequest& request, Nanos now);

class RiskGate {
 public:
  RiskGate(const InstrumentRegistry& instruments, const HaltSwitch& halt) : instruments_(instruments), halt_(halt) {}
  // `position`: the instrument's current position and `sameSideOpen`: the quantity already working
  // on the order's side of that instrument (instrument units); read only while REDUCING.
  RiskDecision check(const OrderRequest& request, Nanos now, double position = 0, double sameSideOpen = 0) const;
  bool reducing() const { return halt_.reducing(); }

 private:
  const InstrumentRegistry& instruments_;
  const HaltSwitch& halt_;
};

}  // namespace kappa
