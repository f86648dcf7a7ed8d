// EvmVenue's views for the on-chain panel (EvmChainViews.hpp) and the panel's Speed up: kept apart
// from the venue's market and order code. Everything here but the any-thread accessors runs on the
// venue's I/O thread; a failed read keeps the last view (with its time) and says why in `error`.
#include <algorithm>

#include <boost/asio/post.hpp>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/FeeEstimator.hpp"
#include "venue/evm/PoolChainReader.hpp"
#include "venue/evm/TokenAmount.hpp"
#include "venue/evm/TxTracker.hpp"

namespace kappa::evm {

namespace {

const char* kLog = "evm";
// A Uniswap V2 two-token swap uses ~87k gas on anvil (DEFI.md); shown until one of ours is included.
constexpr std::uint64_t kTypicalSwapGas = 90'000;
// The chain view is read again this often without a new head (a base fee raised for the next block).
constexpr auto kChainViewEvery = std::chrono::seconds(2);

double weiToGwei(const U256& wei) { return tokenAmountToDouble(wei, 9); }

U256 callUint(EthRpc& rpc, const Address& to, const Bytes& data) {
  const RpcReply r = rpc.call("eth_call", {{{"to", toChecksumAddress(to)}, {"data", toHex(data)}}, "latest"});
  if (!r.ok()) throw EvmError(r.error.describe("eth_call"));
  return abi::decodeUint256(fromHex(r.result.get<std::string>()));
}

}  // namespace

EvmWalletView EvmVenue::wallet() const {
  std::lock_guard lock(mutex_);
  return walletView_;
}

EvmChainView EvmVenue::chain() const {
  std::lock_guard lock(mutex_);
  return chainView_;
}

EvmVenueSnapshot EvmVenue::snapshot() const {
  EvmVenueSnapshot s;
  s.venue = id();
  s.walletAddress = walletAddress();
  s.slippageBps = config_.slippageBps;
  std::lock_guard lock(mutex_);
  s.state = state_.load();
  if (s.state != VenueState::Connected) s.stateDetail = detail_;
  s.counters = counters_;
  s.pools = views_;
  s.orders.reserve(orderViews_.size());
  for (const auto& [orderId, v] : orderViews_) s.orders.push_back(v);
  s.wallet = walletView_;
  s.chain = chainView_;
  return s;
}

// After every successful poll: the chain view at a new head (or every kChainViewEvery), the
// wallet at a new head (or until it was read once).
void EvmVenue::refreshChainViews() {
  const std::uint64_t head = counters().headBlock;
  const bool newHead = head != viewsHead_;
  const auto now = std::chrono::steady_clock::now();
  if (newHead || now - chainViewAt_ >= kChainViewEvery) {
    chainViewAt_ = now;
    refreshChainView();
  }
  bool walletNeverRead;
  {
    std::lock_guard lock(mutex_);
    walletNeverRead = walletView_.updatedAt == 0;
  }
  if (signer_ && (newHead || walletNeverRead)) refreshWalletView();
  viewsHead_ = head;
}

void EvmVenue::refreshChainView() {
  EvmChainView v;
  {
    std::lock_guard lock(mutex_);
    v = chainView_;
  }
  try {
    // eth_feeHistory: the base fees of the last blocks up to latest, plus the next block's; the
    // median tip of those blocks' transactions.
    const RpcReply h = rpc_->call("eth_feeHistory", {EvmChainView::kBaseFeeHistory, "latest", nlohmann::json::array({50})});
    if (!h.ok()) throw EvmError(h.error.describe("eth_feeHistory"));
    const nlohmann::json& fees = h.result.at("baseFeePerGas");
    if (!fees.is_array() || fees.empty()) throw EvmError("eth_feeHistory without base fees");
    v.historyFirstBlock = quantityU64(h.result.at("oldestBlock"), "oldestBlock");
    v.baseFeeHistoryGwei.clear();
    for (std::size_t i = 0; i + 1 < fees.size(); ++i) v.baseFeeHistoryGwei.push_back(weiToGwei(quantityU256(fees[i], "baseFeePerGas")));
    v.nextBaseFee = quantityU256(fees.back(), "baseFeePerGas");
    v.baseFee = fees.size() >= 2 ? quantityU256(fees[fees.size() - 2], "baseFeePerGas") : v.nextBaseFee;
    v.head = v.historyFirstBlock + (fees.size() - 1) - 1;
    std::vector<U256> tips;
    if (h.result.contains("reward") && h.result["reward"].is_array())
      for (const nlohmann::json& r : h.result["reward"])
        if (r.is_array() && !r.empty()) {
          const U256 t = quantityU256(r[0], "reward");
          if (t > 0) tips.push_back(t);
        }
    if (!tips.empty()) {
      std::sort(tips.begin(), tips.end());
      v.suggestedTip = tips[tips.size() / 2];
    } else {
      if (fallbackTip_ == 0) {
        const RpcReply p = rpc_->call("eth_maxPriorityFeePerGas");
        fallbackTip_ = p.ok() ? quantityU256(p.result, "eth_maxPriorityFeePerGas") : U256(1'000'000'000u);
      }
      v.suggestedTip = fallbackTip_;
    }
    if (const std::optional<BlockHeader> b = reader_->header(v.head)) v.headTime = b->timestamp;
    v.chainId = counters().chainId;
    v.typicalSwapGas = kTypicalSwapGas;
    for (const auto& [id, w] : work_)  // the newest included swap of ours (ids grow)
      if (w.view.gasUsed > 0 && w.view.fillSent) v.typicalSwapGas = w.view.gasUsed;
    v.updatedAt = wallNow();
    v.error.clear();
  } catch (const std::exception& e) {
    v.error = std::string("chain view: ") + e.what();
  }
  std::lock_guard lock(mutex_);
  chainView_ = std::move(v);
}

void EvmVenue::refreshWalletView() {
  EvmWalletView v;
  {
    std::lock_guard lock(mutex_);
    v = walletView_;
  }
  try {
    const Address me = signer_->address();
    v.address = signer_->checksumAddress();
    const RpcReply b = rpc_->call("eth_getBalance", {v.address, "latest"});
    if (!b.ok()) throw EvmError(b.error.describe("eth_getBalance"));
    v.nativeWei = quantityU256(b.result, "eth_getBalance");
    v.native = tokenAmountToDouble(v.nativeWei, 18);
    std::vector<EvmTokenBalance> tokens;
    const Address router = config_.router.empty() ? Address{} : parseAddress(config_.router);
    for (const Pool& p : pools_) {
      for (const TokenInfo* t : {&p.state.meta().base(), &p.state.meta().quote()}) {
        const std::string address = toChecksumAddress(t->address);
        if (std::any_of(tokens.begin(), tokens.end(), [&](const EvmTokenBalance& x) { return x.address == address; })) continue;
        EvmTokenBalance tb;
        tb.symbol = t->symbol;
        tb.address = address;
        tb.decimals = t->decimals;
        tb.balanceWei = callUint(*rpc_, t->address, abi::encodeCall("balanceOf(address)", {abi::Value::address(me)}));
        tb.balance = tokenAmountToDouble(tb.balanceWei, t->decimals);
        if (!config_.router.empty())
          tb.allowanceWei = callUint(*rpc_, t->address, abi::encodeCall("allowance(address,address)", {abi::Value::address(me), abi::Value::address(router)}));
        tb.unlimitedAllowance = tb.allowanceWei >= (U256(1) << 255);
        tokens.push_back(std::move(tb));
      }
    }
    v.tokens = std::move(tokens);
    v.block = counters().headBlock;
    v.updatedAt = wallNow();
    v.error.clear();
  } catch (const std::exception& e) {
    v.error = std::string("wallet: ") + e.what();
  }
  std::lock_guard lock(mutex_);
  walletView_ = std::move(v);
}

// The panel's figures of one transaction, from the tracker's events (called first in onTxEvent).
void EvmVenue::noteTxDetails(OrderWork& w, const TxEvent& e) {
  w.view.side = w.side;
  switch (e.type) {
    case TxEventType::Pending:
      if (w.view.sentAt == 0) w.view.sentAt = wallNow();
      if (e.maxFeePerGas > 0) {
        w.view.maxFeePerGas = e.maxFeePerGas;
        w.view.maxPriorityFeePerGas = e.maxPriorityFeePerGas;
      }
      w.view.stuck = false;
      break;
    case TxEventType::Replaced:
      w.view.maxFeePerGas = e.maxFeePerGas;
      w.view.maxPriorityFeePerGas = e.maxPriorityFeePerGas;
      w.view.stuck = false;
      if (!e.cancel) ++w.view.replacements;
      break;
    case TxEventType::Stuck:
      w.view.stuck = true;
      break;
    case TxEventType::Included:
    case TxEventType::Rejected:
    case TxEventType::Cancelled:
      w.view.stuck = false;
      if (e.gasUsed) {
        w.view.gasUsed = e.gasUsed;
        w.view.effectiveGasPrice = e.effectiveGasPrice;
      }
      break;
    case TxEventType::Reorged:
      w.view.gasUsed = 0;
      w.view.effectiveGasPrice = 0;
      break;
    default:
      break;
  }
}

void EvmVenue::speedUp(OrderId orderId) {
  if (!ioThread_.running()) {
    log::warn(kLog, "speed-up of order " + std::to_string(orderId) + " refused: not connected");
    return;
  }
  boost::asio::post(io_, [this, orderId] {
    if (stopping_) return;
    handleSpeedUp(orderId);
    flush();
  });
}

void EvmVenue::handleSpeedUp(OrderId id) {
  auto it = work_.find(id);
  if (it == work_.end()) {
    log::warn(kLog, "speed-up of order " + std::to_string(id) + " refused: unknown order");
    return;
  }
  OrderWork& w = it->second;
  auto refuse = [&](const std::string& why) {
    w.view.detail = "speed-up refused: " + why;
    log::warn(kLog, "order " + std::to_string(id) + ": " + w.view.detail);
    publishOrder(w);
  };
  if (w.terminal || w.view.state != "pending") return refuse("not pending (" + w.view.state + ")");
  if (w.cancelSent) return refuse("its cancel is already on its way");
  if (!tracker_) return refuse("no transaction tracker");
  const std::string before = w.view.txHash;
  std::string why;
  if (!tracker_->replace(id, why)) return refuse(why);
  // The tracker's Replaced event (inside replace()) set the new hash and fees.
  w.view.detail = "sped up at nonce " + std::to_string(w.view.nonce) + ": " + w.view.txHash + " replaces " + before + " (max fee " +
                  formatGwei(w.view.maxFeePerGas) + ", tip " + formatGwei(w.view.maxPriorityFeePerGas) + ")";
  log::info(kLog, "order " + std::to_string(id) + " " + w.view.detail);
  publishOrder(w);
}

}  // namespace kappa::evm
