#pragma once
#include "orchestrator/Engine.hpp"

namespace kappa::app {

// `kappa --demo`: a few real orders through the normal path (risk gate, venue), so that a demo or a
// screenshot shows working orders, fills, a position and one refused order with its reason.
// Reads prices from the engine's latest snapshot (call on the snapshot consumer's thread, which
// never waits on the engine). Returns false if no prices are known yet: call again later.
bool placeDemoOrders(Engine& engine);

}  // namespace kappa::app
