#include "venue/evm/NewHeadsFeed.hpp"

#include <nlohmann/json.hpp>

#include "core/Log.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/net/WsTransport.hpp"

namespace kappa::evm {

namespace {
constexpr const char* kLog = "evm";
}

NewHeadsFeed::NewHeadsFeed(boost::asio::io_context& io, std::string url, std::string caFile,
                           std::chrono::milliseconds retry, Callbacks callbacks)
    : io_(io), url_(std::move(url)), caFile_(std::move(caFile)), retry_(retry), callbacks_(std::move(callbacks)),
      retryTimer_(io) {}

NewHeadsFeed::~NewHeadsFeed() { stop(); }

std::string NewHeadsFeed::wsUrlFor(const std::string& rpcUrl) {
  if (rpcUrl.rfind("http://", 0) == 0) return "ws://" + rpcUrl.substr(7);
  if (rpcUrl.rfind("https://", 0) == 0) return "wss://" + rpcUrl.substr(8);
  return "";
}

void NewHeadsFeed::start() {
  if (running_) return;
  running_ = true;
  open();
}

void NewHeadsFeed::stop() {
  running_ = false;
  ++generation_;
  retryTimer_.cancel();
  if (ws_) {
    auto ws = std::move(ws_);
    ws->close();
  }
  live_ = false;
}

void NewHeadsFeed::open() {
  const std::uint64_t generation = ++generation_;
  net::WsOptions options;
  options.caFile = caFile_;
  options.connectTimeout = std::chrono::milliseconds(5000);
  options.idleTimeout = std::chrono::seconds(60);  // a block every 12 s on mainnet; pings keep it honest
  net::WsTransport::Handlers h;
  h.onOpen = [this, generation] {
    if (generation != generation_) return;
    ws_->send(R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})");
  };
  h.onMessage = [this, generation](std::string_view text) {
    if (generation == generation_) onMessage(text);
  };
  h.onClose = [this, generation](const std::string& reason) {
    if (generation == generation_) closed("connection closed: " + reason);
  };
  std::string error;
  ws_ = net::makeWsTransport(io_, url_, options, std::move(h), error);
  if (!ws_) {
    // A URL we cannot open will not open later either: polling only.
    running_ = false;
    if (callbacks_.onStatus) callbacks_.onStatus(false, error);
    return;
  }
  ws_->start();
}

void NewHeadsFeed::onMessage(std::string_view text) {
  const nlohmann::json m = nlohmann::json::parse(text, nullptr, false);
  if (!m.is_object()) {
    log::warn(kLog, "newHeads: a message that is not JSON ignored");
    return;
  }
  if (const auto id = m.find("id"); id != m.end() && *id == 1) {
    const auto result = m.find("result");
    if (result == m.end() || !result->is_string()) {
      std::string why = "the node refused eth_subscribe";
      if (const auto e = m.find("error"); e != m.end() && e->is_object() && e->contains("message") &&
                                          (*e)["message"].is_string())
        why += ": " + (*e)["message"].get<std::string>();
      closed(why);
      return;
    }
    subscription_ = result->get<std::string>();
    live_ = true;
    downReported_ = false;
    if (callbacks_.onStatus) callbacks_.onStatus(true, "subscribed to new heads");
    return;
  }
  const auto params = m.find("params");
  if (m.value("method", "") != "eth_subscription" || params == m.end() || !params->is_object() ||
      params->value("subscription", "") != subscription_)
    return;
  const auto head = params->find("result");
  if (head == params->end() || !head->is_object() || !head->contains("number")) return;
  try {
    const std::uint64_t number = quantityU64((*head)["number"], "newHeads number");
    ++notifications_;
    if (callbacks_.onHead) callbacks_.onHead(number);
  } catch (const std::exception& e) {
    log::warn(kLog, std::string("newHeads: ") + e.what());
  }
}

void NewHeadsFeed::closed(const std::string& why) {
  const bool wasLive = live_;
  live_ = false;
  subscription_.clear();
  ++generation_;  // whatever the old connection still says is ignored
  if (ws_) {
    auto ws = std::move(ws_);
    ws->close();
  }
  // Said once per loss, not at every retry of a node that has no WebSocket.
  if (callbacks_.onStatus && (wasLive || !downReported_)) callbacks_.onStatus(false, why);
  downReported_ = true;
  if (!running_) return;
  retryTimer_.expires_after(retry_);
  retryTimer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (!ec && running_ && generation == generation_) open();
  });
}

}  // namespace kappa::evm
