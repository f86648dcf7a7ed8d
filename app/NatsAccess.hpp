#pragma once
// How kappa reaches the desk's NATS server, from the command line and the environment: the URL
// (--serve / --attach / desk-halt's argument), the user and password from KAPPA_NATS_USER /
// KAPPA_NATS_PASSWORD (the password is then removed from the environment, so no child process or
// plugin inherits it), or --nats-creds FILE (the user's name then from its JWT), and the TLS files.
#include <QString>

#include "Options.hpp"
#include "nats/NatsSettings.hpp"

namespace kappa::app {

nats::NatsSettings natsSettings(const QString& url, const QString& credsFile, const QString& tlsCa,
                                const QString& tlsCert, const QString& tlsKey, const std::string& connectionName);
// The same from kappa's options (--serve or --attach).
nats::NatsSettings natsSettings(const Options& opt);

}  // namespace kappa::app
