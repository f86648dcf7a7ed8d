#pragma once
// Binance's REST requests over the shared HTTP client (venue/net/HttpClient: HTTP/1.1 with a
// keep-alive pool, TLS with SNI and the server verified, or plain TCP to a local kappa-exchange):
// the API key header, the form content type, and Binance's rate-limit headers read from each
// answer. Runs on the io_context it is given (the connector's I/O thread; the callback runs there),
// each request bounded by a timeout. A request whose outcome is unknown (written, no answer) is
// never sent again here: only GETs are repeated, and only when a kept connection turned out closed.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "venue/net/Endpoint.hpp"

namespace kappa::net {
class HttpClient;
}

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

// The REST base: tls, host, port (its path, if any, is not used: every request names its own).
using HttpTarget = net::Endpoint;
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
  // TCP connections opened so far (any thread): with keep-alive, far fewer than requests.
  std::uint64_t connectionsOpened() const;

 private:
  HttpTarget target_;
  std::unique_ptr<net::HttpClient> http_;
};

// Hex HMAC-SHA256 of `data` with `key` (Binance's signature).
std::string hmacSha256Hex(const std::string& key, const std::string& data);

}  // namespace kappa::binance
