#include "chain/ChainPaths.hpp"

#include <cstdlib>
#include <filesystem>

namespace kappa::exchange::chain {

namespace fs = std::filesystem;

namespace {

std::string nodeModules() {
#ifdef KAPPA_PEERS_NODE_MODULES
  return KAPPA_PEERS_NODE_MODULES;
#else
  return {};
#endif
}

const char* kHowToInstall =
    "run ./dev test or ./dev run in the source tree (they install tests/peers with npm ci), or set ";

}  // namespace

std::string anvilBinary(std::string& error) {
  if (const char* env = std::getenv("KAPPA_ANVIL"); env && *env) {
    std::error_code ec;
    if (fs::is_regular_file(env, ec)) return env;
    error = std::string("KAPPA_ANVIL names '") + env + "', which is not a file: unset it to use the anvil ./dev installs " +
            "(tests/peers, npm ci), or name an anvil binary";
    return {};
  }
  const std::string modules = nodeModules();
  const fs::path path = fs::path(modules) / "@foundry-rs/anvil-linux-amd64/bin/anvil";
  std::error_code ec;
  if (!modules.empty() && fs::is_regular_file(path, ec)) return path.string();
  error = "anvil not found" + (modules.empty() ? std::string() : " at " + path.string()) + ": " + kHowToInstall +
          "KAPPA_ANVIL to an anvil binary";
  return {};
}

std::string uniswapArtifactsDir(std::string& error) {
  auto complete = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "v2-core/build/UniswapV2Factory.json", ec) &&
           fs::is_regular_file(dir / "v2-periphery/build/UniswapV2Router02.json", ec);
  };
  if (const char* env = std::getenv("KAPPA_UNISWAP_ARTIFACTS"); env && *env) {
    if (complete(env)) return env;
    error = std::string("KAPPA_UNISWAP_ARTIFACTS names '") + env +
            "', which has no v2-core/build/UniswapV2Factory.json and v2-periphery/build/UniswapV2Router02.json: unset it "
            "to use the artifacts ./dev installs (tests/peers, npm ci), or name node_modules/@uniswap";
    return {};
  }
  const std::string modules = nodeModules();
  const fs::path dir = fs::path(modules) / "@uniswap";
  if (!modules.empty() && complete(dir)) return dir.string();
  error = "the Uniswap V2 artifacts were not found" + (modules.empty() ? std::string() : " under " + dir.string()) +
          ": " + kHowToInstall + "KAPPA_UNISWAP_ARTIFACTS to a folder with v2-core/build and v2-periphery/build";
  return {};
}

}  // namespace kappa::exchange::chain
