// Engine: what the venues tell it (engine thread). Each venue speaks through its own VenueLink, so
// the engine knows which one is talking: market data, executions (routed back by order id),
// connection states, accounts and positions per venue, instruments listed and retired while
// running, and the restart reconciliation of orders and positions with each venue.
#include <algorithm>
#include <cmath>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "orchestrator/Engine.hpp"
#include "orchestrator/EngineLoop.hpp"

namespace kappa {

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
  // Every table to the same n (the registry may grow again meanwhile): knownInstruments() is then
  // a bound for all of them.
  market_->grow(n);
  oms_->grow(n);
  strategies_->grow(n);
  gate_.limits().grow();  // the new ones' limits resolved now; the counters of the others kept
  for (std::size_t id = underlyingOf_.size(); id < n; ++id) {
    underlyingOf_.push_back(underlyingSlotOf(instruments_[InstrumentId(id)]));
    if (journal_) journal_->addInstrument(InstrumentId(id), instruments_[InstrumentId(id)].name, instruments_[InstrumentId(id)].venue);
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

void Engine::onMarketData(VenueId v, const MdEvent* events, std::size_t n) {
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
    // Each venue has its own clock; market time (now()) follows the first venue's.
    VenueSlot& venue = venues_[v];
    const Nanos offset = arrived - events[last - 1].ts;
    if (!venue.offsetKnown || offset < venue.clockOffset) {
      venue.clockOffset = offset;
      venue.offsetKnown = true;
      if (v == 0) clockOffset_.store(offset, std::memory_order_relaxed);
    }
    venue.lagMs = double(offset - venue.clockOffset) / 1e6;
  }
}

bool Engine::resolveUnresolved(const ExecReport& r) {
  auto it = std::find_if(unresolved_.begin(), unresolved_.end(), [&](const Order& o) { return o.id == r.orderId; });
  if (it == unresolved_.end()) return false;
  ++unresolvedChanges_;
  Order& o = *it;
  UnresolvedProgress& progress = unresolvedProgress_[o.id];
  // What the venue's own account of the order says it filled: an Ack or Replaced carries the
  // order's quantity and what is left of it.
  if ((r.type == ExecType::Ack || r.type == ExecType::Replaced) && r.qty > 0)
    progress.venueFilled = std::max(progress.venueFilled, r.qty - std::max<Qty>(0, r.leaves));
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
  // Answered once the fills the venue says the order made have all been reported: an Ack that
  // shows fills is not an answer yet, their Fill reports are (see UnresolvedProgress).
  progress.answered = progress.reported >= progress.venueFilled;
  if (closed) {
    unresolvedProgress_.erase(o.id);
    unresolved_.erase(it);
  }
  queryPositionsOnceOrdersAnswered(inst.venue);
  return true;
}

void Engine::onExecution(const ExecReport& report) {
  if (!unresolved_.empty() && resolveUnresolved(report)) return;
  oms_->onExecution(report);
  if (report.type == ExecType::Reject && !report.riskLimit.empty())  // a limit the venue checks itself
    gate_.recordVenueRefusal(now(), report.riskLimit, report.reason);
  if (report.type == ExecType::Reject && !report.notSent)  // the venue's refusals, not our connector's own
    applyTrigger(monitor_.onVenueReject(monoNow(), oms_->sentTotal()));
}

// The engine only carries a venue's records (it reads nothing in them): queued to the journal
// like every other fact, so the engine thread never waits on the disk.
void Engine::onJournalEntry(VenueId v, const VenueJournalEntry& entry) {
  if (!journal_) return;
  JournalRecord r;
  r.kind = JournalKind::VenueRecord;
  r.ts = now();
  r.order = entry.key;
  r.venue = v;
  r.text = entry.body;
  if (!journal_->append(std::move(r))) log::error("journal", venues_[v].name + ": a venue record was not journaled");
}

void Engine::onVenueState(VenueId v, VenueState state, const std::string& detail) {
  VenueSlot& venue = venues_[v];
  venue.stateAt = now();  // the countdown in the detail ("next retry in 4 s") counts from here
  venue.state = state;
  venue.detail = detail;
  log::info("venue", venue.name + ": " + nameOf(state) + (detail.empty() ? "" : " (" + detail + ")"));
  if (state == VenueState::Disconnected) {
    market_->markVenueStale(v, StaleReason::VenueDown);  // its books only: the others stay live
    venue.positionsAsked = false;  // an answer lost with the connection: ask again on the next one
  }
  if (state == VenueState::Connected) {  // ask the venue about its own unresolved orders
    std::vector<OrderId> ids;
    for (const Order& o : unresolved_)
      if (instruments_[o.request.instrument].venue == v) ids.push_back(o.id);
    if (!ids.empty()) venue.venue->queryOrders(ids);
    queryPositionsOnceOrdersAnswered(v);
    // Halted while this venue was away: its cancels could not go out then. Now they can (orders
    // whose cancel is still on its way are not asked twice).
    if (halt_.halted() && !oms_->working().empty()) {
      const std::size_t n = oms_->cancelEverything(now());
      if (n) log::warn("risk", "HALTED: " + venue.name + " is back: cancelling " + std::to_string(n) + " open orders");
    }
  }
}

// An on-chain venue's fills not yet confirmed: the engine booked them (a fill is a fact once
// included); this marks that part of each position "unconfirmed" until the venue says otherwise.
// The venue sends its whole set each time: its instruments not in it have none.
void Engine::onUnconfirmedFills(VenueId v, const std::vector<VenuePosition>& unconfirmed) {
  growToRegistry();
  oms_->setUnconfirmed(v, unconfirmed);
}

// Restart: the venue's positions are asked for once a run (their answer wins over the journal's),
// and only after the venue has answered for every order the journal could not close. Those
// answers book the fills the journal lacks, each with its order; the positions then catch only
// what no order explains. Asked sooner, a fill of such an order would be booked twice: once as
// the position's difference and again when its order's answer came.
void Engine::queryPositionsOnceOrdersAnswered(VenueId v) {
  VenueSlot& venue = venues_[v];
  if (venue.positionsReconciled || venue.positionsAsked || venue.state != VenueState::Connected ||
      !venue.venue->reportsPositions())
    return;
  for (const auto& [id, progress] : unresolvedProgress_)
    if (!progress.answered && venueOfOrder(id) == v) return;
  venue.positionsAsked = true;
  venue.venue->queryPositions();
}

// A venue pushed positions as they changed (Binance's ACCOUNT_UPDATE), after the execution reports
// of the trades that changed them. Compared with ours, never booked: a difference means a fill was
// lost or doubled somewhere (or another program traded the account), which the trader must hear
// about at once (logged, journaled, counted); changing a live position behind the strategies'
// backs could double a fill merely in flight. Before the restart reconciliation has brought the
// venue's whole account in, there is nothing to compare yet: that reconciliation decides.
void Engine::onPositionChanges(VenueId v, const std::vector<VenuePosition>& changed) {
  VenueSlot& venue = venues_[v];
  if (!venue.positionsReconciled) return;
  growToRegistry();
  for (const VenuePosition& p : changed) {
    if (p.instrument >= knownInstruments() || instruments_[p.instrument].venue != v || !std::isfinite(p.qty)) continue;
    ++venue.positionUpdatesCompared;
    const Instrument& inst = instruments_[p.instrument];
    const double ours = oms_->positions()[inst.id].qty;
    if (toFixed(std::abs(p.qty - ours)) == 0) continue;
    ++venue.positionMismatches;
    const std::string what = inst.name + ": ours " + std::to_string(ours) + ", venue " + std::to_string(p.qty);
    log::error("venue", "position differs from the one the venue pushed: " + what);
    journalNote(JournalKind::RiskEvent, now(), "position differs from the one the venue pushed: " + what);
  }
}

VenueId Engine::venueOfOrder(OrderId id) const {
  if (const Order* o = oms_->find(id)) return instruments_[o->request.instrument].venue;
  for (const Order& o : unresolved_)
    if (o.id == id) return instruments_[o.request.instrument].venue;
  return VenueId(0);
}

// The latest per currency replaces the one before; a venue that never calls this has none.
void Engine::onAccount(VenueId v, const VenueAccount& account) {
  // Kept sorted by currency (a stable order on screen: BTC, ETH): a new one is inserted in place.
  std::vector<AccountRow>& accounts = venues_[v].accounts;
  auto it = std::lower_bound(accounts.begin(), accounts.end(), account.currency,
                             [](const AccountRow& r, const std::string& c) { return r.account.currency < c; });
  if (it == accounts.end() || it->account.currency != account.currency) it = accounts.insert(it, AccountRow{});
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
void Engine::onPositions(VenueId v, const std::vector<VenuePosition>& venuePositions) {
  // Only this venue's instruments: an instrument not listed is flat there; the others' are theirs.
  VenueSlot& venue = venues_[v];
  growToRegistry();
  std::vector<double> venueQty(instruments_.size(), 0.0);
  std::vector<Price> venuePrice(instruments_.size(), 0);
  for (const VenuePosition& p : venuePositions)
    if (p.instrument < instruments_.size() && instruments_[p.instrument].venue == v && std::isfinite(p.qty)) {
      venueQty[p.instrument] = p.qty;
      venuePrice[p.instrument] = p.averagePrice;
    }
  if (venue.positionsReconciled) {
    ++venue.positionChecks;
    for (const Instrument& inst : instruments_.all()) {
      if (inst.venue != v || inst.id >= venueQty.size() || inst.id >= knownInstruments()) continue;
      const double ours = oms_->positions()[inst.id].qty;
      if (toFixed(std::abs(venueQty[inst.id] - ours)) == 0) continue;
      ++venue.positionMismatches;
      const std::string what = inst.name + ": ours " + std::to_string(ours) + ", venue " + std::to_string(venueQty[inst.id]);
      log::error("venue", "position differs from the venue's after reconnecting: " + what);
      journalNote(JournalKind::RiskEvent, now(), "position differs from the venue's after reconnecting: " + what);
    }
    return;
  }
  venue.positionsReconciled = true;
  for (const Instrument& inst : instruments_.all()) {
    if (inst.venue != v || inst.id >= venueQty.size() || inst.id >= knownInstruments()) continue;
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

}  // namespace kappa
