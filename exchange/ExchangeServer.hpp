#pragma once
// kappa-exchange's server: one io_context on one thread runs the simulated market (1 ms steps
// paced to the wall clock), every client connection, and the periodic work (100 ms book windows
// and tickers, heartbeats, portfolio, timed faults). One thread keeps the exchange's state free of
// locks and its event order total; it is fast enough for loopback tests and demos.
// WebSocket (/ws/api/v2) and HTTP (/api/v2/...) share the one port with Binance USD-M futures'
// REST (/fapi/...) and streams (/ws/..., /stream); with a certificate and key every connection is TLS.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "Accounts.hpp"
#include "ChannelHub.hpp"
#include "CreditLimiter.hpp"
#include "ExchangeConfig.hpp"
#include "FaultInjector.hpp"
#include "MarketState.hpp"
#include "RpcDispatcher.hpp"
#include "BinanceVenue.hpp"
#include "ListenerFanout.hpp"

namespace kappa::exchange {

class ExchangeServer {
 public:
  explicit ExchangeServer(const ExchangeConfig& config);
  // Binds, prints the listening line, runs until SIGINT/SIGTERM. Returns the exit code.
  int run();

 private:
  void accept();
  void every(boost::asio::steady_timer& timer, std::chrono::milliseconds period, std::function<void()> work);
  void defer(int ms, std::function<void()> fn);

  ExchangeConfig config_;
  boost::asio::io_context io_;
  std::optional<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer simTimer_, windowTimer_, heartbeatTimer_, secondTimer_;
  MarketState market_;
  Accounts accounts_;
  ChannelHub hub_;
  CreditLimiter limiter_;
  FaultInjector faults_;
  RpcDispatcher dispatcher_;
  std::unique_ptr<binance::Venue> binance_;  // null with --no-binance
  std::unique_ptr<ListenerFanout> fanout_;
  boost::asio::steady_timer binanceTimer_, binanceSecondTimer_;
  std::uint64_t nextSession_ = 1;
  Nanos lastDrop_ = 0, lastSkip_ = 0;
};

}  // namespace kappa::exchange
