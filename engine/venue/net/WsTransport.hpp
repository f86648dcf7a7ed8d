#pragma once
// A WebSocket client connection (Boost.Beast) over TLS (wss://, OpenSSL, SNI, the peer verified
// against the system CA store and optionally one more CA file) or plain TCP (ws://). Every venue's
// streams use it (Deribit's JSON-RPC, Binance's market and user-data streams).
//
// Runs on the io_context it is given (the connector's own I/O thread): every handler is called
// there, and every method must be called there too. Connecting is bounded by a timeout; once open,
// Beast's keep-alive pings detect a dead peer; writes are queued and sent one at a time. The close
// handler is called exactly once, with the reason, whatever ended the connection (including close()).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

namespace kappa::net {

struct WsOptions {
  std::chrono::milliseconds connectTimeout{10'000};
  std::chrono::seconds idleTimeout{20};  // no traffic (pings unanswered) for this long: closed
  std::string caFile;                    // also trust this CA (a test server's certificate)
};

class WsTransport {
 public:
  static constexpr std::size_t kReadPadding = 64;
  struct Handlers {
    std::function<void()> onOpen;
    // The text is valid during the call only, and followed by at least kReadPadding readable
    // bytes (simdjson parses it in place).
    std::function<void(std::string_view)> onMessage;
    std::function<void(const std::string& reason)> onClose;
  };
  virtual ~WsTransport() = default;
  // Starts connecting; onOpen or onClose follows.
  virtual void start() = 0;
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
  virtual bool isOpen() const = 0;
  virtual std::size_t queuedWrites() const = 0;
};

// Creates a connection (not yet started) to ws(s)://host[:port]/path, or returns null with `error`
// for a bad URL or CA file.
std::shared_ptr<WsTransport> makeWsTransport(boost::asio::io_context& io, const std::string& url, const WsOptions& options,
                                             WsTransport::Handlers handlers, std::string& error);

}  // namespace kappa::net
