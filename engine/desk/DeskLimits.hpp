#pragma once
// Limits on the whole desk, not on one engine: net delta and vega per underlying and the day's loss
// summed over every engine's summary (EngineDeskSummary). The risk role writes them as the key
// `limits` of the kappa_desk bucket; every engine reads them and the other engines' summaries and
// acts through its own risk gate when the desk is over a limit (DeskGuard).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "desk/EngineDeskSummary.hpp"

namespace kappa::desk {

struct DeskLimits {
  std::map<std::string, double> maxNetDelta;    // per coin ("BTC": 50 = |net delta| <= 50 BTC)
  std::map<std::string, double> maxNetVegaUsd;  // per coin, USD per vol point
  double maxDailyLossUsd = 0;                   // 0: none
  bool halt = false;                            // over a limit: HALT (true) or REDUCING (false, the default)
};

// {"max_net_delta": {"BTC": 50}, "max_net_vega_usd": {"BTC": 20000}, "max_daily_loss_usd": 250000,
//  "action": "reduce" | "halt"}. Every number finite and > 0; anything else is refused with its key.
std::optional<DeskLimits> decodeDeskLimits(std::string_view text, std::string* error);
std::string encodeDeskLimits(const DeskLimits& limits);

struct DeskUnderlyingTotal {
  std::string currency;
  double deltaCoin = 0, deltaUsd = 0, gammaUsd = 0, vegaUsd = 0, thetaUsd = 0, pnlUsd = 0;
};

struct DeskTotals {
  std::vector<DeskUnderlyingTotal> underlyings;  // in order of first appearance
  double deltaUsd = 0, vegaUsd = 0, pnlUsd = 0, dayPnlUsd = 0;
  std::size_t engines = 0, halted = 0, reducing = 0;
};

DeskTotals sumDesk(const std::vector<EngineDeskSummary>& engines);

// Every limit the desk is over, one sentence each ("desk net BTC delta +62.10 over the limit 50
// (3 engines)"); empty when within all.
std::vector<std::string> deskBreaches(const DeskLimits& limits, const DeskTotals& totals);

}  // namespace kappa::desk
