// Test plugin: a correct plugin in every respect but one, its entry claims ABI major
// KAPPA_ABI_MAJOR + 1. The host must refuse to load it and name both versions; if it loaded it
// anyway, the strategy would work, so a test can tell a missed check from a broken plugin.
#include <cstring>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Idle : public Strategy {
 public:
  using Strategy::Strategy;
  void onStart() override { host().log(KAPPA_LOG_ERROR, "a plugin built for another ABI major version was started"); }
};

const Register<Idle> registration{
    {"kappa.test.test-wrong-abi", "Test: wrong ABI", "1.0", "Kappa tests",
     "Declares ABI major version KAPPA_ABI_MAJOR + 1; the host must refuse to load it."},
    {}};

const kappa_plugin_entry entry = {
    sizeof(kappa_plugin_entry),
    {KAPPA_ABI_MAJOR + 1, KAPPA_ABI_MINOR},
    [](const char*) -> int32_t { return 1; },
    []() {},
    [](const char* id) -> const void* {
      return id && std::strcmp(id, KAPPA_STRATEGY_FACTORY_ID) == 0 ? ::kappa::sdk::detail::factory() : nullptr;
    },
};

}  // namespace

extern "C" KAPPA_EXPORT const kappa_plugin_entry* kappa_strategy_entry(void) { return &entry; }
