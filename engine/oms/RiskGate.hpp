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
  JournalDown,  // the order's intent could not be journaled: it does not leave
};
const char* nameOf(RejectCode code);

struct RiskDecision {
  RejectCode code = RejectCode::None;
  std::string reason;  // for the user: names the field and the limit
  bool accepted() const { return code == RejectCode::None; }
};

// The halt flag lives apart from the engine thread's state so a halt takes effect the instant it
// is pressed, even while the engine still has commands queued: the gate reads it on every order.
class HaltSwitch {
 public:
  void halt() { halted_.store(true, std::memory_order_release); }
  void resume() { halted_.store(false, std::memory_order_release); }
  bool halted() const { return halted_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> halted_{false};
};

// Static validity of an order against its instrument (no state): also used by the GUI to refuse
// bad input before anything is sent.
RiskDecision validateOrder(const Instrument& inst, const OrderRequest& request, Nanos now);

class RiskGate {
 public:
  RiskGate(const InstrumentRegistry& instruments, const HaltSwitch& halt) : instruments_(instruments), halt_(halt) {}
  RiskDecision check(const OrderRequest& request, Nanos now) const;

 private:
  const InstrumentRegistry& instruments_;
  const HaltSwitch& halt_;
};

}  // namespace kappa
