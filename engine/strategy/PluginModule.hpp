#pragma once
// One loaded strategy shared library: dlopen, the ABI check, init/deinit, and the strategies its
// factory describes (copied into C++ types, so nothing of the plugin's memory is read later by
// code that does not expect it). Opened on the loader thread, never on the engine thread.
#include <memory>
#include <string>
#include <vector>

#include "kappa/strategy.h"

namespace kappa {

struct ParamSpec {
  std::string name, description, defaultString;
  std::int32_t type = KAPPA_PARAM_DOUBLE;
  double defaultValue = 0, minValue = 1, maxValue = 0;
  bool bounded() const { return minValue <= maxValue; }
};

struct StrategyInfo {
  std::string id, name, version, vendor, description;
  std::vector<ParamSpec> params;
  const ParamSpec* param(const std::string& name) const;
};

class PluginModule {
 public:
  // nullptr with `error` set when the file cannot be loaded, has no entry symbol, was built for
  // another ABI major version, fails init, or offers no strategy.
  static std::unique_ptr<PluginModule> open(const std::string& path, const std::string& sha256, std::string* error);
  ~PluginModule();  // deinit(), then dlclose()
  PluginModule(const PluginModule&) = delete;
  PluginModule& operator=(const PluginModule&) = delete;

  const std::string& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }
  kappa_abi_version abi() const { return abi_; }
  const std::vector<StrategyInfo>& strategies() const { return strategies_; }
  const StrategyInfo* strategy(const std::string& id) const;
  // A new instance (engine thread), or nullptr if the factory returned none.
  const kappa_strategy* create(const kappa_host* host, const std::string& id) const;

 private:
  PluginModule() = default;
  std::string path_, sha256_;
  void* handle_ = nullptr;
  const kappa_plugin_entry* entry_ = nullptr;
  const kappa_strategy_factory* factory_ = nullptr;
  kappa_abi_version abi_{0, 0};
  std::vector<StrategyInfo> strategies_;
};

}  // namespace kappa
