// Test plugin: busy-waits `busy_ms` in every onBook, well past the host's callback budget, to check
// that repeated overruns stop the instance (and only it).
#include <chrono>
#include <stdexcept>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Overruns : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    readBusy();
    const uint32_t id = host().findInstrument("BTC-PERPETUAL");
    if (id == KAPPA_NO_INSTRUMENT) throw std::runtime_error("BTC-PERPETUAL is not listed");
    host().subscribeBook(id);
  }

  void onParamChange(const std::string&) override { readBusy(); }

  void onBook(const kappa_book_event&) override {
    // A busy wait, not a sleep: the thread stays on the CPU exactly like slow strategy code.
    const auto until = std::chrono::steady_clock::now() + busy_;
    while (std::chrono::steady_clock::now() < until) {
    }
  }

 private:
  void readBusy() {
    busy_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>(host().param("busy_ms")));
  }

  std::chrono::steady_clock::duration busy_{};
};

const Register<Overruns> registration{
    {"kappa.test.test-overruns", "Test: overruns", "1.0", "Kappa tests",
     "Busy-waits in every on_book to exceed the callback time budget."},
    {Param::real("busy_ms", 5, 0, 10000, "Busy wait per book event, milliseconds")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
