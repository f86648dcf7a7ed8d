#include "journal/JournalQueryWorker.hpp"

namespace kappa {

JournalQueryWorker::JournalQueryWorker() : thread_([this] { run(); }) {}

JournalQueryWorker::~JournalQueryWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  thread_.join();
}

void JournalQueryWorker::latest(Job job) {
  {
    std::lock_guard lock(mutex_);
    latest_ = std::move(job);
    ++latestGeneration_;
  }
  wake_.notify_all();
}

bool JournalQueryWorker::queue(Job job, std::size_t maxWaiting) {
  {
    std::lock_guard lock(mutex_);
    if (queued_.size() >= maxWaiting) return false;
    queued_.push_back(std::move(job));
  }
  wake_.notify_all();
  return true;
}

void JournalQueryWorker::run() {
  for (;;) {
    Job job;
    bool isLatest = false;
    std::uint64_t generation = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_.load() || latest_ || !queued_.empty(); });
      if (stopping_.load()) return;
      // The view's query first: it is what the user is looking at.
      if (latest_) {
        job = std::move(latest_);
        latest_ = nullptr;
        isLatest = true;
        generation = latestGeneration_.load();
      } else {
        job = std::move(queued_.front());
        queued_.pop_front();
      }
    }
    job([this, isLatest, generation] {
      return stopping_.load(std::memory_order_relaxed) ||
             (isLatest && latestGeneration_.load(std::memory_order_relaxed) != generation);
    });
  }
}

}  // namespace kappa
