#include "chain/AnvilProcess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

namespace kappa::exchange::chain {

using Clock = std::chrono::steady_clock;

namespace {

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

std::string AnvilProcess::start(const std::string& binary, const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout, const std::string& logFile) {
  if (pid_ > 0) return "anvil is already running (pid " + std::to_string(pid_) + ")";
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);

  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls.
  std::vector<std::string> argvText{binary};
  argvText.insert(argvText.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argvText) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t child = ::fork();
  if (child < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (child == 0) {
    // The parent may block SIGTERM/SIGINT to wait for them synchronously: anvil must not inherit
    // that mask (it would ignore the SIGTERM that stops it).
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    const char msg[] = "kappa-exchange: exec anvil failed\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = child;

  // Read until "Listening on HOST:PORT", bounded. Everything before it is the banner (accounts
  // and their dev keys, chain settings): read and dropped.
  const std::regex listening(R"(Listening on ([0-9.]+|\[[0-9a-fA-F:]+\]):(\d+))");
  std::string buffer, why;
  const auto deadline = Clock::now() + timeout;
  while (port_ == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      why = "anvil did not say where it listens within " + std::to_string(timeout.count()) + " ms";
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, int(std::min<long long>(left, 200)));
    if (ready < 0 && errno != EINTR) {
      why = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(out[0], chunk, sizeof chunk);
    if (n <= 0) {
      why = "anvil ended before listening";
      break;
    }
    buffer.append(chunk, std::size_t(n));
    std::size_t eol;
    while ((eol = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      std::smatch m;
      if (std::regex_search(line, m, listening)) {
        host_ = m[1];
        port_ = std::stoi(m[2]);
        break;
      }
      // A line that is an error, not the banner, is what the user needs to see if start fails.
      if (line.find("rror") != std::string::npos) why = "anvil: " + line;
    }
  }
  if (port_ == 0) {
    ::close(out[0]);
    stop(std::chrono::seconds(2));
    if (!exitDescription_.empty()) why += " (" + exitDescription_ + ")";
    return why.empty() ? "anvil did not start" : why;
  }

  std::FILE* log = logFile.empty() ? nullptr : std::fopen(logFile.c_str(), "w");
  drainer_ = std::thread([this, fd = out[0], log] { drain(fd, log); });
  return {};
}

void AnvilProcess::drain(int fd, std::FILE* log) {
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // anvil closed its output: it has exited
    if (log) {
      std::fwrite(chunk, 1, std::size_t(n), log);
      std::fflush(log);
    }
  }
  if (log) std::fclose(log);
  ::close(fd);
}

bool AnvilProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exitDescription_ = describeStatus(status);
    pid_ = -1;
    return false;
  }
  return r == 0;
}

bool AnvilProcess::stop(std::chrono::milliseconds grace) {
  bool clean = false;
  if (running()) {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exitDescription_ = describeStatus(status);
        clean = true;
        break;
      }
      if (r < 0 || Clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        exitDescription_ = "killed after " + std::to_string(grace.count()) + " ms";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }
  if (drainer_.joinable()) drainer_.join();  // its pipe closed when anvil exited
  return clean;
}

}  // namespace kappa::exchange::chain
