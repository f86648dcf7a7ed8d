#pragma once
// One thread that runs posted jobs in time order: now (post) or after a delay (postAfter). The NATS
// connection uses one for request timeouts and one for the calls that block on the network (a
// round-trip measurement, a key-value put waiting for its acknowledgement), so that their callers
// (the engine's publisher thread, the GUI thread) never wait. Jobs still queued when the worker is
// destroyed are dropped, never run.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace kappa::nats {

class WorkerThread {
 public:
  WorkerThread();
  ~WorkerThread();  // stops after the running job, drops the rest, joins
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void post(std::function<void()> job) { postAfter(std::chrono::milliseconds(0), std::move(job)); }
  void postAfter(std::chrono::milliseconds delay, std::function<void()> job);
  bool onWorkerThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  // Ordered by due time; equal times keep posting order (multimap inserts after equal keys).
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kappa::nats
