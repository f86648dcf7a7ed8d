// Options market maker: quotes a few near-the-money options of one expiry around the fitted
// surface's theoretical value. Edge, inventory skew and requote threshold are all set in vol
// points, so one setting means the same risk on an ATM option and on a cheap wing.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "kappa/strategy.hpp"

namespace {

using namespace kappa::sdk;

struct QuoteTarget {
  int64_t bid = 0;    // fixed-point coin price; 0 = no quote on that side
  int64_t ask = 0;
  double center = 0;  // skewed theo before rounding, coin: what requote decisions compare
};

// The whole pricing decision. Prices are coin per contract; one vol point is worth
// vega_usd / 100 / forward coin. Inventory skew moves both sides together (long delta -> lower,
// so the next fill is more likely to reduce it). Bids round down and asks up: rounding never
// gives away edge.
QuoteTarget computeQuote(double theoCoin, double vegaUsd, double forward, double edgeVol, double skewPerDelta,
                         double inventoryDeltaCoin, int64_t tick) {
  QuoteTarget q;
  if (!(theoCoin > 0) || !(vegaUsd >= 0) || !(forward > 0) || tick <= 0) return q;
  const double coinPerVol = vegaUsd / 100.0 / forward;
  const double center = theoCoin - skewPerDelta * inventoryDeltaCoin * coinPerVol;
  // At least a tick: a far wing has almost no vega, and a zero-width quote there earns nothing.
  const int64_t edge = std::max(toFixed(edgeVol * coinPerVol), tick);
  const int64_t bid = floorToTick(toFixed(center) - edge, tick);
  const int64_t ask = ceilToTick(toFixed(center) + edge, tick);
  q.bid = bid > 0 ? bid : 0;
  q.ask = ask > 0 ? ask : 0;
  q.center = center;
  return q;
}

bool isTerminal(int32_t state) {
  return state == KAPPA_STATE_FILLED || state == KAPPA_STATE_CANCELLED || state == KAPPA_STATE_REJECTED;
}

struct Option {
  uint32_t id = KAPPA_NO_INSTRUMENT;
  std::string name;
  int64_t strike = 0, tick = 0, minQty = 0, maxQty = 0;
  int32_t type = KAPPA_OPTION_NONE;
};

// One side of one option's quote. `cancelling` blocks a new order until the old one is terminal,
// so a slow cancel never leaves two live quotes on the same side.
struct Slot {
  uint64_t id = 0;
  int32_t state = KAPPA_STATE_PENDING_NEW;
  int64_t price = 0, qty = 0, filled = 0;
  double center = 0;  // the target's center when the order was priced
  bool cancelling = false;
  std::string lastRefusal;  // refusals repeat on every refresh: log each reason once
};

struct Quote {
  Option option;
  Slot side[2];  // KAPPA_SIDE_BUY, KAPPA_SIDE_SELL
  bool unpriced = false;    // quotes withdrawn for want of a fair value
  int64_t pricedAtNs = 0;   // last refresh that gave this option a fair value
  bool idle() const { return side[0].id == 0 && side[1].id == 0; }
};

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kChainStaleNs = 5 * kSecond;  // analytics refresh at up to 10 Hz: 5 s silence is an outage
constexpr int kRescanEveryTicks = 60;          // expiries roll and get listed: re-pick the expiry every minute
// A refresh without a fair value for an option leaves its resting quotes alone for this long (they
// were priced a moment ago); pulling and re-placing them on every such refresh only burns order
// rate and queue priority.
constexpr int64_t kNoValueGraceNs = 3 * kSecond;
// The host holds an expiry's last good surface through refreshes whose fit failed; one older than
// this no longer says where the market is.
constexpr int64_t kSurfaceMaxAgeNs = 60 * kSecond;

class OptionsMarketMaker : public Strategy {
 public:
  explicit OptionsMarketMaker(const kappa_host* h) : Strategy(h), tag_(host().instanceName()) {}

  void onStart() override {
    readParams();
    scanExpiry();
    host().subscribeChain();
    timer_ = host().setTimer(kSecond, true);
    lastChainNs_ = host().nowNs();
  }

  void onStop() override {
    host().cancelAll();
    quotes_.clear();
    byOrder_.clear();
  }

  void onParamChange(const std::string& name) override {
    readParams();
    if (name == "underlying" || name == "expiry_index") scanExpiry();
    host().log(KAPPA_LOG_INFO, "parameter " + name + " changed; applied at the next chain refresh");
  }

  void onTimer(uint64_t id) override {
    if (id != timer_) return;
    if (++ticks_ % kRescanEveryTicks == 0) scanExpiry();
    if (host().nowNs() - lastChainNs_ > kChainStaleNs && !pulled_ && !quotes_.empty()) {
      host().log(KAPPA_LOG_WARN, "no analytics refresh for 5 s: quotes pulled until the chain updates");
      pullAll();
      pulled_ = true;
    }
  }

  void onChain(const kappa_chain_event& e) override {
    lastChainNs_ = host().nowNs();
    pulled_ = false;
    const std::vector<Option> chosen = chooseOptions();
    const double inventory = inventoryDelta();
    for (const Option& o : chosen) quoteOption(o, inventory);
    for (auto it = quotes_.begin(); it != quotes_.end();) {
      const uint32_t id = it->first;
      if (std::any_of(chosen.begin(), chosen.end(), [id](const Option& o) { return o.id == id; })) {
        ++it;
        continue;
      }
      withdraw(it->second);
      it = it->second.idle() ? quotes_.erase(it) : std::next(it);
    }
  }

  void onOrderUpdate(const kappa_order& o) override {
    auto it = byOrder_.find(o.order_id);
    if (it == byOrder_.end()) return;
    auto qi = quotes_.find(it->second);
    if (qi == quotes_.end()) return;
    Quote& q = qi->second;
    Slot& s = q.side[o.side == KAPPA_SIDE_SELL ? 1 : 0];
    if (s.id != o.order_id) return;
    s.state = o.state;
    s.filled = o.filled;
    if (o.state == KAPPA_STATE_REJECTED) logRefusal(s, q.option, o.reason ? o.reason : "");
    if (isTerminal(o.state)) {
      byOrder_.erase(it);
      const std::string lastRefusal = s.lastRefusal;
      s = Slot{};
      s.lastRefusal = lastRefusal;
    }
  }

  void onFill(const kappa_fill& f) override {
    held_.push_back(f.instrument);  // the skew needs every option this instance ever traded
    std::sort(held_.begin(), held_.end());
    held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
  }

 private:
  struct Params {
    std::string underlying;
    int expiryIndex = 1, strikes = 4;
    double edgeVol = 2, size = 0.1, maxPosition = 1, skewPerDelta = 0.5, requoteVol = 0.25;
  };

  void readParams() {
    p_.underlying = host().paramString("underlying");
    p_.expiryIndex = int(host().param("expiry_index"));
    p_.strikes = int(host().param("strikes"));
    p_.edgeVol = host().param("edge_vol");
    p_.size = host().param("size");
    p_.maxPosition = host().param("max_position");
    p_.skewPerDelta = host().param("skew_per_delta");
    p_.requoteVol = host().param("requote_vol");
  }

  // Caches the options of the selected expiry: a full instrument scan is too slow for every refresh.
  void scanExpiry() {
    const std::string prefix = p_.underlying + "-";
    const int64_t now = host().nowNs();
    std::map<int64_t, std::vector<Option>> byExpiry;
    kappa_instrument in;
    for (uint32_t id = 0, n = host().instrumentCount(); id < n; ++id) {
      if (!host().instrument(id, in) || in.kind != KAPPA_KIND_OPTION || !in.tradable || in.expiry_ns <= now) continue;
      if (!in.name || std::string(in.name).compare(0, prefix.size(), prefix) != 0) continue;
      byExpiry[in.expiry_ns].push_back({in.id, in.name, in.strike, in.tick_size, in.min_qty, in.max_qty, in.option_type});
    }
    std::vector<Option> next;
    if (p_.expiryIndex >= 0 && std::size_t(p_.expiryIndex) < byExpiry.size())
      next = std::next(byExpiry.begin(), p_.expiryIndex)->second;
    const bool changed = next.empty() != expiry_.empty() || (!next.empty() && next.front().id != expiry_.front().id);
    if (changed || !scanned_) {
      if (next.empty())
        host().log(KAPPA_LOG_WARN, "no " + p_.underlying + " expiry #" + std::to_string(p_.expiryIndex) +
                                       " with listed options: not quoting");
      else
        host().log(KAPPA_LOG_INFO, "quoting the expiry of " + next.front().name + " (" +
                                       std::to_string(next.size()) + " options listed)");
    }
    scanned_ = true;
    expiry_ = std::move(next);
  }

  // The `strikes` strikes nearest the forward, one option each: the out-of-the-money one, which
  // is where the flow and the liquidity are (an ITM option is the OTM one plus a forward).
  std::vector<Option> chooseOptions() const {
    double forward = 0;
    kappa_option_analytics a;
    for (const Option& o : expiry_)
      if (host().optionAnalytics(o.id, a) && a.forward > 0) {
        forward = a.forward;
        break;
      }
    if (!(forward > 0)) return {};
    std::vector<int64_t> strikes;
    for (const Option& o : expiry_) strikes.push_back(o.strike);
    std::sort(strikes.begin(), strikes.end());
    strikes.erase(std::unique(strikes.begin(), strikes.end()), strikes.end());
    const auto distance = [forward](int64_t k) { return std::abs(toDouble(k) - forward); };
    std::sort(strikes.begin(), strikes.end(), [&](int64_t x, int64_t y) { return distance(x) < distance(y); });
    strikes.resize(std::min<std::size_t>(strikes.size(), std::size_t(std::max(p_.strikes, 0))));
    std::vector<Option> chosen;
    for (int64_t k : strikes) {
      const int32_t otm = toDouble(k) >= forward ? KAPPA_OPTION_CALL : KAPPA_OPTION_PUT;
      const Option* pick = nullptr;
      for (const Option& o : expiry_)
        if (o.strike == k && (!pick || o.type == otm)) pick = &o;
      if (pick) chosen.push_back(*pick);
    }
    return chosen;
  }

  // Coin delta of this instance's own option positions, at the latest analytics.
  double inventoryDelta() const {
    double delta = 0;
    kappa_option_analytics a;
    for (uint32_t id : held_) {
      const kappa_position pos = host().position(id);
      if (pos.qty != 0 && host().optionAnalytics(id, a)) delta += toDouble(pos.qty) * a.delta_coin;
    }
    return delta;
  }

  void quoteOption(const Option& o, double inventory) {
    Quote& q = quotes_[o.id];
    q.option = o;
    kappa_option_analytics a;
    const int64_t now = host().nowNs();
    const bool priced = host().optionAnalytics(o.id, a) && a.surface_iv > 0 && a.forward > 0 &&
                        (a.surface_fitted_ns == 0 || now - a.surface_fitted_ns <= kSurfaceMaxAgeNs);
    if (priced) q.pricedAtNs = now;
    // A brief gap keeps what rests (priced under kNoValueGraceNs ago) and places nothing new.
    if (!priced && !q.unpriced && q.pricedAtNs != 0 && now - q.pricedAtNs <= kNoValueGraceNs) return;
    if (priced == q.unpriced)
      host().log(priced ? KAPPA_LOG_INFO : KAPPA_LOG_WARN,
                 o.name + (priced ? ": surface value back, quoting" : ": no surface value, not quoting"));
    q.unpriced = !priced;
    if (!priced) return withdraw(q);  // a quote without a fair value is a free option for everyone else
    const QuoteTarget t = computeQuote(a.theo_coin, a.vega, a.forward, p_.edgeVol, p_.skewPerDelta, inventory, o.tick);
    const double coinPerVol = a.vega / 100.0 / a.forward;
    const double requote = p_.requoteVol * coinPerVol;
    // Sizes never let a fill take the position past the limit, whatever the resting order's size.
    const double pos = toDouble(host().position(o.id).qty);
    setSide(q, KAPPA_SIDE_BUY, t.bid, lots(std::min(p_.size, p_.maxPosition - pos), o), t.center, requote);
    setSide(q, KAPPA_SIDE_SELL, t.ask, lots(std::min(p_.size, p_.maxPosition + pos), o), t.center, requote);
  }

  static int64_t lots(double contracts, const Option& o) {
    if (!(contracts > 0) || o.minQty <= 0) return 0;
    int64_t qty = (toFixed(contracts) / o.minQty) * o.minQty;
    if (o.maxQty > 0) qty = std::min(qty, (o.maxQty / o.minQty) * o.minQty);
    return qty;
  }

  // Brings one side to (price, qty); price or qty 0 means no order. Moves of the unrounded center
  // under `requote` (coin) are left alone: queue priority is worth more than a fraction of a vol
  // point, and comparing rounded prices would flap whenever the center sits on a tick boundary.
  // A shrink for the position limit is never deferred.
  void setSide(Quote& q, int32_t side, int64_t price, int64_t qty, double center = 0, double requote = 0) {
    Slot& s = q.side[side];
    if (s.cancelling) return;
    const bool want = price > 0 && qty > 0;
    if (s.id == 0) {
      if (want) submit(q, side, price, qty, center);
      return;
    }
    if (!want) return cancel(s);
    if (s.state == KAPPA_STATE_PENDING_NEW) return;  // the venue has not acknowledged it: cannot replace yet
    const int64_t leaves = s.qty - s.filled;
    const bool moved = std::abs(center - s.center) > requote && price != s.price;
    if (!moved && leaves <= qty) return;
    if (host().replace(s.id, price, s.filled + qty)) {
      s.price = price;
      s.qty = s.filled + qty;
      s.center = center;
    } else {
      cancel(s);  // an order we cannot move is a stale quote: take it down
    }
  }

  void submit(Quote& q, int32_t side, int64_t price, int64_t qty, double center) {
    Slot& s = q.side[side];
    const SubmitResult r = host().submit(q.option.id, side, price, qty, KAPPA_ORDER_LIMIT, KAPPA_TIF_GTC,
                                         /*postOnly=*/true, tag_.c_str());
    if (!r.accepted) return logRefusal(s, q.option, r.reason);
    const std::string lastRefusal = s.lastRefusal;
    s = Slot{r.orderId, KAPPA_STATE_PENDING_NEW, price, qty, 0, center, false, {}};
    if (!lastRefusal.empty()) host().log(KAPPA_LOG_INFO, q.option.name + ": quoting again");
    byOrder_[r.orderId] = q.option.id;
  }

  void withdraw(Quote& q) {
    setSide(q, KAPPA_SIDE_BUY, 0, 0);
    setSide(q, KAPPA_SIDE_SELL, 0, 0);
  }

  // A refused cancel is retried at the next refresh, unless the order is already gone.
  void cancel(Slot& s) {
    kappa_order o;
    if (host().cancel(s.id)) {
      s.cancelling = true;
    } else if (!host().order(s.id, o) || isTerminal(o.state)) {
      byOrder_.erase(s.id);
      s = Slot{};
    }
  }

  void logRefusal(Slot& s, const Option& o, const std::string& reason) {
    if (reason == s.lastRefusal) return;
    s.lastRefusal = reason;
    host().log(KAPPA_LOG_WARN, o.name + " quote refused: " + reason);
  }

  void pullAll() {
    for (auto& entry : quotes_) withdraw(entry.second);
  }

  Params p_;
  std::string tag_;
  std::vector<Option> expiry_;              // options of the selected expiry
  std::map<uint32_t, Quote> quotes_;        // by instrument
  std::unordered_map<uint64_t, uint32_t> byOrder_;
  std::vector<uint32_t> held_;              // sorted, unique
  uint64_t timer_ = 0;
  int64_t lastChainNs_ = 0;
  int ticks_ = 0;
  bool pulled_ = false;
  bool scanned_ = false;
};

const Register<OptionsMarketMaker> registration{
    {"kappa.examples.options-mm", "Options market maker", "1.0", "Kappa examples",
     "Quotes near-the-money options of one expiry around the fitted-surface value, with an edge and an "
     "inventory-delta skew in vol points, under a per-option position limit."},
    {Param::text("underlying", "BTC", "Underlying coin; options are matched by the name prefix \"<coin>-\""),
     Param::integer("expiry_index", 1, 0, 50, "Expiry to quote: 0 = the nearest listed expiry, 1 = the next, ..."),
     Param::integer("strikes", 4, 1, 50, "Number of strikes nearest the forward to quote (the OTM option of each)"),
     Param::real("edge_vol", 2.0, 0, 50, "Half-spread around theo, in vol points"),
     Param::real("size", 0.1, 0, 1000, "Contracts per quote"),
     Param::real("max_position", 1.0, 0, 100000, "Largest long or short position per option, contracts"),
     Param::real("skew_per_delta", 0.5, 0, 50, "Vol points both quotes move down per 1 BTC of own long coin delta"),
     Param::real("requote_vol", 0.25, 0, 10, "Replace a quote only when its target moved more than this, vol points")}};

}  // namespace

KAPPA_PLUGIN_ENTRY()
