#pragma once
// Display formatting for on-chain figures: token amounts from exact wei (the exact integer stays in
// the tooltip), gwei, short transaction hashes, ages.
#include <QString>

#include "core/Types.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::ui::onchain {

// "1,234.5678" with `decimals` shown (thousands separators), from an amount of `tokenDecimals` places.
QString formatTokenAmount(const evm::U256& wei, unsigned tokenDecimals, int decimals);
// The same with at least `minDecimals`, more for a small amount so that 4 significant digits show
// (0.00000123 rather than 0.0000), never more than the token has or 8.
QString formatTokenAmountAdaptive(const evm::U256& wei, unsigned tokenDecimals, int minDecimals);
// The exact integer: "1234567800000000000 wei".
QString exactWei(const evm::U256& wei);
// "12.50" gwei from wei (2 decimals, more below 0.01).
QString formatGwei(const evm::U256& wei);
QString formatGwei(double gwei);
// With its unit, readable at any size: "7 wei" (below 0.001 gwei: an idle dev chain's base fee),
// "0.00842 gwei", "12.50 gwei".
QString formatGasPrice(const evm::U256& wei);
QString formatGasPriceGwei(double gwei);
// "0x1a2b…9f0e"
QString shortHash(const std::string& hash);
// "3 s", "2 min 5 s", "1 h 4 min" since `then` (wall ns) at `now`.
QString formatAge(Nanos then, Nanos now);
// "$1,234.56" (2 decimals; 4 below $1).
QString formatUsd(double usd);

}  // namespace kappa::ui::onchain
