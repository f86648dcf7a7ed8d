// Test-only: the least a strategy can do, for the dispatch benchmarks. Subscribes to one book;
// with `submit` on, answers every book event with one post-only bid 10 ticks under the best bid
// (tick-to-order); otherwise only counts. Written on strategy.hpp, so the C++ layer's exception
// guard and virtual call are part of what is measured, as in a real plugin.
#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Bench : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    id_ = host().findInstrument(host().paramString("instrument"));
    if (id_ == KAPPA_NO_INSTRUMENT || !host().instrument(id_, inst_)) throw std::runtime_error("unknown instrument");
    submit_ = host().param("submit") != 0;
    host().subscribeBook(id_);
  }

  void onBook(const kappa_book_event& e) override {
    ++events_;
    if (!submit_ || e.best_bid.qty <= 0) return;
    host().submit(id_, KAPPA_SIDE_BUY, e.best_bid.price - 10 * inst_.tick_size, inst_.min_qty, KAPPA_ORDER_LIMIT,
                  KAPPA_TIF_GTC, true);
  }

 private:
  uint32_t id_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument inst_{};
  bool submit_ = false;
  uint64_t events_ = 0;
};

const Register<Bench> registration{
    {"kappa.test.test-bench", "Test: bench", "1.0", "Kappa tests", "Minimal strategy for the dispatch benchmarks."},
    {Param::text("instrument", "BTC-PERPETUAL", "Book to subscribe to"),
     Param::boolean("submit", false, "Answer every book event with one order")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
