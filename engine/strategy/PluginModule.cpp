#include "strategy/PluginModule.hpp"

#include <dlfcn.h>

#include "strategy/ElfCheck.hpp"

namespace kappa {
namespace {
std::string text(const char* s) { return s ? s : ""; }

// A struct from the plugin is read only up to the size it says it has: fields a newer minor
// version added are simply absent in an older plugin (and keep their defaults here).
template <class T>
bool hasField(const T* s, std::size_t offsetEnd) {
  return s && s->size >= offsetEnd;
}
#define KAPPA_HAS(ptr, field) hasField(ptr, offsetof(std::remove_pointer_t<decltype(ptr)>, field) + sizeof((ptr)->field))
}  // namespace

const ParamSpec* StrategyInfo::param(const std::string& n) const {
  for (const ParamSpec& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

std::unique_ptr<PluginModule> PluginModule::open(const std::string& path, const std::string& sha256, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return std::unique_ptr<PluginModule>();
  };
  std::unique_ptr<PluginModule> m(new PluginModule);
  m->path_ = path;
  m->sha256_ = sha256;
  // dlopen trusts the file: a truncated one maps pages past its end and dies of SIGBUS in here.
  if (const std::string why = checkSharedObject(path); !why.empty())
    return fail("cannot load: not a loadable shared object: " + why);
  // RTLD_LOCAL: two plugins may define the same symbols without clashing.
  m->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle_) return fail(std::string("cannot load: ") + dlerror());
  auto entryFn = reinterpret_cast<kappa_strategy_entry_fn>(dlsym(m->handle_, KAPPA_ENTRY_SYMBOL));
  if (!entryFn) return fail("not a Kappa strategy plugin: no exported symbol " KAPPA_ENTRY_SYMBOL);
  // Kept local until init() succeeded: the destructor calls deinit() only on an initialised entry.
  const kappa_plugin_entry* e = entryFn();
  if (!e || e->size < sizeof(std::uint32_t) + sizeof(kappa_abi_version))
    return fail(KAPPA_ENTRY_SYMBOL " returned no entry");
  m->abi_ = e->abi;
  if (m->abi_.major != KAPPA_ABI_MAJOR)
    return fail("built for strategy ABI " + std::to_string(m->abi_.major) + "." + std::to_string(m->abi_.minor) +
                ", this Kappa speaks ABI " + std::to_string(KAPPA_ABI_MAJOR) + "." + std::to_string(KAPPA_ABI_MINOR) +
                ": rebuild the plugin against this SDK");
  if (!KAPPA_HAS(e, get_factory) || !e->init || !e->deinit || !e->get_factory) return fail("incomplete plugin entry");
  if (!e->init(path.c_str())) return fail("the plugin's init() failed");
  m->entry_ = e;
  m->factory_ = static_cast<const kappa_strategy_factory*>(e->get_factory(KAPPA_STRATEGY_FACTORY_ID));
  const kappa_strategy_factory* f = m->factory_;
  if (!KAPPA_HAS(f, create) || !f->count || !f->descriptor || !f->create)
    return fail("the plugin offers no " KAPPA_STRATEGY_FACTORY_ID " factory");
  const std::uint32_t n = f->count(f);
  for (std::uint32_t i = 0; i < n; ++i) {
    const kappa_strategy_descriptor* d = f->descriptor(f, i);
    if (!KAPPA_HAS(d, description) || !d->id || !*d->id) return fail("strategy descriptor " + std::to_string(i) + " has no id");
    StrategyInfo info{text(d->id), text(d->name), text(d->version), text(d->vendor), text(d->description), {}};
    if (KAPPA_HAS(d, params) && d->params && d->param_count) {
      // The array is walked with the plugin's element size: a newer 1.x plugin's descriptors may
      // be larger than ours, and the fields we know are at the same offsets in each.
      const std::size_t stride = d->params[0].size;
      if (stride < offsetof(kappa_param_desc, description) + sizeof(d->params[0].description))
        return fail("strategy " + info.id + ": parameter descriptors are too small (" + std::to_string(stride) + " bytes)");
      for (std::uint32_t j = 0; j < d->param_count; ++j) {
        const auto* p = reinterpret_cast<const kappa_param_desc*>(reinterpret_cast<const char*>(d->params) + j * stride);
        if (!KAPPA_HAS(p, description) || !p->name || !*p->name)
          return fail("strategy " + info.id + ": parameter " + std::to_string(j) + " has no name");
        if (p->type < KAPPA_PARAM_DOUBLE || p->type > KAPPA_PARAM_STRING)
          return fail("strategy " + info.id + ": parameter " + p->name + " has unknown type " + std::to_string(p->type));
        info.params.push_back({p->name, text(p->description), text(p->default_string), p->type, p->default_value,
                               p->min_value, p->max_value});
      }
    }
    m->strategies_.push_back(std::move(info));
  }
  if (m->strategies_.empty()) return fail("the plugin's factory lists no strategy");
  return m;
}

PluginModule::~PluginModule() {
  if (entry_) entry_->deinit();
  if (handle_) dlclose(handle_);
}

const StrategyInfo* PluginModule::strategy(const std::string& id) const {
  for (const StrategyInfo& s : strategies_)
    if (s.id == id) return &s;
  return nullptr;
}

const kappa_strategy* PluginModule::create(const kappa_host* host, const std::string& id) const {
  return factory_->create(factory_, host, id.c_str());
}

}  // namespace kappa
