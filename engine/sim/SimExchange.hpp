#pragma once
// The embedded simulated exchange: a deterministic, single-threaded market. For a given seed and
// start time the sequence of market-data events is fixed (user orders change it, as they would on a
// real venue). Participants:
//  - a BTC index following geometric Brownian motion with Merton jumps;
//  - BTC-PERPETUAL and two BTC futures, each with ladder market makers around a fair price
//    (index plus basis) and takers sending market orders biased towards the fair price;
//  - a BTC option chain (7 expiries x 17 strikes x call/put, inverse, Deribit tick 0.0005 BTC)
//    quoted in three layers by market makers around a Black-76 theo from a smile that moves with
//    spot (skew, curvature, term structure), with random takers.
// The user's orders rest in and match against the same books.
#include <memory>
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

struct SimConfig {
  std::uint64_t seed = 1;
  Nanos startTime = 0;               // UTC; the option expiries are derived from it
  double updatesPerSecond = 2500;    // target L2 level updates per second over all books
  double spot = 67000.0;             // initial BTC index
  double volatility = 0.55;          // annualised index volatility
  double jumpsPerHour = 4.0;
  double jumpSigma = 0.004;          // log jump size standard deviation
  Nanos step = 1'000'000;            // simulation step: 1 ms
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
  double indexPrice() const { return index_; }

  // User order entry (the terminal's orders), answered with ExecReports in output().
  void submit(OrderId id, const OrderRequest& request);
  void cancel(OrderId id);
  void replace(OrderId id, Price newPrice, Qty newQty);
  void requestSnapshot(InstrumentId id);
  std::vector<Candle> history(InstrumentId id) const;

  SimOutput& output() { return out_; }

 private:
  struct Market;
  struct LadderMaker;
  struct OptionQuotes;

  void buildInstruments();
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
  void optionTaker();
  double smileVol(double logMoneyness, double t) const;
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
  std::vector<InstrumentId> ladderInstruments_;   // perpetual and futures
  InstrumentId indexId_ = kNoInstrument;
  InstrumentId perpId_ = kNoInstrument;
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
  double index_ = 0;
  double index0_ = 0;
  double perpBasis_ = 0.0002;
  double volLevel_ = 0.0;                         // OU shock to the whole surface
};

}  // namespace kappa::sim
