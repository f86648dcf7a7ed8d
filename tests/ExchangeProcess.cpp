#include "ExchangeProcess.hpp"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>

namespace kappa::test {

QString ExchangeProcess::start(const QString& binary, const QStringList& args, const QString& stderrFile) {
  port_ = 0;
  process_.setProgram(binary);
  process_.setArguments(QStringList{"--listen", "127.0.0.1:0"} + args);
  process_.setProcessChannelMode(QProcess::SeparateChannels);
  if (!stderrFile.isEmpty()) process_.setStandardErrorFile(stderrFile);
  process_.start();
  if (!process_.waitForStarted(10000)) return "kappa-exchange did not start: " + process_.errorString();
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

QJsonObject exchangeGet(int port, const QString& method, const QUrlQuery& query, const QString& bearer) {
  QTcpSocket s;
  s.connectToHost("127.0.0.1", quint16(port));
  if (!s.waitForConnected(5000)) return {};
  QByteArray request = "GET /api/v2/" + method.toUtf8() + "?" + query.toString(QUrl::FullyEncoded).toUtf8() +
                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!bearer.isEmpty()) request += "Authorization: Bearer " + bearer.toUtf8() + "\r\n";
  s.write(request + "\r\n");
  QByteArray response;
  QElapsedTimer t;
  t.start();
  while (s.state() != QAbstractSocket::UnconnectedState && t.elapsed() < 10000)
    if (s.waitForReadyRead(200)) response += s.readAll();
  response += s.readAll();
  const int body = response.indexOf("\r\n\r\n");
  return body < 0 ? QJsonObject() : QJsonDocument::fromJson(response.mid(body + 4)).object();
}

QString ExchangeProcess::login(const QString& clientId, const QString& secret) const {
  QUrlQuery q;
  q.addQueryItem("grant_type", "client_credentials");
  q.addQueryItem("client_id", clientId);
  q.addQueryItem("client_secret", secret);
  return get("public/auth", q)["result"].toObject()["access_token"].toString();
}

int ExchangeProcess::stop() {
  if (process_.state() != QProcess::NotRunning) {
    process_.terminate();
    if (!process_.waitForFinished(5000)) {
      process_.kill();
      process_.waitForFinished(5000);
      return -1;
    }
  }
  return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
}

}  // namespace kappa::test
