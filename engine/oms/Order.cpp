#include "oms/Order.hpp"

namespace kappa {

const char* nameOf(OrderState s) {
  switch (s) {
    case OrderState::PendingNew: return "pending-new";
    case OrderState::Open: return "open";
    case OrderState::PartiallyFilled: return "partially-filled";
    case OrderState::Filled: return "filled";
    case OrderState::Cancelled: return "cancelled";
    case OrderState::Rejected: return "rejected";
    case OrderState::Unknown: return "unknown";
  }
  return "?";
}
const char* nameOf(OrderType t) { return t == OrderType::Limit ? "limit" : "market"; }
const char* nameOf(TimeInForce t) { return t == TimeInForce::GoodTillCancel ? "GTC" : "IOC"; }
const char* nameOf(OrderOrigin o) {
  switch (o) {
    case OrderOrigin::Manual: return "manual";
    case OrderOrigin::Strategy: return "strategy";
    case OrderOrigin::Hedger: return "hedger";
    case OrderOrigin::System: return "system";
  }
  return "?";
}

bool canTransition(OrderState from, OrderState to) {
  switch (from) {
    case OrderState::PendingNew:
      return to != OrderState::PendingNew;
    case OrderState::Open:
      return to == OrderState::Open || to == OrderState::PartiallyFilled || to == OrderState::Filled ||
             to == OrderState::Cancelled || to == OrderState::Rejected;
    case OrderState::PartiallyFilled:
      return to == OrderState::PartiallyFilled || to == OrderState::Filled || to == OrderState::Cancelled;
    case OrderState::Unknown:  // whatever the venue says it is
      return to != OrderState::Unknown;
    case OrderState::Filled:
    case OrderState::Cancelled:
    case OrderState::Rejected:
      return false;
  }
  return false;
}

}  // namespace kappa
