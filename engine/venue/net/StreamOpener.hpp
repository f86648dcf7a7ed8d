#pragma once
// Opening a client connection the way every connector does: resolve, connect (bounded by a
// timeout), Nagle off, and for TLS the handshake with SNI and the server's name verified against
// its certificate. Used by the WebSocket transport and the HTTP client alike.
//
// Runs on the stream's executor; `done` is called there exactly once, with an empty string on
// success or the reason in words. The caller keeps the resolver and the stream alive until then
// (its `done` usually holds the owner). The TCP stream's expiry is left set to the timeout.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "venue/net/Endpoint.hpp"

namespace kappa::net {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using OpenHandler = std::function<void(std::string error)>;

void asyncOpen(boost::asio::ip::tcp::resolver& resolver, boost::beast::tcp_stream& stream, const Endpoint& endpoint,
               std::chrono::milliseconds timeout, OpenHandler done);
void asyncOpen(boost::asio::ip::tcp::resolver& resolver, TlsStream& stream, const Endpoint& endpoint,
               std::chrono::milliseconds timeout, OpenHandler done);

}  // namespace kappa::net
