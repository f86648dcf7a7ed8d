#pragma once
// The configurable pre-trade limits behind the RiskGate: resolves each limit for an order from its
// scopes (see RiskLimits.hpp), keeps the counters the counted limits need (open orders, rolling
// rates, daily counts, recent orders for duplicates, the book's Greeks per underlying) and says
// yes or no with a reason that names the limit, its scope, the value and the limit.
// Engine thread only; every check is O(1) or bounded by the few orders it must look at.
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/Instrument.hpp"
#include "oms/Order.hpp"
#include "risk/RateWindow.hpp"
#include "risk/RiskLimits.hpp"

namespace kappa {

class MarketData;
class OrderManager;
struct Position;
namespace analytics {
struct MarketAnalytics;
}

// One bar of the risk panel: a limit in one scope and how much of it is used now.
struct LimitUse {
  Limit limit = Limit::MaxOpenOrders;
  std::string scope;   // "account", "BTC-PERPETUAL", "@option", "options-mm#2", "BTC"
  double use = 0;      // in the limit's unit; NaN for per-order limits (nothing accumulates)
  double value = 0;    // the limit
  bool enabled = true;
  // Where it is configured, as --risk names it ("account", "instruments/@option", ...): the risk
  // panel switches it with changeRiskLimit(path + "/" + key + "=off"). Empty: resolved, not switchable here.
  std::string path;
};

// A limit that refused orders (or a trigger that fired), aggregated per limit and scope.
struct Breach {
  Nanos first = 0, last = 0;
  std::string what;    // limit or trigger key
  std::string scope;
  std::string detail;  // the last reason
  std::uint64_t count = 0;
  bool trigger = false;
  std::string action;  // triggers: "halt" / "reduce"; limits: "refused"
};

// Net Greeks of one underlying's book, in the limits' units.
struct NetGreeks {
  double delta = 0;  // BTC
  double gamma = 0;  // BTC of delta per 1 % move
  double vega = 0;   // BTC per vol point
};

class PreTradeLimits {
 public:
  explicit PreTradeLimits(const InstrumentRegistry& instruments);

  void configure(const RiskConfig& config);
  const RiskConfig& config() const { return config_; }
  // Where marks, books and option analytics come from (engine-thread objects). Without a market,
  // the band and notional checks of market orders cannot run and refuse.
  void bindMarket(const MarketData* market) { market_ = market; }
  void bindAnalytics(const std::shared_ptr<const analytics::MarketAnalytics>* latest) { analytics_ = latest; }
  // Strategy instance id -> its strategy id (the key of the "strategies" scope).
  void setStrategyKeys(std::function<std::string(std::uint32_t)> keyOf) { strategyKeyOf_ = std::move(keyOf); }

  // A new order (replacing = 0) or a modify of a working one. `oms` gives positions and working orders.
  // Fills `limitHit` with the limit that refused it, if one did.
  std::string check(const OrderRequest& r, Nanos now, const OrderManager& oms, OrderId replacing, Limit* limitHit);
  // Cancel requests from strategies and users are rate-limited; the halt's and FLATTEN's are not.
  std::string checkCancel(const Order& o, Nanos now, Limit* limitHit);

  // Restart: the account's counts so far on UTC day `day` (from the journal).
  void seedDailyCounts(std::int64_t day, std::uint64_t orders, std::uint64_t cancels, std::uint64_t fills) {
    day_ = day;
    account_.dayOrders = orders, account_.dayCancels = cancels, account_.dayFills = fills;
  }
  void onAccepted(const Order& o, Nanos now);   // a new order left for the venue
  void onModifySent(const Order& o, Nanos now); // a replace left
  void onClosed(const Order& o);                // a working order ended
  void onCancelSent(const Order& o, Nanos now);
  void onFill(const Order& o, double qty, Nanos now);
  // Refreshes the per-unit Greeks from the analytics and recomputes the book's net Greeks.
  void onAnalytics(const std::vector<Position>& positions);

  const std::vector<std::string>& underlyings() const { return underlyings_; }
  NetGreeks netGreeks(std::size_t underlying) const { return net_[underlying]; }
  // An order limit of an instrument as the account and instrument scopes set it (NaN = none or off).
  double orderLimitValue(Limit l, InstrumentId id) const {
    if (id >= resolved_.size()) return std::nan("");  // listed since the last grow(): not resolved yet
    const LimitSetting& s = resolved_[id][std::size_t(l)];
    return s.active() ? s.value : std::nan("");
  }
  // USD notional of `qty` of an instrument at `price` (options: contracts x index).
  // The registry grew (instruments listed while running): their limits resolved, every counter
  // of the instruments already known kept. Engine thread (the gate's own calls do it too).
  void grow() { ensureSized(); }
  // The venues by VenueId, as risk.json's "venues" section names them ("deribit"). Before configure().
  void setVenueNames(std::vector<std::string> names);
  // On-chain venues: the slippage tolerance (bps) the venue signs swaps with, which max_slippage_bps
  // bounds (NaN: the venue has none). Set once by the engine from Venue::slippageToleranceBps().
  void setVenueSlippage(VenueId v, double bps);
  // A limit as a venue's entry sets it over the account's (NaN = none or off): what the engine hands
  // a venue that checks it itself (the gas limits, Venue::setRiskLimits).
  double venueLimitValue(Limit l, VenueId v) const;
  double notional(InstrumentId id, double qty, double price) const { return notionalUsd(instruments_[id], qty, price); }
  // The Greek limit of an underlying (NaN = none or off).
  double greekLimit(std::size_t underlying, Limit which) const;
  void usage(Nanos now, const OrderManager& oms, std::vector<LimitUse>* out);

 private:
  struct Counted {  // one scope's counters
    std::size_t open = 0;
    RateWindow submits, cancels;
    std::uint64_t dayOrders = 0, dayCancels = 0, dayFills = 0;
  };
  struct StrategyScope {
    LimitSet limits;  // exact strategy id entry over the "*" entry
    std::string label;
    std::string configKey;  // the entry its counted limits come from (the id, or "*")
    Counted counted;
  };
  struct UnitGreeks {
    double delta = 0, gamma = 0, vega = 0;
    bool known = false;
  };
  struct RecentOrder {
    Nanos ts = 0;
    InstrumentId instrument = kNoInstrument;
    Side side = Side::Buy;
    OrderType type = OrderType::Limit;
    Price price = 0;
    Qty qty = 0;
    std::uint32_t strategy = 0;
    OrderOrigin origin = OrderOrigin::Manual;
  };

  // The effective setting of an order limit: strategy scope over the instrument's resolved one.
  const LimitSetting& orderLimit(Limit l, InstrumentId id, const StrategyScope* s) const;
  void ensureSized();
  StrategyScope* strategyScope(std::uint32_t instance);
  void resolveStrategy(StrategyScope& s, const std::string& key);  // its limits from config_
  void rollDay(Nanos now);
  void applyCountedLimits(Counted& c, const LimitSet& limits);
  UnitGreeks unitGreeks(InstrumentId id) const;
  double referencePrice(InstrumentId id) const;
  double notionalUsd(const Instrument& inst, double qty, double price) const;
  std::string checkGreeks(const OrderRequest& r, double signedQty, Limit* limitHit) const;
  std::string checkSlippage(const Instrument& inst, const StrategyScope* s, Limit* limitHit) const;
  std::string checkBand(const OrderRequest& r, const Instrument& inst, const StrategyScope* s, Limit* limitHit) const;
  std::string checkCounted(const Counted& c, const LimitSet& limits, const std::string& scope, Nanos now,
                           bool submit, Limit* limitHit) const;
  std::string checkVenue(InstrumentId id, Nanos now, bool submit, Limit* limitHit);  // the venue's counted limits

  const InstrumentRegistry& instruments_;
  RiskConfig config_;
  const MarketData* market_ = nullptr;
  const std::shared_ptr<const analytics::MarketAnalytics>* analytics_ = nullptr;
  std::function<std::string(std::uint32_t)> strategyKeyOf_;

  // Per instrument: order limits resolved over instrument scopes and the account; the counted
  // limits of the instrument scopes only (the account's are counted once, in account_).
  std::vector<LimitSet> resolved_, instrumentCounted_;
  std::vector<std::string> instrumentScopeLabel_;  // the instrument entry that set its counted limits
  std::vector<std::string> instrumentScopeKey_;
  std::vector<Counted> perInstrument_;
  // Per venue (by VenueId): its name, the counted limits of its "venues" entry and their counters.
  std::vector<std::string> venueNames_;
  std::vector<LimitSet> venueCounted_;
  std::vector<Counted> perVenue_;
  std::vector<double> venueSlippageBps_;  // by VenueId, NaN = none
  Counted& venueCounter(InstrumentId id);
  Counted account_;
  std::unordered_map<std::uint32_t, StrategyScope> strategies_;
  std::int64_t day_ = -1;  // UTC day of the daily counts

  std::vector<std::string> underlyings_;
  std::vector<std::size_t> underlyingOf_;  // per instrument
  std::vector<InstrumentId> indexOf_;      // per underlying: its index instrument (or none)
  std::vector<LimitSet> underlyingLimits_;
  std::vector<UnitGreeks> unit_;
  std::vector<NetGreeks> net_;

  std::array<RecentOrder, 64> recent_{};
  std::size_t recentNext_ = 0;
};

}  // namespace kappa
