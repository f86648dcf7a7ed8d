// The engine as a whole: it owns the thread and every part of the trading state, wires them
// together (venues, books, orders, risk gate, strategies, analytics, journal) and takes the
// commands other threads send. Its roles live beside it: VenueRouting.cpp (what venues say),
// SnapshotPublishing.cpp (what the GUI reads), RiskTriggers.cpp (what halts), JournalRestore.cpp
// (what a restart brings back).
#include "orchestrator/Engine.hpp"
#include "orchestrator/EngineLoop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/Clock.hpp"
#include "core/Log.hpp"


namespace kappa {
const char* nameOf(VenueState s) {
  switch (s) {
    case VenueState::Disconnected: return "disconnected";
    case VenueState::Connecting: return "connecting";
    case VenueState::Connected: return "connected";
    case VenueState::Degraded: return "degraded";
  }
  return "?";
}

namespace {
std::vector<std::unique_ptr<Venue>> oneVenue(std::unique_ptr<Venue> venue) {
  std::vector<std::unique_ptr<Venue>> v;
  v.push_back(std::move(venue));
  return v;
}
}  // namespace

Engine::Engine(std::unique_ptr<Venue> venue, StrategyHostConfig strategyConfig)
    : Engine(oneVenue(std::move(venue)), std::move(strategyConfig)) {}

Engine::Engine(std::vector<std::unique_ptr<Venue>> venues, StrategyHostConfig strategyConfig)
    : loop_(std::make_unique<Loop>()),
      io_(loop_->io),
      gate_(instruments_, halt_) {
  if (venues.empty()) throw std::invalid_argument("the engine needs at least one venue");
  venues_.reserve(venues.size());
  std::vector<Venue*> route;
  for (std::unique_ptr<Venue>& venue : venues) {
    VenueSlot slot;
    const VenueId id = VenueId(venues_.size());
    slot.name = venue->name();
    // For the status bar: "testnet", "mainnet" or the URL; empty for the embedded simulator.
    const VenueSummary v = venue->summary();
    slot.environment = v.environment == "embedded" ? "" : v.environment == "custom" ? v.endpoint : v.environment;
    slot.link = std::make_unique<VenueLink>(*this, id);
    venue->setId(id);
    venue->listInstruments(instruments_);  // one after the other: each venue's ids in one run
    slot.venue = std::move(venue);
    route.push_back(slot.venue.get());
    venues_.push_back(std::move(slot));
  }
  market_ = std::make_unique<MarketData>(instruments_);
  oms_ = std::make_unique<OrderManager>(instruments_, gate_);
  oms_->setVenues(std::move(route));
  market_->onSnapshotNeeded([this](InstrumentId id) { venues_[instruments_[id].venue].venue->requestSnapshot(id); });
  for (const Instrument& inst : instruments_.all())
    market_->seedHistory(inst.id, venues_[inst.venue].venue->history(inst.id));
  // The first perpetual, else the first spot market (a chain's pools alone).
  for (InstrumentKind kind : {InstrumentKind::Perpetual, InstrumentKind::Spot})
    for (const Instrument& inst : instruments_.all())
      if (focus_.local() == kNoInstrument && inst.kind == kind) focus_.setLocal(inst.id);
  // One underlying per coin across venues, valued at the first index that names it (Deribit's
  // btc_usd before a later venue's BTC index).
  for (const Instrument& inst : instruments_.all())
    if (inst.kind == InstrumentKind::Index &&
        std::none_of(indexIds_.begin(), indexIds_.end(),
                     [&](InstrumentId i) { return instruments_[i].baseCurrency == inst.baseCurrency; }))
      indexIds_.push_back(inst.id);
  underlyingOf_.assign(instruments_.size(), SIZE_MAX);
  for (const Instrument& inst : instruments_.all()) underlyingOf_[inst.id] = underlyingSlotOf(inst);
  strategies_ = std::make_unique<StrategyHost>(
      StrategyHost::Services{instruments_, *market_, *oms_, halt_, [this] { return now(); }, io_.get_executor(),
                             latestAnalytics_, venueNames()},
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
  gate_.limits().setVenueNames(venueNames());  // risk.json "venues" entries by name
  for (VenueId v = 0; v < venues_.size(); ++v)  // on-chain venues: what max_slippage_bps bounds
    gate_.limits().setVenueSlippage(v, venues_[v].venue->slippageToleranceBps());
  gate_.limits().bindAnalytics(&latestAnalytics_);
  gate_.limits().setStrategyKeys([this](std::uint32_t id) { return strategies_->strategyIdOf(id); });
  strategies_->setFaultListener([this](const std::string& instance, const std::string& why) {
    applyTrigger(monitor_.onStrategyFault(instance, why));
  });
  riskConfig_ = RiskConfig::defaults();
  riskConfig_.source = "defaults";
  gate_.limits().configure(riskConfig_);
  handRiskLimitsToVenues();
  monitor_.configure(riskConfig_.triggers);
}

std::vector<std::string> Engine::venueNames() const {
  std::vector<std::string> names;
  for (const VenueSlot& v : venues_) names.push_back(v.name);
  return names;
}

const Instrument* Engine::findInstrument(std::string_view name) const {
  return findByQualifiedName(instruments_, venueNames(), name);
}

std::string Engine::displayName(InstrumentId id) const {
  const Instrument& inst = instruments_[id];
  for (VenueId other = 0; other < venues_.size(); ++other)
    if (other != inst.venue && instruments_.find(other, inst.name)) return venues_[inst.venue].name + ":" + inst.name;
  return inst.name;
}

void Engine::postTask(std::function<void()> task) { boost::asio::post(io_, std::move(task)); }

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
    for (VenueSlot& v : venues_) v.venue->connect(*v.link, io_.get_executor());
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
    loop_->publishTimer.cancel();
    loop_->analyticsTimer.cancel();
    stopped->set_value();
  });
  if (stopped->get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready || stuck()) {
    log::error("engine", "strategies did not stop within 5 s: engine thread not joined");
    thread_.detach();
    return;
  }
  loop_->work.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  analytics_.reset();  // joins the analytics thread; its last result, if any, is simply dropped
  for (VenueSlot& v : venues_) v.venue->disconnect();  // the engine thread is gone: no concurrent venue calls remain
}

void Engine::submit(OrderRequest request) {
  boost::asio::post(io_, [this, r = std::move(request)] { oms_->submit(r, now()); });
}

void Engine::submit(OrderRequest request, std::function<void(OrderId, std::string)> answered) {
  boost::asio::post(io_, [this, r = std::move(request), answered = std::move(answered)] {
    const OrderId id = oms_->submit(r, now());
    std::string refusal;
    if (id == 0) {
      refusal = oms_->lastReject();
    } else if (const Order* o = oms_->find(id); o && o->state == OrderState::Rejected) {
      refusal = o->reason;
    }
    if (answered) answered(id, std::move(refusal));
  });
}

void Engine::journalCommand(std::string user, std::string text) {
  const Nanos at = now();
  boost::asio::post(io_, [this, at, line = user + ": " + text] { journalNote(JournalKind::Command, at, line); });
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
    reduceReason_ = reason;
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
    reduceReason_ = "FLATTEN (" + reason + ")";
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

void Engine::setDeskHold(std::string why) {
  std::lock_guard lock(deskHoldMutex_);
  deskHold_ = std::move(why);
}

std::string Engine::deskHold() const {
  std::lock_guard lock(deskHoldMutex_);
  return deskHold_;
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
  if (std::string hold = deskHold(); !hold.empty()) return refuse(std::move(hold));
  halt_.resume();
  boost::asio::post(io_, [this] {
    if (halt_.halted()) return;  // halted again since
    monitor_.rearm();
    log::info("risk", "trading resumed after halt (" + haltReason_ + ")");
    journalNote(JournalKind::StateChange, now(), "ACTIVE: resumed after " + haltReason_);
    haltReason_.clear();
    reduceReason_.clear();
    haltedAt_ = 0;
  });
  return {};
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
