#pragma once
// The real Uniswap V2 on a local chain, deployed from the npm packages' compiled artifacts (ABI +
// bytecode, read with nlohmann json) with eth_sendTransaction from anvil's unlocked dev accounts
// (nothing to sign): WETH9, three test ERC20 tokens, the Factory, Router02; then two pools with
// liquidity at realistic prices, and tokens for the first dev accounts and the background trader.
//
// What is deployed (all amounts in whole tokens; every token has 18 decimals, see below):
// - WETH9 (v2-periphery's build), and three ERC20 test tokens "USDC" (100,000,000), "WBTC"
//   (10,000) and "DAI" (100,000,000): v2-core's build/ERC20.json, constructor(totalSupply) minted
//   to the deployer. That contract's name/symbol are fixed ("Uniswap V2"/"UNI-V2") and its decimals
//   are a constant 18, so the symbols live in the deployment's JSON only, and "USDC" and "WBTC"
//   have 18 decimals here, not 6 and 8. DAI gets no pool: a token a test can use for "no pool".
// - UniswapV2Factory(feeToSetter = deployer), UniswapV2Router02(factory, WETH). The Router finds
//   the Factory's pairs through the init-code hash it has built in (0x96e8ac42…845f = keccak of
//   v2-core's Pair bytecode): checked after set-up with getAmountsOut through each pool.
// - Pools, created by Router02.addLiquidity (approve first): WETH/USDC 1,000 WETH + 3,000,000
//   USDC (1 WETH = 3,000 USDC), WBTC/USDC 50 WBTC + 3,000,000 USDC (1 WBTC = 60,000 USDC). The
//   deployer holds the LP tokens.
// - Dev accounts 1-4 receive 100 WETH, 1,000,000 USDC, 10 WBTC and 1,000,000 DAI each (and keep
//   their 10,000 ETH); no approvals (a venue manages its own). Dev account 9, the background
//   trader, receives 500 WETH, 1,500,000 USDC and 25 WBTC and approves the Router for them.
//
// Meant for an automining chain (each transaction mined at once; the caller switches to the
// wanted block rhythm afterwards). Every step waits for its receipt and checks status 1; a failure
// throws std::runtime_error naming the step and the node's answer.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EthRpc.hpp"

namespace kappa::exchange::chain {

using evm::U256;

struct TokenInfo {
  std::string symbol, address;  // addresses are lower-case "0x…" (no EIP-55 checksum)
  unsigned decimals = 18;
};

struct PoolInfo {
  std::string name, base, quote;       // "WETH/USDC", "WETH", "USDC"
  std::string address, token0, token1; // the pair, and its tokens in the pair's order (by address)
  U256 reserve0, reserve1;             // at ChainDeployment::deployedBlock
};

struct ChainDeployment {
  std::uint64_t chainId = 0;
  std::uint64_t deployedBlock = 0;  // the block after which everything above holds
  std::string deployer, trader;     // dev accounts 0 and 9
  std::vector<std::string> funded;  // dev accounts 1-4
  std::string weth, factory, router;
  std::map<std::string, TokenInfo> tokens;       // by symbol: WETH, USDC, WBTC, DAI
  std::vector<PoolInfo> pools;                   // WETH/USDC, WBTC/USDC
  std::map<std::string, U256> fundingPerAccount; // what each funded account received, by symbol (wei)

  const PoolInfo* pool(const std::string& name) const;
  const std::string& token(const std::string& symbol) const;  // its address; throws if unknown
  // The machine-readable form (kappa-exchange --chain's second stdout line; see ChainDemo.hpp).
  // Large integers as decimal strings.
  nlohmann::json toJson() const;
};

// Deploys everything above on the chain behind `rpc`; `artifactsDir` holds v2-core/build and
// v2-periphery/build. Throws std::runtime_error with the failed step.
ChainDeployment deployUniswap(evm::EthRpc& rpc, const std::string& artifactsDir);

// 10^18 × whole: an amount of an 18-decimal token in its smallest unit.
U256 tokens(std::uint64_t whole);

// Send `tx` (eth_sendTransaction from an unlocked account), wait for the receipt (bounded by
// `timeout`), check status 1. Returns the receipt; throws naming `what`.
nlohmann::json transact(evm::EthRpc& rpc, const nlohmann::json& tx, const std::string& what,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));
// The receipt of `hash` once mined, or null after `timeout`.
nlohmann::json waitForReceipt(evm::EthRpc& rpc, const std::string& hash, std::chrono::milliseconds timeout);
// eth_call at `block` ("latest", or a QUANTITY): the returned data hex.
std::string callContract(evm::EthRpc& rpc, const std::string& to, const std::string& data,
                         const std::string& block = "latest");
// eth_call of the function `signature` ("balanceOf(address)") with `args` (venue/evm/AbiCodec) at
// `block`: the returned data, for abi::decodeUint256 / decodeAddress / ....
evm::Bytes callFunction(evm::EthRpc& rpc, const std::string& to, std::string_view signature,
                        const std::vector<evm::abi::Value>& args = {}, const std::string& block = "latest");
// A pair's getReserves() at `block`: (reserve0, reserve1).
std::pair<U256, U256> pairReserves(evm::EthRpc& rpc, const std::string& pair, const std::string& block = "latest");

}  // namespace kappa::exchange::chain
