#pragma once
// Venue connection profiles: the API secret in the OS keychain (QtKeychain: Secret Service on
// GNOME and most desktops, KWallet on KDE), the parts that are not secret (venue, environment, URL,
// client id) in a small INI file. One profile per venue + environment, so a testnet key and a
// mainnet key never overwrite each other:
//     deribit/testnet, deribit/mainnet, deribit/custom/<url>
// and one on-chain wallet key, evm/wallet (kEvmWalletKey below).
// Keychain entries: service "Kappa" (see CredentialStore()), key = the profile key; with the Secret
// Service backend that is the item with attributes server=Kappa user=deribit/testnet
// (`secret-tool lookup server Kappa user deribit/testnet`).
//
// Every keychain operation is an asynchronous job: the call returns at once and the callback runs
// later on the thread that owns the store (the GUI thread), so the GUI never waits for the keychain.
// The secret is never written anywhere but the keychain (no plain-text fall-back).
#include <QObject>
#include <QString>
#include <functional>
#include <optional>

#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::ui {

struct ConnectionProfile {
  QString venue = "deribit";
  QString environment = "testnet";  // "testnet", "mainnet" or "custom"
  QString url;                      // the endpoint; for testnet and mainnet Deribit's own
  QString clientId;
  bool secretStored = false;  // a secret for this profile was saved in the keychain

  // "deribit/testnet", "deribit/mainnet", "deribit/custom/wss://host:port/ws/api/v2".
  QString key() const;
  deribit::DeribitEndpoint endpoint() const;
  // The profile for --deribit-env's value (testnet, mainnet or a URL); nullopt and `error` if bad.
  static std::optional<ConnectionProfile> forEnvironment(const QString& value, QString* error = nullptr);
};

class CredentialStore : public QObject {
  Q_OBJECT
 public:
  // `settingsFile`: the INI file for the non-secret parts (kappa uses <data dir>/connections.ini).
  // `service`: the keychain service the secrets are filed under (tests use their own).
  explicit CredentialStore(QString settingsFile, QString service = QStringLiteral("Kappa"), QObject* parent = nullptr);
  ~CredentialStore() override;

  const QString& settingsFile() const { return settingsFile_; }
  const QString& service() const { return service_; }

  // The non-secret parts, from the INI file (synchronous, never touches the keychain).
  std::optional<ConnectionProfile> profile(const QString& key) const;
  QList<ConnectionProfile> profiles() const;
  // The profile saved last: the one the connector should use. Empty if none.
  QString activeKey() const;
  // The profile saved last for `venue` ("deribit", "binance-futures"); empty if none.
  QString activeKey(const QString& venue) const;

  // Empty `error` means success. Callbacks run on the store's thread, and only while `context` lives.
  using Done = std::function<void(const QString& error)>;
  using SecretDone = std::function<void(const QString& secret, const QString& error)>;
  using CredentialsDone = std::function<void(const deribit::DeribitCredentials& credentials, const QString& error)>;

  // Stores `secret` in the keychain and then, only if that worked, the profile in the INI file and
  // makes it the active one. An empty `secret` keeps the one already stored for the profile (error
  // if there is none). Emits profileSaved() on success.
  void save(const ConnectionProfile& profile, const QString& secret, QObject* context, Done done);
  // Reads the profile's secret. Error "no secret stored for deribit/testnet" if there is none.
  void readSecret(const QString& key, QObject* context, SecretDone done);
  // Client id (INI file) and secret (keychain) of a profile, as the engine wants them.
  void loadCredentials(const QString& key, QObject* context, CredentialsDone done);
  // Deletes the secret and the profile. Deleting what is not there is not an error.
  void remove(const QString& key, QObject* context, Done done);

  // Jobs started and not finished yet (tests wait for 0).
  int pendingJobs() const { return pending_; }

 signals:
  void profileSaved(const kappa::ui::ConnectionProfile& profile);

 private:
  void writeProfile(const ConnectionProfile& profile) const;
  // A keychain job for `key` in our service, counted as pending until its finished() handler runs:
  // deleted after it finishes, never with a plain-text fallback in a settings file.
  template <class Job>
  Job* newJob(const QString& key) {
    auto* job = new Job(service_);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    ++pending_;
    return job;
  }

  QString settingsFile_;
  QString service_;
  int pending_ = 0;
};

// The on-chain venue's wallet key (--venue evm): one keychain entry, key "evm/wallet" (one wallet
// for every chain: an address is the same on each). Its profile is venue "evm", environment
// "wallet", and as "client id" the wallet's checksummed address, which is public; the secret is the
// private key as 64 lower-case hex digits without 0x.
inline const QString kEvmWalletKey = QStringLiteral("evm/wallet");
ConnectionProfile evmWalletProfile(const QString& address);
// The checksummed address of the private key `hex` (64 hex digits, 0x optional, spaces around
// ignored), and in `normalized` the form the keychain keeps. Empty and `error` if it is not a key;
// the error never quotes the text.
QString evmAddressOfKey(const QString& hex, QString* error = nullptr, QString* normalized = nullptr);

// The reason a trader (or a test log) can act on, for a QtKeychain error. No OS keychain at all is
// said as "no OS keychain (Secret Service) available: <what the backend said> …".
// `key`, the entry concerned, picks the headless way it names (an "evm/" key: the wallet key's
// KAPPA_EVM_PRIVATE_KEY / --evm-key-file; "binance-futures/": Binance's; otherwise Deribit's).
QString describeKeychainError(int qkeychainError, const QString& backendMessage, const QString& key = {});

}  // namespace kappa::ui

Q_DECLARE_METATYPE(kappa::ui::ConnectionProfile)
