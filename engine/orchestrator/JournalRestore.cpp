// Engine: the journal (every order fact and state change) and what a restart brings back from it:
// positions, the day's orders and fills, orders left unresolved (asked of their venues once
// connected), limit changes, the halt state and the trader's strategy set-up.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/Log.hpp"
#include "journal/JournalReplay.hpp"
#include "orchestrator/Engine.hpp"
#include "orchestrator/EngineLoop.hpp"

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
}  // namespace

void Engine::journalNote(JournalKind kind, Nanos at, std::string text, double value) {
  if (!journal_) return;
  JournalRecord r;
  r.kind = kind;
  r.ts = at;
  r.value = value;
  r.text = std::move(text);
  journal_->append(std::move(r));
}

void Engine::setDataDir(const std::string& dataDir) {
  if (!loader_) loader_ = std::make_unique<PluginLoader>(dataDir);
  if (journal_ || running_) return;
  restoreFromJournal(dataDir + "/journal.sqlite");
  // The journal records each row's venue by name: a later run may configure other venues, in
  // another order (VenueIds differ), and still find each row's instrument.
  std::vector<std::string> venueNames;
  for (const VenueSlot& v : venues_) venueNames.push_back(v.name);
  journal_ = std::make_unique<Journal>(dataDir + "/journal.sqlite", instruments_, journalOptions_, std::move(venueNames));
  for (const std::string& h : absentVenueHoldings_)
    journalNote(JournalKind::RiskEvent, now(), "restart: " + h);
  oms_->setJournal(journal_.get());
  strategies_->setJournal(journal_.get());
  if (!restoredLimitChanges_.empty()) {  // over the defaults; setRiskConfig() applies them again over risk.json
    journalNote(JournalKind::LimitChange, now(), "limits from " + riskConfig_.source);
    reapplyLimitChanges();
    gate_.limits().configure(riskConfig_);
    handRiskLimitsToVenues();
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

const Instrument* Engine::journaledInstrument(const std::string& venue, const std::string& name,
                                              std::string* ambiguous) const {
  if (venue.empty()) {
    const Instrument* found = nullptr;
    std::size_t listing = 0;
    std::string listers;
    for (std::size_t v = 0; v < venues_.size(); ++v)
      if (const Instrument* i = instruments_.find(VenueId(v), name)) {
        found = i;
        ++listing;
        listers += (listers.empty() ? "" : " and ") + venues_[v].name;
      }
    if (listing == 1) return found;
    if (listing > 1 && ambiguous) *ambiguous = listers;
    return nullptr;
  }
  for (std::size_t v = 0; v < venues_.size(); ++v)
    if (venues_[v].name == venue) return instruments_.find(VenueId(v), name);
  return nullptr;
}

bool Engine::venueConfigured(const std::string& venue) const {
  return venue.empty() ||
         std::any_of(venues_.begin(), venues_.end(), [&](const VenueSlot& v) { return v.name == venue; });
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
  // Fills on a venue this run does not configure: their position is real (at that venue), but no
  // instrument here is it — booking them on another venue's same-named instrument would be wrong.
  // Summed per instrument and reported (log, journal, holdingsOnAbsentVenues()), never traded.
  std::vector<std::pair<std::string, double>> absentPositions;  // "venue:name", signed qty
  // Fills journaled before the journal had a venue column, on a name several venues of this run list:
  // the position is real but whose it is is unknown. Reported like the above, and the terminal comes
  // up HALTED (positions are incomplete) for the trader to check.
  std::vector<std::pair<std::string, double>> ambiguousPositions;
  for (const JournalState::FillRow& f : state.fills) {
    if (!venueConfigured(f.venue)) {
      const std::string key = f.venue + ":" + f.instrument;
      auto it = std::find_if(absentPositions.begin(), absentPositions.end(), [&](const auto& p) { return p.first == key; });
      if (it == absentPositions.end()) it = absentPositions.insert(it, {key, 0.0});
      it->second += (f.side == Side::Buy ? 1.0 : -1.0) * toDouble(f.qty);
      continue;
    }
    std::string listers;
    const Instrument* inst = journaledInstrument(f.venue, f.instrument, &listers);
    if (!listers.empty()) {  // written without a venue, listed by several: never guessed onto one
      const std::string key = f.instrument + " (journaled without a venue; " + listers + " list it)";
      auto it = std::find_if(ambiguousPositions.begin(), ambiguousPositions.end(), [&](const auto& p) { return p.first == key; });
      if (it == ambiguousPositions.end()) it = ambiguousPositions.insert(it, {key, 0.0});
      it->second += (f.side == Side::Buy ? 1.0 : -1.0) * toDouble(f.qty);
      continue;
    }
    if (!inst) {  // delisted since (an expired option): its PnL is history, not a position
      log::warn("journal", "restore: fill on " + (f.venue.empty() ? f.instrument : f.venue + ":" + f.instrument) +
                               " which the venue no longer lists, skipped");
      continue;
    }
    oms_->restoreFill(*inst, f.side, f.qty, f.price, f.fee);
    if (std::find(traded_.begin(), traded_.end(), inst->id) == traded_.end()) traded_.push_back(inst->id);
    ++restored;
  }
  // Fees paid without a fill (on-chain: a reverted swap's gas, a cancel's self-transfer): on the
  // position like a fill's fee. Rows of venues not configured or not found stay in the journal.
  for (const JournalState::FillRow& f : state.feesWithoutFills) {
    if (!venueConfigured(f.venue)) continue;
    std::string listers;
    const Instrument* inst = journaledInstrument(f.venue, f.instrument, &listers);
    if (!inst || !listers.empty()) continue;
    oms_->restoreFee(*inst, f.fee);
    if (std::find(traded_.begin(), traded_.end(), inst->id) == traded_.end()) traded_.push_back(inst->id);
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
  // Each venue's own records, before it connects (start() connects; setDataDir comes first).
  for (VenueSlot& v : venues_) {
    std::vector<VenueJournalEntry> mine;
    for (JournalState::VenueEntry& e : state.venueEntries)
      if (e.venue == v.name) mine.push_back(VenueJournalEntry{e.key, std::move(e.body)});
    if (!mine.empty()) v.venue->restoreJournal(mine);
  }
  restoredLimitChanges_ = state.limitChanges;
  restoredSetup_ = state.strategySetup;
  const std::int64_t today = now() / 86'400'000'000'000;
  if (state.lastDay == today) {  // the day's history, for the Orders and Fills tabs
    for (const JournalState::FinishedOrder& h : state.historyOrders) {
      const Instrument* inst = journaledInstrument(h.venue, h.instrument);
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
      const Instrument* inst = journaledInstrument(it->venue, it->instrument);
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
  for (const auto& [what, qty] : absentPositions) {
    if (toFixed(std::abs(qty)) == 0) continue;  // flat there: nothing held
    char shown[64];
    std::snprintf(shown, sizeof shown, "%+.8g", qty);
    absentVenueHoldings_.push_back(what + ": position " + shown + " by the journal's fills (venue not configured in this run; not restored)");
  }
  std::string ambiguousHeld;
  for (const auto& [what, qty] : ambiguousPositions) {
    if (toFixed(std::abs(qty)) == 0) continue;
    char shown[64];
    std::snprintf(shown, sizeof shown, "%+.8g", qty);
    absentVenueHoldings_.push_back(what + ": position " + shown + " by the journal's fills (not restored on either)");
    if (ambiguousHeld.empty()) ambiguousHeld = what;
  }
  if (!ambiguousHeld.empty())
    haltAll("restart: a position journaled before venues were recorded cannot be placed: " + ambiguousHeld +
            "; positions restored from the journal are incomplete");
  for (const JournalState::UnresolvedOrder& u : state.unresolved) {
    if (!venueConfigured(u.venue)) {
      // No end journaled: it stays unresolved in the journal and is asked of its venue by the next
      // run that configures it. Not shown as an order here: no instrument of this run is its own.
      absentVenueHoldings_.push_back("order " + std::to_string(u.id) + " on " + u.venue + ":" + u.instrument +
                                     ": no final state in the journal (venue not configured in this run; left "
                                     "unresolved, asked of " + u.venue + " when a run configures it)");
      continue;
    }
    std::string listers;
    const Instrument* inst = journaledInstrument(u.venue, u.instrument, &listers);
    if (!listers.empty()) {
      absentVenueHoldings_.push_back("order " + std::to_string(u.id) + " on " + u.instrument + " (journaled without a venue; " +
                                     listers + " list it): no final state in the journal (left unresolved, not asked of either)");
      continue;
    }
    if (!inst) continue;  // delisted since: nothing to ask about
    Order o = journaledOrder(u.id, inst->id, u.side, u.price, u.qty, u.filled, u.strategy, u.text);
    o.state = OrderState::Unknown;
    o.leaves = u.qty - u.filled;
    o.created = o.updated = u.ts;
    o.reason = "in flight when the last session ended: unknown until the venue answers";
    unresolvedProgress_[o.id] = UnresolvedProgress{u.filled, 0, false};
    unresolved_.push_back(std::move(o));
  }
  for (const std::string& h : absentVenueHoldings_) log::warn("journal", "restore: " + h);
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

}  // namespace kappa
