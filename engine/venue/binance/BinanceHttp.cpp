#include "venue/binance/BinanceHttp.hpp"

#include <openssl/hmac.h>

#include "venue/net/HttpClient.hpp"

namespace kappa::binance {

bool parseHttpBase(const std::string& base, HttpTarget& out, std::string& error) {
  return net::parseEndpoint(base, net::Scheme::Http, out, error);
}

std::string hmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  return out;
}

namespace {

long headerLong(const net::HttpReply& r, const char* name) {
  const std::string* value = r.header(name);
  if (!value) return -1;
  try {
    return std::stol(*value);
  } catch (...) {
    return -1;
  }
}

}  // namespace

HttpClient::HttpClient(boost::asio::io_context& io, HttpTarget target, std::string caFile)
    : target_(std::move(target)) {
  net::HttpClientOptions options;
  options.caFile = std::move(caFile);
  http_ = std::make_unique<net::HttpClient>(io, target_, std::move(options));
}

HttpClient::~HttpClient() = default;

void HttpClient::request(const std::string& method, const std::string& target, const std::string& apiKey,
                         std::chrono::milliseconds timeout, std::function<void(HttpResponse)> done) {
  net::HttpRequest req;
  req.method = method;
  req.target = target;
  if (!apiKey.empty()) req.headers.emplace_back("X-MBX-APIKEY", apiKey);
  // Binance takes every parameter in the query string, signed ones too: the body stays empty.
  if (method != "GET") req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  http_->request(std::move(req), timeout, [done = std::move(done)](net::HttpReply reply) {
    HttpResponse r;
    r.status = reply.status;
    r.body = std::move(reply.body);
    r.error = std::move(reply.error);
    r.sent = reply.sent;
    r.usedWeight1m = headerLong(reply, "X-MBX-USED-WEIGHT-1M");
    r.orderCount10s = headerLong(reply, "X-MBX-ORDER-COUNT-10S");
    r.orderCount1m = headerLong(reply, "X-MBX-ORDER-COUNT-1M");
    r.retryAfterS = headerLong(reply, "Retry-After");
    done(std::move(r));
  });
}

std::uint64_t HttpClient::connectionsOpened() const { return http_->connectionsOpened(); }

}  // namespace kappa::binance
