#pragma once
// An independent client run as a peer of the test: `node SCRIPT ARGS` (a script under tests/peers,
// typically given the kappa-exchange binary to start and stop by its own pid), bounded by a
// timeout, its stdout read as one check a line ("PASS name" / "FAIL name: why").
#include <QString>
#include <QStringList>

namespace kappa::test {

struct NodePeerRun {
  QString out, err;           // the script's stdout and stderr
  QStringList passed, failed; // the checks, without their PASS/FAIL prefix
  QString problem;            // why the run itself is not a pass (not started, timed out, crashed, exit code)
};

// Runs the script with `node`; waits at most `timeoutMs` (the script bounds its own run: this is
// the backstop), then kills it.
NodePeerRun runNodePeer(const QString& node, const QString& script, const QStringList& args, int timeoutMs);

// What is wrong with a run, in words for the test's failure message, or "" when the script ran to
// a clean exit, no check failed and at least `minPassed` passed (every check of the script ran).
// `label` names the peer in the messages ("ccxt").
QString peerRunFailure(const NodePeerRun& run, const QString& label, int minPassed);

}  // namespace kappa::test
