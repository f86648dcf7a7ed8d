#include "core/Instrument.hpp"

#include <chrono>
#include <cstdio>
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

InstrumentId InstrumentRegistry::add(Instrument instrument) {
  if (byName_.count(instrument.name)) throw std::invalid_argument("duplicate instrument " + instrument.name);
  instrument.id = InstrumentId(items_.size());
  byName_.emplace(instrument.name, instrument.id);
  items_.push_back(std::move(instrument));
  return items_.back().id;
}

const Instrument* InstrumentRegistry::find(std::string_view name) const {
  auto it = byName_.find(std::string(name));
  return it == byName_.end() ? nullptr : &items_[it->second];
}

}  // namespace kappa
