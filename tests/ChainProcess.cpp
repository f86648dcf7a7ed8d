#include "ChainProcess.hpp"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QThread>

#include <signal.h>

#include "PeerProcess.hpp"

namespace kappa::test {

QString ChainProcess::start(const QString& binary, const ChainOptions& o, const QString& stderrFile) {
  QStringList args{"--chain"};
  switch (o.mining) {
    case ChainOptions::Mining::Auto:
      args << "--automine";
      break;
    case ChainOptions::Mining::Manual:
      args << "--no-mining";
      break;
    case ChainOptions::Mining::Interval:
      args << "--block-time" << QString::number(o.blockTimeSeconds);
      break;
  }
  if (!o.trader) args << "--no-trader";
  if (o.traderPeriodSeconds > 0) args << "--trader-period" << QString::number(o.traderPeriodSeconds);
  args << "--seed" << QString::number(o.seed);
  if (!o.anvilLog.isEmpty()) args << "--anvil-log" << o.anvilLog;
  if (!o.addressesOut.isEmpty()) args << "--addresses-out" << o.addressesOut;

  process_.setProgram(binary);
  process_.setArguments(args);
  process_.setProcessChannelMode(QProcess::SeparateChannels);
  if (!stderrFile.isEmpty()) process_.setStandardErrorFile(stderrFile);
  QElapsedTimer t;
  t.start();
  if (const QString why = startPeer(process_, "kappa-exchange --chain"); !why.isEmpty()) return why;
  QStringList lines;
  while (lines.size() < 2 && t.elapsed() < 60000 && process_.state() == QProcess::Running) {
    if (process_.canReadLine())
      lines << QString::fromUtf8(process_.readLine()).trimmed();
    else
      process_.waitForReadyRead(200);
  }
  while (lines.size() < 2 && process_.canReadLine()) lines << QString::fromUtf8(process_.readLine()).trimmed();
  startMs_ = t.elapsed();
  if (lines.size() < 2) {
    const QString err = stderrFile.isEmpty() ? QString::fromUtf8(process_.readAllStandardError()) : QString();
    return QString("kappa-exchange --chain gave %1 of its 2 lines in %2 ms (%3)%4")
        .arg(lines.size())
        .arg(t.elapsed())
        .arg(process_.state() == QProcess::Running ? "running" : "exited")
        .arg(err.isEmpty() ? QString() : ": " + err.trimmed());
  }
  const QRegularExpressionMatch m = QRegularExpression(R"(^http://127\.0\.0\.1:(\d+)$)").match(lines[0]);
  if (!m.hasMatch()) return "kappa-exchange --chain's first line: '" + lines[0] + "'";
  url_ = lines[0];
  port_ = m.captured(1).toInt();
  QJsonParseError pe;
  deployment_ = QJsonDocument::fromJson(lines[1].toUtf8(), &pe).object();
  if (pe.error != QJsonParseError::NoError || deployment_.isEmpty())
    return "kappa-exchange --chain's second line is not the deployment's JSON: " + pe.errorString();
  return {};
}

int ChainProcess::stop() { return stopPeer(process_, 10000); }

void ChainProcess::kill() { killPeer(process_); }

QJsonValue ChainProcess::rpc(const QString& method, const QJsonArray& params, QString* error) const {
  static int nextId = 1;
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return QJsonValue(QJsonValue::Undefined);
  };
  const QByteArray body =
      QJsonDocument(QJsonObject{{"jsonrpc", "2.0"}, {"id", nextId++}, {"method", method}, {"params", params}}).toJson(QJsonDocument::Compact);
  QTcpSocket s;
  s.connectToHost("127.0.0.1", quint16(port_));
  if (!s.waitForConnected(5000)) return fail("connect: " + s.errorString());
  s.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
          QByteArray::number(body.size()) + "\r\n\r\n" + body);
  QByteArray response;
  QElapsedTimer t;
  t.start();
  // Read until the whole body (Content-Length) is in, or the server closes, or 10 s.
  for (;;) {
    const int headerEnd = response.indexOf("\r\n\r\n");
    if (headerEnd >= 0) {
      const QRegularExpressionMatch m =
          QRegularExpression(R"(content-length:\s*(\d+))", QRegularExpression::CaseInsensitiveOption).match(QString::fromLatin1(response.left(headerEnd)));
      if (m.hasMatch() && response.size() - headerEnd - 4 >= m.captured(1).toLongLong()) break;
    }
    if (s.state() == QAbstractSocket::UnconnectedState || t.elapsed() > 10000) break;
    if (s.waitForReadyRead(200)) response += s.readAll();
  }
  response += s.readAll();
  const int headerEnd = response.indexOf("\r\n\r\n");
  if (headerEnd < 0) return fail("no HTTP answer within 10 s");
  const QJsonObject answer = QJsonDocument::fromJson(response.mid(headerEnd + 4)).object();
  if (answer.contains("error"))
    return fail(QString::fromUtf8(QJsonDocument(answer["error"].toObject()).toJson(QJsonDocument::Compact)));
  if (!answer.contains("result")) return fail("not a JSON-RPC answer: " + QString::fromUtf8(response.left(300)));
  if (error) error->clear();
  return answer["result"];
}

bool processAlive(qint64 pid) {
  if (pid <= 0) return false;
  if (::kill(pid_t(pid), 0) != 0) return false;  // ESRCH: gone (EPERM cannot happen for our own children)
  QFile stat(QString("/proc/%1/stat").arg(pid));
  if (!stat.open(QIODevice::ReadOnly)) return false;
  const QByteArray text = stat.readAll();
  const int close = text.lastIndexOf(')');  // "PID (comm) STATE ..."; comm may hold spaces
  return close < 0 || text.mid(close + 2, 1) != "Z";
}

}  // namespace kappa::test
