#include "ExchangeProcess.hpp"

#include <QDateTime>
#include <QElapsedTimer>
#include <QMessageAuthenticationCode>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>

#include "PeerProcess.hpp"

namespace kappa::test {

QString ExchangeProcess::start(const QString& binary, const QStringList& args, const QString& stderrFile) {
  port_ = 0;
  process_.setProgram(binary);
  process_.setArguments(QStringList{"--listen", "127.0.0.1:0"} + args);
  process_.setProcessChannelMode(QProcess::SeparateChannels);
  if (!stderrFile.isEmpty()) process_.setStandardErrorFile(stderrFile);
  if (const QString why = startPeer(process_, "kappa-exchange"); !why.isEmpty()) return why;
  QElapsedTimer t;
  t.start();
  while (!process_.canReadLine() && t.elapsed() < 15000) process_.waitForReadyRead(200);
  firstLine_ = QString::fromUtf8(process_.readLine()).trimmed();
  const QRegularExpressionMatch m = QRegularExpression(R"(^listening (wss?)://127\.0\.0\.1:(\d+)/ws/api/v2$)").match(firstLine_);
  if (!m.hasMatch()) return "kappa-exchange's first line: '" + firstLine_ + "'";
  tls_ = m.captured(1) == "wss";
  port_ = m.captured(2).toInt();
  return {};
}

namespace {
// One HTTP/1.1 request on 127.0.0.1:PORT: the status (0 without an answer in 10 s) and the body.
std::pair<int, QByteArray> httpCall(int port, const QByteArray& verb, const QByteArray& target, const QByteArray& headers) {
  QTcpSocket s;
  s.connectToHost("127.0.0.1", quint16(port));
  if (!s.waitForConnected(5000)) return {0, {}};
  s.write(verb + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n" +
          headers + "\r\n");
  QByteArray response;
  QElapsedTimer t;
  t.start();
  while (s.state() != QAbstractSocket::UnconnectedState && t.elapsed() < 10000)
    if (s.waitForReadyRead(200)) response += s.readAll();
  response += s.readAll();
  const int body = response.indexOf("\r\n\r\n");
  if (body < 0 || !response.startsWith("HTTP/1.1 ")) return {0, {}};
  return {response.mid(9, 3).toInt(), response.mid(body + 4)};
}

// The same, the body parsed as JSON (null if none).
QJsonDocument httpJson(int port, const QByteArray& verb, const QByteArray& target, const QByteArray& headers) {
  const auto [status, body] = httpCall(port, verb, target, headers);
  return status == 0 ? QJsonDocument() : QJsonDocument::fromJson(body);
}
}  // namespace

QJsonObject exchangeGet(int port, const QString& method, const QUrlQuery& query, const QString& bearer) {
  const QByteArray auth = bearer.isEmpty() ? QByteArray() : "Authorization: Bearer " + bearer.toUtf8() + "\r\n";
  return httpJson(port, "GET", "/api/v2/" + method.toUtf8() + "?" + query.toString(QUrl::FullyEncoded).toUtf8(), auth)
      .object();
}

QJsonDocument binanceSigned(int port, const QString& verb, const QString& path, const QString& query,
                            const QString& apiKey, const QString& secret) {
  const QByteArray signedQuery = (query.isEmpty() ? QString() : query + "&").toUtf8() + "timestamp=" +
                                 QByteArray::number(QDateTime::currentMSecsSinceEpoch());
  const QByteArray signature =
      QMessageAuthenticationCode::hash(signedQuery, secret.toUtf8(), QCryptographicHash::Sha256).toHex();
  return httpJson(port, verb.toUtf8(), path.toUtf8() + "?" + signedQuery + "&signature=" + signature,
                  "X-MBX-APIKEY: " + apiKey.toUtf8() + "\r\n");
}

ExchangeAnswer binanceFault(int port, const QString& query) {
  const auto [status, body] = httpCall(port, "POST", "/kappa/binance/fault?" + query.toUtf8(), {});
  return {status, status == 200 ? QJsonDocument::fromJson(body).object() : QJsonObject()};
}

QString ExchangeProcess::login(const QString& clientId, const QString& secret) const {
  QUrlQuery q;
  q.addQueryItem("grant_type", "client_credentials");
  q.addQueryItem("client_id", clientId);
  q.addQueryItem("client_secret", secret);
  return get("public/auth", q)["result"].toObject()["access_token"].toString();
}

int ExchangeProcess::stop() { return stopPeer(process_); }

}  // namespace kappa::test
