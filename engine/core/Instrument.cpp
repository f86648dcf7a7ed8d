#include "core/Instrument.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace kappa {

int decimalsFor(std::int64_t step) {
  int decimals = 8;
  while (decimals > 0 && step % 10 == 0) {
    step /= 10;
    --decimals;
  }
  return decimals;
}

Nanos expiryAt0800Utc(int year, int month, int day) {
  using namespace std::chrono;
  const sys_days d = year_month_day{std::chrono::year(year), std::chrono::month(unsigned(month)),
                                    std::chrono::day(unsigned(day))};
  return duration_cast<nanoseconds>((d + hours(8)).time_since_epoch()).count();
}

std::string deribitExpiryCode(Nanos expiry) {
  using namespace std::chrono;
  static constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const sys_days d = floor<days>(sys_time<nanoseconds>(nanoseconds(expiry)));
  const year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u%s%02d", unsigned(ymd.day()), kMonths[unsigned(ymd.month()) - 1],
                int(ymd.year()) % 100);
  return buf;
}

std::string formatFixed(std::int64_t value, int decimals) {
  const bool negative = value < 0;
  const std::uint64_t v = negative ? std::uint64_t(-(value + 1)) + 1 : std::uint64_t(value);
  const std::uint64_t whole = v / std::uint64_t(kFixedScale);
  std::uint64_t frac = v % std::uint64_t(kFixedScale);
  std::string out = (negative ? "-" : "") + std::to_string(whole);
  if (decimals > 0) {
    for (int i = decimals; i < 8; ++i) frac /= 10;
    std::string f = std::to_string(frac);
    out += '.' + std::string(std::size_t(decimals) - f.size(), '0') + f;
  }
  return out;
}

std::string formatTrimmed(std::int64_t value) {
  std::string s = formatFixed(value, 8);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

InstrumentRegistry::InstrumentRegistry() : chunks_(new std::atomic<Chunk*>[kMaxChunks]) {
  for (std::size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

InstrumentRegistry::~InstrumentRegistry() { clear(); }

void InstrumentRegistry::clear() {
  for (std::size_t i = 0; i < kMaxChunks; ++i) delete chunks_[i].exchange(nullptr, std::memory_order_acq_rel);
  size_.store(0, std::memory_order_release);
  std::unique_lock lock(nameMutex_);
  byName_.clear();
}

InstrumentRegistry::InstrumentRegistry(const InstrumentRegistry& other) : InstrumentRegistry() { *this = other; }

InstrumentRegistry& InstrumentRegistry::operator=(const InstrumentRegistry& other) {
  if (this == &other) return *this;
  clear();
  for (const Instrument& inst : other.all()) {
    add(inst);
    if (other.retired(inst.id)) retire(inst.id);
  }
  version_.store(other.version(), std::memory_order_release);
  return *this;
}

InstrumentId InstrumentRegistry::add(Instrument instrument) {
  std::lock_guard writer(writeMutex_);
  const std::size_t n = size_.load(std::memory_order_relaxed);  // only a writer (holding the mutex) changes it
  if (n >= kCapacity) throw std::length_error("instrument registry full");
  if (find(instrument.venue, instrument.name)) throw std::invalid_argument("duplicate instrument " + instrument.name);
  Chunk* chunk = chunks_[n >> kChunkBits].load(std::memory_order_relaxed);
  if (!chunk) {
    chunk = new Chunk();
    chunks_[n >> kChunkBits].store(chunk, std::memory_order_release);
  }
  instrument.id = InstrumentId(n);
  chunk->items[n & (kChunkSize - 1)] = std::move(instrument);
  {  // findable (and complete) just before size() covers it: every id below size() is findable;
     // a find may return the newest id a moment before size() does — consumers bound ids by their
     // own tables, which the engine grows only after the venue announced the instrument
    std::unique_lock lock(nameMutex_);
    byName_[chunk->items[n & (kChunkSize - 1)].name].push_back(InstrumentId(n));
  }
  size_.store(n + 1, std::memory_order_release);  // published: readers may now use id n
  version_.fetch_add(1, std::memory_order_acq_rel);
  return InstrumentId(n);
}

bool InstrumentRegistry::retire(InstrumentId id) {
  if (id >= size()) return false;
  std::atomic<bool>& flag = chunks_[id >> kChunkBits].load(std::memory_order_acquire)->retired[id & (kChunkSize - 1)];
  if (flag.exchange(true, std::memory_order_acq_rel)) return false;
  version_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

const Instrument* InstrumentRegistry::find(std::string_view name) const {
  InstrumentId id;
  {
    std::shared_lock lock(nameMutex_);
    auto it = byName_.find(std::string(name));
    if (it == byName_.end() || it->second.empty()) return nullptr;
    id = it->second.front();
  }
  return &(*this)[id];
}

const Instrument* InstrumentRegistry::find(VenueId venue, std::string_view name) const {
  std::shared_lock lock(nameMutex_);
  auto it = byName_.find(std::string(name));
  if (it == byName_.end()) return nullptr;
  for (InstrumentId id : it->second)
    if ((*this)[id].venue == venue) return &(*this)[id];
  return nullptr;
}

const Instrument* findByQualifiedName(const InstrumentRegistry& registry, const std::vector<std::string>& venueNames,
                                      std::string_view name) {
  if (const std::size_t colon = name.find(':'); colon != std::string_view::npos)
    for (std::size_t v = 0; v < venueNames.size(); ++v)
      if (name.substr(0, colon) == venueNames[v]) return registry.find(VenueId(v), name.substr(colon + 1));
  return registry.find(name);
}

}  // namespace kappa
