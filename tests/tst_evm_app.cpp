// The kappa executable with the on-chain venue, headless, against a real local chain
// (kappa-exchange --chain: anvil, Uniswap V2 deployed, the background trader swapping): the report
// names the venue connected with its (redacted) endpoint, chain id and latest block; lists every pool
// with reserves that are, digit for digit, the pair's getReserves at the block the report names
// (asked of the chain by the test's own RPC client); names the wallet by its address; and the key,
// given in the environment or a 0600 file, appears nowhere kappa wrote or printed. A key file other
// users can read, a bad --rpc-url and a malformed key are refused with the option named. With
// --demo and a funded key, kappa makes one small swap: the report lists its transactions with
// nonce, block, gas and fee equal, digit for digit, to the chain's receipts, and the wallet's WETH
// went down by the swap's input, its ETH by exactly the fees.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "AppRun.hpp"
#include "ChainProcess.hpp"
#include "SecretScan.hpp"
#include "venue/evm/Secp256k1Signer.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/Address.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"
#include "TestPaths.hpp"

using kappa::test::AppRun;
using kappa::test::ChainOptions;
using kappa::test::ChainProcess;

namespace {
// Test wallets only (never funded anywhere real): the environment's key and the key file's.
const QByteArray kEnvKey = "8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";
const QByteArray kFileKey = "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4";
// anvil's documented dev mnemonic ("test test ... junk"), account 1: the deployment's funded account 0
// (WETH and USDC to trade with). A public test key, never a secret.
const QByteArray kFundedKey = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

// A report integer as its digits: parseExact left short ones as JSON numbers, long ones as strings.
QString digits(const QJsonValue& v) { return v.isString() ? v.toString() : QString::number(v.toInteger()); }
QString decimalOf(const QJsonValue& hexQuantity) {
  return QString::fromStdString(kappa::evm::u256ToDecimal(kappa::evm::u256FromQuantity(hexQuantity.toString().toStdString())));
}

QString addressOf(const QByteArray& key) {
  return QString::fromStdString(kappa::evm::Secp256k1Signer(kappa::evm::PrivateKey::fromHex(key.toStdString())).checksumAddress());
}

// The report as written has uint256 amounts as exact JSON integers, which QJsonDocument would round:
// read them as strings (their exact digits) by quoting every number of 16 digits or more first.
QJsonObject parseExact(const QByteArray& bytes) {
  QString text = QString::fromUtf8(bytes);
  text.replace(QRegularExpression("(:\\s*)([0-9]{16,})(\\s*[,}\\n])"), "\\1\"\\2\"\\3");
  return QJsonDocument::fromJson(text.toUtf8()).object();
}

QString hexBlock(qint64 block) { return "0x" + QString::number(block, 16); }
}  // namespace

class TestEvmApp : public QObject {
  Q_OBJECT
  ChainProcess chain_;
  QTemporaryDir dir_;
  QString deploymentFile_;

  // getReserves() of `pair` at `block`, as the chain says: decimal reserve0, reserve1.
  QPair<QString, QString> reservesAt(const QString& pair, qint64 block) {
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", pair}, {"data", "0x0902f1ac"}}, hexBlock(block)}, &error);
    if (!error.isEmpty() || !r.isString() || r.toString().size() != 2 + 3 * 64) return {"rpc error: " + error, {}};
    const QString hex = r.toString().mid(2);
    auto word = [&](int i) {
      return QString::fromStdString(kappa::evm::u256ToDecimal(kappa::evm::u256FromText(("0x" + hex.mid(i * 64, 64)).toStdString())));
    };
    return {word(0), word(1)};
  }

  QStringList baseArgs(const QString& data, const QString& report) {
    return {"--headless", "--data-dir", data, "--duration", "5", "--report", report};
  }

  // What every good run's report says about the chain: the venue connected at the chain's URL and
  // id, both pools with reserves equal to getReserves at the pool's block, no transactions.
  void checkEvmReport(const AppRun& run, const QString& wallet, bool namedByDeployment) {
    const QJsonObject r = parseExact(run.reportBytes);
    QVERIFY2(!r.isEmpty(), "report is not JSON");
    QJsonObject evm;
    for (const QJsonValue& v : r["venues"].toArray())
      if (v.toObject()["name"].toString() == "evm") evm = v.toObject();
    QVERIFY2(!evm.isEmpty(), run.reportBytes.constData());
    QCOMPARE(evm["state"].toString(), QString("connected"));
    QCOMPARE(evm["endpoint"].toString(), chain_.url());
    QCOMPARE(evm["chain_id"].toInteger(), qint64(chain_.deployment()["chain_id"].toInteger()));
    const qint64 latest = evm["latest_block"].toInteger();
    QVERIFY2(latest >= chain_.deployedBlock(), qPrintable(QString::number(latest)));
    QCOMPARE(evm["wallet"].toString(), wallet);

    const QJsonObject deployed = chain_.deployment()["pools"].toObject();
    const QJsonArray pools = r["pools"].toArray();
    QCOMPARE(pools.size(), deployed.size());
    QStringList seen;
    for (const QJsonValue& pv : pools) {
      const QJsonObject p = pv.toObject();
      // The pool by its pair address. Its name is the deployment's when kappa was given the deployment;
      // from bare pair addresses it is what the tokens call themselves on chain (the test chain's
      // tokens all say "UNI-V2", kappa-exchange's ChainDemo), so only the address is compared then.
      QString name;
      for (auto it = deployed.begin(); it != deployed.end(); ++it)
        if (it.value().toObject()["address"].toString().toLower() == p["pair"].toString().toLower()) name = it.key();
      QVERIFY2(!name.isEmpty(), qPrintable(p["pair"].toString()));
      QVERIFY2(!seen.contains(name), qPrintable(name));
      if (namedByDeployment) {
        QCOMPARE(p["name"].toString(), name);
        QCOMPARE(p["base"].toString() + "/" + p["quote"].toString(), name);
      }
      const qint64 block = p["block"].toInteger();
      QVERIFY2(block >= chain_.deployedBlock() && block <= latest, qPrintable(QString::number(block)));
      // Exact: the digits the report wrote are the chain's at that block.
      const auto [r0, r1] = reservesAt(p["pair"].toString(), block);
      QVERIFY2(!r1.isEmpty(), qPrintable(r0));
      QCOMPARE(p["reserve0"].toString(), r0);
      QCOMPARE(p["reserve1"].toString(), r1);
      QVERIFY(r0.size() >= 16);  // really beyond a double's exact range: the raw text matters
      QVERIFY2(p["price"].toDouble() > 0, qPrintable(name));
      // The raw text in the file is a JSON number, not a string.
      QVERIFY(run.reportBytes.contains("\"reserve0\": " + r0.toLatin1()));
      seen << name;
    }
    QCOMPARE(seen.size(), deployed.size());
    QVERIFY(r["transactions"].isArray());
    QCOMPARE(r["transactions"].toArray().size(), 0);  // no order in these runs: nothing signed
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    ChainOptions o;
    o.mining = ChainOptions::Mining::Interval;
    o.blockTimeSeconds = 1;
    o.trader = true;  // the pools move while kappa follows them
    deploymentFile_ = dir_.filePath("deployment.json");
    o.addressesOut = deploymentFile_;
    const QString error = chain_.start(kappa::test::builtExchangeBinary(), o, dir_.filePath("chain-stderr.txt"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(QFile::exists(deploymentFile_));
  }
  void cleanupTestCase() { chain_.stop(); }

  // The deployment file, the key in the environment.
  void deploymentWithKeyFromEnvironment() {
    const QString data = dir_.filePath("env-data"), report = dir_.filePath("env-report.json");
    const AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data, report) + QStringList{"--venue", "evm", "--rpc-url", chain_.url(), "--evm-deployment", deploymentFile_},
        {{"KAPPA_EVM_PRIVATE_KEY", QString::fromLatin1(kEnvKey)}}, report, 60000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    checkEvmReport(run, addressOf(kEnvKey), true);
    if (QTest::currentTestFailed()) return;
    QCOMPARE(parseExact(run.reportBytes)["venue"].toString(), QString("evm"));
    const QStringList hits = kappa::test::secretLeaks(run, data, kEnvKey);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    QVERIFY(kappa::test::findSecretInTree(data, "0x" + kEnvKey).isEmpty());
    // What the trader sees instead: the wallet's address and where its key came from, in the log.
    QFile log(data + "/logs/kappa.log");
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logText = log.readAll();
    QVERIFY2(logText.contains("wallet " + addressOf(kEnvKey).toLatin1() + " (key from environment (KAPPA_EVM_PRIVATE_KEY))"),
             logText.right(2000).constData());
  }

  // Pair addresses alone (all else read from the chain), beside the simulator, the key from a 0600 file.
  void pairAddressesBesideSimWithKeyFile() {
    const QString data = dir_.filePath("file-data"), report = dir_.filePath("file-report.json");
    QFile pools(dir_.filePath("pools.txt"));
    QVERIFY(pools.open(QIODevice::WriteOnly));
    pools.write("# the test chain's pairs\n");
    const QJsonObject deployed = chain_.deployment()["pools"].toObject();
    for (const QJsonValue& p : deployed) pools.write(p.toObject()["address"].toString().toLatin1() + "\n");
    pools.close();
    QFile key(dir_.filePath("wallet.key"));
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write("# test wallet\n0x" + kFileKey + "\n");
    key.close();
    QVERIFY(key.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    const AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data, report) + QStringList{"--venue", "sim", "--venue", "evm", "--rpc-url", chain_.url(),
                                             "--evm-pools", pools.fileName(), "--evm-key-file", key.fileName()},
        {}, report, 60000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    QCOMPARE(parseExact(run.reportBytes)["venue"].toString(), QString("sim+evm"));
    checkEvmReport(run, addressOf(kFileKey), false);
    if (QTest::currentTestFailed()) return;
    const QStringList hits = kappa::test::secretLeaks(run, data, kFileKey);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
  }

  // A key file others can read is refused before anything connects, with the file and the fix named.
  void keyFileReadableByOthersRefused() {
    const QString data = dir_.filePath("open-data"), report = dir_.filePath("open-report.json");
    QFile key(dir_.filePath("open.key"));
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(kFileKey + "\n");
    key.close();
    QVERIFY(key.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));  // 0644
    const AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data, report) + QStringList{"--venue", "evm", "--rpc-url", chain_.url(), "--evm-deployment",
                                             deploymentFile_, "--evm-key-file", key.fileName()},
        {}, report, 30000);
    QVERIFY2(run.problem.startsWith("kappa exited with 2"), qPrintable(run.problem));
    const QString err = QString::fromUtf8(run.err);
    QVERIFY2(err.contains("--evm-key-file") && err.contains(key.fileName()) && err.contains("readable by others") &&
                 err.contains("chmod 600"),
             qPrintable(err));
    QVERIFY(run.reportBytes.isEmpty());
    QVERIFY(kappa::test::secretLeaks(run, data, kFileKey).isEmpty());
  }

  // A malformed key in the environment: refused, the variable named, the text not echoed.
  void malformedKeyRefused() {
    const QString data = dir_.filePath("bad-key-data"), report = dir_.filePath("bad-key-report.json");
    const QByteArray bad = kEnvKey.left(60) + "zzzz";
    const AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data, report) + QStringList{"--venue", "evm", "--rpc-url", chain_.url(), "--evm-deployment", deploymentFile_},
        {{"KAPPA_EVM_PRIVATE_KEY", QString::fromLatin1(bad)}}, report, 30000);
    QVERIFY2(run.problem.startsWith("kappa exited with 2"), qPrintable(run.problem));
    QVERIFY2(run.err.contains("KAPPA_EVM_PRIVATE_KEY") && run.err.contains("not a secp256k1 private key"), run.err.constData());
    QVERIFY(kappa::test::secretLeaks(run, data, bad.left(40)).isEmpty());
  }

  // A provider's URL carries the account's API key in its path: it appears nowhere kappa writes, not
  // even when the node cannot be reached (the errors name the host only).
  void rpcUrlPathNeverPrinted() {
    const QString data = dir_.filePath("path-data"), report = dir_.filePath("path-report.json");
    const QByteArray pathKey = "tst-evm-path-key-7d1e90";
    const AppRun run = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data, report) + QStringList{"--venue", "evm", "--rpc-url", "http://127.0.0.1:1/v3/" + QString(pathKey),
                                             "--evm-deployment", deploymentFile_},
        {}, report, 60000);
    // The deployment names the pools' tokens, so they are listed without the node; the venue then
    // waits for it, disconnected, and the run ends normally.
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    QVERIFY2(run.err.contains("node unreachable"), run.err.constData());  // its failures are logged...
    QJsonObject evm;
    for (const QJsonValue& v : parseExact(run.reportBytes)["venues"].toArray())
      if (v.toObject()["name"].toString() == "evm") evm = v.toObject();
    QCOMPARE(evm["endpoint"].toString(), QString("http://127.0.0.1:1/..."));
    QVERIFY(evm["state"].toString() != "connected");
    QVERIFY(evm["wallet"].isNull());  // no key given: market data only
    const QStringList hits = kappa::test::secretLeaks(run, data, pathKey);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));

    // Without the deployment's reserves the pools must be asked of the node: none can be listed,
    // kappa says so and stops, naming the endpoint redacted (the node's errors included).
    QJsonObject deployment = chain_.deployment();
    QJsonObject pools = deployment["pools"].toObject();
    for (auto it = pools.begin(); it != pools.end(); ++it) {
      QJsonObject p = it.value().toObject();
      p.remove("reserve0");
      p.remove("reserve1");
      it.value() = p;
    }
    deployment["pools"] = pools;
    QFile bare(dir_.filePath("deployment-no-reserves.json"));
    QVERIFY(bare.open(QIODevice::WriteOnly));
    bare.write(QJsonDocument(deployment).toJson());
    bare.close();
    const QString data2 = dir_.filePath("path-data-2"), report2 = dir_.filePath("path-report-2.json");
    const AppRun failed = kappa::test::runKappa(
        kappa::test::kappaBinary(),
        baseArgs(data2, report2) + QStringList{"--venue", "evm", "--rpc-url", "http://127.0.0.1:1/v3/" + QString(pathKey),
                                               "--evm-deployment", bare.fileName()},
        {}, report2, 60000);
    QVERIFY2(failed.problem.startsWith("kappa exited with 1"), qPrintable(failed.problem));
    QVERIFY2(failed.err.contains("no pools from the chain at http://127.0.0.1:1/...") &&
                 failed.err.contains("cannot connect"), failed.err.constData());
    const QStringList hits2 = kappa::test::secretLeaks(failed, data2, pathKey);
    QVERIFY2(hits2.isEmpty(), qPrintable(hits2.join('\n')));
  }

  // --demo with a funded key: one small swap (sell 0.01 WETH; the Router's WETH approval first).
  // Every transaction of the report is the chain's: its receipt (asked by the test's own RPC
  // client) has the same block, gas used, effective gas price, and fee = their product; its nonce
  // is the transaction's. The wallet's WETH fell by exactly the swap's input, its ETH by exactly
  // the fees the report lists.
  void demoSwapReportedWithItsReceipts() {
    const QString data = dir_.filePath("demo-data"), report = dir_.filePath("demo-report.json");
    const QString wallet = addressOf(kFundedKey);
    const QString weth = chain_.token("WETH");
    auto wethOf = [&](const QString& who) {
      const kappa::evm::Bytes call = kappa::evm::abi::encodeCall("balanceOf(address)", {kappa::evm::abi::Value::address(kappa::evm::parseAddress(who.toStdString()))});
      const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", weth}, {"data", QString::fromStdString(kappa::evm::toHex(call))}}, "latest"});
      return kappa::evm::abi::decodeUint256(kappa::evm::fromHex(r.toString().toStdString()));
    };
    const kappa::evm::U256 wethBefore = wethOf(wallet);
    const kappa::evm::U256 ethBefore = kappa::evm::u256FromQuantity(chain_.rpc("eth_getBalance", {wallet, "latest"}).toString().toStdString());
    QStringList args = baseArgs(data, report) + QStringList{"--venue", "evm", "--rpc-url", chain_.url(), "--evm-deployment", deploymentFile_, "--demo"};
    args[args.indexOf("--duration") + 1] = "8";
    const AppRun run = kappa::test::runKappa(kappa::test::kappaBinary(), args, {{"KAPPA_EVM_PRIVATE_KEY", QString::fromLatin1(kFundedKey)}}, report, 60000);
    QVERIFY2(run.problem.isEmpty(), qPrintable(run.problem));
    const QJsonObject r = parseExact(run.reportBytes);
    const QJsonArray txs = r["transactions"].toArray();
    QVERIFY2(!txs.isEmpty(), run.reportBytes.right(3000).constData());
    kappa::evm::U256 fees = 0;
    int swaps = 0;
    for (const QJsonValue& tv : txs) {
      const QJsonObject t = tv.toObject();
      const QString hash = t["hash"].toString();
      QVERIFY2(t["state"].toString() == "included" || t["state"].toString() == "confirmed" || t["state"].toString() == "final",
               qPrintable(QJsonDocument(t).toJson()));
      const QJsonObject receipt = chain_.rpc("eth_getTransactionReceipt", {hash}).toObject();
      QVERIFY2(!receipt.isEmpty(), qPrintable(hash));
      QCOMPARE(receipt["status"].toString(), QString("0x1"));
      QCOMPARE(receipt["from"].toString().toLower(), wallet.toLower());
      const QJsonObject tx = chain_.rpc("eth_getTransactionByHash", {hash}).toObject();
      QCOMPARE(QString::number(t["nonce"].toInteger()), decimalOf(tx["nonce"]));
      QCOMPARE(QString::number(t["block"].toInteger()), decimalOf(receipt["blockNumber"]));
      QCOMPARE(t["block_hash"].toString(), receipt["blockHash"].toString());
      QCOMPARE(digits(t["gas_used"]), decimalOf(receipt["gasUsed"]));
      QCOMPARE(digits(t["effective_gas_price_wei"]), decimalOf(receipt["effectiveGasPrice"]));
      const kappa::evm::U256 fee = kappa::evm::u256FromQuantity(receipt["gasUsed"].toString().toStdString()) *
                                   kappa::evm::u256FromQuantity(receipt["effectiveGasPrice"].toString().toStdString());
      QCOMPARE(digits(t["fee_wei"]), QString::fromStdString(kappa::evm::u256ToDecimal(fee)));
      // Written as a bare JSON integer, not a string.
      QVERIFY(run.reportBytes.contains("\"fee_wei\": " + QByteArray::fromStdString(kappa::evm::u256ToDecimal(fee))));
      QVERIFY(t["confirmations"].toInteger() >= 1);
      fees += fee;
      if (t["kind"].toString() == "swap") {
        ++swaps;
        QVERIFY2(t["order"].toInteger() > 0, qPrintable(QJsonDocument(t).toJson()));
        QCOMPARE(receipt["to"].toString().toLower(), chain_.router().toLower());
      } else {
        QCOMPARE(t["kind"].toString(), QString("approval"));
        QCOMPARE(t["order"].toString(), QString("approval"));
        QCOMPARE(receipt["to"].toString().toLower(), weth.toLower());
      }
    }
    QCOMPARE(swaps, 1);
    // The journal keeps the signed transactions (to resend one the node lost), never the key.
    const QStringList hits = kappa::test::secretLeaks(run, data, kFundedKey);
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join('\n')));
    QVERIFY(kappa::test::findSecretInTree(data, "0x" + kFundedKey).isEmpty());
    // The wallet: 0.01 WETH sold, the fees paid in ETH (nothing else moves this account).
    QCOMPARE(wethBefore - wethOf(wallet), kappa::evm::U256(10'000'000'000'000'000ULL));
    const kappa::evm::U256 ethAfter = kappa::evm::u256FromQuantity(chain_.rpc("eth_getBalance", {wallet, "latest"}).toString().toStdString());
    QCOMPARE(ethBefore - ethAfter, fees);
    // The report's wallet balances are the chain's at the block they name.
    const QJsonObject balances = r["wallet_balances"].toObject();
    QCOMPARE(balances["address"].toString().toLower(), wallet.toLower());
    const QString at = QString::fromStdString(kappa::evm::u256ToQuantity(kappa::evm::U256(std::uint64_t(balances["block"].toInteger()))));
    QVERIFY(balances["block"].toInteger() > 0);
    QCOMPARE(digits(balances["native"].toObject()["balance_wei"]), decimalOf(chain_.rpc("eth_getBalance", {wallet, at})));
    bool sawWeth = false;
    for (const QJsonValue& tv : balances["tokens"].toArray()) {
      const QJsonObject t = tv.toObject();
      const kappa::evm::Bytes call = kappa::evm::abi::encodeCall("balanceOf(address)", {kappa::evm::abi::Value::address(kappa::evm::parseAddress(wallet.toStdString()))});
      const QJsonValue onChain = chain_.rpc("eth_call", {QJsonObject{{"to", t["address"].toString()}, {"data", QString::fromStdString(kappa::evm::toHex(call))}}, at});
      QCOMPARE(digits(t["balance"]), QString::fromStdString(kappa::evm::u256ToDecimal(kappa::evm::abi::decodeUint256(kappa::evm::fromHex(onChain.toString().toStdString())))));
      if (t["symbol"].toString() == "WETH") {
        sawWeth = true;
        QVERIFY(digits(t["router_allowance"]).size() > 70);  // approve(Router, 2^256-1) for the sell
      }
    }
    QVERIFY(sawWeth);

    // Again on the same data dir, without --demo: the journal brings the transactions back (the
    // report lists the same ones, deeper now), and nothing is sent again.
    const QString nonce = chain_.rpc("eth_getTransactionCount", {wallet, "pending"}).toString();
    const QString report2 = dir_.filePath("demo-report-2.json");
    QStringList again = baseArgs(data, report2) + QStringList{"--venue", "evm", "--rpc-url", chain_.url(), "--evm-deployment", deploymentFile_};
    again[again.indexOf("--duration") + 1] = "3";
    const AppRun second = kappa::test::runKappa(kappa::test::kappaBinary(), again, {{"KAPPA_EVM_PRIVATE_KEY", QString::fromLatin1(kFundedKey)}}, report2, 60000);
    QVERIFY2(second.problem.isEmpty(), qPrintable(second.problem));
    const QJsonArray txs2 = parseExact(second.reportBytes)["transactions"].toArray();
    QCOMPARE(txs2.size(), txs.size());
    for (qsizetype i = 0; i < txs.size(); ++i) {
      const QJsonObject a = txs[i].toObject(), b = txs2[i].toObject();
      QCOMPARE(b["hash"].toString(), a["hash"].toString());
      QCOMPARE(b["fee_wei"], a["fee_wei"]);
      QCOMPARE(b["block"].toInteger(), a["block"].toInteger());
      QVERIFY(b["confirmations"].toInteger() > a["confirmations"].toInteger());
    }
    QCOMPARE(chain_.rpc("eth_getTransactionCount", {wallet, "pending"}).toString(), nonce);
  }

  // Bad options name the option and why, before anything starts.
  void badOptionsNamed_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ftp url") << QStringList{"--venue", "evm", "--rpc-url", "ftp://127.0.0.1:1", "--evm-pools", "/dev/null"}
                             << "--rpc-url must be an http:// or https:// URL";
    QTest::newRow("no host") << QStringList{"--venue", "evm", "--rpc-url", "http://", "--evm-pools", "/dev/null"}
                             << "--rpc-url must be an http:// or https:// URL";
    QTest::newRow("user info") << QStringList{"--venue", "evm", "--rpc-url", "https://me:tst-evm-pw-55@127.0.0.1:1",
                                              "--evm-pools", "/dev/null"}
                               << "--rpc-url must not carry user:password@";
    QTest::newRow("rpc without venue") << QStringList{"--rpc-url", "http://127.0.0.1:8545"} << "need --venue evm";
    QTest::newRow("key file without venue") << QStringList{"--evm-key-file", "/dev/null"} << "need --venue evm";
    QTest::newRow("both pool sources") << QStringList{"--venue", "evm", "--rpc-url", "http://127.0.0.1:8545", "--evm-pools",
                                                      "/dev/null", "--evm-deployment", "/dev/null"}
                                       << "exactly one of --evm-deployment";
    QTest::newRow("no pools") << QStringList{"--venue", "evm", "--rpc-url", "http://127.0.0.1:8545"}
                              << "--evm-deployment FILE";
    QTest::newRow("pools without url") << QStringList{"--venue", "evm", "--evm-pools", "/dev/null"} << "needs --rpc-url";
    QTest::newRow("not an address") << QStringList{"--venue", "evm", "--rpc-url", "http://127.0.0.1:8545", "--evm-pools",
                                                   kappa::test::builtExchangeBinary()}
                                    << "not a pair address";
  }
  // Files the options name, read before anything connects.
  void badPoolFilesNamed() {
    const QString report = dir_.filePath("bad-file-report.json");
    const QString pair = chain_.pool("WETH/USDC")["address"].toString();
    QFile twice(dir_.filePath("twice.txt"));
    QVERIFY(twice.open(QIODevice::WriteOnly));
    twice.write(pair.toLatin1() + "\n" + pair.toUpper().replace("0X", "0x").toLatin1() + "\n");
    twice.close();
    QFile notJson(dir_.filePath("not.json"));
    QVERIFY(notJson.open(QIODevice::WriteOnly));
    notJson.write("{ not json");
    notJson.close();
    const QList<QPair<QStringList, QString>> cases{
        {{"--evm-pools", twice.fileName(), "--rpc-url", chain_.url()}, "line 2: " + pair + " is listed twice"},
        {{"--evm-pools", dir_.filePath("missing.txt"), "--rpc-url", chain_.url()}, "--evm-pools: cannot read"},
        {{"--evm-deployment", notJson.fileName()}, "--evm-deployment " + notJson.fileName() + ": not JSON"},
        {{"--evm-pools", "/dev/null", "--rpc-url", chain_.url()}, "no pair address in it"},
    };
    for (const auto& [args, expected] : cases) {
      const AppRun run = kappa::test::runKappa(
          kappa::test::kappaBinary(), baseArgs(dir_.filePath("bad-file-data"), report) + QStringList{"--venue", "evm"} + args, {}, report, 30000);
      QVERIFY2(run.problem.startsWith("kappa exited with 2"), qPrintable(run.problem));
      QVERIFY2(QString::fromUtf8(run.err).contains(expected), qPrintable(expected + " not in: " + run.err.left(600)));
    }
  }

  void badOptionsNamed() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const QString report = dir_.filePath("bad-option-report.json");
    QStringList all = baseArgs(dir_.filePath("bad-option-data"), report) + args;
    const AppRun run = kappa::test::runKappa(kappa::test::kappaBinary(), all, {}, report, 30000);
    QVERIFY2(run.problem.startsWith("kappa exited with 2"), qPrintable(run.problem));
    QVERIFY2(QString::fromUtf8(run.err).contains(expected), run.err.left(600).constData());
    QVERIFY(!run.err.contains("tst-evm-pw-55"));  // a URL is never echoed
  }
};

QTEST_GUILESS_MAIN(TestEvmApp)
#include "tst_evm_app.moc"
