#pragma once
// The desk as the risk manager's window sees it: every engine's summary (the kappa_engines
// bucket's <engine>.desk keys, watched), the desk halt and the desk limits (the kappa_desk bucket),
// and the DESK HALT itself: sent on kappa.desk.halt (immediate) and put as the key `halt` (for
// engines that connect later). Only the risk role may send it; the server refuses anyone else.
// Thread-safe: the watches fill it on their threads, the window reads copies.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "desk/DeskHaltNotice.hpp"
#include "desk/DeskLimits.hpp"
#include "desk/EngineDeskSummary.hpp"
#include "nats/KeyValueBucket.hpp"
#include "nats/NatsConnection.hpp"

namespace kappa::remote {

class DeskFeed {
 public:
  // Follows the desk on `connection` (which must outlive it). Blocking (opens the buckets and reads
  // them): "" or why not.
  std::string start(nats::NatsConnection& connection);
  void stop();
  ~DeskFeed() { stop(); }

  struct View {
    std::vector<desk::EngineDeskSummary> engines;  // by name
    desk::DeskTotals totals;
    std::optional<desk::DeskHaltNotice> halt;       // the bucket's key halt (active or lifted), if any
    std::optional<desk::DeskLimits> limits;
    std::string limitsText;                         // as stored (shown to the risk manager)
    std::vector<std::string> breaches;              // the desk limits the totals are over
    // The last DESK HALT sent from here: when, and when the last engine was seen HALTED (0: not yet).
    Nanos haltSentAt = 0, allHaltedAt = 0;
    std::size_t haltedAfterSend = 0;
    std::string lastError;                          // the last send that was refused, with the reason
  };
  View view() const;

  // DESK HALT (active = true) or its lift, as `user`, with the reason. Returns at once; `done` gets
  // "" (the server accepted both the message and the key) or the reason, on another thread.
  void sendHalt(bool active, const std::string& reason, const std::string& user, std::function<void(std::string)> done);

 private:
  void onSummary(const std::string& key, const std::string& value, bool deleted);
  nats::NatsConnection* connection_ = nullptr;
  std::unique_ptr<nats::KeyValueBucket> engines_, desk_;
  nats::KvWatch summariesWatch_, haltWatch_, limitsWatch_;
  mutable std::mutex mutex_;
  std::map<std::string, desk::EngineDeskSummary> summaries_;
  View state_;
};

}  // namespace kappa::remote
