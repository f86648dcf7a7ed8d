#include "venue/deribit/DeribitSession.hpp"

#include <random>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitErrors.hpp"

namespace kappa::deribit {

std::string deribitSignature(const std::string& secret, std::uint64_t timestampMs, const std::string& nonce,
                             const std::string& data) {
  const std::string payload = std::to_string(timestampMs) + "\n" + nonce + "\n" + data;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

DeribitSession::DeribitSession(boost::asio::io_context& io, JsonRpcClient& rpc, SessionConfig config)
    : io_(io), rpc_(rpc), config_(std::move(config)), refreshTimer_(io), probeTimer_(io) {}

DeribitSession::~DeribitSession() {
  *alive_ = false;
  refreshTimer_.cancel();
  probeTimer_.cancel();
}

void DeribitSession::start(Ready ready, Failed failed) {
  ready_ = std::move(ready);
  failed_ = std::move(failed);
  hello();
}

void DeribitSession::stop() {
  stopped_ = true;
  refreshTimer_.cancel();
  probeTimer_.cancel();
}

bool DeribitSession::accept(const RpcReply& r, const char* step) {
  if (stopped_) return false;
  if (r.ok()) return true;
  stopped_ = true;
  if (failed_) failed_(std::string(step) + ": " + r.reason, r.status == RpcReply::Status::Error ? r.code : 0);
  return false;
}

void DeribitSession::hello() {
  auto alive = alive_;
  rpc_.call("public/hello", R"({"client_name":"kappa","client_version":"1"})", [this, alive](const RpcReply& r) {
    if (!*alive || !accept(r, "public/hello")) return;
    if (config_.credentials.empty()) {
      afterAuth();
    } else {
      auth();
    }
  }, {config_.requestTimeout});
}

std::string DeribitSession::authParams() const {
  const DeribitCredentials& c = config_.credentials;
  std::string p = "{\"grant_type\":";
  if (config_.signatureAuth) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char nonce[17];
    std::snprintf(nonce, sizeof nonce, "%016llx", static_cast<unsigned long long>(rng()));
    const std::uint64_t ts = std::uint64_t(wallNow() / 1'000'000);
    p += "\"client_signature\",\"client_id\":";
    appendJsonString(p, c.clientId);
    p += ",\"timestamp\":" + std::to_string(ts) + ",\"nonce\":";
    appendJsonString(p, nonce);
    p += ",\"data\":\"\",\"signature\":";
    appendJsonString(p, deribitSignature(c.clientSecret, ts, nonce, ""));
  } else {
    p += "\"client_credentials\",\"client_id\":";
    appendJsonString(p, c.clientId);
    p += ",\"client_secret\":";
    appendJsonString(p, c.clientSecret);
  }
  p += '}';
  return p;
}

void DeribitSession::auth() {
  auto alive = alive_;
  rpc_.call("public/auth", authParams(), [this, alive](const RpcReply& r) {
    if (!*alive || !accept(r, "public/auth")) return;
    std::string_view refresh, scope;
    double expires = 0;
    if (r.result["refresh_token"].get_string().get(refresh) == simdjson::SUCCESS) refreshToken_ = std::string(refresh);
    if (r.result["scope"].get_string().get(scope) == simdjson::SUCCESS) scope_ = std::string(scope);
    if (r.result["expires_in"].get_double().get(expires) == simdjson::SUCCESS) scheduleRefresh(expires);
    authorised_ = true;
    log::info("deribit", "logged in as " + config_.credentials.maskedId() + " (scope: " + scope_ + ")");
    afterAuth();
  }, {config_.requestTimeout});
}

void DeribitSession::afterAuth() {
  auto alive = alive_;
  auto next = [this, alive] {
    rpc_.call("public/set_heartbeat", "{\"interval\":" + std::to_string(std::max(1, config_.heartbeatIntervalS)) + "}",
              [this, alive](const RpcReply& r) {
                if (!*alive || !accept(r, "public/set_heartbeat")) return;
                scheduleProbe();
                if (ready_) ready_(authorised_);
              },
              {config_.requestTimeout});
  };
  if (!authorised_ || !config_.cancelOnDisconnect) return next();
  rpc_.call("private/enable_cancel_on_disconnect", R"({"scope":"connection"})", [this, alive, next](const RpcReply& r) {
    if (!*alive || !accept(r, "private/enable_cancel_on_disconnect")) return;
    next();
  }, {config_.requestTimeout});
}

void DeribitSession::onHeartbeat(bool testRequest) {
  if (!testRequest || stopped_) return;
  auto alive = alive_;
  const Nanos sent = monoNow();
  rpc_.call("public/test", "{}", [this, alive, sent](const RpcReply& r) {
    if (!*alive || !r.ok()) return;
    ++heartbeatsAnswered_;
    recordRoundTrip(monoNow() - sent);
  }, {config_.requestTimeout});
}

void DeribitSession::recordRoundTrip(std::int64_t nanos) {
  lastRoundTripMs_ = double(nanos) / 1e6;
  if (roundTrip_) roundTrip_(std::max<std::int64_t>(1, nanos / 1000));
}

void DeribitSession::scheduleProbe() {
  if (stopped_) return;
  probeTimer_.expires_after(std::chrono::seconds(std::max(1, config_.heartbeatIntervalS)));
  auto alive = alive_;
  probeTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || !*alive || stopped_) return;
    probe();
    scheduleProbe();
  });
}

void DeribitSession::probe() {
  if (probeInFlight_) return;  // the previous one still has time; its timeout decides
  probeInFlight_ = true;
  const auto deadline = std::max<std::chrono::milliseconds>(std::chrono::seconds(std::max(1, config_.heartbeatIntervalS)),
                                                            config_.requestTimeout);
  auto alive = alive_;
  const Nanos sent = monoNow();
  rpc_.call("public/test", "{}", [this, alive, sent, deadline](const RpcReply& r) {
    if (!*alive) return;
    probeInFlight_ = false;
    if (stopped_) return;
    if (r.ok()) {
      ++probesAnswered_;
      recordRoundTrip(monoNow() - sent);
    } else if (r.status == RpcReply::Status::TimedOut) {
      const std::string why = "no heartbeat answer from the exchange within " + std::to_string(deadline.count() / 1000) +
                              " s: the link is dead";
      log::warn("deribit", why);
      stopped_ = true;
      probeTimer_.cancel();
      if (deadLink_) deadLink_(why);
    }
  }, {deadline});
}

bool DeribitSession::reauthenticate() {
  if (stopped_ || reauthenticating_ || config_.credentials.empty()) return false;
  reauthenticating_ = true;
  log::warn("deribit", "the exchange answered 13009 unauthorized: logging in again on this connection");
  auto alive = alive_;
  rpc_.call("public/auth", authParams(), [this, alive](const RpcReply& r) {
    if (!*alive) return;
    reauthenticating_ = false;
    if (!accept(r, "public/auth (again, after 13009)")) return;
    std::string_view refresh;
    double expires = 0;
    if (r.result["refresh_token"].get_string().get(refresh) == simdjson::SUCCESS) refreshToken_ = std::string(refresh);
    if (r.result["expires_in"].get_double().get(expires) == simdjson::SUCCESS) scheduleRefresh(expires);
    log::info("deribit", "logged in again as " + config_.credentials.maskedId());
  }, {config_.requestTimeout});
  return true;
}

void DeribitSession::scheduleRefresh(double expiresInS) {
  if (!(expiresInS > 0)) return;
  // ~80 % of the token's life (as NautilusTrader does), capped so a year-long token still gets
  // refreshed on a long-running session rather than never.
  const double afterS = std::min(expiresInS * 0.8, 7.0 * 24 * 3600);
  refreshTimer_.expires_after(std::chrono::milliseconds(std::int64_t(afterS * 1000)));
  auto alive = alive_;
  refreshTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || !*alive || stopped_) return;
    refresh();
  });
}

void DeribitSession::refresh() {
  if (refreshToken_.empty()) return;
  std::string p = "{\"grant_type\":\"refresh_token\",\"refresh_token\":";
  appendJsonString(p, refreshToken_);
  p += '}';
  auto alive = alive_;
  rpc_.call("public/auth", std::move(p), [this, alive](const RpcReply& r) {
    if (!*alive || stopped_) return;
    if (!r.ok()) {  // the old token still works until it expires; a failure there ends the session
      log::warn("deribit", "token refresh failed: " + r.reason);
      scheduleRefresh(60);
      return;
    }
    std::string_view refresh;
    double expires = 0;
    if (r.result["refresh_token"].get_string().get(refresh) == simdjson::SUCCESS) refreshToken_ = std::string(refresh);
    if (r.result["expires_in"].get_double().get(expires) == simdjson::SUCCESS) scheduleRefresh(expires);
    log::info("deribit", "access token refreshed");
  }, {config_.requestTimeout});
}

}  // namespace kappa::deribit
