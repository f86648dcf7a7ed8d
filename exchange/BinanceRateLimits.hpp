#pragma once
// Binance's REST rate limits as the futures API applies them: request weight per IP per minute
// (X-MBX-USED-WEIGHT-1M), orders per account per 10 s and per minute (X-MBX-ORDER-COUNT-10S /
// -1M), fixed windows aligned to the clock. Over a limit the answer is 429 with Retry-After; a
// client that keeps sending while limited (kRepeatsBeforeBan 429s in one window) is banned: 418
// with the ban's end in the message, for 2 minutes the first time, doubling each time after.
// Faults force answers (the next N requests get 429, or a ban of S seconds now).
#include <cstdint>
#include <map>
#include <string>

namespace kappa::exchange::binance {

struct RateLimitConfig {
  int weightPerMinute = 2400;
  int ordersPer10s = 300;
  int ordersPerMinute = 1200;
  int banSeconds = 120;
};

class RateLimits {
 public:
  static constexpr int kRepeatsBeforeBan = 3;
  explicit RateLimits(RateLimitConfig config) : config_(config) {}

  struct Verdict {
    int status = 200;         // 200, 429 or 418
    std::int64_t retryAfterS = 0;
    std::int64_t bannedUntilMs = 0;
    int usedWeight = 0;
  };
  // Spends a request's weight for this IP at wall time nowMs.
  Verdict spendWeight(const std::string& ip, int weight, std::int64_t nowMs);
  // Counts an order of this account (after the weight passed); 429 when over either window.
  Verdict spendOrder(int account, std::int64_t nowMs, int& count10s, int& count1m);
  int usedWeight(const std::string& ip, std::int64_t nowMs) const;

  // Faults.
  void force429(int count) { forced429_ = count; }
  void banNow(const std::string& ip, std::int64_t untilMs) { ips_[ip].bannedUntilMs = untilMs; }
  const RateLimitConfig& config() const { return config_; }

 private:
  struct Ip {
    std::int64_t window = -1;
    int weight = 0;
    int limitedAnswers = 0;
    std::int64_t bannedUntilMs = 0;
    int bans = 0;
  };
  struct Orders {
    std::int64_t window10s = -1, window1m = -1;
    int n10s = 0, n1m = 0;
  };
  RateLimitConfig config_;
  std::map<std::string, Ip> ips_;
  std::map<int, Orders> orders_;
  int forced429_ = 0;
};

}  // namespace kappa::exchange::binance
