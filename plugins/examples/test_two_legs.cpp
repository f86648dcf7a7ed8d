// Test plugin: takes the offer once on each of two instruments ("leg_a", "leg_b"), so one instance
// holds positions settled in different currencies (an inverse BTC-PERPETUAL in BTC, a linear BTCUSDT
// in USDT): the host must then report the instance's PnL in USD, each leg converted on its own terms.
#include <string>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class TwoLegs : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    for (Leg& leg : legs_) {
      const std::string name = host().paramString(leg.param);
      leg.id = host().findInstrument(name);
      if (leg.id == KAPPA_NO_INSTRUMENT || !host().instrument(leg.id, leg.inst))
        throw std::runtime_error("unknown instrument " + name);
      host().subscribeBook(leg.id);
    }
  }

  void onBook(const kappa_book_event& e) override {
    for (Leg& leg : legs_) {
      if (leg.sent || e.instrument != leg.id || e.stale || e.best_ask.qty <= 0) continue;
      leg.sent = true;  // one attempt per leg
      const SubmitResult r = host().submit(leg.id, KAPPA_SIDE_BUY, e.best_ask.price + 10 * leg.inst.tick_size,
                                           leg.inst.min_qty, KAPPA_ORDER_LIMIT, KAPPA_TIF_IOC, false, "two-legs");
      host().log(r.accepted ? KAPPA_LOG_INFO : KAPPA_LOG_WARN,
                 std::string(leg.param) + (r.accepted ? " bought" : " refused: " + r.reason));
    }
  }

 private:
  struct Leg {
    const char* param;
    uint32_t id = KAPPA_NO_INSTRUMENT;
    kappa_instrument inst{};
    bool sent = false;
  };
  Leg legs_[2] = {{"leg_a"}, {"leg_b"}};
};

const Register<TwoLegs> registration{
    {"kappa.test.two-legs", "Test: two legs", "1.0", "Kappa tests", "Buys the minimum once on each of two instruments."},
    {Param::text("leg_a", "BTC-PERPETUAL", "First instrument"), Param::text("leg_b", "BTCUSDT", "Second instrument")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
