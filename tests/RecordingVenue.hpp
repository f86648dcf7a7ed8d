#pragma once
// A venue adapter that only records what the OMS asked of it: the tests answer for the venue by
// feeding execution reports to the OMS themselves.
#include <tuple>
#include <vector>

#include "venue/Venue.hpp"

namespace kappa::test {

struct RecordingVenue : Venue {
  std::vector<VenueOrder> submitted;
  std::vector<OrderId> cancelled;
  std::vector<std::tuple<OrderId, Price, Qty>> replaced;  // id, new price, new leaves
  std::string name() const override { return "fake"; }
  void listInstruments(InstrumentRegistry&) override {}
  void connect(VenueListener&, boost::asio::any_io_executor) override {}
  void disconnect() override {}
  void submit(const VenueOrder& o) override { submitted.push_back(o); }
  void cancel(OrderId id) override { cancelled.push_back(id); }
  void replace(OrderId id, Price p, Qty q) override { replaced.emplace_back(id, p, q); }
  void requestSnapshot(InstrumentId) override {}
};

}  // namespace kappa::test
