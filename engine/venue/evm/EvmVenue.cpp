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
#include "venue/evm/NewHeadsFeed.hpp"
#include "venue/evm/NonceAllocator.hpp"
#include "venue/evm/TxTracker.hpp"
#include "venue/evm/UniswapV2Math.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/PoolChainReader.hpp"
#include "venue/evm/RpcQuantity.hpp"
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
      inst.kind = InstrumentKind::Spot;
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
      Pool pool{PoolState(meta), kNoInstrument, inst.tickSize, 0, 0, {}};  // reserves come from the chain once following
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
    startHeadsFeed();
    poll();
  });
}

void EvmVenue::startHeadsFeed() {
  if (config_.wsUrl == "off") return;
  const std::string url = config_.wsUrl.empty() ? NewHeadsFeed::wsUrlFor(config_.rpcUrl) : config_.wsUrl;
  if (url.empty()) return;
  NewHeadsFeed::Callbacks cb;
  cb.onHead = [this](std::uint64_t block) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.headNotifications;
    }
    // A head we have already read (the poll beat the push) needs nothing.
    if (stopping_ || block <= lastHead_) return;
    pollTimer_.cancel();  // its handler sees operation_aborted; poll() arms it again
    poll();
  };
  cb.onStatus = [this](bool live, const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      counters_.headsPushed = live;
    }
    if (live)
      log::info(kLog, "new heads pushed by " + redactedUrl(config_.rpcUrl) + " (polling every " +
                          std::to_string(config_.pollInterval.count()) + " ms goes on beside)");
    else
      log::info(kLog, "new heads not pushed (" + why + "): polling every " +
                          std::to_string(config_.pollInterval.count()) + " ms");
  };
  heads_ = std::make_unique<NewHeadsFeed>(io_, url, config_.caFile, std::chrono::seconds(5), std::move(cb));
  heads_->start();
}

void EvmVenue::disconnect() {
  if (!ioThread_.running()) return;
  // A blocking call in progress ends by its own timeout; closeAll runs after it.
  ioThread_.shutdown(
      [this] {
        stopping_ = true;
        pollTimer_.cancel();
        heads_.reset();  // closes its WebSocket here, on the I/O thread
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
  if (ok && restorePending_ && chainChecked_) applyRestore();
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
  lastHead_ = head;
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
    if (!dayBackfilled_) {
      dayBackfilled_ = true;
      backfillDay(target, processedTs_);
    }
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
          p.day.add(blockTime(t->block), t->base, t->quote);
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
      for (Pool& p : pools_) {
        p.state.advanceTo(target);
        p.day.trimTo(next->timestamp);
      }
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
  // Every pool at the very block whose hash is kept: by hash, not number, so that a reorganisation
  // between the header and the calls cannot mix two blocks' states (the next poll then sees the
  // hash gone and reads again). A block replaced under us is read again, twice at most.
  std::optional<BlockHeader> h;
  std::vector<std::pair<U256, U256>> reserves;
  for (int attempt = 0;; ++attempt) {
    h = reader_->header(block);
    if (!h) throw EvmError("block " + std::to_string(block) + " not found");
    try {
      reserves.clear();
      for (const Pool& p : pools_) reserves.push_back(reader_->reserves(p.state.meta().pair, h->hash));
      break;
    } catch (const RpcException& e) {
      if (e.error().kind != RpcError::Kind::Rpc || attempt == 2) throw;  // not a vanished block, or again and again
      log::info(kLog, "block " + std::to_string(block) + " replaced while its pools were read: read again");
    }
  }
  for (std::size_t i = 0; i < pools_.size(); ++i) pools_[i].state.setReserves(reserves[i].first, reserves[i].second, block);
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

// The pools' last 24 h of swaps, read back from the chain at the start (the pair keeps no volume):
// the day's first block is estimated from the average block time of the last 1,000 blocks and
// checked against its timestamp; its Swap logs up to the head are read in maxLogRange chunks
// (at most 100 of them: a chain of very short blocks is covered from later on, and says so), each
// swap timed by its block's place between the first block's time and the head's.
void EvmVenue::backfillDay(std::uint64_t head, Nanos headTs) {
  const Nanos from = headTs - RollingVolume::kDay;
  std::uint64_t start = 0;
  Nanos startTs = headTs;
  try {
    if (head > 0) {
      const std::uint64_t sample = std::min<std::uint64_t>(head, 1000);
      const std::optional<BlockHeader> back = reader_->header(head - sample);
      Nanos perBlock = back && headTs > back->timestamp ? (headTs - back->timestamp) / Nanos(sample) : 0;
      if (perBlock <= 0) perBlock = 1'000'000'000;
      const std::uint64_t blocks = std::uint64_t(RollingVolume::kDay / perBlock) + 1;
      start = head > blocks ? head - blocks : 0;
      // Still inside the day (blocks came faster lately): a tenth further back, a few times.
      for (int i = 0; i < 4 && start > 0; ++i) {
        const std::optional<BlockHeader> s = reader_->header(start);
        if (!s || s->timestamp < from) break;
        const std::uint64_t more = std::max<std::uint64_t>(blocks / 10, 1);
        start = start > more ? start - more : 0;
      }
      const std::uint64_t range = std::max<std::uint64_t>(config_.maxLogRange, 1);
      if (head - start > 100 * range) start = head - 100 * range;
    }
    const std::optional<BlockHeader> first = reader_->header(start);
    startTs = first ? first->timestamp : headTs;
    auto timeOf = [&](std::uint64_t block) {
      if (head <= start) return headTs;
      return startTs + Nanos(double(headTs - startTs) * double(block - start) / double(head - start));
    };
    const std::uint64_t range = std::max<std::uint64_t>(config_.maxLogRange, 1);
    for (std::uint64_t lo = start; lo <= head; lo += range) {
      const std::uint64_t hi = std::min(head, lo + range - 1);
      for (const ChainLog& l : reader_->poolLogs(pairs_, lo, hi)) {
        if (l.removed) continue;
        for (Pool& p : pools_) {
          if (p.state.meta().pair != l.address) continue;
          if (const std::optional<PoolTrade> t = p.state.tradeOf(l); t && timeOf(l.blockNumber) >= from)
            p.day.add(timeOf(l.blockNumber), t->base, t->quote);
          break;
        }
      }
    }
  } catch (const std::exception& e) {
    // Volume from now on only; the panel says since when.
    log::warn(kLog, std::string("the last 24 h of swaps could not be read (") + e.what() + "): volume counted from now");
    for (Pool& p : pools_) {
      p.day.clear();
      p.day.setCoveredFrom(headTs);
    }
    return;
  }
  for (Pool& p : pools_) {
    p.day.setCoveredFrom(std::max(from, startTs));
    p.day.trimTo(headTs);
  }
  log::info(kLog, "24 h volume read back from block " + std::to_string(start) + " to " + std::to_string(head));
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
  if (inbox_) inbox_->pushJournal(journalOut_);  // after the reports they record
  md_.clear();
  exec_.clear();
  publishUnconfirmed();  // after the Fills it follows from
  journalOut_.clear();
}

void EvmVenue::setState(VenueState s, std::string detail) {
  {
    std::lock_guard lock(mutex_);
    if (state_.load() == s && detail_ == detail) return;
    detail_ = detail;
    state_ = s;  // with its detail: snapshot() reads both under this lock
  }
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
    v.dayBaseVolume = p.day.base();
    v.dayQuoteVolume = p.day.quote();
    v.daySwaps = p.day.swaps();
    v.dayCoveredFrom = p.day.coveredFrom();
    v.dayAt = processedTs_;
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
  addOwedFees(r);
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
  nonces->restore(restoredNonces());  // after a restart: the journal's nonces in flight (else none)
  std::string error;
  if (!nonces->refresh(*rpc_, error)) {
    why = "nonces not read: " + error;
    return false;
  }
  nonces_ = std::move(nonces);
  fees_ = std::make_unique<FeeEstimator>(*rpc_, config_.fees);
  tracker_ = std::make_unique<TxTracker>(*rpc_, *signer_, U256(counters().chainId), *nonces_, *fees_, config_.tx,
                                         [this](const TxEvent& e) {
                                           noteTxStart(e);
                                           onTxEvent(e);
                                           recordTx(e);
                                         });
  tracker_->setSpeedUpFeeLimit(gasPriceLimitWei(riskLimits_), "max_gas_price_gwei (" + name() + ")");
  restoreTracker();  // after a restart: the journal's transactions in flight, followed from the next poll
  log::info(kLog, "wallet " + signer_->checksumAddress() + " ready for orders");
  return true;
}

void EvmVenue::handleSubmit(const VenueOrder& order) {
  if (restorePending_ && chainChecked_) applyRestore();  // the journal's nonces before any new one
  OrderWork w;
  w.order = order;
  w.side = order.request.side;
  w.view.orderId = order.orderId;
  w.view.instrument = order.request.instrument;
  w.view.state = "signing";
  auto refuse = [&](const std::string& why, const std::string& riskLimit = {}) {
    ExecReport r;
    r.orderId = order.orderId;
    r.type = ExecType::Reject;
    r.reason = why;
    r.notSent = true;
    r.riskLimit = riskLimit;
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
  bool gasChecked = false;  // the risk checks ran already (with the approval's)
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
      const std::optional<FeeQuote> q = fees_->quoteAt(lastHead_, error);
      if (!q) return refuse("fees: " + error);
      TxRequest approve;
      approve.orderId = (std::uint64_t(1) << 62) | nextApprovalId_++;
      approve.to = tokenIn;
      approve.data = abi::encodeCall("approve(address,uint256)", {abi::Value::address(router), abi::Value::uint256(u256Max())});
      approve.gasLimit = config_.approvalGasLimit;
      approve.fees = *q;
      // Risk: the approval and the swap behind it, checked together before either is signed.
      if (const GasRefusal g = gasRiskRefusal("the approval and the swap", q->maxFeePerGas,
                                              config_.approvalGasLimit + config_.swapGasLimitWithoutEstimate))
        return refuse(g.reason, g.limit);
      gasChecked = true;
      approvals_[approve.orderId] = toChecksumAddress(tokenIn);
      approvalFor_[approve.orderId] = order.orderId;
      gasLimitOf_[approve.orderId] = approve.gasLimit;
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
  const std::optional<FeeQuote> q = fees_->quoteAt(lastHead_, error);
  if (!q) return refuse("fees: " + error);
  swap.fees = *q;
  if (!gasChecked)
    if (const GasRefusal g = gasRiskRefusal("the swap", q->maxFeePerGas, swap.gasLimit)) return refuse(g.reason, g.limit);
  gasLimitOf_[swap.orderId] = swap.gasLimit;
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
  countGas(e);  // every fee our transactions pay counts in the day's gas (risk)
  if (auto a = approvals_.find(e.orderId); a != approvals_.end()) {
    chargeApprovalFee(e);
    log::info(kLog, std::string("approval of ") + a->second + ": " + toString(e.type) + (e.reason.empty() ? "" : " (" + e.reason + ")"));
    // Gone for good: the next swap of that token reads its allowance again (and estimates its gas).
    if (e.type == TxEventType::Included || e.type == TxEventType::Rejected || e.type == TxEventType::Cancelled ||
        (e.type == TxEventType::Dropped && e.ended))
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
      // Acknowledged or not, a Reject (the OMS takes Open -> Rejected): nothing filled, the gas
      // paid is its fee (booked on the position without a fill).
      r.type = ExecType::Reject;
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
      r.fee = feeInQuote(pool, e.feeWei);  // the self-transfer's gas, booked on the position
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
      if (!e.ended || w.terminal) break;
      if (w.view.fillSent) {
        log::error(kLog, "order " + std::to_string(e.orderId) + " was filled, reorged, then dropped: the reported fill is wrong");
        w.view.state = "dropped after a reorg: the reported fill is wrong";
        break;
      }
      // The swap will never run (another transaction took its nonce, or it was given up): the
      // order ends, nothing filled, no gas paid. Without this it stayed working for ever.
      w.view.state = "dropped";
      w.terminal = true;
      r.type = ExecType::Reject;
      r.reason = "dropped: " + e.reason + " (the swap never ran, no gas paid)";
      report(r);
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
  // Said the same way however often the engine asks (its repeat must not read "0 sent"): how many
  // pending are being cancelled, and that what is already included stays.
  std::size_t included = 0;
  for (const auto& [id, w] : work_)
    if (w.view.fillSent && w.view.state != "final") ++included;
  const std::string detail = "HALT: " + std::to_string(pending) + " pending transaction(s), " + std::to_string(sent + already) +
                             " being cancelled by self-transfer" +
                             (failures.empty() ? "" : " (not sent: " + failures + ")") + "; included swaps cannot be undone" +
                             (included ? " (" + std::to_string(included) + " included, not final yet)" : "");
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
  s.gasPaidToday = tokenAmountToDouble(gasPaidToday(), 18);  // max_gas_per_day's use (risk panel)
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

// ---------------------------------------------------------------- risk
// The limits only the venue can check, with the values the engine hands it (setRiskLimits: a copy
// posted here on start and after every change), and the positions' unconfirmed part. HALT's and a
// trader's cancels are never checked: reducing risk does not wait on a gas limit.

void EvmVenue::setRiskLimits(const VenueRiskLimits& limits) {
  // Before connect() too: the I/O thread runs what was posted once it starts.
  asio::post(io_, [this, limits] {
    riskLimits_ = limits;
    if (tracker_) tracker_->setSpeedUpFeeLimit(gasPriceLimitWei(riskLimits_), "max_gas_price_gwei (" + name() + ")");
  });
}

U256 EvmVenue::gasPaidToday() const {
  std::lock_guard lock(mutex_);
  return gasPaidTodayView_;
}

U256 EvmVenue::gasInFlight() const {
  std::lock_guard lock(mutex_);
  return gasInFlightView_;
}

// Before signing `what`: the gas price, the day's budget, then (one eth_getBalance) whether the
// wallet's native coin pays the worst case of this and of what is already in flight.
GasRefusal EvmVenue::gasRiskRefusal(const std::string& what, const U256& maxFeePerGas, std::uint64_t gasLimit) {
  const Nanos now = wallNow();
  const U256 paid = gas_.paidToday(now), inFlight = gas_.reservedInFlight();
  if (GasRefusal g = checkGasRisk(riskLimits_, name(), what, maxFeePerGas, gasLimit, paid, inFlight, std::nullopt)) return g;
  const RpcReply b = rpc_->call("eth_getBalance", {signer_->checksumAddress(), "latest"});
  if (!b.ok()) return {"gas_balance", "gas_balance (" + name() + "): the wallet's balance could not be read (" +
                                         b.error.describe("eth_getBalance") + ")"};
  U256 balance = 0;
  try {
    balance = quantityU256(b.result, "eth_getBalance");
  } catch (const std::exception& e) {
    return {"gas_balance", "gas_balance (" + name() + "): " + e.what()};
  }
  return checkGasRisk(riskLimits_, name(), what, maxFeePerGas, gasLimit, paid, inFlight, balance);
}

// Every transaction's worst case while in flight (gasLimit x maxFeePerGas: a cancel's is a plain
// transfer's 21,000 gas), then its fee once a receipt says it paid: swaps, reverts, cancels,
// approvals alike.
void EvmVenue::countGas(const TxEvent& e) {
  const Nanos now = wallNow();
  switch (e.type) {
    case TxEventType::Pending:
    case TxEventType::Replaced: {
      const auto it = gasLimitOf_.find(e.orderId);
      const std::uint64_t limit = e.cancel ? 21'000 : it != gasLimitOf_.end() ? it->second : config_.swapGasLimitWithoutEstimate;
      if (e.maxFeePerGas > 0) gas_.reserve(e.orderId, worstGasCost(limit, e.maxFeePerGas));
      break;
    }
    case TxEventType::Included:
    case TxEventType::Cancelled:
      gas_.paid(e.orderId, e.feeWei, now);
      break;
    case TxEventType::Rejected:
      if (e.notSent) gas_.release(e.orderId);
      else gas_.paid(e.orderId, e.feeWei, now);
      break;
    case TxEventType::Dropped:  // given up: it can cost nothing more (resent ones stay reserved)
      if (e.ended) gas_.release(e.orderId);
      break;
    default:
      break;
  }
  std::lock_guard lock(mutex_);
  gasPaidTodayView_ = gas_.paidToday(now);
  gasInFlightView_ = gas_.reservedInFlight();
}

// An approval's gas is the cost of the order that needed it: owed to that order's next fee report
// (its Fill, or its Reject / Cancelled), so the position's fees show it. The tracker reports in
// nonce order, so the approval's receipt comes before its swap's.
void EvmVenue::chargeApprovalFee(const TxEvent& e) {
  const bool paid = e.type == TxEventType::Included || e.type == TxEventType::Cancelled ||
                    (e.type == TxEventType::Rejected && !e.notSent);
  if (!paid) return;
  const auto it = approvalFor_.find(e.orderId);
  if (it == approvalFor_.end()) return;
  const OrderId order = it->second;
  approvalFor_.erase(it);
  const auto w = work_.find(order);
  if (w != work_.end() && w->second.terminal) {
    // Its swap already ended (refused at sending): nothing more goes to the engine for it.
    log::warn(kLog, "approval gas " + formatNative(e.feeWei) + " for order " + std::to_string(order) +
                        ", which already ended: counted in the day's gas, not in a position");
    return;
  }
  approvalFeeOwed_[order] += e.feeWei;
}

void EvmVenue::addOwedFees(ExecReport& r) {
  if (r.type != ExecType::Fill && r.type != ExecType::Reject && r.type != ExecType::Cancelled) return;
  const auto owed = approvalFeeOwed_.find(r.orderId);
  if (owed == approvalFeeOwed_.end()) return;
  const auto w = work_.find(r.orderId);
  if (w == work_.end()) return;  // (a refusal before the work is recorded: the fee stays owed)
  r.fee += feeInQuote(pools_[w->second.pool], owed->second);
  approvalFeeOwed_.erase(owed);
}

// The engine booked every Fill at once; what is included but not yet `tx.confirmations` deep (or
// was reorged and waits to be included again) is told as the positions' unconfirmed part.
void EvmVenue::publishUnconfirmed() {
  if (!listener_) return;
  std::map<InstrumentId, double> now;
  for (const auto& [id, w] : work_) {
    if (!w.view.fillSent || w.view.state == "confirmed" || w.view.state == "final") continue;
    if (w.view.state.find("fill is wrong") != std::string::npos) continue;  // said in the log and the view
    const PoolMeta& meta = pools_[w.pool].state.meta();
    const double qty = toDouble(tokenAmountToFixedSaturating(w.view.baseWei, meta.base().decimals));
    now[w.view.instrument] += w.side == Side::Buy ? qty : -qty;
  }
  if (now == unconfirmedSent_) return;
  unconfirmedSent_ = now;
  std::vector<VenuePosition> list;
  for (const auto& [instrument, qty] : now) list.push_back({instrument, qty, 0});
  asio::post(engine_, [l = listener_, list = std::move(list)] { l->onUnconfirmedFills(list); });
}

// ---------------------------------------------------------------- journal and restart
//
// Every event of a transaction id (a swap's order id, an approval's 2^62+n) updates its EvmTxEntry
// (EvmTxJournal.hpp), which goes to the engine as a VenueJournalEntry with the same flush as the
// execution reports it explains (after them): the engine writes it to the journal's venue_record
// table; the I/O thread never touches the disk and the engine thread never the network.
// At the next start the engine hands the newest entry per id back (restoreJournal, before
// connect). Once the chain is checked (applyRestore): every entry is shown again (transactions(),
// the order views); swaps get their OrderWork back (what was asked, whether the engine heard the
// Ack, the Fill or the end); approvals in flight stay approvals; and the transactions not final
// go to a new NonceAllocator (restoredNonces, before it reads the node's counts) and TxTracker
// (restoreTracker): the tracker's next head finds each one's fate — included while we were away
// (its Fill is sent then, once: fillSent), still pending (followed), unknown to the node (resent
// from its journaled raw bytes: the same hash, never a new signature at another nonce).
// queryOrders (the engine's unresolved orders, asked once the venue is Connected) is answered
// from the entries: a Fill the engine may have missed (the journal knows the venue sent it),
// the end it was told, an Ack for one still in flight (its Fill follows), and "never sent" for an
// order without any journaled transaction — unless the wallet has used nonces the journal does not
// explain (a crash between sending and the journal's commit): then it stays unknown.

void EvmVenue::noteTxStart(const TxEvent& e) {
  if (txEntries_.count(e.orderId)) return;
  EvmTxEntry entry;
  entry.id = e.orderId;
  if (auto a = approvals_.find(e.orderId); a != approvals_.end()) {
    entry.approval = true;
    entry.token = a->second;
  } else if (auto w = work_.find(e.orderId); w != work_.end()) {
    const OrderWork& work = w->second;
    if (registry_ && work.view.instrument < registry_->size()) entry.pool = (*registry_)[work.view.instrument].name;
    entry.side = work.side;
    entry.qty = work.order.request.qty;
    entry.amountIn = work.view.amountIn;
    entry.amountOutMin = work.view.amountOutMin;
    entry.expectedOut = work.view.expectedOut;
  } else {
    entry.approval = (e.orderId >> 62) != 0;
  }
  txEntries_[e.orderId] = std::move(entry);
}

void EvmVenue::recordTx(const TxEvent& e) {
  auto found = txEntries_.find(e.orderId);
  if (found == txEntries_.end()) return;
  EvmTxEntry& entry = found->second;
  auto receipt = [&] {
    entry.gasUsed = e.gasUsed;
    entry.effectiveGasPrice = e.effectiveGasPrice;
    entry.feeWei = e.feeWei;
    entry.feePaidAt = wallNow();
  };
  switch (e.type) {
    case TxEventType::Pending:
      entry.state = "pending";
      break;
    case TxEventType::Included:
      entry.state = "included";
      receipt();
      break;
    case TxEventType::Rejected:
      entry.state = "rejected";
      entry.notSent = e.notSent;
      entry.reason = e.reason;
      if (!e.notSent) receipt();
      break;
    case TxEventType::Cancelled:
      entry.state = "cancelled";
      receipt();
      break;
    case TxEventType::Confirmed:
      if (entry.state == "included") entry.state = "confirmed";
      break;
    case TxEventType::Final:
      if (entry.state == "included" || entry.state == "confirmed") entry.state = "final";
      break;
    case TxEventType::Dropped:
      entry.reason = e.reason;
      break;
    case TxEventType::Reorged:
      entry.state = "pending";
      entry.reason = "reorged: " + e.reason;
      entry.gasUsed = 0;
      entry.effectiveGasPrice = 0;
      entry.feeWei = 0;
      entry.feePaidAt = 0;
      break;
    case TxEventType::Stuck:
    case TxEventType::Replaced:
      entry.reason = e.reason;
      break;
  }
  if (const std::optional<TxRecord> r = tracker_ ? tracker_->find(e.orderId) : std::nullopt) entry.tx = *r;
  else if (e.type == TxEventType::Final) entry.tx.state = TxState::Final;
  if (entry.tx.state == TxState::Dropped) entry.state = "dropped";
  if (auto w = work_.find(e.orderId); w != work_.end()) {
    const OrderWork& work = w->second;
    entry.acked = work.acked;
    entry.fillSent = work.view.fillSent;
    entry.terminal = work.terminal;
    entry.baseWei = work.view.baseWei;
    entry.quoteWei = work.view.quoteWei;
  }
  entry.cancelSent = std::any_of(entry.tx.attempts.begin(), entry.tx.attempts.end(), [](const TxAttempt& a) { return a.cancel; });
  journalOut_.push_back(VenueJournalEntry{entry.id, toJournalBody(entry)});
  std::lock_guard lock(mutex_);
  txShown_[entry.id] = entry;
}

// Engine thread, before connect(): read now (a bad entry is named in the log and left out), taken
// up on the I/O thread once the chain is checked.
void EvmVenue::restoreJournal(const std::vector<VenueJournalEntry>& entries) {
  for (const VenueJournalEntry& j : entries) {
    try {
      restoredEntries_.push_back(evmTxEntryFromJournal(j.key, j.body));
    } catch (const std::exception& e) {
      log::error(kLog, "journal: transaction record " + std::to_string(j.key) + " unreadable, not restored: " + e.what());
    }
  }
  restorePending_ = !restoredEntries_.empty();
}

namespace {
// A journaled transaction the tracker must still follow (to its inclusion, or to finality).
bool stillFollowed(const EvmTxEntry& e) {
  return !e.tx.attempts.empty() && !e.notSent && e.tx.state != TxState::Final && e.tx.state != TxState::Rejected &&
         e.tx.state != TxState::Dropped && e.state != "rejected" && e.state != "dropped";
}
}  // namespace

void EvmVenue::applyRestore() {
  if (!restoredEntries_.empty()) {
    std::uint64_t lastApproval = 0;
    std::size_t followed = 0;
    for (EvmTxEntry& e : restoredEntries_) {
      if (txEntries_.count(e.id)) continue;
      const bool live = stillFollowed(e);
      followed += live ? 1 : 0;
      if (e.approval) {
        lastApproval = std::max(lastApproval, e.id & ((std::uint64_t(1) << 62) - 1));
        if (live) approvals_[e.id] = e.token;
      } else {
        std::size_t index = pools_.size();
        for (std::size_t i = 0; i < pools_.size(); ++i)
          if (registry_ && (*registry_)[pools_[i].instrument].name == e.pool) index = i;
        if (index == pools_.size()) {
          log::error(kLog, "journal: order " + std::to_string(e.id) + " swapped in pool " + e.pool +
                               ", not listed in this run: its transaction is followed, its fill cannot be reported");
        } else {
          OrderWork w;
          w.order.orderId = e.id;
          w.order.request.instrument = pools_[index].instrument;
          w.order.request.side = e.side;
          w.order.request.qty = e.qty;
          w.pool = index;
          w.side = e.side;
          w.acked = e.acked;
          // A swap the tracker gave up is over, whether or not its end reached the engine then
          // (journals from before it was reported): queryOrders tells it, as any restored end.
          w.terminal = e.terminal || e.tx.state == TxState::Dropped;
          w.cancelSent = e.cancelSent;
          w.restored = true;
          w.toldBefore = w.terminal;
          w.view.orderId = e.id;
          w.view.instrument = w.order.request.instrument;
          w.view.state = e.state;
          w.view.detail = "restored from the journal" + (e.reason.empty() ? std::string() : ": " + e.reason);
          w.view.txHash = !e.tx.includedHash.empty() ? e.tx.includedHash : e.tx.attempts.empty() ? std::string() : e.tx.attempts.back().hash;
          w.view.nonce = e.tx.nonce;
          w.view.block = e.tx.includedBlock;
          w.view.amountIn = e.amountIn;
          w.view.amountOutMin = e.amountOutMin;
          w.view.expectedOut = e.expectedOut;
          w.view.baseWei = e.baseWei;
          w.view.quoteWei = e.quoteWei;
          w.view.feeWei = e.feeWei;
          w.view.fillSent = e.fillSent;
          publishOrder(w);
          work_[e.id] = std::move(w);
        }
      }
      // The gas it paid today counts against max_gas_per_day again (by its id: a receipt read
      // again after the restart replaces it, never adds to it).
      const Nanos now = wallNow();
      if (e.feeWei > 0) gas_.restorePaid(e.id, e.feeWei, e.feePaidAt, now);
      txEntries_[e.id] = e;
      std::lock_guard lock(mutex_);
      txShown_[e.id] = e;
      gasPaidTodayView_ = gas_.paidToday(now);
    }
    nextApprovalId_ = std::max(nextApprovalId_, lastApproval + 1);
    log::info(kLog, "journal: " + std::to_string(restoredEntries_.size()) + " transaction records restored, " +
                        std::to_string(followed) + " still followed");
    restoredEntries_.clear();
    trackerRestorePending_ = followed > 0;
    if (trackerRestorePending_ && !signer_) {
      log::error(kLog, "journal: " + std::to_string(followed) +
                           " transactions of an earlier run are in flight, but no wallet key is given: not followed");
      trackerRestorePending_ = false;
    }
  }
  restorePending_ = false;
  if (!trackerRestorePending_) return;
  if (tracker_) {  // made for an order first: its allocator claims the restored nonces through the tracker
    restoreTracker();
    return;
  }
  std::string why;
  if (!ensureWallet(why)) {  // the node did not give our nonces: tried again at the next poll
    log::warn(kLog, "journal: transactions in flight not restored yet: " + why);
    restorePending_ = true;
  }
}

// The nonces of the journal's transactions still followed, as sent (the tracker claims them too).
std::vector<NonceRecord> EvmVenue::restoredNonces() const {
  std::vector<NonceRecord> out;
  if (!trackerRestorePending_) return out;
  for (const auto& [id, e] : txEntries_)
    if (stillFollowed(e)) out.push_back(NonceRecord{e.tx.nonce, e.tx.attempts.back().hash, NonceState::Sent});
  return out;
}

void EvmVenue::restoreTracker() {
  if (!trackerRestorePending_ || !tracker_) return;
  trackerRestorePending_ = false;
  for (const auto& [id, e] : txEntries_) {
    if (!stillFollowed(e)) continue;
    try {
      tracker_->restore({e.tx});  // one by one: a damaged record does not keep the others out
    } catch (const std::exception& ex) {
      log::error(kLog, "journal: transaction " + std::to_string(id) + " at nonce " + std::to_string(e.tx.nonce) +
                           " not followed (its record is damaged): " + ex.what());
    }
  }
}

void EvmVenue::queryOrders(const std::vector<OrderId>& ids) {
  if (!ioThread_.running()) return;  // asked again when the venue says Connected
  asio::post(io_, [this, ids] {
    if (stopping_) return;
    if (restorePending_ && chainChecked_) applyRestore();
    handleQueryOrders(ids);
    flush();
  });
}

void EvmVenue::handleQueryOrders(const std::vector<OrderId>& ids) {
  for (OrderId id : ids) {
    ExecReport r;
    r.orderId = id;
    auto it = work_.find(id);
    if (it == work_.end()) {
      if (txEntries_.count(id) || restorePending_) continue;  // followed without a pool here / not read yet: unknown
      // No transaction journaled: never signed — unless the process died between sending it and
      // the journal's commit. Then the wallet has used a nonce no record explains, and the order
      // stays unknown (never called cancelled while it may have traded).
      std::string why;
      if (walletUsedUnjournaledNonces(why)) {
        log::error(kLog, "order " + std::to_string(id) + " of an earlier run has no journaled transaction, but " + why +
                             ": it may have been sent; left unknown");
        continue;
      }
      r.type = ExecType::Cancelled;
      r.reason = "no transaction of it in the journal: it never reached the chain";
      report(r);
      continue;
    }
    OrderWork& w = it->second;
    if (w.terminal && !w.toldBefore) continue;  // its end went to the engine in this run already
    r.venueOrderId = w.view.nonce;
    const Pool& pool = pools_[w.pool];
    const PoolMeta& meta = pool.state.meta();
    if (w.view.fillSent) {  // sent before the restart; the engine books only what its journal lacks
      r.type = ExecType::Fill;
      r.qty = tokenAmountToFixedSaturating(w.view.baseWei, meta.base().decimals);
      r.price = tokenPriceToFixed(w.view.quoteWei, meta.quote().decimals, w.view.baseWei, meta.base().decimals);
      r.leaves = 0;
      r.fee = feeInQuote(pool, w.view.feeWei);
    } else if (w.terminal) {
      r.type = ExecType::Cancelled;
      r.reason = "ended on chain before the restart: " + w.view.state + (w.view.detail.empty() ? "" : " (" + w.view.detail + ")");
    } else {  // in flight: its Fill (or end) follows when the tracker finds its fate
      r.type = ExecType::Ack;
      r.qty = w.order.request.qty;
      r.leaves = w.order.request.qty;
    }
    w.toldBefore = false;
    report(r);
  }
}

// True (with why) when the wallet's pending transaction count is past every nonce the journal
// explains, or when that cannot be checked (no key, the node not answering).
bool EvmVenue::walletUsedUnjournaledNonces(std::string& why) {
  if (!signer_) {
    why = "no wallet key to compare the wallet's nonces with";
    return true;
  }
  std::optional<std::uint64_t> explained;
  for (const auto& [id, e] : txEntries_)
    if (!e.tx.attempts.empty()) explained = std::max(explained.value_or(0), e.tx.nonce + 1);
  const RpcReply reply = rpc_->call("eth_getTransactionCount", nlohmann::json::array({toLowerHexAddress(signer_->address()), "pending"}));
  if (!reply.ok()) {
    why = reply.error.describe("eth_getTransactionCount");
    return true;
  }
  std::uint64_t used = 0;
  try {
    used = quantityU64(reply.result, "eth_getTransactionCount");
  } catch (const std::exception& e) {
    why = e.what();
    return true;
  }
  if (used <= explained.value_or(0)) return false;
  why = "the wallet has used " + std::to_string(used) + " nonces, the journal's transactions explain " +
        std::to_string(explained.value_or(0));
  return true;
}

std::vector<EvmTxView> EvmVenue::transactions() const {
  std::lock_guard lock(mutex_);
  std::vector<EvmTxView> out;
  for (const auto& [id, e] : txShown_) {
    std::vector<EvmTxView> views = transactionViews(e, counters_.headBlock);
    out.insert(out.end(), views.begin(), views.end());
  }
  // In the wallet's order (an approval before the swap it was sent for); attempts at one nonce
  // stay oldest first.
  std::stable_sort(out.begin(), out.end(), [](const EvmTxView& a, const EvmTxView& b) { return a.nonce < b.nonce; });
  return out;
}

}  // namespace kappa::evm
