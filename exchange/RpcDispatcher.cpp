#include "RpcDispatcher.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "Crypto.hpp"
#include "core/Clock.hpp"

namespace kappa::exchange {
namespace {
constexpr const char* kApiVersion = "1.2.26";

std::int64_t wallUs() { return wallNow() / 1000; }

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string urlDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += char(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// GET parameters arrive as text; Params reads numbers and booleans from text, and a JSON array
// or object (channels=["a","b"]) is taken as such.
nlohmann::json queryParams(const std::string& query) {
  nlohmann::json params = nlohmann::json::object();
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    std::string key = urlDecode(pair.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : urlDecode(pair.substr(eq + 1));
    if (key.size() > 2 && key.compare(key.size() - 2, 2, "[]") == 0) {  // channels[]=a&channels[]=b
      key.resize(key.size() - 2);
      params[key].push_back(value);
    } else if (!key.empty()) {
      if (!value.empty() && (value.front() == '[' || value.front() == '{')) {
        auto parsed = nlohmann::json::parse(value, nullptr, false);
        params[key] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
      } else {
        params[key] = value;
      }
    }
    start = end + 1;
  }
  return params;
}

std::vector<std::string> channelList(const Params& p) {
  if (!p.has("channels") || !p.raw()["channels"].is_array()) throw invalidParam("channels", "must be a list of channel names");
  std::vector<std::string> out;
  for (const auto& c : p.raw()["channels"]) {
    if (!c.is_string()) throw invalidParam("channels", "must be a list of channel names");
    out.push_back(c.get<std::string>());
  }
  return out;
}
}  // namespace

RpcDispatcher::RpcDispatcher(const ExchangeConfig& config, MarketState& market, Accounts& accounts, ChannelHub& hub,
                             CreditLimiter& limiter, FaultInjector& faults, Defer defer)
    : config_(config), market_(market), accounts_(accounts), hub_(hub), limiter_(limiter), faults_(faults),
      defer_(std::move(defer)) {
  const auto pub = [&](const char* name, Handler h, bool wsOnly = false) { methods_[name] = {h, false, false, wsOnly}; };
  const auto priv = [&](const char* name, Handler h, bool me = false, bool wsOnly = false) {
    methods_[name] = {h, true, me, wsOnly};
  };
  pub("public/hello", &RpcDispatcher::hello);
  pub("public/auth", &RpcDispatcher::auth);
  pub("public/set_heartbeat", &RpcDispatcher::setHeartbeat, true);
  pub("public/disable_heartbeat", &RpcDispatcher::disableHeartbeat, true);
  pub("public/test", &RpcDispatcher::test);
  pub("public/get_time", &RpcDispatcher::getTime);
  pub("public/status", &RpcDispatcher::status);
  pub("public/get_currencies", &RpcDispatcher::getCurrencies);
  pub("public/get_instruments", &RpcDispatcher::getInstruments);
  pub("public/get_instrument", &RpcDispatcher::getInstrument);
  pub("public/get_order_book", &RpcDispatcher::getOrderBook);
  pub("public/ticker", &RpcDispatcher::ticker);
  pub("public/get_index_price", &RpcDispatcher::getIndexPrice);
  pub("public/get_index_price_names", &RpcDispatcher::getIndexPriceNames);
  pub("public/get_book_summary_by_currency", &RpcDispatcher::getBookSummaryByCurrency);
  pub("public/get_last_trades_by_instrument", &RpcDispatcher::getLastTradesByInstrument);
  pub("public/get_last_trades_by_instrument_and_time", &RpcDispatcher::getLastTradesByInstrument);
  pub("public/get_last_trades_by_currency", &RpcDispatcher::getLastTradesByCurrency);
  pub("public/get_last_trades_by_currency_and_time", &RpcDispatcher::getLastTradesByCurrency);
  pub("public/subscribe", &RpcDispatcher::subscribe, true);
  pub("public/unsubscribe", &RpcDispatcher::unsubscribe, true);
  pub("public/unsubscribe_all", &RpcDispatcher::unsubscribeAll, true);
  priv("private/subscribe", &RpcDispatcher::subscribe, false, true);
  priv("private/unsubscribe", &RpcDispatcher::unsubscribe, false, true);
  priv("private/unsubscribe_all", &RpcDispatcher::unsubscribeAll, false, true);
  priv("private/logout", &RpcDispatcher::logout, false, true);
  priv("private/buy", &RpcDispatcher::buy, true);
  priv("private/sell", &RpcDispatcher::sell, true);
  priv("private/edit", &RpcDispatcher::edit, true);
  priv("private/edit_by_label", &RpcDispatcher::editByLabel, true);
  priv("private/cancel", &RpcDispatcher::cancel, true);
  priv("private/cancel_all", &RpcDispatcher::cancelAll, true);
  priv("private/cancel_all_by_currency", &RpcDispatcher::cancelAllByCurrency, true);
  priv("private/cancel_all_by_instrument", &RpcDispatcher::cancelAllByInstrument, true);
  priv("private/cancel_by_label", &RpcDispatcher::cancelByLabel, true);
  priv("private/cancel_all_by_kind_or_type", &RpcDispatcher::cancelAllByKindOrType, true);
  priv("private/close_position", &RpcDispatcher::closePosition, true);
  priv("private/get_open_orders_by_currency", &RpcDispatcher::getOpenOrdersByCurrency);
  priv("private/get_open_orders_by_instrument", &RpcDispatcher::getOpenOrdersByInstrument);
  priv("private/get_order_state", &RpcDispatcher::getOrderState);
  priv("private/get_order_state_by_label", &RpcDispatcher::getOrderStateByLabel);
  priv("private/get_order_history_by_currency", &RpcDispatcher::getOrderHistoryByCurrency);
  priv("private/get_order_history_by_instrument", &RpcDispatcher::getOrderHistoryByInstrument);
  priv("private/get_user_trades_by_currency", &RpcDispatcher::getUserTradesByCurrency);
  priv("private/get_user_trades_by_currency_and_time", &RpcDispatcher::getUserTradesByCurrency);
  priv("private/get_user_trades_by_instrument", &RpcDispatcher::getUserTradesByInstrument);
  priv("private/get_user_trades_by_instrument_and_time", &RpcDispatcher::getUserTradesByInstrument);
  priv("private/get_user_trades_by_order", &RpcDispatcher::getUserTradesByOrder);
  priv("private/get_positions", &RpcDispatcher::getPositions);
  priv("private/get_position", &RpcDispatcher::getPosition);
  priv("private/get_account_summary", &RpcDispatcher::getAccountSummary);
  priv("private/get_account_summaries", &RpcDispatcher::getAccountSummaries);
  priv("private/enable_cancel_on_disconnect", &RpcDispatcher::enableCod);
  priv("private/disable_cancel_on_disconnect", &RpcDispatcher::disableCod);
  priv("private/get_cancel_on_disconnect", &RpcDispatcher::getCod);
  pub("kappa/fault", &RpcDispatcher::fault);
  pub("kappa/list_instrument", &RpcDispatcher::listInstrument);
  pub("kappa/expire_instrument", &RpcDispatcher::expireInstrument);
}

void RpcDispatcher::onOpen(ClientSession& s) { hub_.attach(&s); }

void RpcDispatcher::onClosed(ClientSession& s) {
  cancelOnDisconnect(s);
  hub_.detach(&s);
  limiter_.forget("session:" + std::to_string(s.id));
}

void RpcDispatcher::cancelOnDisconnect(ClientSession& s) {
  if (s.account == 0) return;
  const bool enabled = s.cancelOnDisconnect || accounts_.get(s.account).cancelOnDisconnectAccount;
  if (!enabled) return;
  const std::uint64_t sid = s.id;
  const std::size_t n = cancelWhere(s.account, [sid](const OrderRecord& o) { return o.session == sid; },
                                    "cancel_on_disconnect");
  if (n) std::cerr << "kappa-exchange: cancel-on-disconnect cancelled " << n << " order(s) of session " << sid << "\n";
}

nlohmann::json RpcDispatcher::envelope(const nlohmann::json& id, std::int64_t usIn) const {
  const std::int64_t usOut = wallUs();
  return {{"jsonrpc", "2.0"}, {"id", id}, {"usIn", usIn}, {"usOut", usOut}, {"usDiff", usOut - usIn}, {"testnet", true}};
}

nlohmann::json RpcDispatcher::execute(ClientSession& s, const nlohmann::json& request, bool http, int httpAccount,
                                      int httpAuthError, bool& closeAfter, std::function<void()>& after) {
  const std::int64_t usIn = wallUs();
  const nlohmann::json id = request.is_object() && request.contains("id") ? request["id"] : nlohmann::json(nullptr);
  const auto error = [&](int code, const nlohmann::json& data = nullptr) {
    nlohmann::json e = envelope(id, usIn);
    e["error"] = {{"code", code}, {"message", messageFor(code)}};
    if (!data.is_null()) e["error"]["data"] = data;
    return e;
  };
  if (!request.is_object() || !request.contains("method") || !request["method"].is_string())
    return error(deribit::kInvalidRequest);
  const std::string method = request["method"].get<std::string>();
  const nlohmann::json params = request.contains("params") ? request["params"] : nlohmann::json::object();
  if (!params.is_object()) return error(deribit::kInvalidParams, {{"reason", "params must be an object"}});
  auto m = methods_.find(method);
  if (m == methods_.end()) return error(deribit::kMethodNotFound);

  // Who is asking: over HTTP the Authorization header, over WebSocket the connection's auth (or
  // an access_token parameter, which Deribit also accepts).
  int account = 0;
  if (http) {
    account = httpAccount;
  } else if (params.contains("access_token") && params["access_token"].is_string()) {
    account = accounts_.accountOfAccess(params["access_token"].get<std::string>(), wallNow());
  } else if (s.account && s.tokenExpiry > wallNow()) {
    account = s.account;
  }

  // Rate limits: per account once authorised, per connection before.
  const std::string key = account ? "account:" + std::to_string(account) : "session:" + std::to_string(s.id);
  if (method != "kappa/fault" && !limiter_.spend(key, m->second.matchingEngine, monoNow())) {
    closeAfter = true;
    std::cerr << "kappa-exchange: session " << s.id << " ran out of credits (" << method << "): 10028, closing\n";
    return error(deribit::kTooManyRequests);
  }
  if (method != "kappa/fault") {
    if (const int code = faults_.errorFor(method)) {
      if (deribit::endsSession(code) || code == deribit::kTooManyRequests) closeAfter = true;
      return error(code, {{"reason", "injected fault"}});
    }
  }
  if (m->second.wsOnly && http) return error(deribit::kMustBeWebsocketRequest);
  if (m->second.isPrivate && account == 0) {
    if (http && httpAuthError) return error(httpAuthError);
    return error(deribit::kInvalidToken);
  }

  Call c{s, method, Params(params), http, account, false, false, {}};
  try {
    nlohmann::json result = (this->*(m->second.handler))(c);
    if (c.noAnswer) return nullptr;
    closeAfter = closeAfter || c.closeAfter;
    after = std::move(c.after);
    nlohmann::json out = envelope(id, usIn);
    out["result"] = std::move(result);
    return out;
  } catch (const RpcError& e) {
    closeAfter = closeAfter || c.closeAfter;
    return error(e.code, e.data);
  } catch (const std::exception& e) {
    std::cerr << "kappa-exchange: " << method << " failed: " << e.what() << "\n";
    return error(deribit::kInternalServerError);
  }
}

void RpcDispatcher::onWsMessage(ClientSession& s, const std::string& text) {
  const std::int64_t usIn = wallUs();
  nlohmann::json request = nlohmann::json::parse(text, nullptr, false);
  bool closeAfter = false;
  std::function<void()> after;
  nlohmann::json answer;
  if (request.is_discarded()) {
    answer = envelope(nullptr, usIn);
    answer["error"] = {{"code", deribit::kParseError}, {"message", messageFor(deribit::kParseError)}};
  } else {
    answer = execute(s, request, false, 0, 0, closeAfter, after);
  }
  if (answer.is_null()) return;
  const std::string text_ = answer.dump();
  const auto deliver = [this, sid = s.id, text_, closeAfter, after] {
    ClientSession* live = hub_.session(sid);
    if (!live) return;
    live->send(text_);
    if (after) after();
    if (closeAfter) live->closeAfterSend();
  };
  if (faults_.delayMs > 0 && request.is_object() && request.value("method", "") != "kappa/fault")
    defer_(faults_.delayMs, deliver);
  else
    deliver();
}

RpcDispatcher::HttpAnswer RpcDispatcher::onHttp(ClientSession& s, const std::string& verb, const std::string& target,
                                                const std::string& authorization, const std::string& body) {
  HttpAnswer out;
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::string prefix = "/api/v2";
  if (path.compare(0, prefix.size(), prefix) != 0 || (path.size() > prefix.size() && path[prefix.size()] != '/')) {
    out.status = 404;
    out.body = R"({"error":"not found: the API is at /api/v2/{method} and /ws/api/v2"})";
    return out;
  }
  std::string method = path.size() > prefix.size() + 1 ? path.substr(prefix.size() + 1) : "";
  nlohmann::json request;
  if (verb == "POST" && !body.empty()) {
    request = nlohmann::json::parse(body, nullptr, false);
    if (request.is_discarded()) {
      nlohmann::json e = envelope(nullptr, wallUs());
      e["error"] = {{"code", deribit::kParseError}, {"message", messageFor(deribit::kParseError)}};
      out.status = 400;
      out.body = e.dump();
      return out;
    }
    if (request.is_object() && !method.empty() && !request.contains("method")) request["method"] = method;
  } else {
    request = {{"jsonrpc", "2.0"}, {"method", method}, {"params", queryParams(query)}};
  }
  int authError = 0;
  const int account = httpAccount(verb, target, authorization, body, authError);
  bool closeAfter = false;
  std::function<void()> after;
  nlohmann::json answer = execute(s, request, true, account, authError, closeAfter, after);
  if (answer.is_null()) answer = envelope(nullptr, wallUs());
  if (!request.is_object() || !request.contains("id")) answer.erase("id");  // GET: Deribit answers without one
  out.status = answer.contains("error") ? 400 : 200;
  out.body = answer.dump();
  out.close = closeAfter;
  out.control = request.is_object() && request.value("method", "") == "kappa/fault";
  return out;
}

int RpcDispatcher::httpAccount(const std::string& verb, const std::string& target, const std::string& authorization,
                               const std::string& body, int& authError) {
  if (authorization.empty()) return 0;
  const auto space = authorization.find(' ');
  if (space == std::string::npos) {
    authError = deribit::kInvalidToken;
    return 0;
  }
  std::string scheme = authorization.substr(0, space);
  for (auto& ch : scheme) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  const std::string rest = authorization.substr(authorization.find_first_not_of(' ', space));
  if (scheme == "bearer") {
    const int a = accounts_.accountOfAccess(rest, wallNow());
    if (!a) authError = deribit::kInvalidToken;
    return a;
  }
  if (scheme == "basic") {
    std::string decoded;
    const auto colon = base64Decode(rest, decoded) ? decoded.find(':') : std::string::npos;
    Account* a = colon == std::string::npos ? nullptr : accounts_.byClientId(decoded.substr(0, colon));
    if (!a || !equalConstantTime(a->secret, decoded.substr(colon + 1))) {
      authError = deribit::kInvalidCredentials;
      return 0;
    }
    return a->id;
  }
  if (scheme == "deri-hmac-sha256") {
    std::map<std::string, std::string> kv;
    std::size_t start = 0;
    while (start < rest.size()) {
      std::size_t end = rest.find(',', start);
      if (end == std::string::npos) end = rest.size();
      std::string item = rest.substr(start, end - start);
      item.erase(0, item.find_first_not_of(' '));
      const auto eq = item.find('=');
      if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
      start = end + 1;
    }
    Account* a = accounts_.byClientId(kv["id"]);
    authError = deribit::kInvalidCredentials;
    if (!a || kv["ts"].empty() || kv["sig"].empty()) return 0;
    std::int64_t ts = 0;
    try {
      ts = std::stoll(kv["ts"]);
    } catch (...) {
      return 0;
    }
    // Deribit accepts a signature for 60 seconds after its timestamp.
    const std::int64_t nowMs = wallNow() / 1'000'000;
    if (std::llabs(nowMs - ts) > 60'000) return 0;
    const std::string expected = hmacSha256Hex(a->secret, kv["ts"] + "\n" + kv["nonce"] + "\n" + verb + "\n" + target +
                                                              "\n" + body + "\n");
    if (!equalConstantTime(expected, kv["sig"])) return 0;
    // A nonce is single-use within the signature's lifetime (replay protection).
    const std::string nonceKey = a->clientId + "\n" + kv["ts"] + "\n" + kv["nonce"];
    for (auto it = usedNonces_.begin(); it != usedNonces_.end();)
      it = it->second < wallNow() - 120'000'000'000LL ? usedNonces_.erase(it) : std::next(it);
    if (!usedNonces_.emplace(nonceKey, wallNow()).second) return 0;
    authError = 0;
    return a->id;
  }
  authError = deribit::kInvalidToken;
  return 0;
}

void RpcDispatcher::heartbeatTick(Nanos mono) {
  if (faults_.heartbeatSilent) return;
  for (ClientSession* s : hub_.sessions()) {
    if (!s->isWebSocket() || s->heartbeatSeconds == 0 || s->closing || mono < s->nextHeartbeat) continue;
    if (s->awaitingTest) {
      std::cerr << "kappa-exchange: session " << s->id << " did not answer the heartbeat: closing\n";
      cancelOnDisconnect(*s);
      s->heartbeatSeconds = 0;
      s->closeAfterSend();
      continue;
    }
    s->send(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})");
    s->awaitingTest = true;
    ++testRequestsSent_;
    s->nextHeartbeat = mono + Nanos(s->heartbeatSeconds) * 1'000'000'000;
  }
}

void RpcDispatcher::dropAll() {
  const auto all = hub_.sessions();
  if (!all.empty()) std::cerr << "kappa-exchange: fault: dropping " << all.size() << " connection(s)\n";
  for (ClientSession* s : all) s->dropNow();
}

// ---- session and public methods ------------------------------------------------------------

nlohmann::json RpcDispatcher::hello(Call&) { return {{"version", kApiVersion}}; }

nlohmann::json RpcDispatcher::auth(Call& c) {
  const std::string grant = c.p.str("grant_type");
  int acct = 0;
  if (grant == "client_credentials") {
    Account* a = accounts_.byClientId(c.p.str("client_id"));
    if (!a || !equalConstantTime(a->secret, c.p.str("client_secret"))) throw RpcError(deribit::kInvalidCredentials);
    acct = a->id;
  } else if (grant == "client_signature") {
    Account* a = accounts_.byClientId(c.p.str("client_id"));
    const std::string ts = c.p.str("timestamp");
    const std::string sig = c.p.str("signature");
    const std::string nonce = c.p.strOr("nonce", "");
    const std::string data = c.p.strOr("data", "");
    if (!a) throw RpcError(deribit::kInvalidCredentials);
    std::int64_t tsMs = 0;
    try {
      tsMs = std::stoll(ts);
    } catch (...) {
      throw invalidParam("timestamp", "must be milliseconds since the epoch");
    }
    if (std::llabs(wallNow() / 1'000'000 - tsMs) > 60'000)
      throw RpcError(deribit::kInvalidCredentials, {{"reason", "timestamp more than 60 s away from the server's clock"}});
    if (!equalConstantTime(hmacSha256Hex(a->secret, ts + "\n" + nonce + "\n" + data), sig))
      throw RpcError(deribit::kInvalidCredentials);
    acct = a->id;
  } else if (grant == "refresh_token") {
    acct = accounts_.redeemRefresh(c.p.str("refresh_token"), wallNow());
    if (!acct) throw RpcError(deribit::kInvalidToken, {{"reason", "invalid or expired refresh_token"}});
  } else {
    throw invalidParam("grant_type", "must be client_credentials, client_signature or refresh_token");
  }
  const Accounts::Issued t = accounts_.issue(acct, wallNow());
  if (!c.http) {
    c.s.account = acct;
    c.s.accessToken = t.access;
    c.s.tokenExpiry = wallNow() + Nanos(t.expiresIn) * 1'000'000'000;
  }
  std::string scope = "connection mainaccount";
  if (c.p.has("scope")) scope = c.p.str("scope");
  return {{"access_token", t.access},  {"refresh_token", t.refresh}, {"expires_in", t.expiresIn},
          {"scope", scope},            {"token_type", "bearer"},     {"enabled_features", nlohmann::json::array()}};
}

nlohmann::json RpcDispatcher::logout(Call& c) {
  // Deribit: logout closes the connection and does not cancel orders (cancel-on-disconnect off).
  c.s.cancelOnDisconnect = false;
  c.s.account = 0;
  c.closeAfter = true;
  return "ok";
}

nlohmann::json RpcDispatcher::setHeartbeat(Call& c) {
  const double interval = c.p.num("interval");
  if (interval < config_.minHeartbeatSeconds)
    throw invalidParam("interval", "must be at least " + std::to_string(config_.minHeartbeatSeconds));
  c.s.heartbeatSeconds = int(interval);
  c.s.awaitingTest = false;
  c.s.nextHeartbeat = monoNow() + Nanos(c.s.heartbeatSeconds) * 1'000'000'000;
  return "ok";
}

nlohmann::json RpcDispatcher::disableHeartbeat(Call& c) {
  c.s.heartbeatSeconds = 0;
  c.s.awaitingTest = false;
  return "ok";
}

nlohmann::json RpcDispatcher::test(Call& c) {
  if (faults_.heartbeatSilent) {
    c.noAnswer = true;
    return nullptr;
  }
  if (c.s.awaitingTest) ++testRequestsAnswered_;
  c.s.awaitingTest = false;
  return {{"version", kApiVersion}};
}

nlohmann::json RpcDispatcher::getTime(Call&) { return wallNow() / 1'000'000; }

nlohmann::json RpcDispatcher::status(Call&) {
  nlohmann::json indices = nlohmann::json::array();
  if (hub_.locked())
    for (const std::string& cur : market_.currencies()) indices.push_back(market_.indexName(cur));
  return {{"locked", hub_.locked() ? "true" : "false"}, {"locked_indices", indices}};
}

nlohmann::json RpcDispatcher::getCurrencies(Call&) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& cur : market_.currencies())
    out.push_back({{"currency", cur},
                   {"currency_long", cur == "BTC" ? "Bitcoin" : (cur == "ETH" ? "Ethereum" : cur)},
                   {"fee_precision", 4},
                   {"min_confirmations", 1},
                   {"min_withdrawal_fee", 0.0001},
                   {"withdrawal_fee", 0.0001},
                   {"withdrawal_priorities", nlohmann::json::array()},
                   {"coin_type", cur == "BTC" ? "BITCOIN" : "ETHER"}});
  return out;
}

std::string RpcDispatcher::currencyParam(Call& c, bool allowAny) const {
  const std::string cur = upper(c.p.str("currency"));
  if (allowAny && cur == "ANY") return cur;
  if (!market_.hasCurrency(cur)) throw invalidParam("currency", "must be one of the listed currencies");
  return cur;
}

bool RpcDispatcher::kindMatches(const Instrument& inst, const std::string& kind) const {
  return kind.empty() || kind == "any" || kind == MarketState::kindName(inst);
}

const Instrument& RpcDispatcher::instrumentParam(Call& c, const char* key) const {
  const std::string name = c.p.str(key);
  const Instrument* inst = market_.find(name);
  if (!inst || !inst->tradable) throw RpcError(deribit::kInvalidInstrument, {{"param", key}, {"reason", "unknown instrument"}});
  return *inst;
}

nlohmann::json RpcDispatcher::getInstruments(Call& c) {
  // ccxt asks without a currency (all markets at once): "any" is the default here.
  const std::string cur = c.p.has("currency") ? currencyParam(c) : "ANY";
  const std::string kind = c.p.strOr("kind", "");
  static const char* kinds[] = {"future", "option", "spot", "future_combo", "option_combo", "any"};
  if (!kind.empty() && std::find(std::begin(kinds), std::end(kinds), kind) == std::end(kinds))
    throw invalidParam("kind", "must be future, option, spot, future_combo or option_combo");
  nlohmann::json out = nlohmann::json::array();
  // expired=true lists the options settled while this process ran (Deribit: the recently expired).
  const bool wantExpired = c.p.flag("expired");
  for (const Instrument& inst : market_.instruments().all()) {
    if (!inst.tradable || !MarketState::onDeribit(inst) || (cur != "ANY" && inst.baseCurrency != cur) || !kindMatches(inst, kind)) continue;
    if (market_.expired(inst.id) != wantExpired) continue;
    out.push_back(market_.instrumentJson(inst));
  }
  return out;
}

nlohmann::json RpcDispatcher::getInstrument(Call& c) { return market_.instrumentJson(instrumentParam(c)); }

nlohmann::json RpcDispatcher::getOrderBook(Call& c) {
  const Instrument& inst = instrumentParam(c);
  const double depth = c.p.numOr("depth", 20);
  if (depth < 1 || depth > 10000) throw invalidParam("depth", "must be 1 to 10000");
  return market_.orderBookJson(inst, std::size_t(depth));
}

nlohmann::json RpcDispatcher::ticker(Call& c) { return market_.tickerJson(instrumentParam(c)); }

nlohmann::json RpcDispatcher::getIndexPrice(Call& c) {
  const std::string name = c.p.str("index_name");
  const Instrument* inst = market_.find(name);
  if (!inst || inst->kind != InstrumentKind::Index) throw invalidParam("index_name", "unknown index");
  const double p = market_.indexPrice(inst->id);
  return {{"index_price", p}, {"estimated_delivery_price", p}};
}

nlohmann::json RpcDispatcher::getIndexPriceNames(Call&) {
  nlohmann::json out = nlohmann::json::array();
  for (const Instrument& inst : market_.instruments().all())
    if (inst.kind == InstrumentKind::Index) out.push_back(inst.name);
  return out;
}

nlohmann::json RpcDispatcher::getBookSummaryByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  nlohmann::json out = nlohmann::json::array();
  for (const Instrument& inst : market_.instruments().all()) {
    if (!inst.tradable || !MarketState::onDeribit(inst) || inst.baseCurrency != cur || !kindMatches(inst, kind)) continue;
    const nlohmann::json t = market_.tickerJson(inst);
    nlohmann::json s = {{"instrument_name", inst.name},
                        {"base_currency", inst.baseCurrency},
                        {"quote_currency", inst.quoteCurrency},
                        {"bid_price", t["best_bid_price"]},
                        {"ask_price", t["best_ask_price"]},
                        {"mark_price", t["mark_price"]},
                        {"last", t["last_price"]},
                        {"high", t["stats"]["high"]},
                        {"low", t["stats"]["low"]},
                        {"volume", t["stats"]["volume"]},
                        {"price_change", t["stats"]["price_change"]},
                        {"open_interest", 0.0},
                        {"estimated_delivery_price", t["estimated_delivery_price"]},
                        {"creation_timestamp", t["timestamp"]}};
    const double bid = t["best_bid_price"], ask = t["best_ask_price"];
    s["mid_price"] = bid > 0 && ask > 0 ? nlohmann::json(0.5 * (bid + ask)) : nlohmann::json(nullptr);
    if (inst.isOption()) {
      s["underlying_price"] = t["underlying_price"];
      s["underlying_index"] = t["underlying_index"];
      s["interest_rate"] = 0.0;
      s["mark_iv"] = t["mark_iv"];
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {
// Deribit's paging of public trades: by sequence or time window, count (≤ 1000), sorting.
nlohmann::json pageTrades(const MarketState& market, std::vector<const PublicTrade*> picked, const Params& p) {
  const double count = p.numOr("count", 10);
  if (count < 1 || count > 1000) throw invalidParam("count", "must be 1 to 1000");
  const std::string sorting = p.strOr("sorting", "default");
  const bool ascending = sorting == "asc" || (sorting == "default" && (p.has("start_seq") || p.has("start_timestamp")));
  std::sort(picked.begin(), picked.end(), [ascending](auto* x, auto* y) {
    return ascending ? x->tradeSeq < y->tradeSeq : x->tradeSeq > y->tradeSeq;
  });
  const std::size_t n = std::min(picked.size(), std::size_t(count));
  nlohmann::json trades = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) trades.push_back(market.tradeJson(*picked[i]));
  return {{"trades", std::move(trades)}, {"has_more", picked.size() > n}};
}

bool inWindow(const PublicTrade& t, const Params& p) {
  const std::int64_t ms = t.ts / 1'000'000;
  if (p.has("start_timestamp") && ms < std::int64_t(p.num("start_timestamp"))) return false;
  if (p.has("end_timestamp") && ms > std::int64_t(p.num("end_timestamp"))) return false;
  if (p.has("start_seq") && t.instrumentSeq < std::uint64_t(p.num("start_seq"))) return false;
  if (p.has("end_seq") && t.instrumentSeq > std::uint64_t(p.num("end_seq"))) return false;
  return true;
}
}  // namespace

nlohmann::json RpcDispatcher::getLastTradesByInstrument(Call& c) {
  const Instrument& inst = instrumentParam(c);
  std::vector<const PublicTrade*> picked;
  for (const PublicTrade& t : market_.recentTrades(inst.id))
    if (inWindow(t, c.p)) picked.push_back(&t);
  return pageTrades(market_, std::move(picked), c.p);
}

nlohmann::json RpcDispatcher::getLastTradesByCurrency(Call& c) {
  const std::string cur = currencyParam(c, false);
  const std::string kind = c.p.strOr("kind", "");
  std::vector<const PublicTrade*> picked;
  for (const Instrument& inst : market_.instruments().all()) {
    if (!inst.tradable || !MarketState::onDeribit(inst) || inst.baseCurrency != cur || !kindMatches(inst, kind)) continue;
    for (const PublicTrade& t : market_.recentTrades(inst.id))
      if (inWindow(t, c.p)) picked.push_back(&t);
  }
  return pageTrades(market_, std::move(picked), c.p);
}

nlohmann::json RpcDispatcher::subscribe(Call& c) {
  const std::vector<std::string> accepted = hub_.subscribe(c.s, channelList(c.p));
  const std::uint64_t sid = c.s.id;
  c.after = [this, sid, accepted] {
    if (ClientSession* live = hub_.session(sid)) hub_.sendInitial(*live, accepted);
  };
  return accepted;
}

nlohmann::json RpcDispatcher::unsubscribe(Call& c) { return hub_.unsubscribe(c.s, channelList(c.p)); }

nlohmann::json RpcDispatcher::unsubscribeAll(Call& c) {
  hub_.unsubscribeAll(c.s);
  return "ok";
}

nlohmann::json RpcDispatcher::fault(Call& c) {
  if (!c.s.isLoopback()) throw RpcError(deribit::kNotOnThisServer, {{"reason", "kappa/fault is accepted from loopback only"}});
  const std::string action = c.p.str("action");
  if (action == "drop") {
    defer_(0, [this] { dropAll(); });  // after this answer has gone out
  } else if (action == "drop_every") {
    faults_.dropEverySeconds = c.p.num("seconds");
  } else if (action == "skip_change_id") {
    if (c.p.has("instrument_name"))
      hub_.skipNextChange(instrumentParam(c).id);
    else
      hub_.skipNextChange(kNoInstrument);
  } else if (action == "skip_change_every") {
    faults_.skipChangeEverySeconds = c.p.num("seconds");
  } else if (action == "delay") {
    faults_.delayMs = int(c.p.num("ms"));
  } else if (action == "error") {
    faults_.setMethodError(c.p.str("method"), int(c.p.num("code")), int(c.p.numOr("count", 0)));
  } else if (action == "clear_errors") {
    faults_.clearMethodErrors();
  } else if (action == "lock" || action == "unlock") {
    faults_.locked = action == "lock";
    hub_.publishPlatformState(faults_.locked);
  } else if (action == "heartbeat_silent") {
    faults_.heartbeatSilent = c.p.flag("on", true);
  } else if (action == "clear") {
    faults_.delayMs = 0;
    faults_.dropEverySeconds = faults_.skipChangeEverySeconds = 0;
    faults_.heartbeatSilent = false;
    faults_.clearMethodErrors();
    if (faults_.locked) {
      faults_.locked = false;
      hub_.publishPlatformState(false);
    }
  } else if (action != "status") {
    throw invalidParam("action", "must be drop, drop_every, skip_change_id, skip_change_every, delay, error, "
                                 "clear_errors, lock, unlock, heartbeat_silent, clear or status");
  }
  std::cerr << "kappa-exchange: fault " << action << "\n";
  nlohmann::json out = faults_.describe();
  out["heartbeats"] = {{"test_requests_sent", testRequestsSent_}, {"test_requests_answered", testRequestsAnswered_}};
  return out;
}

namespace {
// A Deribit option name, CUR-DMMMYY-STRIKE-C|P (BTC-8DEC26-71000-C): its parts, or false.
bool parseOptionName(const std::string& name, std::string& currency, Nanos& expiry, Price& strike, OptionType& type) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t dash; (dash = name.find('-', from)) != std::string::npos; from = dash + 1)
    parts.push_back(name.substr(from, dash - from));
  parts.push_back(name.substr(from));
  if (parts.size() != 4 || parts[0].empty()) return false;
  currency = parts[0];
  if (parts[3] != "C" && parts[3] != "P") return false;
  type = parts[3] == "C" ? OptionType::Call : OptionType::Put;
  const std::string& date = parts[1];  // 8DEC26 or 27DEC26
  if (date.size() != 6 && date.size() != 7) return false;
  const std::size_t dayDigits = date.size() - 5;
  static constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  int month = 0;
  for (int m = 0; m < 12; ++m)
    if (date.compare(dayDigits, 3, kMonths[m]) == 0) month = m + 1;
  const std::string dd = date.substr(0, dayDigits), yy = date.substr(dayDigits + 3);
  const auto digits = [](const std::string& t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](unsigned char ch) { return std::isdigit(ch); });
  };
  if (!month || !digits(dd) || !digits(yy)) return false;
  const int day = std::stoi(dd);
  if (day < 1 || day > 31) return false;
  expiry = expiryAt0800Utc(2000 + std::stoi(yy), month, day);
  if (deribitExpiryCode(expiry) != date) return false;  // 31FEB26 and the like
  if (!digits(parts[2]) || parts[2].size() > 9) return false;
  strike = toFixed(double(std::stoll(parts[2])));
  return true;
}
}  // namespace

nlohmann::json RpcDispatcher::listInstrument(Call& c) {
  if (!c.s.isLoopback())
    throw RpcError(deribit::kNotOnThisServer, {{"reason", "kappa/list_instrument is accepted from loopback only"}});
  const std::string name = c.p.str("instrument_name");
  std::string currency;
  Nanos expiry = 0;
  Price strike = 0;
  OptionType type = OptionType::None;
  if (!parseOptionName(name, currency, expiry, strike, type))
    throw invalidParam("instrument_name", "must name an option as Deribit does, e.g. BTC-8DEC26-71000-C");
  std::string why;
  const InstrumentId id = market_.listOption(currency, expiry, strike, type, &why);
  if (id == kNoInstrument) throw invalidParam("instrument_name", why);
  std::cerr << "kappa-exchange: listed " << name << "\n";
  return market_.instrumentJson(market_.instruments()[id]);
}

nlohmann::json RpcDispatcher::expireInstrument(Call& c) {
  if (!c.s.isLoopback())
    throw RpcError(deribit::kNotOnThisServer, {{"reason", "kappa/expire_instrument is accepted from loopback only"}});
  const std::string name = c.p.str("instrument_name");
  const Instrument* inst = market_.find(name);
  if (!inst) throw RpcError(deribit::kInvalidInstrument, {{"param", "instrument_name"}, {"reason", "unknown instrument"}});
  std::string why;
  if (!market_.expire(inst->id, &why)) throw invalidParam("instrument_name", why);
  std::cerr << "kappa-exchange: expired " << name << "\n";
  return market_.instrumentJson(*inst);
}

}  // namespace kappa::exchange
