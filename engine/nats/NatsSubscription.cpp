#include "nats/NatsSubscription.hpp"

#include "nats/NatsSubscriptionState.hpp"

namespace kappa::nats {

NatsSubscription& NatsSubscription::operator=(NatsSubscription&& other) noexcept {
  if (this != &other) {
    unsubscribe();
    state_ = std::move(other.state_);
  }
  return *this;
}

std::string NatsSubscription::subject() const { return state_ ? state_->subject : std::string(); }

void NatsSubscription::unsubscribe() {
  if (!state_) return;
  std::shared_ptr<State> state = std::move(state_);
  natsSubscription* sub = nullptr;
  {
    // Waits for a running callback (unless we are that callback): afterwards none runs again.
    std::unique_lock lock(state->callbackMutex, std::defer_lock);
    if (state->callbackThread != std::this_thread::get_id()) lock.lock();
    state->active = false;
    sub = state->sub;
    state->sub = nullptr;
  }
  if (sub) {
    natsSubscription_Unsubscribe(sub);  // fails harmlessly when the connection is already closed
    natsSubscription_Destroy(sub);
  }
}

void NatsSubscription::State::deliver(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  // The closure is a heap shared_ptr released by onComplete, so the State outlives every delivery.
  auto* state = static_cast<std::shared_ptr<State>*>(closure)->get();
  {
    std::lock_guard lock(state->callbackMutex);
    if (state->active) {
      const char* data = natsMsg_GetData(msg);
      const std::string payload(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(msg)));
      const char* reply = natsMsg_GetReply(msg);
      state->callbackThread = std::this_thread::get_id();
      try {
        state->handler(natsMsg_GetSubject(msg), payload, reply ? reply : "");
      } catch (...) {
        // A throwing handler must not unwind into the C library's delivery thread.
      }
      state->callbackThread = std::thread::id();
    }
  }
  natsMsg_Destroy(msg);
}

void NatsSubscription::State::complete(void* closure) { delete static_cast<std::shared_ptr<State>*>(closure); }

}  // namespace kappa::nats
