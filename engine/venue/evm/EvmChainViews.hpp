#pragma once
// What the on-chain venue shows of the wallet and of the chain itself (any thread, copies): the
// GUI's on-chain panel and the order ticket read these at display rate, never waiting on the
// venue's I/O thread, which refreshes them (EvmVenueChainViews.cpp):
//   - EvmWalletView after every processed block: the native coin's balance and, per token of the
//     listed pools, the wallet's balance and its allowance for the Router (eth_getBalance,
//     balanceOf, allowance at "latest"), exact in wei and as display numbers;
//   - EvmChainView at every new head (and every few seconds otherwise, so that a base fee raised
//     for the next block shows): the head's number, time and base fee, the next block's base fee,
//     the base fees of the last kBaseFeeHistory blocks (eth_feeHistory) and a tip suggestion.
// `updatedAt` is the wall time of the last successful refresh: a view older than the venue's last
// failure is stale (the panel greys it with "since ...").
#include <cstdint>
#include <string>
#include <vector>

#include "core/Types.hpp"
#include "venue/evm/U256.hpp"

namespace kappa::evm {

struct EvmTokenBalance {
  std::string symbol;     // "USDC"
  std::string address;    // checksummed
  unsigned decimals = 18;
  U256 balanceWei = 0;    // exact
  double balance = 0;     // display
  U256 allowanceWei = 0;  // the Router's allowance (2^256-1 after our approve)
  bool unlimitedAllowance = false;  // allowance >= 2^255: shown as "unlimited"
};

struct EvmWalletView {
  std::string address;            // "" without a wallet key
  std::string nativeSymbol = "ETH";
  U256 nativeWei = 0;
  double native = 0;
  std::vector<EvmTokenBalance> tokens;  // every token of the listed pools, once each, in listing order
  std::uint64_t block = 0;        // the head these balances were read at
  Nanos updatedAt = 0;            // wall time of the last successful refresh (0: never)
  std::string error;              // the last refresh's failure ("" when it worked)
};

struct EvmChainView {
  static constexpr unsigned kBaseFeeHistory = 60;
  std::uint64_t chainId = 0;
  std::uint64_t head = 0;         // the newest block
  Nanos headTime = 0;             // its timestamp (whole seconds on chain)
  U256 baseFee = 0;               // the head's base fee (wei per gas)
  U256 nextBaseFee = 0;           // the next block's (feeHistory's last entry: anvil_setNextBlockBaseFeePerGas shows here)
  U256 suggestedTip = 0;          // median reward of recent blocks that paid one, else eth_maxPriorityFeePerGas
  std::vector<double> baseFeeHistoryGwei;  // oldest first, the last kBaseFeeHistory blocks up to `head`
  std::uint64_t historyFirstBlock = 0;
  std::uint64_t typicalSwapGas = 0;  // the last swap's gasUsed, else a typical Uniswap V2 swap
  Nanos updatedAt = 0;
  std::string error;
};

}  // namespace kappa::evm
