// Kappa strategy SDK: a header-only C++17 layer over the C ABI in strategy.h.
//
// An author derives from kappa::sdk::Strategy, overrides the callbacks it needs, registers the
// class once with kappa::sdk::Register and puts KAPPA_PLUGIN_ENTRY() in one .cpp file:
//
//   class Hello : public kappa::sdk::Strategy {
//    public:
//     using Strategy::Strategy;
//     void onStart() override { host().subscribeBook(host().findInstrument("BTC-PERPETUAL")); }
//     void onBook(const kappa_book_event& e) override { host().log(KAPPA_LOG_INFO, "tick"); }
//   };
//   static kappa::sdk::Register<Hello> hello{{"org.example.hello", "Hello", "1.0", "Example", "Logs ticks"}, {}};
//   KAPPA_PLUGIN_ENTRY()
//
// Exceptions thrown from a callback are caught here, logged at error level (the terminal shows
// the message as the instance's last error) and turned into KAPPA_ERROR, which stops the
// instance. Nothing C++ crosses the ABI: the host may be built with another compiler.
#ifndef KAPPA_STRATEGY_HPP
#define KAPPA_STRATEGY_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kappa/strategy.h"

namespace kappa::sdk {

inline int64_t toFixed(double v) { return std::llround(v * double(KAPPA_FIXED_SCALE)); }
inline double toDouble(int64_t v) { return double(v) / double(KAPPA_FIXED_SCALE); }
// Rounds a fixed-point price to the tick: down for bids, up for asks (never through the quote).
inline int64_t floorToTick(int64_t price, int64_t tick) { return tick > 0 ? (price / tick) * tick : price; }
inline int64_t ceilToTick(int64_t price, int64_t tick) {
  return tick > 0 ? ((price + tick - 1) / tick) * tick : price;
}

struct SubmitResult {
  bool accepted = false;
  uint64_t orderId = 0;
  std::string reason;  // why the risk gate or the host refused it
};

// The host services, with C++ types. Valid for the life of the strategy instance.
class Host {
 public:
  explicit Host(const kappa_host* host) : h_(host) {}
  const kappa_host* raw() const { return h_; }

  void log(int32_t level, const std::string& message) const { h_->log(h_, level, message.c_str()); }
  int64_t nowNs() const { return h_->now_ns(h_); }
  std::string instanceName() const { return h_->instance_name(h_); }

  uint32_t instrumentCount() const { return h_->instrument_count(h_); }
  bool instrument(uint32_t id, kappa_instrument& out) const {
    out = kappa_instrument{};
    out.size = sizeof(kappa_instrument);
    return h_->get_instrument(h_, id, &out) == KAPPA_OK;
  }
  uint32_t findInstrument(const std::string& name) const { return h_->find_instrument(h_, name.c_str()); }
  std::vector<kappa_level> bookLevels(uint32_t instrument, int32_t side, uint32_t depth) const {
    std::vector<kappa_level> levels(depth);
    levels.resize(h_->book_levels(h_, instrument, side, levels.data(), depth));
    return levels;
  }
  int64_t markPrice(uint32_t instrument) const { return h_->mark_price(h_, instrument); }
  void subscribeBook(uint32_t instrument) const { check(h_->subscribe_book(h_, instrument), "subscribe_book"); }
  void subscribeTrades(uint32_t instrument) const { check(h_->subscribe_trades(h_, instrument), "subscribe_trades"); }
  void subscribeChain() const { check(h_->subscribe_chain(h_), "subscribe_chain"); }

  bool optionAnalytics(uint32_t instrument, kappa_option_analytics& out) const {
    out = kappa_option_analytics{};
    out.size = sizeof(kappa_option_analytics);
    return h_->option_analytics(h_, instrument, &out) == KAPPA_OK;
  }
  bool surfaceVol(int64_t expiryNs, double strike, double& vol) const {
    return h_->surface_vol(h_, expiryNs, strike, &vol) == KAPPA_OK;
  }
  bool portfolioGreeks(kappa_greeks& out) const {
    out = kappa_greeks{};
    out.size = sizeof(kappa_greeks);
    return h_->portfolio_greeks(h_, &out) == KAPPA_OK;
  }

  SubmitResult submit(uint32_t instrument, int32_t side, int64_t price, int64_t qty, int32_t type = KAPPA_ORDER_LIMIT,
                      int32_t tif = KAPPA_TIF_GTC, bool postOnly = false, const char* tag = nullptr) const {
    kappa_order_request r{};
    r.size = sizeof r;
    r.instrument = instrument;
    r.side = side;
    r.type = type;
    r.tif = tif;
    r.post_only = postOnly ? 1 : 0;
    r.price = price;
    r.qty = qty;
    r.tag = tag;
    SubmitResult result;
    char reason[256] = {0};
    result.accepted = h_->submit_order(h_, &r, &result.orderId, reason, sizeof reason) == KAPPA_OK;
    result.reason = reason;
    return result;
  }
  bool cancel(uint64_t orderId) const { return h_->cancel_order(h_, orderId) == KAPPA_OK; }
  // `qty` is the new total (filled + open). `reason` (optional) receives why it was refused.
  bool replace(uint64_t orderId, int64_t price, int64_t qty, std::string* reason = nullptr) const {
    char buffer[256] = {0};
    const bool ok = h_->replace_order(h_, orderId, price, qty, buffer, sizeof buffer) == KAPPA_OK;
    if (!ok && reason) *reason = buffer;
    return ok;
  }
  void cancelAll() const { h_->cancel_all(h_); }
  bool order(uint64_t orderId, kappa_order& out) const {
    out = kappa_order{};
    out.size = sizeof(kappa_order);
    return h_->get_order(h_, orderId, &out) == KAPPA_OK;
  }
  std::vector<uint64_t> openOrders() const {
    std::vector<uint64_t> ids(64);
    uint32_t n = h_->open_orders(h_, ids.data(), uint32_t(ids.size()));
    if (n > ids.size()) {
      ids.resize(n);
      n = h_->open_orders(h_, ids.data(), n);
    }
    ids.resize(std::min<std::size_t>(n, ids.size()));
    return ids;
  }
  kappa_position position(uint32_t instrument, bool account = false) const {
    kappa_position p{};
    p.size = sizeof p;
    h_->get_position(h_, instrument, account ? 1 : 0, &p);
    return p;
  }

  uint64_t setTimer(int64_t intervalNs, bool repeat) const {
    uint64_t id = 0;
    check(h_->set_timer(h_, intervalNs, repeat ? 1 : 0, &id), "set_timer");
    return id;
  }
  void cancelTimer(uint64_t id) const { h_->cancel_timer(h_, id); }

  double param(const char* name) const {
    double v = 0;
    check(h_->param_double(h_, name, &v), name);
    return v;
  }
  std::string paramString(const char* name) const {
    char buffer[512] = {0};
    check(h_->param_string(h_, name, buffer, sizeof buffer), name);
    return buffer;
  }

 private:
  static void check(kappa_status s, const char* what) {
    if (s != KAPPA_OK) throw std::runtime_error(std::string(what) + " failed (status " + std::to_string(s) + ")");
  }
  const kappa_host* h_;
};

// Base class of a strategy. Throw to report an error: the instance is stopped and the message shown.
class Strategy {
 public:
  explicit Strategy(const kappa_host* host) : host_(host) {}
  virtual ~Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  virtual void onStart() {}
  virtual void onStop() {}
  virtual void onBook(const kappa_book_event&) {}
  virtual void onTrade(const kappa_trade_event&) {}
  virtual void onChain(const kappa_chain_event&) {}
  virtual void onOrderUpdate(const kappa_order&) {}
  virtual void onFill(const kappa_fill&) {}
  virtual void onTimer(uint64_t) {}
  virtual void onParamChange(const std::string&) {}

  const Host& host() const { return host_; }

 private:
  Host host_;
};

// Parameter declarations for the schema.
struct Param {
  std::string name, description, defaultString;
  int32_t type = KAPPA_PARAM_DOUBLE;
  double defaultValue = 0, minValue = 1, maxValue = 0;  // min > max: unbounded

  static Param real(std::string name, double def, double min, double max, std::string description) {
    return {std::move(name), std::move(description), {}, KAPPA_PARAM_DOUBLE, def, min, max};
  }
  static Param integer(std::string name, int64_t def, int64_t min, int64_t max, std::string description) {
    return {std::move(name), std::move(description), {}, KAPPA_PARAM_INT, double(def), double(min), double(max)};
  }
  static Param boolean(std::string name, bool def, std::string description) {
    return {std::move(name), std::move(description), {}, KAPPA_PARAM_BOOL, def ? 1.0 : 0.0, 0, 1};
  }
  static Param text(std::string name, std::string def, std::string description) {
    return {std::move(name), std::move(description), std::move(def), KAPPA_PARAM_STRING, 0, 1, 0};
  }
};

struct Info {
  std::string id, name, version, vendor, description;
};

// The registry is private to each plugin. Without hidden visibility GCC would export its
// function-local statics as GNU-unique symbols, which the dynamic linker merges across every
// loaded plugin even with RTLD_LOCAL: two plugins would list each other's strategies.
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
namespace detail {

struct Registration {
  Info info;
  std::vector<Param> params;
  std::vector<kappa_param_desc> paramDescs;
  kappa_strategy_descriptor descriptor{};
  std::function<Strategy*(const kappa_host*)> make;
};

inline std::vector<std::unique_ptr<Registration>>& registry() {
  static std::vector<std::unique_ptr<Registration>> r;
  return r;
}


struct Instance {
  kappa_strategy c{};
  std::unique_ptr<Strategy> strategy;
};

inline Strategy* self(const kappa_strategy* s) { return static_cast<Instance*>(s->strategy_data)->strategy.get(); }

template <class F>
kappa_status guarded(const kappa_strategy* s, F&& f) {
  Strategy* strategy = self(s);
  try {
    f(*strategy);
    return KAPPA_OK;
  } catch (const std::exception& e) {
    const kappa_host* h = strategy->host().raw();
    h->log(h, KAPPA_LOG_ERROR, "exception:");  // no allocation: this line always gets through
    h->log(h, KAPPA_LOG_ERROR, e.what());
  } catch (...) {
    const kappa_host* h = strategy->host().raw();
    h->log(h, KAPPA_LOG_ERROR, "exception of unknown type");
  }
  return KAPPA_ERROR;
}

inline const kappa_strategy* create(const kappa_strategy_factory*, const kappa_host* host, const char* id) {
  for (auto& r : registry()) {
    if (r->info.id != id) continue;
    try {
      auto instance = std::make_unique<Instance>();
      try {
        instance->strategy.reset(r->make(host));
      } catch (const std::exception& e) {
        host->log(host, KAPPA_LOG_ERROR, (std::string("constructor failed: ") + e.what()).c_str());
        throw;
      }
      kappa_strategy& c = instance->c;
      c.size = sizeof(kappa_strategy);
      c.strategy_data = instance.get();
      c.on_start = [](const kappa_strategy* s) { return guarded(s, [](Strategy& x) { x.onStart(); }); };
      c.on_stop = [](const kappa_strategy* s) { return guarded(s, [](Strategy& x) { x.onStop(); }); };
      c.on_book = [](const kappa_strategy* s, const kappa_book_event* e) {
        return guarded(s, [e](Strategy& x) { x.onBook(*e); });
      };
      c.on_trade = [](const kappa_strategy* s, const kappa_trade_event* e) {
        return guarded(s, [e](Strategy& x) { x.onTrade(*e); });
      };
      c.on_chain = [](const kappa_strategy* s, const kappa_chain_event* e) {
        return guarded(s, [e](Strategy& x) { x.onChain(*e); });
      };
      c.on_order_update = [](const kappa_strategy* s, const kappa_order* o) {
        return guarded(s, [o](Strategy& x) { x.onOrderUpdate(*o); });
      };
      c.on_fill = [](const kappa_strategy* s, const kappa_fill* f) {
        return guarded(s, [f](Strategy& x) { x.onFill(*f); });
      };
      c.on_timer = [](const kappa_strategy* s, uint64_t id) {
        return guarded(s, [id](Strategy& x) { x.onTimer(id); });
      };
      c.on_param_change = [](const kappa_strategy* s, const char* name) {
        return guarded(s, [name](Strategy& x) { x.onParamChange(name); });
      };
      c.destroy = [](const kappa_strategy* s) { delete static_cast<Instance*>(s->strategy_data); };
      c.get_extension = [](const kappa_strategy*, const char*) -> const void* { return nullptr; };
      return &instance.release()->c;
    } catch (...) {
      return nullptr;  // a constructor that throws: the host reports "create failed"
    }
  }
  return nullptr;
}

inline const kappa_strategy_factory* factory() {
  static const kappa_strategy_factory f = {
      sizeof(kappa_strategy_factory),
      [](const kappa_strategy_factory*) { return uint32_t(registry().size()); },
      [](const kappa_strategy_factory*, uint32_t i) -> const kappa_strategy_descriptor* {
        return i < registry().size() ? &registry()[i]->descriptor : nullptr;
      },
      &create,
  };
  return &f;
}

inline const kappa_plugin_entry* entry() {
  static const kappa_plugin_entry e = {
      sizeof(kappa_plugin_entry),
      {KAPPA_ABI_MAJOR, KAPPA_ABI_MINOR},
      [](const char*) -> int32_t { return 1; },
      []() {},
      [](const char* id) -> const void* {
        return std::strcmp(id, KAPPA_STRATEGY_FACTORY_ID) == 0 ? factory() : nullptr;
      },
  };
  return &e;
}

}  // namespace detail
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

// Registers strategy class T (constructible from const kappa_host*) under `info` with `params`.
template <class T>
struct Register {
  Register(Info info, std::vector<Param> params) {
    auto r = std::make_unique<detail::Registration>();
    r->info = std::move(info);
    r->params = std::move(params);
    for (const Param& p : r->params) {
      kappa_param_desc d{};
      d.size = sizeof d;
      d.name = p.name.c_str();
      d.type = p.type;
      d.default_value = p.defaultValue;
      d.min_value = p.minValue;
      d.max_value = p.maxValue;
      d.default_string = p.defaultString.c_str();
      d.description = p.description.c_str();
      r->paramDescs.push_back(d);
    }
    kappa_strategy_descriptor& d = r->descriptor;
    d.size = sizeof d;
    d.id = r->info.id.c_str();
    d.name = r->info.name.c_str();
    d.version = r->info.version.c_str();
    d.vendor = r->info.vendor.c_str();
    d.description = r->info.description.c_str();
    d.param_count = uint32_t(r->paramDescs.size());
    d.params = r->paramDescs.data();
    r->make = [](const kappa_host* host) -> Strategy* { return new T(host); };
    detail::registry().push_back(std::move(r));
  }
};

}  // namespace kappa::sdk

// The plugin's one exported symbol. Put it in exactly one .cpp file of the plugin.
#define KAPPA_PLUGIN_ENTRY()                                                                      \
  extern "C" KAPPA_EXPORT const kappa_plugin_entry* kappa_strategy_entry(void) {                 \
    return ::kappa::sdk::detail::entry();                                                         \
  }

#endif  // KAPPA_STRATEGY_HPP
