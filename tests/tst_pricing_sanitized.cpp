// The pricing kernel built with AddressSanitizer and UBSan into its own executable. Its dispatch is
// an ifunc whose resolver the dynamic loader runs before any sanitizer runtime is up: an
// instrumented resolver kills every process that links the kernel before main() (so this test
// failing means "crashed at load"), and ./dev sanitize could not run a single test.
#include <QtTest>
#include <cmath>

#include "pricing/BlackScholes.hpp"

using namespace kappa::pricing;

class TestPricingSanitized : public QObject {
  Q_OBJECT
 private slots:
  void loadsAndPricesThroughTheChosenKernel() {
    // Haug (1998): S = 100, K = 100, T = 1, r = 5 %, sigma = 20 %: call 10.4506, put 5.5735.
    QVERIFY(std::abs(bsmPrice(CallPut::Call, 100, 100, 1, 0.05, 0, 0.2) - 10.450583572185565) < 1e-9);
    QVERIFY(std::abs(bsmPrice(CallPut::Put, 100, 100, 1, 0.05, 0, 0.2) - 5.573526022256971) < 1e-9);
    // The loader bound the entry points to the kernel this CPU supports, bit for bit.
    const Greeks viaIfunc = bsmGreeks(CallPut::Call, 95, 110, 0.3, 0.01, 0.02, 0.45);
    const Greeks direct = bsmGreeksOn(activePricingKernel(), CallPut::Call, 95, 110, 0.3, 0.01, 0.02, 0.45);
    QCOMPARE(viaIfunc.price, direct.price);
    QCOMPARE(viaIfunc.delta, direct.delta);
    QCOMPARE(viaIfunc.vega, direct.vega);
    qInfo("kernel: %s", pricingKernelName(activePricingKernel()));
  }
};

QTEST_APPLESS_MAIN(TestPricingSanitized)
#include "tst_pricing_sanitized.moc"
