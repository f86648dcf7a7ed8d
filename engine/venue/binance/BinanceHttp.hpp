#pragma once
// One HTTP/1.1 request per call (Boost.Beast) over TLS (https, SNI, the peer verified against the
// system CA store and optionally one more CA file) or plain TCP (http, a local kappa-exchange), on
// the io_context it is given (the connector's I/O thread; the callback runs there). Bounded by a
// timeout. Each request opens its own connection: simple and never stuck behind another request;
// a keep-alive pool is the next step for latency against the real exchange (see the report).
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace kappa::binance {

struct HttpResponse {
  int status = 0;            // 0: no answer (the error says why)
  std::string body;
  std::string error;         // transport failure
  bool sent = false;         // the request was (at least partly) written: it may have reached the server
  // Binance's rate-limit headers, -1 when absent.
  long usedWeight1m = -1;
  long orderCount10s = -1, orderCount1m = -1;
  long retryAfterS = -1;
  bool ok() const { return status >= 200 && status < 300; }
};

struct HttpTarget {
  bool tls = true;
  std::string host, port;
};
// Parses http(s)://host[:port]; false with `error` otherwise.
bool parseHttpBase(const std::string& base, HttpTarget& out, std::string& error);

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, HttpTarget target, std::string caFile);
  ~HttpClient();
  // method "GET"/"POST"/"PUT"/"DELETE"; target "/fapi/v1/order?symbol=…"; apiKey sent as X-MBX-APIKEY when not empty.
  void request(const std::string& method, const std::string& target, const std::string& apiKey,
               std::chrono::milliseconds timeout, std::function<void(HttpResponse)> done);
  const HttpTarget& target() const { return target_; }

 private:
  struct Impl;
  boost::asio::io_context& io_;
  HttpTarget target_;
  std::shared_ptr<Impl> impl_;
};

// Hex HMAC-SHA256 of `data` with `key` (Binance's signature).
std::string hmacSha256Hex(const std::string& key, const std::string& data);

}  // namespace kappa::binance
