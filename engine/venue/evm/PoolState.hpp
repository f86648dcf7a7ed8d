#pragma once
// One Uniswap V2 pair as the venue follows it: its two tokens (address, symbol, decimals), which
// of them is the base (the instrument's quantity) and which the quote (its price currency), and
// its reserves, kept exact (U256) block by block from the pair's own events:
//   - Sync sets the reserves (the last one applied is the pair's state after that log);
//   - Swap is a trade: the net base the trader took (buy) or gave (sell) and the quote against it,
//     added to the volume.
// getReserves (PoolChainReader) is the fallback: at the start, after a reorganisation, after a gap
// too long to fetch logs for, on a snapshot request, and to verify now and then.
// Volume here is since the venue started following the pool (the pair keeps no volume on chain);
// the rolling 24 h is the venue's (RollingVolume, with tradeOf() for the day's earlier logs).
// No I/O, one thread (the venue's).
#include <cstdint>
#include <optional>
#include <string>

#include "core/Fixed.hpp"
#include "core/Types.hpp"
#include "venue/evm/Address.hpp"
#include "venue/evm/PoolEvents.hpp"
#include "venue/evm/PoolBook.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct TokenInfo {
  Address address{};
  std::string symbol;     // "WETH"; the address's short form when the token does not say
  unsigned decimals = 18;
};

struct PoolMeta {
  Address pair{};
  TokenInfo token0, token1;  // as the pair orders them (by address)
  bool baseIsToken0 = true;
  const TokenInfo& base() const { return baseIsToken0 ? token0 : token1; }
  const TokenInfo& quote() const { return baseIsToken0 ? token1 : token0; }
  std::string name() const { return base().symbol + "/" + quote().symbol; }  // "WETH/USDC"
};

// A swap as a trade on the instrument: the trader's side (Buy = took base from the pool).
struct PoolTrade {
  Side aggressor = Side::Buy;
  U256 base;   // net base moved (wei)
  U256 quote;  // net quote moved the other way (wei)
  std::uint64_t block = 0, logIndex = 0;
  Hash32 transactionHash{};
  Price price = 0;  // quote per whole base, fixed point, rounded to nearest
  Qty qty = 0;      // base in fixed point, rounded down (saturating)
};

class PoolState {
 public:
  explicit PoolState(PoolMeta meta) : meta_(std::move(meta)) {}

  const PoolMeta& meta() const { return meta_; }

  // getReserves' answer as of `block` (a resync: the logs up to it are taken as applied).
  void setReserves(const U256& reserve0, const U256& reserve1, std::uint64_t block);
  // One log of this pair, in chain order (block, then log index). Sync moves the reserves; a Swap
  // returns its trade (nullopt for other events, and for a swap that moved no net base or no net
  // quote the other way, which a flash swap can do: counted in oddSwaps()). Throws EvmError for a
  // log of another address or a malformed Sync/Swap.
  std::optional<PoolTrade> apply(const ChainLog& log);
  // The trade of a Swap log of this pair, without applying anything (a past block's log: the
  // rolling day's volume); nullopt for other events and odd (flash) swaps.
  std::optional<PoolTrade> tradeOf(const ChainLog& log) const;
  // Every log up to `block` has been applied.
  void advanceTo(std::uint64_t block) { block_ = block; }

  bool hasReserves() const { return hasReserves_; }
  const U256& reserve0() const { return reserve0_; }
  const U256& reserve1() const { return reserve1_; }
  const U256& baseReserve() const { return meta_.baseIsToken0 ? reserve0_ : reserve1_; }
  const U256& quoteReserve() const { return meta_.baseIsToken0 ? reserve1_ : reserve0_; }
  PoolSides sides() const { return {baseReserve(), quoteReserve(), meta_.base().decimals, meta_.quote().decimals}; }
  std::uint64_t block() const { return block_; }
  // quote per base from the reserves (no fee), for display.
  double midPrice() const;

  // Since the venue started following the pool.
  const U256& baseVolume() const { return baseVolume_; }
  const U256& quoteVolume() const { return quoteVolume_; }
  std::uint64_t trades() const { return trades_; }
  std::uint64_t oddSwaps() const { return oddSwaps_; }
  std::uint64_t syncs() const { return syncs_; }
  const std::optional<PoolTrade>& lastTrade() const { return lastTrade_; }

 private:
  PoolMeta meta_;
  U256 reserve0_ = 0, reserve1_ = 0;
  bool hasReserves_ = false;
  std::uint64_t block_ = 0;
  U256 baseVolume_ = 0, quoteVolume_ = 0;
  std::uint64_t trades_ = 0, oddSwaps_ = 0, syncs_ = 0;
  std::optional<PoolTrade> lastTrade_;
};

}  // namespace kappa::evm
