#pragma once
// Frame-time and lag samples collected by the GUI's frame loop, summarised for the status bar and
// for `kappa --report`.
#include <algorithm>
#include <vector>

namespace kappa::ui {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
  std::size_t count = 0;
};

class SampleSeries {
 public:
  void add(double v) {
    if (values_.size() < kMaxSamples) values_.push_back(v);
    recent_[recentCount_++ % kRecent] = v;
  }
  Percentiles summary() const { return summarise(values_); }
  Percentiles recentSummary() const {
    const std::size_t n = std::min(recentCount_, kRecent);
    return summarise(std::vector<double>(recent_, recent_ + n));
  }
  const std::vector<double>& values() const { return values_; }

 private:
  static constexpr std::size_t kMaxSamples = 2'000'000;
  static constexpr std::size_t kRecent = 240;  // ~4 s at 60 Hz
  static Percentiles summarise(std::vector<double> v) {
    Percentiles p;
    p.count = v.size();
    if (v.empty()) return p;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))]; };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    p.mean = sum / double(v.size());
    return p;
  }
  std::vector<double> values_;
  double recent_[kRecent] = {};
  std::size_t recentCount_ = 0;
};

struct UiMetrics {
  SampleSeries frameMs;     // whole frame: pull snapshot, update models, every repaint it caused
  SampleSeries updateMs;    // the synchronous part only (models, ladder paint, chart replot)
  SampleSeries intervalMs;  // time between frames: a frozen GUI shows here
  SampleSeries lagMs;       // engine built the snapshot -> GUI applied it
};

}  // namespace kappa::ui
