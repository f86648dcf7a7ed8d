/*
 * Kappa strategy plugin ABI, version 1.1 — plain C, the only contract between the terminal and a
 * strategy shared library. A plugin built against this header with any C or C++ compiler keeps
 * working with every Kappa whose ABI has the same major version.
 *
 * Rules
 * - Entry: the library exports one function, kappa_strategy_entry(), returning a kappa_plugin_entry.
 *   The host refuses a plugin whose abi.major differs from its own with a message naming both
 *   versions. Minor versions only add: new fields at the end of structs (every struct starts with
 *   its `size`, so each side reads only what the other filled in) and new extensions.
 * - Optional capabilities are found by versioned string id, on both sides: host->get_extension()
 *   and strategy->get_extension(). Unknown ids return NULL.
 * - Plain C types only. Prices and quantities are fixed-point int64 with 8 decimals
 *   (KAPPA_FIXED_SCALE): exact ticks, no rounding drift. Analytics (vols, Greeks) are doubles.
 * - Whoever allocates frees. Strings and arrays the host passes in are valid only during the call
 *   that passed them (copy what you keep); descriptors the plugin returns must stay valid until
 *   deinit(). Buffers for results are provided by the caller with their capacity.
 * - Threads: the entry's init/deinit/get_factory and the factory's count/descriptor are called on
 *   the host's loader thread (loading never stalls trading). create(), destroy() and every
 *   strategy callback are called on the engine thread, one call at a time, and every host service
 *   must be called on the engine thread from within a callback. A plugin may start its own
 *   threads, but they must not call the host. Callbacks must return quickly: each has a
 *   time budget (1 ms by default); repeated overruns stop the instance, and a callback that never
 *   returns trips the watchdog, which halts all automation.
 * - Errors: callbacks return KAPPA_OK or a negative status. Any error (or a C++ exception escaping
 *   a callback) stops that instance: its orders are cancelled, a risk event is raised, the other
 *   instances keep running. Do not let exceptions cross this boundary (strategy.hpp catches them).
 * - Orders go through the terminal's risk gate exactly like manual orders; a refusal comes back
 *   with its reason. A halted terminal refuses every new order.
 */
#ifndef KAPPA_STRATEGY_H
#define KAPPA_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KAPPA_ABI_MAJOR 1u
#define KAPPA_ABI_MINOR 1u  /* 1.1: kappa_instrument::venue; find_instrument takes "venue:name" */

#if defined(_WIN32)
#define KAPPA_EXPORT __declspec(dllexport)
#else
#define KAPPA_EXPORT __attribute__((visibility("default")))
#endif

#define KAPPA_FIXED_SCALE 100000000LL /* price or quantity = value * 1e8 */
#define KAPPA_NO_INSTRUMENT 0xFFFFFFFFu

typedef int32_t kappa_status;
#define KAPPA_OK 0
#define KAPPA_ERROR (-1)           /* generic failure: the instance is stopped */
#define KAPPA_REFUSED (-2)         /* host: the risk gate or the host refused (reason given) */
#define KAPPA_NOT_FOUND (-3)       /* host: unknown instrument, order, parameter or timer */
#define KAPPA_BUFFER_TOO_SMALL (-4)
#define KAPPA_UNAVAILABLE (-5)     /* host: no data yet (e.g. no analytics for this option) */

typedef struct kappa_abi_version {
  uint32_t major;
  uint32_t minor;
} kappa_abi_version;

/* ---------------------------------------------------------------------------------------------
 * Market data and instruments
 */
enum { KAPPA_SIDE_BUY = 0, KAPPA_SIDE_SELL = 1 };
enum { KAPPA_KIND_INDEX = 0, KAPPA_KIND_PERPETUAL = 1, KAPPA_KIND_FUTURE = 2, KAPPA_KIND_OPTION = 3 };
enum { KAPPA_OPTION_NONE = 0, KAPPA_OPTION_CALL = 1, KAPPA_OPTION_PUT = 2 };

typedef struct kappa_instrument {
  uint32_t size;              /* sizeof(kappa_instrument), set by the caller */
  uint32_t id;
  const char* name;           /* e.g. "BTC-PERPETUAL", "BTC-27DEC26-70000-C"; host-owned, lives as long as the host */
  int32_t kind;               /* KAPPA_KIND_* */
  int32_t option_type;        /* KAPPA_OPTION_* */
  int32_t inverse;            /* 1: margined and settled in the coin (Deribit BTC), 0: linear */
  uint32_t underlying;        /* instrument id of the index it prices off, or KAPPA_NO_INSTRUMENT */
  int64_t strike;             /* fixed-point; 0 unless an option */
  int64_t expiry_ns;          /* Unix nanoseconds UTC; 0 for perpetuals and indices */
  int64_t tick_size;          /* fixed-point price step */
  int64_t min_qty;            /* fixed-point quantity step and minimum */
  int64_t max_qty;            /* 0 = no instrument maximum */
  double contract_size;       /* options: coins per contract; inverse perpetual: USD per contract */
  int32_t tradable;
  const char* base_currency;  /* "BTC"; host-owned, lives as long as the host */
  /* Added in ABI 1.1 (present when size covers it): the venue that lists it, "deribit",
   * "binance-futures", "sim"; host-owned. Two venues may list the same name: find_instrument takes
   * "venue:name" (e.g. "binance-futures:BTCUSDT") as well as a bare name (the first venue's). */
  const char* venue;
} kappa_instrument;

typedef struct kappa_level {
  int64_t price;
  int64_t qty;
} kappa_level;

typedef struct kappa_book_event {
  uint32_t size;
  uint32_t instrument;
  int64_t ts_ns;              /* venue time of the last change in this batch */
  kappa_level best_bid;       /* qty 0 when the side is empty */
  kappa_level best_ask;
  int32_t stale;              /* 1: the book is not trustworthy (gap, venue down): do not quote off it */
} kappa_book_event;

typedef struct kappa_trade_event {
  uint32_t size;
  uint32_t instrument;
  int64_t ts_ns;
  int64_t price;
  int64_t qty;
  int32_t aggressor_side;     /* KAPPA_SIDE_* of the taker */
} kappa_trade_event;

/* Delivered after the analytics thread finished a refresh of the option chain (at most 10 Hz). */
typedef struct kappa_chain_event {
  uint32_t size;
  int64_t ts_ns;              /* market time of the refresh, the clock of now_ns() */
  uint32_t options;           /* options with analytics in this refresh */
  double forward_hint;        /* the nearest expiry's forward, USD */
} kappa_chain_event;

typedef struct kappa_option_analytics {
  uint32_t size;
  uint32_t instrument;
  int64_t expiry_ns;
  double t_years;
  double forward;             /* USD, from put-call parity or futures carry */
  double strike;              /* USD */
  double bid_iv, ask_iv, mid_iv; /* 0 when that side has no quote or no volatility */
  double surface_iv;          /* fitted SVI surface at this strike and expiry; 0 if never fitted. A
                               * refresh whose fit fails keeps the newest good fit (see surface_fitted_ns) */
  double theo_coin;           /* model value in coin at surface_iv (the mark if no surface) */
  double edge_coin;           /* mid minus theo, coin */
  double delta, gamma, vega, theta; /* Black-76 in USD per contract: vega per 1.00 vol, theta per year */
  double delta_coin;          /* coin delta (delta minus premium) */
  int64_t surface_fitted_ns;  /* market time of the fit surface_iv comes from (its age); 0 if none */
} kappa_option_analytics;

/* Live: the account's positions on every venue at the moment of the call (every fill already
 * delivered to any strategy is in them) times the latest refresh's per-option Greeks; inverse
 * perpetuals and futures count Q/F BTC of delta, linear ones (USDT-margined) their quantity in BTC.
 * Only the first listed underlying's instruments (BTC): another coin's delta (ETH) is a different
 * risk and is not added. */
typedef struct kappa_greeks {
  uint32_t size;
  double delta_coin;          /* BTC */
  double delta_usd;
  double gamma_usd;           /* per 1 USD move of the underlying */
  double vega_usd;            /* per 1 vol point */
  double theta_usd;           /* per day */
} kappa_greeks;

/* ---------------------------------------------------------------------------------------------
 * Orders
 */
enum { KAPPA_ORDER_LIMIT = 0, KAPPA_ORDER_MARKET = 1 };
enum { KAPPA_TIF_GTC = 0, KAPPA_TIF_IOC = 1 };
enum {
  KAPPA_STATE_PENDING_NEW = 0,
  KAPPA_STATE_OPEN = 1,
  KAPPA_STATE_PARTIALLY_FILLED = 2,
  KAPPA_STATE_FILLED = 3,
  KAPPA_STATE_CANCELLED = 4,
  KAPPA_STATE_REJECTED = 5
};

typedef struct kappa_order_request {
  uint32_t size;
  uint32_t instrument;
  int32_t side;               /* KAPPA_SIDE_* */
  int32_t type;               /* KAPPA_ORDER_* */
  int32_t tif;                /* KAPPA_TIF_* */
  int32_t post_only;
  int64_t price;              /* fixed-point, on tick; ignored for market orders */
  int64_t qty;                /* fixed-point, a multiple of min_qty */
  const char* tag;            /* optional free text shown in the order blotter; may be NULL */
} kappa_order_request;

typedef struct kappa_order {
  uint32_t size;
  uint64_t order_id;
  uint32_t instrument;
  int32_t side;
  int32_t state;              /* KAPPA_STATE_* */
  int64_t price;
  int64_t qty;
  int64_t filled;
  int64_t leaves;
  double avg_fill_price;      /* in the price's currency (USD, or coin for options), as a double */
  const char* reason;         /* reject or cancel reason, "" if none; valid during the call */
} kappa_order;

typedef struct kappa_fill {
  uint32_t size;
  uint64_t order_id;
  uint32_t instrument;
  int32_t side;
  int64_t price;
  int64_t qty;
  double fee;                 /* settlement currency, positive = paid */
  int32_t maker;
  int64_t ts_ns;
} kappa_fill;

typedef struct kappa_position {
  uint32_t size;
  uint32_t instrument;
  int64_t qty;                /* signed, fixed-point */
  double average_price;       /* in the price's currency; harmonic for inverse contracts */
  double realized_pnl;        /* settlement currency */
  double unrealized_pnl;
} kappa_position;

/* ---------------------------------------------------------------------------------------------
 * Parameters: declared by the strategy, edited by the user, validated by the host.
 */
enum { KAPPA_PARAM_DOUBLE = 0, KAPPA_PARAM_INT = 1, KAPPA_PARAM_BOOL = 2, KAPPA_PARAM_STRING = 3 };

typedef struct kappa_param_desc {
  uint32_t size;
  const char* name;           /* identifier: letters, digits, '_' */
  int32_t type;               /* KAPPA_PARAM_* */
  double default_value;       /* double, int and bool (0/1) */
  double min_value;           /* double and int; min > max means unbounded */
  double max_value;
  const char* default_string; /* string parameters */
  const char* description;
} kappa_param_desc;

/* ---------------------------------------------------------------------------------------------
 * Host services, passed to the factory's create(). Valid until the instance is destroyed.
 */
enum { KAPPA_LOG_DEBUG = 0, KAPPA_LOG_INFO = 1, KAPPA_LOG_WARN = 2, KAPPA_LOG_ERROR = 3 };

typedef struct kappa_host kappa_host;
struct kappa_host {
  uint32_t size;
  kappa_abi_version abi;      /* the host's ABI version */
  void* host_data;            /* opaque: pass `host` back, never read this */

  const void* (*get_extension)(const kappa_host* host, const char* id);
  void (*log)(const kappa_host* host, int32_t level, const char* message);
  int64_t (*now_ns)(const kappa_host* host); /* market time, Unix nanoseconds */

  /* Instruments and market data */
  uint32_t (*instrument_count)(const kappa_host* host); /* ids are 0 .. count-1 */
  kappa_status (*get_instrument)(const kappa_host* host, uint32_t id, kappa_instrument* out);
  uint32_t (*find_instrument)(const kappa_host* host, const char* name); /* KAPPA_NO_INSTRUMENT if unknown */
  /* Best `capacity` levels of one side into `out`; returns how many were written (0 if stale/empty). */
  uint32_t (*book_levels)(const kappa_host* host, uint32_t instrument, int32_t side, kappa_level* out, uint32_t capacity);
  /* (book_levels reads any book, subscribed or not; subscriptions only choose what is delivered.) */
  kappa_status (*subscribe_book)(const kappa_host* host, uint32_t instrument);   /* -> on_book */
  kappa_status (*subscribe_trades)(const kappa_host* host, uint32_t instrument); /* -> on_trade */
  kappa_status (*subscribe_chain)(const kappa_host* host);                       /* -> on_chain */
  int64_t (*mark_price)(const kappa_host* host, uint32_t instrument);            /* fixed-point, 0 if none */

  /* Options analytics (latest refresh) and the volatility surface */
  kappa_status (*option_analytics)(const kappa_host* host, uint32_t instrument, kappa_option_analytics* out);
  /* Implied vol of the fitted surface at (expiry, strike in USD); KAPPA_UNAVAILABLE before a fit. */
  kappa_status (*surface_vol)(const kappa_host* host, int64_t expiry_ns, double strike, double* out_vol);
  kappa_status (*portfolio_greeks)(const kappa_host* host, kappa_greeks* out); /* the whole account */

  /* Orders: every request passes the risk gate. On refusal, `reason` (if not NULL) receives a
   * NUL-terminated explanation truncated to `reason_capacity`. The order's updates follow as
   * on_order_update (acknowledged: OPEN, then fills, cancel...), each fill as on_fill just before
   * the update that it caused. Updates caused inside a callback (even an immediate fill) are
   * delivered after that callback returns: callbacks never nest. Option prices are in coin per
   * contract, like theo_coin. The host copies `tag`. */
  kappa_status (*submit_order)(const kappa_host* host, const kappa_order_request* request, uint64_t* out_order_id,
                               char* reason, uint32_t reason_capacity);
  /* KAPPA_NOT_FOUND for an order that is not this instance's, KAPPA_REFUSED for one already finished.
   * Cancels pass even when trading is halted. */
  kappa_status (*cancel_order)(const kappa_host* host, uint64_t order_id);
  /* A new price and TOTAL quantity (filled + still open) for a working order; a new risk decision.
   * An order not yet acknowledged (PENDING_NEW) cannot be replaced. */
  kappa_status (*replace_order)(const kappa_host* host, uint64_t order_id, int64_t new_price, int64_t new_qty,
                                char* reason, uint32_t reason_capacity);
  kappa_status (*cancel_all)(const kappa_host* host); /* this instance's working orders */
  /* Any order this instance sent during the session, working or finished. */
  kappa_status (*get_order)(const kappa_host* host, uint64_t order_id, kappa_order* out);
  /* This instance's working order ids into `out`; returns the total count (may exceed capacity). */
  uint32_t (*open_orders)(const kappa_host* host, uint64_t* out, uint32_t capacity);
  /* This instance's own position (from its own fills), or the account's if `account` is 1. */
  kappa_status (*get_position)(const kappa_host* host, uint32_t instrument, int32_t account, kappa_position* out);

  /* Timers: on_timer(timer_id) after `interval_ns`, then every interval if `repeat`. */
  kappa_status (*set_timer)(const kappa_host* host, int64_t interval_ns, int32_t repeat, uint64_t* out_timer_id);
  kappa_status (*cancel_timer)(const kappa_host* host, uint64_t timer_id);

  /* Parameters of this instance (validated against the descriptor's schema). */
  kappa_status (*param_double)(const kappa_host* host, const char* name, double* out); /* double, int, bool */
  /* String value into `out` (NUL-terminated, truncated to `capacity`). */
  kappa_status (*param_string)(const kappa_host* host, const char* name, char* out, uint32_t capacity);
  const char* (*instance_name)(const kappa_host* host); /* e.g. "mm-options#1"; valid for the instance's life */
};

/* ---------------------------------------------------------------------------------------------
 * A strategy instance: function pointers plus the plugin's opaque pointer. Created by the
 * factory, destroyed by its own destroy(). Any callback may be NULL when the strategy does not
 * need it. Every callback returns KAPPA_OK or an error, which stops the instance.
 */
typedef struct kappa_strategy kappa_strategy;
struct kappa_strategy {
  uint32_t size;
  void* strategy_data;        /* the plugin's; the host never reads it */

  kappa_status (*on_start)(const kappa_strategy* s);  /* subscribe, set timers, read parameters */
  kappa_status (*on_stop)(const kappa_strategy* s);   /* the host cancels the instance's orders after it */
  kappa_status (*on_book)(const kappa_strategy* s, const kappa_book_event* event);
  kappa_status (*on_trade)(const kappa_strategy* s, const kappa_trade_event* event);
  kappa_status (*on_chain)(const kappa_strategy* s, const kappa_chain_event* event);
  kappa_status (*on_order_update)(const kappa_strategy* s, const kappa_order* order);
  kappa_status (*on_fill)(const kappa_strategy* s, const kappa_fill* fill);
  kappa_status (*on_timer)(const kappa_strategy* s, uint64_t timer_id);
  /* A parameter changed while running (the new value is readable through the host). */
  kappa_status (*on_param_change)(const kappa_strategy* s, const char* name);
  void (*destroy)(const kappa_strategy* s);           /* frees the instance; required */
  const void* (*get_extension)(const kappa_strategy* s, const char* id);
};

typedef struct kappa_strategy_descriptor {
  uint32_t size;
  const char* id;             /* unique, reverse-DNS style: "org.example.delta-hedger" */
  const char* name;
  const char* version;
  const char* vendor;
  const char* description;
  uint32_t param_count;
  const kappa_param_desc* params;
} kappa_strategy_descriptor;

#define KAPPA_STRATEGY_FACTORY_ID "kappa.strategy-factory/1"

typedef struct kappa_strategy_factory kappa_strategy_factory;
struct kappa_strategy_factory {
  uint32_t size;
  uint32_t (*count)(const kappa_strategy_factory* f);
  const kappa_strategy_descriptor* (*descriptor)(const kappa_strategy_factory* f, uint32_t index);
  /* A new instance of strategy `id`, or NULL. The host calls on_start() when the user starts it. */
  const kappa_strategy* (*create)(const kappa_strategy_factory* f, const kappa_host* host, const char* id);
};

typedef struct kappa_plugin_entry {
  uint32_t size;
  kappa_abi_version abi;      /* KAPPA_ABI_MAJOR / KAPPA_ABI_MINOR the plugin was built with */
  int32_t (*init)(const char* plugin_path); /* nonzero = ready; called once after loading */
  void (*deinit)(void);                     /* once before unloading */
  const void* (*get_factory)(const char* factory_id); /* KAPPA_STRATEGY_FACTORY_ID, or NULL */
} kappa_plugin_entry;

/* The one exported symbol. */
typedef const kappa_plugin_entry* (*kappa_strategy_entry_fn)(void);
#define KAPPA_ENTRY_SYMBOL "kappa_strategy_entry"

#ifdef __cplusplus
}
#endif

#endif /* KAPPA_STRATEGY_H */
