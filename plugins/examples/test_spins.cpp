// Test plugin: never returns from onBook once `spin_after` book events have been seen, to check
// that the host's watchdog notices a callback that hangs and halts automation.
#include <cstdint>
#include <stdexcept>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Spins : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    spinAfter_ = int64_t(host().param("spin_after"));
    const uint32_t id = host().findInstrument("BTC-PERPETUAL");
    if (id == KAPPA_NO_INSTRUMENT) throw std::runtime_error("BTC-PERPETUAL is not listed");
    host().subscribeBook(id);
  }

  void onBook(const kappa_book_event&) override {
    if (++seen_ < spinAfter_) return;
    host().log(KAPPA_LOG_WARN, "spinning forever in on_book");
    // volatile: the loop has an observable side effect, so the compiler may neither drop it nor
    // treat it as undefined behaviour.
    for (volatile uint64_t i = 0;; i = i + 1) {
    }
  }

 private:
  int64_t spinAfter_ = 5;
  int64_t seen_ = 0;
};

const Register<Spins> registration{
    {"kappa.test.test-spins", "Test: spins", "1.0", "Kappa tests", "Hangs in on_book after a few book events."},
    {Param::integer("spin_after", 5, 0, 1000000, "Book events seen before on_book spins forever")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
