#pragma once
// Members of JSON-RPC answers, read strictly: a member that is missing, or (with EthRpc.hpp's
// quantityU256 / quantityU64) not a canonical QUANTITY, throws EvmError naming it, so a malformed
// node answer is a clear error, never a silent zero.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "venue/evm/EthRpc.hpp"  // quantityU256, quantityU64
#include "venue/evm/EvmError.hpp"

namespace kappa::evm {

// The member `key` of an object answer (EvmError when the answer is not an object or lacks it).
inline const nlohmann::json& jsonMember(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) throw EvmError(std::string(key) + ": the answer is not an object");
  auto it = object.find(key);
  if (it == object.end()) throw EvmError(std::string(key) + ": missing from the answer");
  return *it;
}

}  // namespace kappa::evm
