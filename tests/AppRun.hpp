#pragma once
// The kappa executable run by a test as a trader would run it headless: credentials in its
// environment (never on its command line), bounded by a timeout, then what it printed and the
// report it wrote (--report), and where a secret could have leaked from that run.
#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace kappa::test {

struct AppRun {
  QByteArray out, err;     // kappa's stdout and stderr
  QByteArray reportBytes;  // the report file as written
  QJsonObject report;      // ... parsed
  QString problem;         // why the run is not a clean one (did not start or finish, crashed, exit code, no report)
};

// Runs `binary ARGS` (ARGS should include --report REPORT) with `env` added to the process
// environment; waits at most `timeoutMs`, then kills it.
AppRun runKappa(const QString& binary, const QStringList& args, const QList<QPair<QString, QString>>& env,
                const QString& reportPath, int timeoutMs);

// Every place the run could have leaked `secret` (the data dir, the report, stdout, stderr), in
// any encoding SecretScan knows: one line per finding, empty when there is none.
QStringList secretLeaks(const AppRun& run, const QString& dataDir, const QByteArray& secret);

}  // namespace kappa::test
