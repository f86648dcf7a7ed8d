#pragma once
// Internal to engine/nats: what a libnats subscription callback shares with its NatsSubscription.
// Not part of the public API (it includes the C client's header).
#include <nats/nats.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "nats/NatsSubscription.hpp"

namespace kappa::nats {

struct NatsSubscription::State {
  std::string subject;
  MessageHandler handler;
  natsSubscription* sub = nullptr;
  std::mutex callbackMutex;  // held while the handler runs; unsubscribe() takes it to wait for it
  std::atomic<std::thread::id> callbackThread{};  // the thread inside the handler, if any
  bool active = true;

  // libnats callbacks. The closure is `new std::shared_ptr<State>`, deleted by complete(), which
  // libnats calls once the subscription is closed and its last message callback has returned.
  static void deliver(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void complete(void* closure);
};

}  // namespace kappa::nats
