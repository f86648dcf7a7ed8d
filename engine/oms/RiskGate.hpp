#pragma once
// The one gate every order passes through — manual, strategy, hedger or FLATTEN — before it can
// reach a venue: the trading state (HALTED / REDUCING), the order's validity against its
// instrument (tradable, size, lot, tick), then the configurable limits (risk/PreTradeLimits).
// Engine thread, except validateOrder (stateless, also used by the GUI).
#include <atomic>
#include <string>

#include "core/Instrument.hpp"
#include "oms/OrderTypes.hpp"
#include "risk/BreachLog.hpp"
#include "risk/PreTradeLimits.hpp"

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
  Limit,         // a configured limit refused it (RiskDecision::limit says which)
};
const char* nameOf(RejectCode code);

struct RiskDecision {
  RejectCode code = RejectCode::None;
  std::string reason;  // for the user: names the field and the limit
  Limit limit = Limit::Count;  // for RejectCode::Limit
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
  // HALTED -> REDUCING (FLATTEN) without passing through ACTIVE, not even for an instant.
  void haltedToReducing() {
    reducing_.store(true, std::memory_order_release);
    halted_.store(false, std::memory_order_release);
  }
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

class OrderManager;

class RiskGate {
 public:
  // No limits until configure(): the engine configures the documented defaults or risk.json.
  RiskGate(const InstrumentRegistry& instruments, const HaltSwitch& halt)
      : instruments_(instruments), halt_(halt), limits_(instruments) {}
  // A new order, or (replacing != 0) a modify of that working order. `oms`: positions and the
  // working orders (REDUCING, position limits, self-trade).
  RiskDecision check(const OrderRequest& request, Nanos now, const OrderManager& oms, OrderId replacing = 0);
  // A cancel request from a user or a strategy (rate limits); the halt's cancels do not ask.
  RiskDecision checkCancel(const Order& order, Nanos now);
  bool reducing() const { return halt_.reducing(); }
  PreTradeLimits& limits() { return limits_; }
  const PreTradeLimits& limits() const { return limits_; }
  // A venue refused an order by a limit it checks itself (ExecReport::riskLimit): recorded in the
  // breach history like the gate's own refusals ("key (scope): detail").
  void recordVenueRefusal(Nanos now, const std::string& key, const std::string& why);
  BreachLog& breaches() { return breaches_; }
  const BreachLog& breaches() const { return breaches_; }

 private:
  // `position`: the instrument's position; `sameSideOpen`: what already works on the order's side.
  RiskDecision checkReducing(const OrderRequest& r, double position, double sameSideOpen) const;
  RiskDecision refused(Nanos now, Limit limit, std::string why);  // recorded in the breach history

  const InstrumentRegistry& instruments_;
  const HaltSwitch& halt_;
  PreTradeLimits limits_;
  BreachLog breaches_;
};

}  // namespace kappa
