#pragma once
// kappa-exchange's Binance USD-M futures side, whole: the symbols' market view, the Binance
// accounts (their own Accounts: same ids and secrets as Deribit's, a USDT wallet), order entry,
// rate limits, faults, the REST API and the WebSocket streams. Receives its instruments' market
// events and the simulator's reports (ListenerFanout), its accounts' order updates, and runs its
// periodic work (50 ms stream windows, 1 s mark prices / snapshots / listen keys / timed faults).
#include "Accounts.hpp"
#include "BinanceFaults.hpp"
#include "BinanceMarket.hpp"
#include "BinanceRateLimits.hpp"
#include "BinanceRestApi.hpp"
#include "BinanceStreams.hpp"
#include "BinanceTrading.hpp"
#include "ExchangeConfig.hpp"
#include "MarketState.hpp"
#include "WsSession.hpp"

namespace kappa::exchange::binance {

class Venue : public MarketListener, public AccountListener {
 public:
  // Binance's orders use simulator order ids from here up (Deribit's start at 1).
  static constexpr OrderId kFirstSimId = OrderId(1) << 40;
  static constexpr double kDefaultUsdt = 100'000;

  Venue(const BinanceConfig& config, MarketState& market, const std::vector<AccountSpec>& accounts);

  RestApi& rest() { return rest_; }
  Streams& streams() { return streams_; }
  WsOptions wsOptions() const;
  // /ws[/...] and /stream, also under Binance's /public, /market and /private routes (its
  // connectors put book data on /public, other market streams on /market, user data on /private).
  static std::string streamPath(const std::string& path) {
    for (const char* route : {"/public", "/market", "/private"})
      if (path.rfind(route, 0) == 0 && path.size() > std::string(route).size() && path[std::string(route).size()] == '/')
        return path.substr(std::string(route).size());
    return path;
  }
  static bool isStreamPath(const std::string& fullPath) {
    const std::string path = streamPath(fullPath);
    return path == "/ws" || path.rfind("/ws/", 0) == 0 || path == "/stream";
  }

  void tick50ms() { streams_.tick50ms(); }
  void tick1s();

  // MarketListener (its own instruments, index prices, every user report)
  void onBookChange(const BookChange& change) override { streams_.onBookChange(change); }
  void onPublicTrade(const PublicTrade& trade) override {
    market_.onPublicTrade(trade);
    streams_.onPublicTrade(trade);
  }
  void onIndexPrice(InstrumentId, double, Nanos) override {}
  void onExecutions(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) override {
    accounts_.apply(reports, trades);
  }
  // AccountListener
  void onOrderUpdate(const OrderRecord& order, const UserTrade* trade) override { streams_.onOrderUpdate(order, trade); }
  void onUserTrade(const OrderRecord&, const UserTrade&) override {}

 private:
  BinanceConfig config_;
  Market market_;
  Accounts accounts_;
  Faults faults_;
  RateLimits limits_;
  Trading trading_;
  Streams streams_;
  RestApi rest_;
  std::int64_t lastSkip_ = 0, lastBreak_ = 0, lastDrop_ = 0;
};

}  // namespace kappa::exchange::binance
