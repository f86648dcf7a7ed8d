#pragma once
// Binance USD-M futures' REST API on kappa-exchange, under /fapi/...: routes a request to its
// endpoint, applies the rate limits (weights per endpoint as Binance documents them) and the
// authentication (X-MBX-APIKEY = the account's id; SIGNED endpoints: timestamp within recvWindow
// and a hex HMAC-SHA256 of the query string + form body with the account's secret), and answers
// with Binance's JSON, its error objects and HTTP statuses, and its rate-limit headers. Also the
// loopback-only fault control, POST /kappa/binance/fault?action=... (exchange/README.md).
#include <cstdint>
#include <string>

#include "BinanceFaults.hpp"
#include "BinanceMarket.hpp"
#include "BinanceRateLimits.hpp"
#include "BinanceStreams.hpp"
#include "BinanceTrading.hpp"
#include "RpcDispatcher.hpp"

namespace kappa::exchange::binance {

class RestApi {
 public:
  RestApi(Market& market, Trading& trading, Streams& streams, RateLimits& limits, Faults& faults)
      : market_(market), trading_(trading), streams_(streams), limits_(limits), faults_(faults) {}

  static bool handles(const std::string& path) { return path.rfind("/fapi/", 0) == 0 || isControl(path); }
  static bool isControl(const std::string& path) { return path == "/kappa/binance/fault"; }
  // How long to hold a request before it is handled at all (order fault mode "slow"; 0: now).
  int deferMs(const std::string& verb, const std::string& path);
  RpcDispatcher::HttpAnswer handle(const std::string& verb, const std::string& target, const std::string& apiKey,
                                   const std::string& body, const std::string& ip, bool loopback);
  // Called by the HTTP session, once per connection, on its first Binance request (the fault
  // control aside): the count shows whether clients keep their connections alive.
  void noteConnection() { ++connections_; }
  // True when the closeOnRequest fault takes this request (its connection is to be closed unanswered).
  bool takeCloseOnRequest();

 private:
  nlohmann::json fault(const Request& r);
  nlohmann::json rateLimitsJson() const;

  Market& market_;
  Trading& trading_;
  Streams& streams_;
  RateLimits& limits_;
  Faults& faults_;
  std::uint64_t ordersAccepted_ = 0;  // POST /fapi/v1/order that made an order (fault status: never sent twice)
  std::uint64_t connections_ = 0;      // HTTP connections that carried a Binance REST request
  std::uint64_t requestsClosed_ = 0;   // requests the closeOnRequest fault closed unanswered
};

}  // namespace kappa::exchange::binance
