// The trading window, driven like a trader drives it: real clicks on the ladder place orders at the
// clicked price and cancel own orders; HALT ALL (button and Ctrl+Shift+H) cancels every open order
// and refuses new ones; bad input gets a visible reason and sends nothing.
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QTableView>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest>

#include "LadderPanel.hpp"
#include "LadderWidget.hpp"

#include <cmath>
#include <set>
#include "MainWindow.hpp"
#include "ChartWidget.hpp"
#include "GreeksPanel.hpp"
#include "OptionChainBoard.hpp"
#include "OrderTicket.hpp"
#include "VolSurfaceView.hpp"
#include "RiskPanel.hpp"
#include "RiskLimitsView.hpp"
#include "models/RiskModels.hpp"
#include "models/TradingModels.hpp"
#include "Theme.hpp"
#include "core/Clock.hpp"
#include "sim/SimVenue.hpp"

using namespace kappa;
using namespace kappa::ui;

// KAPPA_TEST_SHOTS=DIR: the tests save what they looked at as PNGs there (for a human to look at).
void saveShot(QWidget* w, const char* name) {
  const QString dir = qEnvironmentVariable("KAPPA_TEST_SHOTS");
  if (!dir.isEmpty()) w->window()->grab().save(dir + "/" + name + ".png");
}

// The entry of `id` among the snapshot's focused markets, to edit in a test (nullptr if absent).
FocusedMarket* focusedIn(EngineSnapshot& s, InstrumentId id) {
  for (FocusedMarket& m : s.focused)
    if (m.depth.instrument == id) return &m;
  return nullptr;
}

class TestGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MainWindow> window_;

  std::vector<Order> orders() {
    return engine_->call([this] { return std::vector<Order>(engine_->orders().orders().begin(), engine_->orders().orders().end()); });
  }
  std::size_t working() {
    return engine_->call([this] { return engine_->orders().working().size(); });
  }
  // Every order of the session with its state, for a failure message.
  QString orderStates() {
    QStringList parts;
    for (const Order& o : orders())
      parts << QString("%1@%2:%3").arg(o.id).arg(toDouble(o.request.price)).arg(int(o.state));
    return parts.join(' ');
  }
  // Waits until the ladder shows the live book, then returns a bid-side price on screen below the
  // best bid (so a buy there rests instead of trading).
  Price restingBidPrice(int ticksBelow) {
    if (!QTest::qWaitFor([this] { return window_->ladder()->bestBid() > 0; }, 5000)) qWarning("ladder has no bid yet");
    window_->ladder()->recenter();
    window_->ladder()->repaint();  // a trader clicks what is drawn: draw the re-centred rows first
    const Price tick = engine_->instruments()[window_->selectedInstrument()].tickSize;
    return window_->ladder()->bestBid() - ticksBelow * tick;
  }

 private slots:
  void initTestCase() {
    sim::SimConfig cfg;
    cfg.seed = 5;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    engine_ = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
    engine_->start();
    applyDarkTheme(*qApp);
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->lastSnapshot() && window_->ladder()->bestAsk() > 0, 5000);
    QCOMPARE(window_->riskPanel()->stateText(), QString("ACTIVE"));
  }

  void cleanupTestCase() {
    window_.reset();
    engine_->stop();
  }

  // The risk strip keeps its height whatever its detail says: a reject reason that wrapped to four
  // or five lines made the strip taller and moved every dock under it, the ladder's rows by one or
  // more rows under the trader's pointer (seen under Xvfb: the delta hedger's self_trade refusal).
  // First of the tests, while the strip still says "All checks passing".
  void riskStripDetailNeverMovesTheLadder() {
    LadderWidget* ladder = window_->ladder();
    RiskPanel* strip = window_->riskPanel();
    auto ladderTop = [&] {
      QTest::qWait(150);  // frames and the layouts they changed
      return ladder->mapTo(window_.get(), QPoint(0, 0)).y();
    };
    // A window 1480 px wide, where the detail's column is narrow enough that a price band's reason
    // took four lines (at the default width a PnL in two coins narrows it as much).
    const QSize size = window_->size();
    window_->resize(1480, size.height());
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), strip->detailText().startsWith("All checks passing")), 3000);
    const int top = ladderTop();
    const int stripHeight = strip->height();

    // A real refusal from the ticket (a price far outside the band): its reason in the strip, the
    // ladder where it was.
    OrderTicket* t = window_->ticket();
    t->typeBox()->setCurrentIndex(0);
    t->priceEdit()->setText(QString::number(std::floor(toDouble(restingBidPrice(0)) * 0.7)));
    t->qtyEdit()->setText("100");
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT((window_->frame(), strip->detailText().contains("price_band")), qPrintable(strip->detailText()),
                              3000);
    QCOMPARE(ladderTop(), top);
    QCOMPARE(strip->height(), stripHeight);
    QCOMPARE(strip->detailLabel()->toolTip(), strip->detailText());
    saveShot(strip, "risk-strip-reject");

    // However long the reason: at most the strip's lines, the end elided, all of it on hover.
    EngineSnapshot s = *window_->lastSnapshot();
    const QString longReason =
        "self_trade (BTC-PERPETUAL): would trade against our own buy #10 at 67016.5; and then some more words "
        "so that no strip at any width could hold the whole of this reason on three lines of twelve-pixel text "
        "beside the figures and the buttons, which is what a venue's own refusal text can look like";
    s.lastReject = longReason.toStdString();
    strip->apply(s, false);
    QCOMPARE(strip->detailLabel()->toolTip(), "Last reject: " + longReason);
    QVERIFY2(strip->detailLabel()->text().contains(QChar(0x2026)), qPrintable(strip->detailLabel()->text()));
    QVERIFY(strip->detailLabel()->text().count("<br>") <= RiskPanel::kDetailLines - 1);
    QCOMPARE(strip->height(), stripHeight);

    // Narrower still (1280 px): the detail gives way, HALT ALL stays whole inside the window (a
    // minimum width for the detail pushed it off a 1600 px window with a PnL in two coins).
    window_->resize(1280, size.height());
    QTest::qWait(150);
    QPushButton* haltButton = strip->haltButton();
    const int haltRight = haltButton->mapTo(window_.get(), QPoint(haltButton->width(), 0)).x();
    QCOMPARE(window_->width(), 1280);  // the strip did not make the window wider than it was made
    QVERIFY2(haltRight <= window_->width() && haltButton->width() >= haltButton->minimumWidth(),
             qPrintable(QString("HALT ALL ends at %1 of %2 px").arg(haltRight).arg(window_->width())));
    window_->resize(size);
    QTest::qWait(100);
  }

  void ladderClickPlacesOrderAtClickedPrice() {
    const Price price = restingBidPrice(4);
    window_->ladderPanel()->qtyEdit()->setText("250");
    const QPoint at = window_->ladder()->cellCenter(LadderWidget::BidSize, price);
    QVERIFY(!at.isNull());
    const std::size_t before = orders().size();
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {}, at);
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 1, 3000);
    const Order o = orders().back();
    QCOMPARE(o.request.side, Side::Buy);
    QCOMPARE(o.request.price, price);
    QCOMPARE(o.request.qty, toFixed(250));
    QCOMPARE(o.request.tag, std::string("ladder"));
    // The ladder's message line follows the order to its answer, not a grey "sent".
    QTRY_VERIFY2_WITH_TIMEOUT(window_->ladderPanel()->messageLabel()->text().contains("working") ||
                                  window_->ladderPanel()->messageLabel()->text().contains("FILLED"),
                              qPrintable(window_->ladderPanel()->messageLabel()->text()), 3000);
    // It reached the venue and rests (or, on a busy machine where the market moved down 4 ticks
    // meanwhile, already traded): anything but refused or still pending.
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
      const OrderState st = engine_->orders().find(o.id)->state;
      return st == OrderState::Open || st == OrderState::PartiallyFilled || st == OrderState::Filled;
    }), 3000);

    // Sell on the ask side.
    QTRY_VERIFY_WITH_TIMEOUT(window_->ladder()->bestAsk() > 0, 3000);
    const Price tick = engine_->instruments()[window_->selectedInstrument()].tickSize;
    const Price askPrice = window_->ladder()->bestAsk() + 4 * tick;
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {}, window_->ladder()->cellCenter(LadderWidget::AskSize, askPrice));
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 2, 3000);
    QCOMPARE(orders().back().request.side, Side::Sell);
    QCOMPARE(orders().back().request.price, askPrice);
  }

  void clickOnOwnOrderCancelsIt() {
    const Price price = restingBidPrice(12);  // far enough below that a loaded machine's market rarely fills it
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {}, window_->ladder()->cellCenter(LadderWidget::BidSize, price));
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
      for (OrderId id : engine_->orders().working()) {
        const Order* o = engine_->orders().find(id);
        if (o->request.price == price && o->state == OrderState::Open) return true;
      }
      return false;
    }), 3000);
    // Wait until the window has drawn a snapshot holding the open order (on a loaded machine that
    // takes more than one frame), then click the own-order cell.
    QTRY_VERIFY2_WITH_TIMEOUT(window_->ladder()->drawnOwnQty(Side::Buy, price) > 0,
                              qPrintable(window_->ladderPanel()->messageLabel()->text()), 5000);
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {}, window_->ladder()->cellCenter(LadderWidget::OwnBid, price));
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
      for (const Order& o : engine_->orders().orders())
        if (o.request.price == price && isWorking(o.state)) return false;
      return true;
    }), 3000);
  }

  void badInputShowsReasonAndSendsNothing() {
    const std::size_t before = orders().size();
    window_->ladderPanel()->qtyEdit()->setText("abc");
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {},
                      window_->ladder()->cellCenter(LadderWidget::BidSize, restingBidPrice(3)));
    QVERIFY(window_->ladderPanel()->messageLabel()->text().contains("not a number"));
    window_->ladderPanel()->qtyEdit()->setText("15");  // perpetual lot is 10 USD
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {},
                      window_->ladder()->cellCenter(LadderWidget::BidSize, restingBidPrice(3)));
    QVERIFY(window_->ladderPanel()->messageLabel()->text().contains("multiple of 10"));

    OrderTicket* t = window_->ticket();
    t->typeBox()->setCurrentIndex(0);
    t->priceEdit()->setText("60000.3");
    t->qtyEdit()->setText("100");
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    QVERIFY2(t->messageLabel()->text().contains("not on the tick 0.5"), qPrintable(t->messageLabel()->text()));
    t->priceEdit()->setText("");
    QTest::mouseClick(t->sellButton(), Qt::LeftButton);
    QVERIFY(t->messageLabel()->text().contains("Price is empty"));
    t->priceEdit()->setText("60000");
    t->qtyEdit()->setText("0");
    QTest::mouseClick(t->sellButton(), Qt::LeftButton);
    QVERIFY(t->messageLabel()->text().contains("greater than 0"));
    QTest::qWait(200);
    QCOMPARE(orders().size(), before);  // nothing reached the engine
    window_->ladderPanel()->qtyEdit()->setText("100");
  }

  // The ticket shows what became of its order: the risk gate's refusal in red with the reason (it
  // used to say "sent" in grey), a working order in green; and it caps the quantity where the gate
  // does (max_order_qty 1,000,000 USD), not at a figure of its own.
  void ticketShowsTheGatesAnswer() {
    OrderTicket* t = window_->ticket();
    t->typeBox()->setCurrentIndex(0);
    const Price price = restingBidPrice(7);
    t->priceEdit()->setText(QString::number(toDouble(price), 'f', 1));
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), !window_->lastSnapshot()->orderQtyCap.empty()), 3000);
    t->qtyEdit()->setText("2000000");
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    QVERIFY2(t->messageLabel()->text().contains("max_order_qty 1000000"), qPrintable(t->messageLabel()->text()));
    QVERIFY(t->messageIsError());

    engine_->changeRiskLimit("max_order_notional=10");
    QTRY_COMPARE_WITH_TIMEOUT(engine_->riskConfig().account[std::size_t(Limit::MaxOrderNotional)].value, 10.0, 3000);
    t->qtyEdit()->setText("100");
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT((window_->frame(), t->messageLabel()->text().startsWith("REFUSED")),
                              qPrintable(t->messageLabel()->text()), 3000);
    QVERIFY2(t->messageLabel()->text().contains("max_order_notional"), qPrintable(t->messageLabel()->text()));
    QVERIFY(t->messageIsError());
    QVERIFY(t->messageLabel()->styleSheet().contains("#ff6b6b"));
    saveShot(t, "ticket-refused");

    engine_->changeRiskLimit("max_order_notional=1000000");
    QTRY_COMPARE_WITH_TIMEOUT(engine_->riskConfig().account[std::size_t(Limit::MaxOrderNotional)].value, 1e6, 3000);
    QTest::mouseClick(t->buyButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT((window_->frame(), t->messageLabel()->text().contains("working") ||
                                                     t->messageLabel()->text().contains("FILLED")),
                              qPrintable(t->messageLabel()->text()), 3000);
    QVERIFY(!t->messageIsError());
    engine_->cancelAll();
  }

  void haltAllCancelsEveryOrderAndRefusesNewOnes() {
    // Near the bottom of the drawn rows, as far below the bid as the screen allows: they rest even
    // when a loaded machine's market runs 14 ticks down before the orders arrive (CI saw that fill one).
    const int deep = window_->ladder()->visibleRows() / 2 - 2;
    QVERIFY(deep >= 10);
    for (int k = deep; k > deep - 3; --k) {
      const QPoint at = window_->ladder()->cellCenter(LadderWidget::BidSize, restingBidPrice(k));
      QVERIFY(!at.isNull());
      QTest::mouseClick(window_->ladder(), Qt::LeftButton, {}, at);
    }
    QTRY_VERIFY2_WITH_TIMEOUT(working() >= 3, qPrintable(orderStates()), 3000);
    QTest::mouseClick(window_->riskPanel()->haltButton(), Qt::LeftButton);
    QVERIFY(engine_->halted());
    QCOMPARE(window_->riskPanel()->stateText(), QString("HALTED"));  // at once, no waiting on the engine
    QTRY_COMPARE_WITH_TIMEOUT(working(), std::size_t(0), 3000);
    QTRY_VERIFY_WITH_TIMEOUT(window_->lastSnapshot() && window_->lastSnapshot()->halted, 2000);

    const std::size_t before = orders().size();
    QTest::mouseClick(window_->ladder(), Qt::LeftButton, {},
                      window_->ladder()->cellCenter(LadderWidget::BidSize, restingBidPrice(5)));
    QVERIFY(window_->ladderPanel()->messageLabel()->text().contains("HALTED"));
    window_->ticket()->priceEdit()->setText(QString::number(toDouble(restingBidPrice(5)), 'f', 1));
    window_->ticket()->qtyEdit()->setText("100");
    QTest::mouseClick(window_->ticket()->buyButton(), Qt::LeftButton);
    QVERIFY(window_->ticket()->messageLabel()->text().contains("HALTED"));
    QTest::qWait(200);
    QCOMPARE(orders().size(), before);
    // Even an order that slips past the GUI is refused by the engine's gate.
    OrderRequest r;
    r.instrument = window_->selectedInstrument();
    r.side = Side::Buy;
    r.price = restingBidPrice(5);
    r.qty = toFixed(100);
    engine_->submit(r);
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 1, 3000);
    QCOMPARE(orders().back().state, OrderState::Rejected);
    QVERIFY(QString::fromStdString(orders().back().reason).contains("HALTED"));

    // RESUME asks for confirmation; accepting it resumes.
    QVERIFY(window_->riskPanel()->resumeButton()->isEnabled());
    QTest::mouseClick(window_->riskPanel()->resumeButton(), Qt::LeftButton);
    QMessageBox* box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((box = window_->findChild<QMessageBox*>("resumeConfirmation")) != nullptr, 2000);
    QVERIFY(engine_->halted());  // not before confirming
    box->button(QMessageBox::Yes)->click();
    QTRY_VERIFY_WITH_TIMEOUT(!engine_->halted(), 2000);
    QTRY_COMPARE_WITH_TIMEOUT(window_->riskPanel()->stateText(), QString("ACTIVE"), 2000);
  }

  void reduceOnlyButtonAndResume() {
    QVERIFY(window_->riskPanel()->reduceButton()->isEnabled());
    QTest::mouseClick(window_->riskPanel()->reduceButton(), Qt::LeftButton);
    QCOMPARE(engine_->tradingState(), TradingState::Reducing);  // at once, before any snapshot
    QTRY_COMPARE_WITH_TIMEOUT((window_->frame(), window_->riskPanel()->stateText()), QString("REDUCING"), 3000);
    QVERIFY(!window_->riskPanel()->reduceButton()->isEnabled());
    // A new order on a flat instrument is refused with the reason.
    const std::size_t before = orders().size();
    OrderRequest r;
    r.instrument = engine_->call([&] {  // a tradable option this session holds no position in
      for (const Instrument& i : engine_->instruments().all())
        if (i.isOption() && i.tradable && engine_->orders().positions()[i.id].qty == 0) return i.id;
      return kNoInstrument;
    });
    QVERIFY(r.instrument != kNoInstrument);
    r.type = OrderType::Market;
    r.qty = engine_->instruments()[r.instrument].minQty;
    engine_->submit(r);
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 1, 3000);
    QCOMPARE(orders().back().state, OrderState::Rejected);
    QVERIFY2(QString::fromStdString(orders().back().reason).contains("REDUCING"), orders().back().reason.c_str());
    // RESUME (confirmed) returns to ACTIVE.
    QVERIFY(window_->riskPanel()->resumeButton()->isEnabled());
    QTest::mouseClick(window_->riskPanel()->resumeButton(), Qt::LeftButton);
    QMessageBox* box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((box = window_->findChild<QMessageBox*>("resumeConfirmation")) != nullptr, 2000);
    box->button(QMessageBox::Yes)->click();
    QTRY_COMPARE_WITH_TIMEOUT(engine_->tradingState(), TradingState::Active, 2000);
    QTRY_COMPARE_WITH_TIMEOUT((window_->frame(), window_->riskPanel()->stateText()), QString("ACTIVE"), 3000);
  }

  void riskLimitsTabShowsUseSwitchesAndBreaches() {
    // The strip's summary opens the tab with every limit.
    window_->frame();
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), !window_->riskPanel()->limitsSummary()->text().isEmpty()), 3000);
    QTest::mouseClick(window_->riskPanel()->limitsSummary(), Qt::LeftButton);
    auto* tabs = window_->findChild<QTabWidget*>("centralTabs");
    QCOMPARE(tabs->currentWidget(), static_cast<QWidget*>(window_->riskLimits()));
    LimitsModel* limits = window_->riskLimits()->limits();
    auto rowOf = [&](Limit l, const std::string& scope) {
      for (int r = 0; r < limits->rowCount(); ++r)
        if (limits->row(r).limit == l && limits->row(r).scope == scope) return r;
      return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), rowOf(Limit::MaxOpenOrders, "account") >= 0), 3000);
    const int row = rowOf(Limit::MaxOpenOrders, "account");
    QCOMPARE(limits->row(row).value, 50.0);
    QVERIFY(limits->row(row).enabled);
    // A click on its switch turns it off in the engine (and back on).
    QTableView* view = window_->riskLimits()->limitsView();
    auto clickOn = [&](int r) {
      view->scrollTo(limits->index(r, LimitsModel::On));
      QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(limits->index(r, LimitsModel::On)).center());
    };
    clickOn(row);
    QTRY_VERIFY_WITH_TIMEOUT(!engine_->riskConfig().account[std::size_t(Limit::MaxOpenOrders)].enabled, 3000);
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), !limits->row(rowOf(Limit::MaxOpenOrders, "account")).enabled), 3000);
    clickOn(rowOf(Limit::MaxOpenOrders, "account"));
    QTRY_VERIFY_WITH_TIMEOUT(engine_->riskConfig().account[std::size_t(Limit::MaxOpenOrders)].enabled, 3000);
    // An order beyond a limit is refused with the limit's name and lands in the breach history.
    engine_->changeRiskLimit("instruments/@perpetual/max_order_qty=100");
    QTRY_VERIFY_WITH_TIMEOUT([&] {
      RiskConfig c = engine_->riskConfig();
      return RiskConfig::entry(c.instruments, "@perpetual")[std::size_t(Limit::MaxOrderQty)].value == 100;
    }(), 3000);
    OrderRequest big;
    big.instrument = window_->selectedInstrument();
    big.side = Side::Buy;
    big.price = restingBidPrice(8);
    big.qty = toFixed(110);
    engine_->submit(big);
    BreachesModel* breaches = window_->riskLimits()->breaches();
    QTRY_VERIFY_WITH_TIMEOUT((window_->frame(), breaches->rowCount() > 0 && breaches->row(0).what == "max_order_qty"), 3000);
    QVERIFY(breaches->index(0, BreachesModel::Detail).data().toString().contains("110, limit 100"));
    engine_->changeRiskLimit("instruments/@perpetual/max_order_qty=1000000");
    tabs->setCurrentIndex(0);
  }

  void flattenAsksThenReducesEveryPosition() {
    // A position to flatten: buy at the market.
    const InstrumentId perp = window_->selectedInstrument();
    const double before = engine_->call([&] { return engine_->orders().positions()[perp].qty; });
    OrderRequest buy;
    buy.instrument = perp;
    buy.side = Side::Buy;
    buy.type = OrderType::Market;
    buy.qty = toFixed(500);
    engine_->submit(buy);
    QTRY_COMPARE_WITH_TIMEOUT(engine_->call([&] { return engine_->orders().positions()[perp].qty; }), before + 500, 3000);
    QTest::mouseClick(window_->riskPanel()->flattenButton(), Qt::LeftButton);
    QMessageBox* box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((box = window_->findChild<QMessageBox*>("flattenConfirmation")) != nullptr, 2000);
    QCOMPARE(engine_->tradingState(), TradingState::Active);  // nothing happens before the confirmation
    box->button(QMessageBox::Yes)->click();
    QTRY_COMPARE_WITH_TIMEOUT(engine_->tradingState(), TradingState::Reducing, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(engine_->call([&] {
      double open = 0;
      for (const Position& p : engine_->orders().positions()) open += std::abs(p.qty);
      return open;
    }), 0.0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT((window_->frame(), window_->riskPanel()->stateText()), QString("REDUCING"), 3000);
    window_->resumeConfirmed();
    QTRY_COMPARE_WITH_TIMEOUT(engine_->tradingState(), TradingState::Active, 2000);
  }

  void haltShortcutWorksFromAnyWidget() {
    QVERIFY(!engine_->halted());
    QApplication::setActiveWindow(window_.get());
    window_->ticket()->qtyEdit()->setFocus();
    QTRY_VERIFY(window_->ticket()->qtyEdit()->hasFocus());
    QTest::keyClick(window_->ticket()->qtyEdit(), Qt::Key_H, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(engine_->halted());
    QCOMPARE(window_->riskPanel()->stateText(), QString("HALTED"));
    window_->resumeConfirmed();
    QVERIFY(!engine_->halted());
  }

  void optionChainClickTradesThroughTheRiskGate() {
    QVERIFY(window_->showView("chain"));
    OptionChainBoard* board = window_->chainBoard();
    QTRY_VERIFY_WITH_TIMEOUT(board->rowCount() > 0 && board->atmRow() >= 0, 5000);
    QTest::qWait(300);  // quotes for the board arrive each frame
    QTableView* table = board->table();
    const QModelIndex cell = table->model()->index(board->atmRow(), OptionChainBoard::CallAsk);
    table->scrollTo(cell);
    const std::size_t before = orders().size();
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(cell).center());
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 1, 3000);
    const Order o = orders().back();
    const Instrument& inst = engine_->instruments()[o.request.instrument];
    QVERIFY(inst.isOption());
    QCOMPARE(inst.optionType, OptionType::Call);
    QCOMPARE(o.request.side, Side::Buy);   // an ask is lifted
    QCOMPARE(o.request.qty, toFixed(1));   // the board's quantity box
    QCOMPARE(o.request.tag, std::string("chain"));
    QVERIFY(o.request.price > 0 && o.request.price % inst.tickSize == 0);
    // It trades: all of it, or part when the level held less than the board's quantity by the time
    // the order arrived (a loaded machine saw that); the rest is cancelled here.
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] { return engine_->orders().find(o.id)->filled; }) > 0, 3000);
    engine_->cancelAll();

    // The position shows up in the Greeks panel with the next analytics refresh.
    QVERIFY(window_->showView("greeks"));
    QTRY_VERIFY_WITH_TIMEOUT(!window_->greeksPanel()->showingEmptyState(), 3000);
    QVERIFY(window_->showView("surface"));
    QTRY_VERIFY_WITH_TIMEOUT(!window_->volSurface()->calendarText().isEmpty(), 3000);

    // Halted: the same click is refused with a visible reason and nothing is sent.
    QVERIFY(window_->showView("chain"));
    engine_->haltAll("test");
    const std::size_t afterFill = orders().size();
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(cell).center());
    QTest::qWait(200);
    QCOMPARE(orders().size(), afterFill);
    QVERIFY(board->findChild<QLabel*>() != nullptr);
    window_->resumeConfirmed();
    window_->showView("chart");
  }

  void chartCrosshairReadsTimeAndPrice() {
    window_->showView("chart");
    QTRY_VERIFY_WITH_TIMEOUT(window_->chart()->candleCount() > 100, 3000);  // history plus live bars
    QWidget* plot = window_->chart()->findChild<QWidget*>(QString(), Qt::FindDirectChildrenOnly);
    QVERIFY(plot);
    const QPointF at(plot->width() / 2.0, plot->height() / 2.0);
    QMouseEvent move(QEvent::MouseMove, at, plot->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    const QString text = window_->chart()->crosshairText();
    QVERIFY2(text.contains(QRegularExpression("^\\d\\d:\\d\\d:\\d\\d UTC  \\d{2},\\d{3}\\.\\d$")), qPrintable(text));
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(plot, &leave);
    QVERIFY(window_->chart()->crosshairText().isEmpty());
  }

  // A DOM's rows must not move under a trader's pointer: the market moves (here far enough that the
  // old ladder re-centred), the pointer stays, the click buys at the price drawn under it.
  void ladderStaysPutUnderPointerAndClickHitsDrawnPrice() {
    LadderWidget* ladder = window_->ladder();
    const Price tick = engine_->instruments()[window_->selectedInstrument()].tickSize;
    const Price bid = restingBidPrice(0);
    const QPoint at = ladder->cellCenter(LadderWidget::BidSize, bid - 6 * tick);
    QVERIFY(!at.isNull());
    QTest::mouseMove(ladder, at);
    QTRY_VERIFY_WITH_TIMEOUT(ladder->pointerOver(), 2000);
    const Price drawn = ladder->drawnPriceAt(at);
    QCOMPARE(drawn, bid - 6 * tick);

    // The market jumps by a screen and a half, several frames in a row.
    EngineSnapshot moved = *window_->lastSnapshot();
    QVERIFY(focusedIn(moved, window_->selectedInstrument()));
    FocusedMarket& movedMarket = *focusedIn(moved, window_->selectedInstrument());
    const Price jump = Price(ladder->visibleRows() * 3 / 2) * tick;
    for (Level& l : movedMarket.depth.bids) l.price += jump;
    for (Level& l : movedMarket.depth.asks) l.price += jump;
    movedMarket.trades.clear();
    for (int i = 0; i < 5; ++i) {
      ladder->apply(moved);
      ladder->repaint();
      QCOMPARE(ladder->drawnPriceAt(at), drawn);
    }
    QCOMPARE(ladder->insideOffScreen(), +1);  // and the ladder says where the market went
    saveShot(ladder, "ladder-market-moved-away");
    // Live frames go on arriving while the trader aims: still the same rows.
    QTest::qWait(100);
    QCOMPARE(ladder->drawnPriceAt(at), drawn);

    window_->ladderPanel()->qtyEdit()->setText("100");
    const std::size_t before = orders().size();
    QTest::mouseClick(ladder, Qt::LeftButton, {}, at);
    QTRY_COMPARE_WITH_TIMEOUT(orders().size(), before + 1, 3000);
    QCOMPARE(orders().back().request.side, Side::Buy);
    QCOMPARE(orders().back().request.price, drawn);
    engine_->cancelAll();

    // The wheel scrolls by rows (three a notch, half-notches add up) and the rows stay scrolled.
    const Price top = ladder->priceAtRow(0);
    QWheelEvent up(QPointF(at), ladder->mapToGlobal(QPointF(at)), {}, QPoint(0, 120), Qt::NoButton, {},
                   Qt::NoScrollPhase, false);
    QApplication::sendEvent(ladder, &up);
    QCOMPARE(ladder->priceAtRow(0), top + 3 * tick);
    QWheelEvent half(QPointF(at), ladder->mapToGlobal(QPointF(at)), {}, QPoint(0, -60), Qt::NoButton, {},
                     Qt::NoScrollPhase, false);
    QApplication::sendEvent(ladder, &half);
    QApplication::sendEvent(ladder, &half);
    QCOMPARE(ladder->priceAtRow(0), top);
    QApplication::sendEvent(ladder, &up);
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(ladder, &leave);
    QVERIFY(!ladder->pointerOver());
    ladder->apply(moved);  // scrolled on purpose: not even a market off screen pulls it back
    QCOMPARE(ladder->priceAtRow(0), top + 3 * tick);

    // Space re-centres; with the pointer away, a market that leaves the screen brings it back.
    ladder->setFocus();
    QTest::keyClick(ladder, Qt::Key_Space);
    QApplication::sendEvent(ladder, &leave);
    ladder->apply(moved);
    QCOMPARE(ladder->insideOffScreen(), 0);
    QVERIFY(ladder->priceAtRow(ladder->visibleRows() / 2) >= movedMarket.depth.bids.front().price);

    // Pointer away: once the best ask reaches the top rows (the asks nearly out of sight, the bid
    // still on screen) the ladder centres again.
    const Price centre = ladder->priceAtRow(ladder->visibleRows() / 2);
    EngineSnapshot edge = moved;
    DepthView& edgeDepth = focusedIn(edge, window_->selectedInstrument())->depth;
    const Price toTop = Price(ladder->visibleRows() / 2 - 1) * tick - (movedMarket.depth.asks.front().price - centre);
    for (Level& l : edgeDepth.bids) l.price += toTop;
    for (Level& l : edgeDepth.asks) l.price += toTop;
    ladder->apply(edge);
    QVERIFY(std::llabs(ladder->priceAtRow(ladder->visibleRows() / 2) - edgeDepth.asks.front().price) <= 2 * tick);
  }

  // A restored window fits the screen (the status bar was pushed off a 1000 px screen) and does not
  // creep down a little at every restart.
  // A book whose levels lie 300 ticks apart (an AMM pool's curve in 0.1 % steps at 3,000 with a
  // 0.01 tick): 200 ticks a row, so every level has its own row and the depth fits on screen; a
  // bid shows at the row at or under its price, an ask at or over; a click acts on the row's price;
  // + and - step through 1-2-5 groupings.
  // The ladder, the chart and time & sales each read their own instrument's entry of a snapshot
  // that carries several: while theirs is missing (focus just changed) they show nothing of
  // another instrument — the ladder says "Loading the book…" and offers no price.
  void viewsReadOnlyTheirOwnInstrument() {
    InstrumentRegistry registry;
    Instrument btc, eth;
    btc.name = "BTC-X";
    btc.tickSize = 50'000'000;
    btc.minQty = 1;
    eth.name = "ETH-X";
    eth.tickSize = 5'000'000;
    eth.minQty = 1;
    const InstrumentId b = registry.add(btc), e = registry.add(eth);
    auto market = [](InstrumentId id, Price bid, std::uint64_t seq) {
      FocusedMarket m;
      m.depth.instrument = id;
      m.depth.status = BookStatus::Live;
      m.depth.bids = {{bid, 100'000'000}};
      m.depth.asks = {{bid + 100'000'000, 100'000'000}};
      m.trades = {TradePrint{seq, id, bid, 1, Side::Buy, 1'700'000'000'000'000'000}};
      m.candles = {Candle{1'700'000'000'000'000'000, 1, 2, 0.5, 1.5, 1}};
      return m;
    };
    EngineSnapshot onlyEth, both;
    onlyEth.focused = {market(e, 3000'00000000, 1)};
    both.focused = {market(e, 3000'00000000, 1), market(b, 70000'00000000, 2)};
    LadderWidget ladder(registry);
    ladder.resize(320, 400);
    ladder.setInstrument(b);
    ChartWidget chart(registry);
    chart.setInstrument(b);
    TradesModel trades(registry);
    ladder.apply(onlyEth);
    chart.apply(onlyEth);
    trades.apply(onlyEth, b);
    QVERIFY(!ladder.hasBook());
    QCOMPARE(ladder.bestBid(), Price(0));
    QCOMPARE(chart.candleCount(), 0);
    QCOMPARE(trades.rowCount(), 0);
    ladder.apply(both);
    chart.apply(both);
    trades.apply(both, b);
    QVERIFY(ladder.hasBook());
    QCOMPARE(ladder.bestBid(), Price(70000'00000000));
    QCOMPARE(chart.candleCount(), 1);
    QCOMPARE(trades.rowCount(), 1);
    QCOMPARE(trades.rows().front().instrument, b);
    // The engine carries BTC no more: the ladder stops offering BTC's last book.
    ladder.apply(onlyEth);
    QVERIFY(!ladder.hasBook());
    QCOMPARE(ladder.bestAsk(), Price(0));
    // Time & sales switched to ETH: BTC's prints go at once.
    trades.apply(both, e);
    QCOMPARE(trades.rowCount(), 1);
    QCOMPARE(trades.rows().front().instrument, e);
    trades.apply(EngineSnapshot{}, b);
    QCOMPARE(trades.rowCount(), 0);
  }

  void ladderGroupsTicksWhenLevelsLieFarApart() {
    InstrumentRegistry registry;
    Instrument pool;
    pool.name = "WETH/USDC";
    pool.tickSize = 1'000'000;  // 0.01
    pool.minQty = 1;
    const InstrumentId id = registry.add(pool);
    LadderWidget ladder(registry);
    ladder.resize(320, 700);
    ladder.setInstrument(id);
    ladder.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ladder));
    EngineSnapshot s;
    s.focused.resize(1);
    DepthView& depth = s.focused[0].depth;
    depth.instrument = id;
    depth.status = BookStatus::Live;
    const Price step = 300 * pool.tickSize;  // 3.00
    for (int i = 0; i < 20; ++i) {
      depth.bids.push_back({Price(2997'00000000) - i * step, Qty(100'000'000) * (i + 1)});
      depth.asks.push_back({Price(3003'00000000) + i * step, Qty(100'000'000) * (i + 1)});
    }
    ladder.apply(s);
    ladder.repaint();
    QCOMPARE(ladder.ticksPerRow(), std::int64_t(200));
    // Every level on its own row, on screen: 2.00 a row, 20 + 20 levels over ~60 rows... the near ones.
    std::set<int> rows;
    for (int i = 0; i < 5; ++i) {
      const QPoint b = ladder.cellCenter(LadderWidget::BidSize, depth.bids[i].price);
      const QPoint a = ladder.cellCenter(LadderWidget::AskSize, depth.asks[i].price);
      QVERIFY2(!b.isNull() && !a.isNull(), qPrintable(QString("level %1 not on screen").arg(i)));
      QVERIFY(rows.insert(b.y()).second);
      QVERIFY(rows.insert(a.y()).second);
      // Rows never show a better price than their level: bid 2997.00 at 2996.00, ask 3003.00 at 3004.00.
      QVERIFY(ladder.drawnPriceAt(b) <= depth.bids[i].price && ladder.drawnPriceAt(b) > depth.bids[i].price - 2 * step / 3);
      QVERIFY(ladder.drawnPriceAt(a) >= depth.asks[i].price && ladder.drawnPriceAt(a) < depth.asks[i].price + 2 * step / 3);
    }
    QCOMPARE(ladder.drawnPriceAt(ladder.cellCenter(LadderWidget::BidSize, Price(2997'00000000))), Price(2996'00000000));
    QCOMPARE(ladder.drawnPriceAt(ladder.cellCenter(LadderWidget::AskSize, Price(3003'00000000))), Price(3004'00000000));
    std::vector<std::pair<Side, Price>> clicked;
    connect(&ladder, &LadderWidget::orderClicked, [&](Side side, Price price) { clicked.emplace_back(side, price); });
    QTest::mouseClick(&ladder, Qt::LeftButton, {}, ladder.cellCenter(LadderWidget::BidSize, Price(2997'00000000)));
    QCOMPARE(clicked.size(), std::size_t(1));
    QCOMPARE(clicked[0].first, Side::Buy);
    QCOMPARE(clicked[0].second, Price(2996'00000000));
    saveShot(&ladder, "ladder-grouped-pool");
    // + coarser, - finer, through 1-2-5.
    QTest::keyClick(&ladder, Qt::Key_Plus);
    QCOMPARE(ladder.ticksPerRow(), std::int64_t(500));
    QTest::keyClick(&ladder, Qt::Key_Minus);
    QTest::keyClick(&ladder, Qt::Key_Minus);
    QCOMPARE(ladder.ticksPerRow(), std::int64_t(100));
    // A book one tick a level keeps one tick a row.
    LadderWidget plain(registry);
    plain.resize(320, 700);
    plain.setInstrument(id);
    EngineSnapshot d = s;
    for (int i = 0; i < 20; ++i) {
      d.focused[0].depth.bids[std::size_t(i)].price = Price(2997'00000000) - i * pool.tickSize;
      d.focused[0].depth.asks[std::size_t(i)].price = Price(2997'01000000) + i * pool.tickSize;
    }
    plain.apply(d);
    QCOMPARE(plain.ticksPerRow(), std::int64_t(1));
    // Nor does a thin book far apart (an option quoted at two prices 300 ticks apart).
    LadderWidget thin(registry);
    thin.setInstrument(id);
    EngineSnapshot t = s;
    t.focused[0].depth.bids.resize(1);
    t.focused[0].depth.asks.resize(1);
    thin.apply(t);
    QCOMPARE(thin.ticksPerRow(), std::int64_t(1));
  }

  void windowRestoresInsideTheScreenWithoutDrift() {
    const QString file = dir_.filePath("geometry.ini");
    const QRect avail = QGuiApplication::primaryScreen()->availableGeometry();
    {
      QSettings settings(file, QSettings::IniFormat);
      settings.setValue("window/rect", QRect(avail.left() + 50, avail.bottom() - 300, 1600, avail.height()));
    }
    QRect first;
    for (int start = 0; start < 3; ++start) {
      MainWindow w(*engine_, file);
      w.show();
      QVERIFY(QTest::qWaitForWindowExposed(&w));
      QTRY_VERIFY2_WITH_TIMEOUT(avail.contains(w.frameGeometry()),
                                qPrintable(QString("frame %1,%2 %3x%4 outside %5x%6")
                                               .arg(w.frameGeometry().x()).arg(w.frameGeometry().y())
                                               .arg(w.frameGeometry().width()).arg(w.frameGeometry().height())
                                               .arg(avail.width()).arg(avail.height())), 2000);
      QVERIFY(avail.contains(w.statusBar()->mapToGlobal(w.statusBar()->rect().bottomLeft())));
      if (start == 0) first = w.geometry();
      else QCOMPARE(w.geometry(), first);
      w.close();
    }
  }

  // Late market data is said where the trader looks — the ladder's face, the watchlist and time &
  // sales — and the status line turns from a green "connected" to the lateness.
  void lateDataIsSaidOnTheViews() {
    window_->showDataLateness(2500);
    auto* watch = window_->findChild<QDockWidget*>("watchlistDock");
    auto* tas = window_->findChild<QDockWidget*>("timeSalesDock");
    QVERIFY2(watch->windowTitle().contains("2.5 s late"), qPrintable(watch->windowTitle()));
    QVERIFY2(tas->windowTitle().contains("2.5 s late"), qPrintable(tas->windowTitle()));
    QCOMPARE(window_->ladder()->dataLateMs(), 2500.0);
    QVERIFY2(window_->venueStatusText().contains("late"), qPrintable(window_->venueStatusText()));
    saveShot(window_->ladder(), "late-data");
    // The engine's own (on time) snapshots take it back.
    QTRY_VERIFY_WITH_TIMEOUT(!watch->windowTitle().contains("late"), 3000);
    QCOMPARE(window_->ladder()->dataLateMs(), 0.0);
    QVERIFY(!tas->windowTitle().contains("late"));
  }

  void layoutIsSavedAndRestored() {
    auto* tas = window_->findChild<QDockWidget*>("timeSalesDock");
    QVERIFY(tas && tas->isVisible());
    tas->hide();
    window_->close();  // saves the layout
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    auto* restored = window_->findChild<QDockWidget*>("timeSalesDock");
    QVERIFY(restored);
    QVERIFY(!restored->isVisible());
    QVERIFY(window_->findChild<QDockWidget*>("ladderDock")->isVisible());
    // The risk strip is not a dock: no saved layout can hide it.
    QVERIFY(window_->riskPanel()->isVisible());
    QVERIFY(window_->riskPanel()->haltButton()->isVisible());
  }
};

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
