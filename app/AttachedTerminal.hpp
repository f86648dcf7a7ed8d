#pragma once
// `kappa --attach nats://… --engine NAME`: the trading window over a remote engine. No engine and
// no venue run in this process; the window reads the engine's state and sends its commands through
// a RemoteEngineLink (the same EngineLink a local engine is shown through).
#include <QApplication>
#include <QString>

#include "Options.hpp"

namespace kappa::app {

// Connects (the reason on stderr and exit status 1 when it cannot), opens the window and runs the
// event loop until it is closed, --duration ends or --screenshot was taken.
int runAttachedTerminal(const Options& opt, QApplication& app, const QString& dataDir);

}  // namespace kappa::app
