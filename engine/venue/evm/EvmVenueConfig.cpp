#include "venue/evm/EvmVenueConfig.hpp"

namespace kappa::evm {

bool evmConfigFromDeployment(const nlohmann::json& d, EvmVenueConfig& config, std::string& error) {
  try {
    if (!d.is_object()) {
      error = "deployment is not a JSON object";
      return false;
    }
    if (d.contains("rpc_url") && d["rpc_url"].is_string()) config.rpcUrl = d["rpc_url"].get<std::string>();
    if (d.contains("chain_id") && d["chain_id"].is_number_unsigned()) config.chainId = d["chain_id"].get<std::uint64_t>();
    if (d.contains("router") && d["router"].is_string()) config.router = d["router"].get<std::string>();
    const auto pools = d.find("pools");
    if (pools == d.end() || !pools->is_object() || pools->empty()) {
      error = "deployment has no pools";
      return false;
    }
    const nlohmann::json tokens = d.value("tokens", nlohmann::json::object());
    auto tokenBySymbol = [&](const std::string& symbol) -> EvmPoolConfig::Token {
      EvmPoolConfig::Token t;
      t.symbol = symbol;
      if (!tokens.contains(symbol)) throw std::runtime_error("token " + symbol + " is not in the deployment's tokens");
      const nlohmann::json& j = tokens[symbol];
      t.address = j.at("address").get<std::string>();
      if (j.contains("decimals") && j["decimals"].is_number_integer()) t.decimals = j["decimals"].get<int>();
      return t;
    };
    config.pools.clear();
    for (auto it = pools->begin(); it != pools->end(); ++it) {
      const nlohmann::json& p = it.value();
      EvmPoolConfig pool;
      pool.pair = p.at("address").get<std::string>();
      const EvmPoolConfig::Token base = tokenBySymbol(p.at("base").get<std::string>());
      const EvmPoolConfig::Token quote = tokenBySymbol(p.at("quote").get<std::string>());
      pool.baseToken = base.address;
      pool.tokens = {base, quote};
      if (p.contains("reserve0") && p["reserve0"].is_string()) pool.reserve0 = p["reserve0"].get<std::string>();
      if (p.contains("reserve1") && p["reserve1"].is_string()) pool.reserve1 = p["reserve1"].get<std::string>();
      config.pools.push_back(std::move(pool));
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("deployment: ") + e.what();
    return false;
  }
}

}  // namespace kappa::evm
