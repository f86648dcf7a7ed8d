#include "EvmWalletKey.hpp"

#include <cstdlib>

#include "CredentialSources.hpp"

namespace kappa::app {
namespace {

using Status = EvmWalletKeyResult::Status;

EvmWalletKeyResult failure(std::string message) {
  EvmWalletKeyResult r;
  r.status = Status::Error;
  r.error = std::move(message);
  return r;
}


// The key in `hex`; the parser's own message never echoes the text, and neither does this one.
EvmWalletKeyResult fromHex(const std::string& hex, std::string origin) {
  EvmWalletKeyResult r;
  try {
    r.key.emplace(evm::PrivateKey::fromHex(hex));
  } catch (const std::exception&) {
    return failure(origin + ": not a secp256k1 private key (expected 64 hex digits, with or without 0x, "
                            "not zero and below the curve order)");
  }
  r.status = Status::Loaded;
  r.origin = std::move(origin);
  return r;
}

}  // namespace

EvmWalletKeyResult resolveEvmWalletKey(const std::string& filePath) {
  if (!filePath.empty()) {
    std::string content, error;
    if (!readOwnerOnlyFile(filePath, content, error)) return failure("--evm-key-file: " + error);
    std::string key;
    std::size_t pos = 0;
    while (pos < content.size() && key.empty()) {
      const std::size_t end = content.find('\n', pos);
      const std::string line = trimmed(content.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
      pos = end == std::string::npos ? content.size() : end + 1;
      if (!line.empty() && line[0] != '#') key = line;
    }
    // Whatever else the file holds is ignored but for a second key line, which is a mistake worth naming.
    while (pos < content.size()) {
      const std::size_t end = content.find('\n', pos);
      const std::string line = trimmed(content.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
      pos = end == std::string::npos ? content.size() : end + 1;
      if (!line.empty() && line[0] != '#')
        return failure("--evm-key-file " + filePath + ": more than one line besides comments (the file holds the key alone)");
    }
    if (key.empty()) return failure("--evm-key-file " + filePath + ": no key in it (64 hex digits on a line)");
    return fromHex(key, "--evm-key-file " + filePath);
  }
  const char* value = std::getenv(kEvmPrivateKeyVariable);
  const std::string key = value ? trimmed(value) : std::string();
  if (key.empty()) return {};
  return fromHex(key, std::string("environment (") + kEvmPrivateKeyVariable + ")");
}

}  // namespace kappa::app
