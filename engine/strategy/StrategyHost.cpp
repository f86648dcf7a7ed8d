#include "strategy/StrategyHost.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>
#include <cstring>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "journal/Journal.hpp"

#include <nlohmann/json.hpp>
#include "strategy/StrategyInstance.hpp"

namespace kappa {

const char* nameOf(InstanceState s) {
  switch (s) {
    case InstanceState::Configured: return "configured";
    case InstanceState::Running: return "running";
    case InstanceState::Stopped: return "stopped";
    case InstanceState::Faulted: return "faulted";
  }
  return "?";
}

const char* nameOf(PluginApproval a) {
  switch (a) {
    case PluginApproval::Approved: return "approved";
    case PluginApproval::Changed: return "changed";
    case PluginApproval::Unknown: return "unknown";
  }
  return "?";
}

namespace {
constexpr std::size_t kMaxRiskEvents = 500;

void copyText(const std::string& text, char* out, std::uint32_t capacity) {
  if (!out || capacity == 0) return;
  const std::size_t n = std::min<std::size_t>(text.size(), capacity - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

// The short name of a strategy id for instance names: "kappa.examples.options-mm" -> "options-mm".
std::string shortName(const std::string& id) {
  const auto dot = id.rfind('.');
  return dot == std::string::npos ? id : id.substr(dot + 1);
}

std::vector<ParamRow> paramRows(const StrategyInfo& info, const std::vector<ParamValue>* values) {
  std::vector<ParamRow> rows;
  for (std::size_t i = 0; i < info.params.size(); ++i) {
    const ParamSpec& p = info.params[i];
    rows.push_back({p.name, p.description,
                    formatParamValue(p, values ? (*values)[i] : defaultParamValue(p)), p.type, p.minValue, p.maxValue});
  }
  return rows;
}

template <class T>
bool fits(const T* s) {
  return s && s->size >= sizeof(std::uint32_t);
}

Side sideOf(std::int32_t s) { return s == KAPPA_SIDE_SELL ? Side::Sell : Side::Buy; }
std::int32_t cSide(Side s) { return s == Side::Sell ? KAPPA_SIDE_SELL : KAPPA_SIDE_BUY; }

std::int32_t cState(OrderState s) {
  switch (s) {
    case OrderState::PendingNew:
    case OrderState::Unknown: return KAPPA_STATE_PENDING_NEW;
    case OrderState::Open: return KAPPA_STATE_OPEN;
    case OrderState::PartiallyFilled: return KAPPA_STATE_PARTIALLY_FILLED;
    case OrderState::Filled: return KAPPA_STATE_FILLED;
    case OrderState::Cancelled: return KAPPA_STATE_CANCELLED;
    case OrderState::Rejected: return KAPPA_STATE_REJECTED;
  }
  return KAPPA_STATE_REJECTED;
}

// Copies what fits of `full` into the caller's struct of `out->size` bytes (older callers pass
// smaller structs; the size field itself is kept).
template <class T>
void deliver(T* out, const T& full) {
  const std::uint32_t size = std::min<std::uint32_t>(out->size, sizeof(T));
  std::memcpy(reinterpret_cast<char*>(out) + sizeof(std::uint32_t), reinterpret_cast<const char*>(&full) + sizeof(std::uint32_t),
              size - sizeof(std::uint32_t));
}

kappa_order orderView(const Order& o) {
  kappa_order v{};
  v.size = sizeof v;
  v.order_id = o.id;
  v.instrument = o.request.instrument;
  v.side = cSide(o.request.side);
  v.state = cState(o.state);
  v.price = o.request.price;
  v.qty = o.request.qty;
  v.filled = o.filled;
  v.leaves = o.leaves;
  v.avg_fill_price = o.avgFillPrice;
  v.reason = o.reason.c_str();
  return v;
}
}  // namespace

// ------------------------------------------------------------------------------------------------
// The C ABI's host services: thin adapters from kappa_host calls to the instance and the engine.
struct StrategyHost::Api {
  static StrategyInstance& self(const kappa_host* h) { return *static_cast<StrategyInstance*>(h->host_data); }
  static StrategyHost& host(const kappa_host* h) { return *self(h).owner; }

  static const void* getExtension(const kappa_host*, const char*) { return nullptr; }
  static void log(const kappa_host* h, std::int32_t level, const char* message) {
    StrategyInstance& s = self(h);
    const std::string text = message ? message : "";
    const log::Level l = level <= KAPPA_LOG_DEBUG ? log::Level::Debug
                         : level == KAPPA_LOG_INFO ? log::Level::Info
                         : level == KAPPA_LOG_WARN ? log::Level::Warn
                                                   : log::Level::Error;
    if (l == log::Level::Error) s.lastLoggedError = text;
    log::write(l, "strategy:" + s.name, text);
  }
  static std::int64_t nowNs(const kappa_host* h) { return host(h).svc_.now(); }

  static std::uint32_t instrumentCount(const kappa_host* h) { return std::uint32_t(host(h).known_); }
  static kappa_status getInstrument(const kappa_host* h, std::uint32_t id, kappa_instrument* out) {
    const auto& reg = host(h).svc_.instruments;
    if (!fits(out)) return KAPPA_BUFFER_TOO_SMALL;
    if (id >= host(h).known_) return KAPPA_NOT_FOUND;
    const Instrument& i = reg[id];
    kappa_instrument v{};
    v.size = sizeof v;
    v.id = i.id;
    v.name = i.name.c_str();
    v.kind = std::int32_t(i.kind);
    v.option_type = std::int32_t(i.optionType);
    v.inverse = i.settlement == Settlement::Inverse ? 1 : 0;
    v.underlying = i.underlyingId;
    v.strike = i.strike;
    v.expiry_ns = i.expiry;
    v.tick_size = i.tickSize;
    v.min_qty = i.minQty;
    v.max_qty = i.maxQty;
    v.contract_size = i.contractSize;
    v.tradable = i.tradable ? 1 : 0;
    v.base_currency = i.baseCurrency.c_str();
    const auto& venues = host(h).svc_.venueNames;
    v.venue = i.venue < venues.size() ? venues[i.venue].c_str() : "";
    deliver(out, v);
    return KAPPA_OK;
  }
  static std::uint32_t findInstrument(const kappa_host* h, const char* name) {
    const Instrument* i = name ? host(h).findInstrument(name) : nullptr;
    return i && i->id < host(h).known_ ? i->id : KAPPA_NO_INSTRUMENT;
  }
  static std::uint32_t bookLevels(const kappa_host* h, std::uint32_t id, std::int32_t side, kappa_level* out,
                                  std::uint32_t capacity) {
    const StrategyHost& x = host(h);
    if (id >= x.known_ || !out || capacity == 0) return 0;
    const OrderBook& b = x.svc_.market.book(id);
    if (!b.live()) return 0;
    Level levels[64];
    const std::size_t n = b.topN(sideOf(side), std::min<std::size_t>(capacity, 64), levels);
    for (std::size_t i = 0; i < n; ++i) out[i] = {levels[i].price, levels[i].qty};
    return std::uint32_t(n);
  }
  static kappa_status subscribe(const kappa_host* h, std::uint32_t id, bool trades) {
    StrategyHost& x = host(h);
    StrategyInstance& s = self(h);
    if (id >= x.known_) return KAPPA_NOT_FOUND;
    auto& mine = trades ? s.tradeSubscriptions : s.bookSubscriptions;
    auto& subs = (trades ? x.tradeSubscribers_ : x.bookSubscribers_)[id];
    if (std::find(mine.begin(), mine.end(), id) == mine.end()) {
      mine.push_back(id);
      subs.push_back(&s);
    }
    return KAPPA_OK;
  }
  static kappa_status subscribeBook(const kappa_host* h, std::uint32_t id) { return subscribe(h, id, false); }
  static kappa_status subscribeTrades(const kappa_host* h, std::uint32_t id) { return subscribe(h, id, true); }
  static kappa_status subscribeChain(const kappa_host* h) {
    self(h).wantsChain = true;
    return KAPPA_OK;
  }
  static std::int64_t markPrice(const kappa_host* h, std::uint32_t id) {
    const StrategyHost& x = host(h);
    return id < x.known_ ? x.svc_.market.markPrice(id) : 0;
  }

  static kappa_status optionAnalytics(const kappa_host* h, std::uint32_t id, kappa_option_analytics* out) {
    if (!fits(out)) return KAPPA_BUFFER_TOO_SMALL;
    const auto& m = host(h).svc_.analytics;
    const analytics::ChainAnalytics* a = nullptr;
    const analytics::OptionAnalytics* o = m ? m->find(id, &a) : nullptr;
    if (!o) return m ? KAPPA_NOT_FOUND : KAPPA_UNAVAILABLE;
    const analytics::ExpiryAnalytics& e = a->expiries[o->expiryIndex];
    kappa_option_analytics v{};
    v.size = sizeof v;
    v.instrument = id;
    v.expiry_ns = e.expiry;
    v.t_years = o->t;
    v.forward = e.forward;
    v.strike = o->strike;
    v.bid_iv = o->bidIv;
    v.ask_iv = o->askIv;
    v.mid_iv = o->midIv;
    v.surface_iv = e.hasSurface ? o->markIv : 0.0;  // the newest good fit, held through refreshes that had none
    v.surface_fitted_ns = e.hasSurface ? e.surfaceFittedAt : 0;
    v.theo_coin = o->theo;
    v.edge_coin = 0.5 * (o->edgeAsk - o->edgeBid);  // (ask - theo + bid - theo) / 2 = mid - theo
    v.delta = o->deltaUsd;
    v.gamma = o->gammaUsd;
    v.vega = o->vegaUsd;
    v.theta = o->thetaUsd;
    v.delta_coin = o->deltaCoin;
    deliver(out, v);
    return KAPPA_OK;
  }
  // The call names no underlying (the ABI predates ETH): of the underlyings listing this expiry,
  // the one whose forward is nearest the strike (log distance) answers — BTC and ETH strikes lie
  // a factor ~20 apart, so a strike of either chain finds its own surface.
  static kappa_status surfaceVol(const kappa_host* h, std::int64_t expiry, double strike, double* out) {
    const auto& m = host(h).svc_.analytics;
    if (!m || !out || !(strike > 0)) return KAPPA_UNAVAILABLE;
    const analytics::ExpiryAnalytics* best = nullptr;
    for (const auto& a : m->chains)
      for (const analytics::ExpiryAnalytics& e : a->expiries)
        if (e.expiry == expiry && (!best || !(best->forward > 0) ||
                                   (e.forward > 0 && std::abs(std::log(strike / e.forward)) < std::abs(std::log(strike / best->forward)))))
          best = &e;
    if (!best) return KAPPA_NOT_FOUND;  // listed expiries only
    if (!best->hasSurface || !(best->forward > 0)) return KAPPA_UNAVAILABLE;
    *out = vol::sviImpliedVol(best->surface, std::log(strike / best->forward), best->t);
    return std::isfinite(*out) ? KAPPA_OK : KAPPA_UNAVAILABLE;
  }
  // Live: the current positions (this very moment, not the last analytics refresh) times the
  // latest per-option Greeks; inverse perpetuals and futures as Q/F coin of delta. Of the first
  // listed underlying only (BTC): the ABI's kappa_greeks names no coin, and adding ETH's coin delta
  // to BTC's would have a BTC-PERPETUAL hedger trade ETH risk as if it were BTC.
  static kappa_status portfolioGreeks(const kappa_host* h, kappa_greeks* out) {
    if (!fits(out)) return KAPPA_BUFFER_TOO_SMALL;
    const StrategyHost& x = host(h);
    const auto& a = x.svc_.analytics;
    const std::string* coin = nullptr;
    for (const Instrument& i : x.svc_.instruments.all())
      if (i.kind == InstrumentKind::Index) {
        coin = &i.baseCurrency;
        break;
      }
    kappa_greeks g{};
    g.size = sizeof g;
    for (const Position& p : x.svc_.oms.positions()) {
      if (p.qty == 0) continue;
      const Instrument& inst = x.svc_.instruments[p.instrument];
      if (coin && inst.baseCurrency != *coin) continue;
      if (inst.isOption()) {
        const analytics::OptionAnalytics* o = a ? a->find(inst.id) : nullptr;
        if (!o) continue;
        g.delta_coin += p.qty * o->deltaCoin;
        g.delta_usd += p.qty * o->deltaUsd;
        g.gamma_usd += p.qty * o->gammaUsd;
        g.vega_usd += p.qty * o->vegaUsd / 100.0;
        g.theta_usd += p.qty * o->thetaUsd / 365.0;
      } else if (inst.kind != InstrumentKind::Index && inst.settlement == Settlement::Inverse) {
        const double f = toDouble(x.svc_.market.markPrice(inst.id));
        if (f > 0) {
          g.delta_coin += p.qty / f;
          g.delta_usd += p.qty / f;
        }
      } else if (inst.kind != InstrumentKind::Index) {  // linear (Binance USDT-margined): q coin
        g.delta_coin += p.qty * inst.contractSize;
        g.delta_usd += p.qty * inst.contractSize;
      }
    }
    deliver(out, g);
    return KAPPA_OK;
  }

  // The per-instance order-rate bucket (submits and replaces). On the monotonic clock: market time
  // can jump (a simulator started in the past settles its offset after the first messages), and a
  // bucket that saw time go backwards would stay empty.
  static bool takeToken(StrategyHost& x, StrategyInstance& s, std::string* why) {
    if (x.config_.maxOrdersPerSecond <= 0) return true;
    const Nanos mono = monoNow();
    const double rate = x.config_.maxOrdersPerSecond;
    s.tokens = std::min(rate, s.tokens + double(std::max<Nanos>(mono - s.tokensAt, 0)) * 1e-9 * rate);
    s.tokensAt = mono;
    if (s.tokens >= 1.0) {
      s.tokens -= 1.0;
      return true;
    }
    if (mono - s.rateWindowStart > 1'000'000'000) {
      s.rateWindowStart = mono;
      s.rateRefusals = 0;
    }
    if (++s.rateRefusals == x.config_.floodRefusalsToStop)
      x.fault(s, "order flood: " + std::to_string(s.rateRefusals) + " orders refused for rate within a second");
    *why = "order rate above this instance's limit of " + std::to_string(int(rate)) + "/s";
    return false;
  }

  static kappa_status submitOrder(const kappa_host* h, const kappa_order_request* r, std::uint64_t* outId, char* reason,
                                  std::uint32_t capacity) {
    StrategyHost& x = host(h);
    StrategyInstance& s = self(h);
    auto refuse = [&](const std::string& why) {
      ++s.ordersRefused;
      copyText(why, reason, capacity);
      x.changed();
      return KAPPA_REFUSED;
    };
    if (!fits(r) || r->size < offsetof(kappa_order_request, tag)) return refuse("malformed order request");
    if (!s.running()) return refuse("instance " + s.name + " is not running");
    const Nanos now = x.svc_.now();
    if (std::string why; !takeToken(x, s, &why)) return refuse(why);
    OrderRequest req;
    req.instrument = r->instrument;
    req.side = sideOf(r->side);
    req.type = r->type == KAPPA_ORDER_MARKET ? OrderType::Market : OrderType::Limit;
    req.tif = r->tif == KAPPA_TIF_IOC ? TimeInForce::ImmediateOrCancel : TimeInForce::GoodTillCancel;
    req.postOnly = r->post_only != 0;
    req.price = r->price;
    req.qty = r->qty;
    req.origin = OrderOrigin::Strategy;
    req.tag = s.name;
    if (r->size >= offsetof(kappa_order_request, tag) + sizeof(r->tag) && r->tag && *r->tag)
      req.tag += std::string(" ") + r->tag;
    req.strategy = s.id;
    if (req.instrument >= x.known_) return refuse("unknown instrument id " + std::to_string(req.instrument));
    const OrderId id = x.svc_.oms.submit(req, now);
    x.measureTickToOrder();
    if (outId) *outId = id;
    const Order* o = x.svc_.oms.find(id);
    if (!o) return refuse(x.svc_.oms.lastReject());  // no order was made (ids exhausted)
    if (o->state == OrderState::Rejected) return refuse(o->reason);
    ++s.ordersSent;
    x.changed();
    return KAPPA_OK;
  }
  static const Order* ownOrder(const kappa_host* h, std::uint64_t id) {
    const Order* o = host(h).svc_.oms.find(id);
    return o && o->request.strategy == self(h).id ? o : nullptr;
  }
  static kappa_status cancelOrder(const kappa_host* h, std::uint64_t id) {
    if (!ownOrder(h, id)) return KAPPA_NOT_FOUND;
    StrategyHost& x = host(h);
    // Cancels pass even halted; one by one they count against the cancel rate limits.
    return x.svc_.oms.cancel(id, x.svc_.now(), nullptr, /*limited=*/true) ? KAPPA_OK : KAPPA_REFUSED;
  }
  static kappa_status replaceOrder(const kappa_host* h, std::uint64_t id, std::int64_t price, std::int64_t qty,
                                   char* reason, std::uint32_t capacity) {
    if (!ownOrder(h, id)) {
      copyText("not an order of this instance", reason, capacity);
      return KAPPA_NOT_FOUND;
    }
    StrategyHost& x = host(h);
    StrategyInstance& s = self(h);
    std::string why = "instance " + s.name + " is not running";
    if (!s.running() || !takeToken(x, s, &why) || !x.svc_.oms.replace(id, price, qty, x.svc_.now(), &why)) {
      ++s.ordersRefused;
      copyText(why, reason, capacity);
      x.changed();
      return KAPPA_REFUSED;
    }
    x.measureTickToOrder();  // a requote is the order a market maker sends in response to the market
    return KAPPA_OK;
  }
  static kappa_status cancelAll(const kappa_host* h) {
    StrategyHost& x = host(h);
    const std::vector<OrderId> ids = self(h).working;
    for (OrderId id : ids) x.svc_.oms.cancel(id, x.svc_.now());
    return KAPPA_OK;
  }
  static kappa_status getOrder(const kappa_host* h, std::uint64_t id, kappa_order* out) {
    if (!fits(out)) return KAPPA_BUFFER_TOO_SMALL;
    const Order* o = ownOrder(h, id);
    if (!o) return KAPPA_NOT_FOUND;
    deliver(out, orderView(*o));
    return KAPPA_OK;
  }
  static std::uint32_t openOrders(const kappa_host* h, std::uint64_t* out, std::uint32_t capacity) {
    const auto& w = self(h).working;
    for (std::size_t i = 0; out && i < w.size() && i < capacity; ++i) out[i] = w[i];
    return std::uint32_t(w.size());
  }
  static kappa_status getPosition(const kappa_host* h, std::uint32_t id, std::int32_t account, kappa_position* out) {
    if (!fits(out)) return KAPPA_BUFFER_TOO_SMALL;
    const StrategyHost& x = host(h);
    if (id >= x.known_) return KAPPA_NOT_FOUND;
    const Instrument& inst = x.svc_.instruments[id];
    const StrategyInstance& s = self(h);
    Position none;
    const Position* p = &none;
    if (account) p = &x.svc_.oms.positions()[id];
    else if (auto it = s.positions.find(id); it != s.positions.end()) p = &it->second;
    kappa_position v{};
    v.size = sizeof v;
    v.instrument = id;
    v.qty = toFixed(p->qty);
    v.average_price = p->averagePrice(inst);
    v.realized_pnl = p->realizedPnl - p->fees;
    const double mark = toDouble(x.svc_.market.markPrice(id));
    v.unrealized_pnl = mark > 0 ? p->unrealizedPnl(inst, mark) : 0.0;
    deliver(out, v);
    return KAPPA_OK;
  }

  static kappa_status setTimer(const kappa_host* h, std::int64_t interval, std::int32_t repeat, std::uint64_t* outId) {
    StrategyHost& x = host(h);
    StrategyInstance& s = self(h);
    if (interval <= 0) return KAPPA_REFUSED;
    const std::uint64_t id = s.nextTimer++;
    auto timer = std::make_unique<boost::asio::steady_timer>(x.svc_.engine);
    boost::asio::steady_timer* t = timer.get();
    s.timers.emplace(id, std::move(timer));
    if (outId) *outId = id;
    arm(x, s.id, id, t, interval, repeat != 0);
    return KAPPA_OK;
  }
  static void arm(StrategyHost& x, std::uint32_t instance, std::uint64_t timerId, boost::asio::steady_timer* t,
                  std::int64_t interval, bool repeat) {
    t->expires_after(std::chrono::nanoseconds(interval));
    t->async_wait([&x, instance, timerId, interval, repeat](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the timer (and maybe the instance) is gone
      StrategyInstance* s = x.find(instance);
      if (!s || !s->running()) return;
      // Looked up again: an expiry already queued still runs after cancel_timer freed the timer.
      const auto it = s->timers.find(timerId);
      if (it == s->timers.end()) return;
      if (repeat) arm(x, instance, timerId, it->second.get(), interval, true);
      else s->timers.erase(it);  // destroys the timer after this handler: asio keeps the handler alive
      x.invoke(*s, "on_timer", [&] { return s->strategy->on_timer ? s->strategy->on_timer(s->strategy, timerId) : KAPPA_OK; });
    });
  }
  static kappa_status cancelTimer(const kappa_host* h, std::uint64_t id) {
    return self(h).timers.erase(id) ? KAPPA_OK : KAPPA_NOT_FOUND;  // the destructor cancels the wait
  }

  static const ParamValue* param(const kappa_host* h, const char* name, const ParamSpec** spec) {
    const StrategyInstance& s = self(h);
    if (!name) return nullptr;
    for (std::size_t i = 0; i < s.info->params.size(); ++i)
      if (s.info->params[i].name == name) {
        *spec = &s.info->params[i];
        return &s.params[i];
      }
    return nullptr;
  }
  static kappa_status paramDouble(const kappa_host* h, const char* name, double* out) {
    const ParamSpec* spec = nullptr;
    const ParamValue* v = param(h, name, &spec);
    if (!v || !out) return KAPPA_NOT_FOUND;
    if (spec->type == KAPPA_PARAM_STRING) return KAPPA_REFUSED;
    *out = v->number;
    return KAPPA_OK;
  }
  static kappa_status paramString(const kappa_host* h, const char* name, char* out, std::uint32_t capacity) {
    const ParamSpec* spec = nullptr;
    const ParamValue* v = param(h, name, &spec);
    if (!v) return KAPPA_NOT_FOUND;
    const std::string text = formatParamValue(*spec, *v);
    if (!out || capacity <= text.size()) {
      copyText(text, out, capacity);
      return KAPPA_BUFFER_TOO_SMALL;
    }
    copyText(text, out, capacity);
    return KAPPA_OK;
  }
  static const char* instanceName(const kappa_host* h) { return self(h).name.c_str(); }

  static kappa_host table(StrategyInstance* s) {
    kappa_host t{};
    t.size = sizeof t;
    t.abi = {KAPPA_ABI_MAJOR, KAPPA_ABI_MINOR};
    t.host_data = s;
    t.get_extension = &getExtension;
    t.log = &log;
    t.now_ns = &nowNs;
    t.instrument_count = &instrumentCount;
    t.get_instrument = &getInstrument;
    t.find_instrument = &findInstrument;
    t.book_levels = &bookLevels;
    t.subscribe_book = &subscribeBook;
    t.subscribe_trades = &subscribeTrades;
    t.subscribe_chain = &subscribeChain;
    t.mark_price = &markPrice;
    t.option_analytics = &optionAnalytics;
    t.surface_vol = &surfaceVol;
    t.portfolio_greeks = &portfolioGreeks;
    t.submit_order = &submitOrder;
    t.cancel_order = &cancelOrder;
    t.replace_order = &replaceOrder;
    t.cancel_all = &cancelAll;
    t.get_order = &getOrder;
    t.open_orders = &openOrders;
    t.get_position = &getPosition;
    t.set_timer = &setTimer;
    t.cancel_timer = &cancelTimer;
    t.param_double = &paramDouble;
    t.param_string = &paramString;
    t.instance_name = &instanceName;
    return t;
  }
};

// ------------------------------------------------------------------------------------------------

const Instrument* StrategyHost::findInstrument(std::string_view name) const {
  return findByQualifiedName(svc_.instruments, svc_.venueNames, name);
}

StrategyHost::StrategyHost(Services services, StrategyHostConfig config)
    : svc_(std::move(services)),
      config_(config),
      bookSubscribers_(svc_.instruments.size()),
      tradeSubscribers_(svc_.instruments.size()),
      dirty_(svc_.instruments.size(), 0),
      known_(svc_.instruments.size()) {
  auto engine = svc_.engine;
  watchdog_ = std::make_unique<CallbackWatchdog>(
      CallbackWatchdog::Config{config_.callbackBudget, config_.hangTimeout},
      [this, engine](std::uint32_t id, const char* callback, Nanos running) {
        boost::asio::post(engine, [this, id, callback, running] { onOverrun(id, callback, running); });
      },
      [this, engine](std::uint32_t id, const char* callback, Nanos running) {
        // The engine thread is inside the plugin: halt from here (the gate reads the switch on
        // every order) and leave the alarm for the GUI, which reads it without the engine.
        svc_.halt.halt();
        stuckNow_.store(true, std::memory_order_release);
        {
          std::lock_guard lock(alarmMutex_);
          const auto label = labels_.find(id);
          const std::string subject = label != labels_.end() ? label->second : "instance " + std::to_string(id);
          alarm_ = "watchdog: strategy " + subject + " has been inside " + callback + " for " +
                   std::to_string(running / 1'000'000) + " ms and does not return: all automation halted";
        }
        log::error("watchdog", watchdogAlarm());
        boost::asio::post(engine, [this, id, callback] { onStuckReturned(id, callback); });
      });
}

StrategyHost::~StrategyHost() {
  shutdown();
  watchdog_.reset();
}

void StrategyHost::shutdown() {
  recordSetup_ = false;  // the session ends: what was set up stays the set-up to restore
  while (!instances_.empty()) remove(instances_.back()->id);
}

std::string StrategyHost::setupJson() const {
  nlohmann::json plugins = nlohmann::json::array(), instances = nlohmann::json::array();
  for (const auto& m : modules_) plugins.push_back(m->path());
  for (const auto& s : instances_) {
    if (!s->info || !s->module) continue;
    nlohmann::json params = nlohmann::json::array();
    for (std::size_t i = 0; i < s->info->params.size() && i < s->params.size(); ++i)
      params.push_back({s->info->params[i].name, formatParamValue(s->info->params[i], s->params[i])});
    instances.push_back({{"plugin", s->module->path()}, {"strategy", s->info->id}, {"name", s->name}, {"params", params}});
  }
  // Invalid UTF-8 (a path) is replaced rather than thrown on: the set-up must always be written.
  return nlohmann::json{{"plugins", plugins}, {"instances", instances}}.dump(-1, ' ', false,
                                                                                nlohmann::json::error_handler_t::replace);
}

void StrategyHost::journalSetup() {
  if (recordSetup_) journal(int(JournalKind::StrategySetup), 0, setupJson());
}

bool StrategyHost::stuck() const { return stuckNow_.load(std::memory_order_acquire); }

std::string StrategyHost::watchdogAlarm() const {
  std::lock_guard lock(alarmMutex_);
  return alarm_;
}

StrategyInstance* StrategyHost::find(std::uint32_t id) const {
  for (const auto& s : instances_)
    if (s->id == id) return s.get();
  return nullptr;
}

std::string StrategyHost::strategyIdOf(std::uint32_t instance) const {
  const StrategyInstance* s = find(instance);
  return s && s->info ? s->info->id : std::string();
}

std::string StrategyHost::instanceName(std::uint32_t instance) const {
  const StrategyInstance* s = find(instance);
  return s ? s->name : std::string();
}

std::uint32_t StrategyHost::instanceId(const std::string& name) const {
  for (const auto& s : instances_)
    if (s->name == name) return s->id;
  return 0;
}

void StrategyHost::journal(int kind, std::uint32_t strategy, std::string text) {
  if (!journal_) return;
  JournalRecord r;
  r.kind = JournalKind(kind);
  r.ts = svc_.now();
  r.strategy = strategy;
  r.text = std::move(text);
  journal_->append(std::move(r));
}

void StrategyHost::raise(const std::string& source, const std::string& subject, const std::string& message) {
  journal(int(JournalKind::RiskEvent), instanceId(subject), source + ": " + subject + ": " + message);
  riskEvents_.push_back({svc_.now(), source, subject, message});
  if (riskEvents_.size() > kMaxRiskEvents) riskEvents_.erase(riskEvents_.begin());
  log::error(source, subject + ": " + message);
  changed();
}

void StrategyHost::addModule(std::shared_ptr<PluginModule> m) {
  failedLoads_.erase(std::remove_if(failedLoads_.begin(), failedLoads_.end(),
                                    [&](const PluginRow& r) { return r.path == m->path(); }),
                     failedLoads_.end());
  journal(int(JournalKind::PluginLoad), 0, m->path() + " sha256=" + m->sha256());
  modules_.push_back(std::move(m));
  journalSetup();
  changed();
}

std::shared_ptr<PluginModule> StrategyHost::module(const std::string& path) const {
  for (const auto& m : modules_)
    if (m->path() == path) return m;
  return nullptr;
}

std::shared_ptr<PluginModule> StrategyHost::removeModule(const std::string& path) {
  auto it = std::find_if(modules_.begin(), modules_.end(), [&](const auto& m) { return m->path() == path; });
  if (it == modules_.end()) return nullptr;
  std::vector<std::uint32_t> ids;
  for (const auto& s : instances_)
    if (s->module == *it) ids.push_back(s->id);
  for (std::uint32_t id : ids) remove(id);
  std::shared_ptr<PluginModule> m = std::move(*it);
  modules_.erase(it);
  journalSetup();
  changed();
  return m;
}

std::vector<std::shared_ptr<PluginModule>> StrategyHost::removeAllModules() {
  shutdown();
  std::vector<std::shared_ptr<PluginModule>> all = std::move(modules_);
  modules_.clear();
  changed();
  return all;
}

void StrategyHost::noteLoadFailure(const std::string& path, const std::string& sha256, const std::string& approvedSha256,
                                   PluginApproval approval, const std::string& error) {
  failedLoads_.erase(std::remove_if(failedLoads_.begin(), failedLoads_.end(),
                                    [&](const PluginRow& r) { return r.path == path; }),
                     failedLoads_.end());
  PluginRow row;
  row.path = path;
  row.sha256 = sha256;
  row.approvedSha256 = approvedSha256;
  row.approval = approval;
  row.error = error;
  failedLoads_.push_back(row);
  raise("host", path, "plugin refused: " + error);
}

std::uint32_t StrategyHost::create(const std::string& path, const std::string& strategyId,
                                   const ParamAssignments& assignments, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return std::uint32_t(0);
  };
  std::shared_ptr<PluginModule> m = module(path);
  if (!m) return fail("plugin " + path + " is not loaded");
  const StrategyInfo* info = strategyId.empty() ? &m->strategies().front() : m->strategy(strategyId);
  if (!info) return fail("plugin " + path + " has no strategy '" + strategyId + "'");
  auto s = std::make_unique<StrategyInstance>();
  if (!resolveParams(*info, assignments, &s->params, error)) return 0;
  s->id = nextId_++;
  int n = 1;
  for (const auto& other : instances_)
    if (other->info->id == info->id) ++n;
  s->name = shortName(info->id) + "#" + std::to_string(n);
  while (instanceId(s->name)) s->name = shortName(info->id) + "#" + std::to_string(++n);
  s->module = m;
  s->info = info;
  s->owner = this;
  s->host = Api::table(s.get());
  // create() is plugin code: guarded like a callback (watchdog, exceptions).
  ++depth_;
  watchdog_->setActive(true);
  watchdog_->enter(s->id, "create");
  try {
    s->strategy = m->create(&s->host, info->id);
  } catch (...) {
    s->strategy = nullptr;
  }
  watchdog_->exit();
  --depth_;
  updateWatchdog();
  if (!s->strategy || s->strategy->size < offsetof(kappa_strategy, destroy) + sizeof(s->strategy->destroy) ||
      !s->strategy->destroy) {
    deactivate(*s);  // it may have subscribed from its constructor
    return fail("strategy " + info->id + ": the plugin's create() returned no usable instance" +
                (s->lastLoggedError.empty() ? "" : " (" + s->lastLoggedError + ")"));
  }
  const std::uint32_t id = s->id;
  log::info("strategy", s->name + " created from " + path);
  std::string params;
  for (std::size_t i = 0; i < info->params.size(); ++i)
    params += (i ? "," : "") + info->params[i].name + "=" + formatParamValue(info->params[i], s->params[i]);
  journal(int(JournalKind::ParamChange), s->id, s->name + " created (" + info->id + "): " + params);
  {
    std::lock_guard lock(alarmMutex_);
    labels_[id] = s->name + " (" + path + ")";
  }
  instances_.push_back(std::move(s));
  journalSetup();
  changed();
  return id;
}

bool StrategyHost::start(std::uint32_t id, std::string* error) {
  StrategyInstance* s = find(id);
  if (!s) {
    if (error) *error = "no strategy instance " + std::to_string(id);
    return false;
  }
  if (s->state != InstanceState::Configured && s->state != InstanceState::Stopped) {
    if (error) *error = s->name + " is " + nameOf(s->state) + (s->state == InstanceState::Faulted ? ": remove it and create a new one" : "");
    return false;
  }
  if (svc_.halt.halted()) {
    if (error) *error = "trading is halted: resume before starting " + s->name;
    return false;
  }
  s->state = InstanceState::Running;
  s->tokens = config_.maxOrdersPerSecond;
  s->tokensAt = monoNow();
  updateWatchdog();
  log::info("strategy", s->name + " started");
  invoke(*s, "on_start", [&] { return s->strategy->on_start ? s->strategy->on_start(s->strategy) : KAPPA_OK; });
  changed();
  return s->running();
}

bool StrategyHost::stop(std::uint32_t id, const std::string& reason) {
  StrategyInstance* s = find(id);
  if (!s || !s->running()) return false;
  invoke(*s, "on_stop", [&] { return s->strategy->on_stop ? s->strategy->on_stop(s->strategy) : KAPPA_OK; });
  if (s->running()) s->state = InstanceState::Stopped;  // on_stop may have faulted it
  deactivate(*s);
  log::info("strategy", s->name + " stopped" + (reason.empty() ? "" : " (" + reason + ")"));
  changed();
  return true;
}

void StrategyHost::stopAll(const std::string& reason) {
  for (const auto& s : instances_)
    if (s->running()) stop(s->id, reason);
}

bool StrategyHost::remove(std::uint32_t id) {
  auto it = std::find_if(instances_.begin(), instances_.end(), [&](const auto& s) { return s->id == id; });
  if (it == instances_.end()) return false;
  StrategyInstance& s = **it;
  if (s.running()) stop(id, "removed");
  deactivate(s);
  ++depth_;
  watchdog_->setActive(true);
  watchdog_->enter(s.id, "destroy");
  try {
    s.strategy->destroy(s.strategy);
  } catch (...) {
    log::error("strategy", s.name + ": exception escaped destroy()");
  }
  watchdog_->exit();
  --depth_;
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.instance == id; }),
                 pending_.end());
  log::info("strategy", s.name + " removed");
  {
    std::lock_guard lock(alarmMutex_);
    labels_.erase(id);
  }
  instances_.erase(it);
  updateWatchdog();
  journalSetup();
  changed();
  return true;
}

bool StrategyHost::setParam(std::uint32_t id, const std::string& name, const std::string& value, std::string* error) {
  StrategyInstance* s = find(id);
  if (!s) {
    if (error) *error = "no strategy instance " + std::to_string(id);
    return false;
  }
  const ParamSpec* spec = s->info->param(name);
  if (!spec) {
    if (error) *error = "strategy " + s->info->id + " has no parameter '" + name + "'";
    return false;
  }
  ParamValue v;
  if (!parseParamValue(*spec, value, &v, error)) return false;
  s->params[std::size_t(spec - s->info->params.data())] = v;
  log::info("strategy", s->name + ": " + name + " = " + formatParamValue(*spec, v));
  journal(int(JournalKind::ParamChange), s->id, s->name + ": " + name + "=" + formatParamValue(*spec, v));
  if (s->running())
    invoke(*s, "on_param_change", [&] {
      return s->strategy->on_param_change ? s->strategy->on_param_change(s->strategy, name.c_str()) : KAPPA_OK;
    });
  journalSetup();
  changed();
  return true;
}

void StrategyHost::deactivate(StrategyInstance& s) {
  // While a dispatch loop may be walking these lists, only blank the entry (the loops skip
  // blanks); blanks are swept the next time nothing is being dispatched.
  auto drop = [&](std::vector<StrategyInstance*>& v) {
    if (depth_ > 0) std::replace(v.begin(), v.end(), &s, static_cast<StrategyInstance*>(nullptr));
    else v.erase(std::remove_if(v.begin(), v.end(), [&](StrategyInstance* p) { return p == &s || !p; }), v.end());
  };
  for (InstrumentId id : s.bookSubscriptions) drop(bookSubscribers_[id]);
  for (InstrumentId id : s.tradeSubscriptions) drop(tradeSubscribers_[id]);
  s.bookSubscriptions.clear();
  s.tradeSubscriptions.clear();
  s.wantsChain = false;
  s.timers.clear();  // destroying a steady_timer cancels its wait
  const std::vector<OrderId> ids = s.working;
  for (OrderId id : ids) svc_.oms.cancel(id, svc_.now());
}

void StrategyHost::fault(StrategyInstance& s, const std::string& why) {
  if (s.state == InstanceState::Faulted) return;
  s.state = InstanceState::Faulted;
  ++s.faults;
  s.lastError = why + (s.lastLoggedError.empty() ? "" : " (last error logged: " + s.lastLoggedError + ")");
  deactivate(s);
  updateWatchdog();
  raise("strategy", s.name, "stopped, orders cancelled: " + s.lastError);
  if (faultListener_) faultListener_(s.name, s.lastError);
}

template <class Call>
void StrategyHost::invoke(StrategyInstance& s, const char* callback, Call&& call) {
  if (!s.running()) return;
  ++depth_;
  watchdog_->enter(s.id, callback);
  kappa_status status = KAPPA_ERROR;
  std::string escaped;
  try {
    status = call();
  } catch (const std::exception& e) {
    escaped = std::string("C++ exception escaped ") + callback + ": " + e.what();
  } catch (...) {
    escaped = std::string("exception escaped ") + callback;
  }
  watchdog_->exit();
  --depth_;
  if (!escaped.empty()) fault(s, escaped);
  else if (status != KAPPA_OK) fault(s, std::string(callback) + " returned error " + std::to_string(status));
  if (depth_ == 0 && !s.running()) updateWatchdog();
  if (depth_ == 0 && !pending_.empty()) drainPending();
}

void StrategyHost::drainPending() {
  // Deliveries may queue more (a fill handler that replaces an order): loop until quiet.
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const Pending p = pending_[i];
    StrategyInstance* s = find(p.instance);
    const Order* o = svc_.oms.find(p.order);
    if (!s || !o || !s->running()) continue;
    const kappa_order view = orderView(*o);
    if (p.hasFill) {
      kappa_fill f{};
      f.size = sizeof f;
      f.order_id = p.fill.orderId;
      f.instrument = p.fill.instrument;
      f.side = cSide(p.fill.side);
      f.price = p.fill.price;
      f.qty = p.fill.qty;
      f.fee = p.fill.fee;
      f.maker = p.fill.maker ? 1 : 0;
      f.ts_ns = p.fill.ts;
      ++depth_;  // deliveries queued by this one wait behind it in this loop, not in a nested drain
      invoke(*s, "on_fill", [&] { return s->strategy->on_fill ? s->strategy->on_fill(s->strategy, &f) : KAPPA_OK; });
      --depth_;
    }
    ++depth_;
    invoke(*s, "on_order_update",
           [&] { return s->strategy->on_order_update ? s->strategy->on_order_update(s->strategy, &view) : KAPPA_OK; });
    --depth_;
  }
  pending_.clear();
}

void StrategyHost::onOrderChanged(const Order& o, const Fill* fill) {
  if (o.request.strategy == 0) return;
  StrategyInstance* s = find(o.request.strategy);
  if (!s) return;
  auto w = std::find(s->working.begin(), s->working.end(), o.id);
  if (isWorking(o.state) && w == s->working.end()) s->working.push_back(o.id);
  if (!isWorking(o.state) && w != s->working.end()) s->working.erase(w);
  if (fill) {
    const Instrument& inst = svc_.instruments[fill->instrument];
    Position& p = s->positions[inst.id];
    p.instrument = inst.id;
    p.applyFill(inst, fill->side, toDouble(fill->qty), toDouble(fill->price), fill->fee);
    ++s->fills;
  }
  changed();
  if (!s->running()) return;
  pending_.push_back({s->id, o.id, fill != nullptr, fill ? *fill : Fill{}});
  if (depth_ == 0) drainPending();
}

void StrategyHost::onMarketData(const MdEvent* events, std::size_t n, Nanos receivedAt) {
  if (instances_.empty()) return;
  tickAt_ = receivedAt;
  Nanos venueTs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const MdEvent& e = events[i];
    venueTs = std::max(venueTs, e.ts);
    if (e.instrument >= dirty_.size()) continue;
    if (e.type == MdType::Trade) {
      auto& subs = tradeSubscribers_[e.instrument];
      if (subs.empty()) continue;
      kappa_trade_event t{sizeof(kappa_trade_event), e.instrument, e.ts, e.price, e.qty, cSide(e.side)};
      for (std::size_t k = 0; k < subs.size(); ++k) {
        StrategyInstance* s = subs[k];
        if (!s) continue;
        invoke(*s, "on_trade", [&] { return s->strategy->on_trade ? s->strategy->on_trade(s->strategy, &t) : KAPPA_OK; });
      }
    } else if ((e.type == MdType::BookEnd || e.type == MdType::BookStale) && !bookSubscribers_[e.instrument].empty() &&
               !dirty_[e.instrument]) {
      dirty_[e.instrument] = 1;
      dirtyBooks_.push_back(e.instrument);
    }
  }
  // One on_book per instrument per venue batch: the batch is the conflation unit.
  for (InstrumentId id : dirtyBooks_) {
    dirty_[id] = 0;
    const OrderBook& b = svc_.market.book(id);
    kappa_book_event ev{};
    ev.size = sizeof ev;
    ev.instrument = id;
    ev.ts_ns = venueTs;
    if (const Level* bid = b.bestBid()) ev.best_bid = {bid->price, bid->qty};
    if (const Level* ask = b.bestAsk()) ev.best_ask = {ask->price, ask->qty};
    ev.stale = b.live() ? 0 : 1;
    auto& subs = bookSubscribers_[id];
    for (std::size_t k = 0; k < subs.size(); ++k) {
      StrategyInstance* s = subs[k];
      if (!s) continue;
      invoke(*s, "on_book", [&] { return s->strategy->on_book ? s->strategy->on_book(s->strategy, &ev) : KAPPA_OK; });
    }
  }
  dirtyBooks_.clear();
  tickAt_ = 0;
}

void StrategyHost::measureTickToOrder() {
  if (!tickAt_) return;  // not in response to market data (a timer, a start, an order update of its own)
  tickToOrder_.add(wallNow() - tickAt_);
  ++(tickFromChain_ ? chainOrders_ : bookOrders_);
}

void StrategyHost::onChainAnalytics() {
  const auto& m = svc_.analytics;
  if (!m || m->chains.empty() || instances_.empty()) return;
  const analytics::ChainAnalytics* a = m->chains.front().get();
  // Orders placed from on_chain answer the market the analytics were computed on: their
  // tick-to-order runs from the moment that market was sampled (analytics time included).
  tickAt_ = m->sampledAt;
  tickFromChain_ = true;
  kappa_chain_event ev{};
  ev.size = sizeof ev;
  ev.ts_ns = m->computedAt;
  ev.options = 0;
  for (const auto& c : m->chains) ev.options += std::uint32_t(c->options.size());
  ev.forward_hint = a->expiries.empty() ? a->index : a->expiries.front().forward;
  for (std::size_t k = 0; k < instances_.size(); ++k) {
    StrategyInstance* s = instances_[k].get();
    if (s->wantsChain)
      invoke(*s, "on_chain", [&] { return s->strategy->on_chain ? s->strategy->on_chain(s->strategy, &ev) : KAPPA_OK; });
  }
  tickAt_ = 0;
  tickFromChain_ = false;
}

void StrategyHost::onOverrun(std::uint32_t id, const char* callback, Nanos running) {
  StrategyInstance* s = find(id);
  if (!s) return;
  ++s->overruns;
  const std::string what = std::string(callback) + " ran " + std::to_string(running / 1000) + " us, over its " +
                            std::to_string(config_.callbackBudget / 1000) + " us budget";
  log::warn("strategy:" + s->name, what);
  if (s->running() && s->overruns >= std::uint64_t(config_.overrunsToStop))
    fault(*s, std::to_string(s->overruns) + " callbacks over budget (last: " + what + ")");
  changed();
}

void StrategyHost::onStuckReturned(std::uint32_t id, const char* callback) {
  // The stuck callback has returned at last (or this runs at shutdown): nothing of that plugin
  // runs again, and every other instance is stopped because trading is halted.
  StrategyInstance* s = find(id);
  const std::string name = s ? s->name : "instance " + std::to_string(id);
  {
    std::lock_guard lock(alarmMutex_);
    alarm_ = "watchdog: strategy " + name + " did not return from " + callback + ": all automation halted";
  }
  stuckNow_.store(false, std::memory_order_release);  // the engine thread is free again
  if (s) fault(*s, std::string("did not return from ") + callback + " (watchdog)");
  raise("watchdog", name, std::string("stuck in ") + callback + ": all automation halted");
  stopAll("halted by the watchdog");
}

void StrategyHost::updateWatchdog() {
  // Keep watching while any plugin code is on the stack (an instance faulted inside its own
  // callback may still be looping there).
  bool any = depth_ > 0;
  for (const auto& s : instances_) any = any || s->running();
  if (watchdog_) watchdog_->setActive(any);
}

void StrategyHost::rows(std::vector<PluginRow>* plugins, std::vector<StrategyRow>* strategies) const {
  if (plugins) {
    plugins->clear();
    for (const auto& m : modules_) {
      PluginRow r;
      r.path = m->path();
      r.sha256 = r.approvedSha256 = m->sha256();
      r.approval = PluginApproval::Approved;
      r.loaded = true;
      for (const StrategyInfo& i : m->strategies())
        r.strategies.push_back({i.id, i.name, i.version, i.vendor, i.description, paramRows(i, nullptr)});
      plugins->push_back(std::move(r));
    }
    for (const PluginRow& f : failedLoads_) plugins->push_back(f);
  }
  if (strategies) {
    strategies->clear();
    for (const auto& s : instances_) {
      StrategyRow r;
      r.id = s->id;
      r.name = s->name;
      r.pluginPath = s->module->path();
      r.strategyId = s->info->id;
      r.strategyName = s->info->name;
      r.version = s->info->version;
      r.state = s->state;
      r.params = paramRows(*s->info, &s->params);
      r.ordersSent = s->ordersSent;
      r.ordersRefused = s->ordersRefused;
      r.fills = s->fills;
      r.workingOrders = s->working.size();
      r.faults = s->faults;
      r.overruns = s->overruns;
      bool mixed = false;
      for (const auto& [id, p] : s->positions) {
        const std::string& c = svc_.instruments[id].settleCurrency;
        if (r.pnlCurrency.empty()) r.pnlCurrency = c;
        else if (r.pnlCurrency != c) mixed = true;
      }
      for (const auto& [id, p] : s->positions) {
        const Instrument& inst = svc_.instruments[id];
        const double mark = toDouble(svc_.market.markPrice(id));
        double realized = p.realizedPnl - p.fees, unrealized = mark > 0 ? p.unrealizedPnl(inst, mark) : 0.0;
        if (mixed && !isDollarCurrency(inst.settleCurrency)) {  // coin -> USD at its index; dollars at par
          const double index = inst.underlyingId < svc_.instruments.size()
                                   ? toDouble(svc_.market.stats(inst.underlyingId).last) : 0.0;
          realized *= index;
          unrealized *= index;
        }
        r.realizedPnl += realized;
        r.unrealizedPnl += unrealized;
      }
      if (mixed) r.pnlCurrency = "USD";
      r.lastError = s->lastError;
      strategies->push_back(std::move(r));
    }
  }
}

}  // namespace kappa
