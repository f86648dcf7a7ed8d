#include "venue/evm/FeeEstimator.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/EvmError.hpp"
#include "venue/evm/RpcQuantity.hpp"

namespace kappa::evm {

using json = nlohmann::json;

namespace {

U256 mulPermilleCeil(const U256& value, unsigned permille) {
  CheckedU256 v = CheckedU256(value) * permille;
  CheckedU256 q = v / 1000;
  if (q * 1000 != v) q += 1;
  return U256(q);
}

}  // namespace

FeeQuote feesFromHistory(const json& history, const FeeConfig& config, const U256& fallbackPriority) {
  const json& baseFees = jsonMember(history, "baseFeePerGas");
  if (!baseFees.is_array() || baseFees.empty()) throw EvmError("eth_feeHistory: baseFeePerGas is not a non-empty array");
  FeeQuote q;
  q.baseFeeNext = quantityU256(baseFees.back(), "eth_feeHistory baseFeePerGas");
  std::vector<U256> rewards;
  if (auto it = history.find("reward"); it != history.end() && it->is_array()) {
    for (const json& block : *it) {
      if (!block.is_array() || block.empty()) throw EvmError("eth_feeHistory: a reward entry is not a non-empty array");
      const U256 r = quantityU256(block[0], "eth_feeHistory reward");
      if (r > 0) rewards.push_back(r);
    }
  }
  U256 priority = fallbackPriority;
  if (!rewards.empty()) {
    std::sort(rewards.begin(), rewards.end());
    priority = rewards[rewards.size() / 2];
  }
  q.maxPriorityFeePerGas = std::max(priority, config.minPriorityFee);
  q.maxFeePerGas = U256(CheckedU256(mulPermilleCeil(q.baseFeeNext, config.baseFeeMultiplierPermille)) + CheckedU256(q.maxPriorityFeePerGas));
  return q;
}

FeeQuote feesFromLatestBlock(const U256& latestBaseFee, const U256& priority, const FeeConfig& config) {
  FeeQuote q;
  q.baseFeeNext = mulPermilleCeil(latestBaseFee, 1125);
  q.maxPriorityFeePerGas = std::max(priority, config.minPriorityFee);
  q.maxFeePerGas = U256(CheckedU256(mulPermilleCeil(q.baseFeeNext, config.baseFeeMultiplierPermille)) + CheckedU256(q.maxPriorityFeePerGas));
  return q;
}

std::uint64_t gasWithMargin(std::uint64_t estimate, unsigned marginPermille) {
  const U256 g = mulPermilleCeil(U256(estimate), std::max(marginPermille, 1000u));
  return u256ToUint64(g, "gas limit");
}

FeeQuote bumpFees(const FeeQuote& old, const FeeQuote& fresh, unsigned bumpPermille) {
  FeeQuote q;
  q.baseFeeNext = fresh.baseFeeNext;
  q.maxPriorityFeePerGas = std::max({mulPermilleCeil(old.maxPriorityFeePerGas, bumpPermille), old.maxPriorityFeePerGas + 1,
                                     fresh.maxPriorityFeePerGas});
  q.maxFeePerGas = std::max({mulPermilleCeil(old.maxFeePerGas, bumpPermille), old.maxFeePerGas + 1, fresh.maxFeePerGas,
                             q.maxPriorityFeePerGas});
  return q;
}

std::string formatGwei(const U256& wei) {
  const U256 whole = wei / 1'000'000'000;
  U256 frac = wei % 1'000'000'000;
  std::string s = u256ToDecimal(whole);
  if (frac != 0) {
    std::string f = u256ToDecimal(frac);
    f = std::string(9 - f.size(), '0') + f;
    while (!f.empty() && f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s + " gwei";
}

std::string checkFeeCap(const U256& maxFeePerGas, const U256& cap) {
  if (cap == 0 || maxFeePerGas <= cap) return {};
  return "maxFeePerGas " + formatGwei(maxFeePerGas) + " above the cap " + formatGwei(cap);
}

std::optional<FeeQuote> FeeEstimator::quoteAt(std::uint64_t head, std::string& error) {
  if (head != 0 && head == cachedHead_) return cached_;
  std::optional<FeeQuote> q = quote(error);
  if (q && head != 0) {
    cachedHead_ = head;
    cached_ = *q;
  }
  return q;
}

std::optional<FeeQuote> FeeEstimator::quote(std::string& error) {
  const double pct = std::clamp(config_.rewardPercentile, 0.0, 100.0);
  RpcReply history = rpc_.call("eth_feeHistory", json::array({u256ToQuantity(U256(std::max(config_.historyBlocks, 1u))), "latest",
                                                               json::array({pct})}));
  if (!history.ok()) {
    if (history.error.kind != RpcError::Kind::Rpc) {
      error = history.error.describe("eth_feeHistory");
      return std::nullopt;
    }
    // The node said no (an old node, a proxy without the method): the latest block and the tip.
    RpcReply block = rpc_.call("eth_getBlockByNumber", json::array({"latest", false}));
    RpcReply tip = rpc_.call("eth_maxPriorityFeePerGas");
    if (!block.ok() || !tip.ok()) {
      error = history.error.describe("eth_feeHistory") + "; " +
              (!block.ok() ? block.error.describe("eth_getBlockByNumber") : tip.error.describe("eth_maxPriorityFeePerGas"));
      return std::nullopt;
    }
    try {
      return feesFromLatestBlock(quantityU256(jsonMember(block.result, "baseFeePerGas"), "baseFeePerGas"),
                                 quantityU256(tip.result, "eth_maxPriorityFeePerGas"), config_);
    } catch (const EvmError& e) {
      error = e.what();
      return std::nullopt;
    }
  }
  try {
    // The fallback is only asked for when no block paid a tip.
    bool anyReward = false;
    if (auto it = history.result.find("reward"); it != history.result.end() && it->is_array())
      for (const json& b : *it)
        if (b.is_array() && !b.empty() && b[0].is_string() && b[0].get<std::string>() != "0x0") anyReward = true;
    U256 fallback = 0;
    if (!anyReward) {
      RpcReply tip = rpc_.call("eth_maxPriorityFeePerGas");
      if (!tip.ok()) {
        error = tip.error.describe("eth_maxPriorityFeePerGas");
        return std::nullopt;
      }
      fallback = quantityU256(tip.result, "eth_maxPriorityFeePerGas");
    }
    return feesFromHistory(history.result, config_, fallback);
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

GasEstimate FeeEstimator::estimateGas(const Address& from, const std::optional<Address>& to, const U256& value, const Bytes& data) {
  GasEstimate out;
  json call{{"from", toLowerHexAddress(from)}, {"value", u256ToQuantity(value)}, {"data", toHex(data)}};
  if (to) call["to"] = toLowerHexAddress(*to);
  RpcReply reply = rpc_.call("eth_estimateGas", json::array({call, "pending"}));
  if (!reply.ok()) {
    if (reply.error.isRevert()) {
      try {
        out.revertReason = abi::describeRevert(fromHex(reply.error.data));
      } catch (const EvmError&) {
        out.revertReason = reply.error.message;  // no decodable data: the node's own words
      }
      if (out.revertReason.empty()) out.revertReason = "execution reverted";
    } else {
      out.error = reply.error.describe("eth_estimateGas");
    }
    return out;
  }
  try {
    out.estimate = quantityU64(reply.result, "eth_estimateGas");
    out.gasLimit = gasWithMargin(out.estimate, config_.gasMarginPermille);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace kappa::evm
