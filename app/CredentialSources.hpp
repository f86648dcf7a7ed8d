#pragma once
// Where a headless kappa (no GUI, no keychain dialog) finds its Deribit API key: the environment or a
// small credentials file that only its owner can read. Plain C++ (no Qt): the result is the engine's
// DeribitCredentials struct.
//
// Order of precedence (resolveHeadlessCredentials):
//   1. --deribit-credentials FILE   named on the command line, so it wins; any problem with it is an error
//                                   (never a silent fall-back to another key)
//   2. KAPPA_DERIBIT_CLIENT_ID and KAPPA_DERIBIT_CLIENT_SECRET   both or neither
//   3. nothing found: the caller decides (the GUI then asks the OS keychain, see ui/CredentialStore.hpp;
//      a headless start against a private API says that no key was given)
//
// The credentials file (one `field = value` a line; blank lines and lines starting with # ignored):
//     # Deribit API key for Kappa. chmod 600 this file.
//     client_id     = fo7WAPRm
//     client_secret = ...
//     environment   = testnet        (optional: testnet, mainnet or the ws:// / wss:// URL the key is for;
//                                     Kappa refuses to use the key against any other environment)
// It must be a regular file owned by the user running kappa with no permission for group or others
// (mode 0600, or 0400); anything else is refused with the file's name, what is wrong and the chmod that
// fixes it.
//
// No message produced here ever contains the secret; the client id appears at most as maskedId().
#include <string>

#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::app {

inline constexpr const char* kClientIdVariable = "KAPPA_DERIBIT_CLIENT_ID";
inline constexpr const char* kClientSecretVariable = "KAPPA_DERIBIT_CLIENT_SECRET";

struct CredentialSourceResult {
  enum class Status { NotFound, Loaded, Error };
  Status status = Status::NotFound;
  deribit::DeribitCredentials credentials;
  std::string origin;       // "environment (KAPPA_DERIBIT_CLIENT_ID/_SECRET)" or "file /path/to/file"
  std::string environment;  // the file's optional `environment` field ("" = not stated)
  std::string error;        // Status::Error only; names the file / variable, never the secret

  bool loaded() const { return status == Status::Loaded; }
  bool failed() const { return status == Status::Error; }
};

// KAPPA_DERIBIT_CLIENT_ID / KAPPA_DERIBIT_CLIENT_SECRET. NotFound when neither is set (or both are
// empty); Error when only one is.
CredentialSourceResult credentialsFromEnvironment();

// Reads and checks a credentials file (format above). Error when it cannot be opened, is not a
// regular file, belongs to another user, is accessible by group or others, is too large, or is
// malformed (then the message names the file, the line and the field).
CredentialSourceResult credentialsFromFile(const std::string& path);

// The precedence above. `filePath` empty = no --deribit-credentials given.
CredentialSourceResult resolveHeadlessCredentials(const std::string& filePath);

// Removes KAPPA_DERIBIT_CLIENT_SECRET from this process's environment once it has been read, so that
// processes kappa starts (QProcess, system()) do not inherit it.
void forgetSecretFromEnvironment();

// "" when the key may be used against `endpoint`; otherwise why not (a file that says
// `environment = testnet` used with --deribit-env mainnet: testnet keys sent to production is a
// known failure elsewhere, ccxt #7238).
std::string checkCredentialsForEndpoint(const CredentialSourceResult& source, const deribit::DeribitEndpoint& endpoint);

}  // namespace kappa::app
