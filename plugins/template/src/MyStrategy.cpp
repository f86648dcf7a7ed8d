// Spread watcher: a small, complete Kappa strategy to start from.
//
// Subscribes to one instrument's book (BTC-PERPETUAL by default), logs the spread every
// `log_every_s` seconds and, when `place_order` is true, places ONE post-only bid
// `bid_offset_pct` percent below the best bid, at the instrument's minimum size: far from the
// market, so it rests and does not fill. It shows the parts every strategy has: parameters,
// subscriptions, a timer, an order through the risk gate, order updates and parameter changes.
//
// Rules that matter (see docs/plugins.md): every callback runs on the engine thread and must
// return within its time budget (1 ms by default); throwing stops this instance and cancels its
// orders; prices and quantities are fixed-point int64 with 8 decimals.
#include <kappa/strategy.hpp>

#include <cinttypes>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

using kappa::sdk::Param;
using kappa::sdk::toDouble;

constexpr int64_t kNanosPerSecond = 1000000000;

// printf-style formatting into a std::string (log lines are short).
template <class... Args>
std::string format(const char* fmt, Args... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, fmt, args...);
  return buffer;
}

class SpreadWatcher : public kappa::sdk::Strategy {
 public:
  using Strategy::Strategy;  // constructed from const kappa_host*; do not call the host here

  void onStart() override {
    const std::string name = host().paramString("instrument");
    instrument_ = host().findInstrument(name);
    if (instrument_ == KAPPA_NO_INSTRUMENT) throw std::runtime_error("unknown instrument " + name);
    if (!host().instrument(instrument_, info_)) throw std::runtime_error("no reference data for " + name);
    name_ = name;  // info_.name is host-owned and lives as long as the host; a copy is simpler
    placeOrder_ = host().param("place_order") != 0;
    offsetPct_ = host().param("bid_offset_pct");
    host().subscribeBook(instrument_);
    startTimer();
    host().log(KAPPA_LOG_INFO, "watching " + name_ + (placeOrder_ ? ", will place one far bid" : ""));
  }

  void onStop() override {
    // The host cancels this instance's working orders after onStop() returns.
    host().log(KAPPA_LOG_INFO, format("stopped after %" PRIu64 " book updates", updates_));
  }

  void onBook(const kappa_book_event& e) override {
    ++updates_;
    bid_ = e.best_bid;
    ask_ = e.best_ask;
    stale_ = e.stale != 0;
    if (placeOrder_ && !orderTried_ && !stale_ && bid_.qty > 0) placeFarBid();
  }

  void onTimer(uint64_t id) override {
    if (id != timer_) return;
    if (bid_.qty == 0 || ask_.qty == 0) {
      host().log(KAPPA_LOG_INFO, name_ + ": no two-sided book yet");
      return;
    }
    const int64_t spread = ask_.price - bid_.price;
    const double mid = (toDouble(bid_.price) + toDouble(ask_.price)) / 2;
    host().log(KAPPA_LOG_INFO,
               format("%s bid %.2f ask %.2f spread %.2f (%" PRId64 " ticks, %.2f bp)%s", name_.c_str(),
                      toDouble(bid_.price), toDouble(ask_.price), toDouble(spread),
                      info_.tick_size > 0 ? spread / info_.tick_size : int64_t(0),
                      mid > 0 ? toDouble(spread) / mid * 1e4 : 0.0, stale_ ? " STALE" : ""));
  }

  void onOrderUpdate(const kappa_order& o) override {
    if (o.order_id != orderId_) return;
    if (o.state == KAPPA_STATE_REJECTED || o.state == KAPPA_STATE_CANCELLED) {
      host().log(KAPPA_LOG_WARN, format("order %" PRIu64 " %s: %s", o.order_id,
                                        o.state == KAPPA_STATE_REJECTED ? "rejected" : "cancelled",
                                        o.reason ? o.reason : ""));
      orderId_ = 0;
    }
  }

  void onFill(const kappa_fill& f) override {
    host().log(KAPPA_LOG_WARN, format("filled %.8f @ %.2f (it was meant to rest)", toDouble(f.qty), toDouble(f.price)));
  }

  void onParamChange(const std::string& name) override {
    if (name == "log_every_s") {
      host().cancelTimer(timer_);
      startTimer();
    } else if (name == "bid_offset_pct") {
      offsetPct_ = host().param("bid_offset_pct");  // applies to the next order only
    } else if (name == "place_order") {
      placeOrder_ = host().param("place_order") != 0;
      if (!placeOrder_ && orderId_ != 0) {
        host().cancel(orderId_);
        orderId_ = 0;
      }
      if (placeOrder_) orderTried_ = false;  // switched on again: one more attempt
    }
    // "instrument" takes effect at the next start.
  }

 private:
  void startTimer() {
    timer_ = host().setTimer(int64_t(host().param("log_every_s")) * kNanosPerSecond, true);
  }

  void placeFarBid() {
    orderTried_ = true;  // one attempt, accepted or not
    const int64_t raw = kappa::sdk::toFixed(toDouble(bid_.price) * (1.0 - offsetPct_ / 100.0));
    const int64_t price = kappa::sdk::floorToTick(raw, info_.tick_size);
    const int64_t qty = info_.min_qty;
    if (price <= 0 || qty <= 0) {
      host().log(KAPPA_LOG_WARN, "no valid price or size for the far bid, not placing it");
      return;
    }
    const kappa::sdk::SubmitResult r = host().submit(instrument_, KAPPA_SIDE_BUY, price, qty, KAPPA_ORDER_LIMIT,
                                                     KAPPA_TIF_GTC, /*postOnly=*/true, "spread-watcher");
    if (r.accepted) {
      orderId_ = r.orderId;
      host().log(KAPPA_LOG_INFO, format("far bid %" PRIu64 ": %.8f @ %.2f", r.orderId, toDouble(qty), toDouble(price)));
    } else {
      // A refusal by the risk gate is not an error of the strategy: log it and carry on.
      host().log(KAPPA_LOG_WARN, "far bid refused: " + r.reason);
    }
  }

  uint32_t instrument_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument info_{};
  std::string name_;
  kappa_level bid_{}, ask_{};
  bool stale_ = true;
  uint64_t updates_ = 0;
  uint64_t timer_ = 0;
  bool placeOrder_ = false;
  bool orderTried_ = false;
  double offsetPct_ = 20;
  uint64_t orderId_ = 0;
};

const kappa::sdk::Register<SpreadWatcher> registration{
    {"com.example.my-strategy", "Spread watcher", "1.0.0", "Example",
     "Logs the spread of one instrument; optionally rests one post-only bid far below the market"},
    {
        Param::text("instrument", "BTC-PERPETUAL", "Instrument to watch"),
        Param::integer("log_every_s", 5, 1, 3600, "Seconds between spread log lines"),
        Param::boolean("place_order", false, "Place one post-only bid far below the best bid"),
        Param::real("bid_offset_pct", 20.0, 1.0, 90.0, "How far below the best bid, percent"),
    }};

}  // namespace

KAPPA_PLUGIN_ENTRY()
