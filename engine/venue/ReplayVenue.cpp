#include "venue/ReplayVenue.hpp"

#include <stdexcept>

#include <boost/asio/post.hpp>

namespace kappa {

ReplayVenue::ReplayVenue(const InstrumentRegistry& instruments, std::shared_ptr<const std::vector<MdEvent>> events,
                         std::size_t batchSize)
    : instruments_(instruments.all().begin(), instruments.all().end()), events_(std::move(events)), batchSize_(batchSize ? batchSize : 1) {}

void ReplayVenue::listInstruments(InstrumentRegistry& registry) {
  // The recorded events carry the recording's ids: this venue lists first, as they were.
  if (registry.size() != 0) throw std::logic_error("a replay venue must be the first venue (its events carry their ids)");
  for (Instrument inst : instruments_) {
    inst.venue = id();
    registry.add(std::move(inst));
  }
}

void ReplayVenue::connect(VenueListener& listener, boost::asio::any_io_executor engine) {
  listener_ = &listener;
  engine_ = engine;
  boost::asio::post(engine_, [l = listener_] { l->onVenueState(VenueState::Connected, "replay"); });
  const MdEvent* data = events_->data();
  const std::size_t n = events_->size();
  for (std::size_t at = 0; at < n; at += batchSize_) {
    const std::size_t count = std::min(batchSize_, n - at);
    boost::asio::post(engine_, [l = listener_, p = data + at, count, keep = events_] { l->onMarketData(p, count); });
  }
  boost::asio::post(engine_, [this] {
    if (finished_) finished_();
  });
}

void ReplayVenue::reject(OrderId id, ExecType type, const char* reason) {
  ExecReport r;
  r.orderId = id;
  r.type = type;
  r.reason = reason;
  boost::asio::post(engine_, [l = listener_, r] { l->onExecution(r); });
}

void ReplayVenue::submit(const VenueOrder& order) { reject(order.orderId, ExecType::Reject, "replay venue does not trade"); }
void ReplayVenue::cancel(OrderId id) { reject(id, ExecType::CancelReject, "replay venue does not trade"); }
void ReplayVenue::replace(OrderId id, Price, Qty) { reject(id, ExecType::CancelReject, "replay venue does not trade"); }

}  // namespace kappa
