// The on-chain venue's part of a served engine's state (engine/remote/EvmPartCodec): every field
// of the panel's snapshot crosses the wire exactly (wei amounts up to 2^256-1, hashes, the last
// trade present or not), and an untrusted message that is malformed, truncated, of another version
// or out of range gives a reason naming the field and changes nothing.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "remote/EvmPartCodec.hpp"
#include "venue/evm/Bytes.hpp"

using namespace kappa;
using namespace kappa::evm;
using namespace kappa::remote;
using json = nlohmann::json;

namespace {

EvmVenueSnapshot sample() {
  EvmVenueSnapshot s;
  s.venue = 2;
  s.state = VenueState::Degraded;
  s.stateDetail = "node behind: head 12 s old";
  s.walletAddress = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  s.slippageBps = 75;
  s.counters.polls = 1;
  s.counters.blocksProcessed = 2;
  s.counters.logsApplied = 3;
  s.counters.tradesSent = 4;
  s.counters.snapshotsSent = 5;
  s.counters.resyncs = 6;
  s.counters.reorgs = 7;
  s.counters.gapResyncs = 8;
  s.counters.verifications = 9;
  s.counters.mismatches = 10;
  s.counters.rpcFailures = 11;
  s.counters.reconnects = 12;
  s.counters.headBlock = 13;
  s.counters.processedBlock = 14;
  s.counters.resyncBlock = 15;
  s.counters.processedBlockTime = 1'700'000'000'000'000'000;
  s.counters.chainId = 31337;
  s.counters.lastRoundTripUs = 250;
  s.counters.headsPushed = true;
  s.counters.headNotifications = 16;
  s.counters.ordersSent = 17;
  s.counters.approvalsSent = 18;
  s.counters.fillsReorged = 19;

  EvmPoolView p;
  p.instrument = 5;
  p.name = "WETH/USDC";
  p.pair = "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc";
  p.reserve0 = U256("123456789012345678901234567890");
  p.reserve1 = u256Max();
  p.baseReserve = 1;
  p.quoteReserve = 2;
  p.block = 77;
  p.mid = 2512.25;
  p.bestBid = 251200000000;
  p.bestAsk = 251250000000;
  p.baseVolume = 3;
  p.quoteVolume = 4;
  p.trades = 9;
  p.dayBaseVolume = 5;
  p.dayQuoteVolume = 6;
  p.daySwaps = 7;
  p.dayCoveredFrom = 11;
  p.dayAt = 12;
  PoolTrade t;
  t.aggressor = Side::Sell;
  t.base = 8;
  t.quote = 9;
  t.block = 76;
  t.logIndex = 3;
  t.transactionHash = hash32FromHex("0x" + std::string(62, 'a') + "01");
  t.price = 251230000000;
  t.qty = 50000000;
  p.lastTrade = t;
  p.baseSymbol = "WETH";
  p.quoteSymbol = "USDC";
  p.baseDecimals = 18;
  p.quoteDecimals = 6;
  s.pools.push_back(p);
  p.lastTrade.reset();  // a pool with no swap yet
  p.instrument = 6;
  p.name = "WBTC/USDC";
  s.pools.push_back(p);

  EvmOrderView o;
  o.orderId = 42;
  o.instrument = 5;
  o.state = "pending";
  o.detail = "sped up at nonce 7";
  o.txHash = "0x" + std::string(64, 'b');
  o.nonce = 7;
  o.block = 0;
  o.confirmations = 0;
  o.amountIn = 1000;
  o.amountOutMin = 990;
  o.expectedOut = 995;
  o.baseWei = 1;
  o.quoteWei = 2;
  o.feeWei = U256("21000000000000000");
  o.fillSent = true;
  o.reorgedAfterFill = true;
  o.side = Side::Sell;
  o.gasUsed = 111'000;
  o.effectiveGasPrice = 3;
  o.maxFeePerGas = 4;
  o.maxPriorityFeePerGas = 5;
  o.stuck = true;
  o.replacements = 2;
  o.sentAt = 1'700'000'000'123'000'000;
  s.orders.push_back(o);

  s.wallet.address = s.walletAddress;
  s.wallet.nativeSymbol = "ETH";
  s.wallet.nativeWei = U256("10000000000000000000000");
  s.wallet.native = 10000;
  EvmTokenBalance b;
  b.symbol = "USDC";
  b.address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
  b.decimals = 6;
  b.balanceWei = 1'000'000'000'000;
  b.balance = 1'000'000;
  b.allowanceWei = u256Max();
  b.unlimitedAllowance = true;
  s.wallet.tokens.push_back(b);
  s.wallet.block = 77;
  s.wallet.updatedAt = 13;
  s.wallet.error = "";

  s.chain.chainId = 31337;
  s.chain.head = 78;
  s.chain.headTime = 1'700'000'000'000'000'000;
  s.chain.baseFee = 875'000'000;
  s.chain.nextBaseFee = 100'000'000'000ull;
  s.chain.suggestedTip = 1'000'000'000;
  s.chain.baseFeeHistoryGwei = {1.0, 0.875, 100.0};
  s.chain.historyFirstBlock = 76;
  s.chain.typicalSwapGas = 111'000;
  s.chain.updatedAt = 14;
  s.chain.error = "feeHistory: timeout";
  return s;
}

std::string encode(const EvmVenueSnapshot& s) { return frameEvmPart(1'700'000'000'999'000'000, encodeEvmBody(s)); }

// The sample's message as JSON (to spoil one field), and back to bytes.
json asJson(const EvmVenueSnapshot& s) {
  const std::string bytes = encode(s);
  return json::from_msgpack(bytes.begin(), bytes.end());
}
std::string bytesOf(const json& j) {
  const auto v = json::to_msgpack(j);
  return std::string(v.begin(), v.end());
}

}  // namespace

class TestEvmPartCodec : public QObject {
  Q_OBJECT

 private slots:
  void everyFieldRoundTrips() {
    const EvmVenueSnapshot s = sample();
    EvmVenueSnapshot back;
    Nanos published = 0;
    const std::string error = decodeEvmPart(encode(s), back, &published, 10);
    QVERIFY2(error.empty(), error.c_str());
    QCOMPARE(published, Nanos(1'700'000'000'999'000'000));
    QCOMPARE(encodeEvmBody(back), encodeEvmBody(s));  // every field made it (the mapping lists them all: static_assert)
    QCOMPARE(back.pools[0].reserve1, u256Max());
    QVERIFY(back.pools[0].lastTrade && back.pools[0].lastTrade->transactionHash == s.pools[0].lastTrade->transactionHash);
    QVERIFY(!back.pools[1].lastTrade);
    QCOMPARE(back.orders[0].feeWei, U256("21000000000000000"));
    QCOMPARE(back.state, VenueState::Degraded);
    QCOMPARE(back.chain.baseFeeHistoryGwei, s.chain.baseFeeHistoryGwei);
    // Nothing to show yet (no wallet key, no pools): also a valid part.
    EvmVenueSnapshot empty, into = sample();
    QVERIFY(decodeEvmPart(encode(empty), into).empty());
    QVERIFY(into.pools.empty() && into.walletAddress.empty());
  }

  void badMessagesGiveTheirReason() {
    const EvmVenueSnapshot good = sample();
    auto refused = [&](const std::string& bytes, const char* expected) {
      EvmVenueSnapshot into = good;
      const std::string error = decodeEvmPart(bytes, into, nullptr, 10);
      if (error.find(expected) == std::string::npos) qWarning("reason: %s", error.c_str());
      QVERIFY2(error.find(expected) != std::string::npos, expected);
      QVERIFY2(error.rfind("evm: ", 0) == 0, error.c_str());
      QCOMPARE(encodeEvmBody(into), encodeEvmBody(good));  // untouched
    };
    const std::string whole = encode(good);
    refused({}, "empty message");
    refused(whole.substr(0, whole.size() / 2), "malformed MessagePack");
    refused(bytesOf(json::array({1, 2})), "expected [version, publishedWall, body]");
    json j = asJson(good);
    j[0] = 99;
    refused(bytesOf(j), "wire format version 99 (this build reads 1)");
    j = asJson(good);
    j[1] = "now";
    refused(bytesOf(j), "header: expected");
    // An address the panel would cut wrongly.
    j = asJson(good);
    j[2][3] = "0x12";
    refused(bytesOf(j), "walletAddress: not an address");
    j = asJson(good);
    j[2][8][4][0][1] = "0xZZ86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    refused(bytesOf(j), "wallet.tokens[0].address: not an address");
    j = asJson(good);
    j[2][6][0][2] = "";
    refused(bytesOf(j), "pools[0].pair: not an address");
    // Wei amounts: QUANTITY text only, within 256 bits.
    j = asJson(good);
    j[2][6][0][3] = "0x1" + std::string(64, '0');
    refused(bytesOf(j), "reserve0: not a quantity");
    j = asJson(good);
    j[2][6][0][3] = 12;
    refused(bytesOf(j), "reserve0: expected a quantity (0x text), got an unsigned integer");
    j = asJson(good);
    j[2][7][0][8] = "0x01";
    refused(bytesOf(j), "amountIn: not a quantity");
    j = asJson(good);
    j[2][6][0][19][5] = "0xabc";
    refused(bytesOf(j), "transactionHash: not a 32-byte hash");
    // Decimals the panel could not format (it would throw in a display timer).
    j = asJson(good);
    j[2][6][0][22] = 37;
    refused(bytesOf(j), "pools[0].baseDecimals: 37 decimals (at most 36)");
    j = asJson(good);
    j[2][8][4][0][2] = 200;
    refused(bytesOf(j), "wallet.tokens[0].decimals: 200 decimals (at most 36)");
    // Instruments the attaching side does not list; a pool naming none.
    j = asJson(good);
    j[2][6][0][0] = 10;
    refused(bytesOf(j), "pools[0].instrument: instrument 10 is not known");
    j = asJson(good);
    j[2][7][0][1] = 4000;
    refused(bytesOf(j), "orders[0].instrument: instrument 4000 is not known");
    // Out-of-range enums and a history longer than the strip plots.
    j = asJson(good);
    j[2][1] = 9;
    refused(bytesOf(j), "enum value 9 out of range");
    j = asJson(good);
    j[2][9][6] = json::array();
    for (int i = 0; i < 61; ++i) j[2][9][6].push_back(1.0);
    refused(bytesOf(j), "chain.baseFeeHistoryGwei: 61 blocks (at most 60)");
    refused(std::string(kMaxPartBytes + 1, '\x90'), "bytes (at most");
  }
};

QTEST_MAIN(TestEvmPartCodec)
#include "tst_evm_part_codec.moc"
