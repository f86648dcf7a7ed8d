#pragma once
// What Binance says about our orders, turned into the engine's execution reports, each fact once.
// The same order is described by the REST answers (POST/PUT/DELETE/GET order, openOrders) and by
// the user data stream's ORDER_TRADE_UPDATE, in any order. The tracker keeps per order what the
// engine has been told (ack, price and quantity, quantity filled) and books fills by the cumulative
// filled quantity, which every description carries: a trade the stream reports after a REST answer
// already counted it adds nothing, and a REST answer that shows fills the stream never brought
// (it was down) books the difference at the average price. I/O thread only.
#include <string>
#include <unordered_map>
#include <vector>

#include "oms/OrderTypes.hpp"
#include "venue/binance/BinanceDecoder.hpp"

namespace kappa::binance {

class BinanceOrderTracker {
 public:
  struct Tracked {
    OrderId id = 0;
    OrderRequest request;
    std::string symbol;
    std::uint64_t exchangeOrderId = 0;
    bool acked = false, terminal = false, adopted = false;
    Price price = 0;
    Qty amount = 0;          // total, as the engine knows it
    Qty filled = 0;          // reported to the engine as fills
    double filledNotional = 0;  // sum of fill price * qty, for the average of a REST-booked difference
    // Fills a REST answer showed that the stream has not brought yet (it brings them with price,
    // fee and maker flag): held for a moment, then booked from the REST figures.
    Qty restCum = 0;
    Price restAvg = 0;
    Nanos restSince = 0;  // monotonic; 0 = nothing held
    bool terminalHeld = false;  // a cancel/expiry waiting for those fills
    std::string heldReason;
    Nanos heldTs = 0;
  };

  void add(OrderId id, const OrderRequest& request, const std::string& symbol);
  void adopt(OrderId id);  // an earlier session's order (queryOrders)
  Tracked* find(OrderId id);

  // One description of an order (stream or REST). Unknown client ids are not ours: ignored.
  // `now` (monotonic) starts the hold of fills only a REST answer showed.
  void onOrder(const BinanceOrderUpdate& u, std::vector<ExecReport>& out, Nanos now = 0);
  // Fills held longer than `grace` (the stream never brought them: it was down, or the order is an
  // earlier session's) are booked from the REST figures, and a held cancel follows them.
  void releaseHeld(Nanos now, Nanos grace, std::vector<ExecReport>& out);
  // The exchange refused the request outright: the order never existed.
  // notSent: refused by the connector itself, never sent (ExecReport::notSent).
  void reject(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out, bool notSent = false);
  // The exchange has no such order (an earlier session's, or a lost request): Cancelled.
  void notFound(OrderId id, const std::string& reason, Nanos ts, std::vector<ExecReport>& out);

  // Whether fills only a REST answer showed are held for the stream (on `symbol`; "" = any): the
  // engine's position lacks them until they are booked.
  bool holdsRestFills(const std::string& symbol = {}) const;

  std::vector<OrderId> workingOrders() const;
  // Symbols with working orders (cancel all: one request per symbol).
  std::vector<std::string> workingSymbols() const;

 private:
  void finish(Tracked& o, ExecType type, const std::string& reason, Nanos ts, std::vector<ExecReport>& out);
  void bookRestFills(Tracked& o, Nanos ts, std::vector<ExecReport>& out);
  std::unordered_map<OrderId, Tracked> orders_;
};

}  // namespace kappa::binance
