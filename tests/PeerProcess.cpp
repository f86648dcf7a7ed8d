#include "PeerProcess.hpp"

namespace kappa::test {

QString startPeer(QProcess& process, const QString& label) {
  process.start();
  if (!process.waitForStarted(10000)) return label + " did not start: " + process.errorString();
  return {};
}

int stopPeer(QProcess& process, int graceMs) {
  if (process.state() != QProcess::NotRunning) {
    process.terminate();
    if (!process.waitForFinished(graceMs)) {
      process.kill();
      process.waitForFinished(5000);
      return -1;
    }
  }
  return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

void killPeer(QProcess& process) {
  if (process.state() == QProcess::NotRunning) return;
  process.kill();
  process.waitForFinished(5000);
}

}  // namespace kappa::test
