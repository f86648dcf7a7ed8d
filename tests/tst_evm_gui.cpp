// The on-chain venue in the trading window, against a real local chain with the real Uniswap V2
// (kappa-exchange --chain, manual mining, no background trader: the test mines every block itself)
// and a real Engine + EvmVenue signing with anvil's public dev key of funded account 0 (a test key,
// never a secret). Real widgets, clicked:
//   - the On-chain dock shows the pool (reserves equal to the chain's getReserves) and the wallet
//     (ETH and token balances equal to eth_getBalance / balanceOf, the Router's allowance "none");
//   - the ticket's on-chain section for WETH/USDC: its expected out equals the Router's own
//     getAmountsOut at the head, the minimum out the venue's slippage below it;
//   - a buy from the ticket shows pending, then included, and its confirmations count up per block;
//     the wallet's USDC allowance turns "unlimited" (the venue's approve);
//   - a swap sent, then the next block's base fee raised above its max fee (anvil_setNextBlockBaseFeePerGas):
//     the row says "stuck"; clicking Speed up sends a replacement (new hash, same nonce) that the
//     next block includes, the original never; the old one is gone from the chain;
//   - Cancel on a pending row cancels the order through the engine (a self-transfer takes its nonce);
//   - the node killed: the panel greys out, "STALE since ...".
// KAPPA_TEST_SHOTS=DIR saves screenshots (evm-gui-*.png).
#include <QtTest>

#include <QApplication>
#include <QComboBox>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>

#include "ChainProcess.hpp"
#include "ChainValues.hpp"
#include "TestShots.hpp"
#include "EvmTestEngine.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "ChartWidget.hpp"
#include "MainWindow.hpp"
#include "RiskPanel.hpp"
#include "OrderTicket.hpp"
#include "Theme.hpp"
#include "onchain/BlockStrip.hpp"
#include "onchain/OnChainFormat.hpp"
#include "onchain/OnChainPanel.hpp"
#include "onchain/OnChainTicketSection.hpp"
#include "onchain/TransactionsTable.hpp"
#include "orchestrator/Engine.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/TokenAmount.hpp"

using namespace kappa;
using namespace kappa::evm;
using namespace kappa::test;
using kappa::ui::MainWindow;
using kappa::ui::onchain::TransactionsTable;

namespace {

}  // namespace

class TestEvmGui : public QObject {
  Q_OBJECT
  ChainProcess chain_;
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MainWindow> window_;
  EvmVenue* venue_ = nullptr;  // owned by the engine
  InstrumentId weth_ = kNoInstrument;
  QString me_;

  void mine() {
    QString e;
    chain_.rpc("evm_mine", {}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  void setNextBaseFee(const U256& wei) {
    QString e;
    chain_.rpc("anvil_setNextBlockBaseFeePerGas", {QString::fromStdString(u256ToQuantity(wei))}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  std::uint64_t head() { return hex64(chain_.rpc("eth_blockNumber")); }
  bool venueAtHead() { return venue_->counters().processedBlock >= head() && venue_->chain().head >= head(); }
  QJsonObject receipt(const QString& hash) { return chain_.rpc("eth_getTransactionReceipt", {hash}).toObject(); }
  U256 callUint(const QString& to, const Bytes& data, const QString& tag = "latest") {
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", to}, {"data", QString::fromStdString(toHex(data))}}, tag}, &error);
    if (!error.isEmpty()) throw std::runtime_error(error.toStdString());
    return abi::decodeUint256(fromHex(r.toString().toStdString()));
  }
  ui::onchain::OnChainPanel* panel() { return window_->onChainPanel(); }
  TransactionsTable* txs() { return panel()->transactions(); }
  QString txCell(OrderId id, int column) {
    panel()->refresh();
    const int row = txs()->rowOf(id);
    if (row < 0 || !txs()->item(row, column)) return {};
    return txs()->item(row, column)->text();
  }
  QString txHashShown(OrderId id) {
    panel()->refresh();
    const int row = txs()->rowOf(id);
    return row < 0 ? QString() : txs()->item(row, TransactionsTable::Hash)->data(Qt::UserRole).toString();
  }
  // The wallet table's row of a symbol (-1 when not shown).
  int walletRow(const QString& symbol) {
    QTableWidget* t = panel()->walletTable();
    for (int r = 0; r < t->rowCount(); ++r)
      if (t->item(r, 0) && t->item(r, 0)->text() == symbol) return r;
    return -1;
  }
  QString walletCell(const QString& symbol, int column, bool tooltip = false) {
    panel()->refresh();
    const int r = walletRow(symbol);
    if (r < 0 || !panel()->walletTable()->item(r, column)) return {};
    QTableWidgetItem* it = panel()->walletTable()->item(r, column);
    return tooltip ? it->toolTip() : it->text();
  }
  OrderId newestOrder() {
    return engine_->call([&] {
      const auto& all = engine_->orders().orders();
      return all.empty() ? OrderId(0) : all.back().id;
    });
  }
  // Buys `qty` WETH from the ticket (limit 5 % over the mark, on the tick) by clicking Buy; the new order's id.
  OrderId buyFromTicket(const QString& qty) {
    ui::OrderTicket* t = window_->ticket();
    const Price mark = engine_->call([&] { return engine_->marketData().markPrice(weth_); });
    const Instrument& inst = engine_->instruments()[weth_];
    const Price limit = (mark * 105 / 100) / inst.tickSize * inst.tickSize;
    t->typeBox()->setCurrentIndex(0);
    t->priceEdit()->setText(QString::fromStdString(formatFixed(limit, inst.priceDecimals)));
    t->qtyEdit()->setText(qty);
    const OrderId before = newestOrder();
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    OrderId id = 0;
    (void)QTest::qWaitFor([&] { return (id = newestOrder()) != before; }, 10000);
    return id == before ? 0 : id;
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

    EvmVenueConfig c;
    std::string e;
    QVERIFY2(manualMiningVenueConfig(chain_, c, e), e.c_str());
    c.tx.finalConfirmations = 6;
    c.tx.autoReplace = false;  // the speed-up is the trader's click here, not the tracker's own
    c.fees.maxFeeCap = gwei(300);  // a 100 gwei base fee can be outbid (201 gwei), a 200 gwei one cannot (401)
    engine_ = startEvmEngine(c, kDevKey1, dir_.filePath("data").toStdString(), venue_);
    QCOMPARE(QString::fromStdString(venue_->walletAddress()).toLower(), me_);
    const Instrument* weth = engine_->instruments().find(0, "WETH/USDC");
    QVERIFY(weth);
    weth_ = weth->id;

    ui::applyDarkTheme(*qApp);
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->setEvmVenue(*venue_);
    window_->resize(1600, 1000);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->selectInstrument(weth_);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead() && engine_->call([&] { return engine_->marketData().markPrice(weth_); }) > 0, 15000);
  }
  void cleanupTestCase() {
    window_.reset();
    if (engine_) engine_->stop();
    engine_.reset();
    chain_.stop();
  }

  // The dock is there (an evm venue is configured) and shows the pool and the wallet as the chain says.
  void panelShowsPoolAndWallet() {
    QVERIFY(panel());
    QVERIFY(panel()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(venue_->wallet().updatedAt != 0, 10000);
    panel()->refresh();
    // The pool: its reserves are the chain's getReserves at the head (nothing swapped since).
    QTableWidget* pools = panel()->poolsTable();
    int row = -1;
    for (int r = 0; r < pools->rowCount(); ++r)
      if (pools->item(r, 0) && pools->item(r, 0)->text() == "WETH/USDC") row = r;
    QVERIFY2(row >= 0, "WETH/USDC not in the pools table");
    const QJsonObject pool = chain_.pool("WETH/USDC");
    const QString pair = pool["address"].toString();
    const Bytes reservesCall = abi::encodeCall("getReserves()", {});
    QString error;
    const QJsonValue rr = chain_.rpc("eth_call", {QJsonObject{{"to", pair}, {"data", QString::fromStdString(toHex(reservesCall))}}, "latest"}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const Bytes reserves = fromHex(rr.toString().toStdString());
    const bool wethIs0 = pool["token0"].toString() == chain_.token("WETH");
    const U256 wethReserve = abi::decodeUint256(reserves, wethIs0 ? 0 : 1), usdcReserve = abi::decodeUint256(reserves, wethIs0 ? 1 : 0);
    QTRY_COMPARE_WITH_TIMEOUT(pools->item(row, 2)->toolTip(), ui::onchain::exactWei(wethReserve), 5000);
    QCOMPARE(pools->item(row, 3)->toolTip(), ui::onchain::exactWei(usdcReserve));
    QVERIFY2(pools->item(row, 2)->text().endsWith(" WETH"), qPrintable(pools->item(row, 2)->text()));
    QVERIFY(!pools->item(row, 1)->text().isEmpty());
    // Volume: the last 24 h by block time, which on a chain younger than a day says since when.
    QCOMPARE(pools->horizontalHeaderItem(4)->text(), QString("Volume 24 h"));
    QVERIFY(pools->horizontalHeaderItem(4)->toolTip().contains("last 24 h"));
    QTRY_VERIFY_WITH_TIMEOUT(pools->item(row, 4)->text().contains(" since "), 5000);

    // The wallet: ETH and each token, exact, as the chain says; no allowance yet.
    const QString usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    const Address meAddr = parseAddress(me_.toStdString());
    const U256 eth = hexq(chain_.rpc("eth_getBalance", {me_, "latest"}));
    QTRY_COMPARE_WITH_TIMEOUT(walletCell("ETH", 1, true), ui::onchain::exactWei(eth), 5000);
    const U256 usdcBal = callUint(usdc, abi::encodeCall("balanceOf(address)", {abi::Value::address(meAddr)}));
    QCOMPARE(walletCell("USDC", 1, true), ui::onchain::exactWei(usdcBal));
    QCOMPARE(walletCell("USDC", 1), QString("1,000,000.00"));
    const U256 wethBal = callUint(weth, abi::encodeCall("balanceOf(address)", {abi::Value::address(meAddr)}));
    QCOMPARE(walletCell("WETH", 1, true), ui::onchain::exactWei(wethBal));
    QCOMPARE(walletCell("USDC", 3), QString("none"));
    QVERIFY2(walletCell("USDC", 2).startsWith("$1,000,000"), qPrintable(walletCell("USDC", 2)));
    QVERIFY2(walletCell("WETH", 2).startsWith("$"), qPrintable(walletCell("WETH", 2)));  // priced at the pool's mid
    // The block strip: the head, its base fee.
    QTRY_COMPARE_WITH_TIMEOUT(panel()->blockStrip()->blockLabel()->text(), QString("#%1").arg(head()), 5000);
    QVERIFY(panel()->blockStrip()->baseFeeLabel()->text().endsWith("gwei") ||
            panel()->blockStrip()->baseFeeLabel()->text().contains("gwei"));
    // The chain view behind the strip: the head's base fee as the node says, and its history.
    const QJsonObject block = chain_.rpc("eth_getBlockByNumber", {"latest", false}).toObject();
    QTRY_COMPARE_WITH_TIMEOUT(venue_->chain().head, hex64(block["number"]), 5000);
    const EvmChainView cv = venue_->chain();
    QCOMPARE(cv.baseFee, hexq(block["baseFeePerGas"]));
    QCOMPARE(cv.headTime, Nanos(hex64(block["timestamp"])) * 1'000'000'000);
    QVERIFY(!cv.baseFeeHistoryGwei.empty() && cv.baseFeeHistoryGwei.size() <= EvmChainView::kBaseFeeHistory);
    QCOMPARE(cv.historyFirstBlock + cv.baseFeeHistoryGwei.size() - 1, cv.head);
    QVERIFY(std::abs(cv.baseFeeHistoryGwei.back() - tokenAmountToDouble(cv.baseFee, 9)) < 1e-12);
    QVERIFY(cv.suggestedTip > 0);
    QVERIFY(cv.error.empty());
    QVERIFY(!panel()->stale());
    shot(window_.get(), "evm-gui-panel");
  }

  // The ticket's on-chain section: the Router's own quote for 1 WETH at the head, exactly.
  void ticketShowsTheRoutersQuote() {
    ui::OrderTicket* t = window_->ticket();
    window_->selectInstrument(weth_);
    t->qtyEdit()->setText("1");
    ui::onchain::OnChainTicketSection* s = window_->onChainTicket();
    QVERIFY(s);
    QTRY_VERIFY_WITH_TIMEOUT(s->isVisible(), 5000);
    s->refresh();
    const QString usdc = chain_.token("USDC"), weth = chain_.token("WETH");
    const U256 one = pow10U256(18);
    const Bytes call = abi::encodeCall("getAmountsOut(uint256,address[])",
                                       {abi::Value::uint256(one), abi::Value::addressArray({parseAddress(weth.toStdString()), parseAddress(usdc.toStdString())})});
    QString error;
    const QJsonValue r = chain_.rpc("eth_call", {QJsonObject{{"to", chain_.router()}, {"data", QString::fromStdString(toHex(call))}}, "latest"}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const U256 routerOut = abi::decodeUint256Array(fromHex(r.toString().toStdString())).at(1);
    QCOMPARE(s->figure(Side::Sell, "out")->toolTip(), ui::onchain::exactWei(routerOut));
    const U256 minOut = routerOut * U256(10000 - venue_->config().slippageBps) / U256(10000);
    QVERIFY2(s->figure(Side::Sell, "min")->toolTip().endsWith(ui::onchain::exactWei(minOut)), qPrintable(s->figure(Side::Sell, "min")->toolTip()));
    QVERIFY2(s->figure(Side::Buy, "out")->text().endsWith(" WETH"), qPrintable(s->figure(Side::Buy, "out")->text()));
    QVERIFY2(s->figure(Side::Buy, "impact")->text().endsWith(" %"), qPrintable(s->figure(Side::Buy, "impact")->text()));
    QVERIFY2(s->figure(Side::Buy, "gas")->text().endsWith(" ETH"), qPrintable(s->figure(Side::Buy, "gas")->text()));
    QVERIFY2(s->figure(Side::Buy, "gasUsd")->text().startsWith("$"), qPrintable(s->figure(Side::Buy, "gasUsd")->text()));
    // Not for another venue's instrument: there is none here, so: a bad quantity says why.
    t->qtyEdit()->setText("abc");
    s->refresh();
    QCOMPARE(s->figure(Side::Sell, "out")->text(), QString("—"));
    t->qtyEdit()->setText("1");
    shot(t, "evm-gui-ticket");
  }

  // A buy from the ticket: pending (Speed up and Cancel shown), included, confirmations up per block.
  void buyFromTicketConfirmationsCountUp() {
    // No swap on the pool yet: the chart says so rather than draw a line over 1970 times.
    QCOMPARE(window_->chart()->candleCount(), 0);
    QVERIFY(window_->chart()->emptyText().startsWith("No trades yet on this instrument"));
    const OrderId id = buyFromTicket("1");
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("pending"), 10000);
    QVERIFY(txs()->speedUpButton(id) && txs()->speedUpButton(id)->isEnabled());
    QVERIFY(txs()->cancelButton(id) && txs()->cancelButton(id)->isEnabled());
    QCOMPARE(txCell(id, TransactionsTable::Conf), QString("—"));
    const QString hash = txHashShown(id);
    QVERIFY(hash.startsWith("0x") && hash.size() == 66);
    mine();  // the approval and the swap
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("1"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!txs()->speedUpButton(id) && !txs()->cancelButton(id), 5000);  // none once included
    QTRY_VERIFY_WITH_TIMEOUT(window_->chart()->candleCount() > 0 && window_->chart()->emptyText().isEmpty(), 5000);  // the swap's bar
    const QJsonObject r = receipt(hash);
    QCOMPARE(r["status"].toString(), QString("0x1"));
    QCOMPARE(txCell(id, TransactionsTable::GasUsed).remove(','), QString::number(hex64(r["gasUsed"])));
    QCOMPARE(txs()->item(txs()->rowOf(id), TransactionsTable::FeeNative)->toolTip(),
             ui::onchain::exactWei(hexq(r["gasUsed"]) * hexq(r["effectiveGasPrice"])));
    QVERIFY(txCell(id, TransactionsTable::FeeUsd).startsWith("$"));
    for (int c = 2; c <= 3; ++c) {
      mine();
      QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString::number(c), 10000);
    }
    QCOMPARE(txCell(id, TransactionsTable::Status), QString("confirmed"));
    // The wallet: the venue approved the Router for USDC before the swap.
    QTRY_COMPARE_WITH_TIMEOUT(walletCell("USDC", 3), QString("unlimited"), 5000);
    // The risk strip's PnL is the pool's, in its settlement currency (USDC): gas and the pool's fee
    // make it negative right after the buy; no coin the window does not trade.
    QTRY_VERIFY_WITH_TIMEOUT(window_->riskPanel()->statsText().contains(QRegularExpression("PnL -[0-9.]+ USDC")), 5000);
    QVERIFY2(!window_->riskPanel()->statsText().contains("BTC"), qPrintable(window_->riskPanel()->statsText()));
    shot(window_.get(), "evm-gui-confirmed");
  }

  // The next block's base fee jumps above the pending swap's max fee: "stuck". Speed up: a
  // replacement at the same nonce with raised fees; the next block includes it, not the original.
  void stuckSwapIsSpedUpFromThePanel() {
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = buyFromTicket("0.5");
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("pending"), 10000);
    const std::optional<EvmOrderView> sent = venue_->order(id);
    QVERIFY(sent);
    const QString original = QString::fromStdString(sent->txHash);
    const std::uint64_t nonce = sent->nonce;
    QVERIFY(sent->maxFeePerGas > 0 && sent->maxFeePerGas < gwei(100));
    setNextBaseFee(gwei(100));
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("stuck"), 10000);  // the chain view sees the next base fee
    QVERIFY2(txs()->item(txs()->rowOf(id), TransactionsTable::Status)->toolTip().contains("below the next block's base fee"),
             qPrintable(txs()->item(txs()->rowOf(id), TransactionsTable::Status)->toolTip()));
    QVERIFY(panel()->blockStrip()->baseFeeLabel()->text().contains("next 100.00"));
    shot(window_.get(), "evm-gui-stuck");

    QPushButton* speed = txs()->speedUpButton(id);
    QVERIFY(speed && speed->isEnabled() && speed->isVisible());
    QTest::mouseClick(speed, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(txHashShown(id) != original, 10000);
    const QString replacement = txHashShown(id);
    QCOMPARE(txCell(id, TransactionsTable::Nonce), QString::number(nonce));
    QCOMPARE(venue_->order(id)->nonce, nonce);
    QCOMPARE(txCell(id, TransactionsTable::Status), QString("pending (sped up)"));
    QVERIFY2(txCell(id, TransactionsTable::Detail).startsWith("sped up at nonce " + QString::number(nonce)), qPrintable(txCell(id, TransactionsTable::Detail)));
    QVERIFY(venue_->order(id)->maxFeePerGas >= gwei(100));
    // The venue's answer shows under the table.
    QTRY_VERIFY_WITH_TIMEOUT((panel()->refresh(), panel()->messageLabel()->text().startsWith(QString("Order %1: sped up at nonce %2").arg(id).arg(nonce))),
                             5000);
    // Both are known to the node's pool (the original until the replacement is mined).
    const QJsonObject tx = chain_.rpc("eth_getTransactionByHash", {replacement}).toObject();
    QCOMPARE(hex64(tx["nonce"]), nonce);
    shot(window_.get(), "evm-gui-sped-up");

    mine();  // at 100 gwei base fee: the replacement gets in
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("1"), 10000);
    QCOMPARE(txHashShown(id), replacement);
    const QJsonObject r = receipt(replacement);
    QCOMPARE(r["status"].toString(), QString("0x1"));
    QVERIFY(hexq(r["effectiveGasPrice"]) >= gwei(100));
    QVERIFY(receipt(original).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(id), OrderState::Filled, 5000);  // the Fill reaches the engine after the view
    QVERIFY2(txCell(id, TransactionsTable::GasPrice).toDouble() >= 100.0, qPrintable(txCell(id, TransactionsTable::GasPrice)));
    setNextBaseFee(gwei(1));
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("2"), 10000);
    shot(window_.get(), "evm-gui-sped-up-mined");
    // Speed up of a swap no longer pending: refused with the reason, nothing sent.
    venue_->speedUp(id);
    QTRY_VERIFY_WITH_TIMEOUT(venue_->order(id)->detail.find("speed-up refused: not pending") != std::string::npos, 5000);
    QCOMPARE(QString::fromStdString(venue_->order(id)->txHash), replacement);
  }

  // A speed-up the fee cap forbids: refused with the reason (in the panel), nothing sent; the swap
  // stays pending at its hash and goes in once the base fee is back down.
  void speedUpOverTheFeeCapIsRefused() {
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = buyFromTicket("0.2");
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("pending"), 10000);
    const QString hash = txHashShown(id);
    setNextBaseFee(gwei(200));
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("stuck"), 10000);
    QTest::mouseClick(txs()->speedUpButton(id), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT((panel()->refresh(), panel()->messageLabel()->text().startsWith(QString("Order %1: speed-up refused: ").arg(id))), 5000);
    const QString message = panel()->messageLabel()->text();
    QVERIFY2(message.contains("above the cap 300 gwei"), qPrintable(message));
    QVERIFY2(panel()->messageLabel()->styleSheet().contains(ui::colors::ask.name()), qPrintable(panel()->messageLabel()->styleSheet()));
    QCOMPARE(txHashShown(id), hash);
    QCOMPARE(txCell(id, TransactionsTable::Status), QString("stuck"));
    shot(window_.get(), "evm-gui-speedup-refused");
    setNextBaseFee(gwei(1));
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("1"), 10000);
    QCOMPARE(txHashShown(id), hash);
    QCOMPARE(receipt(hash)["status"].toString(), QString("0x1"));
  }

  // Cancel on a pending row: the engine's cancel, the venue's self-transfer at the nonce.
  void cancelFromThePanel() {
    QTRY_VERIFY_WITH_TIMEOUT(venueAtHead(), 5000);
    const OrderId id = buyFromTicket("0.1");
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("pending"), 10000);
    const QString swap = txHashShown(id);
    // By keyboard: the row selected, Del (the button's tooltip says so).
    QVERIFY(txs()->cancelButton(id)->toolTip().contains("Del"));
    txs()->setFocus();
    txs()->setCurrentCell(txs()->rowOf(id), TransactionsTable::Hash);
    QTest::keyClick(txs(), Qt::Key_Delete);
    QVERIFY(panel()->messageLabel()->text().startsWith("Cancel sent"));
    QTRY_VERIFY_WITH_TIMEOUT(txHashShown(id) != swap, 10000);
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(id), OrderState::Cancelled, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("cancelled"), 5000);
    QVERIFY(receipt(swap).isEmpty());
  }

  // The node goes away: everything greyed, "STALE since ...", the buttons off.
  void nodeDownShowsStale() {
    chain_.kill();
    QTRY_VERIFY_WITH_TIMEOUT((panel()->refresh(), panel()->stale()), 15000);
    QVERIFY2(panel()->findChild<QLabel*>("chainStale")->text().startsWith("STALE since "),
             qPrintable(panel()->findChild<QLabel*>("chainStale")->text()));
    QVERIFY(panel()->findChild<QLabel*>("walletTitle")->text().contains("stale since"));
    QCOMPARE(walletCell("USDC", 1).isEmpty(), false);  // the last figures stay, greyed
    shot(window_.get(), "evm-gui-stale");
  }

 private:
  OrderState stateOf(OrderId id) { return engine_->call([&] { return engine_->orders().find(id)->state; }); }
};

QTEST_MAIN(TestEvmGui)
#include "tst_evm_gui.moc"
