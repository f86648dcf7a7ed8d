#pragma once
// What the on-chain venue shows of its orders, pools and chain following (any thread, copies), and
// EvmVenueSnapshot: all of it at once, as the on-chain panel reads it (EvmView.hpp) — from the
// venue in this process, or from a served engine over the link (remote/EvmPartCodec.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Types.hpp"
#include "venue/VenueTypes.hpp"
#include "venue/evm/EvmChainViews.hpp"
#include "venue/evm/PoolState.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

// One order as the venue last saw it (any thread, a copy): for the GUI and tests.
struct EvmOrderView {
  OrderId orderId = 0;
  InstrumentId instrument = kNoInstrument;
  std::string state;          // "signing", "pending", "included", "confirmed", "final", "rejected", "cancelled", ...
  std::string detail;         // the last thing said about it (reason, replacement, reorg)
  std::string txHash;         // the current (or included) transaction
  std::uint64_t nonce = 0;
  std::uint64_t block = 0;    // included in
  std::uint64_t confirmations = 0;  // head - block + 1 while included (0 before)
  U256 amountIn = 0, amountOutMin = 0, expectedOut = 0;  // as sent
  U256 baseWei = 0, quoteWei = 0;  // from the Swap log once included
  U256 feeWei = 0;                 // gasUsed * effectiveGasPrice (also for a revert or a cancel)
  bool fillSent = false;
  bool reorgedAfterFill = false;
  // For the on-chain panel (EvmVenueChainViews.cpp, noteTxDetails): the receipt's gas, the fees
  // sent with the current attempt, and whether the tracker called it stuck since it was last sent.
  Side side = Side::Buy;
  std::uint64_t gasUsed = 0;
  U256 effectiveGasPrice = 0;
  U256 maxFeePerGas = 0, maxPriorityFeePerGas = 0;
  bool stuck = false;
  unsigned replacements = 0;  // speed-ups (ours or the tracker's), not counting a cancel
  Nanos sentAt = 0;           // wall time the first attempt was accepted
};

// One pool as the venue last saw it (any thread, a copy).
struct EvmPoolView {
  InstrumentId instrument = kNoInstrument;
  std::string name;          // "WETH/USDC"
  std::string pair;          // checksummed address
  U256 reserve0, reserve1;   // at `block`
  U256 baseReserve, quoteReserve;
  std::uint64_t block = 0;   // the block these reserves are the state after
  double mid = 0;            // quote per base (display)
  Price bestBid = 0, bestAsk = 0;  // the last book sent (0 = none)
  U256 baseVolume, quoteVolume;    // since the venue started following
  std::uint64_t trades = 0;
  // The last 24 h by block time (RollingVolume): read back from the chain's Swap logs at the start,
  // then every swap followed. dayCoveredFrom > the head's time - 24 h: the logs cover less (a younger
  // chain, or a backfill the node refused): "since" that time.
  U256 dayBaseVolume, dayQuoteVolume;
  std::uint64_t daySwaps = 0;
  Nanos dayCoveredFrom = 0, dayAt = 0;  // dayAt: the block time the window ends at
  std::optional<PoolTrade> lastTrade;
  std::string baseSymbol, quoteSymbol;  // "WETH", "USDC"
  unsigned baseDecimals = 18, quoteDecimals = 18;
};

struct EvmCounters {
  std::uint64_t polls = 0;
  std::uint64_t blocksProcessed = 0;   // heads handled (each may span several blocks)
  std::uint64_t logsApplied = 0;
  std::uint64_t tradesSent = 0;
  std::uint64_t snapshotsSent = 0;     // book snapshots (all pools)
  std::uint64_t resyncs = 0;           // every pool read again from getReserves
  std::uint64_t reorgs = 0;            // the last processed block no longer canonical (or gone)
  std::uint64_t gapResyncs = 0;        // gaps longer than maxLogRange
  std::uint64_t verifications = 0, mismatches = 0;  // getReserves checks, and those that differed
  std::uint64_t rpcFailures = 0;       // polls that failed (any reason)
  std::uint64_t reconnects = 0;        // the node answering again after not answering
  std::uint64_t headBlock = 0;         // the node's newest block, as last asked
  std::uint64_t processedBlock = 0;    // the block the books show
  std::uint64_t resyncBlock = 0;       // the block of the last getReserves resync: trades and volume
                                       // count the logs after it (and after every earlier one)
  Nanos processedBlockTime = 0;
  std::uint64_t chainId = 0;           // as the node said
  std::int64_t lastRoundTripUs = 0;    // eth_blockNumber's last round trip
  bool headsPushed = false;            // subscribed to new heads (NewHeadsFeed) right now
  std::uint64_t headNotifications = 0; // new heads the node pushed
  std::uint64_t ordersSent = 0;        // swaps handed to the tracker
  std::uint64_t approvalsSent = 0;
  std::uint64_t fillsReorged = 0;      // an included swap whose fill was reported left the chain
};

// Everything the on-chain panel and the ticket's swap preview show, read at once (one lock).
struct EvmVenueSnapshot {
  VenueId venue = 0;
  VenueState state = VenueState::Disconnected;
  std::string stateDetail;     // why not Connected ("" while it is)
  std::string walletAddress;   // checksummed, "" without a wallet key
  unsigned slippageBps = 0;    // the venue's slippage tolerance (amountOutMin)
  EvmCounters counters;
  std::vector<EvmPoolView> pools;
  std::vector<EvmOrderView> orders;
  EvmWalletView wallet;
  EvmChainView chain;
};

}  // namespace kappa::evm
