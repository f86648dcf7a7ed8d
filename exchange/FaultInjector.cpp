#include "FaultInjector.hpp"

namespace kappa::exchange {

int FaultInjector::errorFor(const std::string& method) {
  auto it = errors_.find(method);
  if (it == errors_.end()) it = errors_.find("*");
  if (it == errors_.end()) return 0;
  const int code = it->second.code;
  if (it->second.remaining > 0 && --it->second.remaining == 0) errors_.erase(it);
  return code;
}

nlohmann::json FaultInjector::describe() const {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [m, e] : errors_) errors[m] = {{"code", e.code}, {"remaining", e.remaining}};
  return {{"delay_ms", delayMs},
          {"drop_every_s", dropEverySeconds},
          {"skip_change_id_every_s", skipChangeEverySeconds},
          {"heartbeat_silent", heartbeatSilent},
          {"locked", locked},
          {"errors", errors}};
}

}  // namespace kappa::exchange
