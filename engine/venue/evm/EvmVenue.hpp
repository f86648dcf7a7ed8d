#pragma once
// An EVM chain's Uniswap V2 pools as a Venue (name "evm"): the market side. One instrument per
// pool ("WETH/USDC": base = the instrument's quantity, quote = its price and settlement currency),
// whose book is the pool's x*y=k curve cut into price steps (PoolBook.hpp) and whose trades are the
// pair's Swap events.
//
// Everything of the chain runs on the venue's own I/O thread (VenueIoThread) with a blocking
// JSON-RPC client (EthRpc): the engine thread never waits for the node. Following the chain:
//   - at the start (and whenever the node comes back) eth_chainId is checked against the config;
//   - every pollInterval, and at once when the node pushes a new head (eth_subscribe newHeads over
//     WebSocket, NewHeadsFeed, where the node offers it), eth_blockNumber; a new head (minus `confirmations`) brings the pairs'
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
// Instruments: kind Spot (delta one, never expires, no funding; risk limits address pools as
// @spot), Settlement Linear in the quote token, tick ~1e-5 of the price at
// listing (PoolBook's poolTickFor), minQty the base token's unit (at least 1e-8), no maker/taker fee
// (the pool's 0.3 % is inside the book's prices). Market data carries the block's timestamp (whole
// seconds); trade ids are block << 16 | log index. Volume (EvmPoolView): the last 24 h by block
// time (RollingVolume: the Swap logs of the last day read back at the start, backfillDay, then
// every swap followed; blocks skipped by a resync are not counted), and the total since the start.
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
// before the chain; else "rejected on chain (reverted): <the revert reason> (gas paid)", its gas as
// the report's fee — also after the Ack: the OMS takes Open -> Rejected and books the fee on the
// position with no fill); Cancelled -> Cancelled (the self-transfer's gas as its fee); Confirmed/Final and
// every head -> the order's confirmations (orders(), any thread); Replaced/Stuck/Dropped -> the
// order view's detail and the log. Fee: gasUsed * effectiveGasPrice in wei is kept exact in the
// order view (feeWei); the report's fee is that amount converted to the quote token at the mid of
// a listed WETH/<quote> or <quote>/WETH pool when one exists, else 0 (said in the log). An approval
// sent for an order adds its gas to that order's next fee report (Fill, Reject or Cancelled).
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
// how many ("HALT: 2 pending transaction(s), 2 being cancelled by self-transfer; included swaps
// cannot be undone (1 included, not final yet)"), the same words however often the engine asks
// again. No risk limit holds a cancel back.
//
// Risk. The gate checks what it can before the venue (max_order_notional of the venue's scope is
// the largest swap; max_slippage_bps against slippageToleranceBps(), i.e. config.slippageBps). What
// only the venue knows at signing it checks here, with the limits the engine hands it
// (setRiskLimits: a copy posted to the I/O thread on start and after every change, VenueRiskLimits):
//   - max_gas_price_gwei: the fee quote's maxFeePerGas (what we sign to pay at most per gas);
//   - max_gas_per_day (ETH): the gas paid since UTC midnight (GasBudget: every receipt of ours —
//     swaps, reverts, cancels, approvals — once per transaction, a reorg's re-inclusion not twice)
//     + the worst case of what is in flight + this one's gasLimit x maxFeePerGas;
//   - the wallet's native balance (eth_getBalance) must pay that worst case, with what is in flight
//     ("gas_balance": not a setting, always on).
// A swap needing an approval is checked once for both (approvalGasLimit + swapGasLimitWithoutEstimate).
// A refusal is a Reject (notSent, nothing signed, no nonce used) whose reason names the limit the
// gate's way ("max_gas_price_gwei (evm): the fee would be up to 212 gwei per gas, limit 100 gwei")
// and whose ExecReport::riskLimit makes the engine record it in the breach history. Restart: the
// fees of the journal's transactions paid today (UTC) count again, each by its id.
// Positions: a Fill is booked at once (the swap is included); until its transaction is
// tx.confirmations deep (or while reorged) its base amount is told to the engine as the position's
// unconfirmed part (VenueListener::onUnconfirmedFills, the whole set after every flush that changed it).
// Journal and restart: every event of a signed transaction (swap, approval, its replacements and
// cancel) updates that transaction id's EvmTxEntry (EvmTxJournal.hpp: nonce, every attempt's
// hash and raw bytes, state, block, gas, fee, whether the engine got the Ack / Fill / end), sent to
// the engine as a VenueJournalEntry after the execution reports it explains; the engine writes it
// to the journal's venue_record table. At the next start, restoreJournal() (before connect) takes
// the newest entry per id; once the chain is checked they are taken up: order views and
// transactions() show them, the transactions not final go back to the NonceAllocator and the
// TxTracker, whose next head finds each one's fate (included while away: its Fill, once; still
// pending: followed; unknown to the node: resent from its raw bytes, same hash). queryOrders()
// answers the engine's unresolved orders from the entries (Fill, end, Ack while in flight; an
// order with no journaled transaction never reached the chain: Cancelled, unless the wallet used
// nonces no journaled transaction explains: then unknown). Details in
// EvmVenue.cpp's last section.
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
#include "venue/evm/EvmTxJournal.hpp"
#include "venue/evm/EvmChainViews.hpp"
#include "venue/evm/EvmView.hpp"
#include "venue/evm/EvmVenueConfig.hpp"
#include "venue/evm/GasBudget.hpp"
#include "venue/evm/PoolState.hpp"
#include "venue/evm/RollingVolume.hpp"
#include "venue/evm/Secp256k1Signer.hpp"

namespace kappa::evm {

class EthRpc;
class PoolChainReader;
class NonceAllocator;
class FeeEstimator;
class TxTracker;
class NewHeadsFeed;
struct TxEvent;

class EvmVenue final : public Venue, public EvmView {
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
  // Risk (see "Risk" in the header comment). The engine's limits, copied and posted to the I/O
  // thread (never blocks the engine): checked there at signing.
  void setRiskLimits(const VenueRiskLimits& limits) override;
  double slippageToleranceBps() const override { return double(config_.slippageBps); }
  // Any thread: the gas paid today (UTC) and the worst case of transactions in flight, as the
  // max_gas_per_day check last saw them (wei).
  U256 gasPaidToday() const;
  U256 gasInFlight() const;
  // The journal and restarts (see "Journal and restart" below).
  void restoreJournal(const std::vector<VenueJournalEntry>& entries) override;
  void queryOrders(const std::vector<OrderId>& ids) override;

  // ---- any thread ----
  VenueState state() const { return state_.load(); }
  std::string stateDetail() const;
  std::string listError() const;
  EvmCounters counters() const;
  std::vector<EvmPoolView> pools() const;
  std::vector<EvmOrderView> orders() const;
  std::optional<EvmOrderView> order(OrderId id) const;
  // Every transaction signed (this run's, and the journal's of earlier runs), by nonce; the
  // attempts at one nonce (replacements, a cancel) oldest first.
  std::vector<EvmTxView> transactions() const;
  // The wallet's address ("" without a key).
  std::string walletAddress() const;
  // The wallet's balances and Router allowances, and the chain's head and base fees
  // (EvmChainViews.hpp; refreshed on the I/O thread, EvmVenueChainViews.cpp).
  EvmWalletView wallet() const;
  EvmChainView chain() const;
  // Speed-up of a pending swap (any thread; posted to the I/O thread): TxTracker::replace, the same
  // nonce with both fees raised (>= 12.5 %). The answer is the order view's detail and the log:
  // refused with the reason when the order is not pending, or the new fees pass the fee cap.
  void speedUp(OrderId orderId) override;
  // EvmView: all of the above at once, under one lock (the on-chain panel's and EngineServer's read).
  EvmVenueSnapshot snapshot() const override;
  const EvmVenueConfig& config() const { return config_; }
  // The RPC URL without its path and query (which may carry an API key): for logs and summaries.
  static std::string redactedUrl(const std::string& url);

 private:
  struct Pool {
    PoolState state;
    InstrumentId instrument = kNoInstrument;
    Price tick = 1;
    Price bestBid = 0, bestAsk = 0;
    RollingVolume day;  // the last 24 h of swaps by block time
  };

  // I/O thread.
  void schedulePoll(std::chrono::milliseconds delay);
  void startHeadsFeed();
  void poll();
  void step();
  bool checkChain();
  void resyncAll(std::uint64_t block, const std::string& why);
  void backfillDay(std::uint64_t head, Nanos headTs);
  bool dayBackfilled_ = false;
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
    bool restored = false;    // from the journal of an earlier run
    bool toldBefore = false;  // restored with its end already sent to the engine then
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
  // Journal and restart (I/O thread unless said; EvmVenue.cpp's last section).
  void noteTxStart(const TxEvent& e);  // the entry of a transaction id, made at its first event
  void recordTx(const TxEvent& e);     // the event's change into the entry; journaled
  void applyRestore();                 // once the chain is checked: the journal's entries taken up
  std::vector<NonceRecord> restoredNonces() const;
  void restoreTracker();
  void handleQueryOrders(const std::vector<OrderId>& ids);
  bool walletUsedUnjournaledNonces(std::string& why);

  // Risk (I/O thread; EvmVenue.cpp's "risk" section): the limits the engine handed, the day's gas,
  // approvals' fees owed to the order that needed them, the fills not yet confirmed.
  GasRefusal gasRiskRefusal(const std::string& what, const U256& maxFeePerGas, std::uint64_t gasLimit);
  void countGas(const TxEvent& e);
  void chargeApprovalFee(const TxEvent& e);
  void addOwedFees(ExecReport& r);
  void publishUnconfirmed();
  VenueRiskLimits riskLimits_;
  GasBudget gas_;
  std::map<std::uint64_t, std::uint64_t> gasLimitOf_;  // tracker id -> the gas limit it was sent with
  std::map<std::uint64_t, OrderId> approvalFor_;        // approval's tracker id -> the order that needed it
  std::map<OrderId, U256> approvalFeeOwed_;             // wei, added to the order's next fee report
  std::map<InstrumentId, double> unconfirmedSent_;      // as last told to the engine
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
  std::string lastHaltDetail_;
  // Journal and restart. The entries by tracker id (I/O thread), what goes to the engine with the
  // next flush, and the journal's entries of earlier runs (given on the engine thread before
  // connect(), read on the I/O thread after).
  std::map<std::uint64_t, EvmTxEntry> txEntries_;
  std::vector<VenueJournalEntry> journalOut_;
  std::vector<EvmTxEntry> restoredEntries_;
  bool restorePending_ = false;     // restoredEntries_ not taken up yet
  bool trackerRestorePending_ = false;  // their transactions in flight not given to a tracker yet  // a HALT answer is said once: the engine's own repeat (on Connected) gets no echo

  EvmVenueConfig config_;
  std::unique_ptr<EthRpc> rpc_;
  std::unique_ptr<PoolChainReader> reader_;
  InstrumentRegistry* registry_ = nullptr;
  std::vector<Pool> pools_;  // written in listInstruments, then the I/O thread's
  std::vector<Address> pairs_;

  VenueIoThread ioThread_;
  boost::asio::io_context& io_ = ioThread_.io();
  boost::asio::steady_timer pollTimer_{io_};
  std::unique_ptr<NewHeadsFeed> heads_;  // pushed new heads, when the node offers them
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
  U256 gasPaidTodayView_ = 0, gasInFlightView_ = 0;
  std::map<std::uint64_t, EvmTxEntry> txShown_;  // txEntries_ as last journaled (transactions())
  EvmWalletView walletView_;
  EvmChainView chainView_;
};

}  // namespace kappa::evm
