#include "EvmReport.hpp"

#include <QJsonArray>
#include <algorithm>
#include <cctype>

#include "JsonRawInteger.hpp"

namespace kappa::app {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

QJsonValue raw(const evm::U256& v) { return rawInteger(evm::u256ToDecimal(v)); }

}  // namespace

void addEvmReport(QJsonObject& root, const Engine& engine, const evm::EvmVenue& venue, const std::string& wallet) {
  const evm::EvmCounters counters = venue.counters();
  QJsonArray venues = root["venues"].toArray();
  for (qsizetype i = 0; i < venues.size(); ++i) {
    QJsonObject v = venues[i].toObject();
    if (v["name"].toString() != "evm") continue;
    v["chain_id"] = qint64(counters.chainId);
    v["latest_block"] = qint64(counters.headBlock);
    v["processed_block"] = qint64(counters.processedBlock);
    v["state_detail"] = QString::fromStdString(venue.stateDetail());
    v["wallet"] = wallet.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(wallet));
    venues[i] = v;
  }
  root["venues"] = venues;

  QJsonArray pools;
  for (const evm::EvmPoolView& p : venue.pools()) {
    QJsonObject row{{"name", QString::fromStdString(p.name)},
                    {"pair", QString::fromStdString(p.pair)},
                    {"block", qint64(p.block)},
                    {"reserve0", raw(p.reserve0)},
                    {"reserve1", raw(p.reserve1)},
                    {"base_reserve", raw(p.baseReserve)},
                    {"quote_reserve", raw(p.quoteReserve)},
                    {"price", p.mid},
                    {"best_bid", toDouble(p.bestBid)},
                    {"best_ask", toDouble(p.bestAsk)},
                    {"trades", qint64(p.trades)},
                    {"base_volume", raw(p.baseVolume)},
                    {"quote_volume", raw(p.quoteVolume)}};
    if (p.instrument != kNoInstrument && p.instrument < engine.instruments().size()) {
      const Instrument& inst = engine.instruments()[p.instrument];
      row["instrument"] = QString::fromStdString(inst.name);
      row["base"] = QString::fromStdString(inst.baseCurrency);
      row["quote"] = QString::fromStdString(inst.quoteCurrency);
    }
    QJsonArray tokens;
    for (const evm::EvmPoolConfig& c : venue.config().pools)
      if (lower(c.pair) == lower(p.pair))
        for (const evm::EvmPoolConfig::Token& t : c.tokens)
          tokens.append(QJsonObject{{"symbol", QString::fromStdString(t.symbol)},
                                    {"address", QString::fromStdString(t.address)}});
    row["tokens"] = tokens;
    pools.append(row);
  }
  root["pools"] = pools;
  // Every transaction the venue signed (this run's and, after a restart, the journal's): exact
  // integers for the receipt's numbers, null where there is no receipt (not included).
  QJsonArray transactions;
  for (const evm::EvmTxView& t : venue.transactions()) {
    QJsonObject row{{"hash", QString::fromStdString(t.hash)},
                    {"nonce", qint64(t.nonce)},
                    {"kind", QString::fromStdString(t.kind)},
                    {"order", t.kind == "approval" ? QJsonValue("approval") : QJsonValue(qint64(t.orderId))},
                    {"state", QString::fromStdString(t.state)},
                    {"confirmations", qint64(t.confirmations)},
                    {"block", t.block ? QJsonValue(qint64(t.block)) : QJsonValue()},
                    {"block_hash", t.blockHash.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(t.blockHash))},
                    {"gas_used", t.hasReceipt ? raw(evm::U256(t.gasUsed)) : QJsonValue()},
                    {"effective_gas_price_wei", t.hasReceipt ? raw(t.effectiveGasPrice) : QJsonValue()},
                    {"fee_wei", t.hasReceipt ? raw(t.feeWei) : QJsonValue()}};
    if (!t.replacedBy.empty()) row["replaced_by"] = QString::fromStdString(t.replacedBy);
    if (!t.reason.empty()) row["reason"] = QString::fromStdString(t.reason);
    transactions.append(row);
  }
  root["transactions"] = transactions;
  // The wallet's balances as the venue last read them (at `block`): exact integers in wei / the
  // token's smallest unit, and the Router's allowance per token. Null without a wallet key.
  const evm::EvmWalletView w = venue.wallet();
  if (w.address.empty()) {
    root["wallet_balances"] = QJsonValue();
  } else {
    QJsonArray tokens;
    for (const evm::EvmTokenBalance& t : w.tokens)
      tokens.append(QJsonObject{{"symbol", QString::fromStdString(t.symbol)},
                                {"address", QString::fromStdString(t.address)},
                                {"decimals", int(t.decimals)},
                                {"balance", raw(t.balanceWei)},
                                {"router_allowance", raw(t.allowanceWei)}});
    root["wallet_balances"] = QJsonObject{
        {"address", QString::fromStdString(w.address)},
        {"block", qint64(w.block)},
        {"native", QJsonObject{{"symbol", QString::fromStdString(w.nativeSymbol)}, {"balance_wei", raw(w.nativeWei)}}},
        {"tokens", tokens},
        {"error", w.error.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(w.error))}};
  }
}

}  // namespace kappa::app
