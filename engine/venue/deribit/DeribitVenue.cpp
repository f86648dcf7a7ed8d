#include "venue/deribit/DeribitVenue.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <utility>

#include <boost/asio/post.hpp>

#include "core/Clock.hpp"
#include "core/Log.hpp"
#include "venue/deribit/DeribitErrors.hpp"
#include "venue/deribit/DeribitOrderTracker.hpp"
#include "venue/deribit/DeribitSession.hpp"
#include "venue/deribit/JsonRpcClient.hpp"
#include "venue/net/WsTransport.hpp"

namespace kappa::deribit {

namespace asio = boost::asio;
using simdjson::dom::element;
using net::makeWsTransport;
using net::WsOptions;
using net::WsTransport;

namespace {

constexpr int kMaxTradePages = 50;  // 50,000 trades per currency per reconciliation at most

Nanos msToNanos(std::uint64_t ms) { return Nanos(ms) * 1'000'000; }

std::string str(element e, const char* key) {
  std::string_view v;
  return e[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}
double num(element e, const char* key) {
  double v;
  return e[key].get_double().get(v) == simdjson::SUCCESS && std::isfinite(v) ? v : 0.0;
}
std::uint64_t u64(element e, const char* key) {
  std::uint64_t v;
  return e[key].get_uint64().get(v) == simdjson::SUCCESS ? v : 0;
}

bool orderFromDom(element e, DeribitOrderUpdate& o) {
  o.exchangeOrderId = str(e, "order_id");
  if (o.exchangeOrderId.empty()) return false;
  o.label = str(e, "label");
  o.instrumentName = str(e, "instrument_name");
  const std::string state = str(e, "order_state");
  o.state = state == "open"        ? DeribitOrderState::Open
            : state == "filled"    ? DeribitOrderState::Filled
            : state == "cancelled" ? DeribitOrderState::Cancelled
            : state == "rejected"  ? DeribitOrderState::Rejected
            : state == "untriggered" ? DeribitOrderState::Untriggered
                                     : DeribitOrderState::Unknown;
  o.side = str(e, "direction") == "sell" ? Side::Sell : Side::Buy;
  o.price = toFixed(num(e, "price"));  // "market_price" reads as 0
  o.amount = toFixed(num(e, "amount"));
  o.filledAmount = toFixed(num(e, "filled_amount"));
  o.averagePrice = toFixed(num(e, "average_price"));
  bool replaced = false;
  if (e["replaced"].get_bool().get(replaced) == simdjson::SUCCESS) o.replaced = replaced;
  o.reason = str(e, "cancel_reason");
  if (o.reason.empty()) o.reason = str(e, "reject_reason");
  o.ts = msToNanos(u64(e, "last_update_timestamp"));
  return true;
}

bool tradeFromDom(element e, DeribitUserTrade& t) {
  t.tradeId = str(e, "trade_id");
  t.exchangeOrderId = str(e, "order_id");
  if (t.tradeId.empty() || t.exchangeOrderId.empty()) return false;
  t.label = str(e, "label");
  t.instrumentName = str(e, "instrument_name");
  t.side = str(e, "direction") == "sell" ? Side::Sell : Side::Buy;
  t.price = toFixed(num(e, "price"));
  t.amount = toFixed(num(e, "amount"));
  t.fee = num(e, "fee");
  t.maker = str(e, "liquidity") == "M";
  t.ts = msToNanos(u64(e, "timestamp"));
  return t.amount > 0;
}

std::string jsonQuoted(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

std::string channelList(const std::vector<std::string>& channels, std::size_t from, std::size_t to) {
  std::string p = "{\"channels\":[";
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) p += ',';
    appendJsonString(p, channels[i]);
  }
  p += "]}";
  return p;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

DeribitVenue::DeribitVenue(DeribitVenueConfig config)
    : config_(std::move(config)),
      tracker_(std::make_unique<DeribitOrderTracker>()),
      limiter_(config_.limits, monoNow()),
      reconnectTimer_(io_),
      housekeepingTimer_(io_) {
  rpc_ = std::make_unique<JsonRpcClient>(io_, limiter_);
  rpc_->onErrorAnswer([this](int code, const std::string& method) {
    // 13009 on a private request once logged in: the exchange no longer takes our token. Log in
    // again on this connection (the refused request itself was answered to its caller, who
    // told the trader why; orders and subscriptions stay).
    if (code != kInvalidToken || !ready_ || !authorised_ || !session_ || method.rfind("private/", 0) != 0) return;
    if (session_->reauthenticate()) {
      std::lock_guard lock(mutex_);
      ++counters_.reauthentications;
    }
  });
}

DeribitVenue::~DeribitVenue() {
  disconnect();
  ioThread_.stop();  // listed but never connected
}

std::string DeribitVenue::envName() const {
  return config_.endpoint.environment == "custom" ? config_.endpoint.url : config_.endpoint.environment;
}

std::string DeribitVenue::listError() const {
  std::lock_guard lock(mutex_);
  return listError_;
}

DeribitCounters DeribitVenue::counters() const {
  std::lock_guard lock(mutex_);
  DeribitCounters c = counters_;
  return c;
}

std::optional<DeribitTicker> DeribitVenue::ticker(InstrumentId id) const {
  std::lock_guard lock(mutex_);
  if (id >= tickers_.size() || tickers_[id].instrument == kNoInstrument) return std::nullopt;
  return tickers_[id];
}

VenueSummary DeribitVenue::summary() const {
  const DeribitCounters c = counters();
  VenueSummary s;
  s.environment = config_.endpoint.environment;
  s.endpoint = config_.endpoint.url;
  s.state = state_.load();
  s.reconnects = c.reconnects;
  s.resyncs = c.resyncs;
  s.rateLimited = c.rateLimited;
  s.tooManyRequests = c.tooManyRequests;
  s.heartbeatLatency = c.heartbeatLatencyUs;
  s.accounts = accounts();
  return s;
}

std::vector<VenueAccount> DeribitVenue::accounts() const {
  std::lock_guard lock(mutex_);
  return accounts_;
}

// ---------------------------------------------------------------- instruments

void DeribitVenue::listInstruments(InstrumentRegistry& registry) {
  instruments_ = &registry;
  ioThread_.ensureRunning();
  struct Listing {
    std::promise<void> done;
    bool finished = false;
    std::string error;
    int outstanding = 0;
    std::map<std::string, std::vector<std::string>> results;  // "BTC/future" -> result JSON
    std::map<std::string, std::string> refused;               // "ETH/option" -> the exchange's reason
    std::shared_ptr<WsTransport> transport;
    std::unique_ptr<JsonRpcClient> rpc;
    std::unique_ptr<DeribitRateLimiter> limiter;
  };
  auto listing = std::make_shared<Listing>();
  auto future = listing->done.get_future();
  asio::post(io_, [this, listing] {
    auto finish = [listing](std::string error) {
      if (listing->finished) return;
      listing->finished = true;
      listing->error = std::move(error);
      if (listing->transport) listing->transport->close();
      listing->done.set_value();
    };
    listing->limiter = std::make_unique<DeribitRateLimiter>(config_.limits, monoNow());
    listing->rpc = std::make_unique<JsonRpcClient>(io_, *listing->limiter);
    WsOptions options;
    options.connectTimeout = config_.connectTimeout;
    options.caFile = config_.endpoint.caFile;
    WsTransport::Handlers h;
    h.onOpen = [this, listing, finish] {
      listing->rpc->attach([listing](std::string s) {
        if (listing->transport) listing->transport->send(std::move(s));
      });
      for (const std::string& currency : config_.currencies)
        for (const char* kind : {"future", "option"}) {
          ++listing->outstanding;
          const std::string key = currency + "/" + kind;
          listing->rpc->call("public/get_instruments",
                             "{\"currency\":" + jsonQuoted(currency) + ",\"kind\":\"" + kind + "\",\"expired\":false}",
                             [listing, key, finish](const RpcReply& r) {
                               if (listing->finished) return;
                               // A currency the exchange refuses is skipped (said below); the
                               // connection failing ends the listing.
                               if (r.ok())
                                 listing->results[key].push_back(simdjson::minify(r.result));
                               else if (r.outcomeUnknown())
                                 return finish("public/get_instruments " + key + ": " + r.reason);
                               else
                                 listing->refused[key] = r.reason;
                               if (--listing->outstanding == 0) finish({});
                             },
                             {config_.listTimeout});
        }
    };
    h.onMessage = [listing](std::string_view text) { listing->rpc->onResponse(text); };
    h.onClose = [listing, finish](const std::string& reason) {
      listing->rpc->detach(reason);
      finish("connection closed: " + reason);
    };
    std::string error;
    listing->transport = makeWsTransport(io_, config_.endpoint.url, options, std::move(h), error);
    if (!listing->transport) return finish(error);
    listing->transport->start();
  });
  std::string error;
  if (future.wait_for(config_.listTimeout + std::chrono::seconds(2)) != std::future_status::ready) {
    error = "no instrument list from " + envName() + " within " + std::to_string(config_.listTimeout.count() / 1000) + " s";
    asio::post(io_, [listing] {
      if (listing->transport) listing->transport->close();
    });
  } else {
    error = listing->error;
  }
  // The listing connection is done with; its objects die on the I/O thread.
  asio::post(io_, [listing] {
    if (listing->transport) listing->transport->close();
  });
  if (!error.empty()) {
    log::error("deribit", "cannot list instruments: " + error);
    std::lock_guard lock(mutex_);
    listError_ = error;
    return;
  }
  std::size_t skipped = 0, added = 0;
  std::vector<std::string> listed;
  for (const std::string& currency : config_.currencies) {
    const bool refused = listing->refused.count(currency + "/future") && listing->refused.count(currency + "/option");
    if (refused) {
      log::warn("deribit", currency + " skipped: the exchange refused its instrument list (" +
                               listing->refused[currency + "/future"] + ")");
      continue;
    }
    listed.push_back(currency);
    Instrument indexInst = indexInstrument(currency);
    indexInst.venue = id();
    const InstrumentId index = registry.add(std::move(indexInst));
    for (const char* kind : {"future", "option"}) {
      for (const std::string& json : listing->results[currency + "/" + kind]) {
        std::vector<Instrument> list;
        std::vector<std::string> skippedNames;
        std::string parseError;
        if (!parseInstruments(json, index, list, skippedNames, parseError)) {
          log::warn("deribit", "instrument list " + currency + "/" + kind + " unreadable: " + parseError);
          continue;
        }
        skipped += skippedNames.size();
        std::sort(list.begin(), list.end(), [](const Instrument& a, const Instrument& b) {
          if (a.expiry != b.expiry) return a.expiry < b.expiry;
          if (a.strike != b.strike) return a.strike < b.strike;
          return a.name < b.name;
        });
        for (Instrument& inst : list) {
          if (registry.find(id(), inst.name)) continue;
          inst.venue = id();
          registry.add(std::move(inst));
          ++added;
        }
      }
    }
  }
  if (listed.empty()) {
    const std::string why = "the exchange lists none of the configured currencies";
    log::error("deribit", "cannot list instruments: " + why);
    std::lock_guard lock(mutex_);
    listError_ = why;
    return;
  }
  config_.currencies = listed;  // subscriptions, reconciliation and cancel-all use what was listed
  log::info("deribit", "listed " + std::to_string(added) + " instruments from " + envName() + " (" +
                           std::to_string(skipped) + " of other kinds skipped)");
}

// ---------------------------------------------------------------- connection

void DeribitVenue::connect(VenueListener& listener, asio::any_io_executor engine) {
  listener_ = &listener;
  engine_ = engine;
  inbox_ = std::make_shared<VenueInbox>(listener, engine);
  decoder_ = std::make_unique<DeribitDecoder>(*instruments_, id());
  {
    std::lock_guard lock(mutex_);
    tickers_.assign(instruments_->size(), DeribitTicker{});
  }
  sessionStartMs_ = std::uint64_t(wallNow() / 1'000'000);
  ioThread_.ensureRunning();
  asio::post(io_, [this] { startConnection(); });
}

void DeribitVenue::disconnect() {
  if (!ioThread_.running()) return;
  ioThread_.shutdown([this] {
    stopping_ = true;
    reconnectTimer_.cancel();
    housekeepingTimer_.cancel();
    refreshTimer_.cancel();
    if (session_) session_->stop();
    if (transport_) transport_->close();
  });
  state_ = VenueState::Disconnected;
}

void DeribitVenue::setState(VenueState s, std::string detail) {
  state_ = s;
  if (!listener_) return;
  asio::post(engine_, [l = listener_, s, detail = std::move(detail)] { l->onVenueState(s, detail); });
}

void DeribitVenue::startConnection() {
  if (stopping_) return;
  const std::uint64_t generation = ++generation_;
  ready_ = false;
  authorised_ = false;
  canTrade_ = false;
  setState(VenueState::Connecting, "connecting to " + envName());
  WsOptions options;
  options.connectTimeout = config_.connectTimeout;
  options.caFile = config_.endpoint.caFile;
  WsTransport::Handlers h;
  h.onOpen = [this, generation] { onOpen(generation); };
  h.onMessage = [this](std::string_view text) { onMessage(text); };
  h.onClose = [this, generation](const std::string& reason) { onClosed(generation, reason); };
  std::string error;
  transport_ = makeWsTransport(io_, config_.endpoint.url, options, std::move(h), error);
  if (!transport_) {  // a bad URL or CA file does not get better by retrying
    log::error("deribit", error);
    setState(VenueState::Disconnected, error);
    return;
  }
  transport_->start();
}

void DeribitVenue::onOpen(std::uint64_t generation) {
  if (generation != generation_ || stopping_) return;
  std::weak_ptr<WsTransport> weak = transport_;
  rpc_->attach([weak](std::string text) {
    if (auto t = weak.lock()) t->send(std::move(text));
  });
  SessionConfig sc;
  sc.credentials = config_.credentials;
  sc.signatureAuth = config_.signatureAuth;
  sc.heartbeatIntervalS = config_.heartbeatIntervalS;
  sc.cancelOnDisconnect = config_.cancelOnDisconnect;
  sc.requestTimeout = config_.requestTimeout;
  session_ = std::make_unique<DeribitSession>(io_, *rpc_, sc);
  session_->onRoundTrip([this](std::int64_t us) {
    std::lock_guard lock(mutex_);
    counters_.heartbeatLatencyUs = us;
  });
  session_->onDeadLink([this, generation](const std::string& reason) {
    if (generation != generation_ || stopping_) return;
    {
      std::lock_guard lock(mutex_);
      ++counters_.deadLinks;
    }
    loginFailure_ = reason;  // what the trader reads while we retry
    if (transport_) transport_->close();  // onClosed schedules the reconnect
  });
  session_->start([this, generation](bool authorised) {
    if (generation == generation_) onReady(authorised);
  }, [this, generation](const std::string& reason, int code) {
    if (generation != generation_ || stopping_) return;
    log::error("deribit", "login failed: " + reason);
    loginFailure_ = reason;  // what the trader reads while we retry, rather than "closed by us"
    if (transport_) transport_->close();  // onClosed schedules the retry with backoff
    (void)code;
  });
}

void DeribitVenue::onClosed(std::uint64_t generation, const std::string& reason) {
  if (generation != generation_) return;
  transport_.reset();
  ready_ = false;
  canTrade_ = false;
  if (session_) session_->stop();
  // Requests in flight end now; orders among them become "outcome unknown" (resolved by label).
  rpc_->detach(reason);
  session_.reset();
  markAllBooksStale();
  flush();
  if (stopping_) {
    setState(VenueState::Disconnected, "disconnected");
    return;
  }
  scheduleReconnect(loginFailure_.empty() ? reason : loginFailure_);
  loginFailure_.clear();
}

void DeribitVenue::scheduleReconnect(const std::string& reason) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto base = std::min<std::int64_t>(config_.backoffMax.count(),
                                           config_.backoffInitial.count() << std::min(attempts_, 16));
  ++attempts_;
  // ±20 % jitter, so that many clients dropped at once do not come back at once.
  const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  const auto delay = std::chrono::milliseconds(std::min<std::int64_t>(config_.backoffMax.count(), std::int64_t(double(base) * jitter)));
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", double(delay.count()) / 1000.0);
  log::warn("deribit", "connection lost (" + reason + "); next retry in " + secs + " s");
  setState(VenueState::Disconnected, reason + "; next retry in " + secs + " s");
  reconnectTimer_.expires_after(delay);
  reconnectTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) startConnection();
  });
}

void DeribitVenue::markAllBooksStale() {
  if (decoder_) decoder_->awaitAllSnapshots();
  resyncing_.clear();
  resyncQueue_.clear();  // the next login subscribes everything afresh
  for (const Instrument& inst : instruments_->all()) {
    if (inst.venue != id() || inst.kind == InstrumentKind::Index) continue;
    MdEvent e;
    e.type = MdType::BookStale;
    e.instrument = inst.id;
    md_.push_back(e);
  }
}

std::string DeribitVenue::currencyOf(InstrumentId id) const {
  return id < instruments_->size() ? (*instruments_)[id].baseCurrency : std::string();
}

std::vector<std::string> DeribitVenue::channels() const {
  const std::string interval = authorised_ ? "raw" : "100ms";
  std::vector<std::string> ch;
  ch.push_back("platform_state");
  for (const std::string& c : config_.currencies) {
    ch.push_back("deribit_price_index." + lower(c) + "_usd");
    ch.push_back("trades.future." + c + "." + interval);
    ch.push_back("trades.option." + c + "." + interval);
    ch.push_back("instrument.state.future." + c);  // listings and expiries while running
    ch.push_back("instrument.state.option." + c);
    if (authorised_) ch.push_back("user.portfolio." + lower(c));
  }
  if (authorised_) {
    ch.push_back("user.orders.any.any.raw");
    ch.push_back("user.trades.any.any.raw");
  }
  for (const Instrument& inst : instruments_->all()) {
    if (inst.venue != id() || inst.kind == InstrumentKind::Index || instruments_->retired(inst.id)) continue;
    ch.push_back("book." + inst.name + "." + interval);
    ch.push_back("ticker." + inst.name + ".100ms");
  }
  return ch;
}

void DeribitVenue::onReady(bool authorised) {
  authorised_ = authorised;
  ready_ = true;
  canTrade_ = authorised;
  attempts_ = 0;
  const bool reconnected = everConnected_;
  everConnected_ = true;
  {
    std::lock_guard lock(mutex_);
    ++counters_.sessions;
    if (reconnected) ++counters_.reconnects;
  }
  decoder_->awaitAllSnapshots();
  subscribeAll();
  std::string detail = envName() + (authorised ? ", logged in as " + config_.credentials.maskedId() : ", market data only (no API key)");
  if (reconnected) detail += ", reconnected";
  setState(VenueState::Connected, detail);
  if (authorised) {
    for (const std::string& currency : std::exchange(cancelAllAfterLogin_, {})) cancelAllFor(currency);
    if (reconnected) reconcile();
    for (OrderId id : std::set<OrderId>(unknownOutcome_)) resolveByLabel(id);
    auto queries = std::move(pendingQueries_);
    pendingQueries_.clear();
    for (auto& ids : queries) queryOrders(ids);
  }
  housekeeping(generation_);
  scheduleInstrumentRefresh(generation_);
  // What was listed or settled since listInstruments (or while we were away) is caught at once.
  refreshInstruments(reconnected ? "reconnected" : "logged in");
}

// Once a second: terminal states held for fills that never came are released after 5 s.
void DeribitVenue::housekeeping(std::uint64_t generation) {
  housekeepingTimer_.expires_after(std::chrono::seconds(1));
  housekeepingTimer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || stopping_) return;
    tracker_->releaseStale(monoNow(), 5'000'000'000LL, exec_);
    flush();
    housekeeping(generation);
  });
}

void DeribitVenue::subscribeAll() {
  const std::vector<std::string> ch = channels();
  const std::string method = authorised_ ? "private/subscribe" : "public/subscribe";
  const std::size_t batch = std::max<std::size_t>(1, config_.subscribeBatch);
  const std::uint64_t generation = generation_;
  for (std::size_t from = 0; from < ch.size(); from += batch) {
    const std::size_t to = std::min(ch.size(), from + batch);
    const std::size_t asked = to - from;
    rpc_->call(method, channelList(ch, from, to), [this, generation, asked, method](const RpcReply& r) {
      if (generation != generation_ || stopping_ || r.status == RpcReply::Status::ConnectionLost) return;
      if (!r.ok()) {
        log::warn("deribit", method + " refused: " + r.reason);
        return;
      }
      simdjson::dom::array got;
      if (r.result.get_array().get(got) == simdjson::SUCCESS && got.size() < asked)
        log::warn("deribit", method + ": the exchange subscribed " + std::to_string(got.size()) + " of " +
                                 std::to_string(asked) + " channels");
    }, {config_.requestTimeout});
  }
}

void DeribitVenue::resync(InstrumentId id, const std::string& reason) {
  if (!ready_ || id >= instruments_->size() || (*instruments_)[id].kind == InstrumentKind::Index ||
      instruments_->retired(id))  // expired/settled: no snapshot will ever come
    return;
  decoder_->awaitSnapshot(id);
  if (!resyncing_.insert(id).second) return;  // already on its way to a fresh snapshot
  {
    std::lock_guard lock(mutex_);
    ++counters_.resyncs;
  }
  log::info("deribit", (*instruments_)[id].name + ": resubscribing for a fresh snapshot (" + reason + ")");
  resyncQueue_.push_back(id);
  if (resyncPosted_) return;
  // Books that go stale together (a lock, a burst of gaps) resubscribe together: one unsubscribe
  // and one subscribe per batch of channels, not two requests per book.
  resyncPosted_ = true;
  asio::post(io_, [this, generation = generation_] {
    resyncPosted_ = false;
    if (generation == generation_) sendResyncs();
  });
}

void DeribitVenue::sendResyncs() {
  if (!ready_ || resyncQueue_.empty()) return;
  const std::string interval = authorised_ ? "raw" : "100ms";
  const std::string prefix = authorised_ ? "private/" : "public/";
  const std::size_t batch = std::max<std::size_t>(1, config_.subscribeBatch);
  const std::uint64_t generation = generation_;
  while (!resyncQueue_.empty()) {
    auto ids = std::make_shared<std::vector<InstrumentId>>();
    std::vector<std::string> channels;
    while (!resyncQueue_.empty() && ids->size() < batch) {
      ids->push_back(resyncQueue_.front());
      channels.push_back("book." + (*instruments_)[resyncQueue_.front()].name + "." + interval);
      resyncQueue_.pop_front();
    }
    const std::string params = channelList(channels, 0, channels.size());
    // A failed resubscription is tried again a second later (same connection only).
    auto retry = [this, generation, ids](const std::string& why) {
      if (stopping_ || !ready_) return;  // the next login subscribes everything afresh
      log::warn("deribit", "resubscribing " + std::to_string(ids->size()) + " books failed (" + why + "); again in 1 s");
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
      timer->async_wait([this, generation, ids, timer](const boost::system::error_code& ec) {
        if (ec || generation != generation_) return;
        for (InstrumentId id : *ids) resyncQueue_.push_back(id);
        sendResyncs();
      });
    };
    rpc_->call(prefix + "unsubscribe", params, [this, generation, ids, params, prefix, retry](const RpcReply& r) {
      if (generation != generation_) return;
      if (!r.ok()) return retry(r.reason);
      rpc_->call(prefix + "subscribe", params, [this, generation, ids, retry](const RpcReply& r) {
        if (generation != generation_) return;
        if (!r.ok()) return retry(r.reason);
        for (InstrumentId id : *ids) resyncing_.erase(id);
      }, {config_.requestTimeout});
    }, {config_.requestTimeout});
  }
}

// ---------------------------------------------------------------- messages

void DeribitVenue::onMessage(std::string_view text) {
  static_assert(WsTransport::kReadPadding >= DeribitDecoder::kPadding);
  const DecodeResult r = decoder_->decodePadded(text, batch_);
  switch (r.kind) {
    case MessageKind::Response:
      rpc_->onResponse(text);
      break;
    case MessageKind::Heartbeat:
      if (session_) session_->onHeartbeat(r.testRequest);
      break;
    case MessageKind::Malformed: {
      std::lock_guard lock(mutex_);
      ++counters_.malformed;
      break;
    }
    case MessageKind::Notification:
      break;
  }
  if (!batch_.md.empty()) md_.insert(md_.end(), batch_.md.begin(), batch_.md.end());
  for (const DeribitInstrumentState& st : batch_.instrumentStates) onInstrumentState(st);
  for (const BookResync& rs : batch_.resyncs) {
    if (rs.reason.rfind("change_id gap", 0) == 0) {
      std::lock_guard lock(mutex_);
      ++counters_.gaps;
    }
    resync(rs.instrument, rs.reason);
  }
  if (!batch_.tickers.empty()) {
    {
      std::lock_guard lock(mutex_);
      for (const DeribitTicker& t : batch_.tickers)
        if (t.instrument < tickers_.size()) tickers_[t.instrument] = t;
    }
    // Deribit's own mark and mark IV go to the engine too, to be shown beside our model's.
    for (const DeribitTicker& t : batch_.tickers) {
      MdEvent e;
      e.type = MdType::VenueMark;
      e.instrument = t.instrument;
      e.ts = t.ts;
      if (!(t.markPrice > 0) || t.markPrice > 1e9) continue;  // none, or not a price
      e.price = toFixed(t.markPrice);
      const double iv = t.markIv > 0 && t.markIv < 1e4 ? t.markIv / 100.0 : 0.0;  // Deribit sends percent
      e.qty = toFixed(iv);
      md_.push_back(e);
    }
  }
  for (const DeribitUserTrade& t : batch_.trades) tracker_->onTrade(t, exec_);
  for (const DeribitOrderUpdate& o : batch_.orders) tracker_->onOrder(o, exec_);
  for (const VenueAccount& a : batch_.accounts) {
    {
      std::lock_guard lock(mutex_);
      auto it = std::find_if(accounts_.begin(), accounts_.end(), [&](const VenueAccount& x) { return x.currency == a.currency; });
      if (it == accounts_.end())
        accounts_.push_back(a);
      else
        *it = a;
    }
    if (listener_) asio::post(engine_, [l = listener_, a] { l->onAccount(a); });
  }
  for (const DeribitPlatformState& p : batch_.platform) {
    const std::string what = p.priceIndex.empty() ? "the platform" : p.priceIndex;
    if (p.locked && lockedIndices_.insert(what).second) {
      log::warn("deribit", "exchange locked " + what + ": books stale, orders refused");
      for (const Instrument& inst : instruments_->all())
        if (inst.venue == id() && inst.kind != InstrumentKind::Index &&
            (p.priceIndex.empty() || lower(inst.baseCurrency) + "_usd" == p.priceIndex)) {
          MdEvent e;
          e.type = MdType::BookStale;
          e.instrument = inst.id;
          md_.push_back(e);
          decoder_->awaitSnapshot(inst.id);
        }
      setState(VenueState::Degraded, "exchange locked " + what + " (maintenance): orders refused");
    } else if (!p.locked && lockedIndices_.erase(what)) {
      log::info("deribit", "exchange unlocked " + what + ": resubscribing its books");
      for (const Instrument& inst : instruments_->all())
        if (inst.venue == id() && inst.kind != InstrumentKind::Index &&
            (p.priceIndex.empty() || lower(inst.baseCurrency) + "_usd" == p.priceIndex))
          resync(inst.id, "platform unlocked");
      if (lockedIndices_.empty()) setState(VenueState::Connected, envName() + ", exchange unlocked");
    }
  }
  batch_.clear();
  afterExec();
  flush();
}

void DeribitVenue::afterExec() {
  // An order acknowledged while a cancel waited for its exchange id: cancel it now.
  for (const ExecReport& r : exec_)
    if (r.type == ExecType::Ack)
      if (auto* o = tracker_->find(r.orderId); o && o->cancelWanted && !o->terminal) {
        o->cancelWanted = false;
        asio::post(io_, [this, id = r.orderId] { doCancel(id); });
      }
}

void DeribitVenue::flush() {
  if (inbox_ && (!md_.empty() || !exec_.empty())) inbox_->push(md_, exec_);
}

// ---------------------------------------------------------------- orders

void DeribitVenue::submit(const VenueOrder& order) {
  asio::post(io_, [this, order] { doSubmit(order); });
}
void DeribitVenue::cancel(OrderId orderId) {
  asio::post(io_, [this, orderId] { doCancel(orderId); });
}
void DeribitVenue::replace(OrderId orderId, Price newPrice, Qty newLeaves) {
  asio::post(io_, [this, orderId, newPrice, newLeaves] { doReplace(orderId, newPrice, newLeaves); });
}
void DeribitVenue::requestSnapshot(InstrumentId id) {
  asio::post(io_, [this, id] { resync(id, "the engine asked for a snapshot"); });
}

void DeribitVenue::doSubmit(const VenueOrder& order) {
  const OrderRequest& q = order.request;
  tracker_->add(order.orderId, q);
  std::string refusal;
  if (!ready_)
    refusal = "not connected to Deribit";
  else if (!authorised_)
    refusal = "not logged in to Deribit (no API key): market data only";
  else if (q.instrument >= instruments_->size() || (*instruments_)[q.instrument].venue != id() ||
           !(*instruments_)[q.instrument].tradable)
    refusal = "not a tradable Deribit instrument";
  else if (!lockedIndices_.empty() &&
           (lockedIndices_.count("the platform") || lockedIndices_.count(lower(currencyOf(q.instrument)) + "_usd")))
    refusal = "the exchange is locked (maintenance): orders refused";
  if (!refusal.empty()) {
    tracker_->reject(order.orderId, refusal, wallNow(), exec_, /*notSent=*/true);
    flush();
    return;
  }
  const Instrument& inst = (*instruments_)[q.instrument];
  std::string p = "{\"instrument_name\":" + jsonQuoted(inst.name) + ",\"amount\":" + formatTrimmed(q.qty);
  if (q.type == OrderType::Market) {
    p += ",\"type\":\"market\"";
  } else {
    p += ",\"type\":\"limit\",\"price\":" + formatTrimmed(q.price);
  }
  p += ",\"label\":\"" + std::to_string(order.orderId) + "\"";
  p += std::string(",\"time_in_force\":\"") +
       (q.tif == TimeInForce::ImmediateOrCancel ? "immediate_or_cancel" : "good_til_cancelled") + "\"";
  if (q.postOnly && q.type == OrderType::Limit) p += ",\"post_only\":true,\"reject_post_only\":true";
  if (q.reduceOnly) p += ",\"reduce_only\":true";
  p += '}';
  const OrderId id = order.orderId;
  const std::uint64_t generation = generation_;
  CallOptions opts{config_.requestTimeout, true};
  rpc_->call(q.side == Side::Buy ? "private/buy" : "private/sell", std::move(p),
             [this, id, generation](const RpcReply& r) {
               if (r.status == RpcReply::Status::RateLimited || r.code == kTooManyRequests) {
                 std::lock_guard lock(mutex_);
                 ++(r.code == kTooManyRequests ? counters_.tooManyRequests : counters_.rateLimited);
               }
               handleOrderReply(id, r, true);
               (void)generation;
             },
             opts);
}

void DeribitVenue::handleOrderReply(OrderId id, const RpcReply& r, bool isNewOrder) {
  if (r.ok()) {
    element orderElem;
    DeribitOrderUpdate u;
    // buy/sell/edit answer {order, trades}; cancel answers the order itself.
    if (r.result["order"].get(orderElem) != simdjson::SUCCESS) orderElem = r.result;
    simdjson::dom::array trades;
    if (r.result["trades"].get_array().get(trades) == simdjson::SUCCESS)
      for (element t : trades) {
        DeribitUserTrade ut;
        if (tradeFromDom(t, ut)) tracker_->onTrade(ut, exec_);
      }
    if (orderFromDom(orderElem, u)) {
      if (u.label.empty()) u.label = std::to_string(id);
      tracker_->onOrder(u, exec_);
    }
  } else if (r.outcomeUnknown() && r.code != -1) {
    // It may have reached the exchange: find out by label, never send it again.
    unknownOutcome_.insert(id);
    log::warn("deribit", "order " + std::to_string(id) + ": " + r.reason + "; asking the exchange by label");
    if (ready_) resolveByLabel(id);
  } else if (isNewOrder) {  // our own limiter's refusal was never sent
    tracker_->reject(id, r.reason, wallNow(), exec_, r.status == RpcReply::Status::RateLimited);
  } else {
    ExecReport rep;
    rep.orderId = id;
    rep.type = ExecType::CancelReject;
    rep.ts = wallNow();
    rep.reason = r.reason;
    exec_.push_back(rep);
  }
  afterExec();
  flush();
}

void DeribitVenue::resolveByLabel(OrderId id, int attempt) {
  DeribitOrderTracker::Tracked* o = tracker_->find(id);
  if (!o) return;
  const std::string currency = currencyOf(o->request.instrument);
  const std::uint64_t generation = generation_;
  // A lookup after a timeout meets a slow exchange: it gets three times as long.
  rpc_->call("private/get_order_state_by_label",
             "{\"currency\":" + jsonQuoted(currency) + ",\"label\":\"" + std::to_string(id) + "\"}",
             [this, id, generation, attempt](const RpcReply& r) {
               if (generation != generation_) return;  // asked again after the next login
               if (!r.ok()) {
                 if (attempt >= 5) {
                   log::error("deribit", "order " + std::to_string(id) + ": still unknown after 5 lookups (" + r.reason +
                                             "); asking again after the next login");
                   return;
                 }
                 auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
                 timer->async_wait([this, id, generation, attempt, timer](const boost::system::error_code& ec) {
                   if (!ec && generation == generation_ && ready_) resolveByLabel(id, attempt + 1);
                 });
                 return;
               }
               unknownOutcome_.erase(id);
               simdjson::dom::array list;
               bool found = false;
               if (r.result.get_array().get(list) == simdjson::SUCCESS)
                 for (element e : list) {
                   DeribitOrderUpdate u;
                   if (!orderFromDom(e, u)) continue;
                   found = true;
                   tracker_->onOrder(u, exec_);
                   if (auto* o = tracker_->find(id); o && u.filledAmount > o->filled)
                     fetchOrderTrades(id, u.exchangeOrderId);
                 }
               if (!found)
                 tracker_->reject(id, "the request got no answer and the exchange has no order with its label: not sent again",
                                  wallNow(), exec_);
               afterExec();
               flush();
             },
             {config_.requestTimeout * 3});
}

void DeribitVenue::fetchOrderTrades(OrderId id, const std::string& exchangeOrderId) {
  const std::uint64_t generation = generation_;
  rpc_->call("private/get_user_trades_by_order", "{\"order_id\":" + jsonQuoted(exchangeOrderId) + "}",
             [this, id, generation](const RpcReply& r) {
               if (generation != generation_ || !r.ok()) return;
               simdjson::dom::array list;
               if (r.result.get_array().get(list) != simdjson::SUCCESS &&
                   r.result["trades"].get_array().get(list) != simdjson::SUCCESS)
                 return;
               for (element e : list) {
                 DeribitUserTrade t;
                 if (!tradeFromDom(e, t) || tracker_->tradeSeen(t.tradeId)) continue;
                 if (t.label.empty()) t.label = std::to_string(id);
                 tracker_->onTrade(t, exec_);
                 std::lock_guard lock(mutex_);
                 ++counters_.reconciledFills;
               }
               afterExec();
               flush();
             },
             {config_.requestTimeout});
}

// A cancel or modify that cannot be sent: the engine hears CancelReject with the reason.
void DeribitVenue::refuseChange(OrderId id, const std::string& reason) {
  ExecReport rep;
  rep.orderId = id;
  rep.type = ExecType::CancelReject;
  rep.ts = wallNow();
  rep.reason = reason;
  exec_.push_back(rep);
  flush();
}

void DeribitVenue::doCancel(OrderId id) {
  DeribitOrderTracker::Tracked* o = tracker_->find(id);
  auto refuse = [&](const std::string& reason) { refuseChange(id, reason); };
  if (!o || o->terminal) return refuse("the order is not working at Deribit");
  if (!ready_) return refuse("not connected to Deribit (cancel-on-disconnect cancels the session's orders)");
  const std::uint64_t generation = generation_;
  if (o->exchangeOrderId.empty()) {
    // Not acknowledged yet: cancel by our label; if it has not reached the book either, the
    // cancel follows the ack (afterExec).
    o->cancelWanted = true;
    rpc_->call("private/cancel_by_label",
               "{\"label\":\"" + std::to_string(id) + "\",\"currency\":" + jsonQuoted(currencyOf(o->request.instrument)) + "}",
               [this, id, generation](const RpcReply& r) {
                 if (generation != generation_) return;
                 std::uint64_t n = 0;
                 if (r.ok() && r.result.get_uint64().get(n) == simdjson::SUCCESS && n > 0) {
                   if (auto* t = tracker_->find(id)) t->cancelWanted = false;
                   resolveByLabel(id);  // learn its final state (user.orders may say it first)
                 }
               },
               {config_.requestTimeout});
    return;
  }
  rpc_->call("private/cancel", "{\"order_id\":" + jsonQuoted(o->exchangeOrderId) + "}",
             [this, id](const RpcReply& r) { handleOrderReply(id, r, false); }, {config_.requestTimeout});
}

void DeribitVenue::doReplace(OrderId id, Price price, Qty leaves) {
  DeribitOrderTracker::Tracked* o = tracker_->find(id);
  auto refuse = [&](const std::string& reason) { refuseChange(id, reason); };
  if (!o || o->terminal) return refuse("the order is not working at Deribit");
  if (!ready_) return refuse("not connected to Deribit");
  if (o->exchangeOrderId.empty()) return refuse("not yet acknowledged by Deribit: modify it after the ack");
  std::string p = "{\"order_id\":" + jsonQuoted(o->exchangeOrderId) + ",\"amount\":" + formatTrimmed(o->filled + leaves) +
                  ",\"price\":" + formatTrimmed(price);
  if (o->request.postOnly) p += ",\"post_only\":true,\"reject_post_only\":true";
  p += '}';
  rpc_->call("private/edit", std::move(p), [this, id](const RpcReply& r) {
    if (r.status == RpcReply::Status::RateLimited || r.code == kTooManyRequests) {
      std::lock_guard lock(mutex_);
      ++(r.code == kTooManyRequests ? counters_.tooManyRequests : counters_.rateLimited);
    }
    handleOrderReply(id, r, false);
  }, {config_.requestTimeout, true});
}

bool DeribitVenue::cancelAllOrders() {
  if (!canTrade_.load()) return false;
  asio::post(io_, [this] { doCancelAll(); });
  return true;
}

void DeribitVenue::doCancelAll() {
  if (!ready_ || !authorised_) {
    setState(state_.load(), "cancel all: not connected; the exchange's cancel-on-disconnect covers this session's orders");
    return;
  }
  for (const std::string& currency : config_.currencies) cancelAllFor(currency);
}

void DeribitVenue::cancelAllFor(const std::string& currency, int attempt) {
  const Nanos sent = monoNow();
  const std::uint64_t generation = generation_;
  rpc_->call("private/cancel_all_by_currency", "{\"currency\":" + jsonQuoted(currency) + "}",
             [this, currency, sent, generation, attempt](const RpcReply& r) {
               char ms[32];
               std::snprintf(ms, sizeof ms, "%.1f", double(monoNow() - sent) / 1e6);
               if (r.status == RpcReply::Status::ConnectionLost) {
                 // It may or may not have reached the exchange. Cancelling all is idempotent:
                 // sent again right after the next login (before anything else can be sent).
                 cancelAllAfterLogin_.insert(currency);
                 tellCancelAll(log::Level::Warn, "cancel all " + currency + ": connection lost before the answer; sent again after the reconnect");
                 return;
               }
               if (r.status == RpcReply::Status::TimedOut) {
                 // The exchange may well have done it (its user.orders say so): look before
                 // telling the trader anything.
                 if (generation == generation_) verifyCancelAll(currency, r.reason, attempt);
                 return;
               }
               if (!r.ok()) {
                 tellCancelAll(log::Level::Error, "cancel all " + currency + " FAILED: " + r.reason);
                 return;
               }
               std::uint64_t n = 0;
               if (r.result.get_uint64().get(n) != simdjson::SUCCESS) n = 0;
               tellCancelAll(log::Level::Info, "cancel all " + currency + ": the exchange confirmed " + std::to_string(n) +
                                                   " orders cancelled (" + ms + " ms)",
                             true);
             },
             {config_.requestTimeout});
}

// A cancel-all's outcome, told to the trader twice: in the log and as the venue's state detail,
// which the risk strip shows; a confirmation is counted.
void DeribitVenue::tellCancelAll(log::Level level, const std::string& what, bool confirmed) {
  if (confirmed) {
    std::lock_guard lock(mutex_);
    ++counters_.cancelAllConfirmed;
  }
  log::write(level, "deribit", what);
  setState(state_.load(), what);
}

// cancel_all_by_currency got no answer in time: the exchange's open-order list says whether it
// worked. None open: confirmed. Some open: cancelled again (idempotent). No answer either: the
// trader is told it is not confirmed (so too after three rounds).
void DeribitVenue::verifyCancelAll(const std::string& currency, const std::string& why, int attempt) {
  log::warn("deribit", "cancel_all_by_currency " + currency + ": " + why + "; checking the open orders");
  const std::uint64_t generation = generation_;
  rpc_->call("private/get_open_orders_by_currency", "{\"currency\":" + jsonQuoted(currency) + "}",
             [this, currency, generation, attempt](const RpcReply& r) {
               if (generation != generation_) return;
               simdjson::dom::array list;
               if (!r.ok() || r.result.get_array().get(list) != simdjson::SUCCESS) {
                 tellCancelAll(log::Level::Error, "cancel all " + currency + " NOT CONFIRMED: no answer from the exchange (" +
                                                      (r.ok() ? std::string("not a list") : r.reason) + ")");
                 return;
               }
               if (list.size() > 0) {
                 const std::string open = std::to_string(list.size()) + " orders still open after a late answer";
                 if (attempt >= 2) {
                   tellCancelAll(log::Level::Error, "cancel all " + currency + " NOT CONFIRMED: " + open);
                   return;
                 }
                 log::warn("deribit", "cancel all " + currency + ": " + open + "; cancelling again");
                 cancelAllFor(currency, attempt + 1);
                 return;
               }
               tellCancelAll(log::Level::Info,
                             "cancel all " + currency + ": confirmed, the exchange lists no open order (its answer came late)", true);
             },
             {config_.requestTimeout * 3});
}

// ---------------------------------------------------------------- reconciliation

void DeribitVenue::reconcile() {
  log::info("deribit", "reconciling after reconnect: trades since the last booked, open orders, positions");
  // Fills first (the tracker holds terminal states until their fills are in), then orders.
  const Nanos last = tracker_->lastTradeTs();
  const std::uint64_t sinceMs = last > 0 ? std::uint64_t(last / 1'000'000) : sessionStartMs_;
  for (const std::string& c : config_.currencies) fetchTrades(c, sinceMs, 0);
  fetchOpenOrders();
  queryPositions();
}

void DeribitVenue::fetchTrades(const std::string& currency, std::uint64_t sinceMs, int page) {
  const std::uint64_t generation = generation_;
  rpc_->call("private/get_user_trades_by_currency",
             "{\"currency\":" + jsonQuoted(currency) + ",\"start_timestamp\":" + std::to_string(sinceMs) +
                 ",\"count\":1000,\"sorting\":\"asc\"}",
             [this, currency, generation, page, sinceMs](const RpcReply& r) {
               if (generation != generation_) return;
               if (!r.ok()) {
                 log::warn("deribit", "get_user_trades_by_currency " + currency + ": " + r.reason);
                 return;
               }
               simdjson::dom::array list;
               if (r.result["trades"].get_array().get(list) != simdjson::SUCCESS) return;
               std::uint64_t lastMs = sinceMs;
               for (element e : list) {
                 DeribitUserTrade t;
                 if (!tradeFromDom(e, t)) continue;
                 lastMs = std::max<std::uint64_t>(lastMs, std::uint64_t(t.ts / 1'000'000));
                 if (tracker_->tradeSeen(t.tradeId)) continue;
                 const std::size_t before = exec_.size();
                 tracker_->onTrade(t, exec_);
                 if (exec_.size() > before) {
                   std::lock_guard lock(mutex_);
                   ++counters_.reconciledFills;
                 }
               }
               bool more = false;
               if (r.result["has_more"].get_bool().get(more) != simdjson::SUCCESS) more = false;
               afterExec();
               flush();
               if (more && page + 1 < kMaxTradePages) {
                 // The next page starts at the last timestamp seen (inclusive; trade ids dedupe).
                 // A page of one millisecond only (no progress) moves past it.
                 fetchTrades(currency, lastMs > sinceMs ? lastMs : sinceMs + 1, page + 1);
               }
             },
             {config_.requestTimeout});
}

void DeribitVenue::fetchOpenOrders() {
  auto open = std::make_shared<std::set<std::string>>();
  auto remaining = std::make_shared<std::size_t>(config_.currencies.size());
  const std::uint64_t generation = generation_;
  for (const std::string& c : config_.currencies) {
    rpc_->call("private/get_open_orders_by_currency", "{\"currency\":" + jsonQuoted(c) + "}",
               [this, generation, open, remaining](const RpcReply& r) {
                 if (generation != generation_) return;
                 simdjson::dom::array list;
                 if (r.ok() && r.result.get_array().get(list) == simdjson::SUCCESS)
                   for (element e : list) {
                     DeribitOrderUpdate u;
                     if (!orderFromDom(e, u)) continue;
                     open->insert(u.exchangeOrderId);
                     tracker_->onOrder(u, exec_);
                   }
                 afterExec();
                 flush();
                 if (--*remaining > 0 || !r.ok()) return;
                 // Orders we think are working that are no longer open: ask what became of them.
                 for (OrderId id : tracker_->workingOrders()) {
                   auto* o = tracker_->find(id);
                   if (!o || unknownOutcome_.count(id)) continue;
                   if (!o->exchangeOrderId.empty() && open->count(o->exchangeOrderId)) continue;
                   resolveByLabel(id);
                 }
               },
               {config_.requestTimeout});
  }
}

void DeribitVenue::queryOrders(const std::vector<OrderId>& ids) {
  asio::post(io_, [this, ids] {
    if (!ready_ || !authorised_) {
      pendingQueries_.push_back(ids);
      return;
    }
    for (OrderId id : ids) {
      tracker_->adopt(id);
      lookUpEarlierOrder(id, 0);
    }
  });
}

// An earlier session's order, by its label, in each configured currency (which one it traded in is
// not known). That the exchange has no such order is concluded only from answers that say so: a
// lookup that failed (a timeout, settlement_in_progress, a rate limit) proves nothing, and calling
// the order cancelled then would lose the fills it made while we were away. It is asked again, 1 s
// apart, five times; then it stays unknown until the next login asks again.
void DeribitVenue::lookUpEarlierOrder(OrderId id, int attempt) {
  struct Lookup {
    std::size_t remaining = 0;
    bool found = false;
    std::string failure;
  };
  auto lookup = std::make_shared<Lookup>();
  lookup->remaining = config_.currencies.size();
  const std::uint64_t generation = generation_;
  for (const std::string& c : config_.currencies)
    rpc_->call("private/get_order_state_by_label",
               "{\"currency\":" + jsonQuoted(c) + ",\"label\":\"" + std::to_string(id) + "\"}",
               [this, id, generation, attempt, lookup](const RpcReply& r) {
                 if (generation != generation_) return;  // the next login asks again
                 simdjson::dom::array list;
                 if (r.ok() && r.result.get_array().get(list) == simdjson::SUCCESS) {
                   for (element e : list) {
                     DeribitOrderUpdate u;
                     if (!orderFromDom(e, u)) continue;
                     lookup->found = true;
                     tracker_->onOrder(u, exec_);
                   }
                   flush();
                 } else if (lookup->failure.empty()) {
                   lookup->failure = r.ok() ? "the answer is not a list" : r.reason;
                 }
                 if (--lookup->remaining > 0) return;
                 if (!lookup->found && !lookup->failure.empty()) {
                   if (attempt >= 5) {
                     log::error("deribit", "order " + std::to_string(id) + " of an earlier session: still unknown after " +
                                               std::to_string(attempt + 1) + " lookups (" + lookup->failure +
                                               "); asking again after the next login");
                     return;
                   }
                   log::warn("deribit", "order " + std::to_string(id) + " of an earlier session: lookup failed (" +
                                            lookup->failure + "); asking again in 1 s");
                   auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
                   timer->async_wait([this, id, generation, attempt, timer](const boost::system::error_code& ec) {
                     if (!ec && generation == generation_ && ready_) lookUpEarlierOrder(id, attempt + 1);
                   });
                   return;
                 }
                 if (!lookup->found) {
                   ExecReport rep;
                   rep.orderId = id;
                   rep.type = ExecType::Cancelled;
                   rep.ts = wallNow();
                   rep.reason = "Deribit has no order with this label (it never arrived, or is too old to be listed)";
                   exec_.push_back(rep);
                 }
                 flush();
               },
               {config_.requestTimeout});
}

void DeribitVenue::queryPositions() {
  asio::post(io_, [this] {
    if (!ready_ || !authorised_) return;
    auto positions = std::make_shared<std::vector<VenuePosition>>();
    auto remaining = std::make_shared<std::size_t>(config_.currencies.size());
    auto failed = std::make_shared<bool>(false);
    const std::uint64_t generation = generation_;
    for (const std::string& c : config_.currencies)
      rpc_->call("private/get_positions", "{\"currency\":" + jsonQuoted(c) + "}",
                 [this, generation, positions, remaining, failed](const RpcReply& r) {
                   if (generation != generation_) return;
                   simdjson::dom::array list;
                   if (!r.ok() || r.result.get_array().get(list) != simdjson::SUCCESS) {
                     log::warn("deribit", "get_positions: " + (r.ok() ? std::string("not a list") : r.reason));
                     *failed = true;
                   } else {
                     for (element e : list) {
                       const InstrumentId id = decoder_->find(str(e, "instrument_name"));
                       if (id == kNoInstrument) continue;
                       double size = num(e, "size");
                       if (str(e, "direction") == "sell" && size > 0) size = -size;
                       if (size == 0) continue;
                       positions->push_back({id, size, toFixed(num(e, "average_price"))});
                     }
                   }
                   if (--*remaining > 0) return;
                   // A partial answer would read as "flat" for the missing currency: not sent.
                   if (*failed || !listener_) return;
                   asio::post(engine_, [l = listener_, p = *positions] { l->onPositions(p); });
                 },
                 {config_.requestTimeout});
  });
}

}  // namespace kappa::deribit
