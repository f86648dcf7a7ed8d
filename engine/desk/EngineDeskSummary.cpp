#include "desk/EngineDeskSummary.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace kappa::desk {

EngineDeskSummary summarizeForDesk(const EngineSnapshot& s, const std::string& engine, Nanos publishedAt) {
  EngineDeskSummary d;
  d.engine = engine;
  d.state = s.tradingState;
  d.reason = s.tradingState == TradingState::Active ? std::string() : s.haltReason;
  for (const VenueRow& v : s.venues) {
    d.venues.push_back({v.name, v.state});
    d.workingOrders += v.workingOrders;
  }
  for (const UnderlyingRow& u : s.underlyings) {
    UnderlyingExposure e;
    e.currency = u.currency;
    e.index = u.index;
    e.pnlUsd = u.pnlUsd;
    if (s.analytics)
      if (const analytics::ChainAnalytics* chain = s.analytics->chain(u.currency)) {
        e.deltaCoin = chain->total.deltaCoin;
        const analytics::UsdGreeks usd = analytics::usdGreeksOf(*chain);
        e.deltaUsd = usd.deltaUsd;
        e.gammaUsd = usd.gammaUsd;
        e.vegaUsd = usd.vegaUsd;
        e.thetaUsd = usd.thetaUsd;
      }
    d.underlyings.push_back(std::move(e));
  }
  d.pnlUsd = s.totalPnlUsd;
  // The daily figure is kept in the first underlying's coin (the triggers' unit): in USD at its index.
  const double firstIndex = s.underlyings.empty() ? 0.0 : s.underlyings.front().index;
  d.dayPnlUsd = s.dayPnlBtc * firstIndex;
  for (const PositionRow& p : s.positions)
    if (p.qty != 0) ++d.positions;
  for (const LimitUse& l : s.limits) {
    if (!l.enabled || !std::isfinite(l.use) || !(l.value > 0)) continue;
    const double use = std::abs(l.use) / l.value;
    if (use > d.busiestLimitUse) {
      d.busiestLimitUse = use;
      d.busiestLimit = std::string(nameOf(l.limit)) + " " + l.scope;
    }
  }
  d.publishedAt = publishedAt;
  return d;
}

namespace {
double number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}
std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

std::string encodeDeskSummary(const EngineDeskSummary& d) {
  nlohmann::json j;
  j["engine"] = d.engine;
  j["state"] = nameOf(d.state);
  j["reason"] = d.reason;
  j["venues"] = nlohmann::json::array();
  for (const VenueStatusRow& v : d.venues) j["venues"].push_back({{"name", v.name}, {"state", nameOf(v.state)}});
  j["underlyings"] = nlohmann::json::array();
  for (const UnderlyingExposure& u : d.underlyings)
    j["underlyings"].push_back({{"currency", u.currency}, {"index", u.index}, {"delta", u.deltaCoin},
                                {"delta_usd", u.deltaUsd}, {"gamma_usd", u.gammaUsd}, {"vega_usd", u.vegaUsd},
                                {"theta_usd", u.thetaUsd}, {"pnl_usd", u.pnlUsd}});
  j["pnl_usd"] = d.pnlUsd;
  j["day_pnl_usd"] = d.dayPnlUsd;
  j["positions"] = d.positions;
  j["working_orders"] = d.workingOrders;
  j["busiest_limit"] = d.busiestLimit;
  j["busiest_limit_use"] = d.busiestLimitUse;
  j["published_at"] = d.publishedAt;
  // NaN and infinities have no JSON form: a figure the engine could not compute goes out as null
  // and comes back as 0, never as a parse failure.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<EngineDeskSummary> decodeDeskSummary(std::string_view raw, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<EngineDeskSummary> {
    if (error) *error = "engine desk summary: " + std::move(why);
    return std::nullopt;
  };
  const nlohmann::json j = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  EngineDeskSummary d;
  d.engine = text(j, "engine");
  if (d.engine.empty()) return fail("no engine name");
  const std::string state = text(j, "state");
  if (state == nameOf(TradingState::Active)) d.state = TradingState::Active;
  else if (state == nameOf(TradingState::Reducing)) d.state = TradingState::Reducing;
  else if (state == nameOf(TradingState::Halted)) d.state = TradingState::Halted;
  else return fail("unknown state '" + state + "'");
  d.reason = text(j, "reason");
  if (const auto v = j.find("venues"); v != j.end() && v->is_array())
    for (const auto& row : *v) {
      if (!row.is_object()) continue;
      VenueStatusRow r;
      r.name = text(row, "name");
      const std::string st = text(row, "state");
      for (VenueState candidate : {VenueState::Disconnected, VenueState::Connecting, VenueState::Connected,
                                   VenueState::Degraded})
        if (st == nameOf(candidate)) r.state = candidate;
      d.venues.push_back(std::move(r));
    }
  if (const auto u = j.find("underlyings"); u != j.end() && u->is_array())
    for (const auto& row : *u) {
      if (!row.is_object()) continue;
      UnderlyingExposure e;
      e.currency = text(row, "currency");
      e.index = number(row, "index");
      e.deltaCoin = number(row, "delta");
      e.deltaUsd = number(row, "delta_usd");
      e.gammaUsd = number(row, "gamma_usd");
      e.vegaUsd = number(row, "vega_usd");
      e.thetaUsd = number(row, "theta_usd");
      e.pnlUsd = number(row, "pnl_usd");
      if (!e.currency.empty()) d.underlyings.push_back(std::move(e));
    }
  d.pnlUsd = number(j, "pnl_usd");
  d.dayPnlUsd = number(j, "day_pnl_usd");
  d.positions = std::size_t(std::max(0.0, number(j, "positions")));
  d.workingOrders = std::size_t(std::max(0.0, number(j, "working_orders")));
  d.busiestLimit = text(j, "busiest_limit");
  d.busiestLimitUse = number(j, "busiest_limit_use");
  if (const auto at = j.find("published_at"); at != j.end() && at->is_number_integer()) d.publishedAt = at->get<Nanos>();
  return d;
}

}  // namespace kappa::desk
