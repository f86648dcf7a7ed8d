#pragma once
#include <QString>

#include "core/Engine.hpp"

namespace kappa::ui { struct UiMetrics; }

namespace kappa::app {

// Writes the run report (JSON). Reads engine state on the engine thread (call()), so it is used
// only at shutdown. ui may be null (headless).
bool writeReport(const QString& file, Engine& engine, double durationS, const ui::UiMetrics* ui, QString* error);

}  // namespace kappa::app
