#include "WireLog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace kappa::exchange {

WireLog* WireLog::active_ = nullptr;

void WireLog::enable(std::string path) {
  static WireLog log;  // lives until exit, after every session that could still write
  log.path_ = std::move(path);
  log.records_.reserve(1 << 18);  // growing later costs a copy on the server thread, not a stall per record
  active_ = &log;
}

std::int64_t WireLog::nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // what std::chrono::steady_clock reads on Linux
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void WireLog::record(std::int64_t ns, std::uint64_t session, std::string_view text) {
  // ChannelHub's notifications are nlohmann dumps: keys in order, so the channel comes first and
  // "change_id" (before "prev_change_id") is the first such key; the levels hold no strings with quotes.
  static constexpr std::string_view kPrefix = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.)";
  if (text.substr(0, kPrefix.size()) != kPrefix) return;
  const std::string_view rest = text.substr(kPrefix.size());
  const std::size_t dot = rest.find('.');
  const std::size_t key = text.find(R"("change_id":)");
  if (dot == std::string_view::npos || key == std::string_view::npos) return;
  Record r{};
  r.ns = ns;
  r.session = session;
  const std::size_t n = std::min(dot, sizeof r.instrument - 1);
  std::memcpy(r.instrument, rest.data(), n);
  for (std::size_t i = key + 12; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    r.changeId = r.changeId * 10 + std::uint64_t(text[i] - '0');
  r.snapshot = text.find(R"("type":"snapshot")") != std::string_view::npos;
  records_.push_back(r);
}

bool WireLog::flush(std::string& error) {
  if (!active_) return true;
  WireLog& log = *active_;
  std::FILE* f = std::fopen(log.path_.c_str(), "w");
  if (!f) {
    error = "cannot write the wire log " + log.path_;
    return false;
  }
  for (const Record& r : log.records_)
    std::fprintf(f, "%lld %llu %s %llu %s\n", static_cast<long long>(r.ns), static_cast<unsigned long long>(r.session),
                 r.instrument, static_cast<unsigned long long>(r.changeId), r.snapshot ? "snapshot" : "change");
  const bool ok = std::fclose(f) == 0;
  if (!ok) error = "cannot write the wire log " + log.path_;
  log.records_.clear();
  return ok;
}

}  // namespace kappa::exchange
