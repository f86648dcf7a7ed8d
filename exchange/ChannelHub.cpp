#include "ChannelHub.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace kappa::exchange {
namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, '.')) out.push_back(part);
  return out;
}
std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
bool isInterval(const std::string& s) { return s == "raw" || s == "100ms"; }
double px(std::int64_t v) { return toDouble(v); }
const char* actionName(LevelAction a) {
  return a == LevelAction::New ? "new" : (a == LevelAction::Change ? "change" : "delete");
}
}  // namespace

std::string ChannelHub::notification(const std::string& channel, const nlohmann::json& data) {
  nlohmann::json n = {{"jsonrpc", "2.0"}, {"method", "subscription"}, {"params", {{"channel", channel}, {"data", data}}}};
  return n.dump();
}

void ChannelHub::detach(ClientSession* s) {
  unsubscribeAll(*s);
  sessions_.erase(s->id);
}

ClientSession* ChannelHub::session(std::uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<ClientSession*> ChannelHub::sessions() const {
  std::vector<ClientSession*> out;
  for (const auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

bool ChannelHub::accept(ClientSession& s, const std::string& channel) const {
  const std::vector<std::string> p = split(channel);
  if (p.empty()) return false;
  const auto tradable = [&](const std::string& name) {
    const Instrument* inst = market_.find(name);
    return inst && inst->tradable && !market_.expired(inst->id);  // a settled book has nothing to send
  };
  const auto currencyOk = [&](const std::string& c) { return c == "any" || market_.hasCurrency(upper(c)); };
  if (p[0] == "book" && p.size() == 5)  // book.{instrument}.{group}.{depth}.{interval}: top levels, whole
    return tradable(p[1]) && p[2] == "none" && (p[3] == "1" || p[3] == "10" || p[3] == "20") &&
           (p[4] == "100ms" || p[4] == "agg2");
  if (p[0] == "book" && p.size() == 3)
    // Deribit serves the raw book only to authorised connections.
    return tradable(p[1]) && (p[2] == "100ms" || (p[2] == "raw" && s.account != 0));
  if (p[0] == "ticker" && p.size() == 3) return tradable(p[1]) && isInterval(p[2]);
  if (p[0] == "trades" && p.size() == 3) return tradable(p[1]) && isInterval(p[2]);
  if (p[0] == "trades" && p.size() == 4)
    return (p[1] == "future" || p[1] == "option" || p[1] == "any") && currencyOk(p[2]) && isInterval(p[3]);
  if (p[0] == "deribit_price_index" && p.size() == 2) {
    const Instrument* inst = market_.find(p[1]);
    return inst && inst->kind == InstrumentKind::Index;
  }
  if (p[0] == "platform_state" && p.size() == 1) return true;
  if (p[0] == "instrument" && p.size() == 4 && p[1] == "state")  // instrument.state.{kind}.{currency}
    return (p[2] == "future" || p[2] == "option" || p[2] == "any") && currencyOk(p[3]);
  if (p[0] == "user" && p.size() >= 3) {
    if (s.account == 0) return false;
    if (p[1] == "portfolio" && p.size() == 3) return market_.hasCurrency(upper(p[2]));
    if (p[1] != "orders" && p[1] != "trades" && p[1] != "changes") return false;
    if (p.size() == 4) return (p[2] == "any" || tradable(p[2])) && isInterval(p[3]);
    if (p.size() == 5)
      return (p[2] == "future" || p[2] == "option" || p[2] == "any") && currencyOk(p[3]) && isInterval(p[4]);
  }
  return false;
}

std::vector<std::string> ChannelHub::subscribe(ClientSession& s, const std::vector<std::string>& channels) {
  std::vector<std::string> accepted;
  for (const std::string& ch : channels) {
    if (!accept(s, ch)) continue;
    if (s.channels.insert(ch).second) subscribers_[ch].insert(s.id);
    lastTicker_.erase(ch);  // a new subscriber gets the ticker at the next window even if unchanged
    accepted.push_back(ch);
  }
  return accepted;
}

std::vector<std::string> ChannelHub::unsubscribe(ClientSession& s, const std::vector<std::string>& channels) {
  for (const std::string& ch : channels) {
    if (!s.channels.erase(ch)) continue;
    auto it = subscribers_.find(ch);
    if (it != subscribers_.end()) {
      it->second.erase(s.id);
      if (it->second.empty()) {
        subscribers_.erase(it);
        lastTicker_.erase(ch);
      }
    }
    if (auto w = awaitingSnapshot_.find(ch); w != awaitingSnapshot_.end()) w->second.erase(s.id);
  }
  return {s.channels.begin(), s.channels.end()};  // Deribit answers with what remains subscribed
}

void ChannelHub::unsubscribeAll(ClientSession& s) {
  const std::vector<std::string> all(s.channels.begin(), s.channels.end());
  unsubscribe(s, all);
}

void ChannelHub::sendInitial(ClientSession& s, const std::vector<std::string>& accepted) {
  for (const std::string& ch : accepted) {
    const std::vector<std::string> p = split(ch);
    if (p[0] == "book" && p.size() == 3) {
      const Instrument& inst = *market_.find(p[1]);
      if (p[2] == "raw")
        s.send(notification(ch, market_.bookSnapshotJson(inst)));
      else
        awaitingSnapshot_[ch].insert(s.id);
    } else if (p[0] == "platform_state") {
      for (const std::string& c : market_.currencies())
        s.send(notification(ch, {{"price_index", market_.indexName(c)}, {"locked", locked_}}));
    }
  }
}

void ChannelHub::publish(const std::string& channel, const nlohmann::json& data) {
  auto it = subscribers_.find(channel);
  if (it == subscribers_.end() || it->second.empty()) return;
  const std::string text = notification(channel, data);
  for (std::uint64_t id : it->second)
    if (ClientSession* s = session(id)) s->send(text);
}

void ChannelHub::publishUser(int account, const std::string& channel, const nlohmann::json& data) {
  auto it = subscribers_.find(channel);
  if (it == subscribers_.end() || it->second.empty()) return;
  std::string text;
  for (std::uint64_t id : it->second) {
    ClientSession* s = session(id);
    if (!s || s->account != account) continue;
    if (text.empty()) text = notification(channel, data);
    s->send(text);
  }
}

bool ChannelHub::consumeSkip(InstrumentId id) {
  if (skip_.erase(id) || skip_.erase(kNoInstrument)) {
    skipWindow_.insert(id);
    return true;
  }
  return false;
}

void ChannelHub::onBookChange(const BookChange& c) {
  const Instrument& inst = market_.instruments()[c.instrument];
  const std::string raw = "book." + inst.name + ".raw";
  const std::string agg = "book." + inst.name + ".100ms";
  const bool rawWanted = subscribers_.count(raw) != 0;
  const bool aggWanted = subscribers_.count(agg) != 0 || awaitingSnapshot_.count(agg) != 0;
  if (!rawWanted && !aggWanted) return;
  if (consumeSkip(c.instrument)) return;  // fault: this change never reaches the raw subscribers
  if (rawWanted) {
    nlohmann::json bids = nlohmann::json::array(), asks = nlohmann::json::array();
    for (const LevelChange& l : c.levels)
      (l.side == Side::Buy ? bids : asks).push_back({actionName(l.action), px(l.price), px(l.qty)});
    publish(raw, {{"type", "change"},
                  {"timestamp", c.ts / 1'000'000},
                  {"instrument_name", inst.name},
                  {"change_id", c.changeId},
                  {"prev_change_id", c.prevChangeId},
                  {"bids", std::move(bids)},
                  {"asks", std::move(asks)}});
  }
  if (aggWanted) {
    Window& w = windows_[c.instrument];
    if (w.firstPrev == 0) w.firstPrev = c.prevChangeId;
    w.lastChange = c.changeId;
    for (const LevelChange& l : c.levels) {
      const auto key = std::make_pair(int(l.side), l.price);
      auto it = w.levels.find(key);
      if (it == w.levels.end()) it = w.levels.emplace(key, Window::Net{l.action != LevelAction::New, 0}).first;
      it->second.qty = l.action == LevelAction::Delete ? 0 : l.qty;
    }
  }
}

void ChannelHub::flush100ms() {
  // Book windows.
  for (auto& [id, w] : windows_) {
    const Instrument& inst = market_.instruments()[id];
    const std::string ch = "book." + inst.name + ".100ms";
    const bool skipped = skipWindow_.erase(id) != 0;
    if (w.lastChange == 0 || skipped) continue;
    nlohmann::json bids = nlohmann::json::array(), asks = nlohmann::json::array();
    for (const auto& [key, net] : w.levels) {
      const char* action = net.qty == 0 ? "delete" : (net.existedBefore ? "change" : "new");
      if (net.qty == 0 && !net.existedBefore) continue;  // appeared and vanished inside the window
      (key.first == int(Side::Buy) ? bids : asks).push_back({action, px(key.second), px(net.qty)});
    }
    // Best first, as Deribit orders its levels.
    std::reverse(bids.begin(), bids.end());
    auto subs = subscribers_.find(ch);
    if (subs == subscribers_.end()) continue;
    const auto& waiting = awaitingSnapshot_[ch];
    const std::string text = notification(ch, {{"type", "change"},
                                               {"timestamp", market_.nowMs()},
                                               {"instrument_name", inst.name},
                                               {"change_id", w.lastChange},
                                               {"prev_change_id", w.firstPrev},
                                               {"bids", std::move(bids)},
                                               {"asks", std::move(asks)}});
    for (std::uint64_t sid : subs->second)
      if (!waiting.count(sid))
        if (ClientSession* s = session(sid)) s->send(text);
  }
  windows_.clear();
  skipWindow_.clear();
  // New .100ms subscribers: the snapshot as of the end of this window.
  for (auto& [ch, ids] : awaitingSnapshot_) {
    const std::vector<std::string> p = split(ch);
    const Instrument* inst = market_.find(p[1]);
    if (!inst) continue;
    for (std::uint64_t sid : ids)
      if (ClientSession* s = session(sid)) s->send(notification(ch, market_.bookSnapshotJson(*inst)));
  }
  awaitingSnapshot_.clear();
  // Grouped books (book.{instrument}.none.{depth}.100ms): the top levels as they are now.
  for (const auto& [ch, ids] : subscribers_) {
    if (ids.empty() || ch.rfind("book.", 0) != 0) continue;
    const std::vector<std::string> p = split(ch);
    if (p.size() != 5) continue;
    const Instrument* inst = market_.find(p[1]);
    if (!inst) continue;
    const OrderBook& b = market_.book(inst->id);
    const std::size_t depth = std::size_t(std::stoi(p[3]));
    nlohmann::json data = {{"timestamp", market_.nowMs()}, {"instrument_name", inst->name}, {"change_id", b.changeId()}};
    for (Side side : {Side::Buy, Side::Sell}) {
      std::vector<Level> levels(std::min(depth, b.depth(side)));
      b.topN(side, levels.size(), levels.data());
      nlohmann::json arr = nlohmann::json::array();
      for (const Level& l : levels) arr.push_back({px(l.price), px(l.qty)});
      data[side == Side::Buy ? "bids" : "asks"] = std::move(arr);
    }
    publish(ch, data);
  }
  // Tickers: as Deribit, only when something in them changed since the last one sent.
  for (const auto& [ch, ids] : subscribers_) {
    if (ids.empty() || ch.rfind("ticker.", 0) != 0) continue;
    const std::vector<std::string> p = split(ch);
    const Instrument* inst = market_.find(p[1]);
    if (!inst) continue;
    nlohmann::json t = market_.tickerJson(*inst);
    const nlohmann::json ts = t["timestamp"];
    t.erase("timestamp");
    std::string content = t.dump();
    std::string& last = lastTicker_[ch];
    if (content == last) continue;
    last = std::move(content);
    t["timestamp"] = ts;
    publish(ch, t);
  }
}

void ChannelHub::flushPortfolio() {
  for (const auto& [ch, ids] : subscribers_) {
    if (ch.rfind("user.portfolio.", 0) != 0) continue;
    const std::string currency = upper(ch.substr(15));
    for (std::uint64_t sid : ids) {
      ClientSession* s = session(sid);
      if (!s || s->account == 0) continue;
      s->send(notification(ch, accounts_.summaryJson(accounts_.get(s->account), currency)));
    }
  }
}

void ChannelHub::publishPlatformState(bool locked) {
  locked_ = locked;
  for (const std::string& c : market_.currencies())
    publish("platform_state", {{"price_index", market_.indexName(c)}, {"locked", locked}});
}

void ChannelHub::onInstrumentState(const Instrument& inst, const char* state, Nanos ts) {
  const std::string kind = MarketState::kindName(inst);
  const std::string cur = inst.baseCurrency;
  const nlohmann::json data = {{"instrument_name", inst.name}, {"state", state}, {"timestamp", ts / 1'000'000}};
  for (const std::string& channel : {"instrument.state." + kind + "." + cur, "instrument.state.any." + cur,
                                     "instrument.state." + kind + ".any", std::string("instrument.state.any.any")})
    publish(channel, data);
}

void ChannelHub::onPublicTrade(const PublicTrade& t) {
  const Instrument& inst = market_.instruments()[t.instrument];
  const std::string kind = MarketState::kindName(inst);
  const std::string cur = inst.baseCurrency;
  const std::string names[] = {"trades." + inst.name + ".raw", "trades." + inst.name + ".100ms",
                               "trades." + kind + "." + cur + ".raw", "trades." + kind + "." + cur + ".100ms",
                               "trades.any." + cur + ".raw", "trades.any." + cur + ".100ms",
                               "trades." + kind + ".any.raw", "trades.any.any.raw"};
  nlohmann::json data;
  for (const std::string& ch : names) {
    auto it = subscribers_.find(ch);
    if (it == subscribers_.end() || it->second.empty()) continue;
    if (data.is_null()) data = nlohmann::json::array({market_.tradeJson(t)});
    publish(ch, data);
  }
}

void ChannelHub::onIndexPrice(InstrumentId index, double price, Nanos ts) {
  const Instrument& inst = market_.instruments()[index];
  publish("deribit_price_index." + inst.name, {{"index_name", inst.name}, {"price", price}, {"timestamp", ts / 1'000'000}});
}

void ChannelHub::onExecutions(std::vector<ExecReport>& reports, std::vector<PublicTrade>& trades) {
  accounts_.apply(reports, trades);
}

std::vector<std::string> ChannelHub::userChannels(const char* what, const Instrument& inst) const {
  const std::string base = std::string("user.") + what + ".";
  const std::string kind = MarketState::kindName(inst);
  const std::string cur = inst.baseCurrency;
  std::vector<std::string> out;
  for (const char* interval : {"raw", "100ms"}) {
    out.push_back(base + "any.any." + interval);
    out.push_back(base + "any." + cur + "." + interval);
    out.push_back(base + kind + ".any." + interval);
    out.push_back(base + kind + "." + cur + "." + interval);
    out.push_back(base + inst.name + "." + interval);
  }
  return out;
}

void ChannelHub::publishChanges(const OrderRecord& o, const UserTrade* t) {
  // user.changes: the order, its trade if any, and the position after it, in one message.
  const Instrument& inst = market_.instruments()[o.instrument];
  nlohmann::json data;
  for (const std::string& ch : userChannels("changes", inst)) {
    auto it = subscribers_.find(ch);
    if (it == subscribers_.end() || it->second.empty()) continue;
    if (data.is_null()) {
      const Account& a = accounts_.get(o.account);
      data = {{"instrument_name", inst.name},
              {"orders", nlohmann::json::array({accounts_.orderJson(o)})},
              {"trades", t ? nlohmann::json::array({accounts_.tradeJson(a, *t)}) : nlohmann::json::array()},
              {"positions", nlohmann::json::array({accounts_.positionJson(a, inst.id)})}};
    }
    publishUser(o.account, ch, data);
  }
}

void ChannelHub::onOrderUpdate(const OrderRecord& o, const UserTrade* trade) {
  const Instrument& inst = market_.instruments()[o.instrument];
  publishChanges(o, trade);
  nlohmann::json order;
  for (const std::string& ch : userChannels("orders", inst)) {
    auto it = subscribers_.find(ch);
    if (it == subscribers_.end() || it->second.empty()) continue;
    if (order.is_null()) order = accounts_.orderJson(o);
    // raw carries the order itself, 100ms a list of them (Deribit's shapes).
    publishUser(o.account, ch, ch.size() > 4 && ch.compare(ch.size() - 4, 4, ".raw") == 0 ? order
                                                                                        : nlohmann::json::array({order}));
  }
}

void ChannelHub::onUserTrade(const OrderRecord& o, const UserTrade& t) {
  const Instrument& inst = market_.instruments()[o.instrument];
  nlohmann::json data;
  for (const std::string& ch : userChannels("trades", inst)) {
    auto it = subscribers_.find(ch);
    if (it == subscribers_.end() || it->second.empty()) continue;
    if (data.is_null()) data = nlohmann::json::array({accounts_.tradeJson(accounts_.get(o.account), t)});
    publishUser(o.account, ch, data);
  }
}

}  // namespace kappa::exchange
