// The on-chain venue's hot arithmetic: a Uniswap V2 quote (exact 256-bit getAmountOut, the Router's
// integers) against the same formula in doubles, and signing + encoding a swap transaction
// (EIP-1559, Router calldata with a two-token path) beside its parts: keccak-256 of the payload and
// one secp256k1 signature. Names are fixed so results compare over time.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <vector>

#include "venue/evm/AbiCodec.hpp"
#include "venue/evm/Eip1559Transaction.hpp"
#include "venue/evm/Keccak.hpp"
#include "venue/evm/Secp256k1Signer.hpp"
#include "venue/evm/UniswapV2Math.hpp"

using namespace kappa::evm;

namespace {
// 64 quotes cycled, inputs from dust to a large trade. wide = false: pools at realistic scale
// (18-decimal WETH and 8-decimal WBTC against 6-decimal USDC, both directions), whose products fit
// in 128 bits; wide = true: a deep 18/18 pool near the uint112 ceiling, all in 256-bit arithmetic.
struct Quote {
  U256 amountIn, reserveIn, reserveOut;
};
std::vector<Quote> quotes(bool wide) {
  const U256 e18 = u256FromDecimal("1000000000000000000");
  std::vector<std::pair<U256, U256>> pools;
  if (wide) {
    pools = {{uint112Max() / 3, uint112Max() / 2}, {uint112Max() / 2, uint112Max() / 5}};
  } else {
    pools = {{u256FromDecimal("12345000000000000000000"), u256FromDecimal("40000000000000")},  // 12,345 WETH / 40 M USDC
             {u256FromDecimal("40000000000000"), u256FromDecimal("12345000000000000000000")},  // the other direction
             {u256FromDecimal("150000000000"), u256FromDecimal("95000000000000")},             // 1,500 WBTC / 95 M USDC
             {u256FromDecimal("95000000000000"), u256FromDecimal("150000000000")}};
  }
  std::vector<Quote> out;
  while (out.size() < 64)
    for (const auto& [rIn, rOut] : pools)
      for (int k = 0; k < 16 && out.size() < 64; ++k) out.push_back({(rIn / 100000) * U256(1 + k * 997) + e18 % (k + 2), rIn, rOut});
  return out;
}

Eip1559Transaction swapTransaction(std::uint64_t nonce) {
  Eip1559Transaction tx;
  tx.chainId = 31337;
  tx.nonce = nonce;
  tx.maxPriorityFeePerGas = 1000000000;
  tx.maxFeePerGas = 30000000000ull;
  tx.gasLimit = 300000;
  tx.to = parseAddress("0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D");  // Router02's mainnet address
  tx.data = abi::encodeCall("swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                            {abi::Value::uint256(u256FromDecimal("1000000000000000000")), abi::Value::uint256(3200000000ull),
                             abi::Value::addressArray({parseAddress("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"),
                                                       parseAddress("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")}),
                             abi::Value::address(parseAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")),
                             abi::Value::uint256(1700000000)});
  return tx;
}

const Secp256k1Signer& devSigner() {
  // anvil's first dev key: public, for local chains only.
  static const Secp256k1Signer signer(PrivateKey::fromHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  return signer;
}
}  // namespace

// One exact quote: getAmountOut with SafeMath-equivalent checks. Arg 0: realistic pools (the
// 128-bit shortcut), arg 1: pools near the uint112 ceiling (256-bit arithmetic throughout).
static void BM_UniswapQuote(benchmark::State& state) {
  const std::vector<Quote> qs = quotes(state.range(0) != 0);
  std::size_t i = 0;
  for (auto _ : state) {
    const Quote& q = qs[i++ & 63];
    benchmark::DoNotOptimize(getAmountOut(q.amountIn, q.reserveIn, q.reserveOut));
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}
BENCHMARK(BM_UniswapQuote)->Arg(0)->Arg(1)->Repetitions(5)->ReportAggregatesOnly(true);

// Reference: the same formula in doubles (what an approximate quote costs; it is not what the
// Router pays, off by many wei at 1e18 scale).
static void BM_UniswapQuoteDouble(benchmark::State& state) {
  std::vector<std::array<double, 3>> qs;
  for (const Quote& q : quotes(false)) qs.push_back({q.amountIn.convert_to<double>(), q.reserveIn.convert_to<double>(), q.reserveOut.convert_to<double>()});
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& q = qs[i++ & 63];
    const double withFee = q[0] * 997.0;
    benchmark::DoNotOptimize(std::floor(withFee * q[2] / (q[1] * 1000.0 + withFee)));
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}
BENCHMARK(BM_UniswapQuoteDouble)->Repetitions(5)->ReportAggregatesOnly(true);

// Sign + encode a swap: RLP of the nine fields, keccak, one secp256k1 signature, RLP of twelve.
static void BM_SignEip1559(benchmark::State& state) {
  const Secp256k1Signer& signer = devSigner();
  Eip1559Transaction tx = swapTransaction(0);
  for (auto _ : state) {
    ++tx.nonce;
    tx.sign(signer);
    benchmark::DoNotOptimize(tx.encodeSigned());
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}
BENCHMARK(BM_SignEip1559)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

// Its parts. keccak-256 of the same signing payload (~300 bytes).
static void BM_Keccak256SwapPayload(benchmark::State& state) {
  const Bytes payload = swapTransaction(1).signingPayload();
  for (auto _ : state) benchmark::DoNotOptimize(keccak256(payload));
  state.SetBytesProcessed(std::int64_t(state.iterations() * payload.size()));
}
BENCHMARK(BM_Keccak256SwapPayload)->Unit(benchmark::kMicrosecond);

// One recoverable secp256k1 signature (RFC 6979 nonce) of a digest.
static void BM_Secp256k1Sign(benchmark::State& state) {
  const Secp256k1Signer& signer = devSigner();
  Hash32 digest = keccak256(std::string_view("kappa"));
  for (auto _ : state) {
    ++digest[0];
    benchmark::DoNotOptimize(signer.sign(digest));
  }
}
BENCHMARK(BM_Secp256k1Sign)->Unit(benchmark::kMicrosecond);

// The other way: decode a raw swap transaction and recover its sender (the journal's check).
static void BM_DecodeAndRecoverEip1559(benchmark::State& state) {
  Eip1559Transaction tx = swapTransaction(7);
  tx.sign(devSigner());
  const Bytes raw = tx.encodeSigned();
  for (auto _ : state) benchmark::DoNotOptimize(Eip1559Transaction::decode(raw).recoverSender());
}
BENCHMARK(BM_DecodeAndRecoverEip1559)->Unit(benchmark::kMicrosecond);
