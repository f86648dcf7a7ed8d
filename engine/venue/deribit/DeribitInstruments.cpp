// DeribitVenue: instruments that come and go while running (I/O thread).
//
// Deribit lists new strikes and expiries during the day and an expired option settles and leaves
// public/get_instruments. The connector learns of it two ways: instrument.state.{kind}.{currency}
// notifications (subscribed with the market data) and a periodic public/get_instruments refresh
// (DeribitVenueConfig::instrumentRefresh, and after every reconnect), which also covers what
// happened while disconnected. A new instrument is added to the engine's registry (shared by the venues) with the
// id the shared registry gives it, handed to the engine through the VenueInbox (before any market data for it) and its
// book and ticker are subscribed; a retired one is unsubscribed, forgotten by the decoder (a late
// message for it is skipped) and handed to the engine, which empties its book ("expired/settled")
// and ends its working orders.
#include <algorithm>
#include <cctype>
#include <set>

#include <boost/asio/post.hpp>
#include <simdjson.h>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "venue/deribit/JsonRpcClient.hpp"

namespace kappa::deribit {

namespace {
std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string channelsParam(const std::vector<std::string>& channels) {
  std::string out = "{\"channels\":[";
  for (std::size_t i = 0; i < channels.size(); ++i) out += (i ? "," : "") + jsonString(channels[i]);
  return out + "]}";
}

std::string lowered(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool kindMatches(const Instrument& inst, const std::string& kind) {
  if (kind == "option") return inst.kind == InstrumentKind::Option;
  return inst.kind == InstrumentKind::Future || inst.kind == InstrumentKind::Perpetual;
}
}  // namespace

std::vector<std::string> DeribitVenue::channelsOf(const Instrument& inst) const {
  return {"book." + inst.name + "." + (authorised_ ? "raw" : "100ms"), "ticker." + inst.name + ".100ms"};
}

void DeribitVenue::scheduleInstrumentRefresh(std::uint64_t generation) {
  if (config_.instrumentRefresh.count() <= 0) return;
  refreshTimer_.expires_after(config_.instrumentRefresh);
  refreshTimer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    refreshInstruments("periodic");
    scheduleInstrumentRefresh(generation);
  });
}

void DeribitVenue::queueInstrumentRefresh(const std::string& why) {
  if (refreshQueued_) return;
  refreshQueued_ = true;
  boost::asio::post(io_, [this, why] {
    refreshQueued_ = false;
    refreshInstruments(why);
  });
}

void DeribitVenue::refreshInstruments(const std::string& why) {
  if (!ready_ || stopping_ || !decoder_) return;
  const std::uint64_t generation = generation_;
  auto outstanding = std::make_shared<int>(int(config_.currencies.size()) * 2);
  for (const std::string& currency : config_.currencies)
    for (const char* kind : {"future", "option"}) {
      const std::string k = kind;
      rpc_->call("public/get_instruments",
                 "{\"currency\":" + jsonString(currency) + ",\"kind\":\"" + k + "\",\"expired\":false}",
                 [this, generation, currency, k, why, outstanding](const RpcReply& r) {
                   if (generation != generation_ || stopping_) return;
                   // An answer that did not come says nothing about what is listed: nothing is
                   // retired on it (the next refresh asks again).
                   if (!r.ok()) {
                     log::warn("deribit", "instrument refresh (" + why + ") " + currency + "/" + k + ": " + r.reason);
                     return;
                   }
                   applyInstrumentList(currency, k, simdjson::minify(r.result));
                   if (--*outstanding == 0) {
                     std::lock_guard lock(mutex_);
                     ++counters_.instrumentRefreshes;
                   }
                 },
                 {config_.listTimeout});
    }
}

void DeribitVenue::applyInstrumentList(const std::string& currency, const std::string& kind, std::string_view json) {
  const Instrument* index = instruments_->find(id(), lowered(currency) + "_usd");
  if (!index) return;  // a currency listInstruments did not list
  std::vector<Instrument> list;
  std::vector<std::string> skipped;
  std::string error;
  if (!parseInstruments(json, index->id, list, skipped, error)) {
    log::warn("deribit", "instrument refresh " + currency + "/" + kind + " unreadable: " + error);
    return;
  }
  // An empty answer is more likely the exchange's glitch than every instrument of a kind ending at
  // once (a currency always lists its perpetual): nothing is retired on it.
  if (list.empty()) {
    log::warn("deribit", "instrument refresh " + currency + "/" + kind + ": the exchange listed none; nothing retired");
    return;
  }
  // New ones in a stable order (expiry, strike, name), as at the start.
  std::sort(list.begin(), list.end(), [](const Instrument& a, const Instrument& b) {
    if (a.expiry != b.expiry) return a.expiry < b.expiry;
    if (a.strike != b.strike) return a.strike < b.strike;
    return a.name < b.name;
  });
  std::set<std::string> listed;
  for (Instrument& inst : list) {
    listed.insert(inst.name);
    if (inst.baseCurrency != currency) continue;  // the answer is per currency; trust nothing else
    const Instrument* known = instruments_->find(id(), inst.name);
    if (!known) listNewInstrument(std::move(inst));
  }
  // Ours of this currency and kind that the exchange no longer lists: expired and settled. A
  // perpetual never expires: one missing from an answer is not taken for settled.
  std::vector<InstrumentId> gone;
  for (const Instrument& inst : instruments_->all())
    if (inst.venue == id() && inst.kind != InstrumentKind::Index && inst.kind != InstrumentKind::Perpetual && inst.baseCurrency == currency &&
        kindMatches(inst, kind) && !instruments_->retired(inst.id) && !listed.count(inst.name))
      gone.push_back(inst.id);
  for (InstrumentId id : gone) retireInstrument(id, "expired/settled");
}

void DeribitVenue::onInstrumentState(const DeribitInstrumentState& st) {
  const Instrument* inst = instruments_->find(id(), st.instrumentName);
  if (st.state == "created" || st.state == "started" || st.state == "open") {
    // The notification names it only: its specifications come from get_instruments.
    if (!inst) queueInstrumentRefresh("instrument.state " + st.state + " " + st.instrumentName);
    return;
  }
  if (!inst || instruments_->retired(inst->id)) return;  // unknown or already gone: nothing to do
  // "terminated", "closed", "deactivated": gone for good. "settled" also ends an instrument whose
  // expiry has passed (futures and perpetuals settle daily without ending).
  const bool expiredNow = inst->expiry != 0 && inst->expiry <= wallNow() + 60'000'000'000LL;
  if (st.state == "terminated" || st.state == "closed" || st.state == "deactivated" ||
      (st.state == "settled" && expiredNow))
    retireInstrument(inst->id, "expired/settled");
}

void DeribitVenue::listNewInstrument(Instrument inst) {
  if (inst.kind == InstrumentKind::Index) return;
  flush();  // what was decoded before it reaches the engine first
  inst.venue = this->id();
  const InstrumentId id = instruments_->add(std::move(inst));
  const Instrument& added = (*instruments_)[id];
  decoder_->addInstrument(added);
  {
    std::lock_guard lock(mutex_);
    if (tickers_.size() < instruments_->size()) tickers_.resize(instruments_->size());
    ++counters_.instrumentsListed;
  }
  log::info("deribit", "instrument listed while running: " + added.name);
  if (inbox_) inbox_->pushInstrumentChange({InstrumentChange::Kind::Listed, added, {}});
  if (!ready_) return;  // the next login subscribes it with everything else
  decoder_->awaitSnapshot(id);
  const std::uint64_t generation = generation_;
  const std::string method = authorised_ ? "private/subscribe" : "public/subscribe";
  rpc_->call(method, channelsParam(channelsOf(added)), [this, generation, method, name = added.name](const RpcReply& r) {
    if (generation != generation_ || stopping_ || r.ok()) return;
    log::warn("deribit", method + " " + name + " refused: " + r.reason);
  }, {config_.requestTimeout});
}

void DeribitVenue::retireInstrument(InstrumentId id, const std::string& reason) {
  if (id >= instruments_->size() || !instruments_->retire(id)) return;
  const Instrument& inst = (*instruments_)[id];
  decoder_->forget(id);
  resyncing_.erase(id);
  resyncQueue_.erase(std::remove(resyncQueue_.begin(), resyncQueue_.end(), id), resyncQueue_.end());
  {
    std::lock_guard lock(mutex_);
    ++counters_.instrumentsRetired;
  }
  log::info("deribit", "instrument retired: " + inst.name + " (" + reason + ")");
  flush();
  if (inbox_) inbox_->pushInstrumentChange({InstrumentChange::Kind::Retired, inst, reason});
  if (!ready_) return;
  const std::uint64_t generation = generation_;
  const std::string method = authorised_ ? "private/unsubscribe" : "public/unsubscribe";
  rpc_->call(method, channelsParam(channelsOf(inst)), [this, generation, method, name = inst.name](const RpcReply& r) {
    if (generation != generation_ || stopping_ || r.ok()) return;
    log::info("deribit", method + " " + name + ": " + r.reason);
  }, {config_.requestTimeout});
}

}  // namespace kappa::deribit
