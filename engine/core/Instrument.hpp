#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

enum class InstrumentKind : std::uint8_t { Index, Perpetual, Future, Option };
enum class OptionType : std::uint8_t { None, Call, Put };
// Inverse: quoted against USD but margined and settled in the coin (Deribit BTC perpetual: amount in
// USD, PnL in BTC; BTC options: premium in BTC, payoff max(S-K,0)/S in BTC). Linear: PnL = qty*dP.
enum class Settlement : std::uint8_t { Inverse, Linear };

struct Instrument {
  InstrumentId id = kNoInstrument;
  std::string name;                 // venue name, e.g. BTC-PERPETUAL, BTC-27DEC26-70000-C
  InstrumentKind kind = InstrumentKind::Perpetual;
  Settlement settlement = Settlement::Inverse;
  OptionType optionType = OptionType::None;
  std::string baseCurrency = "BTC";
  std::string quoteCurrency = "USD";   // currency of the price
  std::string settleCurrency = "BTC";  // currency of PnL and fees
  InstrumentId underlyingId = kNoInstrument;  // index the instrument prices off
  Price strike = 0;
  Nanos expiry = 0;                 // 0 for perpetuals and indices; options/futures at 08:00 UTC
  double contractSize = 1.0;        // options: 1 BTC; perpetual: 10 USD per contract
  Price tickSize = 1;
  Qty minQty = 1;                   // smallest order and quantity step
  Qty maxQty = 0;                   // 0 = no instrument limit
  bool tradable = true;
  double makerFee = 0.0;            // rate, see feeFor()
  double takerFee = 0.0;
  int priceDecimals = 2;            // decided by the tick size
  int qtyDecimals = 0;

  bool isOption() const { return kind == InstrumentKind::Option; }
  // Value of one unit of quantity at price p, in the settlement currency, up to a constant:
  // PnL of a position q opened at p0 and marked at p1 is q*(unitValue(p1) - unitValue(p0)).
  double unitValue(double p) const {
    if (settlement == Settlement::Inverse && !isOption()) return p > 0 ? -1.0 / p : 0.0;
    return p * (isOption() ? contractSize : 1.0);
  }
};

// Decimal places needed to show a fixed-point step exactly (0.0005 -> 4, 0.5 -> 1, 10 -> 0).
int decimalsFor(std::int64_t fixedStep);
// 08:00 UTC on the given civil date, as Deribit expires options and futures.
Nanos expiryAt0800Utc(int year, int month, int day);
// Deribit-style names: BTC-27DEC26, BTC-27DEC26-70000-C.
std::string deribitExpiryCode(Nanos expiry);
std::string formatFixed(std::int64_t value, int decimals);
// All significant decimals, no trailing zeros (0.03125, 67000.5, 10).
std::string formatTrimmed(std::int64_t value);

class InstrumentRegistry {
 public:
  InstrumentId add(Instrument instrument);
  const Instrument& operator[](InstrumentId id) const { return items_[id]; }
  const Instrument* find(std::string_view name) const;
  std::size_t size() const { return items_.size(); }
  const std::vector<Instrument>& all() const { return items_; }

 private:
  std::vector<Instrument> items_;
  std::unordered_map<std::string, InstrumentId> byName_;
};

}  // namespace kappa
