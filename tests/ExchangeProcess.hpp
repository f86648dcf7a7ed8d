#pragma once
// A real kappa-exchange for a test: started on 127.0.0.1 with port 0, its port read from the first
// line of its stdout ("listening ws://127.0.0.1:PORT/ws/api/v2"), stopped by its own pid. Every wait
// is bounded.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace kappa::test {

class ExchangeProcess {
 public:
  ~ExchangeProcess() { stop(); }
  // Starts `binary --listen 127.0.0.1:0 ARGS`; stderr goes to `stderrFile` if given. Returns "" once
  // it listens, else why not.
  QString start(const QString& binary, const QStringList& args, const QString& stderrFile = {});
  // SIGTERM, then SIGKILL after 5 s.
  void stop();
  int port() const { return port_; }
  QString url() const { return QString("ws://127.0.0.1:%1/ws/api/v2").arg(port_); }
  QProcess& process() { return process_; }

 private:
  QProcess process_;
  int port_ = 0;
};

}  // namespace kappa::test
