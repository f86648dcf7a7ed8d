#pragma once
#include <vector>

#include "core/Types.hpp"

namespace kappa {

struct Candle {
  Nanos start = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// Fixed-interval OHLCV bars built from trades (and seeded with the venue's history).
class CandleSeries {
 public:
  static constexpr Nanos kInterval = 10'000'000'000;  // 10 s bars
  static constexpr std::size_t kMaxBars = 8640;        // one day

  void add(Nanos ts, double price, double qty) {
    const Nanos start = ts - ts % kInterval;
    if (bars_.empty() || start > bars_.back().start) {
      if (bars_.size() >= kMaxBars) bars_.erase(bars_.begin(), bars_.begin() + kMaxBars / 4);
      bars_.push_back(Candle{start, price, price, price, price, qty});
      return;
    }
    Candle& c = bars_.back();  // late prints land in the current bar
    c.high = price > c.high ? price : c.high;
    c.low = price < c.low ? price : c.low;
    c.close = price;
    c.volume += qty;
  }
  void seed(std::vector<Candle> history) { bars_ = std::move(history); }
  const std::vector<Candle>& bars() const { return bars_; }

 private:
  std::vector<Candle> bars_;
};

}  // namespace kappa
