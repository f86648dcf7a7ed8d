#pragma once
// What the on-chain venue (EvmVenue) is told: the node's JSON-RPC URL, the chain it must be, the
// Uniswap V2 pairs to list, how far behind the head to follow, how often to poll, and the book's
// shape. The pools can come from kappa-exchange --chain's deployment JSON (exchange/README.md):
// evmConfigFromDeployment() reads its rpc_url, chain_id and pools (with their tokens' symbols and
// decimals, so nothing has to be asked of the chain to name them; the test tokens all call
// themselves "UNI-V2" on chain). A bare pair address is enough otherwise: tokens are read from the
// pair, symbols and decimals from the ERC20 contracts.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "venue/evm/FeeEstimator.hpp"
#include "venue/evm/PoolBook.hpp"
#include "venue/evm/TxTracker.hpp"

namespace kappa::evm {

struct EvmPoolConfig {
  std::string pair;        // the pair's address (0x...)
  std::string baseToken;   // the base token's address; "" = token0
  // Known token facts (skip the ERC20 calls); by address, lower-case or checksummed.
  struct Token {
    std::string address, symbol;
    int decimals = -1;  // -1 = ask the chain
  };
  std::vector<Token> tokens;
  // Reserves known at listing time (the deployment's): the tick is chosen from them when the node
  // cannot be asked. Decimal wei strings; "" = unknown.
  std::string reserve0, reserve1;
};

struct EvmVenueConfig {
  std::string rpcUrl;            // http://127.0.0.1:8545 (https with caFile)
  std::string caFile;
  std::uint64_t chainId = 0;     // 0: whatever the node is (logged); else a mismatch is refused
  std::vector<EvmPoolConfig> pools;
  // Market data follows head - confirmations (0 = the newest block; a reorganisation is then
  // repaired from getReserves at the next poll).
  unsigned confirmations = 0;
  std::chrono::milliseconds pollInterval{1000};  // eth_blockNumber every ...: about the block time
  // New heads pushed by the node (eth_subscribe over WebSocket, NewHeadsFeed) poll at once; polling
  // every pollInterval goes on beside it. "" = the rpcUrl as ws(s):// (one port serves both on geth
  // and anvil); "off" = polling only.
  std::string wsUrl;
  std::chrono::milliseconds rpcTimeout{5000};    // per call
  std::chrono::milliseconds retryInterval{1000}; // after a failure, the next attempt
  std::chrono::seconds maxHeadAge{120};          // a newer head not seen for this long: "node behind" (0 = off)
  std::uint64_t maxLogRange = 2000;              // blocks per eth_getLogs; a longer gap resyncs from getReserves
  std::uint64_t verifyEveryBlocks = 50;          // getReserves against the log-kept reserves (0 = never)
  PoolBookConfig book;

  // Orders (swaps through the Uniswap V2 Router). The wallet key is NOT here (a config is copied,
  // printed, saved): it is handed to EvmVenue::setWalletKey() once, and without it orders are refused.
  std::string router;            // the Router02's address; "" = orders refused ("no router")
  unsigned slippageBps = 50;     // amountOutMin = quote * (10000 - this) / 10000 (UniswapV2Math)
  std::uint64_t deadlineSeconds = 300;  // the swap's deadline = the processed block's time + this
  std::uint64_t approvalGasLimit = 100000;  // an approve() is not estimated (it cannot revert for an ERC20 we list)
  std::uint64_t swapGasLimitWithoutEstimate = 300000;  // a swap sent behind its own approval: the estimate
                                                       // would revert on the allowance not yet mined
  // Added to a swap's estimate (the limit is the larger of this and the estimate's margin): the pair
  // writes its two price accumulators only in a block of a later second than its last update, which
  // an estimate on the current state may not see; up to two fresh SSTOREs (2 x 20,000) and change.
  std::uint64_t swapGasHeadroom = 60000;
  TxTrackerConfig tx;            // confirmations, finality, stuck/dropped handling
  FeeConfig fees;                // EIP-1559 fee policy and cap
};

// kappa-exchange --chain's deployment JSON (its second stdout line): rpc_url, chain_id, router and every
// pool of "pools" ({"WETH/USDC": {address, base, quote, token0, token1, reserve0, reserve1}}) with
// "tokens" ({SYMBOL: {address, decimals}}). False with `error` when something needed is missing.
bool evmConfigFromDeployment(const nlohmann::json& deployment, EvmVenueConfig& config, std::string& error);

}  // namespace kappa::evm
