#include "venue/evm/PoolState.hpp"

#include "venue/evm/EvmError.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::evm {

void PoolState::setReserves(const U256& reserve0, const U256& reserve1, std::uint64_t block) {
  reserve0_ = reserve0;
  reserve1_ = reserve1;
  hasReserves_ = true;
  block_ = block;
}

double PoolState::midPrice() const {
  return tokenPrice(quoteReserve(), meta_.quote().decimals, baseReserve(), meta_.base().decimals);
}

std::optional<PoolTrade> PoolState::apply(const ChainLog& log) {
  if (log.address != meta_.pair)
    throw EvmError("log of " + toChecksumAddress(log.address) + " applied to pool " + toChecksumAddress(meta_.pair));
  if (auto sync = decodeSync(log)) {
    reserve0_ = sync->reserve0;
    reserve1_ = sync->reserve1;
    hasReserves_ = true;
    ++syncs_;
    return std::nullopt;
  }
  if (!decodeSwap(log)) return std::nullopt;
  std::optional<PoolTrade> t = tradeOf(log);
  if (!t) {
    ++oddSwaps_;
    return std::nullopt;
  }
  baseVolume_ += t->base;
  quoteVolume_ += t->quote;
  ++trades_;
  lastTrade_ = t;
  return t;
}

std::optional<PoolTrade> PoolState::tradeOf(const ChainLog& log) const {
  auto swap = decodeSwap(log);
  if (!swap) return std::nullopt;
  const bool b0 = meta_.baseIsToken0;
  const U256& baseIn = b0 ? swap->amount0In : swap->amount1In;
  const U256& baseOut = b0 ? swap->amount0Out : swap->amount1Out;
  const U256& quoteIn = b0 ? swap->amount1In : swap->amount0In;
  const U256& quoteOut = b0 ? swap->amount1Out : swap->amount0Out;
  PoolTrade t;
  // Net amounts: a swap normally has one side in and the other out; a flash swap may have both.
  if (baseOut > baseIn && quoteIn > quoteOut) {
    t.aggressor = Side::Buy;  // the trader took base from the pool, paid quote
    t.base = baseOut - baseIn;
    t.quote = quoteIn - quoteOut;
  } else if (baseIn > baseOut && quoteOut > quoteIn) {
    t.aggressor = Side::Sell;
    t.base = baseIn - baseOut;
    t.quote = quoteOut - quoteIn;
  } else {
    return std::nullopt;
  }
  t.block = log.blockNumber;
  t.logIndex = log.logIndex;
  t.transactionHash = log.transactionHash;
  t.price = tokenPriceToFixed(t.quote, meta_.quote().decimals, t.base, meta_.base().decimals);
  t.qty = tokenAmountToFixedSaturating(t.base, meta_.base().decimals);
  return t;
}

}  // namespace kappa::evm
