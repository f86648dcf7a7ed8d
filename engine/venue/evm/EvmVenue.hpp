#pragma once
// An EVM chain's Uniswap V2 pools as a Venue (name "evm"): the market side. One instrument per
// pool ("WETH/USDC": base = the instrument's quantity, quote = its price and settlement currency),
// whose book is the pool's x*y=k curve cut into price steps (PoolBook.hpp) and whose trades are the
// pair's Swap events.
//
// Everything of the chain runs on the venue's own I/O thread (VenueIoThread) with a blocking
// JSON-RPC client (EthRpc): the engine thread never waits for the node. Following the chain:
//   - at the start (and whenever the node comes back) eth_chainId is checked against the config;
//   - every pollInterval, eth_blockNumber; a new head (minus `confirmations`) brings the pairs'
//     Sync/Swap logs of the new blocks (eth_getLogs), which update each PoolState; then one book
//     snapshot per pool (changeId = the block number) and a Trade per swap reach the engine;
//   - the last processed block's hash is checked every poll: a reorganisation (or a chain reset,
//     anvil's evm_revert) resyncs every pool from getReserves at the new head; so does a gap longer
//     than maxLogRange, and getReserves verifies the log-kept reserves every verifyEveryBlocks.
// States: Connecting at the start; Connected while the node answers and is the right chain;
// Disconnected (books stale) while the node does not answer, retried every retryInterval;
// Degraded for a wrong chain id (books stale, nothing followed), a node that answers with errors,
// a node syncing, or a head older than maxHeadAge ("node behind").
//
// Instruments: kind Perpetual (the engine has no spot kind; a pool is delta one and never expires,
// and no funding is ever sent), Settlement Linear in the quote token, tick ~1e-5 of the price at
// listing (PoolBook's poolTickFor), minQty the base token's unit (at least 1e-8), no maker/taker fee
// (the pool's 0.3 % is inside the book's prices). Market data carries the block's timestamp (whole
// seconds); trade ids are block << 16 | log index. Volume (EvmPoolView) counts the Swap logs since
// the venue started following (not a rolling 24 h); blocks skipped by a resync are not counted.
//
// Orders: swaps through the Uniswap V2 Router (swapExactTokensForTokens), signed with the wallet
// key given to setWalletKey() (never logged; without it every order is refused, "no wallet key").
// submit() only posts to the I/O thread, where, against the reserves of the latest processed block:
//   - the order's qty is always the BASE amount. A Sell spends exactly qty base (exact input). A Buy
//     asks for qty base: getAmountIn(qty) on the current reserves is the exact quote input, and
//     its out (getAmountOut of that input, >= qty) the expected base; the swap stays exact-input in
//     the quote token, so the fill is the base the chain actually paid (>= qty when nothing moved);
//   - a limit order whose quote averages worse than its price (Buy above, Sell below) is refused
//     before signing; a market order takes any price within the slippage;
//   - amountOutMin = the expected out less slippageBps (UniswapV2Math::amountOutMinimum), deadline =
//     the block's time + deadlineSeconds;
//   - the input token's allowance for the Router is read; when short, the input's balance is
//     checked, approve(Router, 2^256-1) is sent first through the same TxTracker (the next nonce),
//     and the swap then goes out with a fixed gas limit (its estimate would revert on the allowance
//     not yet mined); otherwise eth_estimateGas, whose revert refuses the order (notSent) with the
//     revert reason, and a gas limit with headroom (swapGasHeadroom: the pair's accumulators).
//     Approvals are tracked under ids 2^62+n (never an engine order id) and are not cancelled by HALT.
// TxTracker's events become ExecReports: Pending -> Ack; Included -> Fill (base and average price
// from the pair's Swap log in the receipt; fee: below); Rejected -> Reject (notSent when refused
// before the chain; else the revert reason, gas paid) — but a swap already acknowledged that
// reverts is reported Cancelled with the reason "rejected on chain (reverted): ..." because the OMS
// has no Open -> Rejected transition (the order view's state says "rejected"); Cancelled ->
// Cancelled; Confirmed/Final and
// every head -> the order's confirmations (orders(), any thread); Replaced/Stuck/Dropped -> the
// order view's detail and the log. Fee: gasUsed * effectiveGasPrice in wei is kept exact in the
// order view (feeWei); the report's fee is that amount converted to the quote token at the mid of
// a listed WETH/<quote> or <quote>/WETH pool when one exists, else 0 (said in the log).
// A reorganisation after a Fill: logged as an error, counted (EvmCounters::fillsReorged) and the
// order view says "fill not final (reorged)"; the engine's fill stands (an OMS cannot unbook a fill);
// a re-inclusion sends no second Fill (a different amount is logged), and a swap that ends
// reverted or dropped after that is logged as an error with the fill marked wrong in the view.
// cancel: TxTracker::cancel (a self-transfer at the same nonce, fees raised) while pending;
// CancelReject once included. replace: always CancelReject: a swap has no price or size to modify,
// and a fee speed-up is not what the OMS asks for (the tracker already speeds up stuck ones).
// speedUp (the on-chain panel's button, EvmVenueChainViews.cpp): TxTracker::replace of a pending swap.
// wallet()/chain(): balances and allowances, head and base fees (EvmChainViews.hpp), refreshed
// per head on the I/O thread after the poll.
// cancelAllOrders (HALT ALL): cancels every pending transaction and says in onVenueState's detail
// how many, and that included swaps cannot be undone.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "venue/Venue.hpp"
#include "venue/VenueInbox.hpp"
#include "venue/VenueIoThread.hpp"
#include "venue/evm/EvmChainViews.hpp"
#include "venue/evm/EvmVenueConfig.hpp"
#include "venue/evm/PoolState.hpp"
#include "venue/evm/Secp256k1Signer.hpp"

namespace kappa::evm {

class EthRpc;
class PoolChainReader;
class NonceAllocator;
class FeeEstimator;
class TxTracker;
struct TxEvent;

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
  U256 baseVolume, quoteVolume;    // since the venue started following (not a rolling 24 h)
  std::uint64_t trades = 0;
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
  std::uint64_t ordersSent = 0;        // swaps handed to the tracker
  std::uint64_t approvalsSent = 0;
  std::uint64_t fillsReorged = 0;      // an included swap whose fill was reported left the chain
};

class EvmVenue final : public Venue {
 public:
  explicit EvmVenue(EvmVenueConfig config);
  ~EvmVenue() override;

  std::string name() const override { return "evm"; }
  // Blocking (bounded by the RPC timeout per call): names each pool from the config or the chain.
  // A pool that cannot be named is left out (listError() says why).
  void listInstruments(InstrumentRegistry& registry) override;
  void connect(VenueListener& listener, boost::asio::any_io_executor engine) override;
  void disconnect() override;
  // The wallet's key (before connect()). Kept only inside the signer.
  void setWalletKey(PrivateKey key);
  bool hasWallet() const { return signer_ != nullptr; }
  // See the header comment: posted to the I/O thread, answered by ExecReports.
  void submit(const VenueOrder& order) override;
  void cancel(OrderId orderId) override;
  void replace(OrderId orderId, Price newPrice, Qty newLeaves) override;
  bool cancelAllOrders() override;
  // Reads the pool's reserves again (getReserves at the processed block) and sends a snapshot.
  void requestSnapshot(InstrumentId id) override;
  VenueSummary summary() const override;

  // ---- any thread ----
  VenueState state() const { return state_.load(); }
  std::string stateDetail() const;
  std::string listError() const;
  EvmCounters counters() const;
  std::vector<EvmPoolView> pools() const;
  std::vector<EvmOrderView> orders() const;
  std::optional<EvmOrderView> order(OrderId id) const;
  // The wallet's address ("" without a key).
  std::string walletAddress() const;
  // The wallet's balances and Router allowances, and the chain's head and base fees
  // (EvmChainViews.hpp; refreshed on the I/O thread, EvmVenueChainViews.cpp).
  EvmWalletView wallet() const;
  EvmChainView chain() const;
  // Speed-up of a pending swap (any thread; posted to the I/O thread): TxTracker::replace, the same
  // nonce with both fees raised (>= 12.5 %). The answer is the order view's detail and the log:
  // refused with the reason when the order is not pending, or the new fees pass the fee cap.
  void speedUp(OrderId orderId);
  const EvmVenueConfig& config() const { return config_; }
  // The RPC URL without its path and query (which may carry an API key): for logs and summaries.
  static std::string redactedUrl(const std::string& url);

 private:
  struct Pool {
    PoolState state;
    InstrumentId instrument = kNoInstrument;
    Price tick = 1;
    Price bestBid = 0, bestAsk = 0;
  };

  // I/O thread.
  void schedulePoll(std::chrono::milliseconds delay);
  void poll();
  void step();
  bool checkChain();
  void resyncAll(std::uint64_t block, const std::string& why);
  void verifyReserves();
  void sendSnapshots(Nanos ts);
  void markBooksStale();
  void flush();
  void setState(VenueState s, std::string detail);
  void onFailure(const std::string& what, bool unreachable);
  void publishViews();
  void rejectOrder(ExecReport report);
  // Orders (I/O thread).
  struct OrderWork {
    VenueOrder order;
    std::size_t pool = 0;
    Side side = Side::Buy;
    EvmOrderView view;
    bool acked = false, terminal = false;
    bool cancelSent = false;  // our self-transfer is out: not asked again (HALT repeats)
  };
  bool ensureWallet(std::string& why);
  void handleSubmit(const VenueOrder& order);
  void handleCancel(OrderId id);
  void handleCancelAll();
  void onTxEvent(const TxEvent& e);
  void updateConfirmations();
  double feeInQuote(const Pool& pool, const U256& feeWei) const;
  void report(ExecReport r);
  void publishOrder(const OrderWork& w);
  // On-chain panel (EvmVenueChainViews.cpp, I/O thread).
  void refreshChainViews();
  void refreshWalletView();
  void refreshChainView();
  void handleSpeedUp(OrderId id);
  void noteTxDetails(OrderWork& w, const TxEvent& e);
  std::uint64_t viewsHead_ = 0;  // the head the wallet view was last read at
  std::chrono::steady_clock::time_point chainViewAt_{};
  U256 fallbackTip_ = 0;         // eth_maxPriorityFeePerGas, asked once

  std::unique_ptr<Secp256k1Signer> signer_;
  std::unique_ptr<NonceAllocator> nonces_;
  std::unique_ptr<FeeEstimator> fees_;
  std::unique_ptr<TxTracker> tracker_;
  std::map<OrderId, OrderWork> work_;
  std::map<std::uint64_t, std::string> approvals_;  // tracker id -> token (approvals in flight)
  std::uint64_t nextApprovalId_ = 1;
  std::string lastHaltDetail_;  // a HALT answer is said once: the engine's own repeat (on Connected) gets no echo

  EvmVenueConfig config_;
  std::unique_ptr<EthRpc> rpc_;
  std::unique_ptr<PoolChainReader> reader_;
  InstrumentRegistry* registry_ = nullptr;
  std::vector<Pool> pools_;  // written in listInstruments, then the I/O thread's
  std::vector<Address> pairs_;

  VenueIoThread ioThread_;
  boost::asio::io_context& io_ = ioThread_.io();
  boost::asio::steady_timer pollTimer_{io_};
  bool stopping_ = false;
  bool chainChecked_ = false;
  bool following_ = false;       // processed_ is set
  bool unreachable_ = false;     // the last failure was the node not answering
  std::uint64_t processed_ = 0;  // the books show the state after this block
  Hash32 processedHash_{};
  Nanos processedTs_ = 0;
  std::uint64_t blocksSinceVerify_ = 0;
  std::uint64_t lastHead_ = 0;
  std::chrono::steady_clock::time_point lastHeadChange_{};
  int pollsSinceSyncCheck_ = 0;
  bool syncing_ = false;         // eth_syncing's last answer
  std::string connectedDetail_;

  VenueListener* listener_ = nullptr;
  boost::asio::any_io_executor engine_;
  std::shared_ptr<VenueInbox> inbox_;
  std::vector<MdEvent> md_;
  std::vector<ExecReport> exec_;

  std::atomic<VenueState> state_{VenueState::Disconnected};
  mutable std::mutex mutex_;  // guards the members below
  std::string detail_;
  std::string listError_;
  EvmCounters counters_;
  std::vector<EvmPoolView> views_;
  std::map<OrderId, EvmOrderView> orderViews_;
  EvmWalletView walletView_;
  EvmChainView chainView_;
};

}  // namespace kappa::evm
