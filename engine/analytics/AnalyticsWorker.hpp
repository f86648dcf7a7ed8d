#pragma once
// Runs computeMarketAnalytics (every underlying's chain) on its own thread so that IV solving, surface fits and scenario
// revaluation never delay the engine's market-data path. The engine thread submits inputs; while
// a computation is running, newer inputs replace the waiting one (conflation: only the latest
// market matters). Results are posted back to the engine thread.
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "analytics/MarketAnalytics.hpp"

namespace kappa::analytics {

class AnalyticsWorker {
 public:
  using Result = std::shared_ptr<const MarketAnalytics>;
  using Input = std::vector<ChainInput>;  // one per underlying
  // `deliver` runs on `engine` (the engine thread) with each new result.
  AnalyticsWorker(boost::asio::any_io_executor engine, std::function<void(Result)> deliver);
  ~AnalyticsWorker();
  AnalyticsWorker(const AnalyticsWorker&) = delete;
  AnalyticsWorker& operator=(const AnalyticsWorker&) = delete;

  // Engine thread only.
  void submit(Input input);
  bool busy() const { return busy_; }

 private:
  void start(Input input);

  boost::asio::any_io_executor engine_;
  std::function<void(Result)> deliver_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  // Engine-thread state.
  bool busy_ = false;
  std::optional<Input> waiting_;
  Result last_;
};

}  // namespace kappa::analytics
