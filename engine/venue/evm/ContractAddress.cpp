// CREATE and CREATE2 addresses (see ContractAddress.hpp).
#include "venue/evm/ContractAddress.hpp"

#include <algorithm>

#include "venue/evm/Keccak.hpp"
#include "venue/evm/Rlp.hpp"

namespace kappa::evm {
namespace {
Address lastTwenty(const Hash32& h) {
  Address a;
  std::copy(h.begin() + 12, h.end(), a.begin());
  return a;
}
}  // namespace

Address createAddress(const Address& deployer, std::uint64_t nonce) {
  Bytes fields;
  rlp::appendString(fields, deployer);
  rlp::appendUint(fields, nonce);
  Bytes list;
  rlp::appendList(list, fields);
  return lastTwenty(keccak256(list));
}

Address create2Address(const Address& deployer, const Hash32& salt, const Hash32& initCodeHash) {
  Bytes preimage;
  preimage.reserve(85);
  preimage.push_back(0xff);
  preimage.insert(preimage.end(), deployer.begin(), deployer.end());
  preimage.insert(preimage.end(), salt.begin(), salt.end());
  preimage.insert(preimage.end(), initCodeHash.begin(), initCodeHash.end());
  return lastTwenty(keccak256(preimage));
}

}  // namespace kappa::evm
