// Uniswap V2 pair addresses (see UniswapV2PairFor.hpp).
#include "venue/evm/UniswapV2PairFor.hpp"

#include "venue/evm/ContractAddress.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"

namespace kappa::evm {

Hash32 uniswapV2PairInitCodeHash() {
  static const Hash32 hash = hash32FromHex("0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f");
  return hash;
}

SortedTokens sortTokens(const Address& tokenA, const Address& tokenB) {
  if (tokenA == tokenB) throw EvmError("UniswapV2Library: IDENTICAL_ADDRESSES");
  SortedTokens s = tokenA < tokenB ? SortedTokens{tokenA, tokenB} : SortedTokens{tokenB, tokenA};  // bytewise = numeric
  if (s.token0 == Address{}) throw EvmError("UniswapV2Library: ZERO_ADDRESS");
  return s;
}

Address uniswapV2PairFor(const Address& factory, const Address& tokenA, const Address& tokenB, const Hash32& initCodeHash) {
  const SortedTokens s = sortTokens(tokenA, tokenB);
  Bytes packed(s.token0.begin(), s.token0.end());
  packed.insert(packed.end(), s.token1.begin(), s.token1.end());
  return create2Address(factory, keccak256(packed), initCodeHash);
}

}  // namespace kappa::evm
