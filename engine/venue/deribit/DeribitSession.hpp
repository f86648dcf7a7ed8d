#pragma once
// The login part of a Deribit connection, once the WebSocket is open: public/hello, public/auth
// (client_credentials by default; client_signature on request, so the secret never travels), then
// private/enable_cancel_on_disconnect {scope: connection} at once — if Kappa dies or the link drops
// the exchange itself cancels this session's orders — and public/set_heartbeat. Afterwards it
// answers every heartbeat test_request with public/test (or the server closes the connection) and
// refreshes the token at ~80 % of its lifetime. I/O thread only; one session per connection.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "venue/deribit/DeribitCredentials.hpp"
#include "venue/deribit/JsonRpcClient.hpp"

namespace kappa::deribit {

struct SessionConfig {
  DeribitCredentials credentials;  // empty: public data only
  bool signatureAuth = false;      // client_signature instead of client_credentials
  // Deribit accepts 10 and more; shorter only against a kappa-exchange started with
  // --min-heartbeat (tests), never Deribit itself.
  int heartbeatIntervalS = 15;
  bool cancelOnDisconnect = true;
  std::chrono::milliseconds requestTimeout{10'000};
};

// hex(HMAC-SHA256(secret, "timestamp\nnonce\ndata")): Deribit's client_signature.
std::string deribitSignature(const std::string& secret, std::uint64_t timestampMs, const std::string& nonce,
                             const std::string& data);

class DeribitSession {
 public:
  using Ready = std::function<void(bool authorised)>;
  // `code` is Deribit's error code when the exchange refused (13004 invalid_credentials…), else 0.
  using Failed = std::function<void(const std::string& reason, int code)>;
  using DeadLink = std::function<void(const std::string& reason)>;
  using RoundTrip = std::function<void(std::int64_t micros)>;

  DeribitSession(boost::asio::io_context& io, JsonRpcClient& rpc, SessionConfig config);
  ~DeribitSession();

  void start(Ready ready, Failed failed);
  void stop();
  // Optional, set before start().
  void onDeadLink(DeadLink f) { deadLink_ = std::move(f); }
  void onRoundTrip(RoundTrip f) { roundTrip_ = std::move(f); }
  // The exchange answered a private request with 13009 (token no longer valid): public/auth
  // again on this connection (subscriptions and orders stay); if that fails the session fails.
  // False when there is nothing to do (already under way, stopped, no credentials).
  bool reauthenticate();
  // A heartbeat notification; test_request asks for public/test.
  void onHeartbeat(bool testRequest);

  bool authorised() const { return authorised_; }
  const std::string& scope() const { return scope_; }
  double lastTestRoundTripMs() const { return lastRoundTripMs_; }
  std::uint64_t heartbeatsAnswered() const { return heartbeatsAnswered_; }
  std::uint64_t probesAnswered() const { return probesAnswered_; }

 private:
  void hello();
  void auth();
  void afterAuth();
  void scheduleProbe();
  void probe();
  void recordRoundTrip(std::int64_t nanos);
  void scheduleRefresh(double expiresInS);
  void refresh();
  bool accept(const RpcReply& r, const char* step);
  std::string authParams() const;

  boost::asio::io_context& io_;
  JsonRpcClient& rpc_;
  SessionConfig config_;
  Ready ready_;
  Failed failed_;
  boost::asio::steady_timer refreshTimer_, probeTimer_;
  DeadLink deadLink_;
  RoundTrip roundTrip_;
  bool probeInFlight_ = false, reauthenticating_ = false;
  std::string refreshToken_, scope_;
  bool authorised_ = false, stopped_ = false;
  double lastRoundTripMs_ = 0;
  std::uint64_t heartbeatsAnswered_ = 0, probesAnswered_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // callbacks after destruction do nothing
};

}  // namespace kappa::deribit
