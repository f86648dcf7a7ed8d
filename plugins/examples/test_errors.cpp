/* Test plugin in plain C style against strategy.h alone (no strategy.hpp, no exceptions, no C++
 * library): proves the raw ABI is enough to write a plugin, and that a callback returning
 * KAPPA_ERROR stops the instance. It subscribes to the BTC-PERPETUAL book and fails the 2nd on_book.
 * Instance state lives in the block create() allocates, so instances never share anything. The
 * file also compiles as C (gcc -x c), which is the point. */
#include <stdlib.h>
#include <string.h>

#include "kappa/strategy.h"

typedef struct errors_instance {
  kappa_strategy strategy; /* first member: the kappa_strategy* the host holds is the block itself */
  const kappa_host* host;
  unsigned books;
} errors_instance;

static errors_instance* self(const kappa_strategy* s) { return (errors_instance*)s->strategy_data; }

static kappa_status on_start(const kappa_strategy* s) {
  const kappa_host* h = self(s)->host;
  uint32_t id = h->find_instrument(h, "BTC-PERPETUAL");
  if (id == KAPPA_NO_INSTRUMENT) {
    h->log(h, KAPPA_LOG_ERROR, "BTC-PERPETUAL is not listed");
    return KAPPA_ERROR;
  }
  return h->subscribe_book(h, id);
}

static kappa_status on_book(const kappa_strategy* s, const kappa_book_event* event) {
  errors_instance* me = self(s);
  (void)event;
  if (++me->books < 2) return KAPPA_OK;
  me->host->log(me->host, KAPPA_LOG_ERROR, "deliberate error return");
  return KAPPA_ERROR;
}

static void destroy(const kappa_strategy* s) { free(self(s)); }

static const kappa_strategy_descriptor descriptor = {
    sizeof(kappa_strategy_descriptor),
    "kappa.test.test-errors",
    "Test: errors",
    "1.0",
    "Kappa tests",
    "Plain-C plugin whose on_book returns KAPPA_ERROR on the second book event.",
    0,
    NULL,
};

static uint32_t factory_count(const kappa_strategy_factory* f) {
  (void)f;
  return 1;
}

static const kappa_strategy_descriptor* factory_descriptor(const kappa_strategy_factory* f, uint32_t index) {
  (void)f;
  return index == 0 ? &descriptor : NULL;
}

static const kappa_strategy* factory_create(const kappa_strategy_factory* f, const kappa_host* host, const char* id) {
  errors_instance* me;
  (void)f;
  if (!id || strcmp(id, descriptor.id) != 0) return NULL;
  me = (errors_instance*)calloc(1, sizeof(errors_instance)); /* zeroed: unused callbacks are NULL */
  if (!me) return NULL;
  me->host = host;
  me->strategy.size = sizeof(kappa_strategy);
  me->strategy.strategy_data = me;
  me->strategy.on_start = on_start;
  me->strategy.on_book = on_book;
  me->strategy.destroy = destroy;
  return &me->strategy;
}

static const kappa_strategy_factory factory = {
    sizeof(kappa_strategy_factory),
    factory_count,
    factory_descriptor,
    factory_create,
};

static int32_t entry_init(const char* plugin_path) {
  (void)plugin_path;
  return 1;
}

static void entry_deinit(void) {}

static const void* entry_get_factory(const char* factory_id) {
  return factory_id && strcmp(factory_id, KAPPA_STRATEGY_FACTORY_ID) == 0 ? &factory : NULL;
}

static const kappa_plugin_entry entry = {
    sizeof(kappa_plugin_entry),
    {KAPPA_ABI_MAJOR, KAPPA_ABI_MINOR},
    entry_init,
    entry_deinit,
    entry_get_factory,
};

#ifdef __cplusplus
extern "C"
#endif
KAPPA_EXPORT const kappa_plugin_entry* kappa_strategy_entry(void) {
  return &entry;
}
