#include "chain/ChainDemo.hpp"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "chain/AnvilProcess.hpp"
#include "chain/BackgroundTrader.hpp"
#include "chain/ChainPaths.hpp"
#include "chain/UniswapDeployment.hpp"

namespace kappa::exchange::chain {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

enum class Mining { Interval, Auto, Manual };

struct ChainOptions {
  std::string host = "127.0.0.1";
  std::string port = "0";
  Mining mining = Mining::Interval;
  unsigned blockTime = 1;
  bool trader = true;
  double traderPeriod = 0;  // seconds; 0 = the block time (1 s when not interval mining)
  std::uint64_t seed = 1;
  std::string addressesOut, anvilLog;
};

bool parseNumber(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && std::isfinite(out);
}

bool parse(int argc, char** argv, ChainOptions& o, std::string& error) {
  int miningFlags = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--chain") continue;
    if (arg == "--help" || arg == "-h") {
      error = "help";
      return false;
    }
    if (arg == "--listen") {
      if (!value(v)) return false;
      const auto colon = v.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == v.size()) {
        error = "--listen wants HOST:PORT, not '" + v + "'";
        return false;
      }
      o.host = v.substr(0, colon);
      o.port = v.substr(colon + 1);
      double port;
      if (!parseNumber(o.port, port) || port < 0 || port > 65535 || port != std::floor(port)) {
        error = "--listen: bad port '" + o.port + "'";
        return false;
      }
    } else if (arg == "--block-time") {
      if (!value(v)) return false;
      double s;
      if (!parseNumber(v, s) || s < 1 || s > 3600 || s != std::floor(s)) {
        error = "--block-time wants whole seconds from 1 to 3600 (anvil's interval mining), not '" + v +
                "'; --automine or --no-mining for tests";
        return false;
      }
      o.mining = Mining::Interval;
      o.blockTime = unsigned(s);
      ++miningFlags;
    } else if (arg == "--automine") {
      o.mining = Mining::Auto;
      ++miningFlags;
    } else if (arg == "--no-mining") {
      o.mining = Mining::Manual;
      ++miningFlags;
    } else if (arg == "--no-trader") {
      o.trader = false;
    } else if (arg == "--trader-period") {
      if (!value(v)) return false;
      if (!parseNumber(v, o.traderPeriod) || o.traderPeriod < 0.01 || o.traderPeriod > 3600) {
        error = "--trader-period wants seconds from 0.01 to 3600, not '" + v + "'";
        return false;
      }
    } else if (arg == "--seed") {
      if (!value(v)) return false;
      char* end = nullptr;
      o.seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-') {
        error = "--seed wants a whole number, not '" + v + "'";
        return false;
      }
    } else if (arg == "--addresses-out") {
      if (!value(o.addressesOut)) return false;
    } else if (arg == "--anvil-log") {
      if (!value(o.anvilLog)) return false;
    } else {
      error = "unknown argument for --chain: " + arg;
      return false;
    }
  }
  if (miningFlags > 1) {
    error = "--block-time, --automine and --no-mining exclude each other";
    return false;
  }
  return true;
}

const char* miningName(Mining m) { return m == Mining::Interval ? "interval" : m == Mining::Auto ? "auto" : "manual"; }

}  // namespace

const char* chainUsage() {
  return "usage: kappa-exchange --chain [--listen 127.0.0.1:PORT] [--block-time S | --automine | --no-mining]\n"
         "                      [--no-trader] [--trader-period S] [--seed N] [--addresses-out FILE] [--anvil-log FILE]\n"
         "  A local Ethereum chain (anvil) with Uniswap V2 deployed: WETH/USDC and WBTC/USDC pools, funded dev\n"
         "  accounts, a background trader. stdout line 1: the RPC URL; line 2: the deployment as JSON.\n";
}

bool wantsChain(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--chain") == 0) return true;
  return false;
}

int runChainDemo(int argc, char** argv) {
  ChainOptions o;
  std::string error;
  if (!parse(argc, argv, o, error)) {
    if (error == "help") {
      std::cout << chainUsage();
      return 0;
    }
    std::cerr << "kappa-exchange: " << error << "\n" << chainUsage();
    return 2;
  }
  const std::string anvil = anvilBinary(error);
  if (anvil.empty()) {
    std::cerr << "kappa-exchange: " << error << "\n";
    return 1;
  }
  const std::string artifacts = uniswapArtifactsDir(error);
  if (artifacts.empty()) {
    std::cerr << "kappa-exchange: " << error << "\n";
    return 1;
  }

  // SIGTERM and SIGINT are taken synchronously below (sigtimedwait): blocked before any thread
  // starts, so every thread inherits the mask and none of them is interrupted.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  const auto started = Clock::now();
  AnvilProcess chain;
  // Automining while deploying (each step mined at once); the wanted rhythm is set afterwards.
  error = chain.start(anvil, {"--host", o.host, "--port", o.port, "--accounts", "10"}, std::chrono::seconds(15), o.anvilLog);
  if (!error.empty()) {
    std::cerr << "kappa-exchange: " << error << "\n";
    return 1;
  }
  const auto listening = Clock::now();
  const std::string host = chain.host().find(':') != std::string::npos ? "[" + chain.host() + "]" : chain.host();
  const std::string url = "http://" + host + ":" + std::to_string(chain.port());
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::cerr << "kappa-exchange: anvil (pid " << chain.pid() << ") listening on " << url << " in " << ms(listening - started)
            << " ms\n";

  ChainDeployment deployment;
  json out;
  try {
    std::string e;
    auto rpc = evm::EthRpc::open(url, e);
    if (!rpc) throw std::runtime_error(e);
    deployment = deployUniswap(*rpc, artifacts);
    switch (o.mining) {
      case Mining::Interval:
        rpc->require("evm_setIntervalMining", json::array({o.blockTime}));
        break;
      case Mining::Auto:
        break;
      case Mining::Manual:
        rpc->require("evm_setAutomine", json::array({false}));
        break;
    }
    out = deployment.toJson();
    out["rpc_url"] = url;
    out["anvil_pid"] = chain.pid();
    out["mining"] = miningName(o.mining);
    out["block_time_seconds"] = o.mining == Mining::Interval ? o.blockTime : 0;
    out["trader_active"] = o.trader;
  } catch (const std::exception& e) {
    std::cerr << "kappa-exchange: deploying Uniswap V2 on anvil failed: " << e.what() << "\n";
    chain.stop();
    return 1;
  }
  const auto deployed = Clock::now();
  std::cerr << "kappa-exchange: Uniswap V2 deployed in " << ms(deployed - listening) << " ms (block "
            << deployment.deployedBlock << "), mining " << miningName(o.mining) << "\n";

  if (!o.addressesOut.empty()) {
    std::ofstream file(o.addressesOut, std::ios::trunc);
    file << out.dump(2) << "\n";
    if (!file.flush()) {
      std::cerr << "kappa-exchange: cannot write " << o.addressesOut << "\n";
      chain.stop();
      return 1;
    }
  }
  std::cout << url << "\n" << out.dump() << std::endl;

  std::unique_ptr<BackgroundTrader> trader;
  if (o.trader) {
    const double period = o.traderPeriod > 0 ? o.traderPeriod : (o.mining == Mining::Interval ? double(o.blockTime) : 1.0);
    trader = std::make_unique<BackgroundTrader>(url, deployment, std::chrono::milliseconds(long(period * 1000)), o.seed);
    trader->start();
  }

  int code = 0;
  for (;;) {
    const timespec tick{0, 200'000'000};
    const int sig = sigtimedwait(&stopSignals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      std::cerr << "kappa-exchange: signal " << sig << ", stopping the chain\n";
      break;
    }
    if (!chain.running()) {
      std::cerr << "kappa-exchange: anvil ended by itself (" << chain.exitDescription() << ")\n";
      code = 1;
      break;
    }
  }
  if (trader) trader->stop();
  chain.stop();
  return code;
}

}  // namespace kappa::exchange::chain
