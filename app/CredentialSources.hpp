#pragma once
// Where a headless kappa (no GUI, no keychain dialog) finds a venue's API key: the environment or a
// small credentials file that only its owner can read. The same rules for every venue; what differs
// (field and variable names, which environments exist) is the venue's CredentialFormat: Deribit
// (client_id / client_secret, KAPPA_DERIBIT_CLIENT_ID / _SECRET) by default, Binance (api_key /
// api_secret, KAPPA_BINANCE_API_KEY / _SECRET). Plain C++ (no Qt): the key comes back as an id/secret
// pair in the engine's DeribitCredentials struct (binanceCredentialsOf() turns it into Binance's).
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

#include "venue/binance/BinanceCredentials.hpp"
#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::app {

inline constexpr const char* kClientIdVariable = "KAPPA_DERIBIT_CLIENT_ID";
inline constexpr const char* kClientSecretVariable = "KAPPA_DERIBIT_CLIENT_SECRET";
inline constexpr const char* kBinanceKeyVariable = "KAPPA_BINANCE_API_KEY";
inline constexpr const char* kBinanceSecretVariable = "KAPPA_BINANCE_API_SECRET";
// The on-chain venue's wallet key (64 hex digits): app/EvmWalletKey.hpp.
inline constexpr const char* kEvmPrivateKeyVariable = "KAPPA_EVM_PRIVATE_KEY";

// How one venue's key is spelled in a file and in the environment.
struct CredentialFormat {
  const char* idField;         // "client_id", "api_key"
  const char* secretField;     // "client_secret", "api_secret"
  const char* idVariable;
  const char* secretVariable;
  const char* option;          // the command line option that names the file and the environment
  // Whether `value` names an environment of this venue (testnet, mainnet, a URL); `error` says why not.
  bool (*validEnvironment)(const std::string& value, std::string& error);
};
const CredentialFormat& deribitFormat();
const CredentialFormat& binanceFormat();

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
CredentialSourceResult credentialsFromEnvironment(const CredentialFormat& format = deribitFormat());

// Reads and checks a credentials file (format above). Error when it cannot be opened, is not a
// regular file, belongs to another user, is accessible by group or others, is too large, or is
// malformed (then the message names the file, the line and the field).
CredentialSourceResult credentialsFromFile(const std::string& path, const CredentialFormat& format = deribitFormat());

// The precedence above. `filePath` empty = no --deribit-credentials given.
CredentialSourceResult resolveHeadlessCredentials(const std::string& filePath,
                                                  const CredentialFormat& format = deribitFormat());

// The whole of a file only its owner may read (the rules above: regular, owned by this user, no
// group/other bits, at most 64 KiB), checked on the descriptor it is read through. False with
// `error` naming the file, what is wrong and the chmod that fixes it; never any of its content.
bool readOwnerOnlyFile(const std::string& path, std::string& content, std::string& error);
// `s` without leading and trailing spaces, tabs and line ends (a credential file's line).
std::string trimmed(const std::string& s);

// Removes every venue's secret variable (KAPPA_DERIBIT_CLIENT_SECRET, KAPPA_BINANCE_API_SECRET,
// KAPPA_EVM_PRIVATE_KEY) from this process's environment once read, so that processes kappa starts
// (QProcess, system()) do not inherit them.
void forgetSecretFromEnvironment();

// "" when the key may be used against `endpoint`; otherwise why not (a file that says
// `environment = testnet` used with --deribit-env mainnet: testnet keys sent to production is a
// known failure elsewhere, ccxt #7238).
std::string checkCredentialsForEndpoint(const CredentialSourceResult& source, const deribit::DeribitEndpoint& endpoint);
// The same for a Binance key (--binance-env).
std::string checkCredentialsForEndpoint(const CredentialSourceResult& source, const binance::BinanceEndpoint& endpoint);
// A Binance API key as the connector takes it.
binance::BinanceCredentials binanceCredentialsOf(const CredentialSourceResult& source);

}  // namespace kappa::app
