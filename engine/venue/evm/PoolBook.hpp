#pragma once
// A Uniswap V2 pool (x*y=k with the 0.3 % fee) as an order book for the engine: the curve cut into
// price steps, each level's size computed with the Router's own integer math (getAmountOut /
// getAmountIn, UniswapV2Math.hpp), so the ladder shows the price impact a swap really has.
//
// What a level means. A bid at price p with size q: selling the base sizes of every bid level down
// to p (their sum, S) into the pool is the largest sale after which the pool's marginal bid — the
// price, fee included, it pays for the next unit of base — is still at least p; one wei more and it
// is below p. Asks mirror it (buying base; marginal ask = the price of the next unit bought). Each
// chunk of the curve is shown at the worst price of its step, so the book is conservative: sweeping
// levels down to p really pays at least what the book adds up to (the swap's average price is at
// least p). Both sides start one step outside the fee band: the best bid is one step under
// mid*(1 - fee), the best ask one step over mid/(1 - fee), mid = quoteReserve/baseReserve.
//
// Level prices sit on the instrument's tick (bids rounded down, asks up); steps that round to the
// same price, or whose size rounds to zero in fixed point, merge into the next level. Sizes are the
// differences of the cumulative sizes, each floored to fixed point, so the displayed sizes add up
// exactly to the floor of the cumulative amount.
#include <cstdint>
#include <vector>

#include "book/MarketEvent.hpp"
#include "book/OrderBook.hpp"
#include "core/Fixed.hpp"
#include "venue/evm/U256.hpp"
#include "venue/evm/UniswapV2Math.hpp"

namespace kappa::evm {

struct PoolBookConfig {
  int levels = 20;              // per side
  double step = 0.001;          // 0.1 % of the fee-band price per level
  unsigned feeBps = kUniswapV2FeeBps;
};

// The pool's reserves seen as base and quote (which of token0/token1 is which is PoolState's).
struct PoolSides {
  U256 base, quote;
  unsigned baseDecimals = 18, quoteDecimals = 18;
};

struct PoolLadder {
  std::vector<Level> bids, asks;     // best first
  std::vector<U256> bidCumulative;   // per bid level: base wei sold down to its price (exact)
  std::vector<U256> askCumulative;   // per ask level: base wei bought up to its price (exact)
  double mid = 0;                    // quote per base, display only
};

// A sensible tick for a pool whose price is about `price` (quote per base): about 1e-5 of it,
// rounded down to a power of ten, never below the fixed point's 1e-8.
Price poolTickFor(double price);

// The exact primitives (also what the tests check the ladder against). `price` is fixed point
// (quote per whole base). Marginal prices include the fee.
// After selling `baseIn` wei of base into the pool, is its marginal bid still >= price?
bool marginalBidAtLeastAfterSell(const PoolSides& pool, const U256& baseIn, Price price, unsigned feeBps = kUniswapV2FeeBps);
// After buying `baseOut` wei of base from the pool, is its marginal ask still <= price?
bool marginalAskAtMostAfterBuy(const PoolSides& pool, const U256& baseOut, Price price, unsigned feeBps = kUniswapV2FeeBps);
// The largest sale (base wei) that keeps the marginal bid >= price (0 when even the first wei is
// below it).
U256 baseSellableDownTo(const PoolSides& pool, Price price, unsigned feeBps = kUniswapV2FeeBps);
// The largest purchase (base wei, below the base reserve) that keeps the marginal ask <= price.
U256 baseBuyableUpTo(const PoolSides& pool, Price price, unsigned feeBps = kUniswapV2FeeBps);

// The ladder. Empty when a reserve is 0. Throws EvmError for decimals above kMaxTokenDecimals or
// an invalid config (levels < 1, step not in (0, 1), fee >= 10000 bps).
PoolLadder buildPoolLadder(const PoolSides& pool, Price tick, const PoolBookConfig& config = {});

// The ladder as one snapshot message: BookBegin (isSnapshot, changeId), the bids then the asks as
// New levels, BookEnd; appended to `out`.
void appendBookSnapshot(InstrumentId instrument, std::uint64_t changeId, Nanos ts, const PoolLadder& ladder,
                        std::vector<MdEvent>& out);

}  // namespace kappa::evm
