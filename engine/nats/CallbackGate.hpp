#pragma once
// Internal to engine/nats: the door every user callback goes through. close() shuts it and waits
// for a callback that is running on another thread, so after close() returns no callback runs
// again; a callback may itself call close() (the mutex is recursive).
#include <mutex>

namespace kappa::nats {

class CallbackGate {
 public:
  template <class F>
  void run(F&& f) {
    std::lock_guard lock(mutex_);
    if (!open_) return;
    try {
      f();
    } catch (...) {
      // A throwing callback must not unwind into the C library's threads.
    }
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }

 private:
  std::recursive_mutex mutex_;
  bool open_ = true;
};

}  // namespace kappa::nats
