#include "remote/RemoteEvmView.hpp"

#include "core/Clock.hpp"
#include "core/UtcTime.hpp"

namespace kappa::remote {

evm::EvmVenueSnapshot RemoteEvmView::snapshot() const {
  evm::EvmVenueSnapshot s = link_.evmSnapshot();
  const LinkStatus link = link_.link();
  const Nanos received = link_.evmReceivedAt();
  std::string why;
  if (!link.connected)
    why = "link to engine " + link.engineName + " lost since " + utcClockTime(link.disconnectedSince) + ": figures as of then";
  else if (const std::string refused = link_.evmRefusal(); !refused.empty())
    why = "engine " + link.engineName + "'s on-chain state could not be read (" + refused + "): figures as of " + utcClockTime(received);
  else if (wallNow() - received > kSilentAfter)
    why = "no on-chain state from engine " + link.engineName + " since " + utcClockTime(received) + ": figures as of then";
  if (!why.empty()) {
    s.state = VenueState::Disconnected;
    s.stateDetail = std::move(why);
  }
  return s;
}

}  // namespace kappa::remote
