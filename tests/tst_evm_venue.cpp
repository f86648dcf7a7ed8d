// The on-chain venue's market side (venue/evm/EvmVenue) under a real Engine, against a real local
// chain with the real Uniswap V2 (kappa-exchange --chain: anvil with 1 s interval mining and its
// background trader). Both pools are listed, their books live and equal — level for level — the
// ladder cut from the chain's own getReserves at the book's block (read with the test's own
// JSON-RPC client, not the venue's); a swap by another account moves the book and prints its trade;
// orders are refused without a wallet key; a reorganisation is repaired; a node that stops answering
// (SIGSTOP) turns the venue Disconnected with stale books, and it comes back by itself (SIGCONT).
#include <QtTest>

#include <QJsonDocument>
#include <QTemporaryDir>

#include <signal.h>

#include "ChainProcess.hpp"
#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "orchestrator/Engine.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/PoolBook.hpp"
#include "venue/evm/TokenAmount.hpp"

using namespace kappa;
using namespace kappa::evm;
using namespace kappa::test;

namespace {

U256 e18(std::uint64_t whole) { return U256(whole) * pow10U256(18); }
QString tagOf(std::uint64_t block) { return QString::fromStdString(u256ToQuantity(U256(block))); }
U256 wordAt(const QString& hex, int i) {
  const Bytes b = fromHex(hex.toStdString());
  return abi::decodeUint256(b, std::size_t(i));
}

// The engine's whole book (both sides, best first) and its change id (= the block it shows).
struct BookPicture {
  bool live = false;
  std::uint64_t block = 0;
  std::vector<Level> bids, asks;
};

// A listener for venues run beside the engine's: their callbacks go to an io_context nobody runs.
struct QuietListener : VenueListener {
  void onMarketData(const MdEvent*, std::size_t) override {}
  void onExecution(const ExecReport&) override {}
  void onVenueState(VenueState, const std::string&) override {}
};

}  // namespace

class TestEvmVenue : public QObject {
  Q_OBJECT
  ChainProcess chain_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  EvmVenue* venue_ = nullptr;  // owned by the engine
  InstrumentId weth_ = kNoInstrument, wbtc_ = kNoInstrument;
  bool anvilStopped_ = false;

  const EngineSnapshot& snap() { return latestSnapshot(*engine_); }

  BookPicture picture(InstrumentId id) {
    return engine_->call([&] {
      const OrderBook& b = engine_->marketData().book(id);
      BookPicture p;
      p.live = b.live();
      p.block = b.changeId();
      p.bids.resize(b.depth(Side::Buy));
      p.bids.resize(b.topN(Side::Buy, p.bids.size(), p.bids.data()));
      p.asks.resize(b.depth(Side::Sell));
      p.asks.resize(b.topN(Side::Sell, p.asks.size(), p.asks.data()));
      return p;
    });
  }

  QString pairOf(const char* name) const { return chain_.pool(name)["address"].toString(); }
  bool baseIs0(const char* name) const {
    const QJsonObject p = chain_.pool(name);
    return p["token0"].toString() == chain_.token(p["base"].toString());
  }
  // getReserves at a block, asked by the test itself: (reserve0, reserve1).
  std::pair<U256, U256> chainReserves(const QString& pair, std::uint64_t block) {
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", pair}, {"data", "0x0902f1ac"}}, tagOf(block)}, &error);
    if (!error.isEmpty()) throw std::runtime_error(error.toStdString());
    return {wordAt(r.toString(), 0), wordAt(r.toString(), 1)};
  }
  // The engine's book of a pool equals, level for level, the ladder cut from the chain's reserves
  // at the block the book says it shows; and the best prices sit just outside the fee band.
  void bookMatchesChain(const char* name, InstrumentId id) {
    const BookPicture p = picture(id);
    QVERIFY2(p.live, name);
    const auto [r0, r1] = chainReserves(pairOf(name), p.block);
    const bool b0 = baseIs0(name);
    const PoolSides sides{b0 ? r0 : r1, b0 ? r1 : r0, 18, 18};
    const Instrument& inst = engine_->instruments()[id];
    const PoolLadder ladder = buildPoolLadder(sides, inst.tickSize, venue_->config().book);
    QCOMPARE(p.bids.size(), ladder.bids.size());
    QCOMPARE(p.asks.size(), ladder.asks.size());
    for (std::size_t i = 0; i < p.bids.size(); ++i) QCOMPARE(p.bids[i], ladder.bids[i]);
    for (std::size_t i = 0; i < p.asks.size(); ++i) QCOMPARE(p.asks[i], ladder.asks[i]);
    const double mid = tokenPrice(sides.quote, 18, sides.base, 18);
    const double bid = toDouble(p.bids.front().price), ask = toDouble(p.asks.front().price);
    QVERIFY2(bid < mid * 0.997 && bid > mid * 0.997 * (1 - 2 * venue_->config().book.step), qPrintable(QString("%1 %2").arg(bid).arg(mid)));
    QVERIFY2(ask > mid / 0.997 && ask < mid / 0.997 * (1 + 2 * venue_->config().book.step), qPrintable(QString("%1 %2").arg(ask).arg(mid)));
  }
  QJsonObject waitReceipt(const QString& hash) {
    for (int i = 0; i < 100; ++i) {
      const QJsonValue r = chain_.rpc("eth_getTransactionReceipt", {hash});
      if (r.isObject()) return r.toObject();
      QTest::qWait(100);
    }
    return {};
  }
  QJsonObject send(const QString& from, const QString& to, const Bytes& data) {
    QString error;
    const QJsonValue h = chain_.rpc("eth_sendTransaction",
                                    {QJsonObject{{"from", from}, {"to", to}, {"data", QString::fromStdString(toHex(data))}, {"gas", "0x493e0"}}},
                                    &error);
    if (!error.isEmpty()) return QJsonObject{{"error", error}};
    return waitReceipt(h.toString());
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    ChainOptions o;
    o.mining = ChainOptions::Mining::Interval;
    o.blockTimeSeconds = 1;
    o.trader = true;
    const QString error = chain_.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    EvmVenueConfig c;
    std::string e;
    const auto deployment = nlohmann::json::parse(QJsonDocument(chain_.deployment()).toJson().toStdString());
    QVERIFY2(evmConfigFromDeployment(deployment, c, e), e.c_str());
    QCOMPARE(QString::fromStdString(c.rpcUrl), chain_.url());
    c.pollInterval = std::chrono::milliseconds(200);
    c.rpcTimeout = std::chrono::milliseconds(1000);
    c.retryInterval = std::chrono::milliseconds(300);
    c.verifyEveryBlocks = 3;
    auto venue = std::make_unique<EvmVenue>(c);
    venue_ = venue.get();
    engine_ = std::make_unique<Engine>(std::move(venue));
    engine_->setDataDir(dir_.filePath("data").toStdString());
    engine_->start();
    for (const char* a : {"max_position=1000000000", "price_band=0.9", "max_order_notional=1000000000"})
      engine_->changeRiskLimit(a, "test");
  }
  void cleanupTestCase() {
    if (anvilStopped_) ::kill(pid_t(chain_.anvilPid()), SIGCONT);
    if (engine_) engine_->stop();
    engine_.reset();
    chain_.stop();
  }

  // One instrument per pool, named by its tokens, linear in the quote token, a tick from its price.
  void bothPoolsListed() {
    QVERIFY2(venue_->listError().empty(), venue_->listError().c_str());
    QCOMPARE(QString::fromStdString(engine_->venueName(0)), QString("evm"));
    const Instrument* weth = engine_->instruments().find(0, "WETH/USDC");
    const Instrument* wbtc = engine_->instruments().find(0, "WBTC/USDC");
    QVERIFY(weth && wbtc);
    weth_ = weth->id;
    wbtc_ = wbtc->id;
    QCOMPARE(weth->settlement, Settlement::Linear);
    QCOMPARE(QString::fromStdString(weth->baseCurrency), QString("WETH"));
    QCOMPARE(QString::fromStdString(weth->quoteCurrency), QString("USDC"));
    QCOMPARE(QString::fromStdString(weth->settleCurrency), QString("USDC"));
    QCOMPARE(weth->tickSize, Price(1'000'000));   // 0.01 at ~3,000
    QCOMPARE(wbtc->tickSize, Price(10'000'000));  // 0.1 at ~60,000
    QCOMPARE(venue_->pools().size(), std::size_t(2));
  }

  // Live books within a few blocks, the venue Connected, its summary naming the node and the block.
  void booksLiveAndVenueConnected() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(picture(weth_).live && picture(wbtc_).live, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!snap().venues.empty() && snap().venues[0].state == VenueState::Connected, 10000);
    QVERIFY2(QString::fromStdString(snap().venues[0].detail).contains("chain 31337"), snap().venues[0].detail.c_str());
    const VenueSummary s = venue_->summary();
    QCOMPARE(QString::fromStdString(s.endpoint), chain_.url());
    QVERIFY(s.latestBlock >= std::uint64_t(chain_.deployedBlock()));
    QCOMPARE(picture(weth_).bids.size(), std::size_t(20));
    QCOMPARE(picture(weth_).asks.size(), std::size_t(20));
    // It follows the chain: the shown block advances with the 1 s blocks.
    const std::uint64_t first = picture(weth_).block;
    QTRY_VERIFY_WITH_TIMEOUT(picture(weth_).block > first, 5000);
  }

  // Level for level against the chain's getReserves at the book's block; the venue's own reserves
  // equal the chain's at the block it says; the log-kept reserves were verified without mismatch.
  void booksAndReservesEqualTheChains() {
    QVERIFY(weth_ != kNoInstrument);
    for (int round = 0; round < 3; ++round) {
      bookMatchesChain("WETH/USDC", weth_);
      bookMatchesChain("WBTC/USDC", wbtc_);
      QTest::qWait(700);
    }
    for (const EvmPoolView& v : venue_->pools()) {
      const auto [r0, r1] = chainReserves(QString::fromStdString(v.pair).toLower(), v.block);
      QCOMPARE(v.reserve0, r0);
      QCOMPARE(v.reserve1, r1);
    }
    QTRY_VERIFY_WITH_TIMEOUT(venue_->counters().verifications >= 2, 10000);
    QCOMPARE(venue_->counters().mismatches, std::uint64_t(0));
    QVERIFY(venue_->counters().logsApplied > 0);  // the trader's swaps came as logs
  }

  // Another account buys WETH for 30,000 USDC (1 % of the pool): the book at its block and after
  // still equals the chain's, the ask moved up, and the engine printed that very trade.
  void swapMovesBookAndTrade() {
    QVERIFY(weth_ != kNoInstrument);
    const QString me = chain_.fundedAccount(1), usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    QJsonObject r = send(me, usdc, abi::encodeCall("approve(address,uint256)", {abi::Value::address(parseAddress(chain_.router().toStdString())),
                                                                                 abi::Value::uint256(~U256(0))}));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    const BookPicture before = picture(weth_);
    const U256 amountIn = e18(30'000);
    r = send(me, chain_.router(),
             abi::encodeCall("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                             {abi::Value::uint256(amountIn), abi::Value::uint256(0),
                              abi::Value::addressArray({parseAddress(usdc.toStdString()), parseAddress(weth.toStdString())}),
                              abi::Value::address(parseAddress(me.toStdString())), abi::Value::uint256(~U256(0))}));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    const std::uint64_t block = u256ToUint64(u256FromQuantity(r["blockNumber"].toString().toStdString()), "block");
    // The WETH out, from the pair's own Swap log in the receipt.
    U256 out = 0;
    const bool wethIs0 = baseIs0("WETH/USDC");
    for (const QJsonValue& l : r["logs"].toArray()) {
      const QJsonObject log = l.toObject();
      if (log["address"].toString().toLower() != pairOf("WETH/USDC")) continue;
      if (log["topics"].toArray()[0].toString() != QString::fromStdString(toHex(uniswapV2SwapTopic()))) continue;
      out = wordAt(log["data"].toString(), wethIs0 ? 2 : 3);
    }
    QVERIFY(out > 0);
    QTRY_VERIFY_WITH_TIMEOUT(picture(weth_).block >= block, 10000);
    bookMatchesChain("WETH/USDC", weth_);
    const Qty qty = tokenAmountToFixedFloor(out, 18);
    const Price price = tokenPriceToFixed(amountIn, 18, out, 18);
    bool printed = false;
    engine_->call([&] {
      engine_->marketData().tape(weth_).since(0, [&](const TradePrint& t) {
        if (t.qty == qty && t.price == price && t.aggressor == Side::Buy) printed = true;
      });
      return 0;
    });
    QVERIFY2(printed, "the swap's trade is not on the engine's tape");
    QVERIFY(engine_->call([&] { return engine_->marketData().stats(weth_).trades; }) > 0);
    // 1 % of the pool bought: the price moved ~2 %, far beyond the trader's 0.05-0.3 % swaps.
    const BookPicture after = picture(weth_);
    QVERIFY2(after.asks.front().price > before.asks.front().price * 1.01,
             qPrintable(QString("%1 -> %2").arg(before.asks.front().price).arg(after.asks.front().price)));
    const EvmPoolView v = venue_->pools()[0].instrument == weth_ ? venue_->pools()[0] : venue_->pools()[1];
    QVERIFY(v.trades >= 1);
    QVERIFY(v.quoteVolume >= amountIn);
  }

  // Without a wallet key the venue refuses orders, saying so (tst_evm_orders has the wired ones).
  void ordersRefusedWithoutWalletKey() {
    QVERIFY(weth_ != kNoInstrument);
    OrderRequest req = restingBuyRequest(*engine_, weth_, 0, "evm");
    const OrderId id = submitAndFind(*engine_, req);
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    const std::string reason = engine_->call([&] { return engine_->orders().find(id)->reason; });
    QVERIFY2(QString::fromStdString(reason).contains("no wallet key"), reason.c_str());
  }

  // anvil replaces the newest block by another at the same height: the venue sees its block's hash
  // gone, reads every pool again, and its books equal the chain's again.
  void reorganisationIsRepaired() {
    QVERIFY(weth_ != kNoInstrument);
    const std::uint64_t reorgs = venue_->counters().reorgs;
    QString error;
    chain_.rpc("anvil_reorg", {1, QJsonArray()}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(venue_->counters().reorgs > reorgs, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(picture(weth_).live && picture(wbtc_).live, 5000);
    bookMatchesChain("WETH/USDC", weth_);
    bookMatchesChain("WBTC/USDC", wbtc_);
  }

  // The node stops answering (SIGSTOP: the process is there, the socket silent): Disconnected, books
  // stale. It answers again (SIGCONT): Connected, books live, following new blocks.
  void nodeAwayAndBack() {
    QVERIFY(weth_ != kNoInstrument);
    const pid_t anvil = pid_t(chain_.anvilPid());
    QVERIFY(anvil > 0 && processAlive(anvil));
    QVERIFY(::kill(anvil, SIGSTOP) == 0);
    anvilStopped_ = true;
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[0].state == VenueState::Disconnected, 10000);
    QVERIFY2(QString::fromStdString(snap().venues[0].detail).contains("unreachable"), snap().venues[0].detail.c_str());
    QTRY_VERIFY_WITH_TIMEOUT(!picture(weth_).live && !picture(wbtc_).live, 5000);
    const std::uint64_t shown = venue_->summary().latestBlock;

    QVERIFY(::kill(anvil, SIGCONT) == 0);
    anvilStopped_ = false;
    QTRY_VERIFY_WITH_TIMEOUT(snap().venues[0].state == VenueState::Connected, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(picture(weth_).live && picture(wbtc_).live, 10000);
    QVERIFY(venue_->counters().reconnects >= 1);
    QTRY_VERIFY_WITH_TIMEOUT(venue_->summary().latestBlock > shown, 10000);
    bookMatchesChain("WETH/USDC", weth_);
  }

  // A venue configured for another chain refuses to follow this one: Degraded, saying why.
  void chainIdMismatchIsRefused() {
    EvmVenueConfig c = venue_->config();
    c.chainId = 1;
    EvmVenue other(c);
    InstrumentRegistry registry;
    other.listInstruments(registry);
    QCOMPARE(registry.size(), std::size_t(2));
    QuietListener listener;
    boost::asio::io_context engineThread;  // never run: the callbacks are not looked at
    other.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(other.state() == VenueState::Degraded, 10000);
    QVERIFY2(QString::fromStdString(other.stateDetail()).contains("chain id mismatch"), other.stateDetail().c_str());
    QCOMPARE(other.counters().chainId, std::uint64_t(31337));
    QCOMPARE(other.counters().processedBlock, std::uint64_t(0));
    other.disconnect();
  }

  // A bare pair address: the venue asks the chain for the pair's tokens and each token's symbol and
  // decimals (WETH9 says "WETH"; v2-core's test ERC20 standing for USDC says "UNI-V2"), token0 is
  // the base, and the reserves it follows are the chain's.
  void barePairAddressIsReadFromTheChain() {
    EvmVenueConfig c;
    c.rpcUrl = chain_.url().toStdString();
    c.pollInterval = std::chrono::milliseconds(200);
    c.rpcTimeout = std::chrono::milliseconds(2000);
    EvmPoolConfig pool;
    pool.pair = pairOf("WETH/USDC").toStdString();
    c.pools.push_back(pool);
    EvmVenue bare(c);
    InstrumentRegistry registry;
    bare.listInstruments(registry);
    QVERIFY2(bare.listError().empty(), bare.listError().c_str());
    QCOMPARE(registry.size(), std::size_t(1));
    const Instrument& inst = registry[0];
    const QString expected = baseIs0("WETH/USDC") ? "WETH/UNI-V2" : "UNI-V2/WETH";
    QCOMPARE(QString::fromStdString(inst.name), expected);
    QuietListener listener;
    boost::asio::io_context engineThread;
    bare.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(bare.state() == VenueState::Connected && bare.pools()[0].block > 0, 10000);
    const EvmPoolView v = bare.pools()[0];
    const auto [r0, r1] = chainReserves(pairOf("WETH/USDC"), v.block);
    QCOMPARE(v.reserve0, r0);
    QCOMPARE(v.reserve1, r1);
    QCOMPARE(v.baseReserve, r0);  // token0 is the base without a configured one
    bare.disconnect();
    // Not a pair at all (the router): refused with the reason, nothing listed.
    c.pools[0].pair = chain_.router().toStdString();
    EvmVenue wrong(c);
    InstrumentRegistry none;
    wrong.listInstruments(none);
    QCOMPARE(none.size(), std::size_t(0));
    QVERIFY2(QString::fromStdString(wrong.listError()).contains("not a Uniswap V2 pair"), wrong.listError().c_str());
  }

  // Volume "since start": a fresh venue's trade count and volumes over the blocks it followed equal
  // what the chain's own Swap logs of those blocks add up to (asked with the test's client). The
  // rolling 24 h volume, read back at the start, is every Swap since the chain's genesis (the demo
  // chain is younger than a day), and says it covers from the genesis block's time.
  void volumeSinceStartEqualsTheChainsSwaps() {
    EvmVenueConfig c = venue_->config();
    EvmVenue fresh(c);
    InstrumentRegistry registry;
    fresh.listInstruments(registry);
    QuietListener listener;
    boost::asio::io_context engineThread;
    fresh.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(fresh.state() == VenueState::Connected && fresh.counters().resyncBlock > 0, 10000);
    const std::uint64_t from = fresh.counters().resyncBlock + 1;
    // A swap of our own among the trader's, so that something is sure to be counted.
    const QString me = chain_.fundedAccount(2), usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    QJsonObject r = send(me, weth, abi::encodeCall("approve(address,uint256)", {abi::Value::address(parseAddress(chain_.router().toStdString())),
                                                                                 abi::Value::uint256(~U256(0))}));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    r = send(me, chain_.router(),
             abi::encodeCall("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                             {abi::Value::uint256(e18(2)), abi::Value::uint256(0),
                              abi::Value::addressArray({parseAddress(weth.toStdString()), parseAddress(usdc.toStdString())}),
                              abi::Value::address(parseAddress(me.toStdString())), abi::Value::uint256(~U256(0))}));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    const std::uint64_t swapBlock = u256ToUint64(u256FromQuantity(r["blockNumber"].toString().toStdString()), "block");
    QTRY_VERIFY_WITH_TIMEOUT(fresh.counters().processedBlock >= swapBlock + 1, 10000);
    fresh.disconnect();  // frozen from here
    QCOMPARE(fresh.counters().resyncs, std::uint64_t(1));  // every block in between came as logs
    const std::uint64_t to = fresh.counters().processedBlock;
    std::uint64_t allTrades = 0;
    // The chain's Swap logs of a pool over [first, to]: (count, base volume, quote volume).
    auto chainSwaps = [&](const EvmPoolView& v, std::uint64_t first) {
      QString error;
      const QJsonValue logs = chain_.rpc("eth_getLogs", {QJsonObject{{"address", QString::fromStdString(v.pair).toLower()},
                                                                      {"fromBlock", tagOf(first)},
                                                                      {"toBlock", tagOf(to)},
                                                                      {"topics", QJsonArray{QString::fromStdString(toHex(uniswapV2SwapTopic()))}}}},
                                         &error);
      if (!error.isEmpty()) qWarning("eth_getLogs: %s", qPrintable(error));
      const bool b0 = baseIs0(v.name.c_str());
      U256 base = 0, quote = 0;
      for (const QJsonValue& l : logs.toArray()) {
        const QString d = l.toObject()["data"].toString();
        const U256 in0 = wordAt(d, 0), in1 = wordAt(d, 1), out0 = wordAt(d, 2), out1 = wordAt(d, 3);
        const U256 baseIn = b0 ? in0 : in1, baseOut = b0 ? out0 : out1, quoteIn = b0 ? in1 : in0, quoteOut = b0 ? out1 : out0;
        base += baseOut > baseIn ? baseOut - baseIn : baseIn - baseOut;
        quote += quoteIn > quoteOut ? quoteIn - quoteOut : quoteOut - quoteIn;
      }
      return std::make_tuple(std::uint64_t(logs.toArray().size()), base, quote);
    };
    const Nanos genesis = Nanos(u256ToUint64(u256FromQuantity(chain_.rpc("eth_getBlockByNumber", {"0x0", false}).toObject()["timestamp"].toString().toStdString()), "t")) *
                          1'000'000'000;
    for (const EvmPoolView& v : fresh.pools()) {
      QCOMPARE(v.block, to);
      const auto [trades, base, quote] = chainSwaps(v, from);
      QCOMPARE(v.trades, trades);
      QCOMPARE(v.baseVolume, base);
      QCOMPARE(v.quoteVolume, quote);
      allTrades += v.trades;
      const auto [dayTrades, dayBase, dayQuote] = chainSwaps(v, 0);
      QCOMPARE(v.daySwaps, dayTrades);
      QCOMPARE(v.dayBaseVolume, dayBase);
      QCOMPARE(v.dayQuoteVolume, dayQuote);
      QCOMPARE(v.dayCoveredFrom, genesis);
    }
    QVERIFY(allTrades >= 1);  // ours at least
  }

  // Polled less often than blocks come, with at most one block per eth_getLogs: every poll finds a
  // longer gap and reads the pools again from getReserves; the books still equal the chain's.
  void longGapResyncsFromReserves() {
    EvmVenueConfig c = venue_->config();
    c.maxLogRange = 1;
    c.pollInterval = std::chrono::milliseconds(2500);
    c.wsUrl = "off";  // pushed heads would read every block: no gap
    EvmVenue slow(c);
    InstrumentRegistry registry;
    slow.listInstruments(registry);
    QuietListener listener;
    boost::asio::io_context engineThread;
    slow.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(slow.counters().gapResyncs >= 1, 15000);
    for (const EvmPoolView& v : slow.pools()) {
      const auto [r0, r1] = chainReserves(QString::fromStdString(v.pair).toLower(), v.block);
      QCOMPARE(v.reserve0, r0);
      QCOMPARE(v.reserve1, r1);
    }
    slow.disconnect();
  }

  // Polled once a minute, the venue still shows every new block within a block time: anvil pushes
  // new heads (eth_subscribe over WebSocket on the RPC port). With the push off, the same venue
  // stays on the block it read first.
  void newHeadsArePushed() {
    EvmVenueConfig c = venue_->config();
    c.pollInterval = std::chrono::milliseconds(60'000);
    EvmVenue pushed(c);
    InstrumentRegistry registry;
    pushed.listInstruments(registry);
    QuietListener listener;
    boost::asio::io_context engineThread;
    pushed.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(pushed.state() == VenueState::Connected && pushed.counters().headsPushed, 10000);
    const std::uint64_t first = pushed.counters().processedBlock;
    QTRY_VERIFY_WITH_TIMEOUT(pushed.counters().processedBlock >= first + 2, 8000);
    QVERIFY(pushed.counters().headNotifications >= 2);
    QVERIFY(pushed.counters().polls <= pushed.counters().headNotifications + 1);
    pushed.disconnect();

    c.wsUrl = "off";
    EvmVenue polled(c);
    InstrumentRegistry registry2;
    polled.listInstruments(registry2);
    polled.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(polled.state() == VenueState::Connected, 10000);
    const std::uint64_t shown = polled.counters().processedBlock;
    QTest::qWait(3000);  // three blocks
    QCOMPARE(polled.counters().processedBlock, shown);
    QCOMPARE(polled.counters().headNotifications, std::uint64_t(0));
    QVERIFY(!polled.counters().headsPushed);
    polled.disconnect();
  }

  // confirmations = 3: the books show the block three below the node's newest.
  void confirmationsFollowBehindTheHead() {
    EvmVenueConfig c = venue_->config();
    c.confirmations = 3;
    EvmVenue behind(c);
    InstrumentRegistry registry;
    behind.listInstruments(registry);
    QuietListener listener;
    boost::asio::io_context engineThread;
    behind.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(behind.state() == VenueState::Connected, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(behind.counters().processedBlock > 0 && behind.counters().processedBlock + 3 == behind.counters().headBlock, 5000);
    const std::uint64_t shown = behind.counters().processedBlock;
    const std::uint64_t head = u256ToUint64(u256FromQuantity(chain_.rpc("eth_blockNumber").toString().toStdString()), "head");
    QVERIFY(head >= shown + 3);
    behind.disconnect();
  }

  // Blocks stop coming (interval mining off) while the node still answers: a venue that expects a
  // block within 4 s says "node behind" (Degraded), and Connected again once blocks come back. (Not
  // tighter: anvil stamps a block with a whole second up to ~1.6 s before it is seen, so the newest
  // block of a 1 s chain is normally up to ~3 s old by its timestamp.)
  void staleHeadIsNodeBehind() {
    EvmVenueConfig c = venue_->config();
    c.maxHeadAge = std::chrono::seconds(4);
    EvmVenue watcher(c);
    InstrumentRegistry registry;
    watcher.listInstruments(registry);
    QuietListener listener;
    boost::asio::io_context engineThread;
    watcher.connect(listener, engineThread.get_executor());
    QTRY_VERIFY_WITH_TIMEOUT(watcher.state() == VenueState::Connected, 10000);
    QString error;
    chain_.rpc("evm_setIntervalMining", {0}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(watcher.state() == VenueState::Degraded, 15000);
    QVERIFY2(QString::fromStdString(watcher.stateDetail()).contains("node behind"), watcher.stateDetail().c_str());
    chain_.rpc("evm_setIntervalMining", {1}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(watcher.state() == VenueState::Connected, 10000);
    watcher.disconnect();
  }
};

QTEST_GUILESS_MAIN(TestEvmVenue)
#include "tst_evm_venue.moc"
