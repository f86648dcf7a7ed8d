#include "ExchangeConfig.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kappa::exchange {
namespace {
bool parseRate(const std::string& s, RateLimit& out) {
  const auto slash = s.find('/');
  try {
    out.perSecond = std::stod(s.substr(0, slash));
    out.burst = slash == std::string::npos ? out.perSecond : std::stod(s.substr(slash + 1));
  } catch (...) {
    return false;
  }
  return out.perSecond >= 0 && out.burst >= (out.perSecond > 0 ? 1 : 0);
}

bool parseAccount(const std::string& text, AccountSpec& out) {
  std::istringstream in(text);
  std::string pair;
  in >> pair;
  const auto colon = pair.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) return false;
  out.clientId = pair.substr(0, colon);
  out.secret = pair.substr(colon + 1);
  out.balances = {{"BTC", 10.0}, {"ETH", 100.0}};
  std::string kv;
  while (in >> kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) return false;
    try {
      out.balances[kv.substr(0, eq)] = std::stod(kv.substr(eq + 1));
    } catch (...) {
      return false;
    }
  }
  return true;
}
}  // namespace

const char* usage() {
  return "usage: kappa-exchange --listen HOST:PORT [--tls-cert FILE --tls-key FILE] --seed N [--sim-start ISO8601]\n"
         "         [--feed-rate N] (book level updates per second, default 2500)\n"
         "         [--account CLIENT_ID:CLIENT_SECRET]... [--accounts-file FILE]\n"
         "         [--me-limit RATE/BURST] [--non-me-limit RATE/BURST] (requests/s; 0 = unlimited)\n"
         "         [--min-heartbeat SECONDS] [--token-lifetime SECONDS]\n"
         "         [--fault-drop-every S] [--fault-skip-change-every S] [--fault-delay MS]\n"
         "         [--fault-error METHOD:CODE]... [--fault-lock] [--fault-silent-heartbeat]\n"
         "         [--wire-log FILE] (benchmarks: each book notification's write time, written at exit)\n"
         "         [--no-binance] [--binance-ping-interval S] [--binance-max-connection S]\n"
         "         [--binance-listen-key-validity S] [--binance-weight-limit N] [--binance-order-limit-10s N]\n"
         "         [--binance-order-limit-1m N] [--binance-ban-seconds S]\n"
         "         [--binance-fault-skip-every S] [--binance-fault-pu-break-every S] [--binance-fault-drop-every S]\n"
         "         [--binance-fault-stale-snapshot N]\n";
}

bool parseIsoTime(const std::string& s, Nanos& out) {
  int y, mo, d, h, mi;
  double sec;
  char z = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf%c", &y, &mo, &d, &h, &mi, &sec, &z) != 7 || z != 'Z') return false;
  if (y < 2000 || y >= 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
    return false;
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(unsigned(mo)), day(unsigned(d))};
  if (!ymd.ok()) return false;
  const auto t = sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi);
  out = duration_cast<nanoseconds>(t).count() + Nanos(sec * 1e9);
  return true;
}

bool readAccountsFile(const std::string& path, std::vector<AccountSpec>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the accounts file " + path;
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    AccountSpec a;
    if (!parseAccount(line, a)) {  // never echo the line: it holds a secret
      error = path + ":" + std::to_string(n) + ": expected CLIENT_ID:CLIENT_SECRET [CUR=BALANCE]...";
      return false;
    }
    out.push_back(std::move(a));
  }
  return true;
}

bool parseCommandLine(int argc, char** argv, ExchangeConfig& out, std::string& error) {
  bool haveListen = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](std::string& v) {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      v = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      error = "help";
      return false;
    } else if (arg == "--listen") {
      if (!value(v)) return false;
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return (error = "--listen must be HOST:PORT, got '" + v + "'", false);
      out.host = v.substr(0, colon);
      try {
        const int port = std::stoi(v.substr(colon + 1));
        if (port < 0 || port > 65535) throw std::out_of_range("port");
        out.port = static_cast<unsigned short>(port);
      } catch (...) {
        return (error = "--listen port must be 0..65535, got '" + v + "'", false);
      }
      haveListen = true;
    } else if (arg == "--tls-cert") {
      if (!value(out.tlsCert)) return false;
    } else if (arg == "--tls-key") {
      if (!value(out.tlsKey)) return false;
    } else if (arg == "--seed") {
      if (!value(v)) return false;
      try {
        out.seed = std::stoull(v);
      } catch (...) {
        return (error = "--seed must be a whole number, got '" + v + "'", false);
      }
    } else if (arg == "--feed-rate") {
      if (!value(v)) return false;
      char* end = nullptr;
      const double rate = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end || !(rate >= 0 && rate <= 5e6))
        return (error = "--feed-rate must be a number from 0 to 5000000, got '" + v + "'", false);
      out.feedRate = rate;
    } else if (arg == "--sim-start") {
      if (!value(v)) return false;
      if (!parseIsoTime(v, out.simStart))
        return (error = "--sim-start must be an ISO 8601 UTC time such as 2026-11-23T09:00:00Z, got '" + v + "'", false);
    } else if (arg == "--account") {
      if (!value(v)) return false;
      AccountSpec a;
      if (!parseAccount(v, a) || v.find(' ') != std::string::npos)
        return (error = "--account must be CLIENT_ID:CLIENT_SECRET", false);
      out.accounts.push_back(std::move(a));
    } else if (arg == "--accounts-file") {
      if (!value(v) || !readAccountsFile(v, out.accounts, error)) return false;
    } else if (arg == "--me-limit" || arg == "--non-me-limit") {
      if (!value(v)) return false;
      if (!parseRate(v, arg == "--me-limit" ? out.matching : out.other))
        return (error = arg + " must be RATE/BURST in requests per second, got '" + v + "'", false);
    } else if (arg == "--min-heartbeat" || arg == "--token-lifetime" || arg == "--fault-delay") {
      if (!value(v)) return false;
      int n = 0;
      try {
        n = std::stoi(v);
      } catch (...) {
        n = -1;
      }
      if (n < (arg == "--fault-delay" ? 0 : 1)) return (error = arg + " must be a positive whole number, got '" + v + "'", false);
      (arg == "--min-heartbeat" ? out.minHeartbeatSeconds : arg == "--token-lifetime" ? out.tokenLifetimeSeconds : out.delayMs) = n;
    } else if (arg == "--fault-drop-every" || arg == "--fault-skip-change-every") {
      if (!value(v)) return false;
      double s = 0;
      try {
        s = std::stod(v);
      } catch (...) {
        s = -1;
      }
      if (s <= 0) return (error = arg + " must be a positive number of seconds, got '" + v + "'", false);
      (arg == "--fault-drop-every" ? out.dropEverySeconds : out.skipChangeEverySeconds) = s;
    } else if (arg == "--fault-error") {
      if (!value(v)) return false;
      const auto colon = v.rfind(':');
      int code = 0;
      try {
        code = colon == std::string::npos ? 0 : std::stoi(v.substr(colon + 1));
      } catch (...) {
        code = 0;
      }
      if (code == 0) return (error = "--fault-error must be METHOD:CODE (e.g. private/buy:11051), got '" + v + "'", false);
      out.methodErrors.emplace_back(v.substr(0, colon), code);
    } else if (arg == "--fault-lock") {
      out.locked = true;
    } else if (arg == "--fault-silent-heartbeat") {
      out.heartbeatSilent = true;
    } else if (arg == "--no-binance") {
      out.binance.enabled = false;
    } else if (arg.rfind("--binance-", 0) == 0) {
      BinanceConfig& b = out.binance;
      const std::pair<const char*, double*> options[] = {
          {"--binance-ping-interval", &b.pingIntervalSeconds},
          {"--binance-max-connection", &b.maxConnectionSeconds},
          {"--binance-listen-key-validity", &b.listenKeyValiditySeconds},
          {"--binance-weight-limit", &b.weightLimit},
          {"--binance-order-limit-10s", &b.orderLimit10s},
          {"--binance-order-limit-1m", &b.orderLimit1m},
          {"--binance-ban-seconds", &b.banSeconds},
          {"--binance-fault-skip-every", &b.faultSkipEvery},
          {"--binance-fault-pu-break-every", &b.faultPuBreakEvery},
          {"--binance-fault-drop-every", &b.faultDropEvery},
          {"--binance-fault-stale-snapshot", &b.faultStaleSnapshots}};
      double* target = nullptr;
      for (const auto& [name, field] : options)
        if (arg == name) target = field;
      if (!target) return (error = "unknown argument '" + arg + "'", false);
      if (!value(v)) return false;
      double n = -1;
      try {
        n = std::stod(v);
      } catch (...) {
      }
      if (!(n > 0)) return (error = arg + " must be a positive number, got '" + v + "'", false);
      *target = n;
    } else if (arg == "--wire-log") {
      if (!value(out.wireLog)) return false;
    } else {
      error = "unknown argument '" + arg + "'";
      return false;
    }
  }
  if (!haveListen) return (error = "--listen HOST:PORT is required", false);
  if (out.tlsCert.empty() != out.tlsKey.empty()) return (error = "--tls-cert and --tls-key go together", false);
  if (out.accounts.empty()) out.accounts.push_back({"kappa-demo", "kappa-demo-secret", {{"BTC", 10.0}, {"ETH", 100.0}}});
  return true;
}

}  // namespace kappa::exchange
