#pragma once
// anvil (Foundry's local Ethereum node) as a child process of kappa-exchange --chain: started on
// 127.0.0.1 with port 0 (anvil picks a free one and prints "Listening on 127.0.0.1:PORT", read here
// within a bound), its output drained on a thread for as long as it runs (a full pipe would stall
// it; anvil logs every request), and stopped by its own pid: SIGTERM, then SIGKILL.
//
// If kappa-exchange itself dies without stopping it (SIGKILL, a crash), the kernel sends anvil
// SIGTERM (PR_SET_PDEATHSIG): no orphaned chain keeps a port and 100 MB.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace kappa::exchange::chain {

class AnvilProcess {
 public:
  AnvilProcess() = default;
  ~AnvilProcess() { stop(); }
  AnvilProcess(const AnvilProcess&) = delete;
  AnvilProcess& operator=(const AnvilProcess&) = delete;

  // Runs `binary ARGS` (ARGS should hold --port 0 or a port, and --host); waits at most `timeout`
  // for the "Listening on HOST:PORT" line. `logFile` (optional) receives anvil's output after the
  // banner (which lists the dev accounts' keys: never copied anywhere). Returns "" or why not
  // (the child is stopped then).
  std::string start(const std::string& binary, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15), const std::string& logFile = {});
  // SIGTERM, then SIGKILL after `grace`; reaps it. True if it was running and exited on SIGTERM.
  bool stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Still running (not exited, not reaped)?
  bool running();
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string host() const { return host_; }
  // How it ended, once it has (for a message): "exit code N" / "signal N".
  std::string exitDescription() const { return exitDescription_; }

 private:
  void drain(int fd, std::FILE* log);
  pid_t pid_ = -1;
  int port_ = 0;
  std::string host_;
  std::string exitDescription_;
  std::thread drainer_;
};

}  // namespace kappa::exchange::chain
