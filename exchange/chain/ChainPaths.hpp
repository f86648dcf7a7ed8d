#pragma once
// Where kappa-exchange --chain finds its real components at run time: the anvil binary (npm
// @foundry-rs/anvil-linux-amd64) and the Uniswap V2 compiled artifacts (npm @uniswap/v2-core and
// @uniswap/v2-periphery). Both are installed by ./dev (npm ci in tests/peers, as package-lock.json
// pins them); the build records that node_modules folder (KAPPA_PEERS_NODE_MODULES). Environment
// overrides, for an installed kappa-exchange or another copy:
//   KAPPA_ANVIL              the anvil binary
//   KAPPA_UNISWAP_ARTIFACTS  a folder holding v2-core/build/ and v2-periphery/build/ (node_modules/@uniswap)
#include <string>

namespace kappa::exchange::chain {

// The anvil binary to run, or "" with `error` saying where it was looked for and how to get it.
std::string anvilBinary(std::string& error);
// The folder holding v2-core/build and v2-periphery/build, or "" with `error`.
std::string uniswapArtifactsDir(std::string& error);

}  // namespace kappa::exchange::chain
