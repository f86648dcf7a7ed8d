#pragma once
// The on-chain panel's view of a served engine's evm venue (`kappa --attach`): the last "evm" part
// the link received, and the speed-up sent as the command speed_up (journaled at the engine with
// the user). The panel greys its figures instead of showing old ones as live: the venue counts as
// Disconnected while the link is lost ("link to engine a lost since 14:03:07 UTC"), when the engine
// has said nothing of it for kSilentAfter (it says it again every 5 s: gone, or restarted without
// the venue), and when its newest part could not be read.
#include "remote/RemoteEngineLink.hpp"
#include "venue/evm/EvmView.hpp"

namespace kappa::remote {

class RemoteEvmView final : public evm::EvmView {
 public:
  static constexpr Nanos kSilentAfter = 15'000'000'000;
  explicit RemoteEvmView(RemoteEngineLink& link) : link_(link) {}
  evm::EvmVenueSnapshot snapshot() const override;
  void speedUp(OrderId orderId) override { link_.speedUp(orderId); }

 private:
  RemoteEngineLink& link_;
};

}  // namespace kappa::remote
