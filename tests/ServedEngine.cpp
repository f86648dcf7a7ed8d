#include "ServedEngine.hpp"

#include <QProcessEnvironment>

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
  process_.start(KAPPA_BINARY, QStringList{"--headless", "--serve", server.url(), "--engine-name", name_, "--data-dir", dataDir_} +
                                   options);
  return process_.waitForStarted(10000) ? QString() : "kappa did not start: " + process_.errorString();
}

int ServedEngine::stop() {
  if (process_.state() == QProcess::NotRunning) return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
  process_.terminate();
  if (!process_.waitForFinished(15000)) {
    process_.kill();
    process_.waitForFinished(5000);
    return -1;
  }
  return process_.exitCode();
}

}  // namespace kappa::test
