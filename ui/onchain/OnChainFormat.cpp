#include "onchain/OnChainFormat.hpp"

#include <algorithm>
#include <cmath>

#include "Format.hpp"
#include "venue/evm/TokenAmount.hpp"

namespace kappa::ui::onchain {

QString formatTokenAmount(const evm::U256& wei, unsigned tokenDecimals, int decimals) {
  const double v = evm::tokenAmountToDouble(wei, tokenDecimals);
  QString s = formatMoney(v, decimals);
  if (s.startsWith('+')) s.remove(0, 1);
  return s;
}

QString formatTokenAmountAdaptive(const evm::U256& wei, unsigned tokenDecimals, int minDecimals) {
  const double v = evm::tokenAmountToDouble(wei, tokenDecimals);
  int decimals = minDecimals;
  if (v > 0 && v < 1000) decimals = std::max(minDecimals, 3 - int(std::floor(std::log10(v))));
  decimals = std::min({decimals, 8, int(tokenDecimals)});
  return formatTokenAmount(wei, tokenDecimals, decimals);
}

QString exactWei(const evm::U256& wei) { return QString::fromStdString(evm::u256ToDecimal(wei)) + " wei"; }

QString formatGwei(double gwei) {
  if (gwei > 0 && gwei < 0.01) return QString::number(gwei, 'g', 3);
  return QString::number(gwei, 'f', 2);
}

QString formatGwei(const evm::U256& wei) { return formatGwei(evm::tokenAmountToDouble(wei, 9)); }

QString formatGasPriceGwei(double gwei) {
  if (gwei < 1e-3) return QString("%1 wei").arg(qRound64(gwei * 1e9));
  return formatGwei(gwei) + " gwei";
}

QString formatGasPrice(const evm::U256& wei) { return formatGasPriceGwei(evm::tokenAmountToDouble(wei, 9)); }

QString shortHash(const std::string& hash) {
  if (hash.size() <= 12) return QString::fromStdString(hash);
  return QString::fromStdString(hash.substr(0, 6)) + QChar(0x2026) + QString::fromStdString(hash.substr(hash.size() - 4));
}

QString formatAge(Nanos then, Nanos now) {
  if (then <= 0) return "—";
  const std::int64_t s = std::max<std::int64_t>(0, (now - then) / 1'000'000'000);
  if (s < 60) return QString("%1 s").arg(s);
  if (s < 3600) return QString("%1 min %2 s").arg(s / 60).arg(s % 60);
  return QString("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QString formatUsd(double usd) {
  QString s = formatMoney(usd, std::abs(usd) < 1 ? 4 : 2);
  if (s.startsWith('+')) s.remove(0, 1);
  if (s.startsWith('-')) return "-$" + s.mid(1);
  return "$" + s;
}

}  // namespace kappa::ui::onchain
