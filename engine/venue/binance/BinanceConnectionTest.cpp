#include "venue/binance/BinanceConnectionTest.hpp"

#include <cstdio>

#include <boost/asio/io_context.hpp>

#include "venue/binance/BinanceHttp.hpp"
#include "venue/binance/BinanceRestAnswers.hpp"

namespace kappa::binance {

deribit::ConnectionTestResult testBinanceConnection(const BinanceEndpoint& endpoint, const BinanceCredentials& credentials,
                                                    std::chrono::milliseconds timeout) {
  deribit::ConnectionTestResult result;
  const std::string where = endpoint.environment == "custom" ? endpoint.restBase : endpoint.environment;
  HttpTarget target;
  std::string error;
  if (!parseHttpBase(endpoint.restBase, target, error)) {
    result.message = "cannot connect to " + where + ": " + error;
    return result;
  }
  boost::asio::io_context io;
  HttpClient http(io, target, endpoint.caFile);
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  auto fail = [&](std::string why) {
    result.ok = false;
    result.message = std::move(why);
    done = true;
  };
  // What Binance said, in a trader's words (its code and message; never the request, which is signed).
  auto refusal = [&](const HttpResponse& r) {
    if (r.status == 0) return "no answer from " + where + ": " + r.error;
    ApiError e;
    if (parseApiError(r.body, e)) return where + " refused the key: " + e.msg + " (" + std::to_string(e.code) + ")";
    return where + " answered HTTP " + std::to_string(r.status);
  };
  http.request("GET", "/fapi/v1/time", {}, timeout, [&](HttpResponse r) {
    std::uint64_t serverMs = 0;
    std::string why;
    if (!r.ok() || !parseServerTime(r.body, serverMs, why)) return fail(r.ok() ? where + ": " + why : refusal(r));
    result.roundTripMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    char rtt[32];
    std::snprintf(rtt, sizeof rtt, "%.1f ms", result.roundTripMs);
    if (credentials.empty()) {
      result.ok = true;
      result.message = "reached " + where + " (" + rtt + "); no API key to check: market data only";
      done = true;
      return;
    }
    // Signed at the server's clock: a local clock that is off does not fail the test (the
    // connector measures the same offset before it signs anything).
    const std::string query = "recvWindow=5000&timestamp=" + std::to_string(serverMs);
    http.request("GET", "/fapi/v2/balance?" + query + "&signature=" + hmacSha256Hex(credentials.apiSecret, query),
                 credentials.apiKey, timeout, [&, rttText = std::string(rtt)](HttpResponse b) {
                   if (!b.ok()) return fail(refusal(b));
                   result.ok = true;
                   result.message = "connected to " + where + " with key " + credentials.maskedKey() + ", " + rttText;
                   done = true;
                 });
  });
  io.run_for(timeout * 2 + std::chrono::seconds(1));
  if (!done) {
    result.ok = false;
    result.message = "no answer from " + where + " within " + std::to_string(timeout.count()) + " ms";
  }
  return result;
}

}  // namespace kappa::binance
