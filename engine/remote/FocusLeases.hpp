#pragma once
// Which instruments the GUIs attached to one engine look at (EngineServer). Each window (a client:
// its user and RemoteEngineLink's session id) says which instruments it shows, and says it again
// every few seconds; a window silent for longer than the lease has gone away (closed, crashed, cut
// off) and its instruments stop costing the engine anything. The engine's snapshots carry the
// union: the instruments of the windows attached longest first, up to the engine's capacity, so a
// window that arrives on a full engine cannot take the book from one already trading on it, and
// one user (whose windows are named "user/session") cannot take them all: its windows together
// keep at most kMaxInstrumentsPerUser instruments, in at most kMaxClientsPerUser windows.
// No NATS, no locks: the server guards it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/Types.hpp"

namespace kappa::remote {

class FocusLeases {
 public:
  using Clock = std::chrono::steady_clock;
  // Beyond these a window's further instruments, or a further window, are not kept (a client that
  // invents a session per message cannot grow the table without end).
  static constexpr std::size_t kMaxInstrumentsPerClient = 8;
  static constexpr std::size_t kMaxClients = 256;
  static constexpr std::size_t kMaxClientsPerUser = 16;
  static constexpr std::size_t kMaxInstrumentsPerUser = 4;  // of the engine's 7 served: the desk shares them

  explicit FocusLeases(std::chrono::milliseconds lease) : lease_(lease) {}

  enum class Refusal { None, TableFull, UserWindows };
  struct Renewal {
    Refusal refused = Refusal::None;           // not kept at all (a new window on a full table, or its user's)
    std::vector<InstrumentId> beyondUserShare;  // kept without these: its user's windows show kMaxInstrumentsPerUser others
    explicit operator bool() const { return refused == Refusal::None; }
  };
  // `client` ("user/session") shows `instruments` from `now` on (replacing what it said before;
  // empty: nothing). A window already kept is always renewed.
  Renewal renew(const std::string& client, const std::vector<InstrumentId>& instruments, Clock::time_point now);
  // Every client counts as heard from at `now`: after the NATS server was away, when none could renew.
  void heardFromAll(Clock::time_point now) {
    for (auto& [name, c] : clients_) c.lastHeard = now;
  }
  // Forgets the clients not heard from for longer than the lease; their names.
  std::vector<std::string> expire(Clock::time_point now);

  struct Union {
    std::vector<InstrumentId> carried;  // at most `capacity`, each once
    std::vector<InstrumentId> leftOut;  // shown by some window, beyond the capacity
  };
  Union focus(std::size_t capacity) const;
  // The instruments of `client` that are in `leftOut` (what to tell that window).
  std::vector<InstrumentId> leftOutOf(const std::string& client, const Union& u) const;
  std::size_t clients() const { return clients_.size(); }
  std::chrono::milliseconds lease() const { return lease_; }

 private:
  struct Client {
    std::vector<InstrumentId> instruments;
    Clock::time_point lastHeard;
    std::uint64_t arrival = 0;  // order of first appearance: the earlier keep their instruments
  };
  std::chrono::milliseconds lease_;
  std::map<std::string, Client> clients_;
  std::uint64_t arrivals_ = 0;
};

}  // namespace kappa::remote
