// kappa-exchange: the simulator as its own Deribit-protocol exchange process. See ExchangeConfig.hpp
// for the command line and ExchangeServer.hpp for how it runs; --chain runs a local Ethereum chain
// with Uniswap V2 instead (chain/ChainDemo.hpp).
#include <iostream>

#include "ExchangeConfig.hpp"
#include "ExchangeServer.hpp"
#include "WireLog.hpp"
#include "chain/ChainDemo.hpp"

int main(int argc, char** argv) {
  if (kappa::exchange::chain::wantsChain(argc, argv)) return kappa::exchange::chain::runChainDemo(argc, argv);
  kappa::exchange::ExchangeConfig config;
  std::string error;
  if (!kappa::exchange::parseCommandLine(argc, argv, config, error)) {
    if (error == "help") {
      std::cout << kappa::exchange::usage() << kappa::exchange::chain::chainUsage();
      return 0;
    }
    std::cerr << "kappa-exchange: " << error << "\n" << kappa::exchange::usage();
    return 2;
  }
  if (!config.wireLog.empty()) kappa::exchange::WireLog::enable(config.wireLog);
  try {
    int code = 0;
    {
      kappa::exchange::ExchangeServer server(config);
      code = server.run();
    }
    if (!kappa::exchange::WireLog::flush(error)) {  // after the server: no session writes any more
      std::cerr << "kappa-exchange: " << error << "\n";
      if (code == 0) code = 1;
    }
    return code;
  } catch (const std::exception& e) {
    std::cerr << "kappa-exchange: " << e.what() << "\n";
    return 1;
  }
}
