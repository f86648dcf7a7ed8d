// The real local chain with the real Uniswap V2 (kappa-exchange --chain: anvil from npm, the
// contracts deployed from the npm artifacts) as the EVM venue's peer, and the engine's JSON-RPC
// client (venue/evm/EthRpc) against it. One chain for the whole executable (automine, background
// trader on); checks that need the state as deployed read it at the deployment's block.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QProcessEnvironment>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>
#include <QThread>

#include <signal.h>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>

#include "ChainProcess.hpp"
#include "ChainValues.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "venue/evm/EthRpc.hpp"
#include "TestPaths.hpp"

using kappa::evm::U256;
using namespace kappa::test;

namespace {

// An independent, minimal ABI encoding for the test's own calls (selectors: keccak-256 of the
// signature, first 4 bytes).
const QString kGetReserves = "0x0902f1ac";        // getReserves()
const QString kGetPair = "0xe6a43905";            // getPair(address,address)
const QString kBalanceOf = "0x70a08231";          // balanceOf(address)
const QString kApprove = "0x095ea7b3";            // approve(address,uint256)
const QString kGetAmountsOut = "0xd06ca61f";      // getAmountsOut(uint256,address[])
const QString kSwapExactTokens = "0x38ed1739";    // swapExactTokensForTokens(uint256,uint256,address[],address,uint256)
// Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out, address indexed to)
const QString kSwapTopic = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822";

QString word(const U256& v) { return QString::fromStdString(kappa::evm::toHexNoPrefix(kappa::evm::u256ToBigEndian32(v))); }
QString addr(const QString& a) { return QString(24, '0') + a.mid(2).toLower(); }
U256 wordAt(const QString& hex, int i) {
  const QString body = hex.startsWith("0x") ? hex.mid(2) : hex;
  const QString w = body.mid(i * 64, 64);
  if (w.size() != 64) throw std::runtime_error("no word " + std::to_string(i) + " in " + hex.left(80).toStdString());
  return kappa::evm::u256FromBigEndian(kappa::evm::fromHex(w.toStdString()));
}
U256 dec(const QJsonValue& v) { return U256(v.toString().toStdString()); }
U256 e18(std::uint64_t whole) { return U256(whole) * boost::multiprecision::pow(U256(10), 18); }
QString blockTag(qint64 n) { return QString::fromStdString(kappa::evm::u256ToQuantity(U256(n))); }

// Uniswap V2's getAmountOut, written here from the contract's formula (UniswapV2Library).
U256 amountOut(const U256& in, const U256& reserveIn, const U256& reserveOut) {
  const U256 withFee = in * 997;
  return withFee * reserveOut / (reserveIn * 1000 + withFee);
}

}  // namespace

class TestEvmChain : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  ChainProcess chain_;
  ChainProcess manual_;  // --no-mining, no trader: the tests that control blocks

  static void mine(ChainProcess& c) {
    QString e;
    c.rpc("evm_mine", {}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  std::unique_ptr<kappa::evm::EthRpc> rpc_;

  QString call(const QString& to, const QString& data, const QString& block = "latest") {
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", to}, {"data", data}}, block}, &error);
    if (!error.isEmpty()) throw std::runtime_error(("eth_call: " + error).toStdString());
    return r.toString();
  }
  std::pair<U256, U256> reserves(const QString& pair, const QString& block = "latest") {
    const QString r = call(pair, kGetReserves, block);
    return {wordAt(r, 0), wordAt(r, 1)};
  }
  qint64 blockNumber() { return qint64(hexq(chain_.rpc("eth_blockNumber"))); }
  // eth_sendTransaction through the engine's client, and the receipt once mined (automine).
  nlohmann::json sendAndWait(const nlohmann::json& tx) {
    const std::string hash = rpc_->require("eth_sendTransaction", nlohmann::json::array({tx})).get<std::string>();
    for (int i = 0; i < 500; ++i) {
      nlohmann::json receipt = rpc_->require("eth_getTransactionReceipt", nlohmann::json::array({hash}));
      if (!receipt.is_null()) return receipt;
      QThread::msleep(10);
    }
    throw std::runtime_error("no receipt for " + hash);
  }

 private slots:
  void initTestCase() {
    ChainOptions o;
    o.mining = ChainOptions::Mining::Auto;
    o.trader = true;
    o.traderPeriodSeconds = 0.2;
    QVERIFY(dir_.isValid());
    o.addressesOut = dir_.filePath("deployment.json");
    const QString error = chain_.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    qInfo("kappa-exchange --chain: anvil started and Uniswap V2 deployed in %lld ms (first line to JSON read)", chain_.startMs());
    std::string e;
    rpc_ = kappa::evm::EthRpc::open(chain_.url().toStdString(), e);
    QVERIFY2(rpc_, e.c_str());
  }

  void cleanupTestCase() { chain_.stop(); }

  // Code at every address the deployment names; the chain is anvil's default dev chain.
  void contractsAreDeployed() {
    QCOMPARE(chain_.rpc("eth_chainId").toString(), QString("0x7a69"));  // 31337
    QStringList addresses{chain_.router(), chain_.factory(), chain_.deployment()["weth"].toString()};
    for (const char* symbol : {"WETH", "USDC", "WBTC", "DAI"}) addresses << chain_.token(symbol);
    for (const char* pool : {"WETH/USDC", "WBTC/USDC"}) addresses << chain_.pool(pool)["address"].toString();
    QCOMPARE(addresses.size(), 9);
    for (const QString& a : addresses) {
      QVERIFY2(QRegularExpression("^0x[0-9a-f]{40}$").match(a).hasMatch(), qPrintable(a));
      const QString code = chain_.rpc("eth_getCode", {a, "latest"}).toString();
      QVERIFY2(code.size() > 1000, qPrintable(a + " has code of " + QString::number(code.size()) + " hex chars"));
    }
    QCOMPARE(chain_.token("WETH"), chain_.deployment()["weth"].toString());
    QCOMPARE(chain_.deployment()["funded_accounts"].toArray().size(), 4);
    QCOMPARE(chain_.deployment()["mining"].toString(), QString("auto"));
    QCOMPARE(chain_.deployment()["rpc_url"].toString(), chain_.url());
    // --addresses-out holds the same JSON as stdout's second line.
    QFile file(dir_.filePath("deployment.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(file.readAll()).object(), chain_.deployment());
  }

  // The pools exist in the Factory, hold the reserves the JSON gives at the deployment's block,
  // and those are the documented amounts: 1,000 WETH + 3,000,000 USDC, 50 WBTC + 3,000,000 USDC.
  void poolsHoldTheGivenReserves() {
    struct Expected {
      const char* name;
      U256 base, quote;
    };
    const QString at = blockTag(chain_.deployedBlock());
    for (const Expected& x : {Expected{"WETH/USDC", e18(1000), e18(3'000'000)}, Expected{"WBTC/USDC", e18(50), e18(3'000'000)}}) {
      const QJsonObject pool = chain_.pool(x.name);
      const QString base = chain_.token(pool["base"].toString()), quote = chain_.token(pool["quote"].toString());
      const QString pair = call(chain_.factory(), kGetPair + addr(base) + addr(quote));
      QCOMPARE(QString("0x") + pair.right(40), pool["address"].toString());
      const auto [r0, r1] = reserves(pool["address"].toString(), at);
      QCOMPARE(r0, dec(pool["reserve0"]));
      QCOMPARE(r1, dec(pool["reserve1"]));
      const bool baseIs0 = pool["token0"].toString() == base;
      QVERIFY(baseIs0 || pool["token1"].toString() == base);
      QCOMPARE(baseIs0 ? r0 : r1, x.base);
      QCOMPARE(baseIs0 ? r1 : r0, x.quote);
    }
  }

  // Router02 quotes through the Factory's pairs (its init-code hash matches the Pair bytecode):
  // getAmountsOut equals Uniswap's formula over the reserves at the same block.
  void routerQuotesAPath() {
    const QString at = blockTag(chain_.deployedBlock());
    const QString weth = chain_.token("WETH"), usdc = chain_.token("USDC"), wbtc = chain_.token("WBTC");
    const QString r = call(chain_.router(), kGetAmountsOut + word(e18(1)) + word(64) + word(3) + addr(weth) + addr(usdc) + addr(wbtc), at);
    QCOMPARE(wordAt(r, 1), U256(3));  // uint256[3]
    QCOMPARE(wordAt(r, 2), e18(1));
    const U256 usdcOut = amountOut(e18(1), e18(1000), e18(3'000'000));
    QCOMPARE(wordAt(r, 3), usdcOut);
    QCOMPARE(wordAt(r, 4), amountOut(usdcOut, e18(3'000'000), e18(50)));
    QVERIFY(usdcOut > e18(2987) && usdcOut < e18(2989));  // 1 WETH ~ 2,988 USDC after the 0.3 % fee and the impact
  }

  // A swap from a funded dev account (unlocked: eth_sendTransaction) through the Router changes
  // the pair's reserves by exactly the Router's amounts: the block before against the swap's own
  // block (automine: a block holds only this transaction, whatever the trader does).
  void swapMovesReservesByTheRoutersAmounts() {
    const QString me = chain_.fundedAccount(1);
    const QString usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    const QJsonObject pool = chain_.pool("WETH/USDC");
    const QString pair = pool["address"].toString();
    const bool usdcIs0 = pool["token0"].toString() == usdc;
    nlohmann::json receipt = sendAndWait({{"from", me.toStdString()}, {"to", usdc.toStdString()},
                                          {"data", (kApprove + addr(chain_.router()) + word(~U256(0))).toStdString()}});
    QCOMPARE(QString::fromStdString(receipt["status"].get<std::string>()), QString("0x1"));

    const U256 amountIn = e18(5'000);
    const QString data = kSwapExactTokens + word(amountIn) + word(0) + word(160) + addr(me) + word(~U256(0)) + word(2) +
                         addr(usdc) + addr(weth);
    // Automine gives a transaction its own block, unless the trader's arrives at the same instant
    // (then both share one): swap again until ours is alone in its block, at most 5 times.
    qint64 block = 0;
    for (int attempt = 0; attempt < 5 && block == 0; ++attempt) {
      receipt = sendAndWait({{"from", me.toStdString()}, {"to", chain_.router().toStdString()}, {"data", data.toStdString()},
                             {"gas", "0x493e0"}});
      QCOMPARE(QString::fromStdString(receipt["status"].get<std::string>()), QString("0x1"));
      const qint64 b = qint64(hexq(QString::fromStdString(receipt["blockNumber"].get<std::string>())));
      if (chain_.rpc("eth_getBlockByNumber", {blockTag(b), false}).toObject()["transactions"].toArray().size() == 1) block = b;
    }
    QVERIFY2(block != 0, "every swap shared its block with another transaction");

    const QString before = blockTag(block - 1), after = blockTag(block);
    const QString quote = call(chain_.router(), kGetAmountsOut + word(amountIn) + word(64) + word(2) + addr(usdc) + addr(weth), before);
    const U256 out = wordAt(quote, 3);
    const auto [b0, b1] = reserves(pair, before);
    const auto [a0, a1] = reserves(pair, after);
    QCOMPARE(usdcIs0 ? a0 - b0 : a1 - b1, amountIn);
    QCOMPARE(usdcIs0 ? b1 - a1 : b0 - a0, out);
    QCOMPARE(out, amountOut(amountIn, usdcIs0 ? b0 : b1, usdcIs0 ? b1 : b0));
    // The account received exactly that WETH, and the pair's Swap event says the same.
    const U256 wethBefore = wordAt(call(weth, kBalanceOf + addr(me), before), 0);
    const U256 wethAfter = wordAt(call(weth, kBalanceOf + addr(me), after), 0);
    QCOMPARE(wethAfter - wethBefore, out);
    bool swapSeen = false;
    for (const auto& log : receipt["logs"]) {
      if (QString::fromStdString(log["address"].get<std::string>()).toLower() != pair) continue;
      if (QString::fromStdString(log["topics"][0].get<std::string>()) != kSwapTopic) continue;
      const QString d = QString::fromStdString(log["data"].get<std::string>());
      QCOMPARE(wordAt(d, usdcIs0 ? 0 : 1), amountIn);  // amountXIn
      QCOMPARE(wordAt(d, usdcIs0 ? 3 : 2), out);       // amountYOut
      swapSeen = true;
    }
    QVERIFY(swapSeen);
  }

  // The background trader (dev account 9) swaps every few periods: its nonce climbs and both
  // pools' reserves change across blocks, while prices stay near where they started.
  void backgroundTraderMovesPrices() {
    const QString trader = chain_.deployment()["trader"].toString();
    auto nonce = [&] { return qint64(hexq(chain_.rpc("eth_getTransactionCount", {trader, "latest"}))); };
    const qint64 startNonce = nonce(), startBlock = blockNumber();
    const auto weth0 = reserves(chain_.pool("WETH/USDC")["address"].toString());
    const auto wbtc0 = reserves(chain_.pool("WBTC/USDC")["address"].toString());
    QElapsedTimer t;
    t.start();
    bool wethMoved = false, wbtcMoved = false;
    while (t.elapsed() < 20000 && !(wethMoved && wbtcMoved && nonce() >= startNonce + 3)) {
      QThread::msleep(100);
      wethMoved = wethMoved || reserves(chain_.pool("WETH/USDC")["address"].toString()) != weth0;
      wbtcMoved = wbtcMoved || reserves(chain_.pool("WBTC/USDC")["address"].toString()) != wbtc0;
    }
    QVERIFY2(wethMoved && wbtcMoved, "the trader did not move both pools within 20 s");
    QVERIFY(nonce() >= startNonce + 3);
    QVERIFY(blockNumber() > startBlock + 2);
    const QJsonObject pool = chain_.pool("WETH/USDC");
    const auto [r0, r1] = reserves(pool["address"].toString());
    const bool wethIs0 = pool["token0"].toString() == chain_.token("WETH");
    const double price = double(wethIs0 ? r1 : r0) / double(wethIs0 ? r0 : r1);
    QVERIFY2(price > 2700 && price < 3300, qPrintable(QString::number(price)));
  }

  // EthRpc: the node's error object with its code, a revert with its reason and data, an unknown
  // method; then no node at all (transport).
  void ethRpcReportsErrorsByLayer() {
    auto unknown = rpc_->call("kappa_noSuchMethod");
    QVERIFY(!unknown.ok());
    QCOMPARE(unknown.error.kind, kappa::evm::RpcError::Kind::Rpc);
    QCOMPARE(unknown.error.code, -32601);

    // A swap past its deadline: Router02 reverts with "UniswapV2Router: EXPIRED".
    const QString me = chain_.fundedAccount(2), usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    const QString data = kSwapExactTokens + word(e18(1)) + word(0) + word(160) + addr(me) + word(1) + word(2) + addr(usdc) + addr(weth);
    auto reverted = rpc_->call("eth_call", nlohmann::json::array({nlohmann::json{{"from", me.toStdString()},
                                                                               {"to", chain_.router().toStdString()},
                                                                               {"data", data.toStdString()}},
                                                                  "latest"}));
    QVERIFY(!reverted.ok());
    QVERIFY(reverted.error.isRevert());
    QVERIFY2(reverted.error.message.find("UniswapV2Router: EXPIRED") != std::string::npos, reverted.error.message.c_str());
    QVERIFY2(reverted.error.data.rfind("0x08c379a0", 0) == 0, reverted.error.data.c_str());  // Error(string)
    const std::string described = reverted.error.describe("eth_call");
    QVERIFY2(described.find("EXPIRED") != std::string::npos && described.find("0x08c379a0") != std::string::npos, described.c_str());
    try {
      rpc_->require("eth_call", nlohmann::json::array({nlohmann::json{{"to", chain_.router().toStdString()}, {"data", data.toStdString()}}, "latest"}));
      QFAIL("require() did not throw on a revert");
    } catch (const kappa::evm::RpcException& e) {
      QVERIFY(std::string(e.what()).find("EXPIRED") != std::string::npos);
      QCOMPARE(e.method(), std::string("eth_call"));
    }

    // A port nobody listens on: a transport error, nothing sent.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 closedPort = probe.serverPort();
    probe.close();
    std::string error;
    kappa::evm::EthRpcOptions options;
    options.timeout = std::chrono::seconds(3);
    auto nobody = kappa::evm::EthRpc::open("http://127.0.0.1:" + std::to_string(closedPort), error, options);
    QVERIFY(nobody);
    auto none = nobody->call("eth_blockNumber");
    QCOMPARE(none.error.kind, kappa::evm::RpcError::Kind::Transport);
    QVERIFY(!none.error.maybeSent);
    QVERIFY(!kappa::evm::EthRpc::open("ftp://127.0.0.1:1", error));
  }

  // A server that is not a node (kappa-exchange's Deribit side): a plain 404 is an HTTP error with
  // its status; a JSON-RPC error object under HTTP 400 is the node-style error, status kept.
  void ethRpcAgainstAServerThatIsNotANode() {
    ExchangeProcess exchange;
    const QString started = exchange.start(exchangeBinary(), {"--no-binance"});
    QVERIFY2(started.isEmpty(), qPrintable(started));
    std::string error;
    auto root = kappa::evm::EthRpc::open("http://127.0.0.1:" + std::to_string(exchange.port()) + "/", error);
    QVERIFY(root);
    const auto notFound = root->call("eth_chainId");
    QCOMPARE(notFound.error.kind, kappa::evm::RpcError::Kind::Http);
    QCOMPARE(notFound.error.httpStatus, 404);
    QVERIFY2(notFound.error.describe("eth_chainId").find("HTTP 404") != std::string::npos, notFound.error.describe("eth_chainId").c_str());
    auto deribit = kappa::evm::EthRpc::open("http://127.0.0.1:" + std::to_string(exchange.port()) + "/api/v2/public/test", error);
    QVERIFY(deribit);
    const auto badParams = deribit->call("eth_chainId");
    QCOMPARE(badParams.error.kind, kappa::evm::RpcError::Kind::Rpc);
    QCOMPARE(badParams.error.httpStatus, 400);
    QCOMPARE(badParams.error.code, -32602);
    QVERIFY(badParams.error.data.find("params must be an object") != std::string::npos);
    exchange.stop();
  }

  // Without its real components kappa-exchange --chain says what is missing and how to get it;
  // a bad command line is refused before anything starts.
  void missingComponentsAndBadArguments() {
    auto run = [](const QStringList& args, const QProcessEnvironment& env, QString& err) {
      QProcess p;
      p.setProcessEnvironment(env);
      p.start(exchangeBinary(), args);
      if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished(5000);
        return -100;
      }
      err = QString::fromUtf8(p.readAllStandardError());
      return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    };
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString err;
    env.insert("KAPPA_ANVIL", "/nonexistent/anvil");
    QCOMPARE(run({"--chain", "--no-trader"}, env, err), 1);
    QVERIFY2(err.contains("KAPPA_ANVIL") && err.contains("./dev"), qPrintable(err));
    env.remove("KAPPA_ANVIL");
    env.insert("KAPPA_UNISWAP_ARTIFACTS", QDir::tempPath());
    QCOMPARE(run({"--chain", "--no-trader"}, env, err), 1);
    QVERIFY2(err.contains("KAPPA_UNISWAP_ARTIFACTS") && err.contains("./dev"), qPrintable(err));
    env.remove("KAPPA_UNISWAP_ARTIFACTS");
    for (const QStringList& bad : {QStringList{"--chain", "--block-time", "0.5"}, QStringList{"--chain", "--automine", "--no-mining"},
                                   QStringList{"--chain", "--seed", "x"}, QStringList{"--chain", "--listen", "nope"},
                                   QStringList{"--chain", "--frobnicate"}}) {
      QCOMPARE(run(bad, env, err), 2);
      QVERIFY2(err.contains("usage: kappa-exchange --chain"), qPrintable(err));
    }
  }

  // A deployment that fails (here Router02's artifact holds another contract: it deploys, but
  // answers nothing a Router answers) ends kappa-exchange with exit 1 and the reason, and anvil,
  // already started, is stopped.
  void failedDeploymentStopsAnvil() {
    QTemporaryDir artifacts;
    QVERIFY(artifacts.isValid());
    const QString real = kappa::test::peersDir() + "/node_modules/@uniswap";
    for (const char* folder : {"v2-core/build", "v2-periphery/build"}) {
      const QString sub = folder;
      QVERIFY(QDir().mkpath(artifacts.filePath(sub)));
      for (const QString& f : QDir(real + "/" + sub).entryList({"*.json"}, QDir::Files))
        QVERIFY(QFile::copy(real + "/" + sub + "/" + f, artifacts.filePath(sub + "/" + f)));
    }
    QVERIFY(QFile::remove(artifacts.filePath("v2-periphery/build/UniswapV2Router02.json")));
    QVERIFY(QFile::copy(real + "/v2-core/build/ERC20.json", artifacts.filePath("v2-periphery/build/UniswapV2Router02.json")));

    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KAPPA_UNISWAP_ARTIFACTS", artifacts.path());
    p.setProcessEnvironment(env);
    p.start(exchangeBinary(), {"--chain", "--no-trader"});
    QVERIFY(p.waitForFinished(30000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(err.contains("deploying Uniswap V2 on anvil failed") && err.contains("UniswapV2Router02.json") &&
                 err.contains("execution reverted"), qPrintable(err));
    QVERIFY(p.readAllStandardOutput().isEmpty());  // no URL for a chain that is not ready
    const QRegularExpressionMatch m = QRegularExpression(R"(anvil \(pid (\d+)\) listening)").match(err);
    QVERIFY2(m.hasMatch(), qPrintable(err));
    QVERIFY(!processAlive(m.captured(1).toLongLong()));
  }

  // Interval mining (the demo's default rhythm): blocks come by themselves, about one a second.
  void intervalMiningMakesBlocks() {
    ChainProcess paced;
    ChainOptions o;
    o.mining = ChainOptions::Mining::Interval;
    o.blockTimeSeconds = 1;
    const QString error = paced.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(paced.deployment()["mining"].toString(), QString("interval"));
    QCOMPARE(paced.deployment()["block_time_seconds"].toInt(), 1);
    const qint64 start = qint64(hexq(paced.rpc("eth_blockNumber")));
    QElapsedTimer t;
    t.start();
    while (qint64(hexq(paced.rpc("eth_blockNumber"))) < start + 2 && t.elapsed() < 10000) QThread::msleep(100);
    QVERIFY(qint64(hexq(paced.rpc("eth_blockNumber"))) >= start + 2);
    QCOMPARE(paced.rpc("anvil_getAutomine").toBool(true), false);
    // Ctrl-C (SIGINT) stops it as SIGTERM does: exit 0, anvil gone.
    const qint64 anvil = paced.anvilPid();
    QVERIFY(processAlive(anvil));
    ::kill(pid_t(paced.pid()), SIGINT);
    QVERIFY(paced.process().waitForFinished(10000));
    QCOMPARE(paced.process().exitStatus(), QProcess::NormalExit);
    QCOMPARE(paced.process().exitCode(), 0);
    QVERIFY(!processAlive(anvil));
  }

  // Keep-alive: many calls over one connection, and the answers are the node's.
  void ethRpcKeepsTheConnection() {
    const auto opened = rpc_->connectionsOpened();
    for (int i = 0; i < 50; ++i) {
      const auto r = rpc_->call("eth_chainId");
      QVERIFY(r.ok());
      QCOMPARE(r.result.get<std::string>(), std::string("0x7a69"));
    }
    QVERIFY(rpc_->connectionsOpened() <= opened + 1);

    // Calls from several threads are serialised: every answer is its own call's.
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 30; ++i) {
          const std::string account = chain_.fundedAccount(t).toStdString();
          const auto r = rpc_->call("eth_getBalance", nlohmann::json::array({account, "latest"}));
          const auto id = rpc_->call("eth_chainId");
          if (!r.ok() || !r.result.is_string() || !id.ok() || id.result != "0x7a69") ++wrong;
        }
      });
    for (auto& th : threads) th.join();
    QCOMPARE(wrong.load(), 0);
  }

  // Quantities of an answer (JSON values) read through U256.hpp's strict QUANTITY rules, the
  // field named in the error. (The text rules themselves: tst_evm_signing's u256 tests.)
  void quantities() {
    using kappa::evm::quantityU256;
    using kappa::evm::quantityU64;
    using nlohmann::json;
    auto errorOf = [](auto f) -> QString {
      try {
        f();
      } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
      }
      return QString();
    };
    QCOMPARE(quantityU256(json("0x" + std::string(64, 'f')), "balance"), ~U256(0));
    QCOMPARE(quantityU256(json("0x0"), "balance"), U256(0));
    QCOMPARE(quantityU256(json("0xFF"), "balance"), U256(255));  // upper-case digits, as geth reads them
    QCOMPARE(quantityU64(json("0xffffffffffffffff"), "nonce"), ~std::uint64_t{0});
    // Leading zeros are refused (as geth does; EthRpc's own parser used to accept them).
    QVERIFY(errorOf([&] { quantityU256(json("0x00ff"), "balance"); }).startsWith("balance: "));
    QVERIFY(errorOf([&] { quantityU256(json("0x00ff"), "balance"); }).contains("leading zero"));
    QVERIFY(errorOf([&] { quantityU256(json("0x1" + std::string(64, '0')), "balance"); }).contains("above 2^256-1"));
    QVERIFY(errorOf([&] { quantityU256(json("0x"), "balance"); }).contains("no digits"));
    QVERIFY(errorOf([&] { quantityU256(json("12"), "balance"); }).contains("0x prefix"));
    QVERIFY(errorOf([&] { quantityU256(json("0xg1"), "balance"); }).contains("non-hex"));
    QVERIFY(errorOf([&] { quantityU256(json(12), "balance"); }).startsWith("balance: not a hex quantity"));
    QVERIFY(errorOf([&] { quantityU256(json(), "balance"); }).startsWith("balance: not a hex quantity"));
    QVERIFY(errorOf([&] { quantityU64(json("0x10000000000000000"), "nonce"); }).contains("nonce"));  // 2^64
    QVERIFY(errorOf([&] { quantityU64(json("0x10000000000000000"), "nonce"); }).contains("64 bits"));
  }

  // No mining until asked (--no-mining): a transaction waits in the pool until evm_mine.
  void noMiningChain() {
    ChainOptions o;
    o.mining = ChainOptions::Mining::Manual;
    const QString error = manual_.start(exchangeBinary(), o);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(manual_.deployment()["mining"].toString(), QString("manual"));
    const qint64 block = qint64(hexq(manual_.rpc("eth_blockNumber")));
    const QString from = manual_.fundedAccount(0);
    const QString hash = manual_.rpc("eth_sendTransaction", {QJsonObject{{"from", from}, {"to", from}, {"value", "0x1"}}}).toString();
    QVERIFY(hash.startsWith("0x"));
    QThread::msleep(300);
    QCOMPARE(manual_.rpc("txpool_status").toObject()["pending"].toString(), QString("0x1"));
    QVERIFY(manual_.rpc("eth_getTransactionReceipt", {hash}).isNull());
    QCOMPARE(qint64(hexq(manual_.rpc("eth_blockNumber"))), block);
    mine(manual_);
    QCOMPARE(qint64(hexq(manual_.rpc("eth_blockNumber"))), block + 1);
    QCOMPARE(manual_.rpc("eth_getTransactionReceipt", {hash}).toObject()["status"].toString(), QString("0x1"));
  }

  // What the pinned anvil (1.7.1) does with the node methods the EVM venue's tests use for stuck,
  // replaced, dropped and reorganised transactions: asserted here so that a version bump that
  // changes any of it fails in one obvious place.
  void anvilBehavesAsTheVenueTestsExpect() {
    QVERIFY(manual_.port() != 0);
    ChainProcess& c = manual_;
    const QString from = c.fundedAccount(3);
    QString e;
    auto send = [&](QJsonObject tx, QString* err = nullptr) {
      tx["from"] = from;
      tx["to"] = from;
      return c.rpc("eth_sendTransaction", {tx}, err).toString();
    };
    auto gone = [&](const QString& hash) {
      return c.rpc("eth_getTransactionReceipt", {hash}).isNull() && c.rpc("eth_getTransactionByHash", {hash}).isNull();
    };
    auto pending = [&] { return c.rpc("txpool_status").toObject()["pending"].toString(); };
    auto nonce = [&] { return c.rpc("eth_getTransactionCount", {from, "latest"}).toString(); };

    // Fee methods answer.
    QVERIFY(c.rpc("eth_maxPriorityFeePerGas", {}, &e).isString());
    QVERIFY(c.rpc("eth_feeHistory", {"0x4", "latest", QJsonArray{50}}, &e).toObject().contains("baseFeePerGas"));

    // A fee below the next block's base fee is refused at once (-32003).
    c.rpc("anvil_setNextBlockBaseFeePerGas", {"0x174876e800"}, &e);  // 100 gwei
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QVERIFY(send({{"value", "0x1"}, {"maxFeePerGas", "0x77359400"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e).isEmpty());
    QVERIFY2(e.contains("-32003") && e.contains("max fee per gas less than block base fee"), qPrintable(e));
    mine(c);  // the 100 gwei block; the base fee then falls by 12.5 % a block

    // Accepted at 2 gwei while the base fee is low, then stranded: the base fee is raised and a block
    // mined. anvil does not keep it pending: it leaves the pool at that block, unknown by hash.
    for (int i = 0; i < 40; ++i) mine(c);  // base fee back under 2 gwei
    const QString stuck = send({{"value", "0x1"}, {"maxFeePerGas", "0x77359400"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e);
    QVERIFY2(stuck.startsWith("0x"), qPrintable(e));
    QCOMPARE(pending(), QString("0x1"));
    // Another transaction at its nonce and the same fees is refused (the same one again:
    // "already imported"); +20 % on both fees is accepted and replaces it (below).
    const QString n = nonce();
    QVERIFY(send({{"value", "0x1"}, {"nonce", n}, {"maxFeePerGas", "0x77359400"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e).isEmpty());
    QVERIFY2(e.contains("already imported"), qPrintable(e));
    QVERIFY(send({{"value", "0x2"}, {"nonce", n}, {"maxFeePerGas", "0x77359400"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e).isEmpty());
    QVERIFY2(e.contains("-32003") && e.contains("underpriced"), qPrintable(e));
    c.rpc("anvil_setNextBlockBaseFeePerGas", {"0x174876e800"}, &e);
    mine(c);
    QCOMPARE(pending(), QString("0x0"));
    QVERIFY2(gone(stuck), "a transaction below the base fee stayed known after a block");
    QCOMPARE(nonce(), n);  // never mined
    for (int i = 0; i < 40; ++i) mine(c);
    const QString first = send({{"value", "0x1"}, {"nonce", n}, {"maxFeePerGas", "0x77359400"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e);
    QVERIFY2(first.startsWith("0x"), qPrintable(e));
    // anvil is more lenient than geth (which wants +10 % on both fees): a maxFeePerGas higher by
    // 1 wei replaces, so a test of the venue's underpriced-replacement handling must resend at a
    // maxFeePerGas no higher than the pending one's.
    const QString oneWeiMore =
        send({{"value", "0x3"}, {"nonce", n}, {"maxFeePerGas", "0x77359401"}, {"maxPriorityFeePerGas", "0x3b9aca00"}}, &e);
    QVERIFY2(oneWeiMore.startsWith("0x"), qPrintable(e));
    QVERIFY(gone(first));
    const QString replacement =
        send({{"value", "0x0"}, {"nonce", n}, {"maxFeePerGas", "0x8f0d1800"}, {"maxPriorityFeePerGas", "0x47868c00"}}, &e);
    QVERIFY2(replacement.startsWith("0x"), qPrintable(e));
    QVERIFY(gone(oneWeiMore));
    QCOMPARE(pending(), QString("0x1"));
    mine(c);
    QCOMPARE(c.rpc("eth_getTransactionReceipt", {replacement}).toObject()["status"].toString(), QString("0x1"));
    QVERIFY(gone(first));

    // anvil_dropTransaction takes a pending transaction out of the pool.
    const QString dropped = send({{"value", "0x1"}});
    QCOMPARE(pending(), QString("0x1"));
    c.rpc("anvil_dropTransaction", {dropped}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QCOMPARE(pending(), QString("0x0"));
    QVERIFY(gone(dropped));

    // Reorg: anvil_reorg(depth, []) replaces the last blocks with empty ones (same height, new hashes):
    // the transaction is gone, not back in the pool. anvil_reorg(depth, [[raw, offset]]) puts it in a
    // new block at that offset: the same transaction, included under another block hash.
    const QString tx = send({{"value", "0x1"}});
    mine(c);
    const QJsonObject r1 = c.rpc("eth_getTransactionReceipt", {tx}).toObject();
    QCOMPARE(r1["status"].toString(), QString("0x1"));
    const QString raw = c.rpc("eth_getRawTransactionByHash", {tx}).toString();
    QVERIFY(raw.startsWith("0x02"));  // a type-2 transaction
    c.rpc("anvil_reorg", {1, QJsonArray{QJsonArray{raw, 0}}}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    const QJsonObject r2 = c.rpc("eth_getTransactionReceipt", {tx}).toObject();
    QCOMPARE(r2["blockNumber"].toString(), r1["blockNumber"].toString());
    QVERIFY(r2["blockHash"].toString() != r1["blockHash"].toString());
    c.rpc("anvil_reorg", {1, QJsonArray{}}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
    QVERIFY(gone(tx));
    QCOMPARE(pending(), QString("0x0"));

    // evm_snapshot / evm_revert: blocks and their transactions after the snapshot disappear.
    const QString snapshot = c.rpc("evm_snapshot").toString();
    const qint64 before = qint64(hexq(c.rpc("eth_blockNumber")));
    const QString later = send({{"value", "0x1"}});
    mine(c);
    QCOMPARE(c.rpc("eth_getTransactionReceipt", {later}).toObject()["status"].toString(), QString("0x1"));
    QCOMPARE(c.rpc("evm_revert", {snapshot}).toBool(), true);
    QCOMPARE(qint64(hexq(c.rpc("eth_blockNumber"))), before);
    QVERIFY(gone(later));

    // The mining switches the chain demo and the tests use.
    for (const auto& [method, params] : std::vector<std::pair<QString, QJsonArray>>{
             {"evm_setAutomine", {true}}, {"evm_setAutomine", {false}}, {"evm_setIntervalMining", {0}}, {"anvil_mine", {"0x2"}}}) {
      c.rpc(method, params, &e);
      QVERIFY2(e.isEmpty(), qPrintable(method + ": " + e));
    }
    QCOMPARE(c.rpc("anvil_getAutomine").toBool(true), false);
  }

  // Killed outright, kappa-exchange cannot stop anvil: the kernel does (PR_SET_PDEATHSIG).
  void killedParentStopsAnvil() {
    const qint64 anvil = manual_.anvilPid();
    QVERIFY(processAlive(anvil));
    manual_.kill();
    QElapsedTimer t;
    t.start();
    while (processAlive(anvil) && t.elapsed() < 10000) QThread::msleep(50);
    QVERIFY2(!processAlive(anvil), "anvil outlived a killed kappa-exchange");
  }

  // Last: stopping kappa-exchange (SIGTERM) stops its anvil, by pid, and the port closes.
  void anvilStopsWithKappaExchange() {
    const qint64 anvil = chain_.anvilPid();
    QVERIFY(anvil > 0);
    QVERIFY(processAlive(anvil));
    QCOMPARE(chain_.stop(), 0);
    QVERIFY2(!processAlive(anvil), "anvil still runs after kappa-exchange exited");
    QString error;
    QVERIFY(chain_.rpc("eth_blockNumber", {}, &error).isUndefined());
    QVERIFY2(error.startsWith("connect"), qPrintable(error));
  }
};

QTEST_GUILESS_MAIN(TestEvmChain)
#include "tst_evm_chain.moc"
