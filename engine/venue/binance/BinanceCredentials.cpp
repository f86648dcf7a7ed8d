#include "venue/binance/BinanceCredentials.hpp"

#include <cstdlib>

namespace kappa::binance {

BinanceCredentials binanceCredentialsFromEnvironment() {
  BinanceCredentials c;
  if (const char* k = std::getenv("KAPPA_BINANCE_API_KEY")) c.apiKey = k;
  if (const char* s = std::getenv("KAPPA_BINANCE_API_SECRET")) c.apiSecret = s;
  return c;
}

bool parseBinanceEndpoint(const std::string& value, BinanceEndpoint& out, std::string& error) {
  if (value.empty() || value == "testnet") {
    out.environment = "testnet";  // field by field: a CA file set for the endpoint stays
    out.restBase = "https://testnet.binancefuture.com";
    out.wsBase = "wss://fstream.binancefuture.com";
    return true;
  }
  if (value == "mainnet") {
    out.environment = "mainnet";
    out.restBase = "https://fapi.binance.com";
    out.wsBase = "wss://fstream.binance.com";
    return true;
  }
  const bool tls = value.rfind("https://", 0) == 0;
  if (tls || value.rfind("http://", 0) == 0) {
    std::string hostPort = value.substr(tls ? 8 : 7);
    while (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
    if (hostPort.empty() || hostPort.find('/') != std::string::npos) {
      error = "a custom Binance endpoint is a base without a path, http://HOST:PORT: " + value;
      return false;
    }
    out.environment = "custom";
    out.restBase = std::string(tls ? "https://" : "http://") + hostPort;
    out.wsBase = std::string(tls ? "wss://" : "ws://") + hostPort;
    return true;
  }
  error = "unknown Binance environment '" + value + "': use testnet, mainnet or http://HOST:PORT";
  return false;
}

}  // namespace kappa::binance
