// The Binance connector's decoder and depth sync against the outside world's truth: a real Binance
// recording (cryptofeed: spot REST snapshots + the combined diff-depth stream, synced under the spot
// rule into the engine's own books, whose top must equal the recorded bookTicker at the same update
// id), and constructed futures messages for every way a sync can break: a gap, a pu break, a stale
// snapshot, events older than the snapshot, deletes (of levels held and not held), malformed input.
#include <QtTest>

#include <QFile>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "book/MarketData.hpp"
#include "venue/binance/BinanceCredentials.hpp"
#include "venue/binance/BinanceDecoder.hpp"
#include "venue/binance/BinanceDepthSync.hpp"
#include "venue/binance/BinanceOrderTracker.hpp"
#include "venue/binance/BinanceRestAnswers.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::binance;

namespace {

const QString kData = kappa::test::testDataDir();

std::vector<std::string> readLines(const QString& path) {
  QFile f(path);
  std::vector<std::string> out;
  if (!f.open(QIODevice::ReadOnly)) return out;
  while (!f.atEnd()) {
    QByteArray line = f.readLine();
    while (line.endsWith('\n') || line.endsWith('\r')) line.chop(1);
    if (!line.isEmpty()) out.push_back(line.toStdString());
  }
  return out;
}

Instrument linear(const std::string& name) {
  Instrument i;
  i.name = name;
  i.kind = InstrumentKind::Perpetual;
  i.settlement = Settlement::Linear;
  i.quoteCurrency = "USDT";
  i.settleCurrency = "USDT";
  i.tickSize = 1;
  i.minQty = 1;
  return i;
}

// A futures depthUpdate as Binance sends it on a combined stream.
std::string depthMsg(const std::string& sym, std::uint64_t U, std::uint64_t u, std::uint64_t pu,
                     const std::string& bids, const std::string& asks) {
  return R"({"stream":")" + QString::fromStdString(sym).toLower().toStdString() +
         R"(@depth@100ms","data":{"e":"depthUpdate","E":1700000000123,"T":1700000000120,"s":")" + sym + R"(","U":)" +
         std::to_string(U) + R"(,"u":)" + std::to_string(u) + R"(,"pu":)" + std::to_string(pu) + R"(,"b":[)" + bids +
         R"(],"a":[)" + asks + "]}}";
}

std::string snapshotBody(std::uint64_t lastUpdateId, const std::string& bids, const std::string& asks) {
  return R"({"lastUpdateId":)" + std::to_string(lastUpdateId) + R"(,"E":1700000000100,"T":1700000000099,"bids":[)" + bids +
         R"(],"asks":[)" + asks + "]}";
}

// One futures book through decoder + sync into the engine's MarketData.
struct FuturesRig {
  InstrumentRegistry registry;
  InstrumentId id = kNoInstrument;
  BinanceDecoder decoder{SyncRule::Futures};
  std::unique_ptr<MarketData> md;
  DecodedBatch batch;
  std::vector<SnapshotRequest> requests;
  int staleEvents = 0;

  FuturesRig() {
    id = registry.add(linear("BTCUSDT"));
    md = std::make_unique<MarketData>(registry);
    decoder.addSymbol("BTCUSDT", id, kNoInstrument);
    std::vector<MdEvent> out;
    decoder.sync().start(id, "subscribed", out, requests);
    deliver(out);
  }
  void deliver(const std::vector<MdEvent>& events) {
    for (const MdEvent& e : events) {
      if (e.type == MdType::BookStale) ++staleEvents;
      md->apply(e);
    }
  }
  void diff(const std::string& msg) {
    batch.clear();
    const DecodeResult r = decoder.decode(msg, batch);
    QCOMPARE(int(r.kind), int(MessageKind::MarketData));
    deliver(batch.md);
    requests.insert(requests.end(), batch.snapshotRequests.begin(), batch.snapshotRequests.end());
  }
  DepthSync::SnapshotOutcome snapshot(const std::string& body) {
    std::uint64_t last = 0;
    std::vector<MdEvent> levels, out;
    Nanos ts = 0;
    std::string error;
    if (!parseDepthSnapshot(body, last, levels, ts, error)) qFatal("snapshot: %s", error.c_str());
    const auto outcome = decoder.sync().onSnapshot(id, last, levels.data(), levels.size(), ts, out, requests);
    deliver(out);
    return outcome;
  }
  const OrderBook& book() const { return md->book(id); }
  DepthSync::State state() const { return decoder.sync().state(id); }
};

Price px(double v) { return toFixed(v); }

}  // namespace

class TestBinanceDecoder : public QObject {
  Q_OBJECT
 private slots:
  void fixedPointText();
  void fixedPointEdgeCases();
  void fixedPointMatchesReference();
  void depthLevelTextsStrict();
  void streamSymbolLookupFollowsChanges();
  void endpointsAndIds();
  void recordedSpotStreamSyncs();
  void futuresSyncAcrossSnapshot();
  void olderEventsDropped();
  void staleSnapshotAskedAgain();
  void puBreakRestartsSync();
  void gapAfterSnapshot();
  void gapInsideBuffer();
  void zeroQuantityDeletes();
  void spotRuleGap();
  void malformedDepthRestarts();
  void otherStreams();
  void userDataEvents();
  void restAnswers();
  void standbyCatchUp();
  void randomStreamMatchesModel();
  void compactDepthEqualsSimdjson();
  void trackerFillsOnce();
  void trackerHeldRestFills();
  void trackerModifyAndExpiry();
};

void TestBinanceDecoder::fixedPointText() {
  std::int64_t v = 0;
  QVERIFY(parseFixed("0.35130000", v));
  QCOMPARE(v, std::int64_t(35'130'000));
  QVERIFY(parseFixed("67000.5", v));
  QCOMPARE(v, std::int64_t(6'700'050'000'000));
  QVERIFY(parseFixed("-0.00038167", v));
  QCOMPARE(v, std::int64_t(-38'167));
  QVERIFY(parseFixed("12", v));
  QCOMPARE(v, std::int64_t(1'200'000'000));
  QVERIFY(parseFixed("0.123456789", v));  // the ninth decimal is beyond fixed point
  QCOMPARE(v, std::int64_t(12'345'678));
  QVERIFY(!parseFixed("", v));
  QVERIFY(!parseFixed("-", v));
  QVERIFY(!parseFixed("1e-3", v));
  QVERIFY(!parseFixed("abc", v));
  QVERIFY(!parseFixed("99999999999999999999", v));  // overflow refused, not wrapped
}

namespace {
// A plain reference for the decimal rules (the decoder's first parser, with exact overflow
// arithmetic): sign, digits, '.', digits, at least one digit; eight decimals kept, the rest dropped;
// refused beyond int64 * 1e8.
bool referenceFixed(std::string_view t, std::int64_t& out) {
  std::size_t i = 0;
  bool negative = false;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) negative = t[i++] == '-';
  __int128 whole = 0;
  int digits = 0;
  bool huge = false;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + (t[i] - '0');
    if (whole > (__int128(1) << 100)) huge = true, whole = __int128(1) << 100;
  }
  std::int64_t frac = 0;
  int fracDigits = 0;
  if (i < t.size() && t[i] == '.')
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++digits)
      if (fracDigits < 8) frac = frac * 10 + (t[i] - '0'), ++fracDigits;
  if (i != t.size() || digits == 0 || huge) return false;
  for (; fracDigits < 8; ++fracDigits) frac *= 10;
  const __int128 v = whole * kFixedScale + frac;
  if (v > INT64_MAX) return false;
  out = negative ? -std::int64_t(v) : std::int64_t(v);
  return true;
}
}  // namespace

// What Binance sends and what it might: no fraction, 8+ decimals, leading zeros, the limits of
// int64 * 1e8, and texts that are not decimals (exponents: Binance's prices and quantities never
// have them, and a refused level restarts the book's sync rather than guessing).
void TestBinanceDecoder::fixedPointEdgeCases() {
  const std::pair<const char*, std::int64_t> good[] = {
      {"0", 0},
      {"0.0", 0},
      {"-0", 0},
      {"00012.50", 1'250'000'000},
      {"5.", 500'000'000},
      {".5", 50'000'000},
      {"+5", 500'000'000},
      {"0.00000001", 1},
      {"0.000000009", 0},
      {"1.123456789999", 112'345'678},
      {"67000.10", 6'700'010'000'000},
      {"0.00100000", 100'000},
      {"92233720368.54775807", INT64_MAX},
      {"-92233720368.54775807", -INT64_MAX},
      {"92233720368.547758079999", INT64_MAX},  // the dropped decimals do not overflow
      {"000000000000000000000001", 100'000'000},
  };
  for (const auto& [text, want] : good) {
    std::int64_t v = 42;
    QVERIFY2(parseFixed(text, v), text);
    QCOMPARE(v, want);
  }
  const char* bad[] = {"", "-", "+", ".", "-.", "1e3", "1E3", "1e-3", "6.7e4", "0x10", "NaN", "inf", "1.2.3", "1,5",
                       " 1", "1 ", "--1", "+-1", "1-", "92233720368.54775808", "92233720369", "99999999999999999999",
                       "-92233720368.54775808", "\xd9\xa3"};
  for (const char* text : bad) {
    std::int64_t v = 42;
    QVERIFY2(!parseFixed(text, v), text);
    QCOMPARE(v, std::int64_t(42));  // untouched on refusal
  }
  // A view into a longer text ends where the view ends.
  std::int64_t v = 0;
  QVERIFY(parseFixed(std::string_view("12345.678", 2), v));
  QCOMPARE(v, std::int64_t(1'200'000'000));
  QVERIFY(parseFixed(std::string_view("0.1234567891", 6), v));
  QCOMPARE(v, std::int64_t(12'340'000));
}

// A million random texts, decimals and near-decimals, against the reference: same verdict, same value.
void TestBinanceDecoder::fixedPointMatchesReference() {
  std::mt19937_64 rng(2026);
  const char alphabet[] = "0123456789012345678901234567890123456789..-+e ";
  std::uniform_int_distribution<int> len(0, 24), pick(0, int(sizeof alphabet) - 2), digitsBefore(0, 12), digitsAfter(0, 12);
  std::string t;
  int accepted = 0;
  for (int n = 0; n < 1'000'000; ++n) {
    t.clear();
    if (n % 2 == 0) {  // well-formed mostly: [sign] digits [. digits]
      if (rng() % 8 == 0) t += rng() % 2 ? '-' : '+';
      for (int i = digitsBefore(rng); i > 0; --i) t += char('0' + rng() % 10);
      if (rng() % 4) {
        t += '.';
        for (int i = digitsAfter(rng); i > 0; --i) t += char('0' + rng() % 10);
      }
    } else {
      for (int i = len(rng); i > 0; --i) t += alphabet[pick(rng)];
    }
    std::int64_t want = 7, got = 7;
    const bool ok = referenceFixed(t, want);
    QVERIFY2(parseFixed(t, got) == ok, t.c_str());
    QVERIFY2(got == want, t.c_str());
    accepted += ok;
  }
  QVERIFY(accepted > 400'000);  // both kinds were exercised
}

// Levels whose texts are not plain decimals are refused as malformed (the book's sync restarts),
// never read as something else; plain ones of every shape are read exactly.
void TestBinanceDecoder::depthLevelTextsStrict() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(100, R"(["100.0","1"])", R"(["101.0","1"])"));
  rig.diff(depthMsg("BTCUSDT", 100, 101, 99, R"(["0099.5","0.123456789"],["99","2."])", R"(["101.00000000","0"])"));
  QCOMPARE(rig.book().depth(Side::Buy), std::size_t(3));
  QCOMPARE(rig.book().qtyAt(Side::Buy, px(99.5)), std::int64_t(12'345'678));
  QCOMPARE(rig.book().qtyAt(Side::Buy, px(99)), px(2));
  QCOMPARE(rig.book().depth(Side::Sell), std::size_t(0));
  const char* bad[] = {R"(["6.7e1","1"])", R"(["9\u0039","1"])", R"(["","1"])", R"([" 99","1"])", R"(["99","1 "])",
                       R"(["99",1])", R"([99,"1"])", R"(["99"])", R"(["-99","1"])", R"(["99","-1"])", R"(["0","1"])"};
  for (const char* level : bad) {
    FuturesRig r;
    r.snapshot(snapshotBody(100, R"(["100.0","1"])", R"(["101.0","1"])"));
    r.batch.clear();
    const DecodeResult res = r.decoder.decode(depthMsg("BTCUSDT", 100, 101, 99, level, ""), r.batch);
    QVERIFY2(res.kind == MessageKind::Malformed, level);
    r.deliver(r.batch.md);
    QCOMPARE(int(r.state()), int(DepthSync::State::Buffering));  // the sync starts again
    QCOMPARE(r.staleEvents, 1);
  }
}

// The decoder remembers the last stream symbol's id: alternating symbols, a symbol forgotten
// (delisted) and one mapped to a new id must still land where the symbol table says.
void TestBinanceDecoder::streamSymbolLookupFollowsChanges() {
  BinanceDecoder d;
  d.addSymbol("BTCUSDT", 1, kNoInstrument);
  d.addSymbol("ETHUSDT", 2, kNoInstrument);
  DecodedBatch b;
  auto trade = [&](const char* symbol) -> InstrumentId {
    b.clear();
    const std::string msg = std::string(R"({"stream":"x@aggTrade","data":{"e":"aggTrade","E":1,"s":")") + symbol +
                            R"(","a":1,"p":"10","q":"1","T":1,"m":false}})";
    if (d.decode(msg, b).kind != MessageKind::MarketData) return InstrumentId(999);
    return b.md.empty() ? kNoInstrument : b.md[0].instrument;
  };
  QCOMPARE(trade("BTCUSDT"), InstrumentId(1));
  QCOMPARE(trade("BTCUSDT"), InstrumentId(1));
  QCOMPARE(trade("ETHUSDT"), InstrumentId(2));
  QCOMPARE(trade("BTCUSDT"), InstrumentId(1));
  QCOMPARE(trade("BTCUSD"), kNoInstrument);   // a prefix of the last one is another symbol
  QCOMPARE(trade("BTCUSDTX"), kNoInstrument);
  QCOMPARE(trade("BTCUSDT"), InstrumentId(1));
  d.forget(1);
  QCOMPARE(trade("BTCUSDT"), kNoInstrument);  // delisted: skipped although it was the last one
  QCOMPARE(trade("ETHUSDT"), InstrumentId(2));
  d.addSymbol("ETHUSDT", 3, kNoInstrument);   // the same name under a new id
  QCOMPARE(trade("ETHUSDT"), InstrumentId(3));
  QCOMPARE(d.find("ETHUSDT"), InstrumentId(3));
}

void TestBinanceDecoder::endpointsAndIds() {
  BinanceEndpoint ep;
  std::string error;
  QVERIFY(parseBinanceEndpoint("", ep, error));
  QCOMPARE(ep.environment, std::string("testnet"));
  QCOMPARE(ep.restBase, std::string("https://testnet.binancefuture.com"));
  QVERIFY(parseBinanceEndpoint("mainnet", ep, error));
  QCOMPARE(ep.restBase, std::string("https://fapi.binance.com"));
  QCOMPARE(ep.wsBase, std::string("wss://fstream.binance.com"));
  QVERIFY(parseBinanceEndpoint("http://127.0.0.1:8123", ep, error));
  QCOMPARE(ep.environment, std::string("custom"));
  QCOMPARE(ep.restBase, std::string("http://127.0.0.1:8123"));
  QCOMPARE(ep.wsBase, std::string("ws://127.0.0.1:8123"));
  QVERIFY(!parseBinanceEndpoint("binance", ep, error));
  QVERIFY(!error.empty());
  QVERIFY(!parseBinanceEndpoint("http://host:1/fapi", ep, error));

  BinanceCredentials c{"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "secret"};
  QCOMPARE(c.maskedKey(), std::string("vmPU…"));

  for (OrderId id : {OrderId(1), OrderId(42), OrderId(18'446'744'073'709'551'615ull)}) {
    const std::string c = clientOrderIdOf(id);
    QVERIFY(c.size() <= 36);  // Binance's limit for newClientOrderId
    QCOMPARE(orderIdFromClientId(c), id);
  }
  QCOMPARE(orderIdFromClientId("web_abc"), OrderId(0));
  QCOMPARE(orderIdFromClientId("kappa-"), OrderId(0));
  QCOMPARE(orderIdFromClientId("kappa-12x"), OrderId(0));
  QCOMPARE(orderIdFromClientId("kappa-012"), OrderId(0));
}

// The real recording: four spot books (spot shapes: no pu; U == previous u + 1) joined to their
// REST snapshots in the order the recorder saw them, applied to the engine's books.
void TestBinanceDecoder::recordedSpotStreamSyncs() {
  const auto http = readLines(kData + "/binance/cryptofeed_BINANCE.http.0.0.txt");
  const auto ws = readLines(kData + "/binance/cryptofeed_BINANCE.ws.1.0.txt");
  QCOMPARE(http.size(), std::size_t(4));
  QVERIFY(ws.size() > 200);

  struct Snap { double t; std::string symbol; std::string body; };
  std::vector<Snap> snaps;
  for (const std::string& line : http) {
    const auto sym = line.find("symbol=");
    const auto amp = line.find('&', sym);
    const auto arrow = line.find(" -> ");
    const auto colon = line.find(": ", arrow);
    QVERIFY(sym != std::string::npos && arrow != std::string::npos && colon != std::string::npos);
    snaps.push_back({std::stod(line.substr(arrow + 4, colon - arrow - 4)), line.substr(sym + 7, amp - sym - 7), line.substr(colon + 2)});
  }
  InstrumentRegistry registry;
  BinanceDecoder decoder(SyncRule::Spot);
  std::map<std::string, InstrumentId> ids;
  for (const Snap& s : snaps) {
    ids[s.symbol] = registry.add(linear(s.symbol));
    decoder.addSymbol(s.symbol, ids[s.symbol], kNoInstrument);
  }
  MarketData md(registry);
  std::vector<MdEvent> out;
  std::vector<SnapshotRequest> requests;
  for (auto& [sym, id] : ids) decoder.sync().start(id, "subscribed", out, requests);
  QCOMPARE(requests.size(), std::size_t(4));

  int stale = 0;
  auto deliver = [&](const std::vector<MdEvent>& events) {
    for (const MdEvent& e : events) {
      if (e.type == MdType::BookStale) ++stale;
      md.apply(e);
    }
  };
  // The recorded bookTicker by (symbol, update id): the book's top after that update.
  std::map<std::pair<std::string, std::uint64_t>, std::pair<std::string, std::string>> tickers;
  std::size_t snapIdx = 0, depthEvents = 0, checkedTops = 0;
  DecodedBatch batch;
  for (std::size_t i = 1; i < ws.size(); ++i) {  // the first line names the connection
    const std::string& line = ws[i];
    const auto colon = line.find(": ");
    const double t = std::stod(line.substr(0, colon));
    const std::string json = line.substr(colon + 2);
    while (snapIdx < snaps.size() && snaps[snapIdx].t <= t) {
      const Snap& s = snaps[snapIdx++];
      std::uint64_t last = 0;
      std::vector<MdEvent> levels;
      Nanos ts = 0;
      std::string error;
      QVERIFY2(parseDepthSnapshot(s.body, last, levels, ts, error), error.c_str());
      out.clear();
      QCOMPARE(int(decoder.sync().onSnapshot(ids[s.symbol], last, levels.data(), levels.size(), ts, out, requests)),
               int(DepthSync::SnapshotOutcome::Applied));
      deliver(out);
    }
    // bookTicker on spot has no "e": read its u, b, a from the text for the check.
    if (json.find("@bookTicker") != std::string::npos) {
      auto field = [&](const char* key) {
        const std::string k = std::string("\"") + key + "\":";
        auto p = json.find(k) + k.size();
        if (json[p] == '"') return json.substr(p + 1, json.find('"', p + 1) - p - 1);
        return json.substr(p, json.find_first_of(",}", p) - p);
      };
      tickers[{field("s"), std::stoull(field("u"))}] = {field("b"), field("a")};
      continue;
    }
    batch.clear();
    const DecodeResult r = decoder.decode(json, batch);
    QVERIFY2(r.kind != MessageKind::Malformed, r.error.c_str());
    deliver(batch.md);
    QVERIFY(batch.snapshotRequests.empty());  // no break anywhere in the recording
    if (json.find("depthUpdate") == std::string::npos) continue;
    ++depthEvents;
    for (auto& [sym, id] : ids) {
      if (decoder.sync().state(id) != DepthSync::State::Live) continue;
      auto it = tickers.find({sym, decoder.sync().lastApplied(id)});
      if (it == tickers.end()) continue;
      const OrderBook& b = md.book(id);
      QVERIFY(b.bestBid() && b.bestAsk());
      std::int64_t bid = 0, ask = 0;
      QVERIFY(parseFixed(it->second.first, bid) && parseFixed(it->second.second, ask));
      QCOMPARE(b.bestBid()->price, bid);
      QCOMPARE(b.bestAsk()->price, ask);
      ++checkedTops;
      tickers.erase(it);
    }
  }
  QCOMPARE(snapIdx, snaps.size());
  QVERIFY(depthEvents > 100);
  QCOMPARE(stale, 0);
  QCOMPARE(decoder.sync().breaks(), std::uint64_t(0));
  QVERIFY(decoder.sync().dropped() > 0);  // NKNUSDT's first event (u == lastUpdateId) predates its snapshot
  for (auto& [sym, id] : ids) {
    QCOMPARE(int(decoder.sync().state(id)), int(DepthSync::State::Live));
    QCOMPARE(int(md.book(id).status()), int(BookStatus::Live));
    QVERIFY(md.book(id).bestBid()->price < md.book(id).bestAsk()->price);
  }
  QVERIFY2(checkedTops >= 5, qPrintable(QString("only %1 tops checked against bookTicker").arg(checkedTops)));
}

void TestBinanceDecoder::futuresSyncAcrossSnapshot() {
  FuturesRig rig;
  QCOMPARE(rig.requests.size(), std::size_t(1));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Buffering));
  // Buffered before the snapshot: 100..105 (already in it), 106..110 (reaches across 108).
  rig.diff(depthMsg("BTCUSDT", 100, 105, 99, R"(["100.0","1"])", ""));
  rig.diff(depthMsg("BTCUSDT", 106, 110, 105, R"(["100.0","2"])", R"(["101.0","3"])"));
  QCOMPARE(rig.decoder.sync().buffered(rig.id), std::size_t(2));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Empty));
  QCOMPARE(int(rig.snapshot(snapshotBody(108, R"(["100.0","1.5"],["99.0","4"])", R"(["101.0","1"],["102.0","5"])"))),
           int(DepthSync::SnapshotOutcome::Applied));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Live));
  QCOMPARE(rig.decoder.sync().lastApplied(rig.id), std::uint64_t(110));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Live));
  QCOMPARE(rig.book().changeId(), std::uint64_t(110));
  QCOMPARE(rig.book().bestBid()->qty, px(2));  // the bridging event applied over the snapshot
  QCOMPARE(rig.book().bestAsk()->qty, px(3));
  // Live: pu chains.
  rig.diff(depthMsg("BTCUSDT", 111, 115, 110, R"(["100.5","7"])", ""));
  QCOMPARE(rig.book().bestBid()->price, px(100.5));
  QCOMPARE(rig.book().changeId(), std::uint64_t(115));
  QCOMPARE(rig.staleEvents, 0);
  QCOMPARE(rig.requests.size(), std::size_t(1));
}

void TestBinanceDecoder::olderEventsDropped() {
  FuturesRig rig;
  QVERIFY(rig.snapshot(snapshotBody(200, R"(["100.0","1"])", R"(["101.0","1"])")) == DepthSync::SnapshotOutcome::Applied);
  QCOMPARE(int(rig.state()), int(DepthSync::State::Bridging));
  // u < lastUpdateId: dropped, never applied (it would set the bid back to 9).
  rig.diff(depthMsg("BTCUSDT", 190, 199, 189, R"(["100.0","9"])", ""));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Bridging));
  QCOMPARE(rig.book().bestBid()->qty, px(1));
  QCOMPARE(rig.decoder.sync().dropped(), std::uint64_t(1));
  // U <= 200 <= u: the first applied.
  rig.diff(depthMsg("BTCUSDT", 199, 203, 198, R"(["100.0","2"])", ""));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Live));
  QCOMPARE(rig.book().bestBid()->qty, px(2));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Live));
  // A repeat of something applied changes nothing and breaks nothing.
  rig.diff(depthMsg("BTCUSDT", 199, 203, 198, R"(["100.0","5"])", ""));
  QCOMPARE(rig.book().bestBid()->qty, px(2));
  QCOMPARE(rig.staleEvents, 0);
}

void TestBinanceDecoder::staleSnapshotAskedAgain() {
  FuturesRig rig;
  rig.diff(depthMsg("BTCUSDT", 300, 310, 299, R"(["100.0","1"])", ""));
  rig.diff(depthMsg("BTCUSDT", 311, 320, 310, R"(["100.0","2"])", ""));
  // lastUpdateId 250 is older than the buffer reaches back (U 300): updates 251..299 are lost.
  QCOMPARE(int(rig.snapshot(snapshotBody(250, R"(["100.0","1"])", R"(["101.0","1"])"))), int(DepthSync::SnapshotOutcome::Stale));
  QCOMPARE(rig.requests.size(), std::size_t(2));
  QVERIFY(rig.requests.back().reason.find("stale snapshot") != std::string::npos);
  QCOMPARE(int(rig.state()), int(DepthSync::State::Buffering));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Empty));  // the stale snapshot never reached the engine
  QCOMPARE(rig.decoder.sync().staleSnapshots(), std::uint64_t(1));
  // The next snapshot is fresh: the buffer (kept) joins it.
  QCOMPARE(int(rig.snapshot(snapshotBody(315, R"(["100.0","1"])", R"(["101.0","1"])"))), int(DepthSync::SnapshotOutcome::Applied));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Live));
  QCOMPARE(rig.book().changeId(), std::uint64_t(320));
  QCOMPARE(rig.book().bestBid()->qty, px(2));
}

void TestBinanceDecoder::puBreakRestartsSync() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(400, R"(["100.0","1"])", R"(["101.0","1"])"));
  rig.diff(depthMsg("BTCUSDT", 398, 405, 397, R"(["100.0","2"])", ""));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Live));
  // pu 407 is not the previous u 405: an event was lost.
  rig.diff(depthMsg("BTCUSDT", 408, 410, 407, R"(["100.0","3"])", ""));
  QCOMPARE(rig.staleEvents, 1);
  QCOMPARE(int(rig.book().status()), int(BookStatus::Stale));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Buffering));
  QCOMPARE(rig.requests.size(), std::size_t(2));
  QVERIFY(rig.requests.back().reason.find("pu 407") != std::string::npos);
  QCOMPARE(rig.decoder.sync().breaks(), std::uint64_t(1));
  QCOMPARE(rig.decoder.sync().buffered(rig.id), std::size_t(1));  // the breaking event starts the new buffer
  // Recovery: a fresh snapshot and the chain goes on.
  rig.diff(depthMsg("BTCUSDT", 411, 412, 410, R"(["99.0","8"])", ""));
  QCOMPARE(int(rig.snapshot(snapshotBody(409, R"(["100.0","5"])", R"(["101.0","1"])"))), int(DepthSync::SnapshotOutcome::Applied));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Live));
  QCOMPARE(rig.book().changeId(), std::uint64_t(412));
  QCOMPARE(rig.book().bestBid()->qty, px(3));
  QCOMPARE(rig.book().depth(Side::Buy), std::size_t(2));
}

void TestBinanceDecoder::gapAfterSnapshot() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(500, R"(["100.0","1"])", R"(["101.0","1"])"));
  // The first event after the snapshot starts beyond it: 501..504 are in neither.
  rig.diff(depthMsg("BTCUSDT", 505, 507, 504, R"(["100.0","2"])", ""));
  QCOMPARE(rig.staleEvents, 1);
  QCOMPARE(int(rig.state()), int(DepthSync::State::Buffering));
  QVERIFY(rig.requests.back().reason.find("does not reach back") != std::string::npos);
}

void TestBinanceDecoder::gapInsideBuffer() {
  FuturesRig rig;
  rig.diff(depthMsg("BTCUSDT", 600, 605, 599, "", ""));
  rig.diff(depthMsg("BTCUSDT", 610, 612, 609, "", ""));  // pu 609 != 605
  QCOMPARE(int(rig.snapshot(snapshotBody(603, R"(["100.0","1"])", R"(["101.0","1"])"))), int(DepthSync::SnapshotOutcome::Stale));
  QVERIFY(rig.requests.back().reason.find("gap in the buffered stream") != std::string::npos);
  QCOMPARE(int(rig.book().status()), int(BookStatus::Empty));
  QCOMPARE(int(rig.snapshot(snapshotBody(611, R"(["100.0","1"])", R"(["101.0","1"])"))), int(DepthSync::SnapshotOutcome::Applied));
  QCOMPARE(rig.book().changeId(), std::uint64_t(612));
}

void TestBinanceDecoder::zeroQuantityDeletes() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(700, R"(["100.0","1"],["99.0","2"])", R"(["101.0","1"],["102.0","2"])"));
  rig.diff(depthMsg("BTCUSDT", 700, 701, 699, R"(["100.0","0"])", R"(["101.0","0.000"])"));
  QCOMPARE(rig.book().bestBid()->price, px(99));
  QCOMPARE(rig.book().bestAsk()->price, px(102));
  QCOMPARE(rig.book().depth(Side::Buy), std::size_t(1));
  // A delete of a level the book does not hold (beyond the snapshot's depth): normal at Binance.
  // It reaches the engine as a delete-if-present, which the engine's book ignores: it stays live.
  rig.diff(depthMsg("BTCUSDT", 702, 702, 701, R"(["50.0","0"])", ""));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Live));
  QCOMPARE(rig.book().changeId(), std::uint64_t(702));
  QCOMPARE(rig.book().depth(Side::Buy), std::size_t(1));
  QCOMPARE(rig.book().bestBid()->price, px(99));
  QCOMPARE(rig.batch.md.size(), std::size_t(3));  // begin, the level, end
  QCOMPARE(int(rig.batch.md[1].action), int(LevelAction::DeleteIfPresent));
  // A quantity for a level the book already holds is a New too (the book sets it).
  rig.diff(depthMsg("BTCUSDT", 703, 703, 702, R"(["99.0","7"])", ""));
  QCOMPARE(int(rig.batch.md[1].action), int(LevelAction::New));
  QCOMPARE(rig.book().bestBid()->qty, px(7));
  QCOMPARE(rig.book().depth(Side::Buy), std::size_t(1));
  QCOMPARE(int(rig.book().status()), int(BookStatus::Live));
  QCOMPARE(rig.staleEvents, 0);
}

void TestBinanceDecoder::spotRuleGap() {
  DepthSync sync(SyncRule::Spot);
  std::vector<MdEvent> out;
  std::vector<SnapshotRequest> requests;
  sync.start(0, "subscribed", out, requests);
  MdEvent lvl;
  lvl.side = Side::Buy;
  lvl.price = px(1);
  lvl.qty = px(1);
  sync.onDiff(0, {10, 12, 0, 0}, &lvl, 1, out, requests);  // u <= lastUpdateId: dropped at the snapshot
  sync.onDiff(0, {13, 14, 0, 0}, &lvl, 1, out, requests);  // U <= 12 + 1 <= u: first applied
  QVERIFY(sync.onSnapshot(0, 12, &lvl, 1, 0, out, requests) == DepthSync::SnapshotOutcome::Applied);
  QCOMPARE(int(sync.state(0)), int(DepthSync::State::Live));
  QCOMPARE(sync.lastApplied(0), std::uint64_t(14));
  sync.onDiff(0, {15, 16, 0, 0}, &lvl, 1, out, requests);
  QCOMPARE(sync.lastApplied(0), std::uint64_t(16));
  sync.onDiff(0, {18, 19, 0, 0}, &lvl, 1, out, requests);  // 17 missing
  QCOMPARE(int(sync.state(0)), int(DepthSync::State::Buffering));
  QCOMPARE(requests.size(), std::size_t(2));
  QVERIFY(requests.back().reason.find("U 18") != std::string::npos);
  // The engine saw a chain: snapshot 12, then 12->14, 14->16, then a stale mark.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chain;
  for (const MdEvent& e : out)
    if (e.type == MdType::BookBegin && !e.isSnapshot) chain.push_back({e.prevChangeId, e.changeId});
  QCOMPARE(chain.size(), std::size_t(2));
  QCOMPARE(chain[0], std::make_pair(std::uint64_t(12), std::uint64_t(14)));
  QCOMPARE(chain[1], std::make_pair(std::uint64_t(14), std::uint64_t(16)));
  QCOMPARE(int(out.back().type), int(MdType::BookStale));
}

void TestBinanceDecoder::malformedDepthRestarts() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(800, R"(["100.0","1"])", R"(["101.0","1"])"));
  rig.diff(depthMsg("BTCUSDT", 800, 801, 799, "", ""));
  QCOMPARE(int(rig.state()), int(DepthSync::State::Live));
  rig.batch.clear();
  auto r = rig.decoder.decode(depthMsg("BTCUSDT", 802, 803, 801, R"(["abc","1"])", ""), rig.batch);
  QCOMPARE(int(r.kind), int(MessageKind::Malformed));
  rig.deliver(rig.batch.md);
  QCOMPARE(rig.staleEvents, 1);
  QCOMPARE(int(rig.state()), int(DepthSync::State::Buffering));
  QCOMPARE(rig.batch.snapshotRequests.size(), std::size_t(1));
  // Garbage of every kind is classified, never a crash.
  for (const char* junk : {"", "{", "[1,2]", "null", R"({"data":{"e":"depthUpdate"}})", R"({"data":{"e":"depthUpdate","s":"BTCUSDT","U":"x"}})",
                           R"({"data":{"e":"aggTrade","s":"BTCUSDT"}})", R"({"e":"ORDER_TRADE_UPDATE","o":{}})"}) {
    DecodedBatch b;
    rig.decoder.decode(junk, b);
  }
  // An unknown symbol is skipped.
  DecodedBatch b;
  QCOMPARE(int(rig.decoder.decode(depthMsg("DOGEUSDT", 1, 2, 0, "", ""), b).kind), int(MessageKind::MarketData));
  QVERIFY(b.md.empty());
}

void TestBinanceDecoder::otherStreams() {
  BinanceDecoder d;
  d.addSymbol("BTCUSDT", 1, 0);
  d.addSymbol("BTCUSDT_261225", 2, 0);
  DecodedBatch b;
  // Binance's documented shapes (USD-M futures market streams).
  QCOMPARE(int(d.decode(R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":true}})", b).kind),
           int(MessageKind::MarketData));
  QCOMPARE(b.md.size(), std::size_t(1));
  QCOMPARE(int(b.md[0].type), int(MdType::Trade));
  QCOMPARE(b.md[0].price, px(0.001));
  QCOMPARE(b.md[0].qty, px(100));
  QCOMPARE(int(b.md[0].side), int(Side::Sell));  // the buyer was the maker: a sell hit the bid
  QCOMPARE(b.md[0].changeId, std::uint64_t(5933014));
  QCOMPARE(b.md[0].ts, Nanos(123456785) * 1'000'000);
  b.clear();
  d.decode(R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}})", b);
  QCOMPARE(b.md.size(), std::size_t(3));
  QCOMPARE(int(b.md[0].type), int(MdType::VenueMark));
  QCOMPARE(b.md[0].instrument, InstrumentId(1));
  QCOMPARE(b.md[0].price, px(11794.15));
  QCOMPARE(b.md[0].qty, Qty(0));
  QCOMPARE(int(b.md[1].type), int(MdType::IndexPrice));
  QCOMPARE(b.md[1].instrument, InstrumentId(0));
  QCOMPARE(b.md[1].price, std::int64_t(1'178'462'659'091));
  QCOMPARE(int(b.md[2].type), int(MdType::Funding));
  QCOMPARE(b.md[2].price, std::int64_t(38'167));  // 0.00038167 * 1e8
  QCOMPARE(b.md[2].changeId, std::uint64_t(1562306400000));
  b.clear();
  // A quarterly: no funding.
  d.decode(R"({"stream":"btcusdt_261225@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT_261225","p":"11900.1","i":"11784.6","P":"","r":"","T":0}})", b);
  QCOMPARE(b.md.size(), std::size_t(2));
  b.clear();
  d.decode(R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}})", b);
  QCOMPARE(b.tickers.size(), std::size_t(1));
  QCOMPARE(b.tickers[0].bid, px(25.3519));
  QCOMPARE(b.tickers[0].askQty, px(40.66));
  b.clear();
  QCOMPARE(int(d.decode(R"({"result":null,"id":1})", b).kind), int(MessageKind::Response));
  QCOMPARE(int(d.decode(R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","s":"BTCUSDT"}})", b).kind), int(MessageKind::Ignored));
}

void TestBinanceDecoder::userDataEvents() {
  BinanceDecoder d;
  DecodedBatch b;
  // Binance's documented ORDER_TRADE_UPDATE (a trade of ours).
  QCOMPARE(int(d.decode(R"({"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"kappa-77","S":"SELL","o":"LIMIT","f":"GTC","q":"0.002","p":"7000.5","ap":"7000.5","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001","z":"0.001","L":"7000.5","N":"USDT","n":"0.0035","T":1568879465650,"t":42,"b":"0","a":"9.91","m":true,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"rp":"0","pP":false,"si":0,"ss":0}})", b).kind),
           int(MessageKind::UserData));
  QCOMPARE(b.orders.size(), std::size_t(1));
  const BinanceOrderUpdate& o = b.orders[0];
  QCOMPARE(orderIdFromClientId(o.clientOrderId), OrderId(77));
  QCOMPARE(o.exchangeOrderId, std::uint64_t(8886774));
  QVERIFY(o.isTrade);
  QCOMPARE(o.tradeId, std::uint64_t(42));
  QCOMPARE(o.lastQty, px(0.001));
  QCOMPARE(o.lastPrice, px(7000.5));
  QCOMPARE(o.cumQty, px(0.001));
  QCOMPARE(o.commission, 0.0035);
  QVERIFY(o.maker);
  QCOMPARE(int(o.side), int(Side::Sell));
  QCOMPARE(o.status, std::string("PARTIALLY_FILLED"));
  b.clear();
  d.decode(R"({"e":"ACCOUNT_UPDATE","E":1564745798939,"T":1564745798938,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}],"P":[{"s":"BTCUSDT","pa":"-0.002","ep":"7000.5","cr":"200","up":"0","mt":"cross","iw":"0","ps":"BOTH"}]}})", b);
  QCOMPARE(b.accounts.size(), std::size_t(1));
  QCOMPARE(b.accounts[0].balances[0].asset, std::string("USDT"));
  QCOMPARE(b.accounts[0].balances[0].walletBalance, 122624.12345678);
  QCOMPARE(b.accounts[0].positions[0].amount, -0.002);
  b.clear();
  d.decode(R"({"e":"listenKeyExpired","E":1576653824250,"listenKey":"WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv"})", b);
  QVERIFY(b.listenKeyExpired);
}

void TestBinanceDecoder::restAnswers() {
  // exchangeInfo in Binance's documented shape: a perpetual, a quarterly, a coin we do not list,
  // a BUSD-quoted one, and one being delisted.
  const std::string info = R"({"timezone":"UTC","serverTime":1565246363776,"rateLimits":[],"symbols":[
    {"symbol":"BTCUSDT","pair":"BTCUSDT","contractType":"PERPETUAL","deliveryDate":4133404800000,"onboardDate":1569398400000,"status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT","pricePrecision":2,"quantityPrecision":3,
     "filters":[{"filterType":"PRICE_FILTER","maxPrice":"4529764","minPrice":"556.80","tickSize":"0.10"},{"filterType":"LOT_SIZE","maxQty":"1000","minQty":"0.001","stepSize":"0.001"},{"filterType":"MIN_NOTIONAL","notional":"100"}]},
    {"symbol":"BTCUSDT_261225","pair":"BTCUSDT","contractType":"CURRENT_QUARTER","deliveryDate":1798185600000,"status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT",
     "filters":[{"filterType":"PRICE_FILTER","tickSize":"0.1"},{"filterType":"LOT_SIZE","maxQty":"500","minQty":"0.001","stepSize":"0.001"},{"filterType":"MIN_NOTIONAL","notional":"5"}]},
    {"symbol":"SOLUSDT","pair":"SOLUSDT","contractType":"PERPETUAL","status":"TRADING","baseAsset":"SOL","quoteAsset":"USDT","marginAsset":"USDT","filters":[]},
    {"symbol":"ETHBUSD","pair":"ETHBUSD","contractType":"PERPETUAL","status":"TRADING","baseAsset":"ETH","quoteAsset":"BUSD","marginAsset":"BUSD","filters":[]},
    {"symbol":"ETHUSDT","pair":"ETHUSDT","contractType":"PERPETUAL","status":"SETTLING","baseAsset":"ETH","quoteAsset":"USDT","marginAsset":"USDT",
     "filters":[{"filterType":"PRICE_FILTER","tickSize":"0.01"},{"filterType":"LOT_SIZE","maxQty":"10000","minQty":"0.001","stepSize":"0.001"}]}]})";
  std::vector<SymbolInfo> symbols;
  std::size_t skipped = 0;
  std::string error;
  QVERIFY2(parseExchangeInfo(info, {"BTC", "ETH"}, symbols, skipped, error), error.c_str());
  QCOMPARE(symbols.size(), std::size_t(3));
  QCOMPARE(skipped, std::size_t(2));
  const Instrument& perp = symbols[0].instrument;
  QCOMPARE(perp.name, std::string("BTCUSDT"));
  QCOMPARE(int(perp.kind), int(InstrumentKind::Perpetual));
  QCOMPARE(int(perp.settlement), int(Settlement::Linear));
  QCOMPARE(perp.quoteCurrency, std::string("USDT"));
  QCOMPARE(perp.settleCurrency, std::string("USDT"));
  QCOMPARE(perp.baseCurrency, std::string("BTC"));
  QCOMPARE(perp.tickSize, px(0.1));
  QCOMPARE(perp.minQty, px(0.001));
  QCOMPARE(perp.maxQty, px(1000));
  QCOMPARE(perp.priceDecimals, 1);
  QCOMPARE(perp.qtyDecimals, 3);
  QCOMPARE(perp.expiry, Nanos(0));
  QVERIFY(perp.tradable);
  QCOMPARE(symbols[0].minNotional, 100.0);
  QCOMPARE(int(symbols[1].instrument.kind), int(InstrumentKind::Future));
  QCOMPARE(symbols[1].instrument.expiry, Nanos(1798185600000) * 1'000'000);
  QCOMPARE(symbols[1].pair, std::string("BTCUSDT"));
  QVERIFY(!symbols[2].instrument.tradable);
  QVERIFY(isDelistedStatus(symbols[2].status));
  const Instrument idx = indexInstrument("BTCUSDT", "BTC", perp.tickSize);
  QCOMPARE(idx.name, std::string("BTCUSDT-INDEX"));
  QCOMPARE(int(idx.kind), int(InstrumentKind::Index));
  QVERIFY(!parseExchangeInfo("{}", {"BTC"}, symbols, skipped, error));

  ApiError e;
  QVERIFY(parseApiError(R"({"code":-2019,"msg":"Margin is insufficient."})", e));
  QCOMPARE(e.code, -2019);
  QVERIFY(describeOrderError(e).find("not enough margin") == 0);
  QVERIFY(!parseApiError(R"({"orderId":1})", e));

  BinanceOrderUpdate o;
  QVERIFY(parseOrder(R"({"clientOrderId":"kappa-5","cumQty":"0","cumQuote":"0","executedQty":"0.5","orderId":22542179,"avgPrice":"9000.1","origQty":"10","price":"9000.5","reduceOnly":false,"side":"BUY","positionSide":"BOTH","status":"PARTIALLY_FILLED","stopPrice":"0","closePosition":false,"symbol":"BTCUSDT","timeInForce":"GTX","type":"LIMIT","origType":"LIMIT","updateTime":1566818724722,"workingType":"CONTRACT_PRICE","priceProtect":false})", o, error));
  QCOMPARE(o.exchangeOrderId, std::uint64_t(22542179));
  QCOMPARE(o.cumQty, px(0.5));
  QCOMPARE(o.avgPrice, px(9000.1));
  QCOMPARE(o.timeInForce, std::string("GTX"));
  std::vector<BinancePositionUpdate> pos;
  QVERIFY(parsePositionRisk(R"([{"entryPrice":"6563.66500","marginType":"isolated","isAutoAddMargin":"false","isolatedMargin":"15517.54150468","leverage":"10","liquidationPrice":"5930.78","markPrice":"6679.50671178","maxNotionalValue":"20000000","positionAmt":"-20.000","symbol":"BTCUSDT","unRealizedProfit":"2316.83423560","positionSide":"BOTH","updateTime":1625474304765}])", pos, error));
  QCOMPARE(pos.size(), std::size_t(1));
  QCOMPARE(pos[0].amount, -20.0);
  VenueAccount acc;
  QVERIFY(parseAccount(R"({"totalWalletBalance":"23.7","assets":[{"asset":"USDT","walletBalance":"23.72469206","unrealizedProfit":"0.00000000","marginBalance":"23.72469206","maintMargin":"0.00000000","initialMargin":"0.00000000","positionInitialMargin":"0.00000000","openOrderInitialMargin":"0.00000000","crossWalletBalance":"23.72469206","crossUnPnl":"0.00000000","availableBalance":"23.72469206","maxWithdrawAmount":"23.72469206","marginAvailable":true,"updateTime":1625474304765}],"positions":[]})", "USDT", acc, error));
  QCOMPARE(acc.currency, std::string("USDT"));
  QCOMPARE(acc.balance, 23.72469206);
  std::string key;
  QVERIFY(parseListenKey(R"({"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"})", key, error));
  std::uint64_t t = 0;
  QVERIFY(parseServerTime(R"({"serverTime":1499827319559})", t, error));
  QCOMPARE(t, std::uint64_t(1499827319559));
}

void TestBinanceDecoder::standbyCatchUp() {
  FuturesRig rig;
  rig.snapshot(snapshotBody(900, R"(["100.0","1"])", R"(["101.0","1"])"));
  rig.diff(depthMsg("BTCUSDT", 900, 905, 899, "", ""));
  std::vector<InstrumentId> caughtUp;
  // A standby connection's event not yet applied on the current one proves nothing...
  rig.decoder.decodeStandby(depthMsg("BTCUSDT", 906, 908, 905, R"(["100.0","5"])", ""), caughtUp);
  QVERIFY(caughtUp.empty());
  QCOMPARE(rig.book().bestBid()->qty, px(1));  // ...and never reaches the engine
  // ...one the current connection already applied proves the streams overlap.
  rig.diff(depthMsg("BTCUSDT", 906, 908, 905, "", ""));
  rig.decoder.decodeStandby(depthMsg("BTCUSDT", 906, 908, 905, "", ""), caughtUp);
  QCOMPARE(caughtUp.size(), std::size_t(1));
}

// Thousands of random diffs (new levels, changes, deletes of held and unheld prices) through the
// sync into the engine's book: it never goes stale and always holds exactly the model's levels.
// The compact depth reader (CompactDepth.hpp) against the simdjson path it shortcuts: two rigs fed
// the same messages, one with the reader and one without, must produce the same results, events
// and snapshot requests at every step — on depth updates in Binance's key order, in kappa-exchange's
// (sorted keys), raw and combined, spot-shaped, other events, and on thousands of mutations of them
// (a byte dropped, changed or inserted, whitespace, a key repeated): whatever the reader does not
// take whole must fall through to simdjson with nothing half-done.
void TestBinanceDecoder::compactDepthEqualsSimdjson() {
  FuturesRig fast, reference;
  reference.decoder.setCompactDepth(false);
  std::string sb, sa;
  for (int i = 1; i <= 30; ++i) {
    sb += std::string(sb.empty() ? "" : ",") + "[\"" + std::to_string(1000 - i) + ".5\",\"" + std::to_string(i) + ".25\"]";
    sa += std::string(sa.empty() ? "" : ",") + "[\"" + std::to_string(1000 + i) + ".5\",\"" + std::to_string(i) + "\"]";
  }
  for (FuturesRig* r : {&fast, &reference}) QVERIFY(r->snapshot(snapshotBody(10, sb, sa)) == DepthSync::SnapshotOutcome::Applied);

  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> off(1, 60), q(0, 5), n(0, 8), form(0, 5);
  std::uint64_t u = 10;
  auto levelsText = [&](bool bid) {
    std::string out;
    for (int i = n(rng); i > 0; --i) {
      const int qty = q(rng);
      out += std::string(out.empty() ? "" : ",") + "[\"" + std::to_string(bid ? 1000 - off(rng) : 1000 + off(rng)) + ".5\",\"" +
             (qty ? std::to_string(qty) + ".125" : "0.000") + "\"]";
    }
    return out;
  };
  // One valid message continuing the chain, in one of several shapes.
  auto nextMessage = [&]() -> std::string {
    const std::uint64_t first = u + 1, last = u + 1 + std::uint64_t(n(rng) % 3);
    const std::string b = levelsText(true), a = levelsText(false), U = std::to_string(first), L = std::to_string(last),
                      P = std::to_string(u);
    u = last;
    switch (form(rng)) {
      case 0:  // kappa-exchange: nlohmann's sorted keys, combined
        return R"({"stream":"btcusdt@depth@100ms","data":{"E":1700000000123,"T":1700000000120,"U":)" + U + R"(,"a":[)" + a +
               R"(],"b":[)" + b + R"(],"e":"depthUpdate","pu":)" + P + R"(,"s":"BTCUSDT","u":)" + L + "}}";
      case 1:  // raw stream, Binance's order
        return R"({"e":"depthUpdate","E":1700000000123,"T":1700000000120,"s":"BTCUSDT","U":)" + U + R"(,"u":)" + L +
               R"(,"pu":)" + P + R"(,"b":[)" + b + R"(],"a":[)" + a + "]}";
      case 2:  // without T, and no levels on one side
        return R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000999,"s":"BTCUSDT","U":)" + U +
               R"(,"u":)" + L + R"(,"pu":)" + P + R"(,"b":[)" + b + R"(],"a":[]}})";
      default:
        return depthMsg("BTCUSDT", first, last, std::stoull(P), b, a);
    }
  };
  const std::vector<std::string> others = {
      R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","a":5,"p":"1000.5","q":"1","f":1,"l":1,"T":1,"m":true}})",
      R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1000.1","i":"1000.0","r":"0.0001","T":2}})",
      R"({"result":null,"id":1})",
      R"({"e":"depthUpdate","E":1,"T":1,"s":"ETHUSDT","U":1,"u":2,"pu":0,"b":[["1","1"]],"a":[]})",  // a symbol not ours
      R"({"e":"depthUpdate","s":"BTCUSDT","b":[]})"};  // no U/u
  const char mutants[] = {'"', '\\', ' ', '0', '9', '-', '.', 'e', '}', ']', '[', ',', ':', 'x', '\x80', '\n'};
  std::uniform_int_distribution<int> pick(0, int(sizeof mutants) - 1), kind(0, 4);
  int compared = 0, mutated = 0, resyncs = 0;
  auto compare = [&](const std::string& msg) {
    fast.batch.clear();
    reference.batch.clear();
    const DecodeResult rf = fast.decoder.decode(msg, fast.batch), rr = reference.decoder.decode(msg, reference.batch);
    ++compared;
    if (rf.kind != rr.kind || rf.error != rr.error) return QString("result %1 '%2' vs %3 '%4'").arg(int(rf.kind)).arg(rf.error.c_str()).arg(int(rr.kind)).arg(rr.error.c_str());
    if (fast.batch.md.size() != reference.batch.md.size()) return QString("%1 events vs %2").arg(fast.batch.md.size()).arg(reference.batch.md.size());
    for (std::size_t i = 0; i < fast.batch.md.size(); ++i) {
      const MdEvent &a = fast.batch.md[i], &b = reference.batch.md[i];
      if (a.type != b.type || a.side != b.side || a.action != b.action || a.isSnapshot != b.isSnapshot || a.instrument != b.instrument ||
          a.price != b.price || a.qty != b.qty || a.changeId != b.changeId || a.prevChangeId != b.prevChangeId || a.ts != b.ts)
        return QString("event %1 differs").arg(i);
    }
    if (fast.batch.snapshotRequests.size() != reference.batch.snapshotRequests.size()) return QString("snapshot requests differ");
    if (fast.decoder.malformed() != reference.decoder.malformed()) return QString("malformed counts differ");
    fast.deliver(fast.batch.md);
    reference.deliver(reference.batch.md);
    return QString();
  };
  for (int m = 0; m < 4000; ++m) {
    const std::string msg = nextMessage();
    QString why = compare(msg);
    QVERIFY2(why.isEmpty(), qPrintable(why + " on " + QString::fromStdString(msg)));
    std::string bad = msg;  // and a mutation of it
    std::uniform_int_distribution<std::size_t> at(0, bad.size() - 1);
    switch (kind(rng)) {
      case 0: bad.erase(at(rng), 1); break;
      case 1: bad[at(rng)] = mutants[pick(rng)]; break;
      case 2: bad.insert(at(rng), 1, mutants[pick(rng)]); break;
      case 3: bad.insert(at(rng), " "); break;
      default: bad.insert(bad.find("\"s\":"), R"("U":1,)"); break;  // a repeated key
    }
    ++mutated;
    why = compare(bad);
    QVERIFY2(why.isEmpty(), qPrintable(why + " on " + QString::fromStdString(bad)));
    if (fast.state() == DepthSync::State::Buffering) {  // the mutation broke the chain: both resync at the next id
      ++resyncs;
      for (FuturesRig* r : {&fast, &reference}) {
        r->batch.clear();
        r->snapshot(snapshotBody(u + 1, sb, sa));
      }
    }
    if (m % 500 == 0)
      for (const std::string& o : others) {
        why = compare(o);
        QVERIFY2(why.isEmpty(), qPrintable(why + " on " + QString::fromStdString(o)));
      }
  }
  // The reader took the valid messages (nearly all of the depth traffic), and the books agree.
  QVERIFY2(fast.decoder.compactDepths() >= 4000, qPrintable(QString::number(fast.decoder.compactDepths())));
  QCOMPARE(reference.decoder.compactDepths(), std::uint64_t(0));
  QCOMPARE(fast.book().depth(Side::Buy), reference.book().depth(Side::Buy));
  QCOMPARE(fast.book().depth(Side::Sell), reference.book().depth(Side::Sell));
  QCOMPARE(int(fast.state()), int(reference.state()));
  QVERIFY(compared > 8000 && mutated == 4000);
  QVERIFY(resyncs > 10);  // mutations broke the chain now and then, and the books came back
  QVERIFY(fast.book().live() && reference.book().live());
}

void TestBinanceDecoder::randomStreamMatchesModel() {
  FuturesRig rig;
  std::mt19937_64 rng(42);
  std::map<double, double> bids, asks;
  std::string sb, sa;
  for (int i = 1; i <= 50; ++i) {
    bids[1000 - i] = i;
    asks[1000 + i] = i;
    sb += std::string(sb.empty() ? "" : ",") + "[\"" + std::to_string(1000 - i) + "\",\"" + std::to_string(i) + "\"]";
    sa += std::string(sa.empty() ? "" : ",") + "[\"" + std::to_string(1000 + i) + "\",\"" + std::to_string(i) + "\"]";
  }
  QVERIFY(rig.snapshot(snapshotBody(10, sb, sa)) == DepthSync::SnapshotOutcome::Applied);
  std::uint64_t u = 10;
  std::uniform_int_distribution<int> off(1, 400), q(0, 3), n(1, 12);
  int unheldDeletes = 0;
  for (int m = 0; m < 5000; ++m) {
    std::string b, a;
    const int k = n(rng);
    for (int i = 0; i < k; ++i) {
      const bool bid = i % 2 == 0;
      const double px = bid ? 1000 - off(rng) : 1000 + off(rng);
      const int qty = q(rng);
      if (qty == 0 && !(bid ? bids : asks).count(px)) ++unheldDeletes;
      (bid ? bids : asks)[px] = qty;
      if (qty == 0) (bid ? bids : asks).erase(px);
      std::string& side = bid ? b : a;
      side += std::string(side.empty() ? "" : ",") + "[\"" + std::to_string(px) + "\",\"" + std::to_string(qty) + "\"]";
    }
    const std::uint64_t next = u + 1 + std::uint64_t(m % 3);
    rig.diff(depthMsg("BTCUSDT", m == 0 ? u : u + 1, next, u, b, a));
    u = next;
    QVERIFY(rig.book().live());
  }
  QCOMPARE(rig.book().depth(Side::Buy), bids.size());
  QCOMPARE(rig.book().depth(Side::Sell), asks.size());
  QCOMPARE(rig.book().bestBid()->price, toFixed(bids.rbegin()->first));
  QCOMPARE(rig.book().bestAsk()->price, toFixed(asks.begin()->first));
  // Every level, not only the best: prices and quantities equal the model's.
  std::vector<Level> got(std::max(bids.size(), asks.size()));
  QCOMPARE(rig.book().topN(Side::Buy, got.size(), got.data()), bids.size());
  auto bit = bids.rbegin();
  for (std::size_t k = 0; k < bids.size(); ++k, ++bit) QCOMPARE(got[k], (Level{toFixed(bit->first), toFixed(bit->second)}));
  QCOMPARE(rig.book().topN(Side::Sell, got.size(), got.data()), asks.size());
  auto ait = asks.begin();
  for (std::size_t k = 0; k < asks.size(); ++k, ++ait) QCOMPARE(got[k], (Level{toFixed(ait->first), toFixed(ait->second)}));
  QVERIFY(unheldDeletes > 0);  // the stream did delete levels the book never held
  QCOMPARE(rig.staleEvents, 0);
}

namespace {
BinanceOrderUpdate streamTrade(OrderId id, double qty, double cum, double price, std::uint64_t tradeId, const char* status) {
  BinanceOrderUpdate u;
  u.symbol = "BTCUSDT";
  u.clientOrderId = clientOrderIdOf(id);
  u.exchangeOrderId = 5000 + id;
  u.execType = "TRADE";
  u.status = status;
  u.price = toFixed(100);
  u.origQty = toFixed(1);
  u.cumQty = toFixed(cum);
  u.isTrade = true;
  u.tradeId = tradeId;
  u.lastQty = toFixed(qty);
  u.lastPrice = toFixed(price);
  u.commission = 0.01;
  u.commissionAsset = "USDT";
  return u;
}
BinanceOrderUpdate restState(OrderId id, const char* status, double cum, double avg) {
  BinanceOrderUpdate u;
  u.symbol = "BTCUSDT";
  u.clientOrderId = clientOrderIdOf(id);
  u.exchangeOrderId = 5000 + id;
  u.status = status;
  u.price = toFixed(100);
  u.origQty = toFixed(1);
  u.cumQty = toFixed(cum);
  u.avgPrice = toFixed(avg);
  return u;
}
int countOf(const std::vector<ExecReport>& v, ExecType t) {
  int n = 0;
  for (const ExecReport& r : v) n += r.type == t;
  return n;
}
OrderRequest oneAt100() {
  OrderRequest q;
  q.price = toFixed(100);
  q.qty = toFixed(1);
  return q;
}
}  // namespace

// The stream's trades are booked once each, by the cumulative quantity, whatever repeats.
void TestBinanceDecoder::trackerFillsOnce() {
  BinanceOrderTracker t;
  std::vector<ExecReport> out;
  t.add(7, oneAt100(), "BTCUSDT");
  t.onOrder(restState(7, "NEW", 0, 0), out, 1);
  t.onOrder(streamTrade(7, 0.4, 0.4, 99.5, 1, "PARTIALLY_FILLED"), out, 2);
  t.onOrder(streamTrade(7, 0.4, 0.4, 99.5, 1, "PARTIALLY_FILLED"), out, 3);  // the same event again
  t.onOrder(streamTrade(7, 0.6, 1.0, 99.0, 2, "FILLED"), out, 4);
  t.onOrder(restState(7, "FILLED", 1.0, 99.2), out, 5);  // a late REST answer adds nothing
  QCOMPARE(countOf(out, ExecType::Ack), 1);
  QCOMPARE(countOf(out, ExecType::Fill), 2);
  QCOMPARE(out[1].qty, toFixed(0.4));
  QCOMPARE(out[1].price, toFixed(99.5));
  QCOMPARE(out[1].fee, 0.01);
  QCOMPARE(out[2].leaves, Qty(0));
  QVERIFY(t.workingOrders().empty());
  // Unknown client ids (another tool's orders) are not ours.
  out.clear();
  t.onOrder(restState(8, "NEW", 0, 0), out, 6);
  BinanceOrderUpdate foreign = restState(9, "NEW", 0, 0);
  foreign.clientOrderId = "web_xyz";
  t.onOrder(foreign, out, 6);
  QVERIFY(out.empty());
}

// A REST answer that shows fills first: held for the stream (whose trade has the fee), booked from
// the REST figures only if the stream never brings it.
void TestBinanceDecoder::trackerHeldRestFills() {
  BinanceOrderTracker t;
  std::vector<ExecReport> out;
  const Nanos s = 1'000'000'000;
  t.add(11, oneAt100(), "BTCUSDT");
  t.onOrder(restState(11, "FILLED", 1.0, 99.0), out, 10 * s);
  QCOMPARE(countOf(out, ExecType::Ack), 1);
  QCOMPARE(countOf(out, ExecType::Fill), 0);  // held
  t.onOrder(streamTrade(11, 1.0, 1.0, 99.0, 3, "FILLED"), out, 10 * s + 1);
  QCOMPARE(countOf(out, ExecType::Fill), 1);
  QCOMPARE(out.back().fee, 0.01);
  t.releaseHeld(20 * s, 2 * s, out);
  QCOMPARE(countOf(out, ExecType::Fill), 1);  // nothing left to release
  // The stream never brings it: after the grace, the REST figures, at the average price.
  out.clear();
  t.add(12, oneAt100(), "BTCUSDT");
  t.onOrder(streamTrade(12, 0.25, 0.25, 98.0, 4, "PARTIALLY_FILLED"), out, 30 * s);
  t.onOrder(restState(12, "CANCELED", 0.5, 99.0), out, 30 * s);  // 0.25 more filled, then cancelled
  QCOMPARE(countOf(out, ExecType::Cancelled), 0);  // the cancel waits for its fills
  t.releaseHeld(31 * s, 2 * s, out);
  QCOMPARE(countOf(out, ExecType::Fill), 1);
  t.releaseHeld(33 * s, 2 * s, out);
  QCOMPARE(countOf(out, ExecType::Fill), 2);
  QCOMPARE(out[out.size() - 2].qty, toFixed(0.25));
  QCOMPARE(out[out.size() - 2].price, toFixed(100.0));  // (0.5*99 - 0.25*98) / 0.25
  QCOMPARE(int(out.back().type), int(ExecType::Cancelled));
}

void TestBinanceDecoder::trackerModifyAndExpiry() {
  BinanceOrderTracker t;
  std::vector<ExecReport> out;
  t.add(21, oneAt100(), "BTCUSDT");
  t.onOrder(restState(21, "NEW", 0, 0), out, 1);
  BinanceOrderUpdate amended = restState(21, "NEW", 0, 0);
  amended.execType = "AMENDMENT";
  amended.price = toFixed(101);
  amended.origQty = toFixed(2);
  t.onOrder(amended, out, 2);
  t.onOrder(amended, out, 3);  // told once
  QCOMPARE(countOf(out, ExecType::Replaced), 1);
  QCOMPARE(out.back().price, toFixed(101));
  QCOMPARE(out.back().qty, toFixed(2));
  BinanceOrderUpdate expired = amended;
  expired.execType = "EXPIRED";
  expired.status = "EXPIRED";
  expired.timeInForce = "GTX";
  t.onOrder(expired, out, 4);
  QCOMPARE(int(out.back().type), int(ExecType::Cancelled));
  QVERIFY(out.back().reason.find("post-only") != std::string::npos);
  // Refused outright, and an earlier session's order Binance does not have.
  t.reject(22, "not enough margin", 5, out);
  QCOMPARE(int(out.back().type), int(ExecType::Reject));
  t.adopt(23);
  t.notFound(23, "Binance has no order with this id", 6, out);
  QCOMPARE(int(out.back().type), int(ExecType::Cancelled));
  QVERIFY(t.workingOrders().empty());
}

QTEST_GUILESS_MAIN(TestBinanceDecoder)
#include "tst_binance_decoder.moc"
