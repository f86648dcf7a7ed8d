#include "remote/FocusLeases.hpp"

#include <algorithm>

namespace kappa::remote {

namespace {

bool contains(const std::vector<InstrumentId>& ids, InstrumentId id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }
std::string userOf(const std::string& client) { return client.substr(0, client.find('/')); }

}  // namespace

FocusLeases::Renewal FocusLeases::renew(const std::string& client, const std::vector<InstrumentId>& instruments,
                                        Clock::time_point now) {
  Renewal r;
  // What the user's other windows show, and how many it has.
  const std::string user = userOf(client);
  std::vector<InstrumentId> userShows;
  std::size_t userWindows = 0;
  for (const auto& [name, other] : clients_) {
    if (name == client || userOf(name) != user) continue;
    ++userWindows;
    for (InstrumentId id : other.instruments)
      if (!contains(userShows, id)) userShows.push_back(id);
  }
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    if (clients_.size() >= kMaxClients) return {Refusal::TableFull, {}};
    if (userWindows >= kMaxClientsPerUser) return {Refusal::UserWindows, {}};
    it = clients_.emplace(client, Client{{}, now, arrivals_++}).first;
  }
  Client& c = it->second;
  c.lastHeard = now;
  c.instruments.clear();
  for (InstrumentId id : instruments) {
    if (id == kNoInstrument || contains(c.instruments, id) || c.instruments.size() >= kMaxInstrumentsPerClient) continue;
    if (!contains(userShows, id)) {
      if (userShows.size() >= kMaxInstrumentsPerUser) {
        if (!contains(r.beyondUserShare, id)) r.beyondUserShare.push_back(id);
        continue;
      }
      userShows.push_back(id);
    }
    c.instruments.push_back(id);
  }
  return r;
}

std::vector<std::string> FocusLeases::expire(Clock::time_point now) {
  std::vector<std::string> gone;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now - it->second.lastHeard > lease_) {
      gone.push_back(it->first);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

FocusLeases::Union FocusLeases::focus(std::size_t capacity) const {
  std::vector<const Client*> byArrival;
  for (const auto& [name, c] : clients_) byArrival.push_back(&c);
  std::sort(byArrival.begin(), byArrival.end(), [](const Client* a, const Client* b) { return a->arrival < b->arrival; });
  Union u;
  for (const Client* c : byArrival)
    for (InstrumentId id : c->instruments) {
      if (contains(u.carried, id) || contains(u.leftOut, id)) continue;
      (u.carried.size() < capacity ? u.carried : u.leftOut).push_back(id);
    }
  return u;
}

std::vector<InstrumentId> FocusLeases::leftOutOf(const std::string& client, const Union& u) const {
  std::vector<InstrumentId> out;
  const auto it = clients_.find(client);
  if (it == clients_.end()) return out;
  for (InstrumentId id : it->second.instruments)
    if (contains(u.leftOut, id)) out.push_back(id);
  return out;
}

}  // namespace kappa::remote
