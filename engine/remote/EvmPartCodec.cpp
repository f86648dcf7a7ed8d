#include "remote/EvmPartCodec.hpp"

#include <cctype>

#include "remote/SnapshotWire.hpp"
#include "venue/evm/Bytes.hpp"
#include "venue/evm/TokenAmount.hpp"

// Wei amounts as QUANTITY text: exact, any size up to 2^256-1, and readable in a dump.
template <>
struct kappa::remote::wire::Wire<kappa::evm::U256> {
  static void put(json& j, const kappa::evm::U256& v) { j = kappa::evm::u256ToQuantity(v); }
  static void get(const json& j, kappa::evm::U256& v) {
    if (!j.is_string()) fail("expected a quantity (0x text), got " + typeOf(j));
    try {
      v = kappa::evm::u256FromQuantity(j.get_ref<const std::string&>());
    } catch (const std::exception& e) {
      fail(std::string("not a quantity: ") + e.what());
    }
  }
};

template <>
struct kappa::remote::wire::Wire<kappa::evm::Hash32> {
  static void put(json& j, const kappa::evm::Hash32& v) { j = kappa::evm::toHex(v); }
  static void get(const json& j, kappa::evm::Hash32& v) {
    if (!j.is_string()) fail("expected a hash (0x text), got " + typeOf(j));
    try {
      v = kappa::evm::hash32FromHex(j.get_ref<const std::string&>());
    } catch (const std::exception& e) {
      fail(std::string("not a 32-byte hash: ") + e.what());
    }
  }
};

// nil for none.
template <class T>
struct kappa::remote::wire::Wire<std::optional<T>> {
  static void put(json& j, const std::optional<T>& v) {
    if (v) Wire<T>::put(j, *v);
    else j = nullptr;
  }
  static void get(const json& j, std::optional<T>& v) {
    if (j.is_null()) {
      v.reset();
      return;
    }
    v.emplace();
    Wire<T>::get(j, *v);
  }
};

KAPPA_WIRE_STRUCT(kappa::evm::PoolTrade, aggressor, base, quote, block, logIndex, transactionHash, price, qty)
KAPPA_WIRE_STRUCT(kappa::evm::EvmOrderView, orderId, instrument, state, detail, txHash, nonce, block, confirmations, amountIn,
                  amountOutMin, expectedOut, baseWei, quoteWei, feeWei, fillSent, reorgedAfterFill, side, gasUsed,
                  effectiveGasPrice, maxFeePerGas, maxPriorityFeePerGas, stuck, replacements, sentAt)
KAPPA_WIRE_STRUCT(kappa::evm::EvmPoolView, instrument, name, pair, reserve0, reserve1, baseReserve, quoteReserve, block, mid,
                  bestBid, bestAsk, baseVolume, quoteVolume, trades, dayBaseVolume, dayQuoteVolume, daySwaps, dayCoveredFrom,
                  dayAt, lastTrade, baseSymbol, quoteSymbol, baseDecimals, quoteDecimals)
KAPPA_WIRE_STRUCT(kappa::evm::EvmCounters, polls, blocksProcessed, logsApplied, tradesSent, snapshotsSent, resyncs, reorgs,
                  gapResyncs, verifications, mismatches, rpcFailures, reconnects, headBlock, processedBlock, resyncBlock,
                  processedBlockTime, chainId, lastRoundTripUs, headsPushed, headNotifications, ordersSent, approvalsSent,
                  fillsReorged)
KAPPA_WIRE_STRUCT(kappa::evm::EvmTokenBalance, symbol, address, decimals, balanceWei, balance, allowanceWei, unlimitedAllowance)
KAPPA_WIRE_STRUCT(kappa::evm::EvmWalletView, address, nativeSymbol, nativeWei, native, tokens, block, updatedAt, error)
KAPPA_WIRE_STRUCT(kappa::evm::EvmChainView, chainId, head, headTime, baseFee, nextBaseFee, suggestedTip, baseFeeHistoryGwei,
                  historyFirstBlock, typicalSwapGas, updatedAt, error)
KAPPA_WIRE_STRUCT(kappa::evm::EvmVenueSnapshot, venue, state, stateDetail, walletAddress, slippageBps, counters, pools, orders,
                  wallet, chain)

namespace kappa::remote {

using wire::DecodeError;
using wire::json;
using wire::Wire;

namespace {

// 0x and 40 hex digits, or "" where none is allowed (no wallet key): the panel shows 0x1234…abcd of it.
std::string checkAddress(const std::string& text, const std::string& where, bool required = false) {
  if (text.empty() && !required) return {};
  bool ok = text.size() == 42 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  for (std::size_t i = 2; ok && i < text.size(); ++i) ok = std::isxdigit(static_cast<unsigned char>(text[i])) != 0;
  return ok ? std::string() : where + ": not an address (0x and 40 hex digits)";
}

// The panel formats amounts with these: above kMaxTokenDecimals its formatting throws.
std::string checkDecimals(unsigned decimals, const std::string& where) {
  if (decimals <= evm::kMaxTokenDecimals) return {};
  return where + ": " + std::to_string(decimals) + " decimals (at most " + std::to_string(evm::kMaxTokenDecimals) + ")";
}

std::string check(const evm::EvmVenueSnapshot& s, std::size_t known) {
  if (auto e = checkAddress(s.walletAddress, "walletAddress"); !e.empty()) return e;
  if (auto e = checkAddress(s.wallet.address, "wallet.address"); !e.empty()) return e;
  for (std::size_t i = 0; i < s.wallet.tokens.size(); ++i) {
    const std::string where = "wallet.tokens[" + std::to_string(i) + "]";
    if (auto e = checkAddress(s.wallet.tokens[i].address, where + ".address"); !e.empty()) return e;
    if (auto e = checkDecimals(s.wallet.tokens[i].decimals, where + ".decimals"); !e.empty()) return e;
  }
  if (s.chain.baseFeeHistoryGwei.size() > evm::EvmChainView::kBaseFeeHistory)
    return "chain.baseFeeHistoryGwei: " + std::to_string(s.chain.baseFeeHistoryGwei.size()) + " blocks (at most " +
           std::to_string(evm::EvmChainView::kBaseFeeHistory) + ")";
  auto unknown = [&](InstrumentId id) { return known != kUncheckedInstruments && id != kNoInstrument && id >= known; };
  for (std::size_t i = 0; i < s.pools.size(); ++i) {
    const std::string where = "pools[" + std::to_string(i) + "]";
    if (s.pools[i].instrument == kNoInstrument || unknown(s.pools[i].instrument))
      return where + ".instrument: instrument " + std::to_string(s.pools[i].instrument) + " is not known";
    if (auto e = checkAddress(s.pools[i].pair, where + ".pair", true); !e.empty()) return e;
    if (auto e = checkDecimals(s.pools[i].baseDecimals, where + ".baseDecimals"); !e.empty()) return e;
    if (auto e = checkDecimals(s.pools[i].quoteDecimals, where + ".quoteDecimals"); !e.empty()) return e;
  }
  for (std::size_t i = 0; i < s.orders.size(); ++i)
    if (unknown(s.orders[i].instrument))
      return "orders[" + std::to_string(i) + "].instrument: instrument " + std::to_string(s.orders[i].instrument) + " is not known";
  return {};
}

}  // namespace

std::string encodeEvmBody(const evm::EvmVenueSnapshot& snapshot) {
  json body;
  Wire<evm::EvmVenueSnapshot>::put(body, snapshot);
  std::string bytes;
  json::to_msgpack(body, nlohmann::detail::output_adapter<char>(bytes));
  return bytes;
}

std::string frameEvmPart(Nanos publishedWall, std::string_view body) {
  // [version, publishedWall, body]: the header's two values as an array of three (fixarray 0x93)
  // whose last element is the body, already encoded.
  std::string bytes;
  json::to_msgpack(json::array({kEvmWireVersion, publishedWall}), nlohmann::detail::output_adapter<char>(bytes));
  bytes[0] = char(0x93);
  bytes.append(body);
  return bytes;
}

std::string decodeEvmPart(std::string_view bytes, evm::EvmVenueSnapshot& into, Nanos* publishedWall, std::size_t knownInstruments) {
  const std::string name = "evm";
  if (bytes.size() > kMaxPartBytes)
    return name + ": message of " + std::to_string(bytes.size()) + " bytes (at most " + std::to_string(kMaxPartBytes) + ")";
  json message;
  std::string error;
  if (!wire::parseMessagePack(bytes, message, error)) return name + ": " + error;
  try {
    if (!message.is_array() || message.size() != 3) return name + ": not the evm part (expected [version, publishedWall, body])";
    std::uint32_t version = 0;
    Nanos wall = 0;
    try {
      Wire<std::uint32_t>::get(message[0], version);
      Wire<Nanos>::get(message[1], wall);
    } catch (DecodeError& e) {
      return name + ": header: " + e.message();
    }
    if (version != kEvmWireVersion)
      return name + ": wire format version " + std::to_string(version) + " (this build reads " + std::to_string(kEvmWireVersion) + ")";
    wire::DecodeBudget budget(wire::decodeBudgetFor(bytes.size()));
    evm::EvmVenueSnapshot decoded;
    Wire<evm::EvmVenueSnapshot>::get(message[2], decoded);
    if (auto e = check(decoded, knownInstruments); !e.empty()) return name + ": " + e;
    into = std::move(decoded);
    if (publishedWall) *publishedWall = wall;
    return {};
  } catch (DecodeError& e) {
    return name + ": " + e.message();
  } catch (const std::exception& e) {
    return name + ": " + e.what();
  }
}

}  // namespace kappa::remote
