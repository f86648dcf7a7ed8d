#pragma once
// The start and stop every peer process of the tests shares (nats-server, kappa-exchange and its
// --chain, a kappa engine): a bounded wait for it to start, and a stop by its own pid that ends
// in SIGKILL when SIGTERM is not enough. Never by name.
#include <QProcess>
#include <QString>

namespace kappa::test {

// Starts `process` (its program and arguments set): "" once it runs, else "<label> did not start: why".
// The peer gets SIGTERM from the kernel if the test process dies first.
QString startPeer(QProcess& process, const QString& label);
// SIGTERM, then SIGKILL after `graceMs`. Its exit code after a clean exit, else -1 (killed, crashed).
int stopPeer(QProcess& process, int graceMs = 5000);
// SIGKILL to this pid only, waited for (bounded): the process vanishes without a goodbye.
void killPeer(QProcess& process);

}  // namespace kappa::test
