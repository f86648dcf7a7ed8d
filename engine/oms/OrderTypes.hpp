#pragma once
#include <cstdint>
#include <string>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

enum class OrderType : std::uint8_t { Limit, Market };
enum class TimeInForce : std::uint8_t { GoodTillCancel, ImmediateOrCancel };
enum class OrderOrigin : std::uint8_t { Manual, Strategy, Hedger, System };

struct OrderRequest {
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GoodTillCancel;
  bool postOnly = false;
  bool reduceOnly = false;  // may only reduce the position (Deribit reduce_only)
  Price price = 0;  // ignored for market orders
  Qty qty = 0;
  OrderOrigin origin = OrderOrigin::Manual;
  std::string tag;  // free text: strategy instance, "ladder", ...
  std::uint32_t strategy = 0;  // the strategy instance that sent it; 0 = none
  std::uint64_t clientRef = 0;  // the sender's own reference (order entry finds the gate's answer by it)
};

// Unknown: an order of an earlier session that was in flight or working when it ended (a crash
// included): the journal has its intent but no final word, and only the venue can say what became
// of it. Not managed by this session's OMS; shown until the venue answers.
enum class OrderState : std::uint8_t { PendingNew, Open, PartiallyFilled, Filled, Cancelled, Rejected, Unknown };
const char* nameOf(OrderState s);
const char* nameOf(OrderType t);
const char* nameOf(TimeInForce t);
const char* nameOf(OrderOrigin o);
inline bool isTerminal(OrderState s) {
  return s == OrderState::Filled || s == OrderState::Cancelled || s == OrderState::Rejected;
}
inline bool isWorking(OrderState s) { return !isTerminal(s); }

// What the venue says about an order. Fills carry the execution price, quantity and fee.
enum class ExecType : std::uint8_t { Ack, Reject, Fill, Cancelled, Replaced, CancelReject };
struct ExecReport {
  OrderId orderId = 0;          // our client order id
  std::uint64_t venueOrderId = 0;
  ExecType type = ExecType::Ack;
  Price price = 0;              // fill price; new price for Replaced
  Qty qty = 0;                  // fill quantity; new total quantity for Replaced
  Qty leaves = 0;               // remaining open quantity after this report
  double fee = 0.0;             // in the instrument's settlement currency (positive = paid)
  bool maker = false;
  Nanos ts = 0;
  std::string reason;           // rejects and cancels: why
  // Reject: refused by our own connector before anything reached the venue (not connected, not
  // logged in, our own rate limiter, the venue locked for maintenance). Not a venue reject: the
  // reject_rate trigger watches what the venue refuses, not our own refusals.
  bool notSent = false;
  // Reject: the risk limit a venue refused it by (its key, "max_gas_price_gwei"; "" = none), for
  // limits only the venue can check at signing (Venue::setRiskLimits). Recorded as a breach.
  std::string riskLimit;
};

}  // namespace kappa
