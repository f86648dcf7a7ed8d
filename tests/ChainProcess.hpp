#pragma once
// A real local Ethereum chain with the real Uniswap V2 for a test: `kappa-exchange --chain` (anvil
// from npm, the contracts deployed from the npm artifacts; exchange/chain/ChainDemo.hpp), its RPC
// URL read from the first stdout line and the deployment's JSON from the second, stopped by its own
// pid (which stops anvil, its child). Every wait is bounded.
//
// rpc() is the test's own JSON-RPC client (Qt, one connection a request), independent of the
// engine's EthRpc: a test checks what the chain says, not what the code under test believes.
//
// Start-up (anvil + deployment) takes about 0.15-0.3 s: start one chain per test executable
// (initTestCase), not one per test function; tests that need a pristine state use evm_snapshot /
// evm_revert or block tags (eth_call at "deployed_block").
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace kappa::test {

struct ChainOptions {
  enum class Mining { Auto, Manual, Interval };
  Mining mining = Mining::Auto;  // automine: a block per transaction
  int blockTimeSeconds = 1;      // Interval only
  bool trader = false;           // the background trader's random swaps
  double traderPeriodSeconds = 0;  // 0: kappa-exchange's default
  quint64 seed = 1;
  QString anvilLog;              // anvil's own output (after its banner), for debugging
  QString addressesOut;          // --addresses-out: the deployment's JSON also in this file
};

class ChainProcess {
 public:
  ~ChainProcess() { stop(); }
  // Starts `binary --chain ...`; stderr to `stderrFile` when given. "" once the chain is deployed
  // (both lines read within 60 s), else why not.
  QString start(const QString& binary, const ChainOptions& options = {}, const QString& stderrFile = {});
  // SIGTERM to kappa-exchange (which stops anvil), SIGKILL after 10 s. Its exit code after a
  // clean exit, else -1.
  int stop();
  // SIGKILL, no chance to clean up (anvil must go anyway: PR_SET_PDEATHSIG). Waits for the exit.
  void kill();

  QString url() const { return url_; }
  int port() const { return port_; }
  const QJsonObject& deployment() const { return deployment_; }
  qint64 anvilPid() const { return qint64(deployment_["anvil_pid"].toDouble()); }
  qint64 pid() const { return process_.processId(); }
  QString router() const { return deployment_["router"].toString(); }
  QString factory() const { return deployment_["factory"].toString(); }
  QString token(const QString& symbol) const { return deployment_["tokens"][symbol]["address"].toString(); }
  QJsonObject pool(const QString& name) const { return deployment_["pools"][name].toObject(); }
  QString fundedAccount(int i) const { return deployment_["funded_accounts"][i].toString(); }
  qint64 deployedBlock() const { return qint64(deployment_["deployed_block"].toDouble()); }
  QProcess& process() { return process_; }
  qint64 startMs() const { return startMs_; }  // spawn to deployed, measured here

  // One JSON-RPC call: the result, or an undefined value with `error` set (the node's error
  // object as JSON text, or the transport failure). Bounded by 10 s.
  QJsonValue rpc(const QString& method, const QJsonArray& params = {}, QString* error = nullptr) const;

 private:
  QProcess process_;
  QString url_;
  int port_ = 0;
  QJsonObject deployment_;
  qint64 startMs_ = 0;
};

// True while a process with this pid exists and is not a zombie (/proc/PID/stat state Z).
bool processAlive(qint64 pid);

}  // namespace kappa::test
