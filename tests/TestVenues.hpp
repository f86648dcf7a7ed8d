#pragma once
// The venues the engine tests build over and over: Deribit on a running kappa-exchange (one
// account, BTC, a short reconnect back-off) and the simulator starting at the present second.
#include <string>

#include "ExchangeProcess.hpp"
#include "core/Clock.hpp"
#include "sim/SimExchange.hpp"
#include "venue/deribit/DeribitVenue.hpp"

namespace kappa::test {

inline bool deribitOn(const ExchangeProcess& exchange, const char* clientId, const char* secret, deribit::DeribitVenueConfig& out) {
  std::string error;
  if (!deribit::parseDeribitEndpoint(exchange.url().toStdString(), out.endpoint, error)) return false;
  out.credentials = {clientId, secret};
  out.currencies = {"BTC"};
  out.backoffInitial = std::chrono::milliseconds(300);
  return true;
}

inline sim::SimConfig simNow(std::uint64_t seed = 5) {
  sim::SimConfig s;
  s.seed = seed;
  s.startTime = wallNow() / 1'000'000 * 1'000'000;
  return s;
}

}  // namespace kappa::test
