#include "ExchangeServer.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <iostream>

#include "HttpSession.hpp"
#include "core/Clock.hpp"

namespace kappa::exchange {
namespace {
sim::SimConfig simConfig(const ExchangeConfig& c) {
  sim::SimConfig s;
  s.seed = c.seed;
  s.updatesPerSecond = c.feedRate;
  // The market's clock is the wall clock unless a start is asked for (the same market any day).
  s.startTime = c.simStart ? c.simStart : wallNow();
  s.linearPerpetuals = c.binance.enabled;  // BTCUSDT and ETHUSDT for the Binance side
  return s;
}
}  // namespace

ExchangeServer::ExchangeServer(const ExchangeConfig& config)
    : config_(config),
      acceptor_(io_),
      signals_(io_, SIGINT, SIGTERM),
      simTimer_(io_),
      windowTimer_(io_),
      heartbeatTimer_(io_),
      secondTimer_(io_),
      market_(simConfig(config)),
      accounts_(market_),
      hub_(market_, accounts_),
      limiter_(config.matching, config.other),
      dispatcher_(config_, market_, accounts_, hub_, limiter_, faults_,
                  [this](int ms, std::function<void()> fn) { defer(ms, std::move(fn)); }),
      binanceTimer_(io_),
      binanceSecondTimer_(io_) {
  if (config.binance.enabled) binance_ = std::make_unique<binance::Venue>(config.binance, market_, config.accounts);
  fanout_ = std::make_unique<ListenerFanout>(market_, hub_, binance_.get());
  market_.setListener(fanout_.get());
  accounts_.setListener(&hub_);
  accounts_.setTokenLifetime(config.tokenLifetimeSeconds);
  for (const AccountSpec& a : config.accounts) accounts_.add(a.clientId, a.secret, a.balances);
  faults_.delayMs = config.delayMs;
  faults_.dropEverySeconds = config.dropEverySeconds;
  faults_.skipChangeEverySeconds = config.skipChangeEverySeconds;
  faults_.heartbeatSilent = config.heartbeatSilent;
  faults_.locked = config.locked;
  for (const auto& [method, code] : config.methodErrors) faults_.setMethodError(method, code, 0);
  if (config.locked) hub_.publishPlatformState(true);
}

void ExchangeServer::defer(int ms, std::function<void()> fn) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(ms));
  timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec) fn();
  });
}

void ExchangeServer::every(boost::asio::steady_timer& timer, std::chrono::milliseconds period, std::function<void()> work) {
  timer.expires_after(period);
  timer.async_wait([this, &timer, period, work = std::move(work)](boost::system::error_code ec) mutable {
    if (ec) return;
    work();
    every(timer, period, std::move(work));
  });
}

void ExchangeServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec) {
      if (acceptor_.is_open()) accept();
      return;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    const bool loopback = !rec && remote.address().is_loopback();
    const std::string ip = rec ? std::string() : remote.address().to_string();
    socket.set_option(boost::asio::ip::tcp::no_delay(true), rec);
    auto ids = [this] { return nextSession_++; };
    if (tls_) {
      using Tls = boost::beast::ssl_stream<boost::beast::tcp_stream>;
      auto s = std::make_shared<HttpSession<Tls>>(dispatcher_, binance_.get(), faults_, ids, loopback, std::move(socket), *tls_);
      s->remoteIp = ip;
      s->start();
    } else {
      auto s = std::make_shared<HttpSession<boost::beast::tcp_stream>>(dispatcher_, binance_.get(), faults_, ids, loopback,
                                                                       std::move(socket));
      s->remoteIp = ip;
      s->start();
    }
    accept();
  });
}

int ExchangeServer::run() {
  namespace ip = boost::asio::ip;
  boost::system::error_code ec;
  if (!config_.tlsCert.empty()) {
    tls_.emplace(boost::asio::ssl::context::tls_server);
    tls_->set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                      boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                      boost::asio::ssl::context::no_tlsv1_1);
    tls_->use_certificate_chain_file(config_.tlsCert, ec);
    if (!ec) tls_->use_private_key_file(config_.tlsKey, boost::asio::ssl::context::pem, ec);
    if (ec) {
      std::cerr << "kappa-exchange: cannot load the TLS certificate or key: " << ec.message() << "\n";
      return 2;
    }
  }
  const ip::address address = ip::make_address(config_.host, ec);
  if (ec) {
    std::cerr << "kappa-exchange: --listen host must be an IP address, got '" << config_.host << "'\n";
    return 2;
  }
  const ip::tcp::endpoint endpoint(address, config_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "kappa-exchange: cannot listen on " << config_.host << ":" << config_.port << ": " << ec.message() << "\n";
    return 2;
  }
  const unsigned short port = acceptor_.local_endpoint().port();
  const std::string host = address.is_v6() ? "[" + config_.host + "]" : config_.host;

  market_.start();
  // The first line of stdout is the contract with tests and scripts: where to connect.
  std::cout << "listening " << (tls_ ? "wss" : "ws") << "://" << host << ":" << port << "/ws/api/v2" << std::endl;
  std::cerr << "kappa-exchange: seed " << config_.seed << ", " << market_.instruments().size() << " instruments, "
            << accounts_.size() << " account(s), HTTP at " << (tls_ ? "https" : "http") << "://" << host << ":" << port
            << "/api/v2\n";
  if (binance_)
    std::cerr << "kappa-exchange: Binance USD-M futures at " << (tls_ ? "https" : "http") << "://" << host << ":" << port
              << "/fapi, streams " << (tls_ ? "wss" : "ws") << "://" << host << ":" << port << "/ws and /stream\n";

  accept();
  every(simTimer_, std::chrono::milliseconds(1), [this] { market_.pace(); });
  every(windowTimer_, std::chrono::milliseconds(100), [this] { hub_.flush100ms(); });
  every(heartbeatTimer_, std::chrono::milliseconds(250), [this] { dispatcher_.heartbeatTick(monoNow()); });
  every(secondTimer_, std::chrono::milliseconds(1000), [this] {
    hub_.flushPortfolio();
    const Nanos now = monoNow();
    if (faults_.dropEverySeconds > 0 && now - lastDrop_ >= Nanos(faults_.dropEverySeconds * 1e9)) {
      if (lastDrop_ != 0) dispatcher_.dropAll();
      lastDrop_ = now;
    }
    if (faults_.skipChangeEverySeconds > 0 && now - lastSkip_ >= Nanos(faults_.skipChangeEverySeconds * 1e9)) {
      if (lastSkip_ != 0) hub_.skipNextChange(kNoInstrument);
      lastSkip_ = now;
    }
  });
  if (binance_) {
    every(binanceTimer_, std::chrono::milliseconds(50), [this] { binance_->tick50ms(); });
    every(binanceSecondTimer_, std::chrono::milliseconds(1000), [this] { binance_->tick1s(); });
  }
  signals_.async_wait([this](boost::system::error_code, int sig) {
    std::cerr << "kappa-exchange: signal " << sig << ", stopping\n";
    acceptor_.close();
    io_.stop();
  });
  io_.run();
  return 0;
}

}  // namespace kappa::exchange
