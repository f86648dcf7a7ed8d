// The on-chain venue's pure parts, without a chain: a Uniswap V2 pool cut into book levels
// (venue/evm/PoolBook) checked against the Router's own integer math (UniswapV2Math) and an
// independent re-derivation here, the pair's Sync/Swap logs decoded and applied (PoolEvents,
// PoolState), and the ladder accepted by the engine's own book as a snapshot.
#include <QtTest>

#include "book/MarketData.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/EvmVenueConfig.hpp"
#include "venue/evm/PoolBook.hpp"
#include "venue/evm/PoolEvents.hpp"
#include "venue/evm/PoolState.hpp"
#include "venue/evm/TokenAmount.hpp"
#include "venue/evm/UniswapV2Math.hpp"

using namespace kappa;
using namespace kappa::evm;
using boost::multiprecision::cpp_int;

namespace {

U256 units(std::uint64_t whole, unsigned decimals) { return U256(whole) * pow10U256(decimals); }

// JSON written with single quotes (readable in C++ source).
std::string dq(std::string s) {
  for (char& c : s)
    if (c == '\'') c = '"';
  return s;
}

cpp_int pow10(unsigned d) {
  cpp_int v = 1;
  for (unsigned i = 0; i < d; ++i) v *= 10;
  return v;
}

// The test's own arithmetic (arbitrary precision, written from the Uniswap V2 library's formulas),
// independent of PoolBook's: the pool's marginal bid after selling `in` base, compared with a fixed
// price: +1 above, 0 equal, -1 below. Marginal bid = 0.997 * quoteAfter / baseAfter.
int bidAfterSellVs(const PoolSides& p, const cpp_int& in, Price price) {
  const cpp_int x = cpp_int(p.base), y = cpp_int(p.quote);
  const cpp_int out = in == 0 ? cpp_int(0) : in * 997 * y / (x * 1000 + in * 997);
  const cpp_int lhs = 997 * (y - out) * pow10(p.baseDecimals) * 100'000'000;
  const cpp_int rhs = cpp_int(price) * 1000 * (x + in) * pow10(p.quoteDecimals);
  return lhs > rhs ? 1 : lhs == rhs ? 0 : -1;
}
// Marginal ask after buying `out` base = quoteAfter / (0.997 * baseAfter); the cost is getAmountIn's.
int askAfterBuyVs(const PoolSides& p, const cpp_int& out, Price price) {
  const cpp_int x = cpp_int(p.base), y = cpp_int(p.quote);
  const cpp_int cost = out == 0 ? cpp_int(0) : y * out * 1000 / ((x - out) * 997) + 1;
  const cpp_int lhs = 1000 * (y + cost) * pow10(p.baseDecimals) * 100'000'000;
  const cpp_int rhs = cpp_int(price) * 997 * (x - out) * pow10(p.quoteDecimals);
  return lhs > rhs ? 1 : lhs == rhs ? 0 : -1;
}

struct Case {
  const char* name;
  PoolSides pool;
};
std::vector<Case> cases() {
  return {
      {"WETH/USDC 1000 x 3,000,000 (18/18)", {units(1000, 18), units(3'000'000, 18), 18, 18}},
      {"WBTC/USDC 50 x 3,000,000 (18/18)", {units(50, 18), units(3'000'000, 18), 18, 18}},
      {"WETH/USDC mainnet decimals (18/6)", {units(20'000, 18), units(60'000'000, 6), 18, 6}},
      {"WBTC/WETH (8/18)", {units(300, 8), units(6'000, 18), 8, 18}},
      {"tiny pool 2 x 5 (18/18)", {units(2, 18), units(5, 18), 18, 18}},
      {"odd reserves", {U256("123456789012345678901"), U256("98765432109876543210987"), 18, 18}},
  };
}

ChainLog logOf(const Address& pair, const Hash32& topic0, std::vector<Hash32> more, const std::vector<U256>& words,
               std::uint64_t block, std::uint64_t index) {
  ChainLog l;
  l.address = pair;
  l.topics.push_back(topic0);
  for (const Hash32& h : more) l.topics.push_back(h);
  for (const U256& w : words) {
    const auto b = u256ToBigEndian32(w);
    l.data.insert(l.data.end(), b.begin(), b.end());
  }
  l.blockNumber = block;
  l.logIndex = index;
  return l;
}

}  // namespace

class TestEvmPoolBook : public QObject {
  Q_OBJECT

 private slots:
  void topicsAreTheUniswapEvents() {
    QCOMPARE(QString::fromStdString(toHex(uniswapV2SyncTopic())),
             QString("0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"));
    QCOMPARE(QString::fromStdString(toHex(uniswapV2SwapTopic())),
             QString("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"));
  }

  void tickFollowsThePrice() {
    QCOMPARE(poolTickFor(3000.0), Price(1'000'000));     // 0.01
    QCOMPARE(poolTickFor(60'000.0), Price(10'000'000));  // 0.1
    QCOMPARE(poolTickFor(2.5), Price(1'000));            // 0.00001
    QCOMPARE(poolTickFor(1e-9), Price(1));               // never below 1e-8
    QCOMPARE(poolTickFor(0), Price(1));
  }

  // Every level of both sides against the Router's math: the cumulative size down to a level is the
  // largest sale (purchase) after which the pool's marginal price is still at or inside the level's
  // price, and one wei more goes beyond it; the swap's average price is at least as good as the
  // level's (the book is conservative); prices step away from the fee band, sizes add up.
  void ladderMatchesTheRoutersMath_data() {
    QTest::addColumn<int>("index");
    const auto all = cases();
    for (int i = 0; i < int(all.size()); ++i) QTest::newRow(all[i].name) << i;
  }
  void ladderMatchesTheRoutersMath() {
    QFETCH(int, index);
    const PoolSides pool = cases()[index].pool;
    const double mid = tokenPrice(pool.quote, pool.quoteDecimals, pool.base, pool.baseDecimals);
    const Price tick = poolTickFor(mid);
    PoolBookConfig config;
    config.levels = 20;
    config.step = 0.001;
    const PoolLadder ladder = buildPoolLadder(pool, tick, config);
    QCOMPARE(ladder.bids.size(), std::size_t(20));
    QCOMPARE(ladder.asks.size(), std::size_t(20));
    QCOMPARE(ladder.bidCumulative.size(), ladder.bids.size());
    QCOMPARE(ladder.askCumulative.size(), ladder.asks.size());

    // Outside the fee band, one step away at most (plus a tick of rounding).
    const double bestBid = toDouble(ladder.bids.front().price), bestAsk = toDouble(ladder.asks.front().price);
    QVERIFY2(bestBid < mid * 0.997 && bestBid >= mid * 0.997 * 0.999 - toDouble(tick) * 1.0001,
             qPrintable(QString("bid %1 mid %2").arg(bestBid).arg(mid)));
    QVERIFY2(bestAsk > mid / 0.997 && bestAsk <= mid / 0.997 * 1.001 + toDouble(tick) * 1.0001,
             qPrintable(QString("ask %1 mid %2").arg(bestAsk).arg(mid)));

    std::int64_t shownBids = 0;
    for (std::size_t k = 0; k < ladder.bids.size(); ++k) {
      const Level& l = ladder.bids[k];
      const U256 s = ladder.bidCumulative[k];
      QVERIFY(l.qty > 0);
      QCOMPARE(l.price % tick, Price(0));
      if (k) {
        QVERIFY(l.price < ladder.bids[k - 1].price);
        QVERIFY(s > ladder.bidCumulative[k - 1]);
      }
      // Exact: at s the marginal bid is still >= the level's price; one wei more and it is below.
      QVERIFY(bidAfterSellVs(pool, cpp_int(s), l.price) >= 0);
      QVERIFY(bidAfterSellVs(pool, cpp_int(s) + 1, l.price) < 0);
      QVERIFY(marginalBidAtLeastAfterSell(pool, s, l.price));
      QVERIFY(!marginalBidAtLeastAfterSell(pool, s + 1, l.price));
      // The Router pays at least the level's price on average for the whole sale.
      const U256 out = getAmountOut(s, pool.base, pool.quote);
      QVERIFY(cpp_int(out) * pow10(pool.baseDecimals) * 100'000'000 >= cpp_int(l.price) * cpp_int(s) * pow10(pool.quoteDecimals));
      // The pool after the sale: its own next quote (a small sale, 1e-6 of the reserve) is below
      // the previous level's price: the sale went through the steps above this one.
      if (k) {
        const U256 x1 = pool.base + s, y1 = pool.quote - out;
        const U256 probe = x1 / 1'000'000;
        const U256 next = getAmountOut(probe, x1, y1);
        QVERIFY(cpp_int(next) * pow10(pool.baseDecimals) * 100'000'000 <
                cpp_int(ladder.bids[k - 1].price) * cpp_int(probe) * pow10(pool.quoteDecimals));
      }
      shownBids += l.qty;
      QCOMPARE(shownBids, tokenAmountToFixedFloor(s, pool.baseDecimals));  // sizes add up to the cumulative
    }
    std::int64_t shownAsks = 0;
    for (std::size_t k = 0; k < ladder.asks.size(); ++k) {
      const Level& l = ladder.asks[k];
      const U256 s = ladder.askCumulative[k];
      QVERIFY(l.qty > 0);
      QCOMPARE(l.price % tick, Price(0));
      if (k) {
        QVERIFY(l.price > ladder.asks[k - 1].price);
        QVERIFY(s > ladder.askCumulative[k - 1]);
      }
      QVERIFY(askAfterBuyVs(pool, cpp_int(s), l.price) <= 0);
      QVERIFY(askAfterBuyVs(pool, cpp_int(s) + 1, l.price) > 0);
      QVERIFY(marginalAskAtMostAfterBuy(pool, s, l.price));
      QVERIFY(!marginalAskAtMostAfterBuy(pool, s + 1, l.price));
      // The Router asks at most the level's price on average for the whole purchase.
      const U256 cost = getAmountIn(s, pool.quote, pool.base);
      QVERIFY(cpp_int(cost) * pow10(pool.baseDecimals) * 100'000'000 <= cpp_int(l.price) * cpp_int(s) * pow10(pool.quoteDecimals));
      shownAsks += l.qty;
      QCOMPARE(shownAsks, tokenAmountToFixedFloor(s, pool.baseDecimals));
    }
    // Deeper steps hold more: the 20th bid level is further from the mid than the 1st.
    QVERIFY(ladder.bidCumulative.back() > ladder.bidCumulative.front() * 10);
    QVERIFY(ladder.askCumulative.back() > ladder.askCumulative.front() * 10);
  }

  // Far from the mid too (half, a tenth, a hundredth of the price; 1.5, 10, 100 times it): the
  // sizes are still exact to the wei.
  void farPricesAreExactToTheWei_data() { ladderMatchesTheRoutersMath_data(); }
  void farPricesAreExactToTheWei() {
    QFETCH(int, index);
    const PoolSides pool = cases()[index].pool;
    const double mid = tokenPrice(pool.quote, pool.quoteDecimals, pool.base, pool.baseDecimals);
    for (double f : {0.9, 0.5, 0.1, 0.01}) {
      const Price p = Price(mid * f * 1e8);
      const U256 s = baseSellableDownTo(pool, p);
      QVERIFY(s > 0);
      QVERIFY(bidAfterSellVs(pool, cpp_int(s), p) >= 0);
      QVERIFY(bidAfterSellVs(pool, cpp_int(s) + 1, p) < 0);
    }
    for (double f : {1.5, 10.0, 100.0}) {
      const Price p = Price(mid * f * 1e8);
      const U256 s = baseBuyableUpTo(pool, p);
      QVERIFY(s > 0 && s < pool.base);
      QVERIFY(askAfterBuyVs(pool, cpp_int(s), p) <= 0);
      QVERIFY(askAfterBuyVs(pool, cpp_int(s) + 1, p) > 0);
    }
    // Inside the fee band nothing trades.
    QCOMPARE(baseSellableDownTo(pool, Price(mid * 0.9999 * 1e8)), U256(0));
    QCOMPARE(baseBuyableUpTo(pool, Price(mid * 1.0001 * 1e8)), U256(0));
  }

  // A step finer than the tick: levels that round to one price merge, prices stay strictly monotone.
  void stepsFinerThanTheTickMerge() {
    const PoolSides pool{units(1000, 18), units(3'000'000, 18), 18, 18};
    PoolBookConfig config;
    config.levels = 10;
    config.step = 0.000001;  // 0.003 USDC per step, tick 0.01
    const PoolLadder ladder = buildPoolLadder(pool, poolTickFor(3000), config);
    QVERIFY(!ladder.bids.empty() && ladder.bids.size() < 10);
    for (std::size_t k = 1; k < ladder.bids.size(); ++k) QVERIFY(ladder.bids[k].price < ladder.bids[k - 1].price);
    for (std::size_t k = 1; k < ladder.asks.size(); ++k) QVERIFY(ladder.asks[k].price > ladder.asks[k - 1].price);
  }

  void badPoolsAndConfigs() {
    QVERIFY(buildPoolLadder({0, units(5, 18), 18, 18}, 1).bids.empty());
    QVERIFY(buildPoolLadder({units(5, 18), 0, 18, 18}, 1).asks.empty());
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, buildPoolLadder({units(5, 18), units(5, 18), 40, 18}, 1));
    PoolBookConfig c;
    c.levels = 0;
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, buildPoolLadder({units(5, 18), units(5, 18), 18, 18}, 1, c));
    c.levels = 5;
    c.step = 1.5;
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, buildPoolLadder({units(5, 18), units(5, 18), 18, 18}, 1, c));
  }

  // The ladder as one snapshot message the engine's own book takes: live, not crossed, every level.
  void engineBookTakesTheSnapshot() {
    InstrumentRegistry registry;
    Instrument inst;
    inst.name = "WETH/USDC";
    inst.settlement = Settlement::Linear;
    const InstrumentId id = registry.add(inst);
    MarketData md(registry);
    const PoolLadder ladder = buildPoolLadder({units(1000, 18), units(3'000'000, 18), 18, 18}, poolTickFor(3000));
    std::vector<MdEvent> events;
    appendBookSnapshot(id, 42, 1'000'000'000, ladder, events);
    QCOMPARE(events.size(), ladder.bids.size() + ladder.asks.size() + 2);
    md.apply(events.data(), events.size());
    const OrderBook& b = md.book(id);
    QVERIFY(b.live());
    QCOMPARE(b.changeId(), std::uint64_t(42));
    QCOMPARE(b.depth(Side::Buy), ladder.bids.size());
    QCOMPARE(b.depth(Side::Sell), ladder.asks.size());
    QCOMPARE(b.bestBid()->price, ladder.bids.front().price);
    QCOMPARE(b.bestAsk()->price, ladder.asks.front().price);
    QCOMPARE(b.bestAsk()->qty, ladder.asks.front().qty);
  }

  // Sync sets the reserves, Swap is a trade on the instrument's side (base = token1 here).
  void poolStateAppliesSyncAndSwap() {
    PoolMeta meta;
    meta.pair = parseAddress("0x00000000000000000000000000000000000000aa");
    meta.token0 = {parseAddress("0x0000000000000000000000000000000000000001"), "USDC", 6};
    meta.token1 = {parseAddress("0x0000000000000000000000000000000000000002"), "WETH", 18};
    meta.baseIsToken0 = false;
    QCOMPARE(QString::fromStdString(meta.name()), QString("WETH/USDC"));
    PoolState s(meta);
    QVERIFY(!s.hasReserves());
    const Hash32 sender{}, to{};
    // Sync: 3,000,000 USDC (6 decimals) and 1,000 WETH.
    s.apply(logOf(meta.pair, uniswapV2SyncTopic(), {}, {units(3'000'000, 6), units(1000, 18)}, 10, 0));
    QVERIFY(s.hasReserves());
    QCOMPARE(s.baseReserve(), units(1000, 18));
    QCOMPARE(s.quoteReserve(), units(3'000'000, 6));
    QCOMPARE(s.midPrice(), 3000.0);
    // Buy 1 WETH for 3,010 USDC: amount0In = 3010e6, amount1Out = 1e18.
    auto t = s.apply(logOf(meta.pair, uniswapV2SwapTopic(), {sender, to}, {units(3010, 6), 0, 0, units(1, 18)}, 11, 1));
    QVERIFY(t.has_value());
    QCOMPARE(t->aggressor, Side::Buy);
    QCOMPARE(t->price, Price(3010LL * 100'000'000));
    QCOMPARE(t->qty, Qty(100'000'000));
    // Sell 2 WETH for 5,960 USDC.
    t = s.apply(logOf(meta.pair, uniswapV2SwapTopic(), {sender, to}, {0, units(2, 18), units(5960, 6), 0}, 12, 0));
    QVERIFY(t.has_value());
    QCOMPARE(t->aggressor, Side::Sell);
    QCOMPARE(t->price, Price(2980LL * 100'000'000));
    QCOMPARE(t->qty, Qty(200'000'000));
    QCOMPARE(s.trades(), std::uint64_t(2));
    QCOMPARE(s.baseVolume(), units(3, 18));
    QCOMPARE(s.quoteVolume(), units(8970, 6));
    // A swap with nothing net (a flash swap paying back the same token) is no trade.
    QVERIFY(!s.apply(logOf(meta.pair, uniswapV2SwapTopic(), {sender, to}, {units(1, 6), 0, units(1, 6), 0}, 13, 0)));
    QCOMPARE(s.oddSwaps(), std::uint64_t(1));
    // Malformed and foreign logs are refused, not guessed.
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, s.apply(logOf(meta.pair, uniswapV2SyncTopic(), {}, {units(1, 6)}, 14, 0)));
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, s.apply(logOf(meta.token0.address, uniswapV2SyncTopic(), {}, {1, 1}, 14, 0)));
    Hash32 dirty{};
    dirty[0] = 1;
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, s.apply(logOf(meta.pair, uniswapV2SwapTopic(), {dirty, to}, {1, 0, 0, 1}, 14, 0)));
  }

  void parsesAnEthGetLogsEntry() {
    const auto j = nlohmann::json::parse(dq("{'address':'0x00000000000000000000000000000000000000aa',"
      "      'topics':['0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1'],"
      "      'data':'0x00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002',"
      "      'blockNumber':'0x1b','blockHash':'0x1111111111111111111111111111111111111111111111111111111111111111','logIndex':'0x3',"
      "      'transactionHash':'0x2222222222222222222222222222222222222222222222222222222222222222','transactionIndex':'0x0','removed':false}"));
    const ChainLog l = parseChainLog(j);
    QCOMPARE(l.blockNumber, std::uint64_t(27));
    QCOMPARE(l.logIndex, std::uint64_t(3));
    const auto sync = decodeSync(l);
    QVERIFY(sync.has_value());
    QCOMPARE(sync->reserve0, U256(1));
    QCOMPARE(sync->reserve1, U256(2));
    QVERIFY(!decodeSwap(l).has_value());
    nlohmann::json bad = j;
    bad.erase("blockNumber");
    QVERIFY_THROWS_EXCEPTION(kappa::evm::EvmError, parseChainLog(bad));
  }

  void deploymentJsonGivesTheConfig() {
    const auto d = nlohmann::json::parse(dq("{'rpc_url':'http://127.0.0.1:1234','chain_id':31337,"
      "      'tokens':{'WETH':{'address':'0x00000000000000000000000000000000000000b2','decimals':18},"
      "                'USDC':{'address':'0x00000000000000000000000000000000000000a1','decimals':18}},"
      "      'pools':{'WETH/USDC':{'address':'0x00000000000000000000000000000000000000cc','base':'WETH','quote':'USDC',"
      "               'token0':'0x00000000000000000000000000000000000000a1','token1':'0x00000000000000000000000000000000000000b2',"
      "               'reserve0':'3000000000000000000000000','reserve1':'1000000000000000000000'}}}"));
    EvmVenueConfig c;
    std::string error;
    QVERIFY2(evmConfigFromDeployment(d, c, error), error.c_str());
    QCOMPARE(QString::fromStdString(c.rpcUrl), QString("http://127.0.0.1:1234"));
    QCOMPARE(c.chainId, std::uint64_t(31337));
    QCOMPARE(c.pools.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(c.pools[0].baseToken), QString("0x00000000000000000000000000000000000000b2"));
    QCOMPARE(c.pools[0].tokens.size(), std::size_t(2));
    nlohmann::json broken = d;
    broken["pools"]["WETH/USDC"]["base"] = "NOPE";
    QVERIFY(!evmConfigFromDeployment(broken, c, error));
    QVERIFY2(QString::fromStdString(error).contains("NOPE"), error.c_str());
    // The RPC URL's path (an API key at hosted nodes) never shows.
    QCOMPARE(QString::fromStdString(EvmVenue::redactedUrl("https://mainnet.example/v3/secretkey")), QString("https://mainnet.example/..."));
    QCOMPARE(QString::fromStdString(EvmVenue::redactedUrl("http://127.0.0.1:8545")), QString("http://127.0.0.1:8545"));
  }
};

QTEST_GUILESS_MAIN(TestEvmPoolBook)
#include "tst_evm_pool_book.moc"
