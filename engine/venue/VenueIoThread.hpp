#pragma once
// The I/O thread a network venue runs everything of its connection on (sockets, timers, decoding):
// its own io_context, started when first needed (listing instruments or connecting), ended either
// gracefully (close handshakes get their time) or at once. Every venue has exactly one, so one venue's
// slow network never delays another's, nor the engine thread.
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace kappa {

class VenueIoThread {
 public:
  VenueIoThread() = default;
  VenueIoThread(const VenueIoThread&) = delete;
  VenueIoThread& operator=(const VenueIoThread&) = delete;
  // The owner ends the thread in its own destructor, before the timers and sockets on this
  // io_context are destroyed; this is the last resort.
  ~VenueIoThread() { stop(); }

  boost::asio::io_context& io() { return io_; }
  bool running() const { return thread_.joinable(); }

  void ensureRunning() {
    if (thread_.joinable()) return;
    work_.emplace(boost::asio::make_work_guard(io_));
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs `closeAll` on the I/O thread (cancel the timers, start closing the connections), lets the
  // close handshakes finish by themselves for up to `grace`, then stops the thread and joins it.
  void shutdown(const std::function<void()>& closeAll, std::chrono::milliseconds grace = std::chrono::seconds(3)) {
    if (!thread_.joinable()) return;
    std::promise<void> closed;
    auto done = closed.get_future();
    boost::asio::post(io_, [&] {
      closeAll();
      closed.set_value();
    });
    done.wait_for(std::chrono::seconds(2));
    work_.reset();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop();
  }

  // At once: whatever is still pending on the io_context is abandoned.
  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace kappa
