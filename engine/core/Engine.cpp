#include "core/Engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "journal/JournalReplay.hpp"
#include "risk/RiskConfigFile.hpp"

#include <nlohmann/json.hpp>

namespace kappa {
namespace {
// An order as a restart reads it from the journal (the day's history, or one left unresolved).
Order journaledOrder(OrderId id, InstrumentId instrument, Side side, Price price, Qty qty, Qty filled,
                     std::uint32_t strategy, std::string text) {
  Order o;
  o.id = id;
  o.request.instrument = instrument;
  o.request.side = side;
  o.request.price = price;
  o.request.qty = qty;
  o.request.strategy = strategy;
  o.request.tag = std::move(text);
  o.filled = filled;
  return o;
}

constexpr auto kPublishInterval = std::chrono::milliseconds(10);  // 100 Hz; the GUI draws at <= 60
constexpr auto kAnalyticsInterval = std::chrono::milliseconds(100);  // option analytics at <= 10 Hz
}

const char* nameOf(VenueState s) {
  switch (s) {
    case VenueState::Disconnected: return "disconnected";
    case VenueState::Connecting: return "connecting";
    case VenueState::Connected: return "connected";
    case VenueState::Degraded: return "degraded";
  }
  return "?";
}

Engine::Engine(std::unique_ptr<Venue> venue, StrategyHostConfig strategyConfig)
    : work_(boost::asio::make_work_guard(io_)),
      publishTimer_(io_),
      analyticsTimer_(io_),
      venue_(std::move(venue)),
      gate_(instruments_, halt_) {
  venueName_ = venue_->name();
  {  // for the status bar: "testnet", "mainnet" or the URL; empty for the embedded simulator
    const VenueSummary v = venue_->summary();
    venueEnvironment_ = v.environment == "embedded" ? "" : v.environment == "custom" ? v.endpoint : v.environment;
  }
  venue_->setId(0);
  venue_->listInstruments(instruments_);
  market_ = std::make_unique<MarketData>(instruments_);
  oms_ = std::make_unique<OrderManager>(instruments_, gate_);
  oms_->setVenue(venue_.get());
  market_->onSnapshotNeeded([this](InstrumentId id) { venue_->requestSnapshot(id); });
  for (const Instrument& inst : instruments_.all()) market_->seedHistory(inst.id, venue_->history(inst.id));
  for (const Instrument& inst : instruments_.all())
    if (inst.kind == InstrumentKind::Perpetual) { focus_ = inst.id; break; }
  for (const Instrument& inst : instruments_.all())
    if (inst.kind == InstrumentKind::Index) indexIds_.push_back(inst.id);
  underlyingOf_.assign(instruments_.size(), SIZE_MAX);
  for (const Instrument& inst : instruments_.all()) underlyingOf_[inst.id] = underlyingSlotOf(inst);
  strategies_ = std::make_unique<StrategyHost>(
      StrategyHost::Services{instruments_, *market_, *oms_, halt_, [this] { return now(); }, io_.get_executor(),
                             latestAnalytics_},
      strategyConfig);
  oms_->setListener([this](const Order& o, const Fill* f) { onOrderEvent(o, f); });
  analytics_ = std::make_unique<analytics::AnalyticsWorker>(io_.get_executor(), [this](analytics::AnalyticsWorker::Result r) {
    latestAnalytics_ = std::move(r);
    gate_.limits().onAnalytics(oms_->positions());
    checkGreeks();
    strategies_->onChainAnalytics();
  });
  // The risk engine: the documented defaults until setRiskConfig() (risk.json, --risk).
  gate_.limits().bindMarket(market_.get());
  gate_.limits().bindAnalytics(&latestAnalytics_);
  gate_.limits().setStrategyKeys([this](std::uint32_t id) { return strategies_->strategyIdOf(id); });
  strategies_->setFaultListener([this](const std::string& instance, const std::string& why) {
    applyTrigger(monitor_.onStrategyFault(instance, why));
  });
  riskConfig_ = RiskConfig::defaults();
  riskConfig_.source = "defaults";
  gate_.limits().configure(riskConfig_);
  monitor_.configure(riskConfig_.triggers);
}

std::size_t Engine::underlyingSlotOf(const Instrument& inst) const {
  // Its index by underlyingId; a venue that does not link instruments to an index gets the
  // index of the same base currency (btc_usd for every BTC-... instrument).
  const InstrumentId index = inst.kind == InstrumentKind::Index ? inst.id : inst.underlyingId;
  auto it = std::find(indexIds_.begin(), indexIds_.end(), index);
  if (it == indexIds_.end())
    it = std::find_if(indexIds_.begin(), indexIds_.end(),
                      [&](InstrumentId i) { return instruments_[i].baseCurrency == inst.baseCurrency; });
  return it == indexIds_.end() ? SIZE_MAX : std::size_t(it - indexIds_.begin());
}

// ---- instruments that come and go while running (engine thread) ------------------------------
// A venue adds a new instrument to the shared registry on its own thread (ids of several venues
// interleave), then tells the engine here, before any market data for it (the VenueInbox delivers
// the change first). Every per-instrument table grows here, on the engine thread, to the registry's
// size: a change from one venue may find ids of another venue's listing already added and not yet
// announced; they are set up now and their own announcement finds them ready. Readers on other
// threads (GUI, analytics worker) see a new id once the registry publishes its size.
void Engine::growToRegistry() {
  const std::size_t n = instruments_.size();
  if (underlyingOf_.size() >= n) return;
  market_->grow();
  oms_->grow();
  strategies_->grow();
  gate_.limits().grow();  // the new ones' limits resolved now; the counters of the others kept
  for (std::size_t id = underlyingOf_.size(); id < n; ++id) {
    underlyingOf_.push_back(underlyingSlotOf(instruments_[InstrumentId(id)]));
    if (journal_) journal_->addInstrument(InstrumentId(id), instruments_[InstrumentId(id)].name);
  }
}

void Engine::onInstrumentChange(const InstrumentChange& change) {
  const Instrument& inst = change.instrument;
  if (change.kind == InstrumentChange::Kind::Listed) {
    if (inst.id >= instruments_.size() || instruments_[inst.id].name != inst.name) {
      log::error("engine", "instrument " + inst.name + " listed with id " + std::to_string(inst.id) +
                               ", which the registry does not hold: ignored");
      return;
    }
    if (inst.kind == InstrumentKind::Index) {  // a new underlying would need its own chain: not supported
      log::warn("engine", "index " + inst.name + " listed while running: ignored");
      return;
    }
    growToRegistry();
    log::info("engine", "instrument listed: " + inst.name);
    journalNote(JournalKind::RiskEvent, now(), "instrument listed: " + inst.name);
    return;
  }
  const InstrumentId id = inst.id;
  if (id >= instruments_.size() || instruments_[id].name != inst.name) {
    log::warn("engine", "retirement of unknown instrument " + inst.name + " ignored");
    return;
  }
  growToRegistry();
  // The venue flags it retired in the registry itself; the engine acts once per retirement.
  if (!retiredSeen_.insert(id).second) return;
  instruments_.retire(id);
  const std::string reason = change.reason.empty() ? std::string("expired/settled") : change.reason;
  market_->retire(id);
  // Working orders on it cannot trade any more: they end cancelled with the reason (the venue's
  // own cancellation, if it comes later, finds them finished and changes nothing).
  std::vector<OrderId> working;
  for (OrderId o : oms_->working())
    if (const Order* order = oms_->find(o); order && order->request.instrument == id) working.push_back(o);
  for (OrderId o : working) {
    ExecReport r;
    r.orderId = o;
    r.type = ExecType::Cancelled;
    r.ts = now();
    r.reason = instruments_[id].name + " " + reason;
    onExecution(r);
  }
  log::info("engine", "instrument retired: " + inst.name + " (" + reason + ")");
  journalNote(JournalKind::RiskEvent, now(), "instrument retired: " + inst.name + " (" + reason + ")");
}

void Engine::onOrderEvent(const Order& o, const Fill* f) {
  strategies_->onOrderChanged(o, f);
  if (!f) return;
  if (journal_) {  // the position the fill left: what an audit (or a reconciliation) compares against
    const Position& p = oms_->positions()[o.request.instrument];
    JournalRecord r;
    r.kind = JournalKind::PositionSnapshot;
    r.ts = f->ts;
    r.instrument = o.request.instrument;
    r.strategy = o.request.strategy;
    r.side = p.qty >= 0 ? Side::Buy : Side::Sell;
    r.qty = toFixed(std::abs(p.qty));
    r.value = p.realizedPnl;
    r.text = "after fill of order " + std::to_string(o.id) + "; fees " + std::to_string(p.fees);
    journal_->append(std::move(r));
  }
  if (std::find(traded_.begin(), traded_.end(), o.request.instrument) == traded_.end())
    traded_.push_back(o.request.instrument);
  checkEquity();
  checkGreeks();
}

double Engine::equityInFirstCoin() const {
  // The triggers' unit is the first underlying's coin (BTC): another coin's PnL counts at the ratio
  // of the two indices (an ETH PnL of 1 ETH at 3,500 / 67,000 is 0.052 BTC).
  const double first = indexIds_.empty() ? 0.0 : toDouble(market_->stats(indexIds_.front()).last);
  double equity = 0;
  for (InstrumentId id : traded_) {
    const Position& p = oms_->positions()[id];
    const double mark = toDouble(market_->markPrice(id));
    double pnl = p.realizedPnl - p.fees + (p.qty != 0 && mark > 0 ? p.unrealizedPnl(instruments_[id], mark) : 0.0);
    const std::size_t u = underlyingOf_[id];
    if (u != SIZE_MAX && u != 0) {
      const double own = toDouble(market_->stats(indexIds_[u]).last);
      pnl = own > 0 && first > 0 ? pnl * own / first : 0.0;  // no index yet: nothing to convert with
    }
    equity += pnl;
  }
  return equity;
}

void Engine::checkEquity() {
  applyTrigger(monitor_.onEquity(equityInFirstCoin(), now()));
  if (monitor_.day() != journaledEquityDay_ && journal_) {  // a new day began: its start, for a restart
    journaledEquityDay_ = monitor_.day();
    journalNote(JournalKind::PositionSnapshot, now(), "day start equity", monitor_.dayStart());
  }
}

void Engine::checkGreeks() {
  const PreTradeLimits& l = gate_.limits();
  for (std::size_t u = 0; u < l.underlyings().size(); ++u)
    applyTrigger(monitor_.onGreeks(l.underlyings()[u], l.netGreeks(u), l.greekLimit(u, Limit::MaxNetDelta),
                                   l.greekLimit(u, Limit::MaxNetGamma), l.greekLimit(u, Limit::MaxNetVega)));
}

void Engine::checkBeat(double engineLagMs) {
  const Nanos mono = monoNow();
  monitor_.onBeat(mono, oms_->sentTotal());
  std::vector<std::string> stale;
  for (OrderId id : oms_->working()) {
    const InstrumentId inst = oms_->find(id)->request.instrument;
    if (!market_->book(inst).live() && std::find(stale.begin(), stale.end(), instruments_[inst].name) == stale.end())
      stale.push_back(instruments_[inst].name);
  }
  applyTrigger(monitor_.onStaleBooks(stale, mono));
  applyTrigger(monitor_.onLag(engineLagMs, venueLagMs_));
  if (venueLagSamples_.size() < 4'000'000) venueLagSamples_.push_back(venueLagMs_);
  const TriggerSetting& lag = monitor_.setting(Trigger::EngineLag);
  lagNowMs_.store(monitor_.lagMs(), std::memory_order_relaxed);
  lagLimitMs_.store(lag.action == TriggerAction::Off ? std::numeric_limits<double>::infinity() : lag.threshold,
                    std::memory_order_relaxed);
}

void Engine::applyTrigger(const std::optional<TriggerFiring>& firing) {
  if (!firing || firing->action == TriggerAction::Off) return;
  const Nanos at = now();
  gate_.breaches().record(at, nameOf(firing->trigger), "account", firing->reason, true, nameOf(firing->action));
  journalNote(JournalKind::RiskEvent, now(), "trigger " + firing->reason + " -> " + nameOf(firing->action));
  if (firing->action == TriggerAction::Halt) {
    if (!halt_.halted()) haltAll("trigger " + firing->reason);
  } else if (halt_.state() == TradingState::Active) {
    reduceOnly("trigger " + firing->reason);
  }
}

void Engine::journalNote(JournalKind kind, Nanos at, std::string text, double value) {
  if (!journal_) return;
  JournalRecord r;
  r.kind = kind;
  r.ts = at;
  r.value = value;
  r.text = std::move(text);
  journal_->append(std::move(r));
}

void Engine::setRiskConfig(RiskConfig config) {
  auto apply = [this, config = std::move(config)]() mutable {
    riskConfig_ = std::move(config);
    journalNote(JournalKind::LimitChange, now(), "limits from " + riskConfig_.source);
    reapplyLimitChanges();
    gate_.limits().configure(riskConfig_);
    monitor_.configure(riskConfig_.triggers);
  };
  if (running_) boost::asio::post(io_, std::move(apply));
  else apply();
}

void Engine::refuseRiskConfig(std::string error) {
  riskConfigRefused_ = true;
  riskError_ = error;
  log::error("risk", "HALTED at start: risk limits refused: " + error);
  haltAll("risk limits refused: " + error);
}

void Engine::reapplyLimitChanges() {
  // Switches made at run time in the last session stay switched (re-journaled for the next).
  for (const std::string& change : restoredLimitChanges_) {
    const std::string assignment = change.substr(0, change.find(" (by "));
    std::string error;
    if (applyRiskOverride(&riskConfig_, assignment, &error)) {
      journalNote(JournalKind::LimitChange, now(), assignment + " (by restart: switched in the last session)");
      log::info("risk", "limit switch restored from the journal: " + assignment);
    } else {
      // The trader switched a limit last session and it cannot be switched again (a damaged row,
      // or a value this kappa refuses). It may have been a tightening: trading on without it
      // would trade on limits nobody chose. HALTED, with the row named; the limits in force are
      // risk.json's, shown in the Risk tab, and the trader may switch it again and RESUME.
      // (Applied twice at start, over the defaults and over risk.json: reported once.)
      if (error.rfind("--risk ", 0) == 0) error.erase(0, 7);  // it came from the journal, not --risk
      if (std::find(limitChangesNotRestored_.begin(), limitChangesNotRestored_.end(), change) !=
          limitChangesNotRestored_.end())
        continue;
      limitChangesNotRestored_.push_back(change);
      log::error("risk", "journal limit switch not restored: " + error);
      if (limitChangesNotRestored_.size() == 1)
        haltAll("restart: a limit switch of the last session cannot be restored (" + error +
                "): check the limits before resuming");
    }
  }
}

void Engine::changeRiskLimit(std::string assignment, std::string who) {
  boost::asio::post(io_, [this, assignment = std::move(assignment), who = std::move(who)] {
    RiskConfig changed = riskConfig_;
    std::string error;
    if (!applyRiskOverride(&changed, assignment, &error)) {
      riskError_ = error;
      log::warn("risk", error);
      return;
    }
    riskError_.clear();
    riskConfig_ = std::move(changed);
    gate_.limits().configure(riskConfig_);
    monitor_.configure(riskConfig_.triggers);
    journalNote(JournalKind::LimitChange, now(), assignment + " (by " + who + ")");
    log::info("risk", "limit changed: " + assignment + " (by " + who + ")");
  });
}

Engine::~Engine() {
  stop();
  // A thread stuck inside a plugin still executes that plugin's code: unloading it (dlclose)
  // would crash the process under it. The host and its modules are left to the process exit.
  if (stuck()) static_cast<void>(strategies_.release());
}

void Engine::start() {
  if (running_.exchange(true)) return;
  rateSince_ = monoNow();
  thread_ = std::thread([this] {
    venue_->connect(*this, io_.get_executor());
    schedulePublish();
    scheduleAnalytics();
    io_.run();
  });
}

void Engine::stop() {
  if (!running_.exchange(false)) return;
  if (stuck()) {
    // A plugin callback never returned: the engine thread cannot be joined. Leave it (and what
    // it uses) to the process exit; the caller should exit promptly.
    log::error("engine", "engine thread stuck in a plugin: not joined");
    thread_.detach();
    return;
  }
  // Strategies stop on the engine thread (their on_stop, their cancels) before it ends.
  auto stopped = std::make_shared<std::promise<void>>();  // outlives this frame if we give up waiting
  boost::asio::post(io_, [this, stopped] {
    // Instances end here (on_stop, destroy, their cancels); the libraries are unloaded (deinit,
    // dlclose) on the loader thread, which finishes before it is joined.
    for (auto& m : strategies_->removeAllModules())
      if (loader_) loader_->unload(std::move(m));
    publishTimer_.cancel();
    analyticsTimer_.cancel();
    stopped->set_value();
  });
  if (stopped->get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready || stuck()) {
    log::error("engine", "strategies did not stop within 5 s: engine thread not joined");
    thread_.detach();
    return;
  }
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  analytics_.reset();  // joins the analytics thread; its last result, if any, is simply dropped
  venue_->disconnect();  // the engine thread is gone: no concurrent venue calls remain
}

void Engine::submit(OrderRequest request) {
  boost::asio::post(io_, [this, r = std::move(request)] { oms_->submit(r, now()); });
}

void Engine::cancel(OrderId id) {
  boost::asio::post(io_, [this, id] {
    std::string why;
    if (!oms_->cancel(id, now(), &why, /*limited=*/true)) log::warn("oms", "cancel " + std::to_string(id) + " refused: " + why);
  });
}

void Engine::cancelAll(InstrumentId only) {
  boost::asio::post(io_, [this, only] { oms_->cancelAll(now(), only); });
}

void Engine::replace(OrderId id, Price newPrice, Qty newQty) {
  boost::asio::post(io_, [this, id, newPrice, newQty] { oms_->replace(id, newPrice, newQty, now()); });
}

void Engine::haltAll(std::string reason) {
  halt_.halt();  // from this instant the gate refuses every new order, whatever is still queued
  const Nanos at = now();
  boost::asio::post(io_, [this, reason = std::move(reason), at] {
    haltReason_ = reason;
    haltedAt_ = at;
    ++halts_;
    journalNote(JournalKind::StateChange, at, "HALTED: " + reason);
    strategies_->stopAll("halted: " + haltReason_);
    const std::size_t n = oms_->cancelEverything(now());
    log::warn("risk", "HALTED (" + haltReason_ + "): cancelling " + std::to_string(n) + " open orders");
  });
}

void Engine::reduceOnly(std::string reason) {
  halt_.reduceOnly();
  const Nanos at = now();
  boost::asio::post(io_, [this, reason = std::move(reason), at] {
    log::warn("risk", "REDUCING (" + reason + "): only orders that reduce a position pass");
    journalNote(JournalKind::StateChange, at, "REDUCING: " + reason);
  });
}

void Engine::flatten(std::string reason) {
  if (journal_ && journal_->failed()) {  // never trade unrecorded
    log::error("risk", "FLATTEN refused: " + journal_->failure());
    return;
  }
  // REDUCING from this instant (from HALTED without an ACTIVE instant in between).
  if (halt_.halted()) halt_.haltedToReducing();
  else halt_.reduceOnly();
  const Nanos at = now();
  boost::asio::post(io_, [this, reason = std::move(reason), at] {
    journalNote(JournalKind::StateChange, at, "REDUCING: FLATTEN (" + reason + ")");
    strategies_->stopAll("flatten: " + reason);
    oms_->cancelEverything(now());
    std::size_t sent = 0;
    for (const Position& p : oms_->positions()) {
      const Instrument& inst = instruments_[p.instrument];
      if (p.qty == 0 || inst.kind == InstrumentKind::Index) continue;
      const Side side = p.qty > 0 ? Side::Sell : Side::Buy;
      const OrderBook& book = market_->book(inst.id);
      const Level* touch = side == Side::Sell ? book.bestBid() : book.bestAsk();
      if (!book.live() || !touch) {
        log::warn("risk", "FLATTEN: no live market for " + inst.name + ": its position stays");
        continue;
      }
      // Through the book up to half the price band (options: at the touch), so the IOC takes
      // what liquidity there is without ever leaving the band.
      Price price = touch->price;
      const double band = gate_.limits().orderLimitValue(Limit::PriceBand, inst.id);
      const double ref = toDouble(market_->markPrice(inst.id));
      if (!inst.isOption() && !std::isnan(band) && ref > 0) {
        const double edge = ref * (1.0 + (side == Side::Buy ? 0.5 : -0.5) * band);
        const Price ticks = side == Side::Buy ? Price(std::floor(edge / toDouble(inst.tickSize)))
                                              : Price(std::ceil(edge / toDouble(inst.tickSize)));
        price = side == Side::Buy ? std::max(price, ticks * inst.tickSize) : std::min(price, ticks * inst.tickSize);
      }
      Qty remaining = Qty(std::llround(std::abs(p.qty) * double(kFixedScale))) / inst.minQty * inst.minQty;
      // Chunks fit the size and notional limits (options: 100 contracts can be worth far more than
      // the notional limit).
      double maxQty = gate_.limits().orderLimitValue(Limit::MaxOrderQty, inst.id);
      const double maxNotional = gate_.limits().orderLimitValue(Limit::MaxOrderNotional, inst.id);
      const double unitNotional = gate_.limits().notional(inst.id, 1.0, toDouble(price));
      if (!std::isnan(maxNotional) && unitNotional > 0)
        maxQty = std::isnan(maxQty) ? maxNotional / unitNotional : std::min(maxQty, maxNotional / unitNotional);
      Qty chunk = std::isnan(maxQty) ? remaining : toFixed(maxQty) / inst.minQty * inst.minQty;
      if (inst.maxQty > 0) chunk = std::min(chunk, inst.maxQty);
      for (int n = 0; remaining > 0 && chunk > 0 && n < 20; ++n) {
        OrderRequest r;
        r.instrument = inst.id;
        r.side = side;
        r.type = OrderType::Limit;
        r.tif = TimeInForce::ImmediateOrCancel;
        r.price = price;
        r.qty = std::min(remaining, chunk);
        r.origin = OrderOrigin::System;
        r.tag = "flatten";
        remaining -= r.qty;
        const Order* o = oms_->find(oms_->submit(r, now()));
        if (!o || o->state == OrderState::Rejected)
          log::warn("risk", "FLATTEN " + inst.name + ": " + (o ? o->reason : oms_->lastReject()));
        else ++sent;
      }
    }
    log::warn("risk", "FLATTEN (" + reason + "): " + std::to_string(sent) + " reducing orders sent");
  });
}

std::string Engine::resume() {
  auto refuse = [](std::string why) {
    log::error("risk", "resume refused: " + why);
    return why;
  };
  if (stuck())  // the engine thread is inside a plugin that never returned: nothing can run
    return refuse(watchdogAlarm());
  if (journal_ && journal_->failed())  // never trade unrecorded
    return refuse(journal_->failure());
  if (riskConfigRefused_)  // never trade on guessed limits
    return refuse("the risk limits were refused at start: fix risk.json (or --risk) and restart");
  if (const double lag = lagNowMs_.load(std::memory_order_relaxed), limit = lagLimitMs_.load(std::memory_order_relaxed);
      lag > limit) {
    char text[160];
    std::snprintf(text, sizeof text, "the engine or its market data is still %.0f ms late (engine_lag limit %.0f ms): "
                  "resume is possible once it is back under", lag, limit);
    return refuse(text);
  }
  if (idsExhausted_)  // no order could be made without repeating an id
    return refuse("order ids exhausted (the journal holds the last one)");
  halt_.resume();
  boost::asio::post(io_, [this] {
    if (halt_.halted()) return;  // halted again since
    monitor_.rearm();
    log::info("risk", "trading resumed after halt (" + haltReason_ + ")");
    journalNote(JournalKind::StateChange, now(), "ACTIVE: resumed after " + haltReason_);
    haltReason_.clear();
    haltedAt_ = 0;
  });
  return {};
}

void Engine::onMarketData(const MdEvent* events, std::size_t n) {
  const Nanos arrived = wallNow();
  market_->apply(events, n);
  if (!traded_.empty()) checkEquity();  // marks moved: daily loss and drawdown on every batch
  strategies_->onMarketData(events, n, arrived);
  rateEvents_ += n;
  // The newest event that carries the venue's time: a venue's own markers (books stale while it is
  // disconnected) have none, and counting them as sent at the epoch read as decades of lag.
  std::size_t last = n;
  while (last > 0 && events[last - 1].ts == 0) --last;
  if (last) {
    // The smallest (wall - event) offset seen is the clocks' difference plus the best-case delivery;
    // anything above it is queueing: that is the venue lag shown to the user.
    const Nanos offset = arrived - events[last - 1].ts;
    if (!offsetKnown_ || offset < clockOffset_.load(std::memory_order_relaxed)) {
      clockOffset_.store(offset, std::memory_order_relaxed);
      offsetKnown_ = true;
    }
    venueLagMs_ = double(offset - clockOffset_.load(std::memory_order_relaxed)) / 1e6;
  }
}

bool Engine::resolveUnresolved(const ExecReport& r) {
  auto it = std::find_if(unresolved_.begin(), unresolved_.end(), [&](const Order& o) { return o.id == r.orderId; });
  if (it == unresolved_.end()) return false;
  ++unresolvedChanges_;
  Order& o = *it;
  UnresolvedProgress& progress = unresolvedProgress_[o.id];
  progress.answered = true;
  const Instrument& inst = instruments_[o.request.instrument];
  auto record = [&](JournalKind kind, Price price, Qty qty, double value, std::string text) {
    if (journal_) journalOrderFact(*journal_, kind, o, now(), price, qty, value, std::move(text));
  };
  bool closed = true;
  switch (r.type) {
    case ExecType::Fill: {
      // It traded: a fact, into the position. The venue's fills for an earlier session's order add
      // up to all the order filled there (it cannot know what our journal booked), so only the
      // part beyond the journal's is booked: a fill the last session journaled is never booked
      // twice, and one it never heard of (made while it was dying) is booked once.
      const Qty before = progress.reported;
      progress.reported += r.qty;
      const Qty missing = progress.reported - std::max(before, progress.journaled);
      if (missing > 0) {
        const double fee = r.qty > 0 ? r.fee * double(missing) / double(r.qty) : 0.0;
        oms_->restoreFill(inst, o.request.side, missing, r.price, fee);
        if (std::find(traded_.begin(), traded_.end(), inst.id) == traded_.end()) traded_.push_back(inst.id);
        record(JournalKind::Fill, r.price, missing, fee, "reconciled after restart");
        o.filled += missing;
      }
      o.leaves = r.leaves;
      closed = r.leaves <= 0;
      if (closed) log::info("journal", "order " + std::to_string(o.id) + " (" + inst.name + ") was filled while kappa was down");
      break;
    }
    case ExecType::Cancelled:
    case ExecType::Reject:
      record(JournalKind::Cancelled, 0, o.filled, 0, "reconciled after restart: " + r.reason);
      log::info("journal", "order " + std::to_string(o.id) + " (" + inst.name + ") of an earlier session: " + r.reason);
      break;
    default:  // working at the venue: this session does not manage it; it stays listed
      o.reason = "working at the venue, placed by an earlier session (not managed by this one)";
      closed = false;
      break;
  }
  if (closed) {
    unresolvedProgress_.erase(o.id);
    unresolved_.erase(it);
  }
  queryPositionsOnceOrdersAnswered();
  return true;
}

void Engine::onExecution(const ExecReport& report) {
  if (!unresolved_.empty() && resolveUnresolved(report)) return;
  oms_->onExecution(report);
  if (report.type == ExecType::Reject)
    applyTrigger(monitor_.onVenueReject(monoNow(), oms_->sentTotal()));
}

void Engine::onVenueState(VenueState state, const std::string& detail) {
  venueStateAt_ = now();  // the countdown in the detail ("next retry in 4 s") counts from here
  venueState_ = state;
  venueDetail_ = detail;
  log::info("venue", venueName_ + ": " + nameOf(state) + (detail.empty() ? "" : " (" + detail + ")"));
  if (state == VenueState::Disconnected) {
    market_->markAllStale(StaleReason::VenueDown);
    positionsAsked_ = false;  // an answer lost with the connection: ask again on the next one
  }
  if (state == VenueState::Connected && !unresolved_.empty()) {  // ask the venue about them
    std::vector<OrderId> ids;
    for (const Order& o : unresolved_) ids.push_back(o.id);
    venue_->queryOrders(ids);
  }
  if (state == VenueState::Connected) queryPositionsOnceOrdersAnswered();
}

// Restart: the venue's positions are asked for once a run (their answer wins over the journal's),
// and only after the venue has answered for every order the journal could not close. Those
// answers book the fills the journal lacks, each with its order; the positions then catch only
// what no order explains. Asked sooner, a fill of such an order would be booked twice: once as
// the position's difference and again when its order's answer came.
void Engine::queryPositionsOnceOrdersAnswered() {
  if (positionsReconciled_ || positionsAsked_ || venueState_ != VenueState::Connected || !venue_->reportsPositions()) return;
  for (const auto& [id, progress] : unresolvedProgress_)
    if (!progress.answered) return;
  positionsAsked_ = true;
  venue_->queryPositions();
}

// The latest per currency replaces the one before; a venue that never calls this has none.
void Engine::onAccount(const VenueAccount& account) {
  // Kept sorted by currency (a stable order on screen: BTC, ETH): a new one is inserted in place.
  auto it = std::lower_bound(accounts_.begin(), accounts_.end(), account.currency,
                             [](const AccountRow& r, const std::string& c) { return r.account.currency < c; });
  if (it == accounts_.end() || it->account.currency != account.currency) it = accounts_.insert(it, AccountRow{});
  it->account = account;
  it->receivedAt = now();
}

// Restart: the venue's account is the truth. A position the journal disagrees with is brought to
// the venue's by a journaled reconciliation fill (at the venue's average price, else the mark), so
// positions, the journal and the next restart all agree; the difference is logged and journaled.
//
// After a reconnect within the run the venue sends its positions again, once its fills of the time
// away have come in as execution reports (the connector asks for positions last, on the same
// connection, so those reports reach the engine first). Then the two are only compared: a
// difference means a fill was lost or doubled somewhere, which the trader must hear about at once
// (logged, journaled, counted in the report), but changing a live position behind the strategies'
// backs could double a fill that is merely in flight.
void Engine::onPositions(const std::vector<VenuePosition>& venuePositions) {
  std::vector<double> venueQty(instruments_.size(), 0.0);
  std::vector<Price> venuePrice(instruments_.size(), 0);
  for (const VenuePosition& p : venuePositions)
    if (p.instrument < instruments_.size() && std::isfinite(p.qty)) {
      venueQty[p.instrument] = p.qty;
      venuePrice[p.instrument] = p.averagePrice;
    }
  if (positionsReconciled_) {
    ++positionChecks_;
    for (const Instrument& inst : instruments_.all()) {
      const double ours = oms_->positions()[inst.id].qty;
      if (toFixed(std::abs(venueQty[inst.id] - ours)) == 0) continue;
      ++positionMismatches_;
      const std::string what = inst.name + ": ours " + std::to_string(ours) + ", venue " + std::to_string(venueQty[inst.id]);
      log::error("venue", "position differs from the venue's after reconnecting: " + what);
      journalNote(JournalKind::RiskEvent, now(), "position differs from the venue's after reconnecting: " + what);
    }
    return;
  }
  positionsReconciled_ = true;
  for (const Instrument& inst : instruments_.all()) {
    const double ours = oms_->positions()[inst.id].qty;
    const double diff = venueQty[inst.id] - ours;
    const Qty qty = toFixed(std::abs(diff));
    if (qty == 0) continue;
    const Price price = venuePrice[inst.id] > 0 ? venuePrice[inst.id] : market_->markPrice(inst.id);
    const std::string what = inst.name + ": journal " + std::to_string(ours) + ", venue " + std::to_string(venueQty[inst.id]);
    if (price <= 0) {
      log::error("journal", "position differs from the venue's and no price is known to reconcile it: " + what);
      journalNote(JournalKind::RiskEvent, now(), "position differs from the venue's (not reconciled, no price): " + what);
      continue;
    }
    const Side side = diff > 0 ? Side::Buy : Side::Sell;
    oms_->restoreFill(inst, side, qty, price, 0.0);
    if (std::find(traded_.begin(), traded_.end(), inst.id) == traded_.end()) traded_.push_back(inst.id);
    log::warn("journal", "position reconciled with the venue at restart (the venue's wins): " + what);
    journalNote(JournalKind::RiskEvent, now(), "position reconciled with the venue at restart: " + what);
    if (journal_) {
      JournalRecord r;
      r.kind = JournalKind::Fill;
      r.ts = now();
      r.instrument = inst.id;
      r.side = side;
      r.price = price;
      r.qty = qty;
      r.text = "reconciled with the venue's position at restart";
      journal_->append(std::move(r));
    }
  }
}

void Engine::schedulePublish() {
  publishTimer_.expires_after(kPublishInterval);
  publishTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // How late the beat runs is how long the engine loop was busy elsewhere: its lag.
    const double lateMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - publishTimer_.expiry()).count();
    checkBeat(lateMs);
    publish();
    schedulePublish();
  });
}

void Engine::scheduleAnalytics() {
  analyticsTimer_.expires_after(kAnalyticsInterval);
  analyticsTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
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
  for (const Instrument& inst : instruments_.all()) {
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

void Engine::publish() {
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
  s.haltReason = s.halted ? haltReason_ : std::string();
  s.haltedAt = s.halted ? haltedAt_ : 0;
  s.venueState = venueState_;
  s.venueDetail = venueDetail_;
  s.venueStateAt = venueStateAt_;
  s.accounts = accounts_;
  s.eventsTotal = market_->eventsTotal();
  s.eventsPerSecond = eventRate_;
  s.venueLagMs = venueLagMs_;
  s.staleEpisodes = market_->staleEpisodes();

  s.quotes.resize(instruments_.size());
  for (InstrumentId id = 0; id < instruments_.size(); ++id) {
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
  }

  const InstrumentId focus = focus_.load(std::memory_order_relaxed);
  s.depth.instrument = focus;
  s.depth.bids.clear();
  s.depth.asks.clear();
  s.trades.clear();
  s.candles.clear();
  if (focus < instruments_.size()) {
    const OrderBook& b = market_->book(focus);
    s.depth.bids.resize(kDepthLevels);
    s.depth.asks.resize(kDepthLevels);
    s.depth.bids.resize(b.topN(Side::Buy, kDepthLevels, s.depth.bids.data()));
    s.depth.asks.resize(b.topN(Side::Sell, kDepthLevels, s.depth.asks.data()));
    s.depth.changeId = b.changeId();
    s.depth.status = instruments_[focus].kind == InstrumentKind::Index ? BookStatus::Live : b.status();
    s.depth.staleReason = b.staleReason();
    market_->tape(focus).since(0, [&](const TradePrint& t) { s.trades.push_back(t); });
    const auto& bars = market_->candles(focus).bars();
    const std::size_t from = bars.size() > kSnapshotCandles ? bars.size() - kSnapshotCandles : 0;
    s.candles.assign(bars.begin() + std::ptrdiff_t(from), bars.end());
  }

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
  }
  s.totalPnlUsd = 0;
  for (const Position& p : oms_->positions()) {
    if (p.flat() && p.boughtQty == 0 && p.soldQty == 0) continue;
    const Instrument& inst = instruments_[p.instrument];
    PositionRow row;
    row.instrument = p.instrument;
    row.qty = p.qty;
    row.averagePrice = p.averagePrice(inst);
    row.mark = toDouble(market_->markPrice(p.instrument));
    row.unrealizedPnl = p.unrealizedPnl(inst, row.mark);
    row.realizedPnl = p.realizedPnl;
    row.fees = p.fees;
    const double pnl = row.realizedPnl + row.unrealizedPnl - row.fees;
    const std::size_t u = underlyingOf_[p.instrument];
    if (u != SIZE_MAX) {
      s.underlyings[u].pnl += pnl;
      // Inverse instruments settle in the coin (x index = USD); linear ones already in USD.
      s.totalPnlUsd += inst.settleCurrency == inst.baseCurrency ? pnl * s.underlyings[u].index : pnl;
    } else {
      s.totalPnlUsd += inst.settleCurrency == "USD" || inst.settleCurrency == "USDC" ? pnl : 0.0;
    }
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
    s.orderQtyCap.resize(instruments_.size());
    for (InstrumentId id = 0; id < instruments_.size(); ++id)
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

// ---- strategy plugins ----

void Engine::setDataDir(const std::string& dataDir) {
  if (!loader_) loader_ = std::make_unique<PluginLoader>(dataDir);
  if (journal_ || running_) return;
  restoreFromJournal(dataDir + "/journal.sqlite");
  journal_ = std::make_unique<Journal>(dataDir + "/journal.sqlite", instruments_, journalOptions_);
  oms_->setJournal(journal_.get());
  strategies_->setJournal(journal_.get());
  if (!restoredLimitChanges_.empty()) {  // over the defaults; setRiskConfig() applies them again over risk.json
    journalNote(JournalKind::LimitChange, now(), "limits from " + riskConfig_.source);
    reapplyLimitChanges();
    gate_.limits().configure(riskConfig_);
    monitor_.configure(riskConfig_.triggers);
  }
  if (journal_->failed()) {  // the engine thread is not running yet: set the halt directly
    halt_.halt();
    haltReason_ = journal_->failure();
    haltedAt_ = now();
    log::error("risk", "HALTED at start: " + haltReason_);
  }
  restoreStrategySetup();
}

// The trader's strategy set-up as the last session left it: its plugins loaded again (through the
// same approval check: a changed binary is refused until approved) and its instances created with
// their parameters — stopped, for the trader to start again. The journal row is untrusted input:
// anything malformed is skipped with a reason in the log.
void Engine::restoreStrategySetup() {
  if (restoredSetup_.empty()) return;
  nlohmann::json setup;
  try {
    setup = nlohmann::json::parse(restoredSetup_);
  } catch (const std::exception& e) {
    log::warn("strategy", std::string("restore: the journaled strategy set-up is unreadable, not restored: ") + e.what());
    return;
  }
  restoredSetup_.clear();
  auto strings = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::vector<std::string> withInstances;
  if (const auto it = setup.find("instances"); it != setup.end() && it->is_array()) {
    for (const nlohmann::json& i : *it) {
      if (!i.is_object()) continue;
      StrategyLaunch launch;
      launch.path = strings(i, "plugin");
      launch.strategyId = strings(i, "strategy");
      launch.start = false;
      if (launch.path.empty() || launch.strategyId.empty()) {
        log::warn("strategy", "restore: an instance without plugin or strategy in the journaled set-up, skipped");
        continue;
      }
      if (const auto p = i.find("params"); p != i.end() && p->is_array())
        for (const nlohmann::json& kv : *p)
          if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
            launch.params.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
      const std::string name = strings(i, "name"), path = launch.path;
      withInstances.push_back(path);
      launchStrategy(std::move(launch), [name, path](const std::string& error) {
        if (error.empty()) log::info("strategy", "restored " + name + " from " + path + " (stopped)");
        else log::warn("strategy", "restore: " + name + " from " + path + " not restored: " + error);
      });
    }
  }
  if (const auto it = setup.find("plugins"); it != setup.end() && it->is_array())
    for (const nlohmann::json& p : *it)
      if (p.is_string() && std::find(withInstances.begin(), withInstances.end(), p.get<std::string>()) == withInstances.end())
        loadPlugin(p.get<std::string>(), /*approve=*/false);
}

// Restart: positions from every journaled fill, order ids after the journal's last, and the
// trading state as the last session left it (HALTED stays HALTED, whatever stopped it).
void Engine::restoreFromJournal(const std::string& path) {
  JournalState state;
  std::string error;
  if (!readJournalState(path, &state, &error)) {
    halt_.halt();
    haltReason_ = "cannot restore from the journal: " + error;
    log::error("risk", "HALTED at start: " + haltReason_);
    return;
  }
  for (const std::string& w : state.warnings) log::warn("journal", w);
  std::size_t restored = 0;
  for (const JournalState::FillRow& f : state.fills) {
    const Instrument* inst = instruments_.find(f.instrument);
    if (!inst) {  // delisted since (an expired option): its PnL is history, not a position
      log::warn("journal", "restore: fill on " + f.instrument + " which the venue no longer lists, skipped");
      continue;
    }
    oms_->restoreFill(*inst, f.side, f.qty, f.price, f.fee);
    if (std::find(traded_.begin(), traded_.end(), inst->id) == traded_.end()) traded_.push_back(inst->id);
    ++restored;
  }
  oms_->continueIdsAfter(state.maxOrderId);
  if (oms_->idsExhausted()) {  // never reuse an id: the venue and the journal would confuse two orders
    idsExhausted_ = true;
    riskError_ = "order ids exhausted: the journal holds id " + std::to_string(OrderManager::kMaxOrderId) +
                 ", the last one; no order can be sent (ids never repeat): start with a new data directory";
    log::error("risk", "HALTED at start: " + riskError_);
    haltAll("restart: " + riskError_);
  }
  // Rows that could not be trusted were skipped: positions, orders or limits rebuilt without
  // them may be wrong, so the terminal comes up HALTED for the trader to check (never trades on
  // a guess); every row is named in the log and stays in the journal for the audit.
  for (const std::string& d : state.damaged) log::error("journal", "restore: damaged row skipped: " + d);
  if (!state.damaged.empty())
    haltAll("restart: damaged journal rows skipped (" + state.damaged.front() +
            (state.damagedRows > 1 ? ", and " + std::to_string(state.damagedRows - 1) + " more" : std::string()) +
            "): positions, orders or limits restored from the journal may be incomplete");
  restoredLimitChanges_ = state.limitChanges;
  restoredSetup_ = state.strategySetup;
  const std::int64_t today = now() / 86'400'000'000'000;
  if (state.lastDay == today) {  // the day's history, for the Orders and Fills tabs
    for (const JournalState::FinishedOrder& h : state.historyOrders) {
      const Instrument* inst = instruments_.find(h.instrument);
      if (!inst) continue;
      Order o = journaledOrder(h.id, inst->id, h.side, h.price, h.qty, h.filled, h.strategy, h.intent);
      o.avgFillPrice = h.avgFillPrice > 0 ? toDouble(Price(std::llround(h.avgFillPrice))) : 0.0;
      o.created = h.ts;
      o.updated = h.endTs ? h.endTs : h.ts;
      using End = JournalState::FinishedOrder::End;
      o.state = h.end == End::Rejected ? OrderState::Rejected : h.end == End::Cancelled ? OrderState::Cancelled : OrderState::Filled;
      o.reason = h.reason.empty() ? "earlier session" : h.reason + " (earlier session)";
      restoredOrders_.push_back(std::move(o));
    }
    for (auto it = state.historyFills.rbegin(); it != state.historyFills.rend(); ++it) {
      const Instrument* inst = instruments_.find(it->instrument);
      if (!inst) continue;
      Fill f;
      f.orderId = it->order;
      f.instrument = inst->id;
      f.side = it->side;
      f.price = it->price;
      f.qty = it->qty;
      f.fee = it->fee;
      f.ts = it->ts;
      restoredFills_.push_back(f);
    }
  }
  if (state.lastDay == today) gate_.limits().seedDailyCounts(today, state.dayOrders, state.dayCancels, state.dayFills);
  if (state.equityDay == today) {
    monitor_.seedDayStart(today, state.dayStartEquity);
    journaledEquityDay_ = today;
  }
  for (const JournalState::UnresolvedOrder& u : state.unresolved) {
    const Instrument* inst = instruments_.find(u.instrument);
    if (!inst) continue;  // delisted since: nothing to ask about
    Order o = journaledOrder(u.id, inst->id, u.side, u.price, u.qty, u.filled, u.strategy, u.text);
    o.state = OrderState::Unknown;
    o.leaves = u.qty - u.filled;
    o.created = o.updated = u.ts;
    o.reason = "in flight when the last session ended: unknown until the venue answers";
    unresolvedProgress_[o.id] = UnresolvedProgress{u.filled, 0, false};
    unresolved_.push_back(std::move(o));
  }
  if (!unresolved_.empty())
    log::warn("journal", std::to_string(unresolved_.size()) +
                             " orders of earlier sessions have no final state in the journal: shown as unknown "
                             "until the venue answers");
  if (state.sessions)
    log::info("journal", "restored " + std::to_string(restored) + " fills from " + std::to_string(state.sessions) +
                             " earlier sessions; order ids continue after " + std::to_string(state.maxOrderId));
  if (state.lastStateChange.rfind("REDUCING", 0) == 0) {
    halt_.reduceOnly();
    log::warn("risk", "REDUCING at start: the last session ended " + state.lastStateChange);
  }
  if (state.halted) {
    halt_.halt();
    haltReason_ = "restart: the last session ended " + state.lastStateChange;
    haltedAt_ = now();
    log::warn("risk", "HALTED at start: " + haltReason_);
  }
}

void Engine::launchStrategy(StrategyLaunch launch, std::function<void(std::string)> done) {
  if (!loader_) setDataDir(".");
  launch.path = PluginLoader::canonicalPath(launch.path);
  auto finish = [this, launch, done](std::shared_ptr<PluginModule> fresh, std::string loadError) {
    auto report = [&](const std::string& error) {
      if (!error.empty()) log::error("strategy", launch.path + ": " + error);
      if (done) done(error);
    };
    if (fresh) strategies_->addModule(std::move(fresh));
    if (!loadError.empty()) return report(loadError);
    std::string error;
    const std::uint32_t id = strategies_->create(launch.path, launch.strategyId, launch.params, &error);
    if (!id) return report(error);
    if (launch.start && !strategies_->start(id, &error)) return report(error);
    report("");
  };
  boost::asio::post(io_, [this, launch, finish] {
    if (strategies_->module(launch.path)) return finish(nullptr, "");  // loaded already: a new instance of it
    loader_->load(launch.path, launch.approve, [this, finish](PluginLoadResult r) {
      boost::asio::post(io_, [this, finish, r = std::move(r)] {
        if (!r.module) {
          strategies_->noteLoadFailure(r.path, r.sha256, r.approvedSha256, r.approval, r.error);
          return finish(nullptr, r.error);
        }
        if (strategies_->module(r.path)) return finish(nullptr, "");  // two launches raced: keep the first
        finish(r.module, "");
      });
    });
  });
}

void Engine::loadPlugin(const std::string& path, bool approve) {
  if (!loader_) setDataDir(".");
  const std::string canonical = PluginLoader::canonicalPath(path);
  boost::asio::post(io_, [this, canonical, approve] {
    if (strategies_->module(canonical)) return;
    loader_->load(canonical, approve, [this](PluginLoadResult r) {
      boost::asio::post(io_, [this, r = std::move(r)] {
        if (!r.module) strategies_->noteLoadFailure(r.path, r.sha256, r.approvedSha256, r.approval, r.error);
        else if (!strategies_->module(r.path)) strategies_->addModule(r.module);
      });
    });
  });
}

void Engine::unloadPlugin(const std::string& path) {
  const std::string canonical = PluginLoader::canonicalPath(path);
  boost::asio::post(io_, [this, canonical] {
    if (auto m = strategies_->removeModule(canonical); m && loader_) loader_->unload(std::move(m));
  });
}

void Engine::startStrategy(std::uint32_t id) {
  boost::asio::post(io_, [this, id] {
    std::string error;
    if (!strategies_->start(id, &error)) log::warn("strategy", error);
  });
}

void Engine::stopStrategy(std::uint32_t id) {
  boost::asio::post(io_, [this, id] { strategies_->stop(id, "by the user"); });
}

void Engine::removeStrategy(std::uint32_t id) {
  boost::asio::post(io_, [this, id] { strategies_->remove(id); });
}

void Engine::setStrategyParam(std::uint32_t id, std::string name, std::string value) {
  boost::asio::post(io_, [this, id, name = std::move(name), value = std::move(value)] {
    std::string error;
    if (!strategies_->setParam(id, name, value, &error)) log::warn("strategy", error);
  });
}

std::vector<std::string> Engine::availablePluginFiles() const {
  return loader_ ? loader_->availableFiles() : std::vector<std::string>{};
}

}  // namespace kappa
