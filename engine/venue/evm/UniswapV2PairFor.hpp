#pragma once
// A Uniswap V2 pair's address without asking the chain, as UniswapV2Library.pairFor computes it:
// the factory's CREATE2 with salt keccak256(token0 ++ token1) (tokens sorted by address) and the
// keccak of the Pair's creation code. The factory's getPair stays the authority; this lets the
// venue match Sync/Swap logs to pools and check a deployment.
#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"

namespace kappa::evm {

// keccak256 of the UniswapV2Pair creation code in @uniswap/v2-core 1.0.1 (the hex literal in
// UniswapV2Library.pairFor).
Hash32 uniswapV2PairInitCodeHash();

struct SortedTokens {
  Address token0, token1;
};
// The library's sortTokens: throws EvmError "UniswapV2Library: IDENTICAL_ADDRESSES" or
// "UniswapV2Library: ZERO_ADDRESS" as its requires do.
SortedTokens sortTokens(const Address& tokenA, const Address& tokenB);

Address uniswapV2PairFor(const Address& factory, const Address& tokenA, const Address& tokenB,
                         const Hash32& initCodeHash = uniswapV2PairInitCodeHash());

}  // namespace kappa::evm
