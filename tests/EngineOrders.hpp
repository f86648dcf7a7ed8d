#pragma once
// Placing orders through a running Engine from a test and watching them, without reaching into the
// engine thread except through Engine::call(): shared by the multi-venue tests.
#include <QTest>

#include "orchestrator/Engine.hpp"

namespace kappa::test {

// A limit buy 20 % under the instrument's mark (rounded to its tick, `ticksDown` ticks lower still),
// ten times its minimum quantity: rests on any venue's book.
inline OrderRequest restingBuyRequest(Engine& e, InstrumentId id, int ticksDown = 0, const char* tag = "test") {
  const Price mark = e.call([&] { return e.marketData().markPrice(id); });
  const Instrument& inst = e.instruments()[id];
  OrderRequest r;
  r.instrument = id;
  r.side = Side::Buy;
  r.type = OrderType::Limit;
  r.price = (mark * 8 / 10) / inst.tickSize * inst.tickSize - ticksDown * inst.tickSize;
  r.qty = inst.minQty * 10;
  r.tag = tag;
  return r;
}

// Submits and returns the order's id once the OMS has it (accepted or refused), 0 if it never came
// within 10 s.
inline OrderId submitAndFind(Engine& e, const OrderRequest& r) {
  const std::size_t before = e.call([&] { return e.orders().orders().size(); });
  e.submit(r);
  OrderId found = 0;
  (void)QTest::qWaitFor([&] {
    found = e.call([&] {
      const auto& all = e.orders().orders();
      for (std::size_t i = before; i < all.size(); ++i)
        if (all[i].request.instrument == r.instrument) return all[i].id;
      return OrderId(0);
    });
    return found != 0;
  }, 10000);
  return found;
}

inline OrderState stateOf(Engine& e, OrderId id) { return e.call([&] { return e.orders().find(id)->state; }); }

// The newest snapshot (takes one if a newer was published; the last taken otherwise).
inline const EngineSnapshot& latestSnapshot(Engine& e) {
  e.takeSnapshot();
  return e.snapshot();
}

}  // namespace kappa::test
