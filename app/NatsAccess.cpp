#include "NatsAccess.hpp"

#include <cstdlib>

namespace kappa::app {

nats::NatsSettings natsSettings(const QString& url, const QString& credsFile, const QString& tlsCa,
                                const QString& tlsCert, const QString& tlsKey, const std::string& connectionName) {
  // With a credentials file the user's name (command subjects kappa.E.cmd.USER.*, inbox) is the one
  // in its JWT, whatever KAPPA_NATS_USER says.
  nats::NatsSettings s = nats::NatsSettings::fromEnvironment(url.toStdString(), credsFile.toStdString());
  ::unsetenv("KAPPA_NATS_PASSWORD");
  s.caFile = tlsCa.toStdString();
  s.certFile = tlsCert.toStdString();
  s.keyFile = tlsKey.toStdString();
  s.connectionName = connectionName;
  return s;
}

nats::NatsSettings natsSettings(const Options& opt) {
  const bool serving = opt.serving();
  return natsSettings(serving ? opt.serveUrl : opt.attachUrl, opt.natsCredsFile, opt.tlsCa, opt.tlsCert, opt.tlsKey,
                      serving ? "kappa engine " + opt.engineName.toStdString()
                              : "kappa GUI for " + opt.attachEngine.toStdString());
}

}  // namespace kappa::app
