// The libFuzzer harnesses (tests/fuzz/) replayed over their committed corpus in the normal suite:
// the seeds and every input a fuzzer once crashed on (kept as a regression test next to them).
// A harness aborts on a broken invariant, so a regression fails this test.
#include <QDir>
#include <QtTest>
#include <cstdint>
#include "TestPaths.hpp"

extern "C" int fuzzRiskConfig(const std::uint8_t* data, std::size_t size);
extern "C" int fuzzMarketData(const std::uint8_t* data, std::size_t size);

class TestFuzzCorpus : public QObject {
  Q_OBJECT
  static int replay(const char* harness, int (*run)(const std::uint8_t*, std::size_t)) {
    const QDir dir(kappa::test::fuzzCorpusDir() + "/" + harness);
    int n = 0;
    for (const QFileInfo& f : dir.entryInfoList(QDir::Files, QDir::Name)) {
      QFile file(f.filePath());
      if (!file.open(QIODevice::ReadOnly)) continue;
      const QByteArray bytes = file.readAll();
      qInfo("%s: %s (%lld bytes)", harness, qPrintable(f.fileName()), qlonglong(bytes.size()));
      run(reinterpret_cast<const std::uint8_t*>(bytes.constData()), std::size_t(bytes.size()));
      ++n;
    }
    return n;
  }
 private slots:
  void riskConfigCorpus() { QVERIFY(replay("risk_config", fuzzRiskConfig) >= 3); }
  void marketDataCorpus() { QVERIFY(replay("market_data", fuzzMarketData) >= 3); }
};

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "tst_fuzz_corpus.moc"
