#pragma once
// The strategy manager's share of the engine log: plugin messages ("strategy:<instance>") and the
// host's ("strategy", "plugins", "watchdog"). The log sink appends from whatever thread logged
// (engine, plugin loader, watchdog); the GUI drains the lines once per frame. A mutex and a
// vector swap: the sink never waits on the GUI and the GUI never waits on the engine.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/Log.hpp"
#include "core/Types.hpp"

namespace kappa::ui {

struct StrategyLogLine {
  Nanos wallTime = 0;  // when it was logged (UTC), like the log file's timestamps
  log::Level level = log::Level::Info;
  std::string source;  // the log component, e.g. "strategy:options-mm#1"
  std::string message;
};

class StrategyLog {
 public:
  // Lines kept while nobody drains (window not created yet, or a flood between two frames); the
  // oldest go first, like in the view, which keeps fewer anyway.
  static constexpr std::size_t kMaxPending = 10'000;

  // True for the components the strategy manager shows.
  static bool wants(std::string_view component);

  // Any thread (the log sink).
  void append(log::Level level, std::string_view component, std::string_view message);
  // GUI thread: everything appended since the last call, oldest first.
  std::vector<StrategyLogLine> drain();
  // Lines dropped because nobody drained them in time.
  std::uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  std::vector<StrategyLogLine> pending_;
  std::uint64_t dropped_ = 0;
};

}  // namespace kappa::ui
