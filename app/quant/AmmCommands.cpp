// kappa-quant amm-out / amm-in: Uniswap V2's swap quote as the Router computes it (exact integers,
// engine/venue/evm/UniswapV2Math), for checking a quote by hand or from a script.
#include <iostream>
#include <optional>

#include "Commands.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/UniswapV2Math.hpp"

namespace kappa::quant {
namespace {
using kappa::evm::U256;

const char* kAmmOutHelp =
    "usage: kappa-quant amm-out --reserve-in R --reserve-out R --amount-in A [--fee-bps 30]\n"
    "\n"
    "Prints the exact amount out of a Uniswap V2 pair for an exact input, as UniswapV2Library.getAmountOut:\n"
    "  amountIn*(10000-fee)*reserveOut / (reserveIn*10000 + amountIn*(10000-fee)), rounded down\n"
    "(fee 30 bps is the contract's 997/1000). Integers in the tokens' smallest units (wei), decimal or 0x hex;\n"
    "reserves up to 2^112-1 (uint112), amounts up to 2^256-1. Exit status 1 with the contract's revert\n"
    "message when the pair would refuse (e.g. UniswapV2Library: INSUFFICIENT_LIQUIDITY), 2 on a usage error.\n";

const char* kAmmInHelp =
    "usage: kappa-quant amm-in --reserve-in R --reserve-out R --amount-out B [--fee-bps 30]\n"
    "\n"
    "Prints the exact amount in a Uniswap V2 pair needs for an exact output, as UniswapV2Library.getAmountIn:\n"
    "  reserveIn*amountOut*10000 / ((reserveOut-amountOut)*(10000-fee)) + 1\n"
    "Same units, limits and exit statuses as amm-out.\n";

struct AmmArgs {
  std::optional<U256> reserveIn, reserveOut, amount;
  unsigned feeBps = kappa::evm::kUniswapV2FeeBps;
  bool help = false;
};

bool parseInteger(const std::string& name, const std::string& text, U256& out, std::string& error) {
  try {
    out = kappa::evm::u256FromText(text);
    return true;
  } catch (const kappa::evm::EvmError& e) {
    error = name + ": " + e.what();
    return false;
  }
}

bool parseAmmArgs(const std::vector<std::string>& args, const std::string& amountOption, AmmArgs& a, std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      a.help = true;
      continue;
    }
    std::string name = arg, value;
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = arg.rfind("--", 0) == 0 ? arg + " needs a value" : "unexpected argument " + arg;
      return false;
    }
    std::optional<U256>* target = nullptr;
    if (name == "--reserve-in") target = &a.reserveIn;
    else if (name == "--reserve-out") target = &a.reserveOut;
    else if (name == amountOption) target = &a.amount;
    else if (name == "--fee-bps") {
      U256 fee;
      if (!parseInteger(name, value, fee, error)) return false;
      if (fee >= 10000) {
        error = "--fee-bps must be below 10000";
        return false;
      }
      a.feeBps = unsigned(fee);
      continue;
    } else {
      error = "unknown option " + name;
      return false;
    }
    U256 v;
    if (!parseInteger(name, value, v, error)) return false;
    *target = v;
  }
  if (a.help) return true;
  for (const auto& [opt, name] : {std::pair{&a.reserveIn, "--reserve-in"}, {&a.reserveOut, "--reserve-out"}, {&a.amount, amountOption.c_str()}}) {
    if (!*opt) {
      error = std::string(name) + " is required";
      return false;
    }
  }
  for (const auto& [opt, name] : {std::pair{&a.reserveIn, "--reserve-in"}, {&a.reserveOut, "--reserve-out"}}) {
    if (**opt > kappa::evm::uint112Max()) {
      error = std::string(name) + " is above 2^112-1: a pair's reserves are uint112";
      return false;
    }
  }
  return true;
}

int runAmm(const std::vector<std::string>& args, bool exactIn, std::ostream& out, std::ostream& err) {
  const std::string command = exactIn ? "amm-out" : "amm-in";
  AmmArgs a;
  std::string error;
  if (!parseAmmArgs(args, exactIn ? "--amount-in" : "--amount-out", a, error)) {
    err << "kappa-quant " << command << ": " << error << "\n\n" << (exactIn ? kAmmOutHelp : kAmmInHelp);
    return 2;
  }
  if (a.help) {
    out << (exactIn ? kAmmOutHelp : kAmmInHelp);
    return 0;
  }
  try {
    const U256 result = exactIn ? kappa::evm::getAmountOut(*a.amount, *a.reserveIn, *a.reserveOut, a.feeBps)
                                : kappa::evm::getAmountIn(*a.amount, *a.reserveIn, *a.reserveOut, a.feeBps);
    out << result.str() << "\n";
    return 0;
  } catch (const kappa::evm::EvmError& e) {
    err << "kappa-quant " << command << ": " << e.what() << "\n";
    return 1;
  }
}
}  // namespace

int runAmmOut(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) { return runAmm(args, true, out, err); }
int runAmmIn(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) { return runAmm(args, false, out, err); }

}  // namespace kappa::quant
