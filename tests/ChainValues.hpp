#pragma once
// The on-chain tests' common values: anvil's public dev key of the deployment's funded account 0,
// the chain's JSON-RPC QUANTITY answers read as numbers, and gwei.
#include <QJsonValue>

#include <cstdint>

#include "venue/evm/U256.hpp"

namespace kappa::test {

// anvil's documented dev mnemonic ("test test ... junk"), account 1: funded account 0 of the
// deployment (kappa-exchange --chain). A public test key, never a secret.
inline constexpr const char* kDevKey1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

inline evm::U256 hexq(const QJsonValue& v) { return evm::u256FromQuantity(v.toString().toStdString()); }
inline std::uint64_t hex64(const QJsonValue& v) { return evm::u256ToUint64(hexq(v), "test"); }
inline evm::U256 gwei(std::uint64_t g) { return evm::U256(g) * evm::U256(1'000'000'000u); }

}  // namespace kappa::test
