// The wire format of an attached window's queries (engine/remote/QueryCodec): a journal page and
// the plugin files survive the round trip; untrusted requests and answers are refused with the
// field that was wrong, never crash, never allocate beyond what the message justifies.
#include <QtTest>
#include <nlohmann/json.hpp>

#include "remote/QueryCodec.hpp"

using namespace kappa;
using namespace kappa::remote;
using nlohmann::json;

namespace {
std::string msgpack(const json& j) {
  const std::vector<std::uint8_t> bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}
}  // namespace

class TestQueryCodec : public QObject {
  Q_OBJECT
 private slots:
  void queryRoundTrip() {
    JournalQuery q;
    q.filter.from = -5;
    q.filter.to = 1'700'000'000'000'000'000;
    q.filter.instrument = "deribit:BTC-PERP";
    q.filter.kind = "order_reject";
    q.filter.text = "50% off_";
    q.filter.strategyMatch = JournalFilter::StrategyMatch::Id;
    q.filter.strategyId = 12;
    q.newestFirst = false;
    q.after = JournalCursor{1'700'000'000'000'000'001, 42};
    q.limit = 5000;
    q.countMatching = true;
    q.listStrategies = true;
    JournalQuery back;
    const std::string error = decodeJournalQuery(encodeJournalQuery(q), back);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(back.filter.from, q.filter.from);
    QCOMPARE(back.filter.to, q.filter.to);
    QCOMPARE(back.filter.instrument, q.filter.instrument);
    QCOMPARE(back.filter.kind, q.filter.kind);
    QCOMPARE(back.filter.text, q.filter.text);
    QVERIFY(back.filter.strategyMatch == JournalFilter::StrategyMatch::Id);
    QCOMPARE(back.filter.strategyId, std::int64_t(12));
    QCOMPARE(back.newestFirst, false);
    QVERIFY(back.after && back.after->ts == q.after->ts && back.after->seq == 42);
    QCOMPARE(back.limit, 5000u);
    QVERIFY(back.countMatching && back.listStrategies);

    q = {};
    q.filter.strategyMatch = JournalFilter::StrategyMatch::None;
    QVERIFY(decodeJournalQuery(encodeJournalQuery(q), back).empty());
    QVERIFY(back.filter.strategyMatch == JournalFilter::StrategyMatch::None);
    QVERIFY(!back.after && !back.filter.from && back.newestFirst);
  }

  void badQueriesAreRefused_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not json") << QByteArray("{limit:") << "not valid JSON";
    QTest::newRow("not an object") << QByteArray("[1,2]") << "must be a JSON object";
    QTest::newRow("no limit") << QByteArray("{}") << "limit: missing";
    QTest::newRow("limit zero") << QByteArray("{\"limit\":0}") << "limit: 0 is out of range";
    QTest::newRow("limit huge") << QByteArray("{\"limit\":1000000}") << "out of range (1..20000)";
    QTest::newRow("limit float") << QByteArray("{\"limit\":1.5}") << "limit: must be a whole number";
    QTest::newRow("from text") << QByteArray("{\"limit\":1,\"from\":\"now\"}") << "from: must be a whole number";
    QTest::newRow("from beyond int64") << QByteArray("{\"limit\":1,\"from\":18446744073709551615}") << "from: out of range";
    QTest::newRow("kind") << QByteArray("{\"limit\":1,\"kind\":\"fill' OR 1=1\"}") << "is not a journal kind";
    QTest::newRow("text control") << QByteArray("{\"limit\":1,\"text\":\"a\\nb\"}") << "text: contains a control character";
    QTest::newRow("strategy") << QByteArray("{\"limit\":1,\"strategy\":\"all\"}") << "strategy: must be an instance id";
    QTest::newRow("negative strategy") << QByteArray("{\"limit\":1,\"strategy\":-1}") << "strategy: -1 is out of range";
    QTest::newRow("after") << QByteArray("{\"limit\":1,\"after\":[1]}") << "after: must be [ts, seq]";
    QTest::newRow("flag") << QByteArray("{\"limit\":1,\"count\":1}") << "count: must be true or false";
    QTest::newRow("long text") << QByteArray("{\"limit\":1,\"text\":\"") + QByteArray(2000, 'x') + "\"}" << "at most 1024";
    QTest::newRow("oversize") << QByteArray("{\"limit\":1,\"x\":\"") + QByteArray(20000, 'x') + "\"}" << "at most 16384";
  }
  void badQueriesAreRefused() {
    QFETCH(QByteArray, body);
    QFETCH(QString, reason);
    JournalQuery untouched;
    untouched.limit = 77;
    const std::string error = decodeJournalQuery(std::string_view(body.constData(), std::size_t(body.size())), untouched);
    QVERIFY2(QString::fromStdString(error).contains(reason), error.c_str());
    QCOMPARE(untouched.limit, 77u);
  }

  void pageRoundTrip() {
    JournalPage page;
    JournalQueryRow fill;
    fill.seq = 7;
    fill.ts = 1'700'000'000'123'456'789;
    fill.kind = "fill";
    fill.orderId = 3;
    fill.venue = "deribit";
    fill.instrument = "BTC-PERPETUAL";
    fill.strategy = 2;
    fill.side = "buy";
    fill.price = 3'500'050'000'000;
    fill.qty = 1'000'000'000;
    fill.value = 0.125;
    fill.text = "maker, \"quoted\"\nsecond line";
    JournalQueryRow note;
    note.seq = 8;
    note.ts = fill.ts;
    note.kind = "state_change";
    note.text = "ACTIVE -> HALTED";
    page.rows = {fill, note};
    page.more = true;
    page.matching = 1234;
    page.strategies = std::vector<std::int64_t>{1, 2};
    JournalPage back;
    const std::string error = decodeJournalPage(encodeJournalPage(page), back);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(back.rows.size(), std::size_t(2));
    const JournalQueryRow& r = back.rows[0];
    QCOMPARE(r.seq, fill.seq);
    QCOMPARE(r.ts, fill.ts);
    QCOMPARE(r.kind, fill.kind);
    QCOMPARE(r.orderId, fill.orderId);
    QCOMPARE(r.venue, fill.venue);
    QCOMPARE(r.instrument, fill.instrument);
    QCOMPARE(r.strategy, fill.strategy);
    QCOMPARE(r.side, fill.side);
    QCOMPARE(r.price, fill.price);
    QCOMPARE(r.qty, fill.qty);
    QCOMPARE(r.value, fill.value);
    QCOMPARE(r.text, fill.text);
    const JournalQueryRow& n = back.rows[1];
    QVERIFY(!n.orderId && !n.strategy && !n.price && !n.qty && !n.value);
    QVERIFY(back.more);
    QCOMPARE(back.matching, std::optional<std::int64_t>(1234));
    QVERIFY(back.strategies && *back.strategies == (std::vector<std::int64_t>{1, 2}));

    JournalPage refused;
    refused.error = "not allowed for user viewer";
    QVERIFY(decodeJournalPage(encodeJournalPage(refused), back).empty());
    QCOMPARE(back.error, refused.error);
    QVERIFY(back.rows.empty() && !back.matching && !back.strategies && !back.more);
  }

  void badPagesAreRefused_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("reason");
    auto row = [] { return json::array({1, 2, "fill", nullptr, "v", "i", nullptr, "buy", 1, 1, 0.5, "t"}); };
    auto page = [](json rows) { return json{{"error", ""}, {"more", false}, {"rows", rows}, {"matching", nullptr}, {"strategies", nullptr}}; };
    auto bytes = [](const json& j) { const std::string s = msgpack(j); return QByteArray(s.data(), qsizetype(s.size())); };
    json wrongType = row();
    wrongType[4] = 5;
    json shortRow = row();
    shortRow.erase(11);
    json badMore = page(json::array());
    badMore["more"] = "yes";
    json badStrategies = page(json::array());
    badStrategies["strategies"] = json::array({"x"});
    const std::string full = msgpack(page(json::array({row()})));
    QTest::newRow("empty") << QByteArray() << "empty message";
    QTest::newRow("not a map") << bytes(json::array({1})) << "expected a map";
    QTest::newRow("wrong type") << bytes(page(json::array({wrongType}))) << "rows[0][4]: expected a string";
    QTest::newRow("short row") << bytes(page(json::array({shortRow}))) << "rows[0]: expected a journal row";
    QTest::newRow("no rows") << bytes(json{{"error", ""}, {"more", false}}) << "rows: expected an array";
    QTest::newRow("more") << bytes(badMore) << "more: expected a boolean";
    QTest::newRow("strategies") << bytes(badStrategies) << "strategies[0]: expected an integer";
    QTest::newRow("truncated") << QByteArray(full.data(), qsizetype(full.size()) - 3) << "malformed MessagePack";
    // A map claiming four billion entries in a few bytes.
    QTest::newRow("huge length") << QByteArray("\xdf\xff\xff\xff\xff", 5) << "malformed MessagePack";
  }
  void badPagesAreRefused() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, reason);
    JournalPage out;
    out.error = "untouched";
    const std::string error = decodeJournalPage(std::string_view(bytes.constData(), std::size_t(bytes.size())), out);
    QVERIFY2(QString::fromStdString(error).contains(reason), error.c_str());
    QCOMPARE(out.error, std::string("untouched"));
  }

  void pluginFilesRoundTrip() {
    std::vector<std::string> files;
    std::string refused;
    QVERIFY(decodePluginFiles(encodePluginFiles({"/srv/kappa/plugins/a.so", "/srv/kappa/plugins/b.so"}, {}), files, refused).empty());
    QCOMPARE(files, (std::vector<std::string>{"/srv/kappa/plugins/a.so", "/srv/kappa/plugins/b.so"}));
    QVERIFY(refused.empty());
    QVERIFY(decodePluginFiles(encodePluginFiles({}, "not allowed"), files, refused).empty());
    QCOMPARE(refused, std::string("not allowed"));
    const std::string error = decodePluginFiles(msgpack(json{{"error", ""}, {"files", json::array({1})}}), files, refused);
    QVERIFY2(error.find("files[0]: expected a string") != std::string::npos, error.c_str());
  }
};

QTEST_GUILESS_MAIN(TestQueryCodec)
#include "tst_query_codec.moc"
