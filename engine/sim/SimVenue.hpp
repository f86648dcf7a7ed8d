#pragma once
// The simulated exchange as a Venue: SimExchange runs on its own thread (as a remote exchange
// would), paced to the wall clock in 1 ms steps, and hands each step's events to the engine thread
// through a VenueInbox (one batch per step, conflated while the engine is busy). Orders travel the
// other way by posting to the exchange thread.
#include <atomic>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sim/SimExchange.hpp"
#include "venue/Venue.hpp"
#include "venue/VenueInbox.hpp"

namespace kappa::sim {

// Pacing the simulated market to the wall clock: of the steps `due` by now, `done` already ran;
// at most `maxRun` are simulated at once. A thread starved of CPU for longer than that lets the
// rest pass empty (`skip`), so the market's clock never falls behind the wall clock for good.
struct PaceDecision {
  std::uint64_t run = 0, skip = 0;
};
PaceDecision paceSteps(std::uint64_t due, std::uint64_t done, std::uint64_t maxRun);

class SimVenue final : public Venue {
 public:
  explicit SimVenue(const SimConfig& config);
  ~SimVenue() override;

  std::string name() const override { return "sim"; }
  void listInstruments(InstrumentRegistry& registry) override;
  std::vector<Candle> history(InstrumentId id) override { return exchange_.history(id); }
  void connect(VenueListener& listener, boost::asio::any_io_executor engine) override;
  void disconnect() override;
  void submit(const VenueOrder& order) override;
  void cancel(OrderId orderId) override;
  void replace(OrderId orderId, Price newPrice, Qty newQty) override;
  void requestSnapshot(InstrumentId id) override;
  // The simulated exchange starts empty each run: it knows none of an earlier session's orders.
  void queryOrders(const std::vector<OrderId>& ids) override;

 private:
  void scheduleTick();
  void tick();
  void deliver();

  SimExchange exchange_;  // touched only on the exchange thread once connected
  std::shared_ptr<VenueInbox> inbox_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer timer_;
  std::thread thread_;
  VenueListener* listener_ = nullptr;
  boost::asio::any_io_executor engine_;
  std::chrono::steady_clock::time_point origin_;
  std::atomic<bool> running_{false};
};

}  // namespace kappa::sim
