#include "remote/DeskFeed.hpp"

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "remote/Subjects.hpp"

namespace kappa::remote {

std::string DeskFeed::start(nats::NatsConnection& connection) {
  connection_ = &connection;
  std::string error;
  engines_ = nats::KeyValueBucket::open(connection, kEnginesBucket, error);
  if (!engines_) return std::string("the engines' bucket ") + kEnginesBucket + ": " + error;
  // The risk role owns the desk bucket: it is created here when the desk has none yet.
  desk_ = nats::KeyValueBucket::openOrCreate(connection, kDeskBucket, error);
  if (!desk_) return std::string("the desk bucket ") + kDeskBucket + ": " + error;
  summariesWatch_ = engines_->watch(
      std::string("*.") + kDeskPart,
      [this](const std::string& key, const std::string& value, std::uint64_t, bool deleted) { onSummary(key, value, deleted); },
      {}, error);
  if (!summariesWatch_.active()) return "cannot watch the engines' summaries: " + error;
  haltWatch_ = desk_->watch(
      kDeskHaltKey,
      [this](const std::string&, const std::string& value, std::uint64_t, bool deleted) {
        std::lock_guard lock(mutex_);
        std::string why;
        if (deleted) state_.halt.reset();
        else if (auto n = desk::decodeDeskHalt(value, &why)) state_.halt = std::move(n);
        else log::error("desk", "the desk bucket's key halt: " + why);
      },
      {}, error);
  if (!haltWatch_.active()) return "cannot watch the desk halt: " + error;
  limitsWatch_ = desk_->watch(
      kDeskLimitsKey,
      [this](const std::string&, const std::string& value, std::uint64_t, bool deleted) {
        std::lock_guard lock(mutex_);
        std::string why;
        state_.limitsText = deleted ? std::string() : value;
        if (deleted) state_.limits.reset();
        else if (auto l = desk::decodeDeskLimits(value, &why)) state_.limits = std::move(l);
        else state_.limitsText = "unreadable: " + why;
      },
      {}, error);
  return {};
}

void DeskFeed::stop() {
  summariesWatch_.stop();
  haltWatch_.stop();
  limitsWatch_.stop();
  engines_.reset();
  desk_.reset();
}

void DeskFeed::onSummary(const std::string& key, const std::string& value, bool deleted) {
  const std::string engine = key.substr(0, key.find('.'));
  std::lock_guard lock(mutex_);
  if (deleted) {
    summaries_.erase(engine);
    return;
  }
  std::string why;
  auto summary = desk::decodeDeskSummary(value, &why);
  if (!summary) {
    log::error("desk", "engine " + engine + "'s summary: " + why);
    return;
  }
  summaries_[engine] = std::move(*summary);
  // The DESK HALT's measure: from the send to the moment every engine says HALTED.
  if (state_.haltSentAt != 0 && state_.allHaltedAt == 0) {
    std::size_t halted = 0;
    for (const auto& [name, s] : summaries_)
      if (s.state == TradingState::Halted) ++halted;
    state_.haltedAfterSend = halted;
    if (halted == summaries_.size()) state_.allHaltedAt = wallNow();
  }
}

DeskFeed::View DeskFeed::view() const {
  std::lock_guard lock(mutex_);
  View v = state_;
  for (const auto& [name, s] : summaries_) v.engines.push_back(s);
  v.totals = desk::sumDesk(v.engines);
  if (v.limits) v.breaches = desk::deskBreaches(*v.limits, v.totals);
  return v;
}

void DeskFeed::sendHalt(bool active, const std::string& reason, const std::string& user,
                        std::function<void(std::string)> done) {
  desk::DeskHaltNotice n;
  n.active = active;
  n.id = desk::newDeskHaltId();
  n.reason = reason;
  n.user = user;
  n.at = wallNow();
  const std::string text = desk::encodeDeskHalt(n);
  if (active) {
    std::lock_guard lock(mutex_);
    state_.haltSentAt = n.at;
    state_.allHaltedAt = 0;
    state_.haltedAfterSend = 0;
    state_.lastError.clear();
  }
  auto fail = [this, done](std::string why) {
    {
      std::lock_guard lock(mutex_);
      state_.lastError = why;
    }
    if (done) done(std::move(why));
  };
  // The message first: connected engines halt (or hear of the lift) at once; then the key, for the others.
  if (std::string e = connection_->publish(kDeskHaltSubject, text); !e.empty()) return fail(e);
  desk_->putAsync(kDeskHaltKey, text, [this, fail, done](const nats::KvPutResult& r) {
    if (!r.ok()) return fail(r.error);
    if (std::string denied = connection_->deniedReason(kDeskHaltSubject); !denied.empty()) return fail(denied);
    if (done) done({});
  });
}

}  // namespace kappa::remote
