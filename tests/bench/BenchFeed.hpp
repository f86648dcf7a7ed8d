#pragma once
// Market data recorded from the simulator once per process, shared by the benchmarks.
#include <vector>

#include "book/MarketData.hpp"
#include "sim/SimExchange.hpp"

namespace kappa::bench {

struct Feed {
  sim::SimConfig config;
  std::unique_ptr<sim::SimExchange> exchange;
  std::vector<MdEvent> initial;  // snapshots
  std::vector<MdEvent> events;   // everything after the snapshots
  std::size_t levelUpdates = 0;
};

// `seconds` of simulated market at `updatesPerSecond`.
inline Feed recordFeed(double seconds, double updatesPerSecond) {
  Feed f;
  f.config.seed = 2024;
  f.config.updatesPerSecond = updatesPerSecond;
  f.exchange = std::make_unique<sim::SimExchange>(f.config);
  f.exchange->start();
  f.initial = f.exchange->output().md;
  f.exchange->output().clear();
  const int steps = int(seconds * 1000);
  for (int i = 0; i < steps; ++i) {
    f.exchange->step();
    for (const MdEvent& e : f.exchange->output().md) {
      f.events.push_back(e);
      if (e.type == MdType::BookLevel) ++f.levelUpdates;
    }
    f.exchange->output().clear();
  }
  return f;
}

}  // namespace kappa::bench
