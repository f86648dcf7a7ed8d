// On-chain orders through the Engine (venue/evm/EvmVenue wired to TxTracker) against a real local
// chain with the real Uniswap V2 (kappa-exchange --chain, manual mining, no background trader: the
// test mines each block itself, so it knows exactly what every block holds). The venue signs with
// anvil's public dev key of funded account 0 (a test key, never a secret).
//   - a buy and a sell fill with the base and quote of the pair's Swap event in the receipt, equal
//     to the Router's own getAmountsOut at the block before; the fee is gasUsed*effectiveGasPrice;
//     the approval went out first through the same tracker; the position moves;
//   - another account swaps first in the same block: our swap reverts on chain and the order
//     (acknowledged: Open -> Rejected) is rejected with the Router's INSUFFICIENT_OUTPUT_AMOUNT, its
//     gas booked as a fee on the position (no fill); a cancel's self-transfer gas likewise, and an
//     approval's gas goes with the fill of the order that needed it;
//   - a limit worse than the pool's quote is refused before signing (no nonce used);
//   - a cancel, and HALT, with a swap pending cancel it by a self-transfer at its nonce;
//   - a reorganisation after a fill is counted and sends no second Fill;
//   - confirmations count up per block; replace is refused;
//   - an included swap counts in the position at once, marked unconfirmed until confirmed;
//   - risk: venues/evm/max_order_notional is the largest swap; max_slippage_bps (the gate, against
//     the venue's tolerance); max_gas_price_gwei and max_gas_per_day (the venue at signing; the day's
//     gas equals the chain's receipts of our wallet exactly); a fresh wallet with 0.0001 ETH cannot
//     pay the gas and refuses; HALT with a swap pending and the gas price above the limit still
//     cancels it; each refusal is in the breach history, nothing signed;
//   - a restart on the same data directory keeps the fees paid without fills.
//   - restart with a swap in flight (the journal's venue_record): mined while kappa was away, the
//     restarted engine books its one Fill; still pending at the restart, it is followed to its
//     inclusion; the wallet's transaction count is our distinct nonces (nothing sent twice).
#include <QtTest>

#include <QJsonDocument>
#include <QTemporaryDir>
#include <set>

#include "ChainProcess.hpp"
#include "ChainValues.hpp"
#include "EvmTestEngine.hpp"
#include "EngineOrders.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "SqliteQuery.hpp"
#include "orchestrator/Engine.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/GasBudget.hpp"
#include "venue/evm/Secp256k1Signer.hpp"
#include "venue/evm/PoolEvents.hpp"
#include "venue/evm/TokenAmount.hpp"

using namespace kappa;
using namespace kappa::evm;
using namespace kappa::test;

namespace {

U256 e18(std::uint64_t whole) { return U256(whole) * pow10U256(18); }
QString tagOf(std::uint64_t block) { return QString::fromStdString(u256ToQuantity(U256(block))); }

}  // namespace

class TestEvmOrders : public QObject {
  Q_OBJECT
  ChainProcess chain_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  EvmVenue* venue_ = nullptr;  // owned by the engine
  EvmVenueConfig config_;      // the venue's, for a restart
  InstrumentId weth_ = kNoInstrument;
  QString me_;

  void mine() {
    QString e;
    chain_.rpc("evm_mine", {}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  std::uint64_t head() { return hex64(chain_.rpc("eth_blockNumber")); }
  std::uint64_t nonceOf(const QString& who, const char* tag) { return hex64(chain_.rpc("eth_getTransactionCount", {who, tag})); }
  QJsonObject receipt(const QString& hash) { return chain_.rpc("eth_getTransactionReceipt", {hash}).toObject(); }
  // The venue processed the chain's head (books and transactions followed up to it).
  bool venueAtHead() { return venue_->counters().processedBlock >= head(); }
  Price mark() { return engine_->call([&] { return engine_->marketData().markPrice(weth_); }); }
  double position() { return engine_->call([&] { return engine_->orders().positions()[weth_].qty; }); }
  // Copies, never null: a missing order fails the test's comparisons instead of crashing it.
  EvmOrderView view(OrderId id) {
    EvmOrderView none;
    none.state = "(not known to the venue)";
    return venue_->order(id).value_or(none);
  }
  Order engineOrder(OrderId id) {
    return engine_->call([&] {
      const Order* o = engine_->orders().find(id);
      Order none;
      none.reason = "(no such order in the engine)";
      return o ? *o : none;
    });
  }
  std::string reasonOf(OrderId id) { return engineOrder(id).reason; }
  Position positionRow() { return engine_->call([&] { return engine_->orders().positions()[weth_]; }); }
  double orderFees(OrderId id) { return engineOrder(id).fees; }
  // The breach history's entry for a limit key ("" scope: any), as the risk panel shows it.
  std::optional<Breach> breachOf(const std::string& key) {
    return engine_->call([&]() -> std::optional<Breach> {
      for (const Breach& b : engine_->breaches().entries())
        if (b.what == key) return b;
      return std::nullopt;
    });
  }
  // Every fee our wallet's transactions paid on the canonical chain (gasUsed * effectiveGasPrice of
  // each receipt): swaps, reverted swaps, cancels' self-transfers and approvals alike.
  // Transactions of the wallet that kappa did not send (swapWhoseNonceAnotherTransactionTookEnds):
  // their gas is not the venue's to count.
  std::set<QString> notOurs_;
  U256 gasPaidOnChain(const QString& who) {
    U256 sum = 0;
    const std::uint64_t top = head();
    for (std::uint64_t b = 1; b <= top; ++b) {
      const QJsonObject block = chain_.rpc("eth_getBlockByNumber", {tagOf(b), true}).toObject();
      for (const QJsonValue& t : block["transactions"].toArray()) {
        if (t.toObject()["from"].toString().toLower() != who || notOurs_.count(t.toObject()["hash"].toString())) continue;
        const QJsonObject r = receipt(t.toObject()["hash"].toString());
        sum += hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]);
      }
    }
    return sum;
  }
  // The next block's base fee bound: the latest block's base fee, in gwei.
  double baseFeeGwei() {
    const QJsonObject block = chain_.rpc("eth_getBlockByNumber", {"latest", false}).toObject();
    return tokenAmountToDouble(hexq(block["baseFeePerGas"]), 9);
  }

  OrderId place(Side side, Price price, Qty qty) {
    OrderRequest r;
    r.instrument = weth_;
    r.side = side;
    r.type = OrderType::Limit;
    r.price = price / engine_->instruments()[weth_].tickSize * engine_->instruments()[weth_].tickSize;
    r.qty = qty;
    r.tag = "evm-orders";
    return submitAndFind(*engine_, r);
  }

  // The Router's getAmountsOut(amountIn, [in, out]) at a block: the test's own eth_call.
  U256 routerAmountOut(const U256& amountIn, const QString& in, const QString& out, std::uint64_t block) {
    const Bytes call = abi::encodeCall("getAmountsOut(uint256,address[])",
                                       {abi::Value::uint256(amountIn),
                                        abi::Value::addressArray({parseAddress(in.toStdString()), parseAddress(out.toStdString())})});
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", chain_.router()}, {"data", QString::fromStdString(toHex(call))}}, tagOf(block)}, &error);
    if (!error.isEmpty()) throw std::runtime_error(error.toStdString());
    return abi::decodeUint256Array(fromHex(r.toString().toStdString())).at(1);
  }

  // A filled order: the Swap log of its receipt gives the amounts; they equal the fill and the
  // Router's quote at the block before; the fee is the receipt's.
  void checkFill(OrderId id, Side side) {
    const std::optional<EvmOrderView> v = venue_->order(id);
    QVERIFY(v);
    QVERIFY(v->fillSent);
    const QJsonObject r = receipt(QString::fromStdString(v->txHash));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    const std::uint64_t block = hex64(r["blockNumber"]);
    QCOMPARE(v->block, block);
    const QJsonObject pool = chain_.pool("WETH/USDC");
    const bool wethIs0 = pool["token0"].toString() == chain_.token("WETH");
    U256 in0 = 0, in1 = 0, out0 = 0, out1 = 0;
    int swaps = 0;
    for (const QJsonValue& l : r["logs"].toArray()) {
      const QJsonObject log = l.toObject();
      if (log["address"].toString().toLower() != pool["address"].toString().toLower()) continue;
      if (log["topics"].toArray()[0].toString() != QString::fromStdString(toHex(uniswapV2SwapTopic()))) continue;
      const Bytes d = fromHex(log["data"].toString().toStdString());
      in0 = abi::decodeUint256(d, 0);
      in1 = abi::decodeUint256(d, 1);
      out0 = abi::decodeUint256(d, 2);
      out1 = abi::decodeUint256(d, 3);
      ++swaps;
    }
    QCOMPARE(swaps, 1);
    const U256 base = side == Side::Buy ? (wethIs0 ? out0 : out1) : (wethIs0 ? in0 : in1);
    const U256 quote = side == Side::Buy ? (wethIs0 ? in1 : in0) : (wethIs0 ? out1 : out0);
    QCOMPARE(v->baseWei, base);
    QCOMPARE(v->quoteWei, quote);
    QCOMPARE(v->amountIn, side == Side::Buy ? quote : base);
    // The Router's own quote on the state before the block (nothing else swapped in it).
    const QString weth = chain_.token("WETH"), usdc = chain_.token("USDC");
    const U256 routerOut = side == Side::Buy ? routerAmountOut(quote, usdc, weth, block - 1) : routerAmountOut(base, weth, usdc, block - 1);
    QCOMPARE(routerOut, side == Side::Buy ? base : quote);
    QCOMPARE(v->expectedOut, routerOut);
    // Fee: gasUsed * effectiveGasPrice from the receipt, exactly.
    const U256 fee = hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]);
    QVERIFY(fee > 0);
    QCOMPARE(v->feeWei, fee);
    // The engine's fill: the base in fixed point, its average price, the fee in USDC at the mid.
    const auto [filled, avg, fees, state] = engine_->call([&] {
      const Order* o = engine_->orders().find(id);
      return std::tuple{o->filled, o->avgFillPrice, o->fees, o->state};
    });
    QCOMPARE(state, OrderState::Filled);
    QCOMPARE(filled, Qty(tokenAmountToFixedFloor(base, 18)));
    QVERIFY2(std::abs(avg - toDouble(tokenPriceToFixed(quote, 18, base, 18))) < 1e-8, qPrintable(QString::number(avg, 'f', 10)));
    const double feeEth = tokenAmountToDouble(fee, 18);
    QVERIFY2(fees > feeEth * 1000 && fees < feeEth * 10000, qPrintable(QString("fee %1 USDC for %2 ETH").arg(fees).arg(feeEth)));
  }

  // The engine with the EVM venue on dir_/data (its journal): at the start, and again for a restart.
  void startEngine() {
    EvmVenueConfig c;
    std::string e;
    QVERIFY2(manualMiningVenueConfig(chain_, c, e), e.c_str());
    QCOMPARE(QString::fromStdString(c.router).toLower(), chain_.router().toLower());
    c.tx.finalConfirmations = 4;
    config_ = c;
    engine_ = startEvmEngine(c, kDevKey1, dir_.filePath("data").toStdString(), venue_);
    QCOMPARE(QString::fromStdString(venue_->walletAddress()).toLower(), me_);
    const Instrument* weth = engine_->instruments().find(0, "WETH/USDC");
    QVERIFY(weth);
    weth_ = weth->id;
  }
  void stopEngine() {
    engine_->stop();
    engine_.reset();
    venue_ = nullptr;
  }
  QString journalFile() { return dir_.filePath("data/journal.sqlite"); }
  int journaledFills(OrderId id) {
    return query(journalFile(), QString("SELECT count(*) FROM journal WHERE kind = 'fill' AND order_id = %1").arg(id)).value(0).toInt();
  }
  // Nothing sent twice: every nonce the wallet used on chain is one of our transactions', and each
  // of ours at most once (the journal's and this run's, as the venue lists them).
  void checkNoncesOnceEach() {
    std::set<std::uint64_t> ours;
    for (const EvmTxView& t : venue_->transactions()) ours.insert(t.nonce);
    QCOMPARE(nonceOf(me_, "pending"), nonceOf(me_, "latest"));  // nothing left in the pool
    QCOMPARE(nonceOf(me_, "latest"), std::uint64_t(ours.size()));
    QCOMPARE(*ours.rbegin() + 1, std::uint64_t(ours.size()));
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    ChainOptions o;
    o.mining = ChainOptions::Mining::Manual;
    o.trader = false;
    const QString error = chain_.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    me_ = chain_.fundedAccount(0);
    startEngine();
    if (QTest::currentTestFailed()) return;
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead() && mark() > 0, 15000);
  }

  void cleanupTestCase() {
    if (engine_) engine_->stop();
    engine_.reset();
    chain_.stop();
  }

  // GasBudget alone (no chain): a transaction counts once however often it is included (a reorg's
  // re-inclusion), its reservation ends with its receipt or its refusal, UTC midnight forgets what
  // was paid (not what is in flight), a restart's journaled fee counts once; the checks in
  // words, each limit off when NaN, a budget met exactly still passing.
  void gasBudgetCountsEachTransactionOnce() {
    const Nanos day = 86'400'000'000'000;
    const Nanos t0 = 20'000 * day + 3'600'000'000'000;  // 01:00 UTC
    GasBudget g;
    g.reserve(1, U256(1000));
    g.reserve(2, U256(500));
    QCOMPARE(g.reservedInFlight(), U256(1500));
    g.paid(1, U256(300), t0);
    g.paid(1, U256(310), t0);  // re-included after a reorg: its last amount, once
    QCOMPARE(g.paidToday(t0), U256(310));
    QCOMPARE(g.reservedInFlight(), U256(500));
    g.release(2);
    QCOMPARE(g.reservedInFlight(), U256(0));
    g.reserve(3, U256(700));
    QCOMPARE(g.paidToday(t0 + day), U256(0));  // the next UTC day
    QCOMPARE(g.reservedInFlight(), U256(700));
    g.restorePaid(5, U256(777), t0, t0 + day);        // a restart's journaled fee of yesterday: not today's
    g.restorePaid(4, U256(999), t0 + day, t0 + day);  // ... of today, by its id
    g.paid(3, U256(1), t0 + day);
    QCOMPARE(g.paidToday(t0 + day), U256(1000));
    g.paid(4, U256(999), t0 + day);  // its receipt read again after the restart: not twice
    QCOMPARE(g.paidToday(t0 + day), U256(1000));

    const U256 gwei = pow10U256(9);
    VenueRiskLimits none;
    QVERIFY(!checkGasRisk(none, "evm", "the swap", 500 * gwei, 200'000, 0, 0, std::nullopt));
    VenueRiskLimits l;
    l.maxGasPriceGwei = 100;
    GasRefusal r = checkGasRisk(l, "evm", "the swap", 212 * gwei, 200'000, 0, 0, std::nullopt);
    QCOMPARE(r.limit, std::string("max_gas_price_gwei"));
    QCOMPARE(r.reason, std::string("max_gas_price_gwei (evm): the fee would be up to 212 gwei per gas, limit 100 gwei"));
    QVERIFY(!checkGasRisk(l, "evm", "the swap", 100 * gwei, 200'000, 0, 0, std::nullopt));  // at the limit
    l.maxGasPerDay = 0.01;  // ETH
    // 0.006 paid + 0.002 in flight + 200,000 x 10 gwei = 0.002: exactly 0.01 passes, 1 wei more does not.
    const U256 milli = pow10U256(15);
    QVERIFY(!checkGasRisk(l, "evm", "the swap", 10 * gwei, 200'000, 6 * milli, 2 * milli, std::nullopt));
    r = checkGasRisk(l, "evm", "the swap", 10 * gwei, 200'000, 6 * milli + 1, 2 * milli, std::nullopt);
    QCOMPARE(r.limit, std::string("max_gas_per_day"));
    QCOMPARE(r.reason, std::string("max_gas_per_day (evm): 0.006 ETH of gas paid today (UTC) + 0.002 ETH in flight + up to "
                                   "0.002 ETH for the swap would pass the limit 0.01 ETH"));
    r = checkGasRisk(none, "evm", "the swap", 15 * gwei, 200'000, 0, 0, U256(100'000) * gwei);  // 0.0001 ETH
    QCOMPARE(r.limit, std::string("gas_balance"));
    QCOMPARE(r.reason, std::string("gas_balance (evm): the wallet holds 0.0001 ETH, the swap may cost up to 0.003 ETH in gas"));
    QVERIFY(!checkGasRisk(none, "evm", "the swap", 15 * gwei, 200'000, 0, 0, U256(3) * milli));
  }

  // Buy 1 WETH: the USDC approval and the swap go out (Ack), one block includes both, Fill.
  void buyFills() {
    QVERIFY(weth_ != kNoInstrument);
    const std::uint64_t nonce = nonceOf(me_, "latest");
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(100'000'000));
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    QCOMPARE(nonceOf(me_, "pending"), nonce + 2);  // approve, then the swap
    QCOMPARE(venue_->counters().approvalsSent, std::uint64_t(1));
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Filled, 5000);
    checkFill(id, Side::Buy);
    QVERIFY(position() >= 1.0 && position() < 1.0001);
    // The approval's gas is the order's too: its fee (and the position's) counts both receipts of
    // the block, in USDC at about the mid.
    {
      const QJsonObject block = chain_.rpc("eth_getBlockByNumber", {tagOf(view(id).block), true}).toObject();
      U256 both = 0;
      int ours = 0;
      for (const QJsonValue& t : block["transactions"].toArray()) {
        if (t.toObject()["from"].toString().toLower() != me_) continue;
        const QJsonObject r = receipt(t.toObject()["hash"].toString());
        both += hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]);
        ++ours;
      }
      QCOMPARE(ours, 2);
      const double perEth = orderFees(id) / tokenAmountToDouble(both, 18);
      const double mid = toDouble(mark());
      QVERIFY2(perEth > mid * 0.95 && perEth < mid * 1.05, qPrintable(QString("%1 USDC per ETH of gas, mid %2").arg(perEth).arg(mid)));
      QCOMPARE(positionRow().fees, orderFees(id));
    }
    // Confirmations: 1 in its block, then one per block.
    QCOMPARE(view(id).confirmations, std::uint64_t(1));
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(view(id).confirmations, std::uint64_t(2), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(view(id).state), QString("confirmed"), 5000);  // tx.confirmations = 2
    mine();
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(view(id).confirmations, std::uint64_t(4), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(view(id).state), QString("final"), 5000);  // tx.finalConfirmations = 4
  }

  // Sell 0.5 WETH: a WETH approval first, then Fill; the position goes down by exactly 0.5.
  void sellFills() {
    QVERIFY(weth_ != kNoInstrument);
    const double before = position();
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(50'000'000));
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    QCOMPARE(venue_->counters().approvalsSent, std::uint64_t(2));
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Filled, 5000);
    checkFill(id, Side::Sell);
    QCOMPARE(position(), before - 0.5);
  }

  // A limit below what the pool asks: refused before anything is signed, with the quote's average.
  void limitWorseThanQuoteIsRefused() {
    QVERIFY(weth_ != kNoInstrument);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    const std::uint64_t sent = venue_->counters().ordersSent;
    const OrderId id = place(Side::Buy, mark() * 99 / 100, Qty(100'000'000));
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).find("worse than the pool's quote") != std::string::npos, reasonOf(id).c_str());
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    QCOMPARE(venue_->counters().ordersSent, sent);
  }

  // Selling far more WETH than the wallet holds: refused before anything is signed (no nonce used,
  // no approval sent). After sellFills (the WETH allowance there) it is eth_estimateGas's revert;
  // run alone (no allowance yet, no estimate possible) the venue's own balance check says it.
  void revertingQuoteIsRefusedBeforeSigning() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    const std::uint64_t sent = venue_->counters().ordersSent;
    const OrderId id = place(Side::Sell, mark() * 50 / 100, Qty(150) * 100'000'000);  // we hold ~100
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).find("the swap would revert: ") != std::string::npos, reasonOf(id).c_str());
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    QCOMPARE(venue_->counters().ordersSent, sent);
  }

  // Another account buys 3 % of the pool first in the same block (a higher tip: anvil orders by
  // fee): our buy's amountOutMin (50 bps) is no longer met and the Router reverts.
  void slippageRejectsWithTheRoutersReason() {
    QVERIFY(weth_ != kNoInstrument);
    const QString other = chain_.fundedAccount(1), usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    const Address router = parseAddress(chain_.router().toStdString());
    QString error;
    chain_.rpc("eth_sendTransaction",
               {QJsonObject{{"from", other}, {"to", usdc},
                            {"data", QString::fromStdString(toHex(abi::encodeCall("approve(address,uint256)", {abi::Value::address(router), abi::Value::uint256(u256Max())})))}}},
               &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);

    const double feesBefore = positionRow().fees;
    const OrderId id = place(Side::Buy, mark() * 110 / 100, Qty(100'000'000));
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const Bytes swap = abi::encodeCall("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                                       {abi::Value::uint256(e18(90'000)), abi::Value::uint256(0),
                                        abi::Value::addressArray({parseAddress(usdc.toStdString()), parseAddress(weth.toStdString())}),
                                        abi::Value::address(parseAddress(other.toStdString())), abi::Value::uint256(u256Max())});
    chain_.rpc("eth_sendTransaction",
               {QJsonObject{{"from", other}, {"to", chain_.router()}, {"data", QString::fromStdString(toHex(swap))},
                            {"gas", "0x493e0"}, {"maxPriorityFeePerGas", "0x2e90edd000"}, {"maxFeePerGas", "0x2e90edd000"}}},  // 200 gwei
               &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    mine();
    // Acknowledged (pending) before, rejected on chain: Open -> Rejected, the revert reason kept.
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).find("rejected on chain (reverted): UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT") != std::string::npos, reasonOf(id).c_str());
    QCOMPARE(QString::fromStdString(view(id).state), QString("rejected"));
    QVERIFY2(reasonOf(id).find("INSUFFICIENT_OUTPUT_AMOUNT") != std::string::npos, reasonOf(id).c_str());
    const std::optional<EvmOrderView> v = venue_->order(id);
    QVERIFY(v);
    const QJsonObject r = receipt(QString::fromStdString(v->txHash));
    QCOMPARE(r["status"].toString(), QString("0x0"));
    QCOMPARE(v->feeWei, hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]));  // gas paid all the same
    // ... and booked: the order's fee and the position's (its PnL includes it), with no fill.
    QVERIFY(orderFees(id) > 0);
    QCOMPARE(engineOrder(id).filled, Qty(0));
    QCOMPARE(positionRow().fees, feesBefore + orderFees(id));
  }

  // replace: a swap is not modified.
  void replaceIsRefused() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    engine_->replace(id, engineOrder(id).request.price, Qty(20'000'000));
    QTRY_VERIFY_WITH_TIMEOUT(reasonOf(id).find("not modified") != std::string::npos, 5000);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(stateOf(*engine_, id) != OrderState::Open, 5000);
    QVERIFY2(stateOf(*engine_, id) == OrderState::Filled, (reasonOf(id) + " / " + view(id).state + " / " + view(id).detail).c_str());
  }

  // A trader's cancel of a pending swap: the self-transfer at its nonce (fees raised) wins the
  // nonce in the next block; the order ends Cancelled and the swap never ran. A second cancel while
  // the first is on its way sends nothing more.
  void cancelOfAPendingSwap() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const double feesBefore = positionRow().fees;
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string swapHash = view(id).txHash;
    const std::uint64_t nonce = view(id).nonce;
    engine_->cancel(id);
    QTRY_VERIFY_WITH_TIMEOUT(view(id).txHash != swapHash, 5000);
    QVERIFY2(view(id).detail.find("cancel sent") != std::string::npos, view(id).detail.c_str());
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Cancelled, 5000);
    QVERIFY2(reasonOf(id).find("self-transfer took nonce " + std::to_string(nonce)) != std::string::npos, reasonOf(id).c_str());
    QVERIFY(receipt(QString::fromStdString(swapHash)).isEmpty());
    const QJsonObject r = receipt(QString::fromStdString(view(id).txHash));
    QCOMPARE(r["to"].toString().toLower(), me_);
    QCOMPARE(view(id).feeWei, hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]));
    QVERIFY(orderFees(id) > 0);  // the self-transfer's gas, on the order and the position
    QCOMPARE(positionRow().fees, feesBefore + orderFees(id));
    // The transactions list (the report's): the swap replaced by the cancel, the cancel included
    // with its receipt's gas and fee; both at the order's nonce and under its id.
    std::vector<EvmTxView> mine;
    for (const EvmTxView& t : venue_->transactions())
      if (t.orderId == id) mine.push_back(t);
    QCOMPARE(mine.size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(mine[0].kind), QString("swap"));
    QCOMPARE(mine[0].hash, swapHash);
    QCOMPARE(QString::fromStdString(mine[0].state), QString("replaced"));
    QCOMPARE(mine[0].replacedBy, view(id).txHash);
    QVERIFY(!mine[0].hasReceipt);
    QCOMPARE(QString::fromStdString(mine[1].kind), QString("cancel"));
    QCOMPARE(mine[1].hash, view(id).txHash);
    QCOMPARE(QString::fromStdString(mine[1].state), QString("included"));
    QCOMPARE(mine[1].nonce, nonce);
    QCOMPARE(mine[1].block, hex64(r["blockNumber"]));
    QCOMPARE(U256(mine[1].gasUsed), hexq(r["gasUsed"]));
    QCOMPARE(mine[1].effectiveGasPrice, hexq(r["effectiveGasPrice"]));
    QCOMPARE(mine[1].feeWei, view(id).feeWei);
  }

  // Another sender (the same wallet, outside kappa: another tool, a second terminal) takes a
  // pending swap's nonce with higher fees: the swap can never run. The order ends, Rejected with
  // the reason, no gas charged; it does not stay working for ever.
  void swapWhoseNonceAnotherTransactionTookEnds() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const double feesBefore = positionRow().fees;
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string swapHash = view(id).txHash;
    const std::uint64_t nonce = view(id).nonce;
    const U256 fee = view(id).maxFeePerGas * 2 + gwei(1);
    auto quantity = [](const U256& v) { return QString::fromStdString(u256ToQuantity(v)); };
    QString error;
    const QJsonValue other = chain_.rpc("eth_sendTransaction",
                                        {QJsonObject{{"from", me_}, {"to", me_}, {"value", "0x0"}, {"nonce", quantity(nonce)},
                                                     {"maxFeePerGas", quantity(fee)}, {"maxPriorityFeePerGas", quantity(fee)}}},
                                        &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    notOurs_.insert(other.toString());
    mine();
    QCOMPARE(receipt(other.toString())["status"].toString(), QString("0x1"));
    // Not at once: a node may not serve our receipt yet. Said, then ended tx.confirmations (2) blocks on.
    QTRY_VERIFY_WITH_TIMEOUT(view(id).detail.find("ended if still so in 2 block(s)") != std::string::npos, 10000);
    QCOMPARE(stateOf(*engine_, id), OrderState::Open);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QCOMPARE(stateOf(*engine_, id), OrderState::Open);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 10000);
    QVERIFY2(reasonOf(id).find("nonce " + std::to_string(nonce) + " was used by a transaction this tracker did not send") !=
                 std::string::npos,
             reasonOf(id).c_str());
    QCOMPARE(QString::fromStdString(view(id).state), QString("dropped"));
    QVERIFY(receipt(QString::fromStdString(swapHash)).isEmpty());
    QCOMPARE(orderFees(id), 0.0);
    QCOMPARE(positionRow().fees, feesBefore);
    QCOMPARE(venue_->gasInFlight(), U256(0));  // its worst-case gas no longer reserved (max_gas_per_day)
    // The next swap takes the next nonce and fills.
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId next = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, next), OrderState::Open, 5000);
    QCOMPARE(view(next).nonce, nonce + 1);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, next), OrderState::Filled, 10000);
    mine();  // confirmed (tx.confirmations = 2): nothing unconfirmed left for the next test
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(view(next).state), QString("confirmed"), 5000);
  }

  // An included swap counts in the position at once, its part marked unconfirmed (position and
  // snapshot row) until its transaction is tx.confirmations (2) deep.
  void includedSwapIsUnconfirmedUntilConfirmed() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(positionRow().unconfirmedQty, 0.0, 5000);
    const double before = position();
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    QCOMPARE(positionRow().unconfirmedQty, 0.0);  // pending: nothing booked, nothing unconfirmed
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Filled, 5000);
    const double filled = toDouble(engineOrder(id).filled);
    QCOMPARE(position(), before + filled);
    QTRY_COMPARE_WITH_TIMEOUT(positionRow().unconfirmedQty, filled, 5000);
    auto rowUnconfirmed = [&] {
      for (const PositionRow& r : latestSnapshot(*engine_).positions)
        if (r.instrument == weth_) return r.unconfirmedQty;
      return -1.0;
    };
    QTRY_COMPARE_WITH_TIMEOUT(rowUnconfirmed(), filled, 5000);
    mine();  // 2 deep: confirmed
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromStdString(view(id).state), QString("confirmed"), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(positionRow().unconfirmedQty, 0.0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(rowUnconfirmed(), 0.0, 5000);
    QCOMPARE(position(), before + filled);
  }

  // max_order_notional in the venue's scope is the largest notional of one swap (USD = USDC here).
  void notionalPerSwapIsTheVenuesMaxOrderNotional() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    engine_->changeRiskLimit("venues/evm/max_order_notional=1000", "test");
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(100'000'000));  // ~3,000 USDC
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).find("max_order_notional (WETH/USDC): ") != std::string::npos, reasonOf(id).c_str());
    QVERIFY2(reasonOf(id).find("limit 1000 USD") != std::string::npos, reasonOf(id).c_str());
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    engine_->changeRiskLimit("venues/evm/max_order_notional=off", "test");
  }

  // max_slippage_bps: the gate refuses swaps when the venue signs them with a wider tolerance
  // (50 bps here); recorded in the breach history; nothing signed.
  void slippageToleranceAboveTheLimitIsRefused() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    engine_->changeRiskLimit("venues/evm/max_slippage_bps=30", "test");
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QCOMPARE(reasonOf(id), std::string("max_slippage_bps (evm): swaps are signed with a slippage tolerance of 50 bps, limit 30 bps"));
    const std::optional<Breach> b = breachOf("max_slippage_bps");
    QVERIFY(b);
    QCOMPARE(b->scope, std::string("evm"));
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    engine_->changeRiskLimit("venues/evm/max_slippage_bps=50", "test");  // equal passes
    const OrderId ok = place(Side::Buy, mark() * 105 / 100, Qty(11'000'000));  // not a duplicate of the refused one
    QTRY_VERIFY2_WITH_TIMEOUT(stateOf(*engine_, ok) == OrderState::Open, reasonOf(ok).c_str(), 5000);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, ok), OrderState::Filled, 5000);
    engine_->changeRiskLimit("venues/evm/max_slippage_bps=off", "test");
  }

  // max_gas_price_gwei: the fee estimate's maxFeePerGas (at least twice the next base fee) above
  // the limit refuses the swap at signing, in words, recorded as a breach; no nonce used.
  void gasPriceAboveTheLimitIsRefused() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    const std::uint64_t sent = venue_->counters().ordersSent;
    const QString limit = QString::number(baseFeeGwei() / 2, 'f', 9);
    engine_->changeRiskLimit(("venues/evm/max_gas_price_gwei=" + limit).toStdString(), "test");
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).rfind("max_gas_price_gwei (evm): the fee would be up to ", 0) == 0, reasonOf(id).c_str());
    QVERIFY2(reasonOf(id).find(" gwei per gas, limit ") != std::string::npos, reasonOf(id).c_str());
    const std::optional<Breach> b = breachOf("max_gas_price_gwei");
    QVERIFY(b);
    QCOMPARE(b->scope, std::string("evm"));
    QCOMPARE(b->detail, reasonOf(id));
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    QCOMPARE(venue_->counters().ordersSent, sent);
    engine_->changeRiskLimit("venues/evm/max_gas_price_gwei=off", "test");
    const OrderId ok = place(Side::Buy, mark() * 105 / 100, Qty(11'000'000));  // not a duplicate of the refused one
    QTRY_VERIFY2_WITH_TIMEOUT(stateOf(*engine_, ok) == OrderState::Open, reasonOf(ok).c_str(), 5000);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, ok), OrderState::Filled, 5000);
  }

  // The day's gas counts every fee our transactions paid (swaps, the reverted one, the cancel's
  // self-transfer, approvals): exactly the chain's receipts. A budget already used up refuses.
  void dailyGasBudgetExhausted() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(venue_->gasInFlight(), U256(0), 5000);
    const U256 paid = venue_->gasPaidToday();
    QVERIFY(paid > 0);
    QCOMPARE(paid, gasPaidOnChain(me_));
    // The limit at what was paid (floored to 1e-9 ETH): any further swap passes it.
    const U256 nanoEth = paid / pow10U256(9);
    const QString limit = QString::number(double(u256ToUint64(nanoEth, "test")) / 1e9, 'f', 9);
    engine_->changeRiskLimit(("venues/evm/max_gas_per_day=" + limit).toStdString(), "test");
    // The risk panel's row: the venue's gas paid today as the limit's use, in ETH.
    auto used = [&] {
      for (const LimitUse& u : latestSnapshot(*engine_).limits)
        if (u.limit == Limit::MaxGasPerDay && u.scope == "venue evm") return u.use;
      return -1.0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(used() - tokenAmountToDouble(paid, 18)) < 1e-15, 5000);
    const std::uint64_t nonce = nonceOf(me_, "pending");
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(id).rfind("max_gas_per_day (evm): " + formatNative(paid) + " of gas paid today (UTC) + up to ", 0) == 0,
             reasonOf(id).c_str());
    QVERIFY2(reasonOf(id).find("for the swap would pass the limit") != std::string::npos, reasonOf(id).c_str());
    QVERIFY(breachOf("max_gas_per_day"));
    QCOMPARE(nonceOf(me_, "pending"), nonce);
    engine_->changeRiskLimit("venues/evm/max_gas_per_day=1", "test");  // 1 ETH a day: room again
    const OrderId ok = place(Side::Sell, mark() * 95 / 100, Qty(11'000'000));  // not a duplicate of the refused one
    QTRY_VERIFY2_WITH_TIMEOUT(stateOf(*engine_, ok) == OrderState::Open, reasonOf(ok).c_str(), 5000);
    QVERIFY(venue_->gasInFlight() > 0);  // its worst case, until its receipt
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, ok), OrderState::Filled, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(venue_->gasInFlight(), U256(0), 5000);
    QCOMPARE(venue_->gasPaidToday(), gasPaidOnChain(me_));
    engine_->changeRiskLimit("venues/evm/max_gas_per_day=off", "test");
  }

  // A wallet whose native coin cannot pay the gas refuses orders, saying what it holds and what
  // the transactions may cost: a fresh account (its own engine) with USDC but 0.0001 ETH.
  void walletThatCannotPayGasRefuses() {
    QVERIFY(weth_ != kNoInstrument);
    const char* freshKey = "0x1111111111111111111111111111111111111111111111111111111111111111";  // a test key, no secret
    const QString fresh = QString::fromStdString(Secp256k1Signer(PrivateKey::fromHex(freshKey)).checksumAddress()).toLower();
    QString error;
    const Bytes transfer = abi::encodeCall("transfer(address,uint256)", {abi::Value::address(parseAddress(fresh.toStdString())),
                                                                         abi::Value::uint256(e18(10'000))});
    chain_.rpc("eth_sendTransaction", {QJsonObject{{"from", chain_.fundedAccount(1)}, {"to", chain_.token("USDC")},
                                                   {"data", QString::fromStdString(toHex(transfer))}}}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    chain_.rpc("anvil_setBalance", {fresh, "0x5af3107a4000"}, &error);  // 10^14 wei = 0.0001 ETH
    QVERIFY2(error.isEmpty(), qPrintable(error));
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);

    EvmVenueConfig c = venue_->config();
    c.fees.minPriorityFee = U256(1'000'000'000);  // 1 gwei tip: the approval and the swap may cost 0.0004 ETH or more
    auto venue = std::make_unique<EvmVenue>(c);
    venue->setWalletKey(PrivateKey::fromHex(freshKey));
    Engine other(std::move(venue));
    QTemporaryDir dir;
    other.setDataDir(dir.filePath("data").toStdString());
    other.start();
    for (const char* a : {"max_position=1000000000", "price_band=0.9", "max_order_notional=1000000000", "max_net_delta=1000000"})
      other.changeRiskLimit(a, "test");
    const Instrument* weth = other.instruments().find(0, "WETH/USDC");
    QVERIFY(weth);
    QTRY_VERIFY_WITH_TIMEOUT(other.call([&] { return other.marketData().markPrice(weth->id); }) > 0, 15000);
    OrderRequest r;
    r.instrument = weth->id;
    r.side = Side::Buy;
    r.price = mark() * 105 / 100 / weth->tickSize * weth->tickSize;
    r.qty = Qty(1'000'000);
    const OrderId id = submitAndFind(other, r);
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(other, id), OrderState::Rejected, 10000);
    const std::string why = other.call([&] {
      const Order* o = other.orders().find(id);
      return o ? o->reason : std::string("(no such order in the engine)");
    });
    QVERIFY2(why.rfind("gas_balance (evm): the wallet holds 0.0001 ETH, the approval and the swap may cost up to ", 0) == 0, why.c_str());
    QVERIFY2(why.find(" ETH in gas") != std::string::npos, why.c_str());
    QVERIFY(other.call([&] {
      for (const Breach& b : other.breaches().entries())
        if (b.what == "gas_balance") return true;
      return false;
    }));
    QCOMPARE(nonceOf(fresh, "pending"), std::uint64_t(0));  // nothing signed: no nonce used
    other.stop();
  }

  // A swap whose fill was reported leaves the chain (anvil_reorg replaces its block by an empty
  // one): counted, the order view says so, and when the tracker gets it included again no second
  // Fill reaches the engine (the position moved once).
  void reorgAfterFillIsCountedAndNotFilledTwice() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Filled, 5000);
    const double pos = position();
    const Qty filled = engineOrder(id).filled;
    const std::uint64_t reorged = venue_->counters().fillsReorged;
    const std::uint64_t block = view(id).block;
    QCOMPARE(head(), block);
    QString error;
    chain_.rpc("anvil_reorg", {1, QJsonArray()}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(venue_->counters().fillsReorged, reorged + 1, 5000);
    QVERIFY(view(id).reorgedAfterFill);
    QVERIFY2(view(id).detail.find("fill not final") != std::string::npos, view(id).detail.c_str());
    // Mined again (the tracker resends it when the node lost it): included once more, no new Fill.
    bool again = false;
    for (int i = 0; i < 20 && !again; ++i) {
      mine();
      again = QTest::qWaitFor([&] { return view(id).block != 0; }, 500);
    }
    QVERIFY2(again, view(id).detail.c_str());
    QVERIFY2(view(id).detail.find("re-included") != std::string::npos, view(id).detail.c_str());
    QCOMPARE(receipt(QString::fromStdString(view(id).txHash))["status"].toString(), QString("0x1"));
    QCOMPARE(engineOrder(id).filled, filled);
    QCOMPARE(position(), pos);
  }

  // A swap pending when kappa stops, mined while it is away: the restarted engine (same data dir)
  // has the order unresolved from its journal, the venue its transaction from the venue_record
  // table; the tracker finds the receipt and the order gets its one Fill; nothing is resent.
  void restartAfterSwapMinedWhileAway() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const double before = position();
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string hash = view(id).txHash;
    const std::uint64_t nonce = view(id).nonce;
    QCOMPARE(nonceOf(me_, "pending"), nonce + 1);
    const U256 paidBefore = venue_->gasPaidToday();
    QVERIFY(paidBefore > 0);  // the earlier tests' swaps, approvals, revert and cancel
    stopEngine();
    QVERIFY(query(journalFile(), QString("SELECT count(*) FROM venue_record WHERE venue = 'evm' AND record_key = %1").arg(id)).value(0).toInt() >= 1);
    QCOMPARE(journaledFills(id), 0);
    mine();  // while kappa is away
    const QJsonObject r = receipt(QString::fromStdString(hash));
    QCOMPARE(r["status"].toString(), QString("0x1"));

    startEngine();
    QVERIFY(venue_);
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->unresolvedOrders().empty(); }), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(venue_->order(id) && view(id).fillSent, 5000);
    QCOMPARE(QString::fromStdString(view(id).txHash), QString::fromStdString(hash));
    QCOMPARE(view(id).block, hex64(r["blockNumber"]));
    engine_->call([&] { return 0; });
    engine_->journal()->flush();
    QCOMPARE(journaledFills(id), 1);
    const double bought = toDouble(Qty(tokenAmountToFixedFloor(view(id).baseWei, 18)));
    QVERIFY(bought >= 0.1);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(position() - (before + bought)) < 1e-9, 5000);
    // The day's gas (max_gas_per_day) goes on from the journal: what was paid before the restart,
    // and this swap's receipt once.
    QCOMPARE(venue_->gasPaidToday(), paidBefore + hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"]));
    // A few more blocks: no second Fill, nothing resent.
    mine();
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(view(id).confirmations >= 3, 5000);
    engine_->journal()->flush();
    QCOMPARE(journaledFills(id), 1);
    QVERIFY(std::abs(position() - (before + bought)) < 1e-9);
    checkNoncesOnceEach();
  }

  // A swap still pending at the restart: the venue answers Ack for it (still in flight), the
  // tracker follows it, and its inclusion after the restart brings the one Fill.
  void restartWithSwapStillPending() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const double before = position();
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string hash = view(id).txHash;
    stopEngine();

    startEngine();
    QVERIFY(venue_);
    QTRY_VERIFY_WITH_TIMEOUT(venue_->order(id) && venueAtHead(), 15000);
    // Unresolved until the chain decides; the venue follows the same transaction.
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
      return !engine_->unresolvedOrders().empty() &&
             engine_->unresolvedOrders()[0].reason.find("working at the venue") != std::string::npos;
    }), 5000);
    QCOMPARE(QString::fromStdString(view(id).txHash), QString::fromStdString(hash));
    QVERIFY(!view(id).fillSent);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->unresolvedOrders().empty(); }), 5000);
    QVERIFY(view(id).fillSent);
    QCOMPARE(receipt(QString::fromStdString(hash))["status"].toString(), QString("0x1"));
    engine_->journal()->flush();
    QCOMPARE(journaledFills(id), 1);
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(position() - (before - 0.1)) < 1e-9, 5000);
    checkNoncesOnceEach();
  }

  // A swap the node lost while kappa was away (anvil_dropTransaction): the restarted venue finds it
  // unknown to the node with its nonce unused and sends the journaled raw bytes again — the same
  // hash, the same nonce, no new signature — and its inclusion brings the one Fill.
  void restartResendsADroppedSwapWithTheSameHash() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const double before = position();
    const std::uint64_t latest = nonceOf(me_, "latest");
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string hash = view(id).txHash;
    const std::uint64_t nonce = view(id).nonce;
    QCOMPARE(nonce, latest);
    stopEngine();
    QString error;
    chain_.rpc("anvil_dropTransaction", {QString::fromStdString(hash)}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(chain_.rpc("eth_getTransactionByHash", {QString::fromStdString(hash)}).isNull());
    QCOMPARE(nonceOf(me_, "pending"), latest);  // gone from the pool

    startEngine();
    QVERIFY(venue_);
    QTRY_VERIFY_WITH_TIMEOUT(nonceOf(me_, "pending") == latest + 1, 15000);  // resent
    QVERIFY(!chain_.rpc("eth_getTransactionByHash", {QString::fromStdString(hash)}).isNull());
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->unresolvedOrders().empty(); }), 5000);
    QCOMPARE(receipt(QString::fromStdString(hash))["status"].toString(), QString("0x1"));
    QCOMPARE(QString::fromStdString(view(id).txHash), QString::fromStdString(hash));
    engine_->journal()->flush();
    QCOMPARE(journaledFills(id), 1);
    const double bought = toDouble(Qty(tokenAmountToFixedFloor(view(id).baseWei, 18)));
    QTRY_VERIFY_WITH_TIMEOUT(std::abs(position() - (before + bought)) < 1e-9, 5000);
    checkNoncesOnceEach();
  }

  // An order whose transaction the journal never got (kappa died between sending it and the
  // journal's commit; here: its venue_record rows deleted while kappa is stopped). If the node lost
  // the transaction too, nothing of it is on chain: the restart answers "never reached the chain".
  // If it is still in the pool, the wallet has used a nonce no journaled transaction explains: the
  // order stays unknown, never called cancelled while it trades.
  void restartWithoutTheJournaledTransaction() {
    QVERIFY(weth_ != kNoInstrument);
    auto sendAndForget = [&](Side side) -> std::pair<OrderId, std::string> {
      if (!QTest::qWaitFor([&] { return venueAtHead(); }, 5000)) return {0, ""};
      const OrderId id = place(side, side == Side::Buy ? mark() * 105 / 100 : mark() * 95 / 100, Qty(10'000'000));
      if (!QTest::qWaitFor([&] { return stateOf(*engine_, id) == OrderState::Open; }, 5000)) return {0, ""};
      const std::string hash = view(id).txHash;
      stopEngine();
      const std::string gone = exec(journalFile(), "DELETE FROM venue_record WHERE record_key = " + std::to_string(id));
      if (!gone.empty()) qWarning("%s", gone.c_str());
      return {id, hash};
    };
    // Lost by the node as well: never on chain.
    const auto [lost, lostHash] = sendAndForget(Side::Buy);
    QVERIFY(lost != 0);
    QString error;
    chain_.rpc("anvil_dropTransaction", {QString::fromStdString(lostHash)}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    startEngine();
    QVERIFY(venue_);
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->unresolvedOrders().empty(); }), 15000);
    engine_->journal()->flush();
    QCOMPARE(query(journalFile(), QString("SELECT text FROM journal WHERE kind = 'cancelled' AND order_id = %1").arg(lost)),
             QStringList{"reconciled after restart: no transaction of it in the journal: it never reached the chain"});
    QCOMPARE(nonceOf(me_, "pending"), nonceOf(me_, "latest"));
    checkNoncesOnceEach();

    // Still in the pool: unknown, and it stays so once mined (kappa cannot speak for it).
    const auto [kept, keptHash] = sendAndForget(Side::Sell);
    QVERIFY(kept != 0);
    startEngine();
    QVERIFY(venue_);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 15000);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QCOMPARE(receipt(QString::fromStdString(keptHash))["status"].toString(), QString("0x1"));
    QTest::qWait(500);  // queryOrders answered by now (asked when the venue said Connected)
    QVERIFY(engine_->call([&] {
      const auto& u = engine_->unresolvedOrders();
      return u.size() == 1 && u[0].id == kept && u[0].state == OrderState::Unknown;
    }));
    QVERIFY(!venue_->order(kept));
  }

  // HALT with a swap pending: the venue cancels it (a self-transfer at its nonce) and says so.
  void haltCancelsThePendingSwap() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = place(Side::Buy, mark() * 105 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::uint64_t nonce = view(id).nonce;
    const std::string swapHash = view(id).txHash;
    engine_->haltAll("test");
    QTRY_VERIFY_WITH_TIMEOUT(latestSnapshot(*engine_).venues[0].detail.find("HALT: 1 pending") != std::string::npos, 5000);
    QVERIFY2(latestSnapshot(*engine_).venues[0].detail.find("cannot be undone") != std::string::npos, latestSnapshot(*engine_).venues[0].detail.c_str());
    QTRY_VERIFY_WITH_TIMEOUT(view(id).txHash != swapHash, 5000);  // the cancel replaced it
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Cancelled, 5000);
    // The nonce went to a zero-value self-transfer; the swap never ran.
    const QJsonObject r = receipt(QString::fromStdString(view(id).txHash));
    QCOMPARE(r["status"].toString(), QString("0x1"));
    QCOMPARE(r["to"].toString().toLower(), me_);
    QVERIFY(receipt(QString::fromStdString(swapHash)).isEmpty());
    QCOMPARE(nonceOf(me_, "latest"), nonce + 1);
  }

  // HALT with a swap pending while the gas price is above max_gas_price_gwei: the cancel still goes
  // out (reducing risk never waits on a gas limit), the venue's detail says how many pending were
  // cancelled and that included swaps cannot be undone; the cancel's gas is booked; after RESUME a
  // new swap is refused by the gas price limit.
  void haltWithPendingSwapAndGasPriceAboveTheLimit() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QVERIFY2(engine_->resume().empty(), engine_->resume().c_str());
    const double feesBefore = positionRow().fees;
    const OrderId id = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Open, 5000);
    const std::string swapHash = view(id).txHash;
    const QString limit = QString::number(baseFeeGwei() / 2, 'f', 9);
    engine_->changeRiskLimit(("venues/evm/max_gas_price_gwei=" + limit).toStdString(), "test");
    // A speed-up would pay more than the limit: refused with the limit's name, nothing sent.
    engine_->call([] { return 0; });  // the engine has handed the limit to the venue (posted before)
    venue_->speedUp(id);
    QTRY_VERIFY_WITH_TIMEOUT(view(id).detail.find("speed-up refused: max_gas_price_gwei (evm): the replacement's fee") !=
                                 std::string::npos,
                             5000);
    QCOMPARE(view(id).txHash, swapHash);
    engine_->haltAll("test: gas");
    QTRY_VERIFY_WITH_TIMEOUT(latestSnapshot(*engine_).venues[0].detail.find("HALT: 1 pending transaction(s), 1 being cancelled") !=
                                 std::string::npos, 5000);
    QVERIFY(latestSnapshot(*engine_).venues[0].detail.find("included swaps cannot be undone") != std::string::npos);
    QTRY_VERIFY_WITH_TIMEOUT(view(id).txHash != swapHash, 5000);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, id), OrderState::Cancelled, 5000);
    QVERIFY(receipt(QString::fromStdString(swapHash)).isEmpty());
    QVERIFY(orderFees(id) > 0);
    QCOMPARE(positionRow().fees, feesBefore + orderFees(id));
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    QVERIFY2(engine_->resume().empty(), engine_->resume().c_str());
    const OrderId refused = place(Side::Sell, mark() * 95 / 100, Qty(10'000'000));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*engine_, refused), OrderState::Rejected, 5000);
    QVERIFY2(reasonOf(refused).rfind("max_gas_price_gwei (evm): ", 0) == 0, reasonOf(refused).c_str());
    engine_->changeRiskLimit("venues/evm/max_gas_price_gwei=off", "test");
  }

  // A restart on the same data directory brings the position back with every fee: the fills' and
  // those paid without a fill (the reverted swap's gas, the cancels' self-transfers).
  void restartKeepsTheGasPaidWithoutFills() {
    QVERIFY(weth_ != kNoInstrument);
    QTRY_COMPARE_WITH_TIMEOUT(engine_->call([&] { return engine_->orders().working().size(); }), std::size_t(0), 5000);
    const Position before = positionRow();
    const double fillFees = engine_->call([&] {
      double sum = 0;
      for (const Order& o : engine_->orders().orders())
        if (o.request.instrument == weth_ && o.filled > 0) sum += o.fees;
      return sum;
    });
    QVERIFY2(before.fees > fillFees, qPrintable(QString("%1 vs %2").arg(before.fees).arg(fillFees)));  // some paid with no fill
    engine_->stop();
    venue_ = nullptr;
    engine_.reset();
    auto venue = std::make_unique<EvmVenue>(config_);
    venue->setWalletKey(PrivateKey::fromHex(kDevKey1));
    venue_ = venue.get();
    engine_ = std::make_unique<Engine>(std::move(venue));
    engine_->setDataDir(dir_.filePath("data").toStdString());
    engine_->start();
    const Instrument* weth = engine_->instruments().find(0, "WETH/USDC");
    QVERIFY(weth);
    weth_ = weth->id;
    const Position after = positionRow();
    QVERIFY2(std::abs(after.fees - before.fees) < 1e-9 * std::max(1.0, before.fees),
             qPrintable(QString("%1 after, %2 before").arg(after.fees, 0, 'f', 10).arg(before.fees, 0, 'f', 10)));
    QVERIFY(std::abs(after.qty - before.qty) < 1e-9);
  }
};

QTEST_GUILESS_MAIN(TestEvmOrders)
#include "tst_evm_orders.moc"
