#include "venue/evm/EvmVenue.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include <boost/asio/post.hpp>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/FeeEstimator.hpp"
#include "venue/evm/NonceAllocator.hpp"
#include "venue/evm/TxTracker.hpp"
#include "venue/evm/UniswapV2Math.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/PoolChainReader.hpp"
#include "venue/evm/TokenAmount.hpp"
#include "venue/evm/UniswapV2PairFor.hpp"

namespace kappa::evm {

namespace asio = boost::asio;

namespace {

const char* kLog = "evm";

std::string shortAddress(const Address& a) {
  const std::string s = toChecksumAddress(a);
  return s.substr(0, 6) + "..." + s.substr(s.size() - 4);
}

// The smallest quantity step: the token's own unit, never finer than fixed point's 1e-8.
Qty minQtyFor(unsigned decimals) {
  Qty q = 1;
  for (unsigned d = decimals; d < 8; ++d) q *= 10;
  return q;
}

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", double(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

std::string EvmVenue::redactedUrl(const std::string& url) {
  const auto scheme = url.find("://");
  const auto pathStart = url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  if (pathStart == std::string::npos) return url;
  const std::string rest = url.substr(pathStart);
  return url.substr(0, pathStart) + (rest == "/" ? "/" : "/...");
}

EvmVenue::EvmVenue(EvmVenueConfig config) : config_(std::move(config)) {
  std::string error;
  EthRpcOptions options;
  options.timeout = config_.rpcTimeout;
  options.caFile = config_.caFile;
  rpc_ = EthRpc::open(config_.rpcUrl, error, options);
  if (!rpc_) {
    listError_ = "RPC URL: " + error;
    return;
  }
  reader_ = std::make_unique<PoolChainReader>(*rpc_);
}

EvmVenue::~EvmVenue() { disconnect(); }

// ---------------------------------------------------------------- instruments

void EvmVenue::listInstruments(InstrumentRegistry& registry) {
  registry_ = &registry;
  if (!reader_) {
    log::error(kLog, "cannot list pools: " + listError());
    return;
  }
  std::string errors;
  for (const EvmPoolConfig& cfg : config_.pools) {
    try {
      PoolMeta meta;
      meta.pair = parseAddress(cfg.pair);
      // token0/token1: sorted by address as the pair does, when the config names both.
      Address t0{}, t1{};
      if (cfg.tokens.size() >= 2 && !cfg.tokens[0].address.empty() && !cfg.tokens[1].address.empty()) {
        const SortedTokens s = sortTokens(parseAddress(cfg.tokens[0].address), parseAddress(cfg.tokens[1].address));
        t0 = s.token0;
        t1 = s.token1;
      } else {
        try {
          t0 = reader_->token0(meta.pair);
          t1 = reader_->token1(meta.pair);
        } catch (const RpcException& e) {
          if (!e.error().isRevert()) throw;
          throw EvmError("token0()/token1() reverted: not a Uniswap V2 pair");
        }
      }
      auto info = [&](const Address& a) {
        TokenInfo t;
        t.address = a;
        int decimals = -1;
        for (const EvmPoolConfig::Token& k : cfg.tokens)
          if (!k.address.empty() && parseAddress(k.address) == a) {
            t.symbol = k.symbol;
            decimals = k.decimals;
          }
        if (decimals < 0) {
          const std::optional<unsigned> d = reader_->decimals(a);
          if (!d) throw EvmError("token " + toChecksumAddress(a) + " does not say its decimals (configure them)");
          decimals = int(*d);
        }
        if (decimals > int(kMaxTokenDecimals))
          throw EvmError("token " + toChecksumAddress(a) + " has " + std::to_string(decimals) + " decimals, above the supported " +
                         std::to_string(kMaxTokenDecimals));
        t.decimals = unsigned(decimals);
        if (t.symbol.empty()) t.symbol = reader_->symbol(a).value_or(shortAddress(a));
        return t;
      };
      meta.token0 = info(t0);
      meta.token1 = info(t1);
      if (!cfg.baseToken.empty()) {
        const Address base = parseAddress(cfg.baseToken);
        if (base != t0 && base != t1) throw EvmError("base token " + cfg.baseToken + " is neither of the pair's tokens");
        meta.baseIsToken0 = base == t0;
      }
      // The tick from the price at listing: the config's reserves, else the chain's now.
      U256 r0 = 0, r1 = 0;
      if (!cfg.reserve0.empty() && !cfg.reserve1.empty()) {
        r0 = u256FromDecimal(cfg.reserve0);
        r1 = u256FromDecimal(cfg.reserve1);
      } else {
        std::tie(r0, r1) = reader_->reserves(meta.pair, reader_->blockNumber());
      }
      PoolState state(meta);
      state.setReserves(r0, r1, 0);
      const double price = state.midPrice();

      Instrument inst;
      inst.venue = id();
      inst.name = meta.name();
      if (registry.find(id(), inst.name)) inst.name += "@" + shortAddress(meta.pair);  // two pools of one pair of symbols
      // A pool is spot: no expiry, linear, priced and settled in the quote token. The engine has no
      // spot kind; Perpetual is the closest (delta one, no expiry), with no funding ever sent.
      inst.kind = InstrumentKind::Perpetual;
      inst.settlement = Settlement::Linear;
      inst.baseCurrency = meta.base().symbol;
      inst.quoteCurrency = meta.quote().symbol;
      inst.settleCurrency = meta.quote().symbol;
      inst.contractSize = 1.0;
      inst.tickSize = poolTickFor(price);
      inst.minQty = minQtyFor(meta.base().decimals);
      inst.maxQty = 0;
      // The pool's 0.3 % is inside the book's prices (PoolBook.hpp): no fee on top.
      inst.makerFee = 0;
      inst.takerFee = 0;
      inst.priceDecimals = decimalsFor(inst.tickSize);
      inst.qtyDecimals = decimalsFor(inst.minQty);
      Pool pool{PoolState(meta), kNoInstrument, inst.tickSize};  // reserves come from the chain once following
      const std::string name = inst.name;
      pool.instrument = registry.add(std::move(inst));
      pairs_.push_back(meta.pair);
      pools_.push_back(std::move(pool));
      log::info(kLog, "listed pool " + name + " (" + toChecksumAddress(meta.pair) + ", tick " + formatTrimmed(pools_.back().tick) + ")");
    } catch (const std::exception& e) {
      const std::string why = "pool " + cfg.pair + ": " + e.what();
      log::error(kLog, "not listed: " + why);
      errors += (errors.empty() ? "" : "; ") + why;
    }
  }
  if (pools_.empty() && errors.empty()) errors = "no pools configured";
  std::lock_guard lock(mutex_);
  listError_ = errors;
  views_.resize(pools_.size());
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    views_[i].instrument = pools_[i].instrument;
    views_[i].name = (*registry_)[pools_[i].instrument].name;
    views_[i].pair = toChecksumAddress(pools_[i].state.meta().pair);
  }
}

// ---------------------------------------------------------------- session

void EvmVenue::connect(VenueListener& listener, asio::any_io_executor engine) {
  listener_ = &listener;
  engine_ = engine;
  inbox_ = std::make_shared<VenueInbox>(listener, engine);
  ioThread_.ensureRunning();
  asio::post(io_, [this] {
    if (pools_.empty()) {
      setState(VenueState::Disconnected, "no pools listed: " + listError());
      return;
    }
    setState(VenueState::Connecting, "connecting to " + redactedUrl(config_.rpcUrl));
    poll();
  });
}

void EvmVenue::disconnect() {
  if (!ioThread_.running()) return;
  // A blocking call in progress ends by its own timeout; closeAll runs after it.
  ioThread_.shutdown(
      [this] {
        stopping_ = true;
        pollTimer_.cancel();
      },
      std::chrono::milliseconds(200));
  state_ = VenueState::Disconnected;
  {
    std::lock_guard lock(mutex_);
    detail_ = "disconnected";
  }
}

void EvmVenue::schedulePoll(std::chrono::milliseconds delay) {
  if (stopping_) return;
  pollTimer_.expires_after(delay);
  pollTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_) poll();
  });
}

void EvmVenue::poll() {
  if (stopping_) return;
  bool ok = true;
  {
    std::lock_guard lock(mutex_);
    ++counters_.polls;
  }
  try {
    step();
  } catch (const RpcException& e) {
    ok = false;
    onFailure(e.what(), e.error().kind == RpcError::Kind::Transport);
  } catch (const std::exception& e) {
    ok = false;
    onFailure(e.what(), false);
  }
  if (ok && tracker_) {
    std::string error;
    try {
      if (!tracker_->poll(error)) log::warn(kLog, "transactions not followed this poll: " + error);
      updateConfirmations();
    } catch (const std::exception& e) {
      log::warn(kLog, std::string("transactions not followed this poll: ") + e.what());
    }
  }
  if (ok) refreshChainViews();  // the on-chain panel's wallet and chain views (EvmVenueChainViews.cpp)
  flush();
  publishViews();
  schedulePoll(ok ? config_.pollInterval : config_.retryInterval);
}

bool EvmVenue::checkChain() {
  const std::uint64_t chain = reader_->chainId();
  {
    std::lock_guard lock(mutex_);
    counters_.chainId = chain;
  }
  if (config_.chainId != 0 && chain != config_.chainId) {
    markBooksStale();
    following_ = false;  // another chain's blocks say nothing about ours
    setState(VenueState::Degraded, "chain id mismatch: the node at " + redactedUrl(config_.rpcUrl) + " is chain " +
                                       std::to_string(chain) + ", configured " + std::to_string(config_.chainId) +
                                       ": pools not followed");
    return false;
  }
  chainChecked_ = true;
  connectedDetail_ = "chain " + std::to_string(chain) + " at " + redactedUrl(config_.rpcUrl);
  return true;
}

void EvmVenue::step() {
  if (!chainChecked_ && !checkChain()) return;
  const auto sent = std::chrono::steady_clock::now();
  const std::uint64_t head = reader_->blockNumber();
  const auto roundTrip = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - sent);
  const bool recovered = unreachable_;
  if (unreachable_) {
    unreachable_ = false;
    std::lock_guard lock(mutex_);
    ++counters_.reconnects;
  }
  {
    std::lock_guard lock(mutex_);
    counters_.headBlock = head;
    counters_.lastRoundTripUs = roundTrip.count();
  }
  if (head < config_.confirmations) return;  // a chain younger than the confirmations asked
  const std::uint64_t target = head - config_.confirmations;
  bool sentBooks = false;
  if (!following_) {
    resyncAll(target, "start");
    sentBooks = true;
  } else if (target < processed_) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.reorgs;
    }
    resyncAll(target, "the chain is shorter than the block shown (rolled back)");
    sentBooks = true;
  } else {
    const std::optional<BlockHeader> shown = reader_->header(processed_);
    if (!shown || shown->hash != processedHash_) {
      {
        std::lock_guard lock(mutex_);
        ++counters_.reorgs;
      }
      resyncAll(target, "block " + std::to_string(processed_) + " reorganised away");
      sentBooks = true;
    } else if (target > processed_ && target - processed_ > config_.maxLogRange) {
      {
        std::lock_guard lock(mutex_);
        ++counters_.gapResyncs;
      }
      resyncAll(target, "gap of " + std::to_string(target - processed_) + " blocks");
      sentBooks = true;
    } else if (target > processed_) {
      // Header first: its hash is what the next poll checks; logs up to its number.
      const std::optional<BlockHeader> next = reader_->header(target);
      if (!next) throw EvmError("block " + std::to_string(target) + " not found right after the node named it");
      std::vector<ChainLog> logs;
      try {
        logs = reader_->poolLogs(pairs_, processed_ + 1, target);
      } catch (const EvmError& e) {
        // A log we cannot read cannot be applied, and fetching it again would fail again: the
        // reserves come from getReserves instead (the trades of these blocks are not shown).
        log::warn(kLog, std::string("unreadable pool log in blocks ") + std::to_string(processed_ + 1) + "-" + std::to_string(target) +
                            ": " + e.what());
        resyncAll(target, "unreadable log");
        return;
      }
      std::uint64_t applied = 0, trades = 0;
      bool forceVerify = false;
      // A trade's time is its block's: the newest block's is at hand; earlier ones of a longer range
      // (after an outage) are asked once each.
      std::map<std::uint64_t, Nanos> times{{target, next->timestamp}};
      auto blockTime = [&](std::uint64_t block) {
        auto it = times.find(block);
        if (it == times.end()) {
          const std::optional<BlockHeader> h = reader_->header(block);
          it = times.emplace(block, h ? h->timestamp : next->timestamp).first;
        }
        return it->second;
      };
      for (const ChainLog& l : logs) {
        if (l.removed) continue;
        for (Pool& p : pools_) {
          if (p.state.meta().pair != l.address) continue;
          std::optional<PoolTrade> t;
          try {
            t = p.state.apply(l);
          } catch (const EvmError& e) {  // a malformed Sync/Swap: skipped, the reserves verified below
            log::warn(kLog, (*registry_)[p.instrument].name + ": log " + std::to_string(l.blockNumber) + "/" +
                                std::to_string(l.logIndex) + " skipped: " + e.what());
            forceVerify = true;
            break;
          }
          ++applied;
          if (!t || t->qty <= 0 || t->price <= 0) break;
          MdEvent e;
          e.type = MdType::Trade;
          e.instrument = p.instrument;
          e.side = t->aggressor;
          e.price = t->price;
          e.qty = t->qty;
          e.changeId = (t->block << 16) | (t->logIndex & 0xffff);  // unique per log
          e.ts = blockTime(t->block);
          md_.push_back(e);
          ++trades;
          break;
        }
      }
      for (Pool& p : pools_) p.state.advanceTo(target);
      blocksSinceVerify_ += target - processed_;
      processed_ = target;
      processedHash_ = next->hash;
      processedTs_ = next->timestamp;
      {
        std::lock_guard lock(mutex_);
        counters_.logsApplied += applied;
        counters_.tradesSent += trades;
        ++counters_.blocksProcessed;
        counters_.processedBlock = processed_;
        counters_.processedBlockTime = processedTs_;
      }
      if (forceVerify || (config_.verifyEveryBlocks && blocksSinceVerify_ >= config_.verifyEveryBlocks)) verifyReserves();
      sendSnapshots(processedTs_);
      sentBooks = true;
    }
  }
  // Back after the node was away: the books were marked stale; show them again even without a new block.
  if (recovered && !sentBooks) sendSnapshots(processedTs_);

  // Health: a node that stopped following its chain, or says it is syncing.
  std::string behind;
  if (config_.maxHeadAge.count() > 0 && processedTs_ > 0) {
    const Nanos age = wallNow() - processedTs_;
    if (age > Nanos(config_.maxHeadAge.count()) * 1'000'000'000)
      behind = "node behind: block " + std::to_string(processed_) + " is " + std::to_string(age / 1'000'000'000) + " s old";
  }
  if (++pollsSinceSyncCheck_ >= 30) {  // asked now and then; the answer holds until asked again
    pollsSinceSyncCheck_ = 0;
    syncing_ = reader_->syncing();
  }
  if (behind.empty() && syncing_) behind = "node syncing";
  if (!behind.empty())
    setState(VenueState::Degraded, behind);
  else
    setState(VenueState::Connected, connectedDetail_);
}

void EvmVenue::resyncAll(std::uint64_t block, const std::string& why) {
  const std::optional<BlockHeader> h = reader_->header(block);
  if (!h) throw EvmError("block " + std::to_string(block) + " not found");
  for (Pool& p : pools_) {
    const auto [r0, r1] = reader_->reserves(p.state.meta().pair, block);
    p.state.setReserves(r0, r1, block);
  }
  following_ = true;
  processed_ = block;
  processedHash_ = h->hash;
  processedTs_ = h->timestamp;
  blocksSinceVerify_ = 0;
  {
    std::lock_guard lock(mutex_);
    ++counters_.resyncs;
    counters_.resyncBlock = block;
    counters_.processedBlock = processed_;
    counters_.processedBlockTime = processedTs_;
  }
  log::info(kLog, "pools read from getReserves at block " + std::to_string(block) + " (" + why + ")");
  sendSnapshots(processedTs_);
}

void EvmVenue::verifyReserves() {
  blocksSinceVerify_ = 0;
  for (Pool& p : pools_) {
    const auto [r0, r1] = reader_->reserves(p.state.meta().pair, processed_);
    std::lock_guard lock(mutex_);
    ++counters_.verifications;
    if (r0 == p.state.reserve0() && r1 == p.state.reserve1()) continue;
    ++counters_.mismatches;
    log::warn(kLog, (*registry_)[p.instrument].name + ": reserves from the logs differ from getReserves at block " +
                        std::to_string(processed_) + ": getReserves taken");
    p.state.setReserves(r0, r1, processed_);
  }
}

void EvmVenue::sendSnapshots(Nanos ts) {
  std::uint64_t sent = 0;
  for (Pool& p : pools_) {
    if (!p.state.hasReserves()) continue;
    PoolLadder ladder;
    try {
      ladder = buildPoolLadder(p.state.sides(), p.tick, config_.book);
    } catch (const EvmError& e) {
      log::warn(kLog, (*registry_)[p.instrument].name + ": no book: " + e.what());
    }
    p.bestBid = ladder.bids.empty() ? 0 : ladder.bids.front().price;
    p.bestAsk = ladder.asks.empty() ? 0 : ladder.asks.front().price;
    appendBookSnapshot(p.instrument, processed_, ts, ladder, md_);
    ++sent;
  }
  std::lock_guard lock(mutex_);
  counters_.snapshotsSent += sent;
}

void EvmVenue::markBooksStale() {
  for (const Pool& p : pools_) {
    MdEvent e;
    e.type = MdType::BookStale;
    e.instrument = p.instrument;
    md_.push_back(e);
  }
}

void EvmVenue::onFailure(const std::string& what, bool unreachable) {
  {
    std::lock_guard lock(mutex_);
    ++counters_.rpcFailures;
  }
  // The URL's path may carry an API key: never in a state line or a log.
  std::string why = what;
  if (rpc_ && rpc_->endpoint().target.size() > 1)
    for (std::size_t at; (at = why.find(rpc_->endpoint().target)) != std::string::npos;) why.replace(at, rpc_->endpoint().target.size(), "/...");
  if (unreachable) {
    if (!unreachable_) {
      log::warn(kLog, "node unreachable: " + why);
      markBooksStale();
    }
    unreachable_ = true;
    chainChecked_ = false;  // whatever answers next may be another chain
    setState(VenueState::Disconnected, "node unreachable (" + why + "); retrying every " + seconds(config_.retryInterval) + " s");
  } else {
    log::warn(kLog, "RPC error: " + why);
    setState(VenueState::Degraded, "RPC error: " + why);
  }
}

void EvmVenue::flush() {
  if (inbox_) inbox_->push(md_, exec_);
  md_.clear();
  exec_.clear();
}

void EvmVenue::setState(VenueState s, std::string detail) {
  {
    std::lock_guard lock(mutex_);
    if (state_.load() == s && detail_ == detail) return;
    detail_ = detail;
  }
  state_ = s;
  if (!listener_) return;
  asio::post(engine_, [l = listener_, s, detail = std::move(detail)] { l->onVenueState(s, detail); });
}

void EvmVenue::publishViews() {
  std::lock_guard lock(mutex_);
  views_.resize(pools_.size());
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    const Pool& p = pools_[i];
    EvmPoolView& v = views_[i];
    v.instrument = p.instrument;
    v.name = (*registry_)[p.instrument].name;
    v.pair = toChecksumAddress(p.state.meta().pair);
    v.reserve0 = p.state.reserve0();
    v.reserve1 = p.state.reserve1();
    v.baseReserve = p.state.baseReserve();
    v.quoteReserve = p.state.quoteReserve();
    v.block = p.state.block();
    v.mid = p.state.midPrice();
    v.bestBid = p.bestBid;
    v.bestAsk = p.bestAsk;
    v.baseVolume = p.state.baseVolume();
    v.quoteVolume = p.state.quoteVolume();
    v.trades = p.state.trades();
    v.lastTrade = p.state.lastTrade();
    v.baseSymbol = p.state.meta().base().symbol;
    v.quoteSymbol = p.state.meta().quote().symbol;
    v.baseDecimals = p.state.meta().base().decimals;
    v.quoteDecimals = p.state.meta().quote().decimals;
  }
}

// ---------------------------------------------------------------- orders

void EvmVenue::setWalletKey(PrivateKey key) { signer_ = std::make_unique<Secp256k1Signer>(std::move(key)); }

std::string EvmVenue::walletAddress() const { return signer_ ? signer_->checksumAddress() : std::string(); }

void EvmVenue::rejectOrder(ExecReport report) {
  report.notSent = true;
  report.ts = wallNow();
  if (!inbox_) return;
  // Straight into the inbox (thread-safe) from the engine thread: delivered by a posted drain,
  // never inline, and not held up behind a slow RPC call on the I/O thread.
  std::vector<MdEvent> none;
  std::vector<ExecReport> one{std::move(report)};
  inbox_->push(none, one);
}

void EvmVenue::report(ExecReport r) {
  r.ts = wallNow();
  exec_.push_back(std::move(r));
}

void EvmVenue::publishOrder(const OrderWork& w) {
  std::lock_guard lock(mutex_);
  orderViews_[w.order.orderId] = w.view;
}

// Engine thread: the checks that need no chain, then everything else on the I/O thread.
void EvmVenue::submit(const VenueOrder& order) {
  ExecReport r;
  r.orderId = order.orderId;
  r.type = ExecType::Reject;
  if (!signer_) {
    r.reason = "no wallet key: on-chain orders need the wallet's key (none configured)";
    rejectOrder(r);
    return;
  }
  if (config_.router.empty()) {
    r.reason = "no Uniswap V2 Router configured: on-chain orders cannot be sent";
    rejectOrder(r);
    return;
  }
  if (order.request.qty <= 0) {
    r.reason = "quantity must be positive";
    rejectOrder(r);
    return;
  }
  if (!ioThread_.running()) {
    r.reason = "not connected";
    rejectOrder(r);
    return;
  }
  asio::post(io_, [this, order] {
    if (stopping_) return;
    handleSubmit(order);
    flush();
  });
}

bool EvmVenue::ensureWallet(std::string& why) {
  if (tracker_) return true;
  if (!signer_) {
    why = "no wallet key";
    return false;
  }
  if (!chainChecked_) {
    why = "the chain is not checked yet (not connected)";
    return false;
  }
  auto nonces = std::make_unique<NonceAllocator>(signer_->address());
  std::string error;
  if (!nonces->refresh(*rpc_, error)) {
    why = "nonces not read: " + error;
    return false;
  }
  nonces_ = std::move(nonces);
  fees_ = std::make_unique<FeeEstimator>(*rpc_, config_.fees);
  tracker_ = std::make_unique<TxTracker>(*rpc_, *signer_, U256(counters().chainId), *nonces_, *fees_, config_.tx,
                                         [this](const TxEvent& e) { onTxEvent(e); });
  log::info(kLog, "wallet " + signer_->checksumAddress() + " ready for orders");
  return true;
}

void EvmVenue::handleSubmit(const VenueOrder& order) {
  OrderWork w;
  w.order = order;
  w.side = order.request.side;
  w.view.orderId = order.orderId;
  w.view.instrument = order.request.instrument;
  w.view.state = "signing";
  auto refuse = [&](const std::string& why) {
    ExecReport r;
    r.orderId = order.orderId;
    r.type = ExecType::Reject;
    r.reason = why;
    r.notSent = true;
    report(r);
    w.view.state = "rejected";
    w.view.detail = why;
    w.terminal = true;
    publishOrder(w);
    work_[order.orderId] = std::move(w);
  };
  if (work_.count(order.orderId)) return refuse("duplicate order id");
  std::size_t index = pools_.size();
  for (std::size_t i = 0; i < pools_.size(); ++i)
    if (pools_[i].instrument == order.request.instrument) index = i;
  if (index == pools_.size()) return refuse("not an instrument of this venue");
  w.pool = index;
  if (!following_) return refuse("no block processed yet: no reserves to quote against");
  std::string why;
  if (!ensureWallet(why)) return refuse(why);
  const Pool& pool = pools_[index];
  const PoolMeta& meta = pool.state.meta();
  const U256 baseRes = pool.state.baseReserve(), quoteRes = pool.state.quoteReserve();
  const Address router = parseAddress(config_.router);
  const bool buy = w.side == Side::Buy;
  const Address tokenIn = buy ? meta.quote().address : meta.base().address;
  const Address tokenOut = buy ? meta.base().address : meta.quote().address;
  U256 amountIn, expectedOut;
  try {
    // qty is base in fixed point (1e-8): base wei = qty * 10^decimals / 1e8 (floor).
    const U256 baseWei = U256(std::uint64_t(order.request.qty)) * pow10U256(meta.base().decimals) / U256(100'000'000u);
    if (baseWei == 0) return refuse("quantity below the base token's unit");
    if (buy) {
      // Buy qty base: the quote it costs on these reserves is the exact input; the expected out
      // is what that input buys (>= qty, getAmountIn rounds up).
      amountIn = getAmountIn(baseWei, quoteRes, baseRes);
      expectedOut = getAmountOut(amountIn, quoteRes, baseRes);
    } else {
      amountIn = baseWei;
      expectedOut = getAmountOut(amountIn, baseRes, quoteRes);
    }
  } catch (const std::exception& e) {
    return refuse(std::string("no quote: ") + e.what());
  }
  const U256& baseAmount = buy ? expectedOut : amountIn;
  const U256& quoteAmount = buy ? amountIn : expectedOut;
  const Price avg = tokenPriceToFixed(quoteAmount, meta.quote().decimals, baseAmount, meta.base().decimals);
  if (order.request.type != OrderType::Market && order.request.price > 0) {
    const bool worse = buy ? avg > order.request.price : avg < order.request.price;
    if (worse)
      return refuse("limit " + formatTrimmed(order.request.price) + " is worse than the pool's quote: " + (buy ? "buying" : "selling") +
                    " averages " + formatTrimmed(avg) + " at block " + std::to_string(processed_));
  }
  U256 minOut;
  try {
    minOut = amountOutMinimum(expectedOut, config_.slippageBps);
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
  const U256 deadline = U256(std::uint64_t(processedTs_ / 1'000'000'000)) + U256(config_.deadlineSeconds);
  w.view.amountIn = amountIn;
  w.view.expectedOut = expectedOut;
  w.view.amountOutMin = minOut;

  // Without an estimate (the allowance not mined yet), the one revert we can foresee: a balance
  // short of the input. "" when it suffices.
  auto balanceShort = [&]() -> std::string {
    const Bytes call = abi::encodeCall("balanceOf(address)", {abi::Value::address(signer_->address())});
    const RpcReply b = rpc_->call("eth_call", {{{"to", toChecksumAddress(tokenIn)}, {"data", toHex(call)}}, "latest"});
    if (!b.ok()) return b.error.describe("eth_call balanceOf");
    U256 balance = 0;
    try {
      balance = abi::decodeUint256(fromHex(b.result.get<std::string>()));
    } catch (const std::exception& e) {
      return std::string("balance: ") + e.what();
    }
    if (balance >= amountIn) return {};
    return "the swap would revert: the wallet holds " + u256ToDecimal(balance) + " wei of " +
           (buy ? meta.quote().symbol : meta.base().symbol) + ", the input is " + u256ToDecimal(amountIn);
  };

  // Allowance: approve the Router for everything once when short (one approval per token at a time).
  bool approvalPending = false;
  for (const auto& [id, token] : approvals_)
    if (token == toChecksumAddress(tokenIn)) approvalPending = true;
  if (!approvalPending) {
    const Bytes call = abi::encodeCall("allowance(address,address)", {abi::Value::address(signer_->address()), abi::Value::address(router)});
    const RpcReply a = rpc_->call("eth_call", {{{"to", toChecksumAddress(tokenIn)}, {"data", toHex(call)}}, "latest"});
    if (!a.ok()) return refuse(a.error.describe("eth_call allowance"));
    U256 allowance = 0;
    try {
      allowance = abi::decodeUint256(fromHex(a.result.get<std::string>()));
    } catch (const std::exception& e) {
      return refuse(std::string("allowance: ") + e.what());
    }
    if (allowance < amountIn) {
      if (const std::string short_ = balanceShort(); !short_.empty()) return refuse(short_);  // before any nonce is used
      std::string error;
      const std::optional<FeeQuote> q = fees_->quote(error);
      if (!q) return refuse("fees: " + error);
      TxRequest approve;
      approve.orderId = (std::uint64_t(1) << 62) | nextApprovalId_++;
      approve.to = tokenIn;
      approve.data = abi::encodeCall("approve(address,uint256)", {abi::Value::address(router), abi::Value::uint256(u256Max())});
      approve.gasLimit = config_.approvalGasLimit;
      approve.fees = *q;
      approvals_[approve.orderId] = toChecksumAddress(tokenIn);
      if (!tracker_->submit(approve)) {
        approvals_.erase(approve.orderId);
        return refuse("the approval of the Router for " + std::string(buy ? meta.quote().symbol : meta.base().symbol) + " was not sent");
      }
      approvalPending = true;
      std::lock_guard lock(mutex_);
      ++counters_.approvalsSent;
    }
  }

  TxRequest swap;
  swap.orderId = order.orderId;
  swap.to = router;
  swap.data = abi::encodeCall("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                              {abi::Value::uint256(amountIn), abi::Value::uint256(minOut), abi::Value::addressArray({tokenIn, tokenOut}),
                               abi::Value::address(signer_->address()), abi::Value::uint256(deadline)});
  if (approvalPending) {
    // No estimate possible before the allowance is mined: the balance was checked instead.
    if (const std::string short_ = balanceShort(); !short_.empty()) return refuse(short_);
    swap.gasLimit = config_.swapGasLimitWithoutEstimate;
  } else {
    const GasEstimate g = fees_->estimateGas(signer_->address(), router, 0, swap.data);
    if (!g.revertReason.empty()) return refuse("the swap would revert: " + g.revertReason);
    if (!g.error.empty()) return refuse("no gas estimate: " + g.error);
    swap.gasLimit = std::max(g.gasLimit, g.estimate + config_.swapGasHeadroom);
  }
  std::string error;
  const std::optional<FeeQuote> q = fees_->quote(error);
  if (!q) return refuse("fees: " + error);
  swap.fees = *q;
  publishOrder(w);
  work_[order.orderId] = std::move(w);
  {
    std::lock_guard lock(mutex_);
    ++counters_.ordersSent;
  }
  // The tracker's Pending (Ack) or notSent Rejected arrives through onTxEvent inside submit().
  tracker_->submit(swap);
}

void EvmVenue::onTxEvent(const TxEvent& e) {
  if (auto a = approvals_.find(e.orderId); a != approvals_.end()) {
    log::info(kLog, std::string("approval of ") + a->second + ": " + toString(e.type) + (e.reason.empty() ? "" : " (" + e.reason + ")"));
    if (e.type == TxEventType::Included || e.type == TxEventType::Rejected || e.type == TxEventType::Cancelled)
      approvals_.erase(a);
    return;
  }
  auto it = work_.find(e.orderId);
  if (it == work_.end()) return;
  OrderWork& w = it->second;
  const Pool& pool = pools_[w.pool];
  const PoolMeta& meta = pool.state.meta();
  if (!e.hash.empty()) w.view.txHash = e.hash;
  if (e.nonce) w.view.nonce = e.nonce;
  noteTxDetails(w, e);  // gas, fees, stuck: for the on-chain panel (EvmVenueChainViews.cpp)
  ExecReport r;
  r.orderId = e.orderId;
  r.venueOrderId = e.nonce;
  switch (e.type) {
    case TxEventType::Pending:
      w.view.state = "pending";
      if (!w.acked && !w.terminal) {
        w.acked = true;
        r.type = ExecType::Ack;
        r.leaves = w.order.request.qty;
        report(r);
      }
      break;
    case TxEventType::Included: {
      w.view.state = "included";
      w.view.block = e.blockNumber;
      w.view.confirmations = 1;
      w.view.feeWei = e.feeWei;
      std::optional<SwapEvent> swap;
      for (const TxLog& l : e.logs) {
        if (l.address != meta.pair) continue;
        ChainLog c;
        c.address = l.address;
        c.topics = l.topics;
        c.data = l.data;
        try {
          if ((swap = decodeSwap(c))) break;
        } catch (const EvmError&) {
        }
      }
      if (!swap) {
        w.view.detail = "included without a Swap log of the pair";
        log::error(kLog, "order " + std::to_string(e.orderId) + ": " + w.view.detail + " (" + e.hash + ")");
        break;
      }
      const bool b0 = meta.baseIsToken0;
      const U256 base = w.side == Side::Buy ? (b0 ? swap->amount0Out : swap->amount1Out) : (b0 ? swap->amount0In : swap->amount1In);
      const U256 quote = w.side == Side::Buy ? (b0 ? swap->amount1In : swap->amount0In) : (b0 ? swap->amount1Out : swap->amount0Out);
      if (w.view.fillSent) {
        if (base != w.view.baseWei || quote != w.view.quoteWei)
          log::error(kLog, "order " + std::to_string(e.orderId) + " re-included after a reorg with other amounts: base " + u256ToDecimal(base) +
                               " (was " + u256ToDecimal(w.view.baseWei) + "): the engine's fill keeps the first");
        w.view.detail = "re-included in block " + std::to_string(e.blockNumber) + " after a reorg";
        w.view.baseWei = base;
        w.view.quoteWei = quote;
        break;
      }
      w.view.baseWei = base;
      w.view.quoteWei = quote;
      r.type = ExecType::Fill;
      r.qty = tokenAmountToFixedSaturating(base, meta.base().decimals);
      r.price = tokenPriceToFixed(quote, meta.quote().decimals, base, meta.base().decimals);
      r.leaves = 0;
      r.fee = feeInQuote(pool, e.feeWei);
      r.maker = false;
      w.view.fillSent = true;
      w.terminal = true;
      report(r);
      break;
    }
    case TxEventType::Rejected:
      w.view.feeWei = e.feeWei;
      w.view.detail = e.reason;
      if (w.view.fillSent) {
        w.view.state = "reverted after a reorg: the reported fill is wrong";
        log::error(kLog, "order " + std::to_string(e.orderId) + " was filled, reorged, then reverted: " + e.reason);
        break;
      }
      w.view.state = "rejected";
      w.terminal = true;
      // The OMS has no Open -> Rejected: an acknowledged swap that reverts ends Cancelled (nothing
      // filled), its reason saying it was the chain's rejection. Before the Ack, a Reject.
      r.type = w.acked ? ExecType::Cancelled : ExecType::Reject;
      r.reason = e.notSent ? e.reason : "rejected on chain (reverted): " + e.reason + " (gas paid)";
      r.notSent = e.notSent;
      r.fee = e.notSent ? 0.0 : feeInQuote(pool, e.feeWei);
      report(r);
      break;
    case TxEventType::Cancelled:
      w.view.state = "cancelled";
      w.view.feeWei = e.feeWei;
      if (w.view.fillSent) {
        log::error(kLog, "order " + std::to_string(e.orderId) + " was filled, reorged, then its cancel was included: the reported fill is wrong");
        w.view.state = "cancelled after a reorg: the reported fill is wrong";
        break;
      }
      w.terminal = true;
      r.type = ExecType::Cancelled;
      r.reason = "cancelled on chain: a self-transfer took nonce " + std::to_string(e.nonce) + " (its gas paid)";
      report(r);
      break;
    case TxEventType::Confirmed:
      w.view.state = "confirmed";
      w.view.confirmations = std::max(w.view.confirmations, e.confirmations);
      break;
    case TxEventType::Final:
      w.view.state = "final";
      w.view.confirmations = std::max(w.view.confirmations, e.confirmations);
      break;
    case TxEventType::Replaced:
      w.view.detail = std::string(e.cancel ? "cancel sent" : "replaced") + " at nonce " + std::to_string(e.nonce) + " (" + e.hash + ")";
      break;
    case TxEventType::Stuck:
    case TxEventType::Dropped:
      w.view.detail = std::string(toString(e.type)) + ": " + e.reason;
      log::warn(kLog, "order " + std::to_string(e.orderId) + ": " + w.view.detail);
      break;
    case TxEventType::Reorged:
      w.view.state = "pending";
      w.view.block = 0;
      w.view.confirmations = 0;
      w.view.detail = "reorged: " + e.reason;
      if (w.view.fillSent) {
        w.view.reorgedAfterFill = true;
        w.view.detail = "fill not final (reorged): " + e.reason;
        log::error(kLog, "order " + std::to_string(e.orderId) + ": its reported fill left the canonical chain (" + e.reason + ")");
        std::lock_guard lock(mutex_);
        ++counters_.fillsReorged;
      }
      break;
  }
  // Until it is included again, whatever is said of a reorged fill keeps saying the fill is not final.
  if (w.view.reorgedAfterFill && w.view.block == 0 && w.view.detail.rfind("fill not final", 0) != 0)
    w.view.detail = "fill not final (reorged); " + w.view.detail;
  publishOrder(w);
}

void EvmVenue::updateConfirmations() {
  const std::uint64_t head = tracker_ ? tracker_->head() : 0;
  for (auto& [id, w] : work_) {
    if (w.view.block == 0 || head < w.view.block) continue;
    const std::uint64_t c = head - w.view.block + 1;
    if (c == w.view.confirmations) continue;
    w.view.confirmations = c;
    publishOrder(w);
  }
}

// The wei fee in the pool's quote token at the mid of a listed pool of WETH against that token.
double EvmVenue::feeInQuote(const Pool& pool, const U256& feeWei) const {
  const std::string quote = pool.state.meta().quote().symbol;
  for (const Pool& p : pools_) {
    const PoolMeta& m = p.state.meta();
    if (!p.state.hasReserves() || p.state.baseReserve() == 0 || p.state.quoteReserve() == 0) continue;
    if (m.base().symbol == "WETH" && m.quote().symbol == quote)
      return tokenAmountToDouble(feeWei, 18) * tokenPrice(p.state.quoteReserve(), m.quote().decimals, p.state.baseReserve(), m.base().decimals);
    if (m.quote().symbol == "WETH" && m.base().symbol == quote)
      return tokenAmountToDouble(feeWei, 18) * tokenPrice(p.state.baseReserve(), m.base().decimals, p.state.quoteReserve(), m.quote().decimals);
  }
  return 0.0;  // no WETH pool against this quote token: the fee stays in the order view (feeWei)
}

void EvmVenue::cancel(OrderId orderId) {
  if (!ioThread_.running()) {
    ExecReport r;
    r.orderId = orderId;
    r.type = ExecType::CancelReject;
    r.reason = "not connected";
    rejectOrder(r);
    return;
  }
  asio::post(io_, [this, orderId] {
    if (stopping_) return;
    handleCancel(orderId);
    flush();
  });
}

void EvmVenue::handleCancel(OrderId id) {
  ExecReport r;
  r.orderId = id;
  r.type = ExecType::CancelReject;
  auto it = work_.find(id);
  if (it == work_.end()) {
    r.reason = "unknown order";
  } else if (it->second.terminal || !tracker_) {
    r.reason = it->second.view.block ? "already included in block " + std::to_string(it->second.view.block) + ": a swap cannot be undone"
                                     : "the order is already " + it->second.view.state;
  } else {
    std::string why;
    if (it->second.cancelSent) return;  // already on its way: its Cancelled (or the swap's Fill) follows
    if (tracker_->cancel(id, why)) {
      it->second.cancelSent = true;
      it->second.view.detail = "cancel sent (self-transfer at nonce " + std::to_string(it->second.view.nonce) + ")";
      publishOrder(it->second);
      return;  // Cancelled when the self-transfer is included; a Fill if the swap wins the nonce
    }
    r.reason = "cancel not sent: " + why;
  }
  report(r);
}

void EvmVenue::replace(OrderId orderId, Price, Qty) {
  // A swap's amounts are signed into its transaction; the tracker already speeds stuck ones up.
  ExecReport r;
  r.orderId = orderId;
  r.type = ExecType::CancelReject;
  r.reason = "a swap is not modified: cancel it and send a new order";
  rejectOrder(r);
}

bool EvmVenue::cancelAllOrders() {
  if (!ioThread_.running()) return false;
  asio::post(io_, [this] {
    if (stopping_) return;
    handleCancelAll();
    flush();
  });
  return true;
}

void EvmVenue::handleCancelAll() {
  std::size_t pending = 0, sent = 0, already = 0;
  std::string failures;
  for (auto& [id, w] : work_) {
    if (w.terminal || !tracker_) continue;
    ++pending;
    if (w.cancelSent) {
      ++already;
      continue;
    }
    std::string why;
    if (tracker_->cancel(id, why)) {
      ++sent;
      w.cancelSent = true;
      w.view.detail = "cancel sent by HALT";
      publishOrder(w);
    } else {
      failures += (failures.empty() ? "" : "; ") + std::to_string(id) + ": " + why;
    }
  }
  const std::string detail = "HALT: " + std::to_string(pending) + " pending transaction(s), " + std::to_string(sent) +
                             " cancel(s) sent" + (already ? ", " + std::to_string(already) + " already cancelling" : "") +
                             (failures.empty() ? "" : " (not sent: " + failures + ")") + "; included swaps cannot be undone";
  // The engine asks again whenever the venue says Connected while halted: answering every time
  // with onVenueState(Connected) would ping-pong. Said once per new answer.
  if (sent == 0 && detail == lastHaltDetail_) return;
  lastHaltDetail_ = detail;
  log::warn(kLog, detail);
  if (listener_) asio::post(engine_, [l = listener_, s = state_.load(), detail] { l->onVenueState(s, detail); });
}

std::vector<EvmOrderView> EvmVenue::orders() const {
  std::lock_guard lock(mutex_);
  std::vector<EvmOrderView> out;
  for (const auto& [id, v] : orderViews_) out.push_back(v);
  return out;
}

std::optional<EvmOrderView> EvmVenue::order(OrderId id) const {
  std::lock_guard lock(mutex_);
  auto it = orderViews_.find(id);
  if (it == orderViews_.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------- snapshots and summaries

void EvmVenue::requestSnapshot(InstrumentId id) {
  asio::post(io_, [this, id] {
    if (stopping_ || !following_) return;  // the next poll sends every book anyway
    for (Pool& p : pools_) {
      if (p.instrument != id) continue;
      try {
        const auto [r0, r1] = reader_->reserves(p.state.meta().pair, processed_);
        p.state.setReserves(r0, r1, processed_);
        PoolLadder ladder = buildPoolLadder(p.state.sides(), p.tick, config_.book);
        p.bestBid = ladder.bids.empty() ? 0 : ladder.bids.front().price;
        p.bestAsk = ladder.asks.empty() ? 0 : ladder.asks.front().price;
        appendBookSnapshot(p.instrument, processed_, processedTs_, ladder, md_);
        std::lock_guard lock(mutex_);
        ++counters_.snapshotsSent;
        ++counters_.resyncs;
      } catch (const std::exception& e) {
        log::warn(kLog, "snapshot of " + (*registry_)[id].name + " failed: " + e.what());
      }
    }
    flush();
    publishViews();
  });
}

VenueSummary EvmVenue::summary() const {
  VenueSummary s;
  const EvmCounters c = counters();
  s.environment = c.chainId == 1 || config_.chainId == 1 ? "mainnet" : "custom";
  s.endpoint = redactedUrl(config_.rpcUrl);
  s.state = state_.load();
  s.reconnects = c.reconnects;
  s.resyncs = c.resyncs;
  s.heartbeatLatency = c.lastRoundTripUs;
  s.latestBlock = c.processedBlock;
  return s;
}

std::string EvmVenue::stateDetail() const {
  std::lock_guard lock(mutex_);
  return detail_;
}

std::string EvmVenue::listError() const {
  std::lock_guard lock(mutex_);
  return listError_;
}

EvmCounters EvmVenue::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::vector<EvmPoolView> EvmVenue::pools() const {
  std::lock_guard lock(mutex_);
  return views_;
}

}  // namespace kappa::evm
