#include "ServedEngine.hpp"

#include <QProcessEnvironment>

#include "PeerProcess.hpp"

#ifndef KAPPA_BINARY
#error "KAPPA_BINARY (the kappa executable) must be defined"
#endif

namespace kappa::test {

QString ServedEngine::start(const NatsServerProcess& server, const QStringList& options) {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("KAPPA_NATS_USER", "engine-" + name_);
  env.insert("KAPPA_NATS_PASSWORD", server.password("engine-" + name_));
  process_.setProcessEnvironment(env);
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.setProgram(KAPPA_BINARY);
  process_.setArguments(QStringList{"--headless", "--serve", server.url(), "--engine-name", name_, "--data-dir", dataDir_} +
                        options);
  return startPeer(process_, "kappa");
}

int ServedEngine::stop() { return stopPeer(process_, 15000); }  // SIGTERM: the engine writes its journal's end

}  // namespace kappa::test
