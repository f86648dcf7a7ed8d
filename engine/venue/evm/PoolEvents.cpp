#include "venue/evm/PoolEvents.hpp"

#include <string>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/Keccak.hpp"

namespace kappa::evm {

const Hash32& uniswapV2SyncTopic() {
  static const Hash32 topic = keccak256(std::string_view("Sync(uint112,uint112)"));
  return topic;
}

const Hash32& uniswapV2SwapTopic() {
  static const Hash32 topic = keccak256(std::string_view("Swap(address,uint256,uint256,uint256,uint256,address)"));
  return topic;
}

namespace {

const nlohmann::json& field(const nlohmann::json& log, const char* name) {
  auto it = log.find(name);
  if (it == log.end() || it->is_null()) throw EvmError(std::string("log without ") + name);
  return *it;
}
std::string text(const nlohmann::json& log, const char* name) {
  const nlohmann::json& v = field(log, name);
  if (!v.is_string()) throw EvmError(std::string("log ") + name + " is not a string");
  return v.get<std::string>();
}
std::uint64_t quantity(const nlohmann::json& log, const char* name) {
  return u256ToUint64(u256FromQuantity(text(log, name)), name);
}
// An indexed address: a 32-byte topic whose first 12 bytes are zero.
Address topicAddress(const Hash32& topic) {
  for (int i = 0; i < 12; ++i)
    if (topic[i] != 0) throw EvmError("indexed address topic with non-zero upper bytes");
  return addressFromBytes(ByteView(topic).subspan(12));
}

}  // namespace

ChainLog parseChainLog(const nlohmann::json& log) {
  if (!log.is_object()) throw EvmError("log is not an object");
  ChainLog l;
  l.address = parseAddress(text(log, "address"));
  const nlohmann::json& topics = field(log, "topics");
  if (!topics.is_array()) throw EvmError("log topics is not an array");
  for (const auto& t : topics) {
    if (!t.is_string()) throw EvmError("log topic is not a string");
    l.topics.push_back(hash32FromHex(t.get<std::string>()));
  }
  l.data = fromHex(text(log, "data"));
  l.blockNumber = quantity(log, "blockNumber");
  l.blockHash = hash32FromHex(text(log, "blockHash"));
  l.logIndex = quantity(log, "logIndex");
  l.transactionHash = hash32FromHex(text(log, "transactionHash"));
  if (auto it = log.find("removed"); it != log.end() && it->is_boolean()) l.removed = it->get<bool>();
  return l;
}

std::optional<SyncEvent> decodeSync(const ChainLog& log) {
  if (log.topics.empty() || log.topics[0] != uniswapV2SyncTopic()) return std::nullopt;
  if (log.topics.size() != 1) throw EvmError("Sync log with " + std::to_string(log.topics.size()) + " topics");
  if (log.data.size() != 64) throw EvmError("Sync log with " + std::to_string(log.data.size()) + " data bytes, not 64");
  SyncEvent s{abi::decodeUint256(log.data, 0), abi::decodeUint256(log.data, 1)};
  if ((s.reserve0 >> 112) != 0 || (s.reserve1 >> 112) != 0) throw EvmError("Sync reserve above uint112");
  return s;
}

std::optional<SwapEvent> decodeSwap(const ChainLog& log) {
  if (log.topics.empty() || log.topics[0] != uniswapV2SwapTopic()) return std::nullopt;
  if (log.topics.size() != 3) throw EvmError("Swap log with " + std::to_string(log.topics.size()) + " topics, not 3");
  if (log.data.size() != 128) throw EvmError("Swap log with " + std::to_string(log.data.size()) + " data bytes, not 128");
  SwapEvent s;
  s.sender = topicAddress(log.topics[1]);
  s.to = topicAddress(log.topics[2]);
  s.amount0In = abi::decodeUint256(log.data, 0);
  s.amount1In = abi::decodeUint256(log.data, 1);
  s.amount0Out = abi::decodeUint256(log.data, 2);
  s.amount1Out = abi::decodeUint256(log.data, 3);
  return s;
}

}  // namespace kappa::evm
