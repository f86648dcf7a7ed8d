#pragma once
// "Test connection" of the Connections dialog and of a headless start: connect to the endpoint,
// public/hello, public/auth with the credentials, measure the round trip, disconnect. Blocking:
// call it off the GUI and engine threads. The secret never appears in the message.
#include <chrono>
#include <string>

#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::deribit {

struct ConnectionTestResult {
  bool ok = false;
  std::string message;     // "connected to testnet as fo7W…, 12.3 ms" or the reason it failed
  double roundTripMs = 0;  // public/test round trip once authenticated
};

ConnectionTestResult testDeribitConnection(const DeribitEndpoint& endpoint, const DeribitCredentials& credentials,
                                           std::chrono::milliseconds timeout);

}  // namespace kappa::deribit
