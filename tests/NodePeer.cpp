#include "NodePeer.hpp"

#include <QFileInfo>
#include <QProcess>

namespace kappa::test {

NodePeerRun runNodePeer(const QString& node, const QString& script, const QStringList& args, int timeoutMs) {
  NodePeerRun run;
  if (!QFileInfo(node).isExecutable()) {
    run.problem = "Node.js not found: ./dev test installs it";
    return run;
  }
  QProcess p;
  p.setProcessChannelMode(QProcess::SeparateChannels);
  p.start(node, QStringList{script} + args);
  if (!p.waitForStarted(10'000)) {
    run.problem = "node did not start: " + p.errorString();
    return run;
  }
  if (!p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished(5'000);
    run.problem = QString("%1 did not finish in %2 s").arg(QFileInfo(script).fileName()).arg(timeoutMs / 1000);
  }
  run.out = QString::fromUtf8(p.readAllStandardOutput());
  run.err = QString::fromUtf8(p.readAllStandardError());
  for (const QString& line : run.out.split('\n')) {
    if (line.startsWith("PASS")) run.passed << line.mid(4).trimmed();
    if (line.startsWith("FAIL")) run.failed << line.mid(4).trimmed();
  }
  if (run.problem.isEmpty() && p.exitStatus() != QProcess::NormalExit) run.problem = "node crashed";
  if (run.problem.isEmpty() && p.exitCode() != 0) run.problem = QString("node exited with %1").arg(p.exitCode());
  return run;
}

QString peerRunFailure(const NodePeerRun& run, const QString& label, int minPassed) {
  if (!run.failed.isEmpty()) return label + " checks failed:\n" + run.failed.join('\n') + "\n" + run.err.right(2000);
  if (!run.problem.isEmpty()) return label + ": " + run.problem + "\n" + run.out.right(2000) + run.err.right(2000);
  if (run.passed.size() < minPassed)
    return QString("%1: only %2 checks passed (of at least %3):\n%4").arg(label).arg(run.passed.size()).arg(minPassed).arg(run.out);
  return {};
}

}  // namespace kappa::test
