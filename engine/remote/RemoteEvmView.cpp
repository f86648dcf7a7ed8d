#include "remote/RemoteEvmView.hpp"

#include "core/Clock.hpp"
#include "core/UtcTime.hpp"

namespace kappa::remote {

evm::EvmVenueSnapshot RemoteEvmView::snapshot() const {
  evm::EvmVenueSnapshot s = link_.evmSnapshot();
  const LinkStatus link = link_.link();
  if (!link.connected) {
    s.state = VenueState::Disconnected;
    s.stateDetail = "link to engine " + link.engineName + " lost since " + utcClockTime(link.disconnectedSince) +
                    ": figures as of then";
  }
  return s;
}

}  // namespace kappa::remote
