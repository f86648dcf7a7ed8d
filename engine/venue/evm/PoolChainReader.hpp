#pragma once
// What the on-chain venue reads from a node about its pools, over EthRpc (blocking: the venue's
// I/O thread, or listInstruments before the engine runs): the chain id, heads and block headers,
// a pair's tokens and reserves at a given block (getReserves), ERC20 symbol and decimals, and the
// pairs' Sync/Swap logs over a block range (eth_getLogs). Each read throws RpcException (the node
// or the transport failed: EthRpc.hpp) or EvmError (an answer that is not what the contract or
// the JSON-RPC spec says).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/Types.hpp"
#include "venue/evm/Address.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/PoolEvents.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct BlockHeader {
  std::uint64_t number = 0;
  Hash32 hash{}, parentHash{};
  Nanos timestamp = 0;  // the block's own time (whole seconds on chain)
};

class PoolChainReader {
 public:
  explicit PoolChainReader(EthRpc& rpc) : rpc_(rpc) {}

  std::uint64_t chainId();
  std::uint64_t blockNumber();
  // eth_syncing: false when the node says it is not syncing.
  bool syncing();
  // nullopt when the node has no block of that number (yet, or any more).
  std::optional<BlockHeader> header(std::uint64_t number);

  Address token0(const Address& pair);
  Address token1(const Address& pair);
  // getReserves() at `block`: (reserve0, reserve1).
  std::pair<U256, U256> reserves(const Address& pair, std::uint64_t block);
  // getReserves() in exactly the block of that hash (EIP-1898): the state matches the header
  // read before, even when a reorganisation replaces the block of that number meanwhile.
  std::pair<U256, U256> reserves(const Address& pair, const Hash32& blockHash);
  // ERC20 metadata is optional in the standard: nullopt when the call reverts or answers nothing
  // readable (symbol as string, or as bytes32 like MKR's).
  std::optional<unsigned> decimals(const Address& token);
  std::optional<std::string> symbol(const Address& token);

  // The Sync and Swap logs of `pairs` in blocks [from, to], in chain order.
  std::vector<ChainLog> poolLogs(const std::vector<Address>& pairs, std::uint64_t from, std::uint64_t to);

 private:
  // `block`: a tag ("latest", a number as QUANTITY) or an EIP-1898 object ({"blockHash": ...}).
  Bytes call(const Address& to, const Bytes& data, const nlohmann::json& block = "latest");
  EthRpc& rpc_;
};

}  // namespace kappa::evm
