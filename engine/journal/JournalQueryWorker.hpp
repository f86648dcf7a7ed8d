#pragma once
// One thread for the reads of a journal file (JournalQuery), so that neither the GUI nor the
// engine thread ever waits for SQLite. Two kinds of work: the view's query, where only the newest
// matters (a waiting one is replaced, a running one interrupted), and queued work (export pages,
// an attached window's queries on a served engine), run in order and interrupted only by the
// worker going away. A replaced or dropped job is never run; a running one sees its cancel check
// turn true.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "journal/JournalQuery.hpp"

namespace kappa {

class JournalQueryWorker {
 public:
  using Job = std::function<void(const JournalCancel& cancelled)>;

  JournalQueryWorker();
  ~JournalQueryWorker();  // interrupts the running job, drops the waiting ones, joins
  JournalQueryWorker(const JournalQueryWorker&) = delete;
  JournalQueryWorker& operator=(const JournalQueryWorker&) = delete;

  // The newest view query: replaces the one waiting, interrupts the one running.
  void latest(Job job);
  // Queued behind the others; false (not queued) when `maxWaiting` jobs already wait.
  bool queue(Job job, std::size_t maxWaiting = SIZE_MAX);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> latestGeneration_{0};
  Job latest_;
  std::deque<Job> queued_;
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace kappa
