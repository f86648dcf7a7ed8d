#pragma once
// JSON-RPC QUANTITY values inside nlohmann::json answers, read strictly through U256.hpp (the
// transaction lifecycle's one way in): a member that is missing, not a string or not a canonical
// QUANTITY throws EvmError naming `what`, so a malformed node answer is a clear error, never a
// silent zero.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

inline U256 jsonU256(const nlohmann::json& value, const char* what) {
  if (!value.is_string()) throw EvmError(std::string(what) + ": not a hex quantity string");
  try {
    return u256FromQuantity(value.get<std::string>());
  } catch (const EvmError& e) {
    throw EvmError(std::string(what) + ": " + e.what());
  }
}

inline std::uint64_t jsonU64(const nlohmann::json& value, const char* what) { return u256ToUint64(jsonU256(value, what), what); }

// The member `key` of an object answer (EvmError when the answer is not an object or lacks it).
inline const nlohmann::json& jsonMember(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) throw EvmError(std::string(key) + ": the answer is not an object");
  auto it = object.find(key);
  if (it == object.end()) throw EvmError(std::string(key) + ": missing from the answer");
  return *it;
}

}  // namespace kappa::evm
