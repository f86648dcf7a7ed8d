// The books in the terminal equal the exchange's own after a minute of trading, for every
// subscribed instrument: the Deribit connector subscribes the whole BTC set of a real
// kappa-exchange (perpetual, futures, every option; book.*.raw), the simulator trades for 60 s
// while we rest, change and fill a few orders of our own, then each book's top 10 levels are
// compared with the exchange's public/get_order_book at the same change_id (ours as it was at
// that change_id; a bounded number of attempts where the market moves between the two reads).
// Our orders, fills and position are checked against the exchange's too.
//
// The one test allowed to run about a minute. It waits, it does not spin: the test's thread
// sleeps in its io_context between events (the machine has 2 cores and tests run in parallel).
// KAPPA_BOOKS_TEST_SECONDS shortens the minute while working on the test.
#include <QtTest>

#include <QProcess>

#include "DeribitVenueHarness.hpp"
#include "ExchangeProcess.hpp"
#include "venue/deribit/DeribitVenue.hpp"
#include "TestPaths.hpp"

using namespace kappa;
using namespace kappa::deribit;
using kappa::test::runFor;
using kappa::test::runUntil;

namespace {

const char* kClientId = "tst-books";
const char* kSecret = "tst-books-secret-3b90";

QString exchangeBinary() {
  const QByteArray env = qgetenv("KAPPA_EXCHANGE_BINARY");
  return env.isEmpty() ? kappa::test::builtExchangeBinary() : QString::fromLocal8Bit(env);
}

}  // namespace

class TestDeribitBooks : public QObject {
  Q_OBJECT
 private:
  kappa::test::ExchangeProcess exchange_;
  kappa::test::ExchangeView x_;

 private slots:
  void booksEqualTheExchangesAfterAMinuteOfTrading() {
    const QString bin = exchangeBinary();
    if (bin.isEmpty() || !QFileInfo(bin).isExecutable()) QSKIP("no kappa-exchange binary (set KAPPA_EXCHANGE_BINARY)");
    const QString errFile =
        QDir::temp().filePath(QString("tst_deribit_books-exchange-%1.err").arg(QCoreApplication::applicationPid()));
    auto removeErr = qScopeGuard([&] { QFile::remove(errFile); });
    // No credit limit on non-matching requests: the comparison reads hundreds of books over HTTP.
    const QString failed = exchange_.start(bin, {"--seed", "7", "--account", QString(kClientId) + ":" + kSecret,
                                                 "--non-me-limit", "0/0"},
                                           errFile);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    x_.setPort(exchange_.port());
    QVERIFY(x_.login(kClientId, kSecret));

    DeribitVenueConfig c;
    std::string error;
    QVERIFY(parseDeribitEndpoint("ws://127.0.0.1:" + std::to_string(x_.port()), c.endpoint, error));
    c.credentials = {kClientId, kSecret};
    c.currencies = {"BTC"};
    c.requestTimeout = std::chrono::milliseconds(5000);
    c.listTimeout = std::chrono::milliseconds(15000);
    InstrumentRegistry reg;
    DeribitVenue venue(c);
    venue.listInstruments(reg);
    QVERIFY2(venue.listError().empty(), venue.listError().c_str());
    std::vector<InstrumentId> books;
    int options = 0, futures = 0;
    for (const Instrument& i : reg.all()) {
      if (i.kind == InstrumentKind::Index) continue;
      books.push_back(i.id);
      options += i.isOption();
      futures += i.kind == InstrumentKind::Future;
    }
    const Instrument* perp = reg.find("BTC-PERPETUAL");
    QVERIFY(perp);
    QVERIFY2(options > 50 && futures >= 1, qPrintable(QString("%1 options, %2 futures").arg(options).arg(futures)));

    boost::asio::io_context io;
    kappa::test::VenueSide side(reg);
    venue.connect(side, io.get_executor());
    const auto allLive = [&] {
      for (InstrumentId id : books)
        if (!side.md.book(id).live()) return false;
      return side.state == VenueState::Connected;
    };
    QVERIFY2(runUntil(io, allLive, 30000), "not every BTC book became live");

    // A minute of trading: the simulator's own, and ours every 5 s on the perpetual (a resting
    // order far under the market that is moved once and cancelled later, and a small IOC fill).
    int seconds = 60;
    if (const int s = qEnvironmentVariableIntValue("KAPPA_BOOKS_TEST_SECONDS"); s > 0) seconds = s;
    QElapsedTimer t;
    t.start();
    OrderId next = 7000;
    std::vector<OrderId> resting;
    while (t.elapsed() < seconds * 1000LL) {
      const OrderBook& b = side.md.book(perp->id);
      if (side.state == VenueState::Connected && b.live() && b.bestBid() && b.bestAsk()) {
        OrderRequest r;
        r.instrument = perp->id;
        r.side = Side::Buy;
        r.price = b.bestBid()->price - Price(400 + next % 100) * perp->tickSize;
        r.qty = toFixed(10);
        const OrderId rest = next++;
        side.submit(venue, rest, r);
        resting.push_back(rest);
        if (resting.size() >= 2) venue.replace(resting[resting.size() - 2], r.price - 10 * perp->tickSize, toFixed(20));
        if (resting.size() >= 4) venue.cancel(resting[resting.size() - 4]);
        OrderRequest take = r;
        take.tif = TimeInForce::ImmediateOrCancel;
        take.price = b.bestAsk()->price + 50 * perp->tickSize;
        side.submit(venue, next++, take);
      }
      runFor(io, 5000);
    }
    QCOMPARE(venue.counters().reconnects, 0u);
    QCOMPARE(venue.counters().gaps, 0u);
    QVERIFY(runUntil(io, allLive, 15000));

    // Every book, compared at the exchange's change_id.
    QStringList differences;
    for (InstrumentId id : books) {
      const QString d = x_.bookDifference(io, side, reg, id);
      if (!d.isEmpty()) differences << d;
    }
    // Not a comparison of empty books: the simulator's makers quote every instrument.
    std::size_t quoted = 0;
    for (InstrumentId id : books) quoted += side.md.book(id).bestBid() && side.md.book(id).bestAsk();
    qInfo("%zu books compared, %zu with both sides quoted, %llu gaps, %zu orders of ours", books.size(), quoted,
          static_cast<unsigned long long>(venue.counters().gaps), side.orders.size());
    QVERIFY2(quoted * 10 >= books.size() * 9, qPrintable(QString("only %1 of %2 books quoted").arg(quoted).arg(books.size())));
    QVERIFY2(differences.isEmpty(), qPrintable(QString("%1 of %2 books differ: ").arg(differences.size()).arg(books.size()) +
                                               differences.mid(0, 5).join(" || ")));
    // Our own trading over the minute, as the exchange has it.
    QString diff;
    QElapsedTimer settle;
    settle.start();
    do {
      runFor(io, 250);
      diff = x_.ordersDifference(side, reg);
    } while (!diff.isEmpty() && settle.elapsed() < 15000);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    QVERIFY(side.orders.size() >= 2);
    venue.disconnect();
    exchange_.stop();
  }
};

QTEST_GUILESS_MAIN(TestDeribitBooks)
#include "tst_deribit_books.moc"
