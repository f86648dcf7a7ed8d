#pragma once
// What the engine publishes about plugins and strategy instances (in EngineSnapshot), for the
// strategy manager, the risk panel and --report. Plain copies: no pointers into the host.
#include <cstdint>
#include <string>
#include <vector>

#include "core/Types.hpp"

namespace kappa {

enum class InstanceState : std::uint8_t { Configured, Running, Stopped, Faulted };
const char* nameOf(InstanceState s);

enum class PluginApproval : std::uint8_t { Approved, Changed, Unknown };
const char* nameOf(PluginApproval a);

struct ParamRow {
  std::string name, description, value;  // value formatted for display and editing
  std::int32_t type = 0;                 // KAPPA_PARAM_*
  double minValue = 1, maxValue = 0;     // min > max: unbounded
};

struct StrategyDescriptionRow {
  std::string id, name, version, vendor, description;
  std::vector<ParamRow> params;  // with default values
};

struct PluginRow {
  std::string path, sha256, approvedSha256;
  PluginApproval approval = PluginApproval::Unknown;
  bool loaded = false;
  std::string error;  // why it is not loaded (ABI, missing entry, changed binary...)
  std::vector<StrategyDescriptionRow> strategies;
};

struct StrategyRow {
  std::uint32_t id = 0;
  std::string name;         // e.g. options-mm#1
  std::string pluginPath, strategyId, strategyName, version;
  InstanceState state = InstanceState::Configured;
  std::vector<ParamRow> params;
  std::uint64_t ordersSent = 0, ordersRefused = 0, fills = 0, workingOrders = 0;
  std::uint64_t faults = 0, overruns = 0;
  double realizedPnl = 0, unrealizedPnl = 0;  // pnlCurrency, this instance's own fills
  // The settlement currency of every instrument it traded ("BTC"); empty if none yet. When it traded
  // several (BTC and ETH) the PnL above is in USD, each coin at its index: coins are never added.
  std::string pnlCurrency;
  std::string lastError;
};

struct RiskEventRow {
  Nanos ts = 0;
  std::string source;   // "strategy", "watchdog", "host"
  std::string subject;  // instance name or plugin path
  std::string message;
};

}  // namespace kappa
