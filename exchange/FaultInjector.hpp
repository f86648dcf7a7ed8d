#pragma once
// The faults a test or a demo can inject into the exchange, each settable from the command line
// and at run time (kappa/fault, from loopback only): drop every connection now or every N s, skip
// a change_id on a book, delay every response by D ms, answer a method with an error code
// (10028 also closes the session, as the real rate limit does), lock the platform, stop answering
// heartbeats. The injector only holds the settings; the server and the dispatcher act on them.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace kappa::exchange {

class FaultInjector {
 public:
  struct MethodError {
    int code = 0;
    int remaining = 0;  // answers left; 0 = until cleared
  };
  int delayMs = 0;
  double dropEverySeconds = 0;
  double skipChangeEverySeconds = 0;
  bool heartbeatSilent = false;
  bool locked = false;

  void setMethodError(const std::string& method, int code, int count) { errors_[method] = {code, count}; }
  void clearMethodErrors() { errors_.clear(); }
  // The code to answer `method` with now (and counts it), or 0.
  int errorFor(const std::string& method);
  nlohmann::json describe() const;

 private:
  std::map<std::string, MethodError> errors_;
};

}  // namespace kappa::exchange
