// Delta hedger: keeps the whole account's coin delta (every venue's positions) inside a band around
// a target by trading one hedge instrument on any venue — a Deribit options book hedged with
// Binance's BTCUSDT perpetual is the everyday case. It hedges the account (not only its own fills)
// so it can sit beside a market maker or manual option trading and flatten whatever they leave.
// The controls are the ones traders know from Greeks.live's Auto DDH and vn.py's hedge engine: a
// target, a band that may differ above and below it, a hedge ratio (the share of the excess that
// one hedge takes back) and a minimum interval between hedges.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

constexpr int64_t kMs = 1'000'000;
// Marketable but bounded: a little through the touch fills against the top levels without sweeping
// a thin book at any price — 5 ticks, or 2 bps where a tick is tiny (Binance's BTCUSDT: 0.1 USDT).
constexpr int64_t kTicksThrough = 5;
constexpr double kThroughFraction = 0.0002;
// Portfolio Greeks come from the analytics refresh, which lags fills. After a hedge we wait for a
// refresh newer than it, or this long if refreshes stop, so one imbalance is not hedged twice.
constexpr int64_t kSettleNs = 3'000 * kMs;

std::string fmt(double v, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

bool terminal(int32_t state) {
  return state == KAPPA_STATE_FILLED || state == KAPPA_STATE_CANCELLED || state == KAPPA_STATE_REJECTED;
}

class DeltaHedger : public Strategy {
 public:
  explicit DeltaHedger(const kappa_host* h) : Strategy(h), tag_(host().instanceName()) {}

  void onStart() override {
    readParams();
    std::string name = host().paramString("hedge_instrument");
    if (name == "auto") {  // Binance's linear perpetual when that venue is configured, else Deribit's
      name = host().findInstrument("binance-futures:BTCUSDT") != KAPPA_NO_INSTRUMENT ? "binance-futures:BTCUSDT"
                                                                                     : "BTC-PERPETUAL";
    }
    perp_ = host().findInstrument(name);
    if (perp_ == KAPPA_NO_INSTRUMENT || !host().instrument(perp_, inst_))
      throw std::runtime_error("unknown instrument " + name);
    venue_ = inst_.size >= sizeof(kappa_instrument) && inst_.venue ? inst_.venue : "";
    if (inst_.kind != KAPPA_KIND_PERPETUAL)
      host().log(KAPPA_LOG_WARN, name + " is not a perpetual: it will still be used as the hedge");
    if (inst_.min_qty <= 0 || inst_.tick_size <= 0) throw std::runtime_error(name + " has no tick or quantity step");
    host().subscribeBook(perp_);  // the touch must be current when a hedge is priced
    host().subscribeChain();
    timer_ = host().setTimer(checkMs_ * kMs, true);
    host().log(KAPPA_LOG_INFO, "hedging account delta to " + fmt(target_, 3) + " BTC (band +" + fmt(bandUp_, 3) + " / -" +
                                   fmt(bandDown_, 3) + ", ratio " + fmt(ratio_, 2) + ", at most every " +
                                   fmt(double(minIntervalNs_) / 1e9, 1) + " s) with " + hedgeName());
  }

  void onStop() override { host().cancelAll(); }

  void onParamChange(const std::string& name) override {
    readParams();
    if (name == "check_ms") {
      host().cancelTimer(timer_);
      timer_ = host().setTimer(checkMs_ * kMs, true);
    }
    if (name == "hedge_instrument") host().log(KAPPA_LOG_WARN, "the hedge instrument is chosen at start: restart to change it");
  }

  void onTimer(uint64_t id) override {
    if (id == timer_) check();
  }

  void onChain(const kappa_chain_event& e) override {
    if (settling_ && e.ts_ns > hedgeDoneNs_) settling_ = false;
    check();
  }

  void onOrderUpdate(const kappa_order& o) override {
    if (o.order_id != working_ || !terminal(o.state)) return;
    finish(o);
  }

 private:
  std::string hedgeName() const { return venue_.empty() ? std::string(inst_.name) : venue_ + ":" + inst_.name; }

  void readParams() {
    bandUp_ = host().param("band_up_btc");
    bandDown_ = host().param("band_down_btc");
    ratio_ = host().param("hedge_ratio");
    minIntervalNs_ = int64_t(host().param("min_interval_ms")) * kMs;
    target_ = host().param("target_btc");
    maxOrderUsd_ = host().param("max_order_usd");
    checkMs_ = std::max<int64_t>(int64_t(host().param("check_ms")), 10);
  }

  void check() {
    if (working_) {
      // The order update normally finishes a hedge; this catches one that ended without it.
      kappa_order o;
      if (!host().order(working_, o)) {
        working_ = 0;  // forgotten by the host: assume it filled and let the Greeks catch up
        settling_ = true;
        hedgeDoneNs_ = host().nowNs();
        return;
      }
      if (!terminal(o.state)) return;
      finish(o);
    }
    if (settling_ && host().nowNs() - hedgeDoneNs_ < kSettleNs) return;
    settling_ = false;

    kappa_greeks g;
    if (!host().portfolioGreeks(g) || !std::isfinite(g.delta_coin)) return warnOnce("no portfolio Greeks yet");
    const double excess = g.delta_coin - target_;
    if (excess > 0 ? excess <= bandUp_ : -excess <= bandDown_) return;
    if (lastHedgeNs_ != 0 && host().nowNs() - lastHedgeNs_ < minIntervalNs_) return;
    // A refused hedge waits as a sent one does (and at least one check interval): it was asked again
    // on every chain update, ten refusals a second for as long as the reason lasted (a self trade
    // against the trader's own resting order filled the risk strip's reject count in seconds).
    if (refusedNs_ != 0 && host().nowNs() - refusedNs_ < std::max(minIntervalNs_, checkMs_ * kMs)) return;
    // The ratio's share of the excess goes back towards the target in one hedge.
    const double error = excess * ratio_;

    const int32_t side = error > 0 ? KAPPA_SIDE_SELL : KAPPA_SIDE_BUY;
    const auto touch = host().bookLevels(perp_, side == KAPPA_SIDE_SELL ? KAPPA_SIDE_BUY : KAPPA_SIDE_SELL, 1);
    if (touch.empty() || touch[0].price <= 0) return warnOnce(std::string(inst_.name) + " has no usable book");
    const int64_t through =
        std::max(kTicksThrough * inst_.tick_size,
                 int64_t(double(touch[0].price) * kThroughFraction) / inst_.tick_size * inst_.tick_size);
    const int64_t limit = touch[0].price + (side == KAPPA_SIDE_BUY ? 1 : -1) * through;
    if (limit <= 0) return;
    const double price = toDouble(touch[0].price);

    // Inverse: quantity is USD and |delta| = USD / price. Linear: quantity is the coin itself.
    const double wanted = inst_.inverse ? std::abs(error) * price : std::abs(error);
    const double capped = std::min(wanted, inst_.inverse ? maxOrderUsd_ : maxOrderUsd_ / price);
    int64_t qty = (toFixed(capped) / inst_.min_qty) * inst_.min_qty;
    if (inst_.max_qty > 0) qty = std::min(qty, inst_.max_qty);
    if (qty < inst_.min_qty) return warnOnce("delta error below one contract of " + std::string(inst_.name));

    const SubmitResult r = host().submit(perp_, side, limit, qty, KAPPA_ORDER_LIMIT, KAPPA_TIF_IOC, false, tag_.c_str());
    if (!r.accepted) {
      refusedNs_ = host().nowNs();
      return warnOnce("hedge refused: " + r.reason);
    }
    refusedNs_ = 0;
    working_ = r.orderId;
    lastHedgeNs_ = host().nowNs();
    lastWarning_.clear();
    host().log(KAPPA_LOG_INFO, "delta " + fmt(g.delta_coin, 4) + " BTC vs target " + fmt(target_, 4) + ": " +
                                   (side == KAPPA_SIDE_BUY ? "buying " : "selling ") +
                                   fmt(toDouble(qty), inst_.inverse ? 0 : 3) + (inst_.inverse ? " USD of " : " BTC of ") +
                                   hedgeName() + " IOC, limit " + fmt(toDouble(limit), 2) + " (touch " + fmt(price, 2) + ")");
  }

  void finish(const kappa_order& o) {
    working_ = 0;
    if (o.filled > 0) {
      settling_ = true;
      hedgeDoneNs_ = host().nowNs();
    }
    const int d = inst_.inverse ? 0 : 3;
    const std::string result = fmt(toDouble(o.filled), d) + " of " + fmt(toDouble(o.qty), d) + " " + hedgeName() + " filled";
    if (o.state == KAPPA_STATE_REJECTED)
      host().log(KAPPA_LOG_WARN, "hedge rejected: " + std::string(o.reason ? o.reason : ""));
    else
      host().log(o.filled > 0 ? KAPPA_LOG_INFO : KAPPA_LOG_WARN,
                 "hedge done: " + result + (o.filled > 0 ? ", avg " + fmt(o.avg_fill_price, 2) : ", the book moved away"));
  }

  // A condition that persists would otherwise be logged on every check.
  void warnOnce(const std::string& message) {
    if (message == lastWarning_) return;
    lastWarning_ = message;
    host().log(KAPPA_LOG_WARN, message);
  }

  std::string tag_, lastWarning_, venue_;
  uint32_t perp_ = KAPPA_NO_INSTRUMENT;
  kappa_instrument inst_{};
  double bandUp_ = 0.1, bandDown_ = 0.1, ratio_ = 1.0, target_ = 0, maxOrderUsd_ = 100000;
  int64_t checkMs_ = 500, minIntervalNs_ = 0, lastHedgeNs_ = 0, refusedNs_ = 0;
  uint64_t timer_ = 0, working_ = 0;
  bool settling_ = false;
  int64_t hedgeDoneNs_ = 0;
};

const Register<DeltaHedger> registration{
    {"kappa.examples.delta-hedger", "Delta hedger", "1.1", "Kappa examples",
     "Keeps the account's coin delta (every venue) within a band around a target by trading one instrument on any "
     "venue with bounded IOC orders."},
    {Param::text("hedge_instrument", "auto",
                 "Hedge instrument, venue:name (e.g. binance-futures:BTCUSDT); auto = Binance BTCUSDT when configured, "
                 "else BTC-PERPETUAL"),
     Param::real("target_btc", 0, -10000, 10000, "Delta to hedge back to, BTC"),
     Param::real("band_up_btc", 0.1, 0, 1000, "Hedge when delta exceeds the target by more than this, BTC"),
     Param::real("band_down_btc", 0.1, 0, 1000, "Hedge when delta falls below the target by more than this, BTC"),
     Param::real("hedge_ratio", 1.0, 0.05, 1.0, "Share of the excess one hedge takes back (1 = all the way to target)"),
     Param::integer("min_interval_ms", 2000, 0, 3600000, "Least time between two hedges, milliseconds"),
     Param::real("max_order_usd", 100000, 0, 1e8, "Largest single hedge order, USD notional"),
     Param::integer("check_ms", 500, 10, 60000, "Interval between delta checks, milliseconds")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
