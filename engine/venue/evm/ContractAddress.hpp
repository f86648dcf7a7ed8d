#pragma once
// Where a contract lands, known before it is deployed: CREATE puts it at
// keccak256(rlp([deployer, nonce]))[12..], CREATE2 (EIP-1014) at
// keccak256(0xff ++ deployer ++ salt ++ keccak256(initCode))[12..]. The test chain's deployment
// and Uniswap's pair addresses (a CREATE2 by the factory) follow from these.
#include <cstdint>

#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"

namespace kappa::evm {

Address createAddress(const Address& deployer, std::uint64_t nonce);
Address create2Address(const Address& deployer, const Hash32& salt, const Hash32& initCodeHash);

}  // namespace kappa::evm
