#include "BinanceRestApi.hpp"

#include <algorithm>
#include <functional>
#include <iostream>

#include "BinanceErrors.hpp"
#include "Crypto.hpp"

namespace kappa::exchange::binance {
namespace {
enum class Auth { None, ApiKey, Signed };

struct Endpoint {
  const char* verb;
  const char* path;
  Auth auth;
  bool order;  // counts on the order-rate limits
};

// Binance's documented weights (USD-M futures "General Info" and each endpoint's page).
int weightOf(const std::string& verb, const std::string& path, const Request& r) {
  const bool symbol = r.has("symbol");
  if (path == "/fapi/v1/depth") {
    const long long limit = r.integerOr("limit", 500);
    return limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20;
  }
  if (path == "/fapi/v1/klines") {
    const long long limit = r.integerOr("limit", 500);
    return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
  }
  if (path == "/fapi/v1/trades") return 5;
  if (path == "/fapi/v1/aggTrades") return 20;
  if (path == "/fapi/v1/ticker/24hr") return symbol ? 1 : 40;
  if (path == "/fapi/v1/ticker/bookTicker") return symbol ? 2 : 5;
  if (path == "/fapi/v1/premiumIndex") return symbol ? 1 : 10;
  if (path == "/fapi/v1/openOrders") return symbol ? 1 : 40;
  if (path == "/fapi/v2/account" || path == "/fapi/v3/account" || path == "/fapi/v2/balance" ||
      path == "/fapi/v3/balance" || path == "/fapi/v2/positionRisk" || path == "/fapi/v3/positionRisk" ||
      path == "/fapi/v1/userTrades")
    return 5;
  if (path == "/fapi/v1/positionSide/dual" || path == "/fapi/v1/multiAssetsMargin") return 30;
  if (path == "/fapi/v1/commissionRate") return 20;
  if (path == "/fapi/v1/order" && verb == "POST") return 0;  // counts on the order limits only
  return 1;
}

std::string dec(double v, int d) { return Market::decimal(v, d); }
}  // namespace

nlohmann::json RestApi::rateLimitsJson() const {
  const RateLimitConfig& c = limits_.config();
  return nlohmann::json::array(
      {{{"rateLimitType", "REQUEST_WEIGHT"}, {"interval", "MINUTE"}, {"intervalNum", 1}, {"limit", c.weightPerMinute}},
       {{"rateLimitType", "ORDERS"}, {"interval", "MINUTE"}, {"intervalNum", 1}, {"limit", c.ordersPerMinute}},
       {{"rateLimitType", "ORDERS"}, {"interval", "SECOND"}, {"intervalNum", 10}, {"limit", c.ordersPer10s}}});
}

RpcDispatcher::HttpAnswer RestApi::handle(const std::string& verb, const std::string& target, const std::string& apiKey,
                                          const std::string& body, const std::string& ip, bool loopback) {
  RpcDispatcher::HttpAnswer out;
  const std::size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::int64_t now = market_.nowMs();
  const std::int64_t clock = now + faults_.clockShiftMs;  // as signed requests and /time see it (clock fault)
  auto fail = [&](const ApiError& e) {
    out.status = e.status;
    out.body = e.body().dump();
  };
  try {
    const Request r(query, body);
    if (path == "/kappa/binance/fault") {
      out.control = true;
      if (!loopback) throw ApiError(403, -1002, "kappa fault control is accepted from loopback only");
      out.body = fault(r).dump();
      return out;
    }

    static const Endpoint table[] = {
        {"GET", "/fapi/v1/ping", Auth::None, false},
        {"GET", "/fapi/v1/time", Auth::None, false},
        {"GET", "/fapi/v1/exchangeInfo", Auth::None, false},
        {"GET", "/fapi/v1/depth", Auth::None, false},
        {"GET", "/fapi/v1/trades", Auth::None, false},
        {"GET", "/fapi/v1/aggTrades", Auth::None, false},
        {"GET", "/fapi/v1/klines", Auth::None, false},
        {"GET", "/fapi/v1/premiumIndex", Auth::None, false},
        {"GET", "/fapi/v1/ticker/bookTicker", Auth::None, false},
        {"GET", "/fapi/v1/ticker/24hr", Auth::None, false},
        {"POST", "/fapi/v1/order", Auth::Signed, true},
        {"PUT", "/fapi/v1/order", Auth::Signed, true},
        {"DELETE", "/fapi/v1/order", Auth::Signed, false},
        {"GET", "/fapi/v1/order", Auth::Signed, false},
        {"GET", "/fapi/v1/openOrders", Auth::Signed, false},
        {"DELETE", "/fapi/v1/allOpenOrders", Auth::Signed, false},
        {"GET", "/fapi/v1/userTrades", Auth::Signed, false},
        {"GET", "/fapi/v2/positionRisk", Auth::Signed, false},
        {"GET", "/fapi/v3/positionRisk", Auth::Signed, false},
        {"GET", "/fapi/v2/account", Auth::Signed, false},
        {"GET", "/fapi/v3/account", Auth::Signed, false},
        {"GET", "/fapi/v2/balance", Auth::Signed, false},
        {"GET", "/fapi/v3/balance", Auth::Signed, false},
        {"GET", "/fapi/v1/leverageBracket", Auth::Signed, false},
        {"POST", "/fapi/v1/leverage", Auth::Signed, false},
        {"GET", "/fapi/v1/positionSide/dual", Auth::Signed, false},
        {"POST", "/fapi/v1/positionSide/dual", Auth::Signed, false},
        {"GET", "/fapi/v1/multiAssetsMargin", Auth::Signed, false},
        {"GET", "/fapi/v1/commissionRate", Auth::Signed, false},
        {"POST", "/fapi/v1/listenKey", Auth::ApiKey, false},
        {"PUT", "/fapi/v1/listenKey", Auth::ApiKey, false},
        {"DELETE", "/fapi/v1/listenKey", Auth::ApiKey, false},
    };
    const Endpoint* ep = nullptr;
    bool pathKnown = false;
    for (const Endpoint& e : table)
      if (path == e.path) {
        pathKnown = true;
        if (verb == e.verb) ep = &e;
      }
    if (!ep) {
      if (pathKnown) throw ApiError(405, -1000, "Method " + verb + " is not allowed on " + path);
      throw notFound(path);
    }

    // The weight is spent before anything else, as Binance does (a rejected request costs too).
    const RateLimits::Verdict v = limits_.spendWeight(ip, weightOf(verb, path, r), now);
    out.headers.push_back({"X-MBX-USED-WEIGHT-1M", std::to_string(v.usedWeight)});
    if (v.status == 418) {
      out.headers.push_back({"Retry-After", std::to_string(v.retryAfterS)});
      throw ApiError(418, -1003, "Way too many requests; IP(" + ip + ") banned until " + std::to_string(v.bannedUntilMs) +
                                     ". Please use the websocket for live updates to avoid bans.");
    }
    if (v.status == 429) {
      out.headers.push_back({"Retry-After", std::to_string(v.retryAfterS)});
      throw tooManyRequests("Too many requests; current limit of IP(" + ip + ") is " +
                            std::to_string(limits_.config().weightPerMinute) +
                            " requests per minute. Please use the websocket for live updates to avoid polling the API.");
    }

    Account* account = nullptr;
    if (ep->auth != Auth::None) {
      if (apiKey.empty()) throw badApiKeyFormat();
      account = &trading_.byApiKey(apiKey);
    }
    if (ep->auth == Auth::Signed) {
      const long long ts = r.integer("timestamp");
      const long long recvWindow = r.integerOr("recvWindow", 5000);
      if (recvWindow <= 0 || recvWindow > 60000) throw ApiError(400, -1131, "recvWindow must be less than 60000");
      if (ts < clock - recvWindow || ts > clock + 1000) throw timestampOutside();
      if (r.signature().empty()) throw mandatoryMissing("signature");
      if (!equalConstantTime(hmacSha256Hex(account->secret, r.signedPayload()), r.signature())) throw badSignature();
    }
    if (ep->order) {
      int n10 = 0, n1m = 0;
      const RateLimits::Verdict ov = limits_.spendOrder(account->id, now, n10, n1m);
      out.headers.push_back({"X-MBX-ORDER-COUNT-10S", std::to_string(n10)});
      out.headers.push_back({"X-MBX-ORDER-COUNT-1M", std::to_string(n1m)});
      if (ov.status == 429) {
        out.headers.push_back({"Retry-After", std::to_string(ov.retryAfterS)});
        throw tooManyOrders("Too many new orders; current limit is " + std::to_string(limits_.config().ordersPer10s) +
                            " orders per 10 SECOND.");
      }
    }

    nlohmann::json result;
    auto symbolOrAll = [&](const std::function<nlohmann::json(InstrumentId)>& one) {
      if (auto s = r.get("symbol")) return one(market_.symbol(*s).id);
      nlohmann::json all = nlohmann::json::array();
      for (InstrumentId id : market_.symbols())
        if (market_.listed(id)) all.push_back(one(id));
      return all;
    };
    if (path == "/fapi/v1/ping") {
      result = nlohmann::json::object();
    } else if (path == "/fapi/v1/time") {
      result = {{"serverTime", clock}};
    } else if (path == "/fapi/v1/exchangeInfo") {
      result = market_.exchangeInfo(rateLimitsJson());
    } else if (path == "/fapi/v1/depth") {
      const Instrument& inst = market_.symbol(r.required("symbol"));
      const long long limit = r.integerOr("limit", 500);
      static const long long allowed[] = {5, 10, 20, 50, 100, 500, 1000};
      if (std::find(std::begin(allowed), std::end(allowed), limit) == std::end(allowed)) throw illegalParam("limit");
      if (faults_.staleSnapshots > 0) {
        --faults_.staleSnapshots;
        if (const BookSnapshot* old = market_.oldSnapshot(inst.id, faults_.staleSnapshotAgeMs)) {
          BookSnapshot s = *old;
          s.bids.resize(std::min<std::size_t>(s.bids.size(), std::size_t(limit)));
          s.asks.resize(std::min<std::size_t>(s.asks.size(), std::size_t(limit)));
          std::cerr << "kappa-exchange: binance fault: stale depth snapshot of " << inst.name << " (lastUpdateId "
                    << s.lastUpdateId << ", now " << market_.lastUpdateId(inst.id) << ")\n";
          result = market_.depth(s);
        }
      }
      if (result.is_null()) result = market_.depth(market_.snapshot(inst.id, std::size_t(limit)));
    } else if (path == "/fapi/v1/trades") {
      const Instrument& inst = market_.symbol(r.required("symbol"));
      result = market_.trades(inst.id, std::size_t(std::clamp<long long>(r.integerOr("limit", 500), 1, 1000)));
    } else if (path == "/fapi/v1/aggTrades") {
      const Instrument& inst = market_.symbol(r.required("symbol"));
      result = market_.aggTrades(inst.id, std::size_t(std::clamp<long long>(r.integerOr("limit", 500), 1, 1000)),
                                 r.integerOr("fromId", -1), r.integerOr("startTime", -1), r.integerOr("endTime", -1));
    } else if (path == "/fapi/v1/klines") {
      const Instrument& inst = market_.symbol(r.required("symbol"));
      const std::int64_t interval = Market::intervalMs(r.required("interval"));
      if (!interval) throw invalidInterval();
      result = market_.klines(inst.id, interval, std::size_t(std::clamp<long long>(r.integerOr("limit", 500), 1, 1500)),
                              r.integerOr("startTime", -1), r.integerOr("endTime", -1));
    } else if (path == "/fapi/v1/premiumIndex") {
      result = symbolOrAll([&](InstrumentId id) { return market_.premiumIndex(id); });
    } else if (path == "/fapi/v1/ticker/bookTicker") {
      result = symbolOrAll([&](InstrumentId id) { return market_.bookTicker(id); });
    } else if (path == "/fapi/v1/ticker/24hr") {
      result = symbolOrAll([&](InstrumentId id) { return market_.ticker24h(id); });
    } else if (path == "/fapi/v1/order") {
      if (verb == "POST") {
        result = trading_.newOrder(*account, r);
        ++ordersAccepted_;
      } else if (verb == "PUT") {
        result = trading_.modifyOrder(*account, r);
      } else if (verb == "DELETE") {
        result = trading_.cancelOrder(*account, r);
      }
      if (verb == faults_.orderNoAnswerVerb && faults_.orderNoAnswer > 0 && faults_.orderNoAnswerMode != "slow") {
        // Done (the order made, modified or cancelled); its answer never comes in time.
        --faults_.orderNoAnswer;
        if (faults_.orderNoAnswerMode == "late")
          out.holdMs = faults_.orderLateMs;
        else
          out.drop = true;
        std::cerr << "kappa-exchange: binance fault: " << verb << " /fapi/v1/order done, answer "
                  << (out.drop ? "never sent (connection closed)" : "held " + std::to_string(out.holdMs) + " ms") << "\n";
      }
      if (verb == "GET") result = trading_.queryOrder(*account, r);
    } else if (path == "/fapi/v1/openOrders") {
      result = trading_.openOrders(*account, r);
    } else if (path == "/fapi/v1/allOpenOrders") {
      result = trading_.cancelAll(*account, r);
    } else if (path == "/fapi/v1/userTrades") {
      result = trading_.userTrades(*account, r);
    } else if (path == "/fapi/v2/positionRisk" || path == "/fapi/v3/positionRisk") {
      result = trading_.positionRisk(*account, r, path[7] - '0');
    } else if (path == "/fapi/v2/account" || path == "/fapi/v3/account") {
      result = trading_.account(*account, path[7] - '0');
    } else if (path == "/fapi/v2/balance" || path == "/fapi/v3/balance") {
      result = trading_.balance(*account);
    } else if (path == "/fapi/v1/leverageBracket") {
      result = trading_.leverageBracket(r);
    } else if (path == "/fapi/v1/leverage") {
      result = trading_.setLeverage(*account, r);
    } else if (path == "/fapi/v1/positionSide/dual") {
      if (verb == "GET") {
        result = {{"dualSidePosition", false}};
      } else {
        // One-way mode only: asking for it again is Binance's "no need"; hedge mode is not served.
        if (r.required("dualSidePosition") == "false") throw noChangeInPositionSide();
        throw ApiError(400, -4068, "Hedge mode (dualSidePosition=true) is not supported by kappa-exchange.");
      }
    } else if (path == "/fapi/v1/multiAssetsMargin") {
      result = {{"multiAssetsMargin", false}};
    } else if (path == "/fapi/v1/commissionRate") {
      const Instrument& inst = market_.symbol(r.required("symbol"));
      result = {{"symbol", inst.name},
                {"makerCommissionRate", dec(inst.makerFee, 4)},
                {"takerCommissionRate", dec(inst.takerFee, 4)}};
    } else if (path == "/fapi/v1/listenKey") {
      if (verb == "POST") {
        result = {{"listenKey", streams_.createListenKey(account->id)}};
      } else if (verb == "PUT") {
        if (!streams_.keepAliveListenKey(account->id)) throw invalidListenKey();
        result = nlohmann::json::object();
      } else {
        streams_.closeListenKey(account->id);
        result = nlohmann::json::object();
      }
    }
    out.body = result.dump();
  } catch (const ApiError& e) {
    fail(e);
  } catch (const std::exception& e) {
    std::cerr << "kappa-exchange: binance " << verb << " " << path << " failed: " << e.what() << "\n";
    fail(unknownError());
  }
  return out;
}

int RestApi::deferMs(const std::string& verb, const std::string& path) {
  if (verb != faults_.orderNoAnswerVerb || path != "/fapi/v1/order" || faults_.orderNoAnswer <= 0 ||
      faults_.orderNoAnswerMode != "slow")
    return 0;
  --faults_.orderNoAnswer;
  std::cerr << "kappa-exchange: binance fault: an order request held " << faults_.orderLateMs << " ms before it is processed\n";
  return faults_.orderLateMs;
}

bool RestApi::takeCloseOnRequest() {
  if (faults_.closeOnRequest <= 0) return false;
  --faults_.closeOnRequest;
  ++requestsClosed_;
  return true;
}

nlohmann::json RestApi::fault(const Request& r) {
  const std::string action = r.required("action");
  auto num = [&](const char* k, double fallback) { return r.has(k) ? std::stod(r.required(k)) : fallback; };
  nlohmann::json done = {{"action", action}};
  if (action == "skip_update_ids") {
    faults_.skipUpdateIds = 1;
  } else if (action == "pu_break") {
    faults_.puBreaks = 1;
  } else if (action == "stale_snapshot") {
    faults_.staleSnapshots = int(num("count", 1));
    faults_.staleSnapshotAgeMs = int(num("age_ms", faults_.staleSnapshotAgeMs));
  } else if (action == "rate_limit") {
    limits_.force429(int(num("count", 1)));
  } else if (action == "ban") {
    limits_.banNow(r.getOr("ip", "127.0.0.1"), market_.nowMs() + std::int64_t(num("seconds", 120) * 1000));
  } else if (action == "expire_listen_key") {
    int account = 0;
    if (auto key = r.get("api_key")) account = trading_.byApiKey(*key).id;
    done["expired"] = streams_.expireListenKeys(account);
  } else if (action == "clock_shift") {
    faults_.clockShiftMs = (long long)num("ms", 0);
  } else if (action == "order_no_answer") {
    const std::string mode = r.getOr("mode", "drop");
    if (mode != "drop" && mode != "late" && mode != "slow") throw illegalParam("mode");
    const std::string verb = r.getOr("verb", "POST");
    if (verb != "POST" && verb != "PUT" && verb != "DELETE") throw illegalParam("verb");
    faults_.orderNoAnswerVerb = verb;
    faults_.orderNoAnswer = int(num("count", 1));
    faults_.orderNoAnswerMode = mode;
    faults_.orderLateMs = int(num("ms", faults_.orderLateMs));
  } else if (action == "list_symbol" || action == "delist_symbol") {
    const Instrument* inst = market_.state().findBinance(r.required("symbol"));
    if (!inst || !market_.isSymbol(inst->id)) throw invalidSymbol();
    // delist: status=SETTLING (default) or CLOSE etc. keeps it in exchangeInfo under that status;
    // status=none takes it off the list altogether.
    const std::string status = action == "list_symbol" ? std::string("TRADING") : r.getOr("status", "SETTLING");
    // Binance takes a symbol off the list once it has closed: no order of it is left open.
    if (status == "none" && market_.listed(inst->id)) done["cancelled"] = trading_.cancelEveryOrderOn(inst->id);
    market_.setListing(inst->id, status != "none", status);
    done["symbol"] = inst->name;
    done["status"] = market_.status(inst->id);
  } else if (action == "book") {
    // The whole book as of the last @depth@100ms event (its u), to compare a client's with.
    const Instrument& inst = market_.symbol(r.required("symbol"));
    const auto& symbols = market_.symbols();
    const BookSnapshot& b =
        streams_.bookAtLastDepthEvent(std::size_t(std::find(symbols.begin(), symbols.end(), inst.id) - symbols.begin()));
    done["symbol"] = inst.name;
    done["book"] = market_.depth(b);
  } else if (action == "drop_streams") {
    done["dropped"] = streams_.dropAll();
  } else if (action == "skip_every") {
    faults_.skipEverySeconds = num("seconds", 0);
  } else if (action == "pu_break_every") {
    faults_.puBreakEverySeconds = num("seconds", 0);
  } else if (action == "drop_every") {
    faults_.dropEverySeconds = num("seconds", 0);
  } else if (action == "account_update_first") {
    faults_.accountUpdateFirst = int(num("count", 1));
    faults_.accountUpdateGapMs = int(num("gap_ms", faults_.accountUpdateGapMs));
  } else if (action == "close_on_request") {
    faults_.closeOnRequest = int(num("count", 1));
  } else if (action == "clear") {
    faults_ = Faults{};
  } else if (action != "status") {
    throw illegalParam("action");
  }
  std::cerr << "kappa-exchange: binance fault " << action << "\n";
  done["faults"] = {{"skip_update_ids", faults_.skipUpdateIds},    {"pu_break", faults_.puBreaks},
                    {"stale_snapshots", faults_.staleSnapshots},   {"stale_snapshot_age_ms", faults_.staleSnapshotAgeMs},
                    {"skip_every", faults_.skipEverySeconds},       {"pu_break_every", faults_.puBreakEverySeconds},
                    {"drop_every", faults_.dropEverySeconds},       {"connections", streams_.connections()},
                    {"clock_shift_ms", faults_.clockShiftMs},       {"order_no_answer", faults_.orderNoAnswer},
                    {"order_no_answer_mode", faults_.orderNoAnswerMode}, {"order_late_ms", faults_.orderLateMs},
                    {"order_no_answer_verb", faults_.orderNoAnswerVerb},
                    {"account_update_first", faults_.accountUpdateFirst}, {"account_update_gap_ms", faults_.accountUpdateGapMs},
                    {"orders_accepted", ordersAccepted_}};
  // HTTP keep-alive as the clients practise it: how many connections their REST requests came on.
  done["rest"] = {{"connections", connections_}, {"close_on_request", faults_.closeOnRequest},
                  {"requests_closed", requestsClosed_}};
  return done;
}

}  // namespace kappa::exchange::binance
