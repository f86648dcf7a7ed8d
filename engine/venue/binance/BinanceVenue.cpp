#include "venue/binance/BinanceVenue.hpp"

#include <algorithm>
#include <ctime>
#include <future>
#include <random>

#include <boost/asio/post.hpp>

#include "core/Clock.hpp"
#include "venue/binance/BinanceHttp.hpp"
#include "venue/binance/BinanceOrderTracker.hpp"
#include "venue/binance/BinanceRestAnswers.hpp"
#include "venue/net/WsTransport.hpp"

namespace kappa::binance {

namespace asio = boost::asio;
using net::WsTransport;

namespace {

constexpr const char* kLog = "binance";
constexpr Nanos kSecond = 1'000'000'000LL;

std::string lowerOf(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string utcTime(std::int64_t ms) {
  const std::time_t t = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// "IP banned until 1659146400000." in a -1003 message.
std::int64_t banEndFrom(const std::string& msg) {
  const auto p = msg.find("until ");
  if (p == std::string::npos) return 0;
  try {
    return std::stoll(msg.substr(p + 6));
  } catch (...) {
    return 0;
  }
}

}  // namespace

BinanceVenue::BinanceVenue(BinanceVenueConfig config)
    : config_(std::move(config)), decoder_(std::make_unique<BinanceDecoder>(SyncRule::Futures)),
      tracker_(std::make_unique<BinanceOrderTracker>()) {
  HttpTarget target;
  std::string error;
  if (!parseHttpBase(config_.endpoint.restBase, target, error)) {
    listError_ = error;
    target = {false, "127.0.0.1", "1", "/"};  // never reached: listInstruments reports the error
  }
  http_ = std::make_unique<HttpClient>(io_, target, config_.endpoint.caFile);
}

BinanceVenue::~BinanceVenue() {
  disconnect();
  ioThread_.stop();  // listed but never connected
}

std::string BinanceVenue::listError() const {
  std::lock_guard lock(mutex_);
  return listError_;
}

BinanceCounters BinanceVenue::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::optional<BinanceTicker> BinanceVenue::ticker(InstrumentId id) const {
  std::lock_guard lock(mutex_);
  if (id >= tickers_.size() || tickers_[id].instrument == kNoInstrument) return std::nullopt;
  return tickers_[id];
}

VenueSummary BinanceVenue::summary() const {
  VenueSummary s;
  const BinanceCounters c = counters();
  s.environment = config_.endpoint.environment;
  s.endpoint = config_.endpoint.restBase;
  s.state = state_.load();
  s.reconnects = c.reconnects;
  s.resyncs = c.resyncs;
  s.rateLimited = c.rateLimited;
  s.tooManyRequests = c.tooManyRequests;
  std::lock_guard lock(mutex_);
  s.accounts = accounts_;
  return s;
}

void BinanceVenue::setState(VenueState s, std::string detail) {
  state_ = s;
  if (!listener_) return;
  asio::post(engine_, [l = listener_, s, detail = std::move(detail)] { l->onVenueState(s, detail); });
}

const BinanceVenue::Symbol* BinanceVenue::symbolOf(InstrumentId id) const {
  auto it = bySymbolId_.find(id);
  return it == bySymbolId_.end() ? nullptr : &symbols_[it->second];
}

// ---------------------------------------------------------------- REST

std::string BinanceVenue::limiterRefusal(int weight, bool isOrder, bool isCancel) const {
  const std::int64_t nowMs = wallNow() / 1'000'000;
  if (bannedUntilMs_ > nowMs) return "Binance banned this IP until " + utcTime(bannedUntilMs_) + " (418): nothing is sent";
  if (backoffUntil_ > monoNow()) return "backing off after Binance's 429 (too many requests)";
  if (isCancel) return {};  // cancels go whatever the budget: they reduce risk
  const bool sameMinute = monoNow() - weightAt_ < 60 * kSecond;
  if (sameMinute && double(usedWeight_ + weight) > config_.weightPerMinute * config_.safety)
    return "request weight budget for this minute used up (" + std::to_string(usedWeight_) + " of " +
           std::to_string(long(config_.weightPerMinute)) + ")";
  if (isOrder && sameMinute &&
      (double(orders10s_ + 1) > config_.ordersPer10s * config_.safety || double(orders1m_ + 1) > config_.ordersPerMinute * config_.safety))
    return "order rate budget used up (" + std::to_string(orders10s_) + " in 10 s, " + std::to_string(orders1m_) + " in 1 min)";
  return {};
}

void BinanceVenue::noteResponse(const HttpResponse& r, int weight, bool isOrder) {
  if (r.usedWeight1m >= 0) {
    usedWeight_ = r.usedWeight1m;
    weightAt_ = monoNow();
  } else if (r.status) {
    usedWeight_ += weight;  // no header: count it ourselves
  }
  if (r.orderCount10s >= 0) orders10s_ = r.orderCount10s;
  else if (isOrder) ++orders10s_;
  if (r.orderCount1m >= 0) orders1m_ = r.orderCount1m;
  else if (isOrder) ++orders1m_;
  {
    std::lock_guard lock(mutex_);
    counters_.usedWeight1m = usedWeight_;
  }
  if (r.status == 429) {
    const long wait = r.retryAfterS > 0 ? r.retryAfterS : 60;
    backoffUntil_ = monoNow() + wait * kSecond;
    {
      std::lock_guard lock(mutex_);
      ++counters_.tooManyRequests;
    }
    log::warn(kLog, "Binance answered 429 (too many requests): backing off for " + std::to_string(wait) + " s");
    setState(VenueState::Degraded, "Binance rate limit (429): requests paused for " + std::to_string(wait) + " s");
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(wait));
    timer->async_wait([this, timer, generation = generation_](const boost::system::error_code& ec) {
      if (!ec && generation == generation_ && marketOpen_ && backoffUntil_ <= monoNow())
        setState(VenueState::Connected, config_.endpoint.environment + ", rate limit back-off over");
    });
  } else if (r.status == 418) {
    ApiError e;
    std::int64_t until = 0;
    if (parseApiError(r.body, e)) until = banEndFrom(e.msg);
    if (until == 0) until = wallNow() / 1'000'000 + (r.retryAfterS > 0 ? r.retryAfterS : 120) * 1000;
    bannedUntilMs_ = until;
    {
      std::lock_guard lock(mutex_);
      ++counters_.bans;
    }
    log::error(kLog, "Binance banned this IP (418) until " + utcTime(until));
    setState(VenueState::Degraded, "IP banned by Binance (418) until " + utcTime(until) + ": no requests until then");
  }
}

void BinanceVenue::publicRequest(const std::string& method, const std::string& path, const std::string& query, int weight,
                                 Callback cb) {
  const std::string refusal = limiterRefusal(weight, false, false);
  if (!refusal.empty()) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.rateLimited;
    }
    HttpResponse r;
    r.error = refusal;
    return cb(r, nullptr);
  }
  http_->request(method, query.empty() ? path : path + "?" + query, {}, config_.requestTimeout,
                 [this, weight, cb = std::move(cb)](HttpResponse r) {
                   noteResponse(r, weight, false);
                   ApiError e;
                   const bool isError = !r.ok() && r.status && parseApiError(r.body, e);
                   cb(r, isError ? &e : nullptr);
                 });
}

void BinanceVenue::keyRequest(const std::string& method, const std::string& path, Callback cb) {
  http_->request(method, path, config_.credentials.apiKey, config_.requestTimeout, [this, cb = std::move(cb)](HttpResponse r) {
    noteResponse(r, 1, false);
    ApiError e;
    const bool isError = !r.ok() && r.status && parseApiError(r.body, e);
    cb(r, isError ? &e : nullptr);
  });
}

void BinanceVenue::signedRequest(const std::string& method, const std::string& path, const std::string& params, int weight,
                                 bool isOrder, Callback cb, bool retried) {
  const bool isCancel = method == "DELETE";
  const std::string refusal = limiterRefusal(weight, isOrder && !isCancel, isCancel);
  if (!refusal.empty()) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.rateLimited;
    }
    HttpResponse r;
    r.error = refusal;
    return cb(r, nullptr);
  }
  std::string query = params;
  if (!query.empty()) query += '&';
  query += "recvWindow=" + std::to_string(config_.recvWindow.count()) +
           "&timestamp=" + std::to_string(wallNow() / 1'000'000 + timeOffsetMs_);
  const std::string signature = hmacSha256Hex(config_.credentials.apiSecret, query);
  const std::uint64_t generation = generation_;
  http_->request(method, path + "?" + query + "&signature=" + signature, config_.credentials.apiKey, config_.requestTimeout,
                 [this, method, path, params, weight, isOrder, cb = std::move(cb), retried, generation](HttpResponse r) {
                   noteResponse(r, weight, isOrder && method != "DELETE");
                   ApiError e;
                   const bool isError = !r.ok() && r.status && parseApiError(r.body, e);
                   if (isError && e.code == -1021 && !retried && generation == generation_) {
                     // Our clock and Binance's disagree beyond recvWindow: the request was not
                     // processed. Measure the offset again and send it once more.
                     {
                       std::lock_guard lock(mutex_);
                       ++counters_.timeResyncs;
                     }
                     log::warn(kLog, "Binance -1021 (timestamp outside recvWindow): measuring the server time again");
                     measureTime([this, method, path, params, weight, isOrder, cb] {
                       signedRequest(method, path, params, weight, isOrder, cb, true);
                     });
                     return;
                   }
                   cb(r, isError ? &e : nullptr);
                 });
}

void BinanceVenue::measureTime(std::function<void()> then) {
  const Nanos sent = wallNow();
  publicRequest("GET", "/fapi/v1/time", "", 1, [this, sent, then = std::move(then)](const HttpResponse& r, const ApiError*) {
    std::uint64_t serverMs = 0;
    std::string error;
    if (r.ok() && parseServerTime(r.body, serverMs, error)) {
      const std::int64_t midMs = (sent + wallNow()) / 2 / 1'000'000;
      timeOffsetMs_ = std::int64_t(serverMs) - midMs;
      std::lock_guard lock(mutex_);
      counters_.timeOffsetMs = timeOffsetMs_;
    } else {
      log::warn(kLog, "server time not measured (" + (r.error.empty() ? error : r.error) + "); keeping offset " +
                          std::to_string(timeOffsetMs_) + " ms");
    }
    if (then) then();
  });
}

// ---------------------------------------------------------------- instruments

void BinanceVenue::listInstruments(InstrumentRegistry& registry) {
  registry_ = &registry;
  {
    std::lock_guard lock(mutex_);
    if (!listError_.empty()) {
      log::error(kLog, "cannot list instruments: " + listError_);
      return;
    }
  }
  ioThread_.ensureRunning();
  std::promise<std::pair<std::string, std::string>> done;  // body, error
  auto future = done.get_future();
  asio::post(io_, [this, &done] {
    publicRequest("GET", "/fapi/v1/exchangeInfo", "", 1, [&done](const HttpResponse& r, const ApiError* e) {
      if (r.ok())
        done.set_value({r.body, {}});
      else
        done.set_value({{}, e ? describeOrderError(*e) : !r.error.empty() ? r.error : "HTTP " + std::to_string(r.status)});
    });
  });
  std::string error;
  std::pair<std::string, std::string> answer;
  if (future.wait_for(config_.listTimeout + std::chrono::seconds(2)) != std::future_status::ready) {
    // The request is bounded by requestTimeout; the promise outlives nothing past this point
    // only if it answered. Wait for it (it will come: the HTTP request has its own timeout).
    future.wait();
  }
  answer = future.get();
  error = answer.second;
  std::vector<SymbolInfo> symbols;
  std::size_t skipped = 0;
  if (error.empty() && !parseExchangeInfo(answer.first, config_.baseAssets, symbols, skipped, error)) error = "exchangeInfo: " + error;
  if (error.empty() && symbols.empty()) error = "Binance lists no USDT-margined perpetual or quarterly of the configured assets";
  if (!error.empty()) {
    log::error(kLog, "cannot list instruments from " + config_.endpoint.restBase + ": " + error);
    std::lock_guard lock(mutex_);
    listError_ = error;
    return;
  }
  applyExchangeInfo(symbols, true);
  log::info(kLog, "listed " + std::to_string(symbols_.size()) + " symbols from " + config_.endpoint.restBase + " (" +
                      std::to_string(skipped) + " others skipped)");
}

InstrumentId BinanceVenue::ensureIndex(const SymbolInfo& info) {
  auto it = indexByPair_.find(info.pair);
  if (it != indexByPair_.end()) return it->second;
  Instrument idx = indexInstrument(info.pair, info.instrument.baseCurrency, info.instrument.tickSize);
  idx.venue = id();
  InstrumentId indexId;
  if (const Instrument* known = registry_->find(id(), idx.name))
    indexId = known->id;
  else
    indexId = registry_->add(std::move(idx));
  indexByPair_[info.pair] = indexId;
  return indexId;
}

// The exchange's list against ours: new tradable symbols are listed (with their index when new),
// ours that it no longer lists or calls delisted are retired. `initial`: listInstruments, before
// the engine runs (no InstrumentChange, nothing to subscribe yet).
void BinanceVenue::applyExchangeInfo(const std::vector<SymbolInfo>& list, bool initial) {
  std::set<std::string> present;
  std::vector<SymbolInfo> sorted = list;
  // Perpetuals first, then quarterlies by delivery: a readable registry.
  std::stable_sort(sorted.begin(), sorted.end(), [](const SymbolInfo& a, const SymbolInfo& b) {
    if (a.instrument.baseCurrency != b.instrument.baseCurrency) return a.instrument.baseCurrency < b.instrument.baseCurrency;
    return a.instrument.expiry < b.instrument.expiry;
  });
  std::vector<std::string> subscribe;
  for (const SymbolInfo& info : sorted) {
    if (isDelistedStatus(info.status)) continue;
    present.insert(info.instrument.name);
    const Instrument* known = registry_->find(id(), info.instrument.name);
    if (known && bySymbolId_.count(known->id)) continue;
    if (!initial) flush();  // what was decoded before reaches the engine first
    const std::size_t indexesBefore = indexByPair_.size();
    const InstrumentId index = ensureIndex(info);
    if (!initial && indexByPair_.size() > indexesBefore && inbox_)
      inbox_->pushInstrumentChange({InstrumentChange::Kind::Listed, (*registry_)[index], {}});
    Instrument inst = info.instrument;
    inst.venue = id();
    inst.underlyingId = index;
    const InstrumentId newId = known ? known->id : registry_->add(std::move(inst));
    Symbol s;
    s.id = newId;
    s.name = info.instrument.name;
    s.lower = lowerOf(s.name);
    s.minNotional = info.minNotional;
    bySymbolId_[newId] = symbols_.size();
    symbols_.push_back(s);
    decoder_->addSymbol(s.name, newId, index);
    {
      std::lock_guard lock(mutex_);
      if (tickers_.size() < registry_->size()) tickers_.resize(registry_->size());
    }
    if (initial) continue;
    {
      std::lock_guard lock(mutex_);
      ++counters_.instrumentsListed;
    }
    log::info(kLog, "symbol listed while running: " + s.name);
    if (inbox_) inbox_->pushInstrumentChange({InstrumentChange::Kind::Listed, (*registry_)[newId], {}});
    for (const std::string& st : streamsOf(s)) subscribe.push_back(st);
    if (marketOpen_) startBook(newId, "listed while running");
  }
  if (initial) return;
  // An answer that leaves out most of what is listed is far likelier a partial or broken answer
  // than a mass delisting: nothing is retired on it (a retirement is for good, and it ends the
  // engine's working orders on the symbol). A symbol is retired only when the answer is plausible.
  std::size_t active = 0, missing = 0;
  for (const Symbol& s : symbols_)
    if (s.active) ++active, missing += present.count(s.name) ? 0 : 1;
  const bool plausible = !(missing > 0 && missing * 2 > active);
  if (!plausible)
    log::warn(kLog, "exchangeInfo refresh lists " + std::to_string(active - missing) + " of our " + std::to_string(active) +
                        " symbols: taken for a partial answer, nothing retired");
  std::vector<std::string> unsubscribe;
  for (Symbol& s : symbols_) {
    if (!plausible || !s.active || present.count(s.name)) continue;
    s.active = false;
    registry_->retire(s.id);
    decoder_->forget(s.id);
    snapshotQueued_.erase(s.id);
    {
      std::lock_guard lock(mutex_);
      ++counters_.instrumentsRetired;
    }
    log::info(kLog, "symbol retired (delisted or delivered): " + s.name);
    flush();
    if (inbox_) inbox_->pushInstrumentChange({InstrumentChange::Kind::Retired, (*registry_)[s.id], "delisted/delivered"});
    for (const std::string& st : streamsOf(s)) unsubscribe.push_back(st);
    // The engine ends our working orders on it with the retirement; at Binance they must end too
    // (a SETTLING symbol keeps its orders), or one could still trade with nobody tracking it.
    const std::vector<std::string> working = tracker_->workingSymbols();
    if (std::find(working.begin(), working.end(), s.name) != working.end()) cancelOrdersOfRetired(s.name);
  }
  auto send = [this](const char* method, const std::vector<std::string>& streams) {
    if (streams.empty() || !market_) return;
    std::string msg = std::string("{\"method\":\"") + method + "\",\"params\":[";
    for (std::size_t i = 0; i < streams.size(); ++i) msg += (i ? ",\"" : "\"") + streams[i] + "\"";
    msg += "],\"id\":" + std::to_string(++requestId_) + "}";
    market_->send(std::move(msg));
  };
  send("SUBSCRIBE", subscribe);
  send("UNSUBSCRIBE", unsubscribe);
  updateAllLive();
}

void BinanceVenue::scheduleInstrumentRefresh() {
  if (config_.instrumentRefresh.count() <= 0) return;
  refreshTimer_.expires_after(config_.instrumentRefresh);
  refreshTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    refreshInstruments();
    scheduleInstrumentRefresh();
  });
}

void BinanceVenue::refreshInstruments() {
  const std::uint64_t generation = generation_;
  publicRequest("GET", "/fapi/v1/exchangeInfo", "", 1, [this, generation](const HttpResponse& r, const ApiError*) {
    if (generation != generation_ || !r.ok()) return;
    std::vector<SymbolInfo> list;
    std::size_t skipped = 0;
    std::string error;
    if (!parseExchangeInfo(r.body, config_.baseAssets, list, skipped, error)) {
      log::warn(kLog, "exchangeInfo refresh unreadable: " + error);
      return;
    }
    applyExchangeInfo(list, false);
  });
}

std::vector<std::string> BinanceVenue::streamsOf(const Symbol& s) const {
  return {s.lower + "@depth@100ms", s.lower + "@aggTrade", s.lower + "@markPrice@1s", s.lower + "@bookTicker"};
}

// ---------------------------------------------------------------- connection

void BinanceVenue::connect(VenueListener& listener, asio::any_io_executor engine) {
  listener_ = &listener;
  engine_ = engine;
  inbox_ = std::make_shared<VenueInbox>(listener, engine);
  ioThread_.ensureRunning();
  asio::post(io_, [this] {
    if (!registry_ || symbols_.empty()) {
      setState(VenueState::Disconnected, "no instruments listed: " + listError());
      return;
    }
    startSession();
  });
}

void BinanceVenue::disconnect() {
  if (!ioThread_.running()) return;
  ioThread_.shutdown([this] {
    stopping_ = true;
    ++generation_;
    for (auto* t : {&reconnectTimer_, &keepAliveTimer_, &rotationTimer_, &refreshTimer_, &accountTimer_, &housekeepingTimer_,
                    &positionsTimer_})
      t->cancel();
    for (auto* w : {&market_, &standby_, &user_})
      if (*w) (*w)->close();
  });
  state_ = VenueState::Disconnected;
}

void BinanceVenue::startSession() {
  if (stopping_) return;
  ++generation_;
  marketOpen_ = userOpen_ = false;
  canTrade_ = false;
  setState(VenueState::Connecting, "connecting to " + config_.endpoint.environment + " (" + config_.endpoint.restBase + ")");
  housekeeping(generation_);
  measureTime([this, generation = generation_] {
    if (generation != generation_ || stopping_) return;
    openMarket(false);
    if (!config_.credentials.empty()) startUserStream();
  });
}

// Once a second: fills only a REST answer showed, which the user stream did not bring within 2 s,
// are booked from the REST figures (and a cancel held for them follows).
void BinanceVenue::housekeeping(std::uint64_t generation) {
  housekeepingTimer_.expires_after(std::chrono::seconds(1));
  housekeepingTimer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    tracker_->releaseHeld(monoNow(), 2 * kSecond, exec_);
    flush();
    forwardPositionChanges(monoNow());
    sendPositionsWhenReady();  // positions waiting for held fills go once they are booked
    housekeeping(generation);
  });
}

void BinanceVenue::openMarket(bool standby) {
  std::string url = config_.endpoint.wsBase + "/stream?streams=";
  bool first = true;
  for (const Symbol& s : symbols_) {
    if (!s.active) continue;
    for (const std::string& st : streamsOf(s)) {
      url += (first ? "" : "/") + st;
      first = false;
    }
  }
  const std::uint64_t conn = ++connSerial_;
  const std::uint64_t generation = generation_;
  net::WsOptions options;
  options.connectTimeout = config_.connectTimeout;
  options.caFile = config_.endpoint.caFile;
  WsTransport::Handlers h;
  h.onOpen = [this, conn, generation, standby] {
    if (generation != generation_ || stopping_) return;
    if (standby) {
      log::info(kLog, "standby market connection open: waiting for its stream to catch up");
      return;
    }
    marketOpen_ = true;
    attempts_ = 0;
    const bool reconnected = everConnected_;
    everConnected_ = true;
    {
      std::lock_guard lock(mutex_);
      ++counters_.sessions;
      if (reconnected) ++counters_.reconnects;
    }
    // Every book syncs afresh: buffer from now, snapshot each.
    for (const Symbol& s : symbols_)
      if (s.active) startBook(s.id, reconnected ? "reconnected" : "connected");
    flush();
    std::string detail = config_.endpoint.environment +
                         (config_.credentials.empty() ? ", market data only (no API key)" : ", API key " + config_.credentials.maskedKey());
    if (reconnected) detail += ", reconnected";
    setState(VenueState::Connected, detail);
    scheduleRotation();
    scheduleInstrumentRefresh();
    if (reconnected) refreshInstruments();
    (void)conn;
  };
  h.onMessage = [this, conn](std::string_view text) { onMarketMessage(conn, text); };
  h.onClose = [this, conn, generation](const std::string& reason) {
    if (generation != generation_) return;
    onMarketClosed(conn, reason);
  };
  std::string error;
  auto t = net::makeWsTransport(io_, url, options, std::move(h), error);
  if (!t) {
    log::error(kLog, error);
    setState(VenueState::Disconnected, error);
    return;
  }
  if (standby) {
    standby_ = t;
    standbyConn_ = conn;
    standbyCaughtUp_.clear();
  } else {
    market_ = t;
    marketConn_ = conn;
  }
  t->start();
}

void BinanceVenue::onMarketClosed(std::uint64_t conn, const std::string& reason) {
  if (conn == standbyConn_) {  // the standby failed: the current connection goes on; try later
    standby_.reset();
    standbyConn_ = 0;
    log::warn(kLog, "standby market connection closed (" + reason + "); rotation retried in 60 s");
    rotationTimer_.expires_after(std::chrono::seconds(60));
    rotationTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
      if (!ec && generation == generation_ && !stopping_) openMarket(true);
    });
    return;
  }
  if (conn != marketConn_) return;  // an old one, closed after a rotation
  endSession("market stream: " + reason);
}

void BinanceVenue::endSession(const std::string& reason) {
  ++generation_;  // every callback of this session is ignored from now
  marketOpen_ = userOpen_ = false;
  canTrade_ = false;
  for (auto* w : {&market_, &standby_, &user_}) {
    if (*w) (*w)->close();
    w->reset();
  }
  marketConn_ = standbyConn_ = 0;
  for (auto* t : {&keepAliveTimer_, &rotationTimer_, &refreshTimer_, &positionsTimer_}) t->cancel();
  // The session's requests are ignored from now (their generation is gone); a positions request
  // still wanted is sent by the next session once it has reconciled.
  reconcileOutstanding_ = 0;
  positionsInFlight_ = positionsRetryPending_ = false;
  positionsAttempts_ = 0;
  heldPositions_.clear();  // the next session's reconciliation asks the whole account
  snapshotQueue_.clear();
  snapshotQueued_.clear();
  snapshotsInFlight_ = 0;
  std::vector<SnapshotRequest> ignored;
  for (const Symbol& s : symbols_) {
    if (!s.active) continue;
    decoder_->sync().stop(s.id);
    MdEvent e;
    e.type = MdType::BookStale;
    e.instrument = s.id;
    md_.push_back(e);
  }
  updateAllLive();
  flush();
  if (stopping_) {
    setState(VenueState::Disconnected, "disconnected");
    return;
  }
  scheduleReconnect(reason);
}

void BinanceVenue::scheduleReconnect(const std::string& reason) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto base = std::min<std::int64_t>(config_.backoffMax.count(), config_.backoffInitial.count() << std::min(attempts_, 16));
  ++attempts_;
  const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  const auto delay = std::chrono::milliseconds(std::min<std::int64_t>(config_.backoffMax.count(), std::int64_t(double(base) * jitter)));
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", double(delay.count()) / 1000.0);
  log::warn(kLog, "connection lost (" + reason + "); next retry in " + secs + " s");
  std::string detail = reason + "; next retry in " + secs + " s";
  if (bannedUntilMs_ > wallNow() / 1'000'000) detail = "IP banned by Binance (418) until " + utcTime(bannedUntilMs_) + "; " + detail;
  setState(VenueState::Disconnected, detail);
  reconnectTimer_.expires_after(delay);
  reconnectTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) startSession();
  });
}

void BinanceVenue::scheduleRotation() {
  rotationTimer_.expires_after(config_.connectionLifetime);
  rotationTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    log::info(kLog, "rotating the market connection before Binance's 24 h cut-off");
    openMarket(true);
    auto timer = std::make_shared<asio::steady_timer>(io_, config_.rotationTimeout);
    timer->async_wait([this, timer, generation, conn = standbyConn_](const boost::system::error_code& ec) {
      if (!ec && generation == generation_ && standbyConn_ == conn && standby_ && standby_->isOpen())
        promoteStandby("the standby did not catch up within the rotation timeout");
    });
  });
}

void BinanceVenue::rotateNow() {
  asio::post(io_, [this] {
    if (!marketOpen_ || standby_) return;
    rotationTimer_.expires_after(std::chrono::milliseconds(0));
    rotationTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
      if (ec || generation != generation_ || stopping_) return;
      openMarket(true);
      auto timer = std::make_shared<asio::steady_timer>(io_, config_.rotationTimeout);
      timer->async_wait([this, timer, generation, conn = standbyConn_](const boost::system::error_code& ec) {
        if (!ec && generation == generation_ && standbyConn_ == conn && standby_ && standby_->isOpen())
          promoteStandby("the standby did not catch up within the rotation timeout");
      });
    });
  });
}

// The standby becomes the market connection; the old one closes. Books its stream has not been
// seen to overlap (`why` says why we did not wait longer) sync afresh.
void BinanceVenue::promoteStandby(const std::string& why) {
  auto old = market_;
  market_ = standby_;
  marketConn_ = standbyConn_;
  standby_.reset();
  standbyConn_ = 0;
  if (old) old->close();
  for (const Symbol& s : symbols_)
    if (s.active && !standbyCaughtUp_.count(s.id)) startBook(s.id, "connection rotated: " + why);
  standbyCaughtUp_.clear();
  {
    std::lock_guard lock(mutex_);
    ++counters_.rotations;
  }
  log::info(kLog, "market connection rotated" + (why.empty() ? std::string(" without a resync") : " (" + why + ")"));
  flush();
  scheduleRotation();
}

void BinanceVenue::onMarketMessage(std::uint64_t conn, std::string_view text) {
  if (conn == standbyConn_) {
    std::vector<InstrumentId> caught;
    decoder_->decodeStandby(text, caught);
    for (InstrumentId id : caught) standbyCaughtUp_.insert(id);
    bool all = true;
    for (const Symbol& s : symbols_)
      if (s.active && decoder_->sync().state(s.id) == DepthSync::State::Live && !standbyCaughtUp_.count(s.id)) all = false;
    if (all && !caught.empty()) promoteStandby("");
    return;
  }
  if (conn != marketConn_) return;  // the old connection, closing after a rotation
  static_assert(WsTransport::kReadPadding >= BinanceDecoder::kPadding);
  const DecodeResult r = decoder_->decodePadded(text, batch_);
  if (r.kind == MessageKind::Malformed) {
    std::lock_guard lock(mutex_);
    ++counters_.malformed;
  }
  handleBatch();
}

void BinanceVenue::handleBatch() {
  if (!batch_.md.empty()) md_.insert(md_.end(), batch_.md.begin(), batch_.md.end());
  for (const SnapshotRequest& rq : batch_.snapshotRequests) {
    if (const Symbol* s = symbolOf(rq.instrument)) log::warn(kLog, s->name + " book stale: " + rq.reason + "; fetching a new snapshot");
    {
      std::lock_guard lock(mutex_);
      ++counters_.resyncs;
    }
    if (snapshotQueued_.insert(rq.instrument).second) snapshotQueue_.push_back(rq.instrument);
  }
  if (!batch_.tickers.empty()) {
    std::lock_guard lock(mutex_);
    for (const BinanceTicker& t : batch_.tickers)
      if (t.instrument < tickers_.size()) tickers_[t.instrument] = t;
  }
  for (const BinanceOrderUpdate& o : batch_.orders) {
    tracker_->onOrder(o, exec_, monoNow());
    if (o.isTrade) {  // any of the account's, ours or not: the positions it changed may be compared
      Nanos& last = lastTradeTs_[o.symbol];
      last = std::max(last, o.ts);
      lastTradeArrival_[o.symbol] = monoNow();
    }
  }
  for (const BinanceAccountUpdate& a : batch_.accounts)
    for (const BinancePositionUpdate& p : a.positions) heldPositions_[p.symbol] = {p, a.ts, monoNow()};
  if (!batch_.accounts.empty()) fetchAccount();  // the event has wallet balances only: margins come with the account
  const bool expired = batch_.listenKeyExpired;
  const bool hadRequests = !batch_.snapshotRequests.empty();
  batch_.clear();
  flush();
  if (hadRequests || !allLive_.load(std::memory_order_relaxed)) updateAllLive();  // a bridging book goes live with its first diff
  if (hadRequests) pumpSnapshots();
  if (expired) {
    log::warn(kLog, "listenKey expired: a new user data stream and a full reconciliation");
    replaceUserStream();
  }
}

void BinanceVenue::flush() {
  if (inbox_ && (!md_.empty() || !exec_.empty())) inbox_->push(md_, exec_);
}

void BinanceVenue::updateAllLive() {
  bool all = marketOpen_;
  for (const Symbol& s : symbols_)
    if (s.active && decoder_->sync().state(s.id) != DepthSync::State::Live) all = false;
  allLive_ = all;
}

// ---------------------------------------------------------------- books

void BinanceVenue::startBook(InstrumentId id, const std::string& reason) {
  std::vector<SnapshotRequest> requests;
  decoder_->sync().start(id, reason, md_, requests);
  for (const SnapshotRequest& rq : requests)
    if (snapshotQueued_.insert(rq.instrument).second) snapshotQueue_.push_back(rq.instrument);
  updateAllLive();
  // The snapshot waits a moment: the stream's first events must be buffered before it is taken,
  // or the snapshot may be newer than the first event we hold (Binance's own advice).
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(200));
  timer->async_wait([this, timer, generation = generation_](const boost::system::error_code& ec) {
    if (!ec && generation == generation_) pumpSnapshots();
  });
}

void BinanceVenue::pumpSnapshots() {
  while (marketOpen_ && snapshotsInFlight_ < config_.snapshotsInFlight && !snapshotQueue_.empty()) {
    const InstrumentId id = snapshotQueue_.front();
    snapshotQueue_.pop_front();
    fetchSnapshot(id);
  }
}

void BinanceVenue::fetchSnapshot(InstrumentId id) {
  const Symbol* s = symbolOf(id);
  if (!s || !s->active) {
    snapshotQueued_.erase(id);
    return;
  }
  ++snapshotsInFlight_;
  const std::uint64_t generation = generation_;
  const int weight = config_.depthLimit <= 100 ? 5 : config_.depthLimit <= 500 ? 10 : 20;
  publicRequest("GET", "/fapi/v1/depth", "symbol=" + s->name + "&limit=" + std::to_string(config_.depthLimit), weight,
                [this, id, generation](const HttpResponse& r, const ApiError* e) {
                  if (generation != generation_) return;
                  --snapshotsInFlight_;
                  snapshotQueued_.erase(id);
                  std::uint64_t last = 0;
                  std::vector<MdEvent> levels;
                  Nanos ts = 0;
                  std::string error = r.ok() ? std::string() : e ? describeOrderError(*e) : !r.error.empty() ? r.error : "HTTP " + std::to_string(r.status);
                  if (error.empty() && !parseDepthSnapshot(r.body, last, levels, ts, error)) error = "unreadable: " + error;
                  if (!error.empty()) {
                    const Symbol* s = symbolOf(id);
                    log::warn(kLog, (s ? s->name : std::string("?")) + " depth snapshot failed (" + error + "); again in 1 s");
                    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
                    timer->async_wait([this, timer, id, generation](const boost::system::error_code& ec) {
                      if (ec || generation != generation_ || decoder_->sync().state(id) != DepthSync::State::Buffering) return;
                      if (snapshotQueued_.insert(id).second) snapshotQueue_.push_back(id);
                      pumpSnapshots();
                    });
                    pumpSnapshots();
                    return;
                  }
                  std::vector<SnapshotRequest> again;
                  const auto outcome = decoder_->sync().onSnapshot(id, last, levels.data(), levels.size(), ts == 0 ? wallNow() : ts, md_, again);
                  if (outcome == DepthSync::SnapshotOutcome::Applied) {
                    std::lock_guard lock(mutex_);
                    ++counters_.snapshots;
                  }
                  flush();
                  for (const SnapshotRequest& rq : again) {
                    const Symbol* s = symbolOf(id);
                    log::info(kLog, (s ? s->name : std::string("?")) + ": " + rq.reason + "; fetching another");
                    std::lock_guard lock(mutex_);
                    ++counters_.resyncs;
                  }
                  if (!again.empty()) {
                    // Binance's snapshot lags the stream at times: the next one a moment later.
                    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(250));
                    timer->async_wait([this, timer, id, generation](const boost::system::error_code& ec) {
                      if (ec || generation != generation_) return;
                      if (snapshotQueued_.insert(id).second) snapshotQueue_.push_back(id);
                      pumpSnapshots();
                    });
                  }
                  updateAllLive();
                  pumpSnapshots();
                });
}

void BinanceVenue::requestSnapshot(InstrumentId id) {
  asio::post(io_, [this, id] {
    if (!marketOpen_ || !symbolOf(id) || decoder_->sync().state(id) == DepthSync::State::Buffering) return;
    {
      std::lock_guard lock(mutex_);
      ++counters_.resyncs;
    }
    startBook(id, "the engine asked for a snapshot");
    flush();
  });
}

// ---------------------------------------------------------------- user data stream

void BinanceVenue::startUserStream() {
  const std::uint64_t generation = generation_;
  keyRequest("POST", "/fapi/v1/listenKey", [this, generation](const HttpResponse& r, const ApiError* e) {
    if (generation != generation_ || stopping_) return;
    std::string error;
    if (!r.ok() || !parseListenKey(r.body, listenKey_, error)) {
      const std::string why = e ? describeOrderError(*e) : !r.error.empty() ? r.error : error.empty() ? "HTTP " + std::to_string(r.status) : error;
      log::error(kLog, "no user data stream: " + why);
      endSession("listenKey refused: " + why);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      ++counters_.listenKeys;
    }
    openUserStream();
  });
}

// The user stream starts again on a new listen key; the old connection closes quietly. Orders
// cannot be sent until the new one is open (canTrade_), and its opening reconciles.
void BinanceVenue::replaceUserStream() {
  userConn_ = 0;
  userOpen_ = false;
  canTrade_ = false;
  if (user_) {
    auto old = user_;
    user_.reset();
    old->close();
  }
  startUserStream();
}

void BinanceVenue::openUserStream() {
  const std::uint64_t generation = generation_;
  net::WsOptions options;
  options.connectTimeout = config_.connectTimeout;
  options.caFile = config_.endpoint.caFile;
  options.idleTimeout = std::chrono::seconds(60);  // the user stream is quiet between events: Beast's pings keep it alive
  const std::uint64_t conn = ++connSerial_;
  userConn_ = conn;
  WsTransport::Handlers h;
  h.onOpen = [this, generation, conn] {
    if (generation != generation_ || stopping_ || conn != userConn_) return;
    userOpen_ = true;
    canTrade_ = true;
    ++userStreamOpens_;
    keepAliveListenKey();
    // Everything the stream may have missed while it was not open: the full picture again.
    reconcile();
    fetchAccount();
  };
  h.onMessage = [this, generation, conn](std::string_view text) {
    if (generation == generation_ && conn == userConn_) onUserMessage(text);
  };
  h.onClose = [this, generation, conn](const std::string& reason) {
    // One replaced on purpose (listenKeyExpired, a failed keepalive) closes quietly.
    if (generation != generation_ || stopping_ || conn != userConn_) return;
    userOpen_ = false;
    canTrade_ = false;
    endSession("user data stream: " + reason);
  };
  std::string error;
  user_ = net::makeWsTransport(io_, config_.endpoint.wsBase + "/ws/" + listenKey_, options, std::move(h), error);
  if (!user_) {
    endSession(error);
    return;
  }
  user_->start();
}

void BinanceVenue::keepAliveListenKey() {
  keepAliveTimer_.expires_after(config_.listenKeyKeepAlive);
  keepAliveTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    keyRequest("PUT", "/fapi/v1/listenKey", [this, generation](const HttpResponse& r, const ApiError* e) {
      if (generation != generation_) return;
      if (!r.ok()) {
        // -1125: the key is gone. A new one (and a reconciliation) is what listenKeyExpired does.
        log::warn(kLog, "listenKey keepalive failed (" + (e ? describeOrderError(*e) : r.error) + "): a new user data stream");
        replaceUserStream();
        return;
      }
      keepAliveListenKey();
    });
  });
}

void BinanceVenue::onUserMessage(std::string_view text) {
  const DecodeResult r = decoder_->decodePadded(text, batch_);
  if (r.kind == MessageKind::Malformed) {
    log::warn(kLog, "user data message unreadable: " + r.error);
    std::lock_guard lock(mutex_);
    ++counters_.malformed;
  }
  handleBatch();
}

void BinanceVenue::fetchAccount() {
  if (config_.credentials.empty() || accountQueued_) return;
  accountQueued_ = true;  // a burst of ACCOUNT_UPDATEs asks once
  accountTimer_.expires_after(std::chrono::milliseconds(200));
  accountTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    accountQueued_ = false;
    if (ec || generation != generation_) return;
    signedRequest("GET", "/fapi/v2/account", "", 5, false, [this, generation](const HttpResponse& r, const ApiError* e) {
      if (generation != generation_) return;
      VenueAccount a;
      std::string error;
      if (!r.ok() || !parseAccount(r.body, "USDT", a, error)) {
        log::warn(kLog, "account not read: " + (e ? describeOrderError(*e) : !r.error.empty() ? r.error : error));
        return;
      }
      if (a.ts == 0) a.ts = wallNow();
      {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(accounts_.begin(), accounts_.end(), [&](const VenueAccount& x) { return x.currency == a.currency; });
        if (it == accounts_.end()) accounts_.push_back(a);
        else *it = a;
      }
      if (listener_) asio::post(engine_, [l = listener_, a] { l->onAccount(a); });
    });
  });
}

// ---------------------------------------------------------------- orders

void BinanceVenue::submit(const VenueOrder& order) {
  asio::post(io_, [this, order] { doSubmit(order); });
}
void BinanceVenue::cancel(OrderId orderId) {
  asio::post(io_, [this, orderId] { doCancel(orderId); });
}
void BinanceVenue::replace(OrderId orderId, Price newPrice, Qty newLeaves) {
  asio::post(io_, [this, orderId, newPrice, newLeaves] { doReplace(orderId, newPrice, newLeaves); });
}

void BinanceVenue::doSubmit(const VenueOrder& order) {
  const OrderRequest& q = order.request;
  const Symbol* s = symbolOf(q.instrument);
  tracker_->add(order.orderId, q, s ? s->name : std::string());
  std::string refusal;
  if (config_.credentials.empty())
    refusal = "no Binance API key: market data only";
  else if (!marketOpen_ || !userOpen_)
    refusal = "not connected to Binance";
  else if (!s || !s->active || !(*registry_)[q.instrument].tradable)
    refusal = "not a tradable Binance symbol";
  else if (q.type == OrderType::Limit && s->minNotional > 0 && toDouble(q.price) * toDouble(q.qty) < s->minNotional)
    refusal = "order value below Binance's minimum notional of " + formatTrimmed(toFixed(s->minNotional)) + " USDT for " + s->name;
  if (!refusal.empty()) {
    tracker_->reject(order.orderId, refusal, wallNow(), exec_, /*notSent=*/true);
    flush();
    return;
  }
  std::string p = "symbol=" + s->name + "&side=" + (q.side == Side::Buy ? "BUY" : "SELL");
  if (q.type == OrderType::Market) {
    p += "&type=MARKET";
  } else {
    const char* tif = q.postOnly ? "GTX" : q.tif == TimeInForce::ImmediateOrCancel ? "IOC" : "GTC";
    p += std::string("&type=LIMIT&timeInForce=") + tif + "&price=" + formatTrimmed(q.price);
  }
  p += "&quantity=" + formatTrimmed(q.qty);
  if (q.reduceOnly) p += "&reduceOnly=true";
  p += "&newClientOrderId=" + clientOrderIdOf(order.orderId);
  const OrderId id = order.orderId;
  signedRequest("POST", "/fapi/v1/order", p, 0, true, [this, id](const HttpResponse& r, const ApiError* e) {
    if (r.ok()) {
      BinanceOrderUpdate u;
      std::string error;
      if (parseOrder(r.body, u, error)) tracker_->onOrder(u, exec_, monoNow());
    } else if (e && r.status < 500 && e->code != -1006 && e->code != -1007) {
      tracker_->reject(id, describeOrderError(*e), wallNow(), exec_);
    } else if ((r.status == 0 && r.sent) || r.status >= 500 || (e && (e->code == -1006 || e->code == -1007))) {
      // Sent, and no answer or one that says the outcome is unknown (Binance: a 5xx, -1006
      // "unexpected response", -1007 "timeout ... execution status unknown"): it may have reached
      // the exchange and be working. Ask by our id; never send it again, never call it rejected.
      unknownOutcome_.insert(id);
      {
        std::lock_guard lock(mutex_);
        ++counters_.unknownOutcomes;
      }
      log::warn(kLog, "order " + std::to_string(id) + ": " + (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error) + ", outcome unknown; asking Binance by origClientOrderId");
      resolveOrder(id);
    } else {  // never written (no connection, our own request budget): not a venue reject
      tracker_->reject(id, r.error.empty() ? "HTTP " + std::to_string(r.status) + " from Binance" : r.error, wallNow(), exec_,
                       r.status == 0 && !r.sent);
    }
    flush();
  });
}

// An order request whose answer never came: GET /fapi/v1/order?origClientOrderId says whether it
// exists. -2013 (no such order) proves it never will only once the request's timestamp is older
// than its recvWindow (from then on the exchange refuses it, -1021): until then it may still be on
// its way or queued inside the exchange, and would appear after we called it rejected, working
// with nobody tracking it. So a first -2013 is asked again recvWindow + 1 s later (the request was
// signed before that first answer); a -2013 then means it never arrived: rejected, not sent again.
// Any other failure proves nothing: asked again, 1 s apart.
void BinanceVenue::resolveOrder(OrderId id, int attempt) {
  BinanceOrderTracker::Tracked* o = tracker_->find(id);
  if (!o || o->symbol.empty()) return;
  const std::uint64_t generation = generation_;
  if (attempt == 0) reconcileStarted();  // until the last attempt's answer
  signedRequest("GET", "/fapi/v1/order", "symbol=" + o->symbol + "&origClientOrderId=" + clientOrderIdOf(id), 1, false,
                [this, id, attempt, generation](const HttpResponse& r, const ApiError* e) {
                  if (r.ok()) {
                    BinanceOrderUpdate u;
                    std::string error;
                    if (parseOrder(r.body, u, error)) tracker_->onOrder(u, exec_, monoNow());
                    unknownOutcome_.erase(id);
                    absentSince_.erase(id);
                  } else if (e && e->code == -2013) {
                    const Nanos now = monoNow();
                    const Nanos first = absentSince_.emplace(id, now).first->second;
                    const Nanos proof = first + Nanos(config_.recvWindow.count() + 1000) * 1'000'000;
                    if (now < proof && generation == generation_) {
                      log::info(kLog, "order " + std::to_string(id) + ": Binance has no order with its id yet; asked again once its recvWindow has passed");
                      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::nanoseconds(proof - now));
                      timer->async_wait([this, timer, id, attempt, generation](const boost::system::error_code& ec) {
                        if (!ec && generation == generation_) resolveOrder(id, attempt);
                      });
                    } else if (now >= proof) {
                      unknownOutcome_.erase(id);
                      absentSince_.erase(id);
                      tracker_->reject(id, "the request got no answer and Binance has no order with its id: not sent again", wallNow(), exec_);
                    }
                  } else if (attempt < 5 && generation == generation_) {
                    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
                    timer->async_wait([this, timer, id, attempt, generation](const boost::system::error_code& ec) {
                      if (!ec && generation == generation_) resolveOrder(id, attempt + 1);
                    });
                    flush();
                    return;
                  } else {
                    log::error(kLog, "order " + std::to_string(id) + ": outcome still unknown (" +
                                         (e ? describeOrderError(*e) : r.error) + "); asked again at the next reconciliation");
                  }
                  flush();
                  reconcileDone(generation);
                });
}

void BinanceVenue::refuseChange(OrderId id, const std::string& reason) {
  ExecReport rep;
  rep.orderId = id;
  rep.type = ExecType::CancelReject;
  rep.ts = wallNow();
  rep.reason = reason;
  exec_.push_back(rep);
  flush();
}

void BinanceVenue::doCancel(OrderId id) {
  BinanceOrderTracker::Tracked* o = tracker_->find(id);
  if (!o || o->terminal || o->symbol.empty()) return refuseChange(id, "the order is not working at Binance");
  if (!marketOpen_) return refuseChange(id, "not connected to Binance");
  // By our id: works before the ack too.
  signedRequest("DELETE", "/fapi/v1/order", "symbol=" + o->symbol + "&origClientOrderId=" + clientOrderIdOf(id), 1, true,
                [this, id](const HttpResponse& r, const ApiError* e) {
                  if (r.ok()) {
                    BinanceOrderUpdate u;
                    std::string error;
                    if (parseOrder(r.body, u, error)) tracker_->onOrder(u, exec_, monoNow());
                  } else if (outcomeUnknown(r, e)) {
                    checkUnansweredChange(id, true, 0, 0, r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
                  } else {
                    refuseChange(id, e ? describeOrderError(*e) : r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
                  }
                  flush();
                });
}

void BinanceVenue::doReplace(OrderId id, Price price, Qty leaves) {
  BinanceOrderTracker::Tracked* o = tracker_->find(id);
  if (!o || o->terminal || o->symbol.empty()) return refuseChange(id, "the order is not working at Binance");
  if (!marketOpen_) return refuseChange(id, "not connected to Binance");
  if (!o->acked) return refuseChange(id, "not yet acknowledged by Binance: modify it after the ack");
  const std::string p = "symbol=" + o->symbol + "&side=" + (o->request.side == Side::Buy ? "BUY" : "SELL") +
                        "&quantity=" + formatTrimmed(o->filled + leaves) + "&price=" + formatTrimmed(price) +
                        "&origClientOrderId=" + clientOrderIdOf(id);
  const Qty amount = o->filled + leaves;
  signedRequest("PUT", "/fapi/v1/order", p, 1, true, [this, id, price, amount](const HttpResponse& r, const ApiError* e) {
    if (r.ok()) {
      BinanceOrderUpdate u;
      std::string error;
      if (parseOrder(r.body, u, error)) tracker_->onOrder(u, exec_, monoNow());
    } else if (outcomeUnknown(r, e)) {
      checkUnansweredChange(id, false, price, amount, r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
    } else {
      refuseChange(id, e ? describeOrderError(*e) : r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error);
    }
    flush();
  });
}

// Sent, and no answer or one that says the outcome is unknown (a 5xx, -1006, -1007): it may have
// been done at Binance.
bool BinanceVenue::outcomeUnknown(const HttpResponse& r, const ApiError* e) {
  return (r.status == 0 && r.sent) || r.status >= 500 || (e && (e->code == -1006 || e->code == -1007));
}

// A cancel or modify whose answer never came may have been done: Binance's own view of the order
// (GET by our id) decides, and the engine is told the change was refused only if the order is not
// as it asked (still working after a cancel; another price or quantity after a modify). Never sent
// again on its own: the trader decides.
void BinanceVenue::checkUnansweredChange(OrderId id, bool cancel, Price price, Qty amount, const std::string& why) {
  BinanceOrderTracker::Tracked* o = tracker_->find(id);
  if (!o || o->symbol.empty()) return refuseChange(id, why);
  log::warn(kLog, "order " + std::to_string(id) + ": " + (cancel ? "cancel" : "modify") + " got no answer (" + why +
                      "); asking Binance by origClientOrderId");
  signedRequest("GET", "/fapi/v1/order", "symbol=" + o->symbol + "&origClientOrderId=" + clientOrderIdOf(id), 1, false,
                [this, id, cancel, price, amount, why](const HttpResponse& r, const ApiError*) {
                  if (r.ok()) {
                    BinanceOrderUpdate u;
                    std::string error;
                    if (parseOrder(r.body, u, error)) tracker_->onOrder(u, exec_, monoNow());
                  }
                  const BinanceOrderTracker::Tracked* t = tracker_->find(id);
                  const bool done = t && (cancel ? t->terminal || t->terminalHeld : t->price == price && t->amount == amount);
                  if (!done && r.ok())
                    refuseChange(id, "no answer from Binance (" + why + ") and the order is not " +
                                         (cancel ? "cancelled" : "changed") + " there");
                  else if (!done)  // unknown still: the user stream or the next reconciliation tells
                    refuseChange(id, "no answer from Binance (" + why + "), and the order's state could not be read");
                  flush();
                });
}

bool BinanceVenue::cancelAllOrders() {
  if (!canTrade_.load()) return false;
  asio::post(io_, [this] { doCancelAll(); });
  return true;
}

// HALT: DELETE allOpenOrders for every symbol with an order of ours working, at once; and, in
// case orders of an earlier session or another tool work elsewhere, the open-order list decides
// which other symbols get one too.
void BinanceVenue::doCancelAll() {
  if (!marketOpen_ || !userOpen_) {
    setState(state_.load(), "cancel all: not connected to Binance");
    return;
  }
  auto done = std::make_shared<std::set<std::string>>();
  for (const std::string& sym : tracker_->workingSymbols()) {
    done->insert(sym);
    cancelAllFor(sym);
  }
  const std::uint64_t generation = generation_;
  signedRequest("GET", "/fapi/v1/openOrders", "", 40, false, [this, done, generation](const HttpResponse& r, const ApiError*) {
    if (generation != generation_) return;
    std::vector<BinanceOrderUpdate> open;
    std::string error;
    if (!r.ok() || !parseOrders(r.body, open, error)) return;
    for (const BinanceOrderUpdate& o : open)
      if (bySymbolId_.count(decoder_->find(o.symbol)) && done->insert(o.symbol).second) cancelAllFor(o.symbol);
    if (done->empty()) tellCancelAll(log::Level::Info, "cancel all: Binance lists no open order", true);
  });
}

void BinanceVenue::cancelAllFor(const std::string& symbol) {
  const Nanos sent = monoNow();
  signedRequest("DELETE", "/fapi/v1/allOpenOrders", "symbol=" + symbol, 1, true, [this, symbol, sent](const HttpResponse& r, const ApiError* e) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", double(monoNow() - sent) / 1e6);
    if (r.ok())
      tellCancelAll(log::Level::Info, "cancel all " + symbol + ": Binance confirmed (" + ms + " ms)", true);
    else
      tellCancelAll(log::Level::Error, "cancel all " + symbol + " FAILED: " +
                                           (e ? describeOrderError(*e) : r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error));
  });
}

void BinanceVenue::cancelOrdersOfRetired(const std::string& symbol) {
  signedRequest("DELETE", "/fapi/v1/allOpenOrders", "symbol=" + symbol, 1, true, [symbol](const HttpResponse& r, const ApiError* e) {
    if (r.ok())
      log::info(kLog, "working orders of retired " + symbol + " cancelled at Binance");
    else  // gone from the list: Binance closed it, and its orders with it
      log::warn(kLog, "working orders of retired " + symbol + " not cancelled: " +
                          (e ? describeOrderError(*e) : r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error));
  });
}

void BinanceVenue::tellCancelAll(log::Level level, const std::string& what, bool confirmed) {
  if (confirmed) {
    std::lock_guard lock(mutex_);
    ++counters_.cancelAllConfirmed;
  }
  log::write(level, kLog, what);
  setState(state_.load(), what);
}

// ---------------------------------------------------------------- reconciliation

void BinanceVenue::reconcile() {
  fetchOpenOrders();
  for (OrderId id : std::set<OrderId>(unknownOutcome_)) resolveOrder(id);
  auto queries = std::move(pendingQueries_);
  pendingQueries_.clear();
  for (auto& ids : queries) queryOrders(ids);
  // After the first stream of the run, positions too (a reconnect, a new listen key): what
  // happened while the stream was down. At start-up the engine asks itself, after its orders.
  // Either way they are sent only once the requests above have answered and the fills they
  // brought are booked: asked alongside, fills of the time away would reach the engine after the
  // positions that already hold them, and read as a difference.
  if (userStreamOpens_ > 1) positionsWanted_ = true;
  sendPositionsWhenReady();
}

void BinanceVenue::reconcileDone(std::uint64_t generation) {
  if (generation != generation_) return;  // a session ended since: its count was reset
  if (reconcileOutstanding_ > 0) --reconcileOutstanding_;
  sendPositionsWhenReady();
}

void BinanceVenue::fetchOpenOrders() {
  const std::uint64_t generation = generation_;
  reconcileStarted();
  signedRequest("GET", "/fapi/v1/openOrders", "", 40, false, [this, generation](const HttpResponse& r, const ApiError* e) {
    if (generation != generation_) return;
    std::vector<BinanceOrderUpdate> open;
    std::string error;
    if (!r.ok() || !parseOrders(r.body, open, error)) {
      // Without the list, what our working orders did while the stream was away is unknown: asked
      // again shortly (positions wait for it).
      const auto delay = std::max(std::chrono::milliseconds(2'000), pauseLeft());
      log::warn(kLog, "open orders not read: " + (e ? describeOrderError(*e) : !r.error.empty() ? r.error : error) +
                          "; asked again in " + std::to_string(delay.count() / 1000) + " s");
      auto timer = std::make_shared<asio::steady_timer>(io_, delay);
      timer->async_wait([this, timer, generation](const boost::system::error_code& ec) {
        if (ec || generation != generation_) return;
        fetchOpenOrders();
        reconcileDone(generation);
      });
      return;
    }
    std::set<OrderId> listed;
    for (const BinanceOrderUpdate& o : open) {
      listed.insert(orderIdFromClientId(o.clientOrderId));
      tracker_->onOrder(o, exec_, monoNow());
    }
    // Ours we think are working that Binance no longer lists: ask what became of each.
    for (OrderId id : tracker_->workingOrders())
      if (!listed.count(id) && !unknownOutcome_.count(id)) {
        if (auto* o = tracker_->find(id); o && !o->adopted) resolveOrder(id);
      }
    flush();
    reconcileDone(generation);
  });
}

void BinanceVenue::queryOrders(const std::vector<OrderId>& ids) {
  asio::post(io_, [this, ids] {
    if (!userOpen_) {
      pendingQueries_.push_back(ids);
      return;
    }
    for (OrderId id : ids) {
      tracker_->adopt(id);
      reconcileStarted();  // until its lookup ends
      lookUpEarlierOrder(id, 0, 0);
    }
  });
}

// An earlier session's order, by our id, symbol by symbol (which one it traded is not known).
// Only -2013 answers from every symbol prove Binance has no such order.
void BinanceVenue::lookUpEarlierOrder(OrderId id, std::size_t symbolIndex, int attempt) {
  while (symbolIndex < symbols_.size() && !symbols_[symbolIndex].active) ++symbolIndex;
  if (symbolIndex >= symbols_.size()) {
    tracker_->notFound(id, "Binance has no order with this id (it never arrived, or is too old to be listed)", wallNow(), exec_);
    flush();
    reconcileDone(generation_);
    return;
  }
  const std::uint64_t generation = generation_;
  const std::string symbol = symbols_[symbolIndex].name;
  signedRequest("GET", "/fapi/v1/order", "symbol=" + symbol + "&origClientOrderId=" + clientOrderIdOf(id), 1, false,
                [this, id, symbolIndex, attempt, generation, symbol](const HttpResponse& r, const ApiError* e) {
                  if (generation != generation_) return;
                  if (r.ok()) {
                    BinanceOrderUpdate u;
                    std::string error;
                    if (parseOrder(r.body, u, error)) {
                      if (auto* o = tracker_->find(id)) o->symbol = symbol;
                      tracker_->onOrder(u, exec_, monoNow());
                      flush();
                    }
                    reconcileDone(generation);
                    return;
                  }
                  if (e && e->code == -2013) return lookUpEarlierOrder(id, symbolIndex + 1, 0);
                  if (attempt >= 5) {
                    log::error(kLog, "order " + std::to_string(id) + " of an earlier session: still unknown (" +
                                         (e ? describeOrderError(*e) : r.error) + ")");
                    reconcileDone(generation);
                    return;
                  }
                  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
                  timer->async_wait([this, timer, id, symbolIndex, attempt, generation](const boost::system::error_code& ec) {
                    if (!ec && generation == generation_) lookUpEarlierOrder(id, symbolIndex, attempt + 1);
                  });
                });
}

void BinanceVenue::queryPositions() {
  asio::post(io_, [this] {
    positionsWanted_ = true;
    sendPositionsWhenReady();
  });
}

void BinanceVenue::sendPositionsWhenReady() {
  if (!positionsWanted_ || positionsInFlight_ || positionsRetryPending_ || config_.credentials.empty() || stopping_) return;
  // Not yet: the next session, the end of the reconciliation or the booking of held fills calls
  // again (the latter from housekeeping, once a second).
  if (!marketOpen_ || !userOpen_ || reconcileOutstanding_ > 0 || !pendingQueries_.empty() || tracker_->holdsRestFills()) return;
  positionsInFlight_ = true;
  const std::uint64_t generation = generation_;
  signedRequest("GET", "/fapi/v2/positionRisk", "", 5, false, [this, generation](const HttpResponse& r, const ApiError* e) {
    if (generation != generation_) return;  // endSession reset the flags; the next session asks
    positionsInFlight_ = false;
    std::vector<BinancePositionUpdate> list;
    std::string error;
    if (!r.ok() || !parsePositionRisk(r.body, list, error)) {
      // A partial or missing answer would read as "flat": nothing is sent, and it is asked again.
      return retryPositions(e ? describeOrderError(*e) : !r.error.empty() ? r.error : !error.empty() ? error : "HTTP " + std::to_string(r.status));
    }
    positionsWanted_ = false;
    positionsAttempts_ = 0;
    std::vector<VenuePosition> positions;
    for (const BinancePositionUpdate& p : list) {
      const InstrumentId id = decoder_->find(p.symbol);
      if (id == kNoInstrument || p.amount == 0) continue;
      positions.push_back({id, p.amount, toFixed(p.entryPrice)});
    }
    flush();  // every execution report before the positions that hold its fill
    {
      std::lock_guard lock(mutex_);
      ++counters_.positionAnswers;
    }
    if (listener_) asio::post(engine_, [l = listener_, positions] { l->onPositions(positions); });
  });
}

std::chrono::milliseconds BinanceVenue::pauseLeft() const {
  const Nanos pause = std::max<Nanos>(backoffUntil_ - monoNow(), (bannedUntilMs_ - wallNow() / 1'000'000) * 1'000'000);
  return pause > 0 ? std::chrono::milliseconds(pause / 1'000'000 + 100) : std::chrono::milliseconds(0);
}

void BinanceVenue::retryPositions(const std::string& why) {
  auto delay = std::chrono::milliseconds(std::min<std::int64_t>(30'000, std::int64_t(1'000) << std::min(positionsAttempts_, 5)));
  ++positionsAttempts_;
  delay = std::max(delay, pauseLeft());  // asked sooner, it would only be refused again
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", double(delay.count()) / 1000.0);
  log::warn(kLog, "positionRisk not read (" + why + "); asked again in " + secs + " s");
  {
    std::lock_guard lock(mutex_);
    ++counters_.positionRetries;
  }
  positionsRetryPending_ = true;
  positionsTimer_.expires_after(delay);
  positionsTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (ec || generation != generation_) return;
    positionsRetryPending_ = false;
    sendPositionsWhenReady();
  });
}

void BinanceVenue::forwardPositionChanges(Nanos now) {
  if (heldPositions_.empty()) return;
  constexpr Nanos kLongest = 5 * kSecond;  // a change no trade of ours explains (a margin type change, another program): sent all the same
  std::vector<VenuePosition> ready;
  for (auto it = heldPositions_.begin(); it != heldPositions_.end();) {
    const HeldPosition& h = it->second;
    const auto trade = lastTradeTs_.find(it->first);
    // Caught up: the stream has brought the trades up to the position's transaction time, the
    // symbol's trades have paused (one order taking several levels brings several trades, and a
    // position may already count all of them), and no fill of it is held back.
    const auto arrived = lastTradeArrival_.find(it->first);
    const bool quiet = arrived == lastTradeArrival_.end() || now - arrived->second >= kSecond / 5;
    const bool caughtUp = trade != lastTradeTs_.end() && trade->second >= h.txTime && quiet && !tracker_->holdsRestFills(it->first);
    if (!caughtUp && now - h.heldSince < kLongest) {
      ++it;
      continue;
    }
    const InstrumentId id = decoder_->find(it->first);
    if (id != kNoInstrument) ready.push_back({id, h.position.amount, toFixed(h.position.entryPrice)});
    it = heldPositions_.erase(it);
  }
  if (ready.empty() || !listener_) return;
  flush();  // the trades' execution reports first
  {
    std::lock_guard lock(mutex_);
    counters_.positionChangesSent += ready.size();
  }
  asio::post(engine_, [l = listener_, ready] { l->onPositionChanges(ready); });
}

}  // namespace kappa::binance
