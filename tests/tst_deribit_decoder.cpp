// The Deribit decoder against the outside world's truth: a real WebSocket recording from Deribit
// (books must equal the recording's own ticker best bid/ask), Deribit's documented examples, and
// hostile input (gaps, malformed JSON) that must mark books stale and never crash.
#include <QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "book/MarketData.hpp"
#include "venue/deribit/DeribitDecoder.hpp"
#include "venue/deribit/DeribitOrderTracker.hpp"
#include "venue/deribit/DeribitRateLimiter.hpp"
#include "venue/deribit/DeribitSession.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {

// The reference data this test reads, copied unchanged into tests/data (tests/data/README.md), so that
// any clone runs it.
const QString kData = kappa::test::testDataDir();

QByteArray readFile(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}

// The recorded instrument lists (get_instruments answers of the same day) into a registry.
bool loadRecordedInstruments(InstrumentRegistry& registry, QString& why) {
  for (const char* currency : {"BTC", "ETH"}) {
    const QByteArray raw = readFile(kData + "/deribit/cryptofeed_deribit_get_instruments_" + currency +
                                    "_20210722.json");
    if (raw.isEmpty()) {
      why = "missing recorded instruments for " + QString(currency);
      return false;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(raw);
    const QByteArray result = QJsonDocument(doc.object().value("result").toArray()).toJson(QJsonDocument::Compact);
    const InstrumentId index = registry.add(indexInstrument(currency));
    std::vector<Instrument> list;
    std::vector<std::string> skipped;
    std::string error;
    if (!parseInstruments(std::string_view(result.constData(), std::size_t(result.size())), index, list, skipped, error)) {
      why = QString::fromStdString(error);
      return false;
    }
    for (Instrument& i : list) registry.add(std::move(i));
  }
  return true;
}

// The "msg" member of a recording line, byte for byte as Deribit sent it (the line is
// {"recv_ts": …, "dir": …, "msg": {…}}, msg last).
QByteArray messageOf(const QByteArray& line, QString* dir = nullptr) {
  if (dir) *dir = QJsonDocument::fromJson(line).object().value("dir").toString();
  const int at = line.indexOf("\"msg\": ");
  if (at < 0 || !line.endsWith('}')) return {};
  return line.mid(at + 7, line.size() - at - 7 - 1);
}

std::string_view sv(const QByteArray& b) { return {b.constData(), std::size_t(b.size())}; }

std::string bookMessage(const std::string& instrument, const char* type, std::uint64_t change, std::uint64_t prev,
                        const std::string& bids, const std::string& asks) {
  std::string m = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.)" + instrument +
                  R"(.raw","data":{"type":")" + type + R"(","timestamp":1626993723632,"instrument_name":")" + instrument +
                  R"(","change_id":)" + std::to_string(change);
  if (prev) m += R"(,"prev_change_id":)" + std::to_string(prev);
  m += R"(,"bids":)" + bids + R"(,"asks":)" + asks + "}}}";
  return m;
}

std::size_t countType(const std::vector<MdEvent>& md, MdType t) {
  std::size_t n = 0;
  for (const MdEvent& e : md) n += e.type == t;
  return n;
}

}  // namespace

class TestDeribitDecoder : public QObject {
  Q_OBJECT
 private slots:
  void recordedInstrumentsParse();
  void recordingBooksMatchTickers();
  void documentedExamplesDecode();
  void documentedOrderAndTradesBecomeReports();
  void gapMarksStaleAndDiscardsUntilSnapshot();
  void malformedInputMarksStaleNeverCrashes();
  void mutatedRecordingNeverCrashes();
  void compactBookEqualsSimdjson();
  void unknownThingsAreSkipped();
  void signatureAndCreditPools();
};

// client_signature's HMAC against Python's hmac/hashlib (an independent implementation), and the
// client-side credit pools: a burst within Deribit's limits (at 90 %), then refused until refilled.
void TestDeribitDecoder::signatureAndCreditPools() {
  QCOMPARE(deribitSignature("W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS", 1576074319000, "1iqt2wls", ""),
           std::string("2fe846c73df8e9223e3644ec2c0b093474dfe5cd4b4a32c41689d7e04ff0ab15"));
  QCOMPARE(poolOf("private/buy"), CreditPool::MatchingEngine);
  QCOMPARE(poolOf("private/cancel_all_by_currency"), CreditPool::MatchingEngine);
  QCOMPARE(poolOf("public/get_instruments"), CreditPool::NonMatching);
  QCOMPARE(poolOf("private/get_positions"), CreditPool::NonMatching);
  DeribitRateLimiter limiter({}, 0);
  int orders = 0, others = 0;
  while (limiter.tryAcquire(CreditPool::MatchingEngine, 0)) ++orders;
  while (limiter.tryAcquire(CreditPool::NonMatching, 0)) ++others;
  QCOMPARE(orders, 18);   // burst 20, at 90 %
  QCOMPARE(others, 90);   // 50,000 credits at 500 each, at 90 %
  const Nanos wait = limiter.waitFor(CreditPool::MatchingEngine, 0);
  QVERIFY(wait > 200'000'000 && wait < 250'000'000);  // 5 requests/s at 90 %: one every ~222 ms
  QVERIFY(!limiter.tryAcquire(CreditPool::MatchingEngine, wait - 1'000'000));
  QVERIFY(limiter.tryAcquire(CreditPool::MatchingEngine, wait + 1'000'000));
  // a long pause refills to the burst, never beyond
  int again = 0;
  while (limiter.tryAcquire(CreditPool::MatchingEngine, Nanos(3600) * 1'000'000'000)) ++again;
  QCOMPARE(again, 18);
}

void TestDeribitDecoder::recordedInstrumentsParse() {
  InstrumentRegistry reg;
  QString why;
  QVERIFY2(loadRecordedInstruments(reg, why), qPrintable(why));
  const Instrument* perp = reg.find("BTC-PERPETUAL");
  QVERIFY(perp);
  QCOMPARE(perp->kind, InstrumentKind::Perpetual);
  QCOMPARE(perp->tickSize, toFixed(0.5));
  QCOMPARE(perp->minQty, toFixed(10));
  QCOMPARE(perp->contractSize, 10.0);
  QCOMPARE(perp->settlement, Settlement::Inverse);
  const Instrument* put = reg.find("BTC-24SEP21-40000-P");
  QVERIFY(put);
  QCOMPARE(put->kind, InstrumentKind::Option);
  QCOMPARE(put->optionType, OptionType::Put);
  QCOMPARE(put->strike, toFixed(40000));
  QCOMPARE(put->expiry, Nanos(1632470400000) * 1'000'000);
  QCOMPARE(put->tickSize, toFixed(0.0005));
  QCOMPARE(put->minQty, toFixed(0.1));
  QCOMPARE(put->takerFee, 0.0003);
  QCOMPARE(put->quoteCurrency, std::string("BTC"));
  QCOMPARE(put->underlyingId, reg.find("btc_usd")->id);
  QCOMPARE(reg.find("ETH-PERPETUAL")->underlyingId, reg.find("eth_usd")->id);
  QVERIFY(reg.size() > 700);
}

void TestDeribitDecoder::recordingBooksMatchTickers() {
  InstrumentRegistry reg;
  QString why;
  QVERIFY2(loadRecordedInstruments(reg, why), qPrintable(why));
  QFile f(kData + "/deribit_ws_options_20210722.jsonl");
  QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
  DeribitDecoder decoder(reg);
  MarketData md(reg);
  DecodedBatch batch;
  // A ticker is compared once every book message up to its timestamp has been applied: Deribit
  // sends the ticker of a moment before the book change of that same moment.
  std::map<InstrumentId, std::vector<DeribitTicker>> pending;
  int compared = 0, books = 0, responses = 0;
  auto compare = [&](const DeribitTicker& t) {
    const OrderBook& b = md.book(t.instrument);
    QVERIFY2(b.live(), qPrintable(QString::fromStdString(reg[t.instrument].name) + " book not live"));
    const Price bid = b.bestBid() ? b.bestBid()->price : 0;
    const Price ask = b.bestAsk() ? b.bestAsk()->price : 0;
    QVERIFY2(bid == toFixed(t.bestBid) && ask == toFixed(t.bestAsk),
             qPrintable(QString("%1 at %2: book %3/%4, ticker %5/%6")
                            .arg(QString::fromStdString(reg[t.instrument].name))
                            .arg(t.ts)
                            .arg(toDouble(bid))
                            .arg(toDouble(ask))
                            .arg(t.bestBid)
                            .arg(t.bestAsk)));
    ++compared;
  };
  while (!f.atEnd()) {
    const QByteArray line = f.readLine().trimmed();
    if (line.isEmpty()) continue;
    QString dir;
    const QByteArray msg = messageOf(line, &dir);
    if (dir != "recv") continue;
    batch.clear();
    const DecodeResult r = decoder.decode(sv(msg), batch);
    QVERIFY2(r.kind != MessageKind::Malformed, qPrintable(QString::fromStdString(r.error)));
    if (r.kind == MessageKind::Response) ++responses;
    QVERIFY(batch.resyncs.empty());
    for (const MdEvent& e : batch.md) {
      if (e.type == MdType::BookBegin) {
        ++books;
        auto& p = pending[e.instrument];
        for (const DeribitTicker& t : p)
          if (t.ts < e.ts) compare(t);
        std::erase_if(p, [&](const DeribitTicker& t) { return t.ts < e.ts; });
      }
      md.apply(e);
    }
    for (const DeribitTicker& t : batch.tickers)
      if (md.book(t.instrument).live()) pending[t.instrument].push_back(t);
  }
  for (auto& [id, list] : pending)
    for (const DeribitTicker& t : list) compare(t);
  QCOMPARE(responses, 1);
  QCOMPARE(books, 46);  // 10 snapshots and 36 changes
  QCOMPARE(decoder.gaps(), 0u);
  QVERIFY2(compared >= 70, qPrintable(QString::number(compared)));
  QCOMPARE(md.staleEpisodes(), 0u);
}

void TestDeribitDecoder::documentedExamplesDecode() {
  const QJsonObject doc = QJsonDocument::fromJson(readFile(kData + "/deribit/deribit_jsonrpc_doc_examples.json")).object();
  QVERIFY(!doc.isEmpty());
  InstrumentRegistry reg;
  const InstrumentId btcIndex = reg.add(indexInstrument("BTC"));
  reg.add(indexInstrument("ETH"));
  // public/get_instruments: the documented answer maps onto instruments
  const QJsonObject instruments = doc["methods"].toObject()["/public/get_instruments"].toObject();
  const QByteArray result = QJsonDocument(instruments["response_examples"].toObject()["response"].toObject()["result"].toArray())
                                .toJson(QJsonDocument::Compact);
  std::vector<Instrument> list;
  std::vector<std::string> skipped;
  std::string error;
  QVERIFY(parseInstruments(sv(result), btcIndex, list, skipped, error));
  QCOMPARE(list.size(), std::size_t(2));
  QCOMPARE(list[0].name, std::string("BTC-29SEP23"));
  QCOMPARE(list[0].kind, InstrumentKind::Future);
  QCOMPARE(list[0].tickSize, toFixed(2.5));
  QCOMPARE(list[0].expiry, Nanos(1695974400000) * 1'000'000);
  QCOMPARE(list[1].kind, InstrumentKind::Perpetual);
  QCOMPARE(list[1].expiry, Nanos(0));
  for (Instrument& i : list) reg.add(i);

  DeribitDecoder decoder(reg);
  DecodedBatch batch;
  // the documented notification
  const QByteArray note = QJsonDocument(doc["notification_format"].toObject()["example"].toObject()).toJson(QJsonDocument::Compact);
  DecodeResult r = decoder.decode(sv(note), batch);
  QCOMPARE(r.kind, MessageKind::Notification);
  QCOMPARE(batch.md.size(), std::size_t(1));
  QCOMPARE(batch.md[0].type, MdType::IndexPrice);
  QCOMPARE(batch.md[0].instrument, btcIndex);
  QCOMPARE(batch.md[0].price, toFixed(6521.17));
  QCOMPARE(batch.md[0].ts, Nanos(1535098298227) * 1'000'000);
  // every documented response is classified as a response, requests are not mistaken for one
  const QJsonObject methods = doc["methods"].toObject();
  int responses = 0;
  for (auto it = methods.begin(); it != methods.end(); ++it) {
    const QJsonObject examples = it.value().toObject()["response_examples"].toObject();
    for (auto ex = examples.begin(); ex != examples.end(); ++ex) {
      const QByteArray text = QJsonDocument(ex.value().toObject()).toJson(QJsonDocument::Compact);
      batch.clear();
      r = decoder.decode(sv(text), batch);
      QVERIFY2(r.kind == MessageKind::Response, qPrintable(it.key()));
      QVERIFY(batch.md.empty());
      ++responses;
    }
  }
  QVERIFY(responses >= 15);
  // The same documented messages with their keys in another order (a server that sorts keys)
  batch.clear();
  r = decoder.decode(R"({"params":{"data":{"timestamp":1535098298227,"price":6521.17,"index_name":"btc_usd"},"channel":"deribit_price_index.btc_usd"},"method":"subscription","jsonrpc":"2.0"})",
                     batch);
  QCOMPARE(r.kind, MessageKind::Notification);
  QCOMPARE(batch.md.size(), std::size_t(1));
  QCOMPARE(batch.md[0].price, toFixed(6521.17));
  batch.clear();
  r = decoder.decode(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})", batch);
  QCOMPARE(r.kind, MessageKind::Heartbeat);
  QVERIFY(r.testRequest);
}

void TestDeribitDecoder::documentedOrderAndTradesBecomeReports() {
  const QJsonObject doc = QJsonDocument::fromJson(readFile(kData + "/deribit/deribit_jsonrpc_doc_examples.json")).object();
  const QJsonObject buy = doc["methods"].toObject()["/private/buy"].toObject()["response_examples"].toObject()["response"].toObject()["result"].toObject();
  QJsonObject order = buy["order"].toObject();
  order["label"] = "42";  // as we label our orders
  QJsonArray trades = buy["trades"].toArray();
  QJsonObject t0 = trades[0].toObject();
  t0["label"] = "42";
  trades[0] = t0;
  InstrumentRegistry reg;
  reg.add(indexInstrument("ETH"));
  Instrument perp;
  perp.name = "ETH-PERPETUAL";
  perp.baseCurrency = "ETH";
  const InstrumentId perpId = reg.add(perp);
  DeribitDecoder decoder(reg);
  DecodedBatch batch;
  auto notify = [&](const char* channel, const QJsonValue& data) {
    QJsonObject params{{"channel", channel}, {"data", data}};
    QJsonObject msg{{"jsonrpc", "2.0"}, {"method", "subscription"}, {"params", params}};
    const QByteArray text = QJsonDocument(msg).toJson(QJsonDocument::Compact);
    return decoder.decode(sv(text), batch);
  };
  QCOMPARE(notify("user.trades.any.any.raw", trades).kind, MessageKind::Notification);
  QCOMPARE(notify("user.orders.any.any.raw", order).kind, MessageKind::Notification);
  QCOMPARE(batch.trades.size(), std::size_t(1));
  QCOMPARE(batch.orders.size(), std::size_t(1));
  const DeribitUserTrade& t = batch.trades[0];
  QCOMPARE(t.tradeId, std::string("ETH-2696097"));
  QCOMPARE(t.exchangeOrderId, std::string("ETH-584864807"));
  QCOMPARE(t.price, toFixed(202.8));
  QCOMPARE(t.amount, toFixed(21));
  QCOMPARE(t.fee, 7.766e-05);
  QVERIFY(!t.maker);
  QCOMPARE(t.side, Side::Sell);
  const DeribitOrderUpdate& o = batch.orders[0];
  QCOMPARE(o.state, DeribitOrderState::Filled);
  QCOMPARE(o.filledAmount, toFixed(21));
  QCOMPARE(o.amount, toFixed(21));

  // Through the tracker: Ack, one Fill with fee and liquidity; the same facts again add nothing.
  DeribitOrderTracker tracker;
  OrderRequest req;
  req.instrument = perpId;
  req.side = Side::Sell;
  req.price = toFixed(198.75);
  req.qty = toFixed(21);
  tracker.add(42, req);
  std::vector<ExecReport> out;
  tracker.onOrder(o, out);  // filled, but its trade not booked yet: held
  QCOMPARE(out.size(), std::size_t(1));
  QCOMPARE(out[0].type, ExecType::Ack);
  QCOMPARE(out[0].venueOrderId, std::uint64_t(584864807));
  tracker.onTrade(t, out);
  QCOMPARE(out.size(), std::size_t(2));
  QCOMPARE(out[1].type, ExecType::Fill);
  QCOMPARE(out[1].qty, toFixed(21));
  QCOMPARE(out[1].leaves, Qty(0));
  QCOMPARE(out[1].fee, 7.766e-05);
  tracker.onTrade(t, out);
  tracker.onOrder(o, out);
  QCOMPARE(out.size(), std::size_t(2));  // never twice

  // A cancel announced before its partial fill's trade: the Cancelled waits for the fill.
  tracker.add(43, req);
  DeribitOrderUpdate c = o;
  c.exchangeOrderId = "ETH-1";
  c.label = "43";
  c.state = DeribitOrderState::Cancelled;
  c.filledAmount = toFixed(10);
  out.clear();
  tracker.onOrder(c, out);
  QCOMPARE(out.size(), std::size_t(1));  // Ack only
  DeribitUserTrade p = t;
  p.tradeId = "ETH-2";
  p.exchangeOrderId = "ETH-1";
  p.label = "43";
  p.amount = toFixed(10);
  tracker.onTrade(p, out);
  QCOMPARE(out.size(), std::size_t(3));
  QCOMPARE(out[1].type, ExecType::Fill);
  QCOMPARE(out[1].leaves, toFixed(11));
  QCOMPARE(out[2].type, ExecType::Cancelled);
}

void TestDeribitDecoder::gapMarksStaleAndDiscardsUntilSnapshot() {
  InstrumentRegistry reg;
  Instrument perp;
  perp.name = "BTC-PERPETUAL";
  const InstrumentId id = reg.add(perp);
  DeribitDecoder decoder(reg);
  MarketData md(reg);
  DecodedBatch batch;
  auto feed = [&](const std::string& m) {
    batch.clear();
    const DecodeResult r = decoder.decode(m, batch);
    md.apply(batch.md.data(), batch.md.size());
    return r;
  };
  feed(bookMessage("BTC-PERPETUAL", "snapshot", 100, 0, R"([["new",50000.0,10.0]])", R"([["new",50001.0,20.0]])"));
  QVERIFY(md.book(id).live());
  feed(bookMessage("BTC-PERPETUAL", "change", 101, 100, R"([["change",50000.0,30.0]])", "[]"));
  QVERIFY(md.book(id).live());
  QCOMPARE(md.book(id).bestBid()->qty, toFixed(30));
  // 102 is missing: 103 says prev 102
  QCOMPARE(feed(bookMessage("BTC-PERPETUAL", "change", 103, 102, "[]", R"([["delete",50001.0,0.0]])")).kind,
           MessageKind::Notification);
  QCOMPARE(batch.resyncs.size(), std::size_t(1));
  QVERIFY(QString::fromStdString(batch.resyncs[0].reason).contains("gap"));
  QCOMPARE(countType(batch.md, MdType::BookStale), std::size_t(1));
  QCOMPARE(countType(batch.md, MdType::BookBegin), std::size_t(0));
  QVERIFY(!md.book(id).live());
  QCOMPARE(decoder.gaps(), 1u);
  // later changes are discarded until the new snapshot
  feed(bookMessage("BTC-PERPETUAL", "change", 104, 103, R"([["new",49999.0,1.0]])", "[]"));
  QVERIFY(batch.md.empty());
  QCOMPARE(decoder.discarded(), 1u);
  feed(bookMessage("BTC-PERPETUAL", "snapshot", 200, 0, R"([["new",49990.0,5.0]])", R"([["new",50010.0,5.0]])"));
  QVERIFY(md.book(id).live());
  QCOMPARE(md.book(id).bestBid()->price, toFixed(49990));
  feed(bookMessage("BTC-PERPETUAL", "change", 201, 200, R"([["new",49995.0,1.0]])", "[]"));
  QVERIFY(md.book(id).live());
  QCOMPARE(md.book(id).bestBid()->price, toFixed(49995));
}

void TestDeribitDecoder::malformedInputMarksStaleNeverCrashes() {
  InstrumentRegistry reg;
  Instrument perp;
  perp.name = "BTC-PERPETUAL";
  const InstrumentId id = reg.add(perp);
  DeribitDecoder decoder(reg);
  MarketData md(reg);
  DecodedBatch batch;
  auto feed = [&](std::string_view m) {
    batch.clear();
    const DecodeResult r = decoder.decode(m, batch);
    md.apply(batch.md.data(), batch.md.size());
    return r;
  };
  const std::string snap = bookMessage("BTC-PERPETUAL", "snapshot", 100, 0, R"([["new",50000.0,10.0]])", R"([["new",50001.0,20.0]])");
  feed(snap);
  QVERIFY(md.book(id).live());
  // a truncated book message: stale with a reason, resync requested, nothing half-applied
  const std::string change = bookMessage("BTC-PERPETUAL", "change", 101, 100, R"([["new",49000.0,1.0]])", "[]");
  DecodeResult r = feed(change.substr(0, change.size() / 2));
  QCOMPARE(r.kind, MessageKind::Malformed);
  QVERIFY(!r.error.empty());
  QCOMPARE(batch.resyncs.size(), std::size_t(1));
  QCOMPARE(batch.resyncs[0].instrument, id);
  QVERIFY(!md.book(id).live());
  feed(snap);
  QVERIFY(md.book(id).live());
  // a level whose price is a string: the whole message is taken back, the book marked stale
  r = feed(bookMessage("BTC-PERPETUAL", "change", 101, 100, R"([["new",49000.0,1.0],["new","oops",1.0]])", "[]"));
  QCOMPARE(r.kind, MessageKind::Malformed);
  QCOMPARE(countType(batch.md, MdType::BookLevel), std::size_t(0));
  QCOMPARE(countType(batch.md, MdType::BookStale), std::size_t(1));
  QVERIFY(!md.book(id).live());
  // a level that is not a triple, NaN-like numbers, an unknown action
  feed(snap);
  for (const char* bids : {R"([["new",49000.0]])", R"([["new",1e400,1.0]])", R"([["move",49000.0,1.0]])", R"([7])",
                           R"({"a":1})"}) {
    r = feed(bookMessage("BTC-PERPETUAL", "change", 101, 100, bids, "[]"));
    QVERIFY2(r.kind == MessageKind::Malformed, bids);
    QVERIFY(!md.book(id).live());
    feed(snap);
  }
  // garbage of every kind: never a crash
  const std::vector<std::string> junk = {"", "{", "[]", "null", "\x01\x02\xff", R"({"method":"subscription"})",
                                         R"({"method":"subscription","params":{"channel":5}})",
                                         R"({"method":"subscription","params":{"channel":"book.BTC-PERPETUAL.raw"}})",
                                         std::string(100000, '['), R"({"method":7})"};
  for (const std::string& j : junk) {
    r = feed(j);
    QVERIFY(r.kind == MessageKind::Malformed || r.kind == MessageKind::Notification);
  }
  // random mutations of a valid message
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string m = change;
    const int edits = 1 + int(rng() % 4);
    for (int k = 0; k < edits; ++k) m[rng() % m.size()] = char(rng() % 256);
    feed(m);
  }
  QVERIFY(decoder.malformed() > 1000);
  feed(snap);
  QVERIFY(md.book(id).live());
}

// Every kind of recorded message (books, tickers, trades, the subscription answer) with JSON's own
// characters dropped, inserted or changed: the decoder refuses what is broken and never crashes.
// (A ticker with a stray comma inside a number crashed simdjson 3.0's On-Demand in a later field
// lookup; every message is now validated whole first.)
void TestDeribitDecoder::mutatedRecordingNeverCrashes() {
  InstrumentRegistry reg;
  QString why;
  QVERIFY2(loadRecordedInstruments(reg, why), qPrintable(why));
  QFile f(kData + "/deribit_ws_options_20210722.jsonl");
  QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
  std::vector<std::string> messages;
  while (!f.atEnd()) {
    const QByteArray line = f.readLine().trimmed();
    QString dir;
    const QByteArray msg = line.isEmpty() ? QByteArray() : messageOf(line, &dir);
    if (dir == "recv") messages.emplace_back(msg.constData(), std::size_t(msg.size()));
  }
  QVERIFY(messages.size() > 100);
  DeribitDecoder decoder(reg);
  DecodedBatch batch;
  const char mutants[] = {'"', '\\', ' ', '0', '9', '-', '.', 'e', '}', ']', '[', ',', ':', 'x', 'n'};
  std::mt19937_64 rng(11);
  int decoded = 0;
  for (int round = 0; round < 40; ++round)
    for (const std::string& m : messages) {
      std::string bad = m;
      const std::size_t at = rng() % bad.size();
      switch (rng() % 3) {
        case 0: bad.erase(at, 1); break;
        case 1: bad[at] = mutants[rng() % sizeof mutants]; break;
        default: bad.insert(at, 1, mutants[rng() % sizeof mutants]); break;
      }
      batch.clear();
      decoder.decode(bad, batch);
      ++decoded;
    }
  QVERIFY(decoded > 4000);
  QVERIFY2(decoder.malformed() > std::uint64_t(decoded) / 4, qPrintable(QString::number(decoder.malformed())));
}

// The compact book reader (CompactBook.hpp) against the simdjson path it shortcuts: two decoders fed
// the same messages, one with the reader and one without, must give the same results, events,
// resyncs and counters at every step — on the real recording (as sent, with whitespace, and compacted
// with sorted keys as kappa-exchange writes), on generated book chains in Deribit's key order with
// every kind of JSON number, and on thousands of mutations of them (a byte dropped, changed or
// inserted, a repeated key): whatever the reader does not take whole falls through to simdjson with
// nothing half-done.
void TestDeribitDecoder::compactBookEqualsSimdjson() {
  InstrumentRegistry reg;
  QString why;
  QVERIFY2(loadRecordedInstruments(reg, why), qPrintable(why));
  DeribitDecoder fast(reg), reference(reg);
  reference.setCompactBook(false);
  DecodedBatch fb, rb;
  int compared = 0;
  auto compare = [&](const std::string& msg) -> QString {
    fb.clear();
    rb.clear();
    const DecodeResult rf = fast.decode(msg, fb), rr = reference.decode(msg, rb);
    ++compared;
    if (rf.kind != rr.kind || rf.error != rr.error)
      return QString("result %1 '%2' vs %3 '%4'").arg(int(rf.kind)).arg(rf.error.c_str()).arg(int(rr.kind)).arg(rr.error.c_str());
    if (fb.md.size() != rb.md.size()) return QString("%1 events vs %2").arg(fb.md.size()).arg(rb.md.size());
    for (std::size_t i = 0; i < fb.md.size(); ++i) {
      const MdEvent &a = fb.md[i], &b = rb.md[i];
      if (a.type != b.type || a.side != b.side || a.action != b.action || a.isSnapshot != b.isSnapshot || a.instrument != b.instrument ||
          a.price != b.price || a.qty != b.qty || a.changeId != b.changeId || a.prevChangeId != b.prevChangeId || a.ts != b.ts)
        return QString("event %1 differs").arg(i);
    }
    if (fb.resyncs.size() != rb.resyncs.size() || fb.tickers.size() != rb.tickers.size() || fb.trades.size() != rb.trades.size())
      return "resyncs, tickers or trades differ";
    for (std::size_t i = 0; i < fb.resyncs.size(); ++i)
      if (fb.resyncs[i].instrument != rb.resyncs[i].instrument || fb.resyncs[i].reason != rb.resyncs[i].reason) return "resync differs";
    if (fast.malformed() != reference.malformed() || fast.gaps() != reference.gaps() || fast.discarded() != reference.discarded())
      return "counters differ";
    return {};
  };

  // The recording, as sent and compacted (QJsonDocument sorts keys and writes 4714.0 as 4714).
  std::vector<std::string> messages;
  QFile f(kData + "/deribit_ws_options_20210722.jsonl");
  QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
  while (!f.atEnd()) {
    const QByteArray line = f.readLine().trimmed();
    QString dir;
    const QByteArray msg = line.isEmpty() ? QByteArray() : messageOf(line, &dir);
    if (dir != "recv") continue;
    messages.emplace_back(msg.constData(), std::size_t(msg.size()));
    const QByteArray compact = QJsonDocument::fromJson(msg).toJson(QJsonDocument::Compact);
    messages.emplace_back(compact.constData(), std::size_t(compact.size()));
  }
  for (const std::string& m : messages) {
    const QString w = compare(m);
    QVERIFY2(w.isEmpty(), qPrintable(w + " on " + QString::fromStdString(m)));
  }
  QVERIFY2(fast.compactBooks() >= 46, qPrintable(QString::number(fast.compactBooks())));  // every compacted book message

  // Generated chains on a few of the recorded instruments, with every form of JSON number.
  const std::vector<std::string> names = {reg[1].name, reg[2].name, reg[3].name, "NOT-LISTED"};
  const char* numbers[] = {"0.05", "4714.0", "4714", "1.5e-05", "2E+2", "0", "-0.0", "0.000000015", "123456.123456789", "1e300", "-1"};
  const char* actions[] = {"new", "change", "delete"};
  std::mt19937_64 rng(17);
  std::map<std::string, std::uint64_t> last;
  auto number = [&] { return rng() % 30 == 0 ? numbers[9 + rng() % 2] : numbers[rng() % 9]; };  // 1e300, -1 seldom
  auto levelsText = [&] {
    std::string out = "[";
    for (int i = int(rng() % 4); i > 0; --i)
      out += std::string(out.size() > 1 ? "," : "") + "[\"" + actions[rng() % 3] + "\"," + number() + "," + number() + "]";
    return out + "]";
  };
  auto nextMessage = [&]() -> std::string {
    const std::string& n = names[rng() % names.size()];
    std::uint64_t& prev = last[n];
    const bool snapshot = prev == 0 || rng() % 40 == 0;
    const std::uint64_t next = prev + 1 + rng() % 3;
    std::string m = bookMessage(n, snapshot ? "snapshot" : "change", next, snapshot ? 0 : prev, levelsText(), levelsText());
    prev = next;
    if (rng() % 10 == 0) m.replace(m.find(".raw"), 4, ".100ms");
    return m;
  };
  const char mutants[] = {'"', '\\', ' ', '0', '9', '-', '.', 'e', '}', ']', '[', ',', ':', 'x', 'n', '\x80'};
  const std::uint64_t before = fast.compactBooks();
  int mutated = 0;
  for (int k = 0; k < 4000; ++k) {
    const std::string msg = nextMessage();
    QString w = compare(msg);
    QVERIFY2(w.isEmpty(), qPrintable(w + " on " + QString::fromStdString(msg)));
    std::string bad = msg;
    const std::size_t at = rng() % bad.size();
    switch (rng() % 5) {
      case 0: bad.erase(at, 1); break;
      case 1: bad[at] = mutants[rng() % sizeof mutants]; break;
      case 2: bad.insert(at, 1, mutants[rng() % sizeof mutants]); break;
      case 3: bad.insert(bad.find("\"data\":{") + 8, R"("change_id":1,)"); break;  // a repeated key
      default: bad.insert(bad.find("\"data\":{") + 8, R"("extra":[1,{"a":null}],)"); break;  // a key the reader does not know
    }
    ++mutated;
    w = compare(bad);
    QVERIFY2(w.isEmpty(), qPrintable(w + " on " + QString::fromStdString(bad)));
    for (const BookResync& r : fb.resyncs) last[reg[r.instrument].name] = 0;  // as the venue does: resubscribe, a snapshot comes
  }
  // Apart from the unlisted name's and those with 1e300 in them, the valid messages went through the reader.
  QVERIFY2(fast.compactBooks() - before > 2000, qPrintable(QString::number(fast.compactBooks() - before)));
  QCOMPARE(reference.compactBooks(), 0u);
  QVERIFY(fast.malformed() > 500);
  QVERIFY2(fast.gaps() > 10 && fast.discarded() < 1000, qPrintable(QString("%1 gaps, %2 discarded, %3 malformed").arg(fast.gaps()).arg(fast.discarded()).arg(fast.malformed())));
  qInfo("compared %d messages (%d mutated); the compact reader took %llu", compared, mutated,
        static_cast<unsigned long long>(fast.compactBooks()));
}

void TestDeribitDecoder::unknownThingsAreSkipped() {
  InstrumentRegistry reg;
  reg.add(indexInstrument("BTC"));
  Instrument perp;
  perp.name = "BTC-PERPETUAL";
  reg.add(perp);
  DeribitDecoder decoder(reg);
  DecodedBatch batch;
  // a book, ticker and trades of instruments we do not list; a channel we never asked for
  QCOMPARE(decoder.decode(bookMessage("BTC-1JAN30-1000-C", "snapshot", 1, 0, "[]", "[]"), batch).kind, MessageKind::Notification);
  QCOMPARE(decoder.decode(R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.option.BTC.raw","data":[{"instrument_name":"BTC-1JAN30-1000-C","price":1,"amount":1,"direction":"buy","trade_id":"1"}]}})", batch).kind,
           MessageKind::Notification);
  QCOMPARE(decoder.decode(R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"quote.BTC-PERPETUAL","data":{"x":1}}})", batch).kind,
           MessageKind::Notification);
  QCOMPARE(decoder.decode(R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"deribit_price_index.sol_usd","data":{"index_name":"sol_usd","price":1,"timestamp":1}}})", batch).kind,
           MessageKind::Notification);
  QVERIFY(batch.md.empty());
  QVERIFY(batch.resyncs.empty());
  // instruments of other kinds (combos crashed other projects) are skipped and named
  std::vector<Instrument> list;
  std::vector<std::string> skipped;
  std::string error;
  QVERIFY(parseInstruments(R"([{"instrument_name":"BTC-FS-29SEP23_PERP","kind":"future_combo","tick_size":0.5,"min_trade_amount":10},
                               {"instrument_name":"BTC-CS-29SEP23-30000_35000","kind":"option_combo","tick_size":0.0005,"min_trade_amount":0.1},
                               {"instrument_name":"BTC_USDC","kind":"spot","tick_size":1,"min_trade_amount":0.0001},
                               {"instrument_name":"BTC-29SEP23-30000-C","kind":"option","option_type":"call","strike":30000,"expiration_timestamp":1695974400000,"tick_size":0.0005,"min_trade_amount":0.1},
                               {"kind":"option"}])",
                           0, list, skipped, error));
  QCOMPARE(list.size(), std::size_t(1));
  QCOMPARE(skipped.size(), std::size_t(4));
  QVERIFY(!parseInstruments("{not json", 0, list, skipped, error));
  QVERIFY(!error.empty());
}

QTEST_GUILESS_MAIN(TestDeribitDecoder)
#include "tst_deribit_decoder.moc"
