#pragma once
// What serves a WebSocket connection's messages: Deribit's JSON-RPC (RpcDispatcher) or Binance's
// market and user-data streams (binance::Streams). WsSession talks to it; everything runs on the
// server's one thread.
#include <string>

#include "ClientSession.hpp"

namespace kappa::exchange {

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void onOpen(ClientSession& s) = 0;
  virtual void onClosed(ClientSession& s) = 0;
  virtual void onWsMessage(ClientSession& s, const std::string& text) = 0;
};

}  // namespace kappa::exchange
