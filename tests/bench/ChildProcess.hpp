#pragma once
// A peer process for the benchmarks (kappa-exchange, anvil through kappa-exchange --chain, a floor
// server): started with fork/exec, optionally pinned to CPUs, its first stdout line read (where it
// listens), and stopped by its own pid, also when a benchmark fails half-way.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace kappa::bench {

// A child process whose first stdout line says where it listens; stopped (SIGTERM, then SIGKILL
// after 5 s) by its own pid, always, also when the benchmark fails half-way.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(); }

  // Starts `argv[0]` with `argv`, extra environment `env` ("NAME=value"), on `cpus`; returns the
  // first stdout line, or "" with `error`.
  std::string start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::vector<int>& cpus, std::string& error) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return (error = "pipe failed", "");
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> envStrings;
    for (char** e = environ; *e; ++e) envStrings.emplace_back(*e);
    for (const std::string& e : env) envStrings.push_back(e);
    std::vector<char*> envp;
    for (std::string& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus) CPU_SET(c, &set);
    const std::string errPath = "/tmp/kappa_bench_child_" + std::to_string(getpid()) + ".err";
    pid_ = fork();
    if (pid_ < 0) return (error = "fork failed", "");
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      if (!cpus.empty()) sched_setaffinity(0, sizeof set, &set);
      dup2(out[1], 1);
      const int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) dup2(err, 2);
      execve(args[0], args.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    errPath_ = errPath;
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, int(left.count())) <= 0) return (error = argv[0] + ": no first line in 30 s", "");
      char buf[256];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) return (error = argv[0] + " ended before its first line (see " + errPath + ")", "");
      line.append(buf, std::size_t(n));
    }
    return line.substr(0, line.find('\n'));
  }

  // Ends the child (SIGTERM: the exchange writes its wire log and exits 0); true if it exited 0.
  bool stop() {
    if (pid_ <= 0) return false;
    kill(pid_, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 500 && !exited; ++i) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    if (out_ >= 0) close(out_);
    out_ = -1;
    const bool ok = exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    struct stat st {};
    if (ok || (stat(errPath_.c_str(), &st) == 0 && st.st_size == 0)) unlink(errPath_.c_str());  // else kept: why it failed
    return ok;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string errPath_;
};

}  // namespace kappa::bench
