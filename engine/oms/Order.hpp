#pragma once
#include <string>

#include "oms/OrderTypes.hpp"

namespace kappa {

// Allowed order state transitions:
//   PendingNew      -> Open | PartiallyFilled | Filled | Cancelled | Rejected
//   Open            -> Open (replace) | PartiallyFilled | Filled | Cancelled | Rejected
//                      (Rejected after the Ack: an on-chain swap acknowledged when its transaction
//                      was sent and then reverted in its block; nothing filled)
//   PartiallyFilled -> PartiallyFilled | Filled | Cancelled
//   Filled, Cancelled, Rejected: terminal, nothing leaves them.
bool canTransition(OrderState from, OrderState to);

struct Order {
  OrderId id = 0;
  std::uint64_t venueOrderId = 0;
  OrderRequest request;
  OrderState state = OrderState::PendingNew;
  Qty filled = 0;
  Qty leaves = 0;
  double avgFillPrice = 0.0;
  double fees = 0.0;        // settlement currency
  Nanos created = 0;
  Nanos updated = 0;
  std::string reason;       // reject / cancel reason
  bool cancelRequested = false;
  Nanos cancelSentAt = 0;   // when the cancel now in flight was sent (engine time)

  // Moves to `to` if allowed; returns false (and changes nothing) otherwise.
  bool transition(OrderState to) {
    if (!canTransition(state, to)) return false;
    state = to;
    return true;
  }
};

}  // namespace kappa
