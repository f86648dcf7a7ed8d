#pragma once
// What the Deribit connector needs to log in and where to connect. A plain struct: the engine knows
// no keychain; the GUI (QtKeychain) or the headless start-up (environment, 0600 file) fills it.
// Never logged, journaled or reported: only `clientId` may be shown, and only in part (maskedId()).
#include <string>

namespace kappa::deribit {

struct DeribitCredentials {
  std::string clientId;
  std::string clientSecret;
  bool empty() const { return clientId.empty() || clientSecret.empty(); }
  // "fo7W…" — enough for a trader to recognise the key, not enough to use it.
  std::string maskedId() const { return clientId.size() > 4 ? clientId.substr(0, 4) + "…" : std::string("…"); }
};

// testnet (default), mainnet (must be named), or an explicit ws:// / wss:// URL (kappa-exchange).
struct DeribitEndpoint {
  std::string environment = "testnet";  // "testnet", "mainnet" or "custom"
  std::string url = "wss://test.deribit.com/ws/api/v2";
  std::string caFile;  // wss: also trust this CA (a local kappa-exchange's test certificate); empty = system store only
};
// Parses --deribit-env's value; returns false and sets `error` on an unknown name or URL.
bool parseDeribitEndpoint(const std::string& value, DeribitEndpoint& out, std::string& error);

}  // namespace kappa::deribit
