#pragma once
// The embedded simulated exchange: a deterministic, single-threaded market. For a given seed and
// start time the sequence of market-data events is fixed (user orders change it, as they would on a
// real venue). For each underlying (by default BTC and ETH, as Deribit lists them):
//  - an index (btc_usd, eth_usd) following geometric Brownian motion with Merton jumps; the
//    underlyings' log returns are correlated (SimConfig::correlation) and most jumps are common;
//  - its perpetual and quarterly futures, each with ladder market makers around a fair price
//    (index plus basis) and takers sending market orders biased towards the fair price;
//  - an option chain on Deribit's calendar (dailies, Friday weeklies, the monthly and quarterlies,
//    17 strikes x call/put, inverse, Deribit tick 0.0005 in the coin) quoted in three layers by
//    market makers around a Black-76 theo from the underlying's own smile, which moves with its
//    spot (skew, curvature, term structure), with random takers.
// Opt-in (SimConfig::linearPerpetuals, kappa-exchange's Binance side): each underlying's
// Binance-style linear USDT perpetual (BTCUSDT, ETHUSDT) with its own ladder makers and takers.
// The feed rate target (updatesPerSecond) is shared by all books of all underlyings.
// The user's orders rest in and match against the same books.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "book/Candle.hpp"
#include "book/MarketEvent.hpp"
#include "core/Instrument.hpp"
#include "oms/OrderTypes.hpp"
#include "sim/MatchingBook.hpp"
#include "sim/Rng.hpp"

namespace kappa::sim {

// One listed underlying: its contract specifications follow Deribit's for that coin (see
// forCurrency), its market the numbers below.
struct SimUnderlying {
  std::string currency = "BTC";      // BTC-PERPETUAL, btc_usd, BTC-27DEC26-70000-C ...
  double spot = 67000.0;             // initial index, USD
  double volatility = 0.55;          // annualised index volatility (diffusion)
  // The option makers' smile: ATM vol = atmVol + shortTermPremium * e^{-8t} + surface shock
  // - spotVolBeta * ln(S/S0); in z = k / (atm sqrt t): vol = atm * (1 + skew z + curvature z^2).
  double atmVol = 0.48, shortTermPremium = 0.12, skew = -0.04, curvature = 0.025, spotVolBeta = 0.6;
  double sizeScale = 1.0;            // makers' and takers' sizes relative to BTC's (USD for perps)
  double optionSizeScale = 1.0;      // option makers' sizes in coin relative to BTC's

  // Deribit-like defaults: BTC at 67,000, ETH at 3,500 with a higher, flatter smile.
  static SimUnderlying btc();
  static SimUnderlying eth();
  static SimUnderlying forCurrency(const std::string& currency);  // BTC or ETH defaults; else BTC's with that name
};

struct SimConfig {
  std::uint64_t seed = 1;
  Nanos startTime = 0;               // UTC; the option expiries are derived from it
  double updatesPerSecond = 2500;    // target L2 level updates per second over all books of all underlyings
  std::vector<SimUnderlying> currencies = {SimUnderlying::btc(), SimUnderlying::eth()};
  // Correlation of each underlying's diffusive log returns with the first one's (BTC-ETH ~0.8).
  double correlation = 0.8;
  double jumpsPerHour = 4.0;         // jump events per hour
  double jumpSigma = 0.004;          // log jump size standard deviation (scaled by each underlying's vol / the first's)
  double commonJumpShare = 0.75;     // share of jump events that move every underlying (with the same sign and size in sigmas)
  Nanos step = 1'000'000;            // simulation step: 1 ms
  // Opt-in (kappa-exchange's Binance side): each underlying also lists a Binance-style linear
  // USDT-margined perpetual <CUR>USDT (size in coin, price and PnL in USDT; BTCUSDT tick 0.1,
  // ETHUSDT 0.01, step 0.001) on the same index, with its own ladder makers and takers. Listed
  // after every other instrument, so the others keep their ids; off by default, so the embedded
  // simulator's market is unchanged.
  bool linearPerpetuals = false;
};

struct SimOutput {
  std::vector<MdEvent> md;
  std::vector<ExecReport> exec;
  void clear() { md.clear(); exec.clear(); }
};

class SimExchange : private MatchSink {
 public:
  explicit SimExchange(const SimConfig& config);
  ~SimExchange() override;

  const InstrumentRegistry& instruments() const { return instruments_; }
  const SimConfig& config() const { return config_; }
  // Places the initial quotes and emits a snapshot of every book.
  void start();
  // Advances the market by one step (config.step) of simulated time.
  void step();
  // Lets `steps` steps of simulated time pass with nothing happening in them (the exchange thread
  // was starved): the market's clock stays on the wall clock it is paced to.
  void skip(std::uint64_t steps);
  Nanos now() const { return now_; }
  std::uint64_t steps() const { return steps_; }
  // The first underlying's index (BTC by default).
  double indexPrice() const;
  // An underlying's index by currency ("BTC", "ETH") or index name ("btc_usd"); 0 if not listed.
  double indexPrice(std::string_view currencyOrIndex) const;
  // The listed underlyings' currencies, in the order of SimConfig::currencies.
  std::vector<std::string> currencies() const;

  // User order entry (the terminal's orders), answered with ExecReports in output().
  void submit(OrderId id, const OrderRequest& request);
  void cancel(OrderId id);
  void replace(OrderId id, Price newPrice, Qty newQty);
  void requestSnapshot(InstrumentId id);
  std::vector<Candle> history(InstrumentId id) const;

  SimOutput& output() { return out_; }

  // ---- instruments that come and go while the market runs (as Deribit lists and settles them) ----
  // Lists a new option on a listed underlying with that underlying's specifications (name
  // CUR-DDMMMYY-STRIKE-C|P); its makers quote it from the next step on (random takers keep to the
  // initial grid). Emits the new (empty) book's snapshot. Returns the new id, or kNoInstrument with
  // `why` set (unknown currency, expiry in the past, strike not positive or off the strike grid's
  // tick, the name already listed).
  InstrumentId listOption(const std::string& currency, Nanos expiry, Price strike, OptionType type, std::string* why);
  // Settles an option now: its makers walk away, every user order in it is cancelled with the
  // reason "instrument expired", new orders are refused. Futures and perpetuals are not expired
  // here (false, with why). Idempotent: an expired instrument answers false with why.
  bool expire(InstrumentId id, std::string* why);
  bool expired(InstrumentId id) const { return id < expired_.size() && expired_[id]; }

 private:
  struct Market;
  struct LadderMaker;
  struct OptionQuotes;
  struct Underlying;

  void buildInstruments();
  void buildUnderlying(std::size_t u);
  void buildLinearPerpetual(std::size_t u);
  Underlying& underlyingOf(InstrumentId id);
  const Underlying& underlyingOf(InstrumentId id) const;
  void onFill(const SimOrder& maker, const SimOrder& taker, Price price, Qty qty) override;
  void onLevel(Side side, Price price, Qty total, bool created) override;
  void begin(InstrumentId id);
  void flush();
  void emitSnapshot(InstrumentId id);
  void advancePrices();
  double fairPrice(InstrumentId id) const;
  void requoteLadder(LadderMaker& m);
  void ladderNoise();
  void ladderTaker(InstrumentId id);
  void requoteOption(std::size_t optionIndex);
  void optionNoise();
  void optionTaker(const Underlying& u);
  void emitIndex(const Underlying& u, bool exact);
  double smileVol(const Underlying& u, double logMoneyness, double t) const;
  Qty randomQty(const Instrument& inst, double mean);
  Price roundToTick(double price, Price tick, int direction) const;  // -1 down, +1 up, 0 nearest
  double fee(const Instrument& inst, Price price, Qty qty, bool maker) const;
  void userExec(ExecType type, OrderId id, Price price, Qty qty, Qty leaves, const std::string& reason,
                double fee = 0.0, bool maker = false);

  SimConfig config_;
  Rng rng_;
  InstrumentRegistry instruments_;
  std::vector<std::unique_ptr<Market>> markets_;  // by instrument id (null for the index)
  std::vector<LadderMaker> ladderMakers_;
  std::vector<OptionQuotes> options_;
  std::vector<InstrumentId> ladderInstruments_;   // perpetuals and futures
  std::vector<Underlying> underlyings_;
  std::vector<std::uint8_t> underlyingOf_;        // by instrument id: index into underlyings_
  std::unordered_map<OrderId, std::uint64_t> userOrders_;  // client id -> exchange id
  std::unordered_map<OrderId, InstrumentId> userInstrument_;
  std::unordered_set<OrderId> userPostOnly_;  // resting post-only orders keep the flag on replace
  std::vector<Level> scratch_;
  SimOutput out_;
  InstrumentId current_ = kNoInstrument;  // market being changed by the current action
  bool feedMuted_ = false;
  Nanos now_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t tradeId_ = 0;
  std::size_t optionCursor_ = 0;
  std::vector<std::uint8_t> expired_;  // by instrument id: settled by expire()
};

}  // namespace kappa::sim
