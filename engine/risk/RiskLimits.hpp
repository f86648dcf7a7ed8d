#pragma once
// What the risk engine enforces: the pre-trade limits (checked by the RiskGate on every order) and
// the automatic triggers (post-trade monitors), each with a key, a unit, a documented default and
// an on/off switch. A limit can be set for the account, for instruments (by exact name, by a
// `*` pattern, or by kind: "@perpetual", "@future", "@option"), for venues (by venue name: "deribit",
// "binance-futures"), for strategies (by strategy id, or "*" for every strategy) and, for the Greek
// limits, per underlying (across venues: BTC is BTC wherever it trades).
//
// How scopes combine:
// - order limits (size, notional, bands, position, duplicates, self-trade): the most specific
//   setting wins — strategy, then instrument name, pattern, kind, then the venue, then the account;
// - counted limits (open orders, rates, daily counts): every scope counts on its own — the account
//   all orders, a venue setting that venue's orders, an instrument setting each matching
//   instrument's orders, a strategy setting each running instance's orders — and an order must
//   fit all of them.
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kappa {

enum class Limit : std::uint8_t {
  MaxOrderQty,       // instrument quantity units
  MaxOrderNotional,  // USD (perpetual/future: the USD amount; option: contracts x index)
  PriceBand,         // fraction of the reference price (mid, else mark) a limit price may differ by
  IvBand,            // vol points the implied vol of an option's limit price may differ from its mark IV
  MaxPosition,       // instrument units, the position if this order and all working on its side fill
  MaxNetDelta,       // coin (BTC for BTC, ETH for ETH): the book's coin delta per underlying
  MaxNetGamma,       // coin of delta per 1 % move of the underlying
  MaxNetVega,        // coin per vol point
  MaxOpenOrders,
  MaxSubmitRate,     // orders per rolling second
  MaxCancelRate,     // cancels and modifies per rolling second
  DuplicateWindowMs, // an order identical to one accepted this many ms ago is refused
  SelfTrade,         // an order that would trade against our own resting order is refused
  MaxDailyOrders,    // per UTC day
  MaxDailyCancels,
  MaxDailyFills,
  // On-chain venues (account or venue scope). The gate checks the slippage tolerance the venue
  // signs swaps with; the gas limits only the venue can check at signing (the fee estimate, the
  // gas already paid today), with the values the engine hands it (Venue::setRiskLimits).
  MaxSlippageBps,    // basis points: the venue's amountOutMin tolerance may not be wider
  MaxGasPriceGwei,   // gwei: a transaction's maxFeePerGas (what we sign to pay at most per gas)
  MaxGasPerDay,      // native coin (ETH): gas paid since UTC midnight + this swap's gasLimit x maxFeePerGas
  Count
};
inline constexpr std::size_t kLimitCount = std::size_t(Limit::Count);

enum class LimitScopeKind : std::uint8_t { Account, Instrument, Strategy, Underlying, Venue };

struct LimitInfo {
  const char* key;   // risk.json key, e.g. "max_open_orders"
  const char* unit;
  const char* what;  // one line for the user
  bool counted;      // counted per scope (see above) rather than most-specific-wins
  bool flag;         // on/off only, the value is not used (self_trade)
  std::uint8_t scopes;  // bit (1 << LimitScopeKind) for each scope it may be set in
  // The largest value it takes: a rate sizes a window of that many timestamps per scope, and a
  // window in ms becomes nanoseconds; beyond these a number is a mistake, not a limit.
  double max = HUGE_VAL;
};
const LimitInfo& infoOf(Limit limit);
const char* nameOf(Limit limit);  // the key
std::optional<Limit> limitByKey(std::string_view key);

// One limit as configured in one scope: unset (NaN) defers to the wider scopes.
struct LimitSetting {
  double value = std::nan("");
  bool enabled = true;
  bool set() const { return !std::isnan(value); }
  bool active() const { return set() && enabled; }
};
using LimitSet = std::array<LimitSetting, kLimitCount>;

// ---- automatic triggers ----
enum class Trigger : std::uint8_t {
  DailyLoss,      // BTC (other coins at the indices): realized + unrealized - fees since the UTC day began, below -threshold
  Drawdown,       // BTC (other coins at the indices): the fall of equity from its intraday peak
  GreekBreach,    // times the Greek limits: net delta/gamma/vega beyond threshold x limit
  StaleData,      // ms an instrument with working orders may stay stale
  RejectRate,     // fraction of venue rejects among the orders sent in the last 10 s (>= 20 orders)
  StrategyFault,  // a strategy instance faulted (threshold unused)
  EngineLag,      // ms: the engine loop or the venue feed running late by more
  Count
};
inline constexpr std::size_t kTriggerCount = std::size_t(Trigger::Count);
enum class TriggerAction : std::uint8_t { Off, Reduce, Halt };
const char* nameOf(Trigger trigger);  // its key, e.g. "daily_loss"
const char* nameOf(TriggerAction action);  // "off", "reduce", "halt"
const char* unitOf(Trigger trigger);
const char* describe(Trigger trigger);
std::optional<Trigger> triggerByKey(std::string_view key);
std::optional<TriggerAction> triggerActionByName(std::string_view name);

struct TriggerSetting {
  double threshold = 0;
  TriggerAction action = TriggerAction::Halt;
};

struct ScopedLimits {
  std::string key;  // instrument name / pattern / "@kind", strategy id / "*", underlying ("BTC"), venue name
  LimitSet limits;
};

// The whole configuration, as read from risk.json and --risk.
struct RiskConfig {
  LimitSet account;
  std::vector<ScopedLimits> instruments, strategies, underlyings, venues;
  std::array<TriggerSetting, kTriggerCount> triggers;
  std::string source;  // where it came from, for messages

  // The documented defaults (docs/risk.md).
  static RiskConfig defaults();
  // No limits and no triggers at all: for benchmarks and tests that measure something else.
  static RiskConfig unlimited();
  // The entry for `key` in a scope list, created (all unset) if missing.
  static LimitSet& entry(std::vector<ScopedLimits>& list, const std::string& key);
};

// A limit's number for messages: integers in full, others to 6 significant digits.
std::string formatRiskNumber(double v);

// `*` matches any run of characters; everything else literally.
bool matchesPattern(std::string_view pattern, std::string_view name);

}  // namespace kappa
