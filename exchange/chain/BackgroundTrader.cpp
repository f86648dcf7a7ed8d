#include "chain/BackgroundTrader.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/Address.hpp"

namespace kappa::exchange::chain {

using json = nlohmann::json;
namespace abi = evm::abi;

BackgroundTrader::BackgroundTrader(std::string rpcUrl, ChainDeployment deployment, std::chrono::milliseconds period,
                                   std::uint64_t seed)
    : url_(std::move(rpcUrl)), d_(std::move(deployment)), period_(std::max(period, std::chrono::milliseconds(10))), seed_(seed) {}

void BackgroundTrader::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void BackgroundTrader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackgroundTrader::sleepFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

namespace {

// A 256-bit amount as a number of whole 18-decimal tokens, for a log line and the price.
double whole(const U256& v) { return static_cast<double>(v) / 1e18; }

}  // namespace

void BackgroundTrader::run() {
  std::string error;
  evm::EthRpcOptions options;
  options.timeout = std::chrono::seconds(5);
  auto rpc = evm::EthRpc::open(url_, error, options);
  if (!rpc) {
    std::cerr << "kappa-exchange: trader: " << error << "\n";
    return;
  }
  std::mt19937_64 rng(seed_);
  std::uniform_int_distribution<int> gapPeriods(1, 3), basisPoints(5, 30);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> startPrice;
  for (const auto& p : d_.pools) {
    const bool baseIs0 = p.token0 == d_.token(p.base);
    startPrice.push_back(whole(baseIs0 ? p.reserve1 : p.reserve0) / whole(baseIs0 ? p.reserve0 : p.reserve1));
  }
  std::string inFlight;  // the hash of our last swap until its receipt arrives
  const evm::Address trader = evm::parseAddress(d_.trader);
  while (sleepFor(period_ * gapPeriods(rng))) {
    try {
      if (!inFlight.empty()) {
        const json receipt = rpc->require("eth_getTransactionReceipt", json::array({inFlight}));
        if (receipt.is_null()) continue;  // not mined yet: one at a time
        if (receipt.value("status", "") != "0x1") std::cerr << "kappa-exchange: trader: swap " << inFlight << " reverted\n";
        inFlight.clear();
      }
      const std::size_t i = std::size_t(rng() % d_.pools.size());
      const PoolInfo& pool = d_.pools[i];
      const bool baseIs0 = pool.token0 == d_.token(pool.base);
      const auto [r0, r1] = pairReserves(*rpc, pool.address);
      const U256 baseReserve = baseIs0 ? r0 : r1, quoteReserve = baseIs0 ? r1 : r0;
      if (baseReserve == 0 || quoteReserve == 0) continue;
      // Above the starting price, selling the base (price down) is likelier, and the reverse.
      const double deviation = whole(quoteReserve) / whole(baseReserve) / startPrice[i] - 1.0;
      const double pSellBase = std::clamp(0.5 + 5.0 * deviation, 0.1, 0.9);
      const bool sellBase = unit(rng) < pSellBase;
      const std::string& in = d_.token(sellBase ? pool.base : pool.quote);
      const std::string& out = d_.token(sellBase ? pool.quote : pool.base);
      const U256 amountIn = (sellBase ? baseReserve : quoteReserve) * U256(basisPoints(rng)) / 10000;
      const U256 balance = abi::decodeUint256(callFunction(*rpc, in, "balanceOf(address)", {abi::Value::address(trader)}));
      if (balance < amountIn) {
        std::cerr << "kappa-exchange: trader: too little " << (sellBase ? pool.base : pool.quote) << " left for a swap\n";
        continue;
      }
      // swapExactTokensForTokens(amountIn, amountOutMin, path, to, deadline)
      const std::string data = evm::toHex(abi::encodeCall(
          "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
          {abi::Value::uint256(amountIn), abi::Value::uint256(0),
           abi::Value::addressArray({evm::parseAddress(in), evm::parseAddress(out)}), abi::Value::address(trader),
           abi::Value::uint256(evm::u256Max())}));
      // A fixed gas limit, not anvil's estimate: swaps sent with the estimate (92,736) were mined
      // with status 0 and 92,153 gas used, out of gas in the pair's call (measured). Likely cause:
      // estimated in the second of the pair's last update, mined in a later one, the pair also
      // writes its two price accumulators.
      const json tx = {{"from", d_.trader}, {"to", d_.router}, {"data", data}, {"gas", evm::u256ToQuantity(300'000)}};
      const json hash = rpc->require("eth_sendTransaction", json::array({tx}));
      inFlight = hash.get<std::string>();
      ++sent_;
      std::cerr << "kappa-exchange: trader: " << pool.name << " swap " << whole(amountIn) << " "
                << (sellBase ? pool.base : pool.quote) << " -> " << (sellBase ? pool.quote : pool.base) << " (" << inFlight
                << ")\n";
    } catch (const std::exception& e) {
      // The chain is stopping, or a swap would revert: say so and go on (bounded by the sleeps).
      std::cerr << "kappa-exchange: trader: " << e.what() << "\n";
      inFlight.clear();
    }
  }
}

}  // namespace kappa::exchange::chain
