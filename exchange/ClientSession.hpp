#pragma once
// One client connection as the exchange's logic sees it, whatever its transport: WebSocket (with
// subscriptions, heartbeats, cancel-on-disconnect) or one HTTP request/response connection.
// Everything runs on the server's single thread, so the state needs no locking.
#include <cstdint>
#include <set>
#include <string>

#include "core/Types.hpp"

namespace kappa::exchange {

class ClientSession {
 public:
  virtual ~ClientSession() = default;
  // Queues a text message (a response or a notification); sent in order.
  virtual void send(std::string text) = 0;
  // Closes after what is queued has been sent (10028: the answer, then the close).
  virtual void closeAfterSend() = 0;
  // Drops the TCP connection at once, like a network failure (fault injection).
  virtual void dropNow() = 0;
  virtual bool isWebSocket() const = 0;
  virtual bool isLoopback() const = 0;

  std::uint64_t id = 0;
  std::string target;               // the WebSocket upgrade's path and query (/ws/api/v2, /stream?streams=...)
  std::string remoteIp;             // the peer's address (Binance's limits are per IP)
  int account = 0;                  // 0 = not authorised
  std::string accessToken;          // the token this connection authorised with (WebSocket)
  Nanos tokenExpiry = 0;
  std::set<std::string> channels;   // subscriptions (WebSocket only)
  // Heartbeat (public/set_heartbeat): the server sends test_request every interval and closes
  // the connection if the previous one was not answered with public/test.
  int heartbeatSeconds = 0;
  bool awaitingTest = false;
  Nanos nextHeartbeat = 0;          // monotonic
  bool cancelOnDisconnect = false;  // scope connection
  bool closing = false;
};

}  // namespace kappa::exchange
