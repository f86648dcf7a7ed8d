#include "venue/net/Endpoint.hpp"

namespace kappa::net {

namespace {

const char* defaultPort(bool tls) { return tls ? "443" : "80"; }

}  // namespace

bool parseEndpoint(const std::string& url, Scheme scheme, Endpoint& out, std::string& error) {
  const char* secure = scheme == Scheme::Http ? "https://" : "wss://";
  const char* plain = scheme == Scheme::Http ? "http://" : "ws://";
  std::string rest;
  Endpoint parsed;
  if (url.rfind(secure, 0) == 0) {
    parsed.tls = true;
    rest = url.substr(std::string(secure).size());
  } else if (url.rfind(plain, 0) == 0) {
    parsed.tls = false;
    rest = url.substr(std::string(plain).size());
  } else {
    error = std::string("not a ") + plain + " or " + secure + " URL: " + url;
    return false;
  }
  const std::size_t slash = rest.find('/');
  const std::string hostPort = rest.substr(0, slash);
  parsed.target = slash == std::string::npos ? "/" : rest.substr(slash);
  parsed.port = defaultPort(parsed.tls);
  if (!hostPort.empty() && hostPort.front() == '[') {  // [::1]:8080
    const std::size_t close = hostPort.find(']');
    if (close == std::string::npos) {
      error = "bad IPv6 host in " + url;
      return false;
    }
    parsed.host = hostPort.substr(1, close - 1);
    const std::string after = hostPort.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "bad host or port in " + url;
        return false;
      }
      parsed.port = after.substr(1);
    }
  } else {
    const std::size_t colon = hostPort.rfind(':');
    parsed.host = hostPort.substr(0, colon);
    if (colon != std::string::npos) parsed.port = hostPort.substr(colon + 1);
  }
  if (parsed.host.empty() || parsed.port.empty() || parsed.port.size() > 5 ||
      parsed.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(parsed.port) > 65535) {
    error = "bad host or port in " + url;
    return false;
  }
  out = std::move(parsed);
  return true;
}

std::string hostHeader(const Endpoint& endpoint) {
  const std::string host = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
  return endpoint.port == defaultPort(endpoint.tls) ? host : host + ":" + endpoint.port;
}

}  // namespace kappa::net
