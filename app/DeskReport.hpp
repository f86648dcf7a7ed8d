#pragma once
// The report's `desk` section for an engine served with --serve: its name and server (never the
// credentials), what it published and answered, and every desk halt it obeyed with its user and
// reason.
#include <QJsonObject>

#include "remote/EngineServer.hpp"

namespace kappa::app {

void addDeskReport(QJsonObject& root, const remote::EngineServer& server);

}  // namespace kappa::app
