#pragma once
// What Deribit says about our orders, turned into the engine's execution reports, each fact once.
//
// Deribit tells us about an order several ways: the answer to buy/sell/edit/cancel, user.orders and
// user.trades notifications, and after a reconnect the reconciliation queries. They overlap and can
// arrive in any order. This tracker keeps, per order, what the engine has already been told (acked,
// price and amount, quantity filled) and every trade id booked, so each answer only adds what is new:
// Ack before anything else, Replaced when price or amount changed, a Fill per trade (never twice),
// and the terminal Cancelled only once the fills before it have been reported. I/O thread only.
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "oms/OrderTypes.hpp"
#include "venue/deribit/DeribitDecoder.hpp"

namespace kappa::deribit {

class DeribitOrderTracker {
 public:
  struct Tracked {
    OrderId id = 0;
    OrderRequest request;
    std::string exchangeOrderId;  // empty until the exchange named it
    bool acked = false;
    bool terminal = false;
    bool cancelWanted = false;  // cancel asked before the exchange named the order
    bool adopted = false;       // an earlier session's order (queryOrders), not sent by us
    Price price = 0;            // as the engine knows it
    Qty amount = 0;             // total, as the engine knows it
    Qty filled = 0;             // reported to the engine as fills
    // A terminal state the exchange announced while fills it counted are still on their way.
    bool pendingCancel = false;
    Qty pendingFilledAmount = 0;
    std::string pendingReason;
    Nanos pendingSince = 0;
  };

  // Our order, sent now.
  void add(OrderId id, const OrderRequest& request);
  // An earlier session's order the engine asks about (restart reconciliation).
  void adopt(OrderId id);

  Tracked* find(OrderId id);
  Tracked* findByExchangeId(const std::string& exchangeOrderId);
  // Our OrderId for a label, or 0 if the label is not a decimal id of ours.
  static OrderId idFromLabel(const std::string& label);

  void onOrder(const DeribitOrderUpdate& u, std::vector<ExecReport>& out);
  void onTrade(const DeribitUserTrade& t, std::vector<ExecReport>& out);
  // The exchange refused the request outright (an error answer): the order never existed.
  // notSent: refused by the connector itself, never sent (ExecReport::notSent).
  void reject(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out, bool notSent = false);
  // Terminal states held back for fills that never came (the trades query found none): released.
  void releaseStale(Nanos now, Nanos olderThan, std::vector<ExecReport>& out);

  bool tradeSeen(const std::string& tradeId) const { return seenTrades_.count(tradeId) != 0; }
  // The newest trade timestamp booked (reconciliation asks for trades since then).
  Nanos lastTradeTs() const { return lastTradeTs_; }
  std::vector<OrderId> workingOrders() const;
  std::size_t size() const { return orders_.size(); }

 private:
  void ack(Tracked& o, const std::string& exchangeOrderId, Nanos ts, std::vector<ExecReport>& out);
  void finish(Tracked& o, ExecType type, const std::string& reason, Nanos ts, std::vector<ExecReport>& out);
  Tracked* resolve(const std::string& exchangeOrderId, const std::string& label);

  std::unordered_map<OrderId, Tracked> orders_;
  std::unordered_map<std::string, OrderId> byExchangeId_;
  std::unordered_set<std::string> seenTrades_;
  Nanos lastTradeTs_ = 0;
};

}  // namespace kappa::deribit
