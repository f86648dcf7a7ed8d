#include "ConnectionsDialog.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QStackedWidget>
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

// A field for a secret: its text never shown, no context menu (no "copy" of what was typed).
QLineEdit* secretField(QWidget* parent, const char* objectName) {
  auto* field = new QLineEdit(parent);
  field->setObjectName(objectName);
  field->setEchoMode(QLineEdit::Password);
  field->setContextMenuPolicy(Qt::NoContextMenu);
  return field;
}

QString colorName(const QColor& c) { return c.name(QColor::HexRgb); }

// A tester should never put the secret in its message; if one ever does, it is not shown.
QString withoutSecret(QString message, const std::string& secret) {
  if (secret.size() >= 4) message.replace(QString::fromStdString(secret), QStringLiteral("•••"));
  return message;
}

// What every venue's key page starts with: a title, an introduction, then a grid of labelled fields.
struct KeyPageLayout {
  QVBoxLayout* root;
  QGridLayout* form;
  int row = 0;

  KeyPageLayout(QWidget* page, const QString& title, const QString& introHtml) : root(new QVBoxLayout(page)), form(new QGridLayout) {
    root->setSpacing(10);
    root->setContentsMargins(0, 0, 0, 0);
    auto* heading = new QLabel(title, page);
    heading->setStyleSheet("font-size: 15px; font-weight: bold;");
    root->addWidget(heading);
    // Lines broken by hand rather than word-wrapped: a wrapped label in a grid is given one line's
    // height when it appears after the dialog was laid out (Qt's height-for-width), and is cut off.
    auto* intro = new QLabel(introHtml, page);
    intro->setTextFormat(Qt::RichText);
    intro->setStyleSheet(QString("color: %1;").arg(colorName(colors::dimText)));
    root->addWidget(intro);
    // A grid rather than a form layout: the wrapped warning and note get their full height
    // (heightForWidth) when they appear after the dialog was sized.
    form->setHorizontalSpacing(12);
    form->setVerticalSpacing(8);
    form->setColumnStretch(1, 1);
  }
  void addRow(const QString& label, QWidget* field) {
    auto* l = new QLabel(label, field->parentWidget());
    l->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    l->setBuddy(field);
    form->addWidget(l, row, 0);
    form->addWidget(field, row++, 1);
  }
};

}  // namespace

ConnectionsDialog::ConnectionsDialog(CredentialStore& store, ConnectionTester tester, QWidget* parent)
    : ConnectionsDialog(store, std::vector<VenueConnection>{VenueConnection{"deribit", CredentialKind::DeribitClient, std::move(tester), {}, {}}},
                        parent) {}

ConnectionsDialog::ConnectionsDialog(CredentialStore& store, std::vector<VenueConnection> venues, QWidget* parent)
    : QDialog(parent), entries_(std::move(venues)), store_(store) {
  if (entries_.empty()) entries_.push_back({"deribit", CredentialKind::DeribitClient, {}, {}, {}});
  for (const VenueConnection& e : entries_)
    if (e.kind == CredentialKind::DeribitClient) {
      tester_ = e.deribitTester;
      break;
    }
  const bool several = entries_.size() > 1;
  setWindowTitle(several ? "Connections" : "Connections — " + entries_.front().venue);
  setObjectName("connectionsDialog");
  setMinimumWidth(several ? 800 : 560);

  auto* outer = new QVBoxLayout(this);
  outer->setSpacing(10);
  outer->setContentsMargins(18, 16, 18, 14);
  auto* body = new QHBoxLayout;
  body->setSpacing(14);
  outer->addLayout(body);
  // Every configured venue with its state; hidden with one venue (the dialog looks as it always did).
  venueList_ = new QListWidget(this);
  venueList_->setObjectName("venueList");
  venueList_->setFixedWidth(220);
  venueList_->setToolTip("Every configured venue (--venue) and its connection state now");
  venueList_->setVisible(several);
  body->addWidget(venueList_);
  stack_ = new QStackedWidget(this);
  body->addWidget(stack_, 1);

  QWidget* deribitPage = buildDeribitPage();
  bool deribitShown = false;
  for (const VenueConnection& e : entries_) {
    QWidget* page = nullptr;
    if (e.kind == CredentialKind::DeribitClient && !deribitShown) {
      page = deribitPage;
      deribitShown = true;
    } else if (e.kind == CredentialKind::ApiKeyPair) {
      apiPages_.push_back(std::make_unique<ApiKeyPage>());
      apiPages_.back()->entry = e;
      page = buildApiKeyPage(*apiPages_.back());
    } else if (e.kind == CredentialKind::WalletKey && !walletKey_) {
      page = buildWalletPage(e);
    } else {
      page = buildNoCredentialsPage(e);
    }
    stack_->addWidget(page);
    pages_.push_back(page);
    auto* item = new QListWidgetItem(e.venue, venueList_);
    item->setData(Qt::UserRole, e.venue);
  }
  if (!deribitShown) deribitPage->hide();  // its fields exist (the slots use them) but no venue needs them

  status_ = new QLabel(this);
  status_->setObjectName("storeStatus");
  status_->setWordWrap(true);
  status_->hide();
  outer->addWidget(status_);

  auto* buttons = new QDialogButtonBox(this);
  saveButton_ = buttons->addButton("Save", QDialogButtonBox::AcceptRole);
  saveButton_->setObjectName("saveButton");
  saveButton_->setDefault(true);
  saveButton_->setToolTip("Store the secret in the OS keychain and use this connection (Ctrl+S)");
  saveButton_->setShortcut(QKeySequence::Save);
  cancelButton_ = buttons->addButton(QDialogButtonBox::Cancel);
  cancelButton_->setToolTip("Close without saving (Esc)");
  outer->addWidget(buttons);
  connect(saveButton_, &QPushButton::clicked, this, &ConnectionsDialog::save);
  connect(cancelButton_, &QPushButton::clicked, this, &QDialog::reject);
  connect(venueList_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0 && row < stack_->count()) stack_->setCurrentIndex(row);
    venueChanged();
  });
  for (auto& page : apiPages_) loadApiPage(*page);
  // Start on the first venue that has credentials to set.
  int first = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].kind != CredentialKind::None) {
      first = int(i);
      break;
    }
  venueList_->setCurrentRow(first);
  stack_->setCurrentIndex(first);
  venueChanged();
}

QWidget* ConnectionsDialog::buildDeribitPage() {
  auto* page = new QWidget(this);
  page->setObjectName("deribitPage");
  KeyPageLayout lay(page, "Deribit API key",
                    "Create a key on Deribit under Account → API with the scopes <b>trade:read_write</b> and "
                    "<b>account:read</b>.<br>Never give Kappa a key that can withdraw.");
  environment_ = new QComboBox(this);
  environment_->setObjectName("environment");
  environment_->addItem("Testnet — test.deribit.com (test funds)", "testnet");
  environment_->addItem("Mainnet — www.deribit.com (real money)", "mainnet");
  environment_->addItem("Custom URL — e.g. a local kappa-exchange", "custom");
  environment_->setToolTip("Where Kappa connects. Testnet and mainnet keys are different keys on Deribit.");
  lay.addRow("Environment", environment_);

  url_ = new QLineEdit(this);
  url_->setObjectName("url");
  url_->setPlaceholderText("ws://127.0.0.1:PORT/ws/api/v2 or wss://host/ws/api/v2");
  lay.addRow("URL", url_);

  mainnetWarning_ = new QLabel(
      "⚠  <b>Mainnet trades real money.</b><br>Every order Kappa sends with this key is a real order on "
      "your Deribit account:<br>its fills, fees and losses are real.",
      this);
  mainnetWarning_->setObjectName("mainnetWarning");
  mainnetWarning_->setTextFormat(Qt::RichText);
  mainnetWarning_->setStyleSheet(QString("QLabel#mainnetWarning { background: #3a1a20; color: #ffc9ce; "
                                         "border: 1px solid %1; border-radius: 3px; padding: 7px 9px; }")
                                     .arg(colorName(colors::ask)));
  lay.form->addWidget(mainnetWarning_, lay.row++, 0, 1, 2);

  clientId_ = new QLineEdit(this);
  clientId_->setObjectName("clientId");
  clientId_->setPlaceholderText("client id, e.g. fo7WAPRm");
  lay.addRow("Client ID", clientId_);

  secret_ = secretField(this, "clientSecret");
  lay.addRow("Client secret", secret_);

  secretNote_ = new QLabel(this);
  secretNote_->setObjectName("secretNote");
  secretNote_->setTextFormat(Qt::RichText);
  secretNote_->setStyleSheet(QString("color: %1; font-size: 11px;").arg(colorName(colors::dimText)));
  lay.form->addWidget(secretNote_, lay.row++, 1);
  lay.root->addLayout(lay.form);

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
  lay.root->addLayout(testRow);

  testResult_ = new QLabel(this);
  testResult_->setObjectName("testResult");
  testResult_->setWordWrap(true);
  testResult_->setTextFormat(Qt::RichText);
  testResult_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  testResult_->setMinimumHeight(testResult_->fontMetrics().height() * 2 + 6);
  testResult_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  lay.root->addWidget(testResult_);
  lay.root->addStretch();

  connect(environment_, &QComboBox::currentIndexChanged, this, &ConnectionsDialog::environmentChanged);
  connect(clientId_, &QLineEdit::textChanged, this, &ConnectionsDialog::updateSecretHint);
  connect(url_, &QLineEdit::textChanged, this, &ConnectionsDialog::updateSecretHint);
  connect(testButton_, &QPushButton::clicked, this, &ConnectionsDialog::testConnection);

  // Start on the Deribit connection saved last, or on testnet.
  ConnectionProfile start;
  start.url = QString::fromStdString(deribit::DeribitEndpoint{}.url);
  if (const QString active = store_.activeKey("deribit"); !active.isEmpty())
    if (auto p = store_.profile(active)) start = *p;
  loadProfile(start);
  return page;
}

ConnectionsDialog::~ConnectionsDialog() {
  secret_->clear();
  if (walletKey_) walletKey_->clear();
  for (auto& page : apiPages_) page->secret->clear();
}

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
  const int current = stack_->currentIndex();
  if (current >= 0 && std::size_t(current) < entries_.size()) {
    if (entries_[std::size_t(current)].kind == CredentialKind::None) return;  // nothing to save
    if (entries_[std::size_t(current)].kind == CredentialKind::WalletKey) return saveWalletKey();
    if (entries_[std::size_t(current)].kind == CredentialKind::ApiKeyPair) {
      if (ApiKeyPage* page = apiPage(entries_[std::size_t(current)].venue)) saveApiKey(*page);
      return;
    }
  }
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
  if (walletKey_) walletKey_->clear();
  for (auto& page : apiPages_) page->secret->clear();
  ++testGeneration_;  // a test still running answers no one
  testRunning_ = false;
  QDialog::done(result);
}

// ---- several venues ----

QWidget* ConnectionsDialog::buildNoCredentialsPage(const VenueConnection& entry) {
  auto* page = new QWidget(this);
  auto* root = new QVBoxLayout(page);
  root->setContentsMargins(0, 0, 0, 0);
  auto* title = new QLabel(entry.venue, page);
  title->setStyleSheet("font-size: 15px; font-weight: bold;");
  root->addWidget(title);
  auto* note = new QLabel("The embedded simulator runs inside Kappa: it needs no API key and keeps no exchange "
                          "account.",
                          page);
  note->setWordWrap(true);
  note->setStyleSheet(QString("color: %1;").arg(colorName(colors::dimText)));
  root->addWidget(note);
  root->addStretch();
  return page;
}

QWidget* ConnectionsDialog::buildApiKeyPage(ApiKeyPage& p) {
  p.page = new QWidget(this);
  p.page->setObjectName(p.entry.venue + "Page");
  KeyPageLayout lay(p.page, p.entry.venue + " API key",
                    "Create an API key with trading enabled (futures) and <b>withdrawals disabled</b>,<br>"
                    "restricted to your IP address. Never give Kappa a key that can withdraw.");
  p.url = new QLineEdit(p.page);
  p.url->setObjectName("apiUrl");
  p.url->setPlaceholderText("the venue's own address (leave empty), or e.g. a local kappa-exchange");
  p.url->setToolTip("Empty: the venue's production address. A URL: that server (a test exchange)");
  lay.addRow("URL", p.url);
  p.key = new QLineEdit(p.page);
  p.key->setObjectName("apiKey");
  p.key->setPlaceholderText("API key");
  lay.addRow("API key", p.key);
  p.secret = secretField(p.page, "apiSecret");
  lay.addRow("API secret", p.secret);
  p.secretNote = new QLabel(p.page);
  p.secretNote->setTextFormat(Qt::RichText);
  p.secretNote->setStyleSheet(QString("color: %1; font-size: 11px;").arg(colorName(colors::dimText)));
  lay.form->addWidget(p.secretNote, lay.row++, 1);
  lay.root->addLayout(lay.form);

  auto* testRow = new QHBoxLayout;
  p.test = new QPushButton("Test connection", p.page);
  p.test->setObjectName("apiTestButton");
  p.test->setShortcut(QKeySequence("Ctrl+T"));
  p.test->setEnabled(bool(p.entry.apiKeyTester));
  p.test->setToolTip(p.entry.apiKeyTester
                         ? "Sign one request with this key and measure the round trip (Ctrl+T)"
                         : QString("No connection test for %1 in this build yet: the key can still be saved")
                               .arg(p.entry.venue));
  testRow->addWidget(p.test);
  testRow->addStretch();
  lay.root->addLayout(testRow);
  p.result = new QLabel(p.page);
  p.result->setObjectName("apiTestResult");
  p.result->setWordWrap(true);
  p.result->setTextFormat(Qt::RichText);
  p.result->setTextInteractionFlags(Qt::TextSelectableByMouse);
  p.result->setMinimumHeight(p.result->fontMetrics().height() * 2 + 6);
  p.result->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  if (!p.entry.apiKeyTester)
    p.result->setText(QString("<span style='color:%1'>Test connection is not available for %2 in this build.</span>")
                          .arg(colorName(colors::dimText), p.entry.venue.toHtmlEscaped()));
  lay.root->addWidget(p.result);
  lay.root->addStretch();

  ApiKeyPage* page = &p;
  auto hint = [this, page] {
    const bool keeps = apiProfile(*page).secretStored;
    page->secret->setPlaceholderText(keeps ? "•••••••• stored in the OS keychain — leave empty to keep it" : "API secret");
    page->secretNote->setText(keeps ? "A secret for this key is stored in the OS keychain; type a new one only to replace it."
                                    : "The secret is stored in the OS keychain, never in Kappa's files, logs or reports.");
  };
  connect(p.key, &QLineEdit::textChanged, this, hint);
  connect(p.url, &QLineEdit::textChanged, this, hint);
  connect(p.test, &QPushButton::clicked, this, [this, page] { testApiKey(*page); });
  return p.page;
}

// ---- the on-chain wallet ----

QWidget* ConnectionsDialog::buildWalletPage(const VenueConnection& entry) {
  auto* page = new QWidget(this);
  page->setObjectName("walletPage");
  KeyPageLayout lay(page, "On-chain wallet (" + entry.venue + ")",
                    "The private key of the wallet Kappa signs swaps with. Whoever holds it holds the funds:<br>"
                    "use a wallet kept for trading, with only what it needs.");
  walletKey_ = secretField(page, "walletKey");
  lay.addRow("Private key", walletKey_);
  walletAddress_ = new QLabel(page);
  walletAddress_->setObjectName("walletAddress");
  walletAddress_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  lay.addRow("Address", walletAddress_);
  lay.root->addLayout(lay.form);
  auto* note = new QLabel("The key is stored in the OS keychain (entry " + kEvmWalletKey +
                              "), never in Kappa's files, logs or reports;<br>only its address is shown. "
                              "It is used from the next start of Kappa with --venue evm.",
                          page);
  note->setTextFormat(Qt::RichText);
  note->setStyleSheet(QString("color: %1; font-size: 11px;").arg(colorName(colors::dimText)));
  lay.root->addWidget(note);
  lay.root->addStretch();
  if (const auto saved = store_.profile(kEvmWalletKey); saved && saved->secretStored) storedWalletAddress_ = saved->clientId;
  connect(walletKey_, &QLineEdit::textChanged, this, &ConnectionsDialog::showWalletAddress);
  showWalletAddress();
  return page;
}

// The address of what is typed (derived, never the key), else of the stored key.
void ConnectionsDialog::showWalletAddress() {
  const QString typed = walletKey_->text();
  if (typed.trimmed().isEmpty()) {
    walletKey_->setPlaceholderText(storedWalletAddress_.isEmpty()
                                       ? "64 hex digits (0x optional)"
                                       : "•••••••• stored in the OS keychain — type a key only to replace it");
    walletAddress_->setText(storedWalletAddress_.isEmpty() ? QString("no wallet key stored (market data only)")
                                                           : storedWalletAddress_);
    return;
  }
  QString error;
  const QString address = evmAddressOfKey(typed, &error);
  walletAddress_->setText(address.isEmpty() ? error : address + "  (not saved yet)");
}

void ConnectionsDialog::saveWalletKey() {
  QString error, normalized;
  const QString typed = walletKey_->text();
  const QString address = typed.trimmed().isEmpty() ? QString() : evmAddressOfKey(typed, &error, &normalized);
  if (typed.trimmed().isEmpty()) error = storedWalletAddress_.isEmpty() ? "enter the wallet's private key" : QString();
  if (!error.isEmpty()) {
    showStatus(error, true);
    emit saveFailed(error);
    return;
  }
  if (address.isEmpty()) {  // nothing typed, a key is stored: nothing changes
    accept();
    return;
  }
  saving_ = true;
  saveButton_->setEnabled(false);
  showStatus("Saving the wallet key in the OS keychain…", false);
  const ConnectionProfile p = evmWalletProfile(address);
  store_.save(p, normalized, this, [this, p](const QString& saveError) {
    saving_ = false;
    saveButton_->setEnabled(true);
    if (!saveError.isEmpty()) {
      showStatus(saveError, true);
      emit saveFailed(saveError);
      return;
    }
    walletKey_->clear();
    storedWalletAddress_ = p.clientId;
    showWalletAddress();
    showStatus({}, false);
    ConnectionProfile savedProfile = p;
    savedProfile.secretStored = true;
    emit saved(savedProfile);
    accept();
  });
  normalized.fill(QChar(u'0'));
}

ConnectionsDialog::ApiKeyPage* ConnectionsDialog::apiPage(const QString& venue) const {
  for (const auto& page : apiPages_)
    if (page->entry.venue == venue) return page.get();
  return nullptr;
}

ConnectionProfile ConnectionsDialog::apiProfile(const ApiKeyPage& page) const {
  ConnectionProfile p;
  p.venue = page.entry.venue;
  p.url = page.url->text().trimmed();
  p.environment = p.url.isEmpty() ? "mainnet" : "custom";
  p.clientId = page.key->text().trimmed();
  p.secretStored = !page.storedKey.isEmpty() && p.key() == page.storedKey && p.clientId == page.storedApiKey;
  return p;
}

void ConnectionsDialog::loadApiPage(ApiKeyPage& page) {
  ConnectionProfile start;
  start.venue = page.entry.venue;
  start.environment = "mainnet";
  if (const QString active = store_.activeKey(page.entry.venue); !active.isEmpty())
    if (auto p = store_.profile(active)) start = *p;
  page.url->setText(start.environment == "custom" ? start.url : QString());
  page.key->setText(start.clientId);
  page.storedKey = start.secretStored ? start.key() : QString();
  page.storedApiKey = start.secretStored ? start.clientId : QString();
  emit page.key->textChanged(page.key->text());  // the secret hint
}

void ConnectionsDialog::testApiKey(ApiKeyPage& page) {
  if (!page.entry.apiKeyTester || testRunning_) return;
  const ConnectionProfile p = apiProfile(page);
  if (p.clientId.isEmpty()) return showApiResult(page, false, "enter the API key", 0);
  const QString typed = page.secret->text();
  if (!typed.isEmpty()) return runApiTester(page, {p.clientId.toStdString(), typed.toStdString()});
  if (!p.secretStored) return showApiResult(page, false, "enter the API secret", 0);
  testRunning_ = true;
  page.test->setEnabled(false);
  const std::uint64_t generation = ++testGeneration_;
  ApiKeyPage* target = &page;
  store_.readSecret(p.key(), this, [this, generation, target, p](const QString& secret, const QString& error) {
    if (generation != testGeneration_) return;
    testRunning_ = false;
    target->test->setEnabled(true);
    if (!error.isEmpty()) return showApiResult(*target, false, error, 0);
    runApiTester(*target, {p.clientId.toStdString(), secret.toStdString()});
  });
}

void ConnectionsDialog::runApiTester(ApiKeyPage& page, const ApiKeyCredentials& credentials) {
  testRunning_ = true;
  page.test->setEnabled(false);
  const std::uint64_t generation = ++testGeneration_;
  page.result->setText(QString("<span style='color:%1'>Connecting to %2 (at most %3 s)</span>")
                           .arg(colorName(colors::dimText),
                                (page.url->text().trimmed().isEmpty() ? page.entry.venue : page.url->text().trimmed()).toHtmlEscaped())
                           .arg(kTestTimeout.count() / 1000));
  auto* relay = new QObject;
  QPointer<ConnectionsDialog> self(this);
  ApiKeyPage* target = &page;
  const std::string secret = credentials.apiSecret;
  auto deliver = [relay, self, target, generation, secret](deribit::ConnectionTestResult r) {
    QMetaObject::invokeMethod(
        relay,
        [relay, self, target, generation, secret, r] {
          relay->deleteLater();
          if (!self || generation != self->testGeneration_) return;
          self->testRunning_ = false;
          target->test->setEnabled(true);
          self->showApiResult(*target, r.ok, withoutSecret(QString::fromStdString(r.message), secret), r.roundTripMs);
        },
        Qt::QueuedConnection);
  };
  ApiKeyTester tester = page.entry.apiKeyTester;
  const std::string url = page.url->text().trimmed().toStdString();
  QThreadPool::globalInstance()->start([tester, url, credentials, deliver] {
    deribit::ConnectionTestResult r;
    try {
      r = tester(url, credentials, kTestTimeout);
    } catch (const std::exception& e) {
      r.message = std::string("connection test failed: ") + e.what();
    } catch (...) {
      r.message = "connection test failed";
    }
    deliver(std::move(r));
  });
  QTimer::singleShot(kTestTimeout + std::chrono::seconds(5), this, [this, target, generation] {
    if (generation != testGeneration_ || !testRunning_) return;
    ++testGeneration_;
    testRunning_ = false;
    target->test->setEnabled(true);
    showApiResult(*target, false, QString("no answer within %1 s").arg((kTestTimeout.count() + 5000) / 1000), 0);
  });
}

void ConnectionsDialog::showApiResult(ApiKeyPage& page, bool ok, const QString& message, double roundTripMs) {
  QString head = ok ? QString("✓ Connection OK") : QString("✗ Connection failed");
  if (ok && roundTripMs > 0) head += QString(" — round trip %1 ms").arg(roundTripMs, 0, 'f', roundTripMs < 10 ? 2 : 1);
  QString html = QString("<span style='color:%1; font-weight:bold'>%2</span>")
                     .arg(colorName(ok ? colors::bid : colors::ask), head.toHtmlEscaped());
  if (!message.isEmpty())
    html += QString("<br><span style='color:%1'>%2</span>").arg(colorName(ok ? colors::text : QColor(0xff, 0xb3, 0xba)),
                                                               message.toHtmlEscaped());
  page.result->setText(html);
  page.result->setProperty("ok", ok);
  growToFit();
  emit testFinished(ok, message);
}

void ConnectionsDialog::saveApiKey(ApiKeyPage& page) {
  const ConnectionProfile p = apiProfile(page);
  const QString secret = page.secret->text();
  QString error;
  if (p.clientId.isEmpty()) error = "enter the API key";
  else if (secret.isEmpty() && !p.secretStored) error = "enter the API secret";
  else if (!p.url.isEmpty() && !QUrl(p.url, QUrl::StrictMode).isValid()) error = QString("'%1' is not a usable URL").arg(p.url);
  if (!error.isEmpty()) {
    showStatus(error, true);
    emit saveFailed(error);
    return;
  }
  saving_ = true;
  saveButton_->setEnabled(false);
  showStatus("Saving the secret in the OS keychain…", false);
  ApiKeyPage* target = &page;
  store_.save(p, secret, this, [this, p, target](const QString& saveError) {
    saving_ = false;
    saveButton_->setEnabled(true);
    if (!saveError.isEmpty()) {
      showStatus(saveError, true);
      emit saveFailed(saveError);
      return;
    }
    target->secret->clear();
    showStatus({}, false);
    ConnectionProfile savedProfile = p;
    savedProfile.secretStored = true;
    emit saved(savedProfile);
    accept();
  });
}

void ConnectionsDialog::venueChanged() {
  const int row = stack_->currentIndex();
  const bool hasCredentials = row >= 0 && std::size_t(row) < entries_.size() && entries_[std::size_t(row)].kind != CredentialKind::None;
  saveButton_->setEnabled(hasCredentials && !saving_ && !testRunning_);
  saveButton_->setToolTip(hasCredentials ? "Store the secret in the OS keychain and use this connection (Ctrl+S)"
                                         : "This venue needs no credentials");
  showStatus({}, false);
}

QStringList ConnectionsDialog::venueNames() const {
  QStringList out;
  for (const VenueConnection& e : entries_) out << e.venue;
  return out;
}

bool ConnectionsDialog::selectVenue(const QString& venue) {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].venue == venue) {
      venueList_->setCurrentRow(int(i));
      return true;
    }
  return false;
}

QString ConnectionsDialog::currentVenue() const {
  const int row = stack_->currentIndex();
  return row >= 0 && std::size_t(row) < entries_.size() ? entries_[std::size_t(row)].venue : QString();
}

QString ConnectionsDialog::venueStateText(const QString& venue) const {
  for (int i = 0; i < venueList_->count(); ++i)
    if (venueList_->item(i)->data(Qt::UserRole).toString() == venue) return venueList_->item(i)->text();
  return {};
}

void ConnectionsDialog::setVenueStates(const std::vector<VenueRow>& venues) {
  for (const VenueRow& v : venues) {
    const QString name = QString::fromStdString(v.name);
    for (int i = 0; i < venueList_->count(); ++i) {
      QListWidgetItem* item = venueList_->item(i);
      if (item->data(Qt::UserRole).toString() != name) continue;
      const QString text = name + " — " + QString(nameOf(v.state)).toUpper();
      if (item->text() != text) item->setText(text);
      const QColor c = v.state == VenueState::Connected ? colors::bid
                       : v.state == VenueState::Connecting ? colors::last
                                                           : colors::ask;
      item->setForeground(c);
      QString tip = name;
      if (!v.environment.empty()) tip += " · " + QString::fromStdString(v.environment);
      tip += " · " + QString(nameOf(v.state));
      if (!v.detail.empty()) tip += "\n" + QString::fromStdString(v.detail);
      item->setToolTip(tip);
    }
  }
}

QLineEdit* ConnectionsDialog::apiKeyEdit(const QString& venue) const { auto* p = apiPage(venue); return p ? p->key : nullptr; }
QLineEdit* ConnectionsDialog::apiSecretEdit(const QString& venue) const { auto* p = apiPage(venue); return p ? p->secret : nullptr; }
QLineEdit* ConnectionsDialog::apiUrlEdit(const QString& venue) const { auto* p = apiPage(venue); return p ? p->url : nullptr; }
QPushButton* ConnectionsDialog::apiTestButton(const QString& venue) const { auto* p = apiPage(venue); return p ? p->test : nullptr; }
QLabel* ConnectionsDialog::apiTestResultLabel(const QString& venue) const { auto* p = apiPage(venue); return p ? p->result : nullptr; }

}  // namespace kappa::ui
