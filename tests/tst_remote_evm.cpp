// The On-chain dock in an attached window (issue 15): a headless `kappa --serve` engine whose evm
// venue follows a real local chain with the real Uniswap V2 (kappa-exchange --chain, manual mining:
// the test mines every block), over a real nats-server with the desk's roles, and a window attached
// to it as the trader (`kappa --attach`: RemoteEngineLink + RemoteEvmView). Real widgets, clicked:
//   - the dock appears from the engine's "evm" part, its pool's reserves equal the chain's
//     getReserves, the wallet is the engine's (its address and ETH balance as the chain says), the
//     block strip shows the chain's head;
//   - a buy from the attached ticket shows pending in the attached transactions table; Speed up
//     there goes to the engine as the command speed_up, journaled with the user; the engine's
//     venue replaces the transaction (same nonce, new hash) and its answer shows under the table;
//     the next block includes the replacement, whose confirmations count up in the attached table;
//   - a viewer's speed_up is refused by the server, with the reason in its link status;
//   - the NATS server killed: the dock greys, "link to engine a lost since ...", never shown as live.
// KAPPA_TEST_SHOTS=DIR saves screenshots (remote-evm-*.png).
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QComboBox>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "ChainProcess.hpp"
#include "ChainValues.hpp"
#include "TestShots.hpp"
#include "ExchangeProcess.hpp"  // exchangeBinary()
#include "MainWindow.hpp"
#include "NatsServerProcess.hpp"
#include "OrderTicket.hpp"
#include "ServedEngine.hpp"
#include "Theme.hpp"
#include "onchain/BlockStrip.hpp"
#include "onchain/OnChainFormat.hpp"
#include "onchain/OnChainPanel.hpp"
#include "onchain/OnChainTicketSection.hpp"
#include "onchain/TransactionsTable.hpp"
#include "remote/RemoteEngineLink.hpp"
#include "remote/RemoteEvmView.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/U256.hpp"

using namespace kappa;
using namespace kappa::evm;
using namespace kappa::test;
using kappa::ui::MainWindow;
using kappa::ui::onchain::TransactionsTable;

namespace {

nats::NatsSettings as(const NatsServerProcess& server, const QString& user) {
  nats::NatsSettings s;
  s.url = server.url().toStdString();
  s.user = user.toStdString();
  s.password = server.password(user).toStdString();
  s.connectionName = "tst_remote_evm " + s.user;
  return s;
}

// Connects `link` as `user` to engine a, retrying while the engine comes up (bounded).
std::string attach(remote::RemoteEngineLink& link, const NatsServerProcess& server, const QString& user) {
  QElapsedTimer t;
  t.start();
  std::string error = "not tried";
  while (t.elapsed() < 30000 && !(error = link.connect(as(server, user), "a", std::chrono::milliseconds(2000))).empty()) {
    link.close();
    QTest::qWait(200);
  }
  return error;
}

}  // namespace

class TestRemoteEvm : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  ChainProcess chain_;
  NatsServerProcess server_;
  std::unique_ptr<ServedEngine> engine_;
  std::unique_ptr<remote::RemoteEngineLink> link_;
  std::unique_ptr<remote::RemoteEvmView> evm_;
  std::unique_ptr<MainWindow> window_;
  InstrumentId weth_ = kNoInstrument;
  QString me_;

  void mine() {
    QString e;
    chain_.rpc("evm_mine", {}, &e);
    QVERIFY2(e.isEmpty(), qPrintable(e));
  }
  std::uint64_t head() { return hex64(chain_.rpc("eth_blockNumber")); }
  QJsonObject receipt(const QString& hash) { return chain_.rpc("eth_getTransactionReceipt", {hash}).toObject(); }
  ui::onchain::OnChainPanel* panel() { return window_->onChainPanel(); }
  TransactionsTable* txs() { return panel()->transactions(); }
  // Reads what the window shows now: its snapshot pulled, the panel refreshed.
  void refresh() {
    window_->frame();
    panel()->refresh();
  }
  QString txCell(OrderId id, int column) {
    refresh();
    const int row = txs()->rowOf(id);
    if (row < 0 || !txs()->item(row, column)) return {};
    return txs()->item(row, column)->text();
  }
  QString txHashShown(OrderId id) {
    refresh();
    const int row = txs()->rowOf(id);
    return row < 0 || !txs()->item(row, TransactionsTable::Hash) ? QString()
                                                                 : txs()->item(row, TransactionsTable::Hash)->data(Qt::UserRole).toString();
  }
  int rowOf(QTableWidget* t, const QString& first) {
    for (int r = 0; r < t->rowCount(); ++r)
      if (t->item(r, 0) && t->item(r, 0)->text() == first) return r;
    return -1;
  }
  OrderId newestOrder() {
    window_->frame();
    const auto& orders = link_->snapshot().orders;
    return orders.empty() ? OrderId(0) : orders.back().id;
  }
  // Buys `qty` WETH from the attached ticket, limit 5 % over the pool's mid; the new order's id.
  OrderId buyFromTicket(const QString& qty) {
    ui::OrderTicket* t = window_->ticket();
    double mid = 0;
    for (const EvmPoolView& p : evm_->snapshot().pools)
      if (p.instrument == weth_) mid = p.mid;
    if (mid <= 0) return 0;
    const Instrument& inst = link_->instruments()[weth_];
    const Price limit = toFixed(mid * 1.05) / inst.tickSize * inst.tickSize;
    t->typeBox()->setCurrentIndex(0);
    t->priceEdit()->setText(QString::fromStdString(formatFixed(limit, inst.priceDecimals)));
    t->qtyEdit()->setText(qty);
    const OrderId before = newestOrder();
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    OrderId id = 0;
    (void)QTest::qWaitFor([&] { return (id = newestOrder()) != before; }, 10000);
    return id == before ? 0 : id;
  }
  // The newest journal rows of engine a, asked through the link (bounded).
  std::vector<JournalQueryRow> journal() {
    auto answer = std::make_shared<std::optional<JournalPage>>();
    auto mutex = std::make_shared<std::mutex>();
    JournalQuery q;
    q.limit = 500;
    link_->queryJournal(q, false, [answer, mutex](JournalPage page) {
      std::lock_guard lock(*mutex);
      *answer = std::move(page);
    });
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000) {
      {
        std::lock_guard lock(*mutex);
        if (*answer) return (*answer)->rows;
      }
      QTest::qWait(20);
    }
    return {};
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    ChainOptions o;
    o.mining = ChainOptions::Mining::Manual;
    o.addressesOut = dir_.filePath("deployment.json");
    QString error = chain_.start(exchangeBinary(), o, dir_.filePath("chain-stderr.txt"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    me_ = chain_.fundedAccount(0);
    error = server_.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // The wallet key in a 0600 file on the engine's host, as a deployment keeps it.
    QFile key(dir_.filePath("wallet.key"));
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(QByteArray(kDevKey1) + "\n");
    key.close();
    QVERIFY(key.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    engine_ = std::make_unique<ServedEngine>("a", dir_.filePath("a"));
    error = engine_->start(server_, {"--command-users", "trader", "--risk-users", "risk", "--venue", "evm", "--rpc-url",
                                     chain_.url(), "--evm-deployment", o.addressesOut, "--evm-key-file", key.fileName()});
    QVERIFY2(error.isEmpty(), qPrintable(error));

    link_ = std::make_unique<remote::RemoteEngineLink>();
    const std::string attached = attach(*link_, server_, "trader");
    QVERIFY2(attached.empty(), attached.c_str());
    evm_ = std::make_unique<remote::RemoteEvmView>(*link_);
    QTRY_VERIFY_WITH_TIMEOUT(link_->hasEvmVenue(), 10000);
    const Instrument* weth = link_->instruments().find(evm_->snapshot().venue, "WETH/USDC");
    QVERIFY(weth);
    weth_ = weth->id;

    ui::applyDarkTheme(*qApp);
    window_ = std::make_unique<MainWindow>(*link_, dir_.filePath("layout.ini"));
    window_->setEvmVenue(*evm_);
    window_->resize(1600, 1000);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->selectInstrument(weth_);
    mine();
    QTRY_VERIFY_WITH_TIMEOUT(evm_->snapshot().counters.processedBlock >= head() && evm_->snapshot().wallet.updatedAt != 0, 15000);
  }
  // After a failed function: what the served engine said (is it alive, its log's end), for CI.
  void cleanup() {
    if (!QTest::currentTestFailed() || !engine_) return;
    qWarning("engine a is %s; its output ends: %s", engine_->running() ? "running" : "NOT running",
             qPrintable(engine_->output().right(3000)));
    QFile log(dir_.filePath("a/logs/kappa.log"));
    if (log.open(QIODevice::ReadOnly)) qWarning("engine a's log ends:\n%s", log.readAll().right(6000).constData());
  }
  void cleanupTestCase() {
    window_.reset();
    evm_.reset();
    if (link_) link_->close();
    link_.reset();
    if (engine_) engine_->stop();
    engine_.reset();
    server_.stop();
    chain_.stop();
  }

  // The dock is built from the engine's part and shows the chain as it is.
  void dockShowsTheServedVenue() {
    QVERIFY(panel());
    QVERIFY(panel()->isVisible());
    // The pool's reserves: the chain's getReserves at the head.
    const QJsonObject pool = chain_.pool("WETH/USDC");
    const Bytes call = abi::encodeCall("getReserves()", {});
    QString error;
    const QJsonValue rr = chain_.rpc("eth_call", {QJsonObject{{"to", pool["address"].toString()}, {"data", QString::fromStdString(toHex(call))}}, "latest"}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const Bytes reserves = fromHex(rr.toString().toStdString());
    const bool wethIs0 = pool["token0"].toString() == chain_.token("WETH");
    const U256 wethReserve = abi::decodeUint256(reserves, wethIs0 ? 0 : 1);
    QTRY_VERIFY_WITH_TIMEOUT((refresh(), rowOf(panel()->poolsTable(), "WETH/USDC") >= 0), 5000);
    const int row = rowOf(panel()->poolsTable(), "WETH/USDC");
    QTRY_COMPARE_WITH_TIMEOUT((refresh(), panel()->poolsTable()->item(row, 2)->toolTip()), ui::onchain::exactWei(wethReserve), 5000);
    // The wallet: the engine's, its ETH as the chain says.
    const U256 eth = hexq(chain_.rpc("eth_getBalance", {me_, "latest"}));
    QTRY_VERIFY_WITH_TIMEOUT((refresh(), rowOf(panel()->walletTable(), "ETH") >= 0), 5000);
    QTRY_COMPARE_WITH_TIMEOUT((refresh(), panel()->walletTable()->item(rowOf(panel()->walletTable(), "ETH"), 1)->toolTip()),
                              ui::onchain::exactWei(eth), 5000);
    QVERIFY2(panel()->findChild<QLabel*>("walletTitle")->toolTip().toLower().startsWith(me_),
             qPrintable(panel()->findChild<QLabel*>("walletTitle")->toolTip()));
    // The block strip: the chain's head.
    QTRY_COMPARE_WITH_TIMEOUT((refresh(), panel()->blockStrip()->blockLabel()->text()), QString("#%1").arg(head()), 5000);
    QVERIFY(!panel()->stale());
    // The ticket's swap preview, from the same part.
    QTRY_VERIFY_WITH_TIMEOUT(window_->onChainTicket()->isVisible(), 5000);
    shot(window_.get(), "remote-evm-dock");
  }

  // A buy from the attached ticket, sped up from the attached panel, included, confirmed.
  void speedUpFromTheAttachedPanel() {
    const OrderId id = buyFromTicket("0.5");
    QVERIFY(id != 0);
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Status), QString("pending"), 15000);
    const QString original = txHashShown(id);
    QVERIFY(original.startsWith("0x") && original.size() == 66);
    const QString nonce = txCell(id, TransactionsTable::Nonce);
    QPushButton* speed = txs()->speedUpButton(id);
    QVERIFY(speed && speed->isEnabled());
    QTest::mouseClick(speed, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(txHashShown(id) != original, 10000);
    const QString replacement = txHashShown(id);
    QCOMPARE(txCell(id, TransactionsTable::Nonce), nonce);
    QCOMPARE(txCell(id, TransactionsTable::Status), QString("pending (sped up)"));
    // The venue's answer under the table, as in a local window.
    QTRY_VERIFY_WITH_TIMEOUT((refresh(), panel()->messageLabel()->text().startsWith(QString("Order %1: sped up at nonce %2").arg(id).arg(nonce))),
                             5000);
    QCOMPARE(link_->link().lastRefusal, std::string());
    // The command is in the engine's journal with its user.
    bool journaled = false;
    for (const JournalQueryRow& r : journal())
      journaled = journaled || (r.kind == "command" && r.text.rfind("trader: speed up order " + std::to_string(id), 0) == 0);
    QVERIFY(journaled);
    shot(window_.get(), "remote-evm-sped-up");

    mine();  // the approval and the replacement
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("1"), 10000);
    QCOMPARE(txHashShown(id), replacement);
    QCOMPARE(receipt(replacement)["status"].toString(), QString("0x1"));
    QVERIFY(receipt(original).isEmpty());
    mine();
    QTRY_COMPARE_WITH_TIMEOUT(txCell(id, TransactionsTable::Conf), QString("2"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!txs()->speedUpButton(id), 5000);  // none once included
  }

  // A viewer may read the dock, not speed anything up: the server refuses the command.
  void viewerSpeedUpRefused() {
    remote::RemoteEngineLink viewer;
    const std::string attached = attach(viewer, server_, "viewer");
    QVERIFY2(attached.empty(), attached.c_str());
    QVERIFY(viewer.hasEvmVenue());
    const std::uint64_t before = viewer.link().refusals;
    viewer.speedUp(1);
    QTRY_VERIFY_WITH_TIMEOUT(viewer.link().refusals > before, 10000);
    // The server's word (its permissions violation, or the request it refused), naming the command.
    const std::string why = viewer.link().lastRefusal;
    QVERIFY2(why.find("speed_up") != std::string::npos &&
                 (why.find("permissions violation") != std::string::npos || why.find("refused") != std::string::npos),
             why.c_str());
    viewer.close();
  }

  // A sped-up swap is likelier to execute: the engine refuses it while halted.
  void speedUpRefusedWhileHalted() {
    link_->haltAll("tst_remote_evm");
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), link_->tradingState() == TradingState::Halted), 10000);
    const std::uint64_t before = link_->link().refusals;
    link_->speedUp(1);
    QTRY_VERIFY_WITH_TIMEOUT(link_->link().refusals > before, 10000);
    QVERIFY2(link_->link().lastRefusal == "speed_up: engine 'a' is HALTED: no speed-up", link_->link().lastRefusal.c_str());
    // And the attached panel says so without asking.
    panel()->transactions()->speedUpClicked(1);
    QVERIFY2(panel()->messageLabel()->text() == "Speed up refused for order 1: trading is HALTED", qPrintable(panel()->messageLabel()->text()));
    auto answer = std::make_shared<std::promise<std::string>>();
    std::future<std::string> resumed = answer->get_future();
    link_->resume([answer](std::string why) { answer->set_value(std::move(why)); });  // on libnats' thread
    QTRY_VERIFY_WITH_TIMEOUT(resumed.wait_for(std::chrono::seconds(0)) == std::future_status::ready, 10000);
    const std::string why = resumed.get();
    QVERIFY2(why.empty(), why.c_str());
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), link_->tradingState() == TradingState::Active), 10000);
  }

  // The NATS server gone: the dock greys and says why; nothing shown as live.
  void lostLinkGreysTheDock() {
    refresh();
    QVERIFY(!panel()->stale());
    server_.kill();
    QTRY_VERIFY_WITH_TIMEOUT((refresh(), panel()->stale()), 15000);
    QVERIFY2(panel()->toolTip().startsWith("link to engine a lost since "), qPrintable(panel()->toolTip()));
    QVERIFY2(panel()->findChild<QLabel*>("chainStale")->text().startsWith("STALE since "),
             qPrintable(panel()->findChild<QLabel*>("chainStale")->text()));
    // The status bar's venue: not its last state in green.
    QTRY_VERIFY2_WITH_TIMEOUT((window_->frame(), window_->venueStatusText(evm_->snapshot().venue).endsWith("evm · state unknown: link lost")),
                              qPrintable(window_->venueStatusText(evm_->snapshot().venue)), 5000);
    window_->onChainTicket()->refresh();
    QVERIFY2(window_->onChainTicket()->findChild<QLabel*>("onChainTicketNote")->text().startsWith("link to engine a lost since "),
             qPrintable(window_->onChainTicket()->findChild<QLabel*>("onChainTicketNote")->text()));
    shot(window_.get(), "remote-evm-link-lost");
  }

  // The server back, engine a restarted without its evm venue: the new run removes the old run's
  // on-chain state from the bucket (a window attaching now has no dock), and the window still
  // attached, which hears nothing more of the venue, greys its dock as silent, not live.
  void restartWithoutTheVenue() {
    const QString restarted = server_.restart();
    QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
    QTRY_VERIFY_WITH_TIMEOUT(link_->link().connected, 20000);
    QCOMPARE(engine_->stop(), 0);
    engine_ = std::make_unique<ServedEngine>("a", dir_.filePath("a"));
    const QString started = engine_->start(server_, {"--command-users", "trader", "--risk-users", "risk"});
    QVERIFY2(started.isEmpty(), qPrintable(started));
    // A window attaching once the new run has published its own instruments (the simulator's).
    bool gone = false;
    QElapsedTimer t;
    t.start();
    while (!gone && t.elapsed() < 30000) {
      remote::RemoteEngineLink late;
      if (attach(late, server_, "trader").empty())
        gone = !late.hasEvmVenue() && !late.instruments().find(0, "WETH/USDC") && late.instruments().size() > 0;
      late.close();
      if (!gone) QTest::qWait(300);
    }
    QVERIFY2(gone, "the earlier run's on-chain state is still in the bucket");
    QTRY_VERIFY_WITH_TIMEOUT((refresh(), panel()->stale() && panel()->toolTip().startsWith("no on-chain state from engine a since ")), 25000);
    QVERIFY(link_->link().connected);
    shot(window_.get(), "remote-evm-silent");
  }
};

QTEST_MAIN(TestRemoteEvm)
#include "tst_remote_evm.moc"
