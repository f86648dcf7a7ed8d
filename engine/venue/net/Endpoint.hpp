#pragma once
// Where a connector connects: one URL parser for every venue's REST base and WebSocket URL, so
// that https://, wss://, an explicit port and an IPv6 host mean the same thing everywhere.
#include <string>

namespace kappa::net {

struct Endpoint {
  bool tls = true;
  std::string host;    // without brackets for IPv6 ("::1")
  std::string port;    // "443" by default for https/wss, "80" for http/ws
  std::string target;  // the path and query, "/" when the URL has none
};

enum class Scheme { Http, WebSocket };

// Parses http(s)://host[:port][/target] (Scheme::Http) or ws(s)://… (Scheme::WebSocket); an IPv6
// host goes in brackets ([::1]:8080). False with `error` (naming the URL) otherwise.
bool parseEndpoint(const std::string& url, Scheme scheme, Endpoint& out, std::string& error);

// The Host header's value: the host, with ":port" only when the port is not the scheme's default
// (a server behind a proxy compares it with its own name), IPv6 hosts in brackets.
std::string hostHeader(const Endpoint& endpoint);

}  // namespace kappa::net
