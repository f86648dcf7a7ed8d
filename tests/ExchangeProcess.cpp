#include "ExchangeProcess.hpp"

#include <QElapsedTimer>
#include <QRegularExpression>

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
  const QString first = QString::fromUtf8(process_.readLine()).trimmed();
  const QRegularExpressionMatch m = QRegularExpression(R"(^listening wss?://127\.0\.0\.1:(\d+)/ws/api/v2$)").match(first);
  if (!m.hasMatch()) return "kappa-exchange's first line: '" + first + "'";
  port_ = m.captured(1).toInt();
  return {};
}

void ExchangeProcess::stop() {
  if (process_.state() == QProcess::NotRunning) return;
  process_.terminate();
  if (!process_.waitForFinished(5000)) process_.kill();
  process_.waitForFinished(5000);
}

}  // namespace kappa::test
