#include "NatsServerProcess.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QThread>

#include "PeerProcess.hpp"

namespace kappa::test {

namespace {
const char* kServerBinary = "/usr/sbin/nats-server";

// Letters and digits, starting with a letter: nats-server parses the environment variable's value
// as a configuration value (a leading digit could make it a number).
QString randomPassword() {
  static const char letters[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  auto* rng = QRandomGenerator::system();
  QString p(QChar(letters[rng->bounded(int(sizeof(letters) - 1))]));
  for (int i = 1; i < 24; ++i) p += QChar(alphabet[rng->bounded(int(sizeof(alphabet) - 1))]);
  return p;
}

// A quoted string for the server's configuration.
QString quoted(const QString& s) { return '"' + QString(s).replace('\\', "\\\\").replace('"', "\\\"") + '"'; }
}  // namespace

QString NatsServerProcess::passwordVariable(const QString& user) {
  return "KAPPA_NATS_PW_" + user.toUpper().replace('-', '_');
}

NatsServerProcess::NatsServerProcess() {
  for (const QString& u : users()) passwords_[u] = randomPassword();
}

QString NatsServerProcess::url() const {
  return QString("%1://127.0.0.1:%2").arg(options_.tlsCert.isEmpty() ? "nats" : "tls").arg(port_);
}

QString NatsServerProcess::log() const {
  QFile f(QDir(dir_.path()).filePath("nats-server.log"));
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QString NatsServerProcess::writeConfig() {
  const QDir d(dir_.path());
  QString conf;
  conf += "# written by the test harness (tests/NatsServerProcess.cpp)\n";
  conf += QString("listen: \"127.0.0.1:%1\"\n").arg(options_.port);
  conf += "server_name: kappa_test\n";
  conf += "max_payload: 8MB\n";
  conf += "ports_file_dir: " + quoted(d.filePath("ports")) + "\n";
  if (options_.jetstream)
    conf += "jetstream {\n  store_dir: " + quoted(d.filePath("jetstream")) +
            "\n  max_memory_store: 64MB\n  max_file_store: 256MB\n}\n";
  if (!options_.tlsCert.isEmpty()) {
    conf += "tls {\n  cert_file: " + quoted(options_.tlsCert) + "\n  key_file: " + quoted(options_.tlsKey) + "\n";
    if (!options_.tlsCa.isEmpty()) conf += "  ca_file: " + quoted(options_.tlsCa) + "\n";
    conf += QString("  verify: %1\n  timeout: 2\n}\n").arg(options_.verifyClients ? "true" : "false");
  }
  if (options_.roles) {
    // nats-server resolves include paths against the including file's directory: the roles file
    // is copied next to it (same content as docs/desk, which is what the test checks).
    const QString included = QFileInfo(options_.rolesFile).fileName();
    QFile::remove(d.filePath(included));
    if (!QFile::copy(options_.rolesFile, d.filePath(included)))
      return "cannot copy the roles file '" + options_.rolesFile + "'";
    conf += "include " + quoted(included) + "\n";
  }
  QFile f(d.filePath("nats-server.conf"));
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return "cannot write " + f.fileName();
  f.write(conf.toUtf8());
  return {};
}

QString NatsServerProcess::launch() {
  const QDir d(dir_.path());
  // The ports file comes before the server has loaded its accounts: in operator mode a client that
  // connects then is refused ("authentication refused"). Ready is when the log says so (the log
  // file is appended to across restarts: one more "ready" than before).
  const qsizetype readyBefore = log().count(QStringLiteral("Server is ready"));
  QDir(d.filePath("ports")).removeRecursively();
  d.mkpath("ports");
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  for (auto it = passwords_.cbegin(); it != passwords_.cend(); ++it) env.insert(passwordVariable(it.key()), it.value());
  process_.setProcessEnvironment(env);
  process_.setWorkingDirectory(dir_.path());
  process_.setProgram(kServerBinary);
  process_.setArguments({"-c", d.filePath("nats-server.conf"), "-l", d.filePath("nats-server.log")});
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.setStandardOutputFile(d.filePath("nats-server.out"), QIODevice::Append);
  if (const QString why = startPeer(process_, "nats-server"); !why.isEmpty()) return why;

  // The server writes <name>_<pid>.ports once it listens: {"nats": ["nats://127.0.0.1:PORT"], ...}
  // Generous: on a loaded 2-core machine a starting server has been seen to take more than 15 s.
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < 30000) {
    if (process_.state() == QProcess::NotRunning)
      return "nats-server exited at start (" + QString::number(process_.exitCode()) + "): " + log().right(2000);
    const QStringList files = QDir(d.filePath("ports")).entryList({"*.ports"}, QDir::Files);
    if (!files.isEmpty()) {
      QFile f(QDir(d.filePath("ports")).filePath(files.first()));
      if (f.open(QIODevice::ReadOnly)) {
        const QJsonArray urls = QJsonDocument::fromJson(f.readAll()).object().value("nats").toArray();
        if (!urls.isEmpty()) {
          const QRegularExpressionMatch m = QRegularExpression(R"(:(\d+)$)").match(urls.first().toString());
          if (m.hasMatch() && log().count(QStringLiteral("Server is ready")) > readyBefore) {
            port_ = m.captured(1).toInt();
            return {};
          }
        }
      }
    }
    QThread::msleep(20);
  }
  const bool wasRunning = running();
  stop();
  QFile out(d.filePath("nats-server.out"));
  const QString outText = out.open(QIODevice::ReadOnly) ? QString::fromUtf8(out.readAll()).right(1000) : QString();
  return QString("nats-server (%1) wrote no ports file within 30 s; log: '%2'; output: '%3'")
      .arg(wasRunning ? "running" : "exited", log().right(2000), outText);
}

QString NatsServerProcess::start(const Options& options) {
  if (!dir_.isValid()) return "no temporary directory";
  if (running()) return "already running";
  options_ = options;
  if (options_.roles && options_.rolesFile.isEmpty()) return "no roles file (kappa::test::natsRolesFile())";
  if (const QString bad = writeConfig(); !bad.isEmpty()) return bad;
  return launch();
}

QString NatsServerProcess::start() { return start(Options()); }

QString NatsServerProcess::restart() {
  if (running()) return "still running";
  if (port_ <= 0) return "never started";
  options_.port = port_;  // the same port, so that clients reconnect to the URL they know
  if (const QString bad = writeConfig(); !bad.isEmpty()) return bad;
  // The killed server's port may take a moment to be free again (the server then exits at once).
  QElapsedTimer t;
  t.start();
  QString why;
  do {
    why = launch();
    if (why.isEmpty()) return {};
    QThread::msleep(250);
  } while (t.elapsed() < 10000);
  return why;
}

int NatsServerProcess::stop() { return stopPeer(process_); }

void NatsServerProcess::kill() { killPeer(process_); }

}  // namespace kappa::test
