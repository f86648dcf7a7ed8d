// The Connections dialog on the offscreen platform, saving into a real Secret Service (run through
// with-secret-service.sh): fill it in, "Test connection" with an injected tester (a real function
// that answers fast with a given result; the connection itself is tested against the exchange
// elsewhere), see progress and the answer, Save, reopen: the client id is back, the secret is in no
// widget. File → Connections… in the main window opens it. The on-chain wallet's page stores the
// private key (entry evm/wallet) and shows only its address; kappa started against kappa-exchange
// --chain with nothing but that keychain entry has the wallet, and the key is in none of its output.
//
// KAPPA_SCREENSHOT_DIR=DIR writes connections-{testnet,mainnet,testing,stored,wallet}.png there
// (docs/screenshot-connections.png is connections-testnet.png).
#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>
#include <atomic>
#include <future>
#include <memory>
#include <mutex>

#include "AppRun.hpp"
#include "ChainProcess.hpp"
#include "ConnectionsDialog.hpp"
#include "CredentialStore.hpp"
#include "MainWindow.hpp"
#include "SecretScan.hpp"
#include "Theme.hpp"
#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "sim/SimVenue.hpp"
#include "venue/evm/EvmVenue.hpp"

#include <QJsonDocument>
#include <nlohmann/json.hpp>
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;

namespace {

// What a tester was called with, and on which thread.
struct TesterLog {
  std::mutex mutex;
  int calls = 0;
  bool ranOnGuiThread = false;
  deribit::DeribitEndpoint endpoint;
  deribit::DeribitCredentials credentials;
  std::chrono::milliseconds timeout{0};
};

ConnectionTester answeringTester(std::shared_ptr<TesterLog> log, deribit::ConnectionTestResult answer,
                                 std::shared_future<void> release = {}) {
  return [log, answer, release](const deribit::DeribitEndpoint& e, const deribit::DeribitCredentials& c,
                                std::chrono::milliseconds timeout) {
    {
      std::lock_guard lock(log->mutex);
      ++log->calls;
      log->ranOnGuiThread = QThread::currentThread() == qApp->thread();
      log->endpoint = e;
      log->credentials = c;
      log->timeout = timeout;
    }
    if (release.valid()) release.wait_for(std::chrono::seconds(30));
    return answer;
  };
}

// anvil's documented development account #1 (never funded anywhere real): tests only.
const QByteArray kWalletKeyHex = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const QString kWalletAddress = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

// The key in every form a leak could take: the 64 digits (SecretScan also looks for them in
// UTF-16, base64, percent-encoding and hex), and upper-case.
QList<QByteArray> walletKeyForms() { return {kWalletKeyHex, kWalletKeyHex.toUpper()}; }

// Every piece of text a widget of the dialog could show.
QStringList everyText(QWidget* root) {
  QStringList texts{root->windowTitle(), root->toolTip()};
  for (QWidget* w : root->findChildren<QWidget*>()) {
    texts << w->toolTip() << w->statusTip() << w->whatsThis() << w->accessibleName() << w->accessibleDescription();
    if (auto* e = qobject_cast<QLineEdit*>(w)) texts << e->text() << e->displayText() << e->placeholderText();
    if (auto* l = qobject_cast<QLabel*>(w)) texts << l->text();
    if (auto* b = qobject_cast<QAbstractButton*>(w)) texts << b->text();
    if (auto* c = qobject_cast<QComboBox*>(w))
      for (int i = 0; i < c->count(); ++i) texts << c->itemText(i) << c->itemData(i).toString();
  }
  return texts;
}

}  // namespace

class TestConnectionsGui : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString settings_;
  const QString service_ = "KappaGuiTest";
  // A child process of this test (saveWithoutKeychainShowsWhy) is given the parent's secret.
  const QByteArray secret_ = qEnvironmentVariableIsSet("KAPPA_TST_SECRET")
                                 ? qgetenv("KAPPA_TST_SECRET")
                                 : "GuiTestSecret-" + QByteArray::number(QRandomGenerator::global()->generate64(), 36) +
                                       QByteArray::number(QRandomGenerator::global()->generate64(), 36);

  bool requireSecretService() {
    if (qEnvironmentVariable("KAPPA_SECRET_SERVICE") == "ready") return true;
    if (const QString missing = qEnvironmentVariable("KAPPA_SECRET_SERVICE_MISSING"); !missing.isEmpty()) {
      QTest::qSkip(qPrintable("no private Secret Service: " + missing), __FILE__, __LINE__);
      return false;
    }
    QTest::qFail("this test saves into a private Secret Service: run it through tests/with-secret-service.sh "
                 "(ctest does), not directly",
                 __FILE__, __LINE__);
    return false;
  }

  void screenshot(QWidget* w, const QString& name) {
    const QString dir = qEnvironmentVariable("KAPPA_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    QTest::qWait(50);  // let the layout settle (a LayoutRequest is posted, not sent)
    QVERIFY(w->grab().save(dir + "/" + name));
  }

  static void selectEnvironment(ConnectionsDialog& d, const QString& env) {
    d.environmentBox()->setCurrentIndex(d.environmentBox()->findData(env));
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    settings_ = dir_.filePath("connections.ini");
    applyDarkTheme(*qApp);
  }

  void environments() {
    CredentialStore store(dir_.filePath("environments.ini"), service_);
    ConnectionsDialog d(store, {});
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    // Testnet by default, Deribit's URL, not editable, no warning.
    QCOMPARE(d.environmentBox()->currentData().toString(), QString("testnet"));
    QCOMPARE(d.urlEdit()->text(), QString("wss://test.deribit.com/ws/api/v2"));
    QVERIFY(d.urlEdit()->isReadOnly());
    QVERIFY(!d.mainnetWarning()->isVisible());
    // Mainnet says plainly that it is real money.
    selectEnvironment(d, "mainnet");
    QCOMPARE(d.urlEdit()->text(), QString("wss://www.deribit.com/ws/api/v2"));
    QVERIFY(d.mainnetWarning()->isVisible());
    QVERIFY(d.mainnetWarning()->text().contains("real money"));
    QVERIFY(d.environmentBox()->currentText().contains("real money"));
    screenshot(&d, "connections-mainnet.png");
    // Custom: the URL is typed.
    selectEnvironment(d, "custom");
    QVERIFY(!d.urlEdit()->isReadOnly());
    QVERIFY(!d.mainnetWarning()->isVisible());
    QTest::keyClicks(d.urlEdit(), "ws://127.0.0.1:9000");
    QCOMPARE(d.currentProfile().url, QString("ws://127.0.0.1:9000/ws/api/v2"));
    QCOMPARE(d.currentProfile().key(), QString("deribit/custom/ws://127.0.0.1:9000/ws/api/v2"));
    // No tester: the button says why it cannot test.
    QVERIFY(!d.testButton()->isEnabled());
    QVERIFY(d.testButton()->toolTip().contains("no Deribit connector"));
    QVERIFY(d.secretEdit()->echoMode() == QLineEdit::Password);
    QVERIFY(d.findChild<QLabel*>("secretNote")->text().contains("stored in the OS keychain"));
  }

  // Fill in, test (fails fast with the exchange's reason), see progress and the red answer, then a
  // passing tester's green answer with the round trip.
  void testConnectionShowsProgressAndAnswer() {
    CredentialStore store(dir_.filePath("test-connection.ini"), service_);
    auto log = std::make_shared<TesterLog>();
    std::promise<void> gate;
    ConnectionsDialog d(store,
                        answeringTester(log, {false, "invalid_credentials (13004): the API key or secret is wrong", 0},
                                        gate.get_future().share()));
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    QTest::keyClicks(d.clientIdEdit(), "fo7WAPRm");
    QTest::keyClicks(d.secretEdit(), QString::fromLatin1(secret_));
    QVERIFY(d.secretEdit()->displayText() != QString::fromLatin1(secret_));  // dots, not the secret
    QSignalSpy finished(&d, &ConnectionsDialog::testFinished);
    QTest::mouseClick(d.testButton(), Qt::LeftButton);
    // Running: the busy bar shows, the button waits, the tester runs on another thread.
    QVERIFY(d.testRunning());
    QVERIFY(d.findChild<QProgressBar*>()->isVisible());
    QVERIFY(!d.testButton()->isEnabled());
    QVERIFY(d.testResultLabel()->text().contains("Connecting to testnet as fo7W…"));
    QTRY_COMPARE_WITH_TIMEOUT(log->calls, 1, 10000);
    screenshot(&d, "connections-testing.png");
    gate.set_value();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    QVERIFY(!finished[0][0].toBool());
    QVERIFY(!d.testRunning());
    QVERIFY(!d.findChild<QProgressBar*>()->isVisible());
    QVERIFY(d.testButton()->isEnabled());
    const QString shown = d.testResultLabel()->text();
    QVERIFY2(shown.contains("Connection failed") && shown.contains("invalid_credentials (13004)"), qPrintable(shown));
    QVERIFY2(shown.contains(colors::ask.name()), qPrintable(shown));  // red
    {
      std::lock_guard lock(log->mutex);
      QVERIFY(!log->ranOnGuiThread);
      QCOMPARE(log->endpoint.url, std::string("wss://test.deribit.com/ws/api/v2"));
      QCOMPARE(log->credentials.clientId, std::string("fo7WAPRm"));
      QCOMPARE(QByteArray::fromStdString(log->credentials.clientSecret), secret_);
      QCOMPARE(log->timeout, ConnectionsDialog::kTestTimeout);
    }

    // A passing answer: green, with the round trip.
    auto okLog = std::make_shared<TesterLog>();
    ConnectionsDialog ok(store, answeringTester(okLog, {true, "connected to testnet as fo7W…", 12.34}));
    ok.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ok));
    QTest::keyClicks(ok.clientIdEdit(), "fo7WAPRm");
    QTest::keyClicks(ok.secretEdit(), QString::fromLatin1(secret_));
    QSignalSpy okFinished(&ok, &ConnectionsDialog::testFinished);
    QTest::mouseClick(ok.testButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(okFinished.count(), 1, 20000);
    QVERIFY(okFinished[0][0].toBool());
    const QString okShown = ok.testResultLabel()->text();
    QVERIFY2(okShown.contains("Connection OK — round trip 12.3 ms"), qPrintable(okShown));
    QVERIFY2(okShown.contains(colors::bid.name()), qPrintable(okShown));  // green
    QVERIFY2(okShown.contains("connected to testnet as fo7W…"), qPrintable(okShown));
    screenshot(&ok, "connections-testnet.png");

    // A tester that echoes the secret in its message: the dialog does not show it.
    auto echoLog = std::make_shared<TesterLog>();
    ConnectionsDialog echo(store, answeringTester(echoLog, {false, "auth failed for secret " + secret_.toStdString(), 0}));
    QTest::keyClicks(echo.clientIdEdit(), "fo7WAPRm");
    QTest::keyClicks(echo.secretEdit(), QString::fromLatin1(secret_));
    QSignalSpy echoFinished(&echo, &ConnectionsDialog::testFinished);
    echo.testConnection();
    QTRY_COMPARE_WITH_TIMEOUT(echoFinished.count(), 1, 20000);
    QVERIFY2(echo.testResultLabel()->text().contains("auth failed for secret •••"), qPrintable(echo.testResultLabel()->text()));
    QVERIFY(!echo.testResultLabel()->text().toUtf8().contains(secret_));
    QVERIFY(!echoFinished[0][1].toString().toUtf8().contains(secret_));

    // Missing fields are said, the tester is not called.
    ConnectionsDialog empty(store, answeringTester(okLog, {true, "", 1}));
    QSignalSpy emptyFinished(&empty, &ConnectionsDialog::testFinished);
    empty.testConnection();
    QCOMPARE(emptyFinished.count(), 1);
    QVERIFY(empty.testResultLabel()->text().contains("enter the client id"));
    QCOMPARE(okLog->calls, 1);
  }

  // Save into the keychain, reopen: the client id is back, the secret is in no widget, and a test
  // with the secret field left empty uses the stored secret.
  void saveAndReopenNeverShowsTheSecret() {
    if (!requireSecretService()) return;
    CredentialStore store(settings_, service_);
    auto log = std::make_shared<TesterLog>();
    {
      ConnectionsDialog d(store, answeringTester(log, {false, "fails fast", 0}));
      d.show();
      QVERIFY(QTest::qWaitForWindowExposed(&d));
      QTest::keyClicks(d.clientIdEdit(), "gui-client-id");
      QTest::keyClicks(d.secretEdit(), QString::fromLatin1(secret_));
      QSignalSpy saved(&d, &ConnectionsDialog::saved);
      QSignalSpy failed(&d, &ConnectionsDialog::saveFailed);
      QTest::mouseClick(d.saveButton(), Qt::LeftButton);
      QTRY_VERIFY_WITH_TIMEOUT(saved.count() + failed.count() > 0, 20000);
      QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
      QCOMPARE(d.result(), int(QDialog::Accepted));
      QVERIFY(!d.isVisible());
      QVERIFY(d.secretEdit()->text().isEmpty());
    }
    QString stored;
    bool read = false;
    store.readSecret("deribit/testnet", nullptr, [&](const QString& s, const QString& e) {
      QVERIFY2(e.isEmpty(), qPrintable(e));
      stored = s;
      read = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(read, 20000);
    QCOMPARE(stored.toLatin1(), secret_);
    QCOMPARE(store.activeKey(), QString("deribit/testnet"));

    // Reopen.
    ConnectionsDialog again(store, answeringTester(log, {false, "fails fast", 0}));
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.environmentBox()->currentData().toString(), QString("testnet"));
    QCOMPARE(again.clientIdEdit()->text(), QString("gui-client-id"));
    QVERIFY(again.secretEdit()->text().isEmpty());
    QVERIFY(again.secretEdit()->placeholderText().contains("stored in the OS keychain"));
    screenshot(&again, "connections-stored.png");
    for (const QString& text : everyText(&again))
      QVERIFY2(!text.toUtf8().contains(secret_), "a widget of the reopened dialog shows the secret");
    QStringList hits = test::findSecretInTree(dir_.path(), secret_);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));

    // Test with the stored secret: the field stays empty, the tester gets the keychain's secret.
    QSignalSpy finished(&again, &ConnectionsDialog::testFinished);
    QTest::mouseClick(again.testButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    {
      std::lock_guard lock(log->mutex);
      QCOMPARE(QByteArray::fromStdString(log->credentials.clientSecret), secret_);
      QCOMPARE(log->credentials.clientId, std::string("gui-client-id"));
    }
    QVERIFY(again.secretEdit()->text().isEmpty());
    for (const QString& text : everyText(&again)) QVERIFY(!text.toUtf8().contains(secret_));

    // Saving again without typing the secret keeps it.
    QSignalSpy saved(&again, &ConnectionsDialog::saved);
    QTest::mouseClick(again.saveButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);

    // Another environment starts empty; a changed client id needs its secret.
    ConnectionsDialog third(store, {});
    selectEnvironment(third, "mainnet");
    QVERIFY(third.clientIdEdit()->text().isEmpty());
    selectEnvironment(third, "testnet");
    QCOMPARE(third.clientIdEdit()->text(), QString("gui-client-id"));
    third.clientIdEdit()->setText("another-id");
    QVERIFY(!third.secretEdit()->placeholderText().contains("stored"));
    QSignalSpy failed(&third, &ConnectionsDialog::saveFailed);
    third.save();
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed[0][0].toString().contains("enter the client secret"));
    QVERIFY(!third.statusLabel()->isHidden());
    QVERIFY(third.statusLabel()->text().contains("enter the client secret"));
  }

  // A custom URL is its own profile: reopened, the dialog comes back to it; another URL has no
  // stored secret.
  void customProfileSecretBelongsToItsUrl() {
    if (!requireSecretService()) return;
    CredentialStore store(dir_.filePath("custom.ini"), service_);
    {
      ConnectionsDialog d(store, {});
      selectEnvironment(d, "custom");
      d.urlEdit()->setText("ws://127.0.0.1:9000");
      d.clientIdEdit()->setText("local-id");
      d.secretEdit()->setText("local-secret-value");
      QSignalSpy saved(&d, &ConnectionsDialog::saved);
      d.save();
      QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
      QCOMPARE(saved[0][0].value<ConnectionProfile>().key(), QString("deribit/custom/ws://127.0.0.1:9000/ws/api/v2"));
    }
    ConnectionsDialog d(store, {});
    QCOMPARE(d.environmentBox()->currentData().toString(), QString("custom"));
    QCOMPARE(d.urlEdit()->text(), QString("ws://127.0.0.1:9000/ws/api/v2"));
    QVERIFY(!d.urlEdit()->isReadOnly());
    QCOMPARE(d.clientIdEdit()->text(), QString("local-id"));
    QVERIFY(d.currentProfile().secretStored);
    QVERIFY(d.secretEdit()->placeholderText().contains("stored in the OS keychain"));
    d.urlEdit()->setText("ws://127.0.0.1:9001");
    QVERIFY(!d.currentProfile().secretStored);
    QVERIFY(!d.secretEdit()->placeholderText().contains("stored"));
    QSignalSpy failed(&d, &ConnectionsDialog::saveFailed);
    d.save();
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed[0][0].toString().contains("enter the client secret"));
    // Switching away and back finds it again.
    selectEnvironment(d, "testnet");
    selectEnvironment(d, "custom");
    QCOMPARE(d.urlEdit()->text(), QString("ws://127.0.0.1:9000/ws/api/v2"));
    QVERIFY(d.currentProfile().secretStored);
    bool removed = false;
    store.remove(d.currentProfile().key(), nullptr, [&](const QString& e) {
      QVERIFY2(e.isEmpty(), qPrintable(e));
      removed = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(removed, 20000);
  }

  void badUrlIsRefused() {
    CredentialStore store(dir_.filePath("bad-url.ini"), service_);
    ConnectionsDialog d(store, {});
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    selectEnvironment(d, "custom");
    d.urlEdit()->setText("http://127.0.0.1:9000");
    d.clientIdEdit()->setText("id");
    d.secretEdit()->setText("secret-value");
    QSignalSpy failed(&d, &ConnectionsDialog::saveFailed);
    d.save();
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed[0][0].toString().contains("unknown Deribit environment"), qPrintable(failed[0][0].toString()));
    QVERIFY(d.isVisible());
    QVERIFY(!QFile::exists(dir_.filePath("bad-url.ini")));
    d.urlEdit()->setText("ws://");
    d.save();
    QCOMPARE(failed.count(), 2);
    QVERIFY2(failed[1][0].toString().contains("needs a host"), qPrintable(failed[1][0].toString()));
    d.urlEdit()->clear();
    d.save();
    QCOMPARE(failed.count(), 3);
    QVERIFY2(failed[2][0].toString().contains("enter the server's URL"), qPrintable(failed[2][0].toString()));
  }

  // No Secret Service at all: Save says so in red and the dialog stays open with what was typed.
  // QtKeychain picks its backend once per process, so this runs in a child process of this test
  // whose session bus address leads nowhere.
  void saveWithoutKeychainShowsWhy() {
    if (qEnvironmentVariableIsSet("KAPPA_TST_NO_KEYCHAIN")) {
      CredentialStore store(dir_.filePath("no-keychain.ini"), service_);
      ConnectionsDialog d(store, {});
      d.show();
      QVERIFY(QTest::qWaitForWindowExposed(&d));
      QTest::keyClicks(d.clientIdEdit(), "fo7WAPRm");
      QTest::keyClicks(d.secretEdit(), QString::fromLatin1(secret_));
      QSignalSpy failed(&d, &ConnectionsDialog::saveFailed);
      QTest::mouseClick(d.saveButton(), Qt::LeftButton);
      QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 20000);
      const QString error = failed[0][0].toString();
      QVERIFY2(error.startsWith("no OS keychain (Secret Service) available: "), qPrintable(error));
      QVERIFY(d.isVisible());
      QVERIFY(d.statusLabel()->isVisible());
      QCOMPARE(d.statusLabel()->text(), error);
      QVERIFY(d.statusLabel()->styleSheet().contains(colors::ask.name()));  // red
      QVERIFY(d.saveButton()->isEnabled());  // fix the keychain, then try again
      QCOMPARE(d.secretEdit()->text().toLatin1(), secret_);
      QVERIFY(!store.profile("deribit/testnet").has_value());
      screenshot(&d, "connections-no-keychain.png");
      return;
    }
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_TST_NO_KEYCHAIN", "1");
    env.insert("KAPPA_TST_SECRET", QString::fromLatin1(secret_));  // the environment, never the command line
    env.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + dir_.filePath("no-bus-here"));
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {"saveWithoutKeychainShowsWhy"});
    QVERIFY(child.waitForFinished(60000));
    const QByteArray out = child.readAll();
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0, out.constData());
    QVERIFY2(out.contains("PASS   : TestConnectionsGui::saveWithoutKeychainShowsWhy()"), out.constData());
    const QStringList hits = test::findSecretInBytes(out, secret_, "child output");
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
  }

  // File → Connections… in the trading window opens the dialog.
  // The on-chain wallet: the private key typed into its page goes to the Secret Service (entry
  // evm/wallet); the dialog, reopened, shows the wallet's address and never the key.
  void walletKeySavedShowsOnlyTheAddress() {
    if (!requireSecretService()) return;
    CredentialStore store(settings_, service_);
    const std::vector<VenueConnection> venues{{"sim", CredentialKind::None, {}, {}, {}},
                                              {"evm", CredentialKind::WalletKey, {}, {}, "custom"}};
    {
      ConnectionsDialog d(store, venues, nullptr);
      d.show();
      QVERIFY(QTest::qWaitForWindowExposed(&d));
      QCOMPARE(d.currentVenue(), QString("evm"));  // the first venue with something to set
      QVERIFY(d.walletKeyEdit());
      QCOMPARE(d.walletKeyEdit()->echoMode(), QLineEdit::Password);
      QVERIFY(d.walletAddressLabel()->text().contains("no wallet key stored"));

      // Not a key: refused, and the message does not quote what was typed.
      QTest::keyClicks(d.walletKeyEdit(), "0x1234abcd");
      QVERIFY(d.walletAddressLabel()->text().contains("not a wallet private key"));
      QSignalSpy failed(&d, &ConnectionsDialog::saveFailed);
      d.save();
      QCOMPARE(failed.count(), 1);
      QVERIFY(failed[0][0].toString().contains("not a wallet private key"));
      QVERIFY(!failed[0][0].toString().contains("1234abcd"));
      QVERIFY(d.isVisible());

      // The key (0x and upper case, as a wallet app may show it): its address appears as typed.
      d.walletKeyEdit()->clear();
      QTest::keyClicks(d.walletKeyEdit(), " 0x" + QString::fromLatin1(kWalletKeyHex.toUpper()) + " ");
      QVERIFY2(d.walletAddressLabel()->text().startsWith(kWalletAddress), qPrintable(d.walletAddressLabel()->text()));
      QSignalSpy saved(&d, &ConnectionsDialog::saved);
      QTest::mouseClick(d.saveButton(), Qt::LeftButton);
      QTRY_VERIFY_WITH_TIMEOUT(saved.count() + failed.count() > 1, 20000);
      QVERIFY2(failed.count() == 1, qPrintable(failed.last()[0].toString()));
      QCOMPARE(d.result(), int(QDialog::Accepted));
      QVERIFY(d.walletKeyEdit()->text().isEmpty());
      QCOMPARE(saved[0][0].value<ConnectionProfile>().key(), kEvmWalletKey);
      QCOMPARE(saved[0][0].value<ConnectionProfile>().clientId, kWalletAddress);
    }
    // In the Secret Service, read back through the store: the key, normalised (no 0x, lower case).
    QString stored, readError = "not read";
    store.readSecret(kEvmWalletKey, nullptr, [&](const QString& s, const QString& e) {
      stored = s;
      readError = e;
    });
    QTRY_VERIFY_WITH_TIMEOUT(readError != "not read", 20000);
    QVERIFY2(readError.isEmpty(), qPrintable(readError));
    QCOMPARE(stored.toLatin1(), kWalletKeyHex);
    const auto profile = store.profile(kEvmWalletKey);
    QVERIFY(profile && profile->secretStored);
    QCOMPARE(profile->clientId, kWalletAddress);
    QCOMPARE(store.activeKey("evm"), kEvmWalletKey);

    // Reopened: the address, an empty key field, the key in no widget nor in any file of the test.
    ConnectionsDialog again(store, venues, nullptr);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.walletAddressLabel()->text(), kWalletAddress);
    QVERIFY(again.walletKeyEdit()->text().isEmpty());
    QVERIFY(again.walletKeyEdit()->placeholderText().contains("stored in the OS keychain"));
    screenshot(&again, "connections-wallet.png");
    for (const QByteArray& form : walletKeyForms()) {
      for (const QString& text : everyText(&again))
        QVERIFY2(!text.toUtf8().contains(form), "a widget of the reopened dialog shows the wallet key");
      const QStringList hits = test::findSecretInTree(dir_.path(), form);
      QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    }
    // Save with the field empty keeps the stored key.
    QSignalSpy failedAgain(&again, &ConnectionsDialog::saveFailed);
    again.save();
    QVERIFY(failedAgain.isEmpty());
    QCOMPARE(again.result(), int(QDialog::Accepted));

    bool removed = false;
    store.remove(kEvmWalletKey, nullptr, [&](const QString& e) {
      QVERIFY2(e.isEmpty(), qPrintable(e));
      removed = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(removed, 20000);
  }

  // kappa (the window, offscreen) with --venue evm and no key file nor KAPPA_EVM_PRIVATE_KEY: the
  // wallet key saved in the OS keychain is the venue's wallet; its address is in the report and
  // the log, the key in none of kappa's files, its log, stdout or stderr.
  void kappaStartsWithTheKeychainWallet() {
    if (!requireSecretService()) return;
    QTemporaryDir work;
    QVERIFY(work.isValid());
    test::ChainOptions o;
    const QString deployment = work.filePath("deployment.json");
    o.addressesOut = deployment;
    test::ChainProcess chain;
    const QString chainError = chain.start(kappa::test::builtExchangeBinary(), o, work.filePath("chain-stderr.txt"));
    QVERIFY2(chainError.isEmpty(), qPrintable(chainError));

    // Saved as File → Connections… saves it: kappa's own keychain service, <data dir>/connections.ini.
    const QString data = work.filePath("data");
    QVERIFY(QDir().mkpath(data));
    CredentialStore store(data + "/connections.ini");  // service "Kappa", as kappa reads it
    QString saveError = "not saved";
    store.save(evmWalletProfile(kWalletAddress), QString::fromLatin1(kWalletKeyHex), nullptr,
               [&](const QString& e) { saveError = e; });
    QTRY_VERIFY_WITH_TIMEOUT(saveError != "not saved", 20000);
    QVERIFY2(saveError.isEmpty(), qPrintable(saveError));

    const QString report = work.filePath("report.json");
    const test::AppRun run = test::runKappa(
        kappa::test::kappaBinary(),
        {"--data-dir", data, "--duration", "3", "--report", report, "--venue", "evm", "--rpc-url", chain.url(),
         "--evm-deployment", deployment},
        {{"KAPPA_EVM_PRIVATE_KEY", ""}}, report, 90000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem + "\n" + QString::fromUtf8(run.err)));
    QJsonObject evm;
    for (const QJsonValue& v : run.report["venues"].toArray())
      if (v.toObject()["name"].toString() == "evm") evm = v.toObject();
    QVERIFY2(!evm.isEmpty(), run.reportBytes.constData());
    QCOMPARE(evm["wallet"].toString(), kWalletAddress);
    QFile log(data + "/logs/kappa.log");
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logText = log.readAll();
    QVERIFY2(logText.contains("wallet " + kWalletAddress.toLatin1() + " (key from the OS keychain (evm/wallet))"),
             logText.constData());
    for (const QByteArray& form : walletKeyForms()) {
      const QStringList leaks = test::secretLeaks(run, data, form);
      QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join('\n')));
    }

    // Headless, as for Deribit's key, the keychain is not read: market data only.
    const test::AppRun headless = test::runKappa(
        kappa::test::kappaBinary(),
        {"--headless", "--data-dir", data, "--duration", "2", "--report", report, "--venue", "evm", "--rpc-url",
         chain.url(), "--evm-deployment", deployment},
        {}, report, 90000);
    QVERIFY2(headless.problem.isEmpty(), qPrintable(headless.problem + "\n" + QString::fromUtf8(headless.err)));
    int evmVenues = 0;
    for (const QJsonValue& v : headless.report["venues"].toArray())
      if (v.toObject()["name"].toString() == "evm") {
        ++evmVenues;
        QVERIFY(v.toObject().contains("wallet") && v.toObject()["wallet"].isNull());
      }
    QCOMPARE(evmVenues, 1);

    // The trading window with this evm venue: File → Connections… shows the on-chain wallet's page
    // with the stored key's address, the key field empty.
    {
      evm::EvmVenueConfig c;
      std::string why;
      QVERIFY2(evm::evmConfigFromDeployment(nlohmann::json::parse(QJsonDocument(chain.deployment()).toJson().toStdString()),
                                            c, why),
               why.c_str());
      Engine engine(std::make_unique<evm::EvmVenue>(c));
      QVERIFY(QDir().mkpath(work.filePath("engine")));
      engine.setDataDir(work.filePath("engine").toStdString());
      engine.start();
      {
        MainWindow window(engine, work.filePath("engine/layout.ini"));
        window.setConnections(&store, {});
        ConnectionsDialog* dialog = window.openConnections();
        QVERIFY(dialog);
        QCOMPARE(dialog->currentVenue(), QString("evm"));
        QVERIFY(dialog->walletKeyEdit());
        QCOMPARE(dialog->walletAddressLabel()->text(), kWalletAddress);
        QVERIFY(dialog->walletKeyEdit()->text().isEmpty());
        QVERIFY(!dialog->apiKeyEdit("evm"));  // not an API key/secret pair
        for (const QByteArray& form : walletKeyForms())
          for (const QString& text : everyText(dialog)) QVERIFY(!text.toUtf8().contains(form));
        dialog->reject();
      }
      engine.stop();
    }

    // KAPPA_EVM_PRIVATE_KEY wins over the keychain (command line file, environment, keychain).
    const QString envKey = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";  // anvil dev #2
    const QString envAddress = evmAddressOfKey(envKey);
    QVERIFY(!envAddress.isEmpty() && envAddress != kWalletAddress);
    const test::AppRun fromEnv = test::runKappa(
        kappa::test::kappaBinary(),
        {"--data-dir", data, "--duration", "3", "--report", report, "--venue", "evm", "--rpc-url", chain.url(),
         "--evm-deployment", deployment},
        {{"KAPPA_EVM_PRIVATE_KEY", envKey}}, report, 90000);
    QVERIFY2(fromEnv.problem.isEmpty(), qPrintable(fromEnv.problem + "\n" + QString::fromUtf8(fromEnv.err)));
    QJsonObject evmFromEnv;
    for (const QJsonValue& v : fromEnv.report["venues"].toArray())
      if (v.toObject()["name"].toString() == "evm") evmFromEnv = v.toObject();
    QCOMPARE(evmFromEnv["wallet"].toString(), envAddress);
    for (const QByteArray& form : walletKeyForms() + QList<QByteArray>{envKey.toLatin1()}) {
      const QStringList leaks = test::secretLeaks(fromEnv, data, form);
      QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join('\n')));
    }

    // The keychain entry no longer the key whose address was saved (replaced outside Kappa): refused,
    // not traded with, and still never quoted.
    saveError = "not saved";
    store.save(evmWalletProfile("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), QString::fromLatin1(kWalletKeyHex),
               nullptr, [&](const QString& e) { saveError = e; });
    QTRY_VERIFY_WITH_TIMEOUT(saveError != "not saved", 20000);
    QVERIFY2(saveError.isEmpty(), qPrintable(saveError));
    const test::AppRun refused = test::runKappa(
        kappa::test::kappaBinary(),
        {"--data-dir", data, "--duration", "3", "--report", report, "--venue", "evm", "--rpc-url", chain.url(),
         "--evm-deployment", deployment},
        {}, report, 90000);
    QVERIFY2(refused.err.contains("OS keychain entry evm/wallet: the key is not the one saved for "
                                  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
             refused.err.constData());
    for (const QByteArray& form : walletKeyForms()) {
      const QStringList leaks = test::secretLeaks(refused, data, form);
      QVERIFY2(leaks.isEmpty(), qPrintable(leaks.join('\n')));
    }
    chain.stop();

    bool removed = false;
    store.remove(kEvmWalletKey, nullptr, [&](const QString&) { removed = true; });
    QTRY_VERIFY_WITH_TIMEOUT(removed, 20000);
  }

  void mainWindowMenuOpensIt() {
    sim::SimConfig cfg;
    cfg.seed = 3;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    Engine engine(std::make_unique<sim::SimVenue>(cfg));
    engine.setDataDir(dir_.filePath("engine").toStdString());
    QVERIFY(QDir().mkpath(dir_.filePath("engine")));
    engine.start();
    {
      CredentialStore store(settings_, service_);
      MainWindow window(engine, dir_.filePath("engine/layout.ini"));
      window.setConnections(&store, {});
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      QAction* action = nullptr;
      for (QAction* menu : window.findChild<QMenuBar*>()->actions())
        if (menu->text() == "&File")
          for (QAction* a : menu->menu()->actions())
            if (a->text() == "Connections…") action = a;
      QVERIFY(action);
      QCOMPARE(action->shortcut(), QKeySequence("Ctrl+Shift+K"));
      action->trigger();
      auto* dialog = window.findChild<ConnectionsDialog*>();
      QVERIFY(dialog);
      QTRY_VERIFY(dialog->isVisible());
      QCOMPARE(window.openConnections(), dialog);  // one at a time
      dialog->reject();
    }
    engine.stop();
  }
};

QTEST_MAIN(TestConnectionsGui)
#include "tst_connections_gui.moc"
