#include "venue/evm/PoolChainReader.hpp"

#include <algorithm>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmError.hpp"

namespace kappa::evm {

namespace {

std::string tag(std::uint64_t block) { return u256ToQuantity(U256(block)); }

std::uint64_t quantityOf(const nlohmann::json& v, const char* what) {
  if (!v.is_string()) throw EvmError(std::string(what) + " is not a QUANTITY string");
  return u256ToUint64(u256FromQuantity(v.get<std::string>()), what);
}

}  // namespace

Bytes PoolChainReader::call(const Address& to, const Bytes& data, const nlohmann::json& block) {
  const nlohmann::json r = rpc_.require("eth_call", nlohmann::json::array({{{"to", toLowerHexAddress(to)}, {"data", toHex(data)}}, block}));
  if (!r.is_string()) throw EvmError("eth_call answer is not DATA");
  return fromHex(r.get<std::string>());
}

std::uint64_t PoolChainReader::chainId() { return quantityOf(rpc_.require("eth_chainId"), "eth_chainId"); }

std::uint64_t PoolChainReader::blockNumber() { return quantityOf(rpc_.require("eth_blockNumber"), "eth_blockNumber"); }

bool PoolChainReader::syncing() {
  const nlohmann::json r = rpc_.require("eth_syncing");
  return !(r.is_boolean() && !r.get<bool>());
}

std::optional<BlockHeader> PoolChainReader::header(std::uint64_t number) {
  const nlohmann::json b = rpc_.require("eth_getBlockByNumber", nlohmann::json::array({tag(number), false}));
  if (b.is_null()) return std::nullopt;
  if (!b.is_object()) throw EvmError("eth_getBlockByNumber answer is not a block");
  BlockHeader h;
  h.number = quantityOf(b.value("number", nlohmann::json()), "block number");
  if (h.number != number) throw EvmError("asked for block " + std::to_string(number) + ", got " + std::to_string(h.number));
  h.hash = hash32FromHex(b.value("hash", std::string()));
  h.parentHash = hash32FromHex(b.value("parentHash", std::string()));
  const std::uint64_t seconds = quantityOf(b.value("timestamp", nlohmann::json()), "block timestamp");
  if (seconds > 9'000'000'000ULL) throw EvmError("block timestamp out of range");
  h.timestamp = Nanos(seconds) * 1'000'000'000;
  return h;
}

Address PoolChainReader::token0(const Address& pair) { return abi::decodeAddress(call(pair, abi::encodeCall("token0()", {}))); }
Address PoolChainReader::token1(const Address& pair) { return abi::decodeAddress(call(pair, abi::encodeCall("token1()", {}))); }

std::pair<U256, U256> PoolChainReader::reserves(const Address& pair, std::uint64_t block) {
  const Bytes r = call(pair, abi::encodeCall("getReserves()", {}), tag(block));
  if (r.size() != 96) throw EvmError("getReserves answered " + std::to_string(r.size()) + " bytes, not 96");
  return {abi::decodeUint256(r, 0), abi::decodeUint256(r, 1)};
}

std::pair<U256, U256> PoolChainReader::reserves(const Address& pair, const Hash32& blockHash) {
  const Bytes r = call(pair, abi::encodeCall("getReserves()", {}), nlohmann::json{{"blockHash", toHex(blockHash)}});
  if (r.size() != 96) throw EvmError("getReserves answered " + std::to_string(r.size()) + " bytes, not 96");
  return {abi::decodeUint256(r, 0), abi::decodeUint256(r, 1)};
}

std::optional<unsigned> PoolChainReader::decimals(const Address& token) {
  try {
    const Bytes r = call(token, abi::encodeCall("decimals()", {}));
    const U256 d = abi::decodeUint256(r, 0);
    if (d > 255) return std::nullopt;
    return unsigned(d);
  } catch (const RpcException& e) {
    if (e.error().kind == RpcError::Kind::Rpc) return std::nullopt;  // reverted: the token does not say
    throw;  // the node did not answer: not the token's fault
  } catch (const EvmError&) {
    return std::nullopt;
  }
}

std::optional<std::string> PoolChainReader::symbol(const Address& token) {
  Bytes r;
  try {
    r = call(token, abi::encodeCall("symbol()", {}));
  } catch (const RpcException& e) {
    if (e.error().kind == RpcError::Kind::Rpc) return std::nullopt;
    throw;
  }
  auto printable = [](const std::string& s) {
    return !s.empty() && s.size() <= 32 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '/' && c != ':'; });
  };
  try {
    std::string s = abi::decodeString(r, 0);
    if (printable(s)) return s;
  } catch (const EvmError&) {
  }
  if (r.size() == 32) {  // bytes32 symbols (MKR, SAI): text then zero padding
    std::string s(r.begin(), r.end());
    s.erase(s.find_last_not_of('\0') + 1);
    if (printable(s)) return s;
  }
  return std::nullopt;
}

std::vector<ChainLog> PoolChainReader::poolLogs(const std::vector<Address>& pairs, std::uint64_t from, std::uint64_t to) {
  nlohmann::json addresses = nlohmann::json::array();
  for (const Address& a : pairs) addresses.push_back(toLowerHexAddress(a));
  const nlohmann::json filter = {{"fromBlock", tag(from)},
                                 {"toBlock", tag(to)},
                                 {"address", addresses},
                                 {"topics", nlohmann::json::array({nlohmann::json::array(
                                                {toHex(uniswapV2SyncTopic()), toHex(uniswapV2SwapTopic())})})}};
  const nlohmann::json r = rpc_.require("eth_getLogs", nlohmann::json::array({filter}));
  if (!r.is_array()) throw EvmError("eth_getLogs answer is not an array");
  std::vector<ChainLog> logs;
  logs.reserve(r.size());
  for (const auto& l : r) logs.push_back(parseChainLog(l));
  // Nodes answer in chain order; sorted all the same, since the reserves depend on it.
  std::stable_sort(logs.begin(), logs.end(), [](const ChainLog& a, const ChainLog& b) {
    return a.blockNumber != b.blockNumber ? a.blockNumber < b.blockNumber : a.logIndex < b.logIndex;
  });
  return logs;
}

}  // namespace kappa::evm
