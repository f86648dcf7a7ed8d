#pragma once
// --wire-log FILE (off by default): for each book notification written to a WebSocket, the
// CLOCK_MONOTONIC nanoseconds at the write, the session, the instrument and the change_id, so a
// benchmark can join them with the moment its engine applied that change (wire-to-book latency
// over loopback, tests/bench/bench_deribit_loopback.cpp). The wire protocol is unchanged.
//
// Kept off the hot path: one clock read before the socket write, the record filled in memory
// after it; the file is written once, when the process exits (SIGTERM/SIGINT included). One
// thread (the server's) writes records, so there is no locking.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kappa::exchange {

class WireLog {
 public:
  // The process's log, or null when --wire-log was not given (the check on every write).
  static WireLog* active() { return active_; }
  // Turns logging on for this process; `path` is written by flush().
  static void enable(std::string path);
  // Writes "mono_ns session instrument change_id snapshot|change" a line; false if it could not.
  static bool flush(std::string& error);

  static std::int64_t nowNs();
  // `text` is one outgoing WebSocket message, stamped at `ns` just before its write; only book
  // notifications (book.{instrument}.{raw|100ms}) are kept.
  void record(std::int64_t ns, std::uint64_t session, std::string_view text);

 private:
  struct Record {
    std::int64_t ns;
    std::uint64_t session;
    std::uint64_t changeId;
    bool snapshot;
    char instrument[47];  // Deribit's names are far shorter; longer ones are cut
  };
  static WireLog* active_;
  std::string path_;
  std::vector<Record> records_;
};

}  // namespace kappa::exchange
