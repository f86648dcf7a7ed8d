#pragma once
// An HTTP/1.1 client for one server (Boost.Beast), over TLS (https: SNI, the server verified, see
// TlsContext) or plain TCP (http: a local kappa-exchange), with a small keep-alive pool: a
// connection the server leaves open after an answer is kept and reused by the next request, so a
// request to a distant exchange costs one round trip instead of three or four (TCP and TLS
// handshakes first).
//
// Reuse is careful about what a resend means:
// - Before reuse, an idle connection is checked without blocking: one the server has closed
//   (end of stream, or anything it sent unasked) or idle longer than maxIdleTime is discarded.
// - A request that fails on a reused connection before any of it was written is sent again on a
//   fresh connection, whatever its method: nothing reached the server.
// - One that fails after it was written but before any byte of the answer came (the server closed
//   the idle connection as the request went out) is sent again on a fresh connection only when
//   its method is safe to repeat (GET, HEAD). Anything else - an order POST, a cancel - is
//   answered with the error and sent = true: its outcome is unknown, and the caller resolves it.
// - A timeout is never retried here.
// Concurrent requests each take their own connection (an idle one or a new one); at most
// maxIdleConnections are kept once they are done.
//
// Runs on the io_context it is given (one thread); `done` is always called there, never inside
// request(). request() may be called from any thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "venue/net/Endpoint.hpp"

namespace kappa::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE, ...
  std::string target = "/";    // path and query
  HttpHeaders headers;         // besides Host and User-Agent, which the client sets
  std::string body;
};

struct HttpReply {
  int status = 0;      // 0: no answer (error says why)
  std::string body;
  HttpHeaders headers;
  std::string error;   // transport failure
  bool sent = false;   // the request was (at least partly) written: it may have reached the server
  bool reused = false; // answered over a connection kept from an earlier request
  bool ok() const { return status >= 200 && status < 300; }
  // The value of the first header of that name (case-insensitive), or null.
  const std::string* header(std::string_view name) const;
};

struct HttpClientOptions {
  std::string caFile;                      // also trust this CA (a test server's certificate)
  std::size_t maxIdleConnections = 4;      // kept open between requests
  std::chrono::seconds maxIdleTime{30};    // older idle connections are closed, not reused
};

class HttpClient {
 public:
  // A TLS server whose settings cannot be loaded (CA file) still gives a client: each request is
  // answered with the reason.
  HttpClient(boost::asio::io_context& io, Endpoint server, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`; `done` gets the answer or the failure, within `timeout` (all attempts).
  void request(HttpRequest request, std::chrono::milliseconds timeout, std::function<void(HttpReply)> done);

  const Endpoint& server() const { return server_; }
  // TCP connections opened so far (any thread): what the pool saves shows here.
  std::uint64_t connectionsOpened() const;

  struct Pool;

 private:
  Endpoint server_;
  std::shared_ptr<Pool> pool_;
};

// True for methods a client may repeat on its own (RFC 9110 9.2.1: safe): GET and HEAD.
bool isSafeToResend(std::string_view method);

}  // namespace kappa::net
