#include "StrategyLog.hpp"

#include "core/Clock.hpp"

namespace kappa::ui {

bool StrategyLog::wants(std::string_view component) {
  return component.starts_with("strategy") || component.starts_with("plugins") || component.starts_with("watchdog");
}

void StrategyLog::append(log::Level level, std::string_view component, std::string_view message) {
  StrategyLogLine line{wallNow(), level, std::string(component), std::string(message)};
  std::lock_guard lock(mutex_);
  if (pending_.size() >= kMaxPending) {
    // Drop the older half at once rather than one line per append: a flooding plugin must not turn
    // every log call into a shift of the whole buffer.
    const std::size_t drop = pending_.size() / 2;
    pending_.erase(pending_.begin(), pending_.begin() + std::ptrdiff_t(drop));
    dropped_ += drop;
  }
  pending_.push_back(std::move(line));
}

std::vector<StrategyLogLine> StrategyLog::drain() {
  std::vector<StrategyLogLine> out;
  std::lock_guard lock(mutex_);
  out.swap(pending_);
  return out;
}

std::uint64_t StrategyLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace kappa::ui
