#pragma once
// The on-chain panel's view of a served engine's evm venue (`kappa --attach`): the last "evm" part
// the link received, and the speed-up sent as the command speed_up (journaled at the engine with
// the user). While the link is lost the venue counts as Disconnected, "link to engine a lost since
// 14:03:07 UTC", so the panel greys its figures instead of showing the last ones as live.
#include "remote/RemoteEngineLink.hpp"
#include "venue/evm/EvmView.hpp"

namespace kappa::remote {

class RemoteEvmView final : public evm::EvmView {
 public:
  explicit RemoteEvmView(RemoteEngineLink& link) : link_(link) {}
  evm::EvmVenueSnapshot snapshot() const override;
  void speedUp(OrderId orderId) override { link_.speedUp(orderId); }

 private:
  RemoteEngineLink& link_;
};

}  // namespace kappa::remote
