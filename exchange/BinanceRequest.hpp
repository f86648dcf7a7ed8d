#pragma once
// One Binance REST request as the exchange reads it: the parameters from the query string and,
// for POST/PUT/DELETE with a form body, from the body (application/x-www-form-urlencoded), and the
// exact bytes a SIGNED endpoint's HMAC covers: Binance's "totalParams", the query string followed
// directly by the body, without the signature parameter itself.
#include <map>
#include <optional>
#include <string>

namespace kappa::exchange::binance {

class Request {
 public:
  Request(const std::string& query, const std::string& body);

  bool has(const std::string& key) const { return params_.count(key) != 0; }
  // The parameter's value; ApiError -1102 when it is missing or empty.
  const std::string& required(const std::string& key) const;
  std::optional<std::string> get(const std::string& key) const;
  std::string getOr(const std::string& key, const std::string& fallback) const;
  // Integer parameters (timestamp, limit, orderId): -1102 when required and missing, -1100 when
  // not a number.
  long long integer(const std::string& key) const;
  long long integerOr(const std::string& key, long long fallback) const;

  const std::string& signature() const { return signature_; }
  const std::string& signedPayload() const { return payload_; }

 private:
  std::map<std::string, std::string> params_;
  std::string signature_, payload_;
};

std::string urlDecode(const std::string& s);

}  // namespace kappa::exchange::binance
