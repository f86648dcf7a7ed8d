#pragma once
// The on-chain venue's part of the --report JSON (Report.hpp):
//   - in its `venues` entry (name "evm"): chain_id (as the node said), latest_block (the node's head
//     as last asked), processed_block (the block the books show), state_detail, and wallet: the
//     wallet's address (checksummed; null without a key). Never the key. The endpoint is already
//     there, redacted (EvmVenue::redactedUrl: no path or query, where providers put API keys).
//   - `pools`: one object per pool: name ("WETH/USDC"), pair, base and quote (symbols), tokens
//     (symbol and address, when the deployment named them), reserve0 / reserve1 (in the pair's
//     token0/token1 order) and base_reserve / quote_reserve at `block`, as exact JSON integers in
//     the token's smallest unit (JsonRawInteger.hpp), price (quote per base, a double for display),
//     best_bid / best_ask (the last book), trades, base_volume / quote_volume (raw integers, since
//     the venue started following).
//   - `transactions`: one object per transaction the venue signed (EvmVenue::transactions(): this
//     run's, and the journal's of earlier runs on the same data dir), by nonce: hash,
//     nonce, kind ("swap", "approval", "cancel": the self-transfer that cancels a swap), order (the
//     engine's order id for a swap and its cancel; the string "approval" for an approval), state
//     ("pending", "included", "confirmed", "final", "reverted", "replaced" + replaced_by, "dropped",
//     "not_sent"), confirmations (head - block + 1), block and block_hash (null when not included),
//     gas_used, effective_gas_price_wei and fee_wei from the receipt as exact JSON integers (null
//     without one), reason when there is one (the revert).
#include <QJsonObject>
#include <string>

#include "orchestrator/Engine.hpp"
#include "venue/evm/EvmVenue.hpp"

namespace kappa::app {

// Adds the above to `root` (a report whose "venues" array is already built). `wallet` is the
// checksummed address, "" when no key was given.
void addEvmReport(QJsonObject& root, const Engine& engine, const evm::EvmVenue& venue, const std::string& wallet);

}  // namespace kappa::app
