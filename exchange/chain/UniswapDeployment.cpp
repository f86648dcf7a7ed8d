#include "chain/UniswapDeployment.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "venue/evm/Address.hpp"

namespace kappa::exchange::chain {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace abi = evm::abi;
using Args = std::vector<abi::Value>;

namespace {

// A compiled contract's creation bytecode (hex, no prefix) from its artifact JSON: "bytecode"
// (the Waffle builds of v2-core/periphery), else "evm.bytecode.object".
std::string creationBytecode(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the artifact " + path);
  const json artifact = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!artifact.is_object()) throw std::runtime_error("the artifact " + path + " is not JSON");
  std::string code;
  if (auto b = artifact.find("bytecode"); b != artifact.end() && b->is_string()) code = b->get<std::string>();
  if (code.empty()) {
    const json* o = &artifact;
    for (const char* key : {"evm", "bytecode", "object"}) {
      if (!o->is_object() || !o->contains(key)) {
        o = nullptr;
        break;
      }
      o = &(*o)[key];
    }
    if (o && o->is_string()) code = o->get<std::string>();
  }
  if (code.rfind("0x", 0) == 0) code.erase(0, 2);
  if (code.empty() || code.size() % 2 != 0 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    throw std::runtime_error("the artifact " + path + " has no creation bytecode (or an unlinked library placeholder)");
  return code;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// An address argument from the deployment's "0x…" text.
abi::Value address(const std::string& text) { return abi::Value::address(evm::parseAddress(text)); }

// Word `index` of a call's answer as the deployment's address text (lower-case "0x…").
std::string addressAt(const evm::Bytes& answer, std::size_t index = 0) {
  return evm::toLowerHexAddress(abi::decodeAddress(answer, index));
}

// Deploys `bytecode` + `constructorArgs` from `from`; the new contract's address.
std::string deploy(evm::EthRpc& rpc, const std::string& from, const std::string& bytecode, const Args& constructorArgs,
                   const std::string& what) {
  const std::string data = "0x" + bytecode + evm::toHexNoPrefix(abi::encodeArguments(constructorArgs));
  const json receipt = transact(rpc, {{"from", from}, {"data", data}}, "deploy " + what);
  const auto address = receipt.value("contractAddress", json());
  if (!address.is_string()) throw std::runtime_error("deploy " + what + ": the receipt has no contract address");
  return lower(address.get<std::string>());
}

// A call of the function `signature` that changes state, from an unlocked account.
json send(evm::EthRpc& rpc, const std::string& from, const std::string& to, std::string_view signature, const Args& args,
          const std::string& what, const U256& value = 0) {
  json tx = {{"from", from}, {"to", to}, {"data", evm::toHex(abi::encodeCall(signature, args))}};
  if (value != 0) tx["value"] = evm::u256ToQuantity(value);
  return transact(rpc, tx, what);
}

}  // namespace

U256 tokens(std::uint64_t whole) { return U256(whole) * boost::multiprecision::pow(U256(10), 18); }

json waitForReceipt(evm::EthRpc& rpc, const std::string& hash, std::chrono::milliseconds timeout) {
  // Automining mines at once, yet the receipt can be null just after the send: poll, briefly at first.
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    json receipt = rpc.require("eth_getTransactionReceipt", json::array({hash}));
    if (!receipt.is_null()) return receipt;
    if (Clock::now() >= deadline) return json();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

json transact(evm::EthRpc& rpc, const json& tx, const std::string& what, std::chrono::milliseconds timeout) {
  json hash;
  try {
    hash = rpc.require("eth_sendTransaction", json::array({tx}));
  } catch (const evm::RpcException& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  if (!hash.is_string()) throw std::runtime_error(what + ": eth_sendTransaction answered no hash: " + hash.dump());
  json receipt = waitForReceipt(rpc, hash.get<std::string>(), timeout);
  if (receipt.is_null())
    throw std::runtime_error(what + ": transaction " + hash.get<std::string>() + " not mined within " +
                             std::to_string(timeout.count()) + " ms");
  if (receipt.value("status", "") != "0x1")
    throw std::runtime_error(what + ": transaction " + hash.get<std::string>() + " reverted (status " +
                             receipt.value("status", json()).dump() + ")");
  return receipt;
}

std::string callContract(evm::EthRpc& rpc, const std::string& to, const std::string& data, const std::string& block) {
  // The call named by its contract and selector: "execution reverted" alone says nothing.
  const std::string what = "eth_call to " + to + " (selector " + data.substr(0, 10) + ")";
  evm::RpcReply reply = rpc.call("eth_call", json::array({json{{"to", to}, {"data", data}}, block}));
  if (!reply.ok()) throw std::runtime_error(reply.error.describe(what));
  if (!reply.result.is_string()) throw std::runtime_error(what + " answered " + reply.result.dump());
  return reply.result.get<std::string>();
}

evm::Bytes callFunction(evm::EthRpc& rpc, const std::string& to, std::string_view signature, const Args& args,
                        const std::string& block) {
  return evm::fromHex(callContract(rpc, to, evm::toHex(abi::encodeCall(signature, args)), block));
}

std::pair<U256, U256> pairReserves(evm::EthRpc& rpc, const std::string& pair, const std::string& block) {
  // getReserves() returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast).
  const evm::Bytes answer = callFunction(rpc, pair, "getReserves()", {}, block);
  return {abi::decodeUint256(answer, 0), abi::decodeUint256(answer, 1)};
}

const PoolInfo* ChainDeployment::pool(const std::string& name) const {
  for (const auto& p : pools)
    if (p.name == name) return &p;
  return nullptr;
}

const std::string& ChainDeployment::token(const std::string& symbol) const {
  auto it = tokens.find(symbol);
  if (it == tokens.end()) throw std::runtime_error("no token " + symbol + " in the deployment");
  return it->second.address;
}

json ChainDeployment::toJson() const {
  json out;
  out["chain_id"] = chainId;
  out["deployed_block"] = deployedBlock;
  out["deployer"] = deployer;
  out["trader"] = trader;
  out["funded_accounts"] = funded;
  out["weth"] = weth;
  out["factory"] = factory;
  out["router"] = router;
  out["tokens"] = json::object();
  for (const auto& [symbol, t] : tokens) out["tokens"][symbol] = {{"address", t.address}, {"decimals", t.decimals}};
  out["pools"] = json::object();
  for (const auto& p : pools)
    out["pools"][p.name] = {{"address", p.address}, {"base", p.base},       {"quote", p.quote},
                            {"token0", p.token0},   {"token1", p.token1},   {"reserve0", p.reserve0.str()},
                            {"reserve1", p.reserve1.str()}};
  out["funding_per_account"] = json::object();
  for (const auto& [symbol, amount] : fundingPerAccount) out["funding_per_account"][symbol] = amount.str();
  return out;
}

ChainDeployment deployUniswap(evm::EthRpc& rpc, const std::string& artifactsDir) {
  const std::string core = artifactsDir + "/v2-core/build/", periphery = artifactsDir + "/v2-periphery/build/";
  const std::string wethCode = creationBytecode(periphery + "WETH9.json");
  const std::string erc20Code = creationBytecode(core + "ERC20.json");
  const std::string factoryCode = creationBytecode(core + "UniswapV2Factory.json");
  const std::string routerCode = creationBytecode(periphery + "UniswapV2Router02.json");

  ChainDeployment d;
  d.chainId = evm::quantityU64(rpc.require("eth_chainId"), "eth_chainId");
  const json accounts = rpc.require("eth_accounts");
  if (!accounts.is_array() || accounts.size() < 10)
    throw std::runtime_error("the chain has fewer than 10 unlocked dev accounts: " + accounts.dump());
  d.deployer = lower(accounts[0].get<std::string>());
  for (int i = 1; i <= 4; ++i) d.funded.push_back(lower(accounts[i].get<std::string>()));
  d.trader = lower(accounts[9].get<std::string>());
  const std::string& me = d.deployer;

  // Contracts.
  d.weth = deploy(rpc, me, wethCode, {}, "WETH9");
  const std::vector<std::pair<std::string, std::uint64_t>> supplies{{"USDC", 100'000'000}, {"WBTC", 10'000}, {"DAI", 100'000'000}};
  d.tokens["WETH"] = {"WETH", d.weth, 18};
  for (const auto& [symbol, supply] : supplies)
    d.tokens[symbol] = {symbol, deploy(rpc, me, erc20Code, {abi::Value::uint256(tokens(supply))}, "ERC20 " + symbol), 18};
  d.factory = deploy(rpc, me, factoryCode, {address(me)}, "UniswapV2Factory");
  d.router = deploy(rpc, me, routerCode, {address(d.factory), address(d.weth)}, "UniswapV2Router02");
  try {
    if (addressAt(callFunction(rpc, d.router, "factory()")) != d.factory ||
        addressAt(callFunction(rpc, d.router, "WETH()")) != d.weth)
      throw std::runtime_error("it reports another Factory or WETH");
  } catch (const std::exception& e) {
    throw std::runtime_error("the contract deployed from UniswapV2Router02.json at " + d.router +
                             " does not answer factory() and WETH() as Router02 does: " + e.what());
  }

  // WETH for the pool, the funded accounts and the trader.
  const std::map<std::string, U256> funding{{"WETH", tokens(100)}, {"USDC", tokens(1'000'000)}, {"WBTC", tokens(10)}, {"DAI", tokens(1'000'000)}};
  const std::map<std::string, U256> traderFunding{{"WETH", tokens(500)}, {"USDC", tokens(1'500'000)}, {"WBTC", tokens(25)}};
  struct PoolPlan {
    std::string base, quote;
    U256 baseAmount, quoteAmount;
  };
  const std::vector<PoolPlan> plans{{"WETH", "USDC", tokens(1'000), tokens(3'000'000)},
                                    {"WBTC", "USDC", tokens(50), tokens(3'000'000)}};
  const U256 wrap = tokens(1'000) + funding.at("WETH") * d.funded.size() + traderFunding.at("WETH");
  send(rpc, me, d.weth, "deposit()", {}, "WETH9.deposit", wrap);

  // Pools: approve the Router, addLiquidity (which creates the pair through the Factory).
  for (const char* symbol : {"WETH", "USDC", "WBTC"})
    send(rpc, me, d.token(symbol), "approve(address,uint256)", {address(d.router), abi::Value::uint256(evm::u256Max())},
         std::string("approve the Router for ") + symbol);
  for (const auto& plan : plans) {
    const std::string name = plan.base + "/" + plan.quote;
    // addLiquidity(tokenA, tokenB, amountADesired, amountBDesired, amountAMin, amountBMin, to, deadline)
    send(rpc, me, d.router, "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
         {address(d.token(plan.base)), address(d.token(plan.quote)), abi::Value::uint256(plan.baseAmount),
          abi::Value::uint256(plan.quoteAmount), abi::Value::uint256(plan.baseAmount), abi::Value::uint256(plan.quoteAmount),
          address(me), abi::Value::uint256(evm::u256Max())},
         "addLiquidity " + name);
    PoolInfo pool;
    pool.name = name;
    pool.base = plan.base;
    pool.quote = plan.quote;
    pool.address = addressAt(
        callFunction(rpc, d.factory, "getPair(address,address)", {address(d.token(plan.base)), address(d.token(plan.quote))}));
    if (pool.address == "0x0000000000000000000000000000000000000000")
      throw std::runtime_error("the Factory has no pair " + name + " after addLiquidity");
    pool.token0 = addressAt(callFunction(rpc, pool.address, "token0()"));
    pool.token1 = addressAt(callFunction(rpc, pool.address, "token1()"));
    std::tie(pool.reserve0, pool.reserve1) = pairReserves(rpc, pool.address);
    const bool baseIs0 = pool.token0 == d.token(plan.base);
    if ((baseIs0 ? pool.reserve0 : pool.reserve1) != plan.baseAmount || (baseIs0 ? pool.reserve1 : pool.reserve0) != plan.quoteAmount)
      throw std::runtime_error("the pair " + name + " holds other reserves than the liquidity added");
    // The Router reaches the pair through its built-in init-code hash: a quote through it proves
    // that hash matches the Factory's Pair bytecode.
    const auto amounts = abi::decodeUint256Array(callFunction(
        rpc, d.router, "getAmountsOut(uint256,address[])",
        {abi::Value::uint256(tokens(1)),
         abi::Value::addressArray({evm::parseAddress(d.token(plan.base)), evm::parseAddress(d.token(plan.quote))})}));
    if (amounts.size() != 2 || amounts[1] == 0)
      throw std::runtime_error("Router02.getAmountsOut through " + name + " gives no quote (init-code hash mismatch?)");
    d.pools.push_back(pool);
  }

  // Tokens for the funded dev accounts and the trader; the trader approves the Router.
  for (const auto& account : d.funded)
    for (const auto& [symbol, amount] : funding)
      send(rpc, me, d.token(symbol), "transfer(address,uint256)", {address(account), abi::Value::uint256(amount)},
           "fund " + account + " with " + symbol);
  d.fundingPerAccount = funding;
  for (const auto& [symbol, amount] : traderFunding) {
    send(rpc, me, d.token(symbol), "transfer(address,uint256)", {address(d.trader), abi::Value::uint256(amount)},
         "fund the trader with " + symbol);
    send(rpc, d.trader, d.token(symbol), "approve(address,uint256)", {address(d.router), abi::Value::uint256(evm::u256Max())},
         "the trader approves the Router for " + symbol);
  }
  d.deployedBlock = evm::quantityU64(rpc.require("eth_blockNumber"), "eth_blockNumber");
  return d;
}

}  // namespace kappa::exchange::chain
