#pragma once
// A Uniswap V2 pair's events as eth_getLogs returns them:
//   Sync(uint112 reserve0, uint112 reserve1)  — after every change of the reserves (swap, mint,
//     burn, sync): the last one of a block is the pair's state at the block's end;
//   Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out,
//     address indexed to) — one per swap through the pair (a trade).
// Decoders are strict (topic count, data length, address words) and throw EvmError on anything
// malformed; a log of another event is simply not that event (nullopt).
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

// keccak256("Sync(uint112,uint112)") = 0x1c411e9a..., keccak256 of the Swap signature = 0xd78ad95f...
const Hash32& uniswapV2SyncTopic();
const Hash32& uniswapV2SwapTopic();

// One entry of eth_getLogs' answer.
struct ChainLog {
  Address address{};
  std::vector<Hash32> topics;
  Bytes data;
  std::uint64_t blockNumber = 0;
  Hash32 blockHash{};
  std::uint64_t logIndex = 0;
  Hash32 transactionHash{};
  bool removed = false;  // a log of a block reorganised away (subscriptions and filters say so)
};
// Throws EvmError naming the field that is missing or malformed.
ChainLog parseChainLog(const nlohmann::json& log);

struct SyncEvent {
  U256 reserve0, reserve1;
};
struct SwapEvent {
  Address sender{}, to{};
  U256 amount0In, amount1In, amount0Out, amount1Out;
};
std::optional<SyncEvent> decodeSync(const ChainLog& log);
std::optional<SwapEvent> decodeSwap(const ChainLog& log);

}  // namespace kappa::evm
