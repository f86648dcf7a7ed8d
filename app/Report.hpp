#pragma once
#include <QString>

#include "orchestrator/Engine.hpp"

namespace kappa::ui { struct UiMetrics; }

namespace kappa::app {

// Writes the run report (JSON). Reads engine state on the engine thread (call()), so it is used
// only at shutdown. ui may be null (headless).
bool writeReport(const QString& file, Engine& engine, double durationS, const ui::UiMetrics* ui, QString* error);
// When a plugin callback never returned the engine thread cannot answer: what is known without it
// (halted, the watchdog's alarm).
bool writeStuckReport(const QString& file, const Engine& engine, double durationS, QString* error);

}  // namespace kappa::app
