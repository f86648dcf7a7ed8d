// Test plugin: throws from onBook after `after` book events, to check that an exception escaping a
// callback stops only this instance, cancels its orders and shows the message as its last error.
#include <stdexcept>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Throws : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    after_ = int64_t(host().param("after"));
    const uint32_t id = host().findInstrument("BTC-PERPETUAL");
    if (id == KAPPA_NO_INSTRUMENT) throw std::runtime_error("BTC-PERPETUAL is not listed");
    host().subscribeBook(id);
  }

  void onBook(const kappa_book_event&) override {
    if (++seen_ > after_) throw std::runtime_error("deliberate failure in on_book");
  }

 private:
  int64_t after_ = 3;
  int64_t seen_ = 0;
};

const Register<Throws> registration{
    {"kappa.test.test-throws", "Test: throws", "1.0", "Kappa tests", "Throws from on_book after a few book events."},
    {Param::integer("after", 3, 0, 1000000, "Book events handled normally before the throw")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
