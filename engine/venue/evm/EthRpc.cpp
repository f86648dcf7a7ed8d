#include "venue/evm/EthRpc.hpp"

#include <boost/asio/io_context.hpp>

#include "venue/evm/EvmError.hpp"
#include "venue/net/HttpClient.hpp"

namespace kappa::evm {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The node's URL for a message: host and port only. A provider's URL carries the account's API key
// in its path (https://mainnet.example/v3/KEY), and these messages reach logs and stderr.
std::string where(const net::Endpoint& e) {
  return std::string(e.tls ? "https://" : "http://") + net::hostHeader(e) + (e.target == "/" ? "/" : "/...");
}

// The first `n` characters of an answer, for a message (a node's HTML error page can be long).
std::string excerpt(const std::string& body, std::size_t n = 200) {
  std::string s = body.substr(0, n);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return body.size() > n ? s + "..." : s;
}

// A JSON-RPC 2.0 error object: {"code": integer, "message": ..., "data"?: ...}.
bool isRpcError(const json& error) {
  return error.is_object() && error.contains("code") && error["code"].is_number_integer();
}

// The JSON-RPC error object of an answer (isRpcError), as an RpcError of kind Rpc.
RpcError rpcErrorFrom(const json& error) {
  RpcError e;
  e.kind = RpcError::Kind::Rpc;
  e.code = error["code"].get<std::int64_t>();
  if (auto m = error.find("message"); m != error.end() && m->is_string()) e.message = m->get<std::string>();
  if (auto d = error.find("data"); d != error.end() && !d->is_null()) e.data = d->is_string() ? d->get<std::string>() : d->dump();
  if (e.message.empty()) e.message = "(no message)";
  return e;
}

}  // namespace

std::string RpcError::describe(std::string_view method) const {
  std::string s(method);
  switch (kind) {
    case Kind::None:
      return s + ": ok";
    case Kind::Transport:
      s += ": no answer: " + message;
      if (maybeSent) s += " (the request may have reached the node)";
      return s;
    case Kind::Http:
      return s + ": HTTP " + std::to_string(httpStatus) + ": " + message;
    case Kind::Answer:
      return s + ": not a JSON-RPC answer: " + message;
    case Kind::Rpc:
      s += ": JSON-RPC error " + std::to_string(code) + ": " + message;
      if (httpStatus != 0 && (httpStatus < 200 || httpStatus >= 300)) s += " (HTTP " + std::to_string(httpStatus) + ")";
      if (!data.empty()) s += " (data " + data + ")";
      return s;
  }
  return s;
}

RpcException::RpcException(std::string method, RpcError error)
    : std::runtime_error(error.describe(method)), method_(std::move(method)), error_(std::move(error)) {}

std::unique_ptr<EthRpc> EthRpc::open(const std::string& url, std::string& error, EthRpcOptions options) {
  net::Endpoint endpoint;
  if (!net::parseEndpoint(url, net::Scheme::Http, endpoint, error)) return nullptr;
  return std::make_unique<EthRpc>(std::move(endpoint), std::move(options));
}

EthRpc::EthRpc(net::Endpoint endpoint, EthRpcOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), io_(std::make_unique<boost::asio::io_context>(1)) {
  net::HttpClientOptions http;
  http.caFile = options_.caFile;
  http.maxIdleConnections = 2;
  http_ = std::make_unique<net::HttpClient>(*io_, endpoint_, http);
}

EthRpc::~EthRpc() {
  http_.reset();  // closes the idle connections while their io_context still exists
  io_.reset();
}

std::uint64_t EthRpc::connectionsOpened() const { return http_->connectionsOpened(); }

RpcReply EthRpc::call(std::string_view method, json params) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = nextId_++;
  json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", std::move(params)}};

  net::HttpRequest http;
  http.method = "POST";
  http.target = endpoint_.target;
  http.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  http.body = request.dump();

  // The answer lands here from the io_context, which runs on this thread until it does. Shared,
  // so a completion after the backstop below (it should never happen) writes to live memory.
  struct Outcome {
    bool done = false;
    net::HttpReply reply;
  };
  auto outcome = std::make_shared<Outcome>();
  io_->restart();
  http_->request(std::move(http), options_.timeout, [outcome](net::HttpReply r) {
    outcome->reply = std::move(r);
    outcome->done = true;
  });
  // HttpClient bounds the request by options_.timeout; this only guards against a lost completion.
  const auto backstop = Clock::now() + options_.timeout + std::chrono::seconds(5);
  while (!outcome->done && Clock::now() < backstop) {
    if (io_->run_one_for(std::chrono::milliseconds(100)) == 0 && io_->stopped()) io_->restart();
  }

  RpcReply out;
  if (!outcome->done) {
    out.error.kind = RpcError::Kind::Transport;
    out.error.message = "no completion from the HTTP client for " + where(endpoint_);
    out.error.maybeSent = true;
    return out;
  }
  net::HttpReply& reply = outcome->reply;
  if (reply.status == 0) {
    out.error.kind = RpcError::Kind::Transport;
    out.error.message = where(endpoint_) + ": " + reply.error;
    out.error.maybeSent = reply.sent;
    return out;
  }

  const json answer = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  const bool hasRpcError = answer.is_object() && answer.contains("error") && isRpcError(answer["error"]);
  if (!reply.ok()) {
    // Some providers answer a JSON-RPC error (rate limit, bad request) with a 4xx/5xx status.
    if (hasRpcError) {
      out.error = rpcErrorFrom(answer["error"]);
      out.error.httpStatus = reply.status;
      return out;
    }
    out.error.kind = RpcError::Kind::Http;
    out.error.httpStatus = reply.status;
    out.error.message = excerpt(reply.body);
    return out;
  }
  if (answer.is_discarded() || !answer.is_object()) {
    out.error.kind = RpcError::Kind::Answer;
    out.error.message = "not a JSON object: " + excerpt(reply.body);
    return out;
  }
  const auto idIt = answer.find("id");
  if (idIt == answer.end() || !idIt->is_number_unsigned() || idIt->get<std::uint64_t>() != id) {
    // A node answers a request it could not parse with id null and an error: report that error.
    if (hasRpcError) {
      out.error = rpcErrorFrom(answer["error"]);
      return out;
    }
    out.error.kind = RpcError::Kind::Answer;
    out.error.message = "the answer's id is not " + std::to_string(id) + ": " + excerpt(reply.body);
    return out;
  }
  if (hasRpcError) {
    out.error = rpcErrorFrom(answer["error"]);
    return out;
  }
  if (auto e = answer.find("error"); e != answer.end() && !e->is_null()) {
    out.error.kind = RpcError::Kind::Answer;
    out.error.message = "malformed error member: " + excerpt(e->dump());
    return out;
  }
  auto r = answer.find("result");
  if (r == answer.end()) {
    out.error.kind = RpcError::Kind::Answer;
    out.error.message = "neither result nor error: " + excerpt(reply.body);
    return out;
  }
  out.result = std::move(*r);
  return out;
}

json EthRpc::require(std::string_view method, json params) {
  RpcReply reply = call(method, std::move(params));
  if (!reply.ok()) throw RpcException(std::string(method), std::move(reply.error));
  return std::move(reply.result);
}

U256 quantityU256(const json& value, std::string_view what) {
  if (!value.is_string()) throw EvmError(std::string(what) + ": not a hex quantity: " + excerpt(value.dump()));
  try {
    return u256FromQuantity(value.get_ref<const std::string&>());
  } catch (const EvmError& e) {
    throw EvmError(std::string(what) + ": " + e.what());
  }
}

std::uint64_t quantityU64(const json& value, std::string_view what) {
  return u256ToUint64(quantityU256(value, what), std::string(what).c_str());
}

}  // namespace kappa::evm
