#pragma once
// A request to create a strategy instance from a plugin (loaded first if needed), and perhaps
// start it: what the strategy manager, the command line, a restart and a remote GUI send.
#include <string>

#include "strategy/StrategyParams.hpp"

namespace kappa {

struct StrategyLaunch {
  std::string path;
  std::string strategyId;  // empty: the plugin's first strategy
  ParamAssignments params;
  bool start = true;
  bool approve = false;    // the user approved a changed binary
};

}  // namespace kappa
