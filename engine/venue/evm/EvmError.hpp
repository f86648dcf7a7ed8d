#pragma once
// The one error type of the EVM encoding ground. Every parser and encoder here reports bad input
// (malformed hex, non-canonical RLP, an invalid signature, a swap the pair would revert) by
// throwing EvmError with a message a trader or a log can read; nothing here aborts or reads out of
// bounds on bad input. Messages never contain key material.
#include <stdexcept>
#include <string>

namespace kappa::evm {

class EvmError : public std::runtime_error {
 public:
  explicit EvmError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace kappa::evm
