#pragma once
// File → Connections…: the Deribit API key Kappa trades with. Environment (testnet, mainnet — which
// says plainly that it trades real money — or a custom URL such as a local kappa-exchange), client
// id and client secret; "Test connection" logs in once off the GUI thread and shows the answer with
// its round trip; Save puts the secret in the OS keychain (CredentialStore) and the rest in
// connections.ini. The secret is never shown back: reopened, the dialog shows the client id and an
// empty secret field that says a secret is stored.
// With several venues configured the dialog lists every venue on the left, each with its state as
// the engine sees it now (setVenueStates), and shows the selected venue's own credentials: Deribit's
// client id/secret page, or an API key/secret pair (Binance-style) with its own Test and Save, or
// for the embedded simulator a note that it needs none; for the on-chain venue (evm) the wallet's
// private key, shown back only as the wallet's address (keychain entry evm/wallet).
#include <QDialog>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "CredentialStore.hpp"
#include "core/EngineSnapshot.hpp"
#include "venue/deribit/DeribitConnectionTest.hpp"

class QComboBox;
class QListWidget;
class QStackedWidget;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace kappa::ui {

// Blocking log-in test (the connector's testDeribitConnection in kappa); the dialog runs it on a
// pool thread. Injected so the dialog does not depend on how the connector is built.
using ConnectionTester = std::function<deribit::ConnectionTestResult(
    const deribit::DeribitEndpoint&, const deribit::DeribitCredentials&, std::chrono::milliseconds)>;

// A key/secret pair (Binance USD-M futures and the like: HMAC-signed REST, the key in a header).
struct ApiKeyCredentials {
  std::string apiKey, apiSecret;
};
// Blocking log-in test for an API key/secret pair against `url` ("" = the venue's default). Run on a
// pool thread; the answer's message must never contain the secret (it is masked if it does).
using ApiKeyTester = std::function<deribit::ConnectionTestResult(const std::string& url, const ApiKeyCredentials&,
                                                                  std::chrono::milliseconds)>;

// What a venue logs in with.
enum class CredentialKind {
  None,           // the embedded simulator
  DeribitClient,  // Deribit's client id + client secret (the environment picker, testnet/mainnet/URL)
  ApiKeyPair,     // an API key + API secret (e.g. binance-futures)
  WalletKey,      // an on-chain wallet's private key (evm): shown back only as its address
};

// One configured venue in the dialog. The tester matching `kind` may be empty: then "Test
// connection" is disabled and its tooltip says why.
struct VenueConnection {
  QString venue;  // as the engine names it: "deribit", "binance-futures", "sim"
  CredentialKind kind = CredentialKind::DeribitClient;
  ConnectionTester deribitTester;  // kind DeribitClient
  ApiKeyTester apiKeyTester;       // kind ApiKeyPair
  QString environment;             // where it connects in this run ("" for the simulator), shown
};

class ConnectionsDialog : public QDialog {
  Q_OBJECT
 public:
  // Deribit alone (as before several venues): `tester` may be empty, then "Test connection" is
  // disabled and says why.
  ConnectionsDialog(CredentialStore& store, ConnectionTester tester, QWidget* parent = nullptr);
  // Every configured venue, in --venue order; the first with credentials is selected. `parent` is
  // not defaulted (may be null): `ConnectionsDialog(store, {})` stays Deribit's without a tester.
  ConnectionsDialog(CredentialStore& store, std::vector<VenueConnection> venues, QWidget* parent);
  ~ConnectionsDialog() override;

  static constexpr std::chrono::milliseconds kTestTimeout{10000};

  // The profile the fields describe now (the secret is not part of it).
  ConnectionProfile currentProfile() const;
  bool testRunning() const { return testRunning_; }
  bool saving() const { return saving_; }

  // For tests and screenshots.
  QComboBox* environmentBox() const { return environment_; }
  QLineEdit* urlEdit() const { return url_; }
  QLineEdit* clientIdEdit() const { return clientId_; }
  QLineEdit* secretEdit() const { return secret_; }
  QPushButton* testButton() const { return testButton_; }
  QPushButton* saveButton() const { return saveButton_; }
  QLabel* testResultLabel() const { return testResult_; }
  QLabel* mainnetWarning() const { return mainnetWarning_; }
  QLabel* statusLabel() const { return status_; }

  // Several venues: the list, the venue shown, and each venue's own fields (for tests).
  QListWidget* venueList() const { return venueList_; }
  QStringList venueNames() const;
  bool selectVenue(const QString& venue);
  QString currentVenue() const;
  // The list entry's text for `venue` ("deribit — CONNECTED"), live from setVenueStates().
  QString venueStateText(const QString& venue) const;
  // The engine's view of every venue (MainWindow calls it a few times a second while open).
  void setVenueStates(const std::vector<VenueRow>& venues);
  // An API-key venue's fields ("binance-futures"); null for another kind.
  QLineEdit* apiKeyEdit(const QString& venue) const;
  QLineEdit* apiSecretEdit(const QString& venue) const;
  QLineEdit* apiUrlEdit(const QString& venue) const;
  QPushButton* apiTestButton(const QString& venue) const;
  QLabel* apiTestResultLabel(const QString& venue) const;
  // The on-chain wallet's page (kind WalletKey): the private-key field (never filled from the
  // keychain) and the address of the key stored or typed. Null without such a venue.
  QLineEdit* walletKeyEdit() const { return walletKey_; }
  QLabel* walletAddressLabel() const { return walletAddress_; }

 signals:
  void testFinished(bool ok, const QString& message);
  void saved(const kappa::ui::ConnectionProfile& profile);
  void saveFailed(const QString& error);

 public slots:
  void testConnection();
  void save();

 protected:
  void done(int result) override;

 private:
  void environmentChanged();
  void loadProfile(const ConnectionProfile& profile);
  void updateSecretHint();
  // Validates the fields into an endpoint; false (and says why) if the URL is not usable.
  bool endpointFromFields(deribit::DeribitEndpoint& endpoint, QString& error) const;
  void runTester(const deribit::DeribitEndpoint& endpoint, const deribit::DeribitCredentials& credentials);
  void showTestResult(bool ok, const QString& message, double roundTripMs);
  void showStatus(const QString& text, bool error);
  void setBusy(bool busy);
  void growToFit();

  // One API-key venue's page.
  struct ApiKeyPage {
    VenueConnection entry;
    QWidget* page = nullptr;
    QLineEdit* url = nullptr;
    QLineEdit* key = nullptr;
    QLineEdit* secret = nullptr;
    QLabel* secretNote = nullptr;
    QPushButton* test = nullptr;
    QLabel* result = nullptr;
    QString storedKey;  // the profile key and API key whose secret is in the keychain
    QString storedApiKey;
  };
  QWidget* buildDeribitPage();
  QWidget* buildApiKeyPage(ApiKeyPage& page);
  QWidget* buildNoCredentialsPage(const VenueConnection& entry);
  ApiKeyPage* apiPage(const QString& venue) const;
  ConnectionProfile apiProfile(const ApiKeyPage& page) const;
  void loadApiPage(ApiKeyPage& page);
  void testApiKey(ApiKeyPage& page);
  void runApiTester(ApiKeyPage& page, const ApiKeyCredentials& credentials);
  void showApiResult(ApiKeyPage& page, bool ok, const QString& message, double roundTripMs);
  void saveApiKey(ApiKeyPage& page);
  void venueChanged();
  QWidget* buildWalletPage(const VenueConnection& entry);
  void showWalletAddress();
  void saveWalletKey();

  std::vector<VenueConnection> entries_;
  std::vector<std::unique_ptr<ApiKeyPage>> apiPages_;
  std::vector<QWidget*> pages_;  // by entry
  QListWidget* venueList_ = nullptr;
  QStackedWidget* stack_ = nullptr;

  CredentialStore& store_;
  ConnectionTester tester_;
  bool testRunning_ = false;
  bool saving_ = false;
  std::uint64_t testGeneration_ = 0;  // a result of an earlier test (fields changed since) is dropped
  QString storedClientId_;            // client id whose secret is in the keychain for the shown profile
  QString storedKey_;                 // and the profile key it is stored under
  bool secretStored_ = false;

  QComboBox* environment_ = nullptr;
  QLineEdit* url_ = nullptr;
  QLabel* mainnetWarning_ = nullptr;
  QLineEdit* clientId_ = nullptr;
  QLineEdit* secret_ = nullptr;
  QLabel* secretNote_ = nullptr;
  QPushButton* testButton_ = nullptr;
  QProgressBar* testProgress_ = nullptr;
  QLabel* testResult_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* saveButton_ = nullptr;
  QPushButton* cancelButton_ = nullptr;

  QLineEdit* walletKey_ = nullptr;
  QLabel* walletAddress_ = nullptr;
  QString storedWalletAddress_;  // the address of the key in the keychain ("" = none saved)
};

}  // namespace kappa::ui
