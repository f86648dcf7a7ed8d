// Test plugin: a well-behaved minimal strategy whose log is a transcript of what the host
// delivered. It counts every kind of event, logs each count at debug level, and places exactly one
// passive order so tests can follow an order through the blotter, the risk gate and the updates.
#include <string>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

class Echo : public Strategy {
 public:
  using Strategy::Strategy;

  void onStart() override {
    tag_ = host().paramString("tag");
    const std::string name = host().paramString("instrument");
    id_ = host().findInstrument(name);
    if (id_ == KAPPA_NO_INSTRUMENT || !host().instrument(id_, inst_)) throw std::runtime_error("unknown instrument " + name);
    host().subscribeBook(id_);
    host().subscribeTrades(id_);
    host().subscribeChain();
    host().log(KAPPA_LOG_INFO, "[" + tag_ + "] started on " + name);
  }

  void onBook(const kappa_book_event& e) override {
    count("book", books_);
    if (ordered_ || e.instrument != id_ || e.stale || e.best_bid.qty <= 0 || e.best_ask.qty <= 0) return;
    ordered_ = true;  // one attempt only, accepted or not: the test wants exactly one order
    const int64_t price = e.best_bid.price - 5 * inst_.tick_size;
    if (price <= 0) return host().log(KAPPA_LOG_WARN, "[" + tag_ + "] bid too low for an order 5 ticks under it");
    const SubmitResult r =
        host().submit(id_, KAPPA_SIDE_BUY, price, inst_.min_qty, KAPPA_ORDER_LIMIT, KAPPA_TIF_GTC, true, tag_.c_str());
    if (r.accepted)
      host().log(KAPPA_LOG_INFO, "[" + tag_ + "] order " + std::to_string(r.orderId) + " submitted");
    else
      host().log(KAPPA_LOG_WARN, "[" + tag_ + "] order refused: " + r.reason);
  }

  void onTrade(const kappa_trade_event&) override { count("trade", trades_); }
  void onChain(const kappa_chain_event&) override { count("chain", chains_); }
  void onOrderUpdate(const kappa_order&) override { count("order update", updates_); }
  void onFill(const kappa_fill&) override { count("fill", fills_); }

  void onParamChange(const std::string& name) override {
    // Both parameters are text; ask for a number if a future one is not.
    char text[512] = {0};
    std::string value;
    if (host().raw()->param_string(host().raw(), name.c_str(), text, sizeof text) == KAPPA_OK)
      value = text;
    else
      value = std::to_string(host().param(name.c_str()));
    if (name == "tag") tag_ = value;
    host().log(KAPPA_LOG_INFO, "[" + tag_ + "] parameter " + name + " = " + value +
                                   (name == "instrument" ? " (used at the next start)" : ""));
  }

 private:
  void count(const char* what, uint64_t& counter) {
    ++counter;
    host().log(KAPPA_LOG_DEBUG, "[" + tag_ + "] " + what + " #" + std::to_string(counter));
  }

  std::string tag_;
  uint32_t id_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument inst_{};
  bool ordered_ = false;
  uint64_t books_ = 0, trades_ = 0, chains_ = 0, updates_ = 0, fills_ = 0;
};

const Register<Echo> registration{
    {"kappa.test.test-echo", "Test: echo", "1.0", "Kappa tests",
     "Counts and logs every event it receives and places one passive order."},
    {Param::text("instrument", "BTC-PERPETUAL", "Instrument whose book and trades are echoed"),
     Param::text("tag", "echo", "Prefix of every log line and the order's blotter tag")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
