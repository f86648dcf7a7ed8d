#include "venue/deribit/DeribitCredentials.hpp"

namespace kappa::deribit {

bool parseDeribitEndpoint(const std::string& value, DeribitEndpoint& out, std::string& error) {
  if (value.empty() || value == "testnet") {
    out.environment = "testnet";  // field by field: a CA file set for the endpoint stays
    out.url = "wss://test.deribit.com/ws/api/v2";
    return true;
  }
  if (value == "mainnet") {
    out.environment = "mainnet";
    out.url = "wss://www.deribit.com/ws/api/v2";
    return true;
  }
  if (value.rfind("ws://", 0) == 0 || value.rfind("wss://", 0) == 0) {
    out.environment = "custom";
    out.url = value;
    // A bare host:port means Deribit's path.
    const std::size_t hostStart = value.find("://") + 3;
    if (value.find('/', hostStart) == std::string::npos) out.url += "/ws/api/v2";
    return true;
  }
  error = "unknown Deribit environment '" + value + "': use testnet, mainnet or a ws:// / wss:// URL";
  return false;
}

}  // namespace kappa::deribit
