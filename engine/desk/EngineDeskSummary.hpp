#pragma once
// What one engine tells the desk about itself: its state, venues, exposure per underlying, PnL and
// the limit closest to its bound. Every engine keeps it under its own key <engine>.desk in the
// kappa_engines bucket; the Desk view shows the rows and every engine sums them for the desk
// limits (DeskLimits). JSON text: small, and readable in the bucket by a person.
#include <optional>
#include <string>
#include <vector>

#include "core/EngineSnapshot.hpp"

namespace kappa::desk {

struct UnderlyingExposure {
  std::string currency;    // "BTC", "ETH"
  double index = 0;        // USD
  double deltaCoin = 0;    // net delta in the coin: options, futures and perpetuals of every venue
  double deltaUsd = 0, gammaUsd = 0, vegaUsd = 0, thetaUsd = 0;
  double pnlUsd = 0;       // realized + unrealized - fees, in USD
};

struct VenueStatusRow {
  std::string name;
  VenueState state = VenueState::Disconnected;
};

struct EngineDeskSummary {
  std::string engine;
  TradingState state = TradingState::Active;
  std::string reason;      // why it is HALTED or REDUCING ("" when active)
  std::vector<VenueStatusRow> venues;
  std::vector<UnderlyingExposure> underlyings;
  double pnlUsd = 0;       // every underlying, USD
  double dayPnlUsd = 0;    // since the UTC day started (the daily-loss trigger's figure), USD
  std::size_t positions = 0, workingOrders = 0;
  // The limit closest to its bound: its name, scope and use as a fraction of it (0 when none is used).
  std::string busiestLimit;
  double busiestLimitUse = 0;
  Nanos publishedAt = 0;   // wall clock when the engine published it
};

// From the engine's latest snapshot (USD Greeks from its analytics; no analytics yet: zeros).
EngineDeskSummary summarizeForDesk(const EngineSnapshot& snapshot, const std::string& engine, Nanos publishedAt);

std::string encodeDeskSummary(const EngineDeskSummary& summary);
std::optional<EngineDeskSummary> decodeDeskSummary(std::string_view text, std::string* error);

}  // namespace kappa::desk
