#pragma once
// The exchange's accounts: API keys, access and refresh tokens, balances per currency, positions,
// orders and trades. An account sees only its own orders and trades: every lookup takes the
// account asking. Fills arrive as the simulator's ExecReports and are booked here (balance, fees,
// position, average price), then announced to the listener (user.orders / user.trades).
//
// Margin model (simple, honest, the same for every currency; all amounts in the coin):
//  - futures and perpetuals (inverse, size in USD): position value |size|/mark; initial margin
//    2 % of it (Deribit's 50x), maintenance 1 %; unrealised PnL size*(1/avg - 1/mark);
//  - options: a long pays its premium and needs no margin, valued at size*mark; a short needs
//    max(0.15 - OTM/underlying, 0.1) + mark initial and 0.075 + mark maintenance per contract
//    (Deribit's standard-margin formula), valued at -size*mark;
//  - open orders add the initial margin they would need if filled (a bid for options: its premium);
//  - equity = balance + futures unrealised PnL + options value; available funds = equity - initial
//    margin; an order that would make available funds negative is refused with not_enough_funds.
//  - Binance's linear USDT perpetuals (a second Accounts, see BinanceVenue) book positions in coin
//    with PnL size*(price - avg) in USDT; their margin is BinanceAccountView's, not margin() here.
// Fees and realised futures PnL move the balance; option premiums move it when they trade.
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "ClientSession.hpp"
#include "MarketState.hpp"

namespace kappa::exchange {

enum class OrdState { Open, Filled, Cancelled, Rejected };
const char* nameOf(OrdState s);

struct OrderRecord {
  OrderId simId = 0;
  int account = 0;
  std::uint64_t session = 0;  // the connection that placed it (cancel-on-disconnect)
  std::string orderId;        // Deribit's order_id
  std::string label;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  bool market = false;
  std::string timeInForce = "good_til_cancelled";
  bool postOnly = false, reduceOnly = false, rejectPostOnly = false;
  Price price = 0;
  Qty amount = 0;   // total, filled included
  Qty filled = 0;
  double filledValue = 0;  // sum of price*qty, for the average price
  OrdState state = OrdState::Open;
  std::string cancelReason;
  std::string pendingCancelReason;  // set before asking the simulator to cancel
  std::string rejectReason;
  std::int64_t created = 0, updated = 0;  // ms
  bool replaced = false;
  bool open() const { return state == OrdState::Open; }
};

struct UserTrade {
  std::uint64_t seq = 0;            // exchange-wide trade number
  std::uint64_t instrumentSeq = 0;  // trade_seq
  InstrumentId instrument = kNoInstrument;
  OrderId simId = 0;
  Side side = Side::Buy;
  Price price = 0;
  Qty qty = 0;
  double fee = 0;
  bool maker = false;
  std::int64_t ts = 0;  // ms
  int tickDirection = 0;
  double indexPrice = 0, markPrice = 0;
};

struct Position {
  Qty size = 0;          // signed: USD for futures, contracts for options
  double avgPrice = 0;
  double realized = 0;   // coin
};

struct Account {
  int id = 0;
  std::string clientId;
  std::string secret;  // never logged
  std::map<std::string, double> balance;  // per currency
  std::map<InstrumentId, Position> positions;
  std::vector<UserTrade> trades;
  bool cancelOnDisconnectAccount = false;  // private/enable_cancel_on_disconnect scope=account
};

struct MarginFigures {
  double balance = 0, equity = 0, initial = 0, maintenance = 0, futuresUpl = 0, futuresRpl = 0, optionsValue = 0;
  double optionsDelta = 0, optionsGamma = 0, optionsVega = 0, optionsTheta = 0, deltaTotal = 0, fees = 0;
  double available() const { return equity - initial; }
};

class AccountListener {
 public:
  virtual ~AccountListener() = default;
  // `trade` is the fill that changed the order, if a fill did (it came to onUserTrade just before).
  virtual void onOrderUpdate(const OrderRecord& order, const UserTrade* trade) = 0;
  virtual void onUserTrade(const OrderRecord& order, const UserTrade& trade) = 0;
};

class Accounts {
 public:
  // firstSimId: the simulator's order ids are one space shared by every Accounts on the market
  // (Deribit's and Binance's): each starts its own range.
  explicit Accounts(const MarketState& market, OrderId firstSimId = 1) : market_(market), nextSim_(firstSimId) {}
  void setListener(AccountListener* l) { listener_ = l; }

  int add(const std::string& clientId, const std::string& secret, const std::map<std::string, double>& balances);
  Account* byClientId(const std::string& clientId);
  Account& get(int id) { return accounts_.at(std::size_t(id - 1)); }
  std::size_t size() const { return accounts_.size(); }

  // Tokens: an access token lives expiresIn seconds, a refresh token a week.
  struct Issued {
    std::string access, refresh;
    int expiresIn = 0;
  };
  Issued issue(int account, Nanos wallNow);
  int accountOfAccess(const std::string& token, Nanos wallNow) const;   // 0 if unknown/expired
  int redeemRefresh(const std::string& token, Nanos wallNow);           // consumes it
  void setTokenLifetime(int seconds) { tokenLifetime_ = seconds; }

  // Orders.
  OrderRecord& create(int account, InstrumentId instrument);
  OrderRecord* bySim(OrderId simId);
  // The account's order by Deribit id; null when it does not exist or belongs to someone else.
  OrderRecord* find(int account, const std::string& orderId);
  std::vector<OrderRecord*> ordersOf(int account);
  // The account's open orders, oldest first, without walking its closed ones.
  std::vector<OrderRecord*> openOrdersOf(int account) const;
  const std::vector<std::size_t>& tradesOfOrder(OrderId simId) const;

  // The simulator's reports for user orders, with the public trades of the same action.
  void apply(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades);

  MarginFigures margin(const Account& a, const std::string& currency, const OrderRecord* extra = nullptr) const;

  nlohmann::json orderJson(const OrderRecord& o) const;
  nlohmann::json tradeJson(const Account& a, const UserTrade& t) const;
  nlohmann::json positionJson(const Account& a, InstrumentId id) const;
  nlohmann::json summaryJson(const Account& a, const std::string& currency) const;

 private:
  void book(Account& a, OrderRecord& o, const ExecReport& r, std::vector<PublicTrade>& trades);
  double orderMargin(const OrderRecord& o) const;
  double shortOptionMargin(const Instrument& inst, double mark, bool initial) const;

  const MarketState& market_;
  AccountListener* listener_ = nullptr;
  std::vector<Account> accounts_;
  struct Token {
    int account = 0;
    Nanos expiry = 0;
  };
  std::unordered_map<std::string, Token> access_, refresh_;
  int tokenLifetime_ = 900;
  std::unordered_map<OrderId, OrderRecord> orders_;
  std::unordered_map<std::string, OrderId> byOrderId_;
  std::unordered_map<OrderId, std::vector<std::size_t>> orderTrades_;  // index into the account's trades
  // Per account, the orders that were open when last looked at; closed ones leave lazily, so
  // margin and cancel_all cost what is open, not the whole session's history.
  mutable std::unordered_map<int, std::set<OrderId>> open_;
  OrderId nextSim_;
};

}  // namespace kappa::exchange
