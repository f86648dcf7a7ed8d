#pragma once
// The market as the exchange serves it: runs the simulator (engine/sim/SimExchange) paced to the
// wall clock in its own 1 ms steps, keeps an L2 book per instrument built from the simulator's own
// market-data events (so the change_id chain the clients see is the simulator's), the last trade
// and session statistics per instrument and the index prices, and computes what Deribit's ticker
// shows: mark price, and for options mark/bid/ask implied volatility and Greeks with the engine's
// own pricing (ImpliedVol, Black-76 on the forward the simulator prices with).
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "book/OrderBook.hpp"
#include "sim/SimExchange.hpp"

namespace kappa::exchange {

struct LevelChange {
  Side side;
  LevelAction action;
  Price price;
  Qty qty;
};
struct BookChange {
  InstrumentId instrument = kNoInstrument;
  std::uint64_t changeId = 0, prevChangeId = 0;
  Nanos ts = 0;
  std::vector<LevelChange> levels;
};
struct PublicTrade {
  InstrumentId instrument = kNoInstrument;
  std::uint64_t tradeSeq = 0;  // exchange-wide trade number (trade_id)
  std::uint64_t instrumentSeq = 0;  // per instrument (trade_seq)
  Side takerSide = Side::Buy;
  Price price = 0;
  Qty qty = 0;
  Nanos ts = 0;
  int tickDirection = 0;
  double indexPrice = 0, markPrice = 0;
  bool makerMatched = false, takerMatched = false;  // paired with a user's fill already (Accounts)
};

class MarketListener {
 public:
  virtual ~MarketListener() = default;
  virtual void onBookChange(const BookChange& change) = 0;
  virtual void onPublicTrade(const PublicTrade& trade) = 0;
  virtual void onIndexPrice(InstrumentId index, double price, Nanos ts) = 0;
  // The user orders' reports, after the market data of the same simulator action.
  virtual void onExecutions(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) = 0;
  // An instrument's lifecycle, as Deribit's instrument.state channel names it: "created" and
  // "started" when listed while running, "settled" and "terminated" when it expires.
  virtual void onInstrumentState(const Instrument& inst, const char* state, Nanos ts) {}
};

struct OptionMetrics {
  double underlying = 0;  // forward of the expiry
  double markIv = 0, bidIv = 0, askIv = 0;  // percent, 0 when not defined
  double delta = 0, gamma = 0, vega = 0, theta = 0, rho = 0;
};

class MarketState {
 public:
  explicit MarketState(const sim::SimConfig& config);
  void setListener(MarketListener* l) { listener_ = l; }

  void start();
  // Runs the steps that are due by the wall clock (at most a bounded number: under overload the
  // market slows rather than spirals, and missed time passes empty, as SimVenue does).
  void pace();

  void submit(OrderId id, const OrderRequest& request);
  void cancel(OrderId id);

  // ---- instruments that come and go (see exchange/README.md, "Instruments while running") ----
  // Lists an option while running (kappa/list_instrument); kNoInstrument with `why` if refused.
  InstrumentId listOption(const std::string& currency, Nanos expiry, Price strike, OptionType type, std::string* why);
  // Settles an option now (kappa/expire_instrument, or its 08:00 UTC expiry passing while running):
  // its book empties, users' orders in it are cancelled ("instrument expired"), it leaves
  // get_instruments (it is listed with expired=true) and its channels.
  bool expire(InstrumentId id, std::string* why);
  bool expired(InstrumentId id) const { return sim_.expired(id); }
  void replace(OrderId id, Price price, Qty qty);

  const InstrumentRegistry& instruments() const { return sim_.instruments(); }
  // The Binance side's linear USDT perpetuals (BTCUSDT, ETHUSDT) share the simulator with Deribit's
  // instruments but are not Deribit's: find() and the Deribit listings leave them out.
  static bool onBinance(const Instrument& inst) { return inst.quoteCurrency == "USDT"; }
  static bool onDeribit(const Instrument& inst) { return !onBinance(inst); }
  const Instrument* find(const std::string& name) const {
    const Instrument* inst = instruments().find(name);
    return inst && onDeribit(*inst) ? inst : nullptr;
  }
  const Instrument* findBinance(const std::string& symbol) const {
    const Instrument* inst = instruments().find(symbol);
    return inst && onBinance(*inst) ? inst : nullptr;
  }
  const OrderBook& book(InstrumentId id) const { return books_[id]; }
  Nanos now() const { return sim_.now(); }
  std::int64_t nowMs() const { return sim_.now() / 1'000'000; }

  // Currencies listed (base currencies of tradable instruments), e.g. BTC, ETH.
  const std::vector<std::string>& currencies() const { return currencies_; }
  bool hasCurrency(const std::string& c) const;
  // The index an instrument prices off ("btc_usd") and its price.
  InstrumentId indexOf(const std::string& currency) const;
  std::string indexName(const std::string& currency) const;
  double indexPrice(InstrumentId index) const { return index < index_.size() ? index_[index] : 0.0; }
  double indexFor(const Instrument& inst) const { return indexPrice(inst.underlyingId); }
  static std::string currencyOfIndex(const Instrument& index);

  double markPrice(InstrumentId id) const;
  double forward(const Instrument& inst) const;
  OptionMetrics optionMetrics(const Instrument& inst) const;
  // Quantity available to a taker on `side` up to `limit` (for fill_or_kill).
  Qty liquidity(InstrumentId id, Side takerSide, Price limit, bool market) const;
  Price lastPrice(InstrumentId id) const { return stats_[id].last; }
  // The latest public trades of an instrument (at most kRecentTrades), oldest first.
  static constexpr std::size_t kRecentTrades = 200;
  const std::deque<PublicTrade>& recentTrades(InstrumentId id) const { return recent_[id]; }

  nlohmann::json instrumentJson(const Instrument& inst) const;
  nlohmann::json tickerJson(const Instrument& inst) const;
  nlohmann::json orderBookJson(const Instrument& inst, std::size_t depth) const;
  nlohmann::json bookSnapshotJson(const Instrument& inst) const;  // book channel's first message
  nlohmann::json tradeJson(const PublicTrade& t) const;
  static const char* kindName(const Instrument& inst);  // future | option
  static std::string tradeIdString(const Instrument& inst, std::uint64_t seq);

 private:
  struct Stats {
    Price last = 0, high = 0, low = 0, open = 0;
    double volume = 0;  // base currency (contracts for options, coin for futures)
    std::uint64_t tradeCount = 0;
  };
  void drain();
  void applyMd(const MdEvent& e);
  void settleDue();  // options whose expiry the market's clock passed

  sim::SimExchange sim_;
  MarketListener* listener_ = nullptr;
  std::vector<OrderBook> books_;
  std::vector<Stats> stats_;
  std::vector<double> index_;
  std::vector<std::deque<PublicTrade>> recent_;
  std::vector<std::string> currencies_;
  BookChange pending_;
  bool inSnapshot_ = false;
  std::vector<PublicTrade> trades_;  // of the current drain
  std::chrono::steady_clock::time_point origin_;
  Nanos creationMs_ = 0;
  std::vector<std::int64_t> createdMs_;  // by id: listing time of instruments listed while running (0: at start)
  Nanos nextExpiry_ = 0;                 // earliest expiry of a live option (0: recompute)
};

}  // namespace kappa::exchange
