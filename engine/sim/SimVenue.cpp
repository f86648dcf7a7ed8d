#include "sim/SimVenue.hpp"

#include <boost/asio/post.hpp>

#include "core/Clock.hpp"

namespace kappa::sim {
namespace {
constexpr std::uint64_t kMaxStepsPerTick = 250;  // under overload the market slows, never spirals
}

SimVenue::SimVenue(const SimConfig& config)
    : exchange_(config), work_(boost::asio::make_work_guard(io_)), timer_(io_) {}

SimVenue::~SimVenue() { disconnect(); }

void SimVenue::listInstruments(InstrumentRegistry& registry) {
  for (const Instrument& inst : exchange_.instruments().all()) registry.add(inst);
}

void SimVenue::connect(VenueListener& listener, boost::asio::any_io_executor engine) {
  if (running_.exchange(true)) return;
  listener_ = &listener;
  engine_ = engine;
  boost::asio::post(engine_, [l = listener_] { l->onVenueState(VenueState::Connecting, "simulated exchange"); });
  thread_ = std::thread([this] {
    exchange_.start();
    boost::asio::post(engine_, [l = listener_] { l->onVenueState(VenueState::Connected, "simulated exchange"); });
    deliver();
    // Pace the market so that its clock tracks the wall clock it started from: the engine's
    // venue lag then measures only queueing, not a start-up offset.
    origin_ = std::chrono::steady_clock::now() -
              std::chrono::nanoseconds(std::max<Nanos>(0, wallNow() - exchange_.config().startTime));
    scheduleTick();
    io_.run();
  });
}

void SimVenue::disconnect() {
  if (!running_.exchange(false)) return;
  boost::asio::post(io_, [this] { timer_.cancel(); });
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void SimVenue::scheduleTick() {
  timer_.expires_after(std::chrono::milliseconds(1));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    scheduleTick();
  });
}

void SimVenue::tick() {
  const auto elapsed = std::chrono::steady_clock::now() - origin_;
  const auto due = std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count() /
                                 exchange_.config().step);
  std::uint64_t n = due > exchange_.steps() ? due - exchange_.steps() : 0;
  if (n > kMaxStepsPerTick) {
    // Overloaded: skip the backlog instead of falling further behind the clock.
    origin_ += std::chrono::nanoseconds((n - kMaxStepsPerTick) * std::uint64_t(exchange_.config().step));
    n = kMaxStepsPerTick;
  }
  for (; n > 0; --n) exchange_.step();
  deliver();
}

void SimVenue::deliver() {
  SimOutput& out = exchange_.output();
  if (out.md.empty() && out.exec.empty()) return;
  boost::asio::post(engine_, [l = listener_, batch = std::move(out)] {
    if (!batch.md.empty()) l->onMarketData(batch.md.data(), batch.md.size());
    for (const ExecReport& r : batch.exec) l->onExecution(r);
  });
  out = SimOutput{};
}

void SimVenue::submit(const VenueOrder& order) {
  boost::asio::post(io_, [this, order] {
    exchange_.submit(order.orderId, order.request);
    deliver();
  });
}

void SimVenue::cancel(OrderId orderId) {
  boost::asio::post(io_, [this, orderId] {
    exchange_.cancel(orderId);
    deliver();
  });
}

void SimVenue::replace(OrderId orderId, Price newPrice, Qty newQty) {
  boost::asio::post(io_, [this, orderId, newPrice, newQty] {
    exchange_.replace(orderId, newPrice, newQty);
    deliver();
  });
}

void SimVenue::requestSnapshot(InstrumentId id) {
  boost::asio::post(io_, [this, id] {
    exchange_.requestSnapshot(id);
    deliver();
  });
}

void SimVenue::queryOrders(const std::vector<OrderId>& ids) {
  boost::asio::post(engine_, [l = listener_, ids] {
    for (OrderId id : ids) {
      ExecReport r;
      r.orderId = id;
      r.type = ExecType::Cancelled;
      r.ts = wallNow();
      r.reason = "the venue has no such order (the simulated exchange restarted empty)";
      l->onExecution(r);
    }
  });
}

}  // namespace kappa::sim
