#pragma once
// Deribit's JSON-RPC 2.0 v2 API over the exchange: parses and validates requests, authorises,
// applies the rate limits and injected faults, runs the method and answers with Deribit's result
// or error object ({"jsonrpc":"2.0","id":N,"result"|"error":…,"usIn","usOut","usDiff","testnet"}).
// The same method table serves WebSocket frames and HTTP requests (GET /api/v2/{method}?params,
// POST JSON-RPC to /api/v2 or /api/v2/{method}); HTTP's private methods authorise with
// "Authorization: Bearer <access_token>", Basic, or Deribit's deri-hmac-sha256 signature.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "Accounts.hpp"
#include "ChannelHub.hpp"
#include "ClientSession.hpp"
#include "CreditLimiter.hpp"
#include "ExchangeConfig.hpp"
#include "FaultInjector.hpp"
#include "MarketState.hpp"
#include "Params.hpp"
#include "WsHandler.hpp"

namespace kappa::exchange {

class RpcDispatcher : public WsHandler {
 public:
  // Runs `fn` on the server's thread after `ms` milliseconds (the delay fault, closing later).
  using Defer = std::function<void(int ms, std::function<void()> fn)>;
  RpcDispatcher(const ExchangeConfig& config, MarketState& market, Accounts& accounts, ChannelHub& hub,
                CreditLimiter& limiter, FaultInjector& faults, Defer defer);

  void onOpen(ClientSession& s) override;
  void onClosed(ClientSession& s) override;
  void onWsMessage(ClientSession& s, const std::string& text) override;

  struct HttpAnswer {
    int status = 200;
    std::string body;
    bool close = false;
    bool control = false;  // kappa/fault: never held back by the delay fault (as over WebSocket)
    int holdMs = 0;        // Binance order fault: the answer is held this long before it is written
    bool drop = false;     // Binance order fault: the connection is closed without an answer
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Binance's rate-limit headers)
  };
  HttpAnswer onHttp(ClientSession& s, const std::string& verb, const std::string& target,
                    const std::string& authorization, const std::string& body);

  // Called a few times a second: heartbeats (test_request, and closing the silent ones).
  void heartbeatTick(Nanos mono);
  // Fault: drop every connection now.
  void dropAll();

 private:
  struct Call {
    ClientSession& s;
    std::string method;
    Params p;
    bool http = false;
    int account = 0;
    bool noAnswer = false;  // public/test while heartbeats are being ignored (fault)
    bool closeAfter = false;
    std::function<void()> after;  // runs once the answer is queued (snapshots after subscribe)
  };
  using Handler = nlohmann::json (RpcDispatcher::*)(Call&);
  struct Method {
    Handler handler;
    bool isPrivate = false;
    bool matchingEngine = false;
    bool wsOnly = false;
  };

  // Runs one request; returns the whole answer, or null when none is due.
  nlohmann::json execute(ClientSession& s, const nlohmann::json& request, bool http, int httpAccount,
                         int httpAuthError, bool& closeAfter, std::function<void()>& after);
  nlohmann::json envelope(const nlohmann::json& id, std::int64_t usIn) const;
  void cancelOnDisconnect(ClientSession& s);
  int httpAccount(const std::string& verb, const std::string& target, const std::string& authorization,
                  const std::string& body, int& authError);
  const Instrument& instrumentParam(Call& c, const char* key = "instrument_name") const;
  std::string currencyParam(Call& c, bool allowAny = true) const;
  bool kindMatches(const Instrument& inst, const std::string& kind) const;
  Account& account(Call& c) { return accounts_.get(c.account); }
  void checkNotLocked() const;
  Qty amountParam(Call& c, const Instrument& inst) const;
  Price priceParam(Call& c, const Instrument& inst) const;
  std::size_t cancelWhere(int account, const std::function<bool(const OrderRecord&)>& pick, const char* reason);
  nlohmann::json orderResult(const OrderRecord& o, std::size_t firstTrade);

  // Session and public methods.
  nlohmann::json hello(Call& c);
  nlohmann::json auth(Call& c);
  nlohmann::json logout(Call& c);
  nlohmann::json setHeartbeat(Call& c);
  nlohmann::json disableHeartbeat(Call& c);
  nlohmann::json test(Call& c);
  nlohmann::json getTime(Call& c);
  nlohmann::json status(Call& c);
  nlohmann::json getCurrencies(Call& c);
  nlohmann::json getInstruments(Call& c);
  nlohmann::json getInstrument(Call& c);
  nlohmann::json getOrderBook(Call& c);
  nlohmann::json ticker(Call& c);
  nlohmann::json getIndexPrice(Call& c);
  nlohmann::json getIndexPriceNames(Call& c);
  nlohmann::json getBookSummaryByCurrency(Call& c);
  nlohmann::json getLastTradesByInstrument(Call& c);
  nlohmann::json getLastTradesByCurrency(Call& c);
  nlohmann::json subscribe(Call& c);
  nlohmann::json unsubscribe(Call& c);
  nlohmann::json unsubscribeAll(Call& c);
  // Trading.
  nlohmann::json buy(Call& c) { return place(c, Side::Buy); }
  nlohmann::json sell(Call& c) { return place(c, Side::Sell); }
  nlohmann::json place(Call& c, Side side);
  nlohmann::json edit(Call& c);
  nlohmann::json editByLabel(Call& c);
  nlohmann::json editOrder(Call& c, OrderRecord& o);
  nlohmann::json cancel(Call& c);
  nlohmann::json cancelAll(Call& c);
  nlohmann::json cancelAllByCurrency(Call& c);
  nlohmann::json cancelAllByInstrument(Call& c);
  nlohmann::json cancelByLabel(Call& c);
  nlohmann::json cancelAllByKindOrType(Call& c);
  nlohmann::json closePosition(Call& c);
  nlohmann::json getOpenOrdersByCurrency(Call& c);
  nlohmann::json getOpenOrdersByInstrument(Call& c);
  nlohmann::json getOrderState(Call& c);
  nlohmann::json getOrderStateByLabel(Call& c);
  nlohmann::json getOrderHistoryByCurrency(Call& c);
  nlohmann::json getOrderHistoryByInstrument(Call& c);
  nlohmann::json orderHistory(Call& c, const std::function<bool(const Instrument&)>& pick);
  nlohmann::json getUserTradesByCurrency(Call& c);
  nlohmann::json getUserTradesByInstrument(Call& c);
  nlohmann::json getUserTradesByOrder(Call& c);
  nlohmann::json getPositions(Call& c);
  nlohmann::json getPosition(Call& c);
  nlohmann::json getAccountSummary(Call& c);
  nlohmann::json getAccountSummaries(Call& c);
  nlohmann::json limitsJson() const;
  nlohmann::json setCod(Call& c, bool on);
  nlohmann::json enableCod(Call& c) { return setCod(c, true); }
  nlohmann::json disableCod(Call& c) { return setCod(c, false); }
  nlohmann::json getCod(Call& c);
  // Control (loopback only).
  nlohmann::json fault(Call& c);
  // Instruments while running (loopback only, like kappa/fault): list a new option by its Deribit
  // name, settle one now. See README.md "Instruments while running".
  nlohmann::json listInstrument(Call& c);
  nlohmann::json expireInstrument(Call& c);

  const ExchangeConfig& config_;
  MarketState& market_;
  Accounts& accounts_;
  ChannelHub& hub_;
  CreditLimiter& limiter_;
  FaultInjector& faults_;
  Defer defer_;
  std::unordered_map<std::string, Method> methods_;
  std::unordered_map<std::string, Nanos> usedNonces_;  // deri-hmac-sha256 replay protection
  // Heartbeats for tests (kappa/fault status): test_requests sent, and those answered with public/test.
  std::uint64_t testRequestsSent_ = 0, testRequestsAnswered_ = 0;
};

}  // namespace kappa::exchange
