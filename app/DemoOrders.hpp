#pragma once
#include "core/Engine.hpp"

namespace kappa::app {

// `kappa --demo`: a few real orders through the normal path (risk gate, venue), so that a demo or a
// screenshot shows working orders, fills, a position and one refused order with its reason.
void placeDemoOrders(Engine& engine);

}  // namespace kappa::app
