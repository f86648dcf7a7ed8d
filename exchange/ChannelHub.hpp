#pragma once
// Subscriptions and notifications. Knows every live session, which channels each one subscribed,
// and turns market and account events into Deribit's notifications
// {"jsonrpc":"2.0","method":"subscription","params":{"channel":…,"data":…}}, each serialised once
// and queued to every subscriber.
//
// Book channels: book.{instrument}.raw carries every change of the simulator's book as it happens
// (change_id / prev_change_id are the simulator's own, chained per instrument); book.{instrument}.100ms
// carries the net change of each 100 ms window (the window's first prev_change_id, its last
// change_id). Both start with a snapshot of the whole book; a .100ms subscriber gets it at the next
// window's end, so the first change it sees chains from that snapshot.
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "Accounts.hpp"
#include "ClientSession.hpp"
#include "MarketState.hpp"

namespace kappa::exchange {

class ChannelHub : public MarketListener, public AccountListener {
 public:
  ChannelHub(MarketState& market, Accounts& accounts) : market_(market), accounts_(accounts) {}

  void attach(ClientSession* s) { sessions_[s->id] = s; }
  void detach(ClientSession* s);
  ClientSession* session(std::uint64_t id) const;
  std::vector<ClientSession*> sessions() const;

  // Subscribes to the channels it can serve for this session; returns the ones accepted (as
  // Deribit does, the others are left out of the answer). Book and platform_state channels then
  // get their first message from sendInitial(), after the answer has been queued.
  std::vector<std::string> subscribe(ClientSession& s, const std::vector<std::string>& channels);
  std::vector<std::string> unsubscribe(ClientSession& s, const std::vector<std::string>& channels);
  void unsubscribeAll(ClientSession& s);
  void sendInitial(ClientSession& s, const std::vector<std::string>& accepted);

  // Every 100 ms: book.*.100ms windows, ticker.*.100ms. Every second: user.portfolio.*.
  void flush100ms();
  void flushPortfolio();
  void publishPlatformState(bool locked);
  bool locked() const { return locked_; }

  // Fault injection: the next change of this instrument's book (any book if kNoInstrument) is
  // not sent on its channels, so subscribers see prev_change_id skip.
  void skipNextChange(InstrumentId id) { skip_.insert(id); }

  // MarketListener
  void onBookChange(const BookChange& change) override;
  void onPublicTrade(const PublicTrade& trade) override;
  void onIndexPrice(InstrumentId index, double price, Nanos ts) override;
  void onExecutions(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) override;
  // instrument.state.{kind|any}.{currency|any}: {instrument_name, state, timestamp}
  void onInstrumentState(const Instrument& inst, const char* state, Nanos ts) override;
  // AccountListener
  void onOrderUpdate(const OrderRecord& order, const UserTrade* trade) override;
  void onUserTrade(const OrderRecord& order, const UserTrade& trade) override;

  static std::string notification(const std::string& channel, const nlohmann::json& data);

 private:
  struct Window {  // the net change of one book over a 100 ms window
    std::uint64_t firstPrev = 0, lastChange = 0;
    struct Net {
      bool existedBefore;
      Qty qty;
    };
    std::map<std::pair<int, Price>, Net> levels;  // (side, price)
  };
  bool accept(ClientSession& s, const std::string& channel) const;
  void publish(const std::string& channel, const nlohmann::json& data);
  void publishUser(int account, const std::string& channel, const nlohmann::json& data);
  bool consumeSkip(InstrumentId id);
  std::vector<std::string> userChannels(const char* what, const Instrument& inst) const;
  void publishChanges(const OrderRecord& order, const UserTrade* trade);

  MarketState& market_;
  Accounts& accounts_;
  bool locked_ = false;
  std::unordered_map<std::uint64_t, ClientSession*> sessions_;
  std::unordered_map<std::string, std::set<std::uint64_t>> subscribers_;  // channel -> sessions
  std::unordered_map<std::string, std::set<std::uint64_t>> awaitingSnapshot_;  // .100ms channels
  std::unordered_map<InstrumentId, Window> windows_;
  std::set<InstrumentId> skip_;
  std::set<InstrumentId> skipWindow_;
  std::unordered_map<std::string, std::string> lastTicker_;  // ticker channel -> last content sent
};

}  // namespace kappa::exchange
