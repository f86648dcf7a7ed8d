// The on-chain venue's per-block work for one pool: cutting the x*y=k curve into a 20-level book on
// each side with the Router's exact integer math (PoolBook: a binary search of getAmountOut /
// getAmountIn per level), and applying a block's Sync + Swap logs to the pool's state. Names are
// fixed so results compare over time.
#include <benchmark/benchmark.h>

#include "venue/evm/PoolBook.hpp"
#include "venue/evm/PoolState.hpp"
#include "venue/evm/TokenAmount.hpp"

using namespace kappa;
using namespace kappa::evm;

namespace {

PoolSides wethUsdc() { return {U256(1000) * pow10U256(18), U256(3'000'000) * pow10U256(18), 18, 18}; }

void BM_PoolLadder20(benchmark::State& state) {
  const PoolSides pool = wethUsdc();
  const Price tick = poolTickFor(3000);
  for (auto _ : state) {
    PoolLadder l = buildPoolLadder(pool, tick);
    benchmark::DoNotOptimize(l.bids.data());
  }
}
BENCHMARK(BM_PoolLadder20);

// The mainnet shape: 6-decimal USDC against 18-decimal WETH.
void BM_PoolLadder20MixedDecimals(benchmark::State& state) {
  const PoolSides pool{U256(20'000) * pow10U256(18), U256(60'000'000) * pow10U256(6), 18, 6};
  const Price tick = poolTickFor(3000);
  for (auto _ : state) {
    PoolLadder l = buildPoolLadder(pool, tick);
    benchmark::DoNotOptimize(l.bids.data());
  }
}
BENCHMARK(BM_PoolLadder20MixedDecimals);

void BM_PoolApplySyncAndSwap(benchmark::State& state) {
  PoolMeta meta;
  meta.pair[19] = 0xaa;
  meta.token0 = {{}, "WETH", 18};
  meta.token1 = {{}, "USDC", 18};
  PoolState pool(meta);
  auto word = [](const U256& v, Bytes& out) {
    const auto b = u256ToBigEndian32(v);
    out.insert(out.end(), b.begin(), b.end());
  };
  ChainLog sync, swap;
  sync.address = swap.address = meta.pair;
  sync.topics = {uniswapV2SyncTopic()};
  word(U256(1000) * pow10U256(18), sync.data);
  word(U256(3'000'000) * pow10U256(18), sync.data);
  swap.topics = {uniswapV2SwapTopic(), Hash32{}, Hash32{}};
  for (const U256& v : {U256(0), U256(3010) * pow10U256(18), pow10U256(18), U256(0)}) word(v, swap.data);
  for (auto _ : state) {
    pool.apply(sync);
    auto t = pool.apply(swap);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_PoolApplySyncAndSwap);

}  // namespace
