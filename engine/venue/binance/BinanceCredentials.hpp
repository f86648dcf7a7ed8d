#pragma once
// What the Binance USD-M futures connector needs to sign requests and where to connect. A plain
// struct, like DeribitCredentials: the GUI (keychain) or the headless start-up (environment:
// KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET, or a 0600 file) fills it. The secret is never
// logged, journaled or reported; only the key may be shown, and only in part (maskedKey()).
#include <string>

namespace kappa::binance {

struct BinanceCredentials {
  std::string apiKey;     // sent as X-MBX-APIKEY
  std::string apiSecret;  // signs the query (HMAC-SHA256); never leaves the process
  bool empty() const { return apiKey.empty() || apiSecret.empty(); }
  // "vmPU…" — enough for a trader to recognise the key, not enough to use it.
  std::string maskedKey() const { return apiKey.size() > 4 ? apiKey.substr(0, 4) + "…" : std::string("…"); }
};

// Reads KAPPA_BINANCE_API_KEY / KAPPA_BINANCE_API_SECRET (empty fields when unset).
BinanceCredentials binanceCredentialsFromEnvironment();

// testnet (default), mainnet (must be named), or a custom http(s)://HOST:PORT base (a local
// kappa-exchange: REST under /fapi, WebSocket streams under /ws and /stream on the same port).
struct BinanceEndpoint {
  std::string environment = "testnet";  // "testnet", "mainnet" or "custom"
  std::string restBase = "https://testnet.binancefuture.com";  // + /fapi/v1/...
  std::string wsBase = "wss://fstream.binancefuture.com";      // + /stream?streams=... and /ws/<listenKey>
  std::string caFile;  // https/wss: also trust this CA (a local test certificate); empty = system store only
};
// Parses --binance-env's value; false with `error` on an unknown name or URL.
bool parseBinanceEndpoint(const std::string& value, BinanceEndpoint& out, std::string& error);

}  // namespace kappa::binance
