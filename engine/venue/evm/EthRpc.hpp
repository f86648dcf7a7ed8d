#pragma once
// A blocking Ethereum JSON-RPC 2.0 client over HTTP(S) for one node (anvil on loopback, or a real
// chain's RPC endpoint), on venue/net's keep-alive HttpClient (Boost.Beast): call(method, params)
// sends one request and waits for its answer, bounded by a timeout.
//
// Blocking on purpose: it is meant for an I/O thread (a venue's chain poller, the chain demo's
// deployer and trader, a test), never the engine thread. Each call runs the client's own private
// io_context on the calling thread until the answer or the timeout, so no thread is started
// here; calls from several threads are serialised (one at a time, in arrival order).
//
// Every failure is an RpcError that says which layer failed, so a caller can tell "the node said
// no" (a JSON-RPC error object: code, message, and the revert data when a contract reverted) from
// "no answer" (transport: connection refused, timeout; `maybeSent` says whether the request may
// have reached the node, which matters for eth_sendRawTransaction) and from an HTTP status or an
// answer that is not JSON-RPC.
//
// Quantities travel as JSON-RPC QUANTITY hex text ("0x1a"): venue/evm/U256.hpp reads and writes
// them (u256FromQuantity / u256ToQuantity, geth's strictness); quantityU256 / quantityU64 below
// read one from a JSON value of an answer and name the field when it is not one.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "venue/evm/U256.hpp"
#include "venue/net/Endpoint.hpp"

namespace kappa::net {
class HttpClient;
}
namespace boost::asio {
class io_context;
}

namespace kappa::evm {

struct RpcError {
  enum class Kind {
    None,       // no error
    Transport,  // no HTTP answer: connect failed, timeout, connection lost
    Http,       // an HTTP answer that is not 2xx (status, body's start in message)
    Answer,     // a 2xx answer that is not a JSON-RPC 2.0 response to this request
    Rpc,        // the node's JSON-RPC error object: code, message, data
  };
  Kind kind = Kind::None;
  int httpStatus = 0;          // Http: the status
  std::int64_t code = 0;       // Rpc: the JSON-RPC error code (-32601 unknown method, 3 execution reverted, ...)
  std::string message;         // what went wrong, in the node's or the transport's words
  std::string data;            // Rpc: the error's data as text; for a revert, the revert data hex ("0x08c379a0...")
  bool maybeSent = false;      // Transport: the request may have reached the node (its effect is unknown)

  explicit operator bool() const { return kind != Kind::None; }
  bool isRevert() const { return kind == Kind::Rpc && (code == 3 || message.rfind("execution reverted", 0) == 0); }
  // One line for a log or a rejection: "eth_call: JSON-RPC error 3: execution reverted: ... (data 0x08c3...)".
  std::string describe(std::string_view method) const;
};

// The answer to one call: the `result` member, or why there is none.
struct RpcReply {
  nlohmann::json result;
  RpcError error;
  bool ok() const { return !error; }
};

// Thrown by EthRpc::require(): the error, with the method named in what().
class RpcException : public std::runtime_error {
 public:
  RpcException(std::string method, RpcError error);
  const std::string& method() const { return method_; }
  const RpcError& error() const { return error_; }

 private:
  std::string method_;
  RpcError error_;
};

struct EthRpcOptions {
  std::chrono::milliseconds timeout{10000};  // per call, connection included
  std::string caFile;                        // https: also trust this CA
};

class EthRpc {
 public:
  // `url`: http://host:port[/path] or https://...; false with `error` naming the URL when malformed.
  static std::unique_ptr<EthRpc> open(const std::string& url, std::string& error, EthRpcOptions options = {});
  EthRpc(net::Endpoint endpoint, EthRpcOptions options = {});
  ~EthRpc();
  EthRpc(const EthRpc&) = delete;
  EthRpc& operator=(const EthRpc&) = delete;

  // One request {"jsonrpc":"2.0","id":N,"method":…,"params":…}; `params` an array (or object).
  RpcReply call(std::string_view method, nlohmann::json params = nlohmann::json::array());
  // call(), and the result; throws RpcException on any error (setup code, tests).
  nlohmann::json require(std::string_view method, nlohmann::json params = nlohmann::json::array());

  const net::Endpoint& endpoint() const { return endpoint_; }
  // TCP connections opened so far: keep-alive shows here (one for a whole deployment).
  std::uint64_t connectionsOpened() const;

 private:
  net::Endpoint endpoint_;
  EthRpcOptions options_;
  std::mutex mutex_;  // one call at a time: the io_context runs on the caller's thread
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<net::HttpClient> http_;
  std::uint64_t nextId_ = 1;
};

// A JSON value of an answer that must be a QUANTITY string (u256FromQuantity's rules: "0x", 1-64 hex
// digits, no leading zeros). Throws EvmError naming `what` ("eth_chainId: ...") otherwise.
U256 quantityU256(const nlohmann::json& value, std::string_view what);
// The same for values that must fit in 64 bits (block numbers, nonces, gas, chain ids).
std::uint64_t quantityU64(const nlohmann::json& value, std::string_view what);

}  // namespace kappa::evm
