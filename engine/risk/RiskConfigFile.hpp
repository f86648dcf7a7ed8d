#pragma once
// risk.json: the limits and triggers as the user writes them (docs/risk.md documents every key),
// and `kappa --risk NAME=VALUE` on top. Nothing is guessed: a bad value is refused with the
// file, the key and the reason, and the terminal then starts HALTED.
//
//   {
//     "version": 1,
//     "account":     { "max_open_orders": 50, "price_band": 0.05, "self_trade": true, ... },
//     "instruments": { "@option": { "max_order_qty": 100, "price_band": "off" },
//                      "BTC-PERPETUAL": { "max_position": 2000000 } },
//     "strategies":  { "kappa.examples.options-mm": { "max_open_orders": 20 } },
//     "underlyings": { "BTC": { "max_net_delta": 25 } },
//     "triggers":    { "daily_loss": { "threshold": 1.0, "action": "halt" }, ... }
//   }
//
// A limit is a number (on), "off" / false (switched off), or {"value": N, "enabled": false}.
#include <string>

#include "risk/RiskLimits.hpp"

namespace kappa {

// Reads `path` into `out`, on top of the defaults: a key left out keeps its documented default and
// switching a check off takes an explicit "off". A missing file is created with the defaults
// (`*created` = true). Returns false with "<path>: <key>: <reason>" (or the line and
// column of a syntax error) in `error`.
bool loadRiskConfig(const std::string& path, RiskConfig* out, std::string* error, bool* created = nullptr);

// Parses risk.json text (for tests and for the loader); `source` names it in messages.
bool parseRiskConfig(const std::string& text, const std::string& source, RiskConfig* out, std::string* error);

// One `--risk NAME=VALUE`: NAME is the JSON path with '/', the account's keys bare:
//   max_open_orders=20   instruments/@option/max_position=100   strategies/*/max_submit_rate=off
//   underlyings/BTC/max_net_vega=1   triggers/daily_loss=0.5   triggers/daily_loss/action=reduce
bool applyRiskOverride(RiskConfig* config, const std::string& assignment, std::string* error);

// The configuration as risk.json text (what a missing file is created with).
std::string riskConfigJson(const RiskConfig& config);

}  // namespace kappa
