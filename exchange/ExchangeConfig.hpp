#pragma once
// kappa-exchange's command line:
//   kappa-exchange --listen 127.0.0.1:PORT [--tls-cert F --tls-key F] --seed N [--sim-start T]
//                  [--account CLIENT_ID:CLIENT_SECRET]... [--accounts-file F]
//                  [--me-limit RATE/BURST] [--non-me-limit RATE/BURST] [--min-heartbeat S]
//                  [--token-lifetime S]
//                  [--fault-drop-every S] [--fault-skip-change-every S] [--fault-delay MS]
//                  [--fault-error METHOD:CODE]... [--fault-lock] [--fault-silent-heartbeat]
//                  [--wire-log FILE]
// PORT 0 picks a free port; the first line of stdout says where it listens.
// An accounts file holds one account a line: CLIENT_ID:CLIENT_SECRET [BTC=10] [ETH=100]
// ('#' starts a comment). Without any account the exchange has one, kappa-demo:kappa-demo-secret,
// for loopback demos. Every account starts with 10 BTC and 100 ETH unless the file says otherwise.
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

struct ExchangeConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string tlsCert, tlsKey;
  std::uint64_t seed = 1;
  Nanos simStart = 0;  // 0 = now
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
};

// Parses argv; on a bad argument returns false with a message that names it.
bool parseCommandLine(int argc, char** argv, ExchangeConfig& out, std::string& error);
// Parses one "YYYY-MM-DDTHH:MM:SS[.fff]Z" time; false if malformed.
bool parseIsoTime(const std::string& s, Nanos& out);
// Reads an accounts file into `out`.
bool readAccountsFile(const std::string& path, std::vector<AccountSpec>& out, std::string& error);
const char* usage();

}  // namespace kappa::exchange
