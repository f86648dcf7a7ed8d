// Perpetual momentum: goes with a crossing of a fast over a slow EMA of the mid, one position at a
// time, and leaves it only at a stop loss or a take profit, then sits out a cooldown.
#include <cmath>
#include <cstdio>
#include <string>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

constexpr double kNsPerSecond = 1e9;

std::string fmt(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

// An EMA in time, not in ticks: alpha = 1 - exp(-dt/tau), so a burst of updates does not shorten
// its memory and a gap (a stale book, a quiet night) forgets in proportion to the time missed.
struct TimeEma {
  double value = 0;
  int64_t lastNs = 0;
  void update(int64_t ts, double x, double tauSeconds) {
    if (lastNs == 0) {
      value = x;
    } else if (ts > lastNs) {
      const double alpha = 1.0 - std::exp(-double(ts - lastNs) / kNsPerSecond / std::max(tauSeconds, 1e-3));
      value += alpha * (x - value);
    } else {
      return;  // out-of-order or same-instant update: the clock did not move
    }
    lastNs = ts;
  }
};

class PerpMomentum : public Strategy {
 public:
  explicit PerpMomentum(const kappa_host* h) : Strategy(h), tag_(host().instanceName()) {}

  void onStart() override {
    readParams();
    const std::string name = host().paramString("instrument");
    id_ = host().findInstrument(name);
    if (id_ == KAPPA_NO_INSTRUMENT || !host().instrument(id_, inst_)) throw std::runtime_error("unknown instrument " + name);
    if (inst_.min_qty <= 0) throw std::runtime_error(name + " has no quantity step");
    host().subscribeBook(id_);
  }

  void onStop() override {
    host().cancelAll();
    const int64_t pos = host().position(id_).qty;
    if (pos != 0) host().log(KAPPA_LOG_WARN, "stopped with an open position of " + fmt(toDouble(pos), 2) + ": not flattened");
  }

  void onParamChange(const std::string& name) override {
    readParams();
    if (name == "instrument") host().log(KAPPA_LOG_WARN, "the instrument is chosen at start: restart to change it");
  }

  void onBook(const kappa_book_event& e) override {
    if (e.instrument != id_ || e.stale || e.best_bid.qty <= 0 || e.best_ask.qty <= 0) return;
    const double bid = toDouble(e.best_bid.price), ask = toDouble(e.best_ask.price);
    if (!(bid > 0) || !(ask > bid)) return;
    const double mid = 0.5 * (bid + ask);
    if (firstNs_ == 0) firstNs_ = e.ts_ns;
    fast_.update(e.ts_ns, mid, fastS_);
    slow_.update(e.ts_ns, mid, slowS_);

    const double diff = (fast_.value - slow_.value) / slow_.value;
    // The fast EMA must clear the slow one by cross_bp of the price: without a margin, a flat market
    // whipsaws the signal across zero on every tick.
    const double threshold = crossBp_ * 1e-4;
    const int regime = diff > threshold ? 1 : diff < -threshold ? -1 : regime_;
    const bool warm = double(e.ts_ns - firstNs_) / kNsPerSecond >= slowS_;
    if (!warm) return;
    // The first regime seen after warm-up is a trend already under way, not a crossing. A crossing
    // stays armed until an entry fills or the regime flips, so a missed IOC is retried.
    if (warmedUp_ && regime != regime_ && regime != 0) armed_ = regime;
    if (regime != armed_) armed_ = 0;
    regime_ = regime;
    warmedUp_ = true;

    if (working_ && !finished(working_)) return;  // one IOC at a time
    working_ = 0;
    const int64_t pos = host().position(id_).qty;
    if (pos == 0 && lastPos_ != 0) {
      cooldownUntilNs_ = host().nowNs() + int64_t(cooldownS_ * kNsPerSecond);
      host().log(KAPPA_LOG_INFO, "flat; cooling down " + fmt(cooldownS_, 1) + " s");
    }
    lastPos_ = pos;
    if (pos != 0) return manage(pos, e);
    if (armed_ == 0 || host().nowNs() < cooldownUntilNs_) return;

    int64_t qty = inst_.inverse ? toFixed(qtyUsd_) : toFixed(qtyUsd_ / mid);
    qty = (qty / inst_.min_qty) * inst_.min_qty;
    if (inst_.max_qty > 0) qty = std::min(qty, inst_.max_qty);
    if (qty <= 0) return warn("qty_usd is less than one contract");
    const bool buy = armed_ > 0;
    send(buy ? KAPPA_SIDE_BUY : KAPPA_SIDE_SELL, buy ? e.best_ask.price : e.best_bid.price, qty, true,
         std::string(buy ? "long" : "short") + " entry (fast " + fmt(fast_.value, 1) + ", slow " + fmt(slow_.value, 1) + ")");
  }

  void onFill(const kappa_fill& f) override {
    if (f.instrument != id_) return;
    if (f.order_id != entryOrder_) return;
    // Our own VWAP from fixed-point fills: the stop and target are measured from what we paid.
    entryNotional_ += toDouble(f.price) * toDouble(f.qty);
    entryQty_ += toDouble(f.qty);
    armed_ = 0;
    host().log(KAPPA_LOG_INFO, "entry filled " + fmt(toDouble(f.qty), 2) + " at " + fmt(toDouble(f.price), 2) +
                                   "; average " + fmt(entry(), 2));
  }

  void onOrderUpdate(const kappa_order& o) override {
    if (o.order_id != working_) return;
    if (o.state != KAPPA_STATE_FILLED && o.state != KAPPA_STATE_CANCELLED && o.state != KAPPA_STATE_REJECTED) return;
    working_ = 0;
    if (o.state == KAPPA_STATE_REJECTED) warn("order rejected: " + std::string(o.reason ? o.reason : ""));
    else if (o.filled < o.qty) host().log(KAPPA_LOG_INFO, "IOC left " + fmt(toDouble(o.qty - o.filled), 2) + " unfilled");
  }

 private:
  void readParams() {
    fastS_ = host().param("fast_s");
    slowS_ = host().param("slow_s");
    qtyUsd_ = host().param("qty_usd");
    stopPct_ = host().param("stop_pct");
    takePct_ = host().param("take_pct");
    cooldownS_ = host().param("cooldown_s");
    crossBp_ = host().param("cross_bp");
    if (fastS_ >= slowS_) warn("fast_s should be shorter than slow_s: the crossing signal is inverted");
  }

  // The order update normally clears `working_`; this covers an IOC that ended without one.
  bool finished(uint64_t id) const {
    kappa_order o;
    return !host().order(id, o) || o.state == KAPPA_STATE_FILLED || o.state == KAPPA_STATE_CANCELLED ||
           o.state == KAPPA_STATE_REJECTED;
  }

  double entry() const { return entryQty_ > 0 ? entryNotional_ / entryQty_ : 0.0; }

  // Exits are judged at the price we could actually get out at (the near touch), not the mid.
  void manage(int64_t pos, const kappa_book_event& e) {
    // Fills normally give the entry; the host's average covers a fill we were not told about.
    const double ref = entry() > 0 ? entry() : host().position(id_).average_price;
    if (!(ref > 0)) return warn("no entry price for the open position: exits suspended");
    const bool isLong = pos > 0;
    const double exitPx = toDouble(isLong ? e.best_bid.price : e.best_ask.price);
    const double movePct = (isLong ? exitPx - ref : ref - exitPx) / ref * 100.0;
    const char* why = movePct <= -stopPct_ ? "stop loss" : movePct >= takePct_ ? "take profit" : nullptr;
    if (!why) return;
    send(isLong ? KAPPA_SIDE_SELL : KAPPA_SIDE_BUY, isLong ? e.best_bid.price : e.best_ask.price, std::llabs(pos), false,
         std::string(why) + " (" + fmt(movePct, 2) + "% from " + fmt(ref, 2) + ")");
  }

  void send(int32_t side, int64_t price, int64_t qty, bool isEntry, const std::string& why) {
    const SubmitResult r = host().submit(id_, side, price, qty, KAPPA_ORDER_LIMIT, KAPPA_TIF_IOC, false, tag_.c_str());
    if (!r.accepted) return warn(why + " refused: " + r.reason);
    working_ = r.orderId;
    if (isEntry) {
      entryOrder_ = r.orderId;
      entryNotional_ = entryQty_ = 0;
    }
    lastWarning_.clear();
    host().log(KAPPA_LOG_INFO, why + ": " + (side == KAPPA_SIDE_BUY ? "buy " : "sell ") + fmt(toDouble(qty), 2) +
                                   " IOC at " + fmt(toDouble(price), 2));
  }

  void warn(const std::string& message) {  // repeated conditions are logged once
    if (message == lastWarning_) return;
    lastWarning_ = message;
    host().log(KAPPA_LOG_WARN, message);
  }

  std::string tag_, lastWarning_;
  uint32_t id_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument inst_{};
  double fastS_ = 5, slowS_ = 30, qtyUsd_ = 1000, stopPct_ = 0.5, takePct_ = 1.0, cooldownS_ = 10, crossBp_ = 2;
  TimeEma fast_, slow_;
  int64_t firstNs_ = 0, cooldownUntilNs_ = 0;
  int64_t lastPos_ = 0;
  int regime_ = 0, armed_ = 0;
  bool warmedUp_ = false;
  uint64_t working_ = 0, entryOrder_ = 0;
  double entryNotional_ = 0, entryQty_ = 0;
};

const Register<PerpMomentum> registration{
    {"kappa.examples.perp-momentum", "Perpetual momentum", "1.0", "Kappa examples",
     "Enters with a fast/slow EMA crossing of the mid, exits at a stop loss or take profit, then cools down."},
    {Param::text("instrument", "BTC-PERPETUAL", "Instrument to trade"),
     Param::real("fast_s", 5, 0.1, 3600, "Fast EMA of the mid, time constant in seconds"),
     Param::real("slow_s", 30, 0.1, 86400, "Slow EMA of the mid, time constant in seconds"),
     Param::real("qty_usd", 1000, 0, 1e7, "Position size, USD notional"),
     Param::real("stop_pct", 0.5, 0.01, 50, "Stop loss, percent adverse move from the entry"),
     Param::real("take_pct", 1.0, 0.01, 100, "Take profit, percent favourable move from the entry"),
     Param::real("cooldown_s", 10, 0, 86400, "Wait after an exit before a new entry, seconds"),
     Param::real("cross_bp", 2, 0, 100, "Margin the fast EMA must clear the slow one by, basis points of the price")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
