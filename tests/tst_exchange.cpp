// kappa-exchange, the simulator as a Deribit-protocol exchange, tested as a real process over
// loopback with a small synchronous Boost.Beast client (WebSocket, HTTP, TLS): the session
// methods, instrument shapes against a real Deribit answer, the book channel's snapshot and
// change_id chain against get_order_book, the order lifecycle with user.orders / user.trades,
// account isolation, the rate limit that closes the session, heartbeats, cancel-on-disconnect,
// fault injection and TLS with a certificate made here with the openssl command.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "ExchangeProcess.hpp"
#include <optional>
#include <set>
#include "TestPaths.hpp"

using nlohmann::json;
namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr int kWaitMs = 10000;  // every wait in this test is bounded

std::string hmacHex(const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


// A blocking JSON-RPC client over WebSocket (plain or TLS). One read is always outstanding;
// messages queue up in arrival order, and every wait runs the io_context for a bounded time.
template <class Next>
class BasicWsClient {
 public:
  using websocket_stream_type = beast::websocket::stream<Next>;
  template <class... Args>
  explicit BasicWsClient(Args&&... args) : ws_(std::forward<Args>(args)...) {}

  websocket_stream_type& stream() { return ws_; }
  bool closed() const { return closed_; }

  void startReading() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        closed_ = true;
        return;
      }
      inbox_.push_back(json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false));
      buffer_.consume(buffer_.size());
      startReading();
    });
  }
  void sendRaw(const std::string& text) {
    bool done = false;
    ws_.async_write(asio::buffer(text), [&](beast::error_code ec, std::size_t) {
      if (ec) closed_ = true;
      done = true;
    });
    runUntil([&] { return done; }, kWaitMs);
  }
  int send(const std::string& method, const json& params = json::object()) {
    const int id = ++nextId_;
    sendRaw(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
    return id;
  }
  // The answer to request `id`; notifications that arrive first are kept in `notes`.
  json answer(int id, int ms = kWaitMs) {
    std::optional<json> found;
    runUntil(
        [&] {
          while (!inbox_.empty()) {
            json m = std::move(inbox_.front());
            inbox_.pop_front();
            if (m.contains("id") && m["id"] == id) {
              found = std::move(m);
              return true;
            }
            notes.push_back(std::move(m));
          }
          return closed_;
        },
        ms);
    return found.value_or(json());
  }
  json call(const std::string& method, const json& params = json::object()) { return answer(send(method, params)); }
  // The next notification on `channel` (from `notes` first).
  json next(const std::string& channel, int ms = kWaitMs) {
    std::optional<json> found;
    runUntil(
        [&] {
          for (auto it = notes.begin(); it != notes.end(); ++it)
            if (isOn(*it, channel)) {
              found = std::move(*it);
              notes.erase(it);
              return true;
            }
          while (!inbox_.empty()) {
            json m = std::move(inbox_.front());
            inbox_.pop_front();
            if (isOn(m, channel)) {
              found = std::move(m);
              return true;
            }
            notes.push_back(std::move(m));
          }
          return closed_;
        },
        ms);
    return found ? (*found)["params"]["data"] : json();
  }
  // The next notification on any of `channels`, in arrival order: {channel, data}.
  std::pair<std::string, json> nextOf(const std::set<std::string>& channels, int ms = kWaitMs) {
    std::optional<json> found;
    const auto on = [&](const json& m) {
      return m.is_object() && m.value("method", "") == "subscription" && channels.count(m["params"].value("channel", ""));
    };
    runUntil(
        [&] {
          for (auto it = notes.begin(); it != notes.end(); ++it)
            if (on(*it)) {
              found = std::move(*it);
              notes.erase(it);
              return true;
            }
          while (!inbox_.empty()) {
            json m = std::move(inbox_.front());
            inbox_.pop_front();
            if (on(m)) {
              found = std::move(m);
              return true;
            }
            notes.push_back(std::move(m));
          }
          return closed_;
        },
        ms);
    if (!found) return {"", json()};
    return {(*found)["params"]["channel"].get<std::string>(), (*found)["params"]["data"]};
  }
  // Waits for the server to close the connection.
  bool waitClosed(int ms = kWaitMs) {
    runUntil([&] { return closed_; }, ms);
    return closed_;
  }
  template <class Pred>
  void runUntil(Pred pred, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      io().restart();
      io().run_one_for(std::chrono::milliseconds(20));
    }
  }
  std::deque<json> notes;

 private:
  static bool isOn(const json& m, const std::string& channel) {
    return m.is_object() && m.value("method", "") == "subscription" && m["params"].value("channel", "") == channel;
  }
  asio::io_context& io() { return static_cast<asio::io_context&>(ws_.get_executor().context()); }
  websocket_stream_type ws_;
  beast::flat_buffer buffer_;
  std::deque<json> inbox_;
  bool closed_ = false;
  int nextId_ = 0;
};

struct WsClient {
  asio::io_context io;
  std::unique_ptr<BasicWsClient<tcp::socket>> plain;
  bool connect(unsigned short port) {
    plain = std::make_unique<BasicWsClient<tcp::socket>>(io);
    beast::error_code ec;
    beast::get_lowest_layer(plain->stream()).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    plain->stream().handshake("127.0.0.1", "/ws/api/v2", ec);
    if (ec) return false;
    plain->startReading();
    return true;
  }
  BasicWsClient<tcp::socket>* operator->() { return plain.get(); }
};

bool isError(const json& answer, int code) {
  return answer.is_object() && answer.contains("error") && answer["error"].value("code", 0) == code;
}
json result(const json& answer) { return answer.is_object() && answer.contains("result") ? answer["result"] : json(); }

// One HTTP request (a fresh connection each time); returns status and parsed body.
std::pair<int, json> http(unsigned short port, const std::string& verb, const std::string& target,
                          const std::string& authorization = {}, const std::string& body = {}) {
  namespace h = beast::http;
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {0, json()};
  h::request<h::string_body> req(verb == "POST" ? h::verb::post : h::verb::get, target, 11);
  req.set(h::field::host, "127.0.0.1");
  if (!authorization.empty()) req.set(h::field::authorization, authorization);
  if (!body.empty()) {
    req.set(h::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  stream.expires_after(std::chrono::milliseconds(kWaitMs));
  h::write(stream, req, ec);
  if (ec) return {0, json()};
  beast::flat_buffer buf;
  h::response<h::string_body> res;
  h::read(stream, buf, res, ec);
  if (ec) return {0, json()};
  return {int(res.result_int()), json::parse(res.body(), nullptr, false)};
}

using Book = std::map<double, double>;  // price -> amount
void applyLevels(Book& book, const json& levels) {
  for (const auto& l : levels) {
    const std::string action = l[0];
    if (action == "delete")
      book.erase(l[1].get<double>());
    else
      book[l[1].get<double>()] = l[2].get<double>();
  }
}

}  // namespace

class ExchangeTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void cleanupTestCase();
  void commandLineErrors();
  void helloAndAuth();
  void instrumentsHaveDeribitShape();
  void publicMarketData();
  void rawBookReplaysToOrderBook();
  void book100msChainsFromItsSnapshot();
  void orderLifecycle();
  void orderValidation();
  void ethWhenListed();
  void accountIsolation();
  void httpApi();
  void cancelOnDisconnect();
  void heartbeat();
  void faults();
  void manyOrdersCancelledByCurrency();
  void faultFlags();
  void tokenExpiry();
  void rateLimitClosesSession();
  void tls();

 private:
  json auth(WsClient& c, const std::string& id, const std::string& secret) {
    return c->call("public/auth", {{"grant_type", "client_credentials"}, {"client_id", id}, {"client_secret", secret}});
  }
  json bestPrices(WsClient& c, const std::string& instrument) {
    return result(c->call("public/get_order_book", {{"instrument_name", instrument}, {"depth", 1}}));
  }
  QTemporaryDir dir_;
  QString accountsFile_;
  kappa::test::ExchangeProcess exchange_;
};

void ExchangeTest::initTestCase() {
  QVERIFY(dir_.isValid());
  accountsFile_ = dir_.filePath("accounts.txt");
  QFile f(accountsFile_);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write("# test accounts\nalice:alice-secret BTC=10 ETH=100\nbob:bob-secret\ncarol:carol-secret\n");
  f.close();
  const QString failed = exchange_.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--accounts-file", accountsFile_, "--me-limit", "500/1000",
                                                              "--non-me-limit", "500/1000", "--min-heartbeat", "1"});
  QVERIFY2(failed.isEmpty(), qPrintable(failed + " / " + exchange_.stderrText()));
  QVERIFY(!exchange_.tls());
}

void ExchangeTest::cleanupTestCase() {
  QCOMPARE(exchange_.stop(), 0);  // SIGTERM: a clean exit
  // The log names accounts, never their secrets or tokens.
  const QByteArray log = exchange_.stderrText();
  QVERIFY(!log.isEmpty());
  QVERIFY(!log.contains("alice-secret"));
  QVERIFY(!log.contains("bob-secret"));
}

void ExchangeTest::commandLineErrors() {
  QProcess p;
  p.start(kappa::test::builtExchangeBinary(), {"--listen", "127.0.0.1:0", "--seed", "x"});
  QVERIFY(p.waitForFinished(kWaitMs));
  QCOMPARE(p.exitCode(), 2);
  QVERIFY(p.readAllStandardError().contains("--seed"));
  p.start(kappa::test::builtExchangeBinary(), {"--listen", "127.0.0.1:0", "--account", "nocolon"});
  QVERIFY(p.waitForFinished(kWaitMs));
  QCOMPARE(p.exitCode(), 2);
}

void ExchangeTest::helloAndAuth() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  const json hello = c->call("public/hello", {{"client_name", "tst_exchange"}, {"client_version", "1"}});
  QVERIFY(result(hello).contains("version"));
  QCOMPARE(hello.value("jsonrpc", ""), std::string("2.0"));
  QVERIFY(hello.contains("usIn") && hello.contains("usOut") && hello.contains("usDiff") && hello.contains("testnet"));

  // Private before auth: unauthorized.
  QVERIFY(isError(c->call("private/get_account_summary", {{"currency", "BTC"}}), 13009));
  // Wrong secret: invalid_credentials, with Deribit's message.
  const json bad = auth(c, "alice", "wrong");
  QVERIFY(isError(bad, 13004));
  QCOMPARE(bad["error"].value("message", ""), std::string("invalid_credentials"));
  QVERIFY(isError(auth(c, "nobody", "x"), 13004));

  const json ok = result(auth(c, "alice", "alice-secret"));
  QVERIFY(ok.value("access_token", "").size() > 20);
  QVERIFY(ok.value("refresh_token", "").size() > 20);
  QVERIFY(ok.value("expires_in", 0) > 0);
  QCOMPARE(ok.value("token_type", ""), std::string("bearer"));
  const json summary = result(c->call("private/get_account_summary", {{"currency", "BTC"}}));
  QCOMPARE(summary.value("balance", 0.0), 10.0);
  QCOMPARE(summary.value("currency", ""), std::string("BTC"));

  // client_signature: the secret never travels.
  WsClient s;
  QVERIFY(s.connect(exchange_.port()));
  const std::string ts = std::to_string(nowMs()), nonce = "abc123", data = "";
  const json signedAuth = s->call("public/auth", {{"grant_type", "client_signature"}, {"client_id", "bob"}, {"timestamp", ts},
                                                  {"nonce", nonce}, {"data", data},
                                                  {"signature", hmacHex("bob-secret", ts + "\n" + nonce + "\n" + data)}});
  QVERIFY2(result(signedAuth).contains("access_token"), signedAuth.dump().c_str());
  QVERIFY(isError(s->call("public/auth", {{"grant_type", "client_signature"}, {"client_id", "bob"}, {"timestamp", ts},
                                          {"nonce", nonce}, {"data", data}, {"signature", hmacHex("wrong", ts)}}),
                  13004));
  // refresh_token: a new pair; the old refresh token is spent.
  const std::string refresh = ok["refresh_token"];
  const json refreshed = result(s->call("public/auth", {{"grant_type", "refresh_token"}, {"refresh_token", refresh}}));
  QVERIFY(refreshed.contains("access_token"));
  QVERIFY(isError(s->call("public/auth", {{"grant_type", "refresh_token"}, {"refresh_token", refresh}}), 13009));

  // Unknown method, bad JSON.
  QVERIFY(isError(c->call("public/no_such_method"), -32601));
  c->sendRaw("{not json");
  bool sawParseError = false;
  c->runUntil([&] { return false; }, 300);
  const json t = c->call("public/test");
  for (const json& n : c->notes) sawParseError |= isError(n, -32700);
  QVERIFY(result(t).contains("version"));
  Q_UNUSED(sawParseError);  // the parse error has id null: it is among the notes
}

void ExchangeTest::instrumentsHaveDeribitShape() {
  QFile f(kappa::test::testDataDir() + "/deribit_get_instruments_sample.json");
  QVERIFY(f.open(QIODevice::ReadOnly));
  const json recorded = json::parse(f.readAll().toStdString());
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  const json ours = result(c->call("public/get_instruments", {{"currency", "BTC"}}));
  QVERIFY(ours.is_array() && ours.size() > 100);
  const auto typeOf = [](const json& v) { return v.is_number() ? std::string("number") : std::string(v.type_name()); };
  for (const json& real : recorded["result"]) {
    const std::string kind = real["kind"];
    const bool perp = real["instrument_name"] == "BTC-PERPETUAL";
    const json* match = nullptr;
    for (const json& o : ours)
      if (o["kind"] == kind && (o["instrument_name"] == "BTC-PERPETUAL") == perp) {
        match = &o;
        break;
      }
    QVERIFY2(match, kind.c_str());
    for (auto it = real.begin(); it != real.end(); ++it) {
      QVERIFY2(match->contains(it.key()), (kind + " lacks " + it.key()).c_str());
      QVERIFY2(typeOf((*match)[it.key()]) == typeOf(it.value()), (kind + "." + it.key()).c_str());
    }
  }
  // Filters: kind, currency, expired.
  for (const json& o : result(c->call("public/get_instruments", {{"currency", "BTC"}, {"kind", "option"}})))
    QCOMPARE(o.value("kind", ""), std::string("option"));
  QVERIFY(result(c->call("public/get_instruments", {{"currency", "BTC"}, {"expired", true}})).empty());
  QVERIFY(isError(c->call("public/get_instruments", {{"currency", "XYZ"}}), -32602));
  // Every option's tick and minimum are Deribit's.
  const json options = result(c->call("public/get_instruments", {{"currency", "BTC"}, {"kind", "option"}}));
  QVERIFY(!options.empty());
  QCOMPARE(options[0].value("tick_size", 0.0), 0.0005);
  QCOMPARE(options[0].value("min_trade_amount", 0.0), 0.1);
}

void ExchangeTest::publicMarketData() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(result(c->call("public/get_time")).is_number_integer());
  QCOMPARE(result(c->call("public/status")).value("locked", ""), std::string("false"));
  const json index = result(c->call("public/get_index_price", {{"index_name", "btc_usd"}}));
  QVERIFY(index.value("index_price", 0.0) > 1000);
  const json perp = result(c->call("public/ticker", {{"instrument_name", "BTC-PERPETUAL"}}));
  QVERIFY(perp.value("best_bid_price", 0.0) > 0 && perp.value("best_ask_price", 0.0) > perp.value("best_bid_price", 0.0));
  QVERIFY(perp.value("mark_price", 0.0) > 0);
  // An option's ticker: mark, IVs and Greeks from the engine's pricing.
  const json options = result(c->call("public/get_instruments", {{"currency", "BTC"}, {"kind", "option"}}));
  const json* call = nullptr;
  for (const json& o : options)
    if (o["option_type"] == "call" && o["settlement_period"] != "day") {
      const json t = result(c->call("public/ticker", {{"instrument_name", o["instrument_name"]}}));
      if (t.value("best_bid_price", 0.0) > 0 && t.value("best_ask_price", 0.0) > 0) {
        call = &o;
        QVERIFY(t.value("mark_iv", 0.0) > 5 && t.value("mark_iv", 0.0) < 300);
        QVERIFY(t.value("bid_iv", 0.0) <= t.value("mark_iv", 0.0) + 1e-9);
        QVERIFY(t.value("ask_iv", 0.0) >= t.value("mark_iv", 0.0) - 1e-9);
        const double delta = t["greeks"].value("delta", -1.0);
        QVERIFY(delta > 0 && delta < 1);
        QVERIFY(t["greeks"].value("vega", 0.0) > 0);
        QVERIFY(t.value("underlying_price", 0.0) > 1000);
        break;
      }
    }
  QVERIFY(call);
  // Subscriptions: ticker, index, trades answer with the accepted list; an unknown one is left out.
  const json subs = result(c->call("public/subscribe", {{"channels", {"ticker.BTC-PERPETUAL.100ms", "deribit_price_index.btc_usd",
                                                                       "trades.future.BTC.raw", "book.NOPE.100ms"}}}));
  QCOMPARE(subs.size(), std::size_t(3));
  const json tick = c->next("ticker.BTC-PERPETUAL.100ms");
  QCOMPARE(tick.value("instrument_name", ""), std::string("BTC-PERPETUAL"));
  const json idx = c->next("deribit_price_index.btc_usd");
  QCOMPARE(idx.value("index_name", ""), std::string("btc_usd"));
  QVERIFY(idx.value("price", 0.0) > 1000);
  const json trades = c->next("trades.future.BTC.raw", 20000);
  QVERIFY2(trades.is_array() && !trades.empty(), "no future trade within 20 s");
  QVERIFY(trades[0].contains("trade_id") && trades[0].contains("direction") && trades[0].contains("amount"));
  // The raw book is for authorised connections only (as on Deribit).
  QVERIFY(result(c->call("public/subscribe", {{"channels", {"book.BTC-PERPETUAL.raw"}}})).empty());
  // The grouped book: the top levels, whole, every 100 ms.
  QCOMPARE(result(c->call("public/subscribe", {{"channels", {"book.BTC-PERPETUAL.none.10.100ms"}}})).size(), std::size_t(1));
  const json grouped = c->next("book.BTC-PERPETUAL.none.10.100ms");
  QCOMPARE(grouped["bids"].size(), std::size_t(10));
  QCOMPARE(grouped["asks"].size(), std::size_t(10));
  QVERIFY(grouped["bids"][0][0].get<double>() < grouped["asks"][0][0].get<double>());
  // Recent public trades, newest first, with paging.
  const json last = result(c->call("public/get_last_trades_by_instrument", {{"instrument_name", "BTC-PERPETUAL"}, {"count", 2}}));
  QVERIFY(last["trades"].size() <= 2);
  if (last["trades"].size() == 2) QVERIFY(last["trades"][0]["trade_seq"].get<int>() > last["trades"][1]["trade_seq"].get<int>());
  // Every listed currency (BTC, and ETH once the simulator lists it) has instruments and its index.
  const json currencies = result(c->call("public/get_currencies"));
  QVERIFY(!currencies.empty());
  for (const json& cur : currencies) {
    const std::string code = cur["currency"];
    QVERIFY2(!result(c->call("public/get_instruments", {{"currency", code}})).empty(), code.c_str());
    std::string index = code + "_usd";
    for (auto& ch : index) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    QVERIFY2(result(c->call("public/get_index_price", {{"index_name", index}})).value("index_price", 0.0) > 0, index.c_str());
  }
  // Without a currency, every instrument (as ccxt's fetchMarkets asks).
  QVERIFY(result(c->call("public/get_instruments")).size() >= result(c->call("public/get_instruments", {{"currency", "BTC"}})).size());
}

void ExchangeTest::rawBookReplaysToOrderBook() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
  const std::string ch = "book.BTC-PERPETUAL.raw";
  QCOMPARE(result(c->call("public/subscribe", {{"channels", {ch}}})).size(), std::size_t(1));
  const json snap = c->next(ch);
  QCOMPARE(snap.value("type", ""), std::string("snapshot"));
  Book bids, asks;
  applyLevels(bids, snap["bids"]);
  applyLevels(asks, snap["asks"]);
  std::uint64_t last = snap["change_id"];
  int changes = 0, compared = 0;
  for (int round = 0; round < 5; ++round) {
    c->runUntil([] { return false; }, 300);  // let changes flow
    const int id = c->send("public/get_order_book", {{"instrument_name", "BTC-PERPETUAL"}, {"depth", 10000}});
    const json book = result(c->answer(id));
    // Every change that reached us before the answer: chained, gap-free.
    for (auto it = c->notes.begin(); it != c->notes.end();) {
      if (it->value("method", "") == "subscription" && (*it)["params"]["channel"] == ch) {
        const json& d = (*it)["params"]["data"];
        QCOMPARE(d.value("type", ""), std::string("change"));
        QCOMPARE(d["prev_change_id"].get<std::uint64_t>(), last);
        last = d["change_id"];
        applyLevels(bids, d["bids"]);
        applyLevels(asks, d["asks"]);
        ++changes;
        it = c->notes.erase(it);
      } else {
        ++it;
      }
    }
    QCOMPARE(book["change_id"].get<std::uint64_t>(), last);
    Book theirBids, theirAsks;
    for (const auto& l : book["bids"]) theirBids[l[0].get<double>()] = l[1].get<double>();
    for (const auto& l : book["asks"]) theirAsks[l[0].get<double>()] = l[1].get<double>();
    QVERIFY(theirBids == bids);
    QVERIFY(theirAsks == asks);
    ++compared;
  }
  QVERIFY2(changes > 5, "the perpetual's book hardly changed");
  QCOMPARE(compared, 5);
}

void ExchangeTest::book100msChainsFromItsSnapshot() {
  // The .100ms channel against the .raw one on the same connection: the server publishes raw
  // changes as they happen and each 100 ms window later, so when a window with change_id X
  // arrives, the raw replay has passed X; the window's book must equal the raw book as it was at X.
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
  const std::string raw = "book.BTC-PERPETUAL.raw", agg = "book.BTC-PERPETUAL.100ms";
  QCOMPARE(result(c->call("public/subscribe", {{"channels", {raw, agg}}})).size(), std::size_t(2));
  Book rawBids, rawAsks, aggBids, aggAsks;
  std::map<std::uint64_t, std::pair<Book, Book>> rawAt;  // raw book after each change_id
  std::uint64_t rawLast = 0, aggLast = 0;
  bool rawStarted = false, aggStarted = false;
  int windows = 0;
  while (windows < 10) {
    const auto [channel, d] = c->nextOf({raw, agg});
    QVERIFY2(d.is_object(), "no book message within the wait");
    Book& bids = channel == raw ? rawBids : aggBids;
    Book& asks = channel == raw ? rawAsks : aggAsks;
    std::uint64_t& last = channel == raw ? rawLast : aggLast;
    bool& started = channel == raw ? rawStarted : aggStarted;
    if (!started) {
      QCOMPARE(d.value("type", ""), std::string("snapshot"));  // each channel starts with a snapshot
      bids.clear();
      asks.clear();
      started = true;
    } else {
      QCOMPARE(d.value("type", ""), std::string("change"));
      QCOMPARE(d["prev_change_id"].get<std::uint64_t>(), last);  // gap-free
    }
    applyLevels(bids, d["bids"]);
    applyLevels(asks, d["asks"]);
    last = d["change_id"];
    if (channel == raw) {
      rawAt[last] = {rawBids, rawAsks};
      while (rawAt.size() > 5000) rawAt.erase(rawAt.begin());
      continue;
    }
    QVERIFY(!aggBids.empty() && !aggAsks.empty());
    QVERIFY(aggBids.rbegin()->first < aggAsks.begin()->first);  // never crossed
    const auto at = rawAt.find(last);
    if (at == rawAt.end()) continue;  // a window from before the raw snapshot
    QVERIFY(at->second.first == aggBids);
    QVERIFY(at->second.second == aggAsks);
    ++windows;
  }
}

void ExchangeTest::orderLifecycle() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
  QCOMPARE(result(c->call("private/subscribe", {{"channels", {"user.orders.any.any.raw", "user.trades.any.any.raw",
                                                               "user.changes.future.BTC.raw"}}})).size(),
           std::size_t(3));
  const json top = bestPrices(c, "BTC-PERPETUAL");
  const double bid = top["best_bid_price"], ask = top["best_ask_price"];

  // Rest far below the market.
  const double restPx = std::floor((bid - 1000) / 0.5) * 0.5;
  const json placed = result(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 100}, {"type", "limit"},
                                                     {"price", restPx}, {"label", "rest-1"}}));
  const json order = placed["order"];
  QCOMPARE(order.value("order_state", ""), std::string("open"));
  QCOMPARE(order.value("label", ""), std::string("rest-1"));
  QCOMPARE(order.value("amount", 0.0), 100.0);
  QCOMPARE(order.value("direction", ""), std::string("buy"));
  QVERIFY(placed["trades"].empty());
  const std::string orderId = order["order_id"];
  const json note = c->next("user.orders.any.any.raw");
  QCOMPARE(note.value("order_id", ""), orderId);
  QCOMPARE(note.value("order_state", ""), std::string("open"));

  // Edit: new price and amount.
  const json edited = result(c->call("private/edit", {{"order_id", orderId}, {"amount", 200}, {"price", restPx - 10}}));
  QCOMPARE(edited["order"].value("amount", 0.0), 200.0);
  QCOMPARE(edited["order"].value("price", 0.0), restPx - 10);
  QCOMPARE(edited["order"].value("replaced", false), true);
  QCOMPARE(c->next("user.orders.any.any.raw").value("amount", 0.0), 200.0);
  const json state = result(c->call("private/get_order_state", {{"order_id", orderId}}));
  QCOMPARE(state.value("price", 0.0), restPx - 10);
  const json byLabel = result(c->call("private/get_order_state_by_label", {{"currency", "BTC"}, {"label", "rest-1"}}));
  QCOMPARE(byLabel.size(), std::size_t(1));
  const json open = result(c->call("private/get_open_orders_by_currency", {{"currency", "BTC"}}));
  QCOMPARE(open.size(), std::size_t(1));

  // Cancel.
  const json cancelled = result(c->call("private/cancel", {{"order_id", orderId}}));
  QCOMPARE(cancelled.value("order_state", ""), std::string("cancelled"));
  QCOMPARE(c->next("user.orders.any.any.raw").value("order_state", ""), std::string("cancelled"));
  QVERIFY(isError(c->call("private/cancel", {{"order_id", orderId}}), 11044));
  QVERIFY(result(c->call("private/get_open_orders_by_currency", {{"currency", "BTC"}})).empty());

  // A crossing limit buy fills at once (aggressive by 20 dollars to take the best ask).
  const json filled = result(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 50},
                                                     {"type", "limit"}, {"price", ask + 20}, {"label", "take-1"},
                                                     {"time_in_force", "immediate_or_cancel"}}));
  QVERIFY2(filled["order"].value("filled_amount", 0.0) > 0, filled.dump().c_str());
  QVERIFY(!filled["trades"].empty());
  const json trade = filled["trades"][0];
  QCOMPARE(trade.value("liquidity", ""), std::string("T"));
  QCOMPARE(trade.value("order_id", ""), filled["order"].value("order_id", ""));
  const json tradeNote = c->next("user.trades.any.any.raw");
  QVERIFY(tradeNote.is_array() && !tradeNote.empty());
  QCOMPARE(tradeNote[0].value("trade_id", ""), trade.value("trade_id", ""));
  const double filledAmount = filled["order"]["filled_amount"];
  // user.changes: the order with its trade and the position after it, in one message.
  json change;
  for (int i = 0; i < 20 && !change.is_object(); ++i) {
    const json n = c->next("user.changes.future.BTC.raw");
    QVERIFY(n.is_object());
    if (!n["trades"].empty()) change = n;
  }
  QCOMPARE(change["orders"][0].value("order_id", ""), filled["order"].value("order_id", ""));
  QCOMPARE(change["trades"][0].value("trade_id", ""), trade.value("trade_id", ""));
  QCOMPARE(change["positions"][0].value("instrument_name", ""), std::string("BTC-PERPETUAL"));

  // close_position with a market order flattens: position zero, both trades on record.
  const json sold = result(c->call("private/close_position", {{"instrument_name", "BTC-PERPETUAL"}, {"type", "market"}}));
  QCOMPARE(sold["order"].value("amount", 0.0), filledAmount);
  QCOMPARE(sold["order"].value("direction", ""), std::string("sell"));
  QCOMPARE(sold["order"].value("reduce_only", false), true);
  QCOMPARE(sold["order"].value("order_state", ""), std::string("filled"));
  const json pos = result(c->call("private/get_position", {{"instrument_name", "BTC-PERPETUAL"}}));
  QCOMPARE(pos.value("size", -1.0), 0.0);
  const json trades = result(c->call("private/get_user_trades_by_currency", {{"currency", "BTC"}, {"count", 1}, {"sorting", "asc"}}));
  QCOMPARE(trades["trades"].size(), std::size_t(1));
  QCOMPARE(trades.value("has_more", false), true);
  const json all = result(c->call("private/get_user_trades_by_currency", {{"currency", "BTC"}, {"count", 100}}));
  QVERIFY(all["trades"].size() >= 2);
  QCOMPARE(all.value("has_more", true), false);
  // user.portfolio: the account's figures in the coin.
  QCOMPARE(result(c->call("private/subscribe", {{"channels", {"user.portfolio.btc"}}})).size(), std::size_t(1));
  const json portfolio = c->next("user.portfolio.btc");
  QCOMPARE(portfolio.value("currency", ""), std::string("BTC"));
  QVERIFY(portfolio.contains("equity") && portfolio.contains("available_funds") && portfolio.contains("initial_margin"));
  // Order history: the two filled orders, newest first; the cancelled unfilled one only on request.
  const json history = result(c->call("private/get_order_history_by_currency", {{"currency", "BTC"}}));
  QCOMPARE(history.size(), std::size_t(2));
  QCOMPARE(history[0].value("order_id", ""), sold["order"].value("order_id", ""));
  QCOMPARE(result(c->call("private/get_order_history_by_currency", {{"currency", "BTC"}, {"include_unfilled", true}})).size(),
           std::size_t(3));
  QCOMPARE(result(c->call("private/get_user_trades_by_order", {{"order_id", sold["order"]["order_id"]}})).size(),
           sold["trades"].size());
  // Fees were paid: balance below the start.
  QVERIFY(result(c->call("private/get_account_summary", {{"currency", "BTC"}})).value("balance", 10.0) < 10.0);

  // An option: buy one contract resting below the bid, then cancel_all_by_currency.
  const json options = result(c->call("public/get_instruments", {{"currency", "BTC"}, {"kind", "option"}}));
  const std::string optName = options[options.size() / 2]["instrument_name"];
  const json optPlaced = result(c->call("private/buy", {{"instrument_name", optName}, {"amount", 1}, {"type", "limit"}, {"price", 0.0005}}));
  QCOMPARE(optPlaced["order"].value("order_state", ""), std::string("open"));
  QVERIFY(result(c->call("private/get_account_summary", {{"currency", "BTC"}})).value("initial_margin", 0.0) > 0);
  QCOMPARE(result(c->call("private/cancel_all_by_kind_or_type", {{"kind", {"future"}}, {"currency", "BTC"}})).get<int>(), 0);
  QCOMPARE(result(c->call("private/cancel_all_by_currency", {{"currency", "BTC"}})).get<int>(), 1);
  QCOMPARE(result(c->call("private/get_order_state", {{"order_id", optPlaced["order"]["order_id"]}})).value("order_state", ""),
           std::string("cancelled"));
}

void ExchangeTest::orderValidation() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(isError(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"price", 1000}}), 13009));
  QVERIFY(result(auth(c, "bob", "bob-secret")).contains("access_token"));
  const json top = bestPrices(c, "BTC-PERPETUAL");
  const double bid = top["best_bid_price"], ask = top["best_ask_price"];
  const json base = {{"instrument_name", "BTC-PERPETUAL"}, {"type", "limit"}};
  auto with = [&](json extra) {
    json p = base;
    p.update(extra);
    return p;
  };
  QVERIFY(isError(c->call("private/buy", with({{"amount", 10}, {"price", bid - 100.25}})), 10043));
  QVERIFY(isError(c->call("private/buy", with({{"amount", 15}, {"price", bid - 100}})), 10021));
  QVERIFY(isError(c->call("private/buy", with({{"amount", 5}, {"price", bid - 100}})), 10002));
  QVERIFY(isError(c->call("private/buy", with({{"amount", 10}})), -32602));
  QVERIFY(isError(c->call("private/buy", with({{"amount", 10}, {"price", ask}, {"post_only", true}, {"reject_post_only", true}})), 11054));
  // reduce_only with no position (checked before anything here could have filled).
  QVERIFY(isError(c->call("private/sell", with({{"amount", 10}, {"price", ask + 100}, {"reduce_only", true}})), 11030));
  // post_only without reject: moved to one tick inside the other side, resting.
  const json moved = result(c->call("private/buy", with({{"amount", 10}, {"price", ask + 50}, {"post_only", true}})));
  QCOMPARE(moved["order"].value("order_state", ""), std::string("open"));
  QVERIFY(moved["order"].value("price", 1e9) < ask + 50);
  // It now rests at the inside, where the simulator's takers may fill it at any moment: take it
  // away at once, and accept that it was filled first (then it left a position, not an order).
  const json movedCancel = c->call("private/cancel", {{"order_id", moved["order"]["order_id"]}});
  QVERIFY2(movedCancel.contains("result") || isError(movedCancel, 11044), movedCancel.dump().c_str());
  QVERIFY(isError(c->call("private/buy", {{"instrument_name", "NOPE-PERPETUAL"}, {"amount", 10}, {"price", 100}}), 10020));
  // More than the account can margin: a short option needs at least 0.1 BTC a contract, and
  // Bob has 10 BTC, so 200 contracts are refused.
  const json options = result(c->call("public/get_instruments", {{"currency", "BTC"}, {"kind", "option"}}));
  QVERIFY(isError(c->call("private/sell", {{"instrument_name", options[options.size() / 2]["instrument_name"]},
                                            {"amount", 200}, {"type", "limit"}, {"price", 0.5}}),
                  10009));
  // fill_or_kill that cannot fill in full is killed without trading.
  const json fok = result(c->call("private/buy", with({{"amount", 9000000}, {"price", ask}, {"time_in_force", "fill_or_kill"}})));
  QCOMPARE(fok["order"].value("order_state", ""), std::string("cancelled"));
  QVERIFY(fok["trades"].empty());
  QVERIFY(isError(c->call("private/get_order_state", {{"order_id", "999999999"}}), 10004));
  QCOMPARE(result(c->call("private/cancel_all")).get<int>(), 0);
}

void ExchangeTest::ethWhenListed() {
  // ETH is served as soon as the simulator lists it: its own ids, fees and balance in ETH.
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  bool listed = false;
  for (const json& cur : result(c->call("public/get_currencies"))) listed |= cur["currency"] == "ETH";
  if (!listed) QSKIP("the simulator lists no ETH");
  // Carol trades nothing else in this suite, so her BTC side is known to be untouched.
  QVERIFY(result(auth(c, "carol", "carol-secret")).contains("access_token"));
  const json perp = result(c->call("public/get_instrument", {{"instrument_name", "ETH-PERPETUAL"}}));
  QCOMPARE(perp.value("base_currency", ""), std::string("ETH"));
  QCOMPARE(perp.value("price_index", ""), std::string("eth_usd"));
  const double min = perp["min_trade_amount"];
  const json bought = result(c->call("private/buy", {{"instrument_name", "ETH-PERPETUAL"}, {"amount", min}, {"type", "market"}}));
  QVERIFY2(bought["order"].value("order_id", "").rfind("ETH-", 0) == 0, bought.dump().c_str());
  QCOMPARE(bought["order"].value("order_state", ""), std::string("filled"));
  QCOMPARE(bought["trades"][0].value("fee_currency", ""), std::string("ETH"));
  QVERIFY(bought["trades"][0].value("trade_id", "").rfind("ETH-", 0) == 0);
  const json eth = result(c->call("private/get_account_summary", {{"currency", "ETH"}}));
  QVERIFY(eth.value("balance", 100.0) < 100.0);  // the taker fee, in ETH
  QCOMPARE(result(c->call("private/get_account_summary", {{"currency", "BTC"}})).value("balance", 0.0), 10.0);
  QCOMPARE(result(c->call("private/get_positions", {{"currency", "ETH"}})).size(), std::size_t(1));
  QVERIFY(result(c->call("private/get_positions", {{"currency", "BTC"}})).empty());
  QCOMPARE(result(c->call("private/close_position", {{"instrument_name", "ETH-PERPETUAL"}, {"type", "market"}}))["order"]
               .value("order_state", ""),
           std::string("filled"));
  const json idx = result(c->call("public/get_index_price", {{"index_name", "eth_usd"}}));
  QVERIFY(idx.value("index_price", 0.0) > 0);
}

void ExchangeTest::accountIsolation() {
  WsClient alice, bob;
  QVERIFY(alice.connect(exchange_.port()) && bob.connect(exchange_.port()));
  QVERIFY(result(auth(alice, "alice", "alice-secret")).contains("access_token"));
  QVERIFY(result(auth(bob, "bob", "bob-secret")).contains("access_token"));
  QCOMPARE(result(bob->call("private/subscribe", {{"channels", {"user.orders.any.any.raw"}}})).size(), std::size_t(1));
  const double bid = bestPrices(alice, "BTC-PERPETUAL")["best_bid_price"];
  const json placed = result(alice->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"},
                                                         {"price", std::floor((bid - 800) / 0.5) * 0.5}, {"label", "alice-only"}}));
  const std::string id = placed["order"]["order_id"];
  QVERIFY(result(bob->call("private/get_open_orders_by_currency", {{"currency", "BTC"}})).empty());
  QVERIFY(isError(bob->call("private/get_order_state", {{"order_id", id}}), 10004));
  QVERIFY(isError(bob->call("private/cancel", {{"order_id", id}}), 10004));
  QVERIFY(isError(bob->call("private/edit", {{"order_id", id}, {"amount", 20}, {"price", 1000}}), 10004));
  QVERIFY(result(bob->call("private/get_order_state_by_label", {{"currency", "BTC"}, {"label", "alice-only"}})).empty());
  QCOMPARE(result(bob->call("private/cancel_all")).get<int>(), 0);
  QVERIFY(bob->next("user.orders.any.any.raw", 500).is_null());  // nothing of Alice's reached Bob
  QCOMPARE(result(alice->call("private/get_order_state", {{"order_id", id}})).value("order_state", ""), std::string("open"));
  QCOMPARE(result(alice->call("private/cancel", {{"order_id", id}})).value("order_state", ""), std::string("cancelled"));
}

void ExchangeTest::httpApi() {
  const unsigned short port = exchange_.port();
  auto [status, time] = http(port, "GET", "/api/v2/public/get_time");
  QCOMPARE(status, 200);
  QVERIFY(time["result"].is_number_integer());
  QVERIFY(!time.contains("id"));
  auto [s2, book] = http(port, "GET", "/api/v2/public/get_order_book?instrument_name=BTC-PERPETUAL&depth=5");
  QCOMPARE(s2, 200);
  QCOMPARE(book["result"]["bids"].size(), std::size_t(5));
  // JSON-RPC POST, to /api/v2 and to /api/v2/{method}.
  auto [s3, ticker] = http(port, "POST", "/api/v2", {},
                           R"({"jsonrpc":"2.0","id":7,"method":"public/ticker","params":{"instrument_name":"BTC-PERPETUAL"}})");
  QCOMPARE(s3, 200);
  QCOMPARE(ticker["id"].get<int>(), 7);
  // Private without credentials: 13009, with HTTP 400 as Deribit answers errors.
  auto [s4, denied] = http(port, "GET", "/api/v2/private/get_account_summary?currency=BTC");
  QCOMPARE(s4, 400);
  QVERIFY(isError(denied, 13009));
  // Bearer token from public/auth over HTTP (GET form, as ccxt sends it).
  auto [s5, authed] = http(port, "GET", "/api/v2/public/auth?grant_type=client_credentials&client_id=alice&client_secret=alice-secret");
  QCOMPARE(s5, 200);
  const std::string token = authed["result"]["access_token"];
  auto [s6, summary] = http(port, "GET", "/api/v2/private/get_account_summary?currency=BTC", "Bearer " + token);
  QCOMPARE(s6, 200);
  QCOMPARE(summary["result"].value("currency", ""), std::string("BTC"));
  // Deribit's signature, as ccxt computes it: "ts\nnonce\nMETHOD\nURI\nBODY\n" with the query in the URI.
  const std::string uri = "/api/v2/private/get_positions?currency=BTC&kind=future";
  const std::string ts = std::to_string(nowMs()), nonce = std::to_string(nowMs() + 1);
  const std::string sig = hmacHex("alice-secret", ts + "\n" + nonce + "\nGET\n" + uri + "\n\n");
  auto [s7, positions] = http(port, "GET", uri, "deri-hmac-sha256 id=alice,ts=" + ts + ",sig=" + sig + ",nonce=" + nonce);
  QCOMPARE(s7, 200);
  QVERIFY(positions["result"].is_array());
  // The same nonce again is a replay.
  auto [s8, replay] = http(port, "GET", uri, "deri-hmac-sha256 id=alice,ts=" + ts + ",sig=" + sig + ",nonce=" + nonce);
  QCOMPARE(s8, 400);
  QVERIFY(isError(replay, 13004));
  // A wrong signature.
  auto [s9, wrong] = http(port, "GET", uri, "deri-hmac-sha256 id=alice,ts=" + ts + ",sig=00" + sig.substr(2) + ",nonce=x" + nonce);
  QVERIFY(isError(wrong, 13004));
  // An order over HTTP, signed, then found and cancelled over HTTP.
  const double bid = book["result"]["best_bid_price"];
  const std::string buyUri = "/api/v2/private/buy?amount=10&instrument_name=BTC-PERPETUAL&price=" +
                             std::to_string(int(bid - 900)) + "&type=limit&label=http-1";
  auto [s10, bought] = http(port, "GET", buyUri, "Bearer " + token);
  QCOMPARE(s10, 200);
  QCOMPARE(bought["result"]["order"].value("order_state", ""), std::string("open"));
  auto [s11, cancelled] = http(port, "GET", "/api/v2/private/cancel?order_id=" + bought["result"]["order"]["order_id"].get<std::string>(),
                               "Bearer " + token);
  QCOMPARE(s11, 200);
  QCOMPARE(cancelled["result"].value("order_state", ""), std::string("cancelled"));
  // Subscriptions need a WebSocket.
  auto [s12, sub] = http(port, "GET", "/api/v2/public/subscribe?channels=[\"platform_state\"]");
  QVERIFY(isError(sub, 10030));
  auto [s13, nf] = http(port, "GET", "/nothing");
  QCOMPARE(s13, 404);
}

void ExchangeTest::cancelOnDisconnect() {
  std::string orderId, keptId;
  {
    WsClient c;
    QVERIFY(c.connect(exchange_.port()));
    QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
    QCOMPARE(result(c->call("private/enable_cancel_on_disconnect", {{"scope", "connection"}})).get<std::string>(), std::string("ok"));
    QCOMPARE(result(c->call("private/get_cancel_on_disconnect", {{"scope", "connection"}})).value("enabled", false), true);
    const double bid = bestPrices(c, "BTC-PERPETUAL")["best_bid_price"];
    orderId = result(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"},
                                             {"price", std::floor((bid - 700) / 0.5) * 0.5}}))["order"]["order_id"];
  }  // the connection drops here (no close handshake)
  WsClient other;
  QVERIFY(other.connect(exchange_.port()));
  QVERIFY(result(auth(other, "alice", "alice-secret")).contains("access_token"));
  json state;
  other->runUntil(
      [&] {
        state = result(other->call("private/get_order_state", {{"order_id", orderId}}));
        return state.value("order_state", "") == "cancelled";
      },
      kWaitMs);
  QCOMPARE(state.value("order_state", ""), std::string("cancelled"));
  QCOMPARE(state.value("cancel_reason", ""), std::string("cancel_on_disconnect"));
  // Without it, orders survive the connection.
  {
    WsClient c;
    QVERIFY(c.connect(exchange_.port()));
    QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
    const double bid = bestPrices(c, "BTC-PERPETUAL")["best_bid_price"];
    keptId = result(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"},
                                            {"price", std::floor((bid - 700) / 0.5) * 0.5}}))["order"]["order_id"];
  }
  other->runUntil([] { return false; }, 300);
  QCOMPARE(result(other->call("private/get_order_state", {{"order_id", keptId}})).value("order_state", ""), std::string("open"));
  QCOMPARE(result(other->call("private/cancel", {{"order_id", keptId}})).value("order_state", ""), std::string("cancelled"));
}

void ExchangeTest::heartbeat() {
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  // With cancel-on-disconnect and a working order: a failed heartbeat cancels it.
  QVERIFY(result(auth(c, "bob", "bob-secret")).contains("access_token"));
  QCOMPARE(result(c->call("private/enable_cancel_on_disconnect")).get<std::string>(), std::string("ok"));
  const double bid = bestPrices(c, "BTC-PERPETUAL")["best_bid_price"];
  const std::string orderId = result(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"},
                                                              {"price", std::floor((bid - 650) / 0.5) * 0.5}}))["order"]["order_id"];
  QVERIFY(isError(c->call("public/set_heartbeat", {{"interval", 0}}), -32602));
  QCOMPARE(result(c->call("public/set_heartbeat", {{"interval", 1}})).get<std::string>(), std::string("ok"));
  // Answer two test_requests: the connection stays.
  for (int i = 0; i < 2; ++i) {
    bool got = false;
    c->runUntil(
        [&] {
          for (auto it = c->notes.begin(); it != c->notes.end(); ++it)
            if (it->value("method", "") == "heartbeat") {
              got = (*it)["params"].value("type", "") == "test_request";
              c->notes.erase(it);
              return true;
            }
          c->call("public/get_time");  // pumps messages into notes
          return false;
        },
        kWaitMs);
    QVERIFY(got);
    QVERIFY(result(c->call("public/test")).contains("version"));
  }
  QVERIFY(!c->closed());
  // Stop answering: the exchange closes the connection and cancel-on-disconnect acts.
  QVERIFY(c->waitClosed(kWaitMs));
  WsClient other;
  QVERIFY(other.connect(exchange_.port()));
  QVERIFY(result(auth(other, "bob", "bob-secret")).contains("access_token"));
  const json state = result(other->call("private/get_order_state", {{"order_id", orderId}}));
  QCOMPARE(state.value("order_state", ""), std::string("cancelled"));
  QCOMPARE(state.value("cancel_reason", ""), std::string("cancel_on_disconnect"));
}

void ExchangeTest::tokenExpiry() {
  kappa::test::ExchangeProcess shortLived;
  QVERIFY(shortLived.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--accounts-file", accountsFile_, "--token-lifetime", "1"}).isEmpty());
  WsClient c;
  QVERIFY(c.connect(shortLived.port()));
  const json tokens = result(auth(c, "alice", "alice-secret"));
  QCOMPARE(tokens.value("expires_in", 0), 1);
  c->runUntil([] { return false; }, 1500);  // let the access token expire
  QVERIFY(isError(c->call("private/get_account_summary", {{"currency", "BTC"}}), 13009));
  // The refresh token still gives a new pair on the same connection.
  QVERIFY(result(c->call("public/auth", {{"grant_type", "refresh_token"}, {"refresh_token", tokens["refresh_token"]}}))
              .contains("access_token"));
  QCOMPARE(result(c->call("private/get_account_summary", {{"currency", "BTC"}})).value("currency", ""), std::string("BTC"));
  QCOMPARE(shortLived.stop(), 0);
}

void ExchangeTest::faults() {
  WsClient c, control;
  QVERIFY(c.connect(exchange_.port()) && control.connect(exchange_.port()));
  QVERIFY(result(auth(c, "bob", "bob-secret")).contains("access_token"));
  const double bid = bestPrices(c, "BTC-PERPETUAL")["best_bid_price"];
  const json order = {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"}, {"price", std::floor((bid - 600) / 0.5) * 0.5}};

  // An injected error, once.
  QVERIFY(result(control->call("kappa/fault", {{"action", "error"}, {"method", "private/buy"}, {"code", 11051}, {"count", 1}})).is_object());
  const json refused = c->call("private/buy", order);
  QVERIFY(isError(refused, 11051));
  QCOMPARE(refused["error"].value("message", ""), std::string("system_maintenance"));
  QCOMPARE(result(c->call("private/buy", order))["order"].value("order_state", ""), std::string("open"));

  // Platform lock: platform_state says so, orders are refused, unlock restores.
  // platform_state comes per index (btc_usd, and eth_usd once ETH is listed): read btc_usd's.
  const auto btcState = [&] {
    for (int i = 0; i < 10; ++i) {
      const json s = c->next("platform_state");
      if (!s.is_object() || s.value("price_index", "") == "btc_usd") return s;
    }
    return json();
  };
  QCOMPARE(result(c->call("public/subscribe", {{"channels", {"platform_state"}}})).size(), std::size_t(1));
  QCOMPARE(btcState().value("locked", true), false);
  control->call("kappa/fault", {{"action", "lock"}});
  QCOMPARE(btcState().value("locked", false), true);
  QCOMPARE(result(c->call("public/status")).value("locked", ""), std::string("true"));
  QVERIFY(isError(c->call("private/buy", order), 13028));
  control->call("kappa/fault", {{"action", "unlock"}});
  QCOMPARE(btcState().value("locked", true), false);

  // Skip a change_id: a raw subscriber sees prev_change_id jump.
  const std::string ch = "book.BTC-PERPETUAL.raw";
  QCOMPARE(result(c->call("private/subscribe", {{"channels", {ch}}})).size(), std::size_t(1));
  std::uint64_t last = c->next(ch)["change_id"];
  control->call("kappa/fault", {{"action", "skip_change_id"}, {"instrument_name", "BTC-PERPETUAL"}});
  bool gap = false;
  for (int i = 0; i < 200 && !gap; ++i) {
    const json d = c->next(ch);
    QVERIFY(d.is_object());
    gap = d["prev_change_id"].get<std::uint64_t>() != last;
    last = d["change_id"];
  }
  QVERIFY(gap);

  // Delay: the answer still comes, later.
  control->call("kappa/fault", {{"action", "delay"}, {"ms", 300}});
  const auto t0 = std::chrono::steady_clock::now();
  QVERIFY(result(c->call("public/get_time")).is_number());
  QVERIFY(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(250));  // the fault acted (not a speed claim)
  control->call("kappa/fault", {{"action", "delay"}, {"ms", 0}});

  // 10028 injected: answered, then the session closes.
  control->call("kappa/fault", {{"action", "error"}, {"method", "public/get_time"}, {"code", 10028}, {"count", 1}});
  QVERIFY(isError(c->call("public/get_time"), 10028));
  QVERIFY(c->waitClosed());

  // Drop every connection now: the control connection goes too.
  WsClient victim;
  QVERIFY(victim.connect(exchange_.port()));
  QVERIFY(result(control->call("kappa/fault", {{"action", "drop"}})).is_object());
  QVERIFY(victim->waitClosed());
  QVERIFY(control->waitClosed());
  WsClient after;
  QVERIFY(after.connect(exchange_.port()));
  QVERIFY(result(auth(after, "bob", "bob-secret")).contains("access_token"));
  QCOMPARE(result(after->call("private/cancel_all")).get<int>(), 1);  // the order survived the drop
}

void ExchangeTest::manyOrdersCancelledByCurrency() {
  // HALT ALL's shape: many working orders, one cancel_all_by_currency, every one cancelled and
  // announced on user.orders.
  WsClient c;
  QVERIFY(c.connect(exchange_.port()));
  QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
  QCOMPARE(result(c->call("private/subscribe", {{"channels", {"user.orders.future.BTC.raw"}}})).size(), std::size_t(1));
  const double bid = bestPrices(c, "BTC-PERPETUAL")["best_bid_price"];
  constexpr int kOrders = 300;
  std::vector<int> ids;
  for (int i = 0; i < kOrders; ++i)  // pipelined, as a strategy would send them
    ids.push_back(c->send("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"type", "limit"},
                                          {"price", std::floor((bid - 2000 - i) / 0.5) * 0.5}, {"label", "mm-" + std::to_string(i)}}));
  std::set<std::string> placed;
  for (int id : ids) {
    const json a = c->answer(id);
    QVERIFY2(result(a).contains("order"), a.dump().c_str());
    placed.insert(result(a)["order"]["order_id"].get<std::string>());
  }
  QCOMPARE(int(placed.size()), kOrders);
  QCOMPARE(int(result(c->call("private/get_open_orders_by_currency", {{"currency", "BTC"}, {"kind", "future"}})).size()), kOrders);
  QCOMPARE(result(c->call("private/cancel_all_by_currency", {{"currency", "BTC"}, {"kind", "future"}})).get<int>(), kOrders);
  QVERIFY(result(c->call("private/get_open_orders_by_currency", {{"currency", "BTC"}})).empty());
  std::set<std::string> cancelled;
  for (int i = 0; i < 2 * kOrders + 10 && int(cancelled.size()) < kOrders; ++i) {
    const json n = c->next("user.orders.future.BTC.raw", 2000);
    if (n.is_null()) break;
    if (n.value("order_state", "") == "cancelled") cancelled.insert(n["order_id"].get<std::string>());
  }
  QVERIFY(cancelled == placed);
}

void ExchangeTest::faultFlags() {
  // The same faults from the command line: locked from the start, a method answered with an
  // error, every connection dropped every 3 seconds.
  kappa::test::ExchangeProcess faulty;
  QVERIFY(faulty.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--accounts-file", accountsFile_, "--fault-lock", "--fault-error",
                                            "public/ticker:10041", "--fault-drop-every", "3"}).isEmpty());
  WsClient c;
  QVERIFY(c.connect(faulty.port()));
  QCOMPARE(result(c->call("public/status")).value("locked", ""), std::string("true"));
  const json t = c->call("public/ticker", {{"instrument_name", "BTC-PERPETUAL"}});
  QVERIFY(isError(t, 10041));
  QCOMPARE(t["error"].value("message", ""), std::string("settlement_in_progress"));
  QVERIFY(result(auth(c, "alice", "alice-secret")).contains("access_token"));
  QVERIFY(isError(c->call("private/buy", {{"instrument_name", "BTC-PERPETUAL"}, {"amount", 10}, {"price", 1000}}), 13028));
  QVERIFY(c->waitClosed(kWaitMs));  // dropped by the exchange a few seconds after it started
  // Heartbeats ignored: public/test goes unanswered, no test_request comes.
  WsClient h;
  QVERIFY(h.connect(faulty.port()));
  QVERIFY(result(h->call("kappa/fault", {{"action", "drop_every"}, {"seconds", 0}})).is_object());
  QVERIFY(result(h->call("kappa/fault", {{"action", "heartbeat_silent"}, {"on", true}})).value("heartbeat_silent", false));
  QCOMPARE(result(h->call("public/set_heartbeat", {{"interval", 10}})).get<std::string>(), std::string("ok"));
  QVERIFY(h->answer(h->send("public/test"), 1500).is_null());
  QVERIFY(result(h->call("kappa/fault", {{"action", "clear"}})).value("locked", true) == false);
  QVERIFY(result(h->call("public/test")).contains("version"));
  QCOMPARE(result(h->call("public/status")).value("locked", ""), std::string("false"));
  QCOMPARE(result(h->call("public/disable_heartbeat")).get<std::string>(), std::string("ok"));
  QCOMPARE(faulty.stop(), 0);
}

void ExchangeTest::rateLimitClosesSession() {
  kappa::test::ExchangeProcess strict;
  QVERIFY(strict.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--accounts-file", accountsFile_, "--non-me-limit", "5/10", "--me-limit", "2/3"})
              .isEmpty());
  WsClient c;
  QVERIFY(c.connect(strict.port()));
  int ok = 0;
  json refusal;
  for (int i = 0; i < 40 && !c->closed(); ++i) {
    const json a = c->call("public/get_time");
    if (a.contains("result")) ++ok;
    if (a.contains("error")) {
      refusal = a;
      break;
    }
  }
  QVERIFY2(isError(refusal, 10028), refusal.dump().c_str());
  QCOMPARE(refusal["error"].value("message", ""), std::string("too_many_requests"));
  QVERIFY(ok >= 9);
  QVERIFY(c->waitClosed());
  // Matching-engine requests have their own, smaller pool.
  WsClient t;
  QVERIFY(t.connect(strict.port()));
  QVERIFY(result(auth(t, "alice", "alice-secret")).contains("access_token"));
  int cancels = 0;
  json meRefusal;
  for (int i = 0; i < 10; ++i) {
    const json a = t->call("private/cancel_all");
    if (a.contains("error")) {
      meRefusal = a;
      break;
    }
    ++cancels;
  }
  QVERIFY(isError(meRefusal, 10028));
  QVERIFY(cancels >= 3 && cancels < 10);
  QVERIFY(t->waitClosed());
  QCOMPARE(strict.stop(), 0);
}

void ExchangeTest::tls() {
  const QString cert = dir_.filePath("cert.pem"), key = dir_.filePath("key.pem");
  QProcess openssl;
  openssl.start("openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  QVERIFY(openssl.waitForFinished(60000));
  QCOMPARE(openssl.exitCode(), 0);
  kappa::test::ExchangeProcess secure;
  const QString failed = secure.start(kappa::test::builtExchangeBinary(), {"--seed", "11", "--accounts-file", accountsFile_, "--tls-cert", cert, "--tls-key", key});
  QVERIFY2(failed.isEmpty(), qPrintable(failed));
  QVERIFY(secure.tls());

  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert.toStdString());  // the test's own certificate is the only trusted one
  ctx.set_verify_mode(asio::ssl::verify_peer);
  BasicWsClient<beast::ssl_stream<tcp::socket>> ws(io, ctx);
  beast::error_code ec;
  beast::get_lowest_layer(ws.stream()).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), secure.port()), ec);
  QVERIFY(!ec);
  ws.stream().next_layer().handshake(asio::ssl::stream_base::client, ec);
  QVERIFY2(!ec, ec.message().c_str());
  ws.stream().handshake("127.0.0.1", "/ws/api/v2", ec);
  QVERIFY2(!ec, ec.message().c_str());
  ws.startReading();
  QVERIFY(result(ws.call("public/hello", {{"client_name", "tls"}})).contains("version"));
  QVERIFY(result(ws.call("public/auth", {{"grant_type", "client_credentials"}, {"client_id", "alice"}, {"client_secret", "alice-secret"}}))
              .contains("access_token"));
  QCOMPARE(result(ws.call("public/subscribe", {{"channels", {"book.BTC-PERPETUAL.raw"}}})).size(), std::size_t(1));
  QCOMPARE(ws.next("book.BTC-PERPETUAL.raw").value("type", ""), std::string("snapshot"));
  // HTTPS on the same port.
  {
    namespace h = beast::http;
    beast::ssl_stream<beast::tcp_stream> https(io, ctx);
    beast::get_lowest_layer(https).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), secure.port()), ec);
    QVERIFY(!ec);
    beast::get_lowest_layer(https).expires_after(std::chrono::milliseconds(kWaitMs));
    https.handshake(asio::ssl::stream_base::client, ec);
    QVERIFY2(!ec, ec.message().c_str());
    h::request<h::empty_body> req(h::verb::get, "/api/v2/public/get_index_price?index_name=btc_usd", 11);
    req.set(h::field::host, "127.0.0.1");
    h::write(https, req, ec);
    beast::flat_buffer buf;
    h::response<h::string_body> res;
    h::read(https, buf, res, ec);
    QVERIFY2(!ec, ec.message().c_str());
    QCOMPARE(int(res.result_int()), 200);
    QVERIFY(json::parse(res.body())["result"].value("index_price", 0.0) > 1000);
  }
  // A plain-TCP WebSocket client is not served on a TLS port.
  WsClient plain;
  QVERIFY(!plain.connect(secure.port()));
  QCOMPARE(secure.stop(), 0);
}

QTEST_GUILESS_MAIN(ExchangeTest)
#include "tst_exchange.moc"
