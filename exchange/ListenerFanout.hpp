#pragma once
// The market's and the accounts' events go to both venues kappa-exchange serves, each getting what
// is its own: Deribit's ChannelHub the Deribit instruments' books and trades, the Binance side its
// linear USDT perpetuals'; both the index prices and the simulator's user reports (each venue's
// Accounts books only its own orders).
#include "ChannelHub.hpp"
#include "MarketState.hpp"

namespace kappa::exchange {

class ListenerFanout : public MarketListener {
 public:
  ListenerFanout(const MarketState& market, MarketListener& deribit, MarketListener* binance)
      : market_(market), deribit_(deribit), binance_(binance) {}

  void onBookChange(const BookChange& c) override { route(c.instrument).onBookChange(c); }
  void onPublicTrade(const PublicTrade& t) override { route(t.instrument).onPublicTrade(t); }
  void onIndexPrice(InstrumentId index, double price, Nanos ts) override {
    deribit_.onIndexPrice(index, price, ts);
    if (binance_) binance_->onIndexPrice(index, price, ts);
  }
  void onExecutions(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) override {
    deribit_.onExecutions(reports, trades);
    if (binance_) binance_->onExecutions(reports, trades);
  }
  void onInstrumentState(const Instrument& inst, const char* state, Nanos ts) override {
    if (MarketState::onDeribit(inst)) deribit_.onInstrumentState(inst, state, ts);
  }

 private:
  MarketListener& route(InstrumentId id) {
    return binance_ && MarketState::onBinance(market_.instruments()[id]) ? *binance_ : deribit_;
  }
  const MarketState& market_;
  MarketListener& deribit_;
  MarketListener* binance_;
};

}  // namespace kappa::exchange
