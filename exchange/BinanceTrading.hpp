#pragma once
// Binance USD-M futures order entry and account views over the exchange's Binance accounts (their
// own Accounts instance: the same ids and secrets as Deribit's, a USDT wallet, positions in coin).
// Validates orders with Binance's filters and error codes, sends them into the shared simulator,
// and builds Binance's order / account / balance / position JSON.
//
// Margin (cross, one-way mode, leverage 20 per symbol unless changed): position initial margin
// |size| * mark / leverage, open orders' initial margin leaves * price / leverage, maintenance
// 0.4 % of the notional; unrealised PnL size * (mark - entry); available = wallet + unrealised
// - initial. An order that would make it negative is refused (-2019).
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "Accounts.hpp"
#include "BinanceMarket.hpp"
#include "BinanceRequest.hpp"

namespace kappa::exchange::binance {

class Trading {
 public:
  Trading(Market& market, Accounts& accounts) : market_(market), accounts_(accounts) {}

  Accounts& accounts() { return accounts_; }
  // The account whose API key (its client id) this is; ApiError -2015 when none.
  Account& byApiKey(const std::string& key);

  nlohmann::json newOrder(Account& a, const Request& r);
  nlohmann::json modifyOrder(Account& a, const Request& r);
  nlohmann::json cancelOrder(Account& a, const Request& r);
  nlohmann::json queryOrder(Account& a, const Request& r);
  nlohmann::json openOrders(Account& a, const Request& r);
  nlohmann::json cancelAll(Account& a, const Request& r);
  // Every account's open orders on the symbol cancelled (it closes: delist fault); how many.
  int cancelEveryOrderOn(InstrumentId id);
  nlohmann::json userTrades(Account& a, const Request& r);

  nlohmann::json account(const Account& a, int version) const;
  nlohmann::json balance(const Account& a) const;
  nlohmann::json positionRisk(const Account& a, const Request& r, int version) const;
  nlohmann::json leverageBracket(const Request& r) const;
  nlohmann::json setLeverage(Account& a, const Request& r);
  int leverage(const Account& a, InstrumentId id) const;

  nlohmann::json orderJson(const OrderRecord& o) const;
  static const char* statusOf(const OrderRecord& o);
  // ACCOUNT_UPDATE's "a" object: the USDT balance and this symbol's position.
  nlohmann::json accountUpdate(const Account& a, InstrumentId id, const char* reason) const;

  struct Figures {
    double wallet = 0, unrealized = 0, positionInitial = 0, orderInitial = 0, maintenance = 0;
    double marginBalance() const { return wallet + unrealized; }
    double available() const { return wallet + unrealized - positionInitial - orderInitial; }
  };
  Figures figures(const Account& a, const OrderRecord* extra = nullptr) const;

 private:
  OrderRecord& findOrder(Account& a, const Request& r);
  double orderInitial(const OrderRecord& o) const;
  nlohmann::json positionRiskRow(const Account& a, InstrumentId id, int version) const;

  Market& market_;
  Accounts& accounts_;
  std::map<std::pair<int, InstrumentId>, int> leverage_;
  std::map<std::pair<int, std::string>, OrderId> byClientId_;  // (account, clientOrderId) -> sim id
};

}  // namespace kappa::exchange::binance
