#pragma once
// One subscription on a NatsConnection, owned: destroying it (or unsubscribe()) removes the
// interest at the server and waits for a message callback that is running right now to return,
// so nothing the callback captured is used afterwards. Unsubscribing from inside the callback itself
// is allowed (it does not wait for itself).
#include <functional>
#include <memory>
#include <string>

namespace kappa::nats {

// subject, payload, reply subject ("" when the sender expects no answer).
using MessageHandler = std::function<void(const std::string& subject, const std::string& data, const std::string& replyTo)>;

class NatsSubscription {
 public:
  struct State;  // shared with the libnats callback (NatsSubscription.cpp)
  NatsSubscription() = default;
  explicit NatsSubscription(std::shared_ptr<State> state) : state_(std::move(state)) {}
  ~NatsSubscription() { unsubscribe(); }
  NatsSubscription(NatsSubscription&&) noexcept = default;
  NatsSubscription& operator=(NatsSubscription&& other) noexcept;
  NatsSubscription(const NatsSubscription&) = delete;
  NatsSubscription& operator=(const NatsSubscription&) = delete;

  bool active() const { return state_ != nullptr; }
  std::string subject() const;
  void unsubscribe();

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kappa::nats
