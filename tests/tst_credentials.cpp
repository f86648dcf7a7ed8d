// Where Kappa's Deribit API key comes from and where it goes: the headless sources (environment,
// 0600 file), the OS keychain through CredentialStore against a REAL Secret Service
// (gnome-keyring-daemon in a private D-Bus session, see with-secret-service.sh; `secret-tool`
// confirms independently that the secret is in the keyring), and the SecretScan helper other tests
// use to prove the secret appears nowhere else.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <cstdio>

#include "CredentialSources.hpp"
#include "CredentialStore.hpp"
#include "SecretScan.hpp"

using namespace kappa;
using app::CredentialSourceResult;

namespace {

// A fresh secret per run, shaped like Deribit's (43 base64url characters).
QByteArray makeSecret() {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  QByteArray s;
  for (int i = 0; i < 43; ++i) s.append(alphabet[QRandomGenerator::global()->bounded(64)]);
  return s;
}

const char* kChildModeVariable = "KAPPA_TST_CREDENTIALS_CHILD";

// Child mode: a CredentialStore save with no Secret Service reachable; prints the error it got.
int noKeychainChild(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  ui::CredentialStore store(qEnvironmentVariable("KAPPA_TST_SETTINGS"), "KappaTestNoKeychain");
  ui::ConnectionProfile p;
  p.url = "wss://test.deribit.com/ws/api/v2";
  p.clientId = "child-client-id";
  int code = 3;
  store.save(p, qEnvironmentVariable("KAPPA_TST_SECRET"), nullptr, [&](const QString& error) {
    std::printf("%s\n", error.isEmpty() ? "SAVED" : qPrintable(error));
    code = 0;
    app.quit();
  });
  QTimer::singleShot(20000, &app, [&] {
    std::printf("TIMEOUT: the keychain job did not finish within 20 s\n");
    app.quit();
  });
  app.exec();
  std::fflush(stdout);
  return code;
}

}  // namespace

class TestCredentials : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QByteArray secret_ = makeSecret();

  QString writeFile(const QString& name, const QByteArray& content, mode_t mode) {
    const QString path = dir_.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return {};
    f.write(content);
    f.close();
    ::chmod(QFile::encodeName(path).constData(), mode);
    return path;
  }

  void clearEnvironment() {
    qunsetenv(app::kClientIdVariable);
    qunsetenv(app::kClientSecretVariable);
  }

  // Every message a credential source produced is also checked for the secret.
  void verifyNoSecret(const CredentialSourceResult& r) {
    const QStringList hits = test::findSecretInBytes(QByteArray::fromStdString(r.error + "\n" + r.origin), secret_, "message");
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
  }

  // Keychain cases need the private Secret Service with-secret-service.sh provides.
  bool requireSecretService() {
    if (qEnvironmentVariable("KAPPA_SECRET_SERVICE") == "ready") return true;
    if (const QString missing = qEnvironmentVariable("KAPPA_SECRET_SERVICE_MISSING"); !missing.isEmpty()) {
      QTest::qSkip(qPrintable("no private Secret Service: " + missing), __FILE__, __LINE__);
      return false;
    }
    QTest::qFail("keychain cases run against a private Secret Service: run this test through "
                 "tests/with-secret-service.sh (ctest does), not directly",
                 __FILE__, __LINE__);
    return false;
  }

  // `secret-tool lookup` — libsecret's own command-line client, independent of QtKeychain.
  static QByteArray secretToolLookup(const QString& service, const QString& key, int* exitCode) {
    QProcess p;
    p.start("secret-tool", {"lookup", "server", service, "user", key});
    if (!p.waitForFinished(15000)) {
      p.kill();
      p.waitForFinished(2000);
      *exitCode = -1;
      return {};
    }
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return p.readAllStandardOutput();
  }

  // Runs a store operation and waits (bounded) for its callback.
  static QString waitDone(const std::function<void(ui::CredentialStore::Done)>& start) {
    bool finished = false;
    QString error;
    start([&](const QString& e) {
      error = e;
      finished = true;
    });
    if (!QTest::qWaitFor([&] { return finished; }, 20000)) return "TIMEOUT: no answer from the keychain within 20 s";
    return error;
  }

  static QString readSecret(ui::CredentialStore& store, const QString& key, QString* secretOut) {
    bool finished = false;
    QString error;
    store.readSecret(key, nullptr, [&](const QString& s, const QString& e) {
      *secretOut = s;
      error = e;
      finished = true;
    });
    if (!QTest::qWaitFor([&] { return finished; }, 20000)) return "TIMEOUT: no answer from the keychain within 20 s";
    return error;
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }
  void init() { clearEnvironment(); }
  void cleanupTestCase() { clearEnvironment(); }

  // ---- environment ----

  void environmentBothSet() {
    qputenv(app::kClientIdVariable, "fo7WAPRm");
    qputenv(app::kClientSecretVariable, secret_);
    const CredentialSourceResult r = app::credentialsFromEnvironment();
    QVERIFY2(r.loaded(), r.error.c_str());
    QCOMPARE(r.credentials.clientId, std::string("fo7WAPRm"));
    QCOMPARE(QByteArray::fromStdString(r.credentials.clientSecret), secret_);
    QVERIFY(QString::fromStdString(r.origin).contains("KAPPA_DERIBIT_CLIENT_ID"));
    verifyNoSecret(r);
  }

  void environmentNeitherSetIsNotFound() {
    QCOMPARE(app::credentialsFromEnvironment().status, CredentialSourceResult::Status::NotFound);
    qputenv(app::kClientIdVariable, "  ");  // blank counts as not set
    QCOMPARE(app::credentialsFromEnvironment().status, CredentialSourceResult::Status::NotFound);
  }

  void environmentHalfSetIsAnError() {
    qputenv(app::kClientIdVariable, "fo7WAPRm");
    CredentialSourceResult r = app::credentialsFromEnvironment();
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains("KAPPA_DERIBIT_CLIENT_SECRET is not"), r.error.c_str());
    QVERIFY2(!QString::fromStdString(r.error).contains("fo7WAPRm"), "the full client id is shown");
    QVERIFY(QString::fromStdString(r.error).contains("fo7W…"));  // maskedId() at most

    clearEnvironment();
    qputenv(app::kClientSecretVariable, secret_);
    r = app::credentialsFromEnvironment();
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains("KAPPA_DERIBIT_CLIENT_ID is not"), r.error.c_str());
    verifyNoSecret(r);
  }

  void forgetSecretFromEnvironment() {
    qputenv(app::kClientIdVariable, "fo7WAPRm");
    qputenv(app::kClientSecretVariable, secret_);
    QVERIFY(app::credentialsFromEnvironment().loaded());
    app::forgetSecretFromEnvironment();
    QVERIFY(!qEnvironmentVariableIsSet(app::kClientSecretVariable));
    // A child process started now does not inherit it.
    QProcess env;
    env.start("env", {});
    QVERIFY(env.waitForFinished(10000));
    QVERIFY(!env.readAllStandardOutput().contains(secret_));
  }

  // ---- file ----

  void fileWithMode0600IsAccepted() {
    const QString path = writeFile("deribit-0600.cred",
                                   "# Deribit API key for Kappa\r\n\n  client_id =  fo7WAPRm \r\nclient_secret=" + secret_ +
                                       "\n# trailing comment\nenvironment = testnet\n",
                                   0600);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY2(r.loaded(), r.error.c_str());
    QCOMPARE(r.credentials.clientId, std::string("fo7WAPRm"));
    QCOMPARE(QByteArray::fromStdString(r.credentials.clientSecret), secret_);
    QCOMPARE(r.environment, std::string("testnet"));
    QCOMPARE(QString::fromStdString(r.origin), "file " + path);
    verifyNoSecret(r);
  }

  void fileWithMode0400IsAccepted() {
    const QString path = writeFile("deribit-0400.cred", "client_id = abc\nclient_secret = " + secret_ + "\n", 0400);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY2(r.loaded(), r.error.c_str());
    QVERIFY(r.environment.empty());
  }

  void fileOpenToOthersIsRefused_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<QString>("reason");
    QTest::newRow("0644") << 0644 << "is readable by others (mode 0644); chmod 600 ";
    QTest::newRow("0640") << 0640 << "is readable by others (mode 0640); chmod 600 ";
    QTest::newRow("0604") << 0604 << "is readable by others (mode 0604); chmod 600 ";
    QTest::newRow("0620") << 0620 << "is writable by others (mode 0620); chmod 600 ";
    QTest::newRow("0666") << 0666 << "is readable by others (mode 0666); chmod 600 ";
    QTest::newRow("0610") << 0610 << "is accessible by others (mode 0610); chmod 600 ";
  }
  void fileOpenToOthersIsRefused() {
    QFETCH(int, mode);
    QFETCH(QString, reason);
    const QString path = writeFile(QString("deribit-%1.cred").arg(mode, 4, 8, QChar('0')),
                                   "client_id = fo7WAPRm\nclient_secret = " + secret_ + "\n", mode_t(mode));
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY(r.failed());
    const QString error = QString::fromStdString(r.error);
    QVERIFY2(error.contains(path + " " + reason + path), qPrintable(error));
    QVERIFY(r.credentials.clientSecret.empty());
    verifyNoSecret(r);
  }

  void fileProblemsNameTheFile() {
    const QString missing = dir_.filePath("does-not-exist.cred");
    CredentialSourceResult r = app::credentialsFromFile(missing.toStdString());
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains(missing + ": cannot open it: No such file or directory"), r.error.c_str());

    QVERIFY(QDir(dir_.path()).mkpath("a-directory"));
    r = app::credentialsFromFile(dir_.filePath("a-directory").toStdString());
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains("is not a regular file"), r.error.c_str());

    const QString big = writeFile("big.cred", QByteArray(70 * 1024, '#'), 0600);
    r = app::credentialsFromFile(big.toStdString());
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains("too large"), r.error.c_str());
  }

  void fileOwnedBySomeoneElseIsRefused() {
    if (::geteuid() != 0) QSKIP("giving a file to another user needs root");
    const QString path = writeFile("foreign.cred", "client_id = a\nclient_secret = " + secret_ + "\n", 0600);
    QCOMPARE(::chown(QFile::encodeName(path).constData(), 65534, 65534), 0);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains(path + " is owned by uid 65534, not by you (uid 0)"), r.error.c_str());
    verifyNoSecret(r);
  }

  void malformedFileNamesFileLineAndField_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    const QByteArray s = makeSecret();
    QTest::newRow("no =") << QByteArray("client_id = abc\n" + s + "\n") << "line 2: expected 'field = value'";
    QTest::newRow("unknown field") << QByteArray("client_id = abc\nclient_secrt = " + s + "\n")
                                   << "line 2: unknown field 'client_secrt' (fields: client_id, client_secret, environment)";
    QTest::newRow("empty value") << QByteArray("# key\nclient_id =\nclient_secret = " + s + "\n") << "line 2: client_id is empty";
    QTest::newRow("twice") << QByteArray("client_id = a\nclient_secret = " + s + "\nclient_id = b\n")
                           << "line 3: client_id is given twice (first on line 1)";
    QTest::newRow("missing secret") << QByteArray("client_id = abc\n") << ": client_secret is missing";
    QTest::newRow("missing id") << QByteArray("client_secret = " + s + "\n") << ": client_id is missing";
    QTest::newRow("bad environment") << QByteArray("client_id = a\nclient_secret = " + s + "\nenvironment = prod\n")
                                     << "line 3: environment: unknown Deribit environment 'prod'";
    QTest::newRow("no field name") << QByteArray("client_id = a\n= " + s + "\n") << "line 2: no field name before '='";
  }
  void malformedFileNamesFileLineAndField() {
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString path = writeFile("malformed.cred", content, 0600);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY(r.failed());
    const QString error = QString::fromStdString(r.error);
    QVERIFY2(error.startsWith("credentials file " + path), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    // Nothing of the file's values is quoted back.
    for (const QByteArray& line : content.split('\n')) {
      const qsizetype eq = line.indexOf('=');
      const QByteArray value = (eq >= 0 ? line.mid(eq + 1) : line).trimmed();
      if (value.size() > 8)
        QVERIFY2(!error.toUtf8().contains(value), qPrintable("a value is quoted in: " + error));
    }
  }

  // A secret pasted on a line of its own, with an '=' in it, must not be echoed as a "field".
  void secretLineIsNeverQuoted() {
    const QByteArray pasted = "abcdefghijklmnopqrstuvwxyz=" + secret_;
    const QString path = writeFile("pasted.cred", "client_id = a\n" + pasted + "\n", 0600);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY(r.failed());
    QVERIFY2(QString::fromStdString(r.error).contains("line 2: unknown field (fields:"), r.error.c_str());
    QVERIFY(!QString::fromStdString(r.error).contains("abcdefghijklmnopqrstuvwxyz"));
    verifyNoSecret(r);
  }

  // --deribit-credentials FILE wins over the environment; a bad file is an error, not a fall-back.
  void precedenceFileThenEnvironment() {
    qputenv(app::kClientIdVariable, "from-env");
    qputenv(app::kClientSecretVariable, "env-secret-value");
    const QString good = writeFile("precedence.cred", "client_id = from-file\nclient_secret = " + secret_ + "\n", 0600);
    CredentialSourceResult r = app::resolveHeadlessCredentials(good.toStdString());
    QVERIFY(r.loaded());
    QCOMPARE(r.credentials.clientId, std::string("from-file"));

    const QString bad = writeFile("precedence-bad.cred", "client_id = from-file\nclient_secret = x\n", 0644);
    r = app::resolveHeadlessCredentials(bad.toStdString());
    QVERIFY(r.failed());
    QVERIFY(r.credentials.clientId.empty());

    r = app::resolveHeadlessCredentials("");
    QVERIFY(r.loaded());
    QCOMPARE(r.credentials.clientId, std::string("from-env"));

    clearEnvironment();
    QCOMPARE(app::resolveHeadlessCredentials("").status, CredentialSourceResult::Status::NotFound);
  }

  // A key the file says is for testnet is never sent to mainnet (or elsewhere).
  void fileEnvironmentMustMatchTheEndpoint() {
    const QString path = writeFile("testnet-key.cred", "client_id = fo7WAPRm\nclient_secret = " + secret_ + "\nenvironment = testnet\n", 0600);
    const CredentialSourceResult r = app::credentialsFromFile(path.toStdString());
    QVERIFY(r.loaded());
    deribit::DeribitEndpoint endpoint;
    std::string error;
    QVERIFY(deribit::parseDeribitEndpoint("testnet", endpoint, error));
    QCOMPARE(app::checkCredentialsForEndpoint(r, endpoint), std::string());
    QVERIFY(deribit::parseDeribitEndpoint("mainnet", endpoint, error));
    const QString refusal = QString::fromStdString(app::checkCredentialsForEndpoint(r, endpoint));
    QVERIFY2(refusal.contains("is for testnet, not for mainnet"), qPrintable(refusal));
    QVERIFY(refusal.contains("fo7W…") && !refusal.contains("fo7WAPRm"));
    QVERIFY(deribit::parseDeribitEndpoint("ws://127.0.0.1:9000", endpoint, error));
    QVERIFY(!app::checkCredentialsForEndpoint(r, endpoint).empty());

    const QString local = writeFile("local-key.cred", "client_id = a\nclient_secret = " + secret_ + "\nenvironment = ws://127.0.0.1:9000\n", 0600);
    const CredentialSourceResult l = app::credentialsFromFile(local.toStdString());
    QVERIFY(l.loaded());
    QCOMPARE(app::checkCredentialsForEndpoint(l, endpoint), std::string());  // same URL (path added)
    QVERIFY(deribit::parseDeribitEndpoint("ws://127.0.0.1:9001", endpoint, error));
    QVERIFY(!app::checkCredentialsForEndpoint(l, endpoint).empty());
  }

  // ---- the keychain, against a real Secret Service ----

  void keychainStoreReadOverwriteDelete() {
    if (!requireSecretService()) return;
    const QString service = "KappaTest";
    const QString settings = dir_.filePath("keychain/connections.ini");
    QVERIFY(QDir().mkpath(dir_.filePath("keychain")));
    ui::CredentialStore store(settings, service);
    QSignalSpy savedSpy(&store, &ui::CredentialStore::profileSaved);

    ui::ConnectionProfile testnet = *ui::ConnectionProfile::forEnvironment("testnet");
    testnet.clientId = "kappa-test-id";
    QCOMPARE(testnet.key(), QString("deribit/testnet"));

    // Store.
    QString error = waitDone([&](auto done) { store.save(testnet, QString::fromLatin1(secret_), nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(savedSpy.count(), 1);
    int rc = 0;
    QCOMPARE(secretToolLookup(service, "deribit/testnet", &rc), secret_);  // really in the keyring
    QCOMPARE(rc, 0);
    QString read;
    error = readSecret(store, "deribit/testnet", &read);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(read.toLatin1(), secret_);
    const auto saved = store.profile("deribit/testnet");
    QVERIFY(saved.has_value());
    QCOMPARE(saved->clientId, QString("kappa-test-id"));
    QVERIFY(saved->secretStored);
    QCOMPARE(store.activeKey(), QString("deribit/testnet"));

    // Only the keychain holds it: not the settings file, not the keyring's own files in plain text.
    QStringList hits = test::findSecretInTree(dir_.filePath("keychain"), secret_);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    const QString keyrings = qEnvironmentVariable("XDG_DATA_HOME") + "/keyrings";
    QVERIFY2(QFileInfo(keyrings).isDir(), qPrintable(keyrings));
    hits = test::findSecretInTree(keyrings, secret_);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));

    // Overwrite.
    const QByteArray second = makeSecret();
    error = waitDone([&](auto done) { store.save(testnet, QString::fromLatin1(second), nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(secretToolLookup(service, "deribit/testnet", &rc), second);
    error = readSecret(store, "deribit/testnet", &read);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(read.toLatin1(), second);

    // Another environment is another entry: a mainnet key never replaces the testnet one.
    ui::ConnectionProfile mainnet = *ui::ConnectionProfile::forEnvironment("mainnet");
    mainnet.clientId = "kappa-main-id";
    const QByteArray mainSecret = makeSecret();
    error = waitDone([&](auto done) { store.save(mainnet, QString::fromLatin1(mainSecret), nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    ui::ConnectionProfile custom = *ui::ConnectionProfile::forEnvironment("ws://127.0.0.1:9000");
    QCOMPARE(custom.key(), QString("deribit/custom/ws://127.0.0.1:9000/ws/api/v2"));
    custom.clientId = "local-id";
    error = waitDone([&](auto done) { store.save(custom, "local-secret-value", nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(secretToolLookup(service, "deribit/testnet", &rc), second);
    QCOMPARE(secretToolLookup(service, "deribit/mainnet", &rc), mainSecret);
    QCOMPARE(secretToolLookup(service, custom.key(), &rc), QByteArray("local-secret-value"));
    QCOMPARE(store.profiles().size(), 3);
    QCOMPARE(store.activeKey(), custom.key());
    QCOMPARE(store.profile(custom.key())->url, QString("ws://127.0.0.1:9000/ws/api/v2"));

    // An empty secret keeps the stored one (and makes the profile active again) ...
    error = waitDone([&](auto done) { store.save(testnet, QString(), nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(store.activeKey(), QString("deribit/testnet"));
    QCOMPARE(secretToolLookup(service, "deribit/testnet", &rc), second);
    // ... but not for another client id: that key's secret is not in the keychain.
    ui::ConnectionProfile otherId = testnet;
    otherId.clientId = "someone-else";
    error = waitDone([&](auto done) { store.save(otherId, QString(), nullptr, done); });
    QVERIFY2(error.contains("client id changed"), qPrintable(error));
    QCOMPARE(store.profile("deribit/testnet")->clientId, QString("kappa-test-id"));

    // The engine's struct.
    bool loaded = false;
    deribit::DeribitCredentials credentials;
    store.loadCredentials("deribit/mainnet", nullptr, [&](const deribit::DeribitCredentials& c, const QString& e) {
      QVERIFY2(e.isEmpty(), qPrintable(e));
      credentials = c;
      loaded = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(loaded, 20000);
    QCOMPARE(credentials.clientId, std::string("kappa-main-id"));
    QCOMPARE(QByteArray::fromStdString(credentials.clientSecret), mainSecret);

    // Delete.
    error = waitDone([&](auto done) { store.remove("deribit/testnet", nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(secretToolLookup(service, "deribit/testnet", &rc), QByteArray());
    QVERIFY(rc != 0);
    error = readSecret(store, "deribit/testnet", &read);
    QVERIFY2(error.contains("no secret stored for deribit/testnet"), qPrintable(error));
    QVERIFY(!store.profile("deribit/testnet").has_value());
    QVERIFY(store.activeKey().isEmpty());
    QCOMPARE(secretToolLookup(service, "deribit/mainnet", &rc), mainSecret);  // the others stay
    // Deleting what is not there is fine.
    error = waitDone([&](auto done) { store.remove("deribit/testnet", nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
    for (const QString& key : {QString("deribit/mainnet"), custom.key()}) {
      error = waitDone([&](auto done) { store.remove(key, nullptr, done); });
      QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    QCOMPARE(store.profiles().size(), 0);
    QCOMPARE(store.pendingJobs(), 0);
  }

  // The callback is dropped once its context object is gone (a closed dialog).
  void keychainCallbackNeedsLiveContext() {
    if (!requireSecretService()) return;
    ui::CredentialStore store(dir_.filePath("context.ini"), "KappaTest");
    ui::ConnectionProfile p = *ui::ConnectionProfile::forEnvironment("testnet");
    p.clientId = "context-id";
    bool called = false;
    {
      QObject context;
      store.save(p, "context-secret-value", &context, [&](const QString&) { called = true; });
    }
    QTRY_COMPARE_WITH_TIMEOUT(store.pendingJobs(), 0, 20000);
    QVERIFY(!called);
    QVERIFY(store.profile("deribit/testnet")->secretStored);  // the save itself completed
    const QString error = waitDone([&](auto done) { store.remove("deribit/testnet", nullptr, done); });
    QVERIFY2(error.isEmpty(), qPrintable(error));
  }

  // No Secret Service reachable at all: a clear error, quickly, and nothing written in plain text.
  void noKeychainIsAClearError() {
    QTemporaryDir childDir;
    QVERIFY(childDir.isValid());
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(kChildModeVariable, "no-keychain");
    env.insert("KAPPA_TST_SETTINGS", childDir.filePath("connections.ini"));
    env.insert("KAPPA_TST_SECRET", QString::fromLatin1(secret_));  // the environment, never the command line
    env.insert("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + childDir.filePath("no-bus-here"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(30000));
    const QByteArray out = child.readAllStandardOutput();
    const QByteArray err = child.readAllStandardError();
    QCOMPARE(child.exitCode(), 0);
    QVERIFY2(out.startsWith("no OS keychain (Secret Service) available: "), out.constData());
    QStringList hits = test::findSecretInBytes(out, secret_, "stdout");
    hits << test::findSecretInBytes(err, secret_, "stderr") << test::findSecretInTree(childDir.path(), secret_);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    QVERIFY(!QFile::exists(childDir.filePath("connections.ini")) ||
            !QSettings(childDir.filePath("connections.ini"), QSettings::IniFormat).value("active").isValid());
  }

  void keychainErrorsAreDescribed() {
    const QString none = ui::describeKeychainError(5 /* NoBackendAvailable */, "No keychain service available");
    QVERIFY(none.startsWith("no OS keychain (Secret Service) available: No keychain service available"));
    const QString dbus = ui::describeKeychainError(
        7, "The name org.freedesktop.secrets was not provided by any .service files");
    QVERIFY(dbus.startsWith("no OS keychain (Secret Service) available: The name org.freedesktop.secrets"));
    QVERIFY(ui::describeKeychainError(4 /* AccessDenied */, "Cannot create an item in a locked collection")
                .startsWith("the OS keychain is locked or has no default keyring"));
    // What gnome-keyring answers when it has no login keyring and cannot show its prompt.
    QVERIFY(ui::describeKeychainError(7, "Object does not exist at path “/org/freedesktop/secrets/collection/login”")
                .startsWith("the OS keychain is locked or has no default keyring"));
    QVERIFY(ui::describeKeychainError(7, "something else").startsWith("OS keychain error: something else"));
    QVERIFY(ui::describeKeychainError(7, "Unknown error")
                .startsWith("no OS keychain (Secret Service) available: QtKeychain could load no keychain library"));
    // Each entry names its own headless way.
    QVERIFY(none.endsWith("give the key headless (KAPPA_DERIBIT_CLIENT_ID / KAPPA_DERIBIT_CLIENT_SECRET or "
                          "--deribit-credentials FILE)"));
    const QString wallet = ui::describeKeychainError(5, "No keychain service available", ui::kEvmWalletKey);
    QVERIFY2(wallet.startsWith("no OS keychain (Secret Service) available: No keychain service available"), qPrintable(wallet));
    QVERIFY2(wallet.endsWith("give the wallet key headless (KAPPA_EVM_PRIVATE_KEY or --evm-key-file FILE)"), qPrintable(wallet));
    QVERIFY(!wallet.contains("DERIBIT"));
    QVERIFY(ui::describeKeychainError(5, "No keychain service available", "binance-futures/mainnet")
                .endsWith("(KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET or --binance-credentials FILE)"));
  }

  // ---- the on-chain wallet key's keychain form ----

  // The address of a wallet key (anvil's documented dev account #1), whatever way it is written;
  // what is not a key is refused without quoting it.
  void evmWalletKeyAddress() {
    const QString hex = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const QString address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    for (const QString& written : {hex, "0x" + hex, " 0X" + hex.toUpper() + "\n"}) {
      QString error, normalized;
      QCOMPARE(ui::evmAddressOfKey(written, &error, &normalized), address);
      QVERIFY(error.isEmpty());
      QCOMPARE(normalized, hex);  // what the keychain keeps
    }
    const QString order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";  // n: not a key
    for (const QString& bad : {QString(), QString("0x"), hex.left(63), hex + "0", QString(64, '0'), order,
                               hex.left(62) + "zz"}) {
      QString error, normalized;
      QVERIFY(ui::evmAddressOfKey(bad, &error, &normalized).isEmpty());
      QVERIFY(error.startsWith("not a wallet private key"));
      QVERIFY(normalized.isEmpty());
      if (bad.size() > 8) QVERIFY(!error.contains(bad.mid(2, 8)));
    }
    const ui::ConnectionProfile p = ui::evmWalletProfile(address);
    QCOMPARE(p.key(), ui::kEvmWalletKey);
    QCOMPARE(p.key(), QString("evm/wallet"));
  }

  // ---- the scanner other tests rely on ----

  void secretScanFindsEveryForm() {
    QTemporaryDir tree;
    QVERIFY(tree.isValid());
    QVERIFY(QDir(tree.path()).mkpath(".hidden/deeper"));
    auto put = [&](const QString& rel, const QByteArray& bytes) {
      QFile f(tree.filePath(rel));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(bytes);
    };
    put("clean.log", "nothing to see here\n" + QByteArray(5000, 'x'));
    QVERIFY(test::findSecretInTree(tree.path(), secret_).isEmpty());

    QByteArray binary(4096, '\0');
    for (int i = 0; i < binary.size(); ++i) binary[i] = char(QRandomGenerator::global()->bounded(256));
    binary.replace(1000, secret_.size(), secret_);
    put(".hidden/deeper/state.db-journal", binary);
    QStringList hits = test::findSecretInTree(tree.path(), secret_);
    QCOMPARE(hits.size(), 1);
    QVERIFY2(hits[0].contains("state.db-journal: the secret (plain) at byte 1000"), qPrintable(hits[0]));
    QVERIFY(!hits[0].toUtf8().contains(secret_));
    QFile::remove(tree.filePath(".hidden/deeper/state.db-journal"));

    // Inside base64 text at each alignment, in UTF-16, percent-encoded, hex.
    for (int lead = 0; lead < 3; ++lead) {
      const QByteArray text = "{\"blob\":\"" + (QByteArray("xyz").left(lead) + secret_ + "tail!").toBase64() + "\"}";
      hits = test::findSecretInBytes(text, secret_, "json");
      QVERIFY2(hits.join('\n').contains("base64"), qPrintable(QString("lead %1").arg(lead)));
    }
    QVERIFY(!test::findSecretInBytes(QByteArray::fromRawData(reinterpret_cast<const char*>(QString::fromLatin1(secret_).utf16()),
                                                              secret_.size() * 2),
                                     secret_, "utf16")
                 .isEmpty());
    QVERIFY(!test::findSecretInBytes("a=" + (secret_ + "/+").toPercentEncoding(), secret_ + "/+", "url").isEmpty());
    QVERIFY(!test::findSecretInBytes("0x" + secret_.toHex(), secret_, "hex").isEmpty());
    QVERIFY(test::findSecretInBytes(QByteArray(secret_).left(20), secret_, "prefix only").isEmpty());
  }

  // A real SQLite database in WAL mode: the scanner reads the -wal file byte-wise as well.
  void secretScanReadsSqliteJournals() {
    QTemporaryDir tree;
    QVERIFY(tree.isValid());
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(tree.filePath("journal.db")).constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x TEXT);", nullptr, nullptr, nullptr), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0;", nullptr, nullptr, nullptr), SQLITE_OK);
    const QByteArray insert = "INSERT INTO t VALUES('note " + secret_ + "');";
    QCOMPARE(sqlite3_exec(db, insert.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
    const QStringList hits = test::findSecretInTree(tree.path(), secret_);
    sqlite3_close(db);
    QVERIFY2(!hits.isEmpty(), "a secret in an SQLite WAL was not found");
    QVERIFY2(hits.join('\n').contains("journal.db-wal"), qPrintable(hits.join('\n')));
  }
};

int main(int argc, char** argv) {
  if (qEnvironmentVariable(kChildModeVariable) == "no-keychain") return noKeychainChild(argc, argv);
  QCoreApplication app(argc, argv);
  TestCredentials test;
  QTEST_SET_MAIN_SOURCE_PATH
  return QTest::qExec(&test, argc, argv);
}

#include "tst_credentials.moc"
