// The InstrumentRegistry grows while other threads read it (the engine thread adds instruments a
// venue lists while running; the GUI, the analytics worker and the journal writer read at the same
// time), and the VenueInbox hands an instrument change to the engine before the market data that
// followed it. Built with ThreadSanitizer when the compiler has it (see tests/CMakeLists.txt): a
// data race in the registry fails this test.
#include <QtTest>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/Instrument.hpp"
#include "venue/VenueInbox.hpp"

using namespace kappa;

namespace {

Instrument option(std::size_t k) {
  Instrument i;
  i.kind = InstrumentKind::Option;
  i.optionType = k % 2 ? OptionType::Put : OptionType::Call;
  i.strike = toFixed(double(1000 + k / 2));
  i.name = "BTC-8DEC26-" + std::to_string(1000 + k / 2) + (k % 2 ? "-P" : "-C");
  return i;
}

// Records what the inbox delivered, in order: 'L'/'R' for listed/retired, 'm' per market-data batch.
struct OrderListener : VenueListener {
  std::string seen;
  void onMarketData(const MdEvent*, std::size_t n) override { seen += n ? "m" : ""; }
  void onExecution(const ExecReport&) override { seen += "x"; }
  void onVenueState(VenueState, const std::string&) override {}
  void onInstrumentChange(const InstrumentChange& c) override {
    seen += c.kind == InstrumentChange::Kind::Listed ? "L" : "R";
  }
};

}  // namespace

class TestInstrumentRegistry : public QObject {
  Q_OBJECT
 private slots:
  void addsAndFindsAndRetires() {
    InstrumentRegistry r;
    QCOMPARE(r.size(), std::size_t(0));
    QCOMPARE(r.version(), std::uint64_t(0));
    // More than one chunk, so that ids cross a chunk boundary.
    const std::size_t n = InstrumentRegistry::kChunkSize * 2 + 7;
    for (std::size_t k = 0; k < n; ++k) QCOMPARE(r.add(option(k)), InstrumentId(k));
    QCOMPARE(r.size(), n);
    QCOMPARE(r.all().size(), n);
    const Instrument* found = r.find(option(300).name);
    QVERIFY(found);
    QCOMPARE(found->id, InstrumentId(300));
    QVERIFY(&r[300] == found);  // storage never moves
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, r.add(option(3)));
    const std::uint64_t v = r.version();
    QVERIFY(r.retire(300));
    QVERIFY(!r.retire(300));  // once
    QVERIFY(!r.retire(InstrumentId(n)));  // unknown
    QVERIFY(r.retired(300));
    QVERIFY(!r.retired(299));
    QVERIFY(r.version() > v);
    QVERIFY(r.find(option(300).name) == found);  // retired, still found by name: the journal needs it
    const Instrument* before = &r[5];
    r.add(option(n));  // growth keeps references valid
    QVERIFY(&r[5] == before);

    const InstrumentRegistry copy = r;  // a copy: the same ids and retirements
    QCOMPARE(copy.size(), r.size());
    QVERIFY(copy.retired(300));
    QCOMPARE(copy.find(option(42).name)->id, InstrumentId(42));
    QCOMPARE(copy[InstrumentId(n)].name, option(n).name);
  }

  // One writer adds and retires while readers iterate, look names up and read retirements.
  void growsWhileOthersRead() {
    InstrumentRegistry r;
    for (std::size_t k = 0; k < 100; ++k) r.add(option(k));
    constexpr std::size_t kTotal = 3000;
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> checks{0}, bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
      readers.emplace_back([&, t] {
        std::size_t k = std::size_t(t);
        while (!done.load(std::memory_order_acquire)) {
          const std::size_t n = r.size();
          // Every id below size() is complete, and its name finds it.
          const Instrument& inst = r[InstrumentId(k % n)];
          if (inst.id != InstrumentId(k % n) || inst.name != option(k % n).name) ++bad;
          const Instrument* f = r.find(inst.name);
          if (!f || f->id != inst.id) ++bad;
          std::size_t seen = 0;
          for (const Instrument& i : r.all()) seen += !i.name.empty();
          if (seen < n) ++bad;
          (void)r.retired(InstrumentId(k % n));
          (void)r.version();
          k += 7;
          ++checks;
        }
      });
    for (std::size_t k = 100; k < kTotal; ++k) {
      r.add(option(k));
      if (k % 10 == 0) r.retire(InstrumentId(k - 50));
    }
    while (checks.load() < 1000) std::this_thread::yield();
    done.store(true, std::memory_order_release);
    for (auto& t : readers) t.join();
    QCOMPARE(bad.load(), std::uint64_t(0));
    QCOMPARE(r.size(), kTotal);
    QVERIFY(r.retired(InstrumentId(kTotal - 10 - 50)));
  }

  // Two venues may list the same name; within a venue a name is unique. find(name) gives the
  // first venue's, find(venue, name) the venue's own.
  void namesAreUniquePerVenue() {
    InstrumentRegistry r;
    Instrument a = option(1);
    a.venue = 0;
    Instrument b = option(1);
    b.venue = 1;
    const InstrumentId ia = r.add(a);
    const InstrumentId ib = r.add(b);
    QVERIFY(ia != ib);
    QCOMPARE(r.find(a.name)->id, ia);
    QCOMPARE(r.find(VenueId(0), a.name)->id, ia);
    QCOMPARE(r.find(VenueId(1), a.name)->id, ib);
    QVERIFY(!r.find(VenueId(2), a.name));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, r.add(b));
  }

  // Venues add on their own threads at the same time: every instrument gets its own id, complete,
  // findable in its venue, while readers read.
  void venuesAddConcurrently() {
    InstrumentRegistry r;
    constexpr std::size_t kEach = 1500;
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> bad{0};
    std::thread reader([&] {
      while (!done.load(std::memory_order_acquire)) {
        const std::size_t n = r.size();
        for (std::size_t i = n > 50 ? n - 50 : 0; i < n; ++i)
          if (r[InstrumentId(i)].id != InstrumentId(i) || r[InstrumentId(i)].name.empty()) ++bad;
      }
    });
    std::vector<std::thread> writers;
    for (VenueId v = 0; v < 2; ++v)
      writers.emplace_back([&r, v] {
        for (std::size_t k = 0; k < kEach; ++k) {
          Instrument inst = option(k);
          inst.venue = v;
          const InstrumentId id = r.add(std::move(inst));
          if (k % 7 == 0) r.retire(id);
        }
      });
    for (auto& w : writers) w.join();
    done.store(true, std::memory_order_release);
    reader.join();
    QCOMPARE(bad.load(), std::uint64_t(0));
    QCOMPARE(r.size(), 2 * kEach);
    for (VenueId v = 0; v < 2; ++v)
      for (std::size_t k = 0; k < kEach; ++k) {
        const Instrument* f = r.find(v, option(k).name);
        QVERIFY(f);
        QCOMPARE(f->venue, v);
        QCOMPARE(r.retired(f->id), k % 7 == 0);
      }
  }

  // The inbox keeps the venue thread's order: market data pushed before a listing is delivered
  // before it; market data pushed after it (the new book's snapshot) after it.
  void inboxDeliversChangesInOrder() {
    boost::asio::io_context engine;
    OrderListener l;
    auto inbox = std::make_shared<VenueInbox>(l, engine.get_executor());
    std::vector<MdEvent> md(1);
    std::vector<ExecReport> exec;
    inbox->push(md, exec);
    md.resize(1);
    InstrumentChange listed;
    listed.instrument = option(1);
    inbox->pushInstrumentChange(listed);
    inbox->push(md, exec);
    InstrumentChange retired;
    retired.kind = InstrumentChange::Kind::Retired;
    inbox->pushInstrumentChange(retired);
    md.resize(1);
    inbox->push(md, exec);
    engine.run();
    QCOMPARE(QString::fromStdString(l.seen), QString("mLmRm"));
  }
};

QTEST_GUILESS_MAIN(TestInstrumentRegistry)
#include "tst_instrument_registry.moc"
