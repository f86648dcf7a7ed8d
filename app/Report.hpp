#pragma once
#include <QJsonObject>
#include <QString>
#include <functional>

#include "orchestrator/Engine.hpp"

namespace kappa::ui { struct UiMetrics; }

namespace kappa::app {

// Writes the run report (JSON). Reads engine state on the engine thread (call()), so it is used
// only at shutdown. ui may be null (headless). `extend`, when given, adds a venue's own sections to
// the finished report (EvmReport.hpp) before it is written; big integers it puts in as rawInteger()
// (JsonRawInteger.hpp) are written as exact JSON numbers.
bool writeReport(const QString& file, Engine& engine, double durationS, const ui::UiMetrics* ui, QString* error,
                 const std::function<void(QJsonObject& root)>& extend = {});
// When a plugin callback never returned the engine thread cannot answer: what is known without it
// (halted, the watchdog's alarm).
bool writeStuckReport(const QString& file, const Engine& engine, double durationS, QString* error);

}  // namespace kappa::app
