#pragma once
// kappa-exchange --chain: a real local Ethereum chain with the real Uniswap V2 contracts, as a demo
// and as the tests' peer.
//
//   kappa-exchange --chain [--listen 127.0.0.1:PORT] [--block-time S | --automine | --no-mining]
//                  [--no-trader] [--trader-period S] [--seed N] [--addresses-out FILE] [--anvil-log FILE]
//
// It starts anvil (npm @foundry-rs/anvil-linux-amd64; see ChainPaths.hpp for where it is found) on
// 127.0.0.1 with a free port (PORT 0, the default) and automining, deploys WETH9, the test tokens,
// the Factory and Router02 from the npm artifacts and creates the WETH/USDC and WBTC/USDC pools
// (UniswapDeployment.hpp has the amounts), then sets the block rhythm:
//   --block-time S   a block every S seconds (whole seconds, default 1: anvil's interval mining)
//   --automine       a block for every transaction, at once (tests: quick and ordered)
//   --no-mining      blocks only when asked (evm_mine / anvil_mine: tests that control time)
// and starts the background trader (BackgroundTrader.hpp; --no-trader to leave the pools alone,
// --trader-period S between its swaps: 1-3 periods, default the block time, 1 s when not interval
// mining; --seed N its random choices, default 1).
//
// Output, once everything is deployed:
//   stdout line 1: the RPC URL, e.g. "http://127.0.0.1:40123" (alone on the line)
//   stdout line 2: the deployment as one line of JSON: ChainDeployment::toJson() plus "rpc_url",
//                  "anvil_pid", "mining" ("interval" | "auto" | "manual") and "block_time_seconds"
//                  (0 unless interval). Addresses lower-case hex; token amounts (reserves,
//                  funding) decimal strings in the token's smallest unit (they exceed 64 bits).
//   --addresses-out FILE: the same JSON (indented), written before line 1 is printed.
// Everything else (the deployment's time, the trader's swaps, errors) goes to stderr.
// It runs until SIGTERM or SIGINT (exit 0) and then stops anvil, its own child, by pid; if anvil
// ends by itself, kappa-exchange says so and exits 1. Deployment failure: exit 1, anvil stopped.
// Exit 2 on a bad command line.

namespace kappa::exchange::chain {

// True if argv asks for the chain demo (holds "--chain").
bool wantsChain(int argc, char** argv);
int runChainDemo(int argc, char** argv);
const char* chainUsage();

}  // namespace kappa::exchange::chain
