#pragma once
// A real kappa-exchange for a test: started on 127.0.0.1 with port 0, its port read from the first
// line of its stdout ("listening ws://127.0.0.1:PORT/ws/api/v2"), stopped by its own pid. Every wait
// is bounded.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QUrlQuery>
#include <QString>
#include <QStringList>
#include "TestPaths.hpp"

namespace kappa::test {

// One request to a kappa-exchange's HTTP API on 127.0.0.1:PORT (GET /api/v2/METHOD?QUERY, with a
// Bearer token for private methods): the exchange's own view, independent of the connector. The
// JSON-RPC answer object ({"result": …} or {"error": …}); empty if there was none within 10 s.
QJsonObject exchangeGet(int port, const QString& method, const QUrlQuery& query = {}, const QString& bearer = {});

// A signed request to the exchange's Binance side (VERB /fapi/...?QUERY&timestamp&signature, key in
// X-MBX-APIKEY): the exchange's own view for an account. The answer's JSON (null if none in 10 s).
QJsonDocument binanceSigned(int port, const QString& verb, const QString& path, const QString& query,
                            const QString& apiKey, const QString& secret);

// POST /kappa/binance/fault?QUERY on the exchange (loopback only, its own connection, never counted
// against an account): the HTTP status (0 without an answer in 10 s) and, on 200, its JSON answer.
struct ExchangeAnswer {
  int status = 0;
  QJsonObject json;
};
ExchangeAnswer binanceFault(int port, const QString& query);

// The kappa-exchange to run: $KAPPA_EXCHANGE_BINARY when set, else the one built with the tests.
inline QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? builtExchangeBinary() : QString::fromLocal8Bit(env);
}

class ExchangeProcess {
 public:
  ~ExchangeProcess() { stop(); }
  // Starts `binary --listen 127.0.0.1:0 ARGS`; stderr goes to `stderrFile` if given. Returns "" once
  // it listens, else why not.
  QString start(const QString& binary, const QStringList& args, const QString& stderrFile = {});
  // SIGTERM, then SIGKILL after 5 s. Its exit code after a clean exit, else -1 (killed, crashed).
  int stop();
  int port() const { return port_; }
  bool tls() const { return tls_; }
  QString firstLine() const { return firstLine_; }
  QByteArray stderrText() { return process_.readAllStandardError(); }  // when not sent to a file
  QString url() const { return QString("%1://127.0.0.1:%2/ws/api/v2").arg(tls_ ? "wss" : "ws").arg(port_); }
  QProcess& process() { return process_; }
  // exchangeGet() on this exchange.
  QJsonObject get(const QString& method, const QUrlQuery& query = {}, const QString& bearer = {}) const {
    return exchangeGet(port_, method, query, bearer);
  }
  // public/auth with client_credentials: the access token, or "" if refused.
  QString login(const QString& clientId, const QString& secret) const;

 private:
  QProcess process_;
  QString firstLine_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace kappa::test
