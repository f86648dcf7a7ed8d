#include "CredentialStore.hpp"

#include <QPointer>
#include <QSettings>
#include <QUrl>
#include <qt6keychain/keychain.h>

#include "venue/evm/Secp256k1Signer.hpp"

namespace kappa::ui {
namespace {

constexpr const char* kProfilesGroup = "profiles";

// One INI group per profile. The key is percent-encoded: QSettings would read the '/' in
// "deribit/testnet" (and in a custom URL) as nested groups.
QString groupFor(const QString& key) {
  return QString::fromLatin1(kProfilesGroup) + "/" + QString::fromLatin1(QUrl::toPercentEncoding(key));
}

// Callbacks run only while the caller's context object lives (none given: always).
struct CallerGuard {
  explicit CallerGuard(QObject* context) : object(context), bound(context != nullptr) {}
  bool alive() const { return !bound || object; }
  QPointer<QObject> object;
  bool bound;
};

bool mentionsMissingService(const QString& m) {
  for (const char* needle : {"org.freedesktop.secrets", "not provided by any .service", "Cannot autolaunch",
                             "Could not connect", "ServiceUnknown", "No such interface", "D-Bus is not running",
                             "No keychain service", "No keyring daemon", "Cannot spawn a message bus",
                             "DBUS_SESSION_BUS_ADDRESS", "Failed to connect to socket"})
    if (m.contains(QLatin1String(needle), Qt::CaseInsensitive)) return true;
  return false;
}

}  // namespace

QString ConnectionProfile::key() const {
  if (environment == "custom") return venue + "/custom/" + url;
  return venue + "/" + environment;
}

deribit::DeribitEndpoint ConnectionProfile::endpoint() const {
  deribit::DeribitEndpoint e;
  std::string error;
  const QString value = environment == "custom" ? url : environment;
  if (!deribit::parseDeribitEndpoint(value.toStdString(), e, error)) e.environment = "custom", e.url = url.toStdString();
  return e;
}

std::optional<ConnectionProfile> ConnectionProfile::forEnvironment(const QString& value, QString* error) {
  deribit::DeribitEndpoint e;
  std::string why;
  if (!deribit::parseDeribitEndpoint(value.trimmed().toStdString(), e, why)) {
    if (error) *error = QString::fromStdString(why);
    return std::nullopt;
  }
  ConnectionProfile p;
  p.environment = QString::fromStdString(e.environment);
  p.url = QString::fromStdString(e.url);
  return p;
}

CredentialStore::CredentialStore(QString settingsFile, QString service, QObject* parent)
    : QObject(parent), settingsFile_(std::move(settingsFile)), service_(std::move(service)) {
  qRegisterMetaType<ConnectionProfile>();
}

CredentialStore::~CredentialStore() = default;

std::optional<ConnectionProfile> CredentialStore::profile(const QString& key) const {
  QSettings s(settingsFile_, QSettings::IniFormat);
  s.beginGroup(groupFor(key));
  if (!s.contains("environment")) return std::nullopt;
  ConnectionProfile p;
  p.venue = s.value("venue", "deribit").toString();
  p.environment = s.value("environment").toString();
  p.url = s.value("url").toString();
  p.clientId = s.value("clientId").toString();
  p.secretStored = s.value("secretStored", false).toBool();
  if (p.key() != key) return std::nullopt;  // edited by hand into something else: not this profile
  return p;
}

QList<ConnectionProfile> CredentialStore::profiles() const {
  QList<ConnectionProfile> out;
  QSettings s(settingsFile_, QSettings::IniFormat);
  s.beginGroup(kProfilesGroup);
  const QStringList groups = s.childGroups();
  s.endGroup();
  for (const QString& g : groups) {
    const QString key = QUrl::fromPercentEncoding(g.toLatin1());
    if (auto p = profile(key)) out << *p;
  }
  return out;
}

QString CredentialStore::activeKey() const {
  QSettings s(settingsFile_, QSettings::IniFormat);
  return s.value("active").toString();
}

QString CredentialStore::activeKey(const QString& venue) const {
  QSettings s(settingsFile_, QSettings::IniFormat);
  const QString mine = s.value("activeByVenue/" + venue).toString();
  if (!mine.isEmpty() && profile(mine)) return mine;
  // Saved before profiles were kept per venue: the global one, if it is this venue's.
  const QString global = s.value("active").toString();
  if (const auto p = profile(global); p && p->venue == venue) return global;
  return {};
}

void CredentialStore::writeProfile(const ConnectionProfile& p) const {
  QSettings s(settingsFile_, QSettings::IniFormat);
  s.beginGroup(groupFor(p.key()));
  s.setValue("venue", p.venue);
  s.setValue("environment", p.environment);
  s.setValue("url", p.url);
  s.setValue("clientId", p.clientId);
  s.setValue("secretStored", p.secretStored);
  s.endGroup();
  s.setValue("active", p.key());
  s.setValue("activeByVenue/" + p.venue, p.key());
  s.sync();
}

void CredentialStore::save(const ConnectionProfile& profileIn, const QString& secret, QObject* context, Done done) {
  ConnectionProfile p = profileIn;
  p.clientId = p.clientId.trimmed();
  if (p.clientId.isEmpty()) {
    done(QStringLiteral("the client id is empty"));
    return;
  }
  if (secret.isEmpty()) {
    // Keep the stored secret: only the non-secret parts change (the same key, e.g. made active again).
    const auto existing = profile(p.key());
    if (!existing || !existing->secretStored) {
      done(QStringLiteral("no secret stored for %1: enter the client secret").arg(p.key()));
      return;
    }
    if (existing->clientId != p.clientId) {
      done(QStringLiteral("the client id changed: enter the client secret that belongs to it"));
      return;
    }
    p.secretStored = true;
    writeProfile(p);
    emit profileSaved(p);
    done({});
    return;
  }
  auto* job = newJob<QKeychain::WritePasswordJob>(p.key());
  job->setTextData(secret);
  CallerGuard guard(context);
  connect(job, &QKeychain::Job::finished, this, [this, p, guard, done](QKeychain::Job* j) mutable {
    --pending_;
    if (j->error() != QKeychain::NoError) {
      if (guard.alive()) done(describeKeychainError(j->error(), j->errorString(), p.key()));
      return;
    }
    p.secretStored = true;
    writeProfile(p);
    emit profileSaved(p);
    if (guard.alive()) done({});
  });
  job->start();
}

void CredentialStore::readSecret(const QString& key, QObject* context, SecretDone done) {
  auto* job = newJob<QKeychain::ReadPasswordJob>(key);
  CallerGuard guard(context);
  connect(job, &QKeychain::Job::finished, this, [this, key, guard, done](QKeychain::Job* j) {
    --pending_;
    if (!guard.alive()) return;
    auto* read = static_cast<QKeychain::ReadPasswordJob*>(j);
    if (read->error() == QKeychain::EntryNotFound) {
      done({}, QStringLiteral("no secret stored for %1 in the OS keychain").arg(key));
    } else if (read->error() != QKeychain::NoError) {
      done({}, describeKeychainError(read->error(), read->errorString(), key));
    } else if (read->textData().isEmpty()) {
      done({}, QStringLiteral("the secret stored for %1 in the OS keychain is empty").arg(key));
    } else {
      done(read->textData(), {});
    }
  });
  job->start();
}

void CredentialStore::loadCredentials(const QString& key, QObject* context, CredentialsDone done) {
  const auto p = profile(key);
  if (!p) {
    done({}, QStringLiteral("no connection saved for %1 (File → Connections…)").arg(key));
    return;
  }
  const std::string clientId = p->clientId.toStdString();
  readSecret(key, context, [clientId, done](const QString& secret, const QString& error) {
    if (!error.isEmpty()) {
      done({}, error);
      return;
    }
    done(deribit::DeribitCredentials{clientId, secret.toStdString()}, {});
  });
}

void CredentialStore::remove(const QString& key, QObject* context, Done done) {
  auto* job = newJob<QKeychain::DeletePasswordJob>(key);
  CallerGuard guard(context);
  connect(job, &QKeychain::Job::finished, this, [this, key, guard, done](QKeychain::Job* j) {
    --pending_;
    if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound) {
      if (guard.alive()) done(describeKeychainError(j->error(), j->errorString(), key));
      return;
    }
    QSettings s(settingsFile_, QSettings::IniFormat);
    s.remove(groupFor(key));
    if (s.value("active").toString() == key) s.remove("active");
    s.beginGroup("activeByVenue");
    for (const QString& venue : s.childKeys())
      if (s.value(venue).toString() == key) s.remove(venue);
    s.endGroup();
    s.sync();
    if (guard.alive()) done({});
  });
  job->start();
}

ConnectionProfile evmWalletProfile(const QString& address) {
  ConnectionProfile p;
  p.venue = QStringLiteral("evm");
  p.environment = QStringLiteral("wallet");
  p.clientId = address;
  return p;
}

QString evmAddressOfKey(const QString& hex, QString* error, QString* normalized) {
  QString text = hex.trimmed().toLower();
  if (text.startsWith(QLatin1String("0x"))) text.remove(0, 2);
  QByteArray latin = text.toLatin1();
  QString address;
  try {
    address = QString::fromStdString(evm::Secp256k1Signer(evm::PrivateKey::fromHex(latin.toStdString())).checksumAddress());
  } catch (const std::exception&) {
    if (error)
      *error = QStringLiteral("not a wallet private key: expected 64 hex digits (0x optional), not zero and below "
                              "the secp256k1 curve order");
  }
  if (!address.isEmpty() && normalized) *normalized = text;
  latin.fill('\0');
  text.fill(QChar(u'0'));
  return address;
}

QString describeKeychainError(int code, const QString& message, const QString& key) {
  const QString headless =
      key.startsWith(QLatin1String("evm/"))
          ? QStringLiteral("give the wallet key headless (KAPPA_EVM_PRIVATE_KEY or --evm-key-file FILE)")
      : key.startsWith(QLatin1String("binance-futures/"))
          ? QStringLiteral("give the key headless (KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET or "
                           "--binance-credentials FILE)")
          : QStringLiteral("give the key headless (KAPPA_DERIBIT_CLIENT_ID / KAPPA_DERIBIT_CLIENT_SECRET or "
                           "--deribit-credentials FILE)");
  QString detail = message.isEmpty() ? QStringLiteral("no details") : message;
  // QtKeychain 0.13 says only "Unknown error" when it could not load libsecret (nor
  // libgnome-keyring): there is no backend to talk to at all.
  if (code == QKeychain::OtherError && message == QLatin1String("Unknown error"))
    detail = QStringLiteral("QtKeychain could load no keychain library (libsecret-1-0 missing?)");
  if (code == QKeychain::NoBackendAvailable || code == QKeychain::NotImplemented || mentionsMissingService(detail) ||
      detail.startsWith(QLatin1String("QtKeychain could load no keychain library")))
    return QStringLiteral("no OS keychain (Secret Service) available: %1 — start gnome-keyring or KWallet, or %2")
        .arg(detail, headless);
  // gnome-keyring with no unlocked default keyring and no way to prompt (no desktop session).
  if (detail.contains("/org/freedesktop/secrets/collection/") || detail.contains("prompt", Qt::CaseInsensitive) ||
      detail.contains("locked", Qt::CaseInsensitive))
    return QStringLiteral("the OS keychain is locked or has no default keyring: %1 — unlock it (log in to the "
                          "desktop, or run gnome-keyring-daemon --unlock) and try again")
        .arg(detail);
  switch (code) {
    case QKeychain::AccessDeniedByUser:
      return QStringLiteral("the OS keychain refused access (denied at its prompt): %1").arg(detail);
    case QKeychain::AccessDenied:
      return QStringLiteral("the OS keychain is locked or refused access: %1 — unlock it and try again").arg(detail);
    case QKeychain::EntryNotFound:
      return QStringLiteral("no such entry in the OS keychain: %1").arg(detail);
    case QKeychain::CouldNotDeleteEntry:
      return QStringLiteral("the OS keychain could not delete the entry: %1").arg(detail);
    default:
      return QStringLiteral("OS keychain error: %1").arg(detail);
  }
}

}  // namespace kappa::ui
