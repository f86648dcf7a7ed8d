#include "venue/evm/PoolBook.hpp"

#include <cmath>
#include <string>

#include "venue/evm/EvmError.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::evm {

namespace {

void checkFee(unsigned feeBps) {
  if (feeBps >= 10000) throw EvmError("pool fee of " + std::to_string(feeBps) + " bps is not below 100 %");
}

// Searches stop here: far beyond any uint112 reserve, far below where 512-bit products overflow.
const U256& searchCap() {
  static const U256 cap = U256(1) << 200;
  return cap;
}

// A non-negative long double as a U256 (truncated); 0 for anything not finite or negative, the
// cap above it.
U256 toU256(long double v) {
  if (!(v > 0) || !std::isfinite(v)) return 0;
  if (v >= 1.0e60L) return searchCap();
  int exponent = 0;
  const long double mantissa = std::frexp(v, &exponent);  // v = mantissa * 2^exponent, mantissa in [0.5, 1)
  const U256 bits = U256(static_cast<std::uint64_t>(std::ldexp(mantissa, 64)));
  return exponent >= 64 ? bits << (exponent - 64) : bits >> (64 - exponent);
}

// The largest S in [lo, hi] with holds(S), given holds(lo) and !holds(hi).
template <class Holds>
U256 bisect(U256 lo, U256 hi, const Holds& holds) {
  while (hi - lo > 1) {
    const U256 mid = lo + (hi - lo) / 2;
    (holds(mid) ? lo : hi) = mid;
  }
  return lo;
}

// Around the real-number answer `estimate` (what x*y=k gives without the contract's rounding), a
// bracket [lo, hi] with holds(lo) and !holds(hi), widened a few times if the estimate was off;
// false when none was found (the caller then searches the whole range). Cuts the exact search from
// ~75 steps to ~20.
template <class Holds>
bool bracket(long double estimate, const U256& limit, const Holds& holds, U256& lo, U256& hi) {
  const U256 centre = toU256(estimate);
  if (centre == 0 || centre >= limit) return false;
  long double relative = 1e-15L;
  for (int attempt = 0; attempt < 3; ++attempt, relative *= 1e4L) {
    const U256 delta = toU256(estimate * relative) + 1024;
    lo = centre > delta ? centre - delta : U256(0);
    hi = limit - centre > delta ? centre + delta : limit;
    if (holds(lo) && !holds(hi)) return true;
  }
  return false;
}

long double asDouble(const U256& v) { return v.convert_to<long double>(); }

// The price in quote wei per base wei.
long double weiRatio(Price price, const PoolSides& pool) {
  return (long double)(price) / (long double)(kFixedScale) * asDouble(pow10U256(pool.quoteDecimals)) /
         asDouble(pow10U256(pool.baseDecimals));
}

}  // namespace

Price poolTickFor(double price) {
  if (!(price > 0) || !std::isfinite(price)) return 1;
  const double exponent = std::floor(std::log10(price)) - 5;  // about 1e-5 of the price
  const double fixedTick = std::pow(10.0, exponent + 8);       // in 1e-8 units
  if (fixedTick < 1) return 1;
  if (fixedTick > 1e17) return Price(1e17);
  return Price(std::llround(fixedTick));
}

bool marginalBidAtLeastAfterSell(const PoolSides& pool, const U256& baseIn, Price price, unsigned feeBps) {
  checkFee(feeBps);
  if (price <= 0) return true;
  if (pool.base == 0 || pool.quote == 0) return false;
  U256 out = 0;
  if (baseIn > 0) {
    try {
      out = getAmountOut(baseIn, pool.base, pool.quote, feeBps);
    } catch (const EvmError&) {
      return false;  // the Router would revert (overflow): not sellable
    }
  }
  const U512 baseAfter = U512(pool.base) + U512(baseIn);
  const U512 quoteAfter = U512(pool.quote - out);
  // (1 - fee) * quoteAfter / baseAfter, in quote per whole base, against price / 1e8:
  const U512 lhs = U512(10000 - feeBps) * quoteAfter * U512(pow10U256(pool.baseDecimals)) * U512(kFixedScale);
  const U512 rhs = U512(std::uint64_t(price)) * U512(10000) * baseAfter * U512(pow10U256(pool.quoteDecimals));
  return lhs >= rhs;
}

bool marginalAskAtMostAfterBuy(const PoolSides& pool, const U256& baseOut, Price price, unsigned feeBps) {
  checkFee(feeBps);
  if (pool.base == 0 || pool.quote == 0 || baseOut >= pool.base || price <= 0) return false;
  U256 cost = 0;
  if (baseOut > 0) {
    try {
      cost = getAmountIn(baseOut, pool.quote, pool.base, feeBps);
    } catch (const EvmError&) {
      return false;
    }
  }
  const U512 baseAfter = U512(pool.base - baseOut);
  const U512 quoteAfter = U512(pool.quote) + U512(cost);
  // quoteAfter / ((1 - fee) * baseAfter) <= price / 1e8:
  const U512 lhs = U512(10000) * quoteAfter * U512(pow10U256(pool.baseDecimals)) * U512(kFixedScale);
  const U512 rhs = U512(std::uint64_t(price)) * U512(10000 - feeBps) * baseAfter * U512(pow10U256(pool.quoteDecimals));
  return lhs <= rhs;
}

U256 baseSellableDownTo(const PoolSides& pool, Price price, unsigned feeBps) {
  if (!marginalBidAtLeastAfterSell(pool, 0, price, feeBps)) return 0;
  auto holds = [&](const U256& s) { return marginalBidAtLeastAfterSell(pool, s, price, feeBps); };
  {
    // Real numbers, s = S/x, g = 1 - fee: the marginal bid after selling S is g*y*x/((x+gS)(x+S)),
    // so (1+gs)(1+s) = r with r = g*(y/x)/price: g*s^2 + (1+g)*s + 1 - r = 0.
    const long double x = asDouble(pool.base), y = asDouble(pool.quote), g = (10000.0L - feeBps) / 10000.0L;
    const long double r = g * (y / x) / weiRatio(price, pool);
    const long double s = 2 * (r - 1) / ((1 + g) + std::sqrt((1 + g) * (1 + g) + 4 * g * (r - 1)));
    U256 lo, hi;
    if (bracket(s * x, searchCap(), holds, lo, hi)) return bisect(lo, hi, holds);
  }
  U256 lo = 0, hi = pool.base > 0 ? pool.base : U256(1);
  while (marginalBidAtLeastAfterSell(pool, hi, price, feeBps)) {  // the marginal bid falls towards 0
    lo = hi;
    if (hi >= searchCap()) return lo;
    hi <<= 1;
  }
  return bisect(lo, hi, holds);  // lo satisfies, hi does not
}

U256 baseBuyableUpTo(const PoolSides& pool, Price price, unsigned feeBps) {
  if (!marginalAskAtMostAfterBuy(pool, 0, price, feeBps)) return 0;
  auto holds = [&](const U256& s) { return marginalAskAtMostAfterBuy(pool, s, price, feeBps); };
  {
    // Real numbers, u = 1 - S/x: the marginal ask after buying S is (y/x)(g*u + 1 - u)/(g^2 u^2), so
    // a*g*u^2 + (1-g)*u - 1 = 0 with a = price*g/(y/x).
    const long double x = asDouble(pool.base), y = asDouble(pool.quote), g = (10000.0L - feeBps) / 10000.0L;
    const long double a = weiRatio(price, pool) * g / (y / x);
    const long double u = 2 / ((1 - g) + std::sqrt((1 - g) * (1 - g) + 4 * a * g));
    U256 lo, hi;
    if (bracket((1 - u) * x, pool.base, holds, lo, hi)) return bisect(lo, hi, holds);
  }
  return bisect(0, pool.base, holds);  // buying the whole reserve is impossible
}

PoolLadder buildPoolLadder(const PoolSides& pool, Price tick, const PoolBookConfig& config) {
  checkFee(config.feeBps);
  if (config.levels < 1) throw EvmError("pool book needs at least one level");
  if (!(config.step > 0 && config.step < 1)) throw EvmError("pool book step must be between 0 and 1");
  pow10U256(pool.baseDecimals);  // refuses unsupported decimals
  pow10U256(pool.quoteDecimals);
  PoolLadder ladder;
  if (pool.base == 0 || pool.quote == 0) return ladder;
  if (tick <= 0) tick = 1;
  ladder.mid = tokenPrice(pool.quote, pool.quoteDecimals, pool.base, pool.baseDecimals);
  const long double fee = (long double)(config.feeBps) / 10000.0L;
  const long double bandBid = (long double)(ladder.mid) * (1 - fee);
  const long double bandAsk = (long double)(ladder.mid) / (1 - fee);
  const long double maxFixed = 9.0e18L;
  if (bandAsk * (1 + config.step * config.levels) * kFixedScale >= maxFixed) return ladder;  // beyond fixed point

  std::int64_t before = 0;
  Price last = 0;
  for (int k = 1; k <= config.levels; ++k) {
    const long double p = bandBid * (1 - (long double)(config.step) * k) * kFixedScale;
    if (p < tick) break;
    const Price t = Price(std::floor(p / tick)) * tick;
    if (t <= 0) break;
    if (t == last) continue;  // steps finer than the tick merge
    const U256 cumulative = baseSellableDownTo(pool, t, config.feeBps);
    const std::int64_t fixedCum = tokenAmountToFixedSaturating(cumulative, pool.baseDecimals);
    if (fixedCum <= before) continue;  // nothing in fixed point yet: merges into the next level
    ladder.bids.push_back({t, fixedCum - before});
    ladder.bidCumulative.push_back(cumulative);
    before = fixedCum;
    last = t;
  }
  before = 0;
  last = 0;
  for (int k = 1; k <= config.levels; ++k) {
    const long double p = bandAsk * (1 + (long double)(config.step) * k) * kFixedScale;
    const Price t = Price(std::ceil(p / tick)) * tick;
    if (t == last) continue;
    const U256 cumulative = baseBuyableUpTo(pool, t, config.feeBps);
    const std::int64_t fixedCum = tokenAmountToFixedSaturating(cumulative, pool.baseDecimals);
    if (fixedCum <= before) continue;
    ladder.asks.push_back({t, fixedCum - before});
    ladder.askCumulative.push_back(cumulative);
    before = fixedCum;
    last = t;
  }
  return ladder;
}

void appendBookSnapshot(InstrumentId instrument, std::uint64_t changeId, Nanos ts, const PoolLadder& ladder,
                        std::vector<MdEvent>& out) {
  MdEvent e;
  e.instrument = instrument;
  e.ts = ts;
  e.type = MdType::BookBegin;
  e.isSnapshot = true;
  e.changeId = changeId;
  out.push_back(e);
  e.type = MdType::BookLevel;
  e.isSnapshot = false;
  e.changeId = 0;
  e.action = LevelAction::New;
  for (Side side : {Side::Buy, Side::Sell}) {
    e.side = side;
    for (const Level& l : side == Side::Buy ? ladder.bids : ladder.asks) {
      e.price = l.price;
      e.qty = l.qty;
      out.push_back(e);
    }
  }
  e = MdEvent{};
  e.type = MdType::BookEnd;
  e.instrument = instrument;
  e.ts = ts;
  e.changeId = changeId;
  out.push_back(e);
}

}  // namespace kappa::evm
