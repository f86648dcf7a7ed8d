#include "strategy/CallbackWatchdog.hpp"

#include <algorithm>
#include <chrono>

#include "core/Clock.hpp"

namespace kappa {

CallbackWatchdog::CallbackWatchdog(Config config, Handler onOverrun, Handler onStuck)
    : config_(config), onOverrun_(std::move(onOverrun)), onStuck_(std::move(onStuck)) {
  thread_ = std::thread([this] { run(); });
}

CallbackWatchdog::~CallbackWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CallbackWatchdog::setActive(bool active) {
  {
    std::lock_guard lock(mutex_);
    active_ = active;
  }
  wake_.notify_all();
}

void CallbackWatchdog::run() {
  // A quarter of the budget: an overrun is seen within 1.25 budgets.
  const auto period = std::chrono::nanoseconds(std::clamp<Nanos>(config_.budget / 4, 100'000, 10'000'000));
  std::uint64_t watched = 0;  // the odd epoch being timed, 0 = none
  Nanos firstSeen = 0;
  bool overrunReported = false, stuckReported = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!active_) {
      watched = 0;
      wake_.wait(lock, [this] { return stopping_ || active_; });
      continue;
    }
    wake_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    const std::uint64_t e1 = epoch_.load(std::memory_order_acquire);
    const std::uint32_t instance = instance_.load(std::memory_order_relaxed);
    const char* callback = callback_.load(std::memory_order_relaxed);
    if (epoch_.load(std::memory_order_acquire) != e1 || (e1 & 1) == 0) {  // between callbacks, or moving
      watched = 0;
      continue;
    }
    const Nanos now = monoNow();
    if (e1 != watched) {
      watched = e1;
      firstSeen = now;
      overrunReported = stuckReported = false;
      continue;
    }
    const Nanos running = now - firstSeen;  // a lower bound: it started before the first sighting
    if (!overrunReported && running >= config_.budget) {
      overrunReported = true;
      lock.unlock();
      onOverrun_(instance, callback, running);
      lock.lock();
    }
    if (!stuckReported && running >= config_.hangTimeout) {
      stuckReported = true;
      lock.unlock();
      onStuck_(instance, callback, running);
      lock.lock();
    }
  }
}

}  // namespace kappa
