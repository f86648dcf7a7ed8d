#pragma once
// What the engine shows the outside world, conflated: the latest state, not every event. Built on
// the engine thread at a fixed rate and handed over through a TripleBuffer; the GUI draws from it.
#include <string>
#include <vector>

#include <memory>

#include "analytics/MarketAnalytics.hpp"
#include "book/Candle.hpp"
#include "book/MarketData.hpp"
#include "oms/Order.hpp"
#include "oms/OrderManager.hpp"
#include "oms/RiskGate.hpp"
#include "strategy/StrategyRows.hpp"
#include "venue/VenueTypes.hpp"

namespace kappa {

struct QuoteRow {
  InstrumentId instrument = kNoInstrument;
  Price bid = 0, ask = 0, last = 0, reference = 0;
  Qty bidQty = 0, askQty = 0;
  BookStatus status = BookStatus::Empty;
  StaleReason staleReason = StaleReason::NoSnapshot;
  // A perpetual's funding as its venue last said (Binance's markPrice); 0 when it says none.
  double fundingRate = 0;
  std::int64_t nextFundingMs = 0;
};

struct DepthView {
  InstrumentId instrument = kNoInstrument;
  std::vector<Level> bids, asks;  // best first
  std::uint64_t changeId = 0;
  BookStatus status = BookStatus::Empty;
  StaleReason staleReason = StaleReason::NoSnapshot;
};

// How many instruments one snapshot carries depth, trades and candles for: the local window's one
// and those of the GUIs attached over NATS (EngineServer), together. Small: each costs a 50-level
// copy and its bars at every publish.
inline constexpr std::size_t kMaxFocusedInstruments = 8;

// One focused instrument's market as a ladder, a chart and a time & sales draw it.
struct FocusedMarket {
  DepthView depth;                 // depth.instrument is the instrument this entry is for
  std::vector<TradePrint> trades;  // its recent trades, oldest first
  std::vector<Candle> candles;     // its bars, oldest first
};

struct PositionRow {
  InstrumentId instrument = kNoInstrument;
  double qty = 0, averagePrice = 0, mark = 0, unrealizedPnl = 0, realizedPnl = 0, fees = 0;
  double unconfirmedQty = 0;  // on-chain: the part of qty whose transactions are not confirmed yet
};

// One automatic trigger for the risk panel: its setting and where it stands now.
struct TriggerRow {
  Trigger trigger = Trigger::DailyLoss;
  TriggerSetting setting;
  double value = 0;  // in the trigger's unit (daily loss: the loss so far, >= 0)
  bool fired = false;
};

// One underlying (coin): its index and the PnL of its instruments, in that coin.
// One underlying across every venue: Deribit's BTC options and BTC-PERPETUAL and Binance's
// BTCUSDT are all BTC.
struct UnderlyingRow {
  std::string currency;          // "BTC", "ETH"
  InstrumentId indexId = kNoInstrument;  // the index it is valued at (the first venue's that lists one)
  double index = 0;              // USD
  double pnl = 0;                // realized + unrealized - fees of its instruments on every venue, in the coin
  double pnlUsd = 0;             // the same in USD (coin-settled at the index, USDT-settled as it is)
};

// The venue's latest account in one currency and when the engine received it (Engine::now()).
struct AccountRow {
  VenueAccount account;
  Nanos receivedAt = 0;
};

// One venue as the engine sees it: its connection, its account, and how its last bulk cancel went.
struct VenueRow {
  VenueId id = 0;
  std::string name;          // "deribit", "binance-futures", "sim"
  std::string environment;   // "testnet", "mainnet", the URL; "" for the embedded simulator
  VenueState state = VenueState::Disconnected;
  std::string detail;        // e.g. "connection lost (...); next retry in 4 s", a cancel-all's confirmation
  Nanos stateAt = 0;         // Engine::now() when the venue last reported its state and detail
  std::vector<AccountRow> accounts;  // per currency (sorted); empty: the venue reports none
  VenueSummary summary;      // reconnects, rate limits, heartbeat (refreshed at 10 Hz)
  std::size_t workingOrders = 0;
  std::uint64_t positionChecks = 0, positionMismatches = 0;  // positions compared after reconnects
};

struct EngineSnapshot {
  std::uint64_t seq = 0;
  Nanos builtMono = 0;     // monoNow() when built: the GUI measures engine->GUI lag from it
  Nanos builtWall = 0;     // market time (Engine::now()) when built
  bool halted = false;
  TradingState tradingState = TradingState::Active;
  std::string haltReason;  // why HALTED, or why REDUCING; empty when ACTIVE
  Nanos haltedAt = 0;
  std::vector<VenueRow> venues;  // every venue, in the order given (--venue)
  std::uint64_t eventsTotal = 0;
  double eventsPerSecond = 0;
  double venueLagMs = 0;   // delivery delay above the best seen (queueing), venue -> engine thread
  std::uint64_t staleEpisodes = 0;

  std::vector<QuoteRow> quotes;  // every instrument, by id
  // Every focused instrument (at most kMaxFocusedInstruments, each once, in no promised order).
  // A view reads its own instrument's entry (focusedOn) and shows "loading" while there is none:
  // just after its focus changed, the snapshot in hand may still carry only the others.
  std::vector<FocusedMarket> focused;
  std::uint64_t ordersVersion = 0;
  std::vector<Order> orders;     // working orders, then the most recent finished ones
  std::vector<Fill> fills;       // most recent last
  std::vector<PositionRow> positions;  // non-flat or traded instruments
  std::vector<UnderlyingRow> underlyings;  // every listed underlying, in listing order (BTC, ETH)
  double totalPnlUsd = 0;        // the underlyings' PnL in USD (a coin with no index yet counts 0)
  double indexPrice = 0;         // the first underlying's index (BTC), USD
  std::shared_ptr<const analytics::MarketAnalytics> analytics;  // latest option analytics, every underlying (<= 10 Hz)
  std::uint64_t ordersTotal = 0, fillsTotal = 0, rejectsTotal = 0;
  std::string lastReject;

  // Strategy plugins and instances (refreshed when they change and every 10th publish).
  std::uint64_t strategiesVersion = ~0ull;
  std::vector<PluginRow> plugins;
  std::vector<StrategyRow> strategies;
  std::vector<RiskEventRow> riskEvents;  // oldest first

  // Risk limits (refreshed at 10 Hz): every configured limit with its use, the triggers, and the
  // breach history (oldest first).
  std::uint64_t limitsEpoch = ~0ull;
  std::vector<LimitUse> limits;
  // Per instrument: the largest quantity of one manual order the gate lets through (max_order_qty
  // as the account and instrument scopes resolve it; NaN = no such limit), for order entry.
  std::vector<double> orderQtyCap;
  std::vector<TriggerRow> triggers;
  std::vector<Breach> breaches;
  std::uint64_t breachesVersion = 0;
  std::string riskSource;  // where the limits came from
  std::string riskError;   // the last refused change
  // Triggers' equity figures, in the first underlying's coin (other coins converted at the indices).
  double equityBtc = 0, dayPnlBtc = 0, drawdownBtc = 0;

  // The entry of `instrument` in `focused`, or nullptr when this snapshot does not carry it.
  const FocusedMarket* focusedOn(InstrumentId instrument) const {
    for (const FocusedMarket& m : focused)
      if (m.depth.instrument == instrument) return &m;
    return nullptr;
  }
};

}  // namespace kappa
