// The connectors' shared network code (engine/venue/net): the endpoint-URL parser every venue
// uses, and Binance's REST client with its keep-alive pool against a real kappa-exchange - requests
// reuse one connection (the exchange counts the connections its Binance REST requests came on), a
// connection the server closed while idle is replaced for a GET, a GET whose kept connection is
// closed as it arrives is sent again on a fresh one, a timed-out connection is never kept, and an
// order POST closed on arrival is NOT sent again: its outcome is unknown to the caller, and the
// exchange shows it never got a second one. Plain http and https (a test CA).
#include <QtTest>

#include <QDateTime>
#include <QJsonArray>
#include <QTemporaryDir>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <optional>

#include "ExchangeProcess.hpp"
#include "TestCa.hpp"
#include "venue/binance/BinanceHttp.hpp"
#include "venue/net/Endpoint.hpp"

using namespace kappa;

namespace {

const char* kKey = "net-test-key";
const char* kSecret = "net-test-secret-never-logged";

}  // namespace

class TestVenueNet : public QObject {
  Q_OBJECT
  kappa::test::ExchangeProcess exchange_;
  int port_ = 0;

  // POST /kappa/binance/fault?QUERY (loopback only; its own connection, never counted): the
  // answer's "rest" object {connections, close_on_request, requests_closed}.
  QJsonObject binanceFault(const QString& query) {
    const QJsonDocument d = kappa::test::binanceSigned(port_, "POST", "/kappa/binance/fault", query, "", "");
    return d.object()["rest"].toObject();
  }
  int restConnections() { return binanceFault("action=status")["connections"].toInt(-1); }
  // kappa/fault on the exchange's Deribit API (drop, delay: they reach Binance's REST side too); true if accepted.
  bool deribitFault(const QList<QPair<QString, QString>>& params) {
    QUrlQuery q;
    q.setQueryItems(params);
    return exchange_.get("kappa/fault", q).contains("result");
  }

  // One request through the client, the io_context run on this thread until it is answered.
  static binance::HttpResponse call(boost::asio::io_context& io, binance::HttpClient& http, const std::string& method,
                                    const std::string& target, const std::string& apiKey = {},
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::optional<binance::HttpResponse> got;
    http.request(method, target, apiKey, timeout, [&](binance::HttpResponse r) { got = std::move(r); });
    io.restart();
    for (int i = 0; i < 200 && !got; ++i) io.run_for(std::chrono::milliseconds(50));
    if (!got) {
      binance::HttpResponse none;
      none.error = "test: no callback within 10 s";
      return none;
    }
    return *got;
  }
  binance::HttpClient client(boost::asio::io_context& io) {
    binance::HttpTarget target;
    std::string error;
    if (!binance::parseHttpBase("http://127.0.0.1:" + std::to_string(port_), target, error)) qFatal("%s", error.c_str());
    return binance::HttpClient(io, target, {});
  }
  static std::string signedQuery(const std::string& params) {
    const std::string query = params + "&recvWindow=5000&timestamp=" + std::to_string(QDateTime::currentMSecsSinceEpoch());
    return query + "&signature=" + binance::hmacSha256Hex(kSecret, query);
  }

 private slots:
  void endpointsParse() {
    net::Endpoint e;
    std::string error;
    QVERIFY(net::parseEndpoint("https://fapi.binance.com", net::Scheme::Http, e, error));
    QVERIFY(e.tls);
    QCOMPARE(e.host, std::string("fapi.binance.com"));
    QCOMPARE(e.port, std::string("443"));
    QCOMPARE(e.target, std::string("/"));
    QCOMPARE(net::hostHeader(e), std::string("fapi.binance.com"));
    QVERIFY(net::parseEndpoint("http://127.0.0.1:8123/x?y=1", net::Scheme::Http, e, error));
    QVERIFY(!e.tls);
    QCOMPARE(e.port, std::string("8123"));
    QCOMPARE(e.target, std::string("/x?y=1"));
    QCOMPARE(net::hostHeader(e), std::string("127.0.0.1:8123"));
    QVERIFY(net::parseEndpoint("wss://www.deribit.com/ws/api/v2", net::Scheme::WebSocket, e, error));
    QVERIFY(e.tls);
    QCOMPARE(e.port, std::string("443"));
    QCOMPARE(e.target, std::string("/ws/api/v2"));
    QVERIFY(net::parseEndpoint("ws://[::1]:9000/stream?streams=a/b", net::Scheme::WebSocket, e, error));
    QCOMPARE(e.host, std::string("::1"));
    QCOMPARE(e.port, std::string("9000"));
    QCOMPARE(e.target, std::string("/stream?streams=a/b"));
    QCOMPARE(net::hostHeader(e), std::string("[::1]:9000"));
    QVERIFY(net::parseEndpoint("ws://[::1]", net::Scheme::WebSocket, e, error));
    QCOMPARE(net::hostHeader(e), std::string("[::1]"));
    // Bad input: a clear error naming the URL, and the output left as it was.
    e = {};
    e.host = "kept";
    for (const char* bad : {"wss://x", "ftp://x", "http://", "http://:80", "http://h:", "http://h:8o", "http://h:99999",
                            "http://[::1", "http://[::1]x", "http://h:123456"}) {
      error.clear();
      QVERIFY2(!net::parseEndpoint(bad, net::Scheme::Http, e, error), bad);
      QVERIFY2(error.find(bad) != std::string::npos, error.c_str());
      QCOMPARE(e.host, std::string("kept"));
    }
    QVERIFY(!net::parseEndpoint("https://x", net::Scheme::WebSocket, e, error));
  }

  void init() {
    const QByteArray name = QTest::currentTestFunction();
    if (name == "endpointsParse" || name == "httpsKeepsItsConnection") return;
    const QString failed = exchange_.start(kappa::test::exchangeBinary(), {"--seed", "5", "--account", QString("%1:%2").arg(kKey, kSecret)});
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    port_ = exchange_.port();
  }
  void cleanup() { exchange_.stop(); }

  // Five requests, one after the other: one TCP connection carries them all, as both ends count.
  void requestsReuseOneConnection() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    for (int i = 0; i < 5; ++i) {
      const binance::HttpResponse r = call(io, http, "GET", i % 2 ? "/fapi/v1/ping" : "/fapi/v1/time");
      QVERIFY2(r.ok(), r.error.c_str());
      QVERIFY(r.usedWeight1m > 0);  // the rate-limit headers still read
    }
    QCOMPARE(http.connectionsOpened(), std::uint64_t(1));
    QCOMPARE(restConnections(), 1);
  }

  // Requests in flight together each take a connection; afterwards the kept ones serve the next
  // requests without opening more.
  void concurrentRequestsThenReuse() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    int answered = 0;
    for (int i = 0; i < 3; ++i)
      http.request("GET", "/fapi/v1/time", {}, std::chrono::seconds(5), [&](binance::HttpResponse r) {
        QVERIFY2(r.ok(), r.error.c_str());
        ++answered;
      });
    for (int i = 0; i < 200 && answered < 3; ++i) io.run_for(std::chrono::milliseconds(50));
    QCOMPARE(answered, 3);
    const std::uint64_t opened = http.connectionsOpened();
    QVERIFY(opened >= 1 && opened <= 3);
    for (int i = 0; i < 4; ++i) QVERIFY(call(io, http, "GET", "/fapi/v1/time").ok());
    QCOMPARE(http.connectionsOpened(), opened);
    QCOMPARE(restConnections(), int(opened));
  }

  // The exchange drops every connection (the kept one idle in the pool): the next GET finds it
  // closed, before or while sending, and is answered over a new connection.
  void idleConnectionClosedByServerIsReopened() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    QVERIFY(call(io, http, "GET", "/fapi/v1/time").ok());
    QVERIFY(deribitFault({{"action", "drop"}}));
    QTest::qWait(300);  // the exchange closes them just after answering
    const binance::HttpResponse r = call(io, http, "GET", "/fapi/v1/time");
    QVERIFY2(r.ok(), r.error.c_str());
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
    QCOMPARE(restConnections(), 2);
    QVERIFY(call(io, http, "GET", "/fapi/v1/ping").ok());
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
  }

  // The kept connection is closed as the GET arrives (written, nothing answered): a GET is safe
  // to repeat, so it is sent again on a fresh connection and answered.
  void getIsResentWhenKeptConnectionClosesOnArrival() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    QVERIFY(call(io, http, "GET", "/fapi/v1/time").ok());
    QCOMPARE(binanceFault("action=close_on_request&count=1")["close_on_request"].toInt(), 1);
    const binance::HttpResponse r = call(io, http, "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    QVERIFY2(r.ok(), r.error.c_str());
    QVERIFY(r.body.find("lastUpdateId") != std::string::npos);
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
    const QJsonObject rest = binanceFault("action=status");
    QCOMPARE(rest["requests_closed"].toInt(), 1);
    QCOMPARE(rest["connections"].toInt(), 2);
  }

  // A request that timed out leaves its connection unusable (its late answer would be read as the
  // next request's): it is closed, not kept, and not retried - the next request opens a new one and
  // gets its own answer.
  void timedOutConnectionIsNotKept() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    QVERIFY(call(io, http, "GET", "/fapi/v1/time").ok());
    QVERIFY(deribitFault({{"action", "delay"}, {"ms", "1500"}}));
    const binance::HttpResponse late = call(io, http, "GET", "/fapi/v1/time", {}, std::chrono::milliseconds(200));
    QCOMPARE(late.status, 0);
    QVERIFY2(late.error.find("timeout") != std::string::npos, late.error.c_str());
    QVERIFY(late.sent);
    QCOMPARE(http.connectionsOpened(), std::uint64_t(1));  // not retried
    QVERIFY(deribitFault({{"action", "delay"}, {"ms", "0"}}));
    const binance::HttpResponse depth = call(io, http, "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    QVERIFY2(depth.ok(), depth.error.c_str());
    QVERIFY2(depth.body.find("lastUpdateId") != std::string::npos, depth.body.c_str());  // its own answer, not the late one
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
  }

  // The same for an order: written, then no answer. Its outcome is unknown to the caller (sent,
  // status 0) and the client does not send it again - no new connection, and the exchange never
  // saw the order (the one request it got was closed unprocessed).
  void orderPostIsNeverResent() {
    boost::asio::io_context io;
    binance::HttpClient http = client(io);
    const binance::HttpResponse book = call(io, http, "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    QVERIFY2(book.ok(), book.error.c_str());
    const QJsonDocument depth = QJsonDocument::fromJson(QByteArray::fromStdString(book.body));
    const double bid = depth["bids"].toArray().at(0).toArray().at(0).toString().toDouble();
    QVERIFY(bid > 0);
    const std::string price = QString::number(std::floor(bid) - 300, 'f', 1).toStdString();
    const std::string order = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=" + price +
                              "&newClientOrderId=net-never-twice";
    QCOMPARE(binanceFault("action=close_on_request&count=1")["close_on_request"].toInt(), 1);
    const binance::HttpResponse r = call(io, http, "POST", "/fapi/v1/order?" + signedQuery(order), kKey);
    QCOMPARE(r.status, 0);
    QVERIFY(r.sent);
    QVERIFY(!r.error.empty());
    QCOMPARE(http.connectionsOpened(), std::uint64_t(1));
    const QJsonObject rest = binanceFault("action=status");
    QCOMPARE(rest["requests_closed"].toInt(), 1);
    QCOMPARE(rest["connections"].toInt(), 1);
    // The exchange's own view: no such order (-2013), none open.
    const QJsonDocument got = kappa::test::binanceSigned(port_, "GET", "/fapi/v1/order",
                                                         "symbol=BTCUSDT&origClientOrderId=net-never-twice", kKey, kSecret);
    QCOMPARE(got["code"].toInt(), -2013);
    const QJsonDocument open = kappa::test::binanceSigned(port_, "GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", kKey, kSecret);
    QVERIFY(open.isArray());
    QCOMPARE(open.array().size(), 0);
    // The caller resolves it and goes on: the next request takes a new connection.
    const binance::HttpResponse query =
        call(io, http, "GET", "/fapi/v1/order?" + signedQuery("symbol=BTCUSDT&origClientOrderId=net-never-twice"), kKey);
    QCOMPARE(query.status, 400);
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
  }

  // The same over https: a kappa-exchange serving TLS with a test CA's certificate for 127.0.0.1.
  // Trusting that CA, requests share one TLS connection, and a kept connection the server closes
  // as a GET arrives is replaced (the fault set through the same client: the control is loopback).
  // Trusting only the system store, the handshake is refused.
  void httpsKeepsItsConnection() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    kappa::test::TestCa ca;
    const QString caFailed = kappa::test::makeTestCa(dir.path(), ca);
    QVERIFY2(caFailed.isEmpty(), qPrintable(caFailed));
    const QString failed = exchange_.start(kappa::test::exchangeBinary(),
                                           {"--seed", "5", "--tls-cert", ca.certFile, "--tls-key", ca.keyFile},
                                           dir.filePath("exchange.err"));
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY(exchange_.tls());
    binance::HttpTarget target;
    std::string error;
    QVERIFY(binance::parseHttpBase("https://127.0.0.1:" + std::to_string(exchange_.port()), target, error));
    boost::asio::io_context io;

    binance::HttpClient untrusting(io, target, {});
    const binance::HttpResponse refused = call(io, untrusting, "GET", "/fapi/v1/time");
    QCOMPARE(refused.status, 0);
    QVERIFY2(refused.error.find("TLS handshake") != std::string::npos, refused.error.c_str());
    QVERIFY(!refused.sent);

    binance::HttpClient http(io, target, ca.caFile.toStdString());
    for (int i = 0; i < 4; ++i) {
      const binance::HttpResponse r = call(io, http, "GET", "/fapi/v1/time");
      QVERIFY2(r.ok(), r.error.c_str());
    }
    QCOMPARE(http.connectionsOpened(), std::uint64_t(1));
    binance::HttpClient control(io, target, ca.caFile.toStdString());
    const binance::HttpResponse set = call(io, control, "POST", "/kappa/binance/fault?action=close_on_request&count=1");
    QVERIFY2(set.ok(), set.body.c_str());
    const binance::HttpResponse r = call(io, http, "GET", "/fapi/v1/ping");
    QVERIFY2(r.ok(), r.error.c_str());
    QCOMPARE(http.connectionsOpened(), std::uint64_t(2));
    const binance::HttpResponse status = call(io, control, "POST", "/kappa/binance/fault?action=status");
    const QJsonObject rest = QJsonDocument::fromJson(QByteArray::fromStdString(status.body))["rest"].toObject();
    QCOMPARE(rest["requests_closed"].toInt(), 1);
    QCOMPARE(rest["connections"].toInt(), 2);
  }
};

QTEST_GUILESS_MAIN(TestVenueNet)
#include "tst_venue_net.moc"
