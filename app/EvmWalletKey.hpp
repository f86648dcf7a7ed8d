#pragma once
// The on-chain venue's wallet key for a headless kappa: KAPPA_EVM_PRIVATE_KEY, or --evm-key-file FILE
// (which wins when named; any problem with it is an error, never a fall-back to the environment).
// Never on the command line, where `ps` and shell history would show it.
//
// The key file holds the key alone: 64 hex digits, with or without 0x, on the first line that is not
// blank and not a # comment; the file must be the user's own with mode 0600 (or 0400), as every
// credentials file (CredentialSources.hpp, readOwnerOnlyFile). No message produced here contains the
// key or any line of the file; what is shown of the wallet is its address.
#include <memory>
#include <optional>
#include <string>

#include "venue/evm/Secp256k1Signer.hpp"

namespace kappa::app {

struct EvmWalletKeyResult {
  enum class Status { NotFound, Loaded, Error };
  Status status = Status::NotFound;
  std::optional<evm::PrivateKey> key;  // Loaded: the key, for EvmVenue::setWalletKey (wiped when destroyed)
  std::string origin;                             // "environment (KAPPA_EVM_PRIVATE_KEY)" or "file PATH"
  std::string error;                              // Error: names the variable / file and why, never the key

  bool loaded() const { return status == Status::Loaded; }
  bool failed() const { return status == Status::Error; }
};

// `filePath` empty = no --evm-key-file: the environment, else NotFound (market data only).
EvmWalletKeyResult resolveEvmWalletKey(const std::string& filePath);

}  // namespace kappa::app
