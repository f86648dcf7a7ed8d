// kappa-quant: Kappa's option analytics from the command line.
#include <iostream>
#include <string>
#include <vector>

#include "Commands.hpp"

namespace {
const char* kUsage =
    "usage: kappa-quant COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  price --model bsm|black76|baw|bjs|fd FILE.csv   option prices and Greeks\n"
    "  iv --model bsm|black76 FILE.csv                 implied volatilities with status codes\n"
    "  svi-fit FILE.csv                                 raw-SVI fit per expiry, with arbitrage findings (JSON)\n"
    "  svi-check --a A --b B --rho R --m M --sigma S --t T   butterfly-arbitrage check of one slice (JSON)\n"
    "  amm-out --reserve-in R --reserve-out R --amount-in A [--fee-bps 30]    Uniswap V2 amount out (exact integer)\n"
    "  amm-in --reserve-in R --reserve-out R --amount-out B [--fee-bps 30]    Uniswap V2 amount in (exact integer)\n"
    "\n"
    "'kappa-quant COMMAND --help' describes a command's columns and output.\n";
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "price") return kappa::quant::runPrice(args, std::cout, std::cerr);
  if (command == "iv") return kappa::quant::runIv(args, std::cout, std::cerr);
  if (command == "svi-fit") return kappa::quant::runSviFit(args, std::cout, std::cerr);
  if (command == "svi-check") return kappa::quant::runSviCheck(args, std::cout, std::cerr);
  if (command == "amm-out") return kappa::quant::runAmmOut(args, std::cout, std::cerr);
  if (command == "amm-in") return kappa::quant::runAmmIn(args, std::cout, std::cerr);
  std::cerr << "kappa-quant: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
