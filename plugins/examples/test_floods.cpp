// Test plugin: floods the risk gate with `burst` far-from-market buy orders on every BTC-PERPETUAL
// book event, to check order-rate limits, the refusal path and that the engine stays responsive.
// Prices sit 10% under the bid so nothing fills even where the gate lets orders through.
#include <string>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Floods : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    burst_ = int64_t(host().param("burst"));
    id_ = host().findInstrument("BTC-PERPETUAL");
    if (id_ == KAPPA_NO_INSTRUMENT || !host().instrument(id_, inst_))
      throw std::runtime_error("BTC-PERPETUAL is not listed");
    host().subscribeBook(id_);
  }

  void onParamChange(const std::string& name) override {
    if (name == "burst") burst_ = int64_t(host().param("burst"));
  }

  void onBook(const kappa_book_event& e) override {
    if (e.instrument != id_ || e.best_bid.qty <= 0) return;
    const int64_t price = floorToTick(e.best_bid.price - e.best_bid.price / 10, inst_.tick_size);
    if (price > 0) {
      for (int64_t i = 0; i < burst_; ++i) {
        const SubmitResult r = host().submit(id_, KAPPA_SIDE_BUY, price, inst_.min_qty);
        if (r.accepted) {
          ++accepted_;
        } else {
          ++refused_;
          lastReason_ = r.reason;
        }
      }
    }
    if (++events_ % 100 == 0)
      host().log(KAPPA_LOG_INFO, std::to_string(events_) + " book events: " + std::to_string(accepted_) +
                                     " orders accepted, " + std::to_string(refused_) + " refused" +
                                     (refused_ ? " (last reason: " + lastReason_ + ")" : std::string()));
  }

 private:
  uint32_t id_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument inst_{};
  int64_t burst_ = 500;
  uint64_t events_ = 0, accepted_ = 0, refused_ = 0;
  std::string lastReason_;
};

const Register<Floods> registration{
    {"kappa.test.test-floods", "Test: floods", "1.0", "Kappa tests",
     "Submits a burst of far-from-market limit buys on every BTC-PERPETUAL book event and counts refusals."},
    {Param::integer("burst", 500, 0, 100000, "Orders submitted per book event")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
