#pragma once
// Watches the plugin callbacks running on the engine thread, from a thread of its own.
//
// The engine thread marks each callback's start and end with plain atomic stores (no lock, no
// clock read: a few nanoseconds per dispatch). The watchdog samples those marks every `period`:
// a callback still running after the budget is reported as an overrun, one still running after
// the hang timeout as stuck — the engine thread is then unavailable, so the stuck handler runs
// here and must only touch thread-safe state (the halt switch, the alarm text). Timing is
// sampled, so an overrun is reported at most one period late and never early.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/Types.hpp"

namespace kappa {

class CallbackWatchdog {
 public:
  struct Config {
    Nanos budget = 1'000'000;            // 1 ms
    Nanos hangTimeout = 1'000'000'000;   // 1 s
  };
  // Both run on the watchdog thread, at most once per callback invocation.
  using Handler = std::function<void(std::uint32_t instance, const char* callback, Nanos runningAtLeast)>;

  CallbackWatchdog(Config config, Handler onOverrun, Handler onStuck);
  ~CallbackWatchdog();
  CallbackWatchdog(const CallbackWatchdog&) = delete;
  CallbackWatchdog& operator=(const CallbackWatchdog&) = delete;

  // Engine thread. `callback` must be a string literal.
  void enter(std::uint32_t instance, const char* callback) {
    instance_.store(instance, std::memory_order_relaxed);
    callback_.store(callback, std::memory_order_relaxed);
    epoch_.store(epoch_.load(std::memory_order_relaxed) + 1, std::memory_order_release);  // odd: inside
  }
  void exit() { epoch_.store(epoch_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Sample fast only while some instance runs (any thread).
  void setActive(bool active);
  const Config& config() const { return config_; }

 private:
  void run();

  Config config_;
  Handler onOverrun_, onStuck_;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint32_t> instance_{0};
  std::atomic<const char*> callback_{""};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool active_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace kappa
