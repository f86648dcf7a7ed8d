#pragma once
// kappa-exchange's command line:
//   kappa-exchange --listen 127.0.0.1:PORT [--tls-cert F --tls-key F] --seed N [--sim-start T]
//                  [--account CLIENT_ID:CLIENT_SECRET]... [--accounts-file F]
//                  [--me-limit RATE/BURST] [--non-me-limit RATE/BURST] [--min-heartbeat S]
//                  [--token-lifetime S]
//                  [--fault-drop-every S] [--fault-skip-change-every S] [--fault-delay MS]
//                  [--fault-error METHOD:CODE]... [--fault-lock] [--fault-silent-heartbeat]
//                  [--wire-log FILE]
//                  [--no-binance] [--binance-ping-interval S] [--binance-max-connection S]
//                  [--binance-listen-key-validity S] [--binance-weight-limit N] [--binance-order-limit-10s N]
//                  [--binance-order-limit-1m N] [--binance-ban-seconds S]
//                  [--binance-fault-skip-every S] [--binance-fault-pu-break-every S]
//                  [--binance-fault-drop-every S] [--binance-fault-stale-snapshot N]
// PORT 0 picks a free port; the first line of stdout says where it listens.
// An accounts file holds one account a line: CLIENT_ID:CLIENT_SECRET [BTC=10] [ETH=100]
// ('#' starts a comment). Without any account the exchange has one, kappa-demo:kappa-demo-secret,
// for loopback demos. Every account starts with 10 BTC and 100 ETH unless the file says otherwise,
// and on the Binance side (the same id and secret, the id serving as API key) with 100,000 USDT
// unless the file names USDT=N.
#include <map>
#include <string>
#include <vector>

#include "CreditLimiter.hpp"
#include "core/Types.hpp"

namespace kappa::exchange {

struct AccountSpec {
  std::string clientId, secret;
  std::map<std::string, double> balances;
};

// The Binance USD-M futures side (exchange/Binance*): on by default, on the same port.
struct BinanceConfig {
  bool enabled = true;
  double pingIntervalSeconds = 180;        // server pings; a client silent for twice this is closed
  double maxConnectionSeconds = 86400;     // Binance closes every connection after 24 h
  double listenKeyValiditySeconds = 3600;  // a listen key lives 60 min from its last keepalive
  double weightLimit = 2400, orderLimit10s = 300, orderLimit1m = 1200, banSeconds = 120;
  double faultSkipEvery = 0, faultPuBreakEvery = 0, faultDropEvery = 0, faultStaleSnapshots = 0;
};

struct ExchangeConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string tlsCert, tlsKey;
  std::uint64_t seed = 1;
  Nanos simStart = 0;  // 0 = now
  double feedRate = 2500;  // the simulator's L2 level updates per second over all books (benchmarks: more)
  std::vector<AccountSpec> accounts;
  RateLimit matching{5, 20};
  RateLimit other{20, 100};
  int minHeartbeatSeconds = 10;
  int tokenLifetimeSeconds = 900;
  // Faults from the command line.
  double dropEverySeconds = 0, skipChangeEverySeconds = 0;
  int delayMs = 0;
  std::vector<std::pair<std::string, int>> methodErrors;
  bool locked = false, heartbeatSilent = false;
  // Benchmarks: each book notification's write time, written to this file at exit (WireLog.hpp).
  std::string wireLog;
  BinanceConfig binance;
};

// Parses argv; on a bad argument returns false with a message that names it.
bool parseCommandLine(int argc, char** argv, ExchangeConfig& out, std::string& error);
// Parses one "YYYY-MM-DDTHH:MM:SS[.fff]Z" time; false if malformed.
bool parseIsoTime(const std::string& s, Nanos& out);
// Reads an accounts file into `out`.
bool readAccountsFile(const std::string& path, std::vector<AccountSpec>& out, std::string& error);
const char* usage();

}  // namespace kappa::exchange
