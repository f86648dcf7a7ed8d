#include "BinanceStreams.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <limits>

#include "Crypto.hpp"

namespace kappa::exchange::binance {
namespace {
constexpr int kSpeeds[] = {100, 250, 500};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t next = s.find(sep, pos);
    if (next == std::string::npos) next = s.size();
    if (next > pos) out.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// "btcusdt@depth@100ms" -> symbol "btcusdt", kind "depth", speed 100 (250 when not named).
struct StreamName {
  std::string symbol, kind;
  int speedMs = 250;
  int levels = 0;  // partial depth
  bool ok = false;
};
StreamName parse(const std::string& name) {
  StreamName n;
  const auto parts = split(name, '@');
  if (parts.size() < 2 || parts.size() > 3) return n;
  n.symbol = parts[0];
  n.kind = parts[1];
  const std::string speed = parts.size() == 3 ? parts[2] : "";
  if (n.kind == "depth" || n.kind == "depth5" || n.kind == "depth10" || n.kind == "depth20") {
    if (n.kind != "depth") n.levels = std::stoi(n.kind.substr(5));
    if (speed.empty())
      n.speedMs = 250;
    else if (speed == "100ms")
      n.speedMs = 100;
    else if (speed == "500ms")
      n.speedMs = 500;
    else
      return n;
    n.ok = true;
  } else if (n.kind == "markPrice") {
    n.ok = speed.empty() || speed == "1s";
    n.speedMs = speed == "1s" ? 1000 : 3000;
  } else if (n.kind == "aggTrade" || n.kind == "bookTicker" || n.kind == "kline_1m") {
    n.ok = speed.empty();
  }
  return n;
}
}  // namespace

Streams::Streams(Market& market, Trading& trading, Faults& faults, int listenKeyValiditySeconds)
    : market_(market), trading_(trading), faults_(faults), listenKeyValidity_(listenKeyValiditySeconds) {
  const auto& symbols = market_.symbols();
  depth_.resize(symbols.size());
  partialLast_.resize(symbols.size());
  lastTop_.resize(symbols.size());
  klineMinute_.assign(symbols.size(), 0);
  atLastEvent_.resize(symbols.size());
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    names_.push_back(lower(market_.state().instruments()[symbols[i]].name));
    for (int speed : kSpeeds) depth_[i][speed].lastSent = market_.lastUpdateId(symbols[i]);
  }
}

std::string Streams::lower(const std::string& s) const {
  std::string out = s;
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Streams::validStream(const std::string& stream) const {
  if (listenKeys_.count(stream)) return true;
  const StreamName n = parse(stream);
  const auto it = std::find(names_.begin(), names_.end(), n.symbol);
  return n.ok && it != names_.end() && market_.listed(market_.symbols()[std::size_t(it - names_.begin())]);
}

void Streams::onOpen(ClientSession& s) {
  Session& session = sessions_[s.id];
  session.s = &s;
  // /ws, /ws/<a>/<b>..., /stream, /stream?streams=a/b
  std::string path = s.target, query;
  if (auto q = path.find('?'); q != std::string::npos) query = path.substr(q + 1), path = path.substr(0, q);
  for (const char* route : {"/public/", "/market/", "/private/"})  // Binance's routed form of the same paths
    if (path.rfind(route, 0) == 0) path = path.substr(std::string(route).size() - 1);
  std::vector<std::string> names;
  if (path.rfind("/stream", 0) == 0) {
    session.combined = true;
    for (const std::string& kv : split(query, '&'))
      if (kv.rfind("streams=", 0) == 0) names = split(kv.substr(8), '/');
  } else if (path.size() > 4) {
    names = split(path.substr(4), '/');
  }
  for (const std::string& n : names) {
    if (!validStream(n)) continue;
    session.streams.insert(n);
    subscribers_[n].insert(s.id);
  }
}

void Streams::onClosed(ClientSession& s) {
  auto it = sessions_.find(s.id);
  if (it == sessions_.end()) return;
  for (const std::string& n : it->second.streams) subscribers_[n].erase(s.id);
  sessions_.erase(it);
}

nlohmann::json Streams::subscribe(Session& s, const nlohmann::json& params) {
  for (const auto& p : params)
    if (!p.is_string() || !validStream(p.get<std::string>())) return {{"code", 2}, {"msg", "Invalid request: invalid stream"}};
  for (const auto& p : params) {
    s.streams.insert(p.get<std::string>());
    subscribers_[p.get<std::string>()].insert(s.s->id);
  }
  return nullptr;
}

void Streams::onWsMessage(ClientSession& cs, const std::string& text) {
  auto it = sessions_.find(cs.id);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  nlohmann::json req = nlohmann::json::parse(text, nullptr, false);
  auto error = [&](int code, const std::string& msg, const nlohmann::json& id) {
    nlohmann::json e = {{"error", {{"code", code}, {"msg", msg}}}};
    e["id"] = id;
    cs.send(e.dump());
  };
  if (!req.is_object()) return error(3, "Invalid JSON: expected value at line 1 column 1", nullptr);
  const nlohmann::json id = req.contains("id") ? req["id"] : nlohmann::json(nullptr);
  if (!id.is_null() && !id.is_number_unsigned() && !id.is_number_integer() && !id.is_string())
    return error(2, "Invalid request: request ID must be an unsigned integer", nullptr);
  const std::string method = req.value("method", "");
  const nlohmann::json params = req.contains("params") ? req["params"] : nlohmann::json::array();
  if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
    if (!params.is_array()) return error(2, "Invalid request: params must be an array", id);
    if (method == "SUBSCRIBE") {
      const nlohmann::json err = subscribe(s, params);
      if (!err.is_null()) return error(err["code"], err["msg"], id);
    } else {
      for (const auto& p : params) {
        if (!p.is_string()) continue;
        s.streams.erase(p.get<std::string>());
        subscribers_[p.get<std::string>()].erase(cs.id);
      }
    }
    cs.send(nlohmann::json({{"result", nullptr}, {"id", id}}).dump());
  } else if (method == "LIST_SUBSCRIPTIONS") {
    cs.send(nlohmann::json({{"result", s.streams}, {"id", id}}).dump());
  } else if (method == "SET_PROPERTY" || method == "GET_PROPERTY") {
    // combined=true/false switches the payload shape, as Binance allows.
    if (method == "SET_PROPERTY" && params.is_array() && params.size() == 2 && params[0] == "combined" &&
        params[1].is_boolean())
      s.combined = params[1].get<bool>();
    else if (method == "SET_PROPERTY")
      return error(2, "Invalid request: unknown property", id);
    cs.send(nlohmann::json({{"result", method == "GET_PROPERTY" ? nlohmann::json(s.combined) : nlohmann::json(nullptr)},
                            {"id", id}})
                .dump());
  } else {
    error(2, "Invalid request: unknown variable", id);
  }
}

void Streams::publish(const std::string& stream, const nlohmann::json& data) {
  auto it = subscribers_.find(stream);
  if (it == subscribers_.end() || it->second.empty()) return;
  std::string raw, combined;
  for (std::uint64_t id : it->second) {
    auto s = sessions_.find(id);
    if (s == sessions_.end()) continue;
    if (s->second.combined) {
      if (combined.empty()) combined = nlohmann::json({{"stream", stream}, {"data", data}}).dump();
      s->second.s->send(combined);
    } else {
      if (raw.empty()) raw = data.dump();
      s->second.s->send(raw);
    }
  }
}

// ---- market streams ----------------------------------------------------------------------

void Streams::onBookChange(const BookChange& change) {
  const auto& symbols = market_.symbols();
  const std::size_t i = std::size_t(std::find(symbols.begin(), symbols.end(), change.instrument) - symbols.begin());
  if (i >= symbols.size()) return;
  for (auto& [speed, w] : depth_[i]) {
    if (w.first == 0) w.first = change.changeId;
    w.last = change.changeId;
    w.lastTs = change.ts / 1'000'000;
    for (const LevelChange& l : change.levels)
      w.levels[{l.side == Side::Buy ? 0 : 1, l.price}] = l.action == LevelAction::Delete ? 0 : l.qty;
  }
  // bookTicker: every change of the best bid or ask (price or size).
  const OrderBook& book = market_.state().book(change.instrument);
  const Level bid = book.bestBid() ? *book.bestBid() : Level{};
  const Level ask = book.bestAsk() ? *book.bestAsk() : Level{};
  if (lastTop_[i].first == bid && lastTop_[i].second == ask) return;
  lastTop_[i] = {bid, ask};
  const Instrument& inst = market_.state().instruments()[change.instrument];
  const std::int64_t ms = change.ts / 1'000'000;
  publish(names_[i] + "@bookTicker", {{"e", "bookTicker"},
                                      {"u", change.changeId},
                                      {"s", inst.name},
                                      {"b", Market::price(inst, bid.price)},
                                      {"B", Market::qty(inst, bid.qty)},
                                      {"a", Market::price(inst, ask.price)},
                                      {"A", Market::qty(inst, ask.qty)},
                                      {"T", ms},
                                      {"E", market_.nowMs()}});
}

void Streams::flushDepth(std::size_t i, int speed) {
  DepthWindow& w = depth_[i][speed];
  if (w.first == 0) return;
  const Instrument& inst = market_.state().instruments()[market_.symbols()[i]];
  nlohmann::json bids = nlohmann::json::array(), asks = nlohmann::json::array();
  for (auto it = w.levels.rbegin(); it != w.levels.rend(); ++it)  // bids best (highest) first
    if (it->first.first == 0) bids.push_back({Market::price(inst, it->first.second), Market::qty(inst, it->second)});
  for (const auto& [key, qty] : w.levels)
    if (key.first == 1) asks.push_back({Market::price(inst, key.second), Market::qty(inst, qty)});
  std::uint64_t pu = w.lastSent;
  const bool send = !w.skipNext;  // skipped: this event's ids are used up, never seen
  if (w.breakNext && send) pu = w.lastSent > 0 ? w.lastSent - 1 : 1;
  w.skipNext = false;
  if (send) w.breakNext = false;
  nlohmann::json e = {{"e", "depthUpdate"}, {"E", market_.nowMs()}, {"T", w.lastTs}, {"s", inst.name},
                      {"U", w.first},       {"u", w.last},           {"pu", pu},      {"b", bids},
                      {"a", asks}};
  w.lastSent = w.last;
  w.first = 0;
  w.levels.clear();
  // Every change reached the window as it happened: the book is at this event's u now.
  if (speed == 100) atLastEvent_[i] = market_.snapshot(market_.symbols()[i], std::numeric_limits<std::size_t>::max());
  if (!send) return;
  publish(names_[i] + (speed == 250 ? "@depth" : speed == 100 ? "@depth@100ms" : "@depth@500ms"), e);
}

void Streams::sendPartial(std::size_t i, int levels, int speed) {
  const std::string stream =
      names_[i] + "@depth" + std::to_string(levels) + (speed == 250 ? "" : speed == 100 ? "@100ms" : "@500ms");
  auto sub = subscribers_.find(stream);
  if (sub == subscribers_.end() || sub->second.empty()) return;
  const InstrumentId id = market_.symbols()[i];
  const BookSnapshot snap = market_.snapshot(id, std::size_t(levels));
  const Instrument& inst = market_.state().instruments()[id];
  nlohmann::json bids = nlohmann::json::array(), asks = nlohmann::json::array();
  for (const Level& l : snap.bids) bids.push_back({Market::price(inst, l.price), Market::qty(inst, l.qty)});
  for (const Level& l : snap.asks) asks.push_back({Market::price(inst, l.price), Market::qty(inst, l.qty)});
  std::uint64_t& last = partialLast_[i][stream];
  const std::uint64_t prev = last ? last : snap.lastUpdateId;
  publish(stream, {{"e", "depthUpdate"}, {"E", market_.nowMs()}, {"T", snap.timeMs}, {"s", inst.name},
                   {"U", std::min(prev + 1, snap.lastUpdateId)}, {"u", snap.lastUpdateId}, {"pu", prev},
                   {"b", bids}, {"a", asks}});
  last = snap.lastUpdateId;
}

void Streams::onPublicTrade(const PublicTrade& t) {
  const auto& symbols = market_.symbols();
  const std::size_t i = std::size_t(std::find(symbols.begin(), symbols.end(), t.instrument) - symbols.begin());
  if (i >= symbols.size()) return;
  const Instrument& inst = market_.state().instruments()[t.instrument];
  nlohmann::json e = market_.aggTradeJson(inst, t);
  e["e"] = "aggTrade";
  e["E"] = market_.nowMs();
  e["s"] = inst.name;
  publish(names_[i] + "@aggTrade", e);
}

void Streams::sendMarkPrice(std::size_t i, const char* suffix) {
  const std::string stream = names_[i] + suffix;
  auto sub = subscribers_.find(stream);
  if (sub == subscribers_.end() || sub->second.empty()) return;
  const nlohmann::json p = market_.premiumIndex(market_.symbols()[i]);
  publish(stream, {{"e", "markPriceUpdate"},
                   {"E", market_.nowMs()},
                   {"s", p["symbol"]},
                   {"p", p["markPrice"]},
                   {"i", p["indexPrice"]},
                   {"P", p["estimatedSettlePrice"]},
                   {"r", p["lastFundingRate"]},
                   {"T", p["nextFundingTime"]}});
}

void Streams::sendKline(std::size_t i) {
  const std::string stream = names_[i] + "@kline_1m";
  auto sub = subscribers_.find(stream);
  if (sub == subscribers_.end() || sub->second.empty()) return;
  const InstrumentId id = market_.symbols()[i];
  const Instrument& inst = market_.state().instruments()[id];
  const Kline k = market_.currentKline(id);
  publish(stream, {{"e", "kline"}, {"E", market_.nowMs()}, {"s", inst.name}, {"k", market_.klineJson(inst, k, 60'000, false)}});
}

void Streams::tick50ms() {
  ++ticks_;
  releaseHeldOrderEvents(false);
  // A fault asked for applies to the next event of every diff-depth stream.
  if (faults_.skipUpdateIds > 0 || faults_.puBreaks > 0) {
    for (auto& bySpeed : depth_)
      for (auto& [speed, w] : bySpeed) {
        w.skipNext = w.skipNext || faults_.skipUpdateIds > 0;
        w.breakNext = w.breakNext || faults_.puBreaks > 0;
      }
    faults_.skipUpdateIds = faults_.puBreaks = 0;
  }
  for (std::size_t i = 0; i < names_.size(); ++i) {
    for (int speed : kSpeeds) {
      if (ticks_ % std::uint64_t(speed / 50) != 0) continue;
      flushDepth(i, speed);
      for (int levels : {5, 10, 20}) sendPartial(i, levels, speed);
      if (speed == 250) sendKline(i);
    }
  }
}

void Streams::tick1s() {
  const std::int64_t now = market_.nowMs();
  for (std::size_t i = 0; i < names_.size(); ++i) {
    sendMarkPrice(i, "@markPrice@1s");
    if ((now / 1000) % 3 == 0) sendMarkPrice(i, "@markPrice");
  }
  std::vector<int> expired;
  for (const auto& [key, k] : listenKeys_)
    if (k.expiresMs <= now) expired.push_back(k.account);
  for (int a : expired) expireListenKeys(a);
}

// ---- user data ---------------------------------------------------------------------------

std::string Streams::createListenKey(int account) {
  const std::int64_t until = market_.nowMs() + std::int64_t(listenKeyValidity_) * 1000;
  for (auto& [key, k] : listenKeys_)
    if (k.account == account) {
      k.expiresMs = until;
      return key;
    }
  const std::string key = randomToken(32);  // 64 hex characters, as Binance's keys are
  listenKeys_[key] = {account, until};
  return key;
}

bool Streams::keepAliveListenKey(int account) {
  for (auto& [key, k] : listenKeys_)
    if (k.account == account) {
      k.expiresMs = market_.nowMs() + std::int64_t(listenKeyValidity_) * 1000;
      return true;
    }
  return false;
}

void Streams::closeListenKey(int account) {
  for (auto it = listenKeys_.begin(); it != listenKeys_.end();)
    it = it->second.account == account ? listenKeys_.erase(it) : std::next(it);
}

int Streams::expireListenKeys(int account) {
  int n = 0;
  for (auto it = listenKeys_.begin(); it != listenKeys_.end();) {
    if (account != 0 && it->second.account != account) {
      ++it;
      continue;
    }
    const std::string key = it->first;
    const std::int64_t now = market_.nowMs();
    publish(key, {{"e", "listenKeyExpired"}, {"E", now}, {"listenKey", key}});
    it = listenKeys_.erase(it);
    ++n;
  }
  return n;
}

int Streams::dropAll() {
  std::vector<ClientSession*> all;
  for (auto& [id, s] : sessions_) all.push_back(s.s);
  for (ClientSession* s : all) s->dropNow();
  return int(all.size());
}

void Streams::onOrderUpdate(const OrderRecord& o, const UserTrade* trade) {
  if (!market_.isSymbol(o.instrument)) return;
  std::string key;
  for (const auto& [k, v] : listenKeys_)
    if (v.account == o.account) key = k;
  if (key.empty() || o.state == OrdState::Rejected) return;
  const Instrument& inst = market_.state().instruments()[o.instrument];
  const nlohmann::json j = trading_.orderJson(o);
  const std::string status = j["status"];
  std::string exec = "NEW";
  if (trade)
    exec = "TRADE";
  else if (status == "CANCELED" || status == "EXPIRED")
    exec = status;
  else if (o.replaced)
    exec = "AMENDMENT";
  const std::int64_t now = market_.nowMs();
  const std::int64_t tradeTime = trade ? trade->ts : o.updated;
  nlohmann::json event = {{"e", "ORDER_TRADE_UPDATE"},
                {"E", now},
                {"T", tradeTime},
                {"o",
                 {{"s", inst.name},
                  {"c", o.label},
                  {"S", j["side"]},
                  {"o", j["type"]},
                  {"f", o.timeInForce},
                  {"q", j["origQty"]},
                  {"p", j["price"]},
                  {"ap", j["avgPrice"]},
                  {"sp", "0"},
                  {"x", exec},
                  {"X", status},
                  {"i", o.simId},
                  {"l", Market::qty(inst, trade ? trade->qty : 0)},
                  {"z", j["executedQty"]},
                  {"L", Market::price(inst, trade ? trade->price : 0)},
                  {"n", Market::decimal(trade ? trade->fee : 0.0, 8)},
                  {"N", "USDT"},
                  {"T", tradeTime},
                  {"t", trade ? trade->instrumentSeq : 0},
                  {"b", "0"},
                  {"a", "0"},
                  {"m", trade ? trade->maker : false},
                  {"R", o.reduceOnly},
                  {"wt", "CONTRACT_PRICE"},
                  {"ot", j["type"]},
                  {"ps", "BOTH"},
                  {"cp", false},
                  {"rp", "0"},
                  {"pP", false},
                  {"si", 0},
                  {"ss", 0},
                  {"V", "EXPIRE_MAKER"},
                  {"pm", "NONE"},
                  {"gtd", 0}}}};
  const bool accountFirst = trade && faults_.accountUpdateFirst > 0;
  const bool queued = std::any_of(heldOrderEvents_.begin(), heldOrderEvents_.end(), [&](const HeldEvent& h) { return h.key == key; });
  if (accountFirst || queued) {  // fault account_update_first: this account's order events wait
    if (accountFirst) --faults_.accountUpdateFirst;
    const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(accountFirst ? faults_.accountUpdateGapMs : 0);
    heldOrderEvents_.push_back({key, std::move(event), due});
  } else {
    publish(key, event);
  }
  if (trade) {
    const Account& a = trading_.accounts().get(o.account);
    publish(key, {{"e", "ACCOUNT_UPDATE"}, {"E", now}, {"T", tradeTime}, {"a", trading_.accountUpdate(a, o.instrument, "ORDER")}});
  }
}

void Streams::releaseHeldOrderEvents(bool all) {
  const auto now = std::chrono::steady_clock::now();
  while (!heldOrderEvents_.empty() && (all || heldOrderEvents_.front().due <= now)) {
    publish(heldOrderEvents_.front().key, heldOrderEvents_.front().event);
    heldOrderEvents_.pop_front();
  }
}

}  // namespace kappa::exchange::binance
