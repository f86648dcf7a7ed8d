#pragma once
// "Test connection" for a Binance USD-M futures key (the Connections dialog): the server's time
// (GET /fapi/v1/time, the round trip measured), then a signed GET /fapi/v2/balance with the key,
// which proves the key, its signature and the clock offset in one request. Blocking: call it off
// the GUI and engine threads. The secret never appears in the message; the key only masked.
#include <chrono>

#include "venue/binance/BinanceCredentials.hpp"
#include "venue/deribit/DeribitConnectionTest.hpp"  // ConnectionTestResult: one result type for every venue's test

namespace kappa::binance {

deribit::ConnectionTestResult testBinanceConnection(const BinanceEndpoint& endpoint, const BinanceCredentials& credentials,
                                                    std::chrono::milliseconds timeout);

}  // namespace kappa::binance
