// libFuzzer harness: risk.json and `--risk NAME=VALUE` are user input. Whatever the bytes, the
// parser answers (a config or a reason) and never throws, aborts or reads out of bounds; a config
// it accepted is written back as risk.json that it accepts again.
//
// Input: the risk.json text; after a line "--risk", one override assignment per line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "risk/RiskConfigFile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find("\n--risk\n");
  const std::string json(input.substr(0, split));
  kappa::RiskConfig config;
  std::string error;
  const bool parsed = kappa::parseRiskConfig(json, "fuzz.json", &config, &error);
  if (!parsed && error.empty()) std::abort();  // a refusal always says why
  if (!parsed) config = kappa::RiskConfig::defaults();
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + 8);
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      const std::string assignment(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      std::string why;
      if (!kappa::applyRiskOverride(&config, assignment, &why) && why.empty()) std::abort();
    }
  }
  // What it accepted, it can write and read back.
  kappa::RiskConfig again;
  std::string reread;
  if (!kappa::parseRiskConfig(kappa::riskConfigJson(config), "round trip", &again, &reread)) std::abort();
  return 0;
}
