#pragma once
// A real nats-server for a test (Debian's /usr/sbin/nats-server): its configuration written into a
// temporary directory (listen on 127.0.0.1 with a free port, or a given one; JetStream stored in
// that directory; optional TLS), the desk roles of docs/desk/nats-server-roles.conf included, the
// port read from the ports file the server writes (--ports_file_dir), stopped by its own pid. The
// roles' passwords are random per server and reach nats-server only through its environment.
// kill() then restart() brings the server back on the same port with the same JetStream store.
// Every wait is bounded.
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include "TestPaths.hpp"

namespace kappa::test {

class NatsServerProcess {
 public:
  struct Options {
    int port = -1;            // -1: a free port chosen by the server
    bool roles = true;        // include the roles file (else: no authorization at all)
    // The roles file, or another authorization part to include: operator mode's operator, resolver
    // and accounts (tests/peers/nats_creds.mjs writes one).
    QString rolesFile = natsRolesFile();
    bool jetstream = true;
    // TLS (all three files, or none): the server's certificate and key, and the CA it trusts for
    // client certificates; verifyClients makes a client certificate mandatory.
    QString tlsCert, tlsKey, tlsCa;
    bool verifyClients = false;
  };

  // The desk's users (the roles file's).
  static QStringList users() { return {"engine-a", "engine-b", "trader", "risk", "viewer"}; }
  // The environment variable holding a user's password for nats-server ($KAPPA_NATS_PW_ENGINE_A).
  static QString passwordVariable(const QString& user);

  NatsServerProcess();
  ~NatsServerProcess() { stop(); }
  NatsServerProcess(const NatsServerProcess&) = delete;
  NatsServerProcess& operator=(const NatsServerProcess&) = delete;

  // "" once the server listens, else why not (with the end of its log).
  QString start(const Options& options);
  QString start();  // default Options
  // Starts again on the same port, same JetStream store, same passwords (after kill() or stop()).
  QString restart();
  // SIGTERM, SIGKILL after 5 s. Its exit code after a clean exit, else -1.
  int stop();
  // SIGKILL: the server vanishes without a goodbye (a crashed or unplugged desk server).
  void kill();

  bool running() const { return process_.state() != QProcess::NotRunning; }
  qint64 pid() const { return process_.processId(); }
  int port() const { return port_; }
  // nats://127.0.0.1:PORT, or tls://127.0.0.1:PORT with TLS.
  QString url() const;
  QString password(const QString& user) const { return passwords_.value(user); }
  QString directory() const { return dir_.path(); }
  QString log() const;  // the server's log file so far

 private:
  QString writeConfig();
  QString launch();

  QTemporaryDir dir_;
  Options options_;
  QMap<QString, QString> passwords_;
  QProcess process_;
  int port_ = 0;
};

}  // namespace kappa::test
