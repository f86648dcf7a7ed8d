#include "Accounts.hpp"

#include <algorithm>
#include <cmath>

#include "Crypto.hpp"

namespace kappa::exchange {
namespace {
constexpr double kFutureInitial = 0.02;
constexpr double kFutureMaintenance = 0.01;
double px(std::int64_t v) { return toDouble(v); }
double r8(double v) { return std::round(v * 1e8) / 1e8; }
int sign(Qty q) { return q > 0 ? 1 : (q < 0 ? -1 : 0); }
}  // namespace

const char* nameOf(OrdState s) {
  switch (s) {
    case OrdState::Open: return "open";
    case OrdState::Filled: return "filled";
    case OrdState::Cancelled: return "cancelled";
    case OrdState::Rejected: return "rejected";
  }
  return "open";
}

int Accounts::add(const std::string& clientId, const std::string& secret, const std::map<std::string, double>& balances) {
  if (Account* existing = byClientId(clientId)) {
    existing->secret = secret;
    for (const auto& [c, v] : balances) existing->balance[c] = v;
    return existing->id;
  }
  Account a;
  a.id = int(accounts_.size()) + 1;
  a.clientId = clientId;
  a.secret = secret;
  a.balance = balances;
  accounts_.push_back(std::move(a));
  return accounts_.back().id;
}

Account* Accounts::byClientId(const std::string& clientId) {
  for (Account& a : accounts_)
    if (a.clientId == clientId) return &a;
  return nullptr;
}

Accounts::Issued Accounts::issue(int account, Nanos wallNow) {
  Issued out;
  // Deribit's tokens look like "<ms>.<random>"; ours keep the shape, the randomness does the work.
  const std::string ms = std::to_string(wallNow / 1'000'000);
  out.access = ms + "." + randomToken(24);
  out.refresh = ms + "." + randomToken(24);
  out.expiresIn = tokenLifetime_;
  access_[out.access] = {account, wallNow + Nanos(tokenLifetime_) * 1'000'000'000};
  refresh_[out.refresh] = {account, wallNow + Nanos(7 * 86400) * 1'000'000'000};
  return out;
}

int Accounts::accountOfAccess(const std::string& token, Nanos wallNow) const {
  auto it = access_.find(token);
  if (it == access_.end() || it->second.expiry <= wallNow) return 0;
  return it->second.account;
}

int Accounts::redeemRefresh(const std::string& token, Nanos wallNow) {
  auto it = refresh_.find(token);
  if (it == refresh_.end()) return 0;
  const Token t = it->second;
  refresh_.erase(it);
  return t.expiry > wallNow ? t.account : 0;
}

OrderRecord& Accounts::create(int account, InstrumentId instrument) {
  const OrderId id = nextSim_++;
  OrderRecord& o = orders_[id];
  o.simId = id;
  o.account = account;
  o.instrument = instrument;
  const Instrument& inst = market_.instruments()[instrument];
  // Deribit numbers BTC orders plainly and prefixes the others' with their currency.
  o.orderId = inst.baseCurrency == "BTC" ? std::to_string(id) : inst.baseCurrency + "-" + std::to_string(id);
  o.created = o.updated = market_.nowMs();
  byOrderId_[o.orderId] = id;
  open_[account].insert(id);
  return o;
}

OrderRecord* Accounts::bySim(OrderId simId) {
  auto it = orders_.find(simId);
  return it == orders_.end() ? nullptr : &it->second;
}

OrderRecord* Accounts::find(int account, const std::string& orderId) {
  auto it = byOrderId_.find(orderId);
  if (it == byOrderId_.end()) return nullptr;
  OrderRecord* o = bySim(it->second);
  return o && o->account == account ? o : nullptr;
}

std::vector<OrderRecord*> Accounts::ordersOf(int account) {
  std::vector<OrderRecord*> out;
  for (auto& [id, o] : orders_)
    if (o.account == account) out.push_back(&o);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->simId < b->simId; });
  return out;
}

std::vector<OrderRecord*> Accounts::openOrdersOf(int account) const {
  std::vector<OrderRecord*> out;
  auto& ids = open_[account];
  for (auto it = ids.begin(); it != ids.end();) {
    auto o = orders_.find(*it);
    if (o == orders_.end() || !o->second.open()) {
      it = ids.erase(it);
    } else {
      out.push_back(const_cast<OrderRecord*>(&o->second));
      ++it;
    }
  }
  return out;
}

const std::vector<std::size_t>& Accounts::tradesOfOrder(OrderId simId) const {
  static const std::vector<std::size_t> none;
  auto it = orderTrades_.find(simId);
  return it == orderTrades_.end() ? none : it->second;
}

void Accounts::apply(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) {
  for (const ExecReport& r : reports) {
    OrderRecord* o = bySim(r.orderId);
    if (!o) continue;
    Account& a = get(o->account);
    o->updated = r.ts / 1'000'000;
    switch (r.type) {
      case ExecType::Ack:
        break;  // the record is already open; the answer to buy/sell carries it
      case ExecType::Reject:
        o->state = OrdState::Rejected;
        o->rejectReason = r.reason;
        break;
      case ExecType::Fill:
        book(a, *o, r, trades);
        continue;  // book() announced the trade and the order
      case ExecType::Cancelled:
        if (o->state == OrdState::Open) {
          o->state = OrdState::Cancelled;
          // Deribit names a reason only for cancels someone asked for (user, cancel-on-disconnect);
          // an IOC or market remainder has none.
          o->cancelReason = o->pendingCancelReason;
          // The simulator settled the instrument (kappa/expire_instrument, or its expiry passed).
          if (r.reason == "instrument expired") o->cancelReason = "settlement";
        }
        break;
      case ExecType::Replaced:
        o->price = r.price;
        o->amount = o->filled + r.qty;
        o->replaced = true;
        break;
      case ExecType::CancelReject:
        o->rejectReason = r.reason;
        continue;  // nothing changed: the method that asked answers with the error
    }
    if (listener_) listener_->onOrderUpdate(*o, nullptr);
  }
}

void Accounts::book(Account& a, OrderRecord& o, const ExecReport& r, std::vector<PublicTrade>& trades) {
  const Instrument& inst = market_.instruments()[o.instrument];
  UserTrade t;
  t.instrument = o.instrument;
  t.simId = o.simId;
  t.side = o.side;
  t.price = r.price;
  t.qty = r.qty;
  t.fee = r.fee;
  t.maker = r.maker;
  t.ts = r.ts / 1'000'000;
  // The public trade of this fill: same instrument, price and size, not yet paired on this side.
  for (PublicTrade& p : trades) {
    bool& used = r.maker ? p.makerMatched : p.takerMatched;
    if (!used && p.instrument == o.instrument && p.price == r.price && p.qty == r.qty) {
      used = true;
      t.seq = p.tradeSeq;
      t.instrumentSeq = p.instrumentSeq;
      t.tickDirection = p.tickDirection;
      t.indexPrice = p.indexPrice;
      t.markPrice = p.markPrice;
      break;
    }
  }
  if (t.seq == 0) {  // not expected; keep the fill rather than lose it
    t.indexPrice = market_.indexFor(inst);
    t.markPrice = market_.markPrice(o.instrument);
  }

  o.filled += r.qty;
  o.filledValue += px(r.price) * px(r.qty);
  if (r.leaves == 0 && o.filled >= o.amount) o.state = OrdState::Filled;

  // Balance and position, in the settlement currency.
  double& balance = a.balance[inst.settleCurrency];
  balance -= r.fee;
  Position& p = a.positions[o.instrument];
  const Qty signedQty = o.side == Side::Buy ? r.qty : -r.qty;
  const double price = px(r.price);
  Qty opening = signedQty;
  if (p.size != 0 && sign(p.size) != sign(signedQty)) {
    const Qty closing = std::min(std::abs(p.size), std::abs(signedQty));
    const double closed = px(closing);
    if (inst.isOption()) {
      p.realized += (price - p.avgPrice) * closed * sign(p.size) * inst.contractSize;
    } else if (inst.settlement == Settlement::Linear) {  // Binance's USDT perpetuals: size in coin
      const double pnl = closed * (price - p.avgPrice) * sign(p.size);
      p.realized += pnl;
      balance += pnl;
    } else {
      const double pnl = closed * (1.0 / p.avgPrice - 1.0 / price) * sign(p.size);
      p.realized += pnl;
      balance += pnl;
    }
    p.size += sign(signedQty) * closing;
    opening = signedQty + (sign(signedQty) > 0 ? -closing : closing);
    if (p.size == 0) p.avgPrice = 0;
  }
  if (opening != 0) {
    const double held = px(std::abs(p.size)), add = px(std::abs(opening));
    if (inst.isOption() || inst.settlement == Settlement::Linear || p.avgPrice <= 0 || held == 0)
      p.avgPrice = held == 0 ? price : (p.avgPrice * held + price * add) / (held + add);
    else  // inverse: the average entry is the harmonic mean weighted by USD size
      p.avgPrice = (held + add) / (held / p.avgPrice + add / price);
    p.size += opening;
  }
  if (inst.isOption()) balance -= (o.side == Side::Buy ? 1 : -1) * price * px(r.qty) * inst.contractSize;

  a.trades.push_back(t);
  orderTrades_[o.simId].push_back(a.trades.size() - 1);
  if (listener_) {
    listener_->onUserTrade(o, a.trades.back());
    listener_->onOrderUpdate(o, &a.trades.back());
  }
}

double Accounts::shortOptionMargin(const Instrument& inst, double mark, bool initial) const {
  const double s = market_.forward(inst);
  const double k = px(inst.strike);
  if (s <= 0) return mark;
  const double otm = inst.optionType == OptionType::Call ? std::max(k - s, 0.0) : std::max(s - k, 0.0);
  return initial ? std::max(0.15 - otm / s, 0.1) + mark : 0.075 + mark;
}

double Accounts::orderMargin(const OrderRecord& o) const {
  if (!o.open()) return 0;
  const Instrument& inst = market_.instruments()[o.instrument];
  const double leaves = px(o.amount - o.filled);
  double price = px(o.price);
  if (price <= 0) price = market_.markPrice(o.instrument);
  if (inst.isOption())
    return o.side == Side::Buy ? leaves * price * inst.contractSize
                               : leaves * shortOptionMargin(inst, market_.markPrice(o.instrument), true);
  return price > 0 ? kFutureInitial * leaves / price : 0.0;
}

MarginFigures Accounts::margin(const Account& a, const std::string& currency, const OrderRecord* extra) const {
  MarginFigures m;
  auto bal = a.balance.find(currency);
  m.balance = bal == a.balance.end() ? 0.0 : bal->second;
  for (const auto& [id, p] : a.positions) {
    const Instrument& inst = market_.instruments()[id];
    if (inst.settleCurrency != currency || p.size == 0) continue;
    const double mark = market_.markPrice(id);
    const double size = px(p.size);
    if (inst.isOption()) {
      m.optionsValue += size * mark * inst.contractSize;
      if (size < 0) {
        m.initial += -size * shortOptionMargin(inst, mark, true);
        m.maintenance += -size * shortOptionMargin(inst, mark, false);
      }
      const OptionMetrics g = market_.optionMetrics(inst);
      m.optionsDelta += size * g.delta;
      m.optionsGamma += size * g.gamma;
      m.optionsVega += size * g.vega;
      m.optionsTheta += size * g.theta;
    } else if (mark > 0 && p.avgPrice > 0) {
      m.futuresUpl += size * (1.0 / p.avgPrice - 1.0 / mark);
      m.initial += kFutureInitial * std::abs(size) / mark;
      m.maintenance += kFutureMaintenance * std::abs(size) / mark;
      m.deltaTotal += size / mark;
    }
    m.futuresRpl += inst.isOption() ? 0.0 : p.realized;
  }
  for (const OrderRecord* o : openOrdersOf(a.id))
    if (market_.instruments()[o->instrument].settleCurrency == currency) m.initial += orderMargin(*o);
  if (extra) m.initial += orderMargin(*extra);
  m.deltaTotal += m.optionsDelta;
  m.equity = m.balance + m.futuresUpl + m.optionsValue;
  return m;
}

nlohmann::json Accounts::orderJson(const OrderRecord& o) const {
  const Instrument& inst = market_.instruments()[o.instrument];
  nlohmann::json j = {
      {"order_id", o.orderId},
      {"order_state", nameOf(o.state)},
      {"order_type", o.market ? "market" : "limit"},
      {"time_in_force", o.timeInForce},
      {"direction", nameOf(o.side)},
      {"instrument_name", inst.name},
      {"price", o.market && o.price == 0 ? nlohmann::json("market_price") : nlohmann::json(px(o.price))},
      {"amount", px(o.amount)},
      {"filled_amount", px(o.filled)},
      {"contracts", px(o.amount) / inst.contractSize},
      {"average_price", o.filled ? r8(o.filledValue / px(o.filled)) : 0.0},
      {"label", o.label},
      {"post_only", o.postOnly},
      {"reduce_only", o.reduceOnly},
      {"api", true},
      {"web", false},
      {"mmp", false},
      {"risk_reducing", false},
      {"is_liquidation", false},
      {"is_rebalance", false},
      {"replaced", o.replaced},
      {"max_show", px(o.amount)},
      {"creation_timestamp", o.created},
      {"last_update_timestamp", o.updated},
  };
  if (o.state == OrdState::Cancelled && !o.cancelReason.empty()) j["cancel_reason"] = o.cancelReason;
  if (o.postOnly) j["reject_post_only"] = o.rejectPostOnly;
  if (o.state == OrdState::Rejected) j["reject_reason"] = o.rejectReason;
  return j;
}

nlohmann::json Accounts::tradeJson(const Account&, const UserTrade& t) const {
  const Instrument& inst = market_.instruments()[t.instrument];
  auto it = orders_.find(t.simId);
  const OrderRecord* o = it == orders_.end() ? nullptr : &it->second;
  return {
      {"trade_id", MarketState::tradeIdString(inst, t.seq)},
      {"trade_seq", t.instrumentSeq},
      {"timestamp", t.ts},
      {"tick_direction", t.tickDirection},
      {"state", o ? nameOf(o->state) : "filled"},
      {"reduce_only", o && o->reduceOnly},
      {"post_only", o && o->postOnly},
      {"price", px(t.price)},
      {"order_type", o && o->market ? "market" : "limit"},
      {"order_id", o ? o->orderId : ""},
      {"label", o ? o->label : ""},
      {"matching_id", nullptr},
      {"mark_price", t.markPrice},
      {"index_price", t.indexPrice},
      {"liquidity", t.maker ? "M" : "T"},
      {"instrument_name", inst.name},
      {"fee_currency", inst.settleCurrency},
      {"fee", r8(t.fee)},
      {"direction", nameOf(t.side)},
      {"amount", px(t.qty)},
      {"contracts", px(t.qty) / inst.contractSize},
      {"api", true},
      {"mmp", false},
      {"profit_loss", 0.0},
      {"self_trade", false},
  };
}

nlohmann::json Accounts::positionJson(const Account& a, InstrumentId id) const {
  const Instrument& inst = market_.instruments()[id];
  Position p;
  if (auto it = a.positions.find(id); it != a.positions.end()) p = it->second;
  const double mark = market_.markPrice(id);
  const double size = px(p.size);
  nlohmann::json j = {
      {"instrument_name", inst.name},
      {"kind", MarketState::kindName(inst)},
      {"direction", p.size > 0 ? "buy" : (p.size < 0 ? "sell" : "zero")},
      {"size", size},
      {"average_price", r8(p.avgPrice)},
      {"mark_price", mark},
      {"index_price", market_.indexFor(inst)},
      {"settlement_price", mark},
      {"realized_profit_loss", r8(p.realized)},
      {"open_orders_margin", 0.0},
      {"estimated_liquidation_price", nullptr},
  };
  double upl = 0, im = 0, mm = 0, delta = 0;
  if (inst.isOption()) {
    upl = size * (mark - p.avgPrice) * inst.contractSize;
    if (size < 0) {
      im = -size * shortOptionMargin(inst, mark, true);
      mm = -size * shortOptionMargin(inst, mark, false);
    }
    const OptionMetrics g = market_.optionMetrics(inst);
    delta = size * g.delta;
    j["gamma"] = r8(size * g.gamma);
    j["vega"] = r8(size * g.vega);
    j["theta"] = r8(size * g.theta);
    j["average_price_usd"] = r8(p.avgPrice * market_.forward(inst));
    j["size_currency"] = size;
  } else {
    if (mark > 0 && p.avgPrice > 0) upl = size * (1.0 / p.avgPrice - 1.0 / mark);
    if (mark > 0) {
      im = kFutureInitial * std::abs(size) / mark;
      mm = kFutureMaintenance * std::abs(size) / mark;
      delta = size / mark;
    }
    j["size_currency"] = r8(delta);
    j["leverage"] = 50;
    j["realized_funding"] = 0.0;
    j["interest_value"] = 0.0;
  }
  j["floating_profit_loss"] = r8(upl);
  j["total_profit_loss"] = r8(upl + p.realized);
  j["initial_margin"] = r8(im);
  j["maintenance_margin"] = r8(mm);
  j["delta"] = r8(delta);
  return j;
}

nlohmann::json Accounts::summaryJson(const Account& a, const std::string& currency) const {
  const MarginFigures m = margin(a, currency);
  return {
      {"currency", currency},
      {"balance", r8(m.balance)},
      {"equity", r8(m.equity)},
      {"margin_balance", r8(m.equity)},
      {"initial_margin", r8(m.initial)},
      {"maintenance_margin", r8(m.maintenance)},
      {"projected_initial_margin", r8(m.initial)},
      {"projected_maintenance_margin", r8(m.maintenance)},
      {"available_funds", r8(m.available())},
      {"available_withdrawal_funds", r8(std::max(0.0, std::min(m.balance, m.available())))},
      {"session_upl", r8(m.futuresUpl)},
      {"session_rpl", r8(m.futuresRpl)},
      {"futures_session_upl", r8(m.futuresUpl)},
      {"futures_session_rpl", r8(m.futuresRpl)},
      {"futures_pl", r8(m.futuresUpl + m.futuresRpl)},
      {"options_value", r8(m.optionsValue)},
      {"options_pl", 0.0},
      {"options_session_upl", 0.0},
      {"options_session_rpl", 0.0},
      {"options_delta", r8(m.optionsDelta)},
      {"options_gamma", r8(m.optionsGamma)},
      {"options_vega", r8(m.optionsVega)},
      {"options_theta", r8(m.optionsTheta)},
      {"delta_total", r8(m.deltaTotal)},
      {"projected_delta_total", r8(m.deltaTotal)},
      {"total_pl", r8(m.futuresUpl + m.futuresRpl)},
      {"fee_balance", 0.0},
      {"portfolio_margining_enabled", false},
      {"cross_collateral_enabled", false},
      {"margin_model", "segregated_sm"},
      {"estimated_liquidation_ratio", m.equity > 0 ? r8(m.maintenance / m.equity) : 0.0},
      {"id", a.id},
      {"username", a.clientId},
      {"system_name", a.clientId},
      {"type", "main"},
  };
}

}  // namespace kappa::exchange
