#include "link/LocalEngineLink.hpp"

namespace kappa {

std::string LocalEngineLink::journalPath() const {
  const Journal* journal = engine_.journal();
  return journal ? journal->path() : std::string();
}

// Engine::resume() decides on the caller's thread (atomics only), so the answer is immediate.
void LocalEngineLink::resume(std::function<void(std::string)> done) {
  std::string refused = engine_.resume();
  if (done) done(std::move(refused));
}

}  // namespace kappa
