// kappa-exchange: the simulator as its own Deribit-protocol exchange process. See ExchangeConfig.hpp
// for the command line and ExchangeServer.hpp for how it runs.
#include <iostream>

#include "ExchangeConfig.hpp"
#include "ExchangeServer.hpp"

int main(int argc, char** argv) {
  kappa::exchange::ExchangeConfig config;
  std::string error;
  if (!kappa::exchange::parseCommandLine(argc, argv, config, error)) {
    if (error == "help") {
      std::cout << kappa::exchange::usage();
      return 0;
    }
    std::cerr << "kappa-exchange: " << error << "\n" << kappa::exchange::usage();
    return 2;
  }
  try {
    kappa::exchange::ExchangeServer server(config);
    return server.run();
  } catch (const std::exception& e) {
    std::cerr << "kappa-exchange: " << e.what() << "\n";
    return 1;
  }
}
