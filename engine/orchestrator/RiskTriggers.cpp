// Engine: the risk triggers (daily loss, drawdown, Greeks, stale data, reject rate, lag) fed from
// fills, marks and the engine's beat, and the risk configuration (risk.json, --risk, the panel's
// switches), all on the engine thread.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "orchestrator/Engine.hpp"
#include "orchestrator/EngineLoop.hpp"
#include "risk/RiskConfigFile.hpp"

namespace kappa {

void Engine::onOrderEvent(const Order& o, const Fill* f) {
  strategies_->onOrderChanged(o, f);
  if (!f) {
    // A fee paid without a fill (an on-chain swap's gas when it reverted): the instrument's PnL
    // changed, so it counts in equity and shows in the positions.
    if (o.fees != 0.0 && isTerminal(o.state) &&
        std::find(traded_.begin(), traded_.end(), o.request.instrument) == traded_.end()) {
      traded_.push_back(o.request.instrument);
      checkEquity();
    }
    return;
  }
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
  // A USDT-settled PnL counts at the first index (100 USDT at 67,000 is 0.0015 BTC).
  double equity = 0;
  for (InstrumentId id : traded_) {
    const Position& p = oms_->positions()[id];
    const double mark = toDouble(market_->markPrice(id));
    const double pnl = p.realizedPnl - p.fees + (p.qty != 0 && mark > 0 ? p.unrealizedPnl(instruments_[id], mark) : 0.0);
    const std::size_t u = underlyingOf_[id];
    if (u == 0 && coinSettled(instruments_[id])) {
      equity += pnl;
      continue;
    }
    const double usd = pnlInUsd(instruments_[id], pnl);  // NaN: no index yet, nothing to convert with
    if (first > 0 && !std::isnan(usd)) equity += usd / first;
  }
  return equity;
}

bool Engine::coinSettled(const Instrument& inst) { return inst.settleCurrency == inst.baseCurrency; }

double Engine::pnlInUsd(const Instrument& inst, double pnl) const {
  if (!coinSettled(inst)) {  // USD, USDT, USDC: taken at par
    return isDollarCurrency(inst.settleCurrency) ? pnl : std::numeric_limits<double>::quiet_NaN();
  }
  const std::size_t u = inst.id < underlyingOf_.size() ? underlyingOf_[inst.id] : SIZE_MAX;
  const double index = u == SIZE_MAX ? 0.0 : toDouble(market_->stats(indexIds_[u]).last);
  return index > 0 ? pnl * index : std::numeric_limits<double>::quiet_NaN();
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
  // Per instrument, named with its venue when there are several ("deribit:BTC-27DEC26-70000-C"): a
  // venue that goes down with working orders fires this trigger for its own books only.
  std::vector<std::string> stale;
  for (OrderId id : oms_->working()) {
    const Instrument& inst = instruments_[oms_->find(id)->request.instrument];
    if (market_->book(inst.id).live()) continue;
    // (The key of its stale clock: nothing that changes while it stays stale, such as the venue's
    // connection state, may be part of it.)
    std::string name = venues_.size() > 1 ? venues_[inst.venue].name + ":" + inst.name : inst.name;
    if (std::find(stale.begin(), stale.end(), name) == stale.end()) stale.push_back(std::move(name));
  }
  applyTrigger(monitor_.onStaleBooks(stale, mono));
  // The worst connected venue's market-data lag (a disconnected one sends nothing to be late).
  venueLagMs_ = 0;
  for (const VenueSlot& v : venues_)
    if (v.state != VenueState::Disconnected) venueLagMs_ = std::max(venueLagMs_, v.lagMs);
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

void Engine::setRiskConfig(RiskConfig config) {
  auto apply = [this, config = std::move(config)]() mutable {
    riskConfig_ = std::move(config);
    journalNote(JournalKind::LimitChange, now(), "limits from " + riskConfig_.source);
    reapplyLimitChanges();
    gate_.limits().configure(riskConfig_);
    handRiskLimitsToVenues();
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

void Engine::handRiskLimitsToVenues() {
  for (VenueId v = 0; v < venues_.size(); ++v) {
    VenueRiskLimits l;
    l.maxGasPriceGwei = gate_.limits().venueLimitValue(Limit::MaxGasPriceGwei, v);
    l.maxGasPerDay = gate_.limits().venueLimitValue(Limit::MaxGasPerDay, v);
    venues_[v].venue->setRiskLimits(l);
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
    handRiskLimitsToVenues();
    monitor_.configure(riskConfig_.triggers);
    journalNote(JournalKind::LimitChange, now(), assignment + " (by " + who + ")");
    log::info("risk", "limit changed: " + assignment + " (by " + who + ")");
  });
}

}  // namespace kappa
