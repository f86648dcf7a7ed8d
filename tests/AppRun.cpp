#include "AppRun.hpp"

#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>

#include "SecretScan.hpp"

namespace kappa::test {

AppRun runKappa(const QString& binary, const QStringList& args, const QList<QPair<QString, QString>>& env,
                const QString& reportPath, int timeoutMs) {
  AppRun run;
  QProcess kappa;
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  for (const auto& [name, value] : env) e.insert(name, value);
  kappa.setProcessEnvironment(e);
  kappa.start(binary, args);
  if (!kappa.waitForStarted(10000)) {
    run.problem = "kappa did not start: " + kappa.errorString();
    return run;
  }
  if (!kappa.waitForFinished(timeoutMs)) {
    kappa.kill();
    kappa.waitForFinished(5000);
    run.problem = QString("kappa did not finish in %1 s").arg(timeoutMs / 1000);
  }
  run.out = kappa.readAllStandardOutput();
  run.err = kappa.readAllStandardError();
  if (run.problem.isEmpty() && kappa.exitStatus() != QProcess::NormalExit) run.problem = "kappa crashed";
  if (run.problem.isEmpty() && kappa.exitCode() != 0)
    run.problem = QString("kappa exited with %1: ").arg(kappa.exitCode()) + QString::fromUtf8(run.err.right(3000));
  QFile f(reportPath);
  if (f.open(QIODevice::ReadOnly)) {
    run.reportBytes = f.readAll();
    run.report = QJsonDocument::fromJson(run.reportBytes).object();
  }
  if (run.problem.isEmpty() && run.report.isEmpty()) run.problem = "no report at " + reportPath;
  return run;
}

QStringList secretLeaks(const AppRun& run, const QString& dataDir, const QByteArray& secret) {
  QStringList hits = findSecretInTree(dataDir, secret);
  hits += findSecretInBytes(run.reportBytes, secret, "report");
  hits += findSecretInBytes(run.out, secret, "stdout");
  hits += findSecretInBytes(run.err, secret, "stderr");
  return hits;
}

}  // namespace kappa::test
