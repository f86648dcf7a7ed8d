#include "DeskReport.hpp"

#include <QJsonArray>

namespace kappa::app {

void addDeskReport(QJsonObject& root, const remote::EngineServer& server) {
  const remote::EngineServer::Counters c = server.counters();
  QJsonArray halts;
  for (const desk::DeskHaltNotice& n : server.deskHaltsObeyed())
    halts.append(QJsonObject{{"active", n.active},
                             {"id", QString::fromStdString(n.id)},
                             {"user", QString::fromStdString(n.user)},
                             {"reason", QString::fromStdString(n.reason)},
                             {"at_ns", QString::number(n.at)}});
  root["desk"] = QJsonObject{
      {"engine", QString::fromStdString(server.config().engine)},
      {"server", QString::fromStdString(server.config().nats.url)},
      {"parts_published", qint64(c.partsPublished)},
      {"bytes_published", qint64(c.bytesPublished)},
      {"bucket_puts", qint64(c.bucketPuts)},
      {"commands", qint64(c.commands)},
      {"commands_refused", qint64(c.commandsRefused)},
      {"desk_halts", halts},
      {"fail_closed", qint64(c.failClosed)},
      {"desk_limit_actions", qint64(c.deskLimitActions)},
  };
}

}  // namespace kappa::app
