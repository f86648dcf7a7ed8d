#include "analytics/AnalyticsWorker.hpp"

#include <boost/asio/post.hpp>

#include "pricing/ImpliedVol.hpp"

namespace kappa::analytics {

AnalyticsWorker::AnalyticsWorker(boost::asio::any_io_executor engine, std::function<void(Result)> deliver)
    : engine_(std::move(engine)), deliver_(std::move(deliver)), work_(boost::asio::make_work_guard(io_)) {
  thread_ = std::thread([this] {
    // The solver's lookup tables (~4 ms) are built here, before the first chain arrives, rather
    // than inside the first refresh.
    pricing::prepareImpliedVolTables();
    io_.run();
  });
}

AnalyticsWorker::~AnalyticsWorker() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void AnalyticsWorker::submit(Input input) {
  if (busy_) {
    waiting_ = std::move(input);  // replaces any older waiting input
    return;
  }
  start(std::move(input));
}

void AnalyticsWorker::start(Input input) {
  busy_ = true;
  // The previous result (immutable) travels with the job for its warm start.
  boost::asio::post(io_, [this, in = std::move(input), previous = last_] {
    Result r = computeMarketAnalytics(in, previous.get());
    boost::asio::post(engine_, [this, r = std::move(r)] {
      last_ = r;
      busy_ = false;
      deliver_(r);
      if (waiting_) {
        Input next = std::move(*waiting_);
        waiting_.reset();
        start(std::move(next));
      }
    });
  });
}

}  // namespace kappa::analytics
