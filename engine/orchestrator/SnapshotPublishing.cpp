// Engine: the conflated snapshot the GUI (or the headless runner) pulls at its own pace, built on
// the engine thread at 100 Hz, and the option analytics handed to their worker at <= 10 Hz.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "core/Clock.hpp"
#include "orchestrator/Engine.hpp"
#include "orchestrator/EngineLoop.hpp"

namespace kappa {
namespace {
constexpr auto kPublishInterval = std::chrono::milliseconds(10);  // 100 Hz; the GUI draws at <= 60
constexpr auto kAnalyticsInterval = std::chrono::milliseconds(100);  // option analytics at <= 10 Hz
}  // namespace

void Engine::schedulePublish() {
  loop_->publishTimer.expires_after(kPublishInterval);
  loop_->publishTimer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // How late the beat runs is how long the engine loop was busy elsewhere: its lag.
    const double lateMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - loop_->publishTimer.expiry()).count();
    checkBeat(lateMs);
    publish();
    schedulePublish();
  });
}

void Engine::scheduleAnalytics() {
  loop_->analyticsTimer.expires_after(kAnalyticsInterval);
  loop_->analyticsTimer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    growToRegistry();  // chainInputs() indexes per-instrument tables by registry id
    if (!analytics_->busy()) analytics_->submit(chainInputs());
    scheduleAnalytics();
  });
}

analytics::AnalyticsWorker::Input Engine::chainInputs() const {
  analytics::AnalyticsWorker::Input inputs(indexIds_.size());
  const Nanos t = now(), sampled = wallNow();
  for (std::size_t u = 0; u < indexIds_.size(); ++u) {
    analytics::ChainInput& in = inputs[u];
    in.instruments = &instruments_;
    in.underlying = instruments_[indexIds_[u]].baseCurrency;
    in.indexId = indexIds_[u];
    in.now = t;
    in.sampledAt = sampled;
    in.index = toDouble(market_->stats(indexIds_[u]).last);
  }
  for (InstrumentId id = 0; id < knownInstruments(); ++id) {
    const Instrument& inst = instruments_[id];
    const std::size_t u = underlyingOf_[inst.id];
    if (u == SIZE_MAX) continue;  // an instrument on no listed index has no chain to belong to
    if (instruments_.retired(inst.id)) continue;  // expired/settled: out of the chain
    analytics::ChainInput& in = inputs[u];
    const OrderBook& b = market_->book(inst.id);
    if (inst.isOption()) {
      const bool live = b.live();
      const InstrumentStats& st = market_->stats(inst.id);
      // The venue's mark IV only while its book is live: a stale one must not pose as today's.
      in.options.push_back({inst.id, live && b.bestBid() ? b.bestBid()->price : 0,
                            live && b.bestAsk() ? b.bestAsk()->price : 0, st.last, live ? st.venueMarkIv : 0.0});
    } else if (inst.kind != InstrumentKind::Index) {
      in.futuresMid.emplace_back(inst.id, toDouble(market_->markPrice(inst.id)));
    }
  }
  for (const Position& p : oms_->positions())
    if (p.qty != 0 && underlyingOf_[p.instrument] != SIZE_MAX)
      inputs[underlyingOf_[p.instrument]].positions.push_back({p.instrument, p.qty, p.entryValue});
  // An underlying with neither options nor positions has nothing to compute.
  std::erase_if(inputs, [](const analytics::ChainInput& in) { return in.options.empty() && in.positions.empty(); });
  return inputs;
}

void Engine::fillFocusedMarket(InstrumentId id, FocusedMarket& out) const {
  const OrderBook& b = market_->book(id);
  DepthView& depth = out.depth;
  depth.instrument = id;
  depth.bids.resize(kDepthLevels);
  depth.asks.resize(kDepthLevels);
  depth.bids.resize(b.topN(Side::Buy, kDepthLevels, depth.bids.data()));
  depth.asks.resize(b.topN(Side::Sell, kDepthLevels, depth.asks.data()));
  depth.changeId = b.changeId();
  depth.status = instruments_[id].kind == InstrumentKind::Index ? BookStatus::Live : b.status();
  depth.staleReason = b.staleReason();
  out.trades.clear();
  market_->tape(id).since(0, [&](const TradePrint& t) { out.trades.push_back(t); });
  const auto& bars = market_->candles(id).bars();
  const std::size_t from = bars.size() > kSnapshotCandles ? bars.size() - kSnapshotCandles : 0;
  out.candles.assign(bars.begin() + std::ptrdiff_t(from), bars.end());
}

void Engine::publish() {
  // A venue adds instruments to the shared registry on its own thread before it tells the engine:
  // the tables indexed by id grow here first, so nothing below reads past them.
  growToRegistry();
  // A journal that stopped writing halts trading (checked at the publish rate; the OMS already
  // refuses any order whose intent it could not journal).
  if (journal_ && journal_->failed() && !halt_.halted()) haltAll(journal_->failure());
  const Nanos mono = monoNow();
  if (mono - rateSince_ >= 500'000'000) {
    eventRate_ = double(rateEvents_) * 1e9 / double(mono - rateSince_);
    rateEvents_ = 0;
    rateSince_ = mono;
  }
  EngineSnapshot& s = snapshots_.back();
  s.seq = ++publishSeq_;
  s.builtMono = mono;
  s.builtWall = now();
  s.halted = halt_.halted();
  s.tradingState = halt_.state();
  s.haltReason = s.halted ? haltReason_ : s.tradingState == TradingState::Reducing ? reduceReason_ : std::string();
  s.haltedAt = s.halted ? haltedAt_ : 0;
  s.venues.resize(venues_.size());
  const bool tenthBeat = s.limitsEpoch != publishSeq_ / 10;  // the venues' summaries at 10 Hz (they lock)
  for (std::size_t i = 0; i < venues_.size(); ++i) {
    const VenueSlot& v = venues_[i];
    VenueRow& row = s.venues[i];
    row.id = VenueId(i);
    row.name = v.name;
    row.environment = v.environment;
    row.state = v.state;
    row.detail = v.detail;
    row.stateAt = v.stateAt;
    row.accounts = v.accounts;
    row.positionChecks = v.positionChecks;
    row.positionMismatches = v.positionMismatches;
    row.workingOrders = 0;
    if (tenthBeat) row.summary = v.venue->summary();
  }
  for (OrderId id : oms_->working())
    if (const Order* o = oms_->find(id)) ++s.venues[instruments_[o->request.instrument].venue].workingOrders;
  s.eventsTotal = market_->eventsTotal();
  s.eventsPerSecond = eventRate_;
  s.venueLagMs = venueLagMs_;
  s.staleEpisodes = market_->staleEpisodes();

  const std::size_t known = knownInstruments();  // the registry may grow meanwhile: our tables' size
  s.quotes.resize(known);
  for (InstrumentId id = 0; id < known; ++id) {
    const OrderBook& b = market_->book(id);
    const InstrumentStats& st = market_->stats(id);
    QuoteRow& q = s.quotes[id];
    q.instrument = id;
    q.bid = b.bestBid() ? b.bestBid()->price : 0;
    q.bidQty = b.bestBid() ? b.bestBid()->qty : 0;
    q.ask = b.bestAsk() ? b.bestAsk()->price : 0;
    q.askQty = b.bestAsk() ? b.bestAsk()->qty : 0;
    q.last = st.last;
    q.reference = st.reference;
    q.status = instruments_[id].kind == InstrumentKind::Index ? (st.last ? BookStatus::Live : BookStatus::Empty)
                                                                : b.status();
    q.staleReason = b.staleReason();
    q.fundingRate = st.fundingRate;
    q.nextFundingMs = st.nextFundingMs;
  }

  std::array<InstrumentId, kMaxFocusedInstruments> focus;
  s.focused.resize(focus_.read(focus, known));  // in the same order publish after publish: buffers reused
  for (std::size_t i = 0; i < s.focused.size(); ++i) fillFocusedMarket(focus[i], s.focused[i]);

  s.ordersVersion = oms_->version() + unresolvedChanges_;
  s.orders.clear();
  s.orders.insert(s.orders.end(), unresolved_.begin(), unresolved_.end());  // first: they need a look
  for (OrderId id : oms_->working()) s.orders.push_back(*oms_->find(id));
  std::sort(s.orders.begin(), s.orders.end(), [](const Order& a, const Order& b) {
    const bool ua = a.state == OrderState::Unknown, ub = b.state == OrderState::Unknown;
    return ua != ub ? ua : a.id > b.id;  // unknown ones on top, then newest first
  });
  std::size_t finished = 0;
  const auto& all = oms_->orders();
  for (auto it = all.rbegin(); it != all.rend() && finished < kSnapshotFinishedOrders; ++it) {
    if (isTerminal(it->state)) {
      s.orders.push_back(*it);
      ++finished;
    }
  }
  // Then the day's earlier sessions (newest first), from the journal.
  for (auto it = restoredOrders_.begin(); it != restoredOrders_.end() && finished < kSnapshotFinishedOrders; ++it, ++finished)
    s.orders.push_back(*it);
  s.fills.clear();
  const auto& fills = oms_->recentFills();
  const std::size_t fillFrom = fills.size() > kSnapshotFills ? fills.size() - kSnapshotFills : 0;
  const std::size_t live = fills.size() - fillFrom;
  if (live < kSnapshotFills && !restoredFills_.empty()) {  // oldest first: the earlier sessions' first
    const std::size_t room = std::min(restoredFills_.size(), kSnapshotFills - live);
    s.fills.assign(restoredFills_.end() - std::ptrdiff_t(room), restoredFills_.end());
  }
  s.fills.insert(s.fills.end(), fills.begin() + std::ptrdiff_t(fillFrom), fills.end());

  s.positions.clear();
  s.underlyings.resize(indexIds_.size());
  for (std::size_t u = 0; u < indexIds_.size(); ++u) {
    UnderlyingRow& row = s.underlyings[u];
    row.currency = instruments_[indexIds_[u]].baseCurrency;
    row.indexId = indexIds_[u];
    row.index = toDouble(market_->stats(indexIds_[u]).last);
    row.pnl = 0;
    row.pnlUsd = 0;
  }
  s.totalPnlUsd = 0;
  for (const Position& p : oms_->positions()) {
    if (p.flat() && p.boughtQty == 0 && p.soldQty == 0 && p.fees == 0) continue;
    const Instrument& inst = instruments_[p.instrument];
    PositionRow row;
    row.instrument = p.instrument;
    row.qty = p.qty;
    row.averagePrice = p.averagePrice(inst);
    row.mark = toDouble(market_->markPrice(p.instrument));
    row.unrealizedPnl = p.unrealizedPnl(inst, row.mark);
    row.realizedPnl = p.realizedPnl;
    row.fees = p.fees;
    row.unconfirmedQty = p.unconfirmedQty;
    // Inverse instruments settle in the coin (x index = USD); linear ones in USDT (taken at par),
    // which counts in the coin at the index: an underlying sums both venues' contracts.
    const double pnl = row.realizedPnl + row.unrealizedPnl - row.fees;
    const double usd = pnlInUsd(inst, pnl);
    const std::size_t u = underlyingOf_[p.instrument];
    if (u != SIZE_MAX) {
      UnderlyingRow& under = s.underlyings[u];
      under.pnl += coinSettled(inst) ? pnl : under.index > 0 && !std::isnan(usd) ? usd / under.index : 0.0;
      under.pnlUsd += std::isnan(usd) ? 0.0 : usd;
    }
    s.totalPnlUsd += std::isnan(usd) ? 0.0 : usd;
    s.positions.push_back(row);
  }
  s.indexPrice = s.underlyings.empty() ? 0.0 : s.underlyings.front().index;
  s.analytics = latestAnalytics_;
  // Each of the three snapshot slots keeps its own copy: refresh it when the host changed since
  // this slot was last filled, and every 10th publish anyway (PnL moves with the marks).
  // Limits and triggers at 10 Hz (bars, not numbers to trade on): each of the three snapshot slots
  // is refreshed once per epoch of 10 publishes, so whichever the GUI holds is at most 100 ms old.
  if (s.limitsEpoch != publishSeq_ / 10) {
    s.limitsEpoch = publishSeq_ / 10;
    gate_.limits().usage(now(), *oms_, &s.limits);
    // max_gas_per_day accumulates at the on-chain venues (they count their receipts): its use is
    // theirs — a venue's row its own, the account's row all of them.
    for (LimitUse& u : s.limits) {
      if (u.limit != Limit::MaxGasPerDay) continue;
      double paid = 0;
      bool known = false;
      for (const VenueSlot& v : venues_) {
        const double g = v.venue->summary().gasPaidToday;
        if (std::isnan(g) || (u.scope != "account" && u.scope != "venue " + v.name)) continue;
        paid += g;
        known = true;
      }
      if (known) u.use = paid;
    }
    s.orderQtyCap.resize(known);
    for (InstrumentId id = 0; id < known; ++id)
      s.orderQtyCap[id] = gate_.limits().orderLimitValue(Limit::MaxOrderQty, id);
    s.triggers.clear();
    for (std::size_t i = 0; i < kTriggerCount; ++i) {
      const Trigger t = Trigger(i);
      const double value = t == Trigger::DailyLoss ? std::max(0.0, -monitor_.dayPnl())
                           : t == Trigger::Drawdown ? monitor_.drawdown()
                           : t == Trigger::StaleData ? monitor_.staleMs(monoNow())
                           : t == Trigger::RejectRate ? monitor_.rejectRate()
                           : t == Trigger::EngineLag ? monitor_.lagMs()
                                                     : 0.0;
      s.triggers.push_back({t, riskConfig_.triggers[i], value, monitor_.fired(t)});
    }
    s.riskSource = riskConfig_.source;
    s.riskError = riskConfigRefused_ && riskError_.empty() ? "the limits were refused at start: RESUME is refused" : riskError_;
    s.dayPnlBtc = monitor_.dayPnl();
    s.drawdownBtc = monitor_.drawdown();
  }
  if (s.breachesVersion != gate_.breaches().version()) {
    s.breaches = gate_.breaches().entries();
    s.breachesVersion = gate_.breaches().version();
  }
  if (s.strategiesVersion != strategies_->version() || publishSeq_ % 10 == 0) {
    strategies_->rows(&s.plugins, &s.strategies);
    s.riskEvents = strategies_->riskEvents();
    s.strategiesVersion = strategies_->version();
  }
  s.ordersTotal = oms_->ordersTotal();
  s.fillsTotal = oms_->fillsTotal();
  s.rejectsTotal = oms_->rejectsTotal();
  s.lastReject = oms_->lastReject();
  snapshots_.publish();
}

}  // namespace kappa
