#pragma once
// Lock-free single-producer/single-consumer hand-over of the latest value. The engine writes a
// whole snapshot into back() and publishes; the GUI takes the newest one whenever it draws a frame.
// Neither side ever waits for the other, and stale intermediate snapshots are simply overwritten
// (conflation). Slots are reused, so vectors inside T keep their capacity: no allocation per frame.
#include <atomic>
#include <cstdint>

namespace kappa {

template <class T>
class TripleBuffer {
 public:
  // Producer side.
  T& back() { return slots_[back_]; }
  void publish() { back_ = middle_.exchange(std::uint8_t(back_ | kFresh), std::memory_order_acq_rel) & kIndex; }

  // Consumer side: returns true if a newer value was taken; front() then refers to it.
  bool take() {
    if (!(middle_.load(std::memory_order_acquire) & kFresh)) return false;
    front_ = middle_.exchange(front_, std::memory_order_acq_rel) & kIndex;
    return true;
  }
  const T& front() const { return slots_[front_]; }

 private:
  static constexpr std::uint8_t kIndex = 0x3;
  static constexpr std::uint8_t kFresh = 0x4;
  T slots_[3];
  std::uint8_t back_ = 0;
  std::uint8_t front_ = 2;
  std::atomic<std::uint8_t> middle_{1};
};

}  // namespace kappa
