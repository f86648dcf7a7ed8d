#pragma once
// kappa-quant commands. Each returns the process exit status: 0 every row fine, 1 some rows
// failed (each reported on stderr with its line and field), 2 usage error.
#include <iosfwd>
#include <string>
#include <vector>

namespace kappa::quant {

int runPrice(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runIv(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runSviFit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runSviCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// Uniswap V2 quotes (AmmCommands.cpp): 0 printed, 1 the pair would revert, 2 usage error.
int runAmmOut(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runAmmIn(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace kappa::quant
