#pragma once
// An error answer to a JSON-RPC request, thrown by a method and turned by the dispatcher into
// Deribit's error object: {"code": C, "message": <Deribit's name for C>, "data": {...}}.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "venue/deribit/DeribitErrors.hpp"

namespace kappa::exchange {

struct RpcError : std::runtime_error {
  int code;
  nlohmann::json data;
  RpcError(int c, nlohmann::json d = nullptr) : std::runtime_error(deribit::errorName(c)), code(c), data(std::move(d)) {}
};

// Deribit's shape for a bad or missing parameter: -32602 with {"param": p, "reason": r}.
inline RpcError invalidParam(const std::string& param, const std::string& reason) {
  return RpcError(deribit::kInvalidParams, {{"param", param}, {"reason", reason}});
}

// The message Deribit sends with a code: its own name for it ("too_many_requests").
inline std::string messageFor(int code) {
  const char* name = deribit::errorName(code);
  return *name ? name : "error";
}

}  // namespace kappa::exchange
