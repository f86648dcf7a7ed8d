#pragma once
// Binance USD-M futures' WebSocket streams on kappa-exchange: raw streams at /ws/<stream>[/<stream>...]
// (the event object alone), combined ones at /stream?streams=a/b ({"stream":..,"data":..}), and the
// live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS requests on either. Market streams per symbol
// (lower case): depth@100ms / depth (250 ms) / depth@500ms diff depth, depth5/10/20[@100ms|@500ms]
// partial depth, aggTrade, markPrice (3 s) and markPrice@1s, bookTicker, kline_1m. A listen key is
// a stream too: the account's ORDER_TRADE_UPDATE and ACCOUNT_UPDATE events, and listenKeyExpired.
//
// Diff depth follows Binance's futures rules: each event carries U (first update id in it), u
// (last) and pu (the previous event's u on this stream); the ids are the book's own update counter
// (the one GET /fapi/v1/depth reports as lastUpdateId), so a client that buffers the stream, takes a
// snapshot, drops events with u < lastUpdateId, starts at the event with U <= lastUpdateId <= u and
// then checks pu == previous u keeps the book exactly. Faults break that on purpose.
#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "Accounts.hpp"
#include "BinanceFaults.hpp"
#include "BinanceMarket.hpp"
#include "BinanceTrading.hpp"
#include "ClientSession.hpp"
#include "WsHandler.hpp"

namespace kappa::exchange::binance {

class Streams : public WsHandler {
 public:
  Streams(Market& market, Trading& trading, Faults& faults, int listenKeyValiditySeconds);

  // WsHandler: the connection's path names its first streams.
  void onOpen(ClientSession& s) override;
  void onClosed(ClientSession& s) override;
  void onWsMessage(ClientSession& s, const std::string& text) override;

  // Market and account events (BinanceVenue forwards them).
  void onBookChange(const BookChange& change);
  void onPublicTrade(const PublicTrade& trade);
  void onOrderUpdate(const OrderRecord& order, const UserTrade* trade);

  // Every 50 ms: depth windows (100 / 250 / 500 ms), partial depth, klines; every second: mark
  // prices, listen-key expiry.
  void tick50ms();
  void tick1s();

  // Listen keys (REST /fapi/v1/listenKey): one per account, valid listenKeyValidity seconds from
  // its last keepalive. create returns the account's live key if it has one (and extends it).
  std::string createListenKey(int account);
  bool keepAliveListenKey(int account);  // false if the account has no live key (-1125)
  void closeListenKey(int account);
  // Fault: the key expires now (listenKeyExpired to its streams, then it is gone). All if account 0.
  int expireListenKeys(int account);
  // Fault: every Binance WebSocket connection is dropped at once, mid-stream.
  int dropAll();
  std::size_t connections() const { return sessions_.size(); }
  // The whole book of a symbol (position in Market::symbols()) as it was when its last
  // @depth@100ms event was flushed: its lastUpdateId is that event's u, so a client whose book
  // reached that u can be compared with it level by level (fault action `book`). Empty (id 0)
  // until the first event.
  const BookSnapshot& bookAtLastDepthEvent(std::size_t symbol) const { return atLastEvent_[symbol]; }

 private:
  struct Session {
    ClientSession* s = nullptr;
    bool combined = false;
    std::set<std::string> streams;
  };
  struct DepthWindow {  // one diff-depth stream's pending event
    std::uint64_t first = 0, last = 0, lastSent = 0;
    std::int64_t lastTs = 0;
    std::map<std::pair<int, Price>, Qty> levels;
    bool skipNext = false, breakNext = false;  // faults for this stream's next event
  };
  struct ListenKey {
    int account = 0;
    std::int64_t expiresMs = 0;
  };
  bool validStream(const std::string& stream) const;
  nlohmann::json subscribe(Session& s, const nlohmann::json& params);
  void publish(const std::string& stream, const nlohmann::json& data);
  void flushDepth(std::size_t symbol, int speedMs);
  void sendPartial(std::size_t symbol, int levels, int speedMs);
  void sendMarkPrice(std::size_t symbol, const char* stream);
  void sendKline(std::size_t symbol);
  std::string lower(const std::string& s) const;

  Market& market_;
  Trading& trading_;
  Faults& faults_;
  int listenKeyValidity_;
  std::unordered_map<std::uint64_t, Session> sessions_;
  std::unordered_map<std::string, std::set<std::uint64_t>> subscribers_;  // stream -> sessions
  // Per symbol (position in Market::symbols()): diff depth by speed, partial depth's last u,
  // the last best bid/ask sent on bookTicker, the last kline minute sent.
  std::vector<std::map<int, DepthWindow>> depth_;
  std::vector<std::map<std::string, std::uint64_t>> partialLast_;
  std::vector<std::pair<Level, Level>> lastTop_;
  // Fault account_update_first: ORDER_TRADE_UPDATEs held back (in order, per listen key) until
  // their time, after the ACCOUNT_UPDATE of the same fill went out.
  struct HeldEvent {
    std::string key;
    nlohmann::json event;
    std::chrono::steady_clock::time_point due;
  };
  std::deque<HeldEvent> heldOrderEvents_;
  void releaseHeldOrderEvents(bool all);
  std::vector<std::int64_t> klineMinute_;
  std::vector<std::string> names_;  // lower-case symbol names
  std::vector<BookSnapshot> atLastEvent_;  // per symbol: the book at the last @depth@100ms event's u
  std::map<std::string, ListenKey> listenKeys_;
  std::uint64_t ticks_ = 0;
};

}  // namespace kappa::exchange::binance
