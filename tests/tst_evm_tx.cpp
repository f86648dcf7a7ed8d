// The on-chain transaction lifecycle (venue/evm: NonceAllocator, FeeEstimator, TxTracker) against
// the real anvil with the real Uniswap V2 (kappa-exchange --chain --no-mining: blocks only when a
// test mines one, so every step is deterministic). Our transactions are signed with anvil's public
// dev key of funded account 1 (tests only) and sent raw; the test checks outcomes through its own
// independent JSON-RPC client (ChainProcess::rpc) where it matters: receipts, balances, blocks.
// The first functions test the pure parts (no chain).
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <memory>
#include <optional>
#include <vector>

#include "ChainProcess.hpp"
#include "ChainValues.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/FeeEstimator.hpp"
#include "venue/evm/Keccak.hpp"
#include "venue/evm/NonceAllocator.hpp"
#include "venue/evm/TxTracker.hpp"

using namespace kappa::evm;
using namespace kappa::test;
using json = nlohmann::json;

namespace {

const char* kDevKey2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const char* kSwapSig = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)";

U256 e18(std::uint64_t whole) { return U256(whole) * boost::multiprecision::pow(U256(10), 18); }
QString q(std::uint64_t v) { return QString::fromStdString(u256ToQuantity(U256(v))); }

// A copy: the test's event list is replaced at every take().
std::optional<TxEvent> findEvent(const std::vector<TxEvent>& events, TxEventType type, std::uint64_t orderId) {
  for (const TxEvent& e : events)
    if (e.type == type && e.orderId == orderId) return e;
  return std::nullopt;
}
QString describe(const std::vector<TxEvent>& events) {
  QStringList s;
  for (const TxEvent& e : events)
    s << QString("%1:%2 n%3 %4 %5").arg(e.orderId).arg(toString(e.type)).arg(e.nonce).arg(QString::fromStdString(e.hash.substr(0, 10)),
                                                                                        QString::fromStdString(e.reason));
  return s.join(" | ");
}

// A loopback HTTP relay in front of anvil that can lose the answer to the next
// eth_sendRawTransaction: it forwards the request (ForwardThenHangUp: the node has it) or not
// (HangUpWithoutForwarding: it never arrives), then closes the client's connection without an
// answer, as a network that fails after the request went out does. Every other request is relayed.
// Its own thread with blocking sockets (the code under test blocks the test's thread); each
// socket has a 5 s timeout, so nothing here can wait for ever.
class HangingRelay {
 public:
  enum class Mode { Relay, ForwardThenHangUp, HangUpWithoutForwarding };
  explicit HangingRelay(int upstreamPort) : upstream_(upstreamPort) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("relay: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~HangingRelay() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  void setMode(Mode m) { mode_ = m; }
  int hungUp() const { return hungUp_; }

 private:
  static void timeouts(int fd) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  static bool writeAll(int fd, const std::string& data) {
    for (std::size_t off = 0; off < data.size();) {
      const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += std::size_t(n);
    }
    return true;
  }
  // One HTTP request (headers, then Content-Length bytes); "" when the client is gone.
  static std::string readRequest(int fd, std::string& body) {
    std::string in;
    char buf[4096];
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      in.append(buf, std::size_t(n));
    }
    std::string lowerHead = in.substr(0, end);
    for (char& c : lowerHead) c = char(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t cl = lowerHead.find("content-length:");
    const std::size_t length = cl == std::string::npos ? 0 : std::stoul(lowerHead.substr(cl + 15));
    body = in.substr(end + 4);
    while (body.size() < length) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      body.append(buf, std::size_t(n));
    }
    return in.substr(0, end);
  }
  // The body to anvil on a fresh connection (Connection: close), the whole raw answer back.
  std::string forward(const std::string& body) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeouts(fd);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(std::uint16_t(upstream_));
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        writeAll(fd, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body)) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, std::size_t(n));
    }
    ::close(fd);
    return answer;
  }
  void run() {
    while (!stop_) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      timeouts(client);
      std::string body;
      while (!stop_ && !readRequest(client, body).empty()) {
        const Mode m = mode_;
        if (m != Mode::Relay && body.find("eth_sendRawTransaction") != std::string::npos) {
          if (m == Mode::ForwardThenHangUp) forward(body);
          mode_ = Mode::Relay;
          ++hungUp_;
          break;  // no answer: the connection just closes
        }
        const std::string answer = forward(body);
        if (answer.empty() || !writeAll(client, answer)) break;
        break;  // anvil's answer says "connection: close": the client opens a new one
      }
      ::close(client);
    }
  }

  int upstream_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::Relay};
  std::atomic<int> hungUp_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

class TestEvmTx : public QObject {
  Q_OBJECT

  ChainProcess chain_;
  std::unique_ptr<EthRpc> rpc_;
  std::unique_ptr<Secp256k1Signer> signer_;
  std::unique_ptr<NonceAllocator> nonces_;
  std::unique_ptr<FeeEstimator> fees_;
  std::unique_ptr<TxTracker> tracker_;
  std::vector<TxEvent> events_;
  Address me_{}, router_{}, usdc_{}, weth_{};
  QString pair_;
  bool usdcIs0_ = false;
  std::uint64_t nextOrder_ = 100;

  std::vector<TxEvent> take() { return std::exchange(events_, {}); }

  void mine() {
    QString e;
    chain_.rpc("evm_mine", {}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  void poll(bool force = false) {
    std::string error;
    QVERIFY2(tracker_->poll(error, force), error.c_str());
  }
  QJsonObject receipt(const std::string& hash) { return chain_.rpc("eth_getTransactionReceipt", {QString::fromStdString(hash)}).toObject(); }
  std::uint64_t latestNonce() { return hex64(chain_.rpc("eth_getTransactionCount", {QString::fromStdString(toLowerHexAddress(me_)), "latest"})); }
  U256 balance(const Address& token, const Address& who, const QString& block = "latest") {
    const Bytes data = abi::encodeCall("balanceOf(address)", {abi::Value::address(who)});
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", QString::fromStdString(toLowerHexAddress(token))},
                                                             {"data", QString::fromStdString(toHex(data))}}, block});
    return abi::decodeUint256(fromHex(r.toString().toStdString()));
  }
  U256 amountOut(const U256& in) {
    const Bytes data = abi::encodeCall("getAmountsOut(uint256,address[])", {abi::Value::uint256(in), abi::Value::addressArray({usdc_, weth_})});
    const json r = rpc_->require("eth_call", json::array({json{{"to", toLowerHexAddress(router_)}, {"data", toHex(data)}}, "latest"}));
    return abi::decodeUint256Array(fromHex(r.get<std::string>())).at(1);
  }
  Bytes swapData(const U256& in, const U256& minOut, const Address& to) {
    return abi::encodeCall(kSwapSig, {abi::Value::uint256(in), abi::Value::uint256(minOut), abi::Value::addressArray({usdc_, weth_}),
                                      abi::Value::address(to), abi::Value::uint256(U256(4'000'000'000ull))});
  }
  // A USDC -> WETH swap of ours, estimated and priced as the venue would.
  TxRequest swapRequest(const U256& in, const U256& minOut) {
    TxRequest r;
    r.orderId = ++nextOrder_;
    r.to = router_;
    r.data = swapData(in, minOut, me_);
    const GasEstimate g = fees_->estimateGas(me_, router_, 0, r.data);
    if (!g.ok()) throw std::runtime_error("estimate: " + g.error + g.revertReason);
    r.gasLimit = g.gasLimit;
    std::string error;
    const auto quote = fees_->quote(error);
    if (!quote) throw std::runtime_error(error);
    r.fees = *quote;
    return r;
  }
  TxRequest transferRequest(const U256& value) {
    TxRequest r;
    r.orderId = ++nextOrder_;
    r.to = me_;
    r.value = value;
    r.gasLimit = 21000;
    std::string error;
    r.fees = *fees_->quote(error);
    return r;
  }
  // From an unlocked dev account (the other trader): approve, swap.
  QString sendFrom(const QString& from, const Address& to, const Bytes& data, QJsonObject extra = {}) {
    extra["from"] = from;
    extra["to"] = QString::fromStdString(toLowerHexAddress(to));
    extra["data"] = QString::fromStdString(toHex(data));
    if (!extra.contains("gas")) extra["gas"] = "0x493e0";
    QString e;
    const QString hash = chain_.rpc("eth_sendTransaction", {extra}, &e).toString();
    if (!e.isEmpty()) throw std::runtime_error(e.toStdString());
    return hash;
  }
  void newTracker(TxTrackerConfig config = {}) {
    config.confirmations = 2;
    config.finalConfirmations = 3;
    tracker_ = std::make_unique<TxTracker>(*rpc_, *signer_, U256(31337), *nonces_, *fees_, config,
                                           [this](const TxEvent& e) { events_.push_back(e); });
  }

 private slots:
  // ---- pure parts ----------------------------------------------------------------------------

  void feesFromHistoryAndBumps() {
    FeeConfig c;
    c.baseFeeMultiplierPermille = 2000;
    const json history = json::parse(R"({"oldestBlock":"0x10","baseFeePerGas":["0x3b9aca00","0x3b9aca00","0x77359400"],
        "gasUsedRatio":[0.5,1.0],"reward":[["0x5f5e100"],["0x0"]]})");
    const FeeQuote f = feesFromHistory(history, c, gwei(7));
    QCOMPARE(f.baseFeeNext, gwei(2));              // the last entry: the next block's
    QCOMPARE(f.maxPriorityFeePerGas, U256(100'000'000));  // the block that paid a tip (0.1 gwei)
    QCOMPARE(f.maxFeePerGas, gwei(4) + 100'000'000);
    // No block paid a tip: the fallback (eth_maxPriorityFeePerGas), floored by minPriorityFee.
    const json empty = json::parse(R"({"baseFeePerGas":["0x1","0x64"],"reward":[["0x0"]]})");
    QCOMPARE(feesFromHistory(empty, c, gwei(1)).maxPriorityFeePerGas, gwei(1));
    c.minPriorityFee = gwei(3);
    QCOMPARE(feesFromHistory(empty, c, gwei(1)).maxPriorityFeePerGas, gwei(3));
    QVERIFY_THROWS_EXCEPTION(EvmError, feesFromHistory(json::parse(R"({"reward":[]})"), c, 0));
    QVERIFY_THROWS_EXCEPTION(EvmError, feesFromHistory(json::parse(R"({"baseFeePerGas":["12"]})"), c, 0));

    // Without eth_feeHistory: the latest base fee +12.5 % as the next one's.
    const FeeQuote fromBlock = feesFromLatestBlock(gwei(8), gwei(1), FeeConfig{});
    QCOMPARE(fromBlock.baseFeeNext, gwei(9));
    QCOMPARE(fromBlock.maxFeePerGas, gwei(19));

    QCOMPARE(gasWithMargin(92736, 1250), std::uint64_t(115920));
    QCOMPARE(gasWithMargin(3, 1250), std::uint64_t(4));  // rounded up
    QCOMPARE(gasWithMargin(21000, 900), std::uint64_t(21000));  // never below the estimate

    FeeQuote old{0, gwei(1), gwei(10)};
    FeeQuote fresh{gwei(1), gwei(1), gwei(3)};
    FeeQuote b = bumpFees(old, fresh, 1125);
    QCOMPARE(b.maxFeePerGas, U256(11'250'000'000ull));
    QCOMPARE(b.maxPriorityFeePerGas, U256(1'125'000'000ull));
    fresh.maxFeePerGas = gwei(50);  // the market moved: the fresh quote wins
    QCOMPARE(bumpFees(old, fresh, 1125).maxFeePerGas, gwei(50));
    QCOMPARE(bumpFees(FeeQuote{0, 1, 1}, FeeQuote{}, 1125).maxFeePerGas, U256(2));  // +1 wei at least

    QVERIFY(checkFeeCap(gwei(100), gwei(200)).empty());
    QVERIFY(checkFeeCap(gwei(100), 0).empty());
    QCOMPARE(QString::fromStdString(checkFeeCap(gwei(250) + 500'000'000, gwei(200))), QString("maxFeePerGas 250.5 gwei above the cap 200 gwei"));
  }

  void nonceReconciliation() {
    NonceAllocator a(Address{});
    QVERIFY(!a.allocate());  // not synced: nothing handed out
    auto r = a.reconcile(5, 5);
    QVERIFY(r.gaps.empty());
    QCOMPARE(*a.allocate(), std::uint64_t(5));
    QCOMPARE(*a.allocate(), std::uint64_t(6));
    QCOMPARE(*a.allocate(), std::uint64_t(7));
    a.markSent(5, "0xa");
    a.markSent(7, "0xc");
    a.release(6);  // never sent: a gap below 7
    r = a.reconcile(5, 6);  // the pool holds 5 (7 waits behind the gap)
    QCOMPARE(r.gaps, std::vector<std::uint64_t>{6});
    // 7 waits behind the gap: the counts cannot tell "queued" from "lost", so it is reported (the
    // tracker asks the node by hash before resending anything).
    QCOMPARE(r.unknownToNode, std::vector<std::uint64_t>{7});
    QCOMPARE(*a.allocate(), std::uint64_t(6));  // the gap first
    QCOMPARE(*a.allocate(), std::uint64_t(8));
    a.release(8);  // the highest: simply the next one again
    QCOMPARE(a.nextNew(), std::uint64_t(8));
    a.markSent(6, "0xb");
    // 5 mined; the node lost 6 and 7 (a restart of the node): resend them, never skip.
    r = a.reconcile(6, 6);
    QCOMPARE(r.nowIncluded, std::vector<std::uint64_t>{5});
    QCOMPARE(r.unknownToNode, (std::vector<std::uint64_t>{6, 7}));
    QCOMPARE(a.nextNew(), std::uint64_t(8));
    // A reorg takes 5 back out of the chain.
    r = a.reconcile(5, 8);
    QCOMPARE(r.reverted, std::vector<std::uint64_t>{5});
    // Someone else with our key used 8 and 9.
    r = a.reconcile(5, 10);
    QCOMPARE(r.externalNonces, std::uint64_t(2));
    QCOMPARE(*a.allocate(), std::uint64_t(10));

    // Restore: reserved-only entries become gaps, sent ones stay held.
    NonceAllocator b(Address{});
    b.restore({{3, "0x3", NonceState::Sent}, {4, "", NonceState::Reserved}, {5, "0x5", NonceState::Sent}});
    QVERIFY(!b.allocate());
    r = b.reconcile(3, 4);
    QCOMPARE(r.gaps, std::vector<std::uint64_t>{4});
    QCOMPARE(r.unknownToNode, std::vector<std::uint64_t>{5});
    QCOMPARE(*b.allocate(), std::uint64_t(4));
    QCOMPARE(*b.allocate(), std::uint64_t(6));
  }

  // ---- against anvil ---------------------------------------------------------------------------

  void initTestCase() {
    ChainOptions o;
    o.mining = ChainOptions::Mining::Manual;
    const QString error = chain_.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    std::string e;
    rpc_ = EthRpc::open(chain_.url().toStdString(), e);
    QVERIFY2(rpc_, e.c_str());
    signer_ = std::make_unique<Secp256k1Signer>(PrivateKey::fromHex(kDevKey1));
    me_ = signer_->address();
    QCOMPARE(QString::fromStdString(toLowerHexAddress(me_)), chain_.fundedAccount(0));
    QCOMPARE(QString::fromStdString(toLowerHexAddress(Secp256k1Signer(PrivateKey::fromHex(kDevKey2)).address())), chain_.fundedAccount(1));
    router_ = parseAddress(chain_.router().toStdString());
    usdc_ = parseAddress(chain_.token("USDC").toStdString());
    weth_ = parseAddress(chain_.token("WETH").toStdString());
    const QJsonObject pool = chain_.pool("WETH/USDC");
    pair_ = pool["address"].toString();
    usdcIs0_ = pool["token0"].toString() == chain_.token("USDC");
    // Both traders let the Router take their USDC (unlocked dev accounts, before our allocator looks).
    const Bytes approve = abi::encodeCall("approve(address,uint256)", {abi::Value::address(router_), abi::Value::uint256(u256Max())});
    QStringList approvals;
    for (int i : {0, 1}) approvals << sendFrom(chain_.fundedAccount(i), usdc_, approve);
    mine();
    for (const QString& h : approvals) QCOMPARE(receipt(h.toStdString())["status"].toString(), QString("0x1"));

    nonces_ = std::make_unique<NonceAllocator>(me_);
    QVERIFY(nonces_->refresh(*rpc_, e));
    QCOMPARE(nonces_->nextNew(), latestNonce());
    fees_ = std::make_unique<FeeEstimator>(*rpc_);
    newTracker();
    poll();
  }

  void cleanupTestCase() { chain_.stop(); }

  // A swap signed here, through the Router: pending -> included (amounts = the Router's
  // getAmountsOut, fee = gasUsed * effectiveGasPrice, both as the chain's receipt says) ->
  // confirmed at 2 blocks -> final at 3, and its nonce leaves the allocator.
  void swapGoesToFinal() {
    const U256 in = e18(3000);
    const U256 expected = amountOut(in);
    const U256 wethBefore = balance(weth_, me_);
    const TxRequest req = swapRequest(in, expected);
    QVERIFY(req.gasLimit > 90000 && req.gasLimit < 200000);
    const auto nonce = tracker_->submit(req);
    auto ev = take();
    QVERIFY2(nonce, qPrintable(describe(ev)));
    const std::optional<TxEvent> pending = findEvent(ev, TxEventType::Pending, req.orderId);
    QVERIFY(pending);
    QCOMPARE(pending->maxFeePerGas, req.fees.maxFeePerGas);
    QCOMPARE(nonces_->find(*nonce)->state, NonceState::Sent);

    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> inc = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(inc, qPrintable(describe(ev)));
    QCOMPARE(inc->hash, pending->hash);
    QCOMPARE(inc->confirmations, std::uint64_t(1));
    QVERIFY(!findEvent(ev, TxEventType::Confirmed, req.orderId));
    const QJsonObject r = receipt(inc->hash);
    QCOMPARE(r["status"].toString(), QString("0x1"));
    QCOMPARE(inc->gasUsed, hex64(r["gasUsed"]));
    QCOMPARE(inc->effectiveGasPrice, hexq(r["effectiveGasPrice"]));
    QCOMPARE(inc->feeWei, U256(inc->gasUsed) * inc->effectiveGasPrice);
    QVERIFY(inc->feeWei > 0);
    QCOMPARE(QString::fromStdString(inc->blockHash), r["blockHash"].toString());
    // The pair's Swap log in the event carries the Router's quoted amounts.
    const Hash32 swapTopic = keccak256(std::string_view("Swap(address,uint256,uint256,uint256,uint256,address)"));
    bool seen = false;
    for (const TxLog& log : inc->logs) {
      if (QString::fromStdString(toLowerHexAddress(log.address)) != pair_ || log.topics.empty() || log.topics[0] != swapTopic) continue;
      QCOMPARE(abi::decodeUint256(log.data, usdcIs0_ ? 0 : 1), in);
      QCOMPARE(abi::decodeUint256(log.data, usdcIs0_ ? 3 : 2), expected);
      seen = true;
    }
    QVERIFY(seen);
    QCOMPARE(balance(weth_, me_) - wethBefore, expected);

    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> conf = findEvent(ev, TxEventType::Confirmed, req.orderId);
    QVERIFY2(conf, qPrintable(describe(ev)));
    QCOMPARE(conf->confirmations, std::uint64_t(2));
    QVERIFY(!findEvent(ev, TxEventType::Final, req.orderId));
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> fin = findEvent(ev, TxEventType::Final, req.orderId);
    QVERIFY2(fin, qPrintable(describe(ev)));
    QCOMPARE(fin->confirmations, std::uint64_t(3));
    QVERIFY(!tracker_->find(req.orderId));
    QVERIFY(!nonces_->find(*nonce));
    QVERIFY(nonces_->inFlight().empty());
    QCOMPARE(latestNonce(), *nonce + 1);
  }

  // A swap whose estimate reverts is refused before anything is signed, with the Router's reason;
  // the fee cap refuses too; neither uses a nonce.
  void refusedBeforeSigning() {
    const U256 in = e18(1000);
    const GasEstimate g = fees_->estimateGas(me_, router_, 0, swapData(in, amountOut(in) + 1, me_));
    QVERIFY(!g.ok());
    QCOMPARE(QString::fromStdString(g.revertReason), QString("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"));
    QVERIFY(g.error.empty());

    const std::uint64_t next = nonces_->nextNew();
    FeeConfig capped = fees_->config();
    capped.maxFeeCap = 1;  // 1 wei
    fees_->setConfig(capped);
    TxRequest req = transferRequest(1);
    QVERIFY(!tracker_->submit(req));
    auto ev = take();
    std::optional<TxEvent> rej = findEvent(ev, TxEventType::Rejected, req.orderId);
    QVERIFY2(rej && rej->notSent && rej->reason.find("above the cap") != std::string::npos, qPrintable(describe(ev)));
    capped.maxFeeCap = 0;
    fees_->setConfig(capped);
    QCOMPARE(nonces_->nextNew(), next);
    // The node's own refusal (a fee below the next base fee): rejected, nonce given back.
    req = transferRequest(1);
    req.fees.maxFeePerGas = 1;
    req.fees.maxPriorityFeePerGas = 1;
    QVERIFY(!tracker_->submit(req));
    ev = take();
    rej = findEvent(ev, TxEventType::Rejected, req.orderId);
    QVERIFY2(rej && rej->notSent && rej->reason.find("base fee") != std::string::npos, qPrintable(describe(ev)));
    QCOMPARE(nonces_->nextNew(), next);
    QVERIFY(nonces_->inFlight().empty());
  }

  // Slippage: another trader's swap lands first in the same block, so ours (its minimum out the
  // price before) reverts on chain: rejected with the Router's reason, gas still charged.
  void slippageRevertIsRejectedWithReason() {
    const U256 in = e18(20000);
    const TxRequest req = swapRequest(in, amountOut(in));
    const QString other = chain_.fundedAccount(1);
    // The other trader pays a far higher tip: anvil orders the block by tip.
    const QString frontRun = sendFrom(other, router_, swapData(e18(50000), 0, parseAddress(other.toStdString())),
                                      {{"maxPriorityFeePerGas", QString::fromStdString(u256ToQuantity(gwei(50)))},
                                       {"maxFeePerGas", QString::fromStdString(u256ToQuantity(gwei(100)))}});
    QVERIFY(tracker_->submit(req));
    const std::string ours = take().at(0).hash;
    mine();
    poll();
    auto ev = take();
    const std::optional<TxEvent> rej = findEvent(ev, TxEventType::Rejected, req.orderId);
    QVERIFY2(rej, qPrintable(describe(ev)));
    QVERIFY(!rej->notSent);
    QCOMPARE(QString::fromStdString(rej->reason), QString("UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"));
    const QJsonObject r = receipt(ours);
    QCOMPARE(r["status"].toString(), QString("0x0"));
    QCOMPARE(receipt(frontRun.toStdString())["blockNumber"].toString(), r["blockNumber"].toString());
    QVERIFY(hex64(receipt(frontRun.toStdString())["transactionIndex"]) < hex64(r["transactionIndex"]));
    QCOMPARE(rej->gasUsed, hex64(r["gasUsed"]));
    QVERIFY(rej->feeWei > 0);
    QCOMPARE(rej->feeWei, U256(rej->gasUsed) * hexq(r["effectiveGasPrice"]));
    // Its nonce is used all the same: confirmed and final like any included transaction.
    mine();
    mine();
    poll();
    ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Final, req.orderId), qPrintable(describe(ev)));
    QVERIFY(nonces_->inFlight().empty());
  }

  // Underpriced: another transaction of our key already sits at our nonce with higher fees (a
  // second instance, a wallet): our +12.5 % replacement is refused with -32003 "replacement
  // transaction underpriced" and raised again until accepted; only the final one is mined.
  void replacementRaisesAgainWhenUnderpriced() {
    FeeConfig c = fees_->config();
    const FeeConfig saved = c;
    c.baseFeeMultiplierPermille = 1000;  // fresh quotes stay below the competitor's fees
    fees_->setConfig(c);
    const TxRequest req = transferRequest(1);
    const auto nonce = tracker_->submit(req);
    QVERIFY(nonce);
    const std::string original = take().at(0).hash;
    // The competitor: +20 % on both fees, same nonce, same key.
    Eip1559Transaction other;
    other.chainId = 31337;
    other.nonce = *nonce;
    other.to = me_;
    other.value = 2;
    other.gasLimit = 21000;
    other.maxFeePerGas = req.fees.maxFeePerGas * 6 / 5;
    other.maxPriorityFeePerGas = req.fees.maxPriorityFeePerGas * 6 / 5;
    other.sign(*signer_);
    QString e;
    chain_.rpc("eth_sendRawTransaction", {QString::fromStdString(toHex(other.encodeSigned()))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));

    std::string reason;
    QVERIFY2(tracker_->replace(req.orderId, reason), reason.c_str());
    auto ev = take();
    const std::optional<TxEvent> rep = findEvent(ev, TxEventType::Replaced, req.orderId);
    QVERIFY2(rep, qPrintable(describe(ev)));
    QCOMPARE(rep->previousHash, original);
    QVERIFY(rep->maxFeePerGas > other.maxFeePerGas);  // 1.125^2 > 1.2: the second raise
    const auto raise = [](const U256& v) { return (v * 1125 + 999) / 1000; };
    QVERIFY(raise(req.fees.maxFeePerGas) < other.maxFeePerGas);  // so the first raise was refused
    QCOMPARE(rep->maxFeePerGas, raise(raise(req.fees.maxFeePerGas)));
    fees_->setConfig(saved);
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> inc = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(inc, qPrintable(describe(ev)));
    QCOMPARE(inc->hash, rep->hash);
    QVERIFY(receipt(toHex(other.transactionHash())).isEmpty());
    QVERIFY(receipt(original).isEmpty());
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
  }

  // Stuck: the next block's base fee is raised above our maxFee before any block is mined (anvil
  // would drop ours at that block). The tracker sees it at the same head (fee history), replaces
  // it with fees over the new base fee, and the replacement is what the block includes.
  void stuckBelowBaseFeeIsReplaced() {
    TxTrackerConfig config;
    config.autoReplace = true;
    newTracker(config);
    poll(true);
    const TxRequest req = transferRequest(1);
    const auto nonce = tracker_->submit(req);
    QVERIFY(nonce);
    const std::string original = take().at(0).hash;
    QVERIFY(req.fees.maxFeePerGas < gwei(100));
    QString e;
    chain_.rpc("anvil_setNextBlockBaseFeePerGas", {QString::fromStdString(u256ToQuantity(gwei(100)))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    poll(true);  // the same head, checked again
    auto ev = take();
    const std::optional<TxEvent> stuck = findEvent(ev, TxEventType::Stuck, req.orderId);
    QVERIFY2(stuck && stuck->reason.find("below the next block's base fee 100 gwei") != std::string::npos, qPrintable(describe(ev)));
    const std::optional<TxEvent> rep = findEvent(ev, TxEventType::Replaced, req.orderId);
    QVERIFY2(rep, qPrintable(describe(ev)));
    QCOMPARE(rep->previousHash, original);
    QVERIFY(rep->maxFeePerGas >= gwei(200));  // 100 gwei x2 + tip
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> inc = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(inc, qPrintable(describe(ev)));
    QCOMPARE(inc->hash, rep->hash);
    QVERIFY(inc->effectiveGasPrice >= gwei(100));
    QVERIFY(receipt(original).isEmpty());
    // Back to a cheap base fee for the next tests.
    chain_.rpc("anvil_setNextBlockBaseFeePerGas", {"0x3b9aca00"}, &e);
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
    newTracker();
    poll(true);
  }

  // Stuck, but the replacement would pass the fee cap: reported, not replaced; anvil drops it at
  // the next block, the resend is refused (fees too low) and re-pricing is capped again: rejected,
  // never included, and its nonce is given back (the next order takes it: no gap).
  void stuckButCappedEndsRejected() {
    TxTrackerConfig config;
    config.autoReplace = true;
    newTracker(config);
    poll(true);
    const FeeConfig saved = fees_->config();
    FeeConfig capped = saved;
    capped.maxFeeCap = gwei(150);
    fees_->setConfig(capped);
    const TxRequest req = transferRequest(1);
    const auto nonce = tracker_->submit(req);
    QVERIFY(nonce);
    take();
    QString e;
    chain_.rpc("anvil_setNextBlockBaseFeePerGas", {QString::fromStdString(u256ToQuantity(gwei(200)))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    poll(true);
    auto ev = take();
    QVERIFY2(!findEvent(ev, TxEventType::Replaced, req.orderId), qPrintable(describe(ev)));
    bool capReported = false;
    for (const TxEvent& x : ev)
      capReported = capReported || (x.type == TxEventType::Stuck && x.reason.find("not replaced: replacement maxFeePerGas") != std::string::npos &&
                                    x.reason.find("above the cap 150 gwei") != std::string::npos);
    QVERIFY2(capReported, qPrintable(describe(ev)));
    mine();  // the 200 gwei block: anvil drops ours
    poll();
    ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Dropped, req.orderId), qPrintable(describe(ev)));
    const std::optional<TxEvent> rej = findEvent(ev, TxEventType::Rejected, req.orderId);
    QVERIFY2(rej && rej->notSent && rej->reason.find("above the cap") != std::string::npos, qPrintable(describe(ev)));
    QVERIFY(!tracker_->find(req.orderId));
    QVERIFY(!nonces_->find(*nonce));
    QCOMPARE(latestNonce(), *nonce);
    fees_->setConfig(saved);
    chain_.rpc("anvil_setNextBlockBaseFeePerGas", {"0x3b9aca00"}, &e);
    mine();
    poll();
    const TxRequest next = transferRequest(1);
    QCOMPARE(*tracker_->submit(next), *nonce);
    take();
    mine();
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, next.orderId));
    newTracker();
    poll(true);
  }

  // Not included within K blocks: anvil mines everything it can, so a transaction waits only
  // behind a nonce gap. Ours at n+1 waits while n is held back (signed, not sent): stuck after
  // K blocks and replaced; once n arrives both are mined.
  void stuckAfterKBlocks() {
    TxTrackerConfig config;
    config.autoReplace = true;
    config.stuckBlocks = 2;
    newTracker(config);
    poll(true);
    // Nonce n: reserved by the allocator and never sent (yet).
    const auto held = nonces_->allocate();
    QVERIFY(held);
    const TxRequest req = transferRequest(1);
    const auto nonce = tracker_->submit(req);
    QCOMPARE(*nonce, *held + 1);
    take();
    mine();
    poll();
    auto ev = take();
    QVERIFY2(!findEvent(ev, TxEventType::Stuck, req.orderId), qPrintable(describe(ev)));
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> stuck = findEvent(ev, TxEventType::Stuck, req.orderId);
    QVERIFY2(stuck && stuck->reason.find("not included within 2 blocks") != std::string::npos, qPrintable(describe(ev)));
    const std::optional<TxEvent> rep = findEvent(ev, TxEventType::Replaced, req.orderId);
    QVERIFY2(rep, qPrintable(describe(ev)));
    // The held nonce is sent now (by hand: a zero-value transfer at n).
    Eip1559Transaction filler;
    filler.chainId = 31337;
    filler.nonce = *held;
    filler.to = me_;
    filler.gasLimit = 21000;
    filler.maxFeePerGas = req.fees.maxFeePerGas * 2;
    filler.maxPriorityFeePerGas = req.fees.maxPriorityFeePerGas;
    filler.sign(*signer_);
    QString e;
    chain_.rpc("eth_sendRawTransaction", {QString::fromStdString(toHex(filler.encodeSigned()))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    nonces_->markSent(*held, toHex(filler.transactionHash()));
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> inc = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(inc, qPrintable(describe(ev)));
    QCOMPARE(inc->hash, rep->hash);
    nonces_->forget(*held);
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
    newTracker();
    poll(true);
  }

  // Cancel: a zero-value self-transfer at the swap's nonce with raised fees; the block includes
  // the cancel, the swap never runs (no USDC spent), its 21,000 gas is the fee.
  void cancelBySelfTransfer() {
    const U256 usdcBefore = balance(usdc_, me_);
    const TxRequest req = swapRequest(e18(1000), 0);
    QVERIFY(tracker_->submit(req));
    const std::string original = take().at(0).hash;
    std::string reason;
    QVERIFY2(tracker_->cancel(req.orderId, reason), reason.c_str());
    auto ev = take();
    const std::optional<TxEvent> rep = findEvent(ev, TxEventType::Replaced, req.orderId);
    QVERIFY2(rep && rep->cancel && rep->previousHash == original, qPrintable(describe(ev)));
    QVERIFY(rep->maxFeePerGas >= (req.fees.maxFeePerGas * 1125 + 999) / 1000);
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> can = findEvent(ev, TxEventType::Cancelled, req.orderId);
    QVERIFY2(can, qPrintable(describe(ev)));
    QCOMPARE(can->hash, rep->hash);
    QCOMPARE(can->gasUsed, std::uint64_t(21000));
    QCOMPARE(can->feeWei, U256(21000) * can->effectiveGasPrice);
    QVERIFY(!findEvent(ev, TxEventType::Included, req.orderId));
    QCOMPARE(balance(usdc_, me_), usdcBefore);
    QVERIFY(receipt(original).isEmpty());
    const QJsonObject tx = chain_.rpc("eth_getTransactionByHash", {QString::fromStdString(can->hash)}).toObject();
    QCOMPARE(tx["to"].toString(), QString::fromStdString(toLowerHexAddress(me_)));
    QCOMPARE(tx["value"].toString(), QString("0x0"));
    // A cancel of something already included is refused.
    mine();
    poll();
    QVERIFY(!tracker_->cancel(req.orderId, reason));
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
  }

  // Replacing what the chain already included (before the tracker saw the block): the node says
  // "nonce too low", the replacement is refused with that reason, and the inclusion is reported.
  void replaceAfterInclusionIsRefused() {
    const TxRequest req = transferRequest(7);
    QVERIFY(tracker_->submit(req));
    take();
    mine();
    std::string reason;
    QVERIFY(!tracker_->replace(req.orderId, reason));
    QVERIFY2(reason.find("already used") != std::string::npos, reason.c_str());
    QVERIFY(!tracker_->cancel(req.orderId, reason));
    poll();
    auto ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Included, req.orderId), qPrintable(describe(ev)));
    QVERIFY(!findEvent(ev, TxEventType::Replaced, req.orderId));
    QVERIFY(!tracker_->replace(999999, reason));
    QVERIFY2(reason.find("no transaction in flight") != std::string::npos, reason.c_str());
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
  }

  // Another sender with our key takes our nonce (it replaces ours in the pool and is mined): ours
  // has no receipt and its nonce is used: said at once, dropped (ended) with that reason once it
  // still holds `confirmations` blocks later (a node may not serve our receipt yet), the nonce then
  // leaves the allocator.
  void nonceTakenByAnotherSender() {
    const TxRequest req = transferRequest(8);
    const auto nonce = tracker_->submit(req);
    QVERIFY(nonce);
    take();
    Eip1559Transaction other;
    other.chainId = 31337;
    other.nonce = *nonce;
    other.to = me_;
    other.value = 9;
    other.gasLimit = 21000;
    other.maxFeePerGas = req.fees.maxFeePerGas * 2;
    other.maxPriorityFeePerGas = req.fees.maxPriorityFeePerGas * 2;
    other.sign(*signer_);
    QString e;
    chain_.rpc("eth_sendRawTransaction", {QString::fromStdString(toHex(other.encodeSigned()))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    mine();
    poll();
    auto ev = take();
    const std::optional<TxEvent> said = findEvent(ev, TxEventType::Dropped, req.orderId);
    QVERIFY2(said && said->reason.find("did not send: ended if still so in 2 block(s)") != std::string::npos && !said->ended,
             qPrintable(describe(ev)));
    QVERIFY(tracker_->find(req.orderId));
    mine();
    poll();
    QVERIFY(!findEvent(take(), TxEventType::Dropped, req.orderId));  // said once; 1 block of 2
    QVERIFY(tracker_->find(req.orderId));
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> dropped = findEvent(ev, TxEventType::Dropped, req.orderId);
    QVERIFY2(dropped && dropped->reason.find("did not send") != std::string::npos && dropped->ended, qPrintable(describe(ev)));
    QVERIFY(!findEvent(ev, TxEventType::Included, req.orderId));
    QVERIFY(!tracker_->find(req.orderId));
    QVERIFY(!nonces_->find(*nonce));
    QCOMPARE(receipt(toHex(other.transactionHash()))["status"].toString(), QString("0x1"));
    // The next order takes the next nonce.
    const TxRequest next = transferRequest(1);
    QCOMPARE(*tracker_->submit(next), *nonce + 1);
    take();
    mine();
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, next.orderId));
  }

  // Journal records that cannot be right are refused with a clear error, nothing half-restored.
  void restoreRefusesBadRecords() {
    NonceAllocator spare(me_);
    TxTracker t(*rpc_, *signer_, U256(31337), spare, *fees_);
    TxRecord r;
    r.orderId = 1;
    r.nonce = 3;
    QVERIFY_THROWS_EXCEPTION(EvmError, t.restore({r}));  // no transaction
    r.attempts.push_back({"0x1234", "0x00", false, 0});
    QVERIFY_THROWS_EXCEPTION(EvmError, t.restore({r}));  // not a signed type-2 transaction
    Eip1559Transaction tx;
    tx.chainId = 31337;
    tx.nonce = 4;
    tx.to = me_;
    tx.gasLimit = 21000;
    tx.sign(*signer_);
    r.attempts = {{toHex(tx.encodeSigned()), toHex(tx.transactionHash()), false, 0}};
    QVERIFY_THROWS_EXCEPTION(EvmError, t.restore({r}));  // nonce 3 in the record, 4 in the transaction
    QVERIFY(t.records().empty());
    TxRecord good = r;
    good.nonce = 4;
    TxRecord wrongHash = good;
    wrongHash.orderId = 2;
    wrongHash.attempts[0].hash = "0x" + std::string(64, '1');
    QVERIFY_THROWS_EXCEPTION(EvmError, t.restore({good, wrongHash}));  // the good one is not kept either
    QVERIFY(t.records().empty());
    QVERIFY(spare.inFlight().empty());
    r.nonce = 4;
    r.state = TxState::Final;  // finished ones are not followed again
    t.restore({r});
    QVERIFY(t.records().empty());
  }

  // eth_sendRawTransaction without an answer (the connection closes after the request went
  // out): followed as "may have been sent", never re-signed at another nonce. When the node got
  // it, the block includes it; when it did not, the tracker finds it unknown and sends the same
  // bytes again. One transaction per nonce either way.
  void maybeSentIsFollowedNotDuplicated() {
    HangingRelay relay(chain_.port());
    std::string error;
    EthRpcOptions options;
    options.timeout = std::chrono::seconds(5);
    auto rpc = EthRpc::open("http://127.0.0.1:" + std::to_string(relay.port()), error, options);
    QVERIFY2(rpc, error.c_str());
    // Another instance of the venue with the same key (ours is idle now: everything is final).
    QVERIFY(tracker_->records().empty());
    NonceAllocator nonces(me_);
    QVERIFY2(nonces.refresh(*rpc, error), error.c_str());
    FeeEstimator fees(*rpc);
    std::vector<TxEvent> events;
    TxTrackerConfig config;
    config.confirmations = 1;
    config.finalConfirmations = 1;
    TxTracker tracker(*rpc, *signer_, U256(31337), nonces, fees, config, [&](const TxEvent& e) { events.push_back(e); });
    QVERIFY2(tracker.poll(error), error.c_str());
    const std::uint64_t before = latestNonce();

    for (const auto mode : {HangingRelay::Mode::ForwardThenHangUp, HangingRelay::Mode::HangUpWithoutForwarding}) {
      const bool arrives = mode == HangingRelay::Mode::ForwardThenHangUp;
      relay.setMode(mode);
      const int hungUp = relay.hungUp();
      TxRequest req = transferRequest(11);
      const auto nonce = tracker.submit(req);
      QVERIFY2(nonce, qPrintable(describe(events)));
      QCOMPARE(relay.hungUp(), hungUp + 1);
      std::optional<TxEvent> pending = findEvent(events, TxEventType::Pending, req.orderId);
      QVERIFY2(pending && pending->reason.find("may have been sent") != std::string::npos, qPrintable(describe(events)));
      QCOMPARE(chain_.rpc("txpool_status").toObject()["pending"].toString(), QString(arrives ? "0x1" : "0x0"));
      events.clear();
      if (!arrives) {
        QVERIFY2(tracker.poll(error, true), error.c_str());  // the same head, checked again
        QVERIFY2(findEvent(events, TxEventType::Dropped, req.orderId), qPrintable(describe(events)));
        QCOMPARE(chain_.rpc("txpool_status").toObject()["pending"].toString(), QString("0x1"));
      }
      mine();
      QVERIFY2(tracker.poll(error), error.c_str());
      const std::optional<TxEvent> inc = findEvent(events, TxEventType::Included, req.orderId);
      QVERIFY2(inc && inc->hash == pending->hash, qPrintable(describe(events)));
      QVERIFY2(findEvent(events, TxEventType::Final, req.orderId), qPrintable(describe(events)));
      events.clear();
      const QJsonArray txs = chain_.rpc("eth_getBlockByNumber", {"latest", false}).toObject()["transactions"].toArray();
      QCOMPARE(txs.size(), 1);
    }
    QCOMPARE(latestNonce(), before + 2);
    QVERIFY(nonces.inFlight().empty());
    // The test's own allocator learns of the two nonces used by the other instance.
    const auto rec = nonces_->refresh(*rpc_, error);
    QVERIFY2(rec, error.c_str());
    QCOMPARE(nonces_->nextNew(), before + 2);
    QVERIFY(rec->gaps.empty());
  }

  // Reorg, re-included: anvil_reorg replaces the block with another holding the same
  // transaction: reorganised -> pending -> included again under the new block hash -> final.
  void reorgReincluded() {
    const TxRequest req = swapRequest(e18(500), 0);
    QVERIFY(tracker_->submit(req));
    take();
    mine();
    poll();
    auto ev = take();
    const std::optional<TxEvent> first = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(first, qPrintable(describe(ev)));
    const QString raw = chain_.rpc("eth_getRawTransactionByHash", {QString::fromStdString(first->hash)}).toString();
    QString e;
    chain_.rpc("anvil_reorg", {1, QJsonArray{QJsonArray{raw, 0}}}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    poll();
    ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Reorged, req.orderId), qPrintable(describe(ev)));
    const std::optional<TxEvent> again = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(again, qPrintable(describe(ev)));
    QCOMPARE(again->hash, first->hash);
    QCOMPARE(again->blockNumber, first->blockNumber);
    QVERIFY(again->blockHash != first->blockHash);
    QCOMPARE(QString::fromStdString(again->blockHash), receipt(again->hash)["blockHash"].toString());
    mine();
    mine();
    poll();
    ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Confirmed, req.orderId) && findEvent(ev, TxEventType::Final, req.orderId), qPrintable(describe(ev)));
  }

  // Reorg, dropped: the new block is empty and anvil does not put the transaction back in its
  // pool: reorganised -> pending -> unknown and nonce unused -> resent (same hash) -> included.
  void reorgDroppedIsResent() {
    const TxRequest req = swapRequest(e18(500), 0);
    const auto nonce = tracker_->submit(req);
    QVERIFY(nonce);
    take();
    mine();
    poll();
    auto ev = take();
    const std::optional<TxEvent> first = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(first, qPrintable(describe(ev)));
    QString e;
    chain_.rpc("anvil_reorg", {1, QJsonArray{}}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QVERIFY(receipt(first->hash).isEmpty());
    QCOMPARE(latestNonce(), *nonce);
    poll();
    ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Reorged, req.orderId), qPrintable(describe(ev)));
    const std::optional<TxEvent> dropped = findEvent(ev, TxEventType::Dropped, req.orderId);
    QVERIFY2(dropped && dropped->reason.find("resent") != std::string::npos, qPrintable(describe(ev)));
    QVERIFY(findEvent(ev, TxEventType::Pending, req.orderId));
    QCOMPARE(chain_.rpc("txpool_status").toObject()["pending"].toString(), QString("0x1"));
    mine();
    poll();
    ev = take();
    const std::optional<TxEvent> again = findEvent(ev, TxEventType::Included, req.orderId);
    QVERIFY2(again, qPrintable(describe(ev)));
    QCOMPARE(again->hash, first->hash);
    QCOMPARE(latestNonce(), *nonce + 1);
    mine();
    mine();
    poll();
    QVERIFY(findEvent(take(), TxEventType::Final, req.orderId));
  }

  // Restart: the allocator's and the tracker's lists (what the journal holds) restored into new
  // objects. While "down": A and B were mined, C waits in the pool, D was signed but never sent,
  // and one nonce was reserved with nothing signed. After the restart A and B are reported
  // included, D is sent (once, its own hash), C is mined as it was, the reserved nonce is reused
  // by the next order: five transactions at five consecutive nonces, nothing twice.
  void restartReconcilesWithoutSendingTwice() {
    const std::uint64_t n = latestNonce();
    const std::uint64_t startBlock = hex64(chain_.rpc("eth_blockNumber"));
    const TxRequest a = transferRequest(1), b = transferRequest(2);
    QVERIFY(tracker_->submit(a));
    QVERIFY(tracker_->submit(b));
    mine();  // not polled: we are "down"
    const TxRequest c = transferRequest(3);
    QCOMPARE(*tracker_->submit(c), n + 2);
    take();
    // D: signed at n+3 and recorded, the process died before eth_sendRawTransaction.
    const auto dNonce = nonces_->allocate();
    QCOMPARE(*dNonce, n + 3);
    Eip1559Transaction d;
    d.chainId = 31337;
    d.nonce = *dNonce;
    d.to = me_;
    d.value = 4;
    d.gasLimit = 21000;
    d.maxFeePerGas = c.fees.maxFeePerGas;
    d.maxPriorityFeePerGas = c.fees.maxPriorityFeePerGas;
    d.sign(*signer_);
    TxRecord dRecord;
    dRecord.orderId = ++nextOrder_;
    dRecord.nonce = *dNonce;
    dRecord.state = TxState::Signed;
    dRecord.attempts.push_back({toHex(d.encodeSigned()), toHex(d.transactionHash()), false, 0});
    // And n+4 reserved, nothing signed.
    QCOMPARE(*nonces_->allocate(), n + 4);

    std::vector<NonceRecord> nonceJournal = nonces_->inFlight();
    std::vector<TxRecord> txJournal = tracker_->records();
    txJournal.push_back(dRecord);
    QCOMPARE(nonceJournal.size(), std::size_t(5));
    QCOMPARE(txJournal.size(), std::size_t(4));

    // The restart.
    tracker_.reset();
    nonces_ = std::make_unique<NonceAllocator>(me_);
    nonces_->restore(nonceJournal);
    newTracker();
    tracker_->restore(txJournal);
    std::string error;
    const auto rec = nonces_->refresh(*rpc_, error);
    QVERIFY2(rec, error.c_str());
    QCOMPARE(rec->nowIncluded, (std::vector<std::uint64_t>{n, n + 1}));
    QCOMPARE(rec->unknownToNode, std::vector<std::uint64_t>{n + 3});  // D: the node never saw it
    QCOMPARE(rec->gaps, std::vector<std::uint64_t>{n + 4});           // reserved, nothing signed
    poll(true);
    auto ev = take();
    QVERIFY2(findEvent(ev, TxEventType::Included, a.orderId) && findEvent(ev, TxEventType::Included, b.orderId), qPrintable(describe(ev)));
    QVERIFY(!findEvent(ev, TxEventType::Dropped, c.orderId));  // in the pool: left alone
    const std::optional<TxEvent> dDropped = findEvent(ev, TxEventType::Dropped, dRecord.orderId);
    QVERIFY2(dDropped && dDropped->reason.find("resent as it was") != std::string::npos, qPrintable(describe(ev)));
    QCOMPARE(chain_.rpc("txpool_status").toObject()["pending"].toString(), QString("0x2"));

    // The next order takes the reserved nonce, not a new one.
    const TxRequest f = transferRequest(5);
    QCOMPARE(*tracker_->submit(f), n + 4);
    mine();
    poll();
    ev = take();
    for (std::uint64_t id : {c.orderId, dRecord.orderId, f.orderId}) QVERIFY2(findEvent(ev, TxEventType::Included, id), qPrintable(describe(ev)));
    QCOMPARE(latestNonce(), n + 5);
    // Exactly five transactions from us in the blocks since: one per nonce.
    int ours = 0;
    const std::uint64_t endBlock = hex64(chain_.rpc("eth_blockNumber"));
    for (std::uint64_t blk = startBlock + 1; blk <= endBlock; ++blk)
      for (const QJsonValue& tx : chain_.rpc("eth_getBlockByNumber", {q(blk), true}).toObject()["transactions"].toArray())
        if (tx.toObject()["from"].toString() == QString::fromStdString(toLowerHexAddress(me_))) ++ours;
    QCOMPARE(ours, 5);
    mine();
    mine();
    poll();
    ev = take();
    for (std::uint64_t id : {a.orderId, b.orderId, c.orderId, dRecord.orderId, f.orderId})
      QVERIFY2(findEvent(ev, TxEventType::Final, id), qPrintable(describe(ev)));
    QVERIFY(nonces_->inFlight().empty());
    QVERIFY(tracker_->records().empty());
  }
};

QTEST_GUILESS_MAIN(TestEvmTx)
#include "tst_evm_tx.moc"
