#pragma once
// The risk manager's command line for the desk, without a window:
//   kappa desk-halt nats://HOST:PORT --reason TEXT [--lift]   halts (or lifts the halt of) every engine
//   kappa desk-limits nats://HOST:PORT --file LIMITS.json     sets the desk limits (docs/desk.md)
// User and password from KAPPA_NATS_USER / KAPPA_NATS_PASSWORD (or --nats-creds), TLS with --tls-ca.
// Exit status 0 only when the server accepted it; 1 with the reason when it did not (refused
// permission, no server, wrong password); 2 for a bad command line.
#include <QStringList>

namespace kappa::app {

// True when `arguments` (argv) name a desk command (argv[1] is desk-halt or desk-limits).
bool isDeskCommand(const QStringList& arguments);
int runDeskCommand(const QStringList& arguments);

}  // namespace kappa::app
