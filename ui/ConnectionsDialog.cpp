#include "ConnectionsDialog.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

#include "Theme.hpp"

namespace kappa::ui {
namespace {

QString colorName(const QColor& c) { return c.name(QColor::HexRgb); }

// A tester should never put the secret in its message; if one ever does, it is not shown.
QString withoutSecret(QString message, const std::string& secret) {
  if (secret.size() >= 4) message.replace(QString::fromStdString(secret), QStringLiteral("•••"));
  return message;
}

}  // namespace

ConnectionsDialog::ConnectionsDialog(CredentialStore& store, ConnectionTester tester, QWidget* parent)
    : QDialog(parent), store_(store), tester_(std::move(tester)) {
  setWindowTitle("Connections — Deribit");
  setObjectName("connectionsDialog");
  setMinimumWidth(560);

  auto* root = new QVBoxLayout(this);
  root->setSpacing(10);
  root->setContentsMargins(18, 16, 18, 14);

  auto* title = new QLabel("Deribit API key", this);
  title->setStyleSheet("font-size: 15px; font-weight: bold;");
  root->addWidget(title);
  auto* intro = new QLabel(
      "Create a key on Deribit under Account → API with the scopes <b>trade:read_write</b> and "
      "<b>account:read</b>.<br>Never give Kappa a key that can withdraw.",
      this);
  // Lines broken by hand rather than word-wrapped: a wrapped label in a grid is given one line's
  // height when it appears after the dialog was laid out (Qt's height-for-width), and is cut off.
  intro->setTextFormat(Qt::RichText);
  intro->setStyleSheet(QString("color: %1;").arg(colorName(colors::dimText)));
  root->addWidget(intro);

  // A grid rather than a form layout: the wrapped warning and note get their full height
  // (heightForWidth) when they appear after the dialog was sized.
  auto* form = new QGridLayout;
  form->setHorizontalSpacing(12);
  form->setVerticalSpacing(8);
  form->setColumnStretch(1, 1);
  int row = 0;
  auto addRow = [&](const QString& label, QWidget* field) {
    auto* l = new QLabel(label, this);
    l->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    l->setBuddy(field);
    form->addWidget(l, row, 0);
    form->addWidget(field, row++, 1);
  };

  environment_ = new QComboBox(this);
  environment_->setObjectName("environment");
  environment_->addItem("Testnet — test.deribit.com (test funds)", "testnet");
  environment_->addItem("Mainnet — www.deribit.com (real money)", "mainnet");
  environment_->addItem("Custom URL — e.g. a local kappa-exchange", "custom");
  environment_->setToolTip("Where Kappa connects. Testnet and mainnet keys are different keys on Deribit.");
  addRow("Environment", environment_);

  url_ = new QLineEdit(this);
  url_->setObjectName("url");
  url_->setPlaceholderText("ws://127.0.0.1:PORT/ws/api/v2 or wss://host/ws/api/v2");
  addRow("URL", url_);

  mainnetWarning_ = new QLabel(
      "⚠  <b>Mainnet trades real money.</b><br>Every order Kappa sends with this key is a real order on "
      "your Deribit account:<br>its fills, fees and losses are real.",
      this);
  mainnetWarning_->setObjectName("mainnetWarning");
  mainnetWarning_->setTextFormat(Qt::RichText);
  mainnetWarning_->setStyleSheet(QString("QLabel#mainnetWarning { background: #3a1a20; color: #ffc9ce; "
                                         "border: 1px solid %1; border-radius: 3px; padding: 7px 9px; }")
                                     .arg(colorName(colors::ask)));
  form->addWidget(mainnetWarning_, row++, 0, 1, 2);

  clientId_ = new QLineEdit(this);
  clientId_->setObjectName("clientId");
  clientId_->setPlaceholderText("client id, e.g. fo7WAPRm");
  addRow("Client ID", clientId_);

  secret_ = new QLineEdit(this);
  secret_->setObjectName("clientSecret");
  secret_->setEchoMode(QLineEdit::Password);
  secret_->setContextMenuPolicy(Qt::NoContextMenu);  // no "copy" of what was typed
  addRow("Client secret", secret_);

  secretNote_ = new QLabel(this);
  secretNote_->setObjectName("secretNote");
  secretNote_->setTextFormat(Qt::RichText);
  secretNote_->setStyleSheet(QString("color: %1; font-size: 11px;").arg(colorName(colors::dimText)));
  form->addWidget(secretNote_, row++, 1);
  root->addLayout(form);

  // Test connection: button, a busy bar while it runs, then the answer in green or red.
  auto* testRow = new QHBoxLayout;
  testButton_ = new QPushButton("Test connection", this);
  testButton_->setObjectName("testConnectionButton");
  testButton_->setShortcut(QKeySequence("Ctrl+T"));
  testButton_->setToolTip(tester_ ? "Log in once with this key and measure the round trip (Ctrl+T)"
                                  : "This build of Kappa has no Deribit connector to test with");
  testButton_->setEnabled(bool(tester_));
  testRow->addWidget(testButton_);
  testProgress_ = new QProgressBar(this);
  testProgress_->setRange(0, 0);  // busy: the test says nothing until it is done
  testProgress_->setTextVisible(false);
  testProgress_->setFixedHeight(6);
  testProgress_->setStyleSheet(QString("QProgressBar { background: %1; border: none; border-radius: 3px; }"
                                       "QProgressBar::chunk { background: %2; border-radius: 3px; }")
                                   .arg(colorName(colors::grid), colorName(colors::own)));
  testProgress_->hide();
  testRow->addWidget(testProgress_, 1);
  testRow->addStretch();
  root->addLayout(testRow);

  testResult_ = new QLabel(this);
  testResult_->setObjectName("testResult");
  testResult_->setWordWrap(true);
  testResult_->setTextFormat(Qt::RichText);
  testResult_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  testResult_->setMinimumHeight(testResult_->fontMetrics().height() * 2 + 6);
  testResult_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  root->addWidget(testResult_);

  status_ = new QLabel(this);
  status_->setObjectName("storeStatus");
  status_->setWordWrap(true);
  status_->hide();
  root->addWidget(status_);
  root->addStretch();

  auto* buttons = new QDialogButtonBox(this);
  saveButton_ = buttons->addButton("Save", QDialogButtonBox::AcceptRole);
  saveButton_->setObjectName("saveButton");
  saveButton_->setDefault(true);
  saveButton_->setToolTip("Store the secret in the OS keychain and use this connection (Ctrl+S)");
  saveButton_->setShortcut(QKeySequence::Save);
  cancelButton_ = buttons->addButton(QDialogButtonBox::Cancel);
  cancelButton_->setToolTip("Close without saving (Esc)");
  root->addWidget(buttons);

  connect(environment_, &QComboBox::currentIndexChanged, this, &ConnectionsDialog::environmentChanged);
  connect(clientId_, &QLineEdit::textChanged, this, &ConnectionsDialog::updateSecretHint);
  connect(url_, &QLineEdit::textChanged, this, &ConnectionsDialog::updateSecretHint);
  connect(testButton_, &QPushButton::clicked, this, &ConnectionsDialog::testConnection);
  connect(saveButton_, &QPushButton::clicked, this, &ConnectionsDialog::save);
  connect(cancelButton_, &QPushButton::clicked, this, &QDialog::reject);

  // Start on the connection saved last, or on testnet.
  ConnectionProfile start;
  start.url = QString::fromStdString(deribit::DeribitEndpoint{}.url);
  if (const QString active = store_.activeKey(); !active.isEmpty())
    if (auto p = store_.profile(active)) start = *p;
  loadProfile(start);
}

ConnectionsDialog::~ConnectionsDialog() { secret_->clear(); }

void ConnectionsDialog::loadProfile(const ConnectionProfile& p) {
  const int index = environment_->findData(p.environment);
  {
    const QSignalBlocker block(environment_);
    environment_->setCurrentIndex(index < 0 ? 0 : index);
  }
  const bool custom = p.environment == "custom";
  url_->setReadOnly(!custom);
  url_->setText(p.url);
  url_->setToolTip(custom ? "The ws:// or wss:// address of a Deribit-protocol server" : "Deribit's own address");
  mainnetWarning_->setVisible(p.environment == "mainnet");
  clientId_->setText(p.clientId);
  secret_->clear();
  storedClientId_ = p.secretStored ? p.clientId : QString();
  storedKey_ = p.secretStored ? p.key() : QString();
  secretStored_ = p.secretStored;
  testResult_->clear();
  updateSecretHint();
}

void ConnectionsDialog::environmentChanged() {
  const QString env = environment_->currentData().toString();
  ConnectionProfile p;
  if (env == "custom") {
    // The custom connection used last, if there is one.
    p.environment = "custom";
    p.url.clear();
    for (const ConnectionProfile& saved : store_.profiles())
      if (saved.environment == "custom" && (p.url.isEmpty() || saved.key() == store_.activeKey())) p = saved;
  } else {
    auto fresh = ConnectionProfile::forEnvironment(env);
    p = *fresh;
    if (auto saved = store_.profile(p.key())) p = *saved;
  }
  loadProfile(p);
  showStatus({}, false);
}

void ConnectionsDialog::updateSecretHint() {
  const bool keeps = currentProfile().secretStored;
  secret_->setPlaceholderText(keeps ? "•••••••• stored in the OS keychain — leave empty to keep it"
                                    : "client secret");
  secretNote_->setText(keeps ? "A secret for this key is stored in the OS keychain (Secret Service / KWallet).<br>"
                               "It is never shown again; type a new one only to replace it."
                             : "The secret is stored in the OS keychain (Secret Service / KWallet), never in<br>"
                               "Kappa's files, logs or reports, and is never shown again.");
}

ConnectionProfile ConnectionsDialog::currentProfile() const {
  ConnectionProfile p;
  p.environment = environment_->currentData().toString();
  p.url = url_->text().trimmed();
  if (p.environment == "custom") {
    deribit::DeribitEndpoint e;
    std::string error;
    if (deribit::parseDeribitEndpoint(p.url.toStdString(), e, error)) p.url = QString::fromStdString(e.url);
  }
  p.clientId = clientId_->text().trimmed();
  // The stored secret belongs to one key and one client id: another URL or id needs its own.
  p.secretStored = secretStored_ && !storedClientId_.isEmpty() && p.clientId == storedClientId_ && p.key() == storedKey_;
  return p;
}

bool ConnectionsDialog::endpointFromFields(deribit::DeribitEndpoint& endpoint, QString& error) const {
  const QString env = environment_->currentData().toString();
  const QString value = env == "custom" ? url_->text().trimmed() : env;
  if (env == "custom" && value.isEmpty()) {
    error = "enter the server's URL (ws://host:port or wss://host:port)";
    return false;
  }
  std::string why;
  if (!deribit::parseDeribitEndpoint(value.toStdString(), endpoint, why)) {
    error = QString::fromStdString(why);
    return false;
  }
  const QUrl url(QString::fromStdString(endpoint.url), QUrl::StrictMode);
  if (!url.isValid() || url.host().isEmpty()) {
    error = QString("'%1' is not a usable URL: it needs a host, e.g. ws://127.0.0.1:9000").arg(value);
    return false;
  }
  return true;
}

void ConnectionsDialog::testConnection() {
  if (!tester_ || testRunning_) return;
  deribit::DeribitEndpoint endpoint;
  QString error;
  if (!endpointFromFields(endpoint, error)) {
    showTestResult(false, error, 0);
    return;
  }
  const QString clientId = clientId_->text().trimmed();
  if (clientId.isEmpty()) {
    showTestResult(false, "enter the client id", 0);
    return;
  }
  const QString typed = secret_->text();
  if (!typed.isEmpty()) {
    runTester(endpoint, {clientId.toStdString(), typed.toStdString()});
    return;
  }
  const ConnectionProfile p = currentProfile();
  if (!p.secretStored) {
    showTestResult(false, "enter the client secret", 0);
    return;
  }
  // Test with the stored secret: read it from the keychain first (asynchronously as well).
  setBusy(true);
  testRunning_ = true;
  testResult_->setText(QString("<span style='color:%1'>Reading the secret from the OS keychain…</span>")
                           .arg(colorName(colors::dimText)));
  const std::uint64_t generation = ++testGeneration_;
  store_.readSecret(p.key(), this, [this, generation, endpoint, clientId](const QString& secret, const QString& readError) {
    if (generation != testGeneration_) return;  // closed (or another test started) meanwhile
    testRunning_ = false;
    if (!readError.isEmpty()) {
      setBusy(false);
      showTestResult(false, readError, 0);
      return;
    }
    runTester(endpoint, {clientId.toStdString(), secret.toStdString()});
  });
}

void ConnectionsDialog::runTester(const deribit::DeribitEndpoint& endpoint, const deribit::DeribitCredentials& credentials) {
  testRunning_ = true;
  setBusy(true);
  const std::uint64_t generation = ++testGeneration_;
  const QString where = endpoint.environment == "custom" ? QString::fromStdString(endpoint.url)
                                                        : QString::fromStdString(endpoint.environment);
  testResult_->setText(QString("<span style='color:%1'>Connecting to %2 as %3 (at most %4 s)</span>")
                           .arg(colorName(colors::dimText), where.toHtmlEscaped(),
                                QString::fromStdString(credentials.maskedId()).toHtmlEscaped())
                           .arg(kTestTimeout.count() / 1000));

  // The answer comes back through a queued call on this relay object, which lives in the GUI
  // thread; the dialog may be gone by then (QPointer, checked on the GUI thread).
  auto* relay = new QObject;
  QPointer<ConnectionsDialog> self(this);
  const std::string secret = credentials.clientSecret;
  auto deliver = [relay, self, generation, secret](deribit::ConnectionTestResult r) {
    QMetaObject::invokeMethod(
        relay,
        [relay, self, generation, secret, r] {
          relay->deleteLater();
          if (!self || generation != self->testGeneration_) return;
          self->testRunning_ = false;
          self->setBusy(false);
          self->showTestResult(r.ok, withoutSecret(QString::fromStdString(r.message), secret), r.roundTripMs);
        },
        Qt::QueuedConnection);
  };
  ConnectionTester tester = tester_;
  QThreadPool::globalInstance()->start([tester, endpoint, credentials, deliver] {
    deribit::ConnectionTestResult r;
    try {
      r = tester(endpoint, credentials, kTestTimeout);
    } catch (const std::exception& e) {
      r.ok = false;
      r.message = std::string("connection test failed: ") + e.what();
    } catch (...) {
      r.ok = false;
      r.message = "connection test failed";
    }
    deliver(std::move(r));
  });

  // A tester that overruns its own timeout must not leave the dialog busy for ever.
  QTimer::singleShot(kTestTimeout + std::chrono::seconds(5), this, [this, generation] {
    if (generation != testGeneration_ || !testRunning_) return;
    ++testGeneration_;
    testRunning_ = false;
    setBusy(false);
    showTestResult(false, QString("no answer within %1 s").arg((kTestTimeout.count() + 5000) / 1000), 0);
  });
}

void ConnectionsDialog::showTestResult(bool ok, const QString& message, double roundTripMs) {
  const QColor color = ok ? colors::bid : colors::ask;
  QString head = ok ? QString("✓ Connection OK") : QString("✗ Connection failed");
  if (ok && roundTripMs > 0) head += QString(" — round trip %1 ms").arg(roundTripMs, 0, 'f', roundTripMs < 10 ? 2 : 1);
  QString html = QString("<span style='color:%1; font-weight:bold'>%2</span>").arg(colorName(color), head.toHtmlEscaped());
  if (!message.isEmpty())
    html += QString("<br><span style='color:%1'>%2</span>").arg(colorName(ok ? colors::text : QColor(0xff, 0xb3, 0xba)),
                                                               message.toHtmlEscaped());
  testResult_->setText(html);
  testResult_->setProperty("ok", ok);
  growToFit();
  emit testFinished(ok, message);
}

void ConnectionsDialog::showStatus(const QString& text, bool error) {
  status_->setVisible(!text.isEmpty());
  status_->setText(text);
  status_->setStyleSheet(QString("color: %1;").arg(colorName(error ? colors::ask : colors::dimText)));
  growToFit();
}

void ConnectionsDialog::growToFit() {
  // A top-level window is not resized for the height its wrapped labels need at its width
  // (height-for-width): without this, a long error squeezes the fields above it.
  layout()->activate();
  const int needed = layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width())
                                                   : layout()->totalSizeHint().height();
  if (needed > height()) resize(width(), needed);
}

void ConnectionsDialog::setBusy(bool busy) {
  testProgress_->setVisible(busy);
  testButton_->setEnabled(!busy && bool(tester_));
  saveButton_->setEnabled(!busy && !saving_);
}

void ConnectionsDialog::save() {
  if (saving_) return;
  deribit::DeribitEndpoint endpoint;
  QString error;
  if (!endpointFromFields(endpoint, error)) {
    showStatus(error, true);
    emit saveFailed(error);
    return;
  }
  ConnectionProfile p = currentProfile();
  p.url = QString::fromStdString(endpoint.url);
  const QString secret = secret_->text();
  if (p.clientId.isEmpty()) error = "enter the client id";
  else if (secret.isEmpty() && !p.secretStored) error = "enter the client secret";
  if (!error.isEmpty()) {
    showStatus(error, true);
    emit saveFailed(error);
    return;
  }
  saving_ = true;
  saveButton_->setEnabled(false);
  showStatus("Saving the secret in the OS keychain…", false);
  store_.save(p, secret, this, [this, p](const QString& saveError) {
    saving_ = false;
    saveButton_->setEnabled(!testRunning_);
    if (!saveError.isEmpty()) {
      showStatus(saveError, true);
      emit saveFailed(saveError);
      return;
    }
    secret_->clear();
    showStatus({}, false);
    ConnectionProfile savedProfile = p;
    savedProfile.secretStored = true;
    emit saved(savedProfile);
    accept();
  });
}

void ConnectionsDialog::done(int result) {
  secret_->clear();  // nothing typed outlives the dialog's answer
  ++testGeneration_;  // a test still running answers no one
  testRunning_ = false;
  QDialog::done(result);
}

}  // namespace kappa::ui
