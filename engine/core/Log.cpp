#include "core/Log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace kappa::log {
namespace {
std::mutex g_mutex;
Sink g_sink;
std::atomic<int> g_min{int(Level::Info)};
}  // namespace

void setSink(Sink sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

void setMinLevel(Level level) { g_min.store(int(level), std::memory_order_relaxed); }

const char* nameOf(Level level) {
  switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warn: return "WARN";
    case Level::Error: return "ERROR";
  }
  return "?";
}

void write(Level level, std::string_view component, std::string_view message) {
  if (int(level) < g_min.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(level, component, message);
  } else {
    std::fprintf(stderr, "[%s] %.*s: %.*s\n", nameOf(level), int(component.size()),
                 component.data(), int(message.size()), message.data());
  }
}

}  // namespace kappa::log
