#pragma once
// Minimal engine logger: the engine must not depend on Qt, so the application installs a sink
// (file, console, GUI log view). Thread-safe; cheap when the level is filtered out.
#include <functional>
#include <string>
#include <string_view>

namespace kappa::log {

enum class Level { Debug, Info, Warn, Error };
using Sink = std::function<void(Level, std::string_view component, std::string_view message)>;

void setSink(Sink sink);
void setMinLevel(Level level);
void write(Level level, std::string_view component, std::string_view message);

inline void info(std::string_view c, std::string_view m) { write(Level::Info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::Warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::Error, c, m); }
const char* nameOf(Level level);

}  // namespace kappa::log
