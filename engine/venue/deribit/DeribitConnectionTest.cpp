#include "venue/deribit/DeribitConnectionTest.hpp"

#include <cstdio>

#include <boost/asio/io_context.hpp>

#include "core/Clock.hpp"
#include "venue/deribit/DeribitSession.hpp"
#include "venue/deribit/JsonRpcClient.hpp"
#include "venue/net/WsTransport.hpp"

namespace kappa::deribit {

using net::makeWsTransport;
using net::WsOptions;
using net::WsTransport;

// Everything on the caller's thread with its own io_context: connect, hello, auth (the session
// does both), one public/test for the round trip, close. run_for bounds the whole.
ConnectionTestResult testDeribitConnection(const DeribitEndpoint& endpoint, const DeribitCredentials& credentials,
                                           std::chrono::milliseconds timeout) {
  ConnectionTestResult result;
  boost::asio::io_context io;
  DeribitRateLimiter limiter({}, monoNow());
  JsonRpcClient rpc(io, limiter);
  std::unique_ptr<DeribitSession> session;
  std::shared_ptr<WsTransport> transport;
  bool done = false;
  const std::string where = endpoint.environment == "custom" ? endpoint.url : endpoint.environment;
  auto finish = [&](bool ok, std::string message) {
    if (done) return;
    done = true;
    result.ok = ok;
    result.message = std::move(message);
    if (session) session->stop();
    if (transport) transport->close();
  };

  WsOptions options;
  options.connectTimeout = timeout;
  options.caFile = endpoint.caFile;
  WsTransport::Handlers h;
  h.onOpen = [&] {
    rpc.attach([&](std::string text) {
      if (transport) transport->send(std::move(text));
    });
    SessionConfig sc;
    sc.credentials = credentials;
    sc.cancelOnDisconnect = false;  // a test connection places no orders
    sc.requestTimeout = timeout;
    session = std::make_unique<DeribitSession>(io, rpc, sc);
    session->start(
        [&](bool authorised) {
          if (!authorised) return finish(false, "connected to " + where + ", but no API key was given");
          const Nanos sent = monoNow();
          rpc.call("public/test", "{}", [&, sent](const RpcReply& r) {
            if (!r.ok()) return finish(false, "public/test: " + r.reason);
            result.roundTripMs = double(monoNow() - sent) / 1e6;
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.1f", result.roundTripMs);
            finish(true, "connected to " + where + " as " + credentials.maskedId() + ", " + ms + " ms");
          }, {timeout});
        },
        [&](const std::string& reason, int) { finish(false, reason); });
  };
  h.onMessage = [&](std::string_view text) {
    // Only responses matter here; heartbeats are not enabled long enough to arrive.
    if (text.find("\"id\"") != std::string_view::npos) rpc.onResponse(text);
  };
  h.onClose = [&](const std::string& reason) {
    rpc.detach(reason);
    finish(false, "connection to " + where + " failed: " + reason);
  };
  std::string error;
  transport = makeWsTransport(io, endpoint.url, options, std::move(h), error);
  if (!transport) return {false, error, 0};
  transport->start();
  io.run_for(timeout);
  if (!done) finish(false, "no answer from " + where + " within " + std::to_string(timeout.count()) + " ms");
  io.run_for(std::chrono::milliseconds(500));  // let the close go out
  return result;
}

}  // namespace kappa::deribit
