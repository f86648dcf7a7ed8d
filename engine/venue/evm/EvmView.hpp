#pragma once
// The on-chain panel's window onto an evm venue: what it shows and its one command of its own.
// Two implementations: EvmVenue itself (the venue in this process) and RemoteEvmView (the venue of
// a served engine, over the link, `kappa --attach`). Neither ever waits: snapshot() is a copy of
// what was last seen (the venue's own any-thread views, or the last part that arrived), and
// speedUp() posts (to the venue's I/O thread, or as a command request).
#include "core/Types.hpp"
#include "venue/evm/EvmVenueViews.hpp"

namespace kappa::evm {

class EvmView {
 public:
  virtual ~EvmView() = default;
  // Everything at once. Over a lost link, state is Disconnected and stateDetail says since when:
  // the panel greys every figure rather than show old ones as live.
  virtual EvmVenueSnapshot snapshot() const = 0;
  // Speed-up of a pending swap: the same nonce with both fees raised (>= 12.5 %). The answer is the
  // order's detail in a later snapshot (refused with the reason when it is not pending or the new
  // fees pass the fee cap); a command the link or the engine refused shows in the link's status.
  virtual void speedUp(OrderId orderId) = 0;
};

}  // namespace kappa::evm
