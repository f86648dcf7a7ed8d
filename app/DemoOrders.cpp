#include "DemoOrders.hpp"

#include <algorithm>
#include <cmath>

namespace kappa::app {

bool placeDemoOrders(Engine& engine) {
  const InstrumentRegistry& reg = engine.instruments();
  const Instrument* perp = reg.find("BTC-PERPETUAL");
  if (!perp) return true;
  const auto& quotes = engine.snapshot().quotes;
  if (quotes.size() != reg.size()) return false;
  const Price bid = quotes[perp->id].bid, ask = quotes[perp->id].ask, spot = quotes[perp->underlyingId].last;
  if (!bid || !ask || !spot) return false;
  auto order = [&](InstrumentId id, Side side, OrderType type, Price price, double qty) {
    OrderRequest r;
    r.instrument = id;
    r.side = side;
    r.type = type;
    r.price = price;
    r.qty = toFixed(qty);
    r.tag = "demo";
    engine.submit(r);
  };
  const Price tick = perp->tickSize;
  order(perp->id, Side::Buy, OrderType::Market, 0, 3000);            // fills: a long position
  order(perp->id, Side::Buy, OrderType::Limit, bid - 3 * tick, 2000);  // rests on the ladder
  order(perp->id, Side::Buy, OrderType::Limit, bid - 12 * tick, 5000);
  order(perp->id, Side::Sell, OrderType::Limit, ask + 6 * tick, 4000);
  order(perp->id, Side::Sell, OrderType::Limit, ask + toFixed(0.3), 1000);  // off the 0.5 tick: refused, with the reason
  // An at-the-money call from the second expiry, bought at market.
  const Instrument* best = nullptr;
  Nanos secondExpiry = 0, firstExpiry = 0;
  auto btcOption = [&](const Instrument& i) { return i.isOption() && i.baseCurrency == perp->baseCurrency; };
  for (const Instrument& i : reg.all()) {
    if (!btcOption(i)) continue;
    if (!firstExpiry || i.expiry < firstExpiry) firstExpiry = i.expiry;
  }
  for (const Instrument& i : reg.all())
    if (btcOption(i) && i.expiry > firstExpiry && (!secondExpiry || i.expiry < secondExpiry)) secondExpiry = i.expiry;
  for (const Instrument& i : reg.all()) {
    if (!btcOption(i) || i.expiry != secondExpiry || i.optionType != OptionType::Call) continue;
    if (!best || std::llabs(i.strike - spot) < std::llabs(best->strike - spot)) best = &i;
  }
  if (best) order(best->id, Side::Buy, OrderType::Market, 0, 2);
  // And a short out-of-the-money put (the nearest strike below spot) in the same expiry, so the
  // book has some shape in the Greeks panel.
  const Instrument* put = nullptr;
  for (const Instrument& i : reg.all()) {
    if (!btcOption(i) || i.expiry != secondExpiry || i.optionType != OptionType::Put || i.strike >= spot) continue;
    if (!put || i.strike > put->strike) put = &i;
  }
  if (put) order(put->id, Side::Sell, OrderType::Market, 0, 3);
  // ETH too, where listed: short 2,000 USD of ETH-PERPETUAL and long 20 at-the-money ETH calls of
  // the same expiry, so that both underlyings have a book (and the USD total adds two coins).
  const Instrument* ethPerp = reg.find("ETH-PERPETUAL");
  const Price ethSpot = ethPerp ? quotes[ethPerp->underlyingId].last : 0;
  if (ethPerp && ethSpot && quotes[ethPerp->id].bid) {
    order(ethPerp->id, Side::Sell, OrderType::Market, 0, 2000);
    const Instrument* ethCall = nullptr;
    for (const Instrument& i : reg.all()) {
      if (!i.isOption() || i.baseCurrency != "ETH" || i.expiry != secondExpiry || i.optionType != OptionType::Call) continue;
      if (!ethCall || std::llabs(i.strike - ethSpot) < std::llabs(ethCall->strike - ethSpot)) ethCall = &i;
    }
    if (ethCall) order(ethCall->id, Side::Buy, OrderType::Market, 0, 20);
  }
  return true;
}

bool placeEvmDemoSwap(Engine& engine, VenueId evmVenue) {
  const InstrumentRegistry& reg = engine.instruments();
  const Instrument* pool = reg.find(evmVenue, "WETH/USDC");
  if (!pool)
    for (const Instrument& i : reg.all())
      if (i.venue == evmVenue) {
        pool = &i;
        break;
      }
  if (!pool) return true;
  const auto& quotes = engine.snapshot().quotes;
  if (quotes.size() <= pool->id || !quotes[pool->id].bid) return false;  // no block processed yet
  OrderRequest r;
  r.instrument = pool->id;
  r.side = Side::Sell;
  r.type = OrderType::Market;
  r.qty = std::max(toFixed(0.01), pool->minQty);
  r.tag = "demo";
  engine.submit(r);
  return true;
}

}  // namespace kappa::app
