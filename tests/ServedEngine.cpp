#include "ServedEngine.hpp"

#include <QProcessEnvironment>

#include "PeerProcess.hpp"
#include "TestPaths.hpp"

namespace kappa::test {

QString ServedEngine::start(const NatsServerProcess& server, const QStringList& options) {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("KAPPA_NATS_USER", "engine-" + name_);
  env.insert("KAPPA_NATS_PASSWORD", server.password("engine-" + name_));
  process_.setProcessEnvironment(env);
  process_.setProcessChannelMode(QProcess::MergedChannels);
  process_.setProgram(kappa::test::kappaBinary());
  process_.setArguments(QStringList{"--headless", "--serve", server.url(), "--engine-name", name_, "--data-dir", dataDir_} +
                        options);
  return startPeer(process_, "kappa");
}

int ServedEngine::stop() { return stopPeer(process_, 15000); }  // SIGTERM: the engine writes its journal's end

}  // namespace kappa::test
