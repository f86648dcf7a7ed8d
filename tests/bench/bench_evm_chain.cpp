// The on-chain venue against a real chain: kappa-exchange --chain --automine (anvil running the
// Uniswap V2 contracts, each transaction mined the moment it arrives), the venue as a trader's
// terminal runs it (pushed new heads, 1 s polling beside).
//
//   BM_EvmSwapQuoteToIncluded   submit() of a 0.001 WETH market sell -> its Fill at the "engine":
//                               the quote on the processed block's reserves, allowance and gas
//                               estimate, fees, signing, eth_sendRawTransaction, the block pushed,
//                               logs and the receipt read, the Fill decoded from the Swap log.
//   BM_EvmPoolUpdatePerBlock    another account's swap sent -> the venue's book snapshot of that
//                               block at the "engine": the pushed head, eth_getLogs, the pool
//                               state and its 20-level ladder.
// Beside each, the floor (floor_p50_us, x_floor): the least any client must do on the same node for
// the same outcome: eth_sendTransaction of the same swap from an unlocked account and its
// eth_getTransactionReceipt (anvil signs and mines; no quote, no estimate, no fee history).
//
// Each runs once (Iterations(1)) over `kSamples` swaps and reports percentiles in microseconds;
// the Time column (manual time) is the p50.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "ChildProcess.hpp"
#include "core/Instrument.hpp"
#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/Address.hpp"
#include "venue/evm/EthRpc.hpp"
#include "venue/evm/EvmVenue.hpp"
#include "venue/evm/U256.hpp"

using namespace kappa;
using namespace kappa::evm;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSamples = 40;
// Anvil's documented dev account 1 (funded with the demo's tokens by kappa-exchange --chain).
const char* kDevKey1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

std::string exchangeBinary() {
  const char* env = std::getenv("KAPPA_EXCHANGE_BINARY");
  return env && *env ? env : KAPPA_EXCHANGE_BINARY;
}

// The engine's side of the venue: an io_context this thread runs, and what arrived on it.
struct EngineSide : VenueListener {
  boost::asio::io_context io;
  std::vector<ExecReport> reports;
  std::uint64_t lastBookBlock = 0;
  VenueState state = VenueState::Disconnected;
  void onMarketData(const MdEvent* events, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i)
      if (events[i].type == MdType::BookBegin) lastBookBlock = std::max(lastBookBlock, events[i].changeId);
  }
  void onExecution(const ExecReport& r) override { reports.push_back(r); }
  void onVenueState(VenueState s, const std::string&) override { state = s; }
  // Runs the engine side until `done` or `timeout`.
  template <class F>
  bool runUntil(F done, std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() > end) return false;
      io.restart();
      io.run_for(std::chrono::microseconds(200));
    }
    return true;
  }
};

struct Chain {
  bench::ChildProcess child;
  std::string url;
  nlohmann::json deployment;
  std::unique_ptr<EthRpc> rpc;
  bool start(std::string& error) {
    const std::string out = "/tmp/kappa_bench_chain_" + std::to_string(::getpid()) + ".json";
    url = child.start({exchangeBinary(), "--chain", "--automine", "--no-trader", "--addresses-out", out}, {}, {}, error);
    if (url.rfind("http://127.0.0.1:", 0) != 0) {
      if (error.empty()) error = "unexpected first line: " + url;
      return false;
    }
    std::ifstream in(out);
    deployment = nlohmann::json::parse(in, nullptr, false);
    std::remove(out.c_str());
    if (!deployment.is_object()) return (error = "no deployment JSON", false);
    rpc = EthRpc::open(url, error);
    return rpc != nullptr;
  }
  std::string token(const std::string& symbol) const { return deployment["tokens"][symbol]["address"]; }
  std::string router() const { return deployment["router"]; }
  std::string funded(int i) const { return deployment["funded_accounts"][i]; }
  // swapExactTokensForTokens(amount, 0, [in, out], from, far deadline) sent by an unlocked account
  // (anvil signs): returns the hash once anvil answered (automine: already in a block).
  std::string swapFrom(const std::string& from, const std::string& in, const std::string& out, const U256& amount) {
    const Bytes data = abi::encodeCall(
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        {abi::Value::uint256(amount), abi::Value::uint256(0),
         abi::Value::addressArray({parseAddress(in), parseAddress(out)}), abi::Value::address(parseAddress(from)),
         abi::Value::uint256(U256(4'000'000'000ULL))});
    return rpc->require("eth_sendTransaction",
                        nlohmann::json::array({{{"from", from}, {"to", router()}, {"data", toHex(data)}, {"gas", "0x493e0"}}}))
        .get<std::string>();
  }
  void approveFrom(const std::string& from, const std::string& token) {
    const Bytes data = abi::encodeCall("approve(address,uint256)",
                                       {abi::Value::address(parseAddress(router())), abi::Value::uint256(~U256(0))});
    rpc->require("eth_sendTransaction", nlohmann::json::array({{{"from", from}, {"to", token}, {"data", toHex(data)}}}));
  }
  bool receipt(const std::string& hash) {
    for (int i = 0; i < 2000; ++i) {
      const RpcReply r = rpc->call("eth_getTransactionReceipt", nlohmann::json::array({hash}));
      if (r.ok() && r.result.is_object()) return true;
    }
    return false;
  }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

void report(benchmark::State& state, const std::vector<double>& ours, const std::vector<double>& floor) {
  const double p50 = percentile(ours, 0.5), f50 = percentile(floor, 0.5);
  state.SetIterationTime(p50 / 1e6);
  state.counters["p50_us"] = p50;
  state.counters["p90_us"] = percentile(ours, 0.9);
  state.counters["max_us"] = percentile(ours, 1.0);
  state.counters["floor_p50_us"] = f50;
  state.counters["x_floor"] = f50 > 0 ? p50 / f50 : 0;
  state.counters["samples"] = double(ours.size());
}

// The venue connected to a fresh chain, and the WETH/USDC pool's instrument.
struct Setup {
  Chain chain;
  EngineSide engine;
  std::unique_ptr<EvmVenue> venue;
  InstrumentRegistry registry;
  InstrumentId weth = kNoInstrument;
  std::string error;
  bool start() {
    if (!chain.start(error)) return false;
    EvmVenueConfig c;
    if (!evmConfigFromDeployment(chain.deployment, c, error)) return false;
    c.tx.stuckBlocks = 1000;
    venue = std::make_unique<EvmVenue>(c);
    venue->setWalletKey(PrivateKey::fromHex(kDevKey1));
    venue->listInstruments(registry);
    const Instrument* inst = registry.find(0, "WETH/USDC");
    if (!inst) return (error = "no WETH/USDC: " + venue->listError(), false);
    weth = inst->id;
    venue->connect(engine, engine.io.get_executor());
    if (!engine.runUntil([&] { return venue->state() == VenueState::Connected && venue->counters().headsPushed; },
                         std::chrono::seconds(20)))
      return (error = "venue not connected with pushed heads: " + venue->stateDetail(), false);
    return true;
  }
  ~Setup() {
    if (venue) venue->disconnect();
  }
};

void BM_EvmSwapQuoteToIncluded(benchmark::State& state) {
  Setup s;
  if (!s.start()) return state.SkipWithError(s.error.c_str());
  std::vector<double> ours, floor;
  // The floor: account 2 sells the same 0.001 WETH through the Router, anvil signing.
  const std::string other = s.chain.funded(1);
  s.chain.approveFrom(other, s.chain.token("WETH"));
  const U256 amount = U256(1'000'000'000'000'000ULL);  // 0.001 WETH
  for (auto _ : state) {
    // The first order also sends the WETH approval: not a sample.
    for (int i = 0; i <= kSamples; ++i) {
      VenueOrder o;
      o.orderId = OrderId(1000 + i);
      o.request.instrument = s.weth;
      o.request.side = Side::Sell;
      o.request.type = OrderType::Market;
      o.request.qty = Qty(100'000);  // 0.001 (1e8 fixed point)
      const std::size_t before = s.engine.reports.size();
      const auto t0 = Clock::now();
      s.venue->submit(o);
      const bool filled = s.engine.runUntil(
          [&] {
            for (std::size_t k = before; k < s.engine.reports.size(); ++k) {
              const ExecReport& r = s.engine.reports[k];
              if (r.orderId == o.orderId && (r.type == ExecType::Fill || r.type == ExecType::Reject ||
                                             r.type == ExecType::Cancelled))
                return true;
            }
            return false;
          },
          std::chrono::seconds(20));
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      if (!filled) return state.SkipWithError("no fill within 20 s");
      if (s.engine.reports.back().type != ExecType::Fill)
        return state.SkipWithError(("not filled: " + s.engine.reports.back().reason).c_str());
      if (i > 0) ours.push_back(us);
      const auto f0 = Clock::now();
      const std::string hash = s.chain.swapFrom(other, s.chain.token("WETH"), s.chain.token("USDC"), amount);
      if (!s.chain.receipt(hash)) return state.SkipWithError("floor: no receipt");
      floor.push_back(std::chrono::duration<double, std::micro>(Clock::now() - f0).count());
    }
  }
  report(state, ours, floor);
}
BENCHMARK(BM_EvmSwapQuoteToIncluded)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_EvmPoolUpdatePerBlock(benchmark::State& state) {
  Setup s;
  if (!s.start()) return state.SkipWithError(s.error.c_str());
  std::vector<double> ours, floor;
  const std::string other = s.chain.funded(1);
  s.chain.approveFrom(other, s.chain.token("WETH"));
  const U256 amount = U256(1'000'000'000'000'000ULL);
  for (auto _ : state) {
    for (int i = 0; i < kSamples; ++i) {
      // Automine: the swap's block is the next one.
      const std::uint64_t block = quantityU64(s.chain.rpc->require("eth_blockNumber"), "head") + 1;
      const auto t0 = Clock::now();
      s.chain.swapFrom(other, s.chain.token("WETH"), s.chain.token("USDC"), amount);
      if (!s.engine.runUntil([&] { return s.engine.lastBookBlock >= block; }, std::chrono::seconds(20)))
        return state.SkipWithError("no book of the block within 20 s");
      ours.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      const auto f0 = Clock::now();
      const std::string h2 = s.chain.swapFrom(other, s.chain.token("WETH"), s.chain.token("USDC"), amount);
      if (!s.chain.receipt(h2)) return state.SkipWithError("floor: no receipt");
      floor.push_back(std::chrono::duration<double, std::micro>(Clock::now() - f0).count());
      // The floor's block is seen too before the next sample.
      s.engine.runUntil([&] { return s.engine.lastBookBlock >= block + 1; }, std::chrono::seconds(20));
    }
  }
  report(state, ours, floor);
}
BENCHMARK(BM_EvmPoolUpdatePerBlock)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
