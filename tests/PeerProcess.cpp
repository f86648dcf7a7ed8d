#include "PeerProcess.hpp"

#include <sys/prctl.h>

#include <csignal>

namespace kappa::test {

QString startPeer(QProcess& process, const QString& label) {
  // A test that crashes runs no destructor: the kernel then sends the peer SIGTERM, which it takes
  // as a normal stop (kappa-exchange --chain stops its anvil), so no peer outlives its test holding
  // a port, a data directory or a file descriptor it inherited.
  process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
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
