#pragma once
// What the Deribit connector's tests against a real kappa-exchange share (tst_deribit_faults,
// tst_deribit_books): the engine side of the venue (VenueSide: callbacks applied to a real
// MarketData, every order's state as the execution reports tell it), the exchange's own view over
// its HTTP API (ExchangeView: a path independent of the connector's WebSocket code), and one
// consistency check between the two — orders by label (exactly one per label: never sent twice),
// open orders, fills per order (none lost, none twice), positions, and top-10 books at the same
// change_id. Header-only: each test is one translation unit.
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>
#include <QUrlQuery>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "ExchangeProcess.hpp"
#include "book/MarketData.hpp"
#include "venue/Venue.hpp"

namespace kappa::test {

// Runs the test's "engine thread" (the main thread's io_context) until `done` or `ms` elapse.
// A work guard keeps run_for waiting for handlers instead of returning at once: the wait sleeps
// rather than spins (the machine has 2 cores and tests run in parallel).
inline bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done, int ms) {
  auto guard = boost::asio::make_work_guard(io);
  QElapsedTimer t;
  t.start();
  while (!done()) {
    if (t.elapsed() > ms) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}
inline void runFor(boost::asio::io_context& io, int ms) { runUntil(io, [] { return false; }, ms); }

// Top levels as text ("b<qty>@<price> … a<qty>@<price> …"), the same for both sides of a compare.
inline QString levelText(char side, double qty, double price) {
  return QString("%1%2@%3 ").arg(side).arg(qty, 0, 'g', 12).arg(price, 0, 'g', 12);
}

// One order as the venue's execution reports describe it.
struct OurOrder {
  InstrumentId instrument = kNoInstrument;
  Side side = Side::Buy;
  Price price = 0;
  Qty amount = 0;
  Qty filled = 0;
  int fills = 0;
  bool acked = false, rejected = false, cancelled = false, fullyFilled = false;
  std::string lastReason;
  bool terminal() const { return rejected || cancelled || fullyFilled; }
  // The exchange's order_state this should match ("" = not settled yet; "none" = no order there).
  QString expectedState() const {
    if (rejected) return acked ? "cancelled" : "none";
    if (fullyFilled) return "filled";
    if (cancelled) return "cancelled";
    return acked ? "open" : "";
  }
};

// The engine side of the venue: callbacks run on the test's io_context.
struct VenueSide : VenueListener {
  explicit VenueSide(const InstrumentRegistry& r) : md(r), history(r.size()) {}

  void onMarketData(const MdEvent* events, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      const MdEvent& e = events[i];
      md.apply(e);
      if (e.type == MdType::BookEnd && watched.count(e.instrument)) {
        const OrderBook& b = md.book(e.instrument);
        if (!b.live()) continue;
        auto& h = history[e.instrument];
        h.emplace_back(b.changeId(), top(b));
        if (h.size() > 4000) h.pop_front();
      }
    }
  }
  void onExecution(const ExecReport& r) override {
    exec.push_back(r);
    auto it = orders.find(r.orderId);
    if (it == orders.end()) return;  // not one this test sent
    OurOrder& o = it->second;
    if (!r.reason.empty()) o.lastReason = r.reason;
    switch (r.type) {
      case ExecType::Ack: o.acked = true; break;
      case ExecType::Reject: o.rejected = true; break;
      case ExecType::Fill:
        o.acked = true;
        o.filled += r.qty;
        ++o.fills;
        if (r.leaves == 0) o.fullyFilled = true;
        break;
      case ExecType::Cancelled: o.cancelled = true; break;
      case ExecType::Replaced:
        o.price = r.price;
        o.amount = r.qty;
        break;
      case ExecType::CancelReject: break;
    }
  }
  void onVenueState(VenueState s, const std::string& detail) override {
    state = s;
    states.emplace_back(s, detail);
  }
  void onPositions(const std::vector<VenuePosition>& p) override {
    positions = p;
    ++positionAnswers;
  }
  void onAccount(const VenueAccount& a) override { accounts[a.currency] = a; }

  static QString top(const OrderBook& b) {
    Level levels[10];
    QString s;
    for (Side side : {Side::Buy, Side::Sell}) {
      const std::size_t n = b.topN(side, 10, levels);
      for (std::size_t i = 0; i < n; ++i)
        s += levelText(side == Side::Buy ? 'b' : 'a', toDouble(levels[i].qty), toDouble(levels[i].price));
    }
    return s;
  }
  // Sends an order through the venue and remembers it for the consistency check.
  void submit(Venue& venue, OrderId id, const OrderRequest& r) {
    OurOrder& o = orders[id];
    o.instrument = r.instrument;
    o.side = r.side;
    o.price = r.price;
    o.amount = r.qty;
    VenueOrder v;
    v.orderId = id;
    v.request = r;
    venue.submit(v);
  }
  int count(OrderId id, ExecType t) const {
    int n = 0;
    for (const ExecReport& r : exec) n += r.orderId == id && r.type == t;
    return n;
  }
  std::string lastReason(OrderId id, ExecType t) const {
    for (auto it = exec.rbegin(); it != exec.rend(); ++it)
      if (it->orderId == id && it->type == t) return it->reason;
    return {};
  }
  bool everDetail(const std::string& what) const {
    for (const auto& [s, d] : states)
      if (d.find(what) != std::string::npos) return true;
    return false;
  }

  MarketData md;
  std::set<InstrumentId> watched;  // books whose every state (change_id, top 10) is kept
  std::vector<std::deque<std::pair<std::uint64_t, QString>>> history;
  std::vector<ExecReport> exec;
  std::map<OrderId, OurOrder> orders;
  VenueState state = VenueState::Disconnected;
  std::vector<std::pair<VenueState, std::string>> states;
  std::vector<VenuePosition> positions;
  int positionAnswers = 0;
  std::map<std::string, VenueAccount> accounts;
};

// The exchange's own view, over its HTTP API (GET /api/v2/{method}?params).
class ExchangeView {
 public:
  void setPort(int port) { port_ = port; }
  int port() const { return port_; }

  QJsonObject http(const QString& method, const QUrlQuery& query, bool priv = false) const {
    return kappa::test::exchangeGet(port_, method, query, priv ? token_ : QString());
  }
  QJsonValue result(const QString& method, const QUrlQuery& q, bool priv = false) const {
    return http(method, q, priv).value("result");
  }
  bool login(const QString& clientId, const QString& secret) {
    QUrlQuery q;
    q.addQueryItem("grant_type", "client_credentials");
    q.addQueryItem("client_id", clientId);
    q.addQueryItem("client_secret", secret);
    token_ = result("public/auth", q).toObject().value("access_token").toString();
    return !token_.isEmpty();
  }
  // kappa/fault {action, …}: the answer (the fault settings and heartbeat counts), or empty.
  QJsonObject fault(const QList<QPair<QString, QString>>& items) const {
    QUrlQuery q;
    q.setQueryItems(items);
    const QJsonObject a = http("kappa/fault", q);
    return a.contains("error") ? QJsonObject() : a.value("result").toObject();
  }
  QJsonArray ordersByLabel(OrderId id, const QString& currency = "BTC") const {
    QUrlQuery q;
    q.addQueryItem("currency", currency);
    q.addQueryItem("label", QString::number(id));
    return result("private/get_order_state_by_label", q, true).toArray();
  }
  // The book's top 10 levels as text and its change_id.
  std::pair<std::uint64_t, QString> book(const std::string& instrument) const {
    QUrlQuery q;
    q.addQueryItem("instrument_name", QString::fromStdString(instrument));
    q.addQueryItem("depth", "10");
    const QJsonObject ob = result("public/get_order_book", q).toObject();
    QString text;
    for (const QJsonValue& v : ob.value("bids").toArray()) text += levelText('b', v.toArray()[1].toDouble(), v.toArray()[0].toDouble());
    for (const QJsonValue& v : ob.value("asks").toArray()) text += levelText('a', v.toArray()[1].toDouble(), v.toArray()[0].toDouble());
    return {std::uint64_t(ob.value("change_id").toDouble()), text};
  }

  // Orders, fills and positions: ours (the execution reports the venue gave `side`) against the
  // exchange's. "" when they agree, else the first differences found. Only this test's account's
  // orders exist at the exchange, and every one of them must be one `side` sent.
  QString ordersDifference(const VenueSide& side, const InstrumentRegistry& reg, const QString& currency = "BTC") const {
    QStringList diff;
    // Each label: exactly one order (or none, if we were told it was rejected), in our state.
    for (const auto& [id, o] : side.orders) {
      const QJsonArray theirs = ordersByLabel(id, currency);
      const QString want = o.expectedState();
      if (theirs.size() > 1) {
        diff << QString("label %1: %2 orders at the exchange (sent twice)").arg(id).arg(theirs.size());
        continue;
      }
      if (want.isEmpty()) {
        diff << QString("label %1: not settled on our side yet (no ack, reject, fill or cancel)").arg(id);
        continue;
      }
      if (theirs.isEmpty()) {
        if (want != "none") diff << QString("label %1: we have it %2, the exchange has no such order").arg(id).arg(want);
        continue;
      }
      const QJsonObject t = theirs.first().toObject();
      const QString state = t.value("order_state").toString();
      if (want == "none" ? state != "rejected" : state != want)
        diff << QString("label %1: ours %2, the exchange's %3").arg(id).arg(want, state);
      const double theirFilled = t.value("filled_amount").toDouble();
      if (std::abs(theirFilled - toDouble(o.filled)) > 1e-9)
        diff << QString("label %1: filled %2 ours, %3 the exchange's").arg(id).arg(toDouble(o.filled)).arg(theirFilled);
      if (state == "open") {
        if (std::abs(t.value("price").toDouble() - toDouble(o.price)) > 1e-9)
          diff << QString("label %1: price %2 ours, %3 the exchange's").arg(id).arg(toDouble(o.price)).arg(t.value("price").toDouble());
        if (std::abs(t.value("amount").toDouble() - toDouble(o.amount)) > 1e-9)
          diff << QString("label %1: amount %2 ours, %3 the exchange's").arg(id).arg(toDouble(o.amount)).arg(t.value("amount").toDouble());
      }
    }
    // Open orders: the same set.
    QUrlQuery oq;
    oq.addQueryItem("currency", currency);
    const QJsonValue open = result("private/get_open_orders_by_currency", oq, true);
    if (!open.isArray()) diff << "get_open_orders_by_currency did not answer";
    std::set<OrderId> theirOpen, ourOpen;
    for (const QJsonValue& v : open.toArray()) theirOpen.insert(OrderId(v.toObject().value("label").toString().toULongLong()));
    for (const auto& [id, o] : side.orders)
      if (o.acked && !o.terminal()) ourOpen.insert(id);
    if (theirOpen != ourOpen) {
      QStringList a, b;
      for (OrderId id : theirOpen) a << QString::number(id);
      for (OrderId id : ourOpen) b << QString::number(id);
      diff << "open orders: the exchange's [" + a.join(',') + "], ours [" + b.join(',') + "]";
    }
    // Fills: per label, the same count and amount; no trade of an order we do not know.
    QUrlQuery tq;
    tq.addQueryItem("currency", currency);
    tq.addQueryItem("count", "1000");
    const QJsonObject trades = result("private/get_user_trades_by_currency", tq, true).toObject();
    if (trades.value("has_more").toBool()) diff << "more than 1,000 trades: the check reads one page only";
    std::map<OrderId, std::pair<int, double>> theirFills;
    std::map<std::string, double> tradedPosition;  // by instrument, from the exchange's own trades
    for (const QJsonValue& v : trades.value("trades").toArray()) {
      const QJsonObject t = v.toObject();
      const OrderId id = OrderId(t.value("label").toString().toULongLong());
      auto& f = theirFills[id];
      ++f.first;
      f.second += t.value("amount").toDouble();
      tradedPosition[t.value("instrument_name").toString().toStdString()] +=
          (t.value("direction").toString() == "sell" ? -1 : 1) * t.value("amount").toDouble();
    }
    for (const auto& [id, f] : theirFills)
      if (!side.orders.count(id)) diff << QString("label %1: %2 trade(s) at the exchange of an order we never sent").arg(id).arg(f.first);
    std::map<InstrumentId, double> ourPosition;
    for (const auto& [id, o] : side.orders) {
      const auto it = theirFills.find(id);
      const int n = it == theirFills.end() ? 0 : it->second.first;
      const double amount = it == theirFills.end() ? 0 : it->second.second;
      if (n != o.fills || std::abs(amount - toDouble(o.filled)) > 1e-9)
        diff << QString("label %1: %2 fill(s) of %3 ours, %4 trade(s) of %5 the exchange's").arg(id).arg(o.fills)
                    .arg(toDouble(o.filled)).arg(n).arg(amount);
      ourPosition[o.instrument] += (o.side == Side::Sell ? -1 : 1) * toDouble(o.filled);
    }
    // Positions: the exchange's get_positions against what our fills add up to.
    QUrlQuery pq;
    pq.addQueryItem("currency", currency);
    const QJsonValue positions = result("private/get_positions", pq, true);
    if (!positions.isArray()) diff << "get_positions did not answer";
    std::map<std::string, double> theirPosition;
    for (const QJsonValue& v : positions.toArray()) {
      const QJsonObject p = v.toObject();
      double size = p.value("size").toDouble();
      if (p.value("direction").toString() == "sell" && size > 0) size = -size;
      if (size != 0) theirPosition[p.value("instrument_name").toString().toStdString()] = size;
    }
    std::map<std::string, double> ours;
    for (const auto& [inst, q] : ourPosition)
      if (std::abs(q) > 1e-9) ours[reg[inst].name] = q;
    for (const auto& [inst, q] : theirPosition)
      if (std::abs(ours[inst] - q) > 1e-9 || std::abs(tradedPosition[inst] - q) > 1e-9)
        diff << QString("position %1: the exchange %2 (its trades add up to %3), our fills %4")
                    .arg(QString::fromStdString(inst)).arg(q).arg(tradedPosition[inst]).arg(ours[inst]);
    for (const auto& [inst, q] : ours)
      if (std::abs(q) > 1e-9 && !theirPosition.count(inst))
        diff << QString("position %1: our fills %2, the exchange flat").arg(QString::fromStdString(inst)).arg(q);
    return diff.join("; ");
  }

  // Our book of `id` against the exchange's at the same change_id: the exchange's book is read,
  // our feed is let reach that change_id and our top 10 as it was there is compared. The market
  // moves between the two reads, so a bounded number of attempts. "" when equal.
  QString bookDifference(boost::asio::io_context& io, VenueSide& side, const InstrumentRegistry& reg, InstrumentId id,
                         int attempts = 40) const {
    const QString name = QString::fromStdString(reg[id].name);
    const bool wasWatched = side.watched.count(id) > 0;
    side.watched.insert(id);
    side.history[id].clear();
    if (side.md.book(id).live()) side.history[id].emplace_back(side.md.book(id).changeId(), VenueSide::top(side.md.book(id)));
    QString result = "never caught " + name + " at the exchange's change_id";
    for (int attempt = 0; attempt < attempts; ++attempt) {
      const auto [changeId, theirs] = this->book(reg[id].name);
      if (changeId == 0) {
        result = name + ": the exchange did not answer get_order_book";
        continue;
      }
      runUntil(io, [&] { return side.md.book(id).live() && side.md.book(id).changeId() >= changeId; }, 3000);
      bool found = false;
      for (const auto& [cid, ours] : side.history[id])
        if (cid == changeId) {
          found = true;
          result = ours == theirs ? QString() : name + " at change_id " + QString::number(changeId) + ": ours " + ours +
                                                    "| the exchange's " + theirs;
        }
      if (found) break;
    }
    if (!wasWatched) {
      side.watched.erase(id);
      side.history[id].clear();
    }
    return result;
  }

 private:
  int port_ = 0;
  QString token_;
};

}  // namespace kappa::test
