#include "sim/SimVenue.hpp"

#include <stdexcept>

#include <boost/asio/post.hpp>


#include "core/Clock.hpp"

namespace kappa::sim {
namespace {
constexpr std::uint64_t kMaxStepsPerTick = 250;  // under overload the market slows, never spirals
}

PaceDecision paceSteps(std::uint64_t due, std::uint64_t done, std::uint64_t maxRun) {
  const std::uint64_t behind = due > done ? due - done : 0;
  if (behind <= maxRun) return {behind, 0};
  return {maxRun, behind - maxRun};
}

SimVenue::SimVenue(const SimConfig& config)
    : exchange_(config), work_(boost::asio::make_work_guard(io_)), timer_(io_) {}

SimVenue::~SimVenue() { disconnect(); }

void SimVenue::listInstruments(InstrumentRegistry& registry) {
  // The simulator's events and orders carry its own ids: they are the engine's only when it lists
  // first (the engine puts the embedded simulator first; a venue after it gets the ids after its).
  if (registry.size() != 0)
    throw std::logic_error("the embedded simulator must be the first venue (its instrument ids are its own)");
  for (Instrument inst : exchange_.instruments().all()) {
    inst.venue = id();
    registry.add(std::move(inst));
  }
}

void SimVenue::connect(VenueListener& listener, boost::asio::any_io_executor engine) {
  if (running_.exchange(true)) return;
  listener_ = &listener;
  engine_ = engine;
  inbox_ = std::make_shared<VenueInbox>(listener, engine);
  boost::asio::post(engine_, [l = listener_] { l->onVenueState(VenueState::Connecting, "simulated exchange"); });
  thread_ = std::thread([this] {
    exchange_.start();
    boost::asio::post(engine_, [l = listener_] { l->onVenueState(VenueState::Connected, "simulated exchange"); });
    deliver();
    // The market's clock runs from its start time (--sim-start, by default now) at the wall
    // clock's rate from here on: a constant offset, which the engine measures and takes out, so
    // its venue lag measures only queueing.
    origin_ = std::chrono::steady_clock::now();
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
  // Starved of CPU for longer than a tick can make up, the market lets the missed time pass with
  // nothing in it and stays on the wall clock. (It used to move the pacing origin instead: every
  // starved moment then left the market's clock — every timestamp it sends — further behind for
  // good, and the engine read that as a feed lag that grew without end and could not be resumed.)
  const PaceDecision pace = paceSteps(due, exchange_.steps(), kMaxStepsPerTick);
  if (pace.skip) exchange_.skip(pace.skip);
  std::uint64_t n = pace.run;
  for (; n > 0; --n) exchange_.step();
  deliver();
}

void SimVenue::deliver() {
  SimOutput& out = exchange_.output();
  inbox_->push(out.md, out.exec);
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
