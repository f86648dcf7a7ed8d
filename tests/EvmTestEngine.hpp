#pragma once
// The on-chain tests' common ground over kappa-exchange --chain with manual mining (the test mines
// each block): the venue's configuration, and an engine over that one venue with the test wallet.
#include <QJsonDocument>

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ChainProcess.hpp"
#include "orchestrator/Engine.hpp"
#include "venue/evm/EvmVenue.hpp"

namespace kappa::test {

// The deployment's pools, router and chain id; quick polls and retries; no "node behind" (the head
// stands still between the test's blocks); confirmed at 2; never stuck on its own (the test mines).
inline bool manualMiningVenueConfig(const ChainProcess& chain, evm::EvmVenueConfig& c, std::string& error) {
  const auto deployment = nlohmann::json::parse(QJsonDocument(chain.deployment()).toJson().toStdString());
  if (!evm::evmConfigFromDeployment(deployment, c, error)) return false;
  c.pollInterval = std::chrono::milliseconds(100);
  c.rpcTimeout = std::chrono::milliseconds(2000);
  c.retryInterval = std::chrono::milliseconds(300);
  c.maxHeadAge = std::chrono::seconds(0);
  c.tx.confirmations = 2;
  c.tx.stuckBlocks = 50;
  return true;
}

// An engine over one EvmVenue signing with `keyHex` (a test key), journaling in `dataDir`, under
// limits wide enough for the tests' swaps; `venue` is the venue it owns.
inline std::unique_ptr<Engine> startEvmEngine(const evm::EvmVenueConfig& c, const char* keyHex, const std::string& dataDir,
                                              evm::EvmVenue*& venue) {
  auto v = std::make_unique<evm::EvmVenue>(c);
  v->setWalletKey(evm::PrivateKey::fromHex(keyHex));
  venue = v.get();
  auto engine = std::make_unique<Engine>(std::move(v));
  engine->setDataDir(dataDir);
  engine->start();
  for (const char* a : {"max_position=1000000000", "price_band=0.9", "max_order_notional=1000000000", "max_net_delta=1000000"})
    engine->changeRiskLimit(a, "test");
  return engine;
}

}  // namespace kappa::test
