#include "desk/DeskLimits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace kappa::desk {

std::optional<DeskLimits> decodeDeskLimits(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<DeskLimits> {
    if (error) *error = "desk limits: " + std::move(why);
    return std::nullopt;
  };
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  DeskLimits limits;
  for (const auto& [key, value] : j.items()) {
    if (key == "max_net_delta" || key == "max_net_vega_usd") {
      if (!value.is_object()) return fail("'" + key + "' must be an object of coin: number");
      auto& into = key == "max_net_delta" ? limits.maxNetDelta : limits.maxNetVegaUsd;
      for (const auto& [coin, v] : value.items()) {
        if (!v.is_number() || !std::isfinite(v.get<double>()) || !(v.get<double>() > 0))
          return fail("'" + key + "/" + coin + "' must be a number above 0");
        if (coin.empty() || coin.size() > 12) return fail("'" + key + "' has a bad coin name");
        into[coin] = v.get<double>();
      }
    } else if (key == "max_daily_loss_usd") {
      if (!value.is_number() || !std::isfinite(value.get<double>()) || !(value.get<double>() > 0))
        return fail("'max_daily_loss_usd' must be a number above 0");
      limits.maxDailyLossUsd = value.get<double>();
    } else if (key == "action") {
      if (value != "reduce" && value != "halt") return fail("'action' must be \"reduce\" or \"halt\"");
      limits.halt = value == "halt";
    } else {
      return fail("unknown key '" + key + "' (max_net_delta, max_net_vega_usd, max_daily_loss_usd, action)");
    }
  }
  return limits;
}

std::string encodeDeskLimits(const DeskLimits& limits) {
  nlohmann::json j;
  j["max_net_delta"] = limits.maxNetDelta;
  j["max_net_vega_usd"] = limits.maxNetVegaUsd;
  if (limits.maxDailyLossUsd > 0) j["max_daily_loss_usd"] = limits.maxDailyLossUsd;
  j["action"] = limits.halt ? "halt" : "reduce";
  return j.dump();
}

DeskTotals sumDesk(const std::vector<EngineDeskSummary>& engines) {
  DeskTotals t;
  for (const EngineDeskSummary& e : engines) {
    ++t.engines;
    if (e.state == TradingState::Halted) ++t.halted;
    if (e.state == TradingState::Reducing) ++t.reducing;
    for (const UnderlyingExposure& u : e.underlyings) {
      auto it = std::find_if(t.underlyings.begin(), t.underlyings.end(),
                             [&](const DeskUnderlyingTotal& x) { return x.currency == u.currency; });
      if (it == t.underlyings.end()) {
        t.underlyings.push_back({u.currency});
        it = t.underlyings.end() - 1;
      }
      it->deltaCoin += u.deltaCoin;
      it->deltaUsd += u.deltaUsd;
      it->gammaUsd += u.gammaUsd;
      it->vegaUsd += u.vegaUsd;
      it->thetaUsd += u.thetaUsd;
      it->pnlUsd += u.pnlUsd;
      t.deltaUsd += u.deltaUsd;
      t.vegaUsd += u.vegaUsd;
    }
    t.pnlUsd += e.pnlUsd;
    t.dayPnlUsd += e.dayPnlUsd;
  }
  return t;
}

std::vector<std::string> deskBreaches(const DeskLimits& limits, const DeskTotals& totals) {
  std::vector<std::string> out;
  char buf[256];
  const std::string engines = " (" + std::to_string(totals.engines) + (totals.engines == 1 ? " engine)" : " engines)");
  for (const DeskUnderlyingTotal& u : totals.underlyings) {
    if (auto it = limits.maxNetDelta.find(u.currency); it != limits.maxNetDelta.end() && std::abs(u.deltaCoin) > it->second) {
      std::snprintf(buf, sizeof buf, "desk net %s delta %+.2f over the limit %g", u.currency.c_str(), u.deltaCoin, it->second);
      out.push_back(buf + engines);
    }
    if (auto it = limits.maxNetVegaUsd.find(u.currency); it != limits.maxNetVegaUsd.end() && std::abs(u.vegaUsd) > it->second) {
      std::snprintf(buf, sizeof buf, "desk net %s vega %+.0f USD over the limit %g", u.currency.c_str(), u.vegaUsd, it->second);
      out.push_back(buf + engines);
    }
  }
  if (limits.maxDailyLossUsd > 0 && -totals.dayPnlUsd > limits.maxDailyLossUsd) {
    std::snprintf(buf, sizeof buf, "desk daily loss %.0f USD over the limit %g", -totals.dayPnlUsd, limits.maxDailyLossUsd);
    out.push_back(buf + engines);
  }
  return out;
}

}  // namespace kappa::desk
