#pragma once
// The hand-over from a venue's I/O thread to the engine thread, conflating while the engine is busy.
//
// A venue thread pushes each decoded batch (market data, then execution reports) and the inbox
// posts at most one drain to the engine at a time. When the engine falls behind (a loaded machine,
// a slow strategy), batches pile up here instead of as one posted handler each, and the next drain
// hands everything over at once: the book applies every change (L2 deltas cannot be dropped), but
// the per-batch work — strategies' on_book, equity checks, the lag reading — runs once on the
// newest state, so a backlog drains faster than it built up instead of never.
//
// Order is kept: market data that arrived before an execution report reaches the engine before it.
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include "book/MarketEvent.hpp"
#include "oms/OrderTypes.hpp"
#include "venue/Venue.hpp"

namespace kappa {

class VenueInbox : public std::enable_shared_from_this<VenueInbox> {
 public:
  VenueInbox(VenueListener& listener, boost::asio::any_io_executor engine) : listener_(listener), engine_(engine) {}

  // Venue thread. Takes the batch's contents (the vectors are left empty).
  void push(std::vector<MdEvent>& md, std::vector<ExecReport>& exec) {
    if (md.empty() && exec.empty()) return;
    {
      std::lock_guard lock(mutex_);
      if (!md.empty()) {
        if (pending_.empty() || !pending_.back().exec.empty() || !pending_.back().journal.empty()) pending_.emplace_back();
        Batch& b = pending_.back();  // market data after the last exec report joins its batch
        b.md.insert(b.md.end(), md.begin(), md.end());
      }
      if (!exec.empty()) {
        // After journal records already waiting: a batch of its own (they are delivered first).
        if (pending_.empty() || !pending_.back().journal.empty()) pending_.emplace_back();
        auto& e = pending_.back().exec;
        e.insert(e.end(), exec.begin(), exec.end());
      }
      ++pushed_;
    }
    md.clear();
    exec.clear();
    if (!drainPosted_.exchange(true, std::memory_order_acq_rel))
      boost::asio::post(engine_, [self = shared_from_this()] { self->drain(); });
  }

  // Venue thread. An instrument listed or retired: delivered before any market data or execution
  // report pushed after it (a new book's snapshot must find its instrument in the engine).
  void pushInstrumentChange(InstrumentChange change) {
    {
      std::lock_guard lock(mutex_);
      pending_.emplace_back();  // a batch of its own: what came before is delivered first
      pending_.back().instruments.push_back(std::move(change));
      ++pushed_;
    }
    if (!drainPosted_.exchange(true, std::memory_order_acq_rel))
      boost::asio::post(engine_, [self = shared_from_this()] { self->drain(); });
  }

  // Venue thread. Journal records (Venue.hpp, VenueJournalEntry): delivered after everything
  // pushed before them (their batch's execution reports first). Takes the vector's contents.
  void pushJournal(std::vector<VenueJournalEntry>& entries) {
    if (entries.empty()) return;
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) pending_.emplace_back();
      auto& j = pending_.back().journal;
      j.insert(j.end(), entries.begin(), entries.end());
      ++pushed_;
    }
    entries.clear();
    if (!drainPosted_.exchange(true, std::memory_order_acq_rel))
      boost::asio::post(engine_, [self = shared_from_this()] { self->drain(); });
  }

  // Venue batches pushed so far, and engine drains that delivered them (for tests and reports).
  std::uint64_t pushed() const {
    std::lock_guard lock(mutex_);
    return pushed_;
  }
  std::uint64_t drains() const { return drains_.load(std::memory_order_relaxed); }

 private:
  struct Batch {
    std::vector<InstrumentChange> instruments;  // first: the market data after it may need them
    std::vector<MdEvent> md;
    std::vector<ExecReport> exec;
    std::vector<VenueJournalEntry> journal;  // last: the facts they record come first
  };

  // Engine thread.
  void drain() {
    {
      std::lock_guard lock(mutex_);
      taken_.swap(pending_);
      // Cleared under the lock: a push after this point posts a new drain.
      drainPosted_.store(false, std::memory_order_release);
    }
    drains_.fetch_add(1, std::memory_order_relaxed);
    for (Batch& b : taken_) {
      for (const InstrumentChange& c : b.instruments) listener_.onInstrumentChange(c);
      b.instruments.clear();
      if (!b.md.empty()) listener_.onMarketData(b.md.data(), b.md.size());
      for (const ExecReport& r : b.exec) listener_.onExecution(r);
      for (const VenueJournalEntry& j : b.journal) listener_.onJournalEntry(j);
      b.journal.clear();
      b.md.clear();  // keep the capacity for the next round
      b.exec.clear();
    }
    taken_.clear();
  }

  VenueListener& listener_;
  boost::asio::any_io_executor engine_;
  mutable std::mutex mutex_;
  std::vector<Batch> pending_;  // guarded by mutex_
  std::vector<Batch> taken_;    // engine thread only
  std::uint64_t pushed_ = 0;    // guarded by mutex_
  std::atomic<std::uint64_t> drains_{0};
  std::atomic<bool> drainPosted_{false};
};

}  // namespace kappa
