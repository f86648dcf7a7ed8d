#pragma once
// `kappa --headless --serve URL --engine-name NAME` on the simulator, as an engine's host runs it:
// its NATS user engine-NAME with the password in its environment (never on its command line), its
// own data directory, stopped by its own pid (SIGTERM, then SIGKILL after 15 s). Every wait is
// bounded.
#include <QProcess>
#include <QString>
#include <QStringList>

#include "NatsServerProcess.hpp"

namespace kappa::test {

class ServedEngine {
 public:
  ServedEngine(QString name, QString dataDir) : name_(std::move(name)), dataDir_(std::move(dataDir)) {}
  ~ServedEngine() { stop(); }
  ServedEngine(const ServedEngine&) = delete;
  ServedEngine& operator=(const ServedEngine&) = delete;

  // Starts it with `options` after the serving ones (--command-users, --risk-users, --seed, ...).
  // "" once the process runs (serving follows a moment later), else why not.
  QString start(const NatsServerProcess& server, const QStringList& options);
  // SIGTERM and its exit code (-1: had to be killed, or never ran).
  int stop();

  qint64 pid() const { return process_.processId(); }
  bool running() const { return process_.state() != QProcess::NotRunning; }
  QString output() { return QString::fromUtf8(process_.readAll()); }
  const QString& dataDir() const { return dataDir_; }

 private:
  QString name_, dataDir_;
  QProcess process_;
};

}  // namespace kappa::test
