#pragma once
// A venue that replays recorded market data into the engine as fast as the engine takes it:
// batches are posted to the engine thread exactly as a live connector posts decoded messages.
// Used for benchmarks and (later) backtests; it does not trade: orders are rejected with a reason.
#include <functional>
#include <memory>
#include <vector>

#include "venue/Venue.hpp"

namespace kappa {

class ReplayVenue final : public Venue {
 public:
  ReplayVenue(const InstrumentRegistry& instruments, std::shared_ptr<const std::vector<MdEvent>> events,
              std::size_t batchSize = 4096);

  // Runs on the engine thread after the last event has been processed.
  void onFinished(std::function<void()> callback) { finished_ = std::move(callback); }

  std::string name() const override { return "replay"; }
  void listInstruments(InstrumentRegistry& registry) override;
  void connect(VenueListener& listener, boost::asio::any_io_executor engine) override;
  void disconnect() override {}
  void submit(const VenueOrder& order) override;
  void cancel(OrderId orderId) override;
  void replace(OrderId orderId, Price newPrice, Qty newQty) override;
  void requestSnapshot(InstrumentId id) override {}

 private:
  void reject(OrderId id, ExecType type, const char* reason);
  std::vector<Instrument> instruments_;
  std::shared_ptr<const std::vector<MdEvent>> events_;
  std::size_t batchSize_;
  std::function<void()> finished_;
  VenueListener* listener_ = nullptr;
  boost::asio::any_io_executor engine_;
};

}  // namespace kappa
