#pragma once
#include "orchestrator/Engine.hpp"

namespace kappa::app {

// `kappa --demo`: a few real orders through the normal path (risk gate, venue), so that a demo or a
// screenshot shows working orders, fills, a position and one refused order with its reason.
// Reads prices from the engine's latest snapshot (call on the snapshot consumer's thread, which
// never waits on the engine). Returns false if no prices are known yet: call again later.
bool placeDemoOrders(Engine& engine);

// `kappa --venue evm --demo` with a wallet key: one small on-chain swap, a market sell of 0.01 of
// the base token into the venue's WETH/USDC pool (else its first pool), through the same path as
// any order (risk gate, EvmVenue: approval when needed, the swap, its fill from the receipt). The
// test chain's funded accounts hold plenty of WETH. Returns false until the pool's book is known
// (call again later); true once sent, or when the venue lists no pool.
bool placeEvmDemoSwap(Engine& engine, VenueId evmVenue);

}  // namespace kappa::app
