#pragma once
// File → Connections…: the Deribit API key Kappa trades with. Environment (testnet, mainnet — which
// says plainly that it trades real money — or a custom URL such as a local kappa-exchange), client
// id and client secret; "Test connection" logs in once off the GUI thread and shows the answer with
// its round trip; Save puts the secret in the OS keychain (CredentialStore) and the rest in
// connections.ini. The secret is never shown back: reopened, the dialog shows the client id and an
// empty secret field that says a secret is stored.
#include <QDialog>
#include <chrono>
#include <functional>

#include "CredentialStore.hpp"
#include "venue/deribit/DeribitConnectionTest.hpp"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace kappa::ui {

// Blocking log-in test (the connector's testDeribitConnection in kappa); the dialog runs it on a
// pool thread. Injected so the dialog does not depend on how the connector is built.
using ConnectionTester = std::function<deribit::ConnectionTestResult(
    const deribit::DeribitEndpoint&, const deribit::DeribitCredentials&, std::chrono::milliseconds)>;

class ConnectionsDialog : public QDialog {
  Q_OBJECT
 public:
  // `tester` may be empty: then "Test connection" is disabled and says why.
  ConnectionsDialog(CredentialStore& store, ConnectionTester tester, QWidget* parent = nullptr);
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
};

}  // namespace kappa::ui
