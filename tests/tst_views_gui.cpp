// What the trader reads, at the default layout (a 1600x1000 window): numbers and headers that are
// not clipped, a TOTAL that never hides under a splitter, a volatility heatmap drawn only where
// quotes support it, and legends and axis titles that cover nothing. Every check reads the real
// widgets' geometry (or the plot's data and pixels), not the code's intentions.
//
// The build's plugins folder (with kappa-delta-hedger.so): kappa::test::pluginDir().
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <qcustomplot.h>

#include "Format.hpp"
#include "GreeksPanel.hpp"
#include "MainWindow.hpp"
#include "models/TradingModels.hpp"
#include "OptionChainBoard.hpp"
#include "OrderTicket.hpp"
#include "RiskLimitsView.hpp"
#include "StrategyManager.hpp"
#include "StrategyParamForm.hpp"
#include "Theme.hpp"
#include "VolSurfaceView.hpp"
#include "core/Clock.hpp"
#include "sim/SimVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::ui;

namespace {
// Header text plus the stylesheet's padding (3px 6px) and border.
int headerNeeds(const QTableView* v, int column) {
  const QString text = v->model()->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString();
  return QFontMetrics(v->horizontalHeader()->font()).horizontalAdvance(text) + 13;
}

// Every problem with one column of a table: header or a cell clipped, or the column (partly)
// outside the visible part of the table at this layout.
QStringList clipped(const QTableView* v, int column) {
  QStringList out;
  const QHeaderView* h = v->horizontalHeader();
  const QString title = v->model()->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString();
  if (h->sectionSize(column) < headerNeeds(v, column))
    out << QString("header '%1' %2 px < %3 px").arg(title).arg(h->sectionSize(column)).arg(headerNeeds(v, column));
  if (h->sectionViewportPosition(column) < 0 || h->sectionViewportPosition(column) + h->sectionSize(column) > h->viewport()->width())
    out << QString("column '%1' at %2..%3 outside the %4 px viewport")
               .arg(title)
               .arg(h->sectionViewportPosition(column))
               .arg(h->sectionViewportPosition(column) + h->sectionSize(column))
               .arg(h->viewport()->width());
  for (int r = 0; r < v->model()->rowCount(); ++r) {
    const QModelIndex i = v->model()->index(r, column);
    const QString text = i.data(Qt::DisplayRole).toString();
    if (text.isEmpty()) continue;
    const QVariant f = i.data(Qt::FontRole);
    const QFont font = f.isValid() ? f.value<QFont>() : v->font();
    const int need = QFontMetrics(font).horizontalAdvance(text) + 8;
    if (h->sectionSize(column) < need) {
      out << QString("'%1' in '%2' needs %3 px, has %4").arg(text, title).arg(need).arg(h->sectionSize(column));
      break;
    }
  }
  return out;
}

QStringList clippedColumns(const QTableView* v, std::initializer_list<int> columns) {
  QStringList out;
  for (int c : columns) out << clipped(v, c);
  return out;
}
}  // namespace

class TestViewsGui : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MainWindow> window_;

  // KAPPA_TEST_SHOTS=DIR saves the window as each check saw it (to look at, not compared).
  void shot(const QString& name) const {
    const QString dir = qEnvironmentVariable("KAPPA_TEST_SHOTS");
    if (!dir.isEmpty()) window_->grab().save(QDir(dir).filePath(name + ".png"));
  }

  QTableView* dockTable(const char* dock) const {
    auto* d = window_->findChild<QDockWidget*>(dock);
    return d ? d->findChild<QTableView*>() : nullptr;
  }
  QTableView* positionsTable() const {
    auto* tabs = window_->findChild<QDockWidget*>("tablesDock")->findChild<QTabWidget*>();
    for (int i = 0; i < tabs->count(); ++i)
      if (tabs->tabText(i) == "Positions") {
        tabs->setCurrentIndex(i);
        return qobject_cast<QTableView*>(tabs->widget(i));
      }
    return nullptr;
  }
  // Market-buys the smallest lot of `count` options spread over the first expiries.
  void buyOptions(int count) {
    std::vector<InstrumentId> ids = engine_->call([&] {
      std::vector<InstrumentId> out;
      std::vector<Nanos> expiries;
      for (const Instrument& i : engine_->instruments().all())
        if (i.isOption() && i.tradable && std::find(expiries.begin(), expiries.end(), i.expiry) == expiries.end())
          expiries.push_back(i.expiry);
      std::sort(expiries.begin(), expiries.end());
      for (std::size_t e = 0; e < std::min<std::size_t>(expiries.size(), 4) && int(out.size()) < count; ++e) {
        int perExpiry = 0;
        for (const Instrument& i : engine_->instruments().all()) {
          if (!i.isOption() || !i.tradable || i.expiry != expiries[e] || perExpiry == (count + 3) / 4) continue;
          const OrderBook& b = engine_->marketData().book(i.id);
          if (!b.live() || !b.bestAsk() || !b.bestBid()) continue;
          out.push_back(i.id);
          ++perExpiry;
        }
      }
      return out;
    });
    for (InstrumentId id : ids) {
      OrderRequest r;
      r.instrument = id;
      r.side = Side::Buy;
      r.type = OrderType::Market;
      r.qty = engine_->instruments()[id].minQty;
      engine_->submit(r);
    }
  }
  bool openPositionIn(InstrumentId id) {
    return engine_->call([&] { return engine_->orders().positions()[id].qty != 0; });
  }
  std::size_t openPositions() {
    return engine_->call([&] {
      std::size_t n = 0;
      for (const Position& p : engine_->orders().positions()) n += p.qty != 0;
      return n;
    });
  }

 private slots:
  void initTestCase() {
    sim::SimConfig cfg;
    cfg.seed = 7;
    cfg.startTime = wallNow() / 1'000'000 * 1'000'000;
    engine_ = std::make_unique<Engine>(std::make_unique<sim::SimVenue>(cfg));
    engine_->setDataDir(dir_.path().toStdString());
    engine_->start();
    applyDarkTheme(*qApp);
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QTRY_VERIFY_WITH_TIMEOUT(window_->lastSnapshot() && window_->lastSnapshot()->analytics, 10000);
    QCOMPARE(window_->size(), QSize(1600, 1000));  // the default layout this file is about
  }

  // Prices in a dollar currency read with thousands separators whichever dollar it is (Deribit's USD,
  // Binance's USDT); a price in coin (an option premium in BTC) has none.
  void pricesInDollarsAreGrouped() {
    Instrument usdt;
    usdt.quoteCurrency = "USDT";
    usdt.priceDecimals = 1;
    QCOMPARE(ui::formatPrice(usdt, toFixed(91234.5)), QString("91,234.5"));
    Instrument usd = usdt;
    usd.quoteCurrency = "USD";
    QCOMPARE(ui::formatPrice(usd, toFixed(91234.5)), QString("91,234.5"));
    Instrument coin = usdt;
    coin.quoteCurrency = "BTC";
    coin.priceDecimals = 4;
    QCOMPARE(ui::formatPrice(coin, toFixed(1234.5)), QString("1234.5000"));
  }

  void cleanupTestCase() {
    window_.reset();
    engine_->stop();
  }

  // The TOTAL used to be the positions table's last row and went under the splitter at four
  // positions. Twelve positions here, and the pane squeezed as far as the splitter goes.
  void greeksTotalIsAlwaysVisible() {
    QTRY_VERIFY_WITH_TIMEOUT(engine_->call([&] {
      int live = 0;
      for (const Instrument& i : engine_->instruments().all())
        live += i.isOption() && engine_->marketData().book(i.id).live() && engine_->marketData().book(i.id).bestAsk();
      return live > 40;
    }), 10000);
    buyOptions(12);
    QTRY_VERIFY_WITH_TIMEOUT(openPositions() >= 10, 10000);
    QVERIFY(window_->showView("greeks"));
    GreeksPanel* g = window_->greeksPanel();
    QTRY_VERIFY_WITH_TIMEOUT(!g->showingEmptyState() && g->positionsTable()->model()->rowCount() >= 12, 10000);
    QTableView* table = g->positionsTable();
    QVERIFY2(table->verticalScrollBar()->maximum() > 0, "the positions must not all fit: this is the case under test");

    auto totalShown = [&]() -> QString {
      QTableView* t = g->totalRow();
      if (!t->isVisible()) return "the total row is hidden";
      if (t->model()->rowCount() != 1) return QString("%1 total rows").arg(t->model()->rowCount());
      if (t->model()->index(0, 0).data().toString() != "TOTAL") return "no TOTAL label";
      // Every cell of the row, in full, on screen: inside its viewport, not covered by a
      // splitter handle or cut off by the panel, and inside the window.
      for (int c = 0; c < t->model()->columnCount(); ++c) {
        const QRect cell = t->visualRect(t->model()->index(0, c));
        if (cell.isEmpty()) return QString("column %1 has no cell").arg(c);
        const QRect seen = cell.intersected(t->viewport()->rect());
        if (seen.height() < cell.height()) return QString("column %1: %2 of %3 px tall").arg(c).arg(seen.height()).arg(cell.height());
        if (!t->viewport()->visibleRegion().contains(QRect(seen.topLeft(), QSize(1, seen.height()))))
          return QString("column %1 is covered").arg(c);
        const QRect inWindow(t->viewport()->mapTo(window_.get(), seen.topLeft()), seen.size());
        if (!window_->rect().contains(inWindow)) return QString("column %1 is outside the window").arg(c);
      }
      // The same columns as the positions above.
      for (int c = 0; c < t->model()->columnCount(); ++c)
        if (t->columnWidth(c) != table->columnWidth(c)) return QString("column %1 is %2 px, above %3").arg(c).arg(t->columnWidth(c)).arg(table->columnWidth(c));
      return {};
    };
    QString why;
    QTRY_VERIFY2_WITH_TIMEOUT((why = totalShown()).isEmpty(), qPrintable(why), 3000);
    // The PnL curve keeps a readable height (squeezed to ~80 px its y labels overlapped).
    const auto* plot = g->findChild<QCustomPlot*>("pnlPlot");
    QVERIFY(plot && plot->isVisible());
    QVERIFY2(plot->height() >= 150, qPrintable(QString("PnL chart %1 px tall").arg(plot->height())));
    shot("greeks");
    for (int c = 1; c < table->model()->columnCount(); ++c)  // the Greeks' headers ("Vega (USD/pt)" was cut)
      QVERIFY2(table->horizontalHeader()->sectionSize(c) >= headerNeeds(table, c), qPrintable(QString::number(c)));
    // The TOTAL agrees with the rows above it (the Σ rows add up to it).
    double delta = 0;
    for (int r = 0; r < table->model()->rowCount(); ++r)
      if (table->model()->index(r, 0).data().toString().startsWith("Σ")) delta += table->model()->index(r, 3).data().toDouble();
    QVERIFY(std::abs(delta - g->totalRow()->model()->index(0, 3).data().toDouble()) < 1e-3);

    // Squeezed by the splitter as far as it goes, then the window restored with that state.
    QSplitter* split = g->splitter();
    split->setSizes({0, 2000, 2000});
    QApplication::processEvents();
    QVERIFY(split->sizes().at(0) > 0);
    QTRY_VERIFY2_WITH_TIMEOUT((why = totalShown()).isEmpty(), qPrintable(why), 3000);
    shot("greeks-squeezed");
    split->setSizes({200, 300, 300});
  }

  // Short expiries are quoted over a few percent of log-moneyness: beyond that (and a small
  // margin) the heatmap has no cells, refresh after refresh.
  void heatmapIsBlankBeyondEachExpirysQuotes() {
    QVERIFY(window_->showView("surface"));
    VolSurfaceView* v = window_->volSurface();
    QTRY_VERIFY_WITH_TIMEOUT(v->heatRows() >= 4, 10000);
    int blankChecked = 0, drawnChecked = 0;
    for (int refresh = 0; refresh < 5; ++refresh) {
      window_->frame();
      auto all = window_->lastSnapshot()->analytics;
      QVERIFY(all);
      const analytics::ChainAnalytics* a = all->chain(window_->selectedUnderlying().toStdString());
      QVERIFY(a);
      v->apply(*a);  // (a no-op when the frame applied it already)
      for (int row = 0; row < v->heatRows(); ++row) {
        const analytics::ExpiryAnalytics* e = nullptr;
        for (const analytics::ExpiryAnalytics& x : a->expiries)
          if (v->heatRowLabel(row).startsWith(QString::fromStdString(deribitExpiryCode(x.expiry)) + " ")) e = &x;
        QVERIFY2(e, qPrintable(v->heatRowLabel(row)));
        QVERIFY(e->quotedKMax > e->quotedKMin);
        const double margin = std::max(0.02, 0.1 * (e->quotedKMax - e->quotedKMin));
        for (double k = -0.5; k <= 0.5 + 1e-9; k += 0.01) {
          const double cell = v->heatCell(row, k);
          if (k < e->quotedKMin - margin - 0.011 || k > e->quotedKMax + margin + 0.011) {
            QVERIFY2(std::isnan(cell), qPrintable(QString("%1 k=%2 quoted [%3, %4]: %5 %")
                                                      .arg(v->heatRowLabel(row)).arg(k).arg(e->quotedKMin).arg(e->quotedKMax).arg(cell)));
            ++blankChecked;
          } else if (k >= e->quotedKMin && k <= e->quotedKMax) {
            QVERIFY2(cell > 0, qPrintable(QString("%1 k=%2").arg(v->heatRowLabel(row)).arg(k)));
            ++drawnChecked;
          }
        }
      }
      QTest::qWait(150);
    }
    QVERIFY(blankChecked > 100 && drawnChecked > 50);
    shot("surface");

    // Nothing drawn there: the rendered pixels of a blank cell are the background (and its
    // hatch), those of a quoted one a colour of the scale.
    QCustomPlot* heat = v->heatPlot();
    heat->replot();
    const QImage img = heat->toPixmap(heat->width(), heat->height()).toImage();
    auto pixel = [&](int row, double k) {
      return img.pixelColor(int(heat->xAxis->coordToPixel(k)), int(heat->yAxis->coordToPixel(v->heatRows() == 1 ? 0.0 : row)));
    };
    int blankPixels = 0;
    for (int row = 0; row < v->heatRows(); ++row)
      for (double k : {-0.45, -0.3, 0.3, 0.45})
        if (std::isnan(v->heatCell(row, k))) {
          const QColor c = pixel(row, k);
          QVERIFY2(std::max({c.red(), c.green(), c.blue()}) <= 0x3c, qPrintable(v->heatRowLabel(row) + " " + c.name()));
          ++blankPixels;
        }
    QVERIFY(blankPixels > 0);
    const QColor atm = pixel(0, 0.0);
    QVERIFY2(std::max({atm.red(), atm.green(), atm.blue()}) > 0x3c, qPrintable(atm.name()));
  }

  // The term structure's legend sits outside its axes (it covered the points), and no axis title
  // overlaps its tick labels.
  void termStructureLegendAndTitlesCoverNothing() {
    QVERIFY(window_->showView("surface"));
    VolSurfaceView* v = window_->volSurface();
    QTRY_VERIFY_WITH_TIMEOUT(v->heatRows() >= 4, 10000);
    for (QCustomPlot* p : {v->termPlot(), v->heatPlot()}) {
      p->replot();
      if (p->legend->visible()) {
        QVERIFY2(!p->legend->outerRect().intersects(p->axisRect()->rect()),
                 qPrintable(QString("%1: legend over the axes").arg(p->objectName())));
      }
      // A y axis: the title's band (left of the tick labels) and the widest tick label both fit
      // into the margin the layout gave the axis.
      QCPAxis* y = p->yAxis;
      const QFontMetrics tick(y->tickLabelFont()), title(y->labelFont());
      int widest = 0;
      for (const QString& s : y->tickVectorLabels()) widest = std::max(widest, tick.horizontalAdvance(s));
      const int need = y->tickLabelPadding() + widest + y->labelPadding() + title.height();
      QVERIFY2(p->axisRect()->left() >= need,
               qPrintable(QString("%1: y margin %2 px < %3 px (ticks %4 px wide)").arg(p->objectName()).arg(p->axisRect()->left()).arg(need).arg(widest)));
      QVERIFY2(y->labelPadding() >= 6, qPrintable(p->objectName()));
    }
  }

  void watchlistColumnsFit() {
    QTableView* w = dockTable("watchlistDock");
    QVERIFY(w);
    QTRY_VERIFY_WITH_TIMEOUT(w->model()->rowCount() > 20, 5000);
    QTest::qWait(300);  // a change on most rows
    const QStringList problems = clippedColumns(w, {0, 1, 2, 3, 4});
    for (int c = 5; c < w->model()->columnCount(); ++c) QVERIFY2(w->isColumnHidden(c), "basis/funding shown with one venue");
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
    QCOMPARE(w->horizontalScrollBar()->maximum(), 0);
  }

  void timeAndSalesColumnsFit() {
    QTableView* t = dockTable("timeSalesDock");
    QVERIFY(t);
    QTRY_VERIFY_WITH_TIMEOUT(t->model()->rowCount() > 40, 10000);  // scrolls: its scroll bar takes room
    QTest::qWait(50);
    const QStringList problems = clippedColumns(t, {0, 1, 2, 3});
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  }

  void positionsColumnsFit() {
    if (openPositions() == 0) buyOptions(2);
    QTableView* p = positionsTable();
    QVERIFY(p);
    QTRY_VERIFY_WITH_TIMEOUT(p->model()->rowCount() > 0, 5000);
    QTest::qWait(50);  // laid out on its tab
    shot("positions");
    // Instrument .. Ccy (the Venue column before them and PnL $ after are hidden with one venue).
    QVERIFY(p->isColumnHidden(0));
    const QStringList problems = clippedColumns(p, {1, 2, 3, 4, 5, 6, 7, 8});
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  }

  // The Orders tab at the default layout: its first header read "Jpdated (UTC" (cut at both ends)
  // and the options market maker's post-only quotes "Limit p…" (seen under Xvfb); the columns up to
  // State are on screen.
  void ordersColumnsFit() {
    if (openPositions() == 0) buyOptions(2);
    OrderRequest r;  // a post-only bid far under the market: "Limit post", resting
    r.instrument = engine_->instruments().find("BTC-PERPETUAL")->id;
    r.side = Side::Buy;
    r.type = OrderType::Limit;
    r.postOnly = true;
    r.price = engine_->call([&] { return engine_->marketData().book(r.instrument).bestBid()->price; }) -
              20 * engine_->instruments()[r.instrument].tickSize;
    r.qty = toFixed(10);
    engine_->submit(r);
    QTableView* o = window_->ordersView();
    auto* tabs = window_->findChild<QDockWidget*>("tablesDock")->findChild<QTabWidget*>();
    tabs->setCurrentWidget(tabs->widget(0));
    QTRY_VERIFY_WITH_TIMEOUT([&] {
      for (int row = 0; row < o->model()->rowCount(); ++row)
        if (o->model()->index(row, OrdersModel::Type).data().toString() == "Limit post") return true;
      return false;
    }(), 5000);
    QTest::qWait(50);  // laid out on its tab
    shot("orders");
    QVERIFY(o->isColumnHidden(OrdersModel::Venue));  // one venue
    const QStringList problems =
        clippedColumns(o, {OrdersModel::Time, OrdersModel::Instrument, OrdersModel::Side, OrdersModel::Type, OrdersModel::Price,
                           OrdersModel::Qty, OrdersModel::Filled, OrdersModel::State});
    engine_->cancelAll();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  }

  void riskTriggersColumnsFit() {
    QVERIFY(window_->showView("risk"));
    auto* t = window_->riskLimits()->findChild<QTableView*>("riskTriggers");
    QVERIFY(t);
    QTRY_VERIFY_WITH_TIMEOUT(t->model()->rowCount() > 3, 5000);
    shot("risk");
    const QStringList problems = clippedColumns(t, {0, 2, 3, 4});
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
  }

  // The instances table's headers (Working was cut), and the parameter form's ranges of the
  // delta hedger (max_order_usd's "0 … 1e+07" was cut).
  void strategyHeadersAndParameterRangesFit() {
    window_->showView("chart");
    QTest::qWait(50);
    const int watchlistWidth = window_->findChild<QDockWidget*>("watchlistDock")->width();
    QVERIFY(window_->showView("strategies"));
    StrategyManager* m = window_->strategyManager();
    QTableView* inst = m->instancesView();
    QStringList problems;
    for (int c = 0; c < inst->model()->columnCount() - 1; ++c)  // the last (Last error) stretches
      if (inst->horizontalHeader()->sectionSize(c) < headerNeeds(inst, c))
        problems << QString("header '%1'").arg(inst->model()->headerData(c, Qt::Horizontal).toString());
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));

    const QString hedger = QDir(kappa::test::pluginDir()).absoluteFilePath("kappa-delta-hedger.so");
    QVERIFY(QFileInfo::exists(hedger));
    engine_->loadPlugin(hedger.toStdString(), true);
    QComboBox* combo = m->newInstanceStrategy();
    QTRY_VERIFY_WITH_TIMEOUT(combo->count() > 0, 10000);
    int pick = -1;
    for (int i = 0; i < combo->count(); ++i)
      if (combo->itemData(i).toStringList().value(1) == "kappa.examples.delta-hedger") pick = i;
    QVERIFY(pick >= 0);
    combo->setCurrentIndex(pick);
    QTRY_VERIFY_WITH_TIMEOUT(m->paramForm()->findChildren<QLabel*>(QRegularExpression("^range:")).size() >= 4, 3000);
    QTest::qWait(100);
    auto* scroll = qobject_cast<QScrollArea*>(m->paramForm()->parentWidget()->parentWidget());  // viewport's owner
    QVERIFY(scroll);
    shot("strategies");
    // Made room for without pushing the docks: the watchlist keeps its width (and its Chg column).
    qInfo("central area %d px, its minimum %d px", window_->centralWidget()->width(),
          window_->centralWidget()->minimumSizeHint().width());
    QCOMPARE(window_->findChild<QDockWidget*>("watchlistDock")->width(), watchlistWidth);
    qInfo("params pane: scroll %d (min %d), viewport %d, form %d (min hint %d)", scroll->width(), scroll->minimumWidth(),
          scroll->viewport()->width(), m->paramForm()->width(), m->paramForm()->minimumSizeHint().width());
    for (QLabel* l : m->paramForm()->findChildren<QLabel*>(QRegularExpression("^range:"))) {
      if (l->text().isEmpty()) continue;
      const int need = QFontMetrics(l->font()).horizontalAdvance(l->text());
      QVERIFY2(l->width() >= need, qPrintable(QString("%1: '%2' %3 px < %4").arg(l->objectName(), l->text()).arg(l->width()).arg(need)));
      const QRect inView(l->mapTo(scroll->viewport(), QPoint(0, 0)), QSize(need, l->height()));
      QVERIFY2(scroll->viewport()->rect().contains(inView),
               qPrintable(QString("%1 cut off by the pane (%2 px wide, text ends at %3)")
                              .arg(l->objectName()).arg(scroll->viewport()->width()).arg(inView.right())));
    }
  }

  // BTC and ETH: the Underlying selector switches the option chain, volatility and Greeks views to
  // ETH's chain (ETH strikes around 3,500, ETH premiums), a click on the board trades ETH's
  // option, the Greeks panel totals both coins and their USD sum, and the choice survives a
  // restart of the window (it is saved with the layout). Last: it closes the window.
  void underlyingSelectorShowsEthsChain() {
    QComboBox* selector = window_->underlyingSelector();
    QVERIFY(selector);
    QVERIFY(selector->findText("BTC") >= 0 && selector->findText("ETH") >= 0);
    QVERIFY(window_->showView("chain"));
    QTRY_VERIFY(selector->isVisible());  // shown with the per-underlying views only
    OptionChainBoard* board = window_->chainBoard();
    auto atmStrike = [&] {
      const int row = board->atmRow();
      return row < 0 ? 0.0 : board->table()->model()->index(row, OptionChainBoard::StrikeCol).data().toString().remove(',').toDouble();
    };
    QTRY_VERIFY_WITH_TIMEOUT(atmStrike() > 20000, 10000);  // BTC's chain by default
    selector->setCurrentIndex(selector->findText("ETH"));
    QCOMPARE(window_->selectedUnderlying(), QString("ETH"));
    QTRY_VERIFY_WITH_TIMEOUT(atmStrike() > 1000 && atmStrike() < 10000, 5000);
    // Every option on the board is ETH's; premiums are said in ETH.
    const int atm = board->atmRow();
    const QString tip = board->table()->model()->index(atm, OptionChainBoard::CallBid).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QRegularExpression("ETH-\\d{1,2}[A-Z]{3}\\d{2}-\\d+-C")), qPrintable(tip));
    QVERIFY2(board->table()->model()->headerData(OptionChainBoard::CallBid, Qt::Horizontal, Qt::ToolTipRole).toString().contains("ETH"),
             "the bid column says its coin");
    // A click on the ask buys that ETH call.
    QSignalSpy clicked(board, &OptionChainBoard::orderClicked);
    int row = atm;
    while (row >= 0 && !board->activateCell(row, OptionChainBoard::CallAsk)) --row;
    QVERIFY2(row >= 0, "no ETH call with an ask");
    QCOMPARE(clicked.count(), 1);
    const InstrumentId bought = clicked.front().at(0).value<InstrumentId>();
    QCOMPARE(engine_->instruments()[bought].baseCurrency, std::string("ETH"));
    // The click rests if the ask moved before it arrived (a loaded machine): a market order makes
    // sure of an ETH position; one BTC option too, for a test run on its own.
    OrderRequest market;
    market.instrument = bought;
    market.side = Side::Buy;
    market.type = OrderType::Market;
    market.qty = engine_->instruments()[bought].minQty;
    engine_->submit(market);
    buyOptions(1);
    // Order entry says each instrument's own units: ETH options in ETH, ETH-PERPETUAL in USD on a 0.05 tick.
    window_->selectInstrument(bought);
    QTRY_VERIFY2(window_->ticket()->messageLabel()->text().contains("lot 1 ETH"), qPrintable(window_->ticket()->messageLabel()->text()));
    window_->selectInstrument(engine_->instruments().find("ETH-PERPETUAL")->id);
    QTRY_VERIFY2(window_->ticket()->messageLabel()->text().contains("Tick 0.05 · lot 1 USD"),
                 qPrintable(window_->ticket()->messageLabel()->text()));
    // The volatility view and the Greeks panel follow the selector.
    QVERIFY(window_->showView("surface"));
    QTRY_VERIFY(selector->isVisible());
    QVERIFY(window_->showView("greeks"));
    GreeksPanel* g = window_->greeksPanel();
    QTRY_VERIFY_WITH_TIMEOUT(openPositionIn(bought), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!g->showingEmptyState() && g->positionsTable()->model()->rowCount() >= 1 &&
                                 g->positionsTable()->model()->index(0, 0).data().toString().startsWith("ETH-"), 10000);
    QCOMPARE(g->positionsTable()->model()->headerData(3, Qt::Horizontal, Qt::DisplayRole).toString(), QString("Δ (ETH)"));
    // Per-underlying totals and the USD sum (BTC positions from the tests above, ETH's from this one).
    QTRY_VERIFY_WITH_TIMEOUT(g->totalsLine()->isVisible() && g->totalsLine()->text().contains("ETH") &&
                                 g->totalsLine()->text().contains("BTC") && g->totalsLine()->text().contains("All in USD"), 5000);
    // The scenario grid summed over both underlyings in USD: the +10 % / IV 0 cell is BTC's plus ETH's.
    auto* all = g->findChild<QCheckBox*>("scenarioAllUnderlyings");
    QVERIFY(all);
    QTRY_VERIFY(all->isVisible());
    auto cellUsd = [&](int row, int col) {
      QString t = g->scenarioTable()->model()->index(row, col).data().toString().remove(',').remove('+');
      const double scale = t.endsWith('k') ? 1e3 : t.endsWith('M') ? 1e6 : 1.0;
      if (scale != 1.0) t.chop(1);
      return t.toDouble() * scale;
    };
    const int spotCol = 8, volRow = 3;  // +10 %, IV +0
    all->setChecked(true);
    window_->frame();
    {
      const auto& m = *window_->lastSnapshot()->analytics;
      const auto& cells = m.chain("BTC")->scenarios;
      const std::size_t spots = m.chain("BTC")->scenarioSpotShifts.size(), vols = m.chain("BTC")->scenarioVolShifts.size();
      QCOMPARE(m.chain("BTC")->scenarioSpotShifts[std::size_t(spotCol)], 0.10);
      const std::size_t i = std::size_t(volRow) * spots + std::size_t(spotCol);
      QVERIFY(i < cells.size() && vols > std::size_t(volRow));
      const double expected = cells[i].pnlUsd + m.chain("ETH")->scenarios[i].pnlUsd;
      QVERIFY2(std::abs(cellUsd(volRow, spotCol) - expected) <= std::max(1.0, 0.01 * std::abs(expected)),
               qPrintable(QString("grid %1 vs BTC + ETH %2").arg(cellUsd(volRow, spotCol)).arg(expected)));
      all->setChecked(false);
      const double eth = m.chain("ETH")->scenarios[i].pnlUsd;
      QVERIFY2(std::abs(cellUsd(volRow, spotCol) - eth) <= std::max(1.0, 0.01 * std::abs(eth)),
               qPrintable(QString("grid %1 vs ETH %2").arg(cellUsd(volRow, spotCol)).arg(eth)));
    }
    // The other views never show ETH rows while BTC is selected.
    selector->setCurrentIndex(selector->findText("BTC"));
    QTRY_VERIFY_WITH_TIMEOUT(g->positionsTable()->model()->rowCount() >= 1 &&
                                 !g->positionsTable()->model()->index(0, 0).data().toString().startsWith("ETH-"), 5000);
    selector->setCurrentIndex(selector->findText("ETH"));
    // Remembered with the layout: a new window on the same settings starts on ETH.
    window_->close();
    QCOMPARE(QSettings(dir_.filePath("layout.ini"), QSettings::IniFormat).value("views/underlying").toString(), QString("ETH"));
    window_ = std::make_unique<MainWindow>(*engine_, dir_.filePath("layout.ini"));
    QCOMPARE(window_->selectedUnderlying(), QString("ETH"));
    QVERIFY(window_->selectUnderlying("btc"));
    QVERIFY(!window_->selectUnderlying("DOGE"));
    QCOMPARE(window_->selectedUnderlying(), QString("BTC"));
  }
};

QTEST_MAIN(TestViewsGui)
#include "tst_views_gui.moc"
