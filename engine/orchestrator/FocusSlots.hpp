#pragma once
// Which instruments the snapshots carry depth, trades and candles for (EngineSnapshot::focused):
// written by threads other than the engine's, read by the engine thread at every publish.
//
// Lock-free, and the engine thread never waits: each writer owns its own slots and stores plain
// atomics — the local window one slot, the server (the union of its attached GUIs' focus) the
// others. A publish that runs while the server rewrites its slots may see the change half done
// (some slots old, some new): that snapshot carries one instrument too many or too few, and the
// next publish, 10 ms later, sees the change whole. Nothing else can come of it.
#include <array>
#include <atomic>
#include <cstddef>
#include <vector>

#include "core/EngineSnapshot.hpp"

namespace kappa {

class FocusSlots {
 public:
  // The slots the server's focus has: all but the local window's one.
  static constexpr std::size_t kServed = kMaxFocusedInstruments - 1;

  FocusSlots() {
    for (auto& slot : served_) slot.store(kNoInstrument, std::memory_order_relaxed);
  }

  // The local window's instrument (kNoInstrument: none). Any thread.
  void setLocal(InstrumentId id) { local_.store(id, std::memory_order_relaxed); }
  InstrumentId local() const { return local_.load(std::memory_order_relaxed); }

  // The server's instruments: the first kServed of `ids`, the rest of its slots emptied. One writer
  // at a time (the server calls it under its own lock); any thread.
  void setServed(const std::vector<InstrumentId>& ids) {
    for (std::size_t i = 0; i < kServed; ++i)
      served_[i].store(i < ids.size() ? ids[i] : kNoInstrument, std::memory_order_relaxed);
  }

  // Engine thread: the focused instruments below `known` (the engine's tables), each once, the
  // local one first, into `out`; how many.
  std::size_t read(std::array<InstrumentId, kMaxFocusedInstruments>& out, std::size_t known) const {
    std::size_t n = 0;
    auto add = [&](InstrumentId id) {
      if (id == kNoInstrument || id >= known) return;
      for (std::size_t i = 0; i < n; ++i)
        if (out[i] == id) return;
      out[n++] = id;
    };
    add(local());
    for (const auto& slot : served_) add(slot.load(std::memory_order_relaxed));
    return n;
  }

 private:
  std::atomic<InstrumentId> local_{kNoInstrument};
  std::array<std::atomic<InstrumentId>, kServed> served_;
};

}  // namespace kappa
